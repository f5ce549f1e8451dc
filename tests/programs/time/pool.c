/*
 * A thread pool that is never used: four workers wait on a condition
 * variable (IDLE) for the whole run while the main thread computes
 * (BUSY) for about 1 s of wall time, then wakes them to exit. The workers'
 * wait is their own line's Off-CPU time (a lock wait, four times the run),
 * never part of BUSY's.
 */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#define NWORKERS 4

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int done;

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void *worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	while (!done)
		pthread_cond_wait(&cv, &mu); /* IDLE */
	pthread_mutex_unlock(&mu);
	return NULL;
}

int main(void)
{
	pthread_t t[NWORKERS];
	double x = 0.5, end;

	for (int i = 0; i < NWORKERS; i++)
		if (pthread_create(&t[i], NULL, worker, NULL))
			return 1;
	end = now() + 1.0;
	while (now() < end) for (long i = 0; i < 100000; i++) x = x * 0.9999999 + 1e-7; /* BUSY */
	pthread_mutex_lock(&mu);
	done = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	for (int i = 0; i < NWORKERS; i++)
		pthread_join(t[i], NULL);
	printf("%g\n", x);
	return 0;
}
