/*
 * See containers.h. One copy of each, so that a fix to the growth or the
 * probing reaches the report's index, the function index and pprof alike.
 */
#include <stdlib.h>
#include <string.h>

#include "containers.h"

static int grow(void **arr, size_t *cap, size_t need, size_t elem, int zero)
{
	size_t ncap = *cap ? *cap : 64;
	void *p;

	if (need <= *cap)
		return 0;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			return -1;
		ncap *= 2;
	}
	if (elem && ncap > SIZE_MAX / elem)
		return -1;
	p = realloc(*arr, ncap * elem);
	if (!p)
		return -1;
	if (zero)
		memset((char *)p + *cap * elem, 0, (ncap - *cap) * elem);
	*arr = p;
	*cap = ncap;
	return 0;
}

int lp_grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	return grow(arr, cap, need, elem, 0);
}

int lp_grow_zeroed(void **arr, size_t *cap, size_t need, size_t elem)
{
	return grow(arr, cap, need, elem, 1);
}

static uint64_t key_hash(const uint64_t k[3])
{
	uint64_t h = k[0] * 0x9e3779b97f4a7c15ULL ^ (k[1] + 0x632be59bd9b4e019ULL) * 0xbf58476d1ce4e5b9ULL;

	h ^= k[2] * 0x94d049bb133111ebULL;
	return h ^ (h >> 31);
}

/* Twice the slots (at least 256), every key placed again: keeps the load under one half. */
static int keymap_rehash(lp_keymap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 256;
	uint32_t *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -1;
	for (size_t i = 0; i < m->n; i++) {
		size_t s = key_hash(m->keys[i]) & (cap - 1);

		while (slots[s])
			s = (s + 1) & (cap - 1);
		slots[s] = (uint32_t)i + 1;
	}
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
	return 0;
}

/* The slot holding key, or the empty slot where it would go; m->cap > 0. */
static size_t keymap_slot(const lp_keymap *m, const uint64_t key[3])
{
	size_t s;

	for (s = key_hash(key) & (m->cap - 1); m->slots[s]; s = (s + 1) & (m->cap - 1)) {
		const uint64_t *k = m->keys[m->slots[s] - 1];

		if (k[0] == key[0] && k[1] == key[1] && k[2] == key[2])
			break;
	}
	return s;
}

long lp_keymap_get(lp_keymap *m, const uint64_t key[3], int *added)
{
	size_t s;

	*added = 0;
	if ((m->n + 1) * 2 > m->cap && keymap_rehash(m))
		return -1;
	s = keymap_slot(m, key);
	if (m->slots[s])
		return (long)m->slots[s] - 1;
	if (m->n >= UINT32_MAX || LP_GROW(m->keys, m->n, m->capkeys))
		return -1;
	memcpy(m->keys[m->n], key, sizeof(m->keys[0]));
	m->slots[s] = (uint32_t)++m->n;
	*added = 1;
	return (long)m->n - 1;
}

long lp_keymap_find(const lp_keymap *m, const uint64_t key[3])
{
	size_t s;

	if (!m->cap)
		return -1;
	s = keymap_slot(m, key);
	return m->slots[s] ? (long)m->slots[s] - 1 : -1;
}

void lp_keymap_free(lp_keymap *m)
{
	free(m->keys);
	free(m->slots);
	memset(m, 0, sizeof(*m));
}
