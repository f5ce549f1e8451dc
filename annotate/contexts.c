/*
 * Grouping per-context counts. Each per-context entry of an address adds to
 * its group's count of the address's line and function; a group's line and
 * function sums are gathered in dense scratch arrays while that group's
 * entries are processed (entries are visited group by group through a
 * counting sort), then folded into the statistics and the scratch is reset
 * where it was touched. Time: O(entries + groups + lines + funcs).
 */
#include <stdlib.h>
#include <string.h>

#include "contexts.h"

#define LP_NO_GROUP UINT32_MAX

const char *lp_by_name(enum lp_by by)
{
	switch (by) {
	case LP_BY_THREAD: return "thread";
	case LP_BY_PROCESS: return "process";
	case LP_BY_RANK: return "rank";
	default: return "none";
	}
}

/*
 * Open MPI (libmpi, libopen-pal, libopen-rte, its mca_* components), PMIx,
 * UCX (libucp, libucs, libuct), libfabric, PSM2 and MPICH: their code is the
 * job's communication, whatever the symbols say.
 */
int lp_module_is_mpi(const lp_profile *p, uint32_t module)
{
	static const char *const prefixes[] = {
		"libmpi", "libopen-pal", "libopen-rte", "mca_", "libpmix", "libucp", "libucs",
		"libuct", "libfabric", "libpsm2", "libmpich", "libopen-orted", "libprrte",
	};
	const char *path, *base;

	if (module >= p->nmodules || !(path = p->modules[module].path))
		return 0;
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(base, prefixes[i], strlen(prefixes[i])) == 0)
			return 1;
	return 0;
}

/* The group key of context c at a level, and whether it has one. */
static int key_of(const lp_profile *p, uint32_t c, enum lp_by by, int64_t *key)
{
	uint32_t proc = lp_profile_process_of(p, c);

	if (by == LP_BY_THREAD) {
		if (p->contexts[c].kind != LP_CTX_THREAD)
			return 0;
		*key = c;
		return 1;
	}
	if (proc == LP_CTX_NONE)
		return 0;
	if (by == LP_BY_PROCESS) {
		*key = proc;
		return 1;
	}
	if (p->contexts[proc].rank < 0)
		return 0;
	*key = p->contexts[proc].rank;
	return 1;
}

static int count_ranks(const lp_profile *p)
{
	int n = 0;

	for (size_t i = 0; i < p->ncontexts; i++) {
		int dup = 0;

		if (p->contexts[i].kind != LP_CTX_PROCESS || p->contexts[i].rank < 0)
			continue;
		for (size_t j = 0; j < i && !dup; j++)
			dup = p->contexts[j].kind == LP_CTX_PROCESS &&
			      p->contexts[j].rank == p->contexts[i].rank;
		n += !dup;
	}
	return n;
}

static int cmp_group(const void *a, const void *b)
{
	const lp_group *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* The groups with samples, ordered by rank, pid or tid; group_of for every context. */
static int make_groups(lp_ctxview *cv, const lp_profile *p)
{
	uint64_t *ctx_samples = calloc(p->ncontexts + 1, sizeof(*ctx_samples));
	uint32_t *tmp_of;
	size_t n = 0;

	cv->group_of = malloc((p->ncontexts + 1) * sizeof(*cv->group_of));
	cv->groups = calloc(p->ncontexts + 1, sizeof(*cv->groups));
	if (!ctx_samples || !cv->group_of || !cv->groups) {
		free(ctx_samples);
		return -1;
	}
	for (size_t i = 0; i < p->nctx_addrs; i++)
		ctx_samples[p->ctx_addrs[i].ctx] += p->ctx_addrs[i].samples;
	/* A group per distinct key among contexts with samples (ranks: few; scan by key map). */
	for (uint32_t c = 0; c < p->ncontexts; c++) {
		int64_t key;
		size_t g;

		cv->group_of[c] = LP_NO_GROUP;
		if (!key_of(p, c, cv->level, &key))
			continue;
		if (!ctx_samples[c] && cv->level != LP_BY_RANK)
			continue;
		for (g = 0; g < n && cv->groups[g].id != key; g++)
			;
		if (g == n) {
			/* Processes and threads are distinct by index: no search needed past the last. */
			cv->groups[n].id = key;
			cv->groups[n].ctx = cv->level == LP_BY_RANK ? lp_profile_process_of(p, c) : c;
			n++;
		}
		cv->group_of[c] = (uint32_t)g;
		if (cv->level == LP_BY_RANK && p->contexts[c].kind == LP_CTX_PROCESS)
			cv->groups[g].nprocs++;
	}
	free(ctx_samples);
	/* Order by key, labels by level; group_of follows through a renumbering. */
	for (size_t g = 0; g < n; g++)
		cv->groups[g].samples = g; /* the old index, for a moment */
	qsort(cv->groups, n, sizeof(*cv->groups), cmp_group);
	tmp_of = malloc((n + 1) * sizeof(*tmp_of));
	if (!tmp_of)
		return -1;
	for (size_t g = 0; g < n; g++) {
		lp_group *gr = &cv->groups[g];
		const lp_context *c = &p->contexts[gr->ctx];

		tmp_of[gr->samples] = (uint32_t)g;
		gr->samples = 0;
		if (cv->level == LP_BY_RANK)
			snprintf(gr->label, sizeof(gr->label), "r%lld", (long long)gr->id);
		else
			snprintf(gr->label, sizeof(gr->label), "%c%lld",
				 cv->level == LP_BY_THREAD ? 't' : 'p', (long long)c->id);
	}
	for (size_t c = 0; c < p->ncontexts; c++)
		if (cv->group_of[c] != LP_NO_GROUP)
			cv->group_of[c] = tmp_of[cv->group_of[c]];
	free(tmp_of);
	cv->ngroups = n;
	return 0;
}

static void fold(lp_stat *st, uint32_t g, uint64_t s, uint64_t v, int first_touch_seen)
{
	(void)first_touch_seen;
	st->sum_s += s;
	st->sum_v += v;
	if (st->nz == 0 || v > st->max_v || (v == st->max_v && s > st->max_s)) {
		st->max_v = v;
		st->max_s = s;
		st->max_g = g;
	}
	if (st->nz == 0 || v < st->min_v || (v == st->min_v && s < st->min_s)) {
		st->min_v = v;
		st->min_s = s;
	}
	st->nz++;
}

/* One group's sums, gathered in scratch (v, s) at the touched indices, into stats and matrices. */
typedef struct lp_scratch {
	uint64_t *v, *s;
	uint32_t *touched;
	unsigned char *mark;            /* in touched: an entry may add nothing (waits only) */
	size_t ntouched;
} lp_scratch;

static void flush(lp_scratch *sc, lp_stat *stats, uint64_t *mv, uint64_t *ms, size_t ngroups,
		  uint32_t g)
{
	for (size_t k = 0; k < sc->ntouched; k++) {
		uint32_t i = sc->touched[k];

		if (stats && (sc->s[i] || sc->v[i]))
			fold(&stats[i], g, sc->s[i], sc->v[i], 0);
		if (mv) {
			mv[(size_t)i * ngroups + g] = sc->v[i];
			ms[(size_t)i * ngroups + g] = sc->s[i];
		}
		sc->v[i] = sc->s[i] = 0;
		sc->mark[i] = 0;
	}
	sc->ntouched = 0;
}

static void touch(lp_scratch *sc, uint32_t i, const lp_ctx_counts *c)
{
	if (!sc->mark[i]) {
		sc->mark[i] = 1;
		sc->touched[sc->ntouched++] = i;
	}
	sc->v[i] += c->value0;
	sc->s[i] += c->samples;
}

static int scratch_new(lp_scratch *sc, size_t n)
{
	sc->v = calloc(n + 1, sizeof(*sc->v));
	sc->s = calloc(n + 1, sizeof(*sc->s));
	sc->touched = malloc((n + 1) * sizeof(*sc->touched));
	sc->mark = calloc(n + 1, 1);
	sc->ntouched = 0;
	return sc->v && sc->s && sc->touched && sc->mark ? 0 : -1;
}

static void scratch_free(lp_scratch *sc)
{
	free(sc->v);
	free(sc->s);
	free(sc->touched);
	free(sc->mark);
}

/* A group with no count of a line has 0 there: the min over all groups is then 0. */
static void finish_min(lp_stat *st, size_t n, size_t ngroups)
{
	for (size_t i = 0; i < n; i++)
		if (st[i].nz < ngroups)
			st[i].min_v = st[i].min_s = 0;
}

/* Per address: is it in an MPI library? Judged once per module, not once per entry. */
static unsigned char *mpi_addrs(const lp_profile *p)
{
	unsigned char *mod = malloc(p->nmodules + 1), *addr = malloc(p->naddrs + 1);

	if (!mod || !addr) {
		free(mod);
		free(addr);
		return NULL;
	}
	for (uint32_t m = 0; m < p->nmodules; m++)
		mod[m] = (unsigned char)lp_module_is_mpi(p, m);
	for (size_t i = 0; i < p->naddrs; i++)
		addr[i] = p->addrs[i].loc.module < p->nmodules && mod[p->addrs[i].loc.module];
	free(mod);
	return addr;
}

static int gather(lp_ctxview *cv, const lp_report *rep, const unsigned char *mpi_of)
{
	const lp_profile *p = rep->prof;
	size_t ng = cv->ngroups, *start = calloc(ng + 2, sizeof(*start));
	uint32_t *order = malloc((p->nctx_addrs + 1) * sizeof(*order));
	lp_scratch ls = { 0 }, fs = { 0 };
	int rc = -1;

	if (!start || !order || scratch_new(&ls, rep->nlines) || scratch_new(&fs, rep->nfuncs))
		goto out;
	/* Counting sort of the entries by group. */
	for (size_t i = 0; i < p->nctx_addrs; i++) {
		uint32_t g = cv->group_of[p->ctx_addrs[i].ctx];

		if (g != LP_NO_GROUP)
			start[g + 1]++;
	}
	for (size_t g = 0; g < ng; g++)
		start[g + 1] += start[g];
	for (size_t i = 0; i < p->nctx_addrs; i++) {
		const lp_ctx_counts *e = &p->ctx_addrs[i];
		uint32_t g = cv->group_of[e->ctx];
		int mpi = mpi_of[e->index];

		if (mpi) {
			cv->mpi_samples += e->samples;
			cv->mpi_value0 += e->value0;
		}
		if (g == LP_NO_GROUP) {
			cv->outside_samples += e->samples;
			continue;
		}
		cv->groups[g].samples += e->samples;
		cv->groups[g].value0 += e->value0;
		if (mpi) {
			cv->groups[g].mpi_samples += e->samples;
			cv->groups[g].mpi_value0 += e->value0;
		}
		order[start[g]++] = (uint32_t)i;
	}
	/* start[g] is now the end of group g, start[g - 1] its beginning. */
	for (size_t g = 0, k = 0; g < ng; g++) {
		for (; k < start[g]; k++) {
			const lp_ctx_counts *e = &p->ctx_addrs[order[k]];

			touch(&ls, rep->addr_line[e->index], e);
			touch(&fs, rep->addr_func[e->index], e);
		}
		flush(&ls, cv->line_stats, cv->line_v, cv->line_s, ng, (uint32_t)g);
		flush(&fs, cv->func_stats, cv->func_v, cv->func_s, ng, (uint32_t)g);
	}
	if (cv->line_stats) {
		finish_min(cv->line_stats, rep->nlines, ng);
		finish_min(cv->func_stats, rep->nfuncs, ng);
	}
	rc = 0;
out:
	free(start);
	free(order);
	scratch_free(&ls);
	scratch_free(&fs);
	return rc;
}

int lp_ctxview_build(lp_ctxview *cv, const lp_report *rep, enum lp_by by, int columns,
		     lp_error *err)
{
	const lp_profile *p = rep->prof;
	size_t nl = rep->nlines + 1, nf = rep->nfuncs + 1;
	unsigned char *mpi_of;

	memset(cv, 0, sizeof(*cv));
	cv->nranks = count_ranks(p);
	cv->level = by != LP_BY_NONE ? by : cv->nranks >= 2 ? LP_BY_RANK : LP_BY_NONE;
	if (!p->nctx_addrs || cv->level == LP_BY_NONE) {
		/* Nothing per context to group (format 1, or one rank): still the MPI share. */
		if (!p->nctx_addrs)
			cv->level = LP_BY_NONE;
		for (size_t i = 0; i < p->naddrs; i++)
			if (lp_module_is_mpi(p, p->addrs[i].loc.module)) {
				cv->mpi_samples += p->addrs[i].c.samples;
				cv->mpi_value0 += p->addrs[i].c.value[0];
			}
		return LP_OK;
	}
	if (make_groups(cv, p))
		goto nomem;
	cv->stats = cv->ngroups >= 2;
	if (cv->stats && (!(cv->line_stats = calloc(nl, sizeof(*cv->line_stats))) ||
			  !(cv->func_stats = calloc(nf, sizeof(*cv->func_stats)))))
		goto nomem;
	cv->columns = columns && by != LP_BY_NONE;
	if (cv->columns && cv->ngroups &&
	    (!(cv->line_v = calloc(nl * cv->ngroups, sizeof(uint64_t))) ||
	     !(cv->line_s = calloc(nl * cv->ngroups, sizeof(uint64_t))) ||
	     !(cv->func_v = calloc(nf * cv->ngroups, sizeof(uint64_t))) ||
	     !(cv->func_s = calloc(nf * cv->ngroups, sizeof(uint64_t)))))
		goto nomem;
	mpi_of = mpi_addrs(p);
	if (!mpi_of || gather(cv, rep, mpi_of)) {
		free(mpi_of);
		goto nomem;
	}
	free(mpi_of);
	return LP_OK;
nomem:
	lp_ctxview_free(cv);
	return lp_error_set(err, LP_EFAIL, "lineprof: out of memory grouping samples by %s",
			    lp_by_name(by));
}

void lp_ctxview_free(lp_ctxview *cv)
{
	free(cv->groups);
	free(cv->group_of);
	free(cv->line_stats);
	free(cv->func_stats);
	free(cv->line_v);
	free(cv->line_s);
	free(cv->func_v);
	free(cv->func_s);
	memset(cv, 0, sizeof(*cv));
}

double lp_stat_mean_s(const lp_report *rep, const lp_ctxview *cv, const lp_stat *st)
{
	return cv->ngroups ? lp_report_seconds(rep, st->sum_v) / (double)cv->ngroups : 0;
}

double lp_stat_min_s(const lp_report *rep, const lp_stat *st)
{
	return lp_report_seconds(rep, st->min_v);
}

double lp_stat_max_s(const lp_report *rep, const lp_stat *st)
{
	return lp_report_seconds(rep, st->max_v);
}

double lp_stat_imbalance(const lp_report *rep, const lp_ctxview *cv, const lp_stat *st)
{
	double mean = lp_stat_mean_s(rep, cv, st);

	return mean > 0 ? lp_stat_max_s(rep, st) / mean : 0;
}
