#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "procfs.h"

ssize_t lp_proc_read(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

int lp_proc_stat_file(const char *path, char *buf, size_t size, char **f, int nf)
{
	char *p;
	int n = 0;

	if (lp_proc_read(path, buf, size) < 0)
		return -1;
	p = strrchr(buf, ')'); /* comm may hold ')' and spaces: the last one ends it */
	if (!p || p[1] != ' ')
		return errno = EINVAL, -1;
	p += 2;
	while (n < nf && *p) {
		f[n++] = p;
		while (*p && *p != ' ')
			p++;
		if (*p)
			*p++ = '\0';
	}
	return n;
}

int lp_proc_stat(int pid, char *buf, size_t size, char **f, int nf)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	return lp_proc_stat_file(path, buf, size, f, nf);
}

const char *lp_proc_status(int pid, const char *key, char *buf, size_t size)
{
	char path[64];
	size_t klen = strlen(key);

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (lp_proc_read(path, buf, size) < 0)
		return NULL;
	for (const char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, key, klen) == 0 && p[klen] == ':')
			return p + klen + 1;
	return NULL;
}
