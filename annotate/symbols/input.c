/*
 * Regular files only, never a pseudo file system: see input.h.
 *
 * stat comes first so that nothing else is ever opened (opening some devices
 * has effects of its own, a tape rewinds); O_NONBLOCK covers the race where
 * the name becomes a FIFO between stat and open, and fstat then sees it.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "input.h"
#include "lineprof/output.h"

/* The kernel's own file systems: files that look regular but are not data. */
static int is_pseudo(long type)
{
	switch (type) {
	case PROC_SUPER_MAGIC: case SYSFS_MAGIC: case DEBUGFS_MAGIC: case TRACEFS_MAGIC:
	case SECURITYFS_MAGIC: case CGROUP_SUPER_MAGIC: case CGROUP2_SUPER_MAGIC:
	case DEVPTS_SUPER_MAGIC: case EFIVARFS_MAGIC: case BPF_FS_MAGIC: case PSTOREFS_MAGIC:
	case SELINUX_MAGIC: case SMACK_MAGIC: case BINFMTFS_MAGIC: case 0x62656570: /* configfs */
		return 1;
	default:
		return 0;
	}
}

static int refuse(const char **why, const char *what)
{
	if (why)
		*why = what;
	errno = EINVAL;
	return -1;
}

int lp_input_check(const char *path, struct stat *st, const char **why)
{
	struct stat mine;
	struct statfs fs;

	if (!st)
		st = &mine;
	if (why)
		*why = NULL;
	if (!path || !*path) {
		errno = ENOENT;
		return -1;
	}
	if (stat(path, st) != 0)
		return -1;
	if (!S_ISREG(st->st_mode))
		return refuse(why, lp_file_kind(st->st_mode));
	if (statfs(path, &fs) == 0 && is_pseudo((long)fs.f_type))
		return refuse(why, "on a kernel file system such as /proc or /sys");
	return 0;
}

int lp_input_open(const char *path, struct stat *st, const char **why)
{
	struct stat before, after;
	struct statfs fs;
	int fd;

	if (lp_input_check(path, &before, why) != 0)
		return -1;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &after) != 0 || !S_ISREG(after.st_mode) || after.st_dev != before.st_dev ||
	    after.st_ino != before.st_ino || (fstatfs(fd, &fs) == 0 && is_pseudo((long)fs.f_type))) {
		close(fd);
		return refuse(why, "a file that changed while it was opened");
	}
	if (st)
		*st = after;
	return fd;
}
