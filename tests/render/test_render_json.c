/* The JSON export (--json): metadata, functions and the CSV's rows, exact text. */
#include <check.h>

#include "../lp_check.h"
#include <signal.h>

#include "fake.h"
#include "render.h"

static fake f;

static void teardown(void)
{
	fake_free(&f);
}

/*
 * Everything at once: metadata, a second event, hits, and a function name
 * that needs escaping (quote, newline and \x01 as \u00XX, the invalid byte
 * as U+FFFD).
 */
START_TEST(test_json_exact)
{
	lp_view_opts o;
	char expect[16384], *got;

	ck_assert_int_eq(fake_build_opts(&f, FAKE_META | FAKE_EVENTS2 | FAKE_HITS | FAKE_ODD), LP_OK);
	lp_view_opts_init(&o);
	o.color = LP_COLOR_ALWAYS;
	snprintf(expect, sizeof(expect),
		 "{\n"
		 "  \"lineprof_version\": \"" LP_VERSION "\",\n"
		 "  \"command\": \"./prog 'a \\\"b\\\"'\",\n"
		 "  \"start_time\": 1700000000,\n"
		 "  \"start_time_utc\": \"2023-11-14T22:13:20Z\",\n"
		 "  \"wall_s\": 0.060000000,\n"
		 "  \"cpu_s\": 0.050000000,\n"
		 "  \"user_s\": null,\n"
		 "  \"sys_s\": null,\n"
		 "  \"unattributed_s\": 0.000000000,\n"
		 "  \"time_s\": 0.050000000,\n"
		 "  \"sys_sampled_s\": null,\n"
		 "  \"off_cpu_s\": null,\n"
		 "  \"off_cpu_lost_s\": null,\n"
		 "  \"kernel_samples\": false,\n"
		 "  \"off_cpu\": false,\n"
		 "  \"sys_samples\": null,\n"
		 "  \"timer_unit\": 1e-06,\n"
		 "  \"samples\": 50,\n"
		 "  \"lost\": 2,\n"
		 "  \"throttled\": 1,\n"
		 "  \"exit_status\": 3,\n"
		 "  \"exit_signal\": null,\n"
		 "  \"callchain\": false,\n"
		 "  \"events\": [\n"
		 "    {\"name\": \"cycles\", \"measured\": \"cpu-clock\", \"freq\": 1000, "
		   "\"period\": 0, \"total\": 50000000},\n"
		 "    {\"name\": \"instructions\", \"measured\": \"instructions\", \"freq\": 0, "
		   "\"period\": 0, \"total\": 3157}\n"
		 "  ],\n"
		 "  \"metrics\": [],\n"
		 "  \"processes\": [],\n"
		 "  \"threads\": [],\n"
		 "  \"mpi_samples\": 0,\n"
		 "  \"mpi_s\": 0.000000000,\n"
		 "  \"by\": \"none\",\n"
		 "  \"groups\": [],\n"
		 "  \"functions\": [\n"
		 "    {\"name\": \"hot\", \"linkage_name\": \"_Z3hoti\", \"file\": \"%s\", \"line\": 1, "
		   "\"module\": \"/nonexistent/prog\", \"self_samples\": 40, "
		   "\"self_s\": 0.040000000, \"self_percent\": 80.000000, \"total_samples\": 40, "
		   "\"total_s\": 0.040000000, \"total_percent\": 80.000000, "
		   "\"self_sys_s\": null, \"total_sys_s\": null, \"self_off_cpu_s\": null, "
		   "\"total_off_cpu_s\": null, \"self_wall_s\": null, \"total_wall_s\": null, "
		   "\"self_values\": [40000000, 3107]},\n"
		 "    {\"name\": \"main<a,\\\"b\\\">\\u000a\\u0001\\ufffd\", \"linkage_name\": null, "
		   "\"file\": \"%s\", "
		   "\"line\": 9, \"module\": \"/nonexistent/prog\", \"self_samples\": 10, "
		   "\"self_s\": 0.010000000, \"self_percent\": 20.000000, \"total_samples\": 20, "
		   "\"total_s\": 0.020000000, \"total_percent\": 40.000000, "
		   "\"self_sys_s\": null, \"total_sys_s\": null, \"self_off_cpu_s\": null, "
		   "\"total_off_cpu_s\": null, \"self_wall_s\": null, \"total_wall_s\": null, "
		   "\"self_values\": [10000000, 50]}\n"
		 "  ],\n"
		 "  \"loops\": [],\n"
		 "  \"lines\": [\n"
		 "    {\"file\": \"%s\", \"line\": 5, \"function\": \"hot\", "
		   "\"linkage_name\": \"_Z3hoti\", \"samples\": 30, "
		   "\"time_s\": 0.030000000, \"percent\": 60.000000, "
		   "\"percent_of_function\": 75.000000, \"ci_low\": 46.181438, "
		   "\"ci_high\": 72.391610, \"values\": [30000000, 3007], \"incl_samples\": 30, "
		   "\"incl_time_s\": 0.030000000, \"incl_percent\": 60.000000, "
		   "\"sys_s\": null, \"off_cpu_s\": null, \"wall_s\": null, \"sys_samples\": null, "
		   "\"off_cpu_count\": null, \"off_blocked_s\": null, \"off_runnable_s\": null, "
		   "\"wait\": null, \"waits\": {}, \"incl_sys_s\": null, \"incl_off_cpu_s\": null, "
		   "\"incl_wall_s\": null, \"hits\": 1000000},\n"
		 "    {\"file\": \"%s\", \"line\": 4, \"function\": \"hot\", "
		   "\"linkage_name\": \"_Z3hoti\", \"samples\": 10, "
		   "\"time_s\": 0.010000000, \"percent\": 20.000000, "
		   "\"percent_of_function\": 25.000000, \"ci_low\": 11.243750, "
		   "\"ci_high\": 33.037106, \"values\": [10000000, 100], \"incl_samples\": 10, "
		   "\"incl_time_s\": 0.010000000, \"incl_percent\": 20.000000, "
		   "\"sys_s\": null, \"off_cpu_s\": null, \"wall_s\": null, \"sys_samples\": null, "
		   "\"off_cpu_count\": null, \"off_blocked_s\": null, \"off_runnable_s\": null, "
		   "\"wait\": null, \"waits\": {}, \"incl_sys_s\": null, \"incl_off_cpu_s\": null, "
		   "\"incl_wall_s\": null, \"hits\": 1001},\n"
		 "    {\"file\": \"%s\", \"line\": 11, "
		   "\"function\": \"main<a,\\\"b\\\">\\u000a\\u0001\\ufffd\", "
		   "\"linkage_name\": null, \"samples\": 10, "
		   "\"time_s\": 0.010000000, \"percent\": 20.000000, "
		   "\"percent_of_function\": 100.000000, \"ci_low\": 11.243750, "
		   "\"ci_high\": 33.037106, \"values\": [10000000, 50], \"incl_samples\": 20, "
		   "\"incl_time_s\": 0.020000000, \"incl_percent\": 40.000000, "
		   "\"sys_s\": null, \"off_cpu_s\": null, \"wall_s\": null, \"sys_samples\": null, "
		   "\"off_cpu_count\": null, \"off_blocked_s\": null, \"off_runnable_s\": null, "
		   "\"wait\": null, \"waits\": {}, \"incl_sys_s\": null, \"incl_off_cpu_s\": null, "
		   "\"incl_wall_s\": null, \"hits\": null},\n"
		 "    {\"file\": \"%s\", \"line\": 6, \"function\": \"hot\", "
		   "\"linkage_name\": \"_Z3hoti\", \"samples\": 0, "
		   "\"time_s\": 0.000000000, \"percent\": 0.000000, "
		   "\"percent_of_function\": 0.000000, \"ci_low\": 0.000000, "
		   "\"ci_high\": 7.134760, \"values\": [0, 0], \"incl_samples\": 0, "
		   "\"incl_time_s\": 0.000000000, \"incl_percent\": 0.000000, "
		   "\"sys_s\": null, \"off_cpu_s\": null, \"wall_s\": null, \"sys_samples\": null, "
		   "\"off_cpu_count\": null, \"off_blocked_s\": null, \"off_runnable_s\": null, "
		   "\"wait\": null, \"waits\": {}, \"incl_sys_s\": null, \"incl_off_cpu_s\": null, "
		   "\"incl_wall_s\": null, \"hits\": 1}\n"
		 "  ]\n"
		 "}\n",
		 f.file, f.file, f.file, f.file, f.file, f.file);
	got = fake_render(&f, lp_render_json, &o);
	ck_assert_str_eq(got, expect);
	free(got);
}
END_TEST

/* What was not recorded is null; a killed target has 128+N and its signal. */
START_TEST(test_json_unknowns)
{
	lp_view_opts o;
	char *got;

	ck_assert_int_eq(fake_build(&f), LP_OK);
	lp_view_opts_init(&o);
	o.unit = 1e-3;
	got = fake_render(&f, lp_render_json, &o);
	ck_assert_ptr_nonnull(strstr(got, "\n  \"command\": null,\n"
					  "  \"start_time\": null,\n"
					  "  \"start_time_utc\": null,\n"));
	ck_assert_ptr_nonnull(strstr(got, "\n  \"timer_unit\": 0.001,\n"));
	ck_assert_ptr_nonnull(strstr(got, "\n  \"exit_status\": null,\n  \"exit_signal\": null,\n"));
	ck_assert_ptr_nonnull(strstr(got, "\"values\": [30000000], \"incl_samples\": 30, "
					  "\"incl_time_s\": 0.030000000, \"incl_percent\": 60.000000, "
					  "\"sys_s\": null, \"off_cpu_s\": null, \"wall_s\": null, "));
	ck_assert_ptr_nonnull(strstr(got, "\"incl_wall_s\": null, \"hits\": null}"));
	/* Neither kernel mode nor off-CPU time was recorded; rusage unknown. */
	ck_assert_ptr_nonnull(strstr(got, "\n  \"user_s\": null,\n  \"sys_s\": null,\n"));
	ck_assert_ptr_nonnull(strstr(got, "\n  \"kernel_samples\": false,\n  \"off_cpu\": false,\n"));
	free(got);
	f.prof->exit_status = SIGKILL;
	got = fake_render(&f, lp_render_json, &o);
	ck_assert_ptr_nonnull(strstr(got, "\n  \"exit_status\": 137,\n  \"exit_signal\": 9,\n"));
	free(got);
}
END_TEST

/* -f: those functions and their lines; -z drops those without samples; a miss is an error. */
START_TEST(test_json_functions)
{
	const char *fns[] = { "hot", "other" };
	lp_view_opts o;
	char expect[4096], *got, *functions;

	ck_assert_int_eq(fake_build_opts(&f, FAKE_MORE), LP_OK);
	lp_view_opts_init(&o);
	o.functions = fns;
	o.nfunctions = 2;
	snprintf(expect, sizeof(expect),
		 "  \"functions\": [\n"
		 "    {\"name\": \"hot\", \"linkage_name\": \"_Z3hoti\", \"file\": \"%s\", \"line\": 1, "
		   "\"module\": \"/nonexistent/prog\", \"self_samples\": 40, \"self_s\": 0.040000000, "
		   "\"self_percent\": 66.666667, \"total_samples\": 40, \"total_s\": 0.040000000, "
		   "\"total_percent\": 66.666667, "
		   "\"self_sys_s\": null, \"total_sys_s\": null, \"self_off_cpu_s\": null, "
		   "\"total_off_cpu_s\": null, \"self_wall_s\": null, \"total_wall_s\": null, "
		   "\"self_values\": [40000000]},\n"
		 "    {\"name\": \"other\", \"linkage_name\": null, \"file\": \"%s\", \"line\": 1, "
		   "\"module\": \"/nonexistent/prog\", \"self_samples\": 5, \"self_s\": 0.005000000, "
		   "\"self_percent\": 8.333333, \"total_samples\": 5, \"total_s\": 0.005000000, "
		   "\"total_percent\": 8.333333, "
		   "\"self_sys_s\": null, \"total_sys_s\": null, \"self_off_cpu_s\": null, "
		   "\"total_off_cpu_s\": null, \"self_wall_s\": null, \"total_wall_s\": null, "
		   "\"self_values\": [5000000]}\n"
		 "  ],\n"
		 "  \"loops\": [],\n"
		 "  \"lines\": [\n"
		 "    {\"file\": \"%s\", \"line\": 5, \"function\": \"hot\", "
		   "\"linkage_name\": \"_Z3hoti\", \"samples\": 30, "
		   "\"time_s\": 0.030000000, \"percent\": 50.000000, \"percent_of_function\": 75.000000, "
		   "\"ci_low\": 37.735024, \"ci_high\": 62.264976, \"values\": [30000000], "
		   "\"incl_samples\": 30, \"incl_time_s\": 0.030000000, \"incl_percent\": 50.000000, "
		   "\"sys_s\": null, \"off_cpu_s\": null, \"wall_s\": null, \"sys_samples\": null, "
		   "\"off_cpu_count\": null, \"off_blocked_s\": null, \"off_runnable_s\": null, "
		   "\"wait\": null, \"waits\": {}, \"incl_sys_s\": null, \"incl_off_cpu_s\": null, "
		   "\"incl_wall_s\": null, \"hits\": null},\n"
		 "    {\"file\": \"%s\", \"line\": 4, \"function\": \"hot\", "
		   "\"linkage_name\": \"_Z3hoti\", \"samples\": 10, "
		   "\"time_s\": 0.010000000, \"percent\": 16.666667, \"percent_of_function\": 25.000000, "
		   "\"ci_low\": 9.313177, \"ci_high\": 28.031613, \"values\": [10000000], "
		   "\"incl_samples\": 10, \"incl_time_s\": 0.010000000, \"incl_percent\": 16.666667, "
		   "\"sys_s\": null, \"off_cpu_s\": null, \"wall_s\": null, \"sys_samples\": null, "
		   "\"off_cpu_count\": null, \"off_blocked_s\": null, \"off_runnable_s\": null, "
		   "\"wait\": null, \"waits\": {}, \"incl_sys_s\": null, \"incl_off_cpu_s\": null, "
		   "\"incl_wall_s\": null, \"hits\": null},\n"
		 "    {\"file\": \"%s\", \"line\": 2, \"function\": \"other\", "
		   "\"linkage_name\": null, \"samples\": 5, "
		   "\"time_s\": 0.005000000, \"percent\": 8.333333, \"percent_of_function\": 100.000000, "
		   "\"ci_low\": 3.612046, \"ci_high\": 18.068942, \"values\": [5000000], "
		   "\"incl_samples\": 5, \"incl_time_s\": 0.005000000, \"incl_percent\": 8.333333, "
		   "\"sys_s\": null, \"off_cpu_s\": null, \"wall_s\": null, \"sys_samples\": null, "
		   "\"off_cpu_count\": null, \"off_blocked_s\": null, \"off_runnable_s\": null, "
		   "\"wait\": null, \"waits\": {}, \"incl_sys_s\": null, \"incl_off_cpu_s\": null, "
		   "\"incl_wall_s\": null, \"hits\": null}\n"
		 "  ]\n"
		 "}\n",
		 f.file, f.file2, f.file, f.file, f.file2);
	got = fake_render(&f, lp_render_json, &o);
	functions = strstr(got, "  \"functions\": [");
	ck_assert_ptr_nonnull(functions);
	ck_assert_str_eq(functions, expect);
	free(got);
	/* A name that matches nothing is an error, with the nearest names. */
	fns[0] = "hto";
	got = fake_render(&f, lp_render_json, &o);
	ck_assert_msg(strstr(got, "ERROR lineprof: function 'hto' not found in the profiled binaries "
			      "(prog); closest: hot") == got, "%s", got);
	free(got);
}
END_TEST

/* A row without line info: file and line are null. */
START_TEST(test_json_no_line_info)
{
	lp_view_opts o;
	char *got;

	ck_assert_int_eq(fake_build_opts(&f, FAKE_MORE), LP_OK);
	lp_view_opts_init(&o);
	got = fake_render(&f, lp_render_json, &o);
	ck_assert_ptr_nonnull(strstr(got, "\n    {\"file\": null, \"line\": null, "
					  "\"function\": \"[prog+0x70]\", \"linkage_name\": null, "
					  "\"samples\": 5, "));
	free(got);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("render-json");
	TCase *tc = tcase_create("json");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_json_exact);
	tcase_add_test(tc, test_json_unknowns);
	tcase_add_test(tc, test_json_functions);
	tcase_add_test(tc, test_json_no_line_info);
	suite_add_tcase(s, tc);
	return lp_check_run(s);
}
