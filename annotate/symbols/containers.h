/*
 * The two small containers every part of annotate/ (symbols/, render/,
 * diff/ and the aggregation between them) needs: an array that doubles as
 * it grows, and a map of up to three 64-bit keys to dense indices 0, 1, 2...
 * in insertion order (interned pointers, module + offset, a string's hash).
 * Private to annotate/.
 */
#ifndef LP_CONTAINERS_H
#define LP_CONTAINERS_H

#include <stddef.h>
#include <stdint.h>

/*
 * *arr (of *cap elements of elem bytes) made to hold at least need, its
 * capacity doubled from 64 as often as that takes; 0, or -1 when out of
 * memory (*arr and *cap then unchanged). lp_grow_zeroed also zeroes the new
 * elements.
 */
int lp_grow(void **arr, size_t *cap, size_t need, size_t elem);
int lp_grow_zeroed(void **arr, size_t *cap, size_t need, size_t elem);

/* Room for element n of arr (its capacity in cap): lp_grow's 0 or -1. */
#define LP_GROW(arr, n, cap) lp_grow((void **)&(arr), &(cap), (size_t)(n) + 1, sizeof(*(arr)))

/* (k[0], k[1], k[2]) -> index, open addressing; a zeroed lp_keymap is empty. */
typedef struct lp_keymap {
	uint64_t (*keys)[3]; /* by index, in insertion order */
	uint32_t *slots;     /* index + 1, 0 for an empty slot */
	size_t cap, n, capkeys;
} lp_keymap;

/* The index of key, added as the next one when new (*added = 1); -1 when out of memory. */
long lp_keymap_get(lp_keymap *m, const uint64_t key[3], int *added);

/* The index of key, or -1 when absent. */
long lp_keymap_find(const lp_keymap *m, const uint64_t key[3]);

/* Frees m's memory and leaves it empty, ready for use again. */
void lp_keymap_free(lp_keymap *m);

#endif
