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
 *
 * Those row addresses are what is COUNTED; where the probes go is the hit
 * plan's business (the second half of this file): every instruction of a
 * basic block runs as often as the block, and flow conservation gives most
 * blocks' counts from a few others' (counters.c), so the plan probes one
 * instruction in as few and as cold blocks as it can, and after the run
 * turns their counts into the rows' (lp_hitplan_apply). The profile then
 * holds the rows' counts, exactly as if each row had had its own probe.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dwarf.h>

#include "lineprof/annotate.h"
#include "code.h"
#include "containers.h"
#include "counters.h"
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
	if (LP_GROW(q->addrs, q->n, q->cap))
		return -1;
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

	if (LP_GROW(o->v, o->n, o->cap))
		return -1;
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

/* ---- the hit plan: one probe per block that flow conservation cannot do without ---- */

#define LP_PLAN_MAX_BLOCKS 4000   /* above this, bridge tests get slow: count each row */

/* A row to count: its count is the sum of terms[first .. last) over the probes. */
typedef struct lp_hitrow {
	const char *path;      /* a probe's path string */
	uint64_t offset;
	size_t first, last;
	long fn;               /* its function's balance (fns[]), -1: counted by its own probe */
	int own;               /* a probe on the row's own address gives its count */
} lp_hitrow;

/*
 * A function placed by blocks: the signed sum of terms[first .. last) is
 * its entries (and landing pads') minus its exits, 0 when every activation
 * that came in went out again, as flow conservation assumes.
 */
typedef struct lp_hitfn {
	size_t first, last;
} lp_hitfn;

struct lp_hitplan {
	lp_probe *probes;      /* paths malloc'd */
	size_t nprobes, capprobes;
	lp_hitrow *rows;
	size_t nrows;
	lp_count_term *terms;  /* index: a probe */
	size_t nterms, capterms;
	lp_hitfn *fns;
	size_t nfns;
	size_t nfuncs, nfallback;
};

static long plan_probe(lp_hitplan *hp, const char *path, uint64_t off)
{
	lp_pout o = { hp->probes, hp->nprobes, hp->capprobes };

	for (size_t i = 0; i < hp->nprobes; i++)
		if (hp->probes[i].offset == off && strcmp(hp->probes[i].path, path) == 0)
			return (long)i;
	if (pout_add(&o, path, off) != 0)
		return -1;
	hp->probes = o.v;
	hp->nprobes = o.n;
	hp->capprobes = o.cap;
	return (long)hp->nprobes - 1;
}

static int plan_term(lp_hitplan *hp, uint32_t probe, int32_t sign)
{
	if (LP_GROW(hp->terms, hp->nterms, hp->capterms))
		return -1;
	hp->terms[hp->nterms++] = (lp_count_term){ probe, sign };
	return 0;
}

/* A row counted by its own probe. */
static int plan_row_direct(lp_hitplan *hp, lp_hitrow *row)
{
	long p = plan_probe(hp, row->path, row->offset);

	if (p < 0)
		return -1;
	row->first = hp->nterms;
	if (plan_term(hp, (uint32_t)p, 1) != 0)
		return -1;
	row->last = hp->nterms;
	row->path = hp->probes[p].path;
	row->fn = -1;
	row->own = 1;
	return 0;
}

/*
 * Flow conservation can be checked after the run only if the function's
 * entries and exits can be counted apart: its entry block is entered from
 * nowhere inside it, and every block that leaves it goes nowhere inside it.
 */
static int balance_measurable(const lp_cfg *g)
{
	for (size_t e = 0; e < g->nedges; e++)
		if ((int)g->edges[e].to == g->entry || g->blocks[g->edges[e].from].exits)
			return 0;
	return 1;
}

static int is_row(lp_hitrow *const *rows, size_t n, uint64_t off)
{
	for (size_t i = 0; i < n; i++)
		if (rows[i]->offset == off)
			return 1;
	return 0;
}

/*
 * The instruction of block b to probe: one the kernel emulates (half the
 * price of a single-stepped one), preferably where a row starts, whose
 * count then stands on its own even if the flow does not balance.
 */
static const lp_insn *probe_insn(const lp_fcode *fc, const lp_block *b, lp_hitrow *const *rows,
				 size_t n)
{
	const lp_insn *emu = NULL, *row = NULL;

	for (size_t i = 0; i < b->n; i++) {
		const lp_insn *x = &fc->insns[b->first + i];
		int r = is_row(rows, n, x->offset);

		if (x->emulated && r)
			return x;
		if (x->emulated && !emu)
			emu = x;
		if (r && !row)
			row = x;
	}
	return emu ? emu : row ? row : &fc->insns[b->first];
}

/* What measuring block b costs: its expected runs (10^loop depth) times the probe's price. */
static double block_cost(const lp_fcode *fc, size_t b, lp_hitrow *const *rows, size_t n)
{
	const lp_cfg *g = &fc->cfg;
	double c = 1.0;

	for (int d = 0; d < g->blocks[b].depth && d < 9; d++)
		c *= 10.0;
	/* A loop's header runs at least as often as any block of its body. */
	if (g->blocks[b].loop >= 0 && g->loops[g->blocks[b].loop].header == (int)b)
		c *= 1.5;
	return probe_insn(fc, &g->blocks[b], rows, n)->emulated ? c : 2.0 * c;
}

/* rows[0..n) all lie in fc: place its counters, or count each row where it cannot. */
static int plan_function(lp_hitplan *hp, const lp_fcode *fc, lp_hitrow **rows, size_t n,
			 const char *path)
{
	const lp_cfg *g = &fc->cfg;
	uint8_t *wanted = NULL, *must = NULL;
	double *cost = NULL;
	long *pidx = NULL;
	int *block = calloc(n + 1, sizeof(*block)), rc = -1;
	lp_count_plan cp = { 0 };
	int direct = !fc || g->has_indirect || g->nblocks == 0 || g->nblocks > LP_PLAN_MAX_BLOCKS ||
		     !balance_measurable(g);
	lp_hitfn *fn;

	if (!block)
		return -1;
	/* A row starting inside an instruction: the decoding disagrees with DWARF; count it directly. */
	for (size_t i = 0; i < n && !direct; i++) {
		long k = lp_fcode_insn_at(fc, rows[i]->offset);

		if (k < 0 || fc->insns[k].offset != rows[i]->offset ||
		    (block[i] = lp_cfg_block_of(g, (size_t)k)) < 0)
			direct = 1;
	}
	hp->nfuncs++;
	if (direct) {
		hp->nfallback++;
		for (size_t i = 0; i < n; i++)
			if (plan_row_direct(hp, rows[i]) != 0)
				goto out;
		rc = 0;
		goto out;
	}
	wanted = calloc(g->nblocks, 1);
	must = calloc(g->nblocks, 1);
	cost = malloc(g->nblocks * sizeof(*cost));
	fn = realloc(hp->fns, (hp->nfns + 1) * sizeof(*hp->fns));
	if (!wanted || !must || !cost || !fn)
		goto out;
	hp->fns = fn;
	for (size_t i = 0; i < n; i++)
		wanted[block[i]] = 1;
	/* The entries and exits are counted: after the run they must balance. */
	for (size_t b = 0; b < g->nblocks; b++) {
		cost[b] = block_cost(fc, b, rows, n);
		must[b] = (int)b == g->entry || g->blocks[b].exits || g->blocks[b].unknown_entry;
	}
	if (lp_count_place(g, wanted, must, cost, &cp) != 0)
		goto out;
	if (cp.nmeasured == 0) {
		/* Nothing to measure would mean nothing runs: count the rows themselves. */
		hp->nfallback++;
		for (size_t i = 0; i < n; i++)
			if (plan_row_direct(hp, rows[i]) != 0)
				goto out;
		rc = 0;
		goto out;
	}
	pidx = malloc((cp.nmeasured + 1) * sizeof(*pidx));
	if (!pidx)
		goto out;
	for (size_t m = 0; m < cp.nmeasured; m++)
		if ((pidx[m] = plan_probe(hp, path, probe_insn(fc, &g->blocks[cp.measured[m]], rows,
								 n)->offset)) < 0)
			goto out;
	fn = &hp->fns[hp->nfns];
	fn->first = hp->nterms;
	for (size_t b = 0; b < g->nblocks; b++) {
		long m = lp_count_measured(&cp, (int)b);

		if (must[b] && m >= 0 && (int)b == g->entry &&
		    plan_term(hp, (uint32_t)pidx[m], 1) != 0)
			goto out;
		if (must[b] && m >= 0 && g->blocks[b].unknown_entry && (int)b != g->entry &&
		    plan_term(hp, (uint32_t)pidx[m], 1) != 0)
			goto out;
		if (must[b] && m >= 0 && g->blocks[b].exits && plan_term(hp, (uint32_t)pidx[m], -1) != 0)
			goto out;
	}
	fn->last = hp->nterms;
	for (size_t i = 0; i < n; i++) {
		size_t k0 = cp.first[block[i]];

		rows[i]->first = hp->nterms;
		for (size_t k = k0; k < cp.first[block[i] + 1]; k++)
			if (plan_term(hp, (uint32_t)pidx[cp.terms[k].index], cp.terms[k].sign) != 0)
				goto out;
		rows[i]->last = hp->nterms;
		rows[i]->path = hp->probes[pidx[0]].path;
		rows[i]->fn = (long)hp->nfns;
		rows[i]->own = cp.first[block[i] + 1] == k0 + 1 && cp.terms[k0].sign == 1 &&
			       hp->probes[pidx[cp.terms[k0].index]].offset == rows[i]->offset;
	}
	hp->nfns++;
	rc = 0;
out:
	lp_count_plan_free(&cp);
	free(wanted);
	free(must);
	free(cost);
	free(pidx);
	free(block);
	return rc;
}

typedef struct lp_rowfn {
	lp_hitrow *row;
	const lp_fcode *fc;
} lp_rowfn;

static int cmp_rowfn(const void *pa, const void *pb)
{
	const lp_rowfn *a = pa, *b = pb;

	if (a->fc != b->fc)
		return (uintptr_t)a->fc < (uintptr_t)b->fc ? -1 : 1;
	return (a->row->offset > b->row->offset) - (a->row->offset < b->row->offset);
}

/* The rows rows[0..n) of one module file, grouped by the function whose code holds them. */
static int plan_module(lp_hitplan *hp, lp_hitrow *rows, size_t n, const char *path, int per_row)
{
	lp_profile *prof = lp_profile_new();
	lp_symtab *st = NULL;
	lp_codetab *ct = NULL;
	lp_rowfn *v = malloc((n + 1) * sizeof(*v));
	lp_hitrow **group = malloc((n + 1) * sizeof(*group));
	lp_error err = { 0 };
	int rc = -1;

	if (!prof || !v || !group || lp_profile_module(prof, path, NULL, 0) < 0 ||
	    !(st = lp_symtab_new(prof, &err)) || !(ct = lp_codetab_new(st)))
		goto out;
	for (size_t i = 0; i < n; i++) {
		const lp_fcode *fc = NULL;

		if (!per_row && lp_codetab_function(ct, (lp_loc){ 0, rows[i].offset }, &fc, NULL) ==
				LP_CODE_NOMEM)
			goto out;
		v[i] = (lp_rowfn){ &rows[i], fc };
	}
	qsort(v, n, sizeof(*v), cmp_rowfn);
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i; j < n && v[j].fc == v[i].fc; j++)
			group[j - i] = v[j].row;
		if (!v[i].fc) {
			/* No code to reason about (or LINEPROF_HITS=rows): a probe per row. */
			for (size_t k = 0; k < j - i; k++)
				if (plan_row_direct(hp, group[k]) != 0)
					goto out;
			if (!per_row)
				hp->nfallback++, hp->nfuncs++;
			continue;
		}
		if (plan_function(hp, v[i].fc, group, j - i, path) != 0)
			goto out;
	}
	rc = 0;
out:
	free(v);
	free(group);
	lp_codetab_free(ct);
	lp_symtab_free(st);
	lp_profile_free(prof);
	return rc;
}

int lp_annotate_hitplan(const char *exe, const char *const *functions, int nfunctions,
			int per_row, lp_hitplan **out, lp_error *err)
{
	lp_hitplan *hp = calloc(1, sizeof(*hp));
	lp_probe *rows = NULL;
	size_t nrows = 0;
	int rc;

	*out = NULL;
	if (!hp)
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	rc = lp_annotate_probes(exe, functions, nfunctions, &rows, &nrows, err);
	if (rc != LP_OK) {
		free(hp);
		return rc;
	}
	hp->rows = calloc(nrows + 1, sizeof(*hp->rows));
	if (!hp->rows)
		goto nomem;
	for (size_t i = 0; i < nrows; i++)
		hp->rows[i] = (lp_hitrow){ .path = rows[i].path, .offset = rows[i].offset, .fn = -1 };
	hp->nrows = nrows;
	/* Rows are sorted by module file: plan each file's at once. */
	for (size_t i = 0, j; i < nrows; i = j) {
		for (j = i; j < nrows && strcmp(rows[j].path, rows[i].path) == 0; j++)
			;
		if (plan_module(hp, &hp->rows[i], j - i, rows[i].path, per_row) != 0)
			goto nomem;
	}
	lp_annotate_probes_free(rows, nrows);
	*out = hp;
	return LP_OK;
nomem:
	/* Rows not planned yet still point into rows[]: forget them before it goes. */
	hp->nrows = 0;
	lp_annotate_probes_free(rows, nrows);
	lp_hitplan_free(hp);
	return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
}

const lp_probe *lp_hitplan_probes(const lp_hitplan *hp, size_t *n)
{
	*n = hp->nprobes;
	return hp->probes;
}

void lp_hitplan_describe(const lp_hitplan *hp, size_t *rows, size_t *funcs, size_t *fallback)
{
	*rows = hp->nrows;
	*funcs = hp->nfuncs;
	*fallback = hp->nfallback;
}

void lp_hitplan_free(lp_hitplan *hp)
{
	if (!hp)
		return;
	lp_annotate_probes_free(hp->probes, hp->nprobes);
	free(hp->rows);
	free(hp->terms);
	free(hp->fns);
	free(hp);
}

static long module_of(const lp_profile *prof, const char *path)
{
	for (size_t m = 0; m < prof->nmodules; m++)
		if (prof->modules[m].path && strcmp(prof->modules[m].path, path) == 0)
			return (long)m;
	return -1;
}

static int cmp_hit(const void *pa, const void *pb)
{
	const lp_hit *a = pa, *b = pb;

	if (a->loc.module != b->loc.module)
		return a->loc.module < b->loc.module ? -1 : 1;
	return (a->loc.offset > b->loc.offset) - (a->loc.offset < b->loc.offset);
}

int lp_hitplan_apply(const lp_hitplan *hp, lp_profile *prof, size_t *lost, lp_error *err)
{
	uint64_t *count = calloc(hp->nprobes + 1, sizeof(*count));
	uint8_t *have = calloc(hp->nprobes + 1, 1);
	lp_hit *hits = malloc((prof->nhits + 1) * sizeof(*hits)), *rowhits = NULL;
	uint8_t *unbalanced = calloc(hp->nfns + 1, 1);
	size_t nrh = 0;
	int rc = LP_OK;

	*lost = 0;
	rowhits = malloc((hp->nrows + 1) * sizeof(*rowhits));
	if (!count || !have || !hits || !rowhits || !unbalanced) {
		rc = lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
		goto out;
	}
	memcpy(hits, prof->hits, prof->nhits * sizeof(*hits));
	if (prof->nhits)
		qsort(hits, prof->nhits, sizeof(*hits), cmp_hit);
	for (size_t i = 0; i < hp->nprobes; i++) {
		long m = module_of(prof, hp->probes[i].path);
		lp_hit key = { { (uint32_t)m, hp->probes[i].offset }, 0 };
		const lp_hit *h = m < 0 ? NULL : bsearch(&key, hits, prof->nhits, sizeof(*hits), cmp_hit);

		if (h) {
			count[i] = h->count;
			have[i] = 1;
		}
	}
	/* Functions whose activations did not all leave: only rows with a probe of their own stay. */
	for (size_t f = 0; f < hp->nfns; f++) {
		int64_t sum = 0;

		int read = 1;

		for (size_t k = hp->fns[f].first; k < hp->fns[f].last; k++) {
			read &= have[hp->terms[k].index];
			sum += hp->terms[k].sign * (int64_t)count[hp->terms[k].index];
		}
		unbalanced[f] = !read || sum != 0;
	}
	for (size_t r = 0; r < hp->nrows; r++) {
		const lp_hitrow *row = &hp->rows[r];
		long m = module_of(prof, row->path);
		int64_t sum = 0;
		int ok = m >= 0 && (row->own || row->fn < 0 || !unbalanced[row->fn]);

		for (size_t k = row->first; ok && k < row->last; k++) {
			ok = have[hp->terms[k].index];
			sum += hp->terms[k].sign * (int64_t)count[hp->terms[k].index];
		}
		if (!ok || sum < 0) {
			++*lost;
			continue;
		}
		rowhits[nrh].loc = (lp_loc){ (uint32_t)m, row->offset };
		rowhits[nrh++].count = (uint64_t)sum;
	}
	lp_profile_clear_hits(prof);
	for (size_t i = 0; i < nrh && rc == LP_OK; i++)
		if (lp_profile_add_hits(prof, rowhits[i].loc, rowhits[i].count))
			rc = lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
out:
	free(count);
	free(have);
	free(hits);
	free(rowhits);
	free(unbalanced);
	return rc;
}
