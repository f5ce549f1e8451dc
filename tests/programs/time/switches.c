/*
 * A program that leaves the CPU as often as it can: two threads bounce a
 * byte over a pair of pipes (PING, PONG) for argv[1] seconds of wall time
 * (default 2), each read blocking until the other writes. On two CPUs that
 * is a few hundred thousand context switches a second: what off-CPU
 * recording must survive without falling over.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static int ab[2], ba[2];
static volatile int stop;

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void *pong(void *arg)
{
	char c;

	(void)arg;
	while (read(ab[0], &c, 1) == 1 && c) /* PONG */
		if (write(ba[1], &c, 1) != 1)
			break;
	return NULL;
}

int main(int argc, char **argv)
{
	double end = now() + (argc > 1 ? atof(argv[1]) : 2.0);
	long trips = 0;
	pthread_t t;
	char c = 1;

	if (pipe(ab) || pipe(ba) || pthread_create(&t, NULL, pong, NULL))
		return 1;
	while (now() < end) {
		for (int i = 0; i < 1000; i++, trips++) {
			if (write(ab[1], &c, 1) != 1 || read(ba[0], &c, 1) != 1) /* PING */
				return 1;
		}
	}
	c = 0;
	if (write(ab[1], &c, 1) != 1)
		return 1;
	pthread_join(t, NULL);
	printf("trips=%ld\n", trips);
	return 0;
}
