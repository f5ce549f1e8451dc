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

/* Equal costs: by name, then by code (two functions may share a name). */
static int tie(const lp_func_stat *a, const lp_func_stat *b)
{
	int c = strcmp(a->name, b->name);

	return c ? c : a->fn < b->fn ? -1 : a->fn > b->fn;
}

static int cmp_self_key(const void *pa, const void *pb)
{
	const lp_frow *a = pa, *b = pb;

	if (a->self != b->self)
		return a->self > b->self ? -1 : 1;
	if (a->total != b->total)
		return a->total > b->total ? -1 : 1;
	return tie(a->f, b->f);
}

static int cmp_total_key(const void *pa, const void *pb)
{
	const lp_frow *a = pa, *b = pb;

	if (a->total != b->total)
		return a->total > b->total ? -1 : 1;
	if (a->self != b->self)
		return a->self > b->self ? -1 : 1;
	return tie(a->f, b->f);
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

/* The MPI row's statistics: each group's time in MPI libraries. */
static void mpi_stat(const lp_ctxview *cv, lp_stat *st)
{
	memset(st, 0, sizeof(*st));
	for (size_t g = 0; g < cv->ngroups; g++) {
		const lp_group *gr = &cv->groups[g];

		st->sum_s += gr->mpi_samples;
		st->sum_v += gr->mpi_value0;
		if (g == 0 || gr->mpi_value0 > st->max_v)
			st->max_v = gr->mpi_value0, st->max_s = gr->mpi_samples, st->max_g = (uint32_t)g;
		if (g == 0 || gr->mpi_value0 < st->min_v)
			st->min_v = gr->mpi_value0, st->min_s = gr->mpi_samples;
		st->nz += gr->mpi_samples || gr->mpi_value0;
	}
}

static void stat_cells(const lp_render_ctx *ctx, const lp_stat *st, FILE *out)
{
	const lp_report *rep = ctx->rep;

	if (!lp_render_has_stats(ctx))
		return;
	if (!st || !st->nz) {
		fprintf(out, " %11s %11s %8s %8s", "", "", "", "");
		return;
	}
	fprintf(out, " %11.6f %11.6f %8lld %8.2f", lp_stat_mean_s(rep, ctx->cv, st),
		lp_stat_max_s(rep, st), lp_render_group_id(ctx, st->max_g),
		lp_stat_imbalance(rep, ctx->cv, st));
}

int lp_render_functions(const lp_render_ctx *ctx, FILE *out, lp_error *err)
{
	const lp_report *rep = ctx->rep;
	const lp_profile *p = rep->prof;
	double n = (double)p->samples;
	lp_frow *rows = malloc((rep->nfuncs + 1) * sizeof(*rows));
	size_t nrows = 0;
	int wmod = (int)strlen("Module"), wloc = (int)strlen("File:Line"), len;
	uint64_t mpi_self = 0, mpi_value0 = 0, mpi_sys = 0, mpi_off = 0, mpi_key;
	int mpi_done = 0;
	char loc[512];

	if (!rows)
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	for (size_t i = 0; i < rep->nfuncs; i++) {
		const lp_func_stat *f = &rep->funcs[i];
		int w;

		if (!f->self_samples && !f->total_samples && !f->self_w.sys_samples &&
		    !f->self_w.off_count && !f->total_sys_value && !f->total_off_ns)
			continue;
		/* MPI's code is one row: the job's communication, not dozens of internals. */
		if (lp_module_is_mpi(p, f->module)) {
			mpi_self += f->self_samples;
			mpi_value0 += f->self_value[0];
			mpi_sys += f->self_w.sys_value;
			mpi_off += lp_waits_off_ns(&f->self_w);
			continue;
		}
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
	/* The MPI row's place among the others: its self key. */
	mpi_key = rep->has_wall ? mpi_value0 + mpi_sys + mpi_off : mpi_self;
	if (ctx->opts->nfunctions == 0)
		lp_render_header(ctx, out);
	fprintf(out, "Function profile, sorted by %s %s: %zu functions with samples%s%s\n",
		ctx->opts->sort == LP_SORT_TOTAL ? "total" : "self",
		rep->has_wall ? "wall time" : "time", nrows + (mpi_key != 0),
		rep->has_sys || rep->has_off ? " or waits" : "", mpi_key ? " (MPI's as one)" : "");
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
		fputs("Self wall, Total wall: s + sys + off, thread time: the threads' Walls add up\n", out);
	if (mpi_key)
		fputs("MPI: the code of every MPI library (libmpi, libopen-pal, mca_*, UCX, PMIx...) in "
		      "one row; its callers' Total includes it\n", out);
	if (lp_render_has_stats(ctx))
		fprintf(out, "Mean s, Max s: self seconds per %s, and the %s with the max\n",
			lp_by_name(ctx->cv->level), lp_by_name(ctx->cv->level));
	fputc('\n', out);
	len = fprintf(out, "%9s %7s %7s %11s %11s", "Samples", "Self %", "Total %", "Self s", "Total s");
	if (rep->has_sys)
		len += fprintf(out, " %11s %11s", "Self sys", "Total sys");
	if (rep->has_off)
		len += fprintf(out, " %11s %11s", "Self off", "Total off");
	if (rep->has_wall)
		len += fprintf(out, " %11s %11s", "Self wall", "Total wall");
	if (lp_render_has_stats(ctx))
		len += fprintf(out, " %11s %11s %8s %8s", "Mean s", "Max s", lp_render_max_head(ctx),
			       "Max/Mean");
	len += fprintf(out, "  %-*s  %-*s  %s\n", wmod, "Module", wloc, "File:Line", "Function") - 1;
	for (int i = 0; i < len; i++)
		fputc('=', out);
	fputc('\n', out);
	for (size_t i = 0; i <= nrows; i++) {
		const lp_func_stat *f = i < nrows ? rows[i].f : NULL;
		lp_times st, tt;

		/* The MPI row where its self time puts it (in --sort self order). */
		if (mpi_key && !mpi_done && (!f || (ctx->opts->sort == LP_SORT_SELF &&
						    rows[i].self < mpi_key))) {
			lp_stat ms = { 0 };

			mpi_done = 1;
			lp_report_times(rep, mpi_value0, mpi_sys, mpi_off, &st);
			fprintf(out, "%9" PRIu64 " %7.1f %7s", mpi_self,
				n > 0 ? 100.0 * (double)mpi_self / n : 0.0, "-");
			secs(out, 11, st.time_s);
			fprintf(out, " %11s", "-");
			if (rep->has_sys) {
				secs(out, 11, st.sys_s);
				fprintf(out, " %11s", "-");
			}
			if (rep->has_off) {
				secs(out, 11, st.off_s);
				fprintf(out, " %11s", "-");
			}
			if (rep->has_wall) {
				secs(out, 11, st.wall_s);
				fprintf(out, " %11s", "-");
			}
			if (lp_render_has_stats(ctx))
				mpi_stat(ctx->cv, &ms);
			stat_cells(ctx, &ms, out);
			fprintf(out, "  %-*s  %-*s  %s\n", wmod, "MPI", wloc, "-", "MPI");
		}
		if (!f)
			break;
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
		stat_cells(ctx, lp_render_has_stats(ctx) ? &ctx->cv->func_stats[f - rep->funcs] : NULL,
			   out);
		fprintf(out, "  %-*s  %-*s  %s\n", wmod, lp_render_module_name(rep, f->module), wloc,
			loc, lp_report_label(rep, f->fn));
	}
	free(rows);
	return LP_OK;
}
