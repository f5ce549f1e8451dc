/* --folded: collapsed stacks, root first, inlined frames expanded, counts summing to the samples. */
#include <check.h>

#include "../lp_check.h"
#include <inttypes.h>

#include "fake_calls.h"
#include "render.h"

static uint64_t sum_counts(const char *text)
{
	uint64_t sum = 0;

	for (const char *line = text; *line;) {
		const char *end = strchr(line, '\n'), *sp;

		ck_assert_ptr_nonnull(end);
		sp = line;
		for (const char *c = line; c < end; c++)
			if (*c == ' ')
				sp = c;
		ck_assert_msg(sp > line, "no count in %.*s", (int)(end - line), line);
		sum += strtoull(sp + 1, NULL, 10);
		line = end + 1;
	}
	return sum;
}

START_TEST(test_folded_exact)
{
	lp_view_opts o;
	char *got, *diag = NULL;

	lp_view_opts_init(&o);
	got = fcg_render(&f, lp_render_folded, &o, &diag);
	ck_assert_str_eq(got,
			 "main;a 20\n"
			 "main;a;b 20\n"
			 "main;a;b;c 25\n"
			 "main;a;b;c;j0 5\n"
			 "main;a;b;c;sq 10\n"
			 "main;rec 4\n"
			 "main;rec;rec 3\n"
			 "main;rec;rec;rec 3\n"
			 "main;rec;rec;rec;shared 5\n"
			 "main;shared 5\n");
	ck_assert_uint_eq(sum_counts(got), f.prof->samples);
	ck_assert_str_eq(diag, "");
	free(got);
	free(diag);
}
END_TEST

/* Different addresses, same names: the folded line is one. */
START_TEST(test_folded_same_names)
{
	lp_view_opts o;
	char *got;

	/* Two stacks through different call lines of rec (30 and 29): both are main;rec;shared. */
	fcg_stack(&f, 2, (const uint64_t[]){ 0x600, 0x520, 0x110 }, 3);
	fcg_stack(&f, 1, (const uint64_t[]){ 0x600, 0x510, 0x110 }, 3);
	lp_report_free(&f.rep);
	{
		lp_symbolizer sym = { .lookup = fcg_lookup, .span = fcg_span, .ctx = &f };
		lp_error err = { 0 };

		ck_assert_int_eq(lp_report_build(&f.rep, f.prof, &sym, &err), LP_OK);
	}
	lp_view_opts_init(&o);
	got = fcg_render(&f, lp_render_folded, &o, NULL);
	ck_assert_msg(strstr(got, "\nmain;rec;shared 3\n") != NULL, "%s", got);
	ck_assert_uint_eq(sum_counts(got), 103);
	free(got);
}
END_TEST

/* Without -g: one-level stacks of inlined frames, and a note that says so. */
START_TEST(test_folded_without_stacks)
{
	lp_view_opts o;
	char *got, *diag = NULL;

	lp_view_opts_init(&o);
	got = fcg_render(&f, lp_render_folded, &o, &diag);
	ck_assert_str_eq(got,
			 "a 20\n"
			 "b 20\n"
			 "c 25\n"
			 "c;sq 10\n"
			 "j0 5\n"
			 "rec 10\n"
			 "shared 10\n");
	ck_assert_uint_eq(sum_counts(got), 100);
	ck_assert_str_eq(diag, "lineprof: --folded: no call stacks in this profile (record with -g): "
			       "each stack is one sampled address's inlined frames\n");
	free(got);
	free(diag);
}
END_TEST

/* Stacks that do not cover every sample are reported, not hidden. */
START_TEST(test_folded_missing_stacks)
{
	lp_view_opts o;
	char *got, *diag = NULL;
	uint64_t v = 4000000;

	lp_test_add(f.prof, (lp_loc){ 0, 0x600 }, 4, &v); /* a sample without its stack */
	lp_view_opts_init(&o);
	got = fcg_render(&f, lp_render_folded, &o, &diag);
	ck_assert_uint_eq(sum_counts(got), 100);
	ck_assert_str_eq(diag, "lineprof: --folded: the call stacks hold 100 of the profile's 104 samples\n");
	free(got);
	free(diag);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("render-folded");
	TCase *g = tcase_create("with stacks"), *nog = tcase_create("without stacks");

	tcase_add_checked_fixture(g, fcg_setup_g, fcg_teardown);
	tcase_add_test(g, test_folded_exact);
	tcase_add_test(g, test_folded_same_names);
	tcase_add_test(g, test_folded_missing_stacks);
	suite_add_tcase(s, g);
	tcase_add_checked_fixture(nog, fcg_setup_nog, fcg_teardown);
	tcase_add_test(nog, test_folded_without_stacks);
	suite_add_tcase(s, nog);
	return lp_check_run(s);
}
