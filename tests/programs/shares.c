/*
 * Test program for lineprof: three lines of main with true shares of 10, 30
 * and 60 % of the CPU time. Each loop is one line doing the same dependent
 * floating-point chain (its latency, not the loop overhead, sets the pace),
 * run 1, 3 and 6 times N iterations.
 */
#include <stdio.h>

volatile long lp_share_n = 30000000;
volatile double lp_share_seed = 0.5; /* not 1.0: the chain's fixed point */

int main(void)
{
	/* Bounds computed before the loops: at -O0 each loop then does the same work per iteration. */
	long n1 = lp_share_n, n3 = 3 * n1, n6 = 6 * n1;
	double a = lp_share_seed, b = lp_share_seed, c = lp_share_seed;

	for (long i = 0; i < n1; i++) a = a * 0.9999999 + 1e-7; /* SHARE10 */
	for (long i = 0; i < n3; i++) b = b * 0.9999999 + 1e-7; /* SHARE30 */
	for (long i = 0; i < n6; i++) c = c * 0.9999999 + 1e-7; /* SHARE60 */
	printf("%g\n", a + b + c);
	return 0;
}
