/*
 * Test program for lineprof: hot_inner is inlined into outer (built -O2),
 * so an address in its loop has two frames: hot_inner (inlined) at HOT or
 * MARK, then outer at CALL. lp_mark_inl is a global label at the MARK line:
 * hot_inner is inlined exactly once, so the label is unique. The nop gives
 * the label's line-table row a byte of code of its own. The whole loop is
 * on the HOT line, so that its increment and test count there too.
 */
#include <stdio.h>

volatile long lp_inl_iterations = 300000000;
volatile double lp_inl_seed = 0.5; /* not 1.0: the chain's fixed point */

static inline double hot_inner(double x, long n)
{
	double acc = x;

	__asm__ volatile(".globl lp_mark_inl\nlp_mark_inl:\n\tnop" ::: "memory"); /* MARK */
	for (long i = 0; i < n; i++) acc = acc * 0.9999999 + 1e-7; /* HOT */
	return acc;
} /* END hot_inner */

__attribute__((noinline)) double outer(long n)
{
	double r = hot_inner(lp_inl_seed, n); /* CALL */

	return r * 2.0;
}

int main(void)
{
	printf("%g\n", outer(lp_inl_iterations));
	return 0;
}
