/*
 * Exact execution counts: one counting uprobe per probed address (--hits),
 * through the uprobe PMU, without tracefs. Internal to profiler/.
 */
#ifndef LP_PROBE_H
#define LP_PROBE_H

#include <stddef.h>
#include <sys/types.h>

#include "lineprof/error.h"
#include "lineprof/profile.h"
#include "lineprof/record.h"
#include "events.h"

/* Opens probes[0..n-1] on pid (its main thread only, enabled at exec) into fds[]. */
int lp_probe_open(const lp_probe *probes, size_t n, pid_t pid, int *fds, const lp_opener *op,
		  lp_error *err);

/* Reads the final counts (after the target is reaped) into prof->hits. */
int lp_probe_collect(const lp_probe *probes, size_t n, const int *fds, lp_profile *prof,
		     lp_error *err);

#endif
