/*
 * The views' driver: symbolize once into a report, then hand it to each
 * renderer the options ask for. The same path serves a fresh run and a
 * saved profile.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include "elf_file.h"
#include "framepointer.h"
#include "input.h"
#include "lineprof/merge.h"
#include "render.h"

static int symtab_lookup(void *ctx, lp_loc loc, int is_return, const lp_frame **frames)
{
	return lp_symtab_lookup(ctx, loc, is_return, frames);
}

static int symtab_span(void *ctx, lp_func_id id, const char **file, int *first, int *last)
{
	return lp_symtab_function_span(ctx, id, file, first, last);
}

static int symtab_resolve(void *ctx, const lp_fnpat *p, const lp_func_desc ***fns,
			  const char **file, lp_closest *closest)
{
	*fns = NULL;
	if (p->region) {
		*file = lp_symtab_resolve_file(ctx, p, closest);
		return *file != NULL;
	}
	return lp_symtab_resolve(ctx, p, fns, closest);
}

static size_t symtab_unread(void *ctx, char *buf, size_t size)
{
	return lp_symtab_unread(ctx, buf, size);
}

static int symtab_after_syscall(void *ctx, lp_loc loc)
{
	return lp_symtab_after_syscall(ctx, loc);
}

/* Code by address (--asm, loops, callgrind's instructions): the symtab's codetab. */
static int symtab_code(void *ctx, lp_loc loc, const lp_fcode **code, const char **arch)
{
	lp_codetab *ct = lp_symtab_codetab(ctx);

	return ct ? lp_codetab_function(ct, loc, code, arch) : LP_CODE_NOMEM;
}

static int symtab_vaddr(void *ctx, lp_loc loc, uint64_t *vaddr)
{
	lp_codetab *ct = lp_symtab_codetab(ctx);

	return ct ? lp_codetab_vaddr(ct, loc, vaddr) : -1;
}

static lp_symbolizer symbolizer_of(lp_symtab *st)
{
	lp_symbolizer s = { .lookup = symtab_lookup, .span = symtab_span, .resolve = symtab_resolve,
			    .unread = symtab_unread, .ctx = st, .code = symtab_code, .vaddr = symtab_vaddr,
			    .after_syscall = symtab_after_syscall };

	return s;
}

int lp_annotate_is_launcher(const char *exe)
{
	return lp_dwarf_is_launcher(exe);
}

/* A live run: names the profile's modules lack (a function that never ran) are in the command's files. */
static void add_target_files(lp_symtab *st, const char *exe)
{
	char **libs = NULL;
	size_t nlibs = 0;

	if (!exe || lp_symtab_add_file(st, exe) != 0)
		return;
	if (lp_needed_resolve(exe, &libs, &nlibs) != 0)
		return;
	for (size_t i = 0; i < nlibs; i++)
		lp_symtab_add_file(st, libs[i]);
	lp_needed_free(libs, nlibs);
}

/* Is there a module other than m with this path and build-id? (The file format allows one.) */
static int module_taken(const lp_profile *prof, size_t m, const unsigned char *id, size_t len)
{
	for (size_t i = 0; i < prof->nmodules; i++)
		if (i != m && prof->modules[i].build_id_len == len &&
		    memcmp(prof->modules[i].build_id, id, len) == 0 &&
		    strcmp(prof->modules[i].path, prof->modules[m].path) == 0)
			return 1;
	return 0;
}

void lp_annotate_fill_build_ids(lp_profile *prof)
{
	for (size_t i = 0; i < prof->nmodules; i++) {
		lp_module *m = &prof->modules[i];
		unsigned char id[LP_BUILD_ID_MAX];
		size_t len = 0, plen = m->path ? strlen(m->path) : 0;

		/* A file deleted (or replaced) since it was mapped: what is there now is another. */
		if (m->build_id_len || plen == 0 || m->path[0] != '/' ||
		    (plen > 10 && strcmp(m->path + plen - 10, " (deleted)") == 0))
			continue;
		if (lp_elf_build_id(m->path, id, sizeof(id), &len) == 0 && len > 0 &&
		    !module_taken(prof, i, id, len)) {
			memcpy(m->build_id, id, len);
			m->build_id_len = (uint8_t)len;
		}
	}
}

int lp_annotate_check_target(const char *exe, const char *const *functions, int nfunctions,
			     lp_error *err)
{
	int rc = lp_dwarf_check_exe(exe, err);

	if (rc == LP_OK && nfunctions > 0)
		rc = lp_dwarf_check_functions(exe, functions, nfunctions, err);
	return rc;
}

void lp_annotate_identify_modules(lp_profile *prof)
{
	for (size_t i = 0; i < prof->nmodules; i++) {
		lp_module *m = &prof->modules[i];

		if (m->build_id_len == 0 && m->path && m->path[0] == '/')
			(void)lp_elf_identity(m->path, &m->file_size, &m->mtime_ns, &m->code_hash);
	}
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
		/* Missing, or not a file lineprof reads (a FIFO, /proc): its samples stay unnamed. */
		if (lp_input_check(prof->modules[m].path, NULL, NULL) != 0 && errno != EACCES) {
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

/*
 * Module names that are one file (same device and inode: "./", "//",
 * symbolic links) become one module: symbols, code and loops are all kept
 * per module, so a profile naming one file through thousands of spellings
 * would otherwise cost thousands of copies of it. The profile merged into
 * itself that way, or NULL when it names no file twice (or cannot be
 * merged: it is then used as it is).
 */
static lp_profile *unalias(const lp_profile *prof, FILE *diag)
{
	size_t n = prof->nmodules, aliases = 0;
	struct stat *ids = calloc(n + 1, sizeof(*ids));
	size_t *canon = calloc(n + 1, sizeof(*canon));
	lp_module *mods = calloc(n + 1, sizeof(*mods));
	lp_profile view, *dst = NULL;
	lp_error err = { 0 };

	for (size_t i = 0; ids && canon && mods && i < n; i++) {
		canon[i] = i;
		if (lp_input_check(prof->modules[i].path, &ids[i], NULL) != 0) {
			ids[i].st_ino = 0;
			continue;
		}
		for (size_t j = 0; j < i; j++)
			if (ids[j].st_ino && ids[j].st_dev == ids[i].st_dev && ids[j].st_ino == ids[i].st_ino) {
				canon[i] = canon[j];
				aliases++;
				break;
			}
	}
	if (aliases) {
		/* Every alias made a copy of its file's first name: merging then joins them. */
		for (size_t i = 0; i < n; i++)
			mods[i] = prof->modules[canon[i]];
		view = *prof;
		view.modules = mods;
		dst = lp_profile_new();
		if (dst && lp_profile_merge(dst, &view, "the profile", NULL, &err) != LP_OK) {
			lp_profile_free(dst);
			dst = NULL;
		}
		if (dst && diag)
			fprintf(diag, "lineprof: note: %zu module name%s of this profile name%s files "
				"it names already (same device and inode): each file is read once\n",
				aliases, aliases == 1 ? "" : "s", aliases == 1 ? "s" : "");
	}
	free(ids);
	free(canon);
	free(mods);
	return dst;
}

int lp_annotate_report(const lp_profile *given, FILE *diag, lp_symtab **stp, lp_report *rep,
		       lp_error *err)
{
	/* Aliases merged first, for every report (annotate's views and diff's runs alike): rep->prof. */
	lp_profile *one = unalias(given, diag);
	const lp_profile *prof = one ? one : given;
	lp_symtab *st = lp_symtab_new(prof, err);
	lp_symbolizer sym;
	int rc;

	if (!st) {
		lp_profile_free(one);
		return err->code ? err->code : LP_EFAIL;
	}
	lp_symtab_own(st, one);
	rc = check_modules(prof, st, diag, err);
	sym = symbolizer_of(st);
	if (rc == LP_OK)
		rc = lp_report_build(rep, prof, &sym, err);
	if (rc != LP_OK) {
		lp_symtab_free(st);
		return rc;
	}
	*stp = st;
	return LP_OK;
}

/*
 * One view failing (a -f function not found, an export that cannot be
 * written) does not stop the others; the first failure is the error
 * returned, later ones are said on diag as they happen.
 */
static void view_done(const lp_view_opts *o, lp_error *e, lp_error *first)
{
	if (e->code == LP_OK)
		return;
	if (first->code == LP_OK)
		*first = *e;
	else if (o->diag)
		fprintf(o->diag, "%s\n", e->msg);
	lp_error_clear(e);
}

static int is_stdout(const char *path)
{
	return path && strcmp(path, "-") == 0;
}

static int run_views(const lp_render_ctx *ctx, FILE *out, lp_error *err)
{
	const lp_view_opts *o = ctx->opts;
	lp_render_ctx file_ctx = *ctx;
	/* An export on stdout keeps stdout machine-readable: no tables around it. */
	int tables = o->show_tables && !is_stdout(o->csv) && !is_stdout(o->json) &&
		     !is_stdout(o->dot) && !is_stdout(o->callgrind) && !is_stdout(o->folded) &&
		     !is_stdout(o->png) && !is_stdout(o->svg) && !is_stdout(o->html) &&
		     !is_stdout(o->flamegraph) && !is_stdout(o->pprof);
	lp_error e = { 0 };
	int rc;

	/* A missing Graphviz is said before any view is printed. */
	if (o->png && (rc = lp_render_dot_check("png", err)) != LP_OK)
		return rc;
	if (o->svg && (rc = lp_render_dot_check("svg", err)) != LP_OK)
		return rc;
	if (o->folded && (rc = lp_render_folded_check(ctx, err)) != LP_OK)
		return rc;
	file_ctx.color = 0; /* exports never get colour, even on a terminal */
	if (tables && o->nfunctions > 0)
		lp_render_table(ctx, out, &e), view_done(o, &e, err);
	if (tables && o->functions_view)
		lp_render_functions(ctx, out, &e), view_done(o, &e, err);
	if (tables && ((o->nfunctions == 0 && !o->listing && !o->functions_view && !o->loops_view) ||
		       o->top > 0))
		lp_render_top(ctx, out, &e), view_done(o, &e, err);
	if (tables && o->loops_view)
		lp_render_loops(ctx, out, &e), view_done(o, &e, err);
	if (tables && o->listing)
		lp_render_listing(ctx, out, &e), view_done(o, &e, err);
	if (o->csv)
		lp_render_to_path(&file_ctx, lp_render_csv, o->csv, &e), view_done(o, &e, err);
	if (o->json)
		lp_render_to_path(&file_ctx, lp_render_json, o->json, &e), view_done(o, &e, err);
	if (o->dot)
		lp_render_to_path(&file_ctx, lp_render_dot, o->dot, &e), view_done(o, &e, err);
	if (o->png)
		lp_render_dot_image(&file_ctx, "png", o->png, &e), view_done(o, &e, err);
	if (o->svg)
		lp_render_dot_image(&file_ctx, "svg", o->svg, &e), view_done(o, &e, err);
	if (o->callgrind)
		lp_render_to_path(&file_ctx, lp_render_callgrind, o->callgrind, &e), view_done(o, &e, err);
	if (o->folded)
		lp_render_to_path(&file_ctx, lp_render_folded, o->folded, &e), view_done(o, &e, err);
	if (o->flamegraph)
		lp_render_to_path(&file_ctx, lp_render_flamegraph, o->flamegraph, &e), view_done(o, &e, err);
	if (o->pprof)
		lp_render_to_path(&file_ctx, lp_render_pprof, o->pprof, &e), view_done(o, &e, err);
	if (o->html)
		lp_render_to_path(&file_ctx, lp_render_html, o->html, &e), view_done(o, &e, err);
	return err->code;
}

int lp_annotate_run(const lp_profile *prof, const lp_view_opts *opts, FILE *out, lp_error *err)
{
	lp_render_ctx ctx = { .opts = opts, .color = lp_render_use_color(opts, out) };
	lp_symtab *st;
	lp_report rep;
	lp_ctxview cv;
	int rc;

	if (prof->samples == 0 && opts->diag)
		fprintf(opts->diag, "lineprof: no samples were recorded (the target ran %.3f s of CPU): "
			"use a higher -F, or a longer run\n", (double)prof->task_clock_ns * 1e-9);
	if (prof->lost && opts->diag)
		fprintf(opts->diag, "lineprof: warning: the kernel dropped %llu records (ring buffer "
			"full): shares are still unbiased, lower -F to keep them all\n",
			(unsigned long long)prof->lost);
	rc = lp_annotate_report(prof, opts->diag, &st, &rep, err);
	if (rc != LP_OK)
		return rc;
	ctx.rep = &rep;
	rc = lp_ctxview_build(&cv, &rep, opts->by, opts->by != LP_BY_NONE, err);
	if (rc == LP_OK && opts->by != LP_BY_NONE && cv.ngroups == 0)
		rc = lp_error_set(err, LP_EFAIL, "lineprof: --by %s: %s", lp_by_name(opts->by),
				  !prof->nctx_addrs ? "this profile has no per-thread counts (recorded "
				  "by a lineprof before format 2): record it again" :
				  opts->by == LP_BY_RANK ? "these profiles know no ranks (not recorded "
				  "under mpirun or srun): use --by process or --by thread" :
				  "no samples at that level");
	if (rc != LP_OK) {
		lp_ctxview_free(&cv);
		lp_report_free(&rep);
		lp_symtab_free(st);
		return rc;
	}
	/* Every -f name is resolved before anything is printed: a miss is an error, as before a run. */
	if (opts->nfunctions > 0) {
		add_target_files(st, opts->target);
		rc = lp_report_select(&rep, opts->functions, opts->nfunctions, opts->merge_instances,
				      err);
		if (rc != LP_OK) {
			lp_ctxview_free(&cv);
			lp_report_free(&rep);
			lp_symtab_free(st);
			return rc;
		}
	}
	ctx.cv = &cv;
	if (prof->callchain)
		lp_framepointer_check(rep.prof, opts->diag); /* its modules, aliases merged */
	ctx.src = lp_sources_new(opts->source_dirs, opts->nsource_dirs, opts->diag);
	if (!ctx.src)
		rc = lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	else
		rc = run_views(&ctx, out, err);
	lp_sources_free(ctx.src);
	lp_ctxview_free(&cv);
	lp_report_free(&rep);
	lp_symtab_free(st);
	return rc;
}
