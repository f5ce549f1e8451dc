/*
 * One group's own report: the per-context counts of one thread, process or
 * rank (a group of lp_ctxview) made into a profile of their own and
 * symbolized through the whole report's symbolizer. Every view of a report
 * (lines, functions, inclusive counts, call sites, the flame graph's chains,
 * loops) is then that group's, measured from its own samples and stacks,
 * never the whole profile's numbers scaled by a share. Its Time, Sys and
 * Off-CPU are its own measured nanoseconds (per-context entries keep all
 * three), so they are the numbers --by's columns give it.
 *
 * The group's profile borrows the whole one's modules, frames and events;
 * counts that per-context entries do not keep (event values after the
 * first, hits) are not in it:
 * the views show what a group measured, and leave those out.
 */
#ifndef LP_GROUPS_H
#define LP_GROUPS_H

#include "contexts.h"

typedef struct lp_groupset {
	const lp_report *whole;
	const lp_ctxview *cv;
	size_t *astart, *sstart;   /* per group: where its entries start in aorder, sorder */
	uint32_t *aorder, *sorder; /* ctx_addrs, ctx_stacks entries ordered by group */
	uint32_t *slot;            /* scratch: address or stack index -> entry in the group's profile */
	lp_profile prof;           /* the last group's profile (its addrs and stacks owned here) */
} lp_groupset;

/* Orders the profile's per-context entries by cv's groups. LP_OK or LP_EFAIL (out of memory). */
int lp_groupset_init(lp_groupset *gs, const lp_report *whole, const lp_ctxview *cv, lp_error *err);

/*
 * The report of group g (an index into cv->groups) into *rep; free it with
 * lp_report_free before the next call (the group's profile is replaced).
 */
int lp_groupset_report(lp_groupset *gs, uint32_t g, lp_report *rep, lp_error *err);

void lp_groupset_free(lp_groupset *gs);

#endif
