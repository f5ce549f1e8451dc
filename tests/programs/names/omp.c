/*
 * OpenMP: stencil() does a serial loop and then a parallel loop of three
 * times as many iterations of the same work, so that the region holds
 * 75 % of the program's CPU time (run with OMP_WAIT_POLICY=passive, or idle
 * threads spin in libgomp) and the serial part 25 %. gcc outlines the
 * region into stencil._omp_fn.0.
 */
#include <stdio.h>
#include <stdlib.h>

#define N 2000000

/* A chain of dependent multiply-adds: the same cost per iteration everywhere. */
#define WORK(x, i) do { for (int k_ = 0; k_ < 24; k_++) x = x * 1.0000001 + (double)(i) * 1e-9; } while (0)

__attribute__((noinline)) double stencil(int n)
{
	double s = 0, x = 1;

	for (int i = 0; i < n; i++)
		WORK(x, i); /* SERIAL */
	s += x;
	#pragma omp parallel reduction(+:s) /* REGION */
	{
		double y = 1;

		/* Each thread's iterations form one chain, as the serial loop's do. */
		#pragma omp for schedule(static)
		for (int i = 0; i < 3 * n; i++)
			WORK(y, i); /* PARALLEL */
		s += y;
	}
	return s;
}

int main(int argc, char **argv)
{
	int reps = argc > 1 ? atoi(argv[1]) : 4;
	double t = 0;

	for (int r = 0; r < reps; r++)
		t += stencil(N);
	printf("%f\n", t);
	return 0;
}
