/* Derived metrics: which events count as their inputs (by what was measured). */
#include <check.h>

#include "../lp_check.h"
#include <string.h>

#include "lineprof/metric.h"

static lp_profile *with_events(const char *const (*ev)[2], int n)
{
	lp_profile *p = lp_profile_new();

	ck_assert_ptr_nonnull(p);
	p->nevents = n;
	for (int i = 0; i < n; i++) {
		strcpy(p->events[i].name, ev[i][0]);
		strcpy(p->events[i].measured, ev[i][1]);
	}
	return p;
}

START_TEST(test_measured_not_name)
{
	/* -e cycles,instructions without a PMU: cycles became cpu-clock. */
	const char *const ev[][2] = { { "cycles", "cpu-clock" }, { "instructions", "instructions" } };
	lp_profile *p = with_events(ev, 2);
	int num, den;

	ck_assert_int_eq(lp_metric_event(p, "cycles"), -1);
	ck_assert_int_eq(lp_metric_event(p, "instructions"), 1);
	ck_assert_int_eq(lp_metric_available(p, &lp_metrics[0], &num, &den), 0);
	lp_profile_free(p);
}
END_TEST

START_TEST(test_modifiers_and_aliases)
{
	const char *const ev[][2] = { { "cpu-cycles:ppp", "cpu-cycles:p" },
				      { "instructions:u", "instructions:u" },
				      { "branch-instructions", "branch-instructions" },
				      { "BRANCH-MISSES", "BRANCH-MISSES" },
				      { "cache-misses", "cache-misses" } };
	lp_profile *p = with_events(ev, 5);
	int num = -1, den = -1;

	ck_assert_int_eq(lp_metric_event(p, "cycles"), 0);
	ck_assert_int_eq(lp_metric_event(p, "cycles:pp"), 0);
	ck_assert_int_eq(lp_metric_available(p, &lp_metrics[0], &num, &den), 1);
	ck_assert_int_eq(num, 1);
	ck_assert_int_eq(den, 0);
	ck_assert_int_eq(lp_metric_available(p, &lp_metrics[2], &num, &den), 1);
	ck_assert_int_eq(num, 3);
	ck_assert_int_eq(den, 2);
	/* cache-misses alone: no cache-references, no ratio. */
	ck_assert_str_eq(lp_metrics[1].key, "cache_miss_ratio");
	ck_assert_int_eq(lp_metric_available(p, &lp_metrics[1], &num, &den), 0);
	/* A libpfm4 name is not a generic one, a prefix is not a match. */
	ck_assert_int_eq(lp_metric_event(p, "cache"), -1);
	lp_profile_free(p);
}
END_TEST

START_TEST(test_ratio)
{
	double r = -1;

	ck_assert_int_eq(lp_metric_ratio(3, 2, &r), 0);
	ck_assert_double_eq_tol(r, 1.5, 1e-12);
	ck_assert_int_eq(lp_metric_ratio(0, 7, &r), 0);
	ck_assert_double_eq(r, 0.0);
	r = 42;
	ck_assert_int_eq(lp_metric_ratio(5, 0, &r), -1);
	ck_assert_double_eq(r, 42);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("model-metric");
	TCase *tc = tcase_create("metric");

	tcase_add_test(tc, test_measured_not_name);
	tcase_add_test(tc, test_modifiers_and_aliases);
	tcase_add_test(tc, test_ratio);
	suite_add_tcase(s, tc);
	return lp_check_run(s);
}
