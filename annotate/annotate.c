/*
 * The views' driver: symbolize once into a report, then hand it to each
 * renderer the options ask for. The same path serves a fresh run and a
 * saved profile.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "render.h"

static int symtab_lookup(void *ctx, lp_loc loc, int is_return, const lp_frame **frames)
{
	return lp_symtab_lookup(ctx, loc, is_return, frames);
}

static int symtab_span(void *ctx, const char *name, const char **file, int *first, int *last)
{
	return lp_symtab_function_span(ctx, name, file, first, last);
}

static lp_symbolizer symbolizer_of(lp_symtab *st)
{
	lp_symbolizer s = { symtab_lookup, symtab_span, st };

	return s;
}

int lp_annotate_check_target(const char *exe, const char *const *functions, int nfunctions,
			     lp_error *err)
{
	int rc = lp_dwarf_check_exe(exe, err);

	if (rc == LP_OK && nfunctions > 0)
		rc = lp_dwarf_check_functions(exe, functions, nfunctions, err);
	return rc;
}

/* A changed binary would put samples on the wrong lines: refuse. A missing one only loses names. */
static int check_modules(const lp_profile *prof, lp_symtab *st, FILE *diag, lp_error *err)
{
	char *used = calloc(prof->nmodules + 1, 1);

	if (!used)
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	for (size_t i = 0; i < prof->naddrs; i++)
		if (prof->addrs[i].loc.module < prof->nmodules)
			used[prof->addrs[i].loc.module] = 1;
	for (uint32_t m = 0; m < prof->nmodules; m++) {
		lp_error merr = { 0 };

		if (!used[m] || lp_symtab_check_module(st, m, &merr) == LP_OK)
			continue;
		if (access(prof->modules[m].path, F_OK) != 0) {
			if (diag)
				fprintf(diag, "%s\n", merr.msg);
			continue;
		}
		free(used);
		return lp_error_set(err, merr.code ? merr.code : LP_EFAIL, "%s", merr.msg);
	}
	free(used);
	return LP_OK;
}

static int use_color(const lp_view_opts *o, FILE *out)
{
	const char *no = getenv("NO_COLOR");

	if (o->color == LP_COLOR_ALWAYS)
		return 1;
	if (o->color == LP_COLOR_NEVER || (no && *no))
		return 0;
	return isatty(fileno(out));
}

static int run_views(const lp_render_ctx *ctx, FILE *out, lp_error *err)
{
	const lp_view_opts *o = ctx->opts;
	int rc = LP_OK;

	if (o->show_tables && o->nfunctions > 0)
		rc = lp_render_table(ctx, out, err);
	if (rc == LP_OK && o->show_tables && (o->nfunctions == 0 || o->top > 0))
		rc = lp_render_top(ctx, out, err);
	return rc;
}

int lp_annotate_run(const lp_profile *prof, const lp_view_opts *opts, FILE *out, lp_error *err)
{
	lp_render_ctx ctx = { .opts = opts, .color = use_color(opts, out) };
	lp_symbolizer sym;
	lp_symtab *st;
	lp_report rep;
	int rc;

	if (prof->samples == 0 && opts->diag)
		fprintf(opts->diag, "lineprof: no samples were recorded (the target ran %.3f s of CPU): "
			"use a higher -F, or a longer run\n", (double)prof->task_clock_ns * 1e-9);
	if (prof->lost && opts->diag)
		fprintf(opts->diag, "lineprof: warning: the kernel dropped %llu records (ring buffer "
			"full): shares are still unbiased, lower -F to keep them all\n",
			(unsigned long long)prof->lost);
	st = lp_symtab_new(prof, err);
	if (!st)
		return err->code ? err->code : LP_EFAIL;
	rc = check_modules(prof, st, opts->diag, err);
	sym = symbolizer_of(st);
	if (rc == LP_OK)
		rc = lp_report_build(&rep, prof, &sym, err);
	if (rc != LP_OK) {
		lp_symtab_free(st);
		return rc;
	}
	ctx.rep = &rep;
	ctx.src = lp_sources_new(opts->source_dirs, opts->nsource_dirs, opts->diag);
	if (!ctx.src)
		rc = lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	else
		rc = run_views(&ctx, out, err);
	lp_sources_free(ctx.src);
	lp_report_free(&rep);
	lp_symtab_free(st);
	return rc;
}
