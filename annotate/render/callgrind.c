/*
 * --callgrind FILE: the profile in Callgrind's format, for KCachegrind,
 * QCachegrind and callgrind_annotate. Positions are instructions and source
 * lines ("positions: instr line"): an instruction is its ELF virtual
 * address, which KCachegrind's Machine Code view looks up in objdump's
 * disassembly of the ob= file. Events:
 * the sampled event's values (for a clock: nanoseconds), the sample count,
 * then the other events read with each sample; names become identifiers
 * ("cpu-clock" -> cpu_clock).
 *
 * File names are relative to the working directory when below it.
 * Per function: fl= its file, fn= its name, one cost line per sampled
 * instruction where it was the innermost frame, with its line (its self
 * cost; fi= when a line lies in another file). Per call site: cfl=/cfn= the
 * callee, calls= the number of samples through it (a sampling profile knows
 * no call counts) and the callee's entry (its first sampled instruction
 * when the entry is unknown) and first line, then the calling instruction
 * (the call, or for inlined code an instruction of it) and line with the
 * inclusive cost.
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

#include "codeview.h"
#include "render.h"

#ifndef LP_VERSION
#define LP_VERSION "?"
#endif

/* One instruction's self cost, in the function of its innermost frame. */
typedef struct lp_cgcost {
	const lp_func_desc *fn;         /* the function it is filed under (outlined code: its owner) */
	const char *file;
	int line;
	uint64_t instr;                 /* ELF virtual address, as objdump and KCachegrind see it */
	uint64_t samples;
	const uint64_t *value;
	lp_loc loc;
	uint64_t sys_value, off_ns;     /* kernel mode and off the CPU there */
} lp_cgcost;

/*
 * The file a function's block is filed under: callers must name the same.
 * Relative to the working directory when below it, as lineprof's tables
 * print them: callgrind_annotate strips its working directory from fl=
 * names but not from cfl= ones, and would see two functions otherwise.
 */
static const char *func_file(const lp_func_stat *f, const lp_cgcost *costs, size_t n)
{
	if (f->file)
		return lp_render_relpath(f->file);
	for (size_t i = 0; i < n; i++)
		if (costs[i].file)
			return lp_render_relpath(costs[i].file);
	return "???";
}

/*
 * A value of the format is the rest of its line: a newline in a name (or in
 * the command line of an old profile) would start a record of its own. Control
 * characters are written as \n, \t, \xNN instead. A name that starts like
 * the format's name compression, "(12) ...", gets a compression id of its
 * own in front, which readers strip: it then reads back as itself (ids NULL:
 * a value that is not a name, such as cmd:).
 */
static void put_name(FILE *out, const char *key, const char *name, unsigned *ids)
{
	unsigned d;
	int n = 0;

	fputs(key, out);
	if (ids && name[0] == '(' && sscanf(name, "(%u)%n", &d, &n) == 1 && n > 0)
		fprintf(out, "(%u) ", 1000000u + (*ids)++);
	for (const unsigned char *c = (const unsigned char *)name; *c; c++) {
		if (*c == '\n')
			fputs("\\n", out);
		else if (*c == '\t')
			fputs("\\t", out);
		else if (*c < 0x20 || *c == 0x7f)
			fprintf(out, "\\x%02x", *c);
		else
			fputc(*c, out);
	}
	fputc('\n', out);
}

static int cmp_cost(const void *pa, const void *pb)
{
	const lp_cgcost *a = pa, *b = pb;
	int c;

	if (a->fn != b->fn)
		return (uintptr_t)a->fn < (uintptr_t)b->fn ? -1 : 1;
	if (a->file != b->file) {
		if (!a->file || !b->file)
			return a->file ? 1 : -1;
		if ((c = strcmp(a->file, b->file)))
			return c;
	}
	if (a->instr != b->instr)
		return a->instr < b->instr ? -1 : 1;
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

static void costs(FILE *out, const lp_report *rep, const lp_cgcost *l)
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
		fprintf(out, " %" PRIu64, l->sys_value);
	if (rep->has_off)
		fprintf(out, " %" PRIu64, l->off_ns);
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

/* Where a call to function f lands: its entry when its code is known, else its first cost. */
static uint64_t target_instr(const lp_report *rep, const lp_func_stat *fs, const lp_cgcost *c,
			     size_t n)
{
	uint64_t entry;

	if (n && lp_codeview_entry(rep, c[0].loc, fs->name, &entry) == 0)
		return entry;
	return n ? c[0].instr : 0;
}

int lp_render_callgrind(const lp_render_ctx *ctx, FILE *out, lp_error *err)
{
	const lp_report *rep = ctx->rep;
	const lp_profile *p = rep->prof;
	size_t na = lp_codeview_naddrs(rep);
	lp_cgcost *cs = malloc((na + 1) * sizeof(*cs));
	const lp_call **calls = malloc((rep->ncalls + 1) * sizeof(*calls));
	size_t *first = malloc((rep->nfuncs + 1) * sizeof(*first));
	size_t *count = calloc(rep->nfuncs + 1, sizeof(*count));
	const char **fl = malloc((rep->nfuncs + 1) * sizeof(*fl));
	uint64_t *target = malloc((rep->nfuncs + 1) * sizeof(*target));
	uint64_t total[LP_MAX_EVENTS + 3] = { 0 };
	char ids[LP_MAX_EVENTS + 3][LP_EVENT_NAME_MAX + 4];
	size_t nc = 0, c = 0;
	int nev = p->nevents + 1, s = p->nevents ? 1 : 0; /* s: the samples column */
	unsigned ids_fl = 0, ids_fn = 0, ids_ob = 0; /* compression ids, for names like "(1) x" */
	int sys = rep->has_sys ? nev++ : -1, off = rep->has_off ? nev++ : -1;

	if (!cs || !calls || !first || !count || !fl || !target) {
		free(cs), free(calls), free(first), free(count), free(fl), free(target);
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	}
	for (size_t i = 0; i < na; i++) {
		lp_cv_addr a;

		const lp_counts *cnt = &p->addrs[i].c; /* codeview's addresses are the profile's */

		lp_codeview_addr(rep, i, &a);
		if (!a.samples && !cnt->sys_samples && !cnt->off_count)
			continue;
		cs[nc++] = (lp_cgcost){ a.frame->fn->owner ? a.frame->fn->owner : a.frame->fn, a.frame->file,
					a.frame->file ? a.frame->line : 0, a.vaddr, a.samples, a.value, a.loc,
					cnt->sys_value,
					cnt->off_ns[LP_OFF_BLOCKED] + cnt->off_ns[LP_OFF_RUNNABLE] };
	}
	if (nc)
		qsort(cs, nc, sizeof(*cs), cmp_cost);
	for (size_t i = 0; i < rep->ncalls; i++)
		calls[i] = &rep->calls[i];
	if (rep->ncalls)
		qsort(calls, rep->ncalls, sizeof(*calls), cmp_call_ptr);
	/* Each function's self costs: a run of the sorted array (same interned desc). */
	for (size_t f = 0; f < rep->nfuncs; f++) {
		size_t lo = 0, hi = nc;

		while (lo < hi) {
			size_t mid = (lo + hi) / 2;

			if ((uintptr_t)cs[mid].fn < (uintptr_t)rep->funcs[f].fn)
				lo = mid + 1;
			else
				hi = mid;
		}
		first[f] = lo;
		while (lo + count[f] < nc && cs[lo + count[f]].fn == rep->funcs[f].fn)
			count[f]++;
		fl[f] = func_file(&rep->funcs[f], cs + first[f], count[f]);
		target[f] = target_instr(rep, &rep->funcs[f], cs + first[f], count[f]);
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
	for (size_t i = 0; i < nc; i++) {
		if (p->nevents)
			total[0] += cs[i].value[0];
		total[s] += cs[i].samples;
		for (int e = 1; e < p->nevents; e++)
			total[e + 1] += cs[i].value[e];
		if (sys >= 0)
			total[sys] += cs[i].sys_value;
		if (off >= 0)
			total[off] += cs[i].off_ns;
	}

	fputs("# callgrind format\nversion: 1\n", out);
	fprintf(out, "creator: lineprof %s\n", LP_VERSION);
	if (p->command)
		put_name(out, "cmd: ", p->command, NULL); /* not a name: no compression */
	if (p->nevents)
		fprintf(out, "desc: Sampled: %s%s, %" PRIu64 " samples%s\n", p->events[0].measured,
			strstr(p->events[0].measured, "clock") ? " (ns)" : "", p->samples,
			rep->inclusive_from_stacks ? ", call stacks (-g)"
						   : ", no call stacks: calls are inlining only");
	fputs("positions: instr line\n", out);
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
			put_name(out, "ob=", p->modules[fs->module].path, &ids_ob);
		put_name(out, "fl=", cur, &ids_fl);
		put_name(out, "fn=", lp_report_label(rep, fs->fn), &ids_fn);
		for (size_t i = first[f]; i < first[f] + count[f]; i++) {
			const lp_cgcost *l = &cs[i];
			const char *file = l->file ? lp_render_relpath(l->file) : fl[f];

			if (strcmp(file, cur) != 0)
				put_name(out, "fi=", cur = file, &ids_fl);
			fprintf(out, "0x%" PRIx64 " %d", l->instr, l->line);
			costs(out, rep, l);
			fputc('\n', out);
		}
		for (; c < rep->ncalls && calls[c]->caller == f; c++) {
			const lp_call *k = calls[c];
			const lp_func_stat *callee = &rep->funcs[k->callee];
			const char *file = k->file ? lp_render_relpath(k->file) : fl[f];
			uint64_t at = 0;

			if (strcmp(file, cur) != 0)
				put_name(out, "fi=", cur = file, &ids_fl);
			if (lp_codeview_insn_vaddr(rep, k->loc, k->loc_is_return, &at) != 0)
				at = k->loc.offset - (k->loc_is_return && k->loc.offset ? 1 : 0);
			if (callee->module < p->nmodules)
				put_name(out, "cob=", p->modules[callee->module].path, &ids_ob);
			put_name(out, "cfl=", fl[k->callee], &ids_fl);
			put_name(out, "cfn=", lp_report_label(rep, callee->fn), &ids_fn);
			/* calls= at least 1: a call site with waits only has no samples through it. */
			fprintf(out, "calls=%" PRIu64 " 0x%" PRIx64 " %d\n0x%" PRIx64 " %d",
				k->samples ? k->samples : 1, target[k->callee],
				callee->file ? callee->decl_line : 0, at, k->file ? k->line : 0);
			call_costs(out, rep, k);
			fputc('\n', out);
		}
	}
	free(cs), free(calls), free(first), free(count), free(fl), free(target);
	return ferror(out) ? lp_error_set(err, LP_EFAIL, "lineprof: cannot write the callgrind file")
			   : LP_OK;
}
