/*
 * Test program for lineprof's process handling. Usage: behave MODE [ARG]
 *   exit N   exit with status N at once
 *   segv     burn ~0.5 s, then die of SIGSEGV
 *   abort    burn ~0.5 s, then abort()
 *   spin     burn until killed
 *   fork     fork; the child execs this program ("child": burn ~0.5 s), the parent waits
 * All the CPU time is in burn(), on its BURN line.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

volatile long lp_burn_iterations = 150000000;
volatile double lp_burn_seed = 0.5; /* not 1.0: the chain's fixed point */
volatile double lp_burn_sink;

__attribute__((noinline)) double burn(long n)
{
	double x = lp_burn_seed;

	for (long i = 0; i < n; i++) x = x * 0.9999999 + 1e-7; /* BURN */
	return x;
}

static int run_child(const char *self)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return 1;
	if (pid == 0) {
		execl("/proc/self/exe", self, "child", (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	if (strcmp(mode, "exit") == 0)
		return argc > 2 ? atoi(argv[2]) : 0;
	if (strcmp(mode, "fork") == 0)
		return run_child(argv[0]);
	if (strcmp(mode, "spin") == 0)
		for (;;)
			lp_burn_sink = burn(lp_burn_iterations);
	if (strcmp(mode, "segv") != 0 && strcmp(mode, "abort") != 0 && strcmp(mode, "child") != 0) {
		fprintf(stderr, "usage: behave exit N | segv | abort | spin | fork\n");
		return 2;
	}
	lp_burn_sink = burn(lp_burn_iterations);
	if (strcmp(mode, "segv") == 0)
		raise(SIGSEGV);
	if (strcmp(mode, "abort") == 0)
		abort();
	return 0;
}
