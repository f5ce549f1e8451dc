/*
 * Test program for whose loop a loop is: dot()'s loop (DOT_LOOP) is
 * inlined into the loop of rows() (ROWS_LOOP), whose body is then almost
 * all dot's code. The inner loop must be dot's, on dot's lines; the outer
 * one rows', on rows' lines, though most of its instructions are dot's.
 * Built at -O2 (dot is always inlined).
 */
#include <stdio.h>

#define N 64

volatile long lp_inl_rows = 12000000;
static double lp_inl_a[N], lp_inl_b[N];

static inline __attribute__((always_inline)) double dot(const double *a, const double *b)
{
	double s = 0.0;

	for (int k = 0; k < N; k++) /* DOT_LOOP */
		s += a[k] * b[k]; /* DOT_BODY */
	return s;
}

__attribute__((noinline)) double rows(long n)
{
	double total = 0.0;

	for (long i = 0; i < n; i++) { /* ROWS_LOOP */
		lp_inl_a[i % N] += 1e-9; /* ROWS_BODY */
		total += dot(lp_inl_a, lp_inl_b); /* ROWS_CALL */
	} /* ROWS_END */
	return total;
}

int main(void)
{
	for (int k = 0; k < N; k++) {
		lp_inl_a[k] = k * 0.5;
		lp_inl_b[k] = 1.0 / (k + 1);
	}
	printf("%g\n", rows(lp_inl_rows));
	return 0;
}
