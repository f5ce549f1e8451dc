/*
 * Small /proc files of other processes, read once into a caller's buffer:
 * the one reader for attach (who may be profiled), launch (the sentinel's
 * pending signals) and probe (a run's start time).
 */
#ifndef LP_PROFILER_PROCFS_H
#define LP_PROFILER_PROCFS_H

#include <stddef.h>
#include <sys/types.h>

/* path's bytes, NUL-terminated (at most size - 1): their length, or -1 with errno. */
ssize_t lp_proc_read(const char *path, char *buf, size_t size);

/* A /proc/.../stat file's fields after "(comm) ": state is f[0]; at most nf, into buf. */
int lp_proc_stat_file(const char *path, char *buf, size_t size, char **f, int nf);
int lp_proc_stat(int pid, char *buf, size_t size, char **f, int nf);

/* The value of "key:" in /proc/PID/status (its line, past the tab), or NULL; buf holds the file. */
const char *lp_proc_status(int pid, const char *key, char *buf, size_t size);

#endif
