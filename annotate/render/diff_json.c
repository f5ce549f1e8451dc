/*
 * lineprof diff --json: how the comparison was made (the test, the rate, the
 * runs of each side), then functions and lines with the CSV's fields, as one
 * object. Strings are encoded as --json's; unknown numbers are null.
 */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "diffview.h"
#include "rows.h"

#ifndef LP_VERSION
#define LP_VERSION "unknown"
#endif

static void num(FILE *out, const char *key, const char *fmt, double v, const char *sep)
{
	fprintf(out, "\"%s\": ", key);
	if (isfinite(v))
		fprintf(out, fmt, v);
	else
		fputs("null", out);
	fputs(sep, out);
}

static void str(FILE *out, const char *key, const char *v, const char *sep)
{
	fprintf(out, "\"%s\": ", key);
	lp_render_json_string(out, v);
	fputs(sep, out);
}

static void side(const lp_diff *d, int s, FILE *out)
{
	int first = s ? d->nbase : 0, n = s ? d->nnew : d->nbase;

	fprintf(out, "  \"%s\": {\"runs\": [", s ? "new" : "base");
	for (int r = first; r < first + n; r++) {
		const lp_diff_run *run = &d->runs[r];

		fputs(r > first ? ",\n    {" : "\n    {", out);
		str(out, "profile", run->name, ", ");
		str(out, "command", run->prof->command, ", ");
		fprintf(out, "\"samples\": %" PRIu64 ", ", run->samples);
		num(out, "cpu_s", "%.9f", (double)run->prof->task_clock_ns * 1e-9, ", ");
		num(out, "sampled_s", "%.9f", run->seconds, ", ");
		num(out, "work", "%.9g", run->work, ", ");
		fprintf(out, "\"lost\": %" PRIu64 ", ", run->prof->lost);
		str(out, "event", run->prof->events[0].measured, ", ");
		fprintf(out, "\"freq\": %" PRIu64 ", \"period\": %" PRIu64 "}",
			run->prof->events[0].freq, run->prof->events[0].period);
	}
	fprintf(out, "\n  ]},\n");
}

static void row(const lp_diff_row *r, int is_line, int first, FILE *out)
{
	fputs(first ? "\n    {" : ",\n    {", out);
	str(out, is_line ? "function" : "name", r->function, ", ");
	str(out, "file", r->file, ", ");
	if (r->file)
		fprintf(out, "\"line\": %d, ", r->line);
	else
		fputs("\"line\": null, ", out);
	if (is_line) {
		if (r->in_base && r->file)
			fprintf(out, "\"base_line\": %d, ", r->base_line);
		else
			fputs("\"base_line\": null, ", out);
		fprintf(out, "\"moved\": %s, \"gone\": %s, ",
			r->in_base && r->base_line != r->line && !r->gone ? "true" : "false",
			r->gone ? "true" : "false");
	}
	fprintf(out, "\"base_samples\": %" PRIu64 ", \"new_samples\": %" PRIu64 ", ", r->st.base,
		r->st.new);
	num(out, "base_s", "%.9f", r->base_s, ", ");
	num(out, "new_s", "%.9f", r->new_s, ", ");
	num(out, "delta_s", "%.9f", r->new_s - r->base_s, ", ");
	num(out, "change_percent", "%.6f",
	    r->base_s > 0 ? 100.0 * (r->new_s - r->base_s) / r->base_s : NAN, ", ");
	num(out, "base_percent", "%.6f", r->base_pct, ", ");
	num(out, "new_percent", "%.6f", r->new_pct, ", ");
	if (is_line) {
		num(out, "base_percent_of_function", "%.6f", r->base_fpct, ", ");
		num(out, "new_percent_of_function", "%.6f", r->new_fpct, ", ");
	}
	fprintf(out, "\"tested\": %s, ", r->st.tested ? "true" : "false");
	num(out, "p", "%.6g", r->st.tested ? r->st.p : NAN, ", ");
	num(out, "q", "%.6g", r->st.tested ? r->st.q : NAN, ", ");
	num(out, "dispersion", "%.6g", r->st.tested ? r->st.dispersion : NAN, ", ");
	fprintf(out, "\"significant\": %s}", r->st.significant ? "true" : "false");
}

static int wanted(const lp_render_ctx *ctx, const char *fn)
{
	if (ctx->opts->nfunctions == 0)
		return 1;
	for (int i = 0; i < ctx->opts->nfunctions; i++)
		if (strcmp(fn, ctx->opts->functions[i]) == 0)
			return 1;
	return 0;
}

static void info(const char *key, const lp_diffstat_info *i, FILE *out)
{
	fprintf(out, "  \"%s\": {\"tested\": %zu, \"significant\": %zu},\n", key, i->tested,
		i->significant);
}

int lp_render_diff_json(const lp_render_ctx *ctx, FILE *out, lp_error *err)
{
	const lp_diff *d = ctx->diff;
	const lp_diffstat_info *li = &d->line_info;
	int n = 0;

	(void)err;
	fputs("{\n  ", out);
	str(out, "lineprof_version", LP_VERSION, ",\n  ");
	str(out, "sampled", d->event, ",\n  ");
	num(out, "timer_unit", "%g", ctx->opts->unit, ",\n  ");
	fprintf(out, "\"per_work_unit\": %s,\n  ", d->scaled ? "true" : "false");
	str(out, "test", li->replicated ? "quasi-poisson" : "exact-poisson", ",\n  ");
	fprintf(out, "\"drift_estimated\": %s,\n  ", li->replicated ? "true" : "false");
	num(out, "drift_cv", "%.6f", li->replicated ? li->drift_cv : NAN, ",\n  ");
	fprintf(out, "\"df\": %d,\n  ", li->df);
	num(out, "fdr", "%g", d->fdr, ",\n");
	fprintf(out, "  \"files_followed\": %zu, \"lines_moved\": %zu, \"files_unfollowed\": %zu,\n",
		d->files_followed, d->moved, d->files_unfollowed);
	info("line_tests", &d->line_info, out);
	info("function_tests", &d->func_info, out);
	side(d, 0, out);
	side(d, 1, out);
	fputs("  \"functions\": [", out);
	for (size_t i = 0; i < d->nfuncs; i++)
		if (wanted(ctx, d->funcs[i].function))
			row(&d->funcs[i], 0, n++ == 0, out);
	fputs(n ? "\n  ],\n" : "],\n", out);
	n = 0;
	fputs("  \"lines\": [", out);
	for (size_t i = 0; i < d->nlines; i++)
		if (wanted(ctx, d->lines[i].function))
			row(&d->lines[i], 1, n++ == 0, out);
	fputs(n ? "\n  ]\n}\n" : "]\n}\n", out);
	return LP_OK;
}
