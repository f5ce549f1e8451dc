/*
 * line_profiler's layout: per function, "Total time / File / Function at
 * line N", a header of right-aligned columns separated by one space, two
 * spaces, "Line Contents", a rule of '=' as long as the header, and one row
 * for every source line of the function. Numbers have one decimal; lines
 * without samples show only their number and text. Columns widen to fit.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codeview.h"
#include "containers.h"
#include "rows.h"

#define LP_CELL 48

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
	/* Three arrays, one capacity: it moves only once all three have grown. */
	size_t capc = t->cap, capx = t->cap, caps = t->cap;

	if (LP_GROW(t->cells, t->nrows, capc) || LP_GROW(t->text, t->nrows, capx) ||
	    LP_GROW(t->share, t->nrows, caps))
		return NULL;
	t->cap = capc;
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

/*
 * What the run measured, and what it could not charge to a line, in one
 * line: sampled user (and system) time against the target's task-clock,
 * with the kernel's user/system split of the whole tree (wait4's rusage).
 */
static void cpu_line(const lp_render_ctx *ctx, FILE *out)
{
	const lp_report *rep = ctx->rep;
	const lp_profile *p = rep->prof;
	lp_report_sums s;

	lp_report_sums_of(rep, &s);
	if (!rep->has_time) {
		fprintf(out, "CPU time %.3f s by task-clock; no Time per line: %s is not a clock "
			"(-e cpu-clock,%s gives both)\n", (double)p->task_clock_ns * 1e-9,
			p->events[0].measured, p->events[0].measured);
		return;
	}
	fprintf(out, "CPU: sampled user %.3f s", (double)s.value0 * 1e-9);
	if (rep->has_sys)
		fprintf(out, " + sys %.3f s", (double)s.sys_value * 1e-9);
	fprintf(out, " of task-clock %.3f s", (double)p->task_clock_ns * 1e-9);
	if (p->user_ns || p->sys_ns)
		fprintf(out, " (rusage: user %.3f s, sys %.3f s)", (double)p->user_ns * 1e-9,
			(double)p->sys_ns * 1e-9);
	fprintf(out, "; not attributed to a line: %.3f s", s.unattributed_s);
	if (!rep->has_sys)
		fputs(", all system time included: kernel mode was not sampled (Sys and Off-CPU need "
		      "kernel.perf_event_paranoid <= 1 or root: sysctl -w kernel.perf_event_paranoid=1)",
		      out);
	fputc('\n', out);
}

static void off_line(const lp_render_ctx *ctx, FILE *out)
{
	const lp_report *rep = ctx->rep;
	const lp_profile *p = rep->prof;
	lp_report_sums s;
	double off;

	if (!rep->has_off) {
		if (rep->has_sys)
			fputs("Off-CPU: not recorded in this run (--off-cpu records it)\n", out);
		return;
	}
	lp_report_sums_of(rep, &s);
	off = (double)(s.off_ns[LP_OFF_BLOCKED] + s.off_ns[LP_OFF_RUNNABLE]) * 1e-9;
	fprintf(out, "Off-CPU: %.3f s in %" PRIu64 " waits (blocked %.3f s, runnable %.3f s)", off,
		s.off_count, (double)s.off_ns[LP_OFF_BLOCKED] * 1e-9,
		(double)s.off_ns[LP_OFF_RUNNABLE] * 1e-9);
	if (p->off_lost_ns)
		fprintf(out, "; %.3f s more whose place was lost (dropped records)",
			(double)p->off_lost_ns * 1e-9);
	if (p->lost)
		fprintf(out, "; the waits in the %" PRIu64 " dropped records are missing", p->lost);
	if (rep->has_wall)
		fprintf(out, "; Wall = Time + Sys + Off-CPU, thread time: %.3f s",
			(double)(s.value0 + s.sys_value) * 1e-9 + off);
	fputc('\n', out);
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
		cpu_line(ctx, out);
		off_line(ctx, out);
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

/* The Time column's head: Time, or the sampled event's counts where it is not a clock. */
static const char *time_head(const lp_report *rep)
{
	return rep->has_time ? "Time" : rep->prof->events[0].measured;
}

/* Sys, Off-CPU and Wall: each only where the run recorded it. */
static void wait_cols(lp_table *t, const lp_report *rep, int *sys, int *off, int *wall)
{
	*sys = *off = *wall = -1;
	if (rep->has_sys)
		*sys = t->ncols, table_col(t, "Sys", 10);
	if (rep->has_off)
		*off = t->ncols, table_col(t, "Off-CPU", 10);
	if (rep->has_wall)
		*wall = t->ncols, table_col(t, "Wall", 12);
}

/* The seconds of a line in timer units, into the columns wait_cols made. */
static void wait_cells(lp_table *t, const lp_render_ctx *ctx, const lp_times *tm, int sys, int off,
		       int wall)
{
	double u = ctx->opts->unit;

	if (sys >= 0)
		cell(t, sys, "%.1f", tm->sys_s / u);
	if (off >= 0)
		cell(t, off, "%.1f", tm->off_s / u);
	if (wall >= 0)
		cell(t, wall, "%.1f", tm->wall_s / u);
}

/*
 * The columns of one function's table: "Line #", then the line views' list
 * (columns.c). has_incl: some line of the function calls code that ran (a
 * call, an inlined callee), so an "Incl. Time" column gives those lines'
 * time with their callees; has_iwall the same for Wall (a call that waited).
 */
static void setup_cols(lp_table *t, lp_cols *cs, const lp_render_ctx *ctx, int has_hits,
		       int has_incl, int has_iwall)
{
	lp_cols_init(cs, ctx, LP_SCOPE_FUNCTION,
		     (has_hits ? LP_COLS_HITS : 0) | (has_incl ? LP_COLS_INCL : 0) |
		     (has_iwall ? LP_COLS_IWALL : 0));
	table_col(t, "Line #", 6);
	for (int i = 0; i < cs->n; i++)
		table_col(t, cs->col[i].head, cs->col[i].width);
}

static void fill_row(lp_table *t, const lp_cols *cs, const lp_fn_view *v, const lp_fn_row *r)
{
	lp_cell_in in;
	char buf[LP_CELL];

	lp_cell_in_row(&in, cs, v, r);
	for (int i = 0; i < cs->n; i++)
		if (lp_cols_cell(cs, i, &in, buf, sizeof(buf), NULL))
			cell_str(t, 1 + i, buf);
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
		if (b->incl_sys_value + b->incl_off_ns > a->incl_sys_value + a->incl_off_ns) {
			a->incl_sys_value = b->incl_sys_value;
			a->incl_off_ns = b->incl_off_ns;
		}
	} else {
		a->incl_samples += b->incl_samples;
		a->incl_value0 += b->incl_value0;
		a->incl_sys_value += b->incl_sys_value;
		a->incl_off_ns += b->incl_off_ns;
	}
	lp_waits_add(&a->w, &b->w);
	a->hits += b->hits;
	a->has_hits |= b->has_hits;
	if (!a->fn) {
		a->fn = b->fn;
		a->function = b->function;
		a->module = b->module;
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

static lp_fn_row *row_at(lp_fn_view *v, const char *file, int line, int in_span)
{
	lp_fn_row *r;

	for (size_t i = 0; !in_span && i < v->nrows; i++)
		if (!v->rows[i].in_span && v->rows[i].file == file && v->rows[i].line == line)
			return &v->rows[i];
	if (LP_GROW(v->rows, v->nrows, v->caprows))
		return NULL;
	r = &v->rows[v->nrows++];
	memset(r, 0, sizeof(*r));
	r->file = file;
	r->line = line;
	r->in_span = in_span;
	r->one = -1;
	return r;
}

/*
 * Per group, the sums of the rows made of several line stats (--by keeps
 * the lines' groups), and the statistics across groups of those sums; rowof
 * says which row each of the report's lines went to (UINT32_MAX: none).
 * One pass over the lines, not one per row.
 */
static int row_groups(const lp_render_ctx *ctx, lp_fn_view *v, const uint32_t *rowof)
{
	const lp_report *rep = ctx->rep;
	const lp_ctxview *cv = ctx->cv;
	size_t ng = cv->ngroups;

	for (size_t i = 0; i < rep->nlines; i++) {
		lp_fn_row *r;

		if (rowof[i] == UINT32_MAX)
			continue;
		r = &v->rows[rowof[i]];
		if (r->n < 2 || !r->sum.samples)
			continue;
		if (!r->group_s) {
			if (!(r->group_s = calloc(2 * ng, sizeof(*r->group_s))))
				return -1;
			r->group_v = r->group_s + ng;
		}
		for (size_t g = 0; g < ng; g++) {
			r->group_s[g] += cv->line_s[i * ng + g];
			r->group_v[g] += cv->line_v[i * ng + g];
		}
	}
	for (size_t k = 0; k < v->nrows; k++) {
		lp_fn_row *r = &v->rows[k];
		lp_stat *st = &r->stat;

		if (!r->group_s)
			continue;
		memset(st, 0, sizeof(*st));
		st->min_s = st->min_v = UINT64_MAX;
		for (size_t g = 0; g < ng; g++) {
			uint64_t gs = r->group_s[g], gv = r->group_v[g];

			st->sum_s += gs;
			st->sum_v += gv;
			st->nz += gs || gv;
			if (gv > st->max_v || (gv == st->max_v && gs > st->max_s))
				st->max_v = gv, st->max_s = gs, st->max_g = (uint32_t)g;
			if (gv < st->min_v || (gv == st->min_v && gs < st->min_s))
				st->min_v = gv, st->min_s = gs;
		}
		r->has_stat = cv->stats;
	}
	return 0;
}

int lp_fn_view_of(const lp_render_ctx *ctx, const lp_ftable *t, lp_fn_view *v)
{
	const lp_report *rep = ctx->rep;
	int groups = ctx->cv && ctx->cv->columns && ctx->cv->ngroups;
	uint32_t *rowof = NULL;
	int rc = -1;

	memset(v, 0, sizeof(*v));
	v->t = t;
	v->fs = t->nfns == 1 && t->fns[0]->owner == t->fns[0] ? lp_report_func(rep, t->fns[0]->id)
							       : NULL;
	v->module = LP_MODULE_NONE;
	table_span(rep, t, &v->file, &v->first, &v->last);
	if (v->file && !t->region_file)
		v->last = closing_brace(ctx->src, v->file, v->first, v->last);
	for (int line = v->first; v->file && line <= v->last; line++)
		if (!row_at(v, v->file, line, 1))
			return -1;
	if (groups) {
		if (!(rowof = malloc(rep->nlines * sizeof(*rowof) + 1)))
			return -1;
		memset(rowof, 0xff, rep->nlines * sizeof(*rowof));
	}
	for (size_t i = 0; i < rep->nlines; i++) {
		const lp_line_stat *ls = &rep->lines[i];
		lp_fn_row *r;

		if (!lp_report_in_table(rep, t, ls))
			continue;
		v->samples += ls->samples;
		v->value0 += ls->value[0];
		v->sys_value += ls->w.sys_value;
		v->off_ns += lp_waits_off_ns(&ls->w);
		v->off_count += ls->w.off_count;
		v->sys_samples += ls->w.sys_samples;
		if (v->module == LP_MODULE_NONE)
			v->module = ls->module;
		v->has_hits |= ls->has_hits;
		v->has_incl |= lp_line_has_incl(rep, ls);
		v->has_iwall |= lp_line_has_incl_wall(rep, ls);
		if (v->file && ls->file == v->file && ls->line >= v->first && ls->line <= v->last)
			r = &v->rows[ls->line - v->first];
		else if (lp_line_has_data(ls) || lp_line_has_incl(rep, ls) ||
			 lp_line_has_incl_wall(rep, ls))
			r = row_at(v, ls->file, ls->line, 0);
		else
			continue;
		if (!r)
			goto out;
		line_add(&r->sum, ls);
		r->one = r->n++ ? -1 : (long)i;
		if (rowof)
			rowof[i] = (uint32_t)(r - v->rows);
	}
	if (groups && row_groups(ctx, v, rowof) != 0)
		goto out;
	v->has_hits |= rep->prof->nhits > 0;
	rc = 0;
out:
	free(rowof);
	return rc;
}

/*
 * line_profiler's "Total time": the table's own Time, which its rows add up
 * to; then, where recorded, its own Sys, Off-CPU and Wall. Where the sampled
 * event is not a clock there is no time to total: its count.
 */
void lp_render_total_line(const lp_report *rep, uint64_t value0, uint64_t sys_value, uint64_t off_ns,
			  FILE *out)
{
	lp_times tm;

	if (!rep->has_time) {
		fprintf(out, "Total time: n/a s (%s is not a clock: %" PRIu64 " counted here)\n",
			rep->prof->events[0].measured, value0);
		return;
	}
	lp_report_times(rep, value0, sys_value, off_ns, &tm);
	fprintf(out, "Total time: %g s", tm.time_s);
	if (rep->has_sys)
		fprintf(out, " (Sys %g s", tm.sys_s);
	if (rep->has_off)
		fprintf(out, "%sOff-CPU %g s", rep->has_sys ? ", " : " (", tm.off_s);
	if (rep->has_wall)
		fprintf(out, ", Wall %g s", tm.wall_s);
	fputs(rep->has_sys || rep->has_off ? ")\n" : "\n", out);
}

void lp_fn_view_free(lp_fn_view *v)
{
	for (size_t i = 0; i < v->nrows; i++)
		free(v->rows[i].group_s);
	free(v->rows);
	memset(v, 0, sizeof(*v));
}

void lp_cell_in_row(lp_cell_in *in, const lp_cols *cs, const lp_fn_view *v, const lp_fn_row *r)
{
	const lp_report *rep = cs->ctx->rep;

	if (r->one >= 0) {
		lp_cell_in_line(in, cs, &rep->lines[r->one], v->samples, v->value0);
		return;
	}
	memset(in, 0, sizeof(*in));
	in->samples = r->sum.samples;
	in->value = r->sum.value;
	in->incl_samples = r->sum.incl_samples;
	in->incl_value0 = r->sum.incl_value0;
	in->hits = r->sum.hits;
	in->has_hits = r->sum.has_hits;
	in->sys_samples = r->sum.w.sys_samples;
	in->sys_value = r->sum.w.sys_value;
	in->off_count = r->sum.w.off_count;
	in->off_ns = lp_waits_off_ns(&r->sum.w);
	in->incl_sys_value = r->sum.incl_sys_value;
	in->incl_off_ns = r->sum.incl_off_ns;
	in->den_samples = v->samples;
	in->den_value0 = v->value0;
	in->stat = r->has_stat ? &r->stat : NULL;
	in->group_s = r->group_s;
	in->group_v = r->group_v;
}

/* The name the code views (--asm, loops) know the table by: its function's, else what was typed. */
static const char *code_name(const lp_ftable *t)
{
	return t->nfns ? t->fns[0]->name : t->pattern;
}

/*
 * One -f table: every line of its span, with the counts of each of its
 * functions' lines there (and of the code outlined from them), then the
 * lines outside the span that have counts.
 */
static int render_function(const lp_render_ctx *ctx, const lp_ftable *ft, FILE *out, lp_error *err)
{
	const lp_report *rep = ctx->rep;
	lp_fn_view v;
	const char *fn, *file;
	int first, rc = LP_OK;
	lp_table t = { 0 };
	lp_cols k;
	const lp_cv_sloop *loops = NULL;
	size_t nloops = 0, nnoted = 0;
	char **noted = NULL;

	if (ctx->opts->asm_view)
		return lp_render_asm_function(ctx, code_name(ft), out, err);
	if (lp_fn_view_of(ctx, ft, &v) != 0) {
		lp_fn_view_free(&v);
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	}
	if (ctx->opts->skip_zero && v.samples == 0 && !v.sys_samples && !v.off_count)
		goto out;
	if (!ft->nfns && !ft->region_file) {
		/* Not looked up (no binary to look in): its title says why. */
		fprintf(out, "Function: %s\n\n", ft->title);
		goto out;
	}
	fn = ft->nfns ? ft->fns[0]->name : NULL;
	file = v.file;
	first = v.first;
	setup_cols(&t, &k, ctx, v.has_hits, v.has_incl, v.has_iwall);
	if (file)
		lp_sources_check_age(ctx->src, file, v.module < rep->prof->nmodules
				     ? rep->prof->modules[v.module].path : NULL);
	/* The loops of the function: a note on each header line. */
	if (fn && lp_codeview_loops(rep, fn, &loops, &nloops, NULL) != 0) {
		rc = lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
		goto out;
	}
	if (nloops && !(noted = calloc(nloops, sizeof(*noted)))) {
		rc = lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
		goto out;
	}
	for (size_t i = 0; i < v.nrows; i++) {
		const lp_fn_row *r = &v.rows[i];
		double share = rep->prof->samples ? (double)r->sum.samples / (double)rep->prof->samples : 0;
		const char *text = r->in_span ? lp_sources_line(ctx->src, file, r->line) : NULL;
		char note[1024];

		if (r->in_span) {
			lp_render_loop_notes(ctx, loops, nloops, fn, file, r->line, note, sizeof(note));
			if (note[0] && nnoted < nloops) {
				size_t len = strlen(text ? text : "") + strlen(note) + 1;

				if (!(noted[nnoted] = malloc(len))) {
					rc = lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
					goto out;
				}
				snprintf(noted[nnoted], len, "%s%s", text ? text : "", note);
				text = noted[nnoted++];
			}
		} else {
			text = r->file ? lp_render_relpath(r->file) : "(no line info)";
			share = 0;
		}
		if (!table_row(&t, text, share)) {
			rc = lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
			goto out;
		}
		cell(&t, 0, "%.0f", r->line);
		if (r->n)
			fill_row(&t, &k, &v, r);
	}
	lp_render_total_line(ctx->rep, v.value0, v.sys_value, v.off_ns, out);
	fprintf(out, "File: %s\n", file ? lp_render_relpath(file) : "(unknown)");
	fprintf(out, "Function: %s at line %d\n\n", ft->title, first);
	table_print(&t, out, ctx->color);
	fputc('\n', out);
	if (v.fs && lp_render_has_stats(ctx)) {
		const lp_stat *st = &ctx->cv->func_stats[v.fs - rep->funcs];

		fprintf(out, "Across %zu %ss: mean %g s, min %g s, max %g s (%s %lld), max/mean %.2f\n\n",
			ctx->cv->ngroups, lp_by_name(ctx->cv->level), lp_stat_mean_s(rep, ctx->cv, st),
			lp_stat_min_s(rep, st), lp_stat_max_s(rep, st),
			ctx->cv->level == LP_BY_THREAD ? "tid" : ctx->cv->level == LP_BY_PROCESS ? "pid" : "rank",
			st->nz ? lp_render_group_id(ctx, st->max_g) : -1LL, lp_stat_imbalance(rep, ctx->cv, st));
	}
out:
	lp_fn_view_free(&v);
	table_free(&t);
	for (size_t i = 0; i < nnoted; i++)
		free(noted[i]);
	free(noted);
	return rc;
}

/* line_profiler --summarize: one line per table, slowest last as it does. */
static void render_summary(const lp_render_ctx *ctx, FILE *out)
{
	const lp_report *rep = ctx->rep;
	uint64_t total = rep->prof->samples;
	size_t n = rep->ntables, *order = malloc(n * sizeof(*order) + 1);
	double *secs = malloc(n * sizeof(*secs) + 1);
	uint64_t *samples = malloc(n * sizeof(*samples) + 1), *value0 = malloc(n * sizeof(*value0) + 1);
	lp_waits *waits = malloc(n * sizeof(*waits) + 1);

	if (!order || !secs || !samples || !value0 || !waits)
		goto out;
	/* Insertion sort by time, stable: -f order among equals. */
	for (size_t i = 0; i < n; i++) {
		uint64_t v[LP_MAX_EVENTS];
		size_t j = i;

		lp_report_table_sums(rep, &rep->tables[i], &samples[i], v, &waits[i]);
		/* Time; where the sampled event is not a clock, its count. */
		secs[i] = rep->has_time ? lp_report_seconds(rep, v[0]) : (double)v[0];
		value0[i] = v[0];
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

		if ((ctx->opts->skip_zero && !samples[i]) || (!t->nfns && !t->region_file))
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
		if (rep->has_time)
			fprintf(out, "%10.6f seconds %5.1f%%  %s:%d - %s", secs[i], pct,
				file ? lp_render_relpath(file) : "?", decl, t->title);
		else
			fprintf(out, "%10.0f %s %5.1f%%  %s:%d - %s", secs[i],
				rep->prof->events[0].measured, pct, file ? lp_render_relpath(file) : "?",
				decl, t->title);
		if (rep->has_wall) {
			lp_times tm;

			lp_report_times(rep, value0[i], waits[i].sys_value, lp_waits_off_ns(&waits[i]),
					&tm);
			fprintf(out, " (wall %.6f s)", tm.wall_s);
		}
		fputc('\n', out);
	}
out:
	free(order);
	free(secs);
	free(samples);
	free(value0);
	free(waits);
}

/*
 * A -f table that could not be looked up (its binary is gone or unreadable)
 * is a view that failed: every table is still printed, then the first such
 * one is the error. Not with -z (the user asked to skip what has no samples),
 * nor for a profile without samples (said already, nothing could be found).
 * A name the binaries do not have failed the selection before this.
 */
int lp_render_table(const lp_render_ctx *ctx, FILE *out, lp_error *err)
{
	const lp_ftable *missing = NULL;
	int nmissing = 0;

	lp_render_header(ctx, out);
	for (size_t i = 0; i < ctx->rep->ntables; i++) {
		const lp_ftable *t = &ctx->rep->tables[i];
		int rc;

		if (!t->nfns && !t->region_file && !nmissing++)
			missing = t;
		rc = render_function(ctx, t, out, err);
		if (rc != LP_OK)
			return rc;
	}
	render_summary(ctx, out);
	if (missing && !ctx->opts->skip_zero && ctx->rep->prof->samples > 0)
		return lp_error_set(err, LP_EFAIL, "lineprof: -f %s%s: not found: %s", missing->pattern,
				    nmissing > 1 ? " and others" : "",
				    "the profiled binary is not readable (removed or rebuilt); restore it "
				    "or profile again");
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

/*
 * Without stacks, system time and blocked time stay where the thread
 * entered the kernel: mostly inside libraries (libc's read, nanosleep,
 * futex wrappers), whose callers then show none of it. Say so when that is
 * most of it, and how to see the calling lines. (Preemption is charged
 * where the thread ran: no library in between.)
 */
static void hint_stacks(const lp_report *rep, FILE *out)
{
	uint64_t all = 0, lib = 0;

	if (rep->inclusive_from_stacks || !(rep->has_sys || rep->has_off))
		return;
	for (size_t i = 0; i < rep->nlines; i++) {
		const lp_line_stat *l = &rep->lines[i];
		uint64_t w = (rep->has_sys ? l->w.sys_value : 0) + l->w.off_ns[LP_OFF_BLOCKED];

		if (!w)
			continue; /* only lines that waited are asked about: one access() each, not per line */
		all += w;
		if (!l->file || access(l->file, R_OK) != 0)
			lib += w;
	}
	if (all && lib * 2 > all && (double)all * 1e-9 >= 0.05)
		fprintf(out, "\nHint: %.0f %% of the system and blocked time is in code whose source is not "
			"here (libc's system call wrappers...): --call-graph=dwarf charges it to the "
			"lines that called it too (Incl. Wall)\n", 100.0 * (double)lib / (double)all);
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
	int ev0, st0, sys, off, wall;

	where = calloc(n + 1, sizeof(*where));
	if (!where)
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	if (!ctx->opts->nfunctions && !ctx->opts->functions_view)
		lp_render_header(ctx, out);
	table_col(&t, "Samples", 9);
	table_col(&t, time_head(rep), 12);
	table_col(&t, "% Time", 8);
	if (ctx->opts->ci)
		table_col(&t, "+-", 6);
	wait_cols(&t, rep, &sys, &off, &wall);
	ev0 = extra_cols(&t, rep->prof, &mc);
	st0 = stat_cols(&t, ctx);
	for (size_t i = 0; i < n; i++) {
		const lp_line_stat *ls = &rep->lines[i];
		double share = total ? (double)ls->samples / (double)total : 0;
		lp_times tm;

		if (!lp_line_has_own(ls))
			break; /* hits or callees' only, from here on */
		lp_line_times(rep, ls, &tm);

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
		if (rep->has_time)
			cell(&t, 1, "%.1f", tm.time_s / ctx->opts->unit);
		else
			cell_u64(&t, 1, ls->value[0]);
		cell(&t, 2, "%.1f", 100.0 * share);
		wait_cells(&t, ctx, &tm, sys, off, wall);
		if (ctx->opts->ci) {
			double lo, hi;

			lp_render_wilson(ls->samples, total, &lo, &hi);
			cell(&t, 3, "%.1f", 100.0 * (share - lo > hi - share ? share - lo : hi - share));
		}
		extra_cells(&t, ev0, rep->prof, &mc, ls->value);
		if (st0 >= 0)
			stat_cells(&t, st0, ctx, &ctx->cv->line_stats[i]);
	}
	fprintf(out, "Hottest lines of the program (%zu of %zu lines with samples%s%s):\n\n",
		t.nrows, rep->nlines, rep->has_sys || rep->has_off ? " or waits" : "",
		rep->has_wall ? "; by Time + Sys + blocked Off-CPU" : "");
	t.text_head = "Line                              Function";
	table_print(&t, out, ctx->color);
	if (ctx->opts->asm_view && lp_render_asm_lines(ctx, t.nrows, out, err) != LP_OK) {
		table_free(&t);
		free(where);
		return err->code;
	}
	if (!ctx->opts->nfunctions && rep->nfuncs) {
		const lp_func_stat *hot = hint_function(rep);

		if (hot) {
			char name[1024];

			lp_render_shell_word(lp_report_label(rep, hot->fn), name, sizeof(name));
			fprintf(out, "\nHint: lineprof -f %s ... shows every line of that function "
				"(or: lineprof annotate -f %s FILE.lprof)\n", name, name);
		}
	}
	hint_stacks(rep, out);
	table_free(&t);
	free(where);
	return LP_OK;
}
