/*
 * Counter placement on a function's CFG: see counters.h for the idea.
 * Graphs are small (a function's blocks), so the bridge test after each
 * block that closes a cycle is a full Tarjan pass; blocks that join two
 * separate parts of U cannot close one and are taken without it.
 */
#include <stdlib.h>
#include <string.h>

#include "counters.h"

/* The split graph: node 0 is R, block b is 1 + 2b (in) -> 2 + 2b (out); edge b is block b. */
typedef struct lp_sgraph {
	size_t nn, ne;
	uint32_t (*e)[2];
	uint8_t *in_u;          /* the edge is unmeasured */
	size_t *adj_off;        /* incidence lists (both directions), of all edges */
	uint32_t *adj;          /* edge ids */
	size_t *uf;             /* union-find over nodes, of U */
} lp_sgraph;

static uint32_t node_in(size_t b)
{
	return (uint32_t)(1 + 2 * b);
}

static uint32_t node_out(size_t b)
{
	return (uint32_t)(2 + 2 * b);
}

static void sgraph_free(lp_sgraph *s)
{
	free(s->e);
	free(s->in_u);
	free(s->adj_off);
	free(s->adj);
	free(s->uf);
}

static size_t uf_find(size_t *uf, size_t x)
{
	while (uf[x] != x) {
		uf[x] = uf[uf[x]];
		x = uf[x];
	}
	return x;
}

static int sgraph_build(lp_sgraph *s, const lp_cfg *g)
{
	size_t nb = g->nblocks, cap = nb + g->nedges + 1 + 2 * nb, k = 0;
	size_t *fill;

	memset(s, 0, sizeof(*s));
	s->nn = 1 + 2 * nb;
	s->e = malloc(cap * sizeof(*s->e));
	s->in_u = calloc(cap, 1);
	s->uf = malloc(s->nn * sizeof(*s->uf));
	if (!s->e || !s->in_u || !s->uf)
		return -1;
	for (size_t b = 0; b < nb; b++) {
		s->e[k][0] = node_in(b);
		s->e[k++][1] = node_out(b);
	}
	for (size_t i = 0; i < g->nedges; i++) {
		s->e[k][0] = node_out(g->edges[i].from);
		s->e[k++][1] = node_in(g->edges[i].to);
	}
	if (g->nblocks) {
		s->e[k][0] = 0;
		s->e[k++][1] = node_in((size_t)g->entry);
	}
	for (size_t b = 0; b < nb; b++) {
		if (g->blocks[b].unknown_entry && (int)b != g->entry) {
			s->e[k][0] = 0;
			s->e[k++][1] = node_in(b);
		}
		if (g->blocks[b].exits) {
			s->e[k][0] = node_out(b);
			s->e[k++][1] = 0;
		}
	}
	s->ne = k;
	s->adj_off = calloc(s->nn + 1, sizeof(*s->adj_off));
	s->adj = malloc((2 * k + 1) * sizeof(*s->adj));
	fill = calloc(s->nn, sizeof(*fill));
	if (!s->adj_off || !s->adj || !fill) {
		free(fill);
		return -1;
	}
	for (size_t i = 0; i < k; i++) {
		s->adj_off[s->e[i][0] + 1]++;
		s->adj_off[s->e[i][1] + 1]++;
	}
	for (size_t v = 0; v < s->nn; v++)
		s->adj_off[v + 1] += s->adj_off[v];
	for (size_t i = 0; i < k; i++) {
		s->adj[s->adj_off[s->e[i][0]] + fill[s->e[i][0]]++] = (uint32_t)i;
		s->adj[s->adj_off[s->e[i][1]] + fill[s->e[i][1]]++] = (uint32_t)i;
	}
	free(fill);
	for (size_t v = 0; v < s->nn; v++)
		s->uf[v] = v;
	/* Every CFG edge (and R's) is unmeasured: only blocks can be counted. */
	for (size_t i = nb; i < k; i++) {
		s->in_u[i] = 1;
		s->uf[uf_find(s->uf, s->e[i][0])] = uf_find(s->uf, s->e[i][1]);
	}
	return 0;
}

/*
 * The bridges of U (Tarjan: an edge to a DFS child is a bridge when
 * nothing under the child reaches above it), into bridge[]. Iterative, as
 * functions can have thousands of blocks. -1 when out of memory.
 */
static int bridges(const lp_sgraph *s, uint8_t *bridge)
{
	size_t nn = s->nn, sp;
	int *disc = malloc(nn * sizeof(*disc)), *low = malloc(nn * sizeof(*low));
	size_t *next = calloc(nn, sizeof(*next)), *stack = malloc(nn * sizeof(*stack));
	long *via = malloc(nn * sizeof(*via));   /* the tree edge a node was reached by */
	int clock = 0;

	if (!disc || !low || !next || !stack || !via) {
		free(disc), free(low), free(next), free(stack), free(via);
		return -1;
	}
	memset(bridge, 0, s->ne);
	for (size_t v = 0; v < nn; v++)
		disc[v] = -1;
	for (size_t root = 0; root < nn; root++) {
		if (disc[root] >= 0)
			continue;
		sp = 0;
		stack[sp++] = root;
		disc[root] = low[root] = clock++;
		via[root] = -1;
		while (sp) {
			size_t v = stack[sp - 1];

			if (s->adj_off[v] + next[v] < s->adj_off[v + 1]) {
				uint32_t e = s->adj[s->adj_off[v] + next[v]++];
				size_t w = s->e[e][0] == v ? s->e[e][1] : s->e[e][0];

				if (!s->in_u[e] || (long)e == via[v])
					continue;
				if (disc[w] < 0) {
					disc[w] = low[w] = clock++;
					via[w] = e;
					stack[sp++] = w;
				} else if (disc[w] < low[v]) {
					low[v] = disc[w];
				}
			} else {
				sp--;
				if (sp) {
					size_t p = stack[sp - 1];

					if (low[v] < low[p])
						low[p] = low[v];
					if (low[v] > disc[p])
						bridge[via[v]] = 1;
				}
			}
		}
	}
	free(disc), free(low), free(next), free(stack), free(via);
	return 0;
}

typedef struct lp_byblock {
	size_t b;
	double cost;
} lp_byblock;

static int cmp_cost_desc(const void *pa, const void *pb)
{
	const lp_byblock *a = pa, *b = pb;

	if (a->cost != b->cost)
		return a->cost > b->cost ? -1 : 1;
	return (a->b > b->b) - (a->b < b->b);
}

/* Wanted blocks still bridges of U. */
static int wanted_ok(const lp_sgraph *s, const uint8_t *wanted, size_t nb, const uint8_t *bridge)
{
	for (size_t b = 0; b < nb; b++)
		if (wanted[b] && s->in_u[b] && !bridge[b])
			return 0;
	return 1;
}

/* Block t's count: the measured blocks across the cut that removing t from U makes. */
static int derive(const lp_sgraph *s, size_t t, const int *index, lp_count_plan *plan,
		  size_t *cap)
{
	size_t nn = s->nn, n = 0;
	uint8_t *side = calloc(nn, 1);
	size_t *queue = malloc(nn * sizeof(*queue));

	if (!side || !queue) {
		free(side);
		free(queue);
		return -1;
	}
	side[s->e[t][0]] = 1;
	queue[n++] = s->e[t][0];
	for (size_t i = 0; i < n; i++) {
		size_t v = queue[i];

		for (size_t k = s->adj_off[v]; k < s->adj_off[v + 1]; k++) {
			uint32_t e = s->adj[k];
			size_t w = s->e[e][0] == v ? s->e[e][1] : s->e[e][0];

			if (e != t && s->in_u[e] && !side[w]) {
				side[w] = 1;
				queue[n++] = w;
			}
		}
	}
	/* Into the side minus out of it, over the measured blocks. */
	for (size_t m = 0; m < plan->nmeasured; m++) {
		size_t b = (size_t)plan->measured[m];
		int sign = side[s->e[b][1]] && !side[s->e[b][0]] ? 1
			 : side[s->e[b][0]] && !side[s->e[b][1]] ? -1 : 0;

		if (!sign)
			continue;
		if (plan->nterms == *cap) {
			size_t ncap = *cap ? 2 * *cap : 64;
			lp_count_term *v = realloc(plan->terms, ncap * sizeof(*v));

			if (!v) {
				free(side);
				free(queue);
				return -1;
			}
			plan->terms = v;
			*cap = ncap;
		}
		plan->terms[plan->nterms++] = (lp_count_term){ (uint32_t)index[b], sign };
	}
	free(side);
	free(queue);
	return 0;
}

int lp_count_place(const lp_cfg *g, const uint8_t *wanted, const uint8_t *must,
		   const double *cost, lp_count_plan *plan)
{
	size_t nb = g->nblocks, cap = 0;
	lp_sgraph s = { 0 };
	lp_byblock *order = malloc((nb + 1) * sizeof(*order));
	uint8_t *bridge = NULL;
	int *index = malloc((nb + 1) * sizeof(*index)), rc = -1;

	memset(plan, 0, sizeof(*plan));
	if (!order || !index || sgraph_build(&s, g) != 0)
		goto out;
	bridge = malloc(s.ne + 1);
	plan->measured = malloc((nb + 1) * sizeof(*plan->measured));
	plan->first = calloc(nb + 1, sizeof(*plan->first));
	if (!bridge || !plan->measured || !plan->first)
		goto out;
	for (size_t b = 0; b < nb; b++)
		order[b] = (lp_byblock){ b, cost[b] };
	if (nb)
		qsort(order, nb, sizeof(*order), cmp_cost_desc);
	for (size_t i = 0; i < nb; i++) {
		size_t b = order[i].b;
		size_t ra = uf_find(s.uf, s.e[b][0]), rb = uf_find(s.uf, s.e[b][1]);

		if (must && must[b])
			continue;
		s.in_u[b] = 1;
		if (ra != rb) {
			s.uf[ra] = rb;      /* joins two parts: no cycle, every bridge stays one */
			continue;
		}
		if (bridges(&s, bridge) != 0)
			goto out;
		if (!wanted_ok(&s, wanted, nb, bridge))
			s.in_u[b] = 0;      /* a wanted count would be lost: measure b */
	}
	for (size_t b = 0; b < nb; b++) {
		index[b] = -1;
		if (!s.in_u[b]) {
			index[b] = (int)plan->nmeasured;
			plan->measured[plan->nmeasured++] = (int)b;
		}
	}
	for (size_t b = 0; b < nb; b++) {
		plan->first[b] = plan->nterms;
		if (!wanted[b])
			continue;
		if (!s.in_u[b]) {
			if (plan->nterms == cap) {
				size_t ncap = cap ? 2 * cap : 64;
				lp_count_term *v = realloc(plan->terms, ncap * sizeof(*v));

				if (!v)
					goto out;
				plan->terms = v;
				cap = ncap;
			}
			plan->terms[plan->nterms++] = (lp_count_term){ (uint32_t)index[b], 1 };
		} else if (derive(&s, b, index, plan, &cap) != 0) {
			goto out;
		}
	}
	plan->first[nb] = plan->nterms;
	rc = 0;
out:
	if (rc != 0)
		lp_count_plan_free(plan);
	sgraph_free(&s);
	free(order);
	free(index);
	free(bridge);
	return rc;
}

long lp_count_measured(const lp_count_plan *plan, int b)
{
	for (size_t m = 0; m < plan->nmeasured; m++)
		if (plan->measured[m] == b)
			return (long)m;
	return -1;
}

void lp_count_plan_free(lp_count_plan *plan)
{
	free(plan->measured);
	free(plan->first);
	free(plan->terms);
	memset(plan, 0, sizeof(*plan));
}

int lp_count_eval(const lp_count_plan *plan, int b, const uint64_t *counts, uint64_t *out)
{
	int64_t sum = 0;

	for (size_t k = plan->first[b]; k < plan->first[b + 1]; k++)
		sum += plan->terms[k].sign * (int64_t)counts[plan->terms[k].index];
	if (sum < 0)
		return -1;
	*out = (uint64_t)sum;
	return 0;
}
