/* The per-line CSV (--csv): RFC 4180, CRLF, exact text. */
#include <check.h>

#include "../lp_check.h"

#include "fake.h"
#include "render.h"

static fake f;

static void teardown(void)
{
	fake_free(&f);
}

/*
 * 30 of 50 samples: Wilson 95 % [46.181438, 72.391610] %; 10 of 50:
 * [11.243750, 33.037106] % (computed independently, in Python).
 */
START_TEST(test_csv_exact)
{
	lp_view_opts o;
	char expect[4096], *got;

	ck_assert_int_eq(fake_build(&f), LP_OK);
	lp_view_opts_init(&o);
	snprintf(expect, sizeof(expect),
		 "file,line,function,samples,time_s,percent,percent_of_function,ci_low,ci_high,"
		 "sys_s,off_cpu_s,wall_s,sys_samples,off_cpu_count,off_blocked_s,off_runnable_s,wait,incl_wall_s,"
		 "cpu-clock,linkage_name\r\n"
		 "%s,5,hot,30,0.030000000,60.000000,75.000000,46.181438,72.391610,,,,,,,,,,30000000,_Z3hoti\r\n"
		 "%s,4,hot,10,0.010000000,20.000000,25.000000,11.243750,33.037106,,,,,,,,,,10000000,_Z3hoti\r\n"
		 "%s,11,main,10,0.010000000,20.000000,100.000000,11.243750,33.037106,,,,,,,,,,10000000,\r\n",
		 f.file, f.file, f.file);
	got = fake_render(&f, lp_render_csv, &o);
	ck_assert_str_eq(got, expect);
	free(got);
}
END_TEST

/*
 * A second event and hits add columns; a name with a comma, quote and
 * newline is quoted with its quote doubled, its invalid byte becomes U+FFFD;
 * a row without line info has empty file and line; a line with hits but no
 * samples has its row, a line without hits an empty hits field.
 */
START_TEST(test_csv_quoting_events_hits)
{
	lp_view_opts o;
	char expect[4096], *got;

	ck_assert_int_eq(fake_build_opts(&f, FAKE_EVENTS2 | FAKE_HITS | FAKE_ODD | FAKE_MORE), LP_OK);
	lp_view_opts_init(&o);
	o.unit = 1e-3; /* -u changes nothing here: time_s is in seconds */
	o.color = LP_COLOR_ALWAYS;
	snprintf(expect, sizeof(expect),
		 "file,line,function,samples,time_s,percent,percent_of_function,ci_low,ci_high,"
		 "sys_s,off_cpu_s,wall_s,sys_samples,off_cpu_count,off_blocked_s,off_runnable_s,wait,incl_wall_s,"
		 "cpu-clock,instructions,hits,linkage_name\r\n"
		 "%s,5,hot,30,0.030000000,50.000000,75.000000,37.735024,62.264976,,,,,,,,,,30000000,3007,1000000,"
		 "_Z3hoti\r\n"
		 "%s,4,hot,10,0.010000000,16.666667,25.000000,9.313177,28.031613,,,,,,,,,,10000000,100,1001,"
		 "_Z3hoti\r\n"
		 "%s,11,\"main<a,\"\"b\"\">\n\x01\xef\xbf\xbd\",10,0.010000000,16.666667,100.000000,"
		 "9.313177,28.031613,,,,,,,,,,10000000,50,,\r\n"
		 ",,[prog+0x70],5,0.005000000,8.333333,100.000000,3.612046,18.068942,,,,,,,,,,5000000,30,,\r\n"
		 "%s,2,other,5,0.005000000,8.333333,100.000000,3.612046,18.068942,,,,,,,,,,5000000,20,,\r\n"
		 "%s,6,hot,0,0.000000000,0.000000,0.000000,0.000000,6.017185,,,,,,,,,,0,0,1,_Z3hoti\r\n",
		 f.file, f.file, f.file, f.file2, f.file);
	got = fake_render(&f, lp_render_csv, &o);
	ck_assert_str_eq(got, expect);
	free(got);
}
END_TEST

/* -f: only the rows of those functions; percent stays a share of the program. */
START_TEST(test_csv_functions)
{
	const char *fns[] = { "other", "main" };
	lp_view_opts o;
	char expect[4096], *got;

	ck_assert_int_eq(fake_build_opts(&f, FAKE_MORE), LP_OK);
	lp_view_opts_init(&o);
	o.functions = fns;
	o.nfunctions = 2;
	snprintf(expect, sizeof(expect),
		 "file,line,function,samples,time_s,percent,percent_of_function,ci_low,ci_high,"
		 "sys_s,off_cpu_s,wall_s,sys_samples,off_cpu_count,off_blocked_s,off_runnable_s,wait,incl_wall_s,"
		 "cpu-clock,linkage_name\r\n"
		 "%s,11,main,10,0.010000000,16.666667,100.000000,9.313177,28.031613,,,,,,,,,,10000000,\r\n"
		 "%s,2,other,5,0.005000000,8.333333,100.000000,3.612046,18.068942,,,,,,,,,,5000000,\r\n",
		 f.file, f.file2);
	got = fake_render(&f, lp_render_csv, &o);
	ck_assert_str_eq(got, expect);
	free(got);
}
END_TEST

/* The sum of a function's rows is its self total, as the table prints it. */
START_TEST(test_csv_sums)
{
	lp_view_opts o;
	char *got, *line, *save = NULL;
	double hot_s = 0, hot_pct = 0;

	ck_assert_int_eq(fake_build_opts(&f, FAKE_MORE), LP_OK);
	lp_view_opts_init(&o);
	got = fake_render(&f, lp_render_csv, &o);
	for (line = strtok_r(got, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
		char file[256], fn[64];
		int ln;
		unsigned long long samples;
		double t, pct, pf;

		if (sscanf(line, "%255[^,],%d,%63[^,],%llu,%lf,%lf,%lf", file, &ln, fn, &samples, &t,
			   &pct, &pf) == 7 && strcmp(fn, "hot") == 0) {
			hot_s += t;
			hot_pct += pf;
		}
	}
	ck_assert_double_eq_tol(hot_s, 0.040, 1e-9);
	ck_assert_double_eq_tol(hot_pct, 100.0, 1e-6);
	free(got);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("render-csv");
	TCase *tc = tcase_create("csv");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_csv_exact);
	tcase_add_test(tc, test_csv_quoting_events_hits);
	tcase_add_test(tc, test_csv_functions);
	tcase_add_test(tc, test_csv_sums);
	suite_add_tcase(s, tc);
	return lp_check_run(s);
}
