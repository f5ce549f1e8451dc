/*
 * Safe writing: a unique temporary in the target's directory, fsync, then a
 * rename over the target only if that is absent or a regular file. See
 * lineprof/output.h for the rules and lineprof(1), SAFETY, for what users see.
 *
 * Why each step:
 *  - mkstemp, not "<out>.tmp": a fixed name can be planted as a symlink to a
 *    root-owned file, and two runs writing one name would share it.
 *  - in the target's directory: rename(2) is atomic only within a file system.
 *  - lstat, never stat, on the target: rename replaces a symlink itself, but a
 *    symlink there means someone expects us to write through it; say so.
 *  - fsync before rename: after a crash the name holds the old file or the
 *    whole new one, never an empty file with the new name.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lineprof/output.h"

#define LP_TMP_BASE_MAX 200 /* of the base name in a temporary's name: NAME_MAX is 255 */

/* The directory part of path ("." for a bare name), malloc'd. */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

static const char *base_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

const char *lp_file_kind(mode_t m)
{
	if (S_ISLNK(m))
		return "a symbolic link";
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	return "not a regular file";
}

/* LP_OK if path is absent or a regular file; else why not, as opt's message. */
static int check_target(const char *path, const char *opt, int code, lp_error *err)
{
	struct stat st;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return LP_OK;
		return lp_error_set(err, code, "lineprof: %s %s: %s", opt, path, strerror(errno));
	}
	if (S_ISREG(st.st_mode))
		return LP_OK;
	if (S_ISLNK(st.st_mode))
		return lp_error_set(err, code, "lineprof: %s %s: is a symbolic link, and lineprof never "
				    "writes through one: name the file it points to, or another file",
				    opt, path);
	return lp_error_set(err, code, "lineprof: %s %s: is %s, and lineprof only ever replaces "
			    "regular files: choose another file name", opt, path, lp_file_kind(st.st_mode));
}

/* "<dir>/.<base>.XXXXXX" into a malloc'd template for mkostemp. */
static char *tmp_template(const char *path)
{
	char *dir = dir_of(path), *t;
	const char *base = base_of(path);
	size_t n;

	if (!dir)
		return NULL;
	n = strlen(dir) + LP_TMP_BASE_MAX + 16;
	t = malloc(n);
	if (t)
		snprintf(t, n, "%s/.%.*s.XXXXXX", dir, LP_TMP_BASE_MAX, base);
	free(dir);
	return t;
}

int lp_output_check(const char *path, const char *opt, lp_error *err)
{
	struct stat st;
	char *dir, *t;
	int fd, rc;

	if (!path || !*path)
		return lp_error_set(err, LP_EUSAGE, "lineprof: %s needs a file name", opt);
	if (path[strlen(path) - 1] == '/')
		return lp_error_set(err, LP_EUSAGE, "lineprof: %s %s: names a directory: add a file name",
				    opt, path);
	rc = check_target(path, opt, LP_EUSAGE, err);
	if (rc != LP_OK)
		return rc;
	dir = dir_of(path);
	if (!dir)
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		const char *why = stat(dir, &st) != 0 ? strerror(errno) : "not a directory";

		rc = lp_error_set(err, LP_EUSAGE, "lineprof: %s %s: directory %s: %s (create it first, "
				  "or choose another file)", opt, path, dir, why);
		free(dir);
		return rc;
	}
	free(dir);
	/* The honest test of "can we write there" (permissions, EROFS, quotas): try it. */
	t = tmp_template(path);
	if (!t)
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	fd = mkostemp(t, O_CLOEXEC);
	if (fd < 0) {
		rc = lp_error_set(err, LP_EUSAGE, "lineprof: %s %s: cannot create a file there: %s "
				  "(choose another directory)", opt, path, strerror(errno));
		free(t);
		return rc;
	}
	close(fd);
	unlink(t);
	free(t);
	return LP_OK;
}

void lp_output_abort(lp_output *out)
{
	if (!out)
		return;
	if (out->f)
		fclose(out->f);
	free(out->buf);
	if (out->tmp)
		unlink(out->tmp);
	free(out->tmp);
	free(out->path);
	*out = (lp_output){ 0 };
}

#define LP_OUTPUT_BUF (1 << 20)

/* Opens fd (a fresh temporary) as out->f; LP_OK or an error after cleaning up. */
static int adopt(lp_output *out, int fd, lp_error *err)
{
	out->f = fdopen(fd, "w");
	/* 1 MiB writes instead of 4 KiB ones (without the buffer, the default stays). */
	if (out->f && (out->buf = malloc(LP_OUTPUT_BUF)) != NULL)
		setvbuf(out->f, out->buf, _IOFBF, LP_OUTPUT_BUF);
	if (!out->f) {
		int e = errno;

		close(fd);
		lp_output_abort(out);
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory (%s)", strerror(e));
	}
	return LP_OK;
}

int lp_output_open(lp_output *out, const char *path, lp_error *err)
{
	int fd, e;

	*out = (lp_output){ 0 };
	out->path = strdup(path);
	out->tmp = tmp_template(path);
	if (!out->path || !out->tmp) {
		lp_output_abort(out);
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	}
	fd = mkostemp(out->tmp, O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		free(out->tmp);
		out->tmp = NULL; /* nothing was created */
		lp_output_abort(out);
		return lp_error_set(err, LP_EFAIL, "lineprof: cannot write %s: %s", path, strerror(e));
	}
	return adopt(out, fd, err);
}

/* The directory entry is durable too; best effort (some file systems refuse). */
static void sync_dir(const char *path)
{
	char *dir = dir_of(path);
	int fd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;

	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	free(dir);
}

int lp_output_commit(lp_output *out, lp_error *err)
{
	int fd, bad, e = 0;
	mode_t mask;

	if (!out->f || !out->tmp)
		return lp_error_set(err, LP_EFAIL, "lineprof: %s was not opened", out->path ? out->path : "?");
	fd = fileno(out->f);
	bad = fflush(out->f) != 0 || ferror(out->f);
	if (bad)
		e = errno;
	if (!bad && fsync(fd) != 0 && errno != EINVAL)
		bad = 1, e = errno;
	if (!bad) {
		/* mkstemp makes 0600; the file gets what fopen would have given it. */
		mask = umask(0);
		umask(mask);
		if (fchmod(fd, 0666 & ~mask) != 0)
			bad = 1, e = errno;
	}
	if (fclose(out->f) != 0 && !bad)
		bad = 1, e = errno;
	out->f = NULL;
	free(out->buf);
	out->buf = NULL;
	if (bad) {
		lp_error_set(err, LP_EFAIL, "lineprof: cannot write %s: %s", out->path,
			     strerror(e ? e : EIO));
		lp_output_abort(out);
		return LP_EFAIL;
	}
	/* Checked again at the last moment: the name may have changed since the run began. */
	if (check_target(out->path, "cannot replace", LP_EFAIL, err) != LP_OK) {
		lp_output_abort(out);
		return LP_EFAIL;
	}
	if (rename(out->tmp, out->path) != 0) {
		lp_error_set(err, LP_EFAIL, "lineprof: cannot write %s: %s", out->path, strerror(errno));
		lp_output_abort(out);
		return LP_EFAIL;
	}
	free(out->tmp);
	out->tmp = NULL;
	sync_dir(out->path);
	lp_output_abort(out); /* frees the names; nothing left to remove */
	return LP_OK;
}

int lp_output_keep_old(const char *path)
{
	struct stat st;
	size_t len = strlen(path);
	char *old = malloc(len + sizeof(".old"));
	int rc, e;

	if (!old) {
		errno = ENOMEM;
		return -1;
	}
	/* memcpy, not snprintf: gcc's -fsanitize=undefined build sees a null %s in the latter. */
	memcpy(old, path, len);
	memcpy(old + len, ".old", sizeof(".old"));
	if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
		rc = 0;
	} else if (lstat(old, &st) == 0 && !S_ISREG(st.st_mode)) {
		/* The same rule as a target's: only a regular file is ever replaced. */
		errno = EEXIST;
		rc = -1;
	} else if (rename(path, old) == 0) {
		rc = 1;
	} else {
		/* Gone meanwhile (another run writing this name moved it): nothing to keep. */
		rc = errno == ENOENT ? 0 : -1;
	}
	e = errno;
	free(old);
	errno = e; /* the caller says why */
	return rc;
}

char *lp_output_fallback(const char *base, lp_error *err)
{
	const char *env = getenv("TMPDIR");
	const char *dirs[] = { env && env[0] == '/' ? env : NULL, "/tmp", "/var/tmp" };
	const char *name = *base_of(base) ? base_of(base) : "lineprof.lprof";
	/* The name keeps its extension last: x.lprof -> x.XXXXXX.lprof. */
	const char *dot = strrchr(name, '.');
	const char *ext = dot && dot != name && strlen(dot) <= 16 ? dot : "";
	int stem = (int)(*ext ? (size_t)(dot - name) : strlen(name)), e = ENOENT;

	if (stem > LP_TMP_BASE_MAX)
		stem = LP_TMP_BASE_MAX;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		size_t n;
		char *t;
		int fd;

		if (!dirs[i])
			continue;
		n = strlen(dirs[i]) + LP_TMP_BASE_MAX + 32;
		t = malloc(n);
		if (!t) {
			lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
			return NULL;
		}
		snprintf(t, n, "%s/%.*s.XXXXXX%s", dirs[i], stem, name, ext);
		/* Kept, empty: in a sticky /tmp nobody else can take or replace the name now. */
		fd = mkostemps(t, (int)strlen(ext), O_CLOEXEC);
		if (fd >= 0) {
			close(fd);
			return t;
		}
		e = errno;
		free(t);
	}
	lp_error_set(err, LP_EFAIL, "lineprof: no fallback directory takes a file either "
		     "($TMPDIR, /tmp, /var/tmp): %s", strerror(e));
	return NULL;
}
