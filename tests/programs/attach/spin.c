/*
 * A running process for lineprof -p: started by a test, attached to, left
 * running, then killed by the test. It never waits on time: it spins, and
 * acts on lines read from standard input, so that a test can sequence what
 * it does against what lineprof does.
 *
 *   spin ticks     HOT_LOOP/COLD_LOOP forever, printing "tick N" after each round
 *   spin exit      the same, and exits (status 0) at a line or EOF on stdin
 *   spin threads   thread "early" spins in spin_early; at the first line on
 *                  stdin thread "late" starts spinning in spin_late, at the
 *                  second a child process "child" spins in spin_child
 *   spin nodump    like ticks, after prctl(PR_SET_DUMPABLE, 0)
 *   spin churn     4 chains of short-lived threads: each spins a short round
 *                  in churn_round, starts its successor and exits, so that
 *                  threads are always being started by threads lineprof
 *                  may not follow yet
 *
 * Markers: HOT_LOOP, COLD_LOOP, SPIN_EARLY, SPIN_LATE, SPIN_CHILD, CHURN.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

volatile long lp_round = 20000000;
volatile double lp_seed = 0.5; /* not 1.0: the chain's fixed point */
volatile double lp_sink;

__attribute__((noinline)) static double hot(long n)
{
	double x = lp_seed;

	for (long i = 0; i < n; i++) x = x * 0.9999999 + 1e-7; /* HOT_LOOP */
	return x;
}

__attribute__((noinline)) static double cold(long n)
{
	double y = lp_seed;

	for (long i = 0; i < n / 9; i++) y = y * 0.9999999 - 1e-7; /* COLD_LOOP */
	return y;
}

/* Is there a line (or EOF) on stdin? Never blocks. */
static int input_ready(void)
{
	struct pollfd p = { .fd = 0, .events = POLLIN };

	return poll(&p, 1, 0) > 0;
}

static void ticks(int exit_on_input)
{
	for (unsigned long n = 1;; n++) {
		lp_sink = hot(lp_round) + cold(lp_round);
		printf("tick %lu\n", n);
		fflush(stdout);
		if (exit_on_input && input_ready()) {
			printf("bye\n");
			exit(0);
		}
	}
}

__attribute__((noinline)) static void *spin_early(void *arg)
{
	double x = lp_seed;

	(void)arg;
	for (;;) x = x * 0.9999991 + 1e-7, lp_sink = x; /* SPIN_EARLY */
	return NULL;
}

__attribute__((noinline)) static void *spin_late(void *arg)
{
	double x = lp_seed;

	(void)arg;
	for (;;) x = x * 0.9999992 + 1e-7, lp_sink = x; /* SPIN_LATE */
	return NULL;
}

__attribute__((noinline)) static void spin_child(void)
{
	double x = lp_seed;

	for (;;) x = x * 0.9999993 + 1e-7, lp_sink = x; /* SPIN_CHILD */
}

static void start(const char *name, void *(*fn)(void *))
{
	pthread_t t;

	if (pthread_create(&t, NULL, fn, NULL) != 0)
		exit(1);
	pthread_setname_np(t, name);
}

static void threads(void)
{
	char line[64];

	start("early", spin_early);
	printf("early\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		exit(0);
	start("late", spin_late);
	printf("late\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		exit(0);
	if (fork() == 0) {
		/* Dies with its parent: the test kills only the process it started. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		prctl(PR_SET_NAME, "child");
		spin_child();
	}
	printf("child\n");
	fflush(stdout);
	for (;;)
		pause();
}

__attribute__((noinline)) static void *churn_round(void *arg)
{
	double x = lp_seed;
	pthread_attr_t a;
	pthread_t t;

	for (long i = 0; i < lp_round / 20; i++) x = x * 0.9999994 + 1e-7; /* CHURN */
	lp_sink = x;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	while (pthread_create(&t, &a, churn_round, arg) != 0)
		; /* out of threads for a moment: the predecessors are still exiting */
	pthread_attr_destroy(&a);
	return NULL;
}

static void churn(void)
{
	for (int i = 0; i < 4; i++)
		start("churn", churn_round);
	printf("churning\n");
	fflush(stdout);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "ticks";

	if (strcmp(mode, "threads") == 0)
		threads();
	if (strcmp(mode, "churn") == 0)
		churn();
	if (strcmp(mode, "nodump") == 0)
		prctl(PR_SET_DUMPABLE, 0);
	ticks(strcmp(mode, "exit") == 0);
	return 0;
}
