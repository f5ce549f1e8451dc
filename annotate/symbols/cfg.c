/*
 * Control-flow graphs, dominators and natural loops.
 *
 * Dominators: Cooper, Harvey and Kennedy's iterative algorithm over the
 * reverse postorder ("A Simple, Fast Dominance Algorithm"): for the few
 * hundred blocks of a function it beats Lengauer-Tarjan in time and in
 * code. A virtual root above the entry and the blocks entered from outside
 * (landing pads, jump-table targets nothing else reaches) makes one tree of
 * everything reachable.
 */
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "containers.h"

int lp_cfg_init(lp_cfg *g, size_t nblocks)
{
	memset(g, 0, sizeof(*g));
	g->blocks = calloc(nblocks ? nblocks : 1, sizeof(*g->blocks));
	if (!g->blocks)
		return -1;
	g->nblocks = nblocks;
	for (size_t b = 0; b < nblocks; b++) {
		g->blocks[b].idom = -1;
		g->blocks[b].loop = -1;
	}
	return 0;
}

int lp_cfg_add_edge(lp_cfg *g, int from, int to, int kind)
{
	if (from < 0 || to < 0 || (size_t)from >= g->nblocks || (size_t)to >= g->nblocks)
		return 0;
	if (LP_GROW(g->edges, g->nedges, g->cap_edges))
		return -1;
	g->edges[g->nedges++] = (lp_cfg_edge){ (uint32_t)from, (uint32_t)to, (uint8_t)kind };
	return 0;
}

static void free_loops(lp_cfg *g)
{
	for (size_t i = 0; i < g->nloops; i++) {
		free(g->loops[i].blocks);
		free(g->loops[i].latches);
	}
	free(g->loops);
	g->loops = NULL;
	g->nloops = 0;
}

void lp_cfg_free(lp_cfg *g)
{
	if (!g)
		return;
	free_loops(g);
	free(g->blocks);
	free(g->edges);
	free(g->dom_pre);
	free(g->dom_post);
	memset(g, 0, sizeof(*g));
}

static int cmp_edge(const void *pa, const void *pb)
{
	const lp_cfg_edge *a = pa, *b = pb;

	if (a->from != b->from)
		return a->from < b->from ? -1 : 1;
	if (a->to != b->to)
		return a->to < b->to ? -1 : 1;
	return (a->kind > b->kind) - (a->kind < b->kind);
}

/* The working arrays of one analysis; node nb is the virtual root. */
typedef struct lp_dom {
	size_t nb, nn;
	size_t *soff;            /* successors of b: edges[soff[b] .. soff[b+1]) */
	size_t *poff;            /* predecessors of b: pred[poff[b] .. poff[b+1]) */
	int *pred;
	int *root_succ;          /* the virtual root's successors */
	size_t nroot;
	int *rpo, *rponum;       /* reverse postorder, and each node's place in it (-1: unreachable) */
	size_t nrpo;
	int *doms;
} lp_dom;

static void dom_free(lp_dom *d)
{
	free(d->soff);
	free(d->poff);
	free(d->pred);
	free(d->root_succ);
	free(d->rpo);
	free(d->rponum);
	free(d->doms);
}

static int dom_adjacency(lp_dom *d, lp_cfg *g, int entry)
{
	size_t nb = g->nblocks;
	size_t *fill;

	d->soff = calloc(nb + 2, sizeof(*d->soff));
	d->poff = calloc(nb + 2, sizeof(*d->poff));
	d->pred = malloc((g->nedges + 1) * sizeof(*d->pred));
	d->root_succ = malloc((nb + 1) * sizeof(*d->root_succ));
	fill = calloc(nb + 1, sizeof(*fill));
	if (!d->soff || !d->poff || !d->pred || !d->root_succ || !fill) {
		free(fill);
		return -1;
	}
	for (size_t e = 0; e < g->nedges; e++) {
		d->soff[g->edges[e].from + 1]++;
		d->poff[g->edges[e].to + 1]++;
	}
	for (size_t b = 0; b < nb; b++) {
		d->soff[b + 1] += d->soff[b];
		d->poff[b + 1] += d->poff[b];
	}
	for (size_t e = 0; e < g->nedges; e++) {
		uint32_t to = g->edges[e].to;

		d->pred[d->poff[to] + fill[to]++] = (int)g->edges[e].from;
	}
	free(fill);
	/* Roots: the entry, and the blocks entered only from outside. */
	if (entry >= 0 && (size_t)entry < nb)
		d->root_succ[d->nroot++] = entry;
	/* An indirect jump's guessed target is entered through it instead (fill: reused as flags). */
	fill = calloc(nb + 1, sizeof(*fill));
	if (!fill)
		return -1;
	for (size_t e = 0; e < g->nedges; e++)
		if (g->edges[e].kind == LP_EDGE_UNKNOWN)
			fill[g->edges[e].to] = 1;
	for (size_t b = 0; b < nb; b++)
		if ((int)b != entry && g->blocks[b].unknown_entry && !fill[b])
			d->root_succ[d->nroot++] = (int)b;
	free(fill);
	return 0;
}

static int is_root_succ(const lp_dom *d, int b)
{
	for (size_t i = 0; i < d->nroot; i++)
		if (d->root_succ[i] == b)
			return 1;
	return 0;
}

/* Successor k of node v (the root's are virtual); -1 past the last. */
static int succ_at(const lp_dom *d, const lp_cfg *g, size_t v, size_t k)
{
	if (v == d->nb)
		return k < d->nroot ? d->root_succ[k] : -1;
	return d->soff[v] + k < d->soff[v + 1] ? (int)g->edges[d->soff[v] + k].to : -1;
}

/* Reverse postorder from the root, by an explicit stack: functions can be huge. */
static int dom_order(lp_dom *d, const lp_cfg *g)
{
	size_t nn = d->nn, sp = 0, npost = 0;
	size_t *stack = malloc(nn * sizeof(*stack)), *next = calloc(nn, sizeof(*next));
	int *post = malloc(nn * sizeof(*post));
	char *seen = calloc(nn, 1);

	d->rpo = malloc(nn * sizeof(*d->rpo));
	d->rponum = malloc(nn * sizeof(*d->rponum));
	if (!stack || !next || !post || !seen || !d->rpo || !d->rponum) {
		free(stack), free(next), free(post), free(seen);
		return -1;
	}
	stack[sp++] = d->nb;
	seen[d->nb] = 1;
	while (sp) {
		size_t v = stack[sp - 1];
		int w = succ_at(d, g, v, next[v]++);

		if (w < 0) {
			post[npost++] = (int)v;
			sp--;
		} else if (!seen[w]) {
			seen[w] = 1;
			stack[sp++] = (size_t)w;
		}
	}
	for (size_t i = 0; i < nn; i++)
		d->rponum[i] = -1;
	for (size_t i = 0; i < npost; i++) {
		d->rpo[i] = post[npost - 1 - i];
		d->rponum[d->rpo[i]] = (int)i;
	}
	d->nrpo = npost;
	free(stack), free(next), free(post), free(seen);
	return 0;
}

static int intersect(const lp_dom *d, int a, int b)
{
	while (a != b) {
		while (d->rponum[a] > d->rponum[b])
			a = d->doms[a];
		while (d->rponum[b] > d->rponum[a])
			b = d->doms[b];
	}
	return a;
}

static int dom_compute(lp_dom *d)
{
	int changed = 1;

	d->doms = malloc(d->nn * sizeof(*d->doms));
	if (!d->doms)
		return -1;
	for (size_t i = 0; i < d->nn; i++)
		d->doms[i] = -1;
	d->doms[d->nb] = (int)d->nb;
	while (changed) {
		changed = 0;
		for (size_t i = 1; i < d->nrpo; i++) {
			int b = d->rpo[i], nd = -1;

			if (is_root_succ(d, b))
				nd = (int)d->nb;
			for (size_t k = d->poff[b]; k < d->poff[b + 1]; k++) {
				int p = d->pred[k];

				if (d->rponum[p] < 0 || d->doms[p] < 0)
					continue;
				nd = nd < 0 ? p : intersect(d, p, nd);
			}
			if (nd >= 0 && d->doms[b] != nd) {
				d->doms[b] = nd;
				changed = 1;
			}
		}
	}
	return 0;
}

/* Pre- and post-order numbers of the dominator tree: a dominates b iff a's interval holds b's. */
static int dom_number(lp_cfg *g, const lp_dom *d)
{
	size_t nn = d->nn, sp = 0;
	int clock = 0;
	size_t *coff = calloc(nn + 1, sizeof(*coff)), *fill = calloc(nn, sizeof(*fill));
	int *child = malloc(nn * sizeof(*child));
	size_t *stack = malloc(nn * sizeof(*stack)), *next = calloc(nn, sizeof(*next));

	free(g->dom_pre);
	free(g->dom_post);
	g->dom_pre = malloc(nn * sizeof(*g->dom_pre));
	g->dom_post = malloc(nn * sizeof(*g->dom_post));
	if (!coff || !fill || !child || !stack || !next || !g->dom_pre || !g->dom_post) {
		free(coff), free(fill), free(child), free(stack), free(next);
		return -1;
	}
	for (size_t v = 0; v < d->nb; v++)
		if (d->doms[v] >= 0)
			coff[d->doms[v] + 1]++;
	for (size_t v = 0; v < nn; v++)
		coff[v + 1] += coff[v];
	for (size_t v = 0; v < d->nb; v++)
		if (d->doms[v] >= 0)
			child[coff[d->doms[v]] + fill[d->doms[v]]++] = (int)v;
	for (size_t v = 0; v < nn; v++)
		g->dom_pre[v] = g->dom_post[v] = -1;
	stack[sp++] = d->nb;
	g->dom_pre[d->nb] = clock++;
	while (sp) {
		size_t v = stack[sp - 1];

		if (coff[v] + next[v] < coff[v + 1]) {
			int c = child[coff[v] + next[v]++];

			g->dom_pre[c] = clock++;
			stack[sp++] = (size_t)c;
		} else {
			g->dom_post[v] = clock++;
			sp--;
		}
	}
	free(coff), free(fill), free(child), free(stack), free(next);
	return 0;
}

int lp_cfg_dominates(const lp_cfg *g, int a, int b)
{
	if (a < 0 || b < 0 || (size_t)a >= g->nblocks || (size_t)b >= g->nblocks || !g->dom_pre ||
	    g->dom_pre[a] < 0 || g->dom_pre[b] < 0)
		return 0;
	return g->dom_pre[a] <= g->dom_pre[b] && g->dom_post[b] <= g->dom_post[a];
}

int lp_loop_has(const lp_loop *l, int block)
{
	size_t lo = 0, hi = l->nblocks;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (l->blocks[mid] < block)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < l->nblocks && l->blocks[lo] == block;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* The natural loop of header h with the given latches: blocks reaching a latch without h. */
static int loop_body(lp_loop *l, const lp_dom *d, int h, char *mark, int *work)
{
	size_t nw = 0, n = 0;

	l->header = h;
	mark[h] = 1;
	work[nw++] = h;
	for (size_t i = 0; i < l->nlatches; i++)
		if (!mark[l->latches[i]]) {
			mark[l->latches[i]] = 1;
			work[nw++] = l->latches[i];
		}
	for (size_t i = 1; i < nw; i++) {
		int b = work[i];

		for (size_t k = d->poff[b]; k < d->poff[b + 1]; k++) {
			int p = d->pred[k];

			if (!mark[p] && d->rponum[p] >= 0) {
				mark[p] = 1;
				work[nw++] = p;
			}
		}
	}
	l->blocks = malloc(nw * sizeof(*l->blocks));
	if (!l->blocks)
		return -1;
	for (size_t i = 0; i < nw; i++) {
		l->blocks[n++] = work[i];
		mark[work[i]] = 0;
	}
	l->nblocks = n;
	qsort(l->blocks, n, sizeof(*l->blocks), cmp_int);
	qsort(l->latches, l->nlatches, sizeof(*l->latches), cmp_int);
	return 0;
}

static int cmp_loop(const void *pa, const void *pb)
{
	const lp_loop *a = pa, *b = pb;

	if (a->depth != b->depth)
		return a->depth < b->depth ? -1 : 1;
	return (a->header > b->header) - (a->header < b->header);
}

/* Back edges grouped by header, their loops, then nesting, depth and order. */
static int find_loops(lp_cfg *g, const lp_dom *d)
{
	size_t nb = g->nblocks;
	int *latch_of = NULL, *work = malloc((nb + 1) * sizeof(*work));
	char *mark = calloc(nb + 1, 1);
	int *index = malloc((nb + 1) * sizeof(*index)), rc = -1;

	if (!work || !mark || !index)
		goto out;
	for (size_t b = 0; b < nb; b++)
		index[b] = -1;
	for (size_t e = 0; e < g->nedges; e++) {
		int u = (int)g->edges[e].from, v = (int)g->edges[e].to;
		lp_loop *l;

		if (!lp_cfg_dominates(g, v, u))
			continue;
		if (index[v] < 0) {
			lp_loop *nl = realloc(g->loops, (g->nloops + 1) * sizeof(*nl));

			if (!nl)
				goto out;
			g->loops = nl;
			memset(&g->loops[g->nloops], 0, sizeof(*nl));
			g->loops[g->nloops].header = v;
			index[v] = (int)g->nloops++;
		}
		l = &g->loops[index[v]];
		/* Edges are sorted by (from, to): a repeated latch is the previous one. */
		if (l->nlatches && l->latches[l->nlatches - 1] == u)
			continue;
		latch_of = realloc(l->latches, (l->nlatches + 1) * sizeof(*latch_of));
		if (!latch_of)
			goto out;
		l->latches = latch_of;
		l->latches[l->nlatches++] = u;
	}
	for (size_t i = 0; i < g->nloops; i++)
		if (loop_body(&g->loops[i], d, g->loops[i].header, mark, work) != 0)
			goto out;
	/* Parent: the smallest other loop holding the header (natural loops nest or are apart). */
	for (size_t i = 0; i < g->nloops; i++) {
		size_t best = 0;

		g->loops[i].parent = -1;
		for (size_t j = 0; j < g->nloops; j++) {
			if (j == i || !lp_loop_has(&g->loops[j], g->loops[i].header) ||
			    g->loops[j].nblocks < g->loops[i].nblocks)
				continue;
			if (g->loops[i].parent < 0 || g->loops[j].nblocks < best) {
				g->loops[i].parent = (int)j;
				best = g->loops[j].nblocks;
			}
		}
	}
	for (size_t i = 0; i < g->nloops; i++) {
		int depth = 1;

		for (int p = g->loops[i].parent; p >= 0 && depth <= (int)g->nloops; p = g->loops[p].parent)
			depth++;
		g->loops[i].depth = depth;
	}
	/* Parents first: sort by depth, then renumber the parents. */
	for (size_t i = 0; i < g->nloops; i++)
		index[g->loops[i].header] = g->loops[i].parent < 0 ? -1 : g->loops[g->loops[i].parent].header;
	if (g->nloops)
		qsort(g->loops, g->nloops, sizeof(*g->loops), cmp_loop);
	for (size_t i = 0; i < g->nloops; i++) {
		int ph = index[g->loops[i].header];

		g->loops[i].parent = -1;
		for (size_t j = 0; ph >= 0 && j < i; j++)
			if (g->loops[j].header == ph)
				g->loops[i].parent = (int)j;
	}
	for (size_t i = 0; i < g->nloops; i++)
		for (size_t k = 0; k < g->loops[i].nblocks; k++) {
			lp_block *b = &g->blocks[g->loops[i].blocks[k]];

			if (g->loops[i].depth > b->depth) {
				b->depth = g->loops[i].depth;
				b->loop = (int)i;
			}
		}
	rc = 0;
out:
	free(work);
	free(mark);
	free(index);
	return rc;
}

int lp_cfg_analyze(lp_cfg *g, int entry)
{
	lp_dom d = { .nb = g->nblocks, .nn = g->nblocks + 1 };
	int rc = -1;

	free_loops(g);
	g->entry = entry;
	if (g->nedges)
		qsort(g->edges, g->nedges, sizeof(*g->edges), cmp_edge);
	for (size_t b = 0; b < g->nblocks; b++) {
		g->blocks[b].idom = -1;
		g->blocks[b].loop = -1;
		g->blocks[b].depth = 0;
		g->blocks[b].reachable = 0;
	}
	if (dom_adjacency(&d, g, entry) || dom_order(&d, g) || dom_compute(&d) || dom_number(g, &d))
		goto out;
	for (size_t b = 0; b < g->nblocks; b++) {
		g->blocks[b].reachable = d.rponum[b] >= 0;
		g->blocks[b].idom = d.doms[b] >= 0 && d.doms[b] != (int)d.nb ? d.doms[b] : -1;
	}
	rc = find_loops(g, &d);
out:
	dom_free(&d);
	return rc;
}

/* The instruction at vaddr, -1 if none starts there. */
static long insn_at(const lp_insn *in, size_t n, uint64_t vaddr)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (in[mid].vaddr < vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && in[lo].vaddr == vaddr ? (long)lo : -1;
}

int lp_cfg_block_of(const lp_cfg *g, size_t i)
{
	size_t lo = 0, hi = g->nblocks;

	/* The last block starting at or before i. */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (g->blocks[mid].first <= i)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || i >= g->blocks[lo - 1].first + g->blocks[lo - 1].n)
		return -1;
	return (int)lo - 1;
}

static int ends_block(uint8_t kind)
{
	return kind == LP_INSN_JUMP || kind == LP_INSN_CJUMP || kind == LP_INSN_IJUMP ||
	       kind == LP_INSN_RET || kind == LP_INSN_STOP;
}

static int block_edges(lp_cfg *g, const lp_insn *in, size_t n, size_t b)
{
	lp_block *blk = &g->blocks[b];
	size_t last = blk->first + blk->n - 1;
	const lp_insn *x = &in[last];
	int contiguous = last + 1 < n && in[last + 1].vaddr == x->vaddr + x->size;
	int next = contiguous ? lp_cfg_block_of(g, last + 1) : -1;

	switch (x->kind) {
	case LP_INSN_JUMP:
	case LP_INSN_CJUMP: {
		long t = insn_at(in, n, x->target);

		if (t >= 0) {
			if (lp_cfg_add_edge(g, (int)b, lp_cfg_block_of(g, (size_t)t), LP_EDGE_JUMP))
				return -1;
		} else {
			blk->exits = 1;   /* a tail call, or a jump into the middle of an instruction */
		}
		if (x->kind == LP_INSN_JUMP)
			return 0;
		break;
	}
	case LP_INSN_IJUMP:
		g->has_indirect = 1;
		blk->exits = 1;
		return 0;
	case LP_INSN_RET:
	case LP_INSN_STOP:
		blk->exits = 1;
		return 0;
	default:
		break;
	}
	if (next < 0) {
		blk->exits = 1;   /* the code ends here: a call that never returns */
		return 0;
	}
	return lp_cfg_add_edge(g, (int)b, next, LP_EDGE_FALL);
}

int lp_cfg_build(lp_cfg *g, const lp_insn *in, size_t n, uint64_t entry)
{
	uint8_t *leader = calloc(n + 1, 1);
	size_t nb = 0, *indeg = NULL;
	long e;
	int entry_block = 0;

	memset(g, 0, sizeof(*g));
	if (!leader)
		return -1;
	for (size_t i = 0; i < n; i++) {
		long t;

		if (i == 0 || in[i].vaddr != in[i - 1].vaddr + in[i - 1].size || in[i].vaddr == entry)
			leader[i] = 1;
		if ((in[i].kind == LP_INSN_JUMP || in[i].kind == LP_INSN_CJUMP) &&
		    (t = insn_at(in, n, in[i].target)) >= 0)
			leader[t] = 1;
		if (ends_block(in[i].kind))
			leader[i + 1] = 1;
	}
	for (size_t i = 0; i < n; i++)
		nb += leader[i];
	if (lp_cfg_init(g, nb)) {
		free(leader);
		return -1;
	}
	nb = 0;
	for (size_t i = 0; i < n; i++) {
		if (leader[i])
			g->blocks[nb++].first = i;
		g->blocks[nb - 1].n++;
	}
	free(leader);
	for (size_t b = 0; b < g->nblocks; b++)
		if (block_edges(g, in, n, b))
			goto nomem;
	e = insn_at(in, n, entry);
	entry_block = e >= 0 ? lp_cfg_block_of(g, (size_t)e) : 0;
	/* Blocks nothing enters: landing pads, or an indirect jump's targets. */
	indeg = calloc(g->nblocks + 1, sizeof(*indeg));
	if (!indeg)
		goto nomem;
	for (size_t k = 0; k < g->nedges; k++)
		indeg[g->edges[k].to]++;
	/* Padding nops that nothing enters: dead, their fall-through is no way in. */
	for (size_t k = 0; k < g->nedges;) {
		const lp_block *b = &g->blocks[g->edges[k].from];
		int pad = (int)g->edges[k].from != entry_block && !indeg[g->edges[k].from];

		for (size_t i = 0; pad && i < b->n; i++)
			pad = in[b->first + i].nop;
		if (pad) {
			indeg[g->edges[k].to]--;
			g->edges[k] = g->edges[--g->nedges];
		} else {
			k++;
		}
	}
	for (size_t b = 0; b < g->nblocks; b++) {
		const lp_block *bl = &g->blocks[b];
		int pad = 1;

		for (size_t i = 0; pad && i < bl->n; i++)
			pad = in[bl->first + i].nop;
		if ((int)b == entry_block || indeg[b] || pad)
			continue;
		g->blocks[b].unknown_entry = 1;
		for (size_t j = 0; g->has_indirect && j < g->nblocks; j++) {
			const lp_block *jb = &g->blocks[j];

			if (in[jb->first + jb->n - 1].kind == LP_INSN_IJUMP &&
			    lp_cfg_add_edge(g, (int)j, (int)b, LP_EDGE_UNKNOWN))
				goto nomem;
		}
	}
	free(indeg);
	if (g->nblocks && lp_cfg_analyze(g, entry_block))
		goto nomem_kept;
	return 0;
nomem:
	free(indeg);
nomem_kept:
	lp_cfg_free(g);
	return -1;
}
