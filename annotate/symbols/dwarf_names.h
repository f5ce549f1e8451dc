/*
 * Private to annotate/: a set of interned strings (function names, source
 * paths). Equal strings get one copy, so frames can compare names by pointer
 * and a symtab frees them all at once.
 */
#ifndef LP_DWARF_NAMES_H
#define LP_DWARF_NAMES_H

#include <stddef.h>

typedef struct lp_strset lp_strset;

lp_strset *lp_strset_new(void);
void lp_strset_free(lp_strset *set);

/* The set's copy of s, added if new; NULL when out of memory (or s NULL). */
const char *lp_strset_intern(lp_strset *set, const char *s);

/* The set's copy of s, NULL if s is not in the set. */
const char *lp_strset_find(const lp_strset *set, const char *s);

size_t lp_strset_count(const lp_strset *set);

/* Calls fn on every string, in no particular order. */
void lp_strset_each(const lp_strset *set, void (*fn)(const char *s, void *arg), void *arg);

#endif
