/*
 * JSON export: the profile's metadata, a per-function summary and the same
 * per-line rows as the CSV, as one object (schema in lineprof(1)). Strings
 * are valid UTF-8 whatever the bytes recorded: control characters become
 * \u00XX and bytes that are not UTF-8 become U+FFFD. Numbers are plain
 * decimals; a value that is unknown is null.
 */
#include <inttypes.h>
#include <math.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "codeview.h"
#include "rows.h"

#ifndef LP_VERSION
#define LP_VERSION "unknown"
#endif

static void jstr(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	if (!s) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	while (*s) {
		int n = lp_utf8_len(s); /* ASCII, and so every escaped byte: 1 */

		if (*s == '"' || *s == '\\') {
			fputc('\\', out);
			fputc(*s, out);
		} else if (*s < 0x20 || *s == 0x7f) {
			fprintf(out, "\\u%04x", *s);
		} else if (n == 0) {
			fputs("\\ufffd", out);
			n = 1;
		} else {
			fwrite(s, 1, (size_t)n, out);
		}
		s += n;
	}
	fputc('"', out);
}

/* "key": value, then sep (", " inside an object, ",\n" between members of the top one). */
static void kstr(FILE *out, const char *key, const char *val, const char *sep)
{
	fprintf(out, "\"%s\": ", key);
	jstr(out, val);
	fputs(sep, out);
}

static void knum(FILE *out, const char *key, const char *fmt, double v, const char *sep)
{
	fprintf(out, "\"%s\": ", key);
	if (isfinite(v))
		fprintf(out, fmt, v);
	else
		fputs("null", out);
	fputs(sep, out);
}

static void ku64(FILE *out, const char *key, uint64_t v, const char *sep)
{
	fprintf(out, "\"%s\": %" PRIu64 "%s", key, v, sep);
}

/* A count that was measured, or null: not recorded is not 0. */
static void kcount(FILE *out, const char *key, uint64_t v, int measured, const char *sep)
{
	if (measured)
		ku64(out, key, v, sep);
	else
		fprintf(out, "\"%s\": null%s", key, sep);
}

/* The derived metrics this profile has: their inputs were measured. */
static void metrics_meta(const lp_profile *p, FILE *out)
{
	lp_metric_cols mc;

	lp_metric_cols_of(p, &mc);
	fputs("  \"metrics\": [", out);
	for (int i = 0; i < mc.n; i++) {
		fputs(i ? ",\n    {" : "\n    {", out);
		kstr(out, "key", mc.m[i]->key, ", ");
		kstr(out, "numerator", mc.m[i]->numerator, ", ");
		kstr(out, "denominator", mc.m[i]->denominator, ", ");
		kstr(out, "description", mc.m[i]->desc, "}");
	}
	fputs(mc.n ? "\n  ],\n" : "],\n", out);
}

/* ", \"key\": ratio" per metric of the profile (null where the denominator is 0). */
static void metric_values(const lp_metric_cols *mc, const uint64_t *v, FILE *out)
{
	for (int i = 0; i < mc->n; i++) {
		double ratio;

		fputs(", ", out);
		if (lp_metric_cols_ratio(mc, i, v, &ratio) == 0)
			knum(out, mc->m[i]->key, "%.6f", ratio, "");
		else
			fprintf(out, "\"%s\": null", mc->m[i]->key);
	}
}

/*
 * The run's time, as the header says it: the kernel's user/system split
 * (wait4's rusage: null when unknown), what was sampled and recorded (null
 * when not), and the CPU time no line was charged with.
 */
static void time_meta(const lp_render_ctx *ctx, FILE *out)
{
	const lp_report *rep = ctx->rep;
	const lp_profile *p = rep->prof;
	int rusage = p->user_ns || p->sys_ns;
	lp_report_sums s;

	lp_report_sums_of(rep, &s);
	fputs("  ", out);
	knum(out, "user_s", "%.9f", rusage ? (double)p->user_ns * 1e-9 : NAN, ",\n");
	fputs("  ", out);
	knum(out, "sys_s", "%.9f", rusage ? (double)p->sys_ns * 1e-9 : NAN, ",\n");
	fputs("  ", out);
	knum(out, "unattributed_s", "%.9f", s.unattributed_s, ",\n");
	fputs("  ", out);
	knum(out, "time_s", "%.9f", lp_report_seconds(rep, s.value0), ",\n");
	fputs("  ", out);
	knum(out, "sys_sampled_s", "%.9f", rep->has_sys ? (double)s.sys_value * 1e-9 : NAN, ",\n");
	fputs("  ", out);
	knum(out, "off_cpu_s", "%.9f",
	     rep->has_off ? (double)(s.off_ns[LP_OFF_BLOCKED] + s.off_ns[LP_OFF_RUNNABLE]) * 1e-9
			  : NAN, ",\n");
	fputs("  ", out);
	knum(out, "off_cpu_lost_s", "%.9f", rep->has_off ? (double)p->off_lost_ns * 1e-9 : NAN,
	     ",\n");
	fprintf(out, "  \"kernel_samples\": %s,\n  \"off_cpu\": %s,\n",
		rep->has_sys ? "true" : "false", rep->has_off ? "true" : "false");
	fputs("  ", out);
	kcount(out, "sys_samples", s.sys_samples, rep->has_sys, ",\n");
}
static void contexts_meta(const lp_render_ctx *ctx, FILE *out);

static void metadata(const lp_render_ctx *ctx, FILE *out)
{
	const lp_profile *p = ctx->rep->prof;
	int st = p->exit_status;
	time_t when = (time_t)p->start_time;
	struct tm tm;
	char iso[64];

	fputs("  ", out);
	kstr(out, "lineprof_version", LP_VERSION, ",\n");
	fputs("  ", out);
	kstr(out, "command", p->command, ",\n");
	/* 0: not recorded. */
	if (p->start_time && gmtime_r(&when, &tm) &&
	    strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm))
		fprintf(out, "  \"start_time\": %" PRId64 ",\n  \"start_time_utc\": \"%s\",\n",
			p->start_time, iso);
	else
		fputs("  \"start_time\": null,\n  \"start_time_utc\": null,\n", out);
	fputs("  ", out);
	knum(out, "wall_s", "%.9f", (double)p->wall_ns * 1e-9, ",\n");
	fputs("  ", out);
	knum(out, "cpu_s", "%.9f", (double)p->task_clock_ns * 1e-9, ",\n");
	time_meta(ctx, out);
	fputs("  ", out);
	knum(out, "timer_unit", "%g", ctx->opts->unit, ",\n");
	fputs("  ", out);
	ku64(out, "samples", p->samples, ",\n");
	fputs("  ", out);
	ku64(out, "lost", p->lost, ",\n");
	fputs("  ", out);
	ku64(out, "throttled", p->throttled, ",\n");
	if (st >= 0 && WIFEXITED(st))
		fprintf(out, "  \"exit_status\": %d,\n  \"exit_signal\": null,\n", WEXITSTATUS(st));
	else if (st >= 0 && WIFSIGNALED(st))
		fprintf(out, "  \"exit_status\": %d,\n  \"exit_signal\": %d,\n", 128 + WTERMSIG(st),
			WTERMSIG(st));
	else
		fputs("  \"exit_status\": null,\n  \"exit_signal\": null,\n", out);
	fprintf(out, "  \"callchain\": %s,\n", p->callchain ? "true" : "false");
	fputs("  \"events\": [", out);
	for (int e = 0; e < p->nevents; e++) {
		const lp_event_info *ev = &p->events[e];

		fputs(e ? ",\n    {" : "\n    {", out);
		kstr(out, "name", ev->name, ", ");
		kstr(out, "measured", ev->measured, ", ");
		ku64(out, "freq", ev->freq, ", ");
		ku64(out, "period", ev->period, ", ");
		ku64(out, "total", ev->total, "}");
	}
	fputs(p->nevents ? "\n  ],\n" : "],\n", out);
	metrics_meta(p, out);
	contexts_meta(ctx, out);
}

/* Who ran: every process with its identity, every thread; the groups of --by. */
static void contexts_meta(const lp_render_ctx *ctx, FILE *out)
{
	const lp_profile *p = ctx->rep->prof;
	const lp_ctxview *cv = ctx->cv;
	int n = 0;

	fputs("  \"processes\": [", out);
	for (size_t i = 0; i < p->ncontexts; i++) {
		const lp_context *c = &p->contexts[i];

		if (c->kind != LP_CTX_PROCESS)
			continue;
		fputs(n++ ? ",\n    {" : "\n    {", out);
		fprintf(out, "\"pid\": %lld, ", (long long)c->id);
		kstr(out, "name", c->name, ", ");
		if (c->rank >= 0)
			fprintf(out, "\"rank\": %d, ", c->rank);
		else
			fputs("\"rank\": null, ", out);
		if (c->size >= 0)
			fprintf(out, "\"size\": %d, ", c->size);
		else
			fputs("\"size\": null, ", out);
		kstr(out, "host", c->host, ", ");
		kstr(out, "job", c->job, ", ");
		kstr(out, "step", c->step, ", ");
		kstr(out, "launcher", c->launcher, ", ");
		if (c->start_time)
			fprintf(out, "\"start_time\": %lld}", (long long)c->start_time);
		else
			fputs("\"start_time\": null}", out);
	}
	fputs(n ? "\n  ],\n" : "],\n", out);
	n = 0;
	fputs("  \"threads\": [", out);
	for (size_t i = 0; i < p->ncontexts; i++) {
		const lp_context *c = &p->contexts[i];
		uint32_t proc = lp_profile_process_of(p, (uint32_t)i);

		if (c->kind != LP_CTX_THREAD)
			continue;
		fputs(n++ ? ",\n    {" : "\n    {", out);
		fprintf(out, "\"tid\": %lld, \"pid\": %lld, ", (long long)c->id,
			proc != LP_CTX_NONE ? (long long)p->contexts[proc].id : -1LL);
		kstr(out, "name", c->name, "}");
	}
	fputs(n ? "\n  ],\n" : "],\n", out);
	fputs("  ", out);
	ku64(out, "mpi_samples", cv ? cv->mpi_samples : 0, ",\n");
	fputs("  ", out);
	knum(out, "mpi_s", "%.9f", cv ? lp_report_seconds(ctx->rep, cv->mpi_value0) : 0,
	     ",\n");
	fprintf(out, "  \"by\": \"%s\",\n  \"groups\": [", cv ? lp_by_name(cv->level) : "none");
	for (size_t g = 0; cv && g < cv->ngroups; g++) {
		const lp_group *gr = &cv->groups[g];

		fputs(g ? ",\n    {" : "\n    {", out);
		kstr(out, "label", gr->label, ", ");
		fprintf(out, "\"id\": %lld, ", lp_render_group_id(ctx, (uint32_t)g));
		ku64(out, "samples", gr->samples, ", ");
		knum(out, "time_s", "%.9f", lp_report_seconds(ctx->rep, gr->value0), ", ");
		ku64(out, "mpi_samples", gr->mpi_samples, ", ");
		knum(out, "mpi_percent", "%.6f", gr->samples ? 100.0 * (double)gr->mpi_samples /
			(double)gr->samples : 0.0, "}");
	}
	fputs(cv && cv->ngroups ? "\n  ],\n" : "],\n", out);
}

/* ", \"rank_stats\": {...}" (named after the level) when there are statistics. */
static void stats(const lp_render_ctx *ctx, const lp_stat *st, FILE *out)
{
	const lp_report *rep = ctx->rep;
	const lp_ctxview *cv = ctx->cv;

	if (!lp_render_has_stats(ctx))
		return;
	fprintf(out, ", \"%s_stats\": {", lp_by_name(cv->level));
	knum(out, "mean_s", "%.9f", lp_stat_mean_s(rep, cv, st), ", ");
	knum(out, "min_s", "%.9f", lp_stat_min_s(rep, st), ", ");
	knum(out, "max_s", "%.9f", lp_stat_max_s(rep, st), ", ");
	if (st->nz)
		fprintf(out, "\"max_%s\": %lld, ", cv->level == LP_BY_RANK ? "rank" :
			cv->level == LP_BY_THREAD ? "tid" : "pid", lp_render_group_id(ctx, st->max_g));
	else
		fprintf(out, "\"max_%s\": null, ", cv->level == LP_BY_RANK ? "rank" :
			cv->level == LP_BY_THREAD ? "tid" : "pid");
	knum(out, "imbalance", "%.6f", lp_stat_imbalance(rep, cv, st), "}");
}

/* ", \"by_s\": {\"r0\": s, ...}": each group's seconds (--by). */
static void by_values(const lp_render_ctx *ctx, const uint64_t *v, size_t row,
		      FILE *out)
{
	const lp_ctxview *cv = ctx->cv;

	if (!lp_render_has_columns(ctx, 0))
		return;
	fputs(", \"by_s\": {", out);
	for (size_t g = 0; g < cv->ngroups; g++) {
		size_t k = row * cv->ngroups + g;

		fprintf(out, "%s\"%s\": %.9f", g ? ", " : "", cv->groups[g].label,
			lp_report_seconds(ctx->rep, v[k]));
	}
	fputc('}', out);
}

static void values(FILE *out, const char *key, const uint64_t *v, int n, const char *sep)
{
	fprintf(out, "\"%s\": [", key);
	for (int e = 0; e < n; e++)
		fprintf(out, "%s%" PRIu64, e ? ", " : "", v[e]);
	fprintf(out, "]%s", sep);
}

/* One entry of "functions": a function's stat, or an -f table's sums. */
typedef struct lp_jfunc {
	const lp_func_stat *fs;         /* the function's stat, when the entry is one function */
	const char *name, *linkage, *file, *module;
	int line;
	uint64_t self_samples, total_samples, total_value0;
	uint64_t self_value[LP_MAX_EVENTS];
	uint64_t self_sys, self_off, total_sys, total_off; /* kernel mode, off the CPU (ns) */
} lp_jfunc;

/* An entry's self and total Sys, Off-CPU and Wall (null where not recorded). */
static void func_times(const lp_report *rep, const lp_jfunc *f, FILE *out)
{
	lp_times st, tt;

	lp_report_times(rep, f->self_value[0], f->self_sys, f->self_off, &st);
	lp_report_times(rep, f->total_value0, f->total_sys, f->total_off, &tt);
	knum(out, "self_sys_s", "%.9f", st.sys_s, ", ");
	knum(out, "total_sys_s", "%.9f", tt.sys_s, ", ");
	knum(out, "self_off_cpu_s", "%.9f", st.off_s, ", ");
	knum(out, "total_off_cpu_s", "%.9f", tt.off_s, ", ");
	knum(out, "self_wall_s", "%.9f", st.wall_s, ", ");
	knum(out, "total_wall_s", "%.9f", tt.wall_s, ", ");
}

static void function(const lp_render_ctx *ctx, const lp_totals *t, const lp_metric_cols *mc,
		     const lp_jfunc *f, int first, FILE *out)
{
	const lp_report *rep = ctx->rep;
	const lp_profile *p = rep->prof;
	uint64_t ss = f->self_samples, sv = f->self_value[0];
	uint64_t ts = f->total_samples, tv = f->total_value0;

	fputs(first ? "\n    {" : ",\n    {", out);
	kstr(out, "name", f->name, ", ");
	kstr(out, "linkage_name", f->linkage, ", ");
	kstr(out, "file", f->file, ", ");
	if (f->file)
		fprintf(out, "\"line\": %d, ", f->line);
	else
		fputs("\"line\": null, ", out);
	kstr(out, "module", f->module, ", ");
	ku64(out, "self_samples", ss, ", ");
	knum(out, "self_s", "%.9f", lp_report_seconds(rep, sv), ", ");
	knum(out, "self_percent", "%.6f", 100.0 * lp_totals_share(t, sv, ss, t->value0, t->samples),
	     ", ");
	ku64(out, "total_samples", ts, ", ");
	knum(out, "total_s", "%.9f", lp_report_seconds(rep, tv), ", ");
	knum(out, "total_percent", "%.6f", 100.0 * lp_totals_share(t, tv, ts, t->value0, t->samples),
	     ", ");
	func_times(rep, f, out);
	values(out, "self_values", f->self_value, p->nevents, "");
	metric_values(mc, f->self_value, out);
	/* Per group: a function's own (a table of one function is that function's). */
	if (f->fs && lp_render_has_stats(ctx))
		stats(ctx, &ctx->cv->func_stats[f->fs - rep->funcs], out);
	if (f->fs && lp_render_has_columns(ctx, 0))
		by_values(ctx, ctx->cv->func_v, (size_t)(f->fs - rep->funcs), out);
	fputc('}', out);
}

static const char *module_path(const lp_profile *p, uint32_t module)
{
	return module < p->nmodules ? p->modules[module].path : NULL;
}

/* An -f table as a function entry: its lines' sums; the total is its function's when it is one. */
static void table_entry(const lp_report *rep, const lp_ftable *tab, lp_jfunc *f)
{
	const lp_func_stat *fs = tab->nfns == 1 && tab->fns[0]->owner == tab->fns[0]
				 ? lp_report_func(rep, tab->fns[0]->id) : NULL;
	lp_waits w;

	memset(f, 0, sizeof(*f));
	f->fs = fs;
	f->name = tab->title;
	lp_report_table_sums(rep, tab, &f->self_samples, f->self_value, &w);
	f->self_sys = w.sys_value;
	f->self_off = lp_waits_off_ns(&w);
	f->total_samples = f->self_samples;
	f->total_value0 = f->self_value[0];
	f->total_sys = f->self_sys;
	f->total_off = f->self_off;
	if (fs) {
		f->total_samples = fs->total_samples;
		f->total_value0 = fs->total_value0;
		f->total_sys = fs->total_sys_value;
		f->total_off = fs->total_off_ns;
	}
	if (tab->region_file) {
		f->file = tab->region_file;
		f->line = tab->first;
		return;
	}
	if (!tab->nfns)
		return;	/* not looked up: no binary to look in */
	f->linkage = tab->nfns == 1 ? tab->fns[0]->linkage : NULL;
	f->file = tab->fns[0]->decl_file;
	f->line = tab->fns[0]->decl_line;
	f->module = module_path(rep->prof, tab->fns[0]->id.module);
	if (!f->file)
		lp_report_span(rep, tab->fns[0]->id, &f->file, &f->line, &(int){ 0 });
}

static void functions(const lp_render_ctx *ctx, const lp_totals *t, FILE *out)
{
	const lp_report *rep = ctx->rep;
	const lp_view_opts *o = ctx->opts;
	lp_metric_cols mc;
	lp_jfunc f;
	int n = 0;

	lp_metric_cols_of(rep->prof, &mc);
	fputs("  \"functions\": [", out);
	if (o->nfunctions == 0) {
		for (size_t i = 0; i < rep->nfuncs; i++) {
			const lp_func_stat *fs = &rep->funcs[i];

			memset(&f, 0, sizeof(f));
			f.fs = fs;
			f.name = lp_report_label(rep, fs->fn);
			f.linkage = fs->fn->linkage;
			f.file = fs->file;
			f.line = fs->decl_line;
			f.module = module_path(rep->prof, fs->module);
			f.self_samples = fs->self_samples;
			memcpy(f.self_value, fs->self_value, sizeof(f.self_value));
			f.total_samples = fs->total_samples;
			f.total_value0 = fs->total_value0;
			f.self_sys = fs->self_w.sys_value;
			f.self_off = lp_waits_off_ns(&fs->self_w);
			f.total_sys = fs->total_sys_value;
			f.total_off = fs->total_off_ns;
			function(ctx, t, &mc, &f, n++ == 0, out);
		}
	}
	for (size_t i = 0; o->nfunctions > 0 && i < rep->ntables; i++) {
		table_entry(rep, &rep->tables[i], &f);
		if (o->skip_zero && !f.self_samples && !f.total_samples && !f.self_sys && !f.self_off)
			continue;
		function(ctx, t, &mc, &f, n++ == 0, out);
	}
	fputs(n ? "\n  ],\n" : "],\n", out);
}

/* A line's kernel and off-CPU time, Wall, and why it waited (lineprof(1), --json). */
static void line_times(const lp_report *rep, const lp_line_stat *ls, const lp_row *r, FILE *out)
{
	knum(out, "sys_s", "%.9f", r->sys_s, ", ");
	knum(out, "off_cpu_s", "%.9f", r->off_cpu_s, ", ");
	knum(out, "wall_s", "%.9f", r->wall_s, ", ");
	kcount(out, "sys_samples", ls->w.sys_samples, rep->has_sys, ", ");
	kcount(out, "off_cpu_count", ls->w.off_count, rep->has_off, ", ");
	knum(out, "off_blocked_s", "%.9f", r->off_blocked_s, ", ");
	knum(out, "off_runnable_s", "%.9f", r->off_runnable_s, ", ");
	kstr(out, "wait", r->wait, ", ");
	fputs("\"waits\": {", out);
	for (int k = 0, n = 0; k < LP_NWAIT; k++) {
		if (!ls->w.kind_ns[k])
			continue;
		fprintf(out, "%s\"%s\": %.9f", n++ ? ", " : "", lp_wait_name(k),
			(double)ls->w.kind_ns[k] * 1e-9);
	}
	fputs("}, ", out);
	knum(out, "incl_sys_s", "%.9f", r->incl_sys_s, ", ");
	knum(out, "incl_off_cpu_s", "%.9f", r->incl_off_cpu_s, ", ");
	knum(out, "incl_wall_s", "%.9f", r->incl_wall_s, ", ");
}

/*
 * The loops of the code (of the -f functions, if any), hottest first:
 * parent is an index into this array (null: outermost, or not exported).
 */
static int loops(const lp_render_ctx *ctx, const lp_totals *t, FILE *out)
{
	const lp_report *rep = ctx->rep;
	const lp_profile *p = rep->prof;
	lp_loop_rows lr;

	if (lp_loop_rows_of(ctx, &lr) != 0)
		return -1;
	fputs("  \"loops\": [", out);
	for (size_t k = 0; k < lr.n; k++) {
		const lp_cv_sloop *l = &lr.all[lr.idx[k]];
		const lp_cv_loop *h = l->hottest;
		char addr[32];

		fputs(k ? ",\n    {" : "\n    {", out);
		kstr(out, "file", l->file, ", ");
		fprintf(out, "\"first_line\": %d, \"last_line\": %d, \"header_line\": %d, ",
			l->first_line, l->last_line, l->header_line);
		kstr(out, "function", l->function, ", ");
		fprintf(out, "\"depth\": %d, ", l->depth);
		if (lr.parent[k] >= 0)
			fprintf(out, "\"parent\": %ld, ", lr.parent[k]);
		else
			fputs("\"parent\": null, ", out);
		ku64(out, "samples", l->total_samples, ", ");
		knum(out, "time_s", "%.9f", lp_report_seconds(rep, l->total_value0), ", ");
		knum(out, "percent", "%.6f",
		     100.0 * lp_totals_share(t, l->total_value0, l->total_samples, t->value0, t->samples),
		     ", ");
		ku64(out, "self_samples", l->self_samples, ", ");
		knum(out, "self_time_s", "%.9f", lp_report_seconds(rep, l->self_value[0]),
		     ", ");
		knum(out, "self_percent", "%.6f",
		     100.0 * lp_totals_share(t, l->self_value[0], l->self_samples, t->value0, t->samples),
		     ", ");
		values(out, "self_values", l->self_value, p->nevents, ", ");
		ku64(out, "copies", l->copies, ", ");
		kstr(out, "module", h->fn->code->module < p->nmodules
				    ? p->modules[h->fn->code->module].path : NULL, ", ");
		snprintf(addr, sizeof(addr), "0x%" PRIx64, h->header_vaddr);
		kstr(out, "header_address", addr, "}");
	}
	fputs(lr.n ? "\n  ],\n" : "],\n", out);
	lp_loop_rows_free(&lr);
	return 0;
}

static void lines(const lp_render_ctx *ctx, const lp_totals *t, FILE *out)
{
	const lp_report *rep = ctx->rep;
	const lp_profile *p = rep->prof;
	lp_metric_cols mc;
	int n = 0;

	lp_metric_cols_of(p, &mc);
	fputs("  \"lines\": [", out);
	for (size_t i = 0; i < rep->nlines; i++) {
		const lp_line_stat *ls = &rep->lines[i];
		lp_row r;

		if (!lp_row_wanted(ctx, ls))
			continue;
		lp_row_compute(ctx, t, ls, &r);
		fputs(n++ ? ",\n    {" : "\n    {", out);
		kstr(out, "file", ls->file, ", ");
		if (ls->file)
			fprintf(out, "\"line\": %d, ", ls->line);
		else
			fputs("\"line\": null, ", out);
		kstr(out, "function", lp_report_label(rep, ls->fn), ", ");
		kstr(out, "linkage_name", ls->fn->linkage, ", ");
		ku64(out, "samples", ls->samples, ", ");
		knum(out, "time_s", "%.9f", r.time_s, ", ");
		knum(out, "percent", "%.6f", r.percent, ", ");
		knum(out, "percent_of_function", "%.6f", r.percent_of_function, ", ");
		knum(out, "ci_low", "%.6f", r.ci_low, ", ");
		knum(out, "ci_high", "%.6f", r.ci_high, ", ");
		values(out, "values", ls->value, p->nevents, ", ");
		ku64(out, "incl_samples", ls->incl_samples, ", ");
		knum(out, "incl_time_s", "%.9f", r.incl_time_s, ", ");
		knum(out, "incl_percent", "%.6f", r.incl_percent, ", ");
		line_times(rep, ls, &r, out);
		if (ls->has_hits)
			ku64(out, "hits", ls->hits, "");
		else
			fputs("\"hits\": null", out);
		metric_values(&mc, ls->value, out);
		if (lp_render_has_stats(ctx))
			stats(ctx, &ctx->cv->line_stats[i], out);
		if (lp_render_has_columns(ctx, 0))
			by_values(ctx, ctx->cv->line_v, i, out);
		fputc('}', out);
	}
	fputs(n ? "\n  ]\n" : "]\n", out);
}

int lp_render_json(const lp_render_ctx *ctx, FILE *out, lp_error *err)
{
	lp_totals t;

	lp_totals_of(ctx->rep, &t);
	fputs("{\n", out);
	metadata(ctx, out);
	functions(ctx, &t, out);
	if (loops(ctx, &t, out) != 0)
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	lines(ctx, &t, out);
	fputs("}\n", out);
	return LP_OK;
}

void lp_render_json_string(FILE *out, const char *s)
{
	jstr(out, s);
}
