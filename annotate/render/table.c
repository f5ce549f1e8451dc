/*
 * line_profiler's layout: per function, "Total time / File / Function at
 * line N", a header of right-aligned columns separated by one space, two
 * spaces, "Line Contents", a rule of '=' as long as the header, and one row
 * for every source line of the function. Numbers have one decimal; lines
 * without samples show only their number and text. Columns widen to fit.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "render.h"

#define LP_CELL 48
#define LP_MAX_COLS (8 + LP_MAX_EVENTS + LP_NMETRICS + 5 + 32)

typedef struct lp_table {
	const char *head[LP_MAX_COLS];
	int width[LP_MAX_COLS];
	int ncols;
	char (*cells)[LP_MAX_COLS][LP_CELL]; /* per row; "" for blank */
	const char **text;                   /* per row: Line Contents */
	double *share;                       /* per row: for the heat colour */
	const char *text_head;               /* "Line Contents" unless set */
	size_t nrows, cap;
} lp_table;

static void table_col(lp_table *t, const char *head, int width)
{
	t->head[t->ncols] = head;
	t->width[t->ncols] = width > (int)strlen(head) ? width : (int)strlen(head);
	t->ncols++;
}

static char *table_row(lp_table *t, const char *text, double share)
{
	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		void *c = realloc(t->cells, cap * sizeof(*t->cells));
		void *x = c ? realloc(t->text, cap * sizeof(*t->text)) : NULL;
		void *s = x ? realloc(t->share, cap * sizeof(*t->share)) : NULL;

		if (c)
			t->cells = c;
		if (x)
			t->text = x;
		if (!s)
			return NULL;
		t->share = s;
		t->cap = cap;
	}
	memset(t->cells[t->nrows], 0, sizeof(t->cells[0]));
	t->text[t->nrows] = text;
	t->share[t->nrows] = share;
	return t->cells[t->nrows++][0];
}

static void cell(lp_table *t, int col, const char *fmt, double v)
{
	char *c = t->cells[t->nrows - 1][col];
	int n = snprintf(c, LP_CELL, fmt, v);

	if (n > t->width[col])
		t->width[col] = n;
}

static void cell_u64(lp_table *t, int col, uint64_t v)
{
	char *c = t->cells[t->nrows - 1][col];
	int n = snprintf(c, LP_CELL, "%" PRIu64, v);

	if (n > t->width[col])
		t->width[col] = n;
}

static void cell_str(lp_table *t, int col, const char *v)
{
	char *c = t->cells[t->nrows - 1][col];
	int n = snprintf(c, LP_CELL, "%s", v);

	if (n > t->width[col])
		t->width[col] = n;
}

/* One column per event after the first (the sampled one is Samples/Time), then the metrics. */
static int extra_cols(lp_table *t, const lp_profile *p, lp_metric_cols *mc)
{
	int first = t->ncols;

	for (int e = 1; e < p->nevents; e++)
		table_col(t, p->events[e].measured, 10);
	lp_metric_cols_of(p, mc);
	for (int i = 0; i < mc->n; i++)
		table_col(t, mc->m[i]->column, 6);
	return first;
}

static void extra_cells(lp_table *t, int first, const lp_profile *p, const lp_metric_cols *mc,
			const uint64_t *values)
{
	char buf[LP_CELL];

	for (int e = 1; e < p->nevents; e++)
		cell_u64(t, first + e - 1, values[e]);
	for (int i = 0; i < mc->n; i++) {
		lp_metric_cols_cell(mc, i, values, buf, sizeof(buf));
		cell_str(t, first + p->nevents - 1 + i, buf);
	}
}

static void table_print(const lp_table *t, FILE *out, int color)
{
	int len = 0;

	for (int c = 0; c < t->ncols; c++)
		len += fprintf(out, "%s%*s", c ? " " : "", t->width[c], t->head[c]);
	len += fprintf(out, "  %s\n", t->text_head ? t->text_head : "Line Contents") - 1;
	for (int i = 0; i < len; i++)
		fputc('=', out);
	fputc('\n', out);
	for (size_t r = 0; r < t->nrows; r++) {
		const char *on = lp_render_heat(t->share[r], color);

		fputs(on, out);
		for (int c = 0; c < t->ncols; c++)
			fprintf(out, "%s%*s", c ? " " : "", t->width[c], t->cells[r][c]);
		fprintf(out, "  %s%s\n", t->text[r] ? t->text[r] : "",
			*on ? lp_render_reset(color) : "");
	}
}

static void table_free(lp_table *t)
{
	free(t->cells);
	free(t->text);
	free(t->share);
}

void lp_render_header(const lp_render_ctx *ctx, FILE *out)
{
	const lp_profile *p = ctx->rep->prof;

	fprintf(out, "Timer unit: %g s\n\n", ctx->opts->unit);
	if (p->nevents > 0) {
		const lp_event_info *e = &p->events[0];

		fprintf(out, "Samples: %" PRIu64 " of %s", p->samples, e->measured);
		if (e->freq)
			fprintf(out, " at %" PRIu64 " Hz", e->freq);
		else if (e->period)
			fprintf(out, " every %" PRIu64, e->period);
		if (strcmp(e->name, e->measured) != 0)
			fprintf(out, " (asked for %s, not available here)", e->name);
		fprintf(out, "; CPU time %.3f s, wall %.3f s\n",
			(double)p->task_clock_ns * 1e-9, (double)p->wall_ns * 1e-9);
		for (int i = 1; i < p->nevents; i++)
			fprintf(out, "Also counted: %s%s%s%s\n", p->events[i].measured,
				strcmp(p->events[i].name, p->events[i].measured) ? " (asked for " : "",
				strcmp(p->events[i].name, p->events[i].measured) ? p->events[i].name : "",
				strcmp(p->events[i].name, p->events[i].measured) ? ")" : "");
		fputc('\n', out);
	}
	lp_render_contexts_header(ctx, out);
}

/*
 * Across groups (ranks by default, the --by level otherwise): mean, min and
 * max time in timer units, the group with the max, and max/mean.
 */
static int stat_cols(lp_table *t, const lp_render_ctx *ctx)
{
	int first = t->ncols;

	if (!lp_render_has_stats(ctx))
		return -1;
	table_col(t, "Mean", 10);
	table_col(t, "Min", 10);
	table_col(t, "Max", 10);
	table_col(t, lp_render_max_head(ctx), 6);
	table_col(t, "Max/Mean", 8);
	return first;
}

static void stat_cells(lp_table *t, int first, const lp_render_ctx *ctx, const lp_stat *st)
{
	const lp_report *rep = ctx->rep;
	double u = ctx->opts->unit;

	if (first < 0 || !st->nz)
		return;
	cell(t, first, "%.1f", lp_stat_mean_s(rep, ctx->cv, st) / u);
	cell(t, first + 1, "%.1f", lp_stat_min_s(rep, st) / u);
	cell(t, first + 2, "%.1f", lp_stat_max_s(rep, st) / u);
	cell(t, first + 3, "%.0f", (double)lp_render_group_id(ctx, st->max_g));
	cell(t, first + 4, "%.2f", lp_stat_imbalance(rep, ctx->cv, st));
}

/* --by: one column per group, its time in timer units. */
static int group_cols(lp_table *t, const lp_render_ctx *ctx)
{
	int first = t->ncols;

	if (!lp_render_has_columns(ctx, 1))
		return -1;
	for (size_t g = 0; g < ctx->cv->ngroups; g++)
		table_col(t, ctx->cv->groups[g].label, 8);
	return first;
}

static void group_cells(lp_table *t, int first, const lp_render_ctx *ctx, size_t line)
{
	const lp_ctxview *cv = ctx->cv;

	if (first < 0)
		return;
	for (size_t g = 0; g < cv->ngroups; g++) {
		size_t k = line * cv->ngroups + g;

		if (cv->line_s[k] || cv->line_v[k])
			cell(t, first + (int)g, "%.1f",
			     lp_report_seconds(ctx->rep, cv->line_v[k], cv->line_s[k]) / ctx->opts->unit);
	}
}

typedef struct lp_fn_cols {
	int hits, samples, time, perhit, pct, ci, incl, ev0, st0, g0;
	int has_hits;
	lp_metric_cols mc;
} lp_fn_cols;

/*
 * has_incl: some line of the function calls code that ran (a call, an
 * inlined callee), so an "Incl. Time" column gives those lines' time with
 * their callees.
 */
static void setup_cols(lp_table *t, lp_fn_cols *k, const lp_render_ctx *ctx, int has_hits,
		       int has_incl)
{
	const lp_profile *p = ctx->rep->prof;

	memset(k, -1, sizeof(*k));
	k->has_hits = has_hits;
	table_col(t, "Line #", 6);
	if (has_hits)
		k->hits = t->ncols, table_col(t, "Hits", 9);
	k->samples = t->ncols, table_col(t, "Samples", 9);
	k->time = t->ncols, table_col(t, "Time", 12);
	if (has_hits)
		k->perhit = t->ncols, table_col(t, "Per Hit", 8);
	k->pct = t->ncols, table_col(t, "% Time", 8);
	if (ctx->opts->ci)
		k->ci = t->ncols, table_col(t, "+-", 6);
	if (has_incl)
		k->incl = t->ncols, table_col(t, "Incl. Time", 12);
	k->ev0 = extra_cols(t, p, &k->mc);
	k->st0 = stat_cols(t, ctx);
	k->g0 = group_cols(t, ctx);
}

static void fill_row(lp_table *t, const lp_fn_cols *k, const lp_render_ctx *ctx,
		     const lp_line_stat *ls, uint64_t fn_samples, uint64_t fn_value0)
{
	const lp_report *rep = ctx->rep;
	double secs = lp_report_seconds(rep, ls->value[0], ls->samples);
	double units = secs / ctx->opts->unit;
	double pct = fn_value0 ? 100.0 * (double)ls->value[0] / (double)fn_value0
			       : fn_samples ? 100.0 * (double)ls->samples / (double)fn_samples : 0;

	if (k->has_hits && ls->has_hits)
		cell_u64(t, k->hits, ls->hits);
	if (k->incl >= 0 && ls->incl_samples > ls->samples)
		cell(t, k->incl, "%.1f",
		     lp_report_seconds(rep, ls->incl_value0, ls->incl_samples) / ctx->opts->unit);
	if (!ls->samples && !ls->has_hits)
		return;
	cell_u64(t, k->samples, ls->samples);
	cell(t, k->time, "%.1f", units);
	if (k->has_hits && ls->has_hits && ls->hits)
		cell(t, k->perhit, "%.1f", units / (double)ls->hits);
	cell(t, k->pct, "%.1f", pct);
	if (k->ci >= 0) {
		double lo, hi, p = fn_samples ? (double)ls->samples / (double)fn_samples : 0;

		lp_render_wilson(ls->samples, fn_samples, &lo, &hi);
		cell(t, k->ci, "%.1f", 100.0 * (p - lo > hi - p ? p - lo : hi - p));
	}
	extra_cells(t, k->ev0, rep->prof, &k->mc, ls->value);
}

/*
 * The statistics and --by columns of a table row: those of the one line
 * stat it holds (one = its index in rep->lines); of several (a function's
 * line and its outlined region's, merged instances, a region of source),
 * the per-group sums where --by keeps them per group, else none.
 */
static void row_groups(lp_table *tab, const lp_fn_cols *k, const lp_render_ctx *ctx,
		       const lp_ftable *t, const lp_line_stat *row, long one)
{
	const lp_report *rep = ctx->rep;
	const lp_ctxview *cv = ctx->cv;
	uint64_t *gs, *gv;
	lp_stat st = { .min_s = UINT64_MAX, .min_v = UINT64_MAX };

	if (k->st0 < 0 && k->g0 < 0)
		return;
	if (one >= 0) {
		if (k->st0 >= 0)
			stat_cells(tab, k->st0, ctx, &cv->line_stats[one]);
		group_cells(tab, k->g0, ctx, (size_t)one);
		return;
	}
	if (!cv->columns || !cv->ngroups || !(gs = calloc(2 * cv->ngroups, sizeof(*gs))))
		return;
	gv = gs + cv->ngroups;
	for (size_t i = 0; i < rep->nlines; i++) {
		if (rep->lines[i].file != row->file || rep->lines[i].line != row->line ||
		    !lp_report_in_table(rep, t, &rep->lines[i]))
			continue;
		for (size_t g = 0; g < cv->ngroups; g++) {
			gs[g] += cv->line_s[i * cv->ngroups + g];
			gv[g] += cv->line_v[i * cv->ngroups + g];
		}
	}
	for (size_t g = 0; g < cv->ngroups; g++) {
		if (k->g0 >= 0 && (gs[g] || gv[g]))
			cell(tab, k->g0 + (int)g, "%.1f",
			     lp_report_seconds(rep, gv[g], gs[g]) / ctx->opts->unit);
		st.sum_s += gs[g];
		st.sum_v += gv[g];
		st.nz += gs[g] || gv[g];
		if (gv[g] > st.max_v || (gv[g] == st.max_v && gs[g] > st.max_s))
			st.max_v = gv[g], st.max_s = gs[g], st.max_g = (uint32_t)g;
		if (gv[g] < st.min_v || (gv[g] == st.min_v && gs[g] < st.min_s))
			st.min_v = gv[g], st.min_s = gs[g];
	}
	if (k->st0 >= 0)
		stat_cells(tab, k->st0, ctx, &st);
	free(gs);
}

/*
 * The line table ends at a function's last line with code; an inlined copy
 * often has none on its final return or closing brace. In brace languages,
 * follow the braces from the declaration to show the whole body, as
 * line_profiler does. Braces in strings or comments can fool this, so it
 * only ever extends the span, and not by much.
 */
static int closing_brace(lp_sources *src, const char *file, int first, int last)
{
	int depth = 0, opened = 0;

	for (int line = first; line <= last + 50; line++) {
		const char *text = lp_sources_line(src, file, line);

		if (!text)
			break;
		for (; *text; text++) {
			if (*text == '{')
				depth++, opened = 1;
			else if (*text == '}')
				depth--;
		}
		if (opened && depth <= 0)
			return line > last ? line : last;
	}
	return last;
}

/* Adds b's counts into a (the rows of one line of one table). */
static void line_add(lp_line_stat *a, const lp_line_stat *b)
{
	a->samples += b->samples;
	for (int e = 0; e < LP_MAX_EVENTS; e++)
		a->value[e] += b->value[e];
	/*
	 * A line of a function and of code outlined from it (an OpenMP
	 * region's line) is in the same stacks: the larger inclusive count
	 * holds the other. Lines of unrelated functions (template instances,
	 * a source region) are in different stacks: they add up.
	 */
	if (a->fn && b->fn && a->fn->owner == b->fn->owner) {
		if (b->incl_samples > a->incl_samples) {
			a->incl_samples = b->incl_samples;
			a->incl_value0 = b->incl_value0;
		}
	} else {
		a->incl_samples += b->incl_samples;
		a->incl_value0 += b->incl_value0;
	}
	a->hits += b->hits;
	a->has_hits |= b->has_hits;
	if (!a->fn)
		a->fn = b->fn;
}

/* The table's self totals: the sum of its lines. */
static void table_totals(const lp_report *rep, const lp_ftable *t, uint64_t *samples,
			 uint64_t *value0)
{
	*samples = *value0 = 0;
	for (size_t i = 0; i < rep->nlines; i++)
		if (lp_report_in_table(rep, t, &rep->lines[i])) {
			*samples += rep->lines[i].samples;
			*value0 += rep->lines[i].value[0];
		}
}

/* Where table t's rows are: a region's lines, or its functions' spans in the first one's file. */
static void table_span(const lp_report *rep, const lp_ftable *t, const char **file, int *first,
		       int *last)
{
	*file = NULL;
	*first = *last = 0;
	if (t->region_file) {
		*file = t->region_file;
		*first = t->first;
		*last = t->last;
		return;
	}
	for (size_t i = 0; i < t->nfns; i++) {
		const char *f;
		int a, b;

		if (lp_report_span(rep, t->fns[i]->id, &f, &a, &b) != 0)
			continue;
		if (!*file) {
			*file = f;
			*first = a;
			*last = b;
		} else if (f == *file) {
			*first = a < *first ? a : *first;
			*last = b > *last ? b : *last;
		}
	}
}

/* Lines of the table outside its span (inlined headers, macros, no line info), one row each. */
typedef struct lp_extra_rows {
	lp_line_stat *v;
	size_t n, cap;
} lp_extra_rows;

static int extra_add(lp_extra_rows *x, const lp_line_stat *ls)
{
	for (size_t i = 0; i < x->n; i++)
		if (x->v[i].file == ls->file && x->v[i].line == ls->line) {
			line_add(&x->v[i], ls);
			return 0;
		}
	if (x->n == x->cap) {
		size_t cap = x->cap ? 2 * x->cap : 16;
		lp_line_stat *v = realloc(x->v, cap * sizeof(*v));

		if (!v)
			return -1;
		x->v = v;
		x->cap = cap;
	}
	x->v[x->n] = (lp_line_stat){ .file = ls->file, .line = ls->line };
	line_add(&x->v[x->n++], ls);
	return 0;
}

/*
 * One -f table: every line of its span, with the counts of each of its
 * functions' lines there (and of the code outlined from them), then the
 * lines outside the span that have counts.
 */
static int render_function(const lp_render_ctx *ctx, const lp_ftable *t, FILE *out, lp_error *err)
{
	const lp_report *rep = ctx->rep;
	const char *file = NULL;
	int first = 0, last = 0, has_hits = 0, has_incl = 0, rc = LP_OK;
	uint64_t fn_samples = 0, fn_value0 = 0;
	lp_line_stat *acc = NULL;
	long *one = NULL;       /* per span row: the one line stat it holds, -1 none, -2 several */
	lp_extra_rows extra = { 0 };
	lp_table tab = { 0 };
	lp_fn_cols k;
	uint32_t module = LP_MODULE_NONE;
	const lp_func_stat *fs = t->nfns == 1 && t->fns[0]->owner == t->fns[0]
				 ? lp_report_func(rep, t->fns[0]->id) : NULL;

	table_totals(rep, t, &fn_samples, &fn_value0);
	if (ctx->opts->skip_zero && fn_samples == 0)
		return LP_OK;
	table_span(rep, t, &file, &first, &last);
	if (file && !t->region_file)
		last = closing_brace(ctx->src, file, first, last);
	if (file && (!(acc = calloc((size_t)(last - first + 1), sizeof(*acc))) ||
		     !(one = malloc((size_t)(last - first + 1) * sizeof(*one))))) {
		free(acc);
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	}
	for (int line = first; file && line <= last; line++)
		one[line - first] = -1;
	for (size_t i = 0; i < rep->nlines; i++) {
		const lp_line_stat *ls = &rep->lines[i];

		if (!lp_report_in_table(rep, t, ls))
			continue;
		if (module == LP_MODULE_NONE)
			module = ls->module;
		if (ls->has_hits)
			has_hits = 1;
		if (ls->incl_samples > ls->samples)
			has_incl = 1;
		if (file && ls->file == file && ls->line >= first && ls->line <= last) {
			line_add(&acc[ls->line - first], ls);
			one[ls->line - first] = one[ls->line - first] == -1 ? (long)i : -2;
		} else if ((ls->samples || ls->has_hits || ls->incl_samples > ls->samples) &&
			 extra_add(&extra, ls) != 0)
			rc = lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	}
	if (rc != LP_OK)
		goto out;
	setup_cols(&tab, &k, ctx, has_hits || rep->prof->nhits > 0, has_incl);
	if (file)
		lp_sources_check_age(ctx->src, file, module < rep->prof->nmodules
				     ? rep->prof->modules[module].path : NULL);
	for (int line = first; file && line <= last; line++) {
		const lp_line_stat *ls = &acc[line - first];
		double share = rep->prof->samples ? (double)ls->samples / (double)rep->prof->samples : 0;

		if (!table_row(&tab, lp_sources_line(ctx->src, file, line), share)) {
			rc = lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
			goto out;
		}
		cell(&tab, 0, "%.0f", line);
		if (ls->samples || ls->has_hits || ls->incl_samples) {
			fill_row(&tab, &k, ctx, ls, fn_samples, fn_value0);
			if (ls->samples)
				row_groups(&tab, &k, ctx, t, ls, one[line - first] >= 0
					   ? one[line - first] : -1);
		}
	}
	for (size_t i = 0; i < extra.n; i++) {
		const lp_line_stat *ls = &extra.v[i];

		if (!table_row(&tab, NULL, 0)) {
			rc = lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
			goto out;
		}
		cell(&tab, 0, "%.0f", ls->line);
		fill_row(&tab, &k, ctx, ls, fn_samples, fn_value0);
		if (ls->samples)
			row_groups(&tab, &k, ctx, t, ls, -1);
		tab.text[tab.nrows - 1] = ls->file ? lp_render_relpath(ls->file) : "(no line info)";
	}
	fprintf(out, "Total time: %g s\n", lp_report_seconds(rep, fn_value0, fn_samples));
	fprintf(out, "File: %s\n", file ? lp_render_relpath(file) : "(unknown)");
	fprintf(out, "Function: %s at line %d\n\n", t->title, first);
	table_print(&tab, out, ctx->color);
	fputc('\n', out);
	if (fs && lp_render_has_stats(ctx)) {
		const lp_stat *st = &ctx->cv->func_stats[fs - rep->funcs];

		fprintf(out, "Across %zu %ss: mean %g s, min %g s, max %g s (%s %lld), max/mean %.2f\n\n",
			ctx->cv->ngroups, lp_by_name(ctx->cv->level), lp_stat_mean_s(rep, ctx->cv, st),
			lp_stat_min_s(rep, st), lp_stat_max_s(rep, st),
			ctx->cv->level == LP_BY_THREAD ? "tid" : ctx->cv->level == LP_BY_PROCESS ? "pid" : "rank",
			st->nz ? lp_render_group_id(ctx, st->max_g) : -1LL, lp_stat_imbalance(rep, ctx->cv, st));
	}
out:
	table_free(&tab);
	free(acc);
	free(one);
	free(extra.v);
	return rc;
}

/* line_profiler --summarize: one line per table, slowest last as it does. */
static void render_summary(const lp_render_ctx *ctx, FILE *out)
{
	const lp_report *rep = ctx->rep;
	uint64_t total = rep->prof->samples;
	size_t n = rep->ntables, *order = malloc(n * sizeof(*order) + 1);
	double *secs = malloc(n * sizeof(*secs) + 1);
	uint64_t *samples = malloc(n * sizeof(*samples) + 1);

	if (!order || !secs || !samples)
		goto out;
	/* Insertion sort by time, stable: -f order among equals. */
	for (size_t i = 0; i < n; i++) {
		uint64_t v0;
		size_t j = i;

		table_totals(rep, &rep->tables[i], &samples[i], &v0);
		secs[i] = lp_report_seconds(rep, v0, samples[i]);
		for (; j > 0 && secs[order[j - 1]] > secs[i]; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	for (size_t k = 0; k < n; k++) {
		size_t i = order[k];
		const lp_ftable *t = &rep->tables[i];
		double pct = total ? 100.0 * (double)samples[i] / (double)total : 0;
		const char *file = NULL;
		int decl = 0, last;

		if (ctx->opts->skip_zero && !samples[i])
			continue;
		if (t->region_file) {
			file = t->region_file;
			decl = t->first;
		} else if (t->nfns && t->fns[0]->decl_file) {
			file = t->fns[0]->decl_file;
			decl = t->fns[0]->decl_line;
		} else if (t->nfns && lp_report_span(rep, t->fns[0]->id, &file, &decl, &last) != 0) {
			file = NULL, decl = 0;
		}
		fprintf(out, "%10.6f seconds %5.1f%%  %s:%d - %s\n", secs[i], pct,
			file ? lp_render_relpath(file) : "?", decl, t->title);
	}
out:
	free(order);
	free(secs);
	free(samples);
}

int lp_render_table(const lp_render_ctx *ctx, FILE *out, lp_error *err)
{
	lp_render_header(ctx, out);
	for (size_t i = 0; i < ctx->rep->ntables; i++) {
		int rc = render_function(ctx, &ctx->rep->tables[i], out, err);

		if (rc != LP_OK)
			return rc;
	}
	render_summary(ctx, out);
	return LP_OK;
}

/*
 * The function the hint names: the hottest one whose source is on this
 * machine, i.e. the user's code rather than libm's internals (whose DWARF
 * may be installed while their sources are not).
 */
/*
 * The hottest function -f can show: one with line info and at least 1 % of
 * the samples, its source readable if possible. NULL when there is none
 * (stripped, no -g: -f would be refused; a stray sample in the dynamic
 * loader is no advice).
 */
static const lp_func_stat *hint_function(const lp_report *rep)
{
	const lp_func_stat *any = NULL;
	uint64_t least = (rep->prof->samples + 99) / 100;

	for (size_t i = 0; i < rep->nfuncs && rep->funcs[i].self_samples >= least &&
	     rep->funcs[i].self_samples; i++) {
		if (!rep->funcs[i].file)
			continue;
		if (access(rep->funcs[i].file, R_OK) == 0)
			return &rep->funcs[i];
		if (!any)
			any = &rep->funcs[i];
	}
	return any;
}

int lp_render_top(const lp_render_ctx *ctx, FILE *out, lp_error *err)
{
	const lp_report *rep = ctx->rep;
	uint64_t total = rep->prof->samples;
	int top = ctx->opts->top > 0 ? ctx->opts->top : 20;
	lp_table t = { 0 };
	lp_metric_cols mc;
	char (*where)[512];
	size_t n = rep->nlines < (size_t)top ? rep->nlines : (size_t)top;
	int ev0, st0;

	where = calloc(n + 1, sizeof(*where));
	if (!where)
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	if (!ctx->opts->nfunctions && !ctx->opts->functions_view)
		lp_render_header(ctx, out);
	table_col(&t, "Samples", 9);
	table_col(&t, "Time", 12);
	table_col(&t, "% Time", 8);
	if (ctx->opts->ci)
		table_col(&t, "+-", 6);
	ev0 = extra_cols(&t, rep->prof, &mc);
	st0 = stat_cols(&t, ctx);
	for (size_t i = 0; i < n && rep->lines[i].samples; i++) {
		const lp_line_stat *ls = &rep->lines[i];
		double secs = lp_report_seconds(rep, ls->value[0], ls->samples);
		double share = total ? (double)ls->samples / (double)total : 0;

		if (ls->file) {
			char loc[400];

			snprintf(loc, sizeof(loc), "%s:%d", lp_render_relpath(ls->file), ls->line);
			snprintf(where[i], sizeof(where[i]), "%-32s  %s", loc,
				 lp_report_label(rep, ls->fn));
		} else {
			snprintf(where[i], sizeof(where[i]), "%-32s  %s", "(no line info)",
				 lp_report_label(rep, ls->fn));
		}
		if (!table_row(&t, where[i], share))
			break;
		cell_u64(&t, 0, ls->samples);
		cell(&t, 1, "%.1f", secs / ctx->opts->unit);
		cell(&t, 2, "%.1f", 100.0 * share);
		if (ctx->opts->ci) {
			double lo, hi;

			lp_render_wilson(ls->samples, total, &lo, &hi);
			cell(&t, 3, "%.1f", 100.0 * (share - lo > hi - share ? share - lo : hi - share));
		}
		extra_cells(&t, ev0, rep->prof, &mc, ls->value);
		if (st0 >= 0)
			stat_cells(&t, st0, ctx, &ctx->cv->line_stats[i]);
	}
	fprintf(out, "Hottest lines of the program (%zu of %zu lines with samples):\n\n",
		t.nrows, rep->nlines);
	t.text_head = "Line                              Function";
	table_print(&t, out, ctx->color);
	if (!ctx->opts->nfunctions && rep->nfuncs) {
		const lp_func_stat *hot = hint_function(rep);

		if (hot) {
			char name[1024];

			lp_render_shell_word(lp_report_label(rep, hot->fn), name, sizeof(name));
			fprintf(out, "\nHint: lineprof -f %s ... shows every line of that function "
				"(or: lineprof annotate -f %s FILE.lprof)\n", name, name);
		}
	}
	table_free(&t);
	free(where);
	return LP_OK;
}
