/* What lineprof diff's views share: the header and legend, and the before/after columns. */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "containers.h"
#include "diffview.h"

void lp_dtab_col(lp_dtab *t, const char *head, int width)
{
	int w = (int)strlen(head);

	t->head[t->ncols] = head;
	t->width[t->ncols++] = width > w ? width : w;
}

int lp_dtab_row(lp_dtab *t, const char *text, int tint)
{
	/* Three arrays, one capacity: it moves only once all three have grown. */
	size_t capc = t->cap, capx = t->cap, capk = t->cap;

	if (LP_GROW(t->cells, t->n, capc) || LP_GROW(t->text, t->n, capx) ||
	    LP_GROW(t->tint, t->n, capk))
		return -1;
	t->cap = capc;
	t->text[t->n] = strdup(text ? text : "");
	if (!t->text[t->n])
		return -1;
	memset(t->cells[t->n], 0, sizeof(t->cells[0]));
	t->tint[t->n++] = tint;
	return 0;
}

void lp_dtab_cell(lp_dtab *t, int col, const char *fmt, ...)
{
	char *c = t->cells[t->n - 1][col];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(c, LP_DCELL, fmt, ap);
	va_end(ap);
	if (n >= LP_DCELL)
		n = LP_DCELL - 1;
	if (n > t->width[col])
		t->width[col] = n;
}

void lp_dtab_print(const lp_dtab *t, FILE *out, int color)
{
	int len = 0;

	for (int c = 0; c < t->ncols; c++)
		len += fprintf(out, "%s%*s", c ? " " : "", t->width[c], t->head[c]);
	len += fprintf(out, "  %s\n", t->text_head ? t->text_head : "Line Contents") - 1;
	for (int i = 0; i < len; i++)
		fputc('=', out);
	fputc('\n', out);
	for (size_t r = 0; r < t->n; r++) {
		/* Green: significantly faster; red: significantly slower. The mark says it too. */
		const char *on = !color || !t->tint[r] ? "" : t->tint[r] < 0 ? "\033[32m" : "\033[31m";

		fputs(on, out);
		for (int c = 0; c < t->ncols; c++)
			fprintf(out, "%s%*s", c ? " " : "", t->width[c], t->cells[r][c]);
		fprintf(out, "  %s%s\n", t->text[r], *on ? "\033[0m" : "");
	}
}

void lp_dtab_free(lp_dtab *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->text[i]);
	free(t->text);
	free(t->cells);
	free(t->tint);
	memset(t, 0, sizeof(*t));
}

int lp_dtab_diff_cols(lp_dtab *t)
{
	int first = t->ncols;

	lp_dtab_col(t, "Base", 10);
	lp_dtab_col(t, "New", 10);
	lp_dtab_col(t, "Delta", 10);
	lp_dtab_col(t, "Change", 7);
	lp_dtab_col(t, "Base%", 5);
	lp_dtab_col(t, "New%", 5);
	lp_dtab_col(t, "q", 7);
	lp_dtab_col(t, "Sig", 3);
	return first;
}

const char *lp_diff_change(const lp_diff_row *r, char *buf, size_t size)
{
	if (r->base_s > 0)
		snprintf(buf, size, "%+.1f%%", 100.0 * (r->new_s - r->base_s) / r->base_s);
	else
		snprintf(buf, size, "%s", r->new_s > 0 ? "new" : "");
	return buf;
}

int lp_diff_tint(const lp_diff_row *r)
{
	if (!r->st.significant)
		return 0;
	return r->new_s < r->base_s ? -1 : 1;
}

void lp_dtab_diff_cells(lp_dtab *t, int first, const lp_render_ctx *ctx, const lp_diff_row *r,
			int fn_shares)
{
	double unit = ctx->opts->unit;
	char change[32];

	lp_dtab_cell(t, first, "%.1f", r->base_s / unit);
	lp_dtab_cell(t, first + 1, "%.1f", r->new_s / unit);
	lp_dtab_cell(t, first + 2, "%+.1f", (r->new_s - r->base_s) / unit);
	lp_dtab_cell(t, first + 3, "%s", lp_diff_change(r, change, sizeof(change)));
	lp_dtab_cell(t, first + 4, "%.1f", fn_shares ? r->base_fpct : r->base_pct);
	lp_dtab_cell(t, first + 5, "%.1f", fn_shares ? r->new_fpct : r->new_pct);
	if (!r->st.tested)
		lp_dtab_cell(t, first + 6, "-");
	else if (r->st.q < 0.001)
		lp_dtab_cell(t, first + 6, "%.1e", r->st.q);
	else
		lp_dtab_cell(t, first + 6, "%.3f", r->st.q);
	if (r->st.significant)
		lp_dtab_cell(t, first + 7, "*");
}

static void side_line(const lp_render_ctx *ctx, FILE *out, int side)
{
	const lp_diff *d = ctx->diff;
	int first = side ? d->nbase : 0, n = side ? d->nnew : d->nbase;
	uint64_t samples = 0;
	double cpu = 0, lo = INFINITY, hi = 0, work = 0;

	fprintf(out, "%s ", side ? "NEW: " : "BASE:");
	if (n > 1)
		fprintf(out, "%d runs (", n);
	for (int r = first; r < first + n; r++) {
		double c = (double)d->runs[r].prof->task_clock_ns * 1e-9;

		fprintf(out, "%s%s", r > first ? " " : "", d->runs[r].name);
		samples += d->runs[r].samples;
		cpu += c;
		work += d->runs[r].work;
		lo = c < lo ? c : lo;
		hi = c > hi ? c : hi;
	}
	fprintf(out, "%s: %" PRIu64 " samples; CPU time %.3f s%s", n > 1 ? ")" : "", samples,
		cpu / n, n > 1 ? " per run" : "");
	if (n > 1)
		fprintf(out, " (%.3f to %.3f)", lo, hi);
	if (d->scaled)
		fprintf(out, "; %g work units%s", work / n, n > 1 ? " per run" : "");
	fputc('\n', out);
}

void lp_render_diff_header(const lp_render_ctx *ctx, FILE *out)
{
	const lp_diff *d = ctx->diff;
	const lp_diffstat_info *li = &d->line_info;

	fprintf(out, "Timer unit: %g s\n\n", ctx->opts->unit);
	side_line(ctx, out, 0);
	side_line(ctx, out, 1);
	fprintf(out, "Sampled: %s. Times are %s.\n", d->event,
		d->scaled ? "per work unit (--scale)" : "per run");
	if (li->replicated)
		fprintf(out, "Sig *: the line's time changed beyond sampling noise and run-to-run "
			"drift (quasi-Poisson test, %d+%d runs, %d degrees of freedom; drift between "
			"runs of one side beyond sampling noise: %.1f %%), Benjamini-Hochberg at a "
			"false-discovery rate of "
			"%g %% over %zu lines; see lineprof(1), STATISTICS.\n",
			d->nbase, d->nnew, li->df, 100.0 * li->drift_cv, 100.0 * d->fdr, li->tested);
	else
		fprintf(out, "Sig *: the line's time changed beyond sampling noise (exact Poisson "
			"test), Benjamini-Hochberg at a false-discovery rate of %g %% over %zu lines; "
			"see lineprof(1), STATISTICS.\n"
			"1 run per side: marks ignore run-to-run drift (give several runs per side: "
			"lineprof diff A1 A2 A3 -- B1 B2 B3).\n", 100.0 * d->fdr, li->tested);
	if (d->files_followed)
		fprintf(out, "Lines followed through BASE's and NEW's versions of %zu file%s: %zu "
			"moved.\n", d->files_followed, d->files_followed == 1 ? "" : "s", d->moved);
	if (d->files_unfollowed)
		fprintf(out, "%zu file%s changed after BASE was built: lines matched by number, "
			"moved lines not followed (--base-source DIR follows them).\n",
			d->files_unfollowed, d->files_unfollowed == 1 ? "" : "s");
	fputc('\n', out);
}
