/*
 * The annotated source listing: every source file with samples, hottest
 * first, each of its lines behind a gutter of Samples, Time (timer units)
 * and % of the program, in the table's column style. A call site (of an
 * inlined function, or of any call with -g) also shows its inclusive share
 * in the Incl. column where that exceeds its own. --context N keeps only the
 * lines within N of a line above --threshold, "..." marking what is left out.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "codeview.h"
#include "rows.h"

#define LP_LCELL 32

/* One source line of a file, summed over the functions it belongs to. */
typedef struct lp_lrow {
	uint64_t samples, value0, incl_samples, incl_value0, hits;
	uint64_t sys_samples, sys_value, off_count, off_ns, incl_sys_value, incl_off_ns;
	uint64_t value[LP_MAX_EVENTS];
	int has_hits, has_data, shown;
} lp_lrow;

typedef struct lp_lfile {
	const char *name;
	uint32_t module;
	uint64_t samples, value0, incl_samples;
	int maxline;
} lp_lfile;

typedef struct lp_listing {
	const lp_render_ctx *ctx;
	lp_totals t;
	lp_cols cols;           /* the columns of the current file, after "Line #" */
	int width[LP_MAX_COLS]; /* and their widths */
	int line_width;
	const lp_cv_sloop *loops; /* a note on each loop's header line */
	size_t nloops;
} lp_listing;

static int cmp_file(const void *pa, const void *pb)
{
	const lp_lfile *a = pa, *b = pb;

	if (a->samples != b->samples)
		return a->samples > b->samples ? -1 : 1;
	if (a->value0 != b->value0)
		return a->value0 > b->value0 ? -1 : 1;
	if (a->incl_samples != b->incl_samples)
		return a->incl_samples > b->incl_samples ? -1 : 1;
	return strcmp(a->name, b->name);
}

/*
 * The files with data, hottest first; NULL when out of memory. Paths are
 * interned by the symbolizer (as the report's keys): one file, one pointer.
 */
static lp_lfile *collect_files(const lp_report *rep, size_t *nfiles)
{
	lp_lfile *files = calloc(rep->nlines + 1, sizeof(*files));
	size_t n = 0, j;

	if (!files)
		return NULL;
	for (size_t i = 0; i < rep->nlines; i++) {
		const lp_line_stat *ls = &rep->lines[i];

		if (!ls->file || !lp_line_listed(ls))
			continue;
		for (j = 0; j < n && files[j].name != ls->file; j++)
			;
		if (j == n) {
			files[n].name = ls->file;
			files[n++].module = ls->module;
		}
		files[j].samples += ls->samples;
		files[j].value0 += ls->value[0];
		files[j].incl_samples += ls->incl_samples;
		if (ls->line > files[j].maxline)
			files[j].maxline = ls->line;
	}
	qsort(files, n, sizeof(*files), cmp_file);
	*nfiles = n;
	return files;
}

static double row_share(const lp_listing *l, const lp_lrow *r)
{
	return lp_totals_share(&l->t, r->value0, r->samples, l->t.value0, l->t.samples);
}

static void cell_in(const lp_listing *l, const lp_lrow *r, lp_cell_in *in)
{
	memset(in, 0, sizeof(*in));
	in->samples = r->samples;
	in->value = r->value;
	in->incl_samples = r->incl_samples;
	in->incl_value0 = r->incl_value0;
	in->hits = r->hits;
	in->has_hits = r->has_hits;
	in->sys_samples = r->sys_samples;
	in->sys_value = r->sys_value;
	in->off_count = r->off_count;
	in->off_ns = r->off_ns;
	in->incl_sys_value = r->incl_sys_value;
	in->incl_off_ns = r->incl_off_ns;
	in->den_samples = l->t.samples;
	in->den_value0 = l->t.value0;
}

static int row_incl_shows(const lp_listing *l, const lp_lrow *r)
{
	return l->t.value0 ? r->incl_value0 > r->value0 : r->incl_samples > r->samples;
}

/* Which lines to print: all, or the hot regions (--context), or those with data (-z). */
static int choose_lines(const lp_listing *l, lp_lrow *rows, int maxline, int have_source)
{
	const lp_view_opts *o = l->ctx->opts;
	int any = 0;

	for (int i = 0; i <= maxline; i++)
		rows[i].shown = o->context < 0;
	for (int i = 0; o->context >= 0 && i <= maxline; i++) {
		if (!(100.0 * row_share(l, &rows[i]) > o->threshold))
			continue;
		for (int j = i - o->context; j <= i + o->context; j++)
			if (j >= 0 && j <= maxline)
				rows[j].shown = 1;
	}
	for (int i = 0; i <= maxline; i++) {
		if ((!have_source || o->skip_zero || i == 0) && !rows[i].has_data)
			rows[i].shown = 0;
		any |= rows[i].shown;
	}
	return any;
}

/* The columns of one file: Incl. only where a shown line has code running inside it. */
static void file_cols(lp_listing *l, const lp_lfile *f, const lp_lrow *rows)
{
	const lp_render_ctx *ctx = l->ctx;
	unsigned with = ctx->rep->prof->nhits > 0 ? LP_COLS_HITS : 0;
	char buf[LP_LCELL];
	lp_cell_in in;

	for (int i = 0; i <= f->maxline; i++)
		if (rows[i].shown && row_incl_shows(l, &rows[i]))
			with |= LP_COLS_INCL;
	lp_cols_init(&l->cols, ctx, LP_SCOPE_PROGRAM, with);
	l->line_width = 6;
	for (int c = 0; c < l->cols.n; c++) {
		int w = (int)strlen(l->cols.col[c].head);

		l->width[c] = w > l->cols.col[c].width ? w : l->cols.col[c].width;
	}
	for (int i = 0; i <= f->maxline; i++) {
		if (!rows[i].shown)
			continue;
		snprintf(buf, sizeof(buf), "%d", i);
		if ((int)strlen(buf) > l->line_width)
			l->line_width = (int)strlen(buf);
		cell_in(l, &rows[i], &in);
		for (int c = 0; c < l->cols.n; c++) {
			lp_cols_cell(&l->cols, c, &in, buf, sizeof(buf), NULL);
			if ((int)strlen(buf) > l->width[c])
				l->width[c] = (int)strlen(buf);
		}
	}
}

/* "Total time:" of a file, as the table's of a function. */
static void file_total(const lp_listing *l, const lp_lrow *rows, int maxline, uint64_t value0,
		       FILE *out)
{
	uint64_t sys = 0, off = 0;

	for (int i = 0; i <= maxline; i++) {
		sys += rows[i].sys_value;
		off += rows[i].off_ns;
	}
	lp_render_total_line(l->ctx->rep, value0, sys, off, out);
}

static void print_file(lp_listing *l, const lp_lfile *f, lp_lrow *rows, FILE *out)
{
	const lp_render_ctx *ctx = l->ctx;
	int have_source = lp_sources_count(ctx->src, f->name) > 0;
	char buf[LP_LCELL];
	int len = 0, prev = -1;

	file_cols(l, f, rows);
	file_total(l, rows, f->maxline, f->value0, out);
	fprintf(out, "File: %s\n", lp_render_relpath(f->name));
	fprintf(out, "Samples: %" PRIu64 " (%.1f%% of the program)\n", f->samples,
		100.0 * lp_totals_share(&l->t, f->value0, f->samples, l->t.value0, l->t.samples));
	if (!have_source)
		fputs("Source not found: numbers only (add --source-dir DIR)\n", out);
	fputc('\n', out);
	len += fprintf(out, "%*s", l->line_width, "Line #");
	for (int c = 0; c < l->cols.n; c++)
		len += fprintf(out, " %*s", l->width[c], l->cols.col[c].head);
	len += fprintf(out, "  Line Contents\n") - 1;
	for (int i = 0; i < len; i++)
		fputc('=', out);
	fputc('\n', out);
	for (int i = 0; i <= f->maxline; i++) {
		const char *on, *text;
		char note[1024];
		lp_cell_in in;

		if (!rows[i].shown)
			continue;
		if (prev >= 0 && i > prev + 1)
			fprintf(out, "%*s\n", l->line_width, "...");
		prev = i;
		on = rows[i].samples ? lp_render_heat(row_share(l, &rows[i]), ctx->color) : "";
		text = i > 0 ? lp_sources_line(ctx->src, f->name, i) : NULL;
		fputs(on, out);
		fprintf(out, "%*d", l->line_width, i);
		cell_in(l, &rows[i], &in);
		for (int c = 0; c < l->cols.n; c++) {
			lp_cols_cell(&l->cols, c, &in, buf, sizeof(buf), NULL);
			fprintf(out, " %*s", l->width[c], buf);
		}
		lp_render_loop_notes(ctx, l->loops, l->nloops, NULL, f->name, i, note, sizeof(note));
		fprintf(out, "  %s%s%s\n", text ? text : "", note, *on ? lp_render_reset(ctx->color) : "");
	}
	fputc('\n', out);
}

static void fill_rows(const lp_report *rep, const lp_lfile *f, lp_lrow *rows)
{
	for (size_t i = 0; i < rep->nlines; i++) {
		const lp_line_stat *ls = &rep->lines[i];
		lp_lrow *r;

		if (ls->file != f->name || ls->line < 0)
			continue;
		r = &rows[ls->line];
		r->samples += ls->samples;
		r->value0 += ls->value[0];
		r->sys_samples += ls->w.sys_samples;
		r->sys_value += ls->w.sys_value;
		r->off_count += ls->w.off_count;
		r->off_ns += lp_waits_off_ns(&ls->w);
		r->incl_sys_value += ls->incl_sys_value;
		r->incl_off_ns += ls->incl_off_ns;
		for (int e = 0; e < LP_MAX_EVENTS; e++)
			r->value[e] += ls->value[e];
		r->incl_samples += ls->incl_samples;
		r->incl_value0 += ls->incl_value0;
		r->hits += ls->hits;
		r->has_hits |= ls->has_hits;
		r->has_data |= lp_line_listed(ls);
	}
}

static void print_trailer(const lp_listing *l, size_t skipped, FILE *out)
{
	const lp_report *rep = l->ctx->rep;
	uint64_t s = 0, v = 0;

	if (skipped)
		fprintf(out, "%zu more file%s with samples, no line above --threshold %g%%\n\n",
			skipped, skipped == 1 ? "" : "s", l->ctx->opts->threshold);
	for (size_t i = 0; i < rep->nlines; i++) {
		if (!rep->lines[i].file) {
			s += rep->lines[i].samples;
			v += rep->lines[i].value[0];
		}
	}
	if (s)
		fprintf(out, "No line info: %" PRIu64 " samples (%.1f%% of the program)\n\n", s,
			100.0 * lp_totals_share(&l->t, v, s, l->t.value0, l->t.samples));
}

int lp_render_listing(const lp_render_ctx *ctx, FILE *out, lp_error *err)
{
	const lp_report *rep = ctx->rep;
	const lp_profile *p = rep->prof;
	lp_listing l = { .ctx = ctx };
	size_t nfiles, skipped = 0;
	lp_lfile *files;

	lp_totals_of(rep, &l.t);
	files = collect_files(rep, &nfiles);
	if (!files || lp_codeview_loops(rep, NULL, &l.loops, &l.nloops, NULL) != 0) {
		free(files);
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	}
	/* The table, the hottest lines, the flat profile or the loops, when asked for too, came first and said it. */
	if (ctx->opts->nfunctions == 0 && ctx->opts->top <= 0 && !ctx->opts->functions_view &&
	    !ctx->opts->loops_view)
		lp_render_header(ctx, out);
	for (size_t i = 0; i < nfiles; i++) {
		lp_lfile *f = &files[i];
		int nsrc = lp_sources_count(ctx->src, f->name);
		lp_lrow *rows;

		if (nsrc > f->maxline)
			f->maxline = nsrc;
		rows = calloc((size_t)f->maxline + 1, sizeof(*rows));
		if (!rows) {
			free(files);
			return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
		}
		lp_sources_check_age(ctx->src, f->name, f->module < p->nmodules
				     ? p->modules[f->module].path : NULL);
		fill_rows(rep, f, rows);
		if (choose_lines(&l, rows, f->maxline, nsrc > 0))
			print_file(&l, f, rows, out);
		else
			skipped++;
		free(rows);
	}
	print_trailer(&l, skipped, out);
	free(files);
	return LP_OK;
}
