/*
 * The flame graph's tree, for --flamegraph and the HTML report: the report's
 * chains (recorded call stacks with -g, else each sampled address's chain of
 * inlined frames) merged root first, one node per distinct path of function
 * names, as flamegraph.pl merges the collapsed stacks. A node's samples are
 * those of every chain through it, so the root holds all of them and a node's
 * children never hold more than it does.
 */
#include <stdlib.h>
#include <string.h>

#include "render.h"

/* (parent, name, inlined) -> child: an open-addressing table over the node array. */
static uint64_t node_hash(uint32_t parent, const char *name, int inlined)
{
	uint64_t h = (uint64_t)parent * 0x9e3779b97f4a7c15ULL ^ (uint64_t)(uintptr_t)name * 0xbf58476d1ce4e5b9ULL;

	h ^= (uint64_t)inlined * 0x94d049bb133111ebULL;
	return h ^ (h >> 29);
}

static int slots_grow(lp_flame *fl)
{
	size_t cap = fl->nslots ? fl->nslots * 2 : 1024;
	uint32_t *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -1;
	/* Node 0, the root, is nobody's child: every other node goes into the table. */
	for (size_t i = 1; i < fl->n; i++) {
		const lp_flame_node *nd = &fl->nodes[i];
		size_t s = node_hash(nd->parent, nd->name, nd->inlined) & (cap - 1);

		while (slots[s])
			s = (s + 1) & (cap - 1);
		slots[s] = (uint32_t)i;
	}
	free(fl->slots);
	fl->slots = slots;
	fl->nslots = cap;
	return 0;
}

/*
 * The child of parent for this frame, added if new; UINT32_MAX when out of
 * memory. Frames are told apart by their function's label: two functions of
 * one name are two nodes (labels are unique strings, interned per report).
 */
static uint32_t child_of(lp_flame *fl, const lp_report *rep, uint32_t parent, const lp_frame *fr)
{
	lp_frame label = *fr;
	const lp_frame *f = &label;
	size_t s;

	label.function = lp_report_label(rep, fr->fn);
	if ((fl->n + 1) * 2 > fl->nslots && slots_grow(fl))
		return UINT32_MAX;
	for (s = node_hash(parent, f->function, f->inlined) & (fl->nslots - 1); fl->slots[s];
	     s = (s + 1) & (fl->nslots - 1)) {
		const lp_flame_node *nd = &fl->nodes[fl->slots[s]];

		if (nd->parent == parent && nd->name == f->function && nd->inlined == f->inlined)
			return fl->slots[s];
	}
	if (fl->n == fl->cap) {
		size_t cap = fl->cap * 2;
		void *nodes = realloc(fl->nodes, cap * sizeof(*fl->nodes));

		if (!nodes)
			return UINT32_MAX;
		fl->nodes = nodes;
		fl->cap = cap;
	}
	memset(&fl->nodes[fl->n], 0, sizeof(fl->nodes[0]));
	fl->nodes[fl->n].name = f->function;
	fl->nodes[fl->n].module = f->module;
	fl->nodes[fl->n].inlined = f->inlined;
	fl->nodes[fl->n].parent = parent;
	fl->nodes[fl->n].depth = fl->nodes[parent].depth + 1;
	fl->slots[s] = (uint32_t)fl->n;
	return (uint32_t)fl->n++;
}

static int cmp_name(const void *pa, const void *pb, void *arg)
{
	const lp_flame *fl = arg;
	const lp_flame_node *x = &fl->nodes[*(const uint32_t *)pa], *y = &fl->nodes[*(const uint32_t *)pb];
	int c = strcmp(x->name, y->name);

	return c ? c : x->inlined - y->inlined;
}

/* Children sorted by name, as flamegraph.pl draws them: the same picture from run to run. */
static int link_children(lp_flame *fl)
{
	size_t *start = calloc(fl->n + 1, sizeof(*start));
	uint32_t *kids = malloc((fl->n + 1) * sizeof(*kids));

	if (!start || !kids) {
		free(start);
		free(kids);
		return -1;
	}
	for (size_t i = 0; i < fl->n; i++)
		fl->nodes[i].first = fl->nodes[i].next = UINT32_MAX;
	/* A counting sort by parent, then each parent's children by name, then chained. */
	for (size_t i = 1; i < fl->n; i++)
		start[fl->nodes[i].parent + 1]++;
	for (size_t i = 1; i <= fl->n; i++)
		start[i] += start[i - 1];
	for (size_t i = 1; i < fl->n; i++)
		kids[start[fl->nodes[i].parent]++] = (uint32_t)i;
	/* start[p] is now the end of p's children, and start[p - 1] their beginning. */
	for (size_t p = 0; p < fl->n; p++) {
		size_t lo = p ? start[p - 1] : 0, hi = start[p];

		qsort_r(kids + lo, hi - lo, sizeof(*kids), cmp_name, fl);
		for (size_t i = hi; i-- > lo;) {
			fl->nodes[kids[i]].next = fl->nodes[p].first;
			fl->nodes[p].first = kids[i];
		}
	}
	free(start);
	free(kids);
	return 0;
}

int lp_flame_build(const lp_report *rep, lp_flame *fl, lp_error *err)
{
	size_t nchains = lp_report_nchains(rep);
	const lp_frame **fr = malloc(LP_MAX_STACK * 4 * sizeof(*fr));

	memset(fl, 0, sizeof(*fl));
	fl->cap = 256;
	fl->nodes = calloc(fl->cap, sizeof(*fl->nodes));
	if (!fr || !fl->nodes)
		goto oom;
	fl->n = 1;
	fl->nodes[0].name = "all";
	fl->nodes[0].parent = UINT32_MAX;
	fl->nodes[0].module = LP_MODULE_NONE;
	fl->from_stacks = rep->inclusive_from_stacks;
	for (size_t c = 0; c < nchains; c++) {
		uint64_t samples, value0;
		int k = lp_report_chain(rep, c, fr, LP_MAX_STACK * 4, &samples, &value0);
		uint32_t at = 0;

		if (!samples)
			continue;
		fl->nodes[0].samples += samples;
		fl->nodes[0].value0 += value0;
		for (int i = k - 1; i >= 0; i--) {
			at = child_of(fl, rep, at, fr[i]);
			if (at == UINT32_MAX)
				goto oom;
			fl->nodes[at].samples += samples;
			fl->nodes[at].value0 += value0;
			if (fl->nodes[at].depth > fl->depth)
				fl->depth = fl->nodes[at].depth;
		}
	}
	if (link_children(fl))
		goto oom;
	free(fr);
	free(fl->slots);
	fl->slots = NULL;
	return LP_OK;
oom:
	free(fr);
	lp_flame_free(fl);
	return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
}

void lp_flame_free(lp_flame *fl)
{
	free(fl->nodes);
	free(fl->slots);
	memset(fl, 0, sizeof(*fl));
}
