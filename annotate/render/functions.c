/*
 * --functions: the flat profile, cProfile's half of the workflow. One row per
 * function: self samples, self %, total %, self and total CPU seconds
 * (cProfile's tottime and cumtime), module, where it is defined, and name.
 * Sorted by self time, or by total with --sort total.
 *
 * Totals are inclusive: with -g, every sample whose call stack passes
 * through the function (counted once per stack, so recursion does not
 * inflate them); without -g only inlining is known, and the header says so.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"

static int cmp_total(const void *pa, const void *pb)
{
	const lp_func_stat *a = *(const lp_func_stat *const *)pa;
	const lp_func_stat *b = *(const lp_func_stat *const *)pb;

	if (a->total_samples != b->total_samples)
		return a->total_samples > b->total_samples ? -1 : 1;
	if (a->self_samples != b->self_samples)
		return a->self_samples > b->self_samples ? -1 : 1;
	return strcmp(a->name, b->name);
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
	const lp_func_stat **rows = malloc((rep->nfuncs + 1) * sizeof(*rows));
	size_t nrows = 0;
	int wmod = (int)strlen("Module"), wloc = (int)strlen("File:Line"), len;
	uint64_t mpi_self = 0, mpi_value0 = 0;
	int mpi_done = 0;
	char loc[512];

	if (!rows)
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	for (size_t i = 0; i < rep->nfuncs; i++) {
		const lp_func_stat *f = &rep->funcs[i];
		int w;

		if (!f->self_samples && !f->total_samples)
			continue;
		/* MPI's code is one row: the job's communication, not dozens of internals. */
		if (lp_module_is_mpi(p, f->module)) {
			mpi_self += f->self_samples;
			mpi_value0 += f->self_value[0];
			continue;
		}
		rows[nrows++] = f;
		w = (int)strlen(lp_render_module_name(rep, f->module));
		wmod = w > wmod ? w : wmod;
		location(f, loc, sizeof(loc));
		w = (int)strlen(loc);
		wloc = w > wloc ? w : wloc;
	}
	if (ctx->opts->sort == LP_SORT_TOTAL)
		qsort(rows, nrows, sizeof(*rows), cmp_total);
	if (ctx->opts->nfunctions == 0)
		lp_render_header(ctx, out);
	fprintf(out, "Function profile, sorted by %s time: %zu functions with samples%s\n",
		ctx->opts->sort == LP_SORT_TOTAL ? "total" : "self", nrows + (mpi_self != 0),
		mpi_self ? " (MPI's as one)" : "");
	if (rep->inclusive_from_stacks)
		fprintf(out, "total = self + callees, from the recorded call stacks (%s); "
			"recursion counted once per stack\n",
			rep->prof->callchain == 2 ? "--call-graph=dwarf" : "-g");
	else
		fputs("total = self + inlined callees; record with -g for call-graph totals\n", out);
	fputs("Self s, Total s: seconds of CPU time (cProfile's tottime, cumtime)\n", out);
	if (mpi_self)
		fputs("MPI: the code of every MPI library (libmpi, libopen-pal, mca_*, UCX, PMIx...) in "
		      "one row; its callers' Total includes it\n", out);
	if (lp_render_has_stats(ctx))
		fprintf(out, "Mean s, Max s: self seconds per %s, and the %s with the max\n",
			lp_by_name(ctx->cv->level), lp_by_name(ctx->cv->level));
	fputc('\n', out);
	len = fprintf(out, "%9s %7s %7s %11s %11s", "Samples", "Self %", "Total %", "Self s", "Total s");
	if (lp_render_has_stats(ctx))
		len += fprintf(out, " %11s %11s %8s %8s", "Mean s", "Max s", lp_render_max_head(ctx),
			       "Max/Mean");
	len += fprintf(out, "  %-*s  %-*s  %s\n", wmod, "Module", wloc, "File:Line", "Function") - 1;
	for (int i = 0; i < len; i++)
		fputc('=', out);
	fputc('\n', out);
	for (size_t i = 0; i <= nrows; i++) {
		const lp_func_stat *f = i < nrows ? rows[i] : NULL;

		/* The MPI row where its self time puts it (in --sort self order). */
		if (mpi_self && !mpi_done && (!f || (ctx->opts->sort == LP_SORT_SELF &&
						     f->self_samples < mpi_self))) {
			lp_stat st;

			mpi_done = 1;
			fprintf(out, "%9" PRIu64 " %7.1f %7s %11.6f %11s", mpi_self,
				n > 0 ? 100.0 * (double)mpi_self / n : 0.0, "-",
				lp_report_seconds(rep, mpi_value0, mpi_self), "-");
			if (lp_render_has_stats(ctx))
				mpi_stat(ctx->cv, &st);
			stat_cells(ctx, &st, out);
			fprintf(out, "  %-*s  %-*s  %s\n", wmod, "MPI", wloc, "-", "MPI");
		}
		if (!f)
			break;
		location(f, loc, sizeof(loc));
		fprintf(out, "%9" PRIu64 " %7.1f %7.1f %11.6f %11.6f",
			f->self_samples, n > 0 ? 100.0 * (double)f->self_samples / n : 0.0,
			n > 0 ? 100.0 * (double)f->total_samples / n : 0.0,
			lp_report_seconds(rep, f->self_value[0], f->self_samples),
			lp_report_seconds(rep, f->total_value0, f->total_samples));
		stat_cells(ctx, lp_render_has_stats(ctx) ? &ctx->cv->func_stats[f - rep->funcs] : NULL,
			   out);
		fprintf(out, "  %-*s  %-*s  %s\n", wmod, lp_render_module_name(rep, f->module), wloc,
			loc, f->name);
	}
	free(rows);
	return LP_OK;
}
