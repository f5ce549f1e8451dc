/*
 * The statistics of `lineprof diff`, on plain numbers: per row (a line or a
 * function) its sample count in each run, per run an exposure, and out come
 * a p-value and a Benjamini-Hochberg q-value per row. Knows nothing of
 * reports or profiles, so it can be tested on simulated counts.
 *
 * What is tested is a row's TIME: its count is a Poisson count whose rate is
 * its CPU time times the sampling rate, so with equal exposures the counts
 * compare times, not shares. See lineprof(1), STATISTICS.
 */
#ifndef LP_DIFFSTAT_H
#define LP_DIFFSTAT_H

#include <stddef.h>
#include <stdint.h>

/* Regularized incomplete beta function I_x(a, b), a > 0, b > 0, 0 <= x <= 1. */
double lp_stats_betainc(double a, double b, double x);

/* P(T >= t) for Student's t distribution with df > 0 degrees of freedom. */
double lp_stats_t_sf(double t, double df);

/* P(X = k), P(X <= k) and P(X >= k) for X ~ Binomial(n, p). */
double lp_stats_binom_pmf(uint64_t k, uint64_t n, double p);
double lp_stats_binom_cdf(uint64_t k, uint64_t n, double p);
double lp_stats_binom_sf(uint64_t k, uint64_t n, double p);

/*
 * Two-sided exact binomial test of k successes in n trials at probability p:
 * the probability of every outcome no more likely than k (R's binom.test).
 */
double lp_stats_binom_test(uint64_t k, uint64_t n, double p);

/* The smallest p-value lp_stats_binom_test can give for n trials at p (k = 0 or n). */
double lp_stats_binom_min_p(uint64_t n, double p);

/*
 * Benjamini-Hochberg: q[i] for each p[i] (same order) among the m values of
 * p that are not NaN; q[i] is NaN where p[i] is. 0, or -1 when out of memory.
 */
int lp_stats_bh(const double *p, double *q, size_t m);

/* One row's result. */
typedef struct lp_diffstat_row {
	uint64_t base, new;     /* samples summed over each side's runs */
	int tested;             /* enough samples that the exact test could reach p <= fdr */
	double p;               /* two-sided p-value; NaN when not tested */
	double q;               /* BH q-value among the tested rows; NaN when not tested */
	double dispersion;      /* variance / Poisson variance used (1: pure Poisson) */
	int significant;        /* tested and q <= fdr */
} lp_diffstat_row;

/* How the rows were tested, for the output's legend. */
typedef struct lp_diffstat_info {
	int replicated;         /* 3 or more runs in all: drift estimated, quasi-Poisson */
	int df;                 /* residual degrees of freedom (runs - 2), 0 without replicates */
	double drift_cv;        /* run-to-run spread of total samples within a side beyond
	                           Poisson noise, as a coefficient of variation (0: none seen) */
	size_t tested;          /* rows tested (the BH family's size) */
	size_t significant;
} lp_diffstat_info;

/*
 * Tests nrows rows. counts[i * nruns + r] is row i's count in run r; runs
 * 0..nbase-1 are BASE, nbase..nruns-1 NEW. exposure[r] > 0 is what a count
 * is proportional to besides the row's time: the sampling rate times the
 * work done (1 for every run when runs are alike). run_totals[r] is the run's
 * total count (all rows of the program, the drift estimate's input; NULL: the
 * column sums of counts). With one run per side: the exact conditional test
 * (binomial, p0 = E_new / (E_base + E_new)). With more: also a quasi-Poisson
 * score test with a dispersion estimated from the replicates (the row's own,
 * or the whole program's when that is larger) against Student's t with
 * runs - 2 degrees of freedom; p is the larger of the two.
 * 0, or -1 when out of memory.
 */
int lp_diffstat_test(const uint64_t *counts, size_t nrows, const double *exposure,
		     const uint64_t *run_totals, int nbase, int nnew, double fdr,
		     lp_diffstat_row *rows, lp_diffstat_info *info);

#endif
