/*
 * -p PID: what the recorder needs to know of processes it did not start:
 * whether they may be profiled, their threads (/proc/PID/task), their
 * executable mappings (/proc/PID/maps), their names, their CPU time, and
 * when they exit (pidfd). Reads /proc only: never signals, ptraces or stops
 * them. Internal to profiler/.
 */
#ifndef LP_ATTACH_H
#define LP_ATTACH_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lineprof/error.h"
#include "collect.h"
#include "events.h"

/* One line of /proc/PID/maps. */
typedef struct lp_procmap {
	uint64_t start, end, pgoff;
	int exec;            /* 'x' in the permissions */
	const char *path;    /* into the parsed line, unescaped; "" for an anonymous mapping */
} lp_procmap;

/*
 * Parses "start-end perms offset dev inode [path]" (line is changed: the
 * path is cut out and "\012" turned back into the newline the kernel
 * escaped). 0, or -1 if the line is malformed.
 */
int lp_procmaps_parse(char *line, lp_procmap *m);

/* The tids of process pid, from /proc/PID/task, sorted. 0, or -1 with errno (ESRCH: gone). */
int lp_proc_tids(int pid, int **tids, size_t *n);

/* A process attached to. */
typedef struct lp_attached {
	int pid;
	int pidfd;              /* readable when it has exited; -1: /proc is polled instead */
	uint64_t start_ticks;   /* /proc/PID/stat starttime: tells the process from a reuse of its pid */
	char comm[16];
	int gone;               /* it exited */
	int cpu_known;          /* utime/stime read at the start and at the end */
	uint64_t utime0, stime0, utime, stime; /* clock ticks */
} lp_attached;

/* A thread of an attached process, as the recorder found it. */
enum lp_task_state { LP_TASK_NEW, LP_TASK_OPEN, LP_TASK_INHERITED, LP_TASK_GONE };

typedef struct lp_task {
	int pid, tid;
	int state;              /* enum lp_task_state */
} lp_task;

typedef struct lp_attach {
	lp_attached *procs;
	int nprocs;
	lp_task *tasks;         /* in the order found */
	size_t ntasks, captasks;
} lp_attach;

/*
 * Checks that each of pids[0..npids) is a live user-space process that this
 * process may profile (a test open of a counting event on it), and opens a
 * pidfd on each; duplicates count once. LP_OK, or LP_EFAIL with one line
 * that names the reason: no such process, a thread not a process, a
 * zombie, a kernel thread, another user's process, a process that is not
 * dumpable, kernel.perf_event_paranoid, a security module.
 */
int lp_attach_init(lp_attach *a, const int *pids, int npids, const lp_opener *op, lp_error *err);
void lp_attach_free(lp_attach *a);

/* Appends the threads of the live processes not seen before, as LP_TASK_NEW. 0, or -1 (memory). */
int lp_attach_scan(lp_attach *a);

/* Does thread tid of pid still exist? */
int lp_attach_alive(int pid, int tid);

/*
 * Has the thread run yet (its run time, /proc/PID/task/TID/schedstat, is
 * not 0)? A thread runs only after clone() has written its FORK record:
 * 1 yes (or unknown), 0 not yet.
 */
int lp_attach_has_run(int pid, int tid);

/*
 * Gives the collector what no record will: every LP_TASK_OPEN thread with
 * its name and its process's (/proc/PID/task/TID/comm), then every
 * executable mapping of each process (/proc/PID/maps). Before the first
 * drain: the records in the rings are newer and replace it. LP_OK or
 * LP_EFAIL (memory).
 */
int lp_attach_describe(lp_attach *a, lp_collect *col, lp_error *err);

/* One thread found later that no record named (a FORK came before its creator was followed). */
int lp_attach_describe_task(lp_attach *a, lp_collect *col, const lp_task *t, lp_error *err);

/* pfd[i] for process i: its pidfd (or fd -1), POLLIN. */
void lp_attach_pollfds(const lp_attach *a, struct pollfd *pfd);

/*
 * After a poll: marks the processes that exited (said on diag) and reads
 * the CPU time of the others. The number still running.
 */
int lp_attach_check(lp_attach *a, const struct pollfd *pfd, FILE *diag);

/*
 * The CPU time the processes used since lp_attach_init, by the kernel's
 * accounting of their threads (user, system): 0 when it cannot be known
 * for all of them.
 */
void lp_attach_cpu(lp_attach *a, uint64_t *user_ns, uint64_t *sys_ns);

/* How many of the processes are still running (as of the last check). */
int lp_attach_running(const lp_attach *a);

/* The line that starts a recording: whom, how many threads, until when. */
void lp_attach_say_start(const lp_attach *a, FILE *diag, double duration);

/* The line that ends a recording: for how long, until what, and who runs on. */
void lp_attach_say_end(const lp_attach *a, FILE *diag, double seconds, int signo, int by_duration);

#endif
