/*
 * lineprof diff -f NAME: line_profiler's table for NAME, each line's time
 * before and after. The rows are NEW's lines (its source, its numbers; BASE's
 * lines followed there where they moved), then lines of NAME elsewhere:
 * other files, and BASE lines that NEW's source no longer has.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diffview.h"

/*
 * NAME's extent: from NEW's reports (the source on disk is NEW's), else from
 * BASE's; the first function of that name in a report (diff matches by name).
 */
static int span_of(const lp_diff *d, const char *name, const char **file, int *first, int *last)
{
	for (int k = 0; k < d->nbase + d->nnew; k++) {
		const lp_report *rep = &d->runs[(k + d->nbase) % (d->nbase + d->nnew)].rep;

		for (size_t i = 0; i < rep->nfuncs; i++)
			if (strcmp(rep->funcs[i].name, name) == 0 &&
			    lp_report_span(rep, rep->funcs[i].fn->id, file, first, last) == 0)
				return 0;
	}
	return -1;
}

static void free_rows(lp_dtab *t, const lp_diff_row **mine)
{
	lp_dtab_free(t);
	free(mine);
}

static int render_function(const lp_render_ctx *ctx, const char *name, FILE *out, lp_error *err)
{
	const lp_diff *d = ctx->diff;
	const lp_diff_row *fn = lp_diff_func(d, name), **mine;
	const char *file = NULL;
	int first = 0, last = -1, col;
	size_t nmine = 0;
	char change[32], text[700];
	lp_dtab t = { 0 };

	if (span_of(d, name, &file, &first, &last) != 0 && !fn) {
		if (!ctx->opts->skip_zero)
			fprintf(out, "Total time: 0 s\nFunction: %s (not found in either profile)\n\n",
				name);
		return LP_OK;
	}
	if (ctx->opts->skip_zero && !fn)
		return LP_OK;
	mine = malloc((d->nlines + 1) * sizeof(*mine));
	if (!mine)
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	for (size_t i = 0; i < d->nlines; i++)
		if (strcmp(d->lines[i].function, name) == 0)
			mine[nmine++] = &d->lines[i];
	lp_dtab_col(&t, "Line #", 6);
	col = lp_dtab_diff_cols(&t);
	for (int line = first; file && line <= last; line++) {
		const lp_diff_row *r = NULL;

		for (size_t i = 0; i < nmine && !r; i++)
			if (!mine[i]->gone && mine[i]->line == line && mine[i]->file &&
			    strcmp(mine[i]->file, file) == 0)
				r = mine[i];
		if (lp_dtab_row(&t, lp_sources_line(ctx->src, file, line), r ? lp_diff_tint(r) : 0))
			goto oom;
		lp_dtab_cell(&t, 0, "%d", line);
		if (r)
			lp_dtab_diff_cells(&t, col, ctx, r, 1);
	}
	/* The function's lines in other files (inlined headers), past its span, or gone. */
	for (size_t i = 0; i < nmine; i++) {
		const lp_diff_row *r = mine[i];

		if (!r->gone && r->file && file && strcmp(r->file, file) == 0 && r->line >= first &&
		    r->line <= last)
			continue;
		if (r->gone)
			snprintf(text, sizeof(text), "(BASE's line %d, not in NEW's source)", r->line);
		else
			snprintf(text, sizeof(text), "%s", r->file ? lp_render_relpath(r->file)
								   : "(no line info)");
		if (lp_dtab_row(&t, text, lp_diff_tint(r)))
			goto oom;
		lp_dtab_cell(&t, 0, "%d", r->line);
		lp_dtab_diff_cells(&t, col, ctx, r, 1);
	}
	if (fn) {
		fprintf(out, "Total time: %g s -> %g s (%s", fn->base_s, fn->new_s,
			lp_diff_change(fn, change, sizeof(change)));
		if (fn->st.tested)
			fprintf(out, ", q %.2g%s", fn->st.q, fn->st.significant ? " *" : "");
		fputs(")\n", out);
	} else {
		fputs("Total time: 0 s -> 0 s\n", out);
	}
	fprintf(out, "File: %s\n", file ? lp_render_relpath(file) : "(unknown)");
	fprintf(out, "Function: %s at line %d\n\n", name, first);
	lp_dtab_print(&t, out, ctx->color);
	fputc('\n', out);
	free_rows(&t, mine);
	return LP_OK;
oom:
	free_rows(&t, mine);
	return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
}

int lp_render_diff_table(const lp_render_ctx *ctx, FILE *out, lp_error *err)
{
	for (int i = 0; i < ctx->opts->nfunctions; i++) {
		int rc = render_function(ctx, ctx->opts->functions[i], out, err);

		if (rc != LP_OK)
			return rc;
	}
	return LP_OK;
}
