/*
 * Unit tests for what the report (annotate/aggregate.c) does with function
 * identities: code outlined from a function (an OpenMP region) counts for
 * that function, every thread's work counts to the region's line, and
 * functions that share a name get labels that tell them apart and that -f
 * takes back.
 *
 * A made-up symbolizer stands for an OpenMP program (omp.c), its runtime
 * (libgomp) and three functions named "operator()":
 *
 *   master: main -> f (line 23, the region) -> GOMP_parallel -> f._omp_fn.0 (line 30)
 *   worker: gomp_thread_start -> f._omp_fn.0 (line 30)
 *   serial: main -> f (line 21)
 *
 * 25 samples serial, 40 in the region on the master, 35 on the worker.
 */
#include <check.h>

#include "../lp_check.h"
#include "../lp_samples.h"
#include <stdlib.h>
#include <string.h>

#include "report.h"

enum { F_MAIN, F_F, F_OMP, F_GOMP, F_START, F_OP_A, F_OP_B, F_OP_LIB, F_N };

typedef struct ofake {
	lp_func_desc fn[F_N];
	struct { uint32_t module; uint64_t off; lp_frame fr; } locs[16];
	int nlocs;
	lp_profile *prof;
	lp_report rep;
} ofake;

static ofake t;

static int ofake_lookup(void *ctx, lp_loc loc, int is_return, const lp_frame **out)
{
	ofake *o = ctx;

	(void)is_return;
	for (int i = 0; i < o->nlocs; i++)
		if (o->locs[i].module == loc.module && o->locs[i].off == loc.offset) {
			*out = &o->locs[i].fr;
			return 1;
		}
	abort();
}

static void desc(int i, uint32_t module, const char *name, const char *file, int line,
		 const char *mod)
{
	lp_func_desc *d = &t.fn[i];

	d->id = (lp_func_id){ module, (uint64_t)i + 1 };
	d->name = name;
	d->module_name = mod;
	d->decl_file = file;
	d->decl_line = line;
	d->addr = 0x1000 * (uint64_t)(i + 1);
	d->owner = d;
}

static void loc(uint32_t module, uint64_t off, int fn, const char *file, int line)
{
	lp_frame *fr = &t.locs[t.nlocs].fr;

	t.locs[t.nlocs].module = module;
	t.locs[t.nlocs].off = off;
	memset(fr, 0, sizeof(*fr));
	fr->fn = &t.fn[fn];
	fr->function = t.fn[fn].name;
	fr->file = file;
	fr->line = file ? line : 0;
	fr->decl_file = t.fn[fn].decl_file;
	fr->decl_line = t.fn[fn].decl_line;
	fr->module = module;
	t.nlocs++;
}

static void stack(uint64_t samples, const lp_loc *frames, uint32_t depth)
{
	lp_test_add(t.prof, frames[0], samples, (uint64_t[]){ samples * 1000000 });
	lp_test_add_stack(t.prof, frames, depth, samples, samples * 1000000);
}

static const char omp_c[] = "/src/omp.c", a_h[] = "/src/a.h", b_h[] = "/src/b.h";

static void build(int callchain)
{
	lp_symbolizer sym = { .lookup = ofake_lookup, .ctx = &t };
	lp_error err = { 0 };
	lp_loc f[4];

	memset(&t, 0, sizeof(t));
	desc(F_MAIN, 0, "main", omp_c, 36, "omp");
	desc(F_F, 0, "f", omp_c, 16, "omp");
	desc(F_OMP, 0, "f._omp_fn.0", NULL, 0, "omp");
	t.fn[F_OMP].owner = &t.fn[F_F];
	t.fn[F_OMP].region_file = omp_c;
	t.fn[F_OMP].region_line = 23;
	desc(F_GOMP, 1, "GOMP_parallel", NULL, 0, "libgomp.so.1");
	desc(F_START, 1, "gomp_thread_start", NULL, 0, "libgomp.so.1");
	desc(F_OP_A, 0, "operator()", a_h, 3, "omp");
	desc(F_OP_B, 0, "operator()", b_h, 5, "omp");
	desc(F_OP_LIB, 1, "operator()", a_h, 3, "libgomp.so.1");
	loc(0, 0x100, F_MAIN, omp_c, 38);
	loc(0, 0x200, F_F, omp_c, 21);
	loc(0, 0x210, F_F, omp_c, 23);
	loc(0, 0x300, F_OMP, omp_c, 30);
	loc(1, 0x900, F_GOMP, NULL, 0);
	loc(1, 0x910, F_START, NULL, 0);
	loc(0, 0x400, F_OP_A, a_h, 3);
	loc(0, 0x410, F_OP_B, b_h, 5);
	loc(1, 0x420, F_OP_LIB, a_h, 3);
	t.prof = lp_profile_new();
	t.prof->nevents = 1;
	strcpy(t.prof->events[0].name, "cpu-clock");
	strcpy(t.prof->events[0].measured, "cpu-clock");
	t.prof->task_clock_ns = 103000000;
	t.prof->callchain = callchain;
	lp_profile_module(t.prof, "/bin/omp", NULL, 0);
	lp_profile_module(t.prof, "/lib/libgomp.so.1", NULL, 0);
	memset(f, 0, sizeof(f));   /* stacks are compared bytewise: no padding garbage */
	f[0] = (lp_loc){ 0, 0x200 }, f[1] = (lp_loc){ 0, 0x100 };
	stack(25, f, 2);
	f[0] = (lp_loc){ 0, 0x300 }, f[1] = (lp_loc){ 1, 0x900 }, f[2] = (lp_loc){ 0, 0x210 },
	f[3] = (lp_loc){ 0, 0x100 };
	stack(40, f, 4);
	f[0] = (lp_loc){ 0, 0x300 }, f[1] = (lp_loc){ 1, 0x910 };
	stack(35, f, 2);
	f[0] = (lp_loc){ 0, 0x400 }, f[1] = (lp_loc){ 0, 0x100 };
	stack(1, f, 2);
	f[0] = (lp_loc){ 0, 0x410 };
	stack(1, f, 2);
	f[0] = (lp_loc){ 1, 0x420 };
	stack(1, f, 2);
	if (!callchain)
		t.prof->nstacks = t.prof->nframes = 0;
	ck_assert_int_eq(lp_report_build(&t.rep, t.prof, &sym, &err), LP_OK);
}

static void setup_g(void)
{
	build(2);
}

static void setup_nog(void)
{
	build(0);
}

static void teardown(void)
{
	lp_report_free(&t.rep);
	lp_profile_free(t.prof);
}

static const lp_edge *edge(int caller, int callee)
{
	for (size_t i = 0; i < t.rep.nedges; i++)
		if (t.rep.funcs[t.rep.edges[i].caller].fn == &t.fn[caller] &&
		    t.rep.funcs[t.rep.edges[i].callee].fn == &t.fn[callee])
			return &t.rep.edges[i];
	return NULL;
}

/* The region's samples are f's: its row, its total, no row of their own. */
START_TEST(test_outlined_counts_for_owner)
{
	const lp_func_stat *f = lp_report_func(&t.rep, t.fn[F_F].id);

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(f->self_samples, 100);
	ck_assert_uint_eq(f->total_samples, 100);
	ck_assert_ptr_null(lp_report_func(&t.rep, t.fn[F_OMP].id));
	/* The lines stay the outlined function's own, at their real lines. */
	ck_assert_uint_eq(lp_report_line(&t.rep, omp_c, 30, &t.fn[F_OMP])->samples, 75);
}
END_TEST

/* Both threads' region work counts to the region's line, with stacks and without. */
START_TEST(test_region_line_inclusive)
{
	const lp_line_stat *region = lp_report_line(&t.rep, omp_c, 23, &t.fn[F_F]);

	ck_assert_ptr_nonnull(region);
	ck_assert_uint_eq(region->incl_samples, 75);
	ck_assert_uint_eq(region->samples, 0);
}
END_TEST

/* The worker's stack gets f at the region line; no false edge from f to itself. */
START_TEST(test_region_edges)
{
	const lp_frame *fr[16];
	uint64_t samples, value0;
	int found = 0;

	ck_assert_ptr_null(edge(F_F, F_F));
	ck_assert_uint_eq(edge(F_START, F_F)->samples, 35);
	ck_assert_uint_eq(edge(F_GOMP, F_F)->samples, 40);
	ck_assert_uint_eq(edge(F_F, F_GOMP)->samples, 40);
	ck_assert_uint_eq(edge(F_MAIN, F_F)->samples, 65);
	for (size_t i = 0; i < lp_report_nchains(&t.rep); i++) {
		int n = lp_report_chain(&t.rep, i, fr, 16, &samples, &value0);

		if (samples != 35)
			continue;
		found = 1;
		ck_assert_int_eq(n, 3);
		ck_assert_ptr_eq(fr[0]->fn, &t.fn[F_OMP]);
		ck_assert_ptr_eq(fr[1]->fn, &t.fn[F_F]);
		ck_assert_int_eq(fr[1]->line, 23);
		ck_assert_ptr_eq(fr[2]->fn, &t.fn[F_START]);
	}
	ck_assert(found);
}
END_TEST

static size_t table_samples(const lp_ftable *tab)
{
	size_t n = 0;

	for (size_t i = 0; i < t.rep.nlines; i++)
		if (lp_report_in_table(&t.rep, tab, &t.rep.lines[i]))
			n += t.rep.lines[i].samples;
	return n;
}

/* -f f holds the region's lines; -f f._omp_fn.0 only its own. */
START_TEST(test_select_owner_and_outlined)
{
	lp_error err = { 0 };

	ck_assert_int_eq(lp_report_select(&t.rep, (const char *[]){ "f", "f._omp_fn.0" }, 2, 0, &err),
			 LP_OK);
	ck_assert_uint_eq(t.rep.ntables, 2);
	ck_assert_str_eq(t.rep.tables[0].title, "f");
	ck_assert_uint_eq(table_samples(&t.rep.tables[0]), 100);
	ck_assert_str_eq(t.rep.tables[1].title, "f._omp_fn.0");
	ck_assert_uint_eq(table_samples(&t.rep.tables[1]), 75);
	/* A region of source: every function's lines there. */
	ck_assert_int_eq(lp_report_select(&t.rep, (const char *[]){ "omp.c:21-30" }, 1, 0, &err), LP_OK);
	ck_assert_uint_eq(table_samples(&t.rep.tables[0]), 100);
	ck_assert_int_eq(lp_report_select(&t.rep, (const char *[]){ "omp.c:22-29" }, 1, 0, &err), LP_OK);
	ck_assert_uint_eq(table_samples(&t.rep.tables[0]), 0);
}
END_TEST

/* Three operator(): two told apart by file:line, two more by module; -f takes each back. */
START_TEST(test_labels)
{
	const char *want[] = { "operator() [a.h:3, omp]", "operator() [b.h:5]",
			       "operator() [a.h:3, libgomp.so.1]" };
	const int fn[] = { F_OP_A, F_OP_B, F_OP_LIB };
	lp_error err = { 0 };

	ck_assert_str_eq(lp_report_label(&t.rep, &t.fn[F_F]), "f");
	for (int i = 0; i < 3; i++) {
		ck_assert_str_eq(lp_report_label(&t.rep, &t.fn[fn[i]]), want[i]);
		ck_assert_int_eq(lp_report_select(&t.rep, &want[i], 1, 0, &err), LP_OK);
		ck_assert_uint_eq(t.rep.ntables, 1);
		ck_assert_uint_eq(t.rep.tables[0].nfns, 1);
		ck_assert_ptr_eq(t.rep.tables[0].fns[0], &t.fn[fn[i]]);
		ck_assert_str_eq(t.rep.tables[0].title, want[i]);
	}
	/* The plain name: all three, one table each. */
	ck_assert_int_eq(lp_report_select(&t.rep, (const char *[]){ "operator()" }, 1, 0, &err), LP_OK);
	ck_assert_uint_eq(t.rep.ntables, 3);
	/* Merged: the two with one declaration (a.h:3) share a table. */
	ck_assert_int_eq(lp_report_select(&t.rep, (const char *[]){ "operator()" }, 1, 1, &err), LP_OK);
	ck_assert_uint_eq(t.rep.ntables, 2);
}
END_TEST

START_TEST(test_select_miss)
{
	lp_error err = { 0 };

	ck_assert_int_eq(lp_report_select(&t.rep, (const char *[]){ "f", "g" }, 2, 0, &err), LP_EFAIL);
	ck_assert_msg(strstr(err.msg, "lineprof: function 'g' not found in the profiled binaries "
				      "(omp, libgomp.so.1); closest: f") == err.msg, "%s", err.msg);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("outlined");
	TCase *g = tcase_create("stacks"), *nog = tcase_create("no-stacks");

	tcase_add_checked_fixture(g, setup_g, teardown);
	tcase_add_test(g, test_outlined_counts_for_owner);
	tcase_add_test(g, test_region_line_inclusive);
	tcase_add_test(g, test_region_edges);
	tcase_add_test(g, test_select_owner_and_outlined);
	tcase_add_test(g, test_labels);
	tcase_add_test(g, test_select_miss);
	suite_add_tcase(s, g);
	tcase_add_checked_fixture(nog, setup_nog, teardown);
	tcase_add_test(nog, test_outlined_counts_for_owner);
	tcase_add_test(nog, test_region_line_inclusive);
	suite_add_tcase(s, nog);
	return lp_check_run(s);
}
