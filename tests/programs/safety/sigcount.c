/*
 * Test program for lineprof's signal handling. Usage: sigcount MODE [FILE]
 *   count    counts the SIGINTs it gets (a handler; one byte appended to
 *            FILE each), burning CPU, until a SIGHUP: then exits with the
 *            count as its status
 *   ignore   ignores SIGINT and SIGTERM, burning CPU until killed
 * Handlers are installed before any CPU is burnt: a test waits for the
 * handler (SigCgt in /proc/PID/status) before it signals.
 */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

volatile sig_atomic_t lp_sigints, lp_done;
static int lp_count_fd = -1;
volatile double lp_spin_sink;

static void on_int(int sig)
{
	(void)sig;
	lp_sigints++;
	if (lp_count_fd >= 0 && write(lp_count_fd, "i", 1) != 1)
		lp_sigints += 100; /* a test reading the file would miss it: make that visible */
}

static void on_hup(int sig)
{
	(void)sig;
	lp_done = 1;
}

__attribute__((noinline)) double spin(long n)
{
	double x = 0.5;

	for (long i = 0; i < n; i++) x = x * 0.9999999 + 1e-7; /* SPIN */
	return x;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	if (strcmp(mode, "count") == 0) {
		if (argc > 2)
			lp_count_fd = open(argv[2], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		sa.sa_handler = on_int;
		sigaction(SIGINT, &sa, NULL);
		sa.sa_handler = on_hup;
		sigaction(SIGHUP, &sa, NULL);
		while (!lp_done)
			lp_spin_sink = spin(1000000);
		return lp_sigints;
	}
	if (strcmp(mode, "ignore") == 0) {
		sa.sa_handler = SIG_IGN;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		for (;;)
			lp_spin_sink = spin(1000000);
	}
	return 2;
}
