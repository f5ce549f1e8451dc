/*
 * --asm: machine code beside the source, as perf annotate and pprof -disasm
 * show it, with line_profiler's columns.
 *
 * For a -f function: each piece of code holding its samples (its own body,
 * and each function it is inlined into, where only its instructions are
 * shown, "..." marking what is left out), in address order. A source row
 * (file:line and its text, with the inline chain when the line is inlined)
 * comes before the instructions of each line; each instruction has its
 * Samples, Time and % Time (of the instructions shown), the event columns,
 * and the innermost loop holding it ("1.2": the second loop inside loop
 * 1). Marks before the address: '*' an instruction above --threshold % of
 * the program (hot), '>' the target of a jump of the function. A loop's
 * header and its back edges are said after the instruction.
 *
 * For the --top lines: the sampled instructions of each line.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "codeview.h"
#include "rows.h"

#define LP_ACELL 40
#define LP_ACOLS (4 + LP_MAX_EVENTS + LP_NMETRICS)

typedef struct lp_asm {
	const lp_render_ctx *ctx;
	lp_totals t;                 /* the program's */
	uint64_t den_samples, den_value0; /* the section's: % Time */
	const char *head[LP_ACOLS];
	int width[LP_ACOLS];
	int ncols, col_loop, col_ev0;
	lp_metric_cols mc;
	int addr_width;
	const char *pct_head;
} lp_asm;

static void asm_setup(lp_asm *a, const lp_render_ctx *ctx, const char *pct_head)
{
	const lp_profile *p = ctx->rep->prof;
	static const char *const fixed[] = { "Samples", "Time" };
	static const int fixed_w[] = { 9, 12 };

	memset(a, 0, sizeof(*a));
	a->ctx = ctx;
	lp_totals_of(ctx->rep, &a->t);
	for (int i = 0; i < 2; i++) {
		a->head[a->ncols] = fixed[i];
		a->width[a->ncols++] = fixed_w[i];
	}
	a->pct_head = pct_head;
	a->head[a->ncols] = pct_head;
	a->width[a->ncols++] = 8;
	a->col_ev0 = a->ncols;
	for (int e = 1; e < p->nevents; e++) {
		a->head[a->ncols] = p->events[e].measured;
		a->width[a->ncols++] = 10;
	}
	lp_metric_cols_of(p, &a->mc);
	for (int i = 0; i < a->mc.n; i++) {
		a->head[a->ncols] = a->mc.m[i]->column;
		a->width[a->ncols++] = 6;
	}
	a->col_loop = a->ncols;
	a->head[a->ncols] = "Loop";
	a->width[a->ncols++] = 4;
	for (int c = 0; c < a->ncols; c++)
		if ((int)strlen(a->head[c]) > a->width[c])
			a->width[c] = (int)strlen(a->head[c]);
	a->addr_width = 7;
}

static void asm_cells(const lp_asm *a, const lp_cv_insn *x, const lp_cv_func *f,
		      char cells[LP_ACOLS][LP_ACELL])
{
	const lp_render_ctx *ctx = a->ctx;
	const lp_profile *p = ctx->rep->prof;

	memset(cells, 0, LP_ACOLS * LP_ACELL);
	if (x->loop >= 0)
		snprintf(cells[a->col_loop], LP_ACELL, "%s", f->loops[x->loop].id);
	if (!x->samples)
		return;
	snprintf(cells[0], LP_ACELL, "%" PRIu64, x->samples);
	snprintf(cells[1], LP_ACELL, "%.1f",
		 lp_report_seconds(ctx->rep, x->value[0]) / ctx->opts->unit);
	snprintf(cells[2], LP_ACELL, "%.1f",
		 100.0 * lp_totals_share(&a->t, x->value[0], x->samples, a->den_value0, a->den_samples));
	for (int e = 1; e < p->nevents; e++)
		snprintf(cells[a->col_ev0 + e - 1], LP_ACELL, "%" PRIu64, x->value[e]);
	for (int i = 0; i < a->mc.n; i++)
		lp_metric_cols_cell(&a->mc, i, x->value, cells[a->col_ev0 + p->nevents - 1 + i], LP_ACELL);
}

static void asm_widen(lp_asm *a, const lp_cv_insn *x, const lp_cv_func *f)
{
	char cells[LP_ACOLS][LP_ACELL], addr[32];
	int n;

	asm_cells(a, x, f, cells);
	for (int c = 0; c < a->ncols; c++)
		if ((int)strlen(cells[c]) > a->width[c])
			a->width[c] = (int)strlen(cells[c]);
	n = snprintf(addr, sizeof(addr), "%" PRIx64 ":", x->insn->vaddr);
	if (n > a->addr_width)
		a->addr_width = n;
}

static int asm_header(const lp_asm *a, FILE *out)
{
	int len = 0;

	for (int c = 0; c < a->ncols; c++)
		len += fprintf(out, "%s%*s", c ? " " : "", a->width[c], a->head[c]);
	len += fprintf(out, "    %*s  Code\n", a->addr_width, "Address") - 1;
	for (int i = 0; i < len; i++)
		fputc('=', out);
	fputc('\n', out);
	return len;
}

static int hot(const lp_asm *a, const lp_cv_insn *x)
{
	return x->samples &&
	       100.0 * lp_totals_share(&a->t, x->value[0], x->samples, a->t.value0, a->t.samples) >
		       a->ctx->opts->threshold;
}

/* The loop whose header block starts at instruction i, -1. */
static int header_of(const lp_cv_func *f, size_t i)
{
	const lp_cfg *g = &f->code->cfg;

	for (size_t l = 0; l < f->nloops; l++)
		if (g->blocks[g->loops[l].header].first == i)
			return (int)l;
	return -1;
}

static void asm_insn(const lp_asm *a, const lp_cv_func *f, size_t i, FILE *out)
{
	const lp_cv_insn *x = &f->insns[i];
	char cells[LP_ACOLS][LP_ACELL], addr[32];
	const char *on = "";
	int h = header_of(f, i);

	asm_cells(a, x, f, cells);
	if (x->samples)
		on = lp_render_heat(lp_totals_share(&a->t, x->value[0], x->samples, a->t.value0,
						    a->t.samples), a->ctx->color);
	fputs(on, out);
	for (int c = 0; c < a->ncols; c++)
		fprintf(out, "%s%*s", c ? " " : "", a->width[c], cells[c]);
	snprintf(addr, sizeof(addr), "%" PRIx64 ":", x->insn->vaddr);
	fprintf(out, "  %c%c%*s  %s", hot(a, x) ? '*' : ' ', x->jump_target ? '>' : ' ', a->addr_width,
		addr, x->insn->text);
	if (h >= 0)
		fprintf(out, "  # loop %s: lines %d-%d", f->loops[h].id, f->loops[h].first_line,
			f->loops[h].last_line);
	if (x->back_edge)
		fprintf(out, "%s loop %s back edge", h >= 0 ? ";" : "  #", f->loops[x->back_loop].id);
	fprintf(out, "%s\n", *on ? lp_render_reset(a->ctx->color) : "");
}

/* x starts a new source line (its line or its inline chain differs from prev's). */
static int new_line(const lp_cv_insn *x, const lp_cv_insn *prev)
{
	if (!prev || x->nframes != prev->nframes)
		return 1;
	for (int k = 0; k < x->nframes; k++)
		if (x->frames[k].function != prev->frames[k].function ||
		    x->frames[k].file != prev->frames[k].file || x->frames[k].line != prev->frames[k].line)
			return 1;
	return 0;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static void asm_source(const lp_asm *a, const lp_cv_insn *x, FILE *out)
{
	int pad = 0;
	const lp_frame *fr = x->nframes ? &x->frames[0] : NULL;

	for (int c = 0; c < a->ncols; c++)
		pad += a->width[c] + (c ? 1 : 0);
	pad += 4 + a->addr_width + 2;
	if (!fr || !fr->file) {
		fprintf(out, "%*s(no line info: %s)\n", pad, "", fr ? fr->function : "?");
		return;
	}
	fprintf(out, "%*s%s:%d  %s", pad, "", base_name(fr->file), fr->line,
		lp_sources_line(a->ctx->src, fr->file, fr->line) ? lp_sources_line(a->ctx->src, fr->file,
										   fr->line) : "");
	/* The inline chain, up to the function the code belongs to. */
	for (int k = 0; k + 1 < x->nframes; k++) {
		const lp_frame *caller = &x->frames[k + 1];

		fprintf(out, "%s%s inlined at %s:%d in %s", k ? ", " : "  [in ", x->frames[k].function,
			caller->file ? base_name(caller->file) : "?", caller->line, caller->function);
		if (k + 2 == x->nframes)
			fputc(']', out);
	}
	fputc('\n', out);
}

/* The loops of f that hold a shown instruction, as "1 (lines 15-19), 1.1 (lines 16-18)". */
static void asm_loops_line(const lp_cv_func *f, const char *show, FILE *out)
{
	int any = 0;

	for (size_t l = 0; l < f->nloops; l++) {
		int shown = 0;

		for (size_t i = 0; i < f->code->ninsns && !shown; i++) {
			for (int k = f->insns[i].loop; k >= 0 && !shown; k = f->loops[k].parent)
				shown = show[i] && k == (int)l;
		}
		if (!shown)
			continue;
		fprintf(out, "%s%s (lines %d-%d)", any ? ", " : "Loops: ", f->loops[l].id,
			f->loops[l].first_line, f->loops[l].last_line);
		any = 1;
	}
	if (any)
		fputc('\n', out);
}

static void asm_ranges(const lp_render_ctx *ctx, const lp_cv_func *f, FILE *out)
{
	const lp_fcode *c = f->code;

	fprintf(out, "Code: %s in %s, ", f->name ? f->name : "?",
		lp_render_module_name(ctx->rep, c->module));
	for (size_t r = 0; r < c->nranges; r++)
		fprintf(out, "%s0x%" PRIx64 "-0x%" PRIx64, r ? ", " : "", c->ranges[r].lo, c->ranges[r].hi);
	fprintf(out, " (%zu instructions%s)\n", c->ninsns,
		c->truncated ? "; some bytes could not be decoded" : "");
}

/* One piece of code: all of f (whole), else NAME's instructions in it. */
static int asm_section(const lp_render_ctx *ctx, const char *name, const lp_cv_func *f, int whole,
		       FILE *out)
{
	const lp_report *rep = ctx->rep;
	const lp_fcode *c = f->code;
	char *show = calloc(c->ninsns + 1, 1);
	const char *file = NULL;
	int first = 0, last = 0;
	const lp_cv_insn *prev = NULL;
	lp_asm a;

	if (!show)
		return -1;
	asm_setup(&a, ctx, "% Time");
	for (size_t i = 0; i < c->ninsns; i++) {
		show[i] = whole || lp_cv_insn_in(&f->insns[i], name);
		if (!show[i])
			continue;
		a.den_samples += f->insns[i].samples;
		a.den_value0 += f->insns[i].value[0];
	}
	for (size_t i = 0; i < c->ninsns; i++)
		if (show[i])
			asm_widen(&a, &f->insns[i], f);
	/* The code view works by name: the first function of that name gives the span. */
	for (size_t i = 0; i < rep->nfuncs && !file; i++)
		if (strcmp(rep->funcs[i].name, name) == 0 &&
		    lp_report_span(rep, rep->funcs[i].fn->id, &file, &first, &last) != 0)
			file = NULL;
	fprintf(out, "Total time: %g s\n", lp_report_seconds(rep, a.den_value0));
	fprintf(out, "File: %s\n", file ? lp_render_relpath(file) : "(unknown)");
	fprintf(out, "Function: %s at line %d, machine code%s\n", name, first,
		whole ? "" : " (inlined)");
	asm_ranges(ctx, f, out);
	asm_loops_line(f, show, out);
	fputc('\n', out);
	asm_header(&a, out);
	for (size_t i = 0; i < c->ninsns; i++) {
		const lp_cv_insn *x = &f->insns[i];

		if (!show[i]) {
			if (prev)
				fprintf(out, "%*s\n", a.width[0], "...");
			while (i + 1 < c->ninsns && !show[i + 1])
				i++;
			prev = NULL;
			continue;
		}
		if (new_line(x, prev))
			asm_source(&a, x, out);
		asm_insn(&a, f, i, out);
		prev = x;
	}
	fputc('\n', out);
	free(show);
	return 0;
}

static void asm_unsupported(const lp_render_ctx *ctx, const char *arch, FILE *out)
{
	FILE *where = ctx->opts->diag ? ctx->opts->diag : out;

	fprintf(where, "lineprof: --asm is not supported yet on this architecture (%s)\n", arch);
}

int lp_render_asm_function(const lp_render_ctx *ctx, const char *name, FILE *out, lp_error *err)
{
	const lp_cv_func **fs = NULL;
	const char *arch = NULL;
	size_t n = 0;
	int rc = LP_OK;

	if (lp_codeview_funcs_of(ctx->rep, name, &fs, &n, &arch) != 0)
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	if (arch)
		asm_unsupported(ctx, arch, out);
	if (n == 0 && !arch && !ctx->opts->skip_zero)
		fprintf(out, "Function: %s, machine code: no samples in code that lineprof can read "
			"(the binary is gone, or has no symbols for it)\n\n", name);
	for (size_t i = 0; i < n && rc == LP_OK; i++) {
		int whole = fs[i]->name && strcmp(fs[i]->name, name) == 0;

		if (asm_section(ctx, name, fs[i], whole, out) != 0)
			rc = lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	}
	free(fs);
	return rc;
}

int lp_render_asm_lines(const lp_render_ctx *ctx, size_t nlines, FILE *out, lp_error *err)
{
	const lp_report *rep = ctx->rep;
	const lp_cv_insn ***xs = calloc(nlines + 1, sizeof(*xs));
	const lp_cv_func ***fs = calloc(nlines + 1, sizeof(*fs));
	size_t *ns = calloc(nlines + 1, sizeof(*ns));
	const char *arch = NULL;
	int rc = LP_OK, any = 0;
	lp_asm a;

	if (!xs || !fs || !ns) {
		rc = lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
		goto out;
	}
	asm_setup(&a, ctx, "% Time");
	a.den_samples = a.t.samples;
	a.den_value0 = a.t.value0;
	for (size_t l = 0; l < nlines; l++) {
		const lp_line_stat *ls = &rep->lines[l];

		if (lp_codeview_line_insns(rep, ls, &xs[l], &fs[l], &ns[l]) != 0) {
			rc = lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
			goto out;
		}
		for (size_t i = 0; i < ns[l]; i++)
			asm_widen(&a, xs[l][i], fs[l][i]);
		any |= ns[l] > 0;
	}
	if ((arch = lp_codeview_unsupported(rep)) != NULL)
		asm_unsupported(ctx, arch, out);
	if (!any)
		goto out;
	fprintf(out, "\nInstructions of the hottest lines (%% Time: of the program):\n\n");
	asm_header(&a, out);
	for (size_t l = 0; l < nlines; l++) {
		if (!ns[l])
			continue;
		for (size_t i = 0; i < ns[l]; i++) {
			if (new_line(xs[l][i], i ? xs[l][i - 1] : NULL))
				asm_source(&a, xs[l][i], out);
			asm_insn(&a, fs[l][i], (size_t)(xs[l][i] - fs[l][i]->insns), out);
		}
	}
out:
	for (size_t l = 0; xs && l < nlines; l++) {
		free(xs[l]);
		free(fs[l]);
	}
	free(xs);
	free(fs);
	free(ns);
	return rc;
}
