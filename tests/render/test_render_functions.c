/*
 * --functions (the flat profile) and what it stands on: per-function self
 * and total, edges and call sites from call stacks, recursion counted once,
 * and the Incl. Time column of the -f table.
 */
#include <check.h>

#include "../lp_check.h"
#include <inttypes.h>

#include "fake_calls.h"
#include "render.h"

static const lp_edge *edge(const char *caller, const char *callee)
{
	for (size_t i = 0; i < f.rep.nedges; i++)
		if (strcmp(f.rep.funcs[f.rep.edges[i].caller].name, caller) == 0 &&
		    strcmp(f.rep.funcs[f.rep.edges[i].callee].name, callee) == 0)
			return &f.rep.edges[i];
	return NULL;
}

static const lp_call *call(const char *caller, int line, const char *callee)
{
	for (size_t i = 0; i < f.rep.ncalls; i++)
		if (strcmp(f.rep.funcs[f.rep.calls[i].caller].name, caller) == 0 &&
		    f.rep.calls[i].line == line &&
		    strcmp(f.rep.funcs[f.rep.calls[i].callee].name, callee) == 0)
			return &f.rep.calls[i];
	return NULL;
}

START_TEST(test_totals_from_stacks)
{
	static const struct { const char *name; uint64_t self, total; } want[] = {
		{ "main", 0, 100 }, { "a", 20, 80 }, { "b", 20, 60 }, { "c", 25, 40 },
		{ "sq", 10, 10 }, { "j0", 5, 5 }, { "rec", 10, 15 }, { "shared", 10, 10 },
	};

	ck_assert_int_eq(f.rep.inclusive_from_stacks, 1);
	ck_assert_uint_eq(f.rep.nfuncs, 8);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const lp_func_stat *fs = fcg_func(&f.rep, want[i].name);

		ck_assert_msg(fs != NULL, "%s", want[i].name);
		ck_assert_msg(fs->self_samples == want[i].self && fs->total_samples == want[i].total,
			      "%s: self %" PRIu64 " total %" PRIu64, want[i].name, fs->self_samples,
			      fs->total_samples);
		ck_assert_uint_eq(fs->total_value0, want[i].total * 1000000);
	}
}
END_TEST

START_TEST(test_edges_and_calls)
{
	/* rec -> rec: the stacks with rec directly under rec, 3 + 3 + 5, each once. */
	static const struct { const char *caller, *callee; uint64_t samples; } want[] = {
		{ "main", "a", 80 }, { "a", "b", 60 }, { "b", "c", 40 }, { "c", "sq", 10 },
		{ "c", "j0", 5 }, { "main", "rec", 15 }, { "rec", "rec", 11 },
		{ "rec", "shared", 5 }, { "main", "shared", 5 },
	};
	const lp_call *k;

	ck_assert_uint_eq(f.rep.nedges, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const lp_edge *e = edge(want[i].caller, want[i].callee);

		ck_assert_msg(e && e->samples == want[i].samples, "%s -> %s", want[i].caller,
			      want[i].callee);
		ck_assert_uint_eq(e->value0, want[i].samples * 1000000);
	}
	/* Call sites: by the calling line; recursion makes no call site. */
	ck_assert_uint_eq(f.rep.ncalls, 8);
	ck_assert_uint_eq(call("main", 40, "a")->samples, 80);
	ck_assert_uint_eq(call("a", 7, "b")->samples, 60);
	ck_assert_uint_eq(call("b", 13, "c")->samples, 40);
	ck_assert_uint_eq(call("c", 19, "sq")->samples, 10);
	ck_assert_uint_eq(call("c", 20, "j0")->samples, 5);
	ck_assert_uint_eq(call("main", 41, "rec")->samples, 15);
	k = call("rec", 30, "shared");
	ck_assert_uint_eq(k->samples, 5);
	ck_assert_uint_eq(k->value0, 5000000);
	ck_assert_str_eq(k->file, f.file);
	ck_assert_uint_eq(call("main", 42, "shared")->samples, 5);
	ck_assert_ptr_null(call("rec", 29, "rec"));
}
END_TEST

START_TEST(test_line_inclusive)
{
	const lp_line_stat *l = lp_report_line(&f.rep, f.file, 29, fcg_fn(&f, fcg_rec));

	/* rec's recursive call line, on 11 samples' stacks (twice on 8 of them): once each. */
	ck_assert_uint_eq(l->samples, 0);
	ck_assert_uint_eq(l->incl_samples, 11);
	ck_assert_uint_eq(lp_report_line(&f.rep, f.file, 40, fcg_fn(&f, fcg_main))->incl_samples, 80);
	ck_assert_uint_eq(lp_report_line(&f.rep, f.file, 18, fcg_fn(&f, fcg_c))->incl_samples, 25);
}
END_TEST

static void expect_functions(const char *sortword, const char *header, const char *rows)
{
	lp_view_opts o;
	char expect[8192], *got;

	lp_view_opts_init(&o);
	o.functions_view = 1;
	o.sort = strcmp(sortword, "total") == 0 ? LP_SORT_TOTAL : LP_SORT_SELF;
	snprintf(expect, sizeof(expect),
		 "Timer unit: 1e-06 s\n"
		 "\n"
		 "Samples: 100 of cpu-clock at 1000 Hz; CPU time 0.100 s, wall 0.120 s\n"
		 "CPU: sampled user 0.100 s of task-clock 0.100 s; not attributed to a line: 0.000 s, "
		 "all system time included: kernel mode was not sampled (Sys and Off-CPU need "
		 "kernel.perf_event_paranoid <= 1 or root: sysctl -w kernel.perf_event_paranoid=1)\n"
		 "\n"
		 "%s"
		 "Self s, Total s: seconds of user CPU time (cProfile's tottime, cumtime)\n"
		 "\n"
		 "%s", header, rows);
	got = fcg_render(&f, lp_render_functions, &o, NULL);
	ck_assert_str_eq(got, expect);
	free(got);
}

/* One row, with the temporary source path in its File:Line column (width w). */
static void row(char *buf, size_t size, const char *cells, int line, int w, const char *mod,
		const char *name)
{
	char loc[200];

	if (line)
		snprintf(loc, sizeof(loc), "%s:%d", f.file, line);
	else
		snprintf(loc, sizeof(loc), "?");
	snprintf(buf + strlen(buf), size - strlen(buf), "%s  %-9s  %-*s  %s\n", cells, mod, w, loc,
		 name);
}

START_TEST(test_functions_exact)
{
	char rows[4096], rule[256], head[512];
	int w = (int)strlen(f.file) + 3, len;

	len = snprintf(head, sizeof(head), "  Samples  Self %% Total %%      Self s     Total s  %-9s  %-*s  %s\n",
		       "Module", w, "File:Line", "Function");
	memset(rule, '=', (size_t)len - 1);
	rule[len - 1] = 0;
	snprintf(rows, sizeof(rows), "%s%s\n", head, rule);
	row(rows, sizeof(rows), "       25    25.0    40.0    0.025000    0.040000", 16, w, "cg", "c");
	row(rows, sizeof(rows), "       20    20.0    80.0    0.020000    0.080000", 4, w, "cg", "a");
	row(rows, sizeof(rows), "       20    20.0    60.0    0.020000    0.060000", 10, w, "cg", "b");
	row(rows, sizeof(rows), "       10    10.0    15.0    0.010000    0.015000", 26, w, "cg", "rec");
	row(rows, sizeof(rows), "       10    10.0    10.0    0.010000    0.010000", 33, w, "cg", "shared");
	row(rows, sizeof(rows), "       10    10.0    10.0    0.010000    0.010000", 23, w, "cg", "sq");
	row(rows, sizeof(rows), "        5     5.0     5.0    0.005000    0.005000", 0, w, "libm.so.6", "j0");
	row(rows, sizeof(rows), "        0     0.0   100.0    0.000000    0.100000", 38, w, "cg", "main");
	expect_functions("self",
			 "Function profile, sorted by self time: 8 functions with samples\n"
			 "total = self + callees, from the recorded call stacks (-g); "
			 "recursion counted once per stack\n", rows);
}
END_TEST

START_TEST(test_functions_sort_total)
{
	lp_view_opts o;
	char *got;
	const char *order[] = { " main\n", " a\n", " b\n", " c\n", " rec\n", " shared\n", " sq\n", " j0\n" };
	const char *at;

	lp_view_opts_init(&o);
	o.functions_view = 1;
	o.sort = LP_SORT_TOTAL;
	got = fcg_render(&f, lp_render_functions, &o, NULL);
	ck_assert_ptr_nonnull(strstr(got, "sorted by total time"));
	at = got;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		at = strstr(at, order[i]);
		ck_assert_msg(at != NULL, "%s out of order in\n%s", order[i], got);
	}
	free(got);
}
END_TEST

/* Without -g: totals are self plus inlined callees only, and the header says so. */
START_TEST(test_functions_without_stacks)
{
	lp_view_opts o;
	char *got, want[512];

	ck_assert_int_eq(f.rep.inclusive_from_stacks, 0);
	ck_assert_uint_eq(fcg_func(&f.rep, "c")->total_samples, 35);
	ck_assert_uint_eq(fcg_func(&f.rep, "a")->total_samples, 20);
	ck_assert_ptr_null(fcg_func(&f.rep, "main"));
	lp_view_opts_init(&o);
	o.functions_view = 1;
	got = fcg_render(&f, lp_render_functions, &o, NULL);
	ck_assert_ptr_nonnull(strstr(got, "\ntotal = self + inlined callees; record with -g for "
					  "call-graph totals\n"));
	snprintf(want, sizeof(want), "       25    25.0    35.0    0.025000    0.035000  cg         %s:16  c\n",
		 f.file);
	ck_assert_msg(strstr(got, want) != NULL, "%s", got);
	free(got);
}
END_TEST

/* The -f table: the call lines get an Incl. Time, the others none. */
START_TEST(test_table_incl_column)
{
	const char *fns[] = { "a" };
	lp_view_opts o;
	char expect[2048], *got;

	lp_view_opts_init(&o);
	o.functions = fns;
	o.nfunctions = 1;
	snprintf(expect, sizeof(expect),
		 "Timer unit: 1e-06 s\n"
		 "\n"
		 "Samples: 100 of cpu-clock at 1000 Hz; CPU time 0.100 s, wall 0.120 s\n"
		 "CPU: sampled user 0.100 s of task-clock 0.100 s; not attributed to a line: 0.000 s, "
		 "all system time included: kernel mode was not sampled (Sys and Off-CPU need "
		 "kernel.perf_event_paranoid <= 1 or root: sysctl -w kernel.perf_event_paranoid=1)\n"
		 "\n"
		 "Total time: 0.02 s\n"
		 "File: %s\n"
		 "Function: a at line 4\n"
		 "\n"
		 "Line #   Samples         Time   %% Time   Incl. Time  Line Contents\n"
		 "==================================================================\n"
		 "     4                                               void a(void)\n"
		 "     5                                               {\n"
		 "     6        20      20000.0    100.0               \twork(20);\n"
		 "     7                                      60000.0  \tb();\n"
		 "     8                                               }\n"
		 "\n"
		 "  0.020000 seconds  20.0%%  %s:4 - a\n", f.file, f.file);
	got = fcg_render(&f, lp_render_table, &o, NULL);
	ck_assert_str_eq(got, expect);
	free(got);
}
END_TEST

/* A function that calls nothing keeps line_profiler's columns exactly. */
START_TEST(test_table_no_incl_for_leaf)
{
	const char *fns[] = { "shared" };
	lp_view_opts o;
	char *got;

	lp_view_opts_init(&o);
	o.functions = fns;
	o.nfunctions = 1;
	got = fcg_render(&f, lp_render_table, &o, NULL);
	ck_assert_ptr_nonnull(strstr(got, "Line #   Samples         Time   % Time  Line Contents\n"));
	ck_assert_ptr_null(strstr(got, "Incl."));
	free(got);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("render-functions");
	TCase *g = tcase_create("with stacks"), *nog = tcase_create("without stacks");

	tcase_add_checked_fixture(g, fcg_setup_g, fcg_teardown);
	tcase_add_test(g, test_totals_from_stacks);
	tcase_add_test(g, test_edges_and_calls);
	tcase_add_test(g, test_line_inclusive);
	tcase_add_test(g, test_functions_exact);
	tcase_add_test(g, test_functions_sort_total);
	tcase_add_test(g, test_table_incl_column);
	tcase_add_test(g, test_table_no_incl_for_leaf);
	suite_add_tcase(s, g);
	tcase_add_checked_fixture(nog, fcg_setup_nog, fcg_teardown);
	tcase_add_test(nog, test_functions_without_stacks);
	suite_add_tcase(s, nog);
	return lp_check_run(s);
}
