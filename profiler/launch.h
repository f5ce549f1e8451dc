/*
 * Starting the target: fork now, exec when the events are in place, so no
 * instruction of lineprof itself is ever sampled. Internal to profiler/.
 */
#ifndef LP_LAUNCH_H
#define LP_LAUNCH_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

#include "lineprof/error.h"

typedef struct lp_child {
	pid_t pid;
	int go_fd;  /* ours: one byte lets the child exec, EOF makes it quit */
	int err_fd; /* ours: the errno of a failed exec; EOF once exec succeeded */
} lp_child;

/*
 * Forks a child that waits for lp_launch_release, then sets its signal mask
 * to mask and execvp(argv[0], argv). The child gets PR_SET_PDEATHSIG
 * (SIGKILL): if lineprof dies, even by SIGKILL, the target goes with it.
 */
int lp_launch_start(lp_child *c, char *const argv[], const sigset_t *mask, lp_error *err);

/*
 * Lets the child exec and waits for the outcome. LP_OK once the new program
 * runs; otherwise LP_ENOTFOUND or LP_ENOEXEC with err set, the child reaped
 * and its wait status in *status.
 */
int lp_launch_release(lp_child *c, const char *argv0, int *status, lp_error *err);

/* Makes a child that was never released exit without exec, and reaps it. */
void lp_launch_abort(lp_child *c);

/*
 * Finds the file execvp would run for argv0 (a name with a '/' is used as
 * is, others are searched in PATH) and copies its path to out. LP_OK, or
 * LP_ENOTFOUND / LP_ENOEXEC with the message a shell would print.
 */
int lp_launch_resolve(const char *argv0, char *out, size_t outlen, lp_error *err);

/*
 * Whether a signal lineprof received was sent to its whole process group
 * (then the target, in the same group, got it too) or to lineprof alone:
 * a helper process in the group blocks every signal and never takes one, so
 * a group signal stays pending in it. Internal to profiler/.
 */
typedef struct lp_sentinel {
	pid_t pid;
} lp_sentinel;

/* Starts it; 0, or -1 (then lp_sentinel_got always says -1). */
int lp_sentinel_start(lp_sentinel *s);

/* 1 if signo (received by lineprof) was sent to the group too, 0 if not, -1 if unknown. */
int lp_sentinel_got(lp_sentinel *s, int signo);

void lp_sentinel_stop(lp_sentinel *s);

#endif
