/*
 * One renderer per output format, all behind one signature. A renderer reads
 * the report and writes to out; it never symbolizes or touches the profile's
 * raw addresses itself.
 */
#ifndef LP_RENDER_H
#define LP_RENDER_H

#include <stdio.h>

#include "lineprof/annotate.h"
#include "report.h"
#include "source.h"

typedef struct lp_render_ctx {
	const lp_report *rep;
	const lp_view_opts *opts;
	lp_sources *src;
	int color;              /* colour codes allowed on this output */
} lp_render_ctx;

typedef int lp_render_fn(const lp_render_ctx *ctx, FILE *out, lp_error *err);

lp_render_fn lp_render_table;   /* line_profiler's table, one per -f function */
lp_render_fn lp_render_top;     /* the hottest lines of the whole program */

/* Helpers the renderers share. */
const char *lp_render_relpath(const char *path);      /* relative to cwd when below it */
void lp_render_wilson(uint64_t k, uint64_t n, double *lo, double *hi);
const char *lp_render_heat(double share, int color);  /* ANSI colour for a share in [0,1] */
const char *lp_render_reset(int color);
void lp_render_header(const lp_render_ctx *ctx, FILE *out);

#endif
