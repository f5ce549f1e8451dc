/*
 * Private to model/: the pieces of lp_profile_add for code that already
 * holds consistent totals and per-context entries (merging profiles), so
 * that each is added once instead of once per entry. The caller keeps the
 * invariant: an address's (or stack's) total is at least the sum of its
 * per-context entries.
 */
#ifndef LP_PROFILE_PRIV_H
#define LP_PROFILE_PRIV_H

#include "lineprof/profile.h"

/* The index of loc's totals entry, created empty if new; -1 when out of memory. */
int64_t lp_profile_addr_index(lp_profile *p, lp_loc loc);
/* Adds c to the totals of address (stack) index and the profile's sums: 0, -1, or -2 (overflow). */
int lp_profile_add_total(lp_profile *p, uint32_t index, const lp_counts *c);
int lp_profile_add_stack_total(lp_profile *p, uint32_t index, const lp_counts *c);
/* Appends a copy of e to the per-context entries of addresses (or of stacks): 0, or -1. */
int lp_profile_push_ctx(lp_profile *p, int stacks, const lp_ctx_counts *e);

#endif
