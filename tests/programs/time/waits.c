/*
 * One thread, three lines of known wall time: COMPUTE burns the CPU for
 * about 1.2 s of wall time, SLEEP sleeps 0.9 s, PIPE blocks in read() on
 * file descriptor argv[1] until the test writes to it (it says "reading"
 * on stdout first, then waits ~0.9 s). The program measures each phase's
 * wall time itself and prints it, so a test compares lineprof's Wall per
 * line with the truth on any machine: a loaded one stretches COMPUTE
 * (preemption is part of its wall time), never the shares it prints.
 * With a second file descriptor, it first waits for a byte there (GO):
 * a test attaches lineprof -p before the phases begin.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	struct timespec nap = { 0, 900000000 };
	int fd = argc > 1 ? atoi(argv[1]) : 0;
	double x = 0.5, t0, t1, t2, t3, end;
	char c;

	if (argc > 2 && read(atoi(argv[2]), &c, 1) != 1) return 2; /* GO */
	t0 = now();
	end = t0 + 1.2;
	while (now() < end) for (long i = 0; i < 100000; i++) x = x * 0.9999999 + 1e-7; /* COMPUTE */
	t1 = now();
	nanosleep(&nap, NULL); /* SLEEP */
	t2 = now();
	printf("reading\n");
	fflush(stdout);
	if (read(fd, &c, 1) != 1) return 2; /* PIPE */
	t3 = now();
	printf("compute=%.6f sleep=%.6f pipe=%.6f x=%g\n", t1 - t0, t2 - t1, t3 - t2, x);
	return 0;
}
