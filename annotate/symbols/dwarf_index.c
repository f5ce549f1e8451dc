/*
 * DIE address indexes: built once per module (one walk over the units' top
 * levels), then each lookup is a binary search.
 */
#include <stdlib.h>

#include <dwarf.h>

#include "containers.h"
#include "dwarf_file.h"
#include "dwarf_index.h"

static int lp_dieindex_push(lp_dieindex *ix, Dwarf_Addr lo, Dwarf_Addr hi, Dwarf_Die *die)
{
	if (LP_GROW(ix->r, ix->n, ix->cap))
		return -1;
	ix->r[ix->n++] = (lp_dierange){ lo, hi, *die };
	return 0;
}

/* Adds every range of die (the ranges of range_die) under die. */
static int lp_dieindex_add(lp_dieindex *ix, Dwarf_Die *range_die, Dwarf_Die *die)
{
	Dwarf_Addr base, lo, hi;
	ptrdiff_t off = 0;

	while ((off = dwarf_ranges(range_die, off, &base, &lo, &hi)) > 0)
		if (hi > lo && lp_dieindex_push(ix, lo, hi, die) != 0)
			return -1;
	return 0;
}

/*
 * By start address; on a tie (gas 2.40 gives every alias of an assembly
 * function its own DW_TAG_subprogram with the same range) the DIE that comes
 * first in the file sorts last, so that lp_dieindex_find, which takes the
 * last candidate, picks what dwarf_getscopes would: the first in DIE order.
 */
static int lp_dierange_cmp(const void *a, const void *b)
{
	const lp_dierange *x = a, *y = b;
	Dwarf_Off ox, oy;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	ox = dwarf_dieoffset((Dwarf_Die *)&x->die);
	oy = dwarf_dieoffset((Dwarf_Die *)&y->die);
	return ox > oy ? -1 : ox < oy;
}

static void lp_dieindex_sort(lp_dieindex *ix)
{
	if (ix->n)
		qsort(ix->r, ix->n, sizeof(*ix->r), lp_dierange_cmp);
}

/*
 * Every subprogram with code, nested ones too (GNU C, Fortran contained
 * procedures): their code lies outside their parent's ranges, where
 * dwarf_getscopes, which only descends into DIEs containing pc, never finds
 * them.
 */
static enum lp_walk lp_functions_visit(Dwarf_Die *die, Dwarf_Die *cudie, void *arg)
{
	(void)cudie;
	if (dwarf_tag(die) == DW_TAG_subprogram && lp_dieindex_add(arg, die, die) != 0)
		return LP_WALK_STOP;
	return LP_WALK_NEXT;
}

int lp_dieindex_add_die(lp_dieindex *ix, Dwarf_Die *die)
{
	return lp_dieindex_add(ix, die, die);
}

void lp_dieindex_finish(lp_dieindex *ix)
{
	lp_dieindex_sort(ix);
}

int lp_dieindex_functions(lp_dieindex *ix, Dwarf *dw)
{
	*ix = (lp_dieindex){ 0 };
	if (lp_dwarf_walk(dw, lp_functions_visit, ix)) {
		lp_dieindex_free(ix);
		return -1;
	}
	lp_dieindex_sort(ix);
	return 0;
}

int lp_dieindex_units(lp_dieindex *ix, Dwarf *dw)
{
	Dwarf_CU *cu = NULL, *next;
	Dwarf_Half version;
	uint8_t type;
	Dwarf_Die cudie, subdie;

	*ix = (lp_dieindex){ 0 };
	while (dw && dwarf_get_units(dw, cu, &next, &version, &type, &cudie, &subdie) == 0) {
		/* A skeleton has the ranges; the split unit has the DIEs and lines. */
		Dwarf_Die *die = type == DW_UT_skeleton && dwarf_tag(&subdie) > 0 ? &subdie : &cudie;

		cu = next;
		if (type != DW_UT_compile && type != DW_UT_skeleton)
			continue;
		if (lp_dieindex_add(ix, &cudie, die) != 0) {
			lp_dieindex_free(ix);
			return -1;
		}
	}
	lp_dieindex_sort(ix);
	return 0;
}

void lp_dieindex_free(lp_dieindex *ix)
{
	free(ix->r);
	*ix = (lp_dieindex){ 0 };
}

const Dwarf_Die *lp_dieindex_find(const lp_dieindex *ix, Dwarf_Addr pc)
{
	size_t l = 0, u = ix->n;

	/* The last range starting at or before pc... */
	while (l < u) {
		size_t mid = l + (u - l) / 2;

		if (ix->r[mid].lo <= pc)
			l = mid + 1;
		else
			u = mid;
	}
	/* ...or one just before it, should ranges overlap (rare: then the slow path). */
	for (size_t i = l; i > 0 && l - i < 4; i--)
		if (pc >= ix->r[i - 1].lo && pc < ix->r[i - 1].hi)
			return &ix->r[i - 1].die;
	return NULL;
}

/* Tags that can hold code of their own inside a function. */
static int lp_die_is_code_scope(Dwarf_Die *die)
{
	switch (dwarf_tag(die)) {
	case DW_TAG_lexical_block:
	case DW_TAG_inlined_subroutine:
	case DW_TAG_subprogram:
	case DW_TAG_try_block:
	case DW_TAG_catch_block:
	case DW_TAG_entry_point:
		return 1;
	default:
		return 0;
	}
}

/* The child of die whose code contains pc, into *out. 0 if found. */
static int lp_die_child_at(Dwarf_Die *die, Dwarf_Addr pc, Dwarf_Die *out)
{
	if (dwarf_child(die, out) != 0)
		return -1;
	do {
		if (lp_die_is_code_scope(out) && dwarf_haspc(out, pc) > 0)
			return 0;
	} while (dwarf_siblingof(out, out) == 0);
	return -1;
}

int lp_dieindex_scopes(const lp_dieindex *ix, Dwarf_Addr pc, Dwarf_Die *out, int max)
{
	const Dwarf_Die *fn = lp_dieindex_find(ix, pc);
	int n = 0;

	if (!fn || max <= 0)
		return 0;
	out[n++] = *fn;
	while (n < max && lp_die_child_at(&out[n - 1], pc, &out[n]) == 0)
		n++;
	/* Outermost first so far: turn it around. */
	for (int i = 0, j = n - 1; i < j; i++, j--) {
		Dwarf_Die t = out[i];

		out[i] = out[j];
		out[j] = t;
	}
	return n;
}
