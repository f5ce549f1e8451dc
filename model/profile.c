/*
 * The in-memory profile. Adding a sample is a hash probe on (module, offset),
 * adding a stack a probe on its frames: the recorder calls these per sample,
 * so they must be O(1) and allocate only for new keys.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lineprof/profile.h"
#include "profile_priv.h"

/*
 * Open addressing, power-of-two capacity, slot = index + 1 (0 = empty).
 * Entries [0, indexed) are in the table; readers append entries without it
 * (lp_profile_add_entry), and the next lookup indexes the rest first.
 */
typedef struct lp_table {
	uint32_t *slots;
	lp_loc *keys;    /* the addresses table only: each slot's address, so that a probe
	                    reads the table and not the (large, scattered) entry */
	size_t cap;
	size_t indexed;
} lp_table;

struct lp_profile_index {
	lp_table addrs;
	lp_table stacks;
	lp_table hits;
	lp_table ctx_addrs, ctx_stacks;
	size_t cap_addrs, cap_stacks, cap_frames, cap_hits, cap_modules, cap_contexts;
	size_t cap_ctx_addrs, cap_ctx_stacks;
};

static uint64_t hash_mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static uint64_t hash_loc(lp_loc loc)
{
	return hash_mix(loc.offset * 31 + loc.module);
}

static uint64_t hash_frames(const lp_loc *f, uint32_t depth)
{
	uint64_t h = depth;

	for (uint32_t i = 0; i < depth; i++)
		h = hash_mix(h ^ hash_loc(f[i]));
	return h;
}

static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *n;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 64;
	while (ncap < need)
		ncap *= 2;
	n = realloc(*arr, ncap * elem);
	if (!n)
		return -1;
	*arr = n;
	*cap = ncap;
	return 0;
}

/* Keeps the load factor under 1/2; rehashing needs each entry's hash again. */
typedef uint64_t (*lp_hash_fn)(const lp_profile *p, uint32_t idx);

static size_t table_put(uint32_t *slots, size_t cap, uint64_t h, uint32_t i)
{
	size_t s = h & (cap - 1);

	while (slots[s])
		s = (s + 1) & (cap - 1);
	slots[s] = i + 1;
	return s;
}

/* Ready for a lookup and one insert among count entries: every entry indexed, load under 1/2. */
static int table_rehash(lp_table *t, size_t count, const lp_profile *p, lp_hash_fn hash)
{
	size_t ncap = t->cap ? t->cap : 128;
	uint32_t *slots;

	if (t->indexed == count && (count + 1) * 2 <= t->cap)
		return 0;
	while (ncap < (count + 1) * 2)
		ncap *= 2;
	if (ncap != t->cap) {
		slots = calloc(ncap, sizeof(*slots));
		if (!slots)
			return -1;
		free(t->slots);
		t->slots = slots;
		t->cap = ncap;
		t->indexed = 0;
	}
	for (; t->indexed < count; t->indexed++)
		table_put(t->slots, t->cap, hash(p, (uint32_t)t->indexed), (uint32_t)t->indexed);
	return 0;
}

static uint64_t hit_hash(const lp_profile *p, uint32_t i)
{
	return hash_loc(p->hits[i].loc);
}

static uint64_t stack_hash(const lp_profile *p, uint32_t i)
{
	return hash_frames(p->frames + p->stacks[i].first, p->stacks[i].depth);
}

static uint64_t hash_pair(uint32_t ctx, uint32_t index)
{
	return hash_mix((uint64_t)ctx << 32 | index);
}

static uint64_t ctx_addr_hash(const lp_profile *p, uint32_t i)
{
	return hash_pair(p->ctx_addrs[i].ctx, p->ctx_addrs[i].index);
}

static uint64_t ctx_stack_hash(const lp_profile *p, uint32_t i)
{
	return hash_pair(p->ctx_stacks[i].ctx, p->ctx_stacks[i].index);
}

static int loc_eq(lp_loc a, lp_loc b)
{
	return a.module == b.module && a.offset == b.offset;
}

/* Field by field: lp_loc has padding, which callers need not have zeroed. */
static int frames_eq(const lp_loc *a, const lp_loc *b, uint32_t depth)
{
	for (uint32_t i = 0; i < depth; i++)
		if (!loc_eq(a[i], b[i]))
			return 0;
	return 1;
}

lp_profile *lp_profile_new(void)
{
	lp_profile *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->index = calloc(1, sizeof(*p->index));
	if (!p->index) {
		free(p);
		return NULL;
	}
	p->version = LP_FORMAT_VERSION;
	p->exit_status = -1;
	return p;
}

static void context_free(lp_context *c)
{
	free(c->name);
	free(c->host);
	free(c->job);
	free(c->step);
	free(c->launcher);
}

void lp_profile_free(lp_profile *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nmodules; i++)
		free(p->modules[i].path);
	free(p->modules);
	for (size_t i = 0; i < p->ncontexts; i++)
		context_free(&p->contexts[i]);
	free(p->contexts);
	free(p->addrs);
	free(p->stacks);
	free(p->frames);
	free(p->ctx_addrs);
	free(p->ctx_stacks);
	free(p->hits);
	free(p->command);
	if (p->index) {
		free(p->index->addrs.slots);
		free(p->index->addrs.keys);
		free(p->index->stacks.slots);
		free(p->index->hits.slots);
		free(p->index->ctx_addrs.slots);
		free(p->index->ctx_stacks.slots);
		free(p->index);
	}
	free(p);
}

void lp_profile_clear_hits(lp_profile *p)
{
	free(p->hits);
	p->hits = NULL;
	p->nhits = 0;
	p->index->cap_hits = 0;
	free(p->index->hits.slots);
	p->index->hits.slots = NULL;
	p->index->hits.cap = 0;
}

/* Characters a POSIX shell leaves alone; anything else gets single quotes. */
static int shell_safe(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789@%_-+=:,./", *s))
			return 0;
	return 1;
}

/* Control characters need $'...' (bash, zsh, ksh, POSIX.1-2024): inside '...' a newline is raw. */
static int has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

int lp_profile_set_command(lp_profile *p, int argc, char *const argv[])
{
	size_t len = 1;
	char *cmd, *o;

	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) * 4 + 4;
	cmd = malloc(len);
	if (!cmd)
		return -1;
	o = cmd;
	for (int i = 0; i < argc; i++) {
		if (i)
			*o++ = ' ';
		if (shell_safe(argv[i])) {
			o = stpcpy(o, argv[i]);
			continue;
		}
		if (has_control(argv[i])) {
			/* A command line is one line wherever it is shown: \n, \t, \xNN. */
			o = stpcpy(o, "$'");
			for (const unsigned char *s = (const unsigned char *)argv[i]; *s; s++) {
				if (*s == '\'' || *s == '\\')
					*o++ = '\\', *o++ = (char)*s;
				else if (*s == '\n')
					o = stpcpy(o, "\\n");
				else if (*s == '\t')
					o = stpcpy(o, "\\t");
				else if (*s < 0x20 || *s == 0x7f)
					o += sprintf(o, "\\x%02x", *s);
				else
					*o++ = (char)*s;
			}
			*o++ = '\'';
			continue;
		}
		*o++ = '\'';
		for (const char *s = argv[i]; *s; s++) {
			if (*s == '\'')
				o = stpcpy(o, "'\\''");
			else
				*o++ = *s;
		}
		*o++ = '\'';
	}
	*o = '\0';
	free(p->command);
	p->command = cmd;
	return 0;
}

int64_t lp_profile_module(lp_profile *p, const char *path,
			  const unsigned char *build_id, size_t build_id_len)
{
	lp_module *m;

	if (build_id_len > LP_BUILD_ID_MAX)
		build_id_len = LP_BUILD_ID_MAX;
	/* Few modules per run (the executable and its libraries): a scan is fine. */
	for (size_t i = 0; i < p->nmodules; i++) {
		m = &p->modules[i];
		if (strcmp(m->path, path) == 0 && m->build_id_len == build_id_len &&
		    memcmp(m->build_id, build_id, build_id_len) == 0)
			return (int64_t)i;
	}
	if (p->nmodules >= LP_MODULE_NONE - 1 ||
	    grow((void **)&p->modules, &p->index->cap_modules, p->nmodules + 1,
		 sizeof(*p->modules)))
		return -1;
	m = &p->modules[p->nmodules];
	memset(m, 0, sizeof(*m));
	m->path = strdup(path);
	if (!m->path)
		return -1;
	if (build_id_len)
		memcpy(m->build_id, build_id, build_id_len);
	m->build_id_len = (uint8_t)build_id_len;
	return (int64_t)p->nmodules++;
}

int lp_counts_add(lp_counts *dst, const lp_counts *src)
{
	lp_counts sum;

	if (__builtin_add_overflow(dst->samples, src->samples, &sum.samples) ||
	    __builtin_add_overflow(dst->sys_samples, src->sys_samples, &sum.sys_samples) ||
	    __builtin_add_overflow(dst->sys_value, src->sys_value, &sum.sys_value) ||
	    __builtin_add_overflow(dst->off_count, src->off_count, &sum.off_count))
		return -1;
	for (int i = 0; i < LP_MAX_EVENTS; i++)
		if (__builtin_add_overflow(dst->value[i], src->value[i], &sum.value[i]))
			return -1;
	for (int i = 0; i < LP_NOFF; i++)
		if (__builtin_add_overflow(dst->off_ns[i], src->off_ns[i], &sum.off_ns[i]))
			return -1;
	*dst = sum;
	return 0;
}

void lp_counts_sub(lp_counts *c, const lp_counts *part)
{
	c->samples -= part->samples;
	for (int i = 0; i < LP_MAX_EVENTS; i++)
		c->value[i] -= part->value[i];
	c->sys_samples -= part->sys_samples;
	c->sys_value -= part->sys_value;
	c->off_count -= part->off_count;
	for (int i = 0; i < LP_NOFF; i++)
		c->off_ns[i] -= part->off_ns[i];
}

int lp_counts_is_zero(const lp_counts *c)
{
	static const lp_counts zero;

	return memcmp(c, &zero, sizeof(zero)) == 0;
}

void lp_ctx_counts_get(const lp_ctx_counts *e, lp_counts *out)
{
	memset(out, 0, sizeof(*out));
	out->samples = e->samples;
	out->value[0] = e->value0;
	out->sys_samples = e->sys_samples;
	out->sys_value = e->sys_value;
	out->off_count = e->off_count;
	for (int i = 0; i < LP_NOFF; i++)
		out->off_ns[i] = e->off_ns[i];
}

/* Adds the fields a per-context entry keeps; -1 if a sum would overflow (e unchanged). */
static int ctx_counts_add(lp_ctx_counts *e, const lp_counts *c)
{
	lp_ctx_counts x = *e;

	if (__builtin_add_overflow(x.samples, c->samples, &x.samples) ||
	    __builtin_add_overflow(x.value0, c->value[0], &x.value0) ||
	    __builtin_add_overflow(x.sys_samples, c->sys_samples, &x.sys_samples) ||
	    __builtin_add_overflow(x.sys_value, c->sys_value, &x.sys_value) ||
	    __builtin_add_overflow(x.off_count, c->off_count, &x.off_count))
		return -1;
	for (int i = 0; i < LP_NOFF; i++)
		if (__builtin_add_overflow(x.off_ns[i], c->off_ns[i], &x.off_ns[i]))
			return -1;
	*e = x;
	return 0;
}

/* Only the values of events the profile has: the rest must stay zero. */
static void counts_clip(const lp_profile *p, const lp_counts *in, lp_counts *out)
{
	*out = *in;
	for (int i = p->nevents > 0 ? p->nevents : 0; i < LP_MAX_EVENTS; i++)
		out->value[i] = 0;
}

int64_t lp_profile_add_context(lp_profile *p, int kind, uint32_t parent, int64_t id,
			       const char *name)
{
	lp_context *c;

	if ((kind != LP_CTX_PROCESS && kind != LP_CTX_THREAD) || p->ncontexts >= LP_CTX_NONE - 1 ||
	    grow((void **)&p->contexts, &p->index->cap_contexts, p->ncontexts + 1,
		 sizeof(*p->contexts)))
		return -1;
	c = &p->contexts[p->ncontexts];
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->parent = kind == LP_CTX_THREAD ? parent : LP_CTX_NONE;
	c->id = id;
	c->rank = c->size = -1;
	if (name && !(c->name = strdup(name)))
		return -1;
	return (int64_t)p->ncontexts++;
}

static int set_str(char **dst, const char *s)
{
	char *n = NULL;

	if (s && !(n = strdup(s)))
		return -1;
	free(*dst);
	*dst = n;
	return 0;
}

int lp_profile_name_context(lp_profile *p, uint32_t ctx, const char *name)
{
	if (ctx >= p->ncontexts)
		return -1;
	return set_str(&p->contexts[ctx].name, name);
}

int lp_profile_set_identity(lp_profile *p, uint32_t ctx, const lp_identity *id)
{
	lp_context *c;

	if (ctx >= p->ncontexts || p->contexts[ctx].kind != LP_CTX_PROCESS)
		return -1;
	c = &p->contexts[ctx];
	c->rank = id->rank;
	c->size = id->size;
	c->start_time = id->start_time;
	if (set_str(&c->host, id->host) || set_str(&c->job, id->job) ||
	    set_str(&c->step, id->step) || set_str(&c->launcher, id->launcher))
		return -1;
	return 0;
}

uint32_t lp_profile_process_of(const lp_profile *p, uint32_t ctx)
{
	if (ctx >= p->ncontexts)
		return LP_CTX_NONE;
	if (p->contexts[ctx].kind == LP_CTX_PROCESS)
		return ctx;
	return p->contexts[ctx].parent < p->ncontexts ? p->contexts[ctx].parent : LP_CTX_NONE;
}

/* A per-context table: its entries and their index. */
typedef struct lp_ctx_table {
	lp_table *t;
	lp_ctx_counts **arr;
	size_t *n, *cap;
	lp_hash_fn hash;
} lp_ctx_table;

static lp_ctx_table ctx_addr_table(lp_profile *p)
{
	return (lp_ctx_table){ &p->index->ctx_addrs, &p->ctx_addrs, &p->nctx_addrs,
			       &p->index->cap_ctx_addrs, ctx_addr_hash };
}

static lp_ctx_table ctx_stack_table(lp_profile *p)
{
	return (lp_ctx_table){ &p->index->ctx_stacks, &p->ctx_stacks, &p->nctx_stacks,
			       &p->index->cap_ctx_stacks, ctx_stack_hash };
}

/*
 * The (ctx, index) entry of a per-context table, created empty if new; with
 * lookup 0, always a new entry, left out of the index until the next lookup.
 * NULL when out of memory.
 */
static lp_ctx_counts *ctx_entry(lp_profile *p, lp_ctx_table ct, uint32_t ctx, uint32_t index,
				int lookup)
{
	lp_table *t = ct.t;
	lp_ctx_counts *e;
	size_t s = 0;

	if (lookup) {
		if (table_rehash(t, *ct.n, p, ct.hash))
			return NULL;
		for (s = hash_pair(ctx, index) & (t->cap - 1); t->slots[s];
		     s = (s + 1) & (t->cap - 1)) {
			e = &(*ct.arr)[t->slots[s] - 1];
			if (e->ctx == ctx && e->index == index)
				return e;
		}
	}
	if (*ct.n >= UINT32_MAX - 1 || grow((void **)ct.arr, ct.cap, *ct.n + 1, sizeof(**ct.arr)))
		return NULL;
	e = &(*ct.arr)[*ct.n];
	memset(e, 0, sizeof(*e));
	e->ctx = ctx;
	e->index = index;
	++*ct.n;
	if (lookup) {
		t->slots[s] = (uint32_t)*ct.n;
		t->indexed++;
	}
	return e;
}

/*
 * Adds c to a total and, with a context, to its per-context entry. Both
 * sums are checked first, so a failure (-2, overflow) changes nothing.
 */
static int add_pair(lp_counts *total, lp_ctx_counts *e, const lp_counts *c)
{
	lp_counts t = *total;
	lp_ctx_counts x = e ? *e : (lp_ctx_counts){ 0 };

	if (lp_counts_add(&t, c) || ctx_counts_add(&x, c))
		return -2;
	*total = t;
	if (e)
		*e = x;
	return 0;
}

/* Would the profile's own sums (samples, event totals) overflow with c? */
static int totals_overflow(const lp_profile *p, const lp_counts *c)
{
	uint64_t sum;

	if (__builtin_add_overflow(p->samples, c->samples, &sum))
		return 1;
	for (int i = 0; i < p->nevents && i < LP_MAX_EVENTS; i++)
		if (__builtin_add_overflow(p->events[i].total, c->value[i], &sum))
			return 1;
	return 0;
}

/* table_rehash for the addresses, whose slots keep their keys. */
static int addr_rehash(lp_profile *p)
{
	lp_table *t = &p->index->addrs;
	size_t ncap = t->cap ? t->cap : 128;

	if (t->indexed == p->naddrs && (p->naddrs + 1) * 2 <= t->cap)
		return 0;
	while (ncap < (p->naddrs + 1) * 2)
		ncap *= 2;
	if (ncap != t->cap) {
		uint32_t *slots = calloc(ncap, sizeof(*slots));
		lp_loc *keys = malloc(ncap * sizeof(*keys));

		if (!slots || !keys) {
			free(slots);
			free(keys);
			return -1;
		}
		free(t->slots);
		free(t->keys);
		t->slots = slots;
		t->keys = keys;
		t->cap = ncap;
		t->indexed = 0;
	}
	for (; t->indexed < p->naddrs; t->indexed++) {
		const lp_loc *l = &p->addrs[t->indexed].loc;

		t->keys[table_put(t->slots, t->cap, hash_loc(*l), (uint32_t)t->indexed)] = *l;
	}
	return 0;
}

static lp_addr *addr_get(lp_profile *p, lp_loc loc)
{
	lp_table *t = &p->index->addrs;
	lp_addr *a;
	size_t s;

	if (addr_rehash(p))
		return NULL;
	for (s = hash_loc(loc) & (t->cap - 1); t->slots[s]; s = (s + 1) & (t->cap - 1))
		if (loc_eq(t->keys[s], loc))
			return &p->addrs[t->slots[s] - 1];
	if (grow((void **)&p->addrs, &p->index->cap_addrs, p->naddrs + 1, sizeof(*p->addrs)))
		return NULL;
	a = &p->addrs[p->naddrs];
	memset(a, 0, sizeof(*a));
	a->loc.module = loc.module;
	a->loc.offset = loc.offset;
	t->slots[s] = (uint32_t)++p->naddrs;
	t->keys[s] = a->loc;
	t->indexed++;
	return a;
}

int64_t lp_profile_addr_index(lp_profile *p, lp_loc loc)
{
	lp_addr *a = addr_get(p, loc);

	return a ? a - p->addrs : -1;
}

/* The profile's own sums follow its addresses' totals. */
static void totals_add(lp_profile *p, const lp_counts *c)
{
	p->samples += c->samples;
	for (int i = 0; i < p->nevents && i < LP_MAX_EVENTS; i++)
		p->events[i].total += c->value[i];
}

int lp_profile_add_total(lp_profile *p, uint32_t index, const lp_counts *in)
{
	lp_counts c, t;

	if (index >= p->naddrs)
		return -1;
	counts_clip(p, in, &c);
	t = p->addrs[index].c;
	if (totals_overflow(p, &c) || lp_counts_add(&t, &c))
		return -2;
	p->addrs[index].c = t;
	totals_add(p, &c);
	return 0;
}

int lp_profile_add_stack_total(lp_profile *p, uint32_t index, const lp_counts *in)
{
	lp_counts c = *in;

	if (index >= p->nstacks)
		return -1;
	for (int i = 1; i < LP_MAX_EVENTS; i++)
		c.value[i] = 0;
	return lp_counts_add(&p->stacks[index].c, &c) ? -2 : 0;
}

int lp_profile_push_ctx(lp_profile *p, int stacks, const lp_ctx_counts *e)
{
	lp_ctx_counts *n = ctx_entry(p, stacks ? ctx_stack_table(p) : ctx_addr_table(p), e->ctx,
				     e->index, 0);

	if (!n)
		return -1;
	*n = *e;
	return 0;
}

static int add_at(lp_profile *p, uint32_t ctx, lp_loc loc, const lp_counts *in, int lookup)
{
	lp_ctx_counts *e = NULL;
	lp_counts c;
	lp_addr *a;
	int rc;

	counts_clip(p, in, &c);
	if (totals_overflow(p, &c))
		return -2;
	a = addr_get(p, loc);
	if (!a)
		return -1;
	if (ctx != LP_CTX_NONE &&
	    !(e = ctx_entry(p, ctx_addr_table(p), ctx, (uint32_t)(a - p->addrs), lookup)))
		return -1;
	if ((rc = add_pair(&a->c, e, &c)) != 0)
		return rc;
	totals_add(p, &c);
	return 0;
}

int lp_profile_add(lp_profile *p, uint32_t ctx, lp_loc loc, const lp_counts *c)
{
	return add_at(p, ctx, loc, c, 1);
}

int lp_profile_add_entry(lp_profile *p, uint32_t ctx, lp_loc loc, const lp_counts *c)
{
	return add_at(p, ctx, loc, c, 0);
}

static lp_stack *stack_get(lp_profile *p, const lp_loc *frames, uint32_t depth)
{
	lp_table *t = &p->index->stacks;
	lp_stack *st;
	size_t s;

	if (table_rehash(t, p->nstacks, p, stack_hash))
		return NULL;
	for (s = hash_frames(frames, depth) & (t->cap - 1); t->slots[s];
	     s = (s + 1) & (t->cap - 1)) {
		st = &p->stacks[t->slots[s] - 1];
		if (st->depth == depth && frames_eq(p->frames + st->first, frames, depth))
			return st;
	}
	if (p->nframes + depth > UINT32_MAX ||
	    grow((void **)&p->stacks, &p->index->cap_stacks, p->nstacks + 1,
		 sizeof(*p->stacks)) ||
	    grow((void **)&p->frames, &p->index->cap_frames, p->nframes + depth,
		 sizeof(*p->frames)))
		return NULL;
	for (uint32_t i = 0; i < depth; i++) {
		/* Copied field by field: the caller's padding bytes would defeat bytewise readers. */
		memset(&p->frames[p->nframes + i], 0, sizeof(*p->frames));
		p->frames[p->nframes + i].module = frames[i].module;
		p->frames[p->nframes + i].offset = frames[i].offset;
	}
	st = &p->stacks[p->nstacks];
	memset(st, 0, sizeof(*st));
	st->first = (uint32_t)p->nframes;
	st->depth = depth;
	p->nframes += depth;
	t->slots[s] = (uint32_t)++p->nstacks;
	t->indexed++;
	return st;
}

int64_t lp_profile_stack(lp_profile *p, const lp_loc *frames, uint32_t depth)
{
	lp_stack *st;

	if (depth == 0 || depth > LP_MAX_STACK)
		return -1;
	st = stack_get(p, frames, depth);
	return st ? st - p->stacks : -1;
}

/* Stacks keep the sampled event's values only. */
static int stack_add(lp_profile *p, uint32_t ctx, uint32_t stack, const lp_counts *in, int lookup)
{
	lp_ctx_counts *e = NULL;
	lp_counts c = *in;

	for (int i = 1; i < LP_MAX_EVENTS; i++)
		c.value[i] = 0;
	if (ctx != LP_CTX_NONE && !(e = ctx_entry(p, ctx_stack_table(p), ctx, stack, lookup)))
		return -1;
	return add_pair(&p->stacks[stack].c, e, &c);
}

int lp_profile_add_stack(lp_profile *p, uint32_t ctx, const lp_loc *frames, uint32_t depth,
			 const lp_counts *c)
{
	lp_stack *st;

	if (depth == 0)
		return 0;
	if (depth > LP_MAX_STACK)
		depth = LP_MAX_STACK;
	st = stack_get(p, frames, depth);
	if (!st)
		return -1;
	return stack_add(p, ctx, (uint32_t)(st - p->stacks), c, 1);
}

int lp_profile_add_stack_entry(lp_profile *p, uint32_t ctx, uint32_t stack, const lp_counts *c)
{
	if (stack >= p->nstacks)
		return -1;
	return stack_add(p, ctx, stack, c, 0);
}

int lp_profile_add_hits(lp_profile *p, lp_loc loc, uint64_t count)
{
	lp_table *t = &p->index->hits;
	size_t s;

	if (table_rehash(t, p->nhits, p, hit_hash))
		return -1;
	for (s = hash_loc(loc) & (t->cap - 1); t->slots[s]; s = (s + 1) & (t->cap - 1)) {
		if (loc_eq(p->hits[t->slots[s] - 1].loc, loc)) {
			p->hits[t->slots[s] - 1].count += count;
			return 0;
		}
	}
	if (grow((void **)&p->hits, &p->index->cap_hits, p->nhits + 1, sizeof(*p->hits)))
		return -1;
	p->hits[p->nhits].loc = loc;
	p->hits[p->nhits].count = count;
	t->slots[s] = (uint32_t)++p->nhits;
	t->indexed++;
	return 0;
}
