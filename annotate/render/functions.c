/*
 * --functions: the flat profile, cProfile's half of the workflow. One row per
 * function: self samples, self %, total %, self and total user CPU seconds
 * (cProfile's tottime and cumtime), where recorded self and total Sys,
 * Off-CPU and Wall, module, where it is defined, and name. Sorted by self
 * time (wall time where it was recorded: cProfile's clock is the wall), or
 * by total with --sort total.
 *
 * Totals are inclusive: with -g, every sample whose call stack passes
 * through the function (counted once per stack, so recursion does not
 * inflate them); without -g only inlining is known, and the header says so.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"

/* Wall where it was recorded (cProfile's times are wall-clock), else samples. */
static uint64_t self_key(const lp_report *rep, const lp_func_stat *f)
{
	return rep->has_wall ? f->self_value[0] + f->self_w.sys_value + lp_waits_off_ns(&f->self_w)
			     : f->self_samples;
}

static uint64_t total_key(const lp_report *rep, const lp_func_stat *f)
{
	return rep->has_wall ? f->total_value0 + f->total_sys_value + f->total_off_ns
			     : f->total_samples;
}

typedef struct lp_frow {
	const lp_func_stat *f;
	uint64_t self, total;
} lp_frow;

static int cmp_self_key(const void *pa, const void *pb)
{
	const lp_frow *a = pa, *b = pb;

	if (a->self != b->self)
		return a->self > b->self ? -1 : 1;
	if (a->total != b->total)
		return a->total > b->total ? -1 : 1;
	return strcmp(a->f->name, b->f->name);
}

static int cmp_total_key(const void *pa, const void *pb)
{
	const lp_frow *a = pa, *b = pb;

	if (a->total != b->total)
		return a->total > b->total ? -1 : 1;
	if (a->self != b->self)
		return a->self > b->self ? -1 : 1;
	return strcmp(a->f->name, b->f->name);
}

/* The basename of the function's module, "?" when it has none. */
const char *lp_render_module_name(const lp_report *rep, uint32_t module)
{
	const char *path, *slash;

	if (module >= rep->prof->nmodules || !rep->prof->modules[module].path)
		return "?";
	path = rep->prof->modules[module].path;
	slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

static void location(const lp_func_stat *f, char *buf, size_t size)
{
	if (f->file)
		snprintf(buf, size, "%s:%d", lp_render_relpath(f->file), f->decl_line);
	else
		snprintf(buf, size, "?");
}

/* "%11.6f" of seconds, or "-" where not measured. */
static void secs(FILE *out, int width, double v)
{
	if (isfinite(v))
		fprintf(out, " %*.6f", width, v);
	else
		fprintf(out, " %*s", width, "-");
}

int lp_render_functions(const lp_render_ctx *ctx, FILE *out, lp_error *err)
{
	const lp_report *rep = ctx->rep;
	const lp_profile *p = rep->prof;
	double n = (double)p->samples;
	lp_frow *rows = malloc((rep->nfuncs + 1) * sizeof(*rows));
	size_t nrows = 0;
	int wmod = (int)strlen("Module"), wloc = (int)strlen("File:Line"), len;
	char loc[512];

	if (!rows)
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	for (size_t i = 0; i < rep->nfuncs; i++) {
		const lp_func_stat *f = &rep->funcs[i];
		int w;

		if (!f->self_samples && !f->total_samples && !f->self_w.sys_samples &&
		    !f->self_w.off_count && !f->total_sys_value && !f->total_off_ns)
			continue;
		rows[nrows].f = f;
		rows[nrows].self = self_key(rep, f);
		rows[nrows++].total = total_key(rep, f);
		w = (int)strlen(lp_render_module_name(rep, f->module));
		wmod = w > wmod ? w : wmod;
		location(f, loc, sizeof(loc));
		w = (int)strlen(loc);
		wloc = w > wloc ? w : wloc;
	}
	if (rep->has_wall || ctx->opts->sort == LP_SORT_TOTAL)
		qsort(rows, nrows, sizeof(*rows),
		      ctx->opts->sort == LP_SORT_TOTAL ? cmp_total_key : cmp_self_key);
	if (ctx->opts->nfunctions == 0)
		lp_render_header(ctx, out);
	fprintf(out, "Function profile, sorted by %s %s: %zu functions with samples%s\n",
		ctx->opts->sort == LP_SORT_TOTAL ? "total" : "self",
		rep->has_wall ? "wall time" : "time", nrows,
		rep->has_sys || rep->has_off ? " or waits" : "");
	if (rep->inclusive_from_stacks)
		fprintf(out, "total = self + callees, from the recorded call stacks (%s); "
			"recursion counted once per stack\n",
			rep->prof->callchain == 2 ? "--call-graph=dwarf" : "-g");
	else
		fputs("total = self + inlined callees; record with -g for call-graph totals\n", out);
	if (!rep->has_time)
		fprintf(out, "Self s, Total s: not measured (%s is not a clock)\n", p->events[0].measured);
	else
		fputs("Self s, Total s: seconds of user CPU time (cProfile's tottime, cumtime)\n", out);
	if (rep->has_sys)
		fputs("Sys: system time spent on their behalf (system calls, faults)\n", out);
	if (rep->has_off)
		fputs("Off: time their threads waited off the CPU there (sleep, I/O, locks, preemption)\n", out);
	if (rep->has_wall)
		fputs("Wall = s + Sys + Off, thread time: the threads' Walls add up\n", out);
	fputc('\n', out);
	len = fprintf(out, "%9s %7s %7s %11s %11s", "Samples", "Self %", "Total %", "Self s", "Total s");
	if (rep->has_sys)
		len += fprintf(out, " %11s %11s", "Self sys", "Total sys");
	if (rep->has_off)
		len += fprintf(out, " %11s %11s", "Self off", "Total off");
	if (rep->has_wall)
		len += fprintf(out, " %11s %11s", "Self wall", "Total wall");
	len += fprintf(out, "  %-*s  %-*s  %s\n", wmod, "Module", wloc, "File:Line", "Function") - 1;
	for (int i = 0; i < len; i++)
		fputc('=', out);
	fputc('\n', out);
	for (size_t i = 0; i < nrows; i++) {
		const lp_func_stat *f = rows[i].f;
		lp_times st, tt;

		lp_report_times(rep, f->self_value[0], f->self_w.sys_value, lp_waits_off_ns(&f->self_w),
				&st);
		lp_report_times(rep, f->total_value0, f->total_sys_value, f->total_off_ns, &tt);
		location(f, loc, sizeof(loc));
		fprintf(out, "%9" PRIu64 " %7.1f %7.1f", f->self_samples,
			n > 0 ? 100.0 * (double)f->self_samples / n : 0.0,
			n > 0 ? 100.0 * (double)f->total_samples / n : 0.0);
		secs(out, 11, st.time_s);
		secs(out, 11, tt.time_s);
		if (rep->has_sys) {
			secs(out, 11, st.sys_s);
			secs(out, 11, tt.sys_s);
		}
		if (rep->has_off) {
			secs(out, 11, st.off_s);
			secs(out, 11, tt.off_s);
		}
		if (rep->has_wall) {
			secs(out, 11, st.wall_s);
			secs(out, 11, tt.wall_s);
		}
		fprintf(out, "  %-*s  %-*s  %s\n", wmod, lp_render_module_name(rep, f->module), wloc, loc,
			f->name);
	}
	free(rows);
	return LP_OK;
}
