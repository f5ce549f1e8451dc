/*
 * The in-memory profile. Adding a sample is a hash probe on (module, offset),
 * adding a stack a probe on its frames: the recorder calls these per sample,
 * so they must be O(1) and allocate only for new keys.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lineprof/profile.h"

/* Open addressing, power-of-two capacity, slot = index + 1 (0 = empty). */
typedef struct lp_table {
	uint32_t *slots;
	size_t cap;
} lp_table;

struct lp_profile_index {
	lp_table addrs;
	lp_table stacks;
	lp_table hits;
	size_t cap_addrs, cap_stacks, cap_frames, cap_hits, cap_modules;
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

static int table_rehash(lp_table *t, size_t count, const lp_profile *p, lp_hash_fn hash)
{
	size_t ncap = t->cap ? t->cap : 128;
	uint32_t *slots;

	while (ncap < (count + 1) * 2)
		ncap *= 2;
	if (ncap == t->cap)
		return 0;
	slots = calloc(ncap, sizeof(*slots));
	if (!slots)
		return -1;
	for (uint32_t i = 0; i < count; i++) {
		size_t s = hash(p, i) & (ncap - 1);

		while (slots[s])
			s = (s + 1) & (ncap - 1);
		slots[s] = i + 1;
	}
	free(t->slots);
	t->slots = slots;
	t->cap = ncap;
	return 0;
}

static uint64_t addr_hash(const lp_profile *p, uint32_t i)
{
	return hash_loc(p->addrs[i].loc);
}

static uint64_t hit_hash(const lp_profile *p, uint32_t i)
{
	return hash_loc(p->hits[i].loc);
}

static uint64_t stack_hash(const lp_profile *p, uint32_t i)
{
	return hash_frames(p->frames + p->stacks[i].first, p->stacks[i].depth);
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

void lp_profile_free(lp_profile *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nmodules; i++)
		free(p->modules[i].path);
	free(p->modules);
	free(p->addrs);
	free(p->stacks);
	free(p->frames);
	free(p->hits);
	free(p->command);
	if (p->index) {
		free(p->index->addrs.slots);
		free(p->index->stacks.slots);
		free(p->index->hits.slots);
		free(p->index);
	}
	free(p);
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

int lp_profile_add_sample(lp_profile *p, lp_loc loc, uint64_t samples,
			  const uint64_t *values)
{
	lp_table *t = &p->index->addrs;
	lp_addr *a = NULL;
	size_t s;

	if (table_rehash(t, p->naddrs, p, addr_hash))
		return -1;
	for (s = hash_loc(loc) & (t->cap - 1); t->slots[s]; s = (s + 1) & (t->cap - 1)) {
		if (loc_eq(p->addrs[t->slots[s] - 1].loc, loc)) {
			a = &p->addrs[t->slots[s] - 1];
			break;
		}
	}
	if (!a) {
		if (grow((void **)&p->addrs, &p->index->cap_addrs, p->naddrs + 1,
			 sizeof(*p->addrs)))
			return -1;
		a = &p->addrs[p->naddrs];
		memset(a, 0, sizeof(*a));
		a->loc = loc;
		t->slots[s] = (uint32_t)++p->naddrs;
	}
	a->samples += samples;
	p->samples += samples;
	if (values) {
		for (int i = 0; i < p->nevents && i < LP_MAX_EVENTS; i++) {
			a->value[i] += values[i];
			p->events[i].total += values[i];
		}
	}
	return 0;
}

int lp_profile_add_stack(lp_profile *p, const lp_loc *frames, uint32_t depth,
			 uint64_t samples, uint64_t value0)
{
	lp_table *t = &p->index->stacks;
	lp_stack *st;
	size_t s;

	if (depth == 0)
		return 0;
	if (depth > LP_MAX_STACK)
		depth = LP_MAX_STACK;
	if (table_rehash(t, p->nstacks, p, stack_hash))
		return -1;
	for (s = hash_frames(frames, depth) & (t->cap - 1); t->slots[s];
	     s = (s + 1) & (t->cap - 1)) {
		st = &p->stacks[t->slots[s] - 1];
		if (st->depth == depth && frames_eq(p->frames + st->first, frames, depth)) {
			st->samples += samples;
			st->value0 += value0;
			return 0;
		}
	}
	if (grow((void **)&p->stacks, &p->index->cap_stacks, p->nstacks + 1,
		 sizeof(*p->stacks)) ||
	    grow((void **)&p->frames, &p->index->cap_frames, p->nframes + depth,
		 sizeof(*p->frames)))
		return -1;
	memcpy(p->frames + p->nframes, frames, depth * sizeof(*frames));
	st = &p->stacks[p->nstacks];
	st->first = (uint32_t)p->nframes;
	st->depth = depth;
	st->samples = samples;
	st->value0 = value0;
	p->nframes += depth;
	t->slots[s] = (uint32_t)++p->nstacks;
	return 0;
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
	return 0;
}
