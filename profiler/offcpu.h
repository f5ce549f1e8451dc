/*
 * Off-CPU time: from the moment a thread of the target leaves the CPU until
 * it runs again, charged to the user location (and stack) where it left.
 *
 * Three kinds of record tell it, each written into the ring of the CPU the
 * thread was on: a sample of the context-switch event at each switch-out
 * (its user registers or user stack say where the thread was), and
 * PERF_RECORD_SWITCH out (runnable or not: preempted or yielding, against
 * blocked) and in (the end of the wait). The collector feeds them here in
 * time order; per-thread state lives across ring drains, because a wait can
 * last the whole run. Internal to profiler/.
 */
#ifndef LP_OFFCPU_H
#define LP_OFFCPU_H

#include <stdint.h>

#include "lineprof/profile.h"

typedef struct lp_offcpu lp_offcpu;

typedef struct lp_offcpu_stats {
	uint64_t switches;      /* switch-outs seen (samples or records) */
	uint64_t waits;         /* waits charged to a location */
	uint64_t lost_where;    /* waits whose switch-out sample was lost: their ns in off_lost_ns */
	uint64_t lost_end;      /* waits whose switch-in was lost: length unknown, not counted */
	uint64_t live;          /* threads tracked now (memory is proportional to this) */
} lp_offcpu_stats;

lp_offcpu *lp_offcpu_new(lp_profile *prof);
void lp_offcpu_free(lp_offcpu *o);

/*
 * Thread tid (of context ctx) left the CPU at time t, at loc, with the
 * stack frames[0..depth) (depth 0: none recorded). 0, or -1 when out of memory.
 */
int lp_offcpu_out(lp_offcpu *o, int tid, uint64_t t, uint32_t ctx, lp_loc loc,
		  const lp_loc *frames, uint32_t depth);

/*
 * A PERF_RECORD_SWITCH of tid at time t: out (runnable: it was still
 * runnable, i.e. preempted or yielding) or in. A switch-in ends the wait and
 * charges it. 0, or -1 when out of memory (-2: a sum would overflow).
 */
int lp_offcpu_switch(lp_offcpu *o, int tid, uint64_t t, int out, int runnable);

/*
 * Records were dropped from a ring between times a and b (its last record
 * before the PERF_RECORD_LOST, and that record): a wait that overlaps the
 * window may have lost its switch-in there, and the next one seen would
 * charge the time the thread ran meanwhile. Such waits are not charged
 * (lost_end). 0, or -1 when out of memory.
 */
int lp_offcpu_lost(lp_offcpu *o, uint64_t a, uint64_t b);

/* A new thread tid (a FORK record): a reused tid starts afresh. */
void lp_offcpu_start(lp_offcpu *o, int tid);

/* tid exited: its last switch-out (to die) is no wait. */
void lp_offcpu_exit(lp_offcpu *o, int tid);

/* After each drain: forgets threads that exited a drain or more ago. */
void lp_offcpu_sweep(lp_offcpu *o);

void lp_offcpu_stats_of(const lp_offcpu *o, lp_offcpu_stats *s);

#endif
