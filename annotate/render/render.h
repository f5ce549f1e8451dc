/*
 * One renderer per output format, all behind one signature. A renderer reads
 * the report and writes to out; it never symbolizes or touches the profile's
 * raw addresses itself.
 */
#ifndef LP_RENDER_H
#define LP_RENDER_H

#include <stdio.h>

#include "lineprof/annotate.h"
#include "lineprof/metric.h"
#include "contexts.h"
#include "report.h"
#include "source.h"

struct lp_diff;

typedef struct lp_render_ctx {
	const lp_report *rep;
	const struct lp_diff *diff;     /* lineprof diff's views (render/diff_*.c): the comparison */
	const lp_ctxview *cv;   /* the samples by thread, process or rank; NULL: none */
	const lp_view_opts *opts;
	lp_sources *src;
	int color;              /* colour codes allowed on this output */
} lp_render_ctx;

typedef int lp_render_fn(const lp_render_ctx *ctx, FILE *out, lp_error *err);

lp_render_fn lp_render_table;   /* line_profiler's table, one per -f function */
lp_render_fn lp_render_top;     /* the hottest lines of the whole program */
lp_render_fn lp_render_listing; /* --listing: annotated source files, hottest first */
lp_render_fn lp_render_csv;     /* --csv: one RFC 4180 row per line (CRLF) */
lp_render_fn lp_render_json;    /* --json: metadata, functions and the CSV's rows */
lp_render_fn lp_render_functions; /* --functions: flat profile, self and total per function */
lp_render_fn lp_render_dot;       /* --dot: the call graph in Graphviz DOT, gprof2dot style */
lp_render_fn lp_render_callgrind; /* --callgrind: Callgrind format, for KCachegrind */
lp_render_fn lp_render_folded;    /* --folded: collapsed stacks, for flame graphs */
/* --folded-event names a quantity the profile has? LP_OK, else LP_EUSAGE and the message. */
int lp_render_folded_check(const lp_render_ctx *ctx, lp_error *err);
lp_render_fn lp_render_html;      /* --html: one self-contained interactive page */
lp_render_fn lp_render_flamegraph; /* --flamegraph: a standalone interactive SVG */
lp_render_fn lp_render_pprof;     /* --pprof: gzipped profile.proto, for pprof */
lp_render_fn lp_render_loops;     /* --loops: the hottest loops of the program */

/* --asm: the machine code of function name (in place of its line table). */
int lp_render_asm_function(const lp_render_ctx *ctx, const char *name, FILE *out, lp_error *err);
/* --asm with the hottest lines: the sampled instructions of rep->lines[0 .. nlines). */
int lp_render_asm_lines(const lp_render_ctx *ctx, size_t nlines, FILE *out, lp_error *err);

/*
 * The notes a loop's header line gets in the line table and the listing,
 * "  <== loop 15-19: 97.9 % (0.753 s), self 7.9 %", one per loop of loops[]
 * (lp_codeview_loops) of function (NULL: any) whose header is file:line,
 * into buf ("" if none).
 */
struct lp_cv_sloop;
void lp_render_loop_notes(const lp_render_ctx *ctx, const struct lp_cv_sloop *loops, size_t n,
			  const char *function, const char *file, int line, char *buf, size_t size);
/* The one line saying loops cannot be found in this machine's code (arch: "aarch64"). */
void lp_render_loops_unsupported(const lp_render_ctx *ctx, const char *arch, FILE *out);

/* --png/--svg: the DOT graph through Graphviz's dot into path, format "png" or "svg". */
int lp_render_dot_image(const lp_render_ctx *ctx, const char *format, const char *path,
			lp_error *err);
int lp_render_dot_check(const char *format, lp_error *err); /* dot in PATH? else the message */
/*
 * The call graph drawn by dot as SVG, into *svg (malloc'd, NUL-terminated).
 * LP_OK with *svg NULL and note set when dot is not installed; else
 * LP_EFAIL with a message when dot fails.
 */
int lp_render_dot_svg(const lp_render_ctx *ctx, char **svg, char *note, size_t note_size,
		      lp_error *err);
/* Runs fn into path ("-": standard output), for the views written to files. */
int lp_render_to_path(const lp_render_ctx *ctx, lp_render_fn *fn, const char *path, lp_error *err);

/* Helpers the renderers share. */
const char *lp_render_relpath(const char *path);      /* relative to cwd when below it */
void lp_render_wilson(uint64_t k, uint64_t n, double *lo, double *hi);
const char *lp_render_heat(double share, int color);  /* ANSI colour for a share in [0,1] */
const char *lp_render_reset(int color);
int lp_render_use_color(const lp_view_opts *o, FILE *out); /* colour on out? (--color, NO_COLOR, tty) */
void lp_render_header(const lp_render_ctx *ctx, FILE *out);
/* "Total time: S s (Sys, Off-CPU, Wall)" of a -f table or a listed file: what was recorded. */
void lp_render_total_line(const lp_report *rep, uint64_t value0, uint64_t sys_value, uint64_t off_ns,
			  FILE *out);
/* Who ran (identity, ranks), the MPI share, and --by's table of groups: part of the header. */
void lp_render_contexts_header(const lp_render_ctx *ctx, FILE *out);
/* The statistics across groups are shown (two groups or more)? The group columns (--by)? */
int lp_render_has_stats(const lp_render_ctx *ctx);
int lp_render_has_columns(const lp_render_ctx *ctx, int terminal);
/* "Rank@Max", "Tid@Max", "Pid@Max"; the id of group g at that level. */
const char *lp_render_max_head(const lp_render_ctx *ctx);
long long lp_render_group_id(const lp_render_ctx *ctx, uint32_t g);
const char *lp_render_module_name(const lp_report *rep, uint32_t module); /* basename */
/* s as one shell word into buf: as it is, or in single quotes when it needs them. */
const char *lp_render_shell_word(const char *s, char *buf, size_t size);
void lp_render_dot_color(double weight, char buf[8]);  /* gprof2dot's scale, weight in [0,1] */

/*
 * The flame graph's tree (flame.c): the report's chains merged root first by
 * function name, as flamegraph.pl merges collapsed stacks. nodes[0] is the
 * root, "all", with every sample; children are chained in name order.
 */
typedef struct lp_flame_node {
	const char *name;
	uint32_t module;
	int inlined;               /* an inlined copy inside its parent */
	uint32_t parent, depth;    /* the root: UINT32_MAX, 0 */
	uint32_t first, next;      /* first child, next sibling (UINT32_MAX: none) */
	uint64_t samples;          /* of every chain through this node */
	uint64_t value0;
} lp_flame_node;

typedef struct lp_flame {
	lp_flame_node *nodes;
	size_t n, cap;
	uint32_t depth;            /* the deepest node's */
	int from_stacks;           /* recorded call stacks (-g), else inlining only */
	uint32_t *slots;           /* private: the lookup table while building */
	size_t nslots;
} lp_flame;

int lp_flame_build(const lp_report *rep, lp_flame *fl, lp_error *err);
void lp_flame_free(lp_flame *fl);

/*
 * The derived metrics a profile has (both inputs measured, lineprof/metric.h),
 * in lp_metrics order, with their inputs' event indices: the columns every
 * line view adds after the event columns.
 */
typedef struct lp_metric_cols {
	int n;
	const lp_metric *m[LP_NMETRICS];
	int num[LP_NMETRICS], den[LP_NMETRICS];
} lp_metric_cols;

void lp_metric_cols_of(const lp_profile *p, lp_metric_cols *mc);
/* Metric i of one line's (or function's) values: 0 and the ratio, or -1 (no value). */
int lp_metric_cols_ratio(const lp_metric_cols *mc, int i, const uint64_t *values, double *ratio);
/* Metric i as the table shows it (scaled, its format) into buf; "" when it has no value. */
void lp_metric_cols_cell(const lp_metric_cols *mc, int i, const uint64_t *values, char *buf,
			 size_t size);

#endif
