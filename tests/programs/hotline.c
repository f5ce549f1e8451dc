/*
 * Test program for lineprof: one line does > 80% of the work, another ~10%.
 * Built -O0 (hotline), -O2 (hotline_o2) and -no-pie (hotline_nopie).
 * Tests find line numbers by scanning for the marker comments, so the
 * markers must stay on the lines they describe. lp_mark_hot is a global
 * label on the HOT line: its symbol gives tests an address on that line.
 */
#include <stdio.h>

/* volatile: the compiler cannot propagate it, so hot_work is never cloned
 * (a clone would duplicate the asm label). */
volatile long lp_hot_iterations = 180000000;
volatile double lp_hot_seed = 0.5; /* not 1.0: that is the chains' fixed point, folded by gcc */

__attribute__((noinline)) double hot_work(long n)
{
	double x = lp_hot_seed, y = lp_hot_seed;

	__asm__ volatile(".globl lp_mark_hot\nlp_mark_hot:\n\tnop" ::: "memory"); for (long i = 0; i < n; i++) x = x * 0.9999999 + 1e-7; /* HOT */
	for (long i = 0; i < n / 9; i++) y = y * 0.9999999 - 1e-7; /* COLD */
	return x + y;
} /* END hot_work */

int main(void)
{
	printf("%g\n", hot_work(lp_hot_iterations));
	return 0;
}
