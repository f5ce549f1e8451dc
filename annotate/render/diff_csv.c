/*
 * lineprof diff --csv: one RFC 4180 row per line (CRLF), largest change in
 * time first, in NEW's numbering; the encoding is --csv's (rows.h).
 */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "diffview.h"
#include "rows.h"

static int wanted(const lp_render_ctx *ctx, const lp_diff_row *r)
{
	const lp_view_opts *o = ctx->opts;

	if (o->nfunctions == 0)
		return 1;
	for (int i = 0; i < o->nfunctions; i++)
		if (strcmp(r->function, o->functions[i]) == 0)
			return 1;
	return 0;
}

int lp_render_diff_csv(const lp_render_ctx *ctx, FILE *out, lp_error *err)
{
	const lp_diff *d = ctx->diff;

	(void)err;
	fputs("file,line,base_line,function,base_samples,new_samples,base_s,new_s,delta_s,"
	      "change_percent,base_percent,new_percent,base_percent_of_function,"
	      "new_percent_of_function,tested,p,q,significant\r\n", out);
	for (size_t i = 0; i < d->nlines; i++) {
		const lp_diff_row *r = &d->lines[i];

		if (!wanted(ctx, r))
			continue;
		lp_render_csv_field(out, r->file);
		if (r->file)
			fprintf(out, ",%d,", r->line);
		else
			fputs(",,", out);
		if (r->in_base && r->file)
			fprintf(out, "%d", r->base_line);
		fputc(',', out);
		lp_render_csv_field(out, r->function);
		fprintf(out, ",%" PRIu64 ",%" PRIu64 ",%.9f,%.9f,%.9f,", r->st.base, r->st.new,
			r->base_s, r->new_s, r->new_s - r->base_s);
		if (r->base_s > 0)
			fprintf(out, "%.6f", 100.0 * (r->new_s - r->base_s) / r->base_s);
		fprintf(out, ",%.6f,%.6f,%.6f,%.6f,%d,", r->base_pct, r->new_pct, r->base_fpct,
			r->new_fpct, r->st.tested);
		if (r->st.tested)
			fprintf(out, "%.6g,%.6g", r->st.p, r->st.q);
		else
			fputc(',', out);
		fprintf(out, ",%d\r\n", r->st.significant);
	}
	return LP_OK;
}
