/*
 * Interned strings: open addressing with linear probing, the hash stored
 * next to each string so that growing never rehashes the text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dwarf_names.h"

typedef struct lp_strslot {
	char *s;          /* NULL: empty */
	uint64_t hash;
} lp_strslot;

struct lp_strset {
	lp_strslot *slot;
	size_t cap;       /* a power of two */
	size_t count;
};

/* FNV-1a: short strings, good enough spread, no dependencies. */
static uint64_t lp_str_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

lp_strset *lp_strset_new(void)
{
	lp_strset *set = calloc(1, sizeof(*set));

	if (!set)
		return NULL;
	set->cap = 256;
	set->slot = calloc(set->cap, sizeof(*set->slot));
	if (!set->slot) {
		free(set);
		return NULL;
	}
	return set;
}

void lp_strset_free(lp_strset *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->cap; i++)
		free(set->slot[i].s);
	free(set->slot);
	free(set);
}

/* The slot holding s, or the empty slot where it would go. */
static lp_strslot *lp_strset_slot(const lp_strset *set, const char *s, uint64_t h)
{
	size_t mask = set->cap - 1;

	for (size_t i = h & mask;; i = (i + 1) & mask) {
		lp_strslot *e = &set->slot[i];

		if (!e->s || (e->hash == h && strcmp(e->s, s) == 0))
			return e;
	}
}

static int lp_strset_grow(lp_strset *set)
{
	lp_strset bigger = { .cap = 2 * set->cap };

	bigger.slot = calloc(bigger.cap, sizeof(*bigger.slot));
	if (!bigger.slot)
		return -1;
	for (size_t i = 0; i < set->cap; i++)
		if (set->slot[i].s)
			*lp_strset_slot(&bigger, set->slot[i].s, set->slot[i].hash) = set->slot[i];
	free(set->slot);
	set->slot = bigger.slot;
	set->cap = bigger.cap;
	return 0;
}

const char *lp_strset_intern(lp_strset *set, const char *s)
{
	uint64_t h;
	lp_strslot *e;

	if (!s)
		return NULL;
	h = lp_str_hash(s);
	e = lp_strset_slot(set, s, h);
	if (e->s)
		return e->s;
	/* Keep the load under one half: probes stay short. */
	if (2 * (set->count + 1) > set->cap) {
		if (lp_strset_grow(set) != 0)
			return NULL;
		e = lp_strset_slot(set, s, h);
	}
	e->s = strdup(s);
	if (!e->s)
		return NULL;
	e->hash = h;
	set->count++;
	return e->s;
}

const char *lp_strset_find(const lp_strset *set, const char *s)
{
	return s ? lp_strset_slot(set, s, lp_str_hash(s))->s : NULL;
}

size_t lp_strset_count(const lp_strset *set)
{
	return set->count;
}

void lp_strset_each(const lp_strset *set, void (*fn)(const char *s, void *arg), void *arg)
{
	for (size_t i = 0; i < set->cap; i++)
		if (set->slot[i].s)
			fn(set->slot[i].s, arg);
}
