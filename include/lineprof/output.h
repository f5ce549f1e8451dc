/*
 * Writing files safely, as root: every file lineprof writes (the profile and
 * every export) goes through here.
 *
 *  - A unique temporary is made in the target's own directory (mkstemp:
 *    O_CREAT|O_EXCL, never an existing name, never through a symlink), written,
 *    flushed, fsync'd, and renamed over the target: a reader sees the old file
 *    or the whole new one, never half a file, and concurrent writers of one
 *    name each leave a complete file (the last rename wins).
 *  - The target is replaced only if it is absent or a regular file: a symlink
 *    (never followed), a device, a FIFO, a socket or a directory at that name
 *    is refused, before the run by lp_output_check and again at the rename.
 */
#ifndef LINEPROF_OUTPUT_H
#define LINEPROF_OUTPUT_H

#include <stdio.h>
#include <sys/types.h>

#include "lineprof/error.h"

typedef struct lp_output {
	char *path;   /* the name to replace */
	char *tmp;    /* the temporary beside it; NULL once committed or aborted */
	FILE *f;      /* write here */
	char *buf;    /* f's buffer: large, a merged job's profile is hundreds of MB */
} lp_output;

/*
 * Before a run: can path be written as above? Its directory must exist and
 * take a new file (tried for real: a temporary is made and removed), and
 * path itself must be absent or a regular file. opt names the option in the
 * message ("-o", "--csv"). LP_OK, or LP_EUSAGE with a one-line message.
 */
int lp_output_check(const char *path, const char *opt, lp_error *err);

/* A unique temporary beside path, open for writing in out->f. LP_OK or LP_EFAIL. */
int lp_output_open(lp_output *out, const char *path, lp_error *err);

/*
 * fflush + fsync + close, then rename over out->path if that is absent or
 * a regular file (with the mode a new file would get: 0666 & ~umask).
 * On any failure the temporary is removed and the old file stays.
 */
int lp_output_commit(lp_output *out, lp_error *err);

/* Removes the temporary and frees out; safe after commit and on a zeroed out. */
void lp_output_abort(lp_output *out);

/*
 * Just before path is replaced: an existing, non-empty regular file there is
 * renamed to path.old (as perf keeps perf.data.old), which must itself be
 * absent or a regular file. 1 if one was moved, 0 if there was none, -1 if
 * it could not be (errno; EEXIST: path.old is not a regular file).
 */
int lp_output_keep_old(const char *path);

/*
 * The fallback when a file cannot be written where it was asked for (disk
 * full, directory gone, read-only): reserves a new, empty, unique file named
 * after base's last component (x.lprof -> x.AbC123.lprof) in $TMPDIR (if
 * absolute), else /tmp, else /var/tmp, and returns its malloc'd name, to be
 * replaced through lp_output_open/commit (or removed). NULL with err set.
 */
char *lp_output_fallback(const char *base, lp_error *err);

/*
 * What a file that is not a regular one is, for messages: "a directory",
 * "a FIFO", "a symbolic link" (from lstat)... "not a regular file" for
 * anything else. Shared with annotate/'s checks on the files it reads.
 */
const char *lp_file_kind(mode_t m);

#endif
