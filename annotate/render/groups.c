/*
 * A group's report. The per-context entries are ordered by group once (a
 * counting sort, as contexts.c gathers them); a group's profile is then its
 * entries summed per address and per stack, in the order of the whole
 * profile's addresses and stacks, and built into a report like any other.
 * Time: O(entries) to order, O(the group's entries + its report) per group.
 */
#include <stdlib.h>
#include <string.h>

#include "groups.h"

#define LP_NO_SLOT UINT32_MAX

/* Entries of each group, contiguous: start[g] .. start[g + 1] in order. */
static int order_by_group(const lp_ctxview *cv, const lp_ctx_counts *e, size_t n, size_t **startp,
			  uint32_t **orderp)
{
	size_t ng = cv->ngroups, *start = calloc(ng + 2, sizeof(*start));
	uint32_t *order = malloc((n + 1) * sizeof(*order));

	*startp = start;
	*orderp = order;
	if (!start || !order)
		return -1;
	for (size_t i = 0; i < n; i++) {
		uint32_t g = cv->group_of[e[i].ctx];

		if (g != UINT32_MAX)
			start[g + 2]++;
	}
	for (size_t g = 1; g <= ng; g++)
		start[g + 1] += start[g];
	/* start[g + 1] is now where group g's entries begin; it moves to their end while filling. */
	for (size_t i = 0; i < n; i++) {
		uint32_t g = cv->group_of[e[i].ctx];

		if (g != UINT32_MAX)
			order[start[g + 1]++] = (uint32_t)i;
	}
	return 0;
}

int lp_groupset_init(lp_groupset *gs, const lp_report *whole, const lp_ctxview *cv, lp_error *err)
{
	const lp_profile *p = whole->prof;
	size_t nslots = (p->naddrs > p->nstacks ? p->naddrs : p->nstacks) + 1;

	memset(gs, 0, sizeof(*gs));
	gs->whole = whole;
	gs->cv = cv;
	if (!cv->group_of || order_by_group(cv, p->ctx_addrs, p->nctx_addrs, &gs->astart, &gs->aorder) ||
	    order_by_group(cv, p->ctx_stacks, p->nctx_stacks, &gs->sstart, &gs->sorder) ||
	    !(gs->slot = malloc(nslots * sizeof(*gs->slot)))) {
		lp_groupset_free(gs);
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory grouping samples by %s",
				    lp_by_name(cv->level));
	}
	for (size_t i = 0; i < nslots; i++)
		gs->slot[i] = LP_NO_SLOT;
	return LP_OK;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The group's entries of one kind (addresses or stacks) summed per index,
 * into *idx (the whole profile's indices, ascending) and *sum, n of them.
 */
static int sum_entries(lp_groupset *gs, const lp_ctx_counts *e, const uint32_t *order, size_t lo,
		       size_t hi, uint32_t **idx, lp_counts **sum, size_t *n)
{
	size_t k = 0;

	*idx = malloc((hi - lo + 1) * sizeof(**idx));
	*sum = calloc(hi - lo + 1, sizeof(**sum));
	*n = 0;
	if (!*idx || !*sum)
		return -1;
	for (size_t i = lo; i < hi; i++) {
		uint32_t x = e[order[i]].index;

		if (gs->slot[x] == LP_NO_SLOT) {
			gs->slot[x] = (uint32_t)k;
			(*idx)[k++] = x;
		}
	}
	/* Ascending indices: the group's report meets its addresses in the whole one's order. */
	qsort(*idx, k, sizeof(**idx), cmp_u32);
	for (size_t j = 0; j < k; j++)
		gs->slot[(*idx)[j]] = (uint32_t)j;
	for (size_t i = lo; i < hi; i++) {
		const lp_ctx_counts *c = &e[order[i]];
		lp_counts one;

		lp_ctx_counts_get(c, &one);
		if (lp_counts_add(&(*sum)[gs->slot[c->index]], &one) != 0)
			return -2;
	}
	for (size_t j = 0; j < k; j++)
		gs->slot[(*idx)[j]] = LP_NO_SLOT;
	*n = k;
	return 0;
}

/*
 * The whole report's -f tables, as they were selected: the group's report
 * answers the same names with the same functions (descs are the shared
 * symbolizer's), whether the group ran them or not. -1: out of memory.
 */
static int copy_tables(lp_report *rep, const lp_report *whole)
{
	if (!whole->ntables)
		return 0;
	if (!(rep->tables = calloc(whole->ntables, sizeof(*rep->tables))))
		return -1;
	for (size_t i = 0; i < whole->ntables; i++) {
		const lp_ftable *w = &whole->tables[i];
		lp_ftable *t = &rep->tables[rep->ntables++];

		*t = *w;
		t->fns = NULL;
		t->title = strdup(w->title ? w->title : "");
		if (w->nfns && (t->fns = malloc(w->nfns * sizeof(*t->fns))))
			memcpy(t->fns, w->fns, w->nfns * sizeof(*t->fns));
		if (!t->title || (w->nfns && !t->fns))
			return -1;
	}
	return 0;
}

int lp_groupset_report(lp_groupset *gs, uint32_t g, lp_report *rep, lp_error *err)
{
	const lp_profile *w = gs->whole->prof;
	lp_profile *p = &gs->prof;
	uint32_t *idx = NULL;
	lp_counts *sum = NULL;
	size_t n = 0;
	int rc;

	memset(rep, 0, sizeof(*rep));
	free(p->addrs);
	free(p->stacks);
	memset(p, 0, sizeof(*p));
	/* What the whole run says of itself, and what its counts refer to (borrowed). */
	p->version = w->version;
	p->command = w->command;
	p->start_time = w->start_time;
	p->wall_ns = w->wall_ns;
	p->task_clock_ns = w->task_clock_ns;
	p->exit_status = w->exit_status;
	p->callchain = w->callchain;
	p->kernel = w->kernel;
	p->off_cpu = w->off_cpu;
	p->nevents = w->nevents;
	memcpy(p->events, w->events, sizeof(p->events));
	for (int e = 0; e < LP_MAX_EVENTS; e++)
		p->events[e].total = 0;
	p->modules = w->modules;
	p->nmodules = w->nmodules;
	p->contexts = w->contexts;
	p->ncontexts = w->ncontexts;
	p->frames = w->frames;
	p->nframes = w->nframes;
	if (g >= gs->cv->ngroups)
		return lp_error_set(err, LP_EFAIL, "lineprof: no group %u", g);
	rc = sum_entries(gs, w->ctx_addrs, gs->aorder, gs->astart[g], gs->astart[g + 1], &idx, &sum, &n);
	if (rc == 0 && !(p->addrs = malloc((n + 1) * sizeof(*p->addrs))))
		rc = -1;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		p->addrs[i].loc = w->addrs[idx[i]].loc;
		p->addrs[i].c = sum[i];
		p->samples += sum[i].samples;
		p->events[0].total += sum[i].value[0];
	}
	p->naddrs = rc == 0 ? n : 0;
	free(idx);
	free(sum);
	idx = NULL;
	sum = NULL;
	if (rc == 0)
		rc = sum_entries(gs, w->ctx_stacks, gs->sorder, gs->sstart[g], gs->sstart[g + 1], &idx,
				 &sum, &n);
	if (rc == 0 && !(p->stacks = malloc((n + 1) * sizeof(*p->stacks))))
		rc = -1;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		p->stacks[i].first = w->stacks[idx[i]].first;
		p->stacks[i].depth = w->stacks[idx[i]].depth;
		p->stacks[i].c = sum[i];
	}
	p->nstacks = rc == 0 ? n : 0;
	free(idx);
	free(sum);
	if (rc != 0)
		return lp_error_set(err, LP_EFAIL, rc == -2 ? "lineprof: a count of %s %s overflows"
				    : "lineprof: out of memory building the report of %s %s",
				    lp_by_name(gs->cv->level), gs->cv->groups[g].label);
	rc = lp_report_build(rep, p, &gs->whole->sym, err);
	if (rc == LP_OK && copy_tables(rep, gs->whole) != 0) {
		lp_report_free(rep);
		rc = lp_error_set(err, LP_EFAIL, "lineprof: out of memory building the report of %s %s",
				  lp_by_name(gs->cv->level), gs->cv->groups[g].label);
	}
	return rc;
}

void lp_groupset_free(lp_groupset *gs)
{
	free(gs->astart);
	free(gs->sstart);
	free(gs->aorder);
	free(gs->sorder);
	free(gs->slot);
	free(gs->prof.addrs);
	free(gs->prof.stacks);
	memset(gs, 0, sizeof(*gs));
}
