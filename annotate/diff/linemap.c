/*
 * Line matching between two versions of a file: Myers' O(ND) shortest edit
 * script, after the common head and tail are cut off (an edit is usually
 * local, so D stays small). The greedy pass keeps, per edit distance d, the
 * furthest x reached on each diagonal k in [-d, d]; those (d + 1)^2 values
 * are enough to walk back from the end and recover the matched lines.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "linemap.h"

typedef struct lp_ltext {
	const char *s;     /* first non-blank byte */
	size_t len;        /* up to the last non-blank byte */
	uint64_t hash;
} lp_ltext;

static void ltext_of(lp_ltext *t, const char *line)
{
	const char *end;
	uint64_t h = 1469598103934665603ULL;

	if (!line)
		line = "";
	while (*line == ' ' || *line == '\t')
		line++;
	end = line + strlen(line);
	while (end > line && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		end--;
	t->s = line;
	t->len = (size_t)(end - line);
	for (const char *p = line; p < end; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	t->hash = h;
}

static int same(const lp_ltext *a, const lp_ltext *b)
{
	return a->hash == b->hash && a->len == b->len && memcmp(a->s, b->s, a->len) == 0;
}

/* Matches of the middle part a[0..n) b[0..m) into pairs (old index, new index), in order. */
static int myers(const lp_ltext *a, int n, const lp_ltext *b, int m, int maxd, int (*pairs)[2],
		 int *npairs)
{
	int **v = calloc((size_t)maxd + 1, sizeof(*v)), d, found = -1, x, y, rc = 0;

	*npairs = 0;
	if (!v)
		return -1;
	for (d = 0; d <= maxd && found < 0; d++) {
		/* v[d][k + d]: the furthest x on diagonal k after d edits. */
		int *cur = malloc((2 * (size_t)d + 1) * sizeof(*cur)), *prev = d ? v[d - 1] : NULL;

		if (!cur) {
			rc = -1;
			goto out;
		}
		v[d] = cur;
		for (int k = -d; k <= d; k += 2) {
			if (d == 0)
				x = 0;
			else if (k == -d || (k != d && prev[k - 1 + d - 1] < prev[k + 1 + d - 1]))
				x = prev[k + 1 + d - 1];     /* from the diagonal above: an insertion */
			else
				x = prev[k - 1 + d - 1] + 1; /* from the one below: a deletion */
			y = x - k;
			while (x < n && y < m && same(&a[x], &b[y]))
				x++, y++;
			cur[k + d] = x;
			if (x >= n && y >= m) {
				found = d;
				break;
			}
		}
	}
	if (found < 0) {
		rc = 1;
		goto out;
	}
	/* Walk back: each step's snake is a run of matches, collected from the end. */
	x = n;
	y = m;
	for (d = found; d >= 0; d--) {
		int k = x - y, px, py;

		if (d == 0) {
			px = py = 0;
		} else {
			int *prev = v[d - 1], pk;

			if (k == -d || (k != d && prev[k - 1 + d - 1] < prev[k + 1 + d - 1]))
				pk = k + 1;
			else
				pk = k - 1;
			px = prev[pk + d - 1];
			py = px - pk;
			/* The edit itself moves one step; the snake starts after it. */
			if (pk == k + 1)
				py++;
			else
				px++;
		}
		while (x > px && y > py) {
			x--, y--;
			pairs[*npairs][0] = x;
			pairs[*npairs][1] = y;
			(*npairs)++;
		}
		if (d > 0) {
			int *prev = v[d - 1], pk = (k == -d || (k != d && prev[k - 1 + d - 1] <
								prev[k + 1 + d - 1])) ? k + 1 : k - 1;

			x = prev[pk + d - 1];
			y = x - pk;
		}
	}
	/* Collected backwards: reverse into order. */
	for (int i = 0, j = *npairs - 1; i < j; i++, j--) {
		int t0 = pairs[i][0], t1 = pairs[i][1];

		pairs[i][0] = pairs[j][0];
		pairs[i][1] = pairs[j][1];
		pairs[j][0] = t0;
		pairs[j][1] = t1;
	}
out:
	for (int i = 0; i <= maxd; i++)
		free(v[i]);
	free(v);
	return rc;
}

int lp_linemap_build(lp_linemap *m, const char *const *old, int nold, const char *const *new,
		     int nnew, int maxd)
{
	lp_ltext *a = malloc(((size_t)nold + 1) * sizeof(*a));
	lp_ltext *b = malloc(((size_t)nnew + 1) * sizeof(*b));
	int (*pairs)[2] = NULL, npairs = 0, head = 0, tail = 0, rc = 0;
	int mid_a, mid_b, pa, pb;

	memset(m, 0, sizeof(*m));
	m->to_new = calloc((size_t)nold + 1, sizeof(*m->to_new));
	m->nold = nold;
	if (!a || !b || !m->to_new) {
		rc = -1;
		goto out;
	}
	for (int i = 0; i < nold; i++)
		ltext_of(&a[i], old[i]);
	for (int i = 0; i < nnew; i++)
		ltext_of(&b[i], new[i]);
	while (head < nold && head < nnew && same(&a[head], &b[head]))
		head++;
	while (tail < nold - head && tail < nnew - head &&
	       same(&a[nold - 1 - tail], &b[nnew - 1 - tail]))
		tail++;
	mid_a = nold - head - tail;
	mid_b = nnew - head - tail;
	pairs = malloc(((size_t)(mid_a < mid_b ? mid_a : mid_b) + 1) * sizeof(*pairs));
	if (!pairs) {
		rc = -1;
		goto out;
	}
	rc = myers(a + head, mid_a, b + head, mid_b, maxd, pairs, &npairs);
	if (rc != 0)
		goto out;
	for (int i = 0; i < head; i++)
		m->to_new[i] = i + 1;
	for (int i = 0; i < tail; i++)
		m->to_new[nold - 1 - i] = nnew - i;
	/* The matches, and between them the runs edited in place (as long on both sides). */
	pa = pb = 0;
	for (int i = 0; i <= npairs; i++) {
		int ea = i < npairs ? pairs[i][0] : mid_a, eb = i < npairs ? pairs[i][1] : mid_b;

		if (ea - pa == eb - pb)
			for (int j = 0; j < ea - pa; j++)
				m->to_new[head + pa + j] = head + pb + j + 1;
		if (i < npairs)
			m->to_new[head + ea] = head + eb + 1;
		pa = ea + 1;
		pb = eb + 1;
	}
	for (int i = 0; i < nold; i++)
		m->moved += m->to_new[i] && m->to_new[i] != i + 1;
out:
	if (rc != 0) {
		free(m->to_new);
		m->to_new = NULL;
		m->moved = 0;
	}
	free(a);
	free(b);
	free(pairs);
	return rc;
}

void lp_linemap_free(lp_linemap *m)
{
	free(m->to_new);
	memset(m, 0, sizeof(*m));
}

int lp_linemap_get(const lp_linemap *m, int line)
{
	if (!m->to_new || line < 1 || line > m->nold)
		return 0;
	return m->to_new[line - 1];
}
