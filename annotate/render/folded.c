/*
 * --folded FILE: collapsed stacks, one line per distinct stack, as Brendan
 * Gregg's stackcollapse scripts write them and flamegraph.pl, inferno and
 * speedscope read them: "root;caller;...;leaf COUNT", function names from
 * the outermost frame in, inlined functions as frames of their own, COUNT in
 * samples (the counts sum to the profile's samples), or with --folded-event
 * in nanoseconds of user CPU time, system time, off-CPU time or Wall (one
 * quantity per file: a flame graph has one width).
 *
 * With -g the stacks are the recorded call stacks; without, each sampled
 * address gives its chain of inlined functions only (said once on diag).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"

typedef struct lp_folded {
	char *text;
	uint64_t samples;
} lp_folded;

static int cmp_folded(const void *pa, const void *pb)
{
	return strcmp(((const lp_folded *)pa)->text, ((const lp_folded *)pb)->text);
}

/* The frames root first, ';' between; ';' inside a name would split it: ':' instead. */
static char *fold(const lp_report *rep, const lp_frame *const *fr, int n)
{
	size_t len = 1;
	char *s, *w;

	for (int i = 0; i < n; i++)
		len += strlen(lp_report_label(rep, fr[i]->fn)) + 1;
	s = w = malloc(len);
	if (!s)
		return NULL;
	for (int i = n - 1; i >= 0; i--) {
		for (const char *c = lp_report_label(rep, fr[i]->fn); *c; c++)
			*w++ = *c == ';' ? ':' : *c == '\n' ? ' ' : *c;
		if (i)
			*w++ = ';';
	}
	*w = 0;
	return s;
}

static const char *const event_names[] = { "samples", "time", "sys", "off-cpu", "wall" };

/* The quantity of one chain that --folded-event asks for. */
static uint64_t weight(enum lp_folded_event ev, const lp_counts *c)
{
	uint64_t off = c->off_ns[LP_OFF_BLOCKED] + c->off_ns[LP_OFF_RUNNABLE];

	switch (ev) {
	case LP_FOLDED_TIME: return c->value[0];
	case LP_FOLDED_SYS: return c->sys_value;
	case LP_FOLDED_OFF: return off;
	case LP_FOLDED_WALL: return c->value[0] + c->sys_value + off; /* checked: all three recorded */
	default: return c->samples;
	}
}

int lp_render_folded_check(const lp_render_ctx *ctx, lp_error *err)
{
	const lp_report *rep = ctx->rep;
	enum lp_folded_event ev = ctx->opts->folded_event;
	const char *what = NULL;

	if ((ev == LP_FOLDED_TIME || ev == LP_FOLDED_WALL || ev == LP_FOLDED_SYS) && !rep->has_time)
		what = "no Time: its sampled event is not a clock (record with -e cpu-clock)";
	else if ((ev == LP_FOLDED_SYS || ev == LP_FOLDED_WALL) && !rep->has_sys)
		what = "no kernel samples (they were not allowed: kernel.perf_event_paranoid)";
	else if ((ev == LP_FOLDED_OFF || ev == LP_FOLDED_WALL) && !rep->has_off)
		what = "no off-CPU time (recorded with --no-off-cpu, or not allowed)";
	if (!what)
		return LP_OK;
	return lp_error_set(err, LP_EUSAGE, "lineprof: --folded-event %s: this profile has %s",
			    event_names[ev], what);
}

int lp_render_folded(const lp_render_ctx *ctx, FILE *out, lp_error *err)
{
	const lp_report *rep = ctx->rep;
	size_t n = lp_report_nchains(rep), m = 0;
	lp_folded *rows = calloc(n + 1, sizeof(*rows));
	const lp_frame **fr = malloc(LP_MAX_STACK * 4 * sizeof(*fr));
	uint64_t sum = 0;
	int rc = LP_OK;

	enum lp_folded_event ev = ctx->opts->folded_event;

	if (!rows || !fr || lp_render_folded_check(ctx, err) != LP_OK) {
		free(rows);
		free(fr);
		return err->code ? err->code : lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	}
	if (!rep->inclusive_from_stacks && ctx->opts->diag)
		fprintf(ctx->opts->diag, "lineprof: --folded: no call stacks in this profile "
			"(record with -g): each stack is one sampled address's inlined frames\n");
	for (size_t i = 0; i < n; i++) {
		uint64_t samples, value0;
		int k = lp_report_chain(rep, i, fr, LP_MAX_STACK * 4, &samples, &value0);

		rows[m].samples = weight(ev, lp_report_chain_counts(rep, i));
		if (!rows[m].samples || k == 0)
			continue;
		rows[m].text = fold(rep, fr, k);
		if (!rows[m].text) {
			rc = lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
			goto out;
		}
		m++;
	}
	/* Distinct addresses can make the same stack of names: one line each. */
	qsort(rows, m, sizeof(*rows), cmp_folded);
	for (size_t i = 0; i < m; i++) {
		uint64_t count = rows[i].samples;

		while (i + 1 < m && strcmp(rows[i].text, rows[i + 1].text) == 0)
			count += rows[++i].samples;
		fprintf(out, "%s %" PRIu64 "\n", rows[i].text, count);
		sum += count;
	}
	if (ev == LP_FOLDED_SAMPLES && sum != rep->prof->samples && ctx->opts->diag)
		fprintf(ctx->opts->diag, "lineprof: --folded: the call stacks hold %" PRIu64
			" of the profile's %" PRIu64 " samples\n", sum, rep->prof->samples);
	if (ferror(out))
		rc = lp_error_set(err, LP_EFAIL, "lineprof: cannot write the folded stacks");
out:
	for (size_t i = 0; i < m; i++)
		free(rows[i].text);
	free(rows);
	free(fr);
	return rc;
}
