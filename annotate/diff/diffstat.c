/*
 * The tests behind `lineprof diff`. Hand-written rather than GSL's: GSL is
 * GPL and lineprof is MIT; what is needed is small (one continued fraction
 * gives the binomial and Student's t tails) and is checked against exact
 * values in tests/diff.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "diffstat.h"

/* log B(a, b) */
static double lbeta(double a, double b)
{
	return lgamma(a) + lgamma(b) - lgamma(a + b);
}

/*
 * The continued fraction of I_x(a, b) (its even and odd steps), evaluated by
 * Lentz's method; it converges fast for x < (a + 1) / (a + b + 2), and the
 * caller uses the symmetry I_x(a, b) = 1 - I_(1-x)(b, a) otherwise.
 */
static double betacf(double a, double b, double x)
{
	const double tiny = 1e-300, eps = 1e-15;
	double c = 1.0, d = 1.0 - (a + b) * x / (a + 1.0), f;

	if (fabs(d) < tiny)
		d = tiny;
	d = 1.0 / d;
	f = d;
	/* Enough for a, b in the millions: convergence takes about sqrt(max(a, b)) steps. */
	for (int m = 1; m < 1000000; m++) {
		double m2 = 2.0 * m, num, delta;

		num = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));
		d = 1.0 + num * d;
		c = 1.0 + num / c;
		d = fabs(d) < tiny ? 1.0 / tiny : 1.0 / d;
		if (fabs(c) < tiny)
			c = tiny;
		f *= d * c;
		num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0));
		d = 1.0 + num * d;
		c = 1.0 + num / c;
		d = fabs(d) < tiny ? 1.0 / tiny : 1.0 / d;
		if (fabs(c) < tiny)
			c = tiny;
		delta = d * c;
		f *= delta;
		if (fabs(delta - 1.0) < eps)
			break;
	}
	return f;
}

double lp_stats_betainc(double a, double b, double x)
{
	double front;

	if (x <= 0.0)
		return 0.0;
	if (x >= 1.0)
		return 1.0;
	front = exp(a * log(x) + b * log1p(-x) - lbeta(a, b));
	if (x < (a + 1.0) / (a + b + 2.0))
		return front * betacf(a, b, x) / a;
	return 1.0 - front * betacf(b, a, 1.0 - x) / b;
}

double lp_stats_t_sf(double t, double df)
{
	double tail;

	if (isnan(t))
		return NAN;
	if (isinf(t))
		return t > 0 ? 0.0 : 1.0;
	/* P(|T| >= |t|) = I_(df / (df + t^2))(df / 2, 1 / 2) */
	tail = 0.5 * lp_stats_betainc(0.5 * df, 0.5, df / (df + t * t));
	return t >= 0 ? tail : 1.0 - tail;
}

static double binom_lpmf(uint64_t k, uint64_t n, double p)
{
	double dk = (double)k, dn = (double)n;

	if (p <= 0.0)
		return k == 0 ? 0.0 : -INFINITY;
	if (p >= 1.0)
		return k == n ? 0.0 : -INFINITY;
	return lgamma(dn + 1.0) - lgamma(dk + 1.0) - lgamma(dn - dk + 1.0) + dk * log(p) +
	       (dn - dk) * log1p(-p);
}

double lp_stats_binom_pmf(uint64_t k, uint64_t n, double p)
{
	return k > n ? 0.0 : exp(binom_lpmf(k, n, p));
}

double lp_stats_binom_sf(uint64_t k, uint64_t n, double p)
{
	if (k == 0)
		return 1.0;
	if (k > n)
		return 0.0;
	return lp_stats_betainc((double)k, (double)(n - k) + 1.0, p);
}

double lp_stats_binom_cdf(uint64_t k, uint64_t n, double p)
{
	if (k >= n)
		return 1.0;
	return lp_stats_betainc((double)(n - k), (double)k + 1.0, 1.0 - p);
}

double lp_stats_binom_test(uint64_t k, uint64_t n, double p)
{
	/* R's tolerance: outcomes this close to k's probability count as equally likely. */
	const double rel = log1p(1e-7);
	double m = (double)n * p, ld, pv;

	if (n == 0 || k > n)
		return 1.0;
	if (p <= 0.0)
		return k == 0 ? 1.0 : 0.0;
	if (p >= 1.0)
		return k == n ? 1.0 : 0.0;
	if ((double)k == m)
		return 1.0;
	ld = binom_lpmf(k, n, p) + rel;
	if ((double)k < m) {
		/* The pmf falls from ceil(m) to n: the first outcome there no likelier than k. */
		uint64_t lo = (uint64_t)ceil(m), hi = n + 1;

		while (lo < hi) {
			uint64_t mid = lo + (hi - lo) / 2;

			if (binom_lpmf(mid, n, p) <= ld)
				hi = mid;
			else
				lo = mid + 1;
		}
		pv = lp_stats_binom_cdf(k, n, p) + (lo <= n ? lp_stats_binom_sf(lo, n, p) : 0.0);
	} else {
		/* The pmf rises from 0 to floor(m): the last outcome there no likelier than k. */
		uint64_t top = (uint64_t)floor(m), lo = 0, hi = top + 1;

		/* lo: the first outcome in [0, top] likelier than k; outcomes below it count. */
		while (lo < hi) {
			uint64_t mid = lo + (hi - lo) / 2;

			if (binom_lpmf(mid, n, p) <= ld)
				lo = mid + 1;
			else
				hi = mid;
		}
		pv = lp_stats_binom_sf(k, n, p) + (lo > 0 ? lp_stats_binom_cdf(lo - 1, n, p) : 0.0);
	}
	return pv < 1.0 ? pv : 1.0;
}

double lp_stats_binom_min_p(uint64_t n, double p)
{
	double a = lp_stats_binom_test(0, n, p), b = lp_stats_binom_test(n, n, p);

	return a < b ? a : b;
}

typedef struct lp_pidx {
	double p;
	size_t i;
} lp_pidx;

static int cmp_pidx(const void *pa, const void *pb)
{
	const lp_pidx *a = pa, *b = pb;

	if (a->p != b->p)
		return a->p < b->p ? -1 : 1;
	return a->i < b->i ? -1 : a->i > b->i;
}

int lp_stats_bh(const double *p, double *q, size_t m)
{
	lp_pidx *s = malloc((m + 1) * sizeof(*s));
	size_t n = 0;
	double run = 1.0;

	if (!s)
		return -1;
	for (size_t i = 0; i < m; i++) {
		q[i] = NAN;
		if (!isnan(p[i]))
			s[n++] = (lp_pidx){ p[i], i };
	}
	if (n)
		qsort(s, n, sizeof(*s), cmp_pidx);
	/* q_(j) = min over k >= j of p_(k) * n / k, walking down from the largest. */
	for (size_t j = n; j > 0; j--) {
		double v = s[j - 1].p * (double)n / (double)j;

		if (v < run)
			run = v;
		q[s[j - 1].i] = run;
	}
	free(s);
	return 0;
}

/*
 * Pearson's dispersion of one row: its squared deviations from its side's
 * rate, over the Poisson variance, summed over runs. Divided by runs - 2 it
 * estimates Var / mean (1 for a Poisson count).
 */
static double pearson(const uint64_t *c, const double *e, int nbase, int nruns, double *mbar)
{
	double sum = 0.0, m1 = 0.0, m2 = 0.0;

	for (int side = 0; side < 2; side++) {
		int r0 = side ? nbase : 0, r1 = side ? nruns : nbase;
		double cs = 0.0, es = 0.0;

		for (int r = r0; r < r1; r++)
			cs += (double)c[r], es += e[r];
		for (int r = r0; r < r1 && cs > 0; r++) {
			double mu = e[r] * cs / es, dev = (double)c[r] - mu;

			sum += dev * dev / mu;
			m1 += mu;
			m2 += mu * mu;
		}
	}
	/* The count size at which extra-Poisson variance alpha * m^2 shows: sum m^2 / sum m. */
	*mbar = m1 > 0 ? m2 / m1 : 0.0;
	return sum;
}

int lp_diffstat_test(const uint64_t *counts, size_t nrows, const double *exposure,
		     const uint64_t *run_totals, int nbase, int nnew, double fdr,
		     lp_diffstat_row *rows, lp_diffstat_info *info)
{
	int nruns = nbase + nnew, df = nruns - 2;
	double eb = 0.0, en = 0.0, p0, alpha = 0.0, *p, *q;
	uint64_t *tot = calloc((size_t)nruns + 1, sizeof(*tot));

	p = calloc(nrows + 1, sizeof(*p));
	q = malloc((nrows + 1) * sizeof(*q));
	if (!tot || !p || !q) {
		free(tot);
		free(p);
		free(q);
		return -1;
	}
	for (int r = 0; r < nruns; r++) {
		if (r < nbase)
			eb += exposure[r];
		else
			en += exposure[r];
		if (run_totals)
			tot[r] = run_totals[r];
		else
			for (size_t i = 0; i < nrows; i++)
				tot[r] += counts[i * (size_t)nruns + (size_t)r];
	}
	p0 = en / (eb + en);
	info->replicated = df >= 1;
	info->df = df >= 1 ? df : 0;
	info->drift_cv = 0.0;
	info->tested = info->significant = 0;
	/*
	 * The program's drift: the runs of one side ran the same code, so beyond
	 * Poisson noise their totals differ only by the machine's speed. Seen as
	 * Var = m + alpha m^2, alpha is the squared coefficient of variation of a
	 * run's speed, and a row with m samples per run then has dispersion
	 * 1 + alpha m even when its own few replicates happen to agree.
	 */
	if (info->replicated) {
		double mbar, phi = pearson(tot, exposure, nbase, nruns, &mbar) / df;

		if (phi > 1.0 && mbar > 0)
			alpha = (phi - 1.0) / mbar;
		info->drift_cv = sqrt(alpha);
	}
	for (size_t i = 0; i < nrows; i++) {
		const uint64_t *c = counts + i * (size_t)nruns;
		lp_diffstat_row *row = &rows[i];
		uint64_t n;

		row->base = row->new = 0;
		for (int r = 0; r < nruns; r++) {
			if (r < nbase)
				row->base += c[r];
			else
				row->new += c[r];
		}
		n = row->base + row->new;
		row->dispersion = 1.0;
		row->significant = 0;
		/* A row too small to reach p <= fdr even at its most lopsided is no test: leaving it
		 * out of the family (it depends on n alone, not on how n splits) keeps BH valid. */
		row->tested = n > 0 && lp_stats_binom_min_p(n, p0) <= fdr;
		p[i] = NAN;
		if (!row->tested)
			continue;
		p[i] = lp_stats_binom_test(row->new, n, p0);
		if (info->replicated) {
			double mbar, own = pearson(c, exposure, nbase, nruns, &mbar) / df;
			double common = 1.0 + alpha * mbar, phi = 1.0, z, pq;

			if (own > phi)
				phi = own;
			if (common > phi)
				phi = common;
			row->dispersion = phi;
			z = ((double)row->new - (double)n * p0) / sqrt(phi * (double)n * p0 * (1.0 - p0));
			pq = 2.0 * lp_stats_t_sf(fabs(z), df);
			/* Never below the exact Poisson test: the t approximation is loose at small counts. */
			if (pq > p[i])
				p[i] = pq < 1.0 ? pq : 1.0;
		}
		info->tested++;
	}
	if (lp_stats_bh(p, q, nrows) != 0) {
		free(tot);
		free(p);
		free(q);
		return -1;
	}
	for (size_t i = 0; i < nrows; i++) {
		rows[i].p = p[i];
		rows[i].q = q[i];
		rows[i].significant = rows[i].tested && q[i] <= fdr;
		info->significant += (size_t)rows[i].significant;
	}
	free(tot);
	free(p);
	free(q);
	return 0;
}
