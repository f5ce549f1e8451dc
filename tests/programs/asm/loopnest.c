/*
 * Test program for loops and --asm: a loop nest whose lines have known
 * shares. One floating-point chain runs through both loops (each step
 * depends on the one before, so its latency, not the loop overhead, sets
 * the pace everywhere): per outer iteration the inner loop makes INNER
 * steps and the outer body one, so the inner loop holds INNER / (INNER + 1)
 * of the time (90 % with 9) and the outer loop all of it. Built at -O2,
 * with volatile bounds so that nothing is unrolled or folded; argv[1], if
 * given, is the outer count (small, for --hits). The marker comments name
 * the lines for the tests.
 */
#include <stdio.h>
#include <stdlib.h>

volatile long lp_loop_outer = 24000000;
volatile long lp_loop_inner = 9;
volatile double lp_loop_seed = 0.5; /* not 1.0: the chain's fixed point */

__attribute__((noinline)) double nest(long n, long m)
{
	double s = lp_loop_seed;

	for (long i = 0; i < n; i++) { /* OUTER */
		s = s * 0.9999999 + 1e-7; /* OUTER_BODY */
		for (long j = 0; j < m; j++) /* INNER */
			s = s * 0.9999999 + 1e-7; /* INNER_BODY */
	} /* OUTER_END */
	return s;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		lp_loop_outer = atol(argv[1]);
	printf("%g\n", nest(lp_loop_outer, lp_loop_inner));
	return 0;
}
