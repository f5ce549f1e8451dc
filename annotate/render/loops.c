/*
 * --loops: the hottest loops of the program, as HPCToolkit and VTune's
 * loop mode show them: one row per loop of the source (its copies in
 * inlined code and clones summed), its total (nested loops, inlined code
 * and, with -g, callees) and self (its own instructions only) as shares of
 * the program and seconds, its depth and the loop around it (by row
 * number), its lines and header line, and its function.
 *
 * Also the note a loop's header line gets in the line table and the
 * listing, so that the shares there and here are the same numbers.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codeview.h"
#include "rows.h"

void lp_render_loop_notes(const lp_render_ctx *ctx, const lp_cv_sloop *loops, size_t n,
			  const char *function, const char *file, int line, char *buf, size_t size)
{
	lp_totals t = { 0 };
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && len + 1 < size; i++) {
		const lp_cv_sloop *l = &loops[i];
		int k;

		if (l->file != file || l->header_line != line || !l->total_samples ||
		    (function && (!l->function || strcmp(l->function, function) != 0)))
			continue;
		/* The totals only for a note: asked for every line of a listing, this is most lines' cost. */
		if (!len)
			lp_totals_of(ctx->rep, &t);
		k = snprintf(buf + len, size - len, "  <== loop %d-%d: %.1f %% (%.4g s), self %.1f %%",
			     l->first_line, l->last_line,
			     100.0 * lp_totals_share(&t, l->total_value0, l->total_samples, t.value0,
						     t.samples),
			     lp_report_seconds(ctx->rep, l->total_value0),
			     100.0 * lp_totals_share(&t, l->self_value[0], l->self_samples, t.value0,
						     t.samples));
		if (k < 0 || (size_t)k >= size - len)
			break;
		len += (size_t)k;
	}
}

int lp_loop_rows_of(const lp_render_ctx *ctx, lp_loop_rows *r)
{
	const lp_view_opts *o = ctx->opts;
	size_t *pos = NULL;

	memset(r, 0, sizeof(*r));
	if (lp_codeview_loops(ctx->rep, NULL, &r->all, &r->nall, &r->unsupported) != 0)
		return -1;
	r->idx = malloc((r->nall + 1) * sizeof(*r->idx));
	r->parent = malloc((r->nall + 1) * sizeof(*r->parent));
	pos = malloc((r->nall + 1) * sizeof(*pos));
	if (!r->idx || !r->parent || !pos) {
		free(pos);
		lp_loop_rows_free(r);
		return -1;
	}
	for (size_t i = 0; i < r->nall; i++) {
		const lp_cv_sloop *l = &r->all[i];
		int want = l->total_samples > 0 && o->nfunctions == 0;

		/* Loops go by function name: those of the -f tables' functions. */
		for (size_t k = 0; o->nfunctions && k < ctx->rep->ntables && !want && l->total_samples; k++)
			for (size_t j = 0; j < ctx->rep->tables[k].nfns && !want; j++)
				want = l->function && strcmp(l->function, ctx->rep->tables[k].fns[j]->name) == 0;
		pos[i] = want ? r->n : SIZE_MAX;
		if (want)
			r->idx[r->n++] = i;
	}
	for (size_t k = 0; k < r->n; k++) {
		long p = r->all[r->idx[k]].parent;

		r->parent[k] = p >= 0 && pos[p] != SIZE_MAX ? (long)pos[p] : -1;
	}
	free(pos);
	return 0;
}

void lp_loop_rows_free(lp_loop_rows *r)
{
	free(r->idx);
	free(r->parent);
	memset(r, 0, sizeof(*r));
}

void lp_render_loops_unsupported(const lp_render_ctx *ctx, const char *arch, FILE *out)
{
	FILE *where = ctx->opts->diag ? ctx->opts->diag : out;

	fprintf(where, "lineprof: loops are not supported yet on this architecture (%s)\n", arch);
}

int lp_render_loops(const lp_render_ctx *ctx, FILE *out, lp_error *err)
{
	const lp_report *rep = ctx->rep;
	const lp_cv_sloop *loops;
	const char *arch = NULL;
	size_t n, shown, withs = 0;
	int top = ctx->opts->top > 0 ? ctx->opts->top : 20, wl = 5;
	char where[512];
	lp_totals t;

	if (lp_codeview_loops(rep, NULL, &loops, &n, &arch) != 0)
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	if (arch)
		lp_render_loops_unsupported(ctx, arch, out);
	lp_totals_of(rep, &t);
	if (!ctx->opts->nfunctions && ctx->opts->top <= 0 && !ctx->opts->functions_view)
		lp_render_header(ctx, out);
	for (size_t i = 0; i < n; i++)
		withs += loops[i].total_samples > 0;
	shown = withs < (size_t)top ? withs : (size_t)top;
	for (size_t i = 0; i < shown; i++) {
		int k = snprintf(where, sizeof(where), "%s:%d-%d",
				 loops[i].file ? lp_render_relpath(loops[i].file) : "?",
				 loops[i].first_line, loops[i].last_line);

		if (k > wl)
			wl = k;
	}
	if (ctx->opts->nfunctions || ctx->opts->top > 0 || ctx->opts->functions_view)
		fputc('\n', out);
	fprintf(out, "Hottest loops of the program (%zu of %zu loops with samples):\n", shown, withs);
	fprintf(out, "Total: with nested loops, inlined code%s; Self: the loop's own instructions; "
		"%% of the program\n\n",
		rep->inclusive_from_stacks ? " and callees (call stacks)" : " (no call stacks: callees not counted)");
	if (!shown) {
		fputs("(no loops with samples in code lineprof can read)\n", out);
		return LP_OK;
	}
	fprintf(out, "   # %9s %8s %8s %12s %12s %6s %5s  %-*s %6s  Function\n", "Samples", "Total %",
		"Self %", "Total s", "Self s", "Parent", "Depth", wl, "Lines", "Header");
	for (int i = 0, len = 4 + 10 + 9 + 9 + 13 + 13 + 7 + 5 + 2 + wl + 7 + 2 + 8; i < len; i++)
		fputc('=', out);
	fputc('\n', out);
	for (size_t i = 0; i < shown; i++) {
		const lp_cv_sloop *l = &loops[i];
		char parent[24] = "";

		if (l->parent >= 0 && (size_t)l->parent < shown)
			snprintf(parent, sizeof(parent), "%ld", l->parent + 1);
		snprintf(where, sizeof(where), "%s:%d-%d", l->file ? lp_render_relpath(l->file) : "?",
			 l->first_line, l->last_line);
		fprintf(out, "%4zu %9" PRIu64 " %8.1f %8.1f %12.6f %12.6f %6s %5d  %-*s %6d  %s\n", i + 1,
			l->total_samples,
			100.0 * lp_totals_share(&t, l->total_value0, l->total_samples, t.value0, t.samples),
			100.0 * lp_totals_share(&t, l->self_value[0], l->self_samples, t.value0, t.samples),
			lp_report_seconds(rep, l->total_value0),
			lp_report_seconds(rep, l->self_value[0]), parent, l->depth, wl,
			where, l->header_line, l->function ? l->function : "?");
	}
	fputc('\n', out);
	return LP_OK;
}
