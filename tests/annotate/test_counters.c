/*
 * Unit tests for annotate/symbols/counters.c: which blocks to count, on
 * hand-built graphs with the true counts of a run known, so that every
 * derived count is checked against the truth, and the probe hits (the
 * measured blocks' counts) against the number that counting every block
 * would cost.
 */
#include <check.h>

#include "../lp_check.h"
#include "counters.h"

static lp_cfg g;
static lp_count_plan plan;

static void teardown(void)
{
	lp_count_plan_free(&plan);
	lp_cfg_free(&g);
}

static void graph(size_t n, const int *pairs, size_t ne)
{
	ck_assert_int_eq(lp_cfg_init(&g, n), 0);
	for (size_t i = 0; i < ne; i++)
		ck_assert_int_eq(lp_cfg_add_edge(&g, pairs[2 * i], pairs[2 * i + 1], LP_EDGE_JUMP), 0);
}

/* Places the counters, then checks every wanted block's count against truth; the probe hits. */
static uint64_t place_and_check(const uint8_t *wanted, const double *cost, const uint64_t *truth)
{
	uint64_t counts[64], hits = 0;

	ck_assert_int_eq(lp_cfg_analyze(&g, 0), 0);
	ck_assert_int_eq(lp_count_place(&g, wanted, NULL, cost, &plan), 0);
	ck_assert_uint_le(plan.nmeasured, 64);
	for (size_t m = 0; m < plan.nmeasured; m++) {
		counts[m] = truth[plan.measured[m]];
		hits += counts[m];
	}
	for (size_t b = 0; b < g.nblocks; b++) {
		uint64_t got;

		if (!wanted[b])
			continue;
		ck_assert_int_eq(lp_count_eval(&plan, (int)b, counts, &got), 0);
		ck_assert_msg(got == truth[b], "block %zu: %llu, truth %llu", b,
			      (unsigned long long)got, (unsigned long long)truth[b]);
	}
	return hits;
}

static int measured(int b)
{
	return lp_count_measured(&plan, b) >= 0;
}

/* A chain 0 -> 1 -> 2 (2 returns): one count gives all three, the cheapest. */
START_TEST(test_chain)
{
	static const int e[] = { 0, 1, 1, 2 };
	static const uint8_t wanted[] = { 1, 1, 1 };
	static const double cost[] = { 2, 1, 2 };
	static const uint64_t truth[] = { 7, 7, 7 };

	graph(3, e, 2);
	g.blocks[2].exits = 1;
	ck_assert_uint_eq(place_and_check(wanted, cost, truth), 7);
	ck_assert_uint_eq(plan.nmeasured, 1);
	ck_assert(measured(1));
}
END_TEST

/*
 * gcc -O0's nested for loops, n = 5 (inner runs i times, T = 10):
 *   0 A  i = 0; jmp F          1        (entry)
 *   1 B  j = 0; jmp D          n = 5
 *   2 C  body; j++             T = 10
 *   3 D  j < i ? C : E         T + n = 15
 *   4 E  i++                   n = 5
 *   5 F  i < n ? B : G         n + 1 = 6
 *   6 G  return                1
 * Counting every line row costs about 3T; here the inner loop needs one
 * count of T (C, cheaper than D), the outer one of n, the entry 1.
 */
START_TEST(test_nested_loops)
{
	static const int e[] = { 0, 5, 1, 3, 2, 3, 3, 2, 3, 4, 4, 5, 5, 1, 5, 6 };
	static const uint8_t wanted[] = { 1, 1, 1, 1, 1, 1, 1 };
	static const double cost[] = { 1, 10, 100, 150, 10, 15, 1 };
	static const uint64_t truth[] = { 1, 5, 10, 15, 5, 6, 1 };
	uint64_t hits, every = 0;

	graph(7, e, 8);
	g.blocks[6].exits = 1;
	hits = place_and_check(wanted, cost, truth);
	for (int b = 0; b < 7; b++)
		every += truth[b];
	ck_assert_uint_eq(plan.nmeasured, 3);   /* edges - blocks + 2: the cycles and the entry */
	ck_assert(measured(2) && !measured(3) && !measured(5));
	ck_assert_uint_le(hits, 10 + 5 + 1);
	ck_assert_uint_ge(every, 2 * hits);
}
END_TEST

/* Blocks that must be measured are, and the rest is placed around them. */
START_TEST(test_must)
{
	static const int e[] = { 0, 5, 1, 3, 2, 3, 3, 2, 3, 4, 4, 5, 5, 1, 5, 6 };
	static const uint8_t wanted[] = { 1, 1, 1, 1, 1, 1, 1 };
	static const uint8_t must[] = { 1, 0, 0, 0, 0, 0, 1 };
	static const double cost[] = { 1, 10, 100, 150, 10, 15, 1 };
	static const uint64_t truth[] = { 1, 5, 10, 15, 5, 6, 1 };
	uint64_t counts[8];

	graph(7, e, 8);
	g.blocks[6].exits = 1;
	ck_assert_int_eq(lp_cfg_analyze(&g, 0), 0);
	ck_assert_int_eq(lp_count_place(&g, wanted, must, cost, &plan), 0);
	ck_assert(measured(0) && measured(6) && measured(2));
	ck_assert_uint_eq(plan.nmeasured, 4);
	for (size_t m = 0; m < plan.nmeasured; m++)
		counts[m] = truth[plan.measured[m]];
	for (int b = 0; b < 7; b++) {
		uint64_t got;

		ck_assert_int_eq(lp_count_eval(&plan, b, counts, &got), 0);
		ck_assert_uint_eq(got, truth[b]);
	}
}
END_TEST

/*
 * Only some counts wanted: an if/else diamond 0 -> {1, 2} -> 3 where only
 * the else arm (2) matters; its count needs one probe, which need not be
 * on it (the entry minus the then arm would do; the cheapest set wins).
 */
START_TEST(test_partial)
{
	static const int e[] = { 0, 1, 0, 2, 1, 3, 2, 3 };
	static const uint8_t wanted[] = { 0, 0, 1, 0 };
	static const double cost[] = { 5, 5, 9, 5 };
	static const uint64_t truth[] = { 100, 70, 30, 100 };

	graph(4, e, 4);
	g.blocks[3].exits = 1;
	place_and_check(wanted, cost, truth);
	ck_assert(!measured(2));
	ck_assert_uint_eq(plan.nmeasured, 2);
}
END_TEST

/*
 * A block entered from outside (a landing pad, 3) that joins the normal
 * path: its entries are unknown, so something on its side is counted.
 *   0 -> 1 -> 2 (exit), 3 -> 2
 */
START_TEST(test_unknown_entry)
{
	static const int e[] = { 0, 1, 1, 2, 3, 2 };
	static const uint8_t wanted[] = { 1, 1, 1, 1 };
	static const double cost[] = { 1, 1, 1, 1 };
	static const uint64_t truth[] = { 4, 4, 6, 2 };

	graph(4, e, 3);
	g.blocks[2].exits = 1;
	g.blocks[3].unknown_entry = 1;
	place_and_check(wanted, cost, truth);
	ck_assert_uint_eq(plan.nmeasured, 2);
}
END_TEST

/*
 * Impossible counts (a call that never returned, so the arm's entries do
 * not balance) are refused, not wrapped around: the diamond's else arm is
 * the entry minus the then arm; a then arm counted above the entry is
 * impossible.
 */
START_TEST(test_negative)
{
	static const int e[] = { 0, 1, 0, 2, 1, 3, 2, 3 };
	static const uint8_t wanted[] = { 0, 0, 1, 0 };
	static const double cost[] = { 5, 5, 9, 5 };
	uint64_t counts[4] = { 0, 0, 0, 0 }, got;
	int neg = -1;

	graph(4, e, 4);
	g.blocks[3].exits = 1;
	ck_assert_int_eq(lp_cfg_analyze(&g, 0), 0);
	ck_assert_int_eq(lp_count_place(&g, wanted, NULL, cost, &plan), 0);
	for (size_t k = plan.first[2]; k < plan.first[3]; k++)
		if (plan.terms[k].sign < 0)
			neg = (int)plan.terms[k].index;
	ck_assert_int_ge(neg, 0);
	counts[neg] = 1;
	ck_assert_int_eq(lp_count_eval(&plan, 2, counts, &got), -1);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("counters");
	TCase *tc = tcase_create("counters");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_chain);
	tcase_add_test(tc, test_nested_loops);
	tcase_add_test(tc, test_must);
	tcase_add_test(tc, test_partial);
	tcase_add_test(tc, test_unknown_entry);
	tcase_add_test(tc, test_negative);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return lp_check_run(suite());
}
