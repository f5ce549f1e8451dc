/*
 * Unit tests for annotate/probes.c (--hits): where the probes go, on the
 * programs of tests/programs. Expected places come from the sources' marker
 * comments and from global asm labels on marked lines (lp_mark_*), whose
 * file offsets are computed here from .symtab and PT_LOAD, independently of
 * the code under test. Every probe is also symbolized the way the report
 * will symbolize its hits: its innermost function must be the -f function.
 */
#include <check.h>

#include "../lp_check.h"
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lineprof/annotate.h"
#include "symbolize.h"
#include "programs.h"

typedef struct probed {
	lp_probe *p;
	size_t n;
	lp_profile *prof;
	lp_symtab *st;
} probed;

/* Probes for names in exe, checked for the invariants every probe set has. */
static void probe(probed *r, const char *exe, const char **names, int n, const char *module)
{
	lp_error err = { 0 };
	char real[PATH_MAX];

	ck_assert_msg(lp_annotate_probes(exe, names, n, &r->p, &r->n, &err) == LP_OK, "%s", err.msg);
	ck_assert_uint_gt(r->n, 0);
	ck_assert_ptr_nonnull(realpath(module, real));
	r->prof = lp_profile_new();
	ck_assert_int_eq(lp_profile_module(r->prof, real, NULL, 0), 0);
	r->st = lp_symtab_new(r->prof, &err);
	ck_assert_ptr_nonnull(r->st);
	for (size_t i = 0; i < r->n; i++) {
		ck_assert_str_eq(r->p[i].path, real);
		if (i > 0)
			ck_assert_msg(r->p[i].offset > r->p[i - 1].offset, "sorted, no duplicates");
	}
}

static void probed_free(probed *r)
{
	lp_symtab_free(r->st);
	lp_profile_free(r->prof);
	lp_annotate_probes_free(r->p, r->n);
}

static const lp_frame *frames_at(probed *r, size_t i)
{
	const lp_frame *fr;

	lp_symtab_lookup(r->st, (lp_loc){ 0, r->p[i].offset }, 0, &fr);
	return fr;
}

static int has_offset(const probed *r, uint64_t off)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->p[i].offset == off)
			return 1;
	return 0;
}

/* Every probe is in NAME (innermost), on its lines, and the marked lines have one. */
static void check_function(probed *r, const char *name, const char *src, int first, int last,
			   const int *must, int nmust)
{
	int seen[4] = { 0 };

	for (size_t i = 0; i < r->n; i++) {
		const lp_frame *fr = frames_at(r, i);

		if (strcmp(fr[0].function, name) != 0)
			continue;
		ck_assert_msg(fr[0].file && strcmp(strrchr(fr[0].file, '/'), strrchr(src, '/')) == 0,
			      "%s: probe in %s", name, fr[0].file);
		ck_assert_msg(fr[0].line >= first && fr[0].line <= last, "%s: line %d outside %d-%d",
			      name, fr[0].line, first, last);
		for (int m = 0; m < nmust; m++)
			seen[m] |= fr[0].line == must[m];
	}
	for (int m = 0; m < nmust; m++)
		ck_assert_msg(seen[m], "%s: no probe on line %d", name, must[m]);
}

static void hot_work_probes(const char *prog)
{
	const char *names[] = { "hot_work" };
	const char *src = SRC("hotline.c");
	int must[] = { marker_line(src, "/* HOT */"), marker_line(src, "/* COLD */") };
	const char *exe = PROG(prog);
	probed r;

	probe(&r, exe, names, 1, exe);
	for (size_t i = 0; i < r.n; i++)
		ck_assert_str_eq(frames_at(&r, i)[0].function, "hot_work");
	check_function(&r, "hot_work", src, marker_line(src, "double hot_work("),
		       marker_line(src, "END hot_work"), must, 2);
	/* The HOT line's first row starts at the label: a file offset, also where p_vaddr != p_offset. */
	ck_assert_msg(has_offset(&r, symbol_offset(exe, "lp_mark_hot")),
		      "a probe at lp_mark_hot (0x%llx)", (unsigned long long)symbol_offset(exe, "lp_mark_hot"));
	probed_free(&r);
}

START_TEST(test_pie)
{
	hot_work_probes("hotline");
}
END_TEST

START_TEST(test_nopie)
{
	hot_work_probes("hotline_nopie");
}
END_TEST

START_TEST(test_two_functions)
{
	const char *names[] = { "hot_work", "main" };
	const char *exe = PROG("hotline");
	size_t in_main = 0, in_hot = 0;
	probed r;

	probe(&r, exe, names, 2, exe);
	for (size_t i = 0; i < r.n; i++) {
		const char *fn = frames_at(&r, i)[0].function;

		in_main += strcmp(fn, "main") == 0;
		in_hot += strcmp(fn, "hot_work") == 0;
	}
	ck_assert_uint_gt(in_main, 0);
	ck_assert_uint_gt(in_hot, 0);
	ck_assert_uint_eq(in_main + in_hot, r.n);
	probed_free(&r);
}
END_TEST

/* hot_inner exists only inlined (-O2): its probes are in outer's code, innermost hot_inner. */
START_TEST(test_inlined_only)
{
	const char *names[] = { "hot_inner" };
	const char *src = SRC("inlined.c");
	int must[] = { marker_line(src, "/* HOT */") };
	const char *exe = PROG("inlined");
	probed r;

	probe(&r, exe, names, 1, exe);
	for (size_t i = 0; i < r.n; i++) {
		const lp_frame *fr = frames_at(&r, i);

		ck_assert_str_eq(fr[0].function, "hot_inner");
		ck_assert_msg(fr[0].inlined && strcmp(fr[1].function, "outer") == 0,
			      "an inlined copy in outer");
	}
	check_function(&r, "hot_inner", src, marker_line(src, "hot_inner(double"),
		       marker_line(src, "END hot_inner"), must, 1);
	probed_free(&r);
}
END_TEST

/* outer's probes leave out the code of what is inlined into it. */
START_TEST(test_callee_code_excluded)
{
	const char *names[] = { "outer" };
	const char *exe = PROG("inlined");
	probed r;

	probe(&r, exe, names, 1, exe);
	for (size_t i = 0; i < r.n; i++)
		ck_assert_str_eq(frames_at(&r, i)[0].function, "outer");
	ck_assert(!has_offset(&r, symbol_offset(exe, "lp_mark_inl")));
	probed_free(&r);
}
END_TEST

/* A function of a DT_NEEDED library: probes in the library file. */
START_TEST(test_library)
{
	const char *names[] = { "lp_need_work" };
	const char *lib = PROG("liblpneed.so");
	probed r;

	probe(&r, PROG("needed"), names, 1, lib);
	ck_assert(has_offset(&r, symbol_offset(lib, "lp_mark_lib")));
	for (size_t i = 0; i < r.n; i++)
		ck_assert_str_eq(frames_at(&r, i)[0].function, "lp_need_work");
	probed_free(&r);
}
END_TEST

START_TEST(test_missing)
{
	const char *names[] = { "hot_work", "no_such_function" };
	lp_probe *p = (lp_probe *)1;
	size_t n = 7;
	lp_error err = { 0 };

	ck_assert_int_eq(lp_annotate_probes(PROG("hotline"), names, 2, &p, &n, &err), LP_EFAIL);
	ck_assert_ptr_null(p);
	ck_assert_uint_eq(n, 0);
	ck_assert_msg(strstr(err.msg, "'no_such_function' has no code in") &&
		      strncmp(err.msg, "lineprof: --hits: ", 18) == 0, "%s", err.msg);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("annotate-probes");
	TCase *tc = tcase_create("probes");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_pie);
	tcase_add_test(tc, test_nopie);
	tcase_add_test(tc, test_two_functions);
	tcase_add_test(tc, test_inlined_only);
	tcase_add_test(tc, test_callee_code_excluded);
	tcase_add_test(tc, test_library);
	tcase_add_test(tc, test_missing);
	suite_add_tcase(s, tc);
	return lp_check_run(s);
}
