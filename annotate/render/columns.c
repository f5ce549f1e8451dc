/*
 * The numeric columns of the line views, defined once: the -f table, the
 * listing and the HTML report all take their headings, their order and
 * their cells from here, so a quantity added to this list shows in every
 * one of them.
 */
#include <inttypes.h>
#include <string.h>

#include "rows.h"

#define FN (1u << LP_SCOPE_FUNCTION)
#define PROG (1u << LP_SCOPE_PROGRAM)

/* The fixed columns, in the order they print; events and metrics follow. */
static const struct lp_col_def {
	lp_col_kind kind;
	unsigned scopes;            /* the scopes that show it */
	const char *head[2];        /* per scope */
	const char *key;
	const char *desc[2];
	int width[2];
} defs[] = {
	{ LP_COL_HITS, FN | PROG, { "Hits", "Hits" }, "hits",
	  { "exact executions of the line (--hits)", "exact executions of the line (--hits)" },
	  { 9, 9 } },
	{ LP_COL_SAMPLES, FN | PROG, { "Samples", "Samples" }, "samples",
	  { "samples whose innermost frame is this line", "samples whose innermost frame is this line" },
	  { 9, 9 } },
	{ LP_COL_TIME, FN | PROG, { "Time", "Time" }, "time",
	  { "CPU time of the line, in timer units (-u)", "CPU time of the line, in timer units (-u)" },
	  { 12, 12 } },
	{ LP_COL_PERHIT, FN, { "Per Hit", NULL }, "per_hit",
	  { "Time divided by Hits", NULL }, { 8, 0 } },
	{ LP_COL_PCT, FN | PROG, { "% Time", "% Prog" }, "percent",
	  { "share of the function's time", "share of the program's time" }, { 8, 8 } },
	{ LP_COL_CI, FN | PROG, { "+-", "+-" }, "ci",
	  { "half-width of the 95 % interval of the share, in points (--ci)",
	    "half-width of the 95 % interval of the share, in points (--ci)" }, { 6, 6 } },
	{ LP_COL_INCL, FN | PROG, { "Incl. Time", "Incl." }, "incl",
	  { "time of the line with the code it inlines and calls, in timer units",
	    "% of the program in the line with the code it inlines and calls" }, { 12, 8 } },
	{ LP_COL_SYS, FN | PROG, { "Sys", "Sys" }, "sys",
	  { "system time spent on the line's behalf, in timer units",
	    "system time spent on the line's behalf, in timer units" }, { 10, 10 } },
	{ LP_COL_OFF, FN | PROG, { "Off-CPU", "Off-CPU" }, "off_cpu",
	  { "time its threads waited off the CPU after leaving it there, in timer units",
	    "time its threads waited off the CPU after leaving it there, in timer units" },
	  { 10, 10 } },
	{ LP_COL_WALL, FN | PROG, { "Wall", "Wall" }, "wall",
	  { "Time + Sys + Off-CPU, in timer units", "Time + Sys + Off-CPU, in timer units" },
	  { 12, 12 } },
	{ LP_COL_IWALL, FN, { "Incl. Wall", NULL }, "incl_wall",
	  { "Wall of the line with the code it inlines and calls, in timer units", NULL },
	  { 12, 0 } },
};

static void add(lp_cols *cs, lp_col_kind kind, const char *head, const char *key, const char *desc,
		int width, int arg)
{
	lp_col *c = &cs->col[cs->n++];

	c->kind = kind;
	c->head = head;
	c->key = key;
	c->desc = desc;
	c->width = width;
	c->arg = arg;
}

void lp_cols_init(lp_cols *cs, const lp_render_ctx *ctx, enum lp_col_scope scope, unsigned with)
{
	const lp_profile *p = ctx->rep->prof;

	memset(cs, 0, sizeof(*cs));
	cs->ctx = ctx;
	cs->scope = scope;
	lp_totals_of(ctx->rep, &cs->t);
	lp_metric_cols_of(p, &cs->mc);
	for (size_t i = 0; i < sizeof(defs) / sizeof(defs[0]); i++) {
		const struct lp_col_def *d = &defs[i];

		if (!(d->scopes & (1u << scope)) ||
		    ((d->kind == LP_COL_HITS || d->kind == LP_COL_PERHIT) && !(with & LP_COLS_HITS)) ||
		    (d->kind == LP_COL_CI && !ctx->opts->ci) ||
		    (d->kind == LP_COL_INCL && !(with & LP_COLS_INCL)) ||
		    (d->kind == LP_COL_SYS && !ctx->rep->has_sys) ||
		    (d->kind == LP_COL_OFF && !ctx->rep->has_off) ||
		    (d->kind == LP_COL_WALL && !ctx->rep->has_wall) ||
		    (d->kind == LP_COL_IWALL && !(ctx->rep->has_wall && (with & LP_COLS_IWALL))))
			continue;
		/* Not a clock: the column is the sampled event's count, headed by its name. */
		add(cs, d->kind, d->kind == LP_COL_TIME && !ctx->rep->has_time ? p->events[0].measured
									     : d->head[scope],
		    d->key, d->desc[scope], d->width[scope], 0);
	}
	/* One column per event after the first (the sampled one is Samples and Time). */
	for (int e = 1; e < p->nevents; e++)
		add(cs, LP_COL_EVENT, p->events[e].measured, p->events[e].measured,
		    "count of this event in the line's samples", 10, e);
	for (int i = 0; i < cs->mc.n; i++)
		add(cs, LP_COL_METRIC, cs->mc.m[i]->column, cs->mc.m[i]->key, cs->mc.m[i]->desc,
		    scope == LP_SCOPE_FUNCTION ? 6 : 10, i);
	if (scope != LP_SCOPE_FUNCTION)
		return;
	/* Two groups or more (ranks, processes, threads): each line's spread across them. */
	if (lp_render_has_stats(ctx)) {
		add(cs, LP_COL_MEAN, "Mean", "mean", "mean time per group, in timer units", 10, 0);
		add(cs, LP_COL_MIN, "Min", "min", "least time of a group, in timer units", 10, 0);
		add(cs, LP_COL_MAX, "Max", "max", "most time of a group, in timer units", 10, 0);
		add(cs, LP_COL_MAXAT, lp_render_max_head(ctx), "max_at", "the group with the most time", 6, 0);
		add(cs, LP_COL_IMBALANCE, "Max/Mean", "imbalance", "the most time over the mean", 8, 0);
	}
	/* --by: a column per group, its time in timer units. */
	for (size_t g = 0; lp_render_has_columns(ctx, 1) && g < ctx->cv->ngroups && cs->n < LP_MAX_COLS - 1; g++)
		add(cs, LP_COL_GROUP, ctx->cv->groups[g].label, ctx->cv->groups[g].label,
		    "time of this group, in timer units", 8, (int)g);
}

void lp_cell_in_line(lp_cell_in *in, const lp_cols *cs, const lp_line_stat *ls,
		     uint64_t den_samples, uint64_t den_value0)
{
	const lp_render_ctx *ctx = cs->ctx;
	size_t i = (size_t)(ls - ctx->rep->lines);

	memset(in, 0, sizeof(*in));
	if (ctx->cv && i < ctx->rep->nlines) {
		if (ctx->cv->stats)
			in->stat = &ctx->cv->line_stats[i];
		if (ctx->cv->columns) {
			in->group_s = &ctx->cv->line_s[i * ctx->cv->ngroups];
			in->group_v = &ctx->cv->line_v[i * ctx->cv->ngroups];
		}
	}
	in->samples = ls->samples;
	in->value = ls->value;
	in->incl_samples = ls->incl_samples;
	in->incl_value0 = ls->incl_value0;
	in->hits = ls->hits;
	in->has_hits = ls->has_hits;
	in->sys_samples = ls->w.sys_samples;
	in->sys_value = ls->w.sys_value;
	in->off_count = ls->w.off_count;
	in->off_ns = lp_waits_off_ns(&ls->w);
	in->incl_sys_value = ls->incl_sys_value;
	in->incl_off_ns = ls->incl_off_ns;
	in->den_samples = den_samples;
	in->den_value0 = den_value0;
}

/* Code it inlines or calls ran under the line: by time when the program has times, else samples. */
static int incl_shows(const lp_cols *cs, const lp_cell_in *in)
{
	if (in->always_incl)
		return in->incl_samples > 0;
	return cs->t.value0 ? in->incl_value0 > in->value[0] : in->incl_samples > in->samples;
}

static int fmt(char *buf, size_t size, double *num, const char *f, double v)
{
	snprintf(buf, size, f, v);
	if (num)
		*num = v;
	return 1;
}

int lp_cols_cell(const lp_cols *cs, int i, const lp_cell_in *in, char *buf, size_t size,
		 double *num)
{
	const lp_col *c = &cs->col[i];
	const lp_render_ctx *ctx = cs->ctx;
	const lp_report *rep = ctx->rep;
	/* A line without samples, waits or hits shows only its hits and what ran inside it. */
	int data = in->samples || in->has_hits || in->sys_samples || in->off_count || in->off_ns;
	/* Timer units where Time is measured; else the sampled event's count. */
	double units = rep->has_time ? lp_report_seconds(rep, in->value[0]) / ctx->opts->unit
				     : (double)in->value[0];
	double lo, hi, p;
	lp_times tm;

	buf[0] = '\0';
	if (num)
		*num = 0;
	switch (c->kind) {
	case LP_COL_HITS:
		if (!in->has_hits)
			return 0;
		snprintf(buf, size, "%" PRIu64, in->hits);
		if (num)
			*num = (double)in->hits;
		return 1;
	case LP_COL_SAMPLES:
		if (!data)
			return 0;
		snprintf(buf, size, "%" PRIu64, in->samples);
		if (num)
			*num = (double)in->samples;
		return 1;
	case LP_COL_TIME:
		return data ? fmt(buf, size, num, rep->has_time ? "%.1f" : "%.0f", units) : 0;
	case LP_COL_PERHIT:
		return data && in->has_hits && in->hits ? fmt(buf, size, num, "%.1f",
							       units / (double)in->hits) : 0;
	case LP_COL_PCT:
		return data ? fmt(buf, size, num, "%.1f",
				  100.0 * lp_totals_share(&cs->t, in->value[0], in->samples,
							  in->den_value0, in->den_samples)) : 0;
	case LP_COL_CI:
		if (!data)
			return 0;
		p = in->den_samples ? (double)in->samples / (double)in->den_samples : 0;
		lp_render_wilson(in->samples, in->den_samples, &lo, &hi);
		return fmt(buf, size, num, "%.1f", 100.0 * (p - lo > hi - p ? p - lo : hi - p));
	case LP_COL_INCL:
		if (!incl_shows(cs, in))
			return 0;
		if (cs->scope == LP_SCOPE_FUNCTION && !rep->has_time)
			return fmt(buf, size, num, "%.0f", (double)in->incl_value0);
		if (cs->scope == LP_SCOPE_FUNCTION)
			return fmt(buf, size, num, "%.1f",
				   lp_report_seconds(rep, in->incl_value0) /
				   ctx->opts->unit);
		return fmt(buf, size, num, "%.1f",
			   100.0 * lp_totals_share(&cs->t, in->incl_value0, in->incl_samples,
						   cs->t.value0, cs->t.samples));
	case LP_COL_SYS:
	case LP_COL_OFF:
	case LP_COL_WALL:
		if (!data)
			return 0;
		lp_report_times(rep, in->value[0], in->sys_value, in->off_ns, &tm);
		return fmt(buf, size, num, "%.1f",
			   (c->kind == LP_COL_SYS ? tm.sys_s : c->kind == LP_COL_OFF ? tm.off_s : tm.wall_s) /
			   ctx->opts->unit);
	case LP_COL_IWALL:
		/* Where the line holds more than its own: the calls that waited, or inlined code. */
		if (in->incl_value0 + in->incl_sys_value + in->incl_off_ns <=
		    in->value[0] + in->sys_value + in->off_ns)
			return 0;
		lp_report_times(rep, in->incl_value0, in->incl_sys_value, in->incl_off_ns, &tm);
		return fmt(buf, size, num, "%.1f", tm.wall_s / ctx->opts->unit);
	case LP_COL_EVENT:
		if (!data)
			return 0;
		snprintf(buf, size, "%" PRIu64, in->value[c->arg]);
		if (num)
			*num = (double)in->value[c->arg];
		return 1;
	case LP_COL_METRIC:
		if (!data)
			return 0;
		lp_metric_cols_cell(&cs->mc, c->arg, in->value, buf, size);
		if (num)
			lp_metric_cols_ratio(&cs->mc, c->arg, in->value, num);
		return buf[0] != '\0';
	case LP_COL_MEAN:
	case LP_COL_MIN:
	case LP_COL_MAX:
		if (!data || !in->stat || !in->stat->nz)
			return 0;
		return fmt(buf, size, num, "%.1f",
			   (c->kind == LP_COL_MEAN ? lp_stat_mean_s(rep, ctx->cv, in->stat)
			    : c->kind == LP_COL_MIN ? lp_stat_min_s(rep, in->stat)
			    : lp_stat_max_s(rep, in->stat)) / ctx->opts->unit);
	case LP_COL_MAXAT:
		if (!data || !in->stat || !in->stat->nz)
			return 0;
		return fmt(buf, size, num, "%.0f", (double)lp_render_group_id(ctx, in->stat->max_g));
	case LP_COL_IMBALANCE:
		if (!data || !in->stat || !in->stat->nz)
			return 0;
		return fmt(buf, size, num, "%.2f", lp_stat_imbalance(rep, ctx->cv, in->stat));
	case LP_COL_GROUP:
		if (!data || !in->group_s || (!in->group_s[c->arg] && !in->group_v[c->arg]))
			return 0;
		return fmt(buf, size, num, "%.1f",
			   lp_report_seconds(rep, in->group_v[c->arg]) / ctx->opts->unit);
	}
	return 0;
}
