/*
 * Aggregation: symbolize each distinct address (and each distinct stack)
 * once, and add its counts to per-line, per-function and per-edge sums.
 * Work is proportional to distinct addresses and stacks, never to samples.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codeview.h"
#include "containers.h"
#include "report.h"

/* The frame outlined code's stack gets for its function at the region's line. */
typedef struct lp_region_frame {
	const lp_func_desc *outlined;
	lp_frame frame;
} lp_region_frame;

/* A label that tells a function apart from others of its name. */
typedef struct lp_label {
	const lp_func_desc *fn;
	char *text;
} lp_label;

struct lp_report_index {
	lp_keymap lines, funcs, edges, calls;
	size_t cap_lines, cap_funcs, cap_edges, cap_calls;
	uint64_t total_value0;
	lp_region_frame **regions;
	size_t nregions;
	lp_label *labels;       /* sorted by fn */
	size_t nlabels;
	int labelled;
};

/* Descs are interned by the symbolizer: one function, one pointer. */
static lp_line_stat *line_get(lp_report *rep, const lp_frame *f)
{
	uint64_t key[3] = { (uintptr_t)f->file, (uint64_t)f->line, (uintptr_t)f->fn };
	int added;
	long i = lp_keymap_get(&rep->index->lines, key, &added);

	if (i < 0 || lp_grow_zeroed((void **)&rep->lines, &rep->index->cap_lines, (size_t)i + 1,
			  sizeof(*rep->lines)))
		return NULL;
	if (added) {
		rep->lines[i].file = f->file;
		rep->lines[i].line = f->line;
		rep->lines[i].fn = f->fn;
		rep->lines[i].function = f->fn->name;
		rep->lines[i].module = f->module;
		rep->nlines = (size_t)i + 1;
	}
	return &rep->lines[i];
}

/* The function a frame counts for: outlined code counts for its owner. */
static long func_get(lp_report *rep, const lp_frame *f)
{
	const lp_func_desc *fn = f->fn->owner ? f->fn->owner : f->fn;
	uint64_t key[3] = { (uintptr_t)fn, 0, 0 };
	int added;
	long i = lp_keymap_get(&rep->index->funcs, key, &added);

	if (i < 0 || lp_grow_zeroed((void **)&rep->funcs, &rep->index->cap_funcs, (size_t)i + 1,
			  sizeof(*rep->funcs)))
		return -1;
	if (added) {
		rep->funcs[i].fn = fn;
		rep->funcs[i].name = fn->name;
		rep->funcs[i].file = fn->decl_file;
		rep->funcs[i].decl_line = fn->decl_line;
		rep->funcs[i].module = fn == f->fn ? f->module : fn->id.module;
		rep->nfuncs = (size_t)i + 1;
	}
	return i;
}

static int outlined(const lp_frame *f)
{
	return f->fn->owner && f->fn->owner != f->fn;
}

/* The region frame of outlined function fn; created when make, else NULL if none yet. */
static const lp_frame *region_frame(const lp_report *rep, const lp_func_desc *fn, int make)
{
	struct lp_report_index *ix = rep->index;
	lp_region_frame *r, **v;

	for (size_t i = 0; i < ix->nregions; i++)
		if (ix->regions[i]->outlined == fn)
			return &ix->regions[i]->frame;
	if (!make || !fn->region_line)
		return NULL;
	v = realloc(ix->regions, (ix->nregions + 1) * sizeof(*v));
	if (!v)
		return NULL;
	ix->regions = v;
	if (!(r = calloc(1, sizeof(*r))))
		return NULL;
	r->outlined = fn;
	r->frame.fn = fn->owner;
	r->frame.function = fn->owner->name;
	r->frame.file = fn->region_file;
	r->frame.line = fn->region_line;
	r->frame.decl_file = fn->owner->decl_file;
	r->frame.decl_line = fn->owner->decl_line;
	r->frame.module = fn->owner->id.module;
	ix->regions[ix->nregions++] = r;
	return &r->frame;
}

/*
 * After the outermost frame of a run of code outlined from one function
 * (f[i]), that function at the region's line, unless it is above already
 * (the thread that started the region): see lp_report_chain. NULL: nothing.
 */
static const lp_frame *region_after(const lp_report *rep, const lp_frame *const *f, int n, int i,
				    int make)
{
	const lp_func_desc *owner;

	if (!outlined(f[i]))
		return NULL;
	owner = f[i]->fn->owner;
	if (i + 1 < n && f[i + 1]->fn->owner == owner)
		return NULL;
	for (int j = i + 1; j < n; j++)
		if (f[j]->fn == owner)
			return NULL;
	return region_frame(rep, f[i]->fn, make);
}

static int chain_regions(const lp_report *rep, const lp_frame **f, int n, int max, int make)
{
	for (int i = 0; i < n; i++) {
		const lp_frame *rf = region_after(rep, f, n, i, make);

		if (!rf || n >= max)
			continue;
		memmove(&f[i + 2], &f[i + 1], (size_t)(n - i - 1) * sizeof(*f));
		f[i + 1] = rf;
		n++;
	}
	return n;
}

static int edge_add(lp_report *rep, long caller, long callee, const lp_counts *cnt)
{
	uint64_t key[3] = { (uint64_t)caller, (uint64_t)callee, 0 };
	int added;
	long i = lp_keymap_get(&rep->index->edges, key, &added);

	if (i < 0 || lp_grow_zeroed((void **)&rep->edges, &rep->index->cap_edges, (size_t)i + 1,
			  sizeof(*rep->edges)))
		return -1;
	if (added) {
		rep->edges[i].caller = (uint32_t)caller;
		rep->edges[i].callee = (uint32_t)callee;
		rep->nedges = (size_t)i + 1;
	}
	rep->edges[i].samples += cnt->samples;
	rep->edges[i].value0 += cnt->value[0];
	rep->edges[i].sys_value += cnt->sys_value;
	rep->edges[i].off_ns += cnt->off_ns[LP_OFF_BLOCKED] + cnt->off_ns[LP_OFF_RUNNABLE];
	return 0;
}

static int call_add(lp_report *rep, const lp_frame *at, lp_loc loc, int is_return, long caller,
		    long callee, const lp_counts *cnt)
{
	uint64_t key[3] = { (uintptr_t)at->file, (uint64_t)at->line,
			    (uint64_t)caller << 32 | (uint64_t)callee };
	int added;
	long i = lp_keymap_get(&rep->index->calls, key, &added);

	if (i < 0 || lp_grow_zeroed((void **)&rep->calls, &rep->index->cap_calls, (size_t)i + 1,
			  sizeof(*rep->calls)))
		return -1;
	if (added) {
		rep->calls[i].file = at->file;
		rep->calls[i].line = at->line;
		rep->calls[i].caller = (uint32_t)caller;
		rep->calls[i].callee = (uint32_t)callee;
		rep->calls[i].loc = loc;
		rep->calls[i].loc_is_return = is_return;
		rep->ncalls = (size_t)i + 1;
	}
	/* One address of the call site, the same whatever the order of the stacks. */
	if (loc.module < rep->calls[i].loc.module ||
	    (loc.module == rep->calls[i].loc.module && loc.offset < rep->calls[i].loc.offset)) {
		rep->calls[i].loc = loc;
		rep->calls[i].loc_is_return = is_return;
	}
	rep->calls[i].samples += cnt->samples;
	rep->calls[i].value0 += cnt->value[0];
	rep->calls[i].sys_value += cnt->sys_value;
	rep->calls[i].off_ns += cnt->off_ns[LP_OFF_BLOCKED] + cnt->off_ns[LP_OFF_RUNNABLE];
	return 0;
}

/*
 * Kernel mode and off-CPU counts at one address, by kind of wait: what was
 * runnable yielded or was preempted; what blocked outside a system call
 * faulted (page-in), and what blocked in one is told by the function it
 * blocked in.
 */
static void waits_of(const lp_report *rep, const lp_addr *a, const lp_frame *leaf, lp_waits *w)
{
	const lp_counts *c = &a->c;
	int blocked = -1, runnable;

	memset(w, 0, sizeof(*w));
	w->sys_samples = c->sys_samples;
	w->sys_value = c->sys_value;
	w->off_count = c->off_count;
	for (int i = 0; i < LP_NOFF; i++)
		w->off_ns[i] = c->off_ns[i];
	/* A group's counts (groups.h) keep the waits' time, not their number. */
	if (!c->off_count && !c->off_ns[LP_OFF_BLOCKED] && !c->off_ns[LP_OFF_RUNNABLE])
		return;
	if (c->off_ns[LP_OFF_BLOCKED]) {
		int after = rep->sym.after_syscall ? rep->sym.after_syscall(rep->sym.ctx, a->loc) : -1;

		blocked = lp_wait_kind(leaf->function, 0, after);
		w->kind_ns[blocked] += c->off_ns[LP_OFF_BLOCKED];
	}
	if (c->off_ns[LP_OFF_RUNNABLE]) {
		runnable = lp_wait_kind(leaf->function, 1, -1);
		w->kind_ns[runnable] += c->off_ns[LP_OFF_RUNNABLE];
	}
}

void lp_waits_add(lp_waits *dst, const lp_waits *src)
{
	dst->sys_samples += src->sys_samples;
	dst->sys_value += src->sys_value;
	dst->off_count += src->off_count;
	for (int i = 0; i < LP_NOFF; i++)
		dst->off_ns[i] += src->off_ns[i];
	for (int i = 0; i < LP_NWAIT; i++)
		dst->kind_ns[i] += src->kind_ns[i];
}

/* Self counts: the innermost frame at each sampled address. */
static int add_self(lp_report *rep, const lp_addr *a, size_t ai)
{
	const lp_frame *fr;
	lp_line_stat *ls;
	lp_waits w;
	long fi;

	rep->sym.lookup(rep->sym.ctx, a->loc, 0, &fr);
	ls = line_get(rep, &fr[0]);
	fi = func_get(rep, &fr[0]);
	if (!ls || fi < 0)
		return -1;
	/* Where this address went, for the views by context (contexts.c). */
	rep->addr_line[ai] = (uint32_t)(ls - rep->lines);
	rep->addr_func[ai] = (uint32_t)fi;
	ls->samples += a->c.samples;
	rep->funcs[fi].self_samples += a->c.samples;
	for (int e = 0; e < rep->prof->nevents; e++) {
		ls->value[e] += a->c.value[e];
		rep->funcs[fi].self_value[e] += a->c.value[e];
	}
	rep->index->total_value0 += a->c.value[0];
	waits_of(rep, a, &fr[0], &w);
	lp_waits_add(&ls->w, &w);
	lp_waits_add(&rep->funcs[fi].self_w, &w);
	return 0;
}

/*
 * Inclusive counts for one chain of logical frames (leaf first): each
 * distinct line and function in it gets the samples once, so recursion is
 * not counted twice; adjacent functions make an edge (a function calling
 * itself too), and the caller's line a call site (not for recursion), each
 * also counted once per chain.
 */
typedef struct lp_chain {
	const lp_frame *f[LP_MAX_STACK * 4];
	lp_loc loc[LP_MAX_STACK * 4];   /* the address each frame was looked up at */
	uint8_t ret[LP_MAX_STACK * 4];  /* ... as a return address */
	int n;
} lp_chain;

static int add_chain(lp_report *rep, const lp_chain *c, const lp_counts *cnt)
{
	uint64_t samples = cnt->samples, value0 = cnt->value[0], sys = cnt->sys_value;
	uint64_t off = cnt->off_ns[LP_OFF_BLOCKED] + cnt->off_ns[LP_OFF_RUNNABLE];
	long funcs[LP_MAX_STACK * 4];
	lp_line_stat *lines[LP_MAX_STACK * 4];
	struct { long caller, callee; const lp_frame *at; } pairs[LP_MAX_STACK * 4];
	int nf = 0, nl = 0, np = 0;
	long prev = -1;

	for (int i = 0; i < c->n; i++) {
		lp_line_stat *ls = line_get(rep, c->f[i]);
		long fi = func_get(rep, c->f[i]);
		int seen = 0;

		if (!ls || fi < 0)
			return -1;
		for (int j = 0; j < nl && !seen; j++)
			seen = lines[j] == ls;
		if (!seen) {
			lines[nl++] = ls;
			ls->incl_samples += samples;
			ls->incl_value0 += value0;
			ls->incl_sys_value += sys;
			ls->incl_off_ns += off;
		}
		seen = 0;
		for (int j = 0; j < nf && !seen; j++)
			seen = funcs[j] == fi;
		if (!seen) {
			funcs[nf++] = fi;
			rep->funcs[fi].total_samples += samples;
			rep->funcs[fi].total_value0 += value0;
			rep->funcs[fi].total_sys_value += sys;
			rep->funcs[fi].total_off_ns += off;
		}
		/* Outlined code and its function are one: no edge between them. */
		if (prev >= 0 && prev == fi && outlined(c->f[i - 1])) {
			prev = fi;
			continue;
		}
		if (prev >= 0) {
			int seen_edge = 0, seen_call = prev == fi; /* recursion: an edge, no call site */

			for (int j = 0; j < np; j++) {
				if (pairs[j].caller != fi || pairs[j].callee != prev)
					continue;
				seen_edge = 1;
				if (pairs[j].at->file == c->f[i]->file && pairs[j].at->line == c->f[i]->line)
					seen_call = 1;
			}
			if (!seen_edge && edge_add(rep, fi, prev, cnt))
				return -1;
			if (!seen_call && call_add(rep, c->f[i], c->loc[i], c->ret[i], fi, prev, cnt))
				return -1;
			pairs[np].caller = fi;
			pairs[np].callee = prev;
			pairs[np++].at = c->f[i];
		}
		prev = fi;
	}
	return 0;
}

#define LP_CHAIN_MAX ((int)(sizeof(((lp_chain *)0)->f) / sizeof(((lp_chain *)0)->f[0])))

static void chain_append(lp_chain *c, const lp_frame *fr, int n, lp_loc loc, int is_return)
{
	for (int i = 0; i < n && c->n < LP_CHAIN_MAX; i++) {
		c->loc[c->n] = loc;
		c->ret[c->n] = is_return != 0;
		c->f[c->n++] = &fr[i];
	}
}

/* chain_regions on a whole chain: an inserted frame is at its outlined callee's address. */
static void chain_regions_at(const lp_report *rep, lp_chain *c)
{
	for (int i = 0; i < c->n; i++) {
		const lp_frame *rf = region_after(rep, c->f, c->n, i, 1);

		if (!rf || c->n >= LP_CHAIN_MAX)
			continue;
		memmove(&c->f[i + 2], &c->f[i + 1], (size_t)(c->n - i - 1) * sizeof(c->f[0]));
		memmove(&c->loc[i + 2], &c->loc[i + 1], (size_t)(c->n - i - 1) * sizeof(c->loc[0]));
		memmove(&c->ret[i + 2], &c->ret[i + 1], (size_t)(c->n - i - 1) * sizeof(c->ret[0]));
		c->f[i + 1] = rf;
		c->loc[i + 1] = c->loc[i];
		c->ret[i + 1] = c->ret[i];
		c->n++;
	}
}

static int add_inclusive(lp_report *rep)
{
	const lp_profile *p = rep->prof;
	lp_chain *c = malloc(sizeof(*c));
	int rc = 0;

	if (!c)
		return -1;
	rep->inclusive_from_stacks = p->callchain && p->nstacks > 0;
	if (rep->inclusive_from_stacks) {
		for (size_t s = 0; s < p->nstacks && rc == 0; s++) {
			const lp_stack *st = &p->stacks[s];

			c->n = 0;
			for (uint32_t d = 0; d < st->depth; d++) {
				const lp_frame *fr;
				int n = rep->sym.lookup(rep->sym.ctx, p->frames[st->first + d], d > 0, &fr);

				chain_append(c, fr, n, p->frames[st->first + d], d > 0);
			}
			chain_regions_at(rep, c);
			rc = add_chain(rep, c, &st->c);
		}
	} else {
		/* Without stacks, inlining is the only nesting we know of. */
		for (size_t a = 0; a < p->naddrs && rc == 0; a++) {
			const lp_frame *fr;
			int n = rep->sym.lookup(rep->sym.ctx, p->addrs[a].loc, 0, &fr);

			c->n = 0;
			chain_append(c, fr, n, p->addrs[a].loc, 0);
			chain_regions_at(rep, c);
			rc = add_chain(rep, c, &p->addrs[a].c);
		}
	}
	free(c);
	return rc;
}

/*
 * Hits: the probes of one line combine per copy of its function as the
 * LARGEST count, and the copies (the out-of-line body, each inlined copy,
 * told apart by their chains of callers) add up. A line is one or more
 * rows of the line table, and a row's first instruction runs once per entry
 * into it; at -O0 a line whose code all runs when it runs (one basic block,
 * or blocks that a join such as a loop test follows) is best counted by its
 * most-run row: the loop test of `for (i = 0; i < n; i++)` runs n + 1 times
 * while the init runs once and the increment n times, and gcov's count for
 * that line is n + 1. Summing would count the header 2n + 2 times. See
 * lineprof(1), HITS AND GCOV, for the shapes where this and gcov differ.
 */
typedef struct lp_hitgroup {
	size_t line;            /* index into rep->lines */
	uint64_t sig;           /* hash of the caller chain (0: the out-of-line body) */
	const lp_frame *fr;     /* the chain, to compare when hashes agree */
	int n;
	uint64_t count;
} lp_hitgroup;

static uint64_t chain_sig(const lp_frame *fr, int n)
{
	uint64_t h = 0;

	for (int i = 1; i < n; i++) {
		h = (h ^ (uintptr_t)fr[i].fn) * 0x9e3779b97f4a7c15ULL;
		h = (h ^ (uintptr_t)fr[i].file) * 0xbf58476d1ce4e5b9ULL;
		h = (h ^ (uint64_t)(unsigned)fr[i].line) * 0x94d049bb133111ebULL;
	}
	return h;
}

static int same_chain(const lp_hitgroup *a, const lp_hitgroup *b)
{
	if (a->line != b->line || a->sig != b->sig || a->n != b->n)
		return 0;
	for (int i = 1; i < a->n; i++)
		if (a->fr[i].fn != b->fr[i].fn || a->fr[i].file != b->fr[i].file ||
		    a->fr[i].line != b->fr[i].line)
			return 0;
	return 1;
}

static int cmp_hitgroup(const void *pa, const void *pb)
{
	const lp_hitgroup *a = pa, *b = pb;

	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->sig != b->sig)
		return a->sig < b->sig ? -1 : 1;
	return a->n < b->n ? -1 : a->n > b->n;
}

static int add_hits(lp_report *rep)
{
	const lp_profile *p = rep->prof;
	lp_hitgroup *g = malloc((p->nhits + 1) * sizeof(*g));

	if (!g)
		return -1;
	for (size_t h = 0; h < p->nhits; h++) {
		const lp_frame *fr;
		int n = rep->sym.lookup(rep->sym.ctx, p->hits[h].loc, 0, &fr);
		lp_line_stat *ls = line_get(rep, &fr[0]);

		if (!ls) {
			free(g);
			return -1;
		}
		ls->has_hits = 1;
		g[h] = (lp_hitgroup){ (size_t)(ls - rep->lines), chain_sig(fr, n), fr, n,
				      p->hits[h].count };
	}
	qsort(g, p->nhits, sizeof(*g), cmp_hitgroup);
	for (size_t i = 0; i < p->nhits;) {
		uint64_t best = g[i].count;
		size_t j = i + 1;

		/* Equal hashes sort together; a colliding chain (never seen) would just be a max too. */
		for (; j < p->nhits && same_chain(&g[i], &g[j]); j++)
			if (g[j].count > best)
				best = g[j].count;
		rep->lines[g[i].line].hits += best;
		i = j;
	}
	free(g);
	return 0;
}

typedef struct lp_line_order {
	lp_line_stat l;
	uint32_t old;
} lp_line_order;

static int cmp_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

/* Functions in a stable order: by name, then module, then address. */
static int cmp_desc(const lp_func_desc *a, const lp_func_desc *b)
{
	int c = cmp_str(a->name, b->name);

	if (c || a == b)
		return c;
	if (a->id.module != b->id.module)
		return a->id.module < b->id.module ? -1 : 1;
	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	return a->id.key < b->id.key ? -1 : a->id.key > b->id.key;
}

/* Samples or waits of its own: hottest-line lists end at the first line without (hits, or callees' only). */
int lp_line_has_own(const lp_line_stat *ls)
{
	return ls->samples || ls->w.sys_samples || ls->w.off_count || lp_waits_off_ns(&ls->w);
}

static int cmp_line(const void *pa, const void *pb)
{
	const lp_line_stat *a = &((const lp_line_order *)pa)->l, *b = &((const lp_line_order *)pb)->l;
	int c;

	if (a->rank != b->rank)
		return a->rank > b->rank ? -1 : 1;
	if (a->samples != b->samples)
		return a->samples > b->samples ? -1 : 1;
	/* Rank 0 holds preempted-only and count-less lines beside callers' and hits-only ones. */
	if (lp_line_has_own(a) != lp_line_has_own(b))
		return lp_line_has_own(a) ? -1 : 1;
	if ((c = cmp_str(a->file, b->file)))
		return c;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	return cmp_desc(a->fn, b->fn);
}

typedef struct lp_func_order {
	lp_func_stat f;
	uint32_t old;
} lp_func_order;

static int cmp_func(const void *pa, const void *pb)
{
	const lp_func_stat *a = &((const lp_func_order *)pa)->f, *b = &((const lp_func_order *)pb)->f;

	if (a->self_samples != b->self_samples)
		return a->self_samples > b->self_samples ? -1 : 1;
	if (a->total_samples != b->total_samples)
		return a->total_samples > b->total_samples ? -1 : 1;
	return cmp_desc(a->fn, b->fn);
}

/* Sorting moves entries: the maps are rebuilt and the edges renumbered. */
static int sort_all(lp_report *rep)
{
	lp_func_order *order = malloc((rep->nfuncs + 1) * sizeof(*order));
	uint32_t *newidx = malloc((rep->nfuncs + 1) * sizeof(*newidx));
	lp_line_order *lorder = malloc((rep->nlines + 1) * sizeof(*lorder));
	uint32_t *newline = malloc((rep->nlines + 1) * sizeof(*newline));
	int added;

	if (!order || !newidx || !lorder || !newline) {
		free(order);
		free(newidx);
		free(lorder);
		free(newline);
		return -1;
	}
	/*
	 * Hottest first: by Wall where time is measured, less the time spent
	 * waiting for a CPU (preemption falls where the program computes, in
	 * proportion: it adds only the machine's noise to the order, never
	 * anything the line did); else by counts.
	 */
	for (size_t i = 0; i < rep->nlines; i++) {
		lp_line_stat *l = &rep->lines[i];

		l->rank = rep->has_time ? l->value[0] + (rep->has_sys ? l->w.sys_value : 0)
				        : l->samples + l->w.sys_samples;
		if (rep->has_time && rep->has_off)
			l->rank += l->w.off_ns[LP_OFF_BLOCKED];
		lorder[i].l = rep->lines[i];
		lorder[i].old = (uint32_t)i;
	}
	if (rep->nlines) /* no samples: no array at all, and qsort wants one */
		qsort(lorder, rep->nlines, sizeof(*lorder), cmp_line);
	for (size_t i = 0; i < rep->nlines; i++) {
		rep->lines[i] = lorder[i].l;
		newline[lorder[i].old] = (uint32_t)i;
	}
	for (size_t a = 0; a < rep->prof->naddrs; a++)
		rep->addr_line[a] = newline[rep->addr_line[a]];
	free(lorder);
	free(newline);
	for (size_t i = 0; i < rep->nfuncs; i++) {
		order[i].f = rep->funcs[i];
		order[i].old = (uint32_t)i;
	}
	qsort(order, rep->nfuncs, sizeof(*order), cmp_func);
	for (size_t i = 0; i < rep->nfuncs; i++) {
		rep->funcs[i] = order[i].f;
		newidx[order[i].old] = (uint32_t)i;
	}
	for (size_t i = 0; i < rep->nedges; i++) {
		rep->edges[i].caller = newidx[rep->edges[i].caller];
		rep->edges[i].callee = newidx[rep->edges[i].callee];
	}
	for (size_t i = 0; i < rep->ncalls; i++) {
		rep->calls[i].caller = newidx[rep->calls[i].caller];
		rep->calls[i].callee = newidx[rep->calls[i].callee];
	}
	for (size_t a = 0; a < rep->prof->naddrs; a++)
		rep->addr_func[a] = newidx[rep->addr_func[a]];
	free(order);
	free(newidx);
	lp_keymap_free(&rep->index->lines);
	lp_keymap_free(&rep->index->funcs);
	for (size_t i = 0; i < rep->nlines; i++) {
		const lp_line_stat *l = &rep->lines[i];
		uint64_t key[3] = { (uintptr_t)l->file, (uint64_t)l->line, (uintptr_t)l->fn };

		if (lp_keymap_get(&rep->index->lines, key, &added) < 0)
			return -1;
	}
	for (size_t i = 0; i < rep->nfuncs; i++) {
		uint64_t key[3] = { (uintptr_t)rep->funcs[i].fn, 0, 0 };

		if (lp_keymap_get(&rep->index->funcs, key, &added) < 0)
			return -1;
	}
	return 0;
}

int lp_report_build(lp_report *rep, const lp_profile *prof, const lp_symbolizer *sym,
		    lp_error *err)
{
	int rc = 0;

	memset(rep, 0, sizeof(*rep));
	rep->prof = prof;
	rep->sym = *sym;
	rep->has_time = lp_profile_time_event(prof) == 0;
	rep->has_sys = rep->has_time && prof->kernel;
	rep->has_off = prof->off_cpu != 0;
	rep->has_wall = rep->has_time && rep->has_sys && rep->has_off;
	rep->index = calloc(1, sizeof(*rep->index));
	rep->code = lp_codeview_new();
	if (!rep->index || !rep->code) {
		lp_report_free(rep);
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	}
	rep->addr_line = malloc((prof->naddrs + 1) * sizeof(*rep->addr_line));
	rep->addr_func = malloc((prof->naddrs + 1) * sizeof(*rep->addr_func));
	if (!rep->addr_line || !rep->addr_func)
		rc = -1;
	for (size_t a = 0; a < prof->naddrs && rc == 0; a++)
		rc = add_self(rep, &prof->addrs[a], a);
	if (rc == 0)
		rc = add_inclusive(rep);
	if (rc == 0)
		rc = add_hits(rep);
	if (rc == 0)
		rc = sort_all(rep);
	if (rc != 0) {
		lp_report_free(rep);
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory while aggregating");
	}
	return LP_OK;
}

void lp_report_free(lp_report *rep)
{
	if (rep->index) {
		lp_keymap_free(&rep->index->lines);
		lp_keymap_free(&rep->index->funcs);
		lp_keymap_free(&rep->index->edges);
		lp_keymap_free(&rep->index->calls);
		for (size_t i = 0; i < rep->index->nregions; i++)
			free(rep->index->regions[i]);
		free(rep->index->regions);
		for (size_t i = 0; i < rep->index->nlabels; i++)
			free(rep->index->labels[i].text);
		free(rep->index->labels);
		free(rep->index);
	}
	for (size_t i = 0; i < rep->ntables; i++) {
		free(rep->tables[i].fns);
		free(rep->tables[i].title);
	}
	free(rep->tables);
	lp_codeview_free(rep->code);
	free(rep->lines);
	free(rep->funcs);
	free(rep->addr_line);
	free(rep->addr_func);
	free(rep->edges);
	free(rep->calls);
	memset(rep, 0, sizeof(*rep));
}

double lp_report_seconds(const lp_report *rep, uint64_t value0)
{
	return rep->has_time ? (double)value0 * 1e-9 : NAN;
}

uint64_t lp_waits_off_ns(const lp_waits *w)
{
	return w->off_ns[LP_OFF_BLOCKED] + w->off_ns[LP_OFF_RUNNABLE];
}

void lp_report_times(const lp_report *rep, uint64_t value0, uint64_t sys_value, uint64_t off_ns,
		     lp_times *t)
{
	t->time_s = lp_report_seconds(rep, value0);
	t->sys_s = rep->has_sys ? (double)sys_value * 1e-9 : NAN;
	t->off_s = rep->has_off ? (double)off_ns * 1e-9 : NAN;
	t->wall_s = rep->has_wall ? t->time_s + t->sys_s + t->off_s : NAN;
}

void lp_line_times(const lp_report *rep, const lp_line_stat *ls, lp_times *t)
{
	lp_report_times(rep, ls->value[0], ls->w.sys_value, lp_waits_off_ns(&ls->w), t);
}

void lp_line_incl_times(const lp_report *rep, const lp_line_stat *ls, lp_times *t)
{
	lp_report_times(rep, ls->incl_value0, ls->incl_sys_value, ls->incl_off_ns, t);
}

int lp_line_has_data(const lp_line_stat *ls)
{
	return lp_line_has_own(ls) || ls->has_hits;
}

int lp_line_has_incl(const lp_report *rep, const lp_line_stat *ls)
{
	return rep->has_time ? ls->incl_value0 > ls->value[0] : ls->incl_samples > ls->samples;
}

int lp_line_has_incl_wall(const lp_report *rep, const lp_line_stat *ls)
{
	return rep->has_wall && ls->incl_value0 + ls->incl_sys_value + ls->incl_off_ns >
				ls->value[0] + ls->w.sys_value + lp_waits_off_ns(&ls->w);
}

int lp_line_wait(const lp_line_stat *ls)
{
	int best = -1;

	for (int k = 0; k < LP_NWAIT; k++)
		if (ls->w.kind_ns[k] && (best < 0 || ls->w.kind_ns[k] > ls->w.kind_ns[best]))
			best = k;
	return best;
}

void lp_report_sums_of(const lp_report *rep, lp_report_sums *s)
{
	const lp_profile *p = rep->prof;
	double cpu = (double)p->task_clock_ns * 1e-9, seen;

	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < rep->nlines; i++) {
		const lp_line_stat *l = &rep->lines[i];

		s->samples += l->samples;
		s->value0 += l->value[0];
		s->sys_samples += l->w.sys_samples;
		s->sys_value += l->w.sys_value;
		s->off_count += l->w.off_count;
		for (int k = 0; k < LP_NOFF; k++)
			s->off_ns[k] += l->w.off_ns[k];
	}
	/*
	 * What task-clock counted that no line was charged with: all system
	 * time where kernel mode was not sampled, kernel samples without a user
	 * ip, sampling error. Never negative: the samples may overshoot a little.
	 */
	seen = (double)s->value0 * 1e-9 + (rep->has_sys ? (double)s->sys_value * 1e-9 : 0.0);
	s->unattributed_s = !rep->has_time ? NAN : cpu > seen ? cpu - seen : 0.0;
}

/* Names as the ELF and DWARF give them: "__GI___libc_read", "read@@GLIBC_2.2.5", "__read_nocancel". */
static void wait_base(const char *fn, char *buf, size_t size)
{
	static const char *const prefixes[] = { "__GI_", "__libc_", "__GI___libc_", "__" };
	const char *at;
	size_t n;

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		n = strlen(prefixes[i]);
		if (strncmp(fn, prefixes[i], n) == 0) {
			fn += n;
			i = (size_t)-1; /* again: "__GI___libc_read" */
		}
	}
	while (*fn == '_')
		fn++;
	at = strchr(fn, '@');
	n = at ? (size_t)(at - fn) : strlen(fn);
	if (n >= size)
		n = size - 1;
	memcpy(buf, fn, n);
	buf[n] = '\0';
	n = strlen(buf);
	if (n > 9 && strcmp(buf + n - 9, "_nocancel") == 0)
		buf[n -= 9] = '\0';
	if (n > 8 && strcmp(buf + n - 8, "_time64") == 0)
		buf[n -= 8] = '\0';
	if (n > 2 && strcmp(buf + n - 2, "64") == 0)
		buf[n -= 2] = '\0';
}

static int word_in(const char *w, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(w, *list) == 0)
			return 1;
	return 0;
}

int lp_wait_kind(const char *fn, int runnable, int after_syscall)
{
	static const char *const sleep[] = { "nanosleep", "clock_nanosleep", "usleep", "sleep",
					     "pause", NULL };
	static const char *const io[] = {
		"read", "write", "pread", "pwrite", "readv", "writev", "preadv", "pwritev",
		"preadv2", "pwritev2", "poll", "ppoll", "select", "pselect", "pselect6",
		"epoll_wait", "epoll_pwait", "epoll_pwait2", "recv", "recvfrom", "recvmsg",
		"recvmmsg", "send", "sendto", "sendmsg", "sendmmsg", "accept", "accept4",
		"connect", "fsync", "fdatasync", "syncfs", "sync", "msync", "open", "openat",
		"openat2", "close", "splice", "tee", "vmsplice", "sendfile", "copy_file_range",
		"io_getevents", "io_pgetevents", "io_uring_enter", "getdents", "fallocate",
		"ftruncate", "truncate", "sync_file_range", NULL };
	static const char *const lock_prefix[] = { "futex", "lll_lock", "lll_", "pthread_",
						   "sem_", "new_sem", "do_futex", "flock", NULL };
	char w[128];

	wait_base(fn ? fn : "", w, sizeof(w));
	if (strcmp(w, "sched_yield") == 0 || strcmp(w, "thrd_yield") == 0)
		return LP_WAIT_YIELD;
	if (runnable)
		return LP_WAIT_PREEMPTED;
	/* The code's evidence before the name's: blocked where no system call was made is a fault. */
	if (after_syscall == 0)
		return LP_WAIT_PAGEIN;
	if (word_in(w, sleep) || strstr(w, "nanosleep"))
		return LP_WAIT_SLEEP;
	if (word_in(w, io))
		return LP_WAIT_IO;
	for (const char *const *p = lock_prefix; *p; p++)
		if (strncmp(w, *p, strlen(*p)) == 0)
			return LP_WAIT_LOCK;
	return LP_WAIT_OTHER;
}

const char *lp_wait_name(int kind)
{
	static const char *const names[LP_NWAIT] = { "sleep", "io", "lock", "yield", "page-in",
						      "preempted", "other" };

	return kind >= 0 && kind < LP_NWAIT ? names[kind] : NULL;
}

size_t lp_report_nchains(const lp_report *rep)
{
	return rep->inclusive_from_stacks ? rep->prof->nstacks : rep->prof->naddrs;
}

int lp_report_chain(const lp_report *rep, size_t i, const lp_frame **frames, int max,
		    uint64_t *samples, uint64_t *value0)
{
	const lp_profile *p = rep->prof;
	const lp_frame *fr;
	int n = 0;

	if (!rep->inclusive_from_stacks) {
		int k = rep->sym.lookup(rep->sym.ctx, p->addrs[i].loc, 0, &fr);

		for (int j = 0; j < k && n < max; j++)
			frames[n++] = &fr[j];
		*samples = p->addrs[i].c.samples;
		*value0 = p->addrs[i].c.value[0];
		return chain_regions(rep, frames, n, max, 0);
	}
	for (uint32_t d = 0; d < p->stacks[i].depth && n < max; d++) {
		int k = rep->sym.lookup(rep->sym.ctx, p->frames[p->stacks[i].first + d], d > 0, &fr);

		for (int j = 0; j < k && n < max; j++)
			frames[n++] = &fr[j];
	}
	*samples = p->stacks[i].c.samples;
	*value0 = p->stacks[i].c.value[0];
	return chain_regions(rep, frames, n, max, 0);
}

const lp_counts *lp_report_chain_counts(const lp_report *rep, size_t i)
{
	return rep->inclusive_from_stacks ? &rep->prof->stacks[i].c : &rep->prof->addrs[i].c;
}

const lp_func_stat *lp_report_func(const lp_report *rep, lp_func_id id)
{
	for (size_t i = 0; i < rep->nfuncs; i++)
		if (lp_func_id_eq(rep->funcs[i].fn->id, id))
			return &rep->funcs[i];
	return NULL;
}

const lp_line_stat *lp_report_line(const lp_report *rep, const char *file, int line,
				   const lp_func_desc *fn)
{
	uint64_t key[3] = { (uintptr_t)file, (uint64_t)line, (uintptr_t)fn };
	long i = lp_keymap_find(&rep->index->lines, key);

	return i < 0 ? NULL : &rep->lines[i];
}

int lp_report_span(const lp_report *rep, lp_func_id id, const char **file, int *first,
		   int *last)
{
	const lp_func_desc *fn = NULL;

	if (rep->sym.span && rep->sym.span(rep->sym.ctx, id, file, first, last) == 0)
		return 0;
	for (size_t i = 0; i < rep->nlines && !fn; i++)
		if (lp_func_id_eq(rep->lines[i].fn->id, id))
			fn = rep->lines[i].fn;
	for (size_t i = 0; i < rep->nfuncs && !fn; i++)
		if (lp_func_id_eq(rep->funcs[i].fn->id, id))
			fn = rep->funcs[i].fn;
	if (!fn || !fn->decl_file)
		return -1;
	*file = fn->decl_file;
	*first = *last = fn->decl_line;
	for (size_t i = 0; i < rep->nlines; i++)
		if (rep->lines[i].fn == fn && rep->lines[i].file == fn->decl_file &&
		    rep->lines[i].line > *last)
			*last = rep->lines[i].line;
	return 0;
}

int lp_report_in_table(const lp_report *rep, const lp_ftable *t, const lp_line_stat *ls)
{
	(void)rep;
	if (t->region_file)
		return ls->file == t->region_file && ls->line >= t->first && ls->line <= t->last;
	for (size_t i = 0; i < t->nfns; i++)
		if (ls->fn == t->fns[i] || ls->fn->owner == t->fns[i])
			return 1;
	return 0;
}

void lp_report_table_sums(const lp_report *rep, const lp_ftable *t, uint64_t *samples,
			  uint64_t value[LP_MAX_EVENTS], lp_waits *w)
{
	*samples = 0;
	memset(value, 0, LP_MAX_EVENTS * sizeof(*value));
	memset(w, 0, sizeof(*w));
	for (size_t i = 0; i < rep->nlines; i++) {
		const lp_line_stat *ls = &rep->lines[i];

		if (!lp_report_in_table(rep, t, ls))
			continue;
		*samples += ls->samples;
		for (int e = 0; e < LP_MAX_EVENTS; e++)
			value[e] += ls->value[e];
		lp_waits_add(w, &ls->w);
	}
}

int lp_report_selected(const lp_report *rep, const lp_line_stat *ls)
{
	if (rep->ntables == 0)
		return 1;
	for (size_t i = 0; i < rep->ntables; i++)
		if (lp_report_in_table(rep, &rep->tables[i], ls))
			return 1;
	return 0;
}

/* ---- labels: names that collide, told apart ---- */

/* The distinct functions the report knows: lines, functions, tables. */
typedef struct lp_descset {
	const lp_func_desc **v;
	size_t n, cap;
} lp_descset;

static int descset_add(lp_descset *s, const lp_func_desc *d)
{
	if (!d)
		return 0;
	if (LP_GROW(s->v, s->n, s->cap))
		return -1;
	s->v[s->n++] = d;
	return 0;
}

static int cmp_ptr(const void *pa, const void *pb)
{
	uintptr_t a = (uintptr_t)*(const void *const *)pa, b = (uintptr_t)*(const void *const *)pb;

	return a < b ? -1 : a > b;
}

static int cmp_desc_ptr(const void *pa, const void *pb)
{
	const lp_func_desc *a = *(const lp_func_desc *const *)pa;
	const lp_func_desc *b = *(const lp_func_desc *const *)pb;

	return cmp_desc(a, b);
}

static const char *base_name(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;

	return s ? s + 1 : path;
}

/* Label of fn at level 1 ("[file:line]" or "[module]"), 2 ("[file:line, module]"), 3 ("[module+0xADDR]"). */
static char *make_label(const lp_func_desc *fn, int level)
{
	char buf[8192];

	if (level == 1 && fn->decl_file)
		snprintf(buf, sizeof(buf), "%s [%s:%d]", fn->name, base_name(fn->decl_file),
			 fn->decl_line);
	else if (level <= 2 && fn->decl_file)
		snprintf(buf, sizeof(buf), "%s [%s:%d, %s]", fn->name, base_name(fn->decl_file),
			 fn->decl_line, fn->module_name);
	else if (level == 1)
		snprintf(buf, sizeof(buf), "%s [%s]", fn->name, fn->module_name);
	else if (fn->addr != UINT64_MAX)
		snprintf(buf, sizeof(buf), "%s [%s+0x%llx]", fn->name, fn->module_name,
			 (unsigned long long)fn->addr);
	else
		snprintf(buf, sizeof(buf), "%s [%s+0x%llx]", fn->name, fn->module_name,
			 (unsigned long long)(fn->id.key & ((1ULL << 61) - 1)));
	return strdup(buf);
}

static int cmp_label_fn(const void *pa, const void *pb)
{
	const lp_label *a = pa, *b = pb;

	return (uintptr_t)a->fn < (uintptr_t)b->fn ? -1 : (uintptr_t)a->fn > (uintptr_t)b->fn;
}

/*
 * Labels for one group of functions sharing a name: all at level 1, then
 * those that still clash at the next level, and so on (decided on each
 * level's labels as a whole, so that the result never depends on order).
 */
static int label_group(struct lp_report_index *ix, const lp_func_desc **g, size_t n)
{
	char **text = calloc(n, sizeof(*text));
	char *clash = calloc(n, 1);
	int rc = text && clash ? 0 : -1;

	for (size_t i = 0; rc == 0 && i < n; i++)
		if (!(text[i] = make_label(g[i], 1)))
			rc = -1;
	for (int level = 2; level <= 3 && rc == 0; level++) {
		int any = 0;

		for (size_t i = 0; i < n; i++) {
			clash[i] = 0;
			for (size_t j = 0; j < n && !clash[i]; j++)
				clash[i] = j != i && strcmp(text[i], text[j]) == 0;
			any |= clash[i];
		}
		for (size_t i = 0; any && rc == 0 && i < n; i++) {
			if (!clash[i])
				continue;
			free(text[i]);
			if (!(text[i] = make_label(g[i], level)))
				rc = -1;
		}
	}
	for (size_t i = 0; text && i < n; i++) {
		lp_label *v;

		if (rc != 0 || !text[i] || !(v = realloc(ix->labels, (ix->nlabels + 1) * sizeof(*v)))) {
			free(text[i]);
			rc = -1;
			continue;
		}
		ix->labels = v;
		ix->labels[ix->nlabels++] = (lp_label){ g[i], text[i] };
	}
	free(text);
	free(clash);
	return rc;
}

static int make_labels(const lp_report *rep)
{
	struct lp_report_index *ix = rep->index;
	lp_descset set = { 0 };
	int rc = 0;

	ix->labelled = 1;
	for (size_t i = 0; i < rep->nlines && rc == 0; i++)
		rc = descset_add(&set, rep->lines[i].fn);
	for (size_t i = 0; i < rep->nfuncs && rc == 0; i++)
		rc = descset_add(&set, rep->funcs[i].fn);
	for (size_t t = 0; t < rep->ntables && rc == 0; t++)
		for (size_t i = 0; i < rep->tables[t].nfns && rc == 0; i++)
			rc = descset_add(&set, rep->tables[t].fns[i]);
	/* Each function once (lines repeat them), then by name: functions of one name together. */
	if (rc == 0 && set.n) {
		size_t k = 1;

		qsort(set.v, set.n, sizeof(*set.v), cmp_ptr);
		for (size_t i = 1; i < set.n; i++)
			if (set.v[i] != set.v[k - 1])
				set.v[k++] = set.v[i];
		set.n = k;
		qsort(set.v, set.n, sizeof(*set.v), cmp_desc_ptr);
	}
	for (size_t i = 0, j; rc == 0 && i < set.n; i = j) {
		for (j = i + 1; j < set.n && strcmp(set.v[j]->name, set.v[i]->name) == 0; j++)
			;
		if (j - i > 1)
			rc = label_group(ix, set.v + i, j - i);
	}
	if (ix->nlabels)
		qsort(ix->labels, ix->nlabels, sizeof(*ix->labels), cmp_label_fn);
	free(set.v);
	return rc;
}

const char *lp_report_label(const lp_report *rep, const lp_func_desc *fn)
{
	struct lp_report_index *ix = rep->index;
	size_t l = 0, u;

	if (!fn)
		return "?";
	if (!ix->labelled)
		make_labels(rep);
	u = ix->nlabels;
	while (l < u) {
		size_t mid = l + (u - l) / 2;

		if ((uintptr_t)ix->labels[mid].fn < (uintptr_t)fn)
			l = mid + 1;
		else
			u = mid;
	}
	return l < ix->nlabels && ix->labels[l].fn == fn ? ix->labels[l].text : fn->name;
}

/* ---- -f: what the user named ---- */

/* Without a symbolizer's resolver: the functions and files the samples have. */
static int resolve_seen(const lp_report *rep, const lp_fnpat *p, const lp_func_desc ***fns,
			const char **file, lp_closest *closest)
{
	lp_descset found = { 0 };

	*fns = NULL;
	if (p->region) {
		for (size_t i = 0; i < rep->nlines; i++)
			if (rep->lines[i].file && lp_fnpat_file(p, rep->lines[i].file)) {
				*file = rep->lines[i].file;
				return 1;
			}
		return 0;
	}
	for (int mode = LP_MATCH_EXACT; mode <= LP_MATCH_GLOB && found.n == 0; mode++) {
		for (size_t i = 0; i < rep->nlines + rep->nfuncs; i++) {
			const lp_func_desc *d = i < rep->nlines ? rep->lines[i].fn
							       : rep->funcs[i - rep->nlines].fn;
			lp_fncand c = { .name = d->name, .linkage = d->linkage, .base = d->name,
					.decl_file = d->decl_file, .decl_line = d->decl_line,
					.module = d->module_name, .entry = d->addr };
			int dup = 0;

			if (closest) {
				lp_closest_offer(closest, d->name);
				continue;
			}
			if (!lp_fnpat_match(p, &c, (enum lp_match_mode)mode))
				continue;
			for (size_t k = 0; k < found.n && !dup; k++)
				dup = found.v[k] == d;
			if (!dup && descset_add(&found, d) != 0) {
				free(found.v);
				return -1;
			}
		}
		if (closest)
			break;
	}
	if (found.n > 1)
		qsort(found.v, found.n, sizeof(*found.v), cmp_desc_ptr);
	*fns = found.v;
	return (int)found.n;
}

static int resolve(const lp_report *rep, const lp_fnpat *p, const lp_func_desc ***fns,
		   const char **file, lp_closest *closest)
{
	if (rep->sym.resolve)
		return rep->sym.resolve(rep->sym.ctx, p, fns, file, closest);
	return resolve_seen(rep, p, fns, file, closest);
}

/* "prog, libc.so.6, ..." : the profiled binaries, for a miss. */
static void module_list(const lp_profile *prof, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < prof->nmodules && len < size; i++) {
		if (i == 6) {
			snprintf(buf + len, size - len, ", ...");
			break;
		}
		len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? ", " : "",
					base_name(prof->modules[i].path));
	}
}

static int select_miss(lp_report *rep, const lp_fnpat *p, lp_error *err)
{
	const lp_func_desc **fns = NULL;
	const char *file = NULL;
	char list[1024], mods[512];
	lp_closest c;
	int n;

	lp_closest_init(&c, p->region ? p->text : p->name);
	if (resolve(rep, p, &fns, &file, &c) > 0)
		free(fns);
	n = lp_closest_format(&c, list, sizeof(list));
	lp_closest_free(&c);
	module_list(rep->prof, mods, sizeof(mods));
	if (p->region)
		return lp_error_set(err, LP_EFAIL, "lineprof: no source file '%s' in the line tables of "
				    "the profiled binaries (%s)%s%s", p->file, mods,
				    n ? "; closest: " : "", n ? list : "");
	return lp_error_set(err, LP_EFAIL, "lineprof: function '%s' not found in the profiled "
			    "binaries (%s)%s%s", p->text, mods, n ? "; closest: " : "", n ? list : "");
}

static lp_ftable *table_add(lp_report *rep, const char *pattern)
{
	lp_ftable *t = realloc(rep->tables, (rep->ntables + 1) * sizeof(*t));

	if (!t)
		return NULL;
	rep->tables = t;
	t = &rep->tables[rep->ntables++];
	memset(t, 0, sizeof(*t));
	t->pattern = pattern;
	return t;
}

/* One pattern's tables: its functions one by one, or per definition (merge). */
static int select_functions(lp_report *rep, const char *pattern, const lp_func_desc **fns,
			    size_t n, int merge)
{
	char *done = calloc(n + 1, 1);

	if (!done)
		return -1;
	for (size_t i = 0; i < n; i++) {
		lp_ftable *t;

		if (done[i])
			continue;
		if (!(t = table_add(rep, pattern)) || !(t->fns = malloc(n * sizeof(*t->fns)))) {
			free(done);
			return -1;
		}
		for (size_t j = i; j < n; j++) {
			/* Instances of one template: one definition, one declaration. */
			if (j != i && (!merge || !fns[i]->decl_file || fns[j]->decl_file != fns[i]->decl_file ||
				       fns[j]->decl_line != fns[i]->decl_line))
				continue;
			t->fns[t->nfns++] = fns[j];
			done[j] = 1;
		}
	}
	free(done);
	return 0;
}

/* The name of a template without its last arguments: "geo::Cloud<double>::energy<int>" -> "...::energy". */
static char *merged_title(const lp_ftable *t)
{
	char buf[8192];

	snprintf(buf, sizeof(buf), "%s (%zu instances)", t->pattern, t->nfns);
	return strdup(buf);
}

int lp_report_select(lp_report *rep, const char *const *names, int nnames, int merge_instances,
		     lp_error *err)
{
	/* A new selection replaces the last one. */
	for (size_t i = 0; i < rep->ntables; i++) {
		free(rep->tables[i].fns);
		free(rep->tables[i].title);
	}
	rep->ntables = 0;
	for (int k = 0; k < nnames; k++) {
		const lp_func_desc **fns = NULL;
		const char *file = NULL;
		char unread[512];
		lp_fnpat p;
		int n, rc = 0;

		if (lp_fnpat_parse(&p, names[k]) != 0)
			return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
		n = resolve(rep, &p, &fns, &file, NULL);
		if (n < 0) {
			rc = lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
		} else if (n == 0 && rep->prof->nmodules == 0 && rep->prof->samples == 0) {
			/* Nothing was sampled, so no binary is known to look the name up in. */
			lp_ftable *t = table_add(rep, names[k]);
			char buf[4096];

			snprintf(buf, sizeof(buf), "%s (not looked up: no samples, no binaries)", names[k]);
			if (!t || !(t->title = strdup(buf)))
				rc = lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
		} else if (n == 0 && rep->sym.unread &&
			   rep->sym.unread(rep->sym.ctx, unread, sizeof(unread)) > 0) {
			/* It may be in a binary that is gone: not known to be a miss. */
			lp_ftable *t = table_add(rep, names[k]);
			char buf[4096];

			snprintf(buf, sizeof(buf), "%s (not looked up in %s: binary not readable)",
				 names[k], unread);
			if (!t || !(t->title = strdup(buf)))
				rc = lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
		} else if (n == 0) {
			rc = select_miss(rep, &p, err);
		} else if (p.region) {
			lp_ftable *t = table_add(rep, names[k]);

			if (!t || !(t->title = strdup(names[k]))) {
				rc = lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
			} else {
				t->region_file = file;
				t->first = p.first;
				t->last = p.last;
			}
		} else if (select_functions(rep, names[k], fns, (size_t)n, merge_instances) != 0) {
			rc = lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
		}
		free(fns);
		lp_fnpat_free(&p);
		if (rc != LP_OK)
			return rc;
	}
	/* Every function the views can show is known now: labels are fixed. */
	rep->index->labelled = 0;
	for (size_t i = 0; i < rep->index->nlabels; i++)
		free(rep->index->labels[i].text);
	rep->index->nlabels = 0;
	if (make_labels(rep) != 0)
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	for (size_t i = 0; i < rep->ntables; i++) {
		lp_ftable *t = &rep->tables[i];

		if (t->title)
			continue;
		t->title = t->nfns == 1 ? strdup(lp_report_label(rep, t->fns[0])) : merged_title(t);
		if (!t->title)
			return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	}
	return LP_OK;
}
