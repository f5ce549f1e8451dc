/*
 * --callgrind FILE: the profile in Callgrind's format, for KCachegrind,
 * QCachegrind and callgrind_annotate. Positions are source lines. Events:
 * the sampled event's values (for a clock: nanoseconds), the sample count,
 * then the other events read with each sample; names become identifiers
 * ("cpu-clock" -> cpu_clock).
 *
 * File names are relative to the working directory when below it.
 * Per function: fl= its file, fn= its name, one cost line per source line
 * where it was the innermost frame (its self cost; fi= when a line lies in
 * another file). Per call site: cfl=/cfn= the callee, calls= the number of
 * samples through it (a sampling profile knows no call counts) and the
 * callee's first line, then the calling line with the inclusive cost.
 * Inclusive costs are known for the first event and the sample count only;
 * they come from the call stacks with -g, from inlining without.
 * Where recorded, two more events come last: sys (nanoseconds in kernel
 * mode on the line's behalf) and off_cpu (nanoseconds its threads waited
 * off the CPU there), self and inclusive.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"

#ifndef LP_VERSION
#define LP_VERSION "?"
#endif

/*
 * The file a function's block is filed under: callers must name the same.
 * Relative to the working directory when below it, as lineprof's tables
 * print them: callgrind_annotate strips its working directory from fl=
 * names but not from cfl= ones, and would see two functions otherwise.
 */
static const char *func_file(const lp_func_stat *f, const lp_line_stat *const *lines, size_t n)
{
	if (f->file)
		return lp_render_relpath(f->file);
	for (size_t i = 0; i < n; i++)
		if (lines[i]->file)
			return lp_render_relpath(lines[i]->file);
	return "???";
}

static int cmp_line_ptr(const void *pa, const void *pb)
{
	const lp_line_stat *a = *(const lp_line_stat *const *)pa;
	const lp_line_stat *b = *(const lp_line_stat *const *)pb;
	int c;

	if (a->function != b->function)
		return (uintptr_t)a->function < (uintptr_t)b->function ? -1 : 1;
	if (a->file != b->file) {
		if (!a->file || !b->file)
			return a->file ? 1 : -1;
		if ((c = strcmp(a->file, b->file)))
			return c;
	}
	return a->line < b->line ? -1 : a->line > b->line;
}

static int cmp_call_ptr(const void *pa, const void *pb)
{
	const lp_call *a = *(const lp_call *const *)pa;
	const lp_call *b = *(const lp_call *const *)pb;

	if (a->caller != b->caller)
		return a->caller < b->caller ? -1 : 1;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	return a->callee < b->callee ? -1 : a->callee > b->callee;
}

/* "cpu-clock" -> "cpu_clock": callgrind event names are identifiers. */
static void event_id(const char *name, char *buf, size_t size)
{
	size_t j = 0;

	if (!isalpha((unsigned char)name[0]) && name[0] != '_' && j + 1 < size)
		buf[j++] = '_';
	for (const char *s = name; *s && j + 1 < size; s++)
		buf[j++] = isalnum((unsigned char)*s) ? *s : '_';
	buf[j] = 0;
}

static void costs(FILE *out, const lp_report *rep, const lp_line_stat *l)
{
	const lp_profile *p = rep->prof;

	if (!p->nevents) {
		fprintf(out, " %" PRIu64, l->samples);
	} else {
		fprintf(out, " %" PRIu64 " %" PRIu64, l->value[0], l->samples);
		for (int e = 1; e < p->nevents; e++)
			fprintf(out, " %" PRIu64, l->value[e]);
	}
	if (rep->has_sys)
		fprintf(out, " %" PRIu64, l->w.sys_value);
	if (rep->has_off)
		fprintf(out, " %" PRIu64, lp_waits_off_ns(&l->w));
}

/* A call's inclusive cost: the first event and samples; the others unknown (0); sys, off_cpu. */
static void call_costs(FILE *out, const lp_report *rep, const lp_call *k)
{
	const lp_profile *p = rep->prof;

	if (p->nevents)
		fprintf(out, " %" PRIu64, k->value0);
	fprintf(out, " %" PRIu64, k->samples);
	if (!rep->has_sys && !rep->has_off)
		return;
	for (int e = 1; e < p->nevents; e++)
		fputs(" 0", out);
	if (rep->has_sys)
		fprintf(out, " %" PRIu64, k->sys_value);
	if (rep->has_off)
		fprintf(out, " %" PRIu64, k->off_ns);
}

int lp_render_callgrind(const lp_render_ctx *ctx, FILE *out, lp_error *err)
{
	const lp_report *rep = ctx->rep;
	const lp_profile *p = rep->prof;
	const lp_line_stat **lines = malloc((rep->nlines + 1) * sizeof(*lines));
	const lp_call **calls = malloc((rep->ncalls + 1) * sizeof(*calls));
	size_t *first = malloc((rep->nfuncs + 1) * sizeof(*first));
	size_t *count = calloc(rep->nfuncs + 1, sizeof(*count));
	const char **fl = malloc((rep->nfuncs + 1) * sizeof(*fl));
	uint64_t total[LP_MAX_EVENTS + 3] = { 0 };
	char ids[LP_MAX_EVENTS + 3][LP_EVENT_NAME_MAX + 4];
	size_t nl = 0, c = 0;
	int nev = p->nevents + 1, s = p->nevents ? 1 : 0; /* s: the samples column */
	int sys = rep->has_sys ? nev++ : -1, off = rep->has_off ? nev++ : -1;

	if (!lines || !calls || !first || !count || !fl) {
		free(lines), free(calls), free(first), free(count), free(fl);
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	}
	for (size_t i = 0; i < rep->nlines; i++)
		if (rep->lines[i].samples || rep->lines[i].w.sys_samples || rep->lines[i].w.off_count)
			lines[nl++] = &rep->lines[i];
	qsort(lines, nl, sizeof(*lines), cmp_line_ptr);
	for (size_t i = 0; i < rep->ncalls; i++)
		calls[i] = &rep->calls[i];
	qsort(calls, rep->ncalls, sizeof(*calls), cmp_call_ptr);
	/* Each function's self lines: a run of the sorted array (same interned name). */
	for (size_t f = 0; f < rep->nfuncs; f++) {
		size_t lo = 0, hi = nl;

		while (lo < hi) {
			size_t mid = (lo + hi) / 2;

			if ((uintptr_t)lines[mid]->function < (uintptr_t)rep->funcs[f].name)
				lo = mid + 1;
			else
				hi = mid;
		}
		first[f] = lo;
		while (lo + count[f] < nl && lines[lo + count[f]]->function == rep->funcs[f].name)
			count[f]++;
		fl[f] = func_file(&rep->funcs[f], lines + first[f], count[f]);
	}

	/* Event names, distinct: the first event, samples, the others. */
	if (p->nevents)
		event_id(p->events[0].measured, ids[0], sizeof(ids[0]));
	strcpy(ids[s], "samples");
	for (int e = 1; e < p->nevents; e++)
		event_id(p->events[e].measured, ids[e + 1], sizeof(ids[0]));
	if (sys >= 0)
		strcpy(ids[sys], "sys");
	if (off >= 0)
		strcpy(ids[off], "off_cpu");
	for (int e = 1; e < nev; e++)
		for (int k = 0; k < e; k++)
			if (strcmp(ids[e], ids[k]) == 0) {
				size_t len = strlen(ids[e]);

				snprintf(ids[e] + len, sizeof(ids[e]) - len, "_%d", e);
				break;
			}
	for (size_t i = 0; i < nl; i++) {
		if (p->nevents)
			total[0] += lines[i]->value[0];
		total[s] += lines[i]->samples;
		for (int e = 1; e < p->nevents; e++)
			total[e + 1] += lines[i]->value[e];
		if (sys >= 0)
			total[sys] += lines[i]->w.sys_value;
		if (off >= 0)
			total[off] += lp_waits_off_ns(&lines[i]->w);
	}

	fputs("# callgrind format\nversion: 1\n", out);
	fprintf(out, "creator: lineprof %s\n", LP_VERSION);
	if (p->command)
		fprintf(out, "cmd: %s\n", p->command);
	if (p->nevents)
		fprintf(out, "desc: Sampled: %s%s, %" PRIu64 " samples%s\n", p->events[0].measured,
			strstr(p->events[0].measured, "clock") ? " (ns)" : "", p->samples,
			rep->inclusive_from_stacks ? ", call stacks (-g)"
						   : ", no call stacks: calls are inlining only");
	fputs("positions: line\n", out);
	if (p->nevents)
		fprintf(out, "event: %s : %s\n", ids[0], p->events[0].measured);
	fprintf(out, "event: %s : Samples\n", ids[s]);
	for (int e = 1; e < p->nevents; e++)
		fprintf(out, "event: %s : %s\n", ids[e + 1], p->events[e].measured);
	if (sys >= 0)
		fprintf(out, "event: %s : Sys (ns in kernel mode)\n", ids[sys]);
	if (off >= 0)
		fprintf(out, "event: %s : Off-CPU (ns waiting)\n", ids[off]);
	fputs("events:", out);
	for (int e = 0; e < nev; e++)
		fprintf(out, " %s", ids[e]);
	fputs("\nsummary:", out);
	for (int e = 0; e < nev; e++)
		fprintf(out, " %" PRIu64, total[e]);
	fputc('\n', out);

	for (size_t f = 0; f < rep->nfuncs; f++) {
		const lp_func_stat *fs = &rep->funcs[f];
		const char *cur = fl[f];

		while (c < rep->ncalls && calls[c]->caller < f)
			c++;
		if (!count[f] && (c == rep->ncalls || calls[c]->caller != f))
			continue;
		fputc('\n', out);
		if (fs->module < p->nmodules)
			fprintf(out, "ob=%s\n", p->modules[fs->module].path);
		fprintf(out, "fl=%s\nfn=%s\n", cur, fs->name);
		for (size_t i = first[f]; i < first[f] + count[f]; i++) {
			const lp_line_stat *l = lines[i];
			const char *file = l->file ? lp_render_relpath(l->file) : fl[f];

			if (strcmp(file, cur) != 0)
				fprintf(out, "fi=%s\n", cur = file);
			fprintf(out, "%d", l->file ? l->line : 0);
			costs(out, rep, l);
			fputc('\n', out);
		}
		for (; c < rep->ncalls && calls[c]->caller == f; c++) {
			const lp_call *k = calls[c];
			const lp_func_stat *callee = &rep->funcs[k->callee];
			const char *file = k->file ? lp_render_relpath(k->file) : fl[f];

			if (strcmp(file, cur) != 0)
				fprintf(out, "fi=%s\n", cur = file);
			if (callee->module < p->nmodules)
				fprintf(out, "cob=%s\n", p->modules[callee->module].path);
			fprintf(out, "cfl=%s\ncfn=%s\ncalls=%" PRIu64 " %d\n%d", fl[k->callee], callee->name,
				k->samples ? k->samples : 1, callee->file ? callee->decl_line : 0,
				k->file ? k->line : 0);
			call_costs(out, rep, k);
			fputc('\n', out);
		}
	}
	free(lines), free(calls), free(first), free(count), free(fl);
	return ferror(out) ? lp_error_set(err, LP_EFAIL, "lineprof: cannot write the callgrind file")
			   : LP_OK;
}
