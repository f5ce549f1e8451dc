/*
 * A CPU-bound benchmark target for bench/run: one thread, a handful of hot
 * lines of different cost, no system calls while it works.
 *
 *   cpubound N       N * 10^7 iterations (fixed work: overhead runs)
 *   cpubound -t S    as many iterations as fit in S seconds (memory runs)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

volatile double cb_seed = 0.5;

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

__attribute__((noinline)) static double work(long n, double x)
{
	double y = x, z = x;

	for (long i = 0; i < n; i++) {
		x = x * 0.9999999 + 1e-7;            /* LINE_A */
		if (i % 3 == 0)
			y = y * 0.9999998 + 2e-7;    /* LINE_B */
		if (i % 5 == 0)
			z = z * 0.9999997 + (double)(i & 15) * 1e-9; /* LINE_C */
	}
	return x + y + z;
}

int main(int argc, char **argv)
{
	double x = cb_seed;

	if (argc == 3 && strcmp(argv[1], "-t") == 0) {
		double end = now() + atof(argv[2]);

		while (now() < end)
			x = work(1000000, x);
	} else {
		long n = argc > 1 ? atol(argv[1]) : 10;

		for (long k = 0; k < n; k++)
			x = work(10000000, x);
	}
	printf("%g\n", x);
	return 0;
}
