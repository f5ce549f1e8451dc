/* The helpers every view relies on: confidence intervals, colour, UTF-8. */
#include <check.h>

#include "../lp_check.h"
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "render.h"
#include "rows.h"

/* The same share, k/n = 1/4, measured with ever more samples: the interval narrows. */
START_TEST(test_wilson_shrinks)
{
	double prev = 2.0;

	for (uint64_t n = 4; n <= 4000000; n *= 10) {
		double lo, hi;

		lp_render_wilson(n / 4, n, &lo, &hi);
		ck_assert_msg(lo < 0.25 && 0.25 < hi, "n=%llu: [%f, %f]", (unsigned long long)n, lo, hi);
		ck_assert_msg(hi - lo < prev, "n=%llu: width %f, was %f", (unsigned long long)n,
			      hi - lo, prev);
		/* Once n is not tiny, ten times the samples divide the width by sqrt(10). */
		if (n >= 4000)
			ck_assert_double_eq_tol(prev / (hi - lo), sqrt(10.0), 0.01);
		prev = hi - lo;
	}
	/* 4 million samples: +- 0.04 %. */
	ck_assert_double_lt(prev, 0.001);
}
END_TEST

START_TEST(test_wilson_edges)
{
	double lo, hi;

	lp_render_wilson(0, 0, &lo, &hi);
	ck_assert(lo == 0.0 && hi == 1.0);
	/* No sample out of 50 still allows up to 7.13 %; all 50 down to 92.87 %. */
	lp_render_wilson(0, 50, &lo, &hi);
	ck_assert(lo == 0.0);
	ck_assert_double_eq_tol(hi, 0.0713476, 1e-6);
	lp_render_wilson(50, 50, &lo, &hi);
	ck_assert_double_eq_tol(lo, 1.0 - 0.0713476, 1e-6);
	ck_assert(hi == 1.0);
	lp_render_wilson(30, 50, &lo, &hi);
	ck_assert_double_eq_tol(lo, 0.46181438, 1e-8);
	ck_assert_double_eq_tol(hi, 0.72391610, 1e-8);
}
END_TEST

/* auto: only on a terminal, and not with a non-empty NO_COLOR; always and never win. */
START_TEST(test_use_color)
{
	lp_view_opts o;
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len), *tty;
	int master = posix_openpt(O_RDWR | O_NOCTTY), slave;

	ck_assert_int_ge(master, 0);
	ck_assert_int_eq(grantpt(master), 0);
	ck_assert_int_eq(unlockpt(master), 0);
	slave = open(ptsname(master), O_RDWR | O_NOCTTY);
	ck_assert_int_ge(slave, 0);
	tty = fdopen(slave, "w");
	lp_view_opts_init(&o);
	unsetenv("NO_COLOR");
	ck_assert_int_eq(lp_render_use_color(&o, mem), 0);
	ck_assert_int_eq(lp_render_use_color(&o, tty), 1);
	setenv("NO_COLOR", "", 1);
	ck_assert_int_eq(lp_render_use_color(&o, tty), 1);
	setenv("NO_COLOR", "1", 1);
	ck_assert_int_eq(lp_render_use_color(&o, tty), 0);
	o.color = LP_COLOR_ALWAYS;
	ck_assert_int_eq(lp_render_use_color(&o, tty), 1);
	ck_assert_int_eq(lp_render_use_color(&o, mem), 1);
	unsetenv("NO_COLOR");
	o.color = LP_COLOR_NEVER;
	ck_assert_int_eq(lp_render_use_color(&o, tty), 0);
	fclose(tty);
	close(master);
	fclose(mem);
	free(buf);
}
END_TEST

START_TEST(test_heat)
{
	ck_assert_str_eq(lp_render_heat(0.5, 0), "");
	ck_assert_str_eq(lp_render_heat(0.005, 1), "");
	ck_assert_str_eq(lp_render_heat(0.20, 1), "\033[1;38;5;196m");
	ck_assert_str_eq(lp_render_heat(0.02, 1), "\033[38;5;226m");
	ck_assert_str_eq(lp_render_reset(0), "");
}
END_TEST

START_TEST(test_utf8_len)
{
	ck_assert_int_eq(lp_utf8_len((const unsigned char *)"a"), 1);
	ck_assert_int_eq(lp_utf8_len((const unsigned char *)"\xc3\xa9"), 2);       /* é */
	ck_assert_int_eq(lp_utf8_len((const unsigned char *)"\xe2\x82\xac"), 3);   /* € */
	ck_assert_int_eq(lp_utf8_len((const unsigned char *)"\xf0\x9f\x98\x80"), 4);
	ck_assert_int_eq(lp_utf8_len((const unsigned char *)"\xff"), 0);
	ck_assert_int_eq(lp_utf8_len((const unsigned char *)"\x80"), 0);           /* continuation */
	ck_assert_int_eq(lp_utf8_len((const unsigned char *)"\xc0\x80"), 0);       /* overlong NUL */
	ck_assert_int_eq(lp_utf8_len((const unsigned char *)"\xe0\x80\xaf"), 0);   /* overlong / */
	ck_assert_int_eq(lp_utf8_len((const unsigned char *)"\xed\xa0\x80"), 0);   /* surrogate */
	ck_assert_int_eq(lp_utf8_len((const unsigned char *)"\xf4\x90\x80\x80"), 0); /* > U+10FFFF */
	ck_assert_int_eq(lp_utf8_len((const unsigned char *)"\xe2\x82"), 0);       /* cut short */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("render-util");
	TCase *tc = tcase_create("util");

	tcase_add_test(tc, test_wilson_shrinks);
	tcase_add_test(tc, test_wilson_edges);
	tcase_add_test(tc, test_use_color);
	tcase_add_test(tc, test_heat);
	tcase_add_test(tc, test_utf8_len);
	suite_add_tcase(s, tc);
	return lp_check_run(s);
}
