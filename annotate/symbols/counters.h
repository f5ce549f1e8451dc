/*
 * Private to annotate/: where to count a function's basic blocks so that
 * the counts wanted follow from as few probe hits as possible.
 *
 * A block runs as often as control enters it and as often as it leaves
 * (flow conservation), so counting every block is wasteful: in a chain of
 * blocks one count gives all, and in a loop nest the counts of the outer
 * blocks follow from the inner ones and the function's entries. This is
 * Knuth and Stevenson's, and Ball and Larus's, optimal counter placement,
 * with a twist: only blocks can be counted (a uprobe counts the executions
 * of an instruction), never an edge by itself.
 *
 * The graph: each block b is an edge b_in -> b_out carrying its count;
 * each CFG edge u -> v an edge u_out -> v_in; a virtual node R outside the
 * function has R -> entry, R -> every block entered from places the graph
 * cannot see, and block_out -> R where control leaves the function. The
 * flow is then a circulation. A set of unmeasured edges U leaves the flow
 * on an edge e of U determined iff no cycle of U passes through e (e is a
 * bridge of U): then the cut around it balances measured counts only. CFG
 * edges cannot be measured, so they are all in U; blocks are added to U in
 * order of cost (most expensive first: left unmeasured) as long as every
 * wanted block in U stays a bridge.
 */
#ifndef LP_COUNTERS_H
#define LP_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

#include "cfg.h"

/* One term of a count: sign * (count of measured block measured[index]). */
typedef struct lp_count_term {
	uint32_t index;
	int32_t sign;
} lp_count_term;

typedef struct lp_count_plan {
	int *measured;          /* the blocks to count, ascending */
	size_t nmeasured;
	size_t *first;          /* block b's count: terms[first[b] .. first[b + 1]); */
	lp_count_term *terms;   /* empty for a block that is not wanted */
	size_t nterms;
} lp_count_plan;

/*
 * Chooses the blocks of g to measure so that the count of every block with
 * wanted[b] follows; cost[b]: what measuring b costs (its expected
 * executions, times a probe's price there); blocks with must[b] are
 * measured whatever they cost (must may be NULL). The counts follow only
 * if control moved as the graph says: every activation that entered left
 * through an exit, and a call returned to the next instruction (the
 * caller checks that, see probes.c). 0, or -1 when out of memory.
 */
int lp_count_place(const lp_cfg *g, const uint8_t *wanted, const uint8_t *must,
		   const double *cost, lp_count_plan *plan);

/* The index of block b among plan->measured, -1 if it is not measured. */
long lp_count_measured(const lp_count_plan *plan, int b);
void lp_count_plan_free(lp_count_plan *plan);

/*
 * Block b's count from the measured counts (counts[i] of measured[i]):
 * 0, or -1 when the sum is negative (control flow the graph does not know:
 * a call that did not return, longjmp, an exception).
 */
int lp_count_eval(const lp_count_plan *plan, int b, const uint64_t *counts, uint64_t *out);

#endif
