/* The annotated source listing (--listing, --context), as exact text. */
#include <check.h>

#include "../lp_check.h"
#include <unistd.h>

#include "fake.h"
#include "render.h"

static fake f;

static void teardown(void)
{
	fake_free(&f);
}

static const char header60[] =
	"Timer unit: 1e-06 s\n"
	"\n"
	"Samples: 60 of cpu-clock at 1000 Hz (asked for cycles, not available here); "
	"CPU time 0.060 s, wall 0.060 s\n"
	"CPU: sampled user 0.060 s of task-clock 0.060 s; not attributed to a line: 0.000 s, "
	"all system time included: kernel mode was not sampled (Sys and Off-CPU need "
	"kernel.perf_event_paranoid <= 1 or root: sysctl -w kernel.perf_event_paranoid=1)\n"
	"\n";

/* Two files, hottest first (not by name); inlined hot() shows in main's Incl. column. */
START_TEST(test_listing_exact)
{
	lp_view_opts o;
	char expect[8192], *got;

	ck_assert_int_eq(fake_build_opts(&f, FAKE_MORE), LP_OK);
	lp_view_opts_init(&o);
	o.listing = 1;
	snprintf(expect, sizeof(expect),
		 "%s"
		 "Total time: 0.05 s\n"
		 "File: %s\n"
		 "Samples: 50 (83.3%% of the program)\n"
		 "\n"
		 "Line #   Samples         Time   %% Prog    Incl.  Line Contents\n"
		 "==============================================================\n"
		 "     1                                           int hot(int n)\n"
		 "     2                                           {\n"
		 "     3                                           \tint s = 0;\n"
		 "     4        10      10000.0     16.7           \tfor (int i = 0; i < n; i++)\n"
		 "     5        30      30000.0     50.0           \t\ts += i * i;\n"
		 "     6                                           \treturn s;\n"
		 "     7                                           }\n"
		 "     8                                           \n"
		 "     9                                           int main(void)\n"
		 "    10                                           {\n"
		 "    11        10      10000.0     16.7     33.3  \treturn hot(1000);\n"
		 "    12                                           }\n"
		 "\n"
		 "Total time: 0.005 s\n"
		 "File: %s\n"
		 "Samples: 5 (8.3%% of the program)\n"
		 "\n"
		 "Line #   Samples         Time   %% Prog  Line Contents\n"
		 "=====================================================\n"
		 "     1                                  int other(void)\n"
		 "     2         5       5000.0      8.3  { return 1; }\n"
		 "     3                                  \n"
		 "\n"
		 "No line info: 5 samples (8.3%% of the program)\n"
		 "\n",
		 header60, f.file, f.file2);
	got = fake_render(&f, lp_render_listing, &o);
	ck_assert_str_eq(got, expect);
	free(got);
}
END_TEST

/* --context 1: lines within 1 of a hot line, "..." between the regions. */
START_TEST(test_listing_context)
{
	lp_view_opts o;
	char expect[8192], *got;

	ck_assert_int_eq(fake_build_opts(&f, FAKE_MORE), LP_OK);
	lp_view_opts_init(&o);
	o.listing = 1;
	o.context = 1;
	o.top = 5; /* the hottest lines came first and printed the header */
	snprintf(expect, sizeof(expect),
		 "Total time: 0.05 s\n"
		 "File: %s\n"
		 "Samples: 50 (83.3%% of the program)\n"
		 "\n"
		 "Line #   Samples         Time   %% Prog    Incl.  Line Contents\n"
		 "==============================================================\n"
		 "     3                                           \tint s = 0;\n"
		 "     4        10      10000.0     16.7           \tfor (int i = 0; i < n; i++)\n"
		 "     5        30      30000.0     50.0           \t\ts += i * i;\n"
		 "     6                                           \treturn s;\n"
		 "   ...\n"
		 "    10                                           {\n"
		 "    11        10      10000.0     16.7     33.3  \treturn hot(1000);\n"
		 "    12                                           }\n"
		 "\n"
		 "Total time: 0.005 s\n"
		 "File: %s\n"
		 "Samples: 5 (8.3%% of the program)\n"
		 "\n"
		 "Line #   Samples         Time   %% Prog  Line Contents\n"
		 "=====================================================\n"
		 "     1                                  int other(void)\n"
		 "     2         5       5000.0      8.3  { return 1; }\n"
		 "     3                                  \n"
		 "\n"
		 "No line info: 5 samples (8.3%% of the program)\n"
		 "\n",
		 f.file, f.file2);
	got = fake_render(&f, lp_render_listing, &o);
	ck_assert_str_eq(got, expect);
	free(got);
}
END_TEST

/* Above --threshold only: a file without such a line is left out, and counted. */
START_TEST(test_listing_threshold)
{
	lp_view_opts o;
	char expect[8192], *got;

	ck_assert_int_eq(fake_build_opts(&f, FAKE_MORE), LP_OK);
	lp_view_opts_init(&o);
	o.context = 0;
	o.threshold = 16.0; /* lines 4, 5, 11 are 16.7 %, 50 %, 16.7 %; alpha.c:2 is 8.3 % */
	o.nfunctions = 1;   /* the table came first */
	o.functions = (const char *[]){ "hot" };
	snprintf(expect, sizeof(expect),
		 "Total time: 0.05 s\n"
		 "File: %s\n"
		 "Samples: 50 (83.3%% of the program)\n"
		 "\n"
		 "Line #   Samples         Time   %% Prog    Incl.  Line Contents\n"
		 "==============================================================\n"
		 "     4        10      10000.0     16.7           \tfor (int i = 0; i < n; i++)\n"
		 "     5        30      30000.0     50.0           \t\ts += i * i;\n"
		 "   ...\n"
		 "    11        10      10000.0     16.7     33.3  \treturn hot(1000);\n"
		 "\n"
		 "1 more file with samples, no line above --threshold 16%%\n"
		 "\n"
		 "No line info: 5 samples (8.3%% of the program)\n"
		 "\n",
		 f.file);
	got = fake_render(&f, lp_render_listing, &o);
	ck_assert_str_eq(got, expect);
	free(got);
	/* Strictly above: at 50 % exactly, line 5 is not hot and nothing is shown. */
	o.threshold = 50.0;
	got = fake_render(&f, lp_render_listing, &o);
	ck_assert_str_eq(got, "2 more files with samples, no line above --threshold 50%\n\n"
			      "No line info: 5 samples (8.3% of the program)\n\n");
	free(got);
}
END_TEST

/* -z: only the lines with samples; -u: Time in milliseconds. */
START_TEST(test_listing_skip_zero_unit)
{
	lp_view_opts o;
	char expect[8192], *got;

	ck_assert_int_eq(fake_build(&f), LP_OK);
	lp_view_opts_init(&o);
	o.listing = 1;
	o.skip_zero = 1;
	o.unit = 1e-3;
	o.top = 1;
	snprintf(expect, sizeof(expect),
		 "Total time: 0.05 s\n"
		 "File: %s\n"
		 "Samples: 50 (100.0%% of the program)\n"
		 "\n"
		 "Line #   Samples         Time   %% Prog    Incl.  Line Contents\n"
		 "==============================================================\n"
		 "     4        10         10.0     20.0           \tfor (int i = 0; i < n; i++)\n"
		 "     5        30         30.0     60.0           \t\ts += i * i;\n"
		 "   ...\n"
		 "    11        10         10.0     20.0     40.0  \treturn hot(1000);\n"
		 "\n",
		 f.file);
	got = fake_render(&f, lp_render_listing, &o);
	ck_assert_str_eq(got, expect);
	free(got);
}
END_TEST

/* The source is gone: the numbers with their line numbers, and a note. */
START_TEST(test_listing_missing_source)
{
	lp_view_opts o;
	char expect[8192], *got;

	ck_assert_int_eq(fake_build(&f), LP_OK);
	ck_assert_int_eq(unlink(f.file), 0);
	lp_view_opts_init(&o);
	o.listing = 1;
	o.top = 1;
	snprintf(expect, sizeof(expect),
		 "Total time: 0.05 s\n"
		 "File: %s\n"
		 "Samples: 50 (100.0%% of the program)\n"
		 "Source not found: numbers only (add --source-dir DIR)\n"
		 "\n"
		 "Line #   Samples         Time   %% Prog    Incl.  Line Contents\n"
		 "==============================================================\n"
		 "     4        10      10000.0     20.0           \n"
		 "     5        30      30000.0     60.0           \n"
		 "   ...\n"
		 "    11        10      10000.0     20.0     40.0  \n"
		 "\n",
		 f.file);
	got = fake_render(&f, lp_render_listing, &o);
	ck_assert_str_eq(got, expect);
	free(got);
}
END_TEST

/* Hits and --ci add their columns; a line with hits but no samples shows zeros. */
START_TEST(test_listing_hits_ci)
{
	lp_view_opts o;
	char expect[8192], *got;

	ck_assert_int_eq(fake_build_opts(&f, FAKE_HITS), LP_OK);
	lp_view_opts_init(&o);
	o.listing = 1;
	o.ci = 1;
	o.top = 1;
	snprintf(expect, sizeof(expect),
		 "Total time: 0.05 s\n"
		 "File: %s\n"
		 "Samples: 50 (100.0%% of the program)\n"
		 "\n"
		 "Line #      Hits   Samples         Time   %% Prog     +-    Incl.  Line Contents\n"
		 "===============================================================================\n"
		 "     1                                                            int hot(int n)\n"
		 "     2                                                            {\n"
		 "     3                                                            \tint s = 0;\n"
		 "     4      1001        10      10000.0     20.0   13.0           "
		   "\tfor (int i = 0; i < n; i++)\n"
		 "     5   1000000        30      30000.0     60.0   13.8           \t\ts += i * i;\n"
		 "     6         1         0          0.0      0.0    7.1           \treturn s;\n"
		 "     7                                                            }\n"
		 "     8                                                            \n"
		 "     9                                                            int main(void)\n"
		 "    10                                                            {\n"
		 "    11                  10      10000.0     20.0   13.0     40.0  \treturn hot(1000);\n"
		 "    12                                                            }\n"
		 "\n",
		 f.file);
	got = fake_render(&f, lp_render_listing, &o);
	ck_assert_str_eq(got, expect);
	free(got);
}
END_TEST

/* With colour, each row with samples is painted by its share of the program. */
START_TEST(test_listing_color)
{
	lp_view_opts o;
	lp_render_ctx ctx = { .rep = &f.rep, .opts = &o, .color = 1 };
	lp_error err = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *out;

	ck_assert_int_eq(fake_build_opts(&f, FAKE_MORE), LP_OK);
	lp_view_opts_init(&o);
	o.listing = 1;
	o.top = 1;
	out = open_memstream(&buf, &len);
	ctx.src = lp_sources_new(NULL, 0, NULL);
	ck_assert_int_eq(lp_render_listing(&ctx, out, &err), LP_OK);
	fclose(out);
	lp_sources_free(ctx.src);
	/* 50 %: bold red; 16.7 %: orange-red; 8.3 %: orange; lines without samples stay plain. */
	ck_assert_msg(strstr(buf, "\n\033[1;38;5;196m     5        30      30000.0     50.0"
				  "           \t\ts += i * i;\033[0m\n") != NULL, "%s", buf);
	ck_assert_ptr_nonnull(strstr(buf, "\n\033[38;5;202m     4        10      10000.0     16.7"));
	ck_assert_ptr_nonnull(strstr(buf, "\n\033[38;5;214m     2         5       5000.0      8.3"
					  "  { return 1; }\033[0m\n"));
	ck_assert_ptr_nonnull(strstr(buf, "\n     3                                           "
					  "\tint s = 0;\n"));
	free(buf);
	/* The same listing without colour has no escape at all. */
	buf = fake_render(&f, lp_render_listing, &o);
	ck_assert_ptr_null(strchr(buf, '\033'));
	free(buf);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("render-listing");
	TCase *tc = tcase_create("listing");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_listing_exact);
	tcase_add_test(tc, test_listing_context);
	tcase_add_test(tc, test_listing_threshold);
	tcase_add_test(tc, test_listing_skip_zero_unit);
	tcase_add_test(tc, test_listing_missing_source);
	tcase_add_test(tc, test_listing_hits_ci);
	tcase_add_test(tc, test_listing_color);
	suite_add_tcase(s, tc);
	return lp_check_run(s);
}
