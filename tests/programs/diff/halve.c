/*
 * Test program for lineprof diff, built twice from this one source: halve as
 * it is, and halve_fast with -DLP_FAST, where the HALVED line runs half as
 * many iterations. The STEADY lines do the same work in both builds, so their
 * time stays put while their share of the program rises (25 % -> 33 %).
 * LP_FAST changes no line numbers: tests find the lines by their markers.
 * argv[1] scales all the work (default 1): the --scale tests run it at 1 and 2.
 */
#include <stdio.h>
#include <stdlib.h>

#ifdef LP_FAST
#define LP_HALVED_ITERS(n) (n)
#else
#define LP_HALVED_ITERS(n) (2 * (n))
#endif

volatile long lp_diff_n = 7000000;
volatile double lp_diff_seed = 0.5; /* not 1.0: the chains' fixed point */

__attribute__((noinline)) double steady_work(long n)
{
	double x = lp_diff_seed;

	for (long i = 0; i < n; i++) x = x * 0.9999999 + 1e-7; /* STEADY_A */
	return x;
}

__attribute__((noinline)) double halved_work(long n)
{
	double y = lp_diff_seed;
	long m = LP_HALVED_ITERS(n);

	for (long i = 0; i < m; i++) y = y * 0.9999999 + 1e-7; /* HALVED */
	return y;
}

int main(int argc, char **argv)
{
	long n = lp_diff_n * (argc > 1 ? atol(argv[1]) : 1);
	double z = lp_diff_seed, a, b;

	a = steady_work(n);
	b = halved_work(n);
	for (long i = 0; i < n; i++) z = z * 0.9999999 + 1e-7; /* STEADY_B */
	printf("%g\n", a + b + z);
	return 0;
}
