/*
 * lineprof diff --functions: each function's self time before and after,
 * largest change first, tested as the lines are (its own BH family).
 */
#include <stdio.h>

#include "diffview.h"

int lp_render_diff_functions(const lp_render_ctx *ctx, FILE *out, lp_error *err)
{
	const lp_diff *d = ctx->diff;
	lp_dtab t = { 0 };
	char text[1200], loc[600];
	int first = lp_dtab_diff_cols(&t);

	for (size_t i = 0; i < d->nfuncs; i++) {
		const lp_diff_row *r = &d->funcs[i];

		if (r->file)
			snprintf(loc, sizeof(loc), "%s:%d", lp_render_relpath(r->file), r->line);
		else
			snprintf(loc, sizeof(loc), "?");
		snprintf(text, sizeof(text), "%-38s  %s", loc, r->function);
		if (lp_dtab_row(&t, text, lp_diff_tint(r))) {
			lp_dtab_free(&t);
			return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
		}
		lp_dtab_diff_cells(&t, first, ctx, r, 0);
	}
	fprintf(out, "Functions by change in self time (%zu functions with samples; %zu marked, "
		"Benjamini-Hochberg over the %zu tested):\n\n", d->nfuncs, d->func_info.significant,
		d->func_info.tested);
	t.text_head = "File:Line                               Function";
	lp_dtab_print(&t, out, ctx->color);
	fputc('\n', out);
	lp_dtab_free(&t);
	return LP_OK;
}
