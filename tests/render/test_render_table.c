/* The line_profiler table and the hottest-lines view, as exact text. */
#include <check.h>

#include "../lp_check.h"

#include "fake.h"
#include "render.h"

static fake f;

static void setup(void)
{
	ck_assert_int_eq(fake_build(&f), LP_OK);
}

static void teardown(void)
{
	fake_free(&f);
}

START_TEST(test_table_exact)
{
	const char *fns[] = { "hot" };
	lp_view_opts o;
	char expect[4096], *got;

	lp_view_opts_init(&o);
	o.functions = fns;
	o.nfunctions = 1;
	snprintf(expect, sizeof(expect),
		 "Timer unit: 1e-06 s\n"
		 "\n"
		 "Samples: 50 of cpu-clock at 1000 Hz (asked for cycles, not available here); "
		 "CPU time 0.050 s, wall 0.060 s\n"
		 "CPU: sampled user 0.050 s of task-clock 0.050 s; not attributed to a line: 0.000 s, "
		 "all system time included: kernel mode was not sampled (Sys and Off-CPU need "
		 "kernel.perf_event_paranoid <= 1 or root: sysctl -w kernel.perf_event_paranoid=1)\n"
		 "\n"
		 "Total time: 0.04 s\n"
		 "File: %s\n"
		 "Function: hot at line 1\n"
		 "\n"
		 "Line #   Samples         Time   %% Time  Line Contents\n"
		 "=====================================================\n"
		 "     1                                  int hot(int n)\n"
		 "     2                                  {\n"
		 "     3                                  \tint s = 0;\n"
		 "     4        10      10000.0     25.0  \tfor (int i = 0; i < n; i++)\n"
		 "     5        30      30000.0     75.0  \t\ts += i * i;\n"
		 "     6                                  \treturn s;\n"
		 "     7                                  }\n"
		 "\n"
		 "  0.040000 seconds  80.0%%  %s:1 - hot\n",
		 f.file, f.file);
	got = fake_render(&f, lp_render_table, &o);
	ck_assert_str_eq(got, expect);
	free(got);
}
END_TEST

/* Wider numbers widen their column, and the rule follows the header. */
START_TEST(test_table_widens)
{
	const char *fns[] = { "main" };
	lp_view_opts o;
	char *got;

	lp_view_opts_init(&o);
	o.functions = fns;
	o.nfunctions = 1;
	o.unit = 1e-12;
	got = fake_render(&f, lp_render_table, &o);
	/*
	 * 0.01 s in picoseconds is 13 characters: Time widens from 12 to 13.
	 * Line 11 calls hot (inlined): its Incl. Time, 0.02 s, widens to 13 too.
	 */
	ck_assert_msg(strstr(got, "Line #   Samples          Time   % Time    Incl. Time  Line Contents\n"
				  "====================================================================\n") != NULL,
		      "%s", got);
	ck_assert_msg(strstr(got, "    11        10 10000000000.0    100.0 20000000000.0  \treturn hot(1000);\n")
		      != NULL, "%s", got);
	free(got);
}
END_TEST

START_TEST(test_ci_column)
{
	const char *fns[] = { "hot" };
	lp_view_opts o;
	double lo, hi;
	char *got, row[256];

	lp_view_opts_init(&o);
	o.functions = fns;
	o.nfunctions = 1;
	o.ci = 1;
	/* 30 of 40: Wilson 95 % is [0.5980, 0.8581]; the wider side is 0.1520. */
	lp_render_wilson(30, 40, &lo, &hi);
	ck_assert_double_eq_tol(lo, 0.5980, 0.0005);
	ck_assert_double_eq_tol(hi, 0.8581, 0.0005);
	got = fake_render(&f, lp_render_table, &o);
	snprintf(row, sizeof(row), "     5        30      30000.0     75.0   15.2  \t\ts += i * i;\n");
	ck_assert_msg(strstr(got, row) != NULL, "%s", got);
	free(got);
}
END_TEST

/* A name that matches nothing fails before any table, with the nearest names. */
START_TEST(test_skip_zero_and_unknown)
{
	const char *fns[] = { "nosuch", "hot" };
	lp_view_opts o;
	char *got;

	lp_view_opts_init(&o);
	o.functions = fns;
	o.nfunctions = 2;
	got = fake_render(&f, lp_render_table, &o);
	ck_assert_msg(strstr(got, "ERROR lineprof: function 'nosuch' not found in the profiled "
			      "binaries (prog); closest: ") == got, "%s", got);
	ck_assert_ptr_null(strstr(got, "Function:"));
	free(got);
	fns[0] = "main";
	o.skip_zero = 1;
	got = fake_render(&f, lp_render_table, &o);
	ck_assert_ptr_nonnull(strstr(got, "Function: main at line 9"));
	ck_assert_ptr_nonnull(strstr(got, "Function: hot at line 1"));
	free(got);
}
END_TEST

START_TEST(test_top_exact)
{
	lp_view_opts o;
	char expect[4096], *got, loc5[200], loc4[200], loc11[200];

	lp_view_opts_init(&o);
	snprintf(loc5, sizeof(loc5), "%s:5", f.file);
	snprintf(loc4, sizeof(loc4), "%s:4", f.file);
	snprintf(loc11, sizeof(loc11), "%s:11", f.file);
	snprintf(expect, sizeof(expect),
		 "Timer unit: 1e-06 s\n"
		 "\n"
		 "Samples: 50 of cpu-clock at 1000 Hz (asked for cycles, not available here); "
		 "CPU time 0.050 s, wall 0.060 s\n"
		 "CPU: sampled user 0.050 s of task-clock 0.050 s; not attributed to a line: 0.000 s, "
		 "all system time included: kernel mode was not sampled (Sys and Off-CPU need "
		 "kernel.perf_event_paranoid <= 1 or root: sysctl -w kernel.perf_event_paranoid=1)\n"
		 "\n"
		 "Hottest lines of the program (3 of 3 lines with samples):\n"
		 "\n"
		 "  Samples         Time   %% Time  Line                              Function\n"
		 "===========================================================================\n"
		 "       30      30000.0     60.0  %-32s  hot\n"
		 "       10      10000.0     20.0  %-32s  hot\n"
		 "       10      10000.0     20.0  %-32s  main\n"
		 "\n"
		 "Hint: lineprof -f hot ... shows every line of that function "
		 "(or: lineprof annotate -f hot FILE.lprof)\n",
		 loc5, loc4, loc11);
	got = fake_render(&f, lp_render_top, &o);
	ck_assert_str_eq(got, expect);
	free(got);
}
END_TEST

/* Inlined code: self goes to the innermost line, the call site gets it inclusively. */
START_TEST(test_inline_attribution)
{
	const lp_func_stat *hot = fake_func(&f.rep, "hot"), *mainf = fake_func(&f.rep, "main");
	const lp_line_stat *call = lp_report_line(&f.rep, f.file, 11, fake_fn(&f, fake_main));

	ck_assert_uint_eq(hot->self_samples, 40);
	ck_assert_uint_eq(mainf->self_samples, 10);
	ck_assert_uint_eq(mainf->total_samples, 20);
	ck_assert_uint_eq(call->samples, 10);
	ck_assert_uint_eq(call->incl_samples, 20);
	ck_assert_double_eq_tol(lp_report_seconds(&f.rep, hot->self_value[0]),
				0.040, 1e-9);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("render-table");
	TCase *tc = tcase_create("table");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_table_exact);
	tcase_add_test(tc, test_table_widens);
	tcase_add_test(tc, test_ci_column);
	tcase_add_test(tc, test_skip_zero_and_unknown);
	tcase_add_test(tc, test_top_exact);
	tcase_add_test(tc, test_inline_attribution);
	suite_add_tcase(s, tc);
	return lp_check_run(s);
}
