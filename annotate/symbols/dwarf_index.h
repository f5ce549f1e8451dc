/*
 * Private to annotate/: address indexes of DIEs in one file's DWARF.
 *
 * Functions: finding the scopes at an address with dwarf_getscopes walks a
 * whole compile unit's top level each time; with thousands of distinct
 * addresses that walk was 95% of the symbolization time. The index makes it
 * a binary search plus a descent through the few DIEs of one function.
 *
 * Units: libdw 0.188 finds the unit of an address (dwarf_addrdie,
 * dwfl_module_addrdie) only through .debug_aranges, which clang does not
 * emit by default; the unit index is built from the units' own ranges.
 */
#ifndef LP_DWARF_INDEX_H
#define LP_DWARF_INDEX_H

#include <stddef.h>

#include <elfutils/libdw.h>

/* One address range [lo, hi) of a DIE (DWARF addresses, no Dwfl bias). */
typedef struct lp_dierange {
	Dwarf_Addr lo, hi;
	Dwarf_Die die;
} lp_dierange;

typedef struct lp_dieindex {
	lp_dierange *r;   /* sorted by lo */
	size_t n, cap;
} lp_dieindex;

/*
 * Indexes every DW_TAG_subprogram with code, at any depth (namespaces,
 * classes, functions nested in functions). 0, or -1 when out of memory.
 */
int lp_dieindex_functions(lp_dieindex *ix, Dwarf *dw);

/* Adds every range of die, then sorts once all are in (lp_dieindex_finish). 0, or -1 out of memory. */
int lp_dieindex_add_die(lp_dieindex *ix, Dwarf_Die *die);
void lp_dieindex_finish(lp_dieindex *ix);

/* Indexes the compile units by their ranges (split units: the split DIE). */
int lp_dieindex_units(lp_dieindex *ix, Dwarf *dw);

void lp_dieindex_free(lp_dieindex *ix);

/* The indexed DIE whose range contains pc, NULL if none. */
const Dwarf_Die *lp_dieindex_find(const lp_dieindex *ix, Dwarf_Addr pc);

/*
 * For a function index: the DIEs enclosing pc from the indexed function
 * down to the innermost lexical block or inlined copy, innermost first, into
 * out[0..max). Their number, 0 if no indexed function contains pc.
 */
int lp_dieindex_scopes(const lp_dieindex *ix, Dwarf_Addr pc, Dwarf_Die *out, int max);

#endif
