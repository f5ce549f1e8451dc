/*
 * Sys, Off-CPU and Wall in every view, on a synthetic profile whose every
 * number is known (fake.h, FAKE_WAITS): Time is each line's own
 * nanoseconds, kernel time and waits are their lines' own, Wall is the
 * sum, and nothing is shared out.
 */
#include <check.h>

#include "../lp_check.h"

#include "fake.h"
#include "render.h"

static fake f;

static void teardown(void)
{
	fake_free(&f);
}

static char *render(lp_render_fn *fn, const char *function, lp_view_opts *o)
{
	static const char *fns[1];

	if (function) {
		fns[0] = function;
		o->functions = fns;
		o->nfunctions = 1;
	}
	return fake_render(&f, fn, o);
}

/* Where want starts in text, -1 if nowhere (not inlined: gcc 12 mistakes the text for a local). */
__attribute__((noinline)) static long pos_of(const char *text, const char *want)
{
	const char *hit = strstr(text, want);

	return hit ? (long)(hit - text) : -1;
}

START_TEST(test_table_waits)
{
	lp_view_opts o;
	char expect[4096], *got;

	ck_assert_int_eq(fake_build_opts(&f, FAKE_WAITS), LP_OK);
	lp_view_opts_init(&o);
	snprintf(expect, sizeof(expect),
		 "Timer unit: 1e-06 s\n"
		 "\n"
		 "Samples: 50 of cpu-clock at 1000 Hz (asked for cycles, not available here); "
		 "CPU time 0.056 s, wall 0.060 s\n"
		 "CPU: sampled user 0.050 s + sys 0.005 s of task-clock 0.056 s (rusage: user 0.048 s, "
		 "sys 0.008 s); not attributed to a line: 0.001 s\n"
		 "Off-CPU: 0.028 s in 3 waits (blocked 0.020 s, runnable 0.008 s); "
		 "Wall = Time + Sys + Off-CPU, thread time: 0.083 s\n"
		 "\n"
		 "Total time: 0.04 s (Sys 0.005 s, Off-CPU 0.028 s, Wall 0.073 s)\n"
		 "File: %s\n"
		 "Function: hot at line 1\n"
		 "\n"
		 "Line #   Samples         Time   %% Time        Sys    Off-CPU         Wall  Line Contents\n"
		 "========================================================================================\n"
		 "     1                                                                     int hot(int n)\n"
		 "     2                                                                     {\n"
		 "     3                                                                     \tint s = 0;\n"
		 "     4        10      10000.0     25.0     5000.0        0.0      15000.0  \tfor (int i = 0; i < n; i++)\n"
		 "     5        30      30000.0     75.0        0.0    20000.0      50000.0  \t\ts += i * i;\n"
		 "     6         0          0.0      0.0        0.0     8000.0       8000.0  \treturn s;\n"
		 "     7                                                                     }\n"
		 "\n"
		 "  0.040000 seconds  80.0%%  %s:1 - hot (wall 0.073000 s)\n",
		 f.file, f.file);
	got = render(lp_render_table, "hot", &o);
	ck_assert_str_eq(got, expect);
	free(got);
	/* main calls hot inlined: its line holds hot's 10 ms, so Incl. Wall (and Incl. Time). */
	lp_view_opts_init(&o);
	got = render(lp_render_table, "main", &o);
	lp_ck_has(got, "Line #   Samples         Time   % Time   Incl. Time        Sys    Off-CPU         Wall"
		 "   Incl. Wall  Line Contents\n");
	lp_ck_has(got, "    11        10      10000.0    100.0      20000.0        0.0        0.0      10000.0"
		 "      20000.0  \treturn hot(1000);\n");
	free(got);
}
END_TEST

/*
 * Hottest by Time + Sys + blocked time: the line that blocked longest (line
 * 5) tops lines that ran more; waiting for a CPU (line 6) does not rank.
 */
START_TEST(test_top_waits)
{
	lp_view_opts o;
	char *got;
	long at[4];
	const int lines[4] = { 5, 4, 11, 6 }; /* 50, 15, 10 and 0 ms (8 ms runnable) */

	ck_assert_int_eq(fake_build_opts(&f, FAKE_WAITS), LP_OK);
	lp_view_opts_init(&o);
	got = render(lp_render_top, NULL, &o);
	lp_ck_has(got, "Hottest lines of the program (4 of 4 lines with samples or waits; "
		 "by Time + Sys + blocked Off-CPU):\n");
	lp_ck_has(got, "  Samples         Time   % Time        Sys    Off-CPU         Wall  Line");
	for (int i = 0; i < 4; i++) {
		char want[256];

		snprintf(want, sizeof(want), "%s:%d ", f.file, lines[i]);
		at[i] = pos_of(got, want);
		ck_assert_msg(at[i] >= 0, "line %d in:\n%s", lines[i], got);
	}
	ck_assert_msg(at[0] < at[1] && at[1] < at[2] && at[2] < at[3], "by Wall:\n%s", got);
	lp_ck_has(got, "        0          0.0      0.0        0.0     8000.0       8000.0  ");
	free(got);
}
END_TEST

START_TEST(test_listing_waits)
{
	lp_view_opts o;
	char *got;

	ck_assert_int_eq(fake_build_opts(&f, FAKE_WAITS), LP_OK);
	lp_view_opts_init(&o);
	o.listing = 1;
	got = render(lp_render_listing, NULL, &o);
	lp_ck_has(got, "Total time: 0.05 s (Sys 0.005 s, Off-CPU 0.028 s, Wall 0.083 s)\n");
	lp_ck_has(got, "Line #   Samples         Time   % Prog    Incl.        Sys    Off-CPU         Wall"
		 "  Line Contents\n");
	lp_ck_has(got, "     6         0          0.0      0.0                 0.0     8000.0       8000.0  "
		 "\treturn s;\n");
	free(got);
}
END_TEST

START_TEST(test_csv_waits)
{
	lp_view_opts o;
	char *got, row[512];

	ck_assert_int_eq(fake_build_opts(&f, FAKE_WAITS), LP_OK);
	lp_view_opts_init(&o);
	got = render(lp_render_csv, NULL, &o);
	lp_ck_has(got, "ci_low,ci_high,sys_s,off_cpu_s,wall_s,sys_samples,off_cpu_count,off_blocked_s,"
		 "off_runnable_s,wait,incl_wall_s,cpu-clock,linkage_name\r\n");
	snprintf(row, sizeof(row), "%s,5,hot,30,0.030000000,60.000000,75.000000,46.181438,72.391610,"
		 "0.000000000,0.020000000,0.050000000,0,2,0.020000000,0.000000000,other,0.050000000,"
		 "30000000,_Z3hoti\r\n", f.file);
	lp_ck_has(got, row);
	snprintf(row, sizeof(row), "%s,4,hot,10,0.010000000,20.000000,25.000000,11.243750,33.037106,"
		 "0.005000000,0.000000000,0.015000000,5,0,0.000000000,0.000000000,,0.015000000,"
		 "10000000,_Z3hoti\r\n", f.file);
	lp_ck_has(got, row);
	snprintf(row, sizeof(row), "%s,6,hot,0,0.000000000,0.000000,0.000000,0.000000,7.134760,"
		 "0.000000000,0.008000000,0.008000000,0,1,0.000000000,0.008000000,preempted,"
		 "0.008000000,0,_Z3hoti\r\n", f.file);
	lp_ck_has(got, row);
	free(got);
}
END_TEST

START_TEST(test_json_waits)
{
	lp_view_opts o;
	char *got;

	ck_assert_int_eq(fake_build_opts(&f, FAKE_WAITS), LP_OK);
	lp_view_opts_init(&o);
	got = render(lp_render_json, NULL, &o);
	lp_ck_has(got, "  \"wall_s\": 0.060000000,\n"
		 "  \"cpu_s\": 0.056000000,\n"
		 "  \"user_s\": 0.048000000,\n"
		 "  \"sys_s\": 0.008000000,\n"
		 "  \"unattributed_s\": 0.001000000,\n"
		 "  \"time_s\": 0.050000000,\n"
		 "  \"sys_sampled_s\": 0.005000000,\n"
		 "  \"off_cpu_s\": 0.028000000,\n"
		 "  \"off_cpu_lost_s\": 0.000000000,\n"
		 "  \"kernel_samples\": true,\n"
		 "  \"off_cpu\": true,\n"
		 "  \"sys_samples\": 5,\n");
	lp_ck_has(got, "\"self_sys_s\": 0.005000000, \"total_sys_s\": 0.005000000, "
		 "\"self_off_cpu_s\": 0.028000000, \"total_off_cpu_s\": 0.028000000, "
		 "\"self_wall_s\": 0.073000000, \"total_wall_s\": 0.073000000, ");
	lp_ck_has(got, "\"sys_s\": 0.000000000, \"off_cpu_s\": 0.020000000, \"wall_s\": 0.050000000, "
		 "\"sys_samples\": 0, \"off_cpu_count\": 2, \"off_blocked_s\": 0.020000000, "
		 "\"off_runnable_s\": 0.000000000, \"wait\": \"other\", \"waits\": {\"other\": 0.020000000}, ");
	lp_ck_has(got, "\"wait\": \"preempted\", \"waits\": {\"preempted\": 0.008000000}, ");
	free(got);
}
END_TEST

START_TEST(test_functions_waits)
{
	lp_view_opts o;
	char *got;

	ck_assert_int_eq(fake_build_opts(&f, FAKE_WAITS), LP_OK);
	lp_view_opts_init(&o);
	o.functions_view = 1;
	got = render(lp_render_functions, NULL, &o);
	lp_ck_has(got, "Function profile, sorted by self wall time: 2 functions with samples or waits\n");
	lp_ck_has(got, "  Samples  Self % Total %      Self s     Total s    Self sys   Total sys    Self off"
		 "   Total off   Self wall  Total wall  Module");
	lp_ck_has(got, "       40    80.0    80.0    0.040000    0.040000    0.005000    0.005000    0.028000"
		 "    0.028000    0.073000    0.073000  prog");
	free(got);
}
END_TEST

/* Callgrind: sys and off_cpu as events of their own, in nanoseconds. */
START_TEST(test_callgrind_waits)
{
	lp_view_opts o;
	char *got;

	ck_assert_int_eq(fake_build_opts(&f, FAKE_WAITS), LP_OK);
	lp_view_opts_init(&o);
	got = render(lp_render_callgrind, NULL, &o);
	lp_ck_has(got, "event: sys : Sys (ns in kernel mode)\nevent: off_cpu : Off-CPU (ns waiting)\n"
		 "events: cpu_clock samples sys off_cpu\nsummary: 50000000 50 5000000 28000000\n");
	/* Per instruction (positions: instr line): 0x10 line 4, 0x20 and 0x40 line 5, 0x50 line 6. */
	lp_ck_has(got, "\n0x10 4 10000000 10 5000000 0\n0x20 5 20000000 20 0 20000000\n"
		 "0x40 5 10000000 10 0 0\n0x50 6 0 0 0 8000000\n");
	/* A call site's inclusive cost carries them too (hot inlined in main: no sys, no waits). */
	lp_ck_has(got, "calls=10 0x10 1\n0x40 11 10000000 10 0 0\n");
	free(got);
}
END_TEST

/* --folded-event: one quantity per file, in nanoseconds; what was not recorded is refused. */
START_TEST(test_folded_events)
{
	lp_view_opts o;
	lp_render_ctx ctx = { .rep = &f.rep, .opts = &o };
	lp_error err = { 0 };
	char *got;

	ck_assert_int_eq(fake_build_opts(&f, FAKE_WAITS), LP_OK);
	lp_view_opts_init(&o);
	o.diag = NULL;
	o.folded_event = LP_FOLDED_WALL;
	got = render(lp_render_folded, NULL, &o);
	ck_assert_str_eq(got, "hot 63000000\nmain 10000000\nmain;hot 10000000\n");
	free(got);
	o.folded_event = LP_FOLDED_OFF;
	got = render(lp_render_folded, NULL, &o);
	ck_assert_str_eq(got, "hot 28000000\n");
	free(got);
	o.folded_event = LP_FOLDED_SAMPLES;
	got = render(lp_render_folded, NULL, &o);
	ck_assert_str_eq(got, "hot 30\nmain 10\nmain;hot 10\n");
	free(got);
	/* Off-CPU without kernel samples: no Wall (its Sys part is missing), refused as a Sys is. */
	f.rep.has_sys = 0;
	o.folded_event = LP_FOLDED_WALL;
	ck_assert_int_eq(lp_render_folded_check(&ctx, &err), LP_EUSAGE);
	ck_assert_msg(strstr(err.msg, "--folded-event wall: this profile has no kernel samples"), "%s", err.msg);
	memset(&err, 0, sizeof(err));
	fake_free(&f);
	ck_assert_int_eq(fake_build(&f), LP_OK);
	ctx.rep = &f.rep;
	o.folded_event = LP_FOLDED_OFF;
	ck_assert_int_eq(lp_render_folded_check(&ctx, &err), LP_EUSAGE);
	ck_assert_str_eq(err.msg, "lineprof: --folded-event off-cpu: this profile has no off-CPU "
				  "time (recorded with --no-off-cpu, or not allowed)");
	o.folded_event = LP_FOLDED_TIME;
	ck_assert_int_eq(lp_render_folded_check(&ctx, &err), LP_OK);
}
END_TEST

/* Off-CPU recorded but no thread ever waited: the column is there, and zero. */
START_TEST(test_never_waited)
{
	lp_view_opts o;
	char *got;

	ck_assert_int_eq(fake_build(&f), LP_OK);
	f.prof->kernel = f.prof->off_cpu = 1;
	lp_report_free(&f.rep);
	{
		lp_symbolizer sym = { .lookup = fake_lookup, .span = fake_span, .ctx = &f };
		lp_error err = { 0 };

		ck_assert_int_eq(lp_report_build(&f.rep, f.prof, &sym, &err), LP_OK);
	}
	lp_view_opts_init(&o);
	got = render(lp_render_table, "hot", &o);
	lp_ck_has(got, "Off-CPU: 0.000 s in 0 waits (blocked 0.000 s, runnable 0.000 s); ");
	lp_ck_has(got, "     5        30      30000.0     75.0        0.0        0.0      30000.0  \t\ts += i * i;\n");
	free(got);
}
END_TEST

/* Where a thread waited, from the function it left the CPU in. */
START_TEST(test_wait_kinds)
{
	ck_assert_int_eq(lp_wait_kind("__GI___clock_nanosleep", 0, 1), LP_WAIT_SLEEP);
	ck_assert_int_eq(lp_wait_kind("__clock_nanosleep_time64", 0, 1), LP_WAIT_SLEEP);
	ck_assert_int_eq(lp_wait_kind("__libc_read", 0, 1), LP_WAIT_IO);
	ck_assert_int_eq(lp_wait_kind("__pread64_nocancel", 0, 1), LP_WAIT_IO);
	ck_assert_int_eq(lp_wait_kind("read@@GLIBC_2.2.5", 0, 1), LP_WAIT_IO);
	ck_assert_int_eq(lp_wait_kind("epoll_wait", 0, 1), LP_WAIT_IO);
	ck_assert_int_eq(lp_wait_kind("__GI___poll", 0, 1), LP_WAIT_IO);
	ck_assert_int_eq(lp_wait_kind("__futex_abstimed_wait_common64", 0, 1), LP_WAIT_LOCK);
	ck_assert_int_eq(lp_wait_kind("__lll_lock_wait", 0, 1), LP_WAIT_LOCK);
	ck_assert_int_eq(lp_wait_kind("pthread_cond_wait@@GLIBC_2.3.2", 0, 1), LP_WAIT_LOCK);
	ck_assert_int_eq(lp_wait_kind("__new_sem_wait_slow64", 0, 1), LP_WAIT_LOCK);
	ck_assert_int_eq(lp_wait_kind("__sched_yield", 1, 1), LP_WAIT_YIELD);
	ck_assert_int_eq(lp_wait_kind("crunch", 1, -1), LP_WAIT_PREEMPTED);
	ck_assert_int_eq(lp_wait_kind("__libc_read", 1, -1), LP_WAIT_PREEMPTED);
	ck_assert_int_eq(lp_wait_kind("crunch", 0, 0), LP_WAIT_PAGEIN);
	/* A function named like a call that blocked where no call was made: a fault, whatever its name. */
	ck_assert_int_eq(lp_wait_kind("sync", 0, 0), LP_WAIT_PAGEIN);
	ck_assert_int_eq(lp_wait_kind("sem_post", 0, 0), LP_WAIT_PAGEIN);
	ck_assert_int_eq(lp_wait_kind("__wait4", 0, 1), LP_WAIT_OTHER);
	ck_assert_int_eq(lp_wait_kind("[libmpi.so+0x1234]", 0, -1), LP_WAIT_OTHER);
	ck_assert_str_eq(lp_wait_name(LP_WAIT_PAGEIN), "page-in");
	ck_assert_ptr_null(lp_wait_name(LP_NWAIT));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("render-waits");
	TCase *tc = tcase_create("waits");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_table_waits);
	tcase_add_test(tc, test_top_waits);
	tcase_add_test(tc, test_listing_waits);
	tcase_add_test(tc, test_csv_waits);
	tcase_add_test(tc, test_json_waits);
	tcase_add_test(tc, test_functions_waits);
	tcase_add_test(tc, test_callgrind_waits);
	tcase_add_test(tc, test_folded_events);
	tcase_add_test(tc, test_never_waited);
	tcase_add_test(tc, test_wait_kinds);
	suite_add_tcase(s, tc);
	return lp_check_run(s);
}
