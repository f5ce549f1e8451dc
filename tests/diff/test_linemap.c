/* Following lines between two versions of a file (annotate/linemap.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linemap.h"
#include "../lp_check.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

START_TEST(test_identical)
{
	const char *a[] = { "int f(void)", "{", "\treturn 1;", "}" };
	lp_linemap m;

	ck_assert_int_eq(lp_linemap_build(&m, a, N(a), a, N(a), 100), 0);
	for (int i = 1; i <= N(a); i++)
		ck_assert_int_eq(lp_linemap_get(&m, i), i);
	ck_assert_int_eq(m.moved, 0);
	ck_assert_int_eq(lp_linemap_get(&m, 0), 0);
	ck_assert_int_eq(lp_linemap_get(&m, 5), 0);
	lp_linemap_free(&m);
}
END_TEST

/* Code inserted above: every line below moves down, and is followed. */
START_TEST(test_insertion_above)
{
	const char *a[] = { "#include <x.h>", "int f(void)", "{", "\tloop();", "}" };
	const char *b[] = { "#include <x.h>", "/* new */", "static int g;", "", "int f(void)", "{",
			    "\tloop();", "}" };
	lp_linemap m;

	ck_assert_int_eq(lp_linemap_build(&m, a, N(a), b, N(b), 100), 0);
	ck_assert_int_eq(lp_linemap_get(&m, 1), 1);
	ck_assert_int_eq(lp_linemap_get(&m, 2), 5);
	ck_assert_int_eq(lp_linemap_get(&m, 4), 7);
	ck_assert_int_eq(lp_linemap_get(&m, 5), 8);
	ck_assert_int_eq(m.moved, 4);
	lp_linemap_free(&m);
}
END_TEST

/* A line edited in place (as many lines on both sides) keeps its match; a removed one has none. */
START_TEST(test_edit_and_removal)
{
	const char *a[] = { "a", "for (i = 0; i < n; i++)", "b", "dead();", "dead2();", "c" };
	const char *b[] = { "a", "for (i = 0; i < n / 2; i++)", "b", "c" };
	lp_linemap m;

	ck_assert_int_eq(lp_linemap_build(&m, a, N(a), b, N(b), 100), 0);
	ck_assert_int_eq(lp_linemap_get(&m, 2), 2);
	ck_assert_int_eq(lp_linemap_get(&m, 3), 3);
	ck_assert_int_eq(lp_linemap_get(&m, 4), 0);
	ck_assert_int_eq(lp_linemap_get(&m, 5), 0);
	ck_assert_int_eq(lp_linemap_get(&m, 6), 4);
	lp_linemap_free(&m);
}
END_TEST

/* Re-indentation is no change; two lines replaced by three stay unmatched. */
START_TEST(test_blanks_and_uneven_hunk)
{
	const char *a[] = { "x", "\tfoo();", "p", "q", "y" };
	const char *b[] = { "x", "        foo();  ", "r", "s", "t", "y" };
	lp_linemap m;

	ck_assert_int_eq(lp_linemap_build(&m, a, N(a), b, N(b), 100), 0);
	ck_assert_int_eq(lp_linemap_get(&m, 2), 2);
	ck_assert_int_eq(lp_linemap_get(&m, 3), 0);
	ck_assert_int_eq(lp_linemap_get(&m, 4), 0);
	ck_assert_int_eq(lp_linemap_get(&m, 5), 6);
	lp_linemap_free(&m);
}
END_TEST

/* Versions too different for maxd: nothing is followed, and the caller is told. */
START_TEST(test_too_different)
{
	const char *a[] = { "1", "2", "3", "4", "5", "6" };
	const char *b[] = { "a", "b", "c", "d", "e", "f", "g" };
	lp_linemap m;

	ck_assert_int_eq(lp_linemap_build(&m, a, N(a), b, N(b), 4), 1);
	ck_assert_int_eq(lp_linemap_get(&m, 1), 0);
	lp_linemap_free(&m);
}
END_TEST

/*
 * Random edits of a random file: every followed line has the same text in
 * both versions (or is an in-place edit), the map only goes forward, and
 * every line the edits left alone is followed.
 */
START_TEST(test_random_edits)
{
	char words[400][16];
	const char *a[400], *b[600];
	int kept[400], from[600];
	unsigned seed = 7;

	for (int i = 0; i < 400; i++)
		snprintf(words[i], sizeof(words[i]), "line%d", i);
	for (int round = 0; round < 50; round++) {
		int na = 100 + round * 5, nb = 0, last = 0;
		lp_linemap m;

		for (int i = 0; i < na; i++)
			a[i] = words[i];
		/* Keep each line with odds 7/8; insert fresh lines with odds 1/8. */
		for (int i = 0; i < na; i++) {
			seed = seed * 1103515245u + 12345u;
			if ((seed >> 16) % 8 == 0) {
				b[nb] = "inserted";
				from[nb++] = 0;
			}
			seed = seed * 1103515245u + 12345u;
			kept[i] = (seed >> 16) % 8 != 0;
			if (kept[i]) {
				b[nb] = a[i];
				from[nb++] = i + 1;
			}
		}
		ck_assert_int_eq(lp_linemap_build(&m, a, na, b, nb, 1000), 0);
		for (int i = 1; i <= na; i++) {
			int j = lp_linemap_get(&m, i);

			if (kept[i - 1])
				ck_assert_msg(j > 0 && from[j - 1] == i, "round %d: line %d -> %d", round,
					      i, j);
			if (j) {
				ck_assert_int_gt(j, last);
				last = j;
			}
		}
		lp_linemap_free(&m);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("linemap");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_identical);
	tcase_add_test(tc, test_insertion_above);
	tcase_add_test(tc, test_edit_and_removal);
	tcase_add_test(tc, test_blanks_and_uneven_hunk);
	tcase_add_test(tc, test_too_different);
	tcase_add_test(tc, test_random_edits);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return lp_check_run(suite());
}
