/*
 * What the line-level views share: the program totals every share is a
 * fraction of, and the numbers of one exported row, computed once so that
 * the CSV, the JSON and the listing can never disagree.
 */
#ifndef LP_RENDER_ROWS_H
#define LP_RENDER_ROWS_H

#include "render.h"

/* Sums of the lines' self counts: every sample is the self sample of exactly one line. */
typedef struct lp_totals {
	uint64_t samples;
	uint64_t value0;
} lp_totals;

void lp_totals_of(const lp_report *rep, lp_totals *t);

/*
 * The fraction (0..1) that (value0, samples) is of (den_value0, den_samples):
 * by value0 when the program has event values (the Time column's share, as the
 * table's % Time), else by samples; 0 when the denominator is empty.
 */
double lp_totals_share(const lp_totals *t, uint64_t value0, uint64_t samples,
		       uint64_t den_value0, uint64_t den_samples);

/* One line of the CSV and JSON exports. */
typedef struct lp_row {
	double time_s;
	double percent;              /* of the program (value0 share) */
	double percent_of_function;  /* of the function's self total */
	double ci_low, ci_high;      /* Wilson 95 % of the samples share of the program, in % */
	double incl_time_s, incl_percent;
} lp_row;

/* The line is exported: it has samples or hits, and its function is one of -f (if any). */
int lp_row_wanted(const lp_render_ctx *ctx, const lp_line_stat *ls);

void lp_row_compute(const lp_render_ctx *ctx, const lp_totals *t, const lp_line_stat *ls,
		    lp_row *row);

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if it is not one (s is NUL-terminated). */
int lp_utf8_len(const unsigned char *s);

/* The exports' string encodings, for other exports (lineprof diff's) to share. */
void lp_render_csv_field(FILE *out, const char *s);   /* csv.c: quoted as needed, UTF-8 */
void lp_render_json_string(FILE *out, const char *s); /* json.c: "...", escaped; null for NULL */

#endif
