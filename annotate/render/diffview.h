/*
 * lineprof diff's views, one file each (diff_top.c, diff_table.c,
 * diff_functions.c, diff_csv.c, diff_json.c), behind lp_render_fn with
 * ctx->diff set, and what they share (diff_util.c): the header, the legend,
 * and the before/after columns.
 */
#ifndef LP_DIFFVIEW_H
#define LP_DIFFVIEW_H

#include "diff.h"
#include "render.h"

lp_render_fn lp_render_diff_top;       /* lines, largest change in time first (--top N, 20) */
lp_render_fn lp_render_diff_table;     /* -f: line_profiler's table with before/after columns */
lp_render_fn lp_render_diff_functions; /* --functions: self time per function, before/after */
lp_render_fn lp_render_diff_csv;       /* --csv: one row per line */
lp_render_fn lp_render_diff_json;      /* --json: both sides' runs, functions and lines */

/* Timer unit, the two sides, and what the marks mean. */
void lp_render_diff_header(const lp_render_ctx *ctx, FILE *out);

/* A plain table: right-aligned columns, one space apart, then a text column. */
#define LP_DCOLS 12
#define LP_DCELL 32

typedef struct lp_dtab {
	const char *head[LP_DCOLS];
	int width[LP_DCOLS];
	int ncols;
	char (*cells)[LP_DCOLS][LP_DCELL];
	char **text;                   /* per row, owned */
	int *tint;                     /* per row: -1 significantly faster, 1 slower, 0 */
	const char *text_head;
	size_t n, cap;
} lp_dtab;

void lp_dtab_col(lp_dtab *t, const char *head, int width);
int lp_dtab_row(lp_dtab *t, const char *text, int tint);   /* 0, or -1 when out of memory */
void lp_dtab_cell(lp_dtab *t, int col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void lp_dtab_print(const lp_dtab *t, FILE *out, int color);
void lp_dtab_free(lp_dtab *t);

/*
 * The comparison's columns, Base New Delta Change Base% New% q Sig, added
 * after the view's own; lp_dtab_diff_cells fills them for one row (shares of
 * the function with fn_shares, of the program otherwise).
 */
int lp_dtab_diff_cols(lp_dtab *t);
void lp_dtab_diff_cells(lp_dtab *t, int first, const lp_render_ctx *ctx, const lp_diff_row *r,
			int fn_shares);
int lp_diff_tint(const lp_diff_row *r);

/* "-50.0%", "+12.3%", "new" (nothing before), into buf. */
const char *lp_diff_change(const lp_diff_row *r, char *buf, size_t size);

#endif
