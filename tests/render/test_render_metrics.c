/*
 * Derived metrics (IPC, miss ratios): their values per line and per
 * function, and the rule that a metric is shown only when both of its
 * inputs were measured, judged by lp_event_info.measured, never by name.
 */
#include <check.h>

#include "../lp_check.h"

#include "fake.h"
#include "render.h"

static fake f;
static const char *fns[] = { "hot", "main" };

static void teardown(void)
{
	fake_free(&f);
}

static char *render(lp_render_fn *fn, int with_functions)
{
	lp_view_opts o;

	lp_view_opts_init(&o);
	if (with_functions) {
		o.functions = fns;
		o.nfunctions = 2;
	}
	return fake_render(&f, fn, &o);
}

/* The line of text that starts with prefix (after blanks), or NULL. */
static const char *line_of(const char *text, const char *prefix)
{
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		const char *s = l + strspn(l, " ");

		if (strncmp(s, prefix, strlen(prefix)) == 0)
			return l;
	}
	return NULL;
}

static void assert_line(const char *text, const char *want)
{
	ck_assert_msg(strstr(text, want), "missing line:\n%s\nin:\n%s", want, text);
}

/*
 * Line 5 of hot: 0x20 and its inlined copy 0x40: 50000 instructions over
 * 50000 cycles, 430 misses of 5000 branches. Line 4: 50000 / 20000 = 2.50,
 * 10 / 1000 = 1.0 %. main's line 11: no branches, so no branch-miss value.
 * cycles is no clock: no Time column, but the line's own cycles (never a
 * share of the run's task-clock), and in Incl. main's 10000 plus the
 * 10000 of hot inlined into it.
 */
START_TEST(test_table_metric_columns)
{
	char *got;

	ck_assert_int_eq(fake_build_opts(&f, FAKE_METRICS), LP_OK);
	got = render(lp_render_table, 1);
	assert_line(got,
		"Line #   Samples     cycles:p   % Time instructions   branches branch-misses    IPC "
		"Branch Miss %  Line Contents\n"
		"================================================================================"
		"================================\n");
	assert_line(got,
		"     4        10        20000     28.6        50000       1000            10   2.50"
		"           1.0  \tfor (int i = 0; i < n; i++)\n"
		"     5        30        50000     71.4        50000       5000           430   1.00"
		"           8.6  \t\ts += i * i;\n");
	assert_line(got,
		"    11        10        10000    100.0        20000        10000          0"
		"             0   1.00                \treturn hot(1000);\n");
	assert_line(got, "Total time: n/a s (cycles:p is not a clock: 70000 counted here)\n");
	ck_assert_msg(!strstr(got, "Cache Miss"), "no cache-miss column without its inputs:\n%s", got);
	free(got);
}
END_TEST

START_TEST(test_csv_metric_columns)
{
	char expect[4096], *got;

	ck_assert_int_eq(fake_build_opts(&f, FAKE_METRICS), LP_OK);
	snprintf(expect, sizeof(expect),
		 "file,line,function,samples,time_s,percent,percent_of_function,ci_low,ci_high,"
		 "sys_s,off_cpu_s,wall_s,sys_samples,off_cpu_count,off_blocked_s,off_runnable_s,wait,"
		 "incl_wall_s,cycles:p,instructions,branches,branch-misses,ipc,branch_miss_ratio,"
		 "linkage_name\r\n"
		 "%s,5,hot,30,,62.500000,71.428571,46.181438,72.391610,,,,,,,,,,"
		 "50000,50000,5000,430,1.000000,0.086000,_Z3hoti\r\n"
		 "%s,4,hot,10,,25.000000,28.571429,11.243750,33.037106,,,,,,,,,,"
		 "20000,50000,1000,10,2.500000,0.010000,_Z3hoti\r\n"
		 "%s,11,main,10,,12.500000,100.000000,11.243750,33.037106,,,,,,,,,,"
		 "10000,10000,0,0,1.000000,,\r\n",
		 f.file, f.file, f.file);
	got = render(lp_render_csv, 1);
	ck_assert_str_eq(got, expect);
	free(got);
}
END_TEST

START_TEST(test_json_metrics)
{
	char *got;

	ck_assert_int_eq(fake_build_opts(&f, FAKE_METRICS), LP_OK);
	got = render(lp_render_json, 1);
	assert_line(got,
		"  \"metrics\": [\n"
		"    {\"key\": \"ipc\", \"numerator\": \"instructions\", \"denominator\": \"cycles\", "
		"\"description\": \"instructions per cycle\"},\n"
		"    {\"key\": \"branch_miss_ratio\", \"numerator\": \"branch-misses\", "
		"\"denominator\": \"branches\", \"description\": \"mispredicted branches per branch\"}\n"
		"  ],\n");
	/* hot as a whole: 100000 / 70000 instructions per cycle, 440 / 6000 misses. */
	assert_line(got, "\"self_values\": [70000, 100000, 6000, 440], \"ipc\": 1.428571, "
			 "\"branch_miss_ratio\": 0.073333}");
	assert_line(got, "\"hits\": null, \"ipc\": 1.000000, \"branch_miss_ratio\": 0.086000}");
	assert_line(got, "\"hits\": null, \"ipc\": 2.500000, \"branch_miss_ratio\": 0.010000}");
	assert_line(got, "\"hits\": null, \"ipc\": 1.000000, \"branch_miss_ratio\": null}");
	ck_assert(!strstr(got, "cache_miss_ratio"));
	free(got);
}
END_TEST

START_TEST(test_listing_and_top_metric_columns)
{
	char *got;
	const char *l;

	ck_assert_int_eq(fake_build_opts(&f, FAKE_METRICS), LP_OK);
	got = render(lp_render_listing, 0);
	l = line_of(got, "Line #");
	ck_assert_msg(l && strncmp(strstr(l, "instructions"),
				   "instructions   branches branch-misses        IPC Branch Miss %  Line Contents",
				   75) == 0, "%s", got);
	assert_line(got, "     5        30        50000     62.5                 50000       5000"
			 "           430       1.00           8.6  \t\ts += i * i;\n");
	free(got);
	got = render(lp_render_top, 0);
	assert_line(got, "       10        20000     20.0        50000       1000            10   2.50"
			 "           1.0  ");
	free(got);
}
END_TEST

/*
 * FAKE_EVENTS2 asked for "cycles" and "instructions", but cycles was
 * measured as cpu-clock (no PMU): there is no IPC anywhere, although both
 * names were asked for, and instructions still has its own column.
 */
START_TEST(test_no_metric_without_measured_input)
{
	lp_render_fn *fns_all[] = { lp_render_table, lp_render_csv, lp_render_json,
				    lp_render_listing, lp_render_top };

	ck_assert_int_eq(fake_build_opts(&f, FAKE_EVENTS2), LP_OK);
	ck_assert_str_eq(f.prof->events[0].name, "cycles");
	for (size_t i = 0; i < sizeof(fns_all) / sizeof(fns_all[0]); i++) {
		char *got = render(fns_all[i], i < 3);

		ck_assert_msg(strstr(got, "instructions"), "the event column stays:\n%s", got);
		ck_assert_msg(!strstr(got, "IPC") && !strstr(got, "ipc") && !strstr(got, "Miss") &&
			      !strstr(got, "miss_ratio"), "no metric without cycles measured:\n%s", got);
		if (fns_all[i] == lp_render_json)
			ck_assert_msg(strstr(got, "  \"metrics\": [],\n"), "%s", got);
		free(got);
	}
}
END_TEST

/* The metrics a profile has, through the renderers' helper. */
START_TEST(test_metric_cols_of)
{
	lp_metric_cols mc;
	double r;

	ck_assert_int_eq(fake_build_opts(&f, FAKE_METRICS), LP_OK);
	lp_metric_cols_of(f.prof, &mc);
	ck_assert_int_eq(mc.n, 2);
	ck_assert_str_eq(mc.m[0]->key, "ipc");
	ck_assert_int_eq(mc.num[0], 1);
	ck_assert_int_eq(mc.den[0], 0);
	ck_assert_str_eq(mc.m[1]->key, "branch_miss_ratio");
	ck_assert_int_eq(mc.num[1], 3);
	ck_assert_int_eq(mc.den[1], 2);
	ck_assert_int_eq(lp_metric_cols_ratio(&mc, 0, (uint64_t[LP_MAX_EVENTS]){ 4, 6 }, &r), 0);
	ck_assert_double_eq_tol(r, 1.5, 1e-12);
	ck_assert_int_eq(lp_metric_cols_ratio(&mc, 1, (uint64_t[LP_MAX_EVENTS]){ 4, 6, 0, 1 }, &r), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("render-metrics");
	TCase *tc = tcase_create("metrics");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_table_metric_columns);
	tcase_add_test(tc, test_csv_metric_columns);
	tcase_add_test(tc, test_json_metrics);
	tcase_add_test(tc, test_listing_and_top_metric_columns);
	tcase_add_test(tc, test_no_metric_without_measured_input);
	tcase_add_test(tc, test_metric_cols_of);
	suite_add_tcase(s, tc);
	return lp_check_run(s);
}
