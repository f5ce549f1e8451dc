/*
 * Per-line CSV (RFC 4180): a header row, then one row per (file, line,
 * function) with samples or hits, hottest first. Records end with CRLF; a
 * field is quoted when it holds a comma, a quote, CR or LF, quotes doubled.
 * Numbers are plain decimals ('.', no grouping, no exponent) so spreadsheets
 * and csv modules read them as they are. Paths are absolute, as recorded
 * (only bytes that are not UTF-8 are replaced, by U+FFFD).
 */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "codeview.h"
#include "rows.h"

/* Bytes that are not UTF-8 become U+FFFD, so that the file always decodes as UTF-8. */
static void field(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	int quote = str && strpbrk(str, ",\"\r\n") != NULL;

	if (!s)
		return;
	if (quote)
		fputc('"', out);
	while (*s) {
		int n = lp_utf8_len(s);

		if (n == 0) {
			fputs("\xef\xbf\xbd", out);
			s++;
			continue;
		}
		if (*s == '"')
			fputc('"', out);
		fwrite(s, 1, (size_t)n, out);
		s += n;
	}
	if (quote)
		fputc('"', out);
}

/* ",%.9f", or "," alone for what was not measured. */
static void num(FILE *out, double v)
{
	if (isfinite(v))
		fprintf(out, ",%.9f", v);
	else
		fputc(',', out);
}

/* After ci_high: kernel and off-CPU time, Wall and why the line waited (lineprof(1), --csv). */
static const char time_head[] = ",sys_s,off_cpu_s,wall_s,sys_samples,off_cpu_count,off_blocked_s,"
				"off_runnable_s,wait,incl_wall_s";

/* ",N", or an empty field where the count was not recorded: not recorded is not 0. */
static void count(FILE *out, uint64_t v, int measured)
{
	if (measured)
		fprintf(out, ",%" PRIu64, v);
	else
		fputc(',', out);
}

static void time_fields(FILE *out, const lp_report *rep, const lp_line_stat *ls, const lp_row *r)
{
	num(out, r->sys_s);
	num(out, r->off_cpu_s);
	num(out, r->wall_s);
	count(out, ls->w.sys_samples, rep->has_sys);
	count(out, ls->w.off_count, rep->has_off);
	num(out, r->off_blocked_s);
	num(out, r->off_runnable_s);
	fprintf(out, ",%s", r->wait ? r->wait : "");
	num(out, r->incl_wall_s);
}

/*
 * --loops: a row per loop after the lines: line is its header line, samples,
 * time_s, percent and the sampled event's column are its total; columns the
 * loop has no value for are empty.
 */
static void loop_row(const lp_render_ctx *ctx, const lp_totals *t, const lp_metric_cols *mc,
		     const lp_loop_rows *lr, size_t k, FILE *out)
{
	const lp_profile *p = ctx->rep->prof;
	const lp_cv_sloop *l = &lr->all[lr->idx[k]];
	double lo, hi;

	lp_render_wilson(l->total_samples, t->samples, &lo, &hi);
	field(out, l->file);
	fprintf(out, ",%d,", l->header_line);
	field(out, l->function);
	fprintf(out, ",%" PRIu64 ",%.9f,%.6f,,%.6f,%.6f", l->total_samples,
		lp_report_seconds(ctx->rep, l->total_value0),
		100.0 * lp_totals_share(t, l->total_value0, l->total_samples, t->value0, t->samples),
		100.0 * lo, 100.0 * hi);
	fputs(",,,,,,,,,", out); /* the time fields of lines (time_head): none for a loop */
	for (int e = 0; e < p->nevents; e++) {
		if (e == 0)
			fprintf(out, ",%" PRIu64, l->total_value0);
		else
			fputc(',', out);
	}
	if (p->nhits)
		fputc(',', out);
	for (int m = 0; m < mc->n; m++)
		fputc(',', out);
	fputc(',', out);	/* linkage_name: a loop's function is named by its label alone */
	/* No per-thread, process or rank numbers for loops (yet): those columns are empty. */
	if (lp_render_has_stats(ctx))
		fputs(",,,,,", out);
	if (lp_render_has_columns(ctx, 0))
		for (size_t g = 0; g < ctx->cv->ngroups; g++)
			fputc(',', out);
	fprintf(out, ",loop,%zu,%d,%d,%d,%d,", k, l->first_line, l->last_line, l->header_line,
		l->depth);
	if (lr->parent[k] >= 0)
		fprintf(out, "%ld", lr->parent[k]);
	fprintf(out, ",%" PRIu64 ",%.9f,%.6f\r\n", l->self_samples,
		lp_report_seconds(ctx->rep, l->self_value[0]),
		100.0 * lp_totals_share(t, l->self_value[0], l->self_samples, t->value0, t->samples));
}

int lp_render_csv(const lp_render_ctx *ctx, FILE *out, lp_error *err)
{
	const lp_report *rep = ctx->rep;
	const lp_profile *p = rep->prof;
	int has_hits = p->nhits > 0;
	lp_metric_cols mc;
	lp_totals t;

	lp_loop_rows lr = { 0 };

	lp_totals_of(rep, &t);
	lp_metric_cols_of(p, &mc);
	if (ctx->opts->loops_view && lp_loop_rows_of(ctx, &lr) != 0)
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	fputs("file,line,function,samples,time_s,percent,percent_of_function,ci_low,ci_high", out);
	fputs(time_head, out);
	for (int e = 0; e < p->nevents; e++) {
		fputc(',', out);
		field(out, p->events[e].measured);
	}
	if (has_hits)
		fputs(",hits", out);
	/* Derived metrics as plain ratios (not percentages), only those whose inputs were measured. */
	for (int i = 0; i < mc.n; i++)
		fprintf(out, ",%s", mc.m[i]->key);
	/* After the fixed columns, before the per-group ones whose number varies. */
	fputs(",linkage_name", out);
	if (lp_render_has_stats(ctx)) {
		const char *lv = lp_by_name(ctx->cv->level);

		fprintf(out, ",%s_mean_s,%s_min_s,%s_max_s,%s_max_%s,%s_imbalance", lv, lv, lv, lv,
			ctx->cv->level == LP_BY_RANK ? "rank" : ctx->cv->level == LP_BY_THREAD ? "tid" : "pid",
			lv);
	}
	if (lp_render_has_columns(ctx, 0))
		for (size_t g = 0; g < ctx->cv->ngroups; g++)
			fprintf(out, ",%s_s", ctx->cv->groups[g].label);
	if (ctx->opts->loops_view)
		fputs(",kind,loop,first_line,last_line,header_line,depth,parent,self_samples,"
		      "self_time_s,self_percent", out);
	fputs("\r\n", out);
	for (size_t i = 0; i < rep->nlines; i++) {
		const lp_line_stat *ls = &rep->lines[i];
		lp_row r;

		if (!lp_row_wanted(ctx, ls))
			continue;
		lp_row_compute(ctx, &t, ls, &r);
		field(out, ls->file);
		if (ls->file)
			fprintf(out, ",%d,", ls->line);
		else
			fputs(",,", out);
		field(out, lp_report_label(rep, ls->fn));
		fprintf(out, ",%" PRIu64, ls->samples);
		num(out, r.time_s);
		fprintf(out, ",%.6f,%.6f,%.6f,%.6f", r.percent, r.percent_of_function, r.ci_low,
			r.ci_high);
		time_fields(out, rep, ls, &r);
		for (int e = 0; e < p->nevents; e++)
			fprintf(out, ",%" PRIu64, ls->value[e]);
		if (has_hits && ls->has_hits)
			fprintf(out, ",%" PRIu64, ls->hits);
		else if (has_hits)
			fputc(',', out);
		for (int m = 0; m < mc.n; m++) {
			double ratio;

			if (lp_metric_cols_ratio(&mc, m, ls->value, &ratio) == 0)
				fprintf(out, ",%.6f", ratio);
			else
				fputc(',', out);
		}
		fputc(',', out);
		field(out, ls->fn->linkage);
		if (lp_render_has_stats(ctx)) {
			const lp_stat *st = &ctx->cv->line_stats[i];


			fprintf(out, ",%.9f,%.9f,%.9f,%lld,%.6f", lp_stat_mean_s(rep, ctx->cv, st),
				lp_stat_min_s(rep, st), lp_stat_max_s(rep, st),
				st->nz ? lp_render_group_id(ctx, st->max_g) : -1LL,
				lp_stat_imbalance(rep, ctx->cv, st));
		}
		if (lp_render_has_columns(ctx, 0))
			for (size_t g = 0; g < ctx->cv->ngroups; g++) {
				size_t k = i * ctx->cv->ngroups + g;

				fprintf(out, ",%.9f", lp_report_seconds(rep, ctx->cv->line_v[k]));
			}
		if (ctx->opts->loops_view)
			fputs(",line,,,,,,,,,", out);
		fputs("\r\n", out);
	}
	for (size_t k = 0; k < lr.n; k++)
		loop_row(ctx, &t, &mc, &lr, k, out);
	lp_loop_rows_free(&lr);
	return LP_OK;
}

void lp_render_csv_field(FILE *out, const char *s)
{
	field(out, s);
}
