/*
 * Which line of a file's new version each line of its old version became:
 * `lineprof diff` follows a line that moved because code was inserted or
 * removed above it, when both versions of the source can be read.
 */
#ifndef LP_LINEMAP_H
#define LP_LINEMAP_H

typedef struct lp_linemap {
	int *to_new;       /* [old line - 1] -> new line, 0: the line has no counterpart */
	int nold;
	int moved;         /* old lines that kept a counterpart at another number */
} lp_linemap;

/*
 * Matches old[0..nold) to new[0..nnew) (line texts, without newlines) by a
 * shortest edit script (Myers), comparing lines without their leading and
 * trailing blanks. Between two matched lines, a run of changed lines as long
 * in both versions is taken as edited in place and matched in order; runs of
 * different lengths stay unmatched. 0; 1 when the versions differ in more
 * than maxd lines (the map is then empty: nothing is followed); -1 when out
 * of memory.
 */
int lp_linemap_build(lp_linemap *m, const char *const *old, int nold, const char *const *new,
		     int nnew, int maxd);
void lp_linemap_free(lp_linemap *m);

/* The new number of old line `line`; 0 when it has none (or is out of range). */
int lp_linemap_get(const lp_linemap *m, int line);

#endif
