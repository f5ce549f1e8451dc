/*
 * --hits probes against the real kernel (root only; skipped otherwise):
 * placement failures leave no trace event behind, and a probe counts what
 * it should. The fake-opener tests elsewhere cannot see tracefs.
 */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probe.h"

/* The uprobe_events lines of our group (lineprof_<ns>_<pid>_<start>/), via a private tracefs if needed. */
static int our_events(void)
{
	char cmd[512], line[1024], want[64];
	FILE *f;
	int n = 0;

	snprintf(want, sizeof(want), "_%d_", (int)getpid());
	snprintf(cmd, sizeof(cmd),
		 "cat /sys/kernel/tracing/uprobe_events 2>/dev/null || unshare -m sh -c "
		 "'mount -t tracefs nodev /sys/kernel/tracing && cat /sys/kernel/tracing/uprobe_events'");
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, ":lineprof_") && strstr(line, want);
	pclose(f);
	return n;
}

/* The file offset of code address a in this process (its mapping in /proc/self/maps). */
static uint64_t self_offset(uintptr_t a)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[PATH_MAX + 128];
	unsigned long long lo, hi, pgoff;
	uint64_t off = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx-%llx %*s %llx", &lo, &hi, &pgoff) == 3 && a >= lo && a < hi)
			off = a - lo + pgoff;
	fclose(f);
	ck_assert_uint_ne(off, 0);
	return off;
}

static int usable(void)
{
	return geteuid() == 0 && access("/sys/bus/event_source/devices/uprobe/type", R_OK) == 0;
}

START_TEST(test_bad_offset_leaves_nothing)
{
	lp_opener op = { lp_events_sysopen, NULL };
	/* A good probe (placed, then removed), then one past the end of the file. */
	lp_probe pr[2] = { { NULL, self_offset((uintptr_t)&usable) }, { NULL, 1ull << 40 } };
	char self[PATH_MAX];
	lp_probes *p = NULL;
	lp_error err = { 0 };
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (!usable())
		return;
	ck_assert_int_gt(n, 0);
	self[n] = '\0';
	pr[0].path = self;
	pr[1].path = self;
	setenv("LINEPROF_UPROBES", "tracefs", 1);
	ck_assert_int_eq(lp_probes_open(&p, pr, 2, getpid(), &op, &err), LP_EFAIL);
	ck_assert_msg(strstr(err.msg, "cannot place a uprobe at ") && strstr(err.msg, "+0x10000000000"),
		      "%s", err.msg);
	ck_assert_int_eq(lp_probes_inherited(p), 1);
	lp_probes_free(p);
	ck_assert_int_eq(our_events(), 0);
	unsetenv("LINEPROF_UPROBES");
}
END_TEST

/* The calibration measures something, the emulated probe costing less. */
START_TEST(test_calibrate)
{
	lp_opener op = { lp_events_sysopen, NULL };
	lp_probes *p = NULL;
	lp_error err = { 0 };
	double lo, hi;
	pid_t child;
	int status;

	if (!usable())
		return;
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	ck_assert_int_eq(lp_probes_open(&p, NULL, 0, child, &op, &err), LP_OK);
	ck_assert_int_eq(lp_probes_calibrate(p, &lo, &hi), 0);
	ck_assert_msg(lo > 0 && hi >= lo && hi < 1e6, "%g-%g ns", lo, hi);
	lp_probes_free(p);
	ck_assert_int_eq(our_events(), 0);
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("probe");
	TCase *tc = tcase_create("probe");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_bad_offset_leaves_nothing);
	tcase_add_test(tc, test_calibrate);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
