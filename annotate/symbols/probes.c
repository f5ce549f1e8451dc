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
#include "fnindex.h"
#include "symbolize.h"


/* Candidate addresses of one module, as ELF virtual addresses. */
typedef struct lp_pquery {
	lp_fnindex *ix;
	const uint64_t *keys;  /* the functions asked for (sorted) */
	size_t nkeys;
	int *found;            /* per key: a copy with code was seen */
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

/* The index into q->keys of key, or -1. */
static int key_index(const lp_pquery *q, uint64_t key)
{
	for (size_t i = 0; i < q->nkeys; i++)
		if (q->keys[i] == key)
			return (int)i;
	return -1;
}

/* die is a copy of a function asked for, or of code outlined from one (its -f table holds both). */
static int wanted(const lp_pquery *q, Dwarf_Die *die)
{
	uint64_t key = lp_fnindex_die_key(q->ix, die, NULL);
	int i = key_index(q, key);
	lp_fn *fn;

	if (i < 0 && (fn = lp_fnindex_get(q->ix, key)) != NULL && fn->outlined)
		i = key_index(q, fn->owner);
	return i;
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
	    !lp_die_has_code(die) || (i = wanted(q, die)) < 0)
		return LP_WALK_NEXT;
	rc = lp_ranges_add_die(&own, die);
	if (rc == 0)
		rc = lp_ranges_add_callees(&callees, die, 0);
	if (rc == 0 && own.n)
		rc = pquery_rows(q, cudie, &own, &callees);
	if (own.n)
		q->found[i] = 1;
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

/* The function the report will count a hit at file offset off for is one asked for. */
static int innermost_is(lp_symtab *st, uint64_t off, const lp_pquery *q)
{
	const lp_frame *fr;
	lp_loc loc = { 0, off };

	lp_symtab_lookup(st, loc, 0, &fr);
	return fr[0].fn->id.module == 0 &&
	       (key_index(q, fr[0].fn->id.key) >= 0 || key_index(q, fr[0].fn->owner->id.key) >= 0);
}

/*
 * The probes of one module file for the patterns still missing (found[]
 * marks what this file has code for). 0, or -1 when out of memory.
 */
static int module_probes(const char *path, const lp_fnpat *pats, int npats, int *found,
			 lp_pout *out)
{
	lp_pquery q = { 0 };
	lp_profile *prof = lp_profile_new();
	lp_symtab *st = NULL;
	lp_error err = { 0 };
	lp_loadmap map = { 0 };
	lp_dwfile *f;
	uint64_t *keys = NULL;
	int *owner = NULL;   /* per key: the pattern it came from */
	size_t nkeys = 0;
	Dwarf *dw;
	int rc = 0;

	if (!prof || lp_profile_module(prof, path, NULL, 0) < 0 || !(st = lp_symtab_new(prof, &err))) {
		rc = -1;
		goto out;
	}
	if (!(q.ix = lp_symtab_fnindex(st, 0)) || !(dw = lp_fnindex_dwarf(q.ix)))
		goto out;
	/* The functions each pattern names here: the report's resolver. */
	for (int i = 0; i < npats && rc == 0; i++) {
		const lp_func_desc **fns = NULL;
		int n;

		if (found[i])
			continue;
		n = lp_symtab_resolve(st, &pats[i], &fns, NULL);
		if (n < 0)
			rc = -1;
		for (int k = 0; k < n && rc == 0; k++) {
			uint64_t *kv = realloc(keys, (nkeys + 1) * sizeof(*kv));
			int *ov = kv ? realloc(owner, (nkeys + 1) * sizeof(*ov)) : NULL;

			if (kv)
				keys = kv;
			if (!ov) {
				rc = -1;
				break;
			}
			owner = ov;
			keys[nkeys] = fns[k]->id.key;
			owner[nkeys++] = i;
		}
		free(fns);
	}
	if (rc != 0 || nkeys == 0)
		goto out;
	q.keys = keys;
	q.nkeys = nkeys;
	if (!(q.found = calloc(nkeys, sizeof(*q.found)))) {
		rc = -1;
		goto out;
	}
	f = lp_symtab_dwfile(st, 0);
	/* DWARF address + dwbias = Dwfl address = ELF vaddr + file bias. */
	q.to_vaddr = lp_fnindex_dwbias(q.ix) - f->bias;
	if (lp_loadmap_read(&map, f->elf) == 0)
		lp_dwarf_walk(dw, pquery_visit, &q);
	if (q.oom)
		rc = -1;
	if (rc == 0 && q.n) {
		qsort(q.addrs, q.n, sizeof(*q.addrs), cmp_u64);
		for (size_t i = 0; rc == 0 && i < q.n; i++) {
			uint64_t off;

			if ((i > 0 && q.addrs[i] == q.addrs[i - 1]) ||
			    lp_loadmap_offset(&map, q.addrs[i], &off) != 0 || !innermost_is(st, off, &q))
				continue;
			rc = pout_add(out, path, off);
		}
	}
	for (size_t k = 0; rc == 0 && k < nkeys; k++)
		if (q.found[k])
			found[owner[k]] = 1;
out:
	lp_loadmap_free(&map);
	lp_symtab_free(st);
	lp_profile_free(prof);
	free(keys);
	free(owner);
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
	lp_fnpat *pats = calloc((size_t)nfunctions + 1, sizeof(*pats));
	int rc = 0, missing = -1, parsed = 0;

	*probes = NULL;
	*nprobes = 0;
	if (!real || !found || !pats) {
		int e = errno;

		free(real);
		free(found);
		free(pats);
		if (e == ENOMEM || !found || !pats)
			return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
		return lp_error_set(err, LP_EFAIL, "lineprof: %s: %s", exe, strerror(e));
	}
	for (; rc == 0 && parsed < nfunctions; parsed++)
		rc = lp_fnpat_parse(&pats[parsed], functions[parsed]);
	for (int i = 0; rc == 0 && i < nfunctions; i++)
		if (pats[i].region) {
			rc = lp_error_set(err, LP_EUSAGE, "lineprof: --hits on a region of source (%s) "
					  "is not supported yet: name the function", functions[i]);
			goto done;
		}
	if (rc == 0)
		rc = module_probes(real, pats, nfunctions, found, &out);
	for (int i = 0; i < nfunctions && missing < 0; i++)
		if (!found[i])
			missing = i;
	/* Libraries only for names the executable lacks, as the pre-run check does. */
	if (rc == 0 && missing >= 0 && lp_needed_resolve(real, &libs, &nlibs) == 0) {
		for (size_t l = 0; rc == 0 && l < nlibs && missing >= 0; l++) {
			rc = module_probes(libs[l], pats, nfunctions, found, &out);
			missing = -1;
			for (int i = 0; i < nfunctions && missing < 0; i++)
				if (!found[i])
					missing = i;
		}
		lp_needed_free(libs, nlibs);
	}
	if (rc != 0) {
		rc = lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	} else if (missing >= 0) {
		rc = lp_error_set(err, LP_EFAIL,
				  "lineprof: --hits: function '%s' has no code in %s or its libraries "
				  "to count (inlined everywhere and optimized away?)",
				  functions[missing], exe);
	}
done:
	free(real);
	free(found);
	for (int i = 0; i < parsed; i++)
		lp_fnpat_free(&pats[i]);
	free(pats);
	if (rc != LP_OK) {
		lp_annotate_probes_free(out.v, out.n);
		return rc;
	}
	*probes = out.v;
	*nprobes = out.n;
	return LP_OK;
}
