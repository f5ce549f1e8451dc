/*
 * --hits: where to place the counting uprobes for the lines of -f functions.
 *
 * A probe goes on the first address of every line-table row with is_stmt
 * inside each copy of the function: its out-of-line body and every inlined
 * copy, minus the code of what is inlined into it. Each candidate is then
 * symbolized exactly as the report will symbolize the hit (lp_symtab on a
 * one-module profile), and kept only when the innermost function there is
 * the -f function: the report can then never put a hit on a line of another
 * function. Addresses become FILE OFFSETS through the PT_LOAD headers, as
 * the uprobe API and the profile model want them.
 *
 * How the counts of one line's probes combine into its Hits is the report's
 * business (aggregate.c): per copy of the function, the largest count.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dwarf.h>

#include "lineprof/annotate.h"
#include "dwarf_file.h"
#include "elf_file.h"
#include "symbolize.h"


/* Candidate addresses of one module, as ELF virtual addresses. */
typedef struct lp_pquery {
	const char *const *names;
	int nnames;
	int *found;            /* per name: a copy with code was seen */
	const char **dwname;   /* per name: its DW_AT_name, as the symbolizer will give it */
	Dwarf_Addr to_vaddr;   /* ELF vaddr = DWARF address + to_vaddr */
	uint64_t *addrs;
	size_t n, cap;
	int oom;
} lp_pquery;

static int pquery_add(lp_pquery *q, uint64_t a)
{
	if (q->n == q->cap) {
		size_t cap = q->cap ? 2 * q->cap : 256;
		uint64_t *v = realloc(q->addrs, cap * sizeof(*v));

		if (!v)
			return -1;
		q->addrs = v;
		q->cap = cap;
	}
	q->addrs[q->n++] = a;
	return 0;
}

static int name_index(const lp_pquery *q, Dwarf_Die *die)
{
	const char *name = lp_die_name(die), *link = lp_die_linkage_name(die);

	for (int i = 0; i < q->nnames; i++)
		if ((name && strcmp(name, q->names[i]) == 0) ||
		    (link && strcmp(link, q->names[i]) == 0))
			return i;
	return -1;
}

/* The is_stmt rows in own and not in callees: their addresses. */
static int pquery_rows(lp_pquery *q, Dwarf_Die *cudie, const lp_ranges *own,
		       const lp_ranges *callees)
{
	Dwarf_Lines *lines;
	size_t nlines;

	if (dwarf_getsrclines(cudie, &lines, &nlines) != 0)
		return 0;
	for (size_t i = 0; i < nlines; i++) {
		Dwarf_Line *row = dwarf_onesrcline(lines, i);
		Dwarf_Addr a = 0;
		bool stmt = false, end = false;
		int line = 0;

		if (!row || dwarf_lineaddr(row, &a) != 0 || dwarf_linebeginstatement(row, &stmt) != 0 ||
		    dwarf_lineendsequence(row, &end) != 0 || dwarf_lineno(row, &line) != 0)
			continue;
		if (!stmt || end || line <= 0 || !lp_ranges_has(own, a) || lp_ranges_has(callees, a))
			continue;
		if (pquery_add(q, a + q->to_vaddr) != 0)
			return -1;
	}
	return 0;
}

static enum lp_walk pquery_visit(Dwarf_Die *die, Dwarf_Die *cudie, void *arg)
{
	lp_pquery *q = arg;
	lp_ranges own = { 0 }, callees = { 0 };
	int tag = dwarf_tag(die), i, rc;

	if ((tag != DW_TAG_subprogram && tag != DW_TAG_inlined_subroutine) ||
	    !lp_die_has_code(die) || (i = name_index(q, die)) < 0)
		return LP_WALK_NEXT;
	rc = lp_ranges_add_die(&own, die);
	if (rc == 0)
		rc = lp_ranges_add_callees(&callees, die, 0);
	if (rc == 0 && own.n)
		rc = pquery_rows(q, cudie, &own, &callees);
	if (own.n) {
		q->found[i] = 1;
		if (!q->dwname[i])
			q->dwname[i] = lp_die_name(die);
	}
	free(own.r);
	free(callees.r);
	if (rc != 0) {
		q->oom = 1;
		return LP_WALK_STOP;
	}
	return LP_WALK_NEXT;   /* copies of the function may be inlined inside this one */
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The probes' growing array; paths are malloc'd, one per probe. */
typedef struct lp_pout {
	lp_probe *v;
	size_t n, cap;
} lp_pout;

static int pout_add(lp_pout *o, const char *path, uint64_t off)
{
	char *copy;

	if (o->n == o->cap) {
		size_t cap = o->cap ? 2 * o->cap : 64;
		lp_probe *v = realloc(o->v, cap * sizeof(*v));

		if (!v)
			return -1;
		o->v = v;
		o->cap = cap;
	}
	copy = strdup(path);
	if (!copy)
		return -1;
	o->v[o->n].path = copy;
	o->v[o->n].offset = off;
	o->n++;
	return 0;
}

/* The function the report will name at file offset off of path (innermost frame). */
static int innermost_is(lp_symtab *st, uint64_t off, const char *const *names, int nnames)
{
	const lp_frame *fr;
	lp_loc loc = { 0, off };

	lp_symtab_lookup(st, loc, 0, &fr);
	for (int i = 0; i < nnames; i++)
		if (fr[0].function && strcmp(fr[0].function, names[i]) == 0)
			return 1;
	return 0;
}

/*
 * The probes of one module file for the names still missing (found[] marks
 * what this file defines). 0, or -1 when out of memory.
 */
static int module_probes(const char *path, const char *const *names, int nnames, int *found,
			 lp_pout *out)
{
	lp_pquery q = { .names = names, .nnames = nnames };
	lp_dwfile f;
	lp_loadmap map = { 0 };
	Dwarf *dw;
	Dwarf_Addr dwbias = 0;
	lp_profile *prof = NULL;
	lp_symtab *st = NULL;
	lp_error err = { 0 };
	const char **dwnames = NULL;
	int ndw = 0, rc = 0;

	if (lp_dwfile_open(&f, path) != 0)
		return 0;
	dw = dwfl_module_getdwarf(f.mod, &dwbias);
	q.found = calloc((size_t)nnames, sizeof(*q.found));
	q.dwname = calloc((size_t)nnames, sizeof(*q.dwname));
	dwnames = calloc((size_t)nnames, sizeof(*dwnames));
	if (!q.found || !q.dwname || !dwnames)
		rc = -1;
	/* DWARF address + dwbias = Dwfl address = ELF vaddr + file bias. */
	q.to_vaddr = dwbias - f.bias;
	if (rc == 0 && dw && lp_loadmap_read(&map, f.elf) == 0)
		lp_dwarf_walk(dw, pquery_visit, &q);
	if (q.oom)
		rc = -1;
	if (rc == 0 && q.n) {
		prof = lp_profile_new();
		if (!prof || lp_profile_module(prof, path, NULL, 0) < 0 ||
		    !(st = lp_symtab_new(prof, &err)))
			rc = -1;
	}
	/* The names this file has, as the symbolizer will spell them (not linkage names). */
	for (int i = 0; rc == 0 && i < nnames; i++)
		if (q.found[i] && q.dwname[i])
			dwnames[ndw++] = q.dwname[i];
	if (rc == 0 && q.n) {
		qsort(q.addrs, q.n, sizeof(*q.addrs), cmp_u64);
		for (size_t i = 0; rc == 0 && i < q.n; i++) {
			uint64_t off;

			if ((i > 0 && q.addrs[i] == q.addrs[i - 1]) ||
			    lp_loadmap_offset(&map, q.addrs[i], &off) != 0 ||
			    !innermost_is(st, off, dwnames, ndw))
				continue;
			rc = pout_add(out, path, off);
		}
	}
	for (int i = 0; rc == 0 && i < nnames; i++)
		found[i] |= q.found[i];
	lp_symtab_free(st);
	lp_profile_free(prof);
	lp_loadmap_free(&map);
	lp_dwfile_close(&f);
	free(dwnames);
	free(q.dwname);
	free(q.found);
	free(q.addrs);
	return rc;
}

void lp_annotate_probes_free(lp_probe *probes, size_t nprobes)
{
	for (size_t i = 0; probes && i < nprobes; i++)
		free((char *)probes[i].path);
	free(probes);
}

int lp_annotate_probes(const char *exe, const char *const *functions, int nfunctions,
		       lp_probe **probes, size_t *nprobes, lp_error *err)
{
	lp_pout out = { 0 };
	char *real = realpath(exe, NULL);
	char **libs = NULL;
	size_t nlibs = 0;
	int *found = calloc((size_t)nfunctions + 1, sizeof(*found));
	int rc = 0, missing = -1;

	*probes = NULL;
	*nprobes = 0;
	if (!real || !found) {
		int e = errno;

		free(real);
		free(found);
		if (e == ENOMEM || !found)
			return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
		return lp_error_set(err, LP_EFAIL, "lineprof: %s: %s", exe, strerror(e));
	}
	rc = module_probes(real, functions, nfunctions, found, &out);
	for (int i = 0; i < nfunctions && missing < 0; i++)
		if (!found[i])
			missing = i;
	/* Libraries only for names the executable lacks, as the pre-run check does. */
	if (rc == 0 && missing >= 0 && lp_needed_resolve(real, &libs, &nlibs) == 0) {
		for (size_t l = 0; rc == 0 && l < nlibs && missing >= 0; l++) {
			const char **rest = calloc((size_t)nfunctions, sizeof(*rest));
			int *idx = calloc((size_t)nfunctions, sizeof(*idx)), *got = NULL, nrest = 0;

			if (!rest || !idx) {
				rc = -1;
			} else {
				for (int i = 0; i < nfunctions; i++)
					if (!found[i])
						idx[nrest] = i, rest[nrest++] = functions[i];
				got = calloc((size_t)nrest, sizeof(*got));
				rc = got ? module_probes(libs[l], rest, nrest, got, &out) : -1;
				for (int k = 0; rc == 0 && k < nrest; k++)
					found[idx[k]] |= got[k];
			}
			free(rest);
			free(idx);
			free(got);
			missing = -1;
			for (int i = 0; i < nfunctions && missing < 0; i++)
				if (!found[i])
					missing = i;
		}
		lp_needed_free(libs, nlibs);
	}
	free(real);
	if (rc != 0) {
		free(found);
		lp_annotate_probes_free(out.v, out.n);
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	}
	if (missing >= 0) {
		rc = lp_error_set(err, LP_EFAIL,
				  "lineprof: --hits: function '%s' has no code in %s or its libraries "
				  "to count (inlined everywhere and optimized away?)",
				  functions[missing], exe);
		free(found);
		lp_annotate_probes_free(out.v, out.n);
		return rc;
	}
	free(found);
	*probes = out.v;
	*nprobes = out.n;
	return LP_OK;
}
