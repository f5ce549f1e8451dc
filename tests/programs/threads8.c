/*
 * Test program for lineprof: 8 threads, each doing a different kind of work
 * (floating-point chains, integer hashing, division, square roots, a table
 * walk...) in its own function w0 .. w7, on one marked line (T8_0 .. T8_7).
 * Every thread runs about the same CPU time, so a profile must show all eight
 * lines; a sampler that followed only some threads would miss the others.
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

volatile long lp_t8_scale = 1; /* work multiplier */
volatile double lp_t8_seed = 0.5;

#define N(base) ((long)(base) * lp_t8_scale)

__attribute__((noinline)) static double w0(void)
{
	double x = lp_t8_seed;

	for (long i = 0; i < N(100000000); i++) x = x * 0.9999999 + 1e-7; /* T8_0 */
	return x;
}

__attribute__((noinline)) static double w1(void)
{
	uint64_t h = 1469598103934665603u;

	for (long i = 0; i < N(150000000); i++) h = (h ^ (uint64_t)i) * 1099511628211u; /* T8_1 */
	return (double)(h & 0xffff);
}

__attribute__((noinline)) static double w2(void)
{
	double x = lp_t8_seed + 1.0;

	for (long i = 0; i < N(30000000); i++) x = 1.0 + 1.0 / (x + 1e-9); /* T8_2 */
	return x;
}

__attribute__((noinline)) static double w3(void)
{
	double x = lp_t8_seed + 2.0;

	for (long i = 0; i < N(25000000); i++) x = sqrt(x + 2.0); /* T8_3 */
	return x;
}

__attribute__((noinline)) static double w4(void)
{
	uint64_t a = 12345, b = 0;

	for (long i = 0; i < N(90000000); i++) b += (a = a * 6364136223846793005u + 1) % 1000003u; /* T8_4 */
	return (double)(b & 0xffff);
}

__attribute__((noinline)) static double w5(void)
{
	static unsigned char t[1 << 16];
	unsigned s = 1, sum = 0;

	for (long i = 0; i < N(130000000); i++) sum += t[(s = s * 1103515245u + 12345u) >> 16]++; /* T8_5 */
	return (double)sum;
}

__attribute__((noinline)) static double w6(void)
{
	float x = (float)lp_t8_seed;

	for (long i = 0; i < N(100000000); i++) x = x * 0.999999f + 1e-6f; /* T8_6 */
	return x;
}

__attribute__((noinline)) static double w7(void)
{
	long c = 0;

	for (long i = 1; i < N(130000000); i++) c += (i & (i - 1)) == 0 ? 3 : (i % 7 == 0); /* T8_7 */
	return (double)c;
}

static double (*const work[8])(void) = { w0, w1, w2, w3, w4, w5, w6, w7 };

typedef struct job {
	int which;
	double result;
} job;

static void *run_job(void *arg)
{
	job *j = arg;

	j->result = work[j->which]();
	return NULL;
}

int main(void)
{
	pthread_t tid[8];
	job jobs[8];
	double sum = 0;

	for (int i = 0; i < 8; i++) {
		jobs[i].which = i;
		if (pthread_create(&tid[i], NULL, run_job, &jobs[i]) != 0)
			return 1;
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(tid[i], NULL);
		sum += jobs[i].result;
	}
	printf("%g\n", sum);
	return 0;
}
