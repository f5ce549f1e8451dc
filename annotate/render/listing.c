/*
 * The annotated source listing: every source file with samples, hottest
 * first, each of its lines behind a gutter of Samples, Time (timer units)
 * and % of the program, in the table's column style. A call site (of an
 * inlined function, or of any call with -g) also shows its inclusive share
 * in the Incl. column where that exceeds its own. --context N keeps only the
 * lines within N of a line above --threshold, "..." marking what is left out.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "rows.h"

#define LP_LCELL 32

enum { COL_LINE, COL_HITS, COL_SAMPLES, COL_TIME, COL_PCT, COL_CI, COL_SYS, COL_OFF, COL_WALL,
       COL_INCL, NCOLS };

static const char *const col_head[NCOLS] = {
	"Line #", "Hits", "Samples", "Time", "% Prog", "+-", "Sys", "Off-CPU", "Wall", "Incl.",
};
static const int col_min[NCOLS] = { 6, 9, 9, 12, 8, 6, 10, 10, 12, 8 };

/* Past the fixed columns: one per event after the first, then the derived metrics. */
#define LP_MAX_EXTRA (LP_MAX_EVENTS + LP_NMETRICS)

/* One source line of a file, summed over the functions it belongs to. */
typedef struct lp_lrow {
	uint64_t samples, value0, incl_samples, incl_value0, hits;
	uint64_t sys_value, off_ns;
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
	int on[NCOLS];          /* the columns of the current file */
	int width[NCOLS];
	lp_metric_cols mc;
	int nextra;             /* events after the first, then metrics */
	int xwidth[LP_MAX_EXTRA];
} lp_listing;

/* The Time column is the sampled event's count where that is not a clock. */
static const char *head_of(const lp_listing *l, int c)
{
	const lp_report *rep = l->ctx->rep;

	return c == COL_TIME && !rep->has_time ? rep->prof->events[0].measured : col_head[c];
}

static const char *extra_head(const lp_listing *l, int x)
{
	const lp_profile *p = l->ctx->rep->prof;

	return x < p->nevents - 1 ? p->events[x + 1].measured : l->mc.m[x - (p->nevents - 1)]->column;
}

/* Extra column x of a row with samples, into buf ("" without a value). */
static void extra_cell(const lp_listing *l, int x, const lp_lrow *r, char *buf)
{
	const lp_profile *p = l->ctx->rep->prof;

	buf[0] = '\0';
	if (!r->samples)
		return;
	if (x < p->nevents - 1)
		snprintf(buf, LP_LCELL, "%" PRIu64, r->value[x + 1]);
	else
		lp_metric_cols_cell(&l->mc, x - (p->nevents - 1), r->value, buf, LP_LCELL);
}

static int line_has_data(const lp_line_stat *ls)
{
	return lp_line_has_data(ls) || ls->incl_samples || ls->incl_off_ns || ls->incl_sys_value;
}

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

		if (!ls->file || !line_has_data(ls))
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

static double row_incl_share(const lp_listing *l, const lp_lrow *r)
{
	return lp_totals_share(&l->t, r->incl_value0, r->incl_samples, l->t.value0, l->t.samples);
}

static int row_incl_shows(const lp_listing *l, const lp_lrow *r)
{
	return l->t.value0 ? r->incl_value0 > r->value0 : r->incl_samples > r->samples;
}

/* The cells of one row; blank for a line without data. */
static void format_row(const lp_listing *l, int line, const lp_lrow *r, char cells[NCOLS][LP_LCELL])
{
	const lp_render_ctx *ctx = l->ctx;

	memset(cells, 0, NCOLS * LP_LCELL);
	snprintf(cells[COL_LINE], LP_LCELL, "%d", line);
	if (r->has_hits)
		snprintf(cells[COL_HITS], LP_LCELL, "%" PRIu64, r->hits);
	if (r->samples || r->has_hits || r->sys_value || r->off_ns) {
		double share = row_share(l, r);
		lp_times tm;

		lp_report_times(ctx->rep, r->value0, r->sys_value, r->off_ns, &tm);
		snprintf(cells[COL_SAMPLES], LP_LCELL, "%" PRIu64, r->samples);
		if (ctx->rep->has_time)
			snprintf(cells[COL_TIME], LP_LCELL, "%.1f", tm.time_s / ctx->opts->unit);
		else
			snprintf(cells[COL_TIME], LP_LCELL, "%" PRIu64, r->value0);
		snprintf(cells[COL_SYS], LP_LCELL, "%.1f", tm.sys_s / ctx->opts->unit);
		snprintf(cells[COL_OFF], LP_LCELL, "%.1f", tm.off_s / ctx->opts->unit);
		snprintf(cells[COL_WALL], LP_LCELL, "%.1f", tm.wall_s / ctx->opts->unit);
		snprintf(cells[COL_PCT], LP_LCELL, "%.1f", 100.0 * share);
		if (l->on[COL_CI]) {
			double lo, hi, p = l->t.samples ? (double)r->samples / (double)l->t.samples : 0;

			lp_render_wilson(r->samples, l->t.samples, &lo, &hi);
			snprintf(cells[COL_CI], LP_LCELL, "%.1f",
				 100.0 * (p - lo > hi - p ? p - lo : hi - p));
		}
	}
	if (row_incl_shows(l, r))
		snprintf(cells[COL_INCL], LP_LCELL, "%.1f", 100.0 * row_incl_share(l, r));
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

/* "Total time:" of a file, as the table's of a function. */
static void file_total(const lp_listing *l, const lp_lrow *rows, int maxline, uint64_t value0,
		       FILE *out)
{
	const lp_report *rep = l->ctx->rep;
	uint64_t sys = 0, off = 0;
	lp_times tm;

	for (int i = 0; i <= maxline; i++) {
		sys += rows[i].sys_value;
		off += rows[i].off_ns;
	}
	lp_report_times(rep, value0, sys, off, &tm);
	if (!rep->has_time) {
		fprintf(out, "Total time: n/a s (%s is not a clock: %" PRIu64 " counted here)\n",
			rep->prof->events[0].measured, value0);
		return;
	}
	fprintf(out, "Total time: %g s", tm.time_s);
	if (rep->has_sys)
		fprintf(out, " (Sys %g s", tm.sys_s);
	if (rep->has_off)
		fprintf(out, "%sOff-CPU %g s", rep->has_sys ? ", " : " (", tm.off_s);
	if (rep->has_wall)
		fprintf(out, ", Wall %g s", tm.wall_s);
	fputs(rep->has_sys || rep->has_off ? ")\n" : "\n", out);
}

static void print_file(lp_listing *l, const lp_lfile *f, lp_lrow *rows, FILE *out)
{
	const lp_render_ctx *ctx = l->ctx;
	int have_source = lp_sources_count(ctx->src, f->name) > 0;
	char cells[NCOLS][LP_LCELL];
	int len = 0, prev = -1;

	for (int c = 0; c < NCOLS; c++)
		l->width[c] = (int)strlen(head_of(l, c)) > col_min[c] ? (int)strlen(head_of(l, c))
								       : col_min[c];
	l->on[COL_INCL] = 0;
	for (int i = 0; i <= f->maxline; i++) {
		if (rows[i].shown && row_incl_shows(l, &rows[i]))
			l->on[COL_INCL] = 1;
	}
	for (int x = 0; x < l->nextra; x++)
		l->xwidth[x] = strlen(extra_head(l, x)) > 10 ? (int)strlen(extra_head(l, x)) : 10;
	for (int i = 0; i <= f->maxline; i++) {
		char buf[LP_LCELL];

		if (!rows[i].shown)
			continue;
		format_row(l, i, &rows[i], cells);
		for (int c = 0; c < NCOLS; c++)
			if ((int)strlen(cells[c]) > l->width[c])
				l->width[c] = (int)strlen(cells[c]);
		for (int x = 0; x < l->nextra; x++) {
			extra_cell(l, x, &rows[i], buf);
			if ((int)strlen(buf) > l->xwidth[x])
				l->xwidth[x] = (int)strlen(buf);
		}
	}
	file_total(l, rows, f->maxline, f->value0, out);
	fprintf(out, "File: %s\n", lp_render_relpath(f->name));
	fprintf(out, "Samples: %" PRIu64 " (%.1f%% of the program)\n", f->samples,
		100.0 * lp_totals_share(&l->t, f->value0, f->samples, l->t.value0, l->t.samples));
	if (!have_source)
		fputs("Source not found: numbers only (add --source-dir DIR)\n", out);
	fputc('\n', out);
	for (int c = 0; c < NCOLS; c++)
		if (l->on[c])
			len += fprintf(out, "%s%*s", len ? " " : "", l->width[c], head_of(l, c));
	for (int x = 0; x < l->nextra; x++)
		len += fprintf(out, " %*s", l->xwidth[x], extra_head(l, x));
	len += fprintf(out, "  Line Contents\n") - 1;
	for (int i = 0; i < len; i++)
		fputc('=', out);
	fputc('\n', out);
	for (int i = 0; i <= f->maxline; i++) {
		const char *on, *text;
		int first = 1;

		if (!rows[i].shown)
			continue;
		if (prev >= 0 && i > prev + 1)
			fprintf(out, "%*s\n", l->width[COL_LINE], "...");
		prev = i;
		format_row(l, i, &rows[i], cells);
		on = rows[i].samples ? lp_render_heat(row_share(l, &rows[i]), ctx->color) : "";
		text = i > 0 ? lp_sources_line(ctx->src, f->name, i) : NULL;
		fputs(on, out);
		for (int c = 0; c < NCOLS; c++) {
			if (!l->on[c])
				continue;
			fprintf(out, "%s%*s", first ? "" : " ", l->width[c], cells[c]);
			first = 0;
		}
		for (int x = 0; x < l->nextra; x++) {
			char buf[LP_LCELL];

			extra_cell(l, x, &rows[i], buf);
			fprintf(out, " %*s", l->xwidth[x], buf);
		}
		fprintf(out, "  %s%s\n", text ? text : "", *on ? lp_render_reset(ctx->color) : "");
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
		r->sys_value += ls->w.sys_value;
		r->off_ns += lp_waits_off_ns(&ls->w);
		for (int e = 0; e < LP_MAX_EVENTS; e++)
			r->value[e] += ls->value[e];
		r->incl_samples += ls->incl_samples;
		r->incl_value0 += ls->incl_value0;
		r->hits += ls->hits;
		r->has_hits |= ls->has_hits;
		r->has_data |= line_has_data(ls);
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
	l.on[COL_LINE] = l.on[COL_SAMPLES] = l.on[COL_TIME] = l.on[COL_PCT] = 1;
	l.on[COL_HITS] = p->nhits > 0;
	l.on[COL_CI] = ctx->opts->ci;
	l.on[COL_SYS] = rep->has_sys;
	l.on[COL_OFF] = rep->has_off;
	l.on[COL_WALL] = rep->has_wall;
	lp_metric_cols_of(p, &l.mc);
	l.nextra = (p->nevents > 1 ? p->nevents - 1 : 0) + l.mc.n;
	files = collect_files(rep, &nfiles);
	if (!files)
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	/* The table, the hottest lines or the flat profile, when asked for too, came first and said it. */
	if (ctx->opts->nfunctions == 0 && ctx->opts->top <= 0 && !ctx->opts->functions_view)
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
