/*
 * lineprof diff's statistics (annotate/diffstat.c): the distributions against
 * closed forms and brute-force sums, and the test's error rates on simulated
 * Poisson counts. The simulations use a fixed seed, so they are repeatable;
 * their bounds sit many standard errors away from the rates they check.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diffstat.h"
#include "../lp_check.h"

/* splitmix64: a small, well-mixed generator, seeded per test. */
typedef struct rng {
	uint64_t s;
} rng;

static uint64_t rng_next(rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double rng_unif(rng *r)
{
	return ((double)(rng_next(r) >> 11) + 0.5) / 9007199254740992.0;
}

static double rng_normal(rng *r)
{
	return sqrt(-2.0 * log(rng_unif(r))) * cos(6.283185307179586 * rng_unif(r));
}

/*
 * Poisson variates: multiplication of uniforms for small means, Hormann's
 * transformed rejection (PTRS, 1993) otherwise; both exact.
 */
static uint64_t rng_poisson(rng *r, double lam)
{
	if (lam < 12) {
		double l = exp(-lam), p = rng_unif(r);
		uint64_t k = 0;

		while (p > l) {
			p *= rng_unif(r);
			k++;
		}
		return k;
	}
	double slam = sqrt(lam), loglam = log(lam), b = 0.931 + 2.53 * slam;
	double a = -0.059 + 0.02483 * b, inva = 1.1239 + 1.1328 / (b - 3.4);
	double vr = 0.9277 - 3.6224 / (b - 2);

	for (;;) {
		double u = rng_unif(r) - 0.5, v = rng_unif(r), us = 0.5 - fabs(u);
		double k = floor((2 * a / us + b) * u + lam + 0.43);

		if (us >= 0.07 && v <= vr)
			return (uint64_t)k;
		if (k < 0 || (us < 0.013 && v > us))
			continue;
		if (log(v) + log(inva) - log(a / (us * us) + b) <= -lam + k * loglam - lgamma(k + 1))
			return (uint64_t)k;
	}
}

START_TEST(test_betainc_closed_forms)
{
	for (double x = 0.05; x < 1.0; x += 0.1) {
		ck_assert_double_eq_tol(lp_stats_betainc(1, 1, x), x, 1e-12);
		ck_assert_double_eq_tol(lp_stats_betainc(3, 1, x), x * x * x, 1e-12);
		ck_assert_double_eq_tol(lp_stats_betainc(1, 4, x), 1 - pow(1 - x, 4), 1e-12);
	}
	ck_assert_double_eq_tol(lp_stats_betainc(250.5, 250.5, 0.5), 0.5, 1e-12);
	ck_assert_double_eq(lp_stats_betainc(2, 3, 0), 0);
	ck_assert_double_eq(lp_stats_betainc(2, 3, 1), 1);
}
END_TEST

START_TEST(test_t_sf)
{
	for (double t = -4; t <= 4; t += 0.5) {
		/* df 1 is Cauchy; df 2 has a closed form too. */
		ck_assert_double_eq_tol(lp_stats_t_sf(t, 1), 0.5 - atan(t) / M_PI, 1e-12);
		ck_assert_double_eq_tol(lp_stats_t_sf(t, 2), 0.5 * (1 - t / sqrt(2 + t * t)), 1e-12);
	}
	/* The 97.5 % quantile of t with 4 degrees of freedom. */
	ck_assert_double_eq_tol(lp_stats_t_sf(2.776445105, 4), 0.025, 1e-8);
	/* Many degrees of freedom: the normal distribution. */
	ck_assert_double_eq_tol(lp_stats_t_sf(1.959963985, 1e7), 0.025, 1e-6);
	ck_assert_double_eq(lp_stats_t_sf(INFINITY, 3), 0);
}
END_TEST

/* The two-sided test by brute force: every outcome no likelier than k, summed in long double. */
static double brute_binom_test(uint64_t k, uint64_t n, double p)
{
	long double d = 0, sum = 0, pmf[200];

	for (uint64_t i = 0; i <= n; i++) {
		pmf[i] = expl(lgammal(n + 1.0L) - lgammal(i + 1.0L) - lgammal(n - i + 1.0L) +
			      i * logl(p) + (n - i) * log1pl(-p));
		if (i == k)
			d = pmf[i];
	}
	for (uint64_t i = 0; i <= n; i++)
		if (pmf[i] <= d * (1 + 1e-7L))
			sum += pmf[i];
	return sum > 1 ? 1.0 : (double)sum;
}

START_TEST(test_binom_test_brute_force)
{
	const double ps[] = { 0.5, 0.3, 2.0 / 3.0, 0.1, 0.93 };

	for (size_t j = 0; j < sizeof(ps) / sizeof(ps[0]); j++)
		for (uint64_t n = 1; n <= 120; n += 7)
			for (uint64_t k = 0; k <= n; k++) {
				double want = brute_binom_test(k, n, ps[j]);
				double got = lp_stats_binom_test(k, n, ps[j]);

				ck_assert_msg(fabs(got - want) <= 1e-9 + 1e-9 * want,
					      "binom_test(%lu, %lu, %g) = %.12g, brute force %.12g",
					      (unsigned long)k, (unsigned long)n, ps[j], got, want);
			}
	/* R's binom.test(3, 10): 0.34375 exactly. */
	ck_assert_double_eq_tol(lp_stats_binom_test(3, 10, 0.5), 0.34375, 1e-12);
	/* Large counts: k = n/2 + 1000 of a million is z = 2. */
	ck_assert_double_eq_tol(lp_stats_binom_test(501000, 1000000, 0.5), 0.0455, 2e-4);
	ck_assert_double_eq_tol(lp_stats_binom_min_p(6, 0.5), 0.03125, 1e-12);
}
END_TEST

START_TEST(test_bh)
{
	const double p[] = { 0.01, 0.04, NAN, 0.03, 0.005 };
	double q[5];

	ck_assert_int_eq(lp_stats_bh(p, q, 5), 0);
	ck_assert_double_eq_tol(q[0], 0.02, 1e-12);
	ck_assert_double_eq_tol(q[1], 0.04, 1e-12);
	ck_assert(isnan(q[2]));
	ck_assert_double_eq_tol(q[3], 0.04, 1e-12);
	ck_assert_double_eq_tol(q[4], 0.02, 1e-12);
}
END_TEST

#define ROWS 40
#define MAXRUNS 12

/*
 * A simulated program: ROWS lines whose true time per run spans 1 to 3000
 * samples' worth, log-spaced (most programs have a few hot lines and many
 * cold ones).
 */
static double row_rate(int i)
{
	return exp(log(3000.0) * i / (ROWS - 1));
}

typedef struct sim {
	int nbase, nnew;
	double drift;           /* sd of log run speed, shared by all rows of a run */
	double row_drift;       /* sd of log speed, per row and run (uneven drift) */
	double new_factor[ROWS]; /* true NEW / BASE time per row */
	double work[2];         /* work units of BASE's and NEW's runs */
	int exposure_by_work;   /* tell the test about the work (--scale) */
} sim;

/* One simulated diff: which rows were marked; returns how many. */
static int simulate(rng *r, const sim *s, int marked[ROWS], lp_diffstat_info *info)
{
	uint64_t counts[ROWS * MAXRUNS];
	double expo[MAXRUNS];
	lp_diffstat_row rows[ROWS];
	int nr = s->nbase + s->nnew, n = 0;

	for (int run = 0; run < nr; run++) {
		int is_new = run >= s->nbase;
		double speed = exp(s->drift * rng_normal(r)), w = s->work[is_new];

		expo[run] = s->exposure_by_work ? w : 1.0;
		for (int i = 0; i < ROWS; i++) {
			double lam = row_rate(i) * w * speed * exp(s->row_drift * rng_normal(r));

			if (is_new)
				lam *= s->new_factor[i];
			counts[i * nr + run] = rng_poisson(r, lam);
		}
	}
	ck_assert_int_eq(lp_diffstat_test(counts, ROWS, expo, NULL, s->nbase, s->nnew, 0.05, rows,
					  info), 0);
	for (int i = 0; i < ROWS; i++) {
		marked[i] = rows[i].significant;
		n += marked[i];
	}
	return n;
}

static sim sim_null(int nbase, int nnew, double drift)
{
	sim s = { .nbase = nbase, .nnew = nnew, .drift = drift, .work = { 1, 1 } };

	for (int i = 0; i < ROWS; i++)
		s.new_factor[i] = 1.0;
	return s;
}

/* Diffs (of reps) in which at least one row was marked. */
static int diffs_with_marks(uint64_t seed, const sim *s, int reps)
{
	rng r = { seed };
	lp_diffstat_info info;
	int marked[ROWS], any = 0;

	for (int k = 0; k < reps; k++)
		any += simulate(&r, s, marked, &info) > 0;
	/* The measured rate, for the log (meson test --verbose). */
	fprintf(stderr, "%d+%d runs, drift %.2f (rows %.2f), work %g:%g%s: %d of %d diffs marked\n",
		s->nbase, s->nnew, s->drift, s->row_drift, s->work[0], s->work[1],
		s->exposure_by_work ? " (scaled)" : "", any, reps);
	return any;
}

/*
 * Nothing changed, one run per side, Poisson noise only: BH keeps the chance
 * of any mark at most 5 %. Over 2000 diffs, 100 at most on average (a
 * standard error of 10; the exact test is conservative, so fewer); 140 would
 * be four standard errors out.
 */
START_TEST(test_null_one_run)
{
	sim s = sim_null(1, 1, 0.0);
	int any = diffs_with_marks(1, &s, 2000);

	ck_assert_msg(any <= 140, "%d of 2000 null diffs had a mark", any);
}
END_TEST

/*
 * The caveat the output states: with one run per side, a machine whose speed
 * drifts 10 % between runs makes most null diffs look changed.
 */
START_TEST(test_drift_breaks_one_run)
{
	sim s = sim_null(1, 1, 0.10);
	int any = diffs_with_marks(2, &s, 500);

	ck_assert_msg(any >= 250, "only %d of 500 drifting diffs had a mark", any);
}
END_TEST

/*
 * Several runs per side with drift injected (25 % between runs, all rows
 * alike, and 5 % per row on top): the replicates' dispersion keeps the marks
 * at the documented rate.
 */
START_TEST(test_null_replicated_drift)
{
	const int shapes[][2] = { { 3, 3 }, { 5, 5 }, { 2, 4 } };

	for (size_t k = 0; k < sizeof(shapes) / sizeof(shapes[0]); k++) {
		sim s = sim_null(shapes[k][0], shapes[k][1], 0.25);
		int any;

		s.row_drift = 0.05;
		any = diffs_with_marks(3 + k, &s, 1000);
		ck_assert_msg(any <= 75, "%dx%d runs: %d of 1000 drifting null diffs had a mark",
			      shapes[k][0], shapes[k][1], any);
	}
}
END_TEST

/* The same with drift that hits rows unevenly (30 % per row and run): each row's own replicates. */
START_TEST(test_null_replicated_uneven_drift)
{
	sim s = sim_null(4, 4, 0.05);
	int any;

	s.row_drift = 0.30;
	any = diffs_with_marks(7, &s, 1000);
	ck_assert_msg(any <= 75, "%d of 1000 unevenly drifting null diffs had a mark", any);
}
END_TEST

/*
 * One line twice as fast (~1500 samples per run): it is marked, and the other
 * lines, whose shares all rise while their times stay put, are marked no more
 * than the false-discovery rate allows: on average at most 5 % of the marks
 * are false (the mean false share over 1000 diffs has a standard error of
 * about 0.007; BH gives about 0.045 here, as the next marks' thresholds are
 * looser once the halved line is in).
 */
static void halved_line(const sim *s, uint64_t seed, int reps, int min_hits)
{
	rng r = { seed };
	lp_diffstat_info info;
	int marked[ROWS], hit = 0;
	double fdp = 0;

	for (int k = 0; k < reps; k++) {
		int all = simulate(&r, s, marked, &info), others = all - marked[ROWS - 3];

		hit += marked[ROWS - 3];
		fdp += all ? (double)others / all : 0.0;
	}
	fprintf(stderr, "%d+%d runs, drift %.2f, one line halved: marked in %d of %d diffs, "
		"false share of the marks %.4f\n", s->nbase, s->nnew, s->drift, hit, reps, fdp / reps);
	ck_assert_msg(hit >= min_hits, "the halved line was marked in %d of %d diffs", hit, reps);
	ck_assert_msg(fdp / reps <= 0.075, "false share of the marks %.3f", fdp / reps);
}

START_TEST(test_halved_line_one_run)
{
	sim s = sim_null(1, 1, 0.0);

	s.new_factor[ROWS - 3] = 0.5;
	halved_line(&s, 11, 1000, 995);
}
END_TEST

/* The same over 3+3 runs of a machine drifting 5 %: still found, nearly always. */
START_TEST(test_halved_line_replicated)
{
	sim s = sim_null(3, 3, 0.05);

	s.new_factor[ROWS - 3] = 0.5;
	halved_line(&s, 12, 1000, 900);
}
END_TEST

/* A share test would mark the lines whose share moved; a time test must not. */
START_TEST(test_time_not_share)
{
	const uint64_t counts[] = { 1000, 1000, 1000, 1000, 2000, 1000 };
	const double expo[] = { 1, 1 };
	lp_diffstat_row rows[3];
	lp_diffstat_info info;

	ck_assert_int_eq(lp_diffstat_test(counts, 3, expo, NULL, 1, 1, 0.05, rows, &info), 0);
	ck_assert(!rows[0].significant);
	ck_assert(!rows[1].significant);
	ck_assert_double_eq(rows[0].p, 1.0);
	ck_assert(rows[2].significant);
	ck_assert(rows[2].p < 1e-20);
	ck_assert(!info.replicated);
	ck_assert_uint_eq(info.tested, 3);
}
END_TEST

/* NEW ran twice the work: every line's time doubled, per unit of work nothing changed. */
START_TEST(test_scale_by_work)
{
	sim s = sim_null(2, 2, 0.02);
	int any;

	s.work[1] = 2.0;
	s.exposure_by_work = 1;
	any = diffs_with_marks(21, &s, 500);
	ck_assert_msg(any <= 40, "%d of 500 scaled diffs had a mark", any);
	s.exposure_by_work = 0;
	any = diffs_with_marks(22, &s, 100);
	ck_assert_msg(any >= 99, "without the scale only %d of 100 diffs saw the doubling", any);
}
END_TEST

/* Rows too small to ever reach p <= fdr are left out of the family, and say so. */
START_TEST(test_untestable_rows)
{
	const uint64_t counts[] = { 3, 0, 0, 2, 400, 200 };
	const double expo[] = { 1, 1 };
	lp_diffstat_row rows[3];
	lp_diffstat_info info;

	ck_assert_int_eq(lp_diffstat_test(counts, 3, expo, NULL, 1, 1, 0.05, rows, &info), 0);
	ck_assert(!rows[0].tested && isnan(rows[0].p) && !rows[0].significant);
	ck_assert(!rows[1].tested);
	ck_assert(rows[2].tested && rows[2].significant);
	ck_assert_uint_eq(info.tested, 1);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("diffstat");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_betainc_closed_forms);
	tcase_add_test(tc, test_t_sf);
	tcase_add_test(tc, test_binom_test_brute_force);
	tcase_add_test(tc, test_bh);
	tcase_add_test(tc, test_null_one_run);
	tcase_add_test(tc, test_drift_breaks_one_run);
	tcase_add_test(tc, test_null_replicated_drift);
	tcase_add_test(tc, test_null_replicated_uneven_drift);
	tcase_add_test(tc, test_halved_line_one_run);
	tcase_add_test(tc, test_halved_line_replicated);
	tcase_add_test(tc, test_time_not_share);
	tcase_add_test(tc, test_scale_by_work);
	tcase_add_test(tc, test_untestable_rows);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return lp_check_run(suite());
}
