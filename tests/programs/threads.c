/*
 * Test program for lineprof: 4 threads, each spinning ~0.5 s of CPU in its
 * own function (spin_a .. spin_d, loops on the SPIN_A .. SPIN_D lines), so a
 * profile shows four distinct functions.
 */
#include <pthread.h>
#include <stdio.h>

volatile long lp_spin_iterations = 250000000;
volatile double lp_spin_seed = 0.5; /* not 1.0: the chain's fixed point */

__attribute__((noinline)) void *spin_a(void *out)
{
	long n = lp_spin_iterations;
	double x = lp_spin_seed;

	for (long i = 0; i < n; i++) x = x * 0.9999991 + 1e-7; /* SPIN_A */
	*(double *)out = x;
	return NULL;
}

__attribute__((noinline)) void *spin_b(void *out)
{
	long n = lp_spin_iterations;
	double x = lp_spin_seed;

	for (long i = 0; i < n; i++) x = x * 0.9999992 + 1e-7; /* SPIN_B */
	*(double *)out = x;
	return NULL;
}

__attribute__((noinline)) void *spin_c(void *out)
{
	long n = lp_spin_iterations;
	double x = lp_spin_seed;

	for (long i = 0; i < n; i++) x = x * 0.9999993 + 1e-7; /* SPIN_C */
	*(double *)out = x;
	return NULL;
}

__attribute__((noinline)) void *spin_d(void *out)
{
	long n = lp_spin_iterations;
	double x = lp_spin_seed;

	for (long i = 0; i < n; i++) x = x * 0.9999994 + 1e-7; /* SPIN_D */
	*(double *)out = x;
	return NULL;
}

int main(void)
{
	void *(*fn[4])(void *) = { spin_a, spin_b, spin_c, spin_d };
	pthread_t tid[4];
	double res[4];

	for (int i = 0; i < 4; i++)
		if (pthread_create(&tid[i], NULL, fn[i], &res[i]) != 0)
			return 1;
	for (int i = 0; i < 4; i++)
		pthread_join(tid[i], NULL);
	printf("%g\n", res[0] + res[1] + res[2] + res[3]);
	return 0;
}
