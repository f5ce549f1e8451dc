/*
 * lineprof diff's default view: the lines whose time changed most, largest
 * change first (by the change in seconds, not in share: a line that did not
 * change keeps its place however the others moved).
 */
#include <stdio.h>
#include <stdlib.h>

#include "diffview.h"

/* "file:line  function", with BASE's number where the line moved. */
static void where(const lp_diff_row *r, char *buf, size_t size)
{
	char loc[600];

	if (!r->file)
		snprintf(loc, sizeof(loc), "(no line info)");
	else if (r->gone)
		snprintf(loc, sizeof(loc), "%s:%d (BASE only)", lp_render_relpath(r->file), r->line);
	else if (r->base_line && r->base_line != r->line)
		snprintf(loc, sizeof(loc), "%s:%d (was %d)", lp_render_relpath(r->file), r->line,
			 r->base_line);
	else
		snprintf(loc, sizeof(loc), "%s:%d", lp_render_relpath(r->file), r->line);
	snprintf(buf, size, "%-32s  %s", loc, r->function);
}

int lp_render_diff_top(const lp_render_ctx *ctx, FILE *out, lp_error *err)
{
	const lp_diff *d = ctx->diff;
	size_t top = ctx->opts->top > 0 ? (size_t)ctx->opts->top : 20;
	size_t n = d->nlines < top ? d->nlines : top;
	lp_dtab t = { 0 };
	char text[1200];
	int first = lp_dtab_diff_cols(&t);

	for (size_t i = 0; i < n; i++) {
		const lp_diff_row *r = &d->lines[i];

		where(r, text, sizeof(text));
		if (lp_dtab_row(&t, text, lp_diff_tint(r))) {
			lp_dtab_free(&t);
			return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
		}
		lp_dtab_diff_cells(&t, first, ctx, r, 0);
	}
	fprintf(out, "Lines whose time changed most (%zu of %zu lines with samples; %zu marked):\n\n",
		n, d->nlines, d->line_info.significant);
	t.text_head = "Line                              Function";
	lp_dtab_print(&t, out, ctx->color);
	fputc('\n', out);
	lp_dtab_free(&t);
	return LP_OK;
}
