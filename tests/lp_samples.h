/* Tests build profiles by hand: user-mode samples with their event values, no context. */
#ifndef LP_TEST_SAMPLES_H
#define LP_TEST_SAMPLES_H

#include "lineprof/profile.h"

/* samples at loc whose event values sum to values[0..nevents) (NULL: none). */
static inline int lp_test_add(lp_profile *p, lp_loc loc, uint64_t samples, const uint64_t *values)
{
	lp_counts c = { .samples = samples };

	for (int i = 0; values && i < p->nevents && i < LP_MAX_EVENTS; i++)
		c.value[i] = values[i];
	return lp_profile_add(p, LP_CTX_NONE, loc, &c);
}

/* A stack of samples whose periods sum to value0. */
static inline int lp_test_add_stack(lp_profile *p, const lp_loc *frames, uint32_t depth,
				    uint64_t samples, uint64_t value0)
{
	lp_counts c = { .samples = samples };

	c.value[0] = value0;
	return lp_profile_add_stack(p, LP_CTX_NONE, frames, depth, &c);
}

#endif
