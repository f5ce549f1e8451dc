/*
 * Merging: contexts are appended (renumbered), modules matched by identity,
 * counts re-added through the model's own add functions, so totals and
 * per-context counts stay consistent by construction. The work is linear in
 * the entries of src.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lineprof/merge.h"
#include "profile_priv.h"

/* Same file: build-ids when both have one, else path and what identifies its version. */
static int module_same(const lp_module *a, const lp_module *b)
{
	if (a->build_id_len && b->build_id_len)
		return a->build_id_len == b->build_id_len &&
		       memcmp(a->build_id, b->build_id, a->build_id_len) == 0;
	if (a->build_id_len || b->build_id_len || strcmp(a->path, b->path) != 0)
		return 0;
	if (a->code_hash && b->code_hash)
		return a->code_hash == b->code_hash;
	return a->file_size == b->file_size && a->mtime_ns == b->mtime_ns;
}

static int64_t module_map(lp_profile *dst, const lp_module *m)
{
	int64_t i;

	for (size_t k = 0; k < dst->nmodules; k++)
		if (module_same(&dst->modules[k], m))
			return (int64_t)k;
	i = lp_profile_module(dst, m->path, m->build_id, m->build_id_len);
	if (i < 0)
		return -1;
	dst->modules[i].file_size = m->file_size;
	dst->modules[i].mtime_ns = m->mtime_ns;
	dst->modules[i].code_hash = m->code_hash;
	return i;
}

static int str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int same_process(const lp_context *a, const lp_context *b)
{
	return a->kind == LP_CTX_PROCESS && b->kind == LP_CTX_PROCESS && a->id == b->id &&
	       a->rank == b->rank && a->start_time == b->start_time && str_eq(a->host, b->host) &&
	       str_eq(a->job, b->job) && str_eq(a->name, b->name);
}

static int rank_selected(const lp_merge_opts *o, int rank)
{
	if (!o || !o->ranks)
		return 1;
	return rank >= 0 && rank < o->nranks_bits && (o->ranks[rank / 8] >> (rank % 8)) & 1;
}

/* Keeping some ranks keeps the sampled event only (the entries hold no other): compare it alone. */
static int events_match(const lp_profile *dst, const lp_profile *src, int selecting)
{
	if (selecting ? dst->nevents != (src->nevents > 0) : dst->nevents != src->nevents)
		return 0;
	for (int e = 0; e < dst->nevents; e++)
		if (strcmp(dst->events[e].measured, src->events[e].measured) != 0)
			return 0;
	return 1;
}

static char *command_base(const char *cmd)
{
	size_t n = cmd ? strcspn(cmd, " ") : 0;
	const char *s = cmd;
	char *out;

	if (!cmd || !n)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (cmd[i] == '/')
			s = cmd + i + 1;
	n -= (size_t)(s - cmd);
	out = malloc(n + 1);
	if (out) {
		memcpy(out, s, n);
		out[n] = '\0';
	}
	return out;
}

typedef struct lp_merger {
	lp_profile *dst;
	const lp_profile *src;
	const char *name;
	lp_error *err;
	uint32_t *mod;      /* src module -> dst module */
	uint32_t *ctx;      /* src context -> dst context, LP_CTX_NONE when left out */
	uint32_t whole;     /* a format-1 src: the one process made for it */
	int selecting;
	const lp_merge_opts *opts;
	lp_loc *frames;
	uint64_t kept_ns;   /* CPU ns of the kept contexts (the time event) */
} lp_merger;

static lp_loc map_loc(const lp_merger *m, lp_loc loc)
{
	lp_loc out = { 0 };

	out.module = loc.module == LP_MODULE_NONE ? LP_MODULE_NONE : m->mod[loc.module];
	out.offset = loc.offset;
	return out;
}

static int oom(lp_merger *m)
{
	return lp_error_set(m->err, LP_EFAIL, "lineprof: out of memory merging %s", m->name);
}

static int added(lp_merger *m, int rc)
{
	if (rc == -2)
		return lp_error_set(m->err, LP_EFAIL, "lineprof: merging %s: counts overflow 64 bits",
				    m->name);
	return rc ? oom(m) : LP_OK;
}

static int map_contexts(lp_merger *m)
{
	const lp_profile *src = m->src;
	lp_profile *dst = m->dst;
	size_t base = dst->ncontexts;

	for (size_t i = 0; i < src->ncontexts; i++) {
		const lp_context *c = &src->contexts[i];
		uint32_t proc = lp_profile_process_of(src, (uint32_t)i);
		const lp_context *pc = proc != LP_CTX_NONE ? &src->contexts[proc] : NULL;
		lp_identity id;
		int64_t k;

		m->ctx[i] = LP_CTX_NONE;
		if (c->kind == LP_CTX_PROCESS) {
			for (size_t j = 0; j < base; j++)
				if (same_process(&dst->contexts[j], c))
					return lp_error_set(m->err, LP_EFAIL,
							    "lineprof: %s: process %" PRId64 " (rank %d) is "
							    "already in the merge: a profile given twice, or "
							    "one merged from others given too?", m->name,
							    c->id, c->rank);
		}
		if (!pc || (m->selecting && !rank_selected(m->opts, pc->rank)))
			continue;
		if (c->kind == LP_CTX_THREAD && (c->parent >= i || m->ctx[c->parent] == LP_CTX_NONE))
			continue;
		k = lp_profile_add_context(dst, c->kind,
					   c->kind == LP_CTX_THREAD ? m->ctx[c->parent] : LP_CTX_NONE,
					   c->id, c->name);
		if (k < 0)
			return oom(m);
		if (c->kind == LP_CTX_PROCESS) {
			id = (lp_identity){ c->rank, c->size, c->host, c->job, c->step, c->launcher,
					    c->start_time };
			if (lp_profile_set_identity(dst, (uint32_t)k, &id))
				return oom(m);
		}
		m->ctx[i] = (uint32_t)k;
	}
	return LP_OK;
}

/* A per-context entry holding c's fields for context ctx at dst's address (stack) index. */
static int push(lp_merger *m, int stacks, uint32_t ctx, uint32_t index, const lp_counts *c)
{
	lp_ctx_counts e = { .ctx = ctx, .index = index, .samples = c->samples, .value0 = c->value[0],
			    .sys_samples = c->sys_samples, .sys_value = c->sys_value,
			    .off_count = c->off_count };

	memcpy(e.off_ns, c->off_ns, sizeof(e.off_ns));
	return lp_profile_push_ctx(m->dst, stacks, &e) ? oom(m) : LP_OK;
}

/*
 * Keeping everything (the common case, and a thousand ranks of it): each
 * total is added once, each per-context entry copied once; the totals
 * already hold what no context has. A format-1 file's counts all go to the
 * one process made for it.
 */
static int merge_all(lp_merger *m)
{
	const lp_profile *src = m->src;
	size_t n = src->naddrs > src->nstacks ? src->naddrs : src->nstacks;
	uint32_t *to = malloc((n + 1) * sizeof(*to));
	int rc = LP_OK;

	if (!to)
		return oom(m);
	for (size_t i = 0; i < src->naddrs && rc == LP_OK; i++) {
		int64_t k = lp_profile_addr_index(m->dst, map_loc(m, src->addrs[i].loc));

		to[i] = (uint32_t)k;
		rc = k < 0 ? oom(m) : added(m, lp_profile_add_total(m->dst, to[i], &src->addrs[i].c));
		if (rc == LP_OK && m->whole != LP_CTX_NONE)
			rc = push(m, 0, m->whole, to[i], &src->addrs[i].c);
	}
	for (size_t i = 0; i < src->nctx_addrs && rc == LP_OK; i++) {
		lp_ctx_counts e = src->ctx_addrs[i];

		e.ctx = m->ctx[e.ctx];
		e.index = to[e.index];
		if (e.ctx != LP_CTX_NONE && lp_profile_push_ctx(m->dst, 0, &e))
			rc = oom(m);
	}
	for (size_t i = 0; i < src->nstacks && rc == LP_OK; i++) {
		const lp_stack *st = &src->stacks[i];
		int64_t k;

		for (uint32_t d = 0; d < st->depth; d++)
			m->frames[d] = map_loc(m, src->frames[st->first + d]);
		k = lp_profile_stack(m->dst, m->frames, st->depth);
		to[i] = (uint32_t)k;
		rc = k < 0 ? oom(m) : added(m, lp_profile_add_stack_total(m->dst, to[i], &st->c));
		if (rc == LP_OK && m->whole != LP_CTX_NONE)
			rc = push(m, 1, m->whole, to[i], &st->c);
	}
	for (size_t i = 0; i < src->nctx_stacks && rc == LP_OK; i++) {
		lp_ctx_counts e = src->ctx_stacks[i];

		e.ctx = m->ctx[e.ctx];
		e.index = to[e.index];
		if (e.ctx != LP_CTX_NONE && lp_profile_push_ctx(m->dst, 1, &e))
			rc = oom(m);
	}
	free(to);
	return rc;
}

/* Keeping some ranks: only their contexts' entries, added one by one to fresh totals. */
static int merge_selected(lp_merger *m, int time_ev)
{
	const lp_profile *src = m->src;
	int rc = LP_OK;

	for (size_t i = 0; i < src->nctx_addrs && rc == LP_OK; i++) {
		const lp_ctx_counts *e = &src->ctx_addrs[i];
		lp_counts c;

		if (m->ctx[e->ctx] == LP_CTX_NONE)
			continue;
		lp_ctx_counts_get(e, &c);
		/* Per-context entries keep only the sampled event's values. */
		if (time_ev == 0)
			m->kept_ns += e->value0;
		rc = added(m, lp_profile_add_entry(m->dst, m->ctx[e->ctx],
						   map_loc(m, src->addrs[e->index].loc), &c));
	}
	for (size_t i = 0; i < src->nctx_stacks && rc == LP_OK; i++) {
		const lp_ctx_counts *e = &src->ctx_stacks[i];
		const lp_stack *st = &src->stacks[e->index];
		lp_counts c;

		if (m->ctx[e->ctx] == LP_CTX_NONE)
			continue;
		lp_ctx_counts_get(e, &c);
		for (uint32_t d = 0; d < st->depth; d++)
			m->frames[d] = map_loc(m, src->frames[st->first + d]);
		rc = added(m, lp_profile_add_stack(m->dst, m->ctx[e->ctx], m->frames, st->depth, &c));
	}
	return rc;
}

/* The first profile sets the shape; later ones must fit it. */
static int merge_header(lp_merger *m, int first)
{
	const lp_profile *src = m->src;
	lp_profile *dst = m->dst;

	if (first) {
		/*
		 * Per-context entries keep the sampled event's values only: a
		 * profile of some ranks has that event alone, not the others at 0.
		 */
		dst->nevents = m->selecting && src->nevents > 1 ? 1 : src->nevents;
		memcpy(dst->events, src->events, sizeof(dst->events));
		for (int e = 0; e < LP_MAX_EVENTS; e++)
			dst->events[e].total = 0; /* re-summed by lp_profile_add */
		memset(dst->events + dst->nevents, 0,
		       (size_t)(LP_MAX_EVENTS - dst->nevents) * sizeof(dst->events[0]));
		dst->callchain = src->callchain;
		dst->kernel = src->kernel;
		dst->off_cpu = src->off_cpu;
		dst->exit_status = src->exit_status;
		dst->start_time = src->start_time;
		if (src->command && !(dst->command = strdup(src->command)))
			return oom(m);
		return LP_OK;
	}
	if (!events_match(dst, src, m->selecting))
		return lp_error_set(m->err, LP_EFAIL, "lineprof: %s sampled %s%s, the profiles before "
				    "it %s%s: only profiles of the same events merge (record them "
				    "again with the same -e)", m->name, src->nevents ?
				    src->events[0].measured : "nothing", src->nevents > 1 ? " and more" : "",
				    dst->nevents ? dst->events[0].measured : "nothing",
				    dst->nevents > 1 ? " and more" : "");
	if (dst->callchain != src->callchain || dst->kernel != src->kernel ||
	    dst->off_cpu != src->off_cpu)
		return lp_error_set(m->err, LP_EFAIL, "lineprof: %s was recorded %s call stacks, "
				    "kernel or off-CPU time than the profiles before it: only profiles "
				    "recorded alike merge", m->name,
				    dst->callchain != src->callchain ? "with other" : "with other");
	if (src->command && dst->command && strcmp(src->command, dst->command) != 0) {
		free(dst->command);
		if (!(dst->command = strdup("(merged profiles of different commands)")))
			return oom(m);
	}
	if (src->start_time && (!dst->start_time || src->start_time < dst->start_time))
		dst->start_time = src->start_time;
	/* The job failed if a rank did: keep the first status that is not success. */
	if (dst->exit_status <= 0 && src->exit_status > 0)
		dst->exit_status = src->exit_status;
	return LP_OK;
}

int lp_profile_merge(lp_profile *dst, const lp_profile *src, const char *name,
		     const lp_merge_opts *opts, lp_error *err)
{
	lp_merger m = { .dst = dst, .src = src, .name = name, .err = err,
			.whole = LP_CTX_NONE };
	int first = dst->ncontexts == 0 && dst->naddrs == 0 && dst->nmodules == 0 &&
		    !dst->command && dst->nevents == 0;
	int time_ev = lp_profile_time_event(src), rc;
	uint64_t sum;

	m.selecting = opts && opts->ranks;
	m.opts = opts;
	if ((rc = merge_header(&m, first)) != LP_OK)
		return rc;
	m.mod = malloc((src->nmodules + 1) * sizeof(*m.mod));
	m.ctx = malloc((src->ncontexts + 1) * sizeof(*m.ctx));
	m.frames = calloc(LP_MAX_STACK, sizeof(*m.frames));
	if (!m.mod || !m.ctx || !m.frames) {
		rc = oom(&m);
		goto out;
	}
	for (size_t i = 0; i < src->nmodules; i++) {
		int64_t k = module_map(dst, &src->modules[i]);

		if (k < 0) {
			rc = oom(&m);
			goto out;
		}
		m.mod[i] = (uint32_t)k;
	}
	if ((rc = map_contexts(&m)) != LP_OK)
		goto out;
	if (src->ncontexts == 0 && !m.selecting) {
		/* Format 1: the whole file is one process, known by its command. */
		char *base = command_base(src->command);
		int64_t k = lp_profile_add_context(dst, LP_CTX_PROCESS, LP_CTX_NONE, 0, base);

		free(base);
		if (k < 0) {
			rc = oom(&m);
			goto out;
		}
		m.whole = (uint32_t)k;
	}
	rc = m.selecting ? merge_selected(&m, time_ev) : merge_all(&m);
	if (rc != LP_OK)
		goto out;
	for (size_t i = 0; i < src->nhits && !m.selecting && rc == LP_OK; i++)
		rc = added(&m, lp_profile_add_hits(dst, map_loc(&m, src->hits[i].loc),
						   src->hits[i].count));
	if (rc != LP_OK)
		goto out;
	/*
	 * Whole-run sums add up. When only some ranks of a file are kept, its
	 * CPU time is what their samples measured, not the file's total.
	 */
	if (m.selecting && time_ev >= 0)
		sum = m.kept_ns;
	else if (m.selecting)
		sum = 0;
	else
		sum = src->task_clock_ns;
	dst->task_clock_ns += sum;
	if (!m.selecting) {
		dst->user_ns += src->user_ns;
		dst->sys_ns += src->sys_ns;
		dst->lost += src->lost;
		dst->throttled += src->throttled;
		dst->off_lost_ns += src->off_lost_ns;
	}
	if (src->wall_ns > dst->wall_ns)
		dst->wall_ns = src->wall_ns;
out:
	free(m.mod);
	free(m.ctx);
	free(m.frames);
	return rc;
}
