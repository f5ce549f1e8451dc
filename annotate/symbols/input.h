/*
 * Opening what a profile names (module files, source files, debug files):
 * a profile can come from anyone, and lineprof may run as root, so a path in
 * it is opened only if it is a regular file outside the kernel's pseudo file
 * systems (/proc, /sys, debugfs, tracefs...). A FIFO would block the open or
 * the read forever, a device can do anything on open, /proc/kmsg blocks and
 * consumes the kernel log. Private to annotate/.
 */
#ifndef LP_INPUT_H
#define LP_INPUT_H

#include <sys/stat.h>

/*
 * path opened read-only (O_NONBLOCK|O_NOCTTY|O_CLOEXEC) if it is a regular
 * file, after stat and checked again with fstat on what was opened (same
 * device and inode), its stat in *st when st is not NULL. Returns the fd, or
 * -1 with errno set: the open's own error (ENOENT, EACCES...), or EINVAL for
 * a file refused by the rules above, with *why (if why is not NULL) saying
 * what it is ("a FIFO", "on /proc or /sys"...).
 */
int lp_input_open(const char *path, struct stat *st, const char **why);

/* Same rules, without opening: 0 if path would be opened, else -1 as above. */
int lp_input_check(const char *path, struct stat *st, const char **why);

#endif
