/*
 * crunch() does a fixed amount of work; with "syscalls" as argv[1] the
 * program also makes many small pread/pwrite calls between its rounds, so
 * that about half of its CPU time is system time. crunch's Time must be the
 * same in both runs: a line's Time is its own samples, and the system time
 * of the calls is theirs (their Sys), never spread over the other lines.
 * It prints crunch's own CPU time (its thread's clock around each call), the
 * truth a run's crunch Time is held to: the machine's speed drifts between
 * runs, and a test comparing two runs' Times would measure that drift. It
 * prints the calls' own CPU time too: what their system time is held to.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

volatile long lp_crunch_iterations = 600000;
volatile long lp_calls_per_round = 2000;

__attribute__((noinline)) static double crunch(double x)
{
	for (long i = 0; i < lp_crunch_iterations; i++)
		x = x * 0.9999999 + 1e-7; /* CRUNCH */
	return x;
}

int main(int argc, char **argv)
{
	int calls = argc > 1 && strcmp(argv[1], "syscalls") == 0;
	char path[] = "/tmp/lp-syscalls-XXXXXX", buf[64] = { 1 };
	int fd = mkstemp(path);
	double x = 0.5, own = 0.0, calls_own = 0.0;
	struct timespec t0, t1;

	if (fd < 0)
		return 1;
	unlink(path);
	if (pwrite(fd, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf))
		return 1;
	for (int round = 0; round < 150; round++) {
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
		x = crunch(x);
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
		own += (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
		for (long j = 0; calls && j < lp_calls_per_round; j++) {
			if (pread(fd, buf, sizeof(buf), 0) < 0) return 1; /* PREAD */
			if (pwrite(fd, buf, sizeof(buf), 0) < 0) return 1; /* PWRITE */
		}
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
		calls_own += (double)(t0.tv_sec - t1.tv_sec) + 1e-9 * (double)(t0.tv_nsec - t1.tv_nsec);
	}
	printf("%g\ncrunch cpu %.6f s\ncalls cpu %.6f s\n", x, own, calls_own);
	return 0;
}
