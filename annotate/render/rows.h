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

/* One line of the CSV and JSON exports; NAN for what was not measured. */
typedef struct lp_row {
	double time_s;               /* user CPU */
	double percent;              /* of the program (value0 share) */
	double percent_of_function;  /* of the function's self total */
	double ci_low, ci_high;      /* Wilson 95 % of the samples share of the program, in % */
	double incl_time_s, incl_percent;
	double sys_s, off_cpu_s, wall_s;          /* lp_times of the line */
	double off_blocked_s, off_runnable_s;
	double incl_sys_s, incl_off_cpu_s, incl_wall_s;
	const char *wait;            /* lp_wait_name of most of its off-CPU time; NULL: none */
} lp_row;

/* The line has something to list: its own data (lp_line_has_data) or inclusive samples or time. */
int lp_line_listed(const lp_line_stat *ls);

/* The line is exported: it has samples, waits or hits, and its function is one of -f (if any). */
int lp_row_wanted(const lp_render_ctx *ctx, const lp_line_stat *ls);

void lp_row_compute(const lp_render_ctx *ctx, const lp_totals *t, const lp_line_stat *ls,
		    lp_row *row);

/*
 * The numeric columns of the line views (columns.c), ONE list for the -f
 * table, the listing and the HTML report: a quantity added there shows in
 * all of them. Shares are of the function (the -f table: "% Time", "Incl.
 * Time" in timer units) or of the program (the listing: "% Prog", "Incl."
 * as a share).
 */
typedef enum lp_col_kind {
	LP_COL_HITS, LP_COL_SAMPLES, LP_COL_TIME, LP_COL_PERHIT, LP_COL_PCT, LP_COL_CI,
	LP_COL_INCL, LP_COL_EVENT, LP_COL_METRIC,
	/* Where recorded: kernel time, off-CPU time, their sum with Time, and that inclusive. */
	LP_COL_SYS, LP_COL_OFF, LP_COL_WALL, LP_COL_IWALL,
	/* Across the groups (ranks, processes, threads): the -f table's statistics, --by's columns. */
	LP_COL_MEAN, LP_COL_MIN, LP_COL_MAX, LP_COL_MAXAT, LP_COL_IMBALANCE, LP_COL_GROUP,
} lp_col_kind;

enum lp_col_scope { LP_SCOPE_FUNCTION, LP_SCOPE_PROGRAM };

typedef struct lp_col {
	lp_col_kind kind;
	const char *head;       /* the terminal's heading */
	const char *key;        /* stable: "samples", "time", an event's name, a metric's key */
	const char *desc;       /* a few words on what it is */
	int width;              /* the terminal's least width */
	int arg;                /* LP_COL_EVENT: the event; LP_COL_METRIC: index into mc;
	                           LP_COL_GROUP: the group */
} lp_col;

/* The fixed ones, events, metrics, statistics, and --by's groups (at most LP_TERM_COLUMNS). */
#define LP_MAX_COLS (12 + LP_MAX_EVENTS + LP_NMETRICS + 5 + 32)

typedef struct lp_cols {
	lp_col col[LP_MAX_COLS];
	int n;
	enum lp_col_scope scope;
	lp_metric_cols mc;
	lp_totals t;
	const lp_render_ctx *ctx;
} lp_cols;

/* What one row's cells come from: its sums, and the whole its share is of. */
typedef struct lp_cell_in {
	uint64_t samples;
	const uint64_t *value;           /* per event; value[0] the sampled one's */
	uint64_t incl_samples, incl_value0;
	uint64_t hits;
	int has_hits;
	uint64_t den_samples, den_value0; /* the function's or the program's self sums */
	int always_incl;                 /* a function's total: Incl. even when it equals self */
	uint64_t sys_samples, sys_value; /* kernel mode on its behalf */
	uint64_t off_count, off_ns;      /* off the CPU there */
	uint64_t incl_sys_value, incl_off_ns;
	const lp_stat *stat;             /* across groups; NULL: none */
	const uint64_t *group_s, *group_v; /* per group (--by); NULL: none */
} lp_cell_in;

/* Optional columns: Hits (and, for a function, Per Hit); Incl.; Incl. Wall (a function's). */
enum { LP_COLS_HITS = 1, LP_COLS_INCL = 2, LP_COLS_IWALL = 4 };

void lp_cols_init(lp_cols *cs, const lp_render_ctx *ctx, enum lp_col_scope scope, unsigned with);
/* A line of rep->lines, its statistics and groups included when the profile has them. */
void lp_cell_in_line(lp_cell_in *in, const lp_cols *cs, const lp_line_stat *ls,
		     uint64_t den_samples, uint64_t den_value0);
/*
 * Cell i of a row, as the terminal prints it, into buf ("" and 0 when the
 * row has no value there); *num, if not NULL, gets the number it shows.
 */
int lp_cols_cell(const lp_cols *cs, int i, const lp_cell_in *in, char *buf, size_t size,
		 double *num);

/*
 * What one -f table shows (table.c), for every view of it: its rows, each
 * one source line with the counts of the table's line stats there (the
 * function's own, its outlined regions', merged instances', a region's).
 */
typedef struct lp_fn_row {
	const char *file;        /* NULL: no line info */
	int line;
	int in_span;             /* a line of the table's span (its source text shows) */
	lp_line_stat sum;        /* the line stats summed */
	int n;                   /* how many: 0 for a line without counts */
	long one;                /* n == 1: its index in rep->lines (its own statistics) */
	lp_stat stat;            /* n > 1: across groups, from the sums below (has_stat) */
	int has_stat;
	uint64_t *group_s, *group_v;  /* n > 1 with --by: per group; NULL otherwise */
} lp_fn_row;

typedef struct lp_fn_view {
	const lp_ftable *t;
	const lp_func_stat *fs;  /* the function's stat when the table is one function; else NULL */
	uint64_t samples, value0;/* the table's self sums: % Time is a share of these */
	uint64_t sys_samples, sys_value, off_count, off_ns; /* ... in kernel mode, off the CPU */
	uint32_t module;         /* of its first line with counts (for the sources' age) */
	const char *file;        /* its source span, brace-extended; NULL if not known */
	int first, last;
	int has_hits, has_incl;  /* the table has Hits / Incl. columns */
	int has_iwall;           /* ... and an Incl. Wall column */
	lp_fn_row *rows;         /* the span's lines in order, then the others with counts */
	size_t nrows, caprows;
} lp_fn_view;

/* 0, or -1 when out of memory; free v with lp_fn_view_free either way. */
int lp_fn_view_of(const lp_render_ctx *ctx, const lp_ftable *t, lp_fn_view *v);
void lp_fn_view_free(lp_fn_view *v);
/* A row's cells' input: its line's own (statistics, groups), or the sums of several. */
void lp_cell_in_row(lp_cell_in *in, const lp_cols *cs, const lp_fn_view *v, const lp_fn_row *r);

/*
 * The loops the exports have (CSV with --loops, JSON always): the source
 * loops with samples, of the -f functions if any, hottest first; parent
 * renumbered to their places in idx (-1: none, or not exported).
 */
struct lp_cv_sloop;
typedef struct lp_loop_rows {
	const struct lp_cv_sloop *all;  /* lp_codeview_loops' list */
	size_t nall;
	size_t *idx;                    /* the exported ones, into all */
	long *parent;
	size_t n;
	const char *unsupported;        /* a machine whose code lineprof cannot read */
} lp_loop_rows;

int lp_loop_rows_of(const lp_render_ctx *ctx, lp_loop_rows *r);
void lp_loop_rows_free(lp_loop_rows *r);

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if it is not one (s is NUL-terminated). */
int lp_utf8_len(const unsigned char *s);

/* The exports' string encodings, for other exports (lineprof diff's) to share. */
void lp_render_csv_field(FILE *out, const char *s);   /* csv.c: quoted as needed, UTF-8 */
void lp_render_json_string(FILE *out, const char *s); /* json.c: "...", escaped; null for NULL */

#endif
