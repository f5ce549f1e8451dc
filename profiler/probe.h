/*
 * Exact execution counts (--hits): one counting uprobe per probed address.
 * Internal to profiler/.
 *
 * Two ways to place them:
 *  - tracefs (root): each probe is a uprobe trace event in a group of our
 *    own, lineprof_<pid>, counted as a PERF_TYPE_TRACEPOINT event inherited
 *    by every thread and child of the target; the events are removed after
 *    the run. Without a mounted tracefs, one is mounted in a throw-away
 *    mount namespace (nothing changes for the rest of the machine).
 *  - the uprobe PMU (no tracefs): config1 = path pointer, config2 = offset.
 *    Not inheritable (the kernel would re-read config1 in the forking
 *    target's address space: its fork() and pthread_create() then fail with
 *    EFAULT), so only the target's main thread is counted.
 * LINEPROF_UPROBES=pmu or =tracefs forces one.
 */
#ifndef LP_PROBE_H
#define LP_PROBE_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "lineprof/error.h"
#include "lineprof/profile.h"
#include "lineprof/record.h"
#include "events.h"

typedef struct lp_probes lp_probes;

/*
 * Places probes[0..n-1] for pid (which has not exec'd yet: the counters
 * start at its exec). *out is set even on failure, for lp_probes_free.
 */
int lp_probes_open(lp_probes **out, const lp_probe *probes, size_t n, pid_t pid,
		   const lp_opener *op, lp_error *err);

/* 1 when the probes count every thread and child (tracefs), 0 for the main thread only. */
int lp_probes_inherited(const lp_probes *p);

/* How they were placed, for notices: "tracefs uprobes" or "the uprobe PMU". */
const char *lp_probes_how(const lp_probes *p);

/*
 * Reads the final counts (after the target is reaped) into prof->hits;
 * *total: the sum of all counts.
 */
int lp_probes_collect(lp_probes *p, lp_profile *prof, uint64_t *total, lp_error *err);

/* Closes the counters and removes the trace events; NULL is fine. */
void lp_probes_free(lp_probes *p);

/*
 * Measures what one probe hit costs on this machine, with probes of the same
 * kind in lineprof itself timed against the same calls before any probe
 * existed (a placed breakpoint traps even while its counter is disabled).
 * The kernel emulates a few instructions and single-steps the others out of
 * line, which costs a second trap: *lo is an emulated one, *hi a single-
 * stepped one, in ns per hit (equal where only one site is known). 0, or -1
 * (then both < 0) when it cannot be measured.
 */
int lp_probes_calibrate(lp_probes *p, double *lo, double *hi);

/* Removes the trace events of lineprof runs that died without cleaning up. */
void lp_probes_remove_stale(int tracefs_dir);

#endif
