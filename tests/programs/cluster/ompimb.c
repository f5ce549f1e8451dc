/*
 * An imbalanced OpenMP team of two: thread 0 does 1 unit of work on the WORK
 * line, thread 1 does 3, so the per-thread view must show a 1:3 split.
 * argv[1]: units per thread-unit (20).
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#define UNIT 1000000L

int main(int argc, char **argv)
{
	long scale = argc > 1 ? atol(argv[1]) : 20;
	double total = 0.0;

#pragma omp parallel num_threads(2) reduction(+ : total)
	{
		long n = (omp_get_thread_num() == 0 ? 1 : 3) * scale * UNIT;
		double x = 0.0;

		for (long i = 0; i < n; i++)
			x += (double)(i % 5) * 0.25; /* WORK */
		total += x;
	}
	printf("ompimb: %.1f\n", total);
	return 0;
}
