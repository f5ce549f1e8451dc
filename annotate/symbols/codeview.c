/*
 * Instructions and loops of the report's functions.
 *
 * A loop is found in the machine code (the CFG's natural loops) and then
 * given to the source: the inline chains of its back edges (the jumps that
 * make it go round) say which function's loop it is: most loops are their
 * physical function's, a loop that lives in an inlined copy is the inlined
 * function's. Its lines are those of its instructions in that function (a
 * call inlined into the loop counts as its call line; instructions the
 * compiler scheduled in from elsewhere are left out).
 *
 * Counts: a loop's self is the samples at its own instructions (not in a
 * nested loop, not in code inlined into it); its total is every sample at
 * its instructions, nested loops and inlined code included, and, when the
 * profile has call stacks, every sample whose stack passes through one of
 * its instructions (a call made in the loop), each stack counted once.
 */
#include <stdlib.h>
#include <string.h>

#include "codeview.h"

#define LP_LEVEL_MAX 32

/* A frame of a stack, at the instruction it stands for (a return address's call). */
typedef struct lp_cv_frame {
	uint32_t module;
	uint32_t stack;
	uint64_t off;
} lp_cv_frame;

struct lp_codeview {
	size_t *by_loc;               /* prof->addrs, sorted by location */
	int indexed;
	lp_cv_frame *frames;          /* every stack's frames, by (module, offset, stack) */
	size_t nframes;
	int frames_indexed;
	lp_cv_func **funcs;           /* sorted by code pointer */
	size_t nfuncs, capfuncs;
	const char *unsupported;      /* a machine whose code could not be decoded */
	lp_cv_sloop *sloops;          /* the last list asked for */
	size_t nsloops;
};

lp_codeview *lp_codeview_new(void)
{
	return calloc(1, sizeof(lp_codeview));
}

static void func_free(lp_cv_func *f)
{
	if (!f)
		return;
	free(f->insns);
	free(f->loops);
	free(f);
}

void lp_codeview_free(lp_codeview *cv)
{
	if (!cv)
		return;
	for (size_t i = 0; i < cv->nfuncs; i++)
		func_free(cv->funcs[i]);
	free(cv->funcs);
	free(cv->by_loc);
	free(cv->frames);
	free(cv->sloops);
	free(cv);
}

const lp_frame *lp_cv_insn_frame(const lp_cv_insn *x, int level)
{
	return level >= 0 && level < x->nframes ? &x->frames[x->nframes - 1 - level] : NULL;
}

/* ---- samples by address ---- */

static int cmp_addr_index(const void *pa, const void *pb, void *arg)
{
	const lp_profile *p = arg;
	const lp_loc *a = &p->addrs[*(const size_t *)pa].loc;
	const lp_loc *b = &p->addrs[*(const size_t *)pb].loc;

	if (a->module != b->module)
		return a->module < b->module ? -1 : 1;
	return (a->offset > b->offset) - (a->offset < b->offset);
}

static int index_addrs(const lp_report *rep)
{
	lp_codeview *cv = rep->code;
	const lp_profile *p = rep->prof;

	if (cv->indexed)
		return 0;
	cv->by_loc = malloc((p->naddrs + 1) * sizeof(*cv->by_loc));
	if (!cv->by_loc)
		return -1;
	for (size_t i = 0; i < p->naddrs; i++)
		cv->by_loc[i] = i;
	if (p->naddrs)
		qsort_r(cv->by_loc, p->naddrs, sizeof(*cv->by_loc), cmp_addr_index, (void *)p);
	cv->indexed = 1;
	return 0;
}

static const lp_addr *addr_at(const lp_report *rep, lp_loc loc)
{
	const lp_profile *p = rep->prof;
	const size_t *ix = rep->code->by_loc;
	size_t lo = 0, hi = p->naddrs;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const lp_loc *m = &p->addrs[ix[mid]].loc;

		if (m->module < loc.module || (m->module == loc.module && m->offset < loc.offset))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < p->naddrs && p->addrs[ix[lo]].loc.module == loc.module &&
	    p->addrs[ix[lo]].loc.offset == loc.offset)
		return &p->addrs[ix[lo]];
	return NULL;
}

/* ---- a loop's place in the source ---- */

/* One level of an inline chain: the function, and where its caller inlined it. */
typedef struct lp_ident {
	const char *fn;
	const char *file;
	int line;
	size_t count;
} lp_ident;

/* x's chain agrees with ids[1..level] (level 0 is the physical function: always). */
static int chain_matches(const lp_cv_insn *x, const lp_ident *ids, int level)
{
	if (x->nframes <= level)
		return 0;
	for (int k = 1; k <= level; k++) {
		const lp_frame *f = lp_cv_insn_frame(x, k), *caller = lp_cv_insn_frame(x, k - 1);

		if (f->function != ids[k].fn || caller->file != ids[k].file || caller->line != ids[k].line)
			return 0;
	}
	return 1;
}

/* Adds one vote for ident (fn, file, line) to the distinct list; -1 when out of memory. */
static int vote(lp_ident **v, size_t *n, size_t *cap, const char *fn, const char *file, int line)
{
	for (size_t i = 0; i < *n; i++)
		if ((*v)[i].fn == fn && (*v)[i].file == file && (*v)[i].line == line) {
			(*v)[i].count++;
			return 0;
		}
	if (*n == *cap) {
		size_t ncap = *cap ? 2 * *cap : 16;
		lp_ident *nv = realloc(*v, ncap * sizeof(*nv));

		if (!nv)
			return -1;
		*v = nv;
		*cap = ncap;
	}
	(*v)[(*n)++] = (lp_ident){ fn, file, line, 1 };
	return 0;
}

static const lp_ident *top_vote(const lp_ident *v, size_t n)
{
	const lp_ident *best = NULL;

	for (size_t i = 0; i < n; i++)
		if (!best || v[i].count > best->count)
			best = &v[i];
	return best;
}

/* The instructions of loop l, as indices, into *out (malloc'd). */
static size_t loop_insns(const lp_cv_func *f, const lp_loop *l, size_t **out)
{
	const lp_cfg *g = &f->code->cfg;
	size_t n = 0;

	for (size_t k = 0; k < l->nblocks; k++)
		n += g->blocks[l->blocks[k]].n;
	*out = malloc((n + 1) * sizeof(**out));
	if (!*out)
		return 0;
	n = 0;
	for (size_t k = 0; k < l->nblocks; k++) {
		const lp_block *b = &g->blocks[l->blocks[k]];

		for (size_t i = 0; i < b->n; i++)
			(*out)[n++] = b->first + i;
	}
	return n;
}

/*
 * The level of the source function loop l belongs to, its identities
 * (ids[1..level]), file, line range and header line. -1 when out of memory.
 */
static int loop_place(lp_cv_func *f, int li, lp_ident *ids, int *levelp)
{
	const lp_cfg *g = &f->code->cfg;
	const lp_loop *l = &g->loops[li];
	lp_cv_loop *L = &f->loops[li];
	lp_ident *v = NULL;
	size_t *ix = NULL, n = loop_insns(f, l, &ix), nv = 0, cap = 0, all = 0;
	const lp_ident *best;
	int level = 0, rc = -1;

	if (!ix)
		return -1;
	/*
	 * The loop is the function's whose code makes it go round: the jumps
	 * back to the header. Its body may be mostly a callee inlined into it
	 * (main's loop over an inlined kernel), or hold a few instructions the
	 * compiler scheduled in from the caller; neither says whose loop it is.
	 */
	for (size_t k = 0; k < l->nlatches; k++) {
		const lp_block *b = &f->code->cfg.blocks[l->latches[k]];
		const lp_frame *fr = lp_cv_insn_frame(&f->insns[b->first + b->n - 1], 0);

		all++;
		if (fr && vote(&v, &nv, &cap, fr->function, NULL, 0))
			goto out;
	}
	best = top_vote(v, nv);
	ids[0] = (lp_ident){ best ? best->fn : f->name, NULL, 0, 0 };
	/* Deeper while every back edge is in the same inlined copy. */
	while (level + 1 < LP_LEVEL_MAX) {
		nv = 0;
		for (size_t k = 0; k < l->nlatches; k++) {
			const lp_block *b = &f->code->cfg.blocks[l->latches[k]];
			const lp_cv_insn *x = &f->insns[b->first + b->n - 1];
			const lp_frame *in, *caller;

			if (!chain_matches(x, ids, level) || !(in = lp_cv_insn_frame(x, level + 1)))
				continue;
			caller = lp_cv_insn_frame(x, level);
			if (vote(&v, &nv, &cap, in->function, caller->file, caller->line))
				goto out;
		}
		best = top_vote(v, nv);
		if (!best || best->count < all)
			break;
		ids[++level] = *best;
	}
	L->function = ids[level].fn;
	/* The file: the most common among the loop's lines at that level. */
	nv = 0;
	for (size_t k = 0; k < n; k++) {
		const lp_cv_insn *x = &f->insns[ix[k]];
		const lp_frame *fr;

		if (chain_matches(x, ids, level) && (fr = lp_cv_insn_frame(x, level))->file &&
		    fr->line > 0 && vote(&v, &nv, &cap, fr->file, NULL, 0))
			goto out;
	}
	best = top_vote(v, nv);
	L->file = best ? best->fn : NULL;
	for (size_t k = 0; L->file && k < n; k++) {
		const lp_cv_insn *x = &f->insns[ix[k]];
		const lp_frame *fr;

		if (!chain_matches(x, ids, level) || (fr = lp_cv_insn_frame(x, level))->file != L->file ||
		    fr->line <= 0)
			continue;
		if (!L->first_line || fr->line < L->first_line)
			L->first_line = fr->line;
		if (fr->line > L->last_line)
			L->last_line = fr->line;
	}
	*levelp = level;
	rc = 0;
out:
	free(v);
	free(ix);
	return rc;
}

/* The line of x at level, if it is one of the loop's lines. */
static int loop_line(const lp_cv_loop *L, const lp_cv_insn *x, const lp_ident *ids, int level)
{
	const lp_frame *fr;

	if (!chain_matches(x, ids, level) || !(fr = lp_cv_insn_frame(x, level)) ||
	    fr->file != L->file || fr->line <= 0)
		return 0;
	return fr->line;
}

/*
 * The header line: where the loop decides to go round again. The jump back
 * to the header says it best (at -O2 the test sits at the bottom, on the
 * for line); where the body falls into the header instead (-O0: the test
 * block is the header), the header's first line.
 */
static void loop_header_line(const lp_cv_func *f, int li, const lp_ident *ids, int level)
{
	const lp_cfg *g = &f->code->cfg;
	const lp_loop *l = &g->loops[li];
	lp_cv_loop *L = &f->loops[li];
	const lp_block *h = &g->blocks[l->header];
	uint64_t hv = f->code->insns[h->first].vaddr;
	int best = 0, best_cond = 0;

	for (size_t k = 0; k < l->nlatches; k++) {
		const lp_block *b = &g->blocks[l->latches[k]];
		const lp_cv_insn *x = &f->insns[b->first + b->n - 1];
		int line = loop_line(L, x, ids, level);

		if (!line || (x->insn->kind != LP_INSN_JUMP && x->insn->kind != LP_INSN_CJUMP) ||
		    x->insn->target != hv)
			continue;
		if (!best || (x->insn->kind == LP_INSN_CJUMP && !best_cond)) {
			best = line;
			best_cond = x->insn->kind == LP_INSN_CJUMP;
		}
	}
	for (size_t i = 0; !best && i < h->n; i++)
		best = loop_line(L, &f->insns[h->first + i], ids, level);
	L->header_line = best ? best : L->first_line;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/*
 * The compiler puts a few instructions of far-away lines in a loop (a
 * constant rematerialized with the line of its definition, a copy of a
 * statement before the loop): at either end of the loop's lines, a group
 * of lines more than LP_LINE_GAP lines away from the rest and holding under
 * 5 % of its instructions is dropped from its range. Never the header's.
 */
#define LP_LINE_GAP 10

static int loop_trim(lp_cv_func *f, int li, const lp_ident *ids, int level)
{
	const lp_loop *l = &f->code->cfg.loops[li];
	lp_cv_loop *L = &f->loops[li];
	size_t *ix = NULL, n = loop_insns(f, l, &ix), m = 0, lo, hi;
	int *lines;

	if (!ix)
		return -1;
	lines = malloc((n + 1) * sizeof(*lines));
	if (!lines) {
		free(ix);
		return -1;
	}
	for (size_t k = 0; k < n; k++) {
		int line = loop_line(L, &f->insns[ix[k]], ids, level);

		if (line)
			lines[m++] = line;
	}
	if (m) {
		qsort(lines, m, sizeof(*lines), cmp_int);
		lo = 0;
		hi = m - 1;
		for (int changed = 1; changed;) {
			size_t g;

			changed = 0;
			/* The lowest group: up to the first gap. */
			for (g = lo; g < hi && lines[g + 1] - lines[g] <= LP_LINE_GAP; g++)
				;
			if (g < hi && (g - lo + 1) * 20 < m &&
			    !(L->header_line >= lines[lo] && L->header_line <= lines[g])) {
				lo = g + 1;
				changed = 1;
			}
			for (g = hi; g > lo && lines[g] - lines[g - 1] <= LP_LINE_GAP; g--)
				;
			if (g > lo && (hi - g + 1) * 20 < m &&
			    !(L->header_line >= lines[g] && L->header_line <= lines[hi])) {
				hi = g - 1;
				changed = 1;
			}
		}
		L->first_line = lines[lo];
		L->last_line = lines[hi];
	}
	free(lines);
	free(ix);
	return 0;
}

static int cmp_frame(const void *pa, const void *pb)
{
	const lp_cv_frame *a = pa, *b = pb;

	if (a->module != b->module)
		return a->module < b->module ? -1 : 1;
	if (a->off != b->off)
		return a->off < b->off ? -1 : 1;
	return (a->stack > b->stack) - (a->stack < b->stack);
}

/*
 * The stacks' frames by place, built once per report: a function finds the
 * stacks through its code by a search, not by reading every stack (a
 * thousand functions times every stack was most of a view's time).
 */
static int index_frames(const lp_report *rep)
{
	lp_codeview *cv = rep->code;
	const lp_profile *p = rep->prof;
	size_t n = 0;

	if (cv->frames_indexed)
		return 0;
	for (size_t s = 0; s < p->nstacks; s++)
		n += p->stacks[s].depth;
	cv->frames = malloc((n + 1) * sizeof(*cv->frames));
	if (!cv->frames)
		return -1;
	for (size_t s = 0; s < p->nstacks; s++) {
		const lp_stack *st = &p->stacks[s];

		for (uint32_t d = 0; d < st->depth; d++) {
			lp_loc loc = p->frames[st->first + d];

			cv->frames[cv->nframes++] = (lp_cv_frame){ loc.module, (uint32_t)s,
								   loc.offset - (d > 0 && loc.offset > 0) };
		}
	}
	qsort(cv->frames, cv->nframes, sizeof(*cv->frames), cmp_frame);
	cv->frames_indexed = 1;
	return 0;
}

/* A stack through one loop of the function (at one of its frames). */
typedef struct lp_cv_pass {
	uint32_t stack;
	int loop;
} lp_cv_pass;

static int cmp_pass(const void *pa, const void *pb)
{
	const lp_cv_pass *a = pa, *b = pb;

	return (a->stack > b->stack) - (a->stack < b->stack);
}

/* Totals from the call stacks: each stack counts once for each loop it passes through. */
static int loop_totals_from_stacks(const lp_report *rep, lp_cv_func *f)
{
	const lp_profile *p = rep->prof;
	const lp_fcode *fc = f->code;
	const lp_codeview *cv = rep->code;
	uint64_t lo = UINT64_MAX, hi = 0;
	size_t first = 0, last, npass = 0;
	char *hit = calloc(f->nloops + 1, 1);
	int *touched = malloc((f->nloops + 1) * sizeof(*touched));
	lp_cv_pass *pass = NULL;

	if (!hit || !touched || index_frames(rep) != 0) {
		free(hit);
		free(touched);
		return -1;
	}
	for (size_t i = 0; i < fc->ninsns; i++) {
		if (fc->insns[i].offset < lo)
			lo = fc->insns[i].offset;
		if (fc->insns[i].offset + fc->insns[i].size > hi)
			hi = fc->insns[i].offset + fc->insns[i].size;
	}
	/* The frames in [lo, hi) of the function's module, then those inside one of its loops. */
	for (size_t n = cv->nframes; n > 0;) {
		size_t half = n / 2;
		const lp_cv_frame *x = &cv->frames[first + half];

		if (x->module < fc->module || (x->module == fc->module && x->off < lo)) {
			first += half + 1;
			n -= half + 1;
		} else {
			n = half;
		}
	}
	for (last = first; last < cv->nframes && cv->frames[last].module == fc->module &&
	     cv->frames[last].off < hi; last++)
		;
	pass = malloc((last - first + 1) * sizeof(*pass));
	if (!pass) {
		free(hit);
		free(touched);
		return -1;
	}
	for (size_t k = first; k < last; k++) {
		long i = lp_fcode_insn_at(fc, cv->frames[k].off);

		if (i >= 0 && f->insns[i].loop >= 0)
			pass[npass++] = (lp_cv_pass){ cv->frames[k].stack, f->insns[i].loop };
	}
	qsort(pass, npass, sizeof(*pass), cmp_pass);
	for (size_t k = 0; k < npass;) {
		const lp_stack *st = &p->stacks[pass[k].stack];
		int nt = 0;

		for (uint32_t s = pass[k].stack; k < npass && pass[k].stack == s; k++)
			for (int l = pass[k].loop; l >= 0; l = f->loops[l].parent)
				if (!hit[l]) {
					hit[l] = 1;
					touched[nt++] = l;
				}
		for (int j = 0; j < nt; j++) {
			f->loops[touched[j]].total_samples += st->c.samples;
			f->loops[touched[j]].total_value0 += st->c.value[0];
			hit[touched[j]] = 0;
		}
	}
	free(pass);
	free(hit);
	free(touched);
	return 0;
}

static int loops_fill(const lp_report *rep, lp_cv_func *f)
{
	const lp_cfg *g = &f->code->cfg;
	lp_ident (*ids)[LP_LEVEL_MAX] = calloc(f->nloops + 1, sizeof(*ids));
	int *levels = calloc(f->nloops + 1, sizeof(*levels));

	if (!ids || !levels) {
		free(ids);
		free(levels);
		return -1;
	}
	for (size_t li = 0; li < f->nloops; li++) {
		lp_cv_loop *L = &f->loops[li];
		const lp_loop *l = &g->loops[li];
		int k = 1;

		L->fn = f;
		L->parent = l->parent;
		L->depth = l->depth;
		L->header_vaddr = f->code->insns[g->blocks[l->header].first].vaddr;
		if (loop_place(f, (int)li, ids[li], &levels[li]) != 0) {
			free(ids);
			free(levels);
			return -1;
		}
		loop_header_line(f, (int)li, ids[li], levels[li]);
		if (loop_trim(f, (int)li, ids[li], levels[li]) != 0) {
			free(ids);
			free(levels);
			return -1;
		}
		/* "2.1": one more than the siblings before it (parents come first: their ids are set). */
		for (size_t j = 0; j < f->nloops; j++)
			if (j != li && f->loops[j].parent == L->parent && g->loops[j].parent == l->parent &&
			    f->code->insns[g->blocks[g->loops[j].header].first].vaddr < L->header_vaddr)
				k++;
		if (L->parent >= 0)
			snprintf(L->id, sizeof(L->id), "%.20s.%d", f->loops[L->parent].id, k);
		else
			snprintf(L->id, sizeof(L->id), "%d", k);
	}
	for (size_t i = 0; i < f->code->ninsns; i++) {
		const lp_cv_insn *x = &f->insns[i];
		int li = x->loop;

		if (!x->samples || li < 0)
			continue;
		if (x->nframes == levels[li] + 1 && chain_matches(x, ids[li], levels[li])) {
			f->loops[li].self_samples += x->samples;
			for (int e = 0; e < LP_MAX_EVENTS; e++)
				f->loops[li].self_value[e] += x->value[e];
		}
		for (int l = li; l >= 0; l = f->loops[l].parent) {
			f->loops[l].insn_samples += x->samples;
			if (!rep->inclusive_from_stacks) {
				f->loops[l].total_samples += x->samples;
				f->loops[l].total_value0 += x->value[0];
			}
		}
	}
	free(ids);
	free(levels);
	return rep->inclusive_from_stacks ? loop_totals_from_stacks(rep, f) : 0;
}

static long insn_by_vaddr(const lp_fcode *fc, uint64_t vaddr)
{
	size_t lo = 0, hi = fc->ninsns;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (fc->insns[mid].vaddr < vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < fc->ninsns && fc->insns[lo].vaddr == vaddr ? (long)lo : -1;
}

static lp_cv_func *func_build(const lp_report *rep, const lp_fcode *fc)
{
	const lp_cfg *g = &fc->cfg;
	lp_cv_func *f = calloc(1, sizeof(*f));
	long e;

	if (!f)
		return NULL;
	f->code = fc;
	f->insns = calloc(fc->ninsns + 1, sizeof(*f->insns));
	f->loops = calloc(g->nloops + 1, sizeof(*f->loops));
	f->nloops = g->nloops;
	if (!f->insns || !f->loops) {
		func_free(f);
		return NULL;
	}
	for (size_t i = 0; i < fc->ninsns; i++) {
		lp_cv_insn *x = &f->insns[i];
		lp_loc loc = { fc->module, fc->insns[i].offset };
		const lp_addr *a = addr_at(rep, loc);

		x->insn = &fc->insns[i];
		x->nframes = rep->sym.lookup(rep->sym.ctx, loc, 0, &x->frames);
		x->block = lp_cfg_block_of(g, i);
		x->loop = x->block >= 0 ? g->blocks[x->block].loop : -1;
		x->back_loop = -1;
		if (a) {
			x->samples = a->c.samples;
			f->samples += a->c.samples;
			for (int k = 0; k < LP_MAX_EVENTS; k++) {
				x->value[k] = a->c.value[k];
				f->value[k] += a->c.value[k];
			}
		}
	}
	for (size_t i = 0; i < fc->ninsns; i++) {
		long t;

		if ((fc->insns[i].kind == LP_INSN_JUMP || fc->insns[i].kind == LP_INSN_CJUMP) &&
		    (t = insn_by_vaddr(fc, fc->insns[i].target)) >= 0)
			f->insns[t].jump_target = 1;
	}
	for (size_t li = 0; li < g->nloops; li++)
		for (size_t k = 0; k < g->loops[li].nlatches; k++) {
			const lp_block *b = &g->blocks[g->loops[li].latches[k]];
			lp_cv_insn *x = &f->insns[b->first + b->n - 1];

			/* A latch of two loops: the inner one says more. */
			if (!x->back_edge || g->loops[x->back_loop].depth < g->loops[li].depth) {
				x->back_edge = 1;
				x->back_loop = (int)li;
			}
		}
	e = insn_by_vaddr(fc, fc->entry);
	f->name = e >= 0 && f->insns[e].nframes > 0 ? lp_cv_insn_frame(&f->insns[e], 0)->function
						      : fc->name;
	if (loops_fill(rep, f) != 0) {
		func_free(f);
		return NULL;
	}
	return f;
}

/* The counted function of fc, built on first use; NULL when out of memory. */
static lp_cv_func *func_get(const lp_report *rep, const lp_fcode *fc)
{
	lp_codeview *cv = rep->code;
	size_t lo = 0, hi = cv->nfuncs;
	lp_cv_func *f;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if ((uintptr_t)cv->funcs[mid]->code < (uintptr_t)fc)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < cv->nfuncs && cv->funcs[lo]->code == fc)
		return cv->funcs[lo];
	if (index_addrs(rep) != 0 || !(f = func_build(rep, fc)))
		return NULL;
	if (cv->nfuncs == cv->capfuncs) {
		size_t cap = cv->capfuncs ? 2 * cv->capfuncs : 32;
		lp_cv_func **v = realloc(cv->funcs, cap * sizeof(*v));

		if (!v) {
			func_free(f);
			return NULL;
		}
		cv->funcs = v;
		cv->capfuncs = cap;
	}
	memmove(&cv->funcs[lo + 1], &cv->funcs[lo], (cv->nfuncs - lo) * sizeof(*cv->funcs));
	cv->funcs[lo] = f;
	cv->nfuncs++;
	return f;
}

const lp_cv_func *lp_codeview_func(const lp_report *rep, lp_loc loc, int *status,
				   const char **arch)
{
	const lp_fcode *fc = NULL;
	const char *machine = NULL;
	const lp_cv_func *f;
	int st = rep->sym.code ? rep->sym.code(rep->sym.ctx, loc, &fc, &machine) : LP_CODE_NONE;

	if (st == LP_CODE_UNSUPPORTED && !rep->code->unsupported)
		rep->code->unsupported = machine;
	if (status)
		*status = st;
	if (arch)
		*arch = machine;
	if (st != LP_CODE_OK)
		return NULL;
	f = func_get(rep, fc);
	if (!f && status)
		*status = LP_CODE_NOMEM;
	return f;
}

int lp_codeview_vaddr(const lp_report *rep, lp_loc loc, uint64_t *vaddr)
{
	return rep->sym.vaddr ? rep->sym.vaddr(rep->sym.ctx, loc, vaddr) : -1;
}

int lp_codeview_insn_vaddr(const lp_report *rep, lp_loc loc, int is_return, uint64_t *vaddr)
{
	const lp_fcode *fc = NULL;
	long i;

	if (is_return && loc.offset > 0)
		loc.offset--;
	if (rep->sym.code && rep->sym.code(rep->sym.ctx, loc, &fc, NULL) == LP_CODE_OK &&
	    (i = lp_fcode_insn_at(fc, loc.offset)) >= 0) {
		*vaddr = fc->insns[i].vaddr;
		return 0;
	}
	return lp_codeview_vaddr(rep, loc, vaddr);
}

/* ---- the source loops ---- */

static int chain_has(const lp_frame *fr, int n, const char *function)
{
	for (int i = 0; i < n; i++)
		if (fr[i].function == function || strcmp(fr[i].function, function) == 0)
			return 1;
	return 0;
}

/* Every function whose code holds a sample (or, with stacks, a frame) of function's. */
static int collect(const lp_report *rep, const char *function)
{
	const lp_profile *p = rep->prof;

	for (size_t a = 0; a < p->naddrs; a++) {
		const lp_frame *fr;
		int n, st;

		if (!p->addrs[a].c.samples)
			continue;
		n = rep->sym.lookup(rep->sym.ctx, p->addrs[a].loc, 0, &fr);
		if (function && !chain_has(fr, n, function))
			continue;
		if (!lp_codeview_func(rep, p->addrs[a].loc, &st, NULL) && st == LP_CODE_NOMEM)
			return -1;
	}
	for (size_t s = 0; rep->inclusive_from_stacks && s < p->nstacks; s++) {
		for (uint32_t d = 1; d < p->stacks[s].depth; d++) {
			lp_loc loc = p->frames[p->stacks[s].first + d];
			const lp_frame *fr;
			int n = rep->sym.lookup(rep->sym.ctx, loc, 1, &fr), st;

			if (function && !chain_has(fr, n, function))
				continue;
			if (loc.offset > 0)
				loc.offset--;
			if (!lp_codeview_func(rep, loc, &st, NULL) && st == LP_CODE_NOMEM)
				return -1;
		}
	}
	return 0;
}

typedef struct lp_copy {
	const lp_cv_loop *l;
	size_t sloop;
} lp_copy;

static int cmp_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static int cmp_copy(const void *pa, const void *pb)
{
	const lp_cv_loop *a = ((const lp_copy *)pa)->l, *b = ((const lp_copy *)pb)->l;
	int c;

	if ((c = cmp_str(a->function, b->function)) || (c = cmp_str(a->file, b->file)))
		return c;
	if (a->first_line != b->first_line)
		return a->first_line < b->first_line ? -1 : 1;
	if (a->last_line != b->last_line)
		return a->last_line < b->last_line ? -1 : 1;
	if (a->header_line != b->header_line)
		return a->header_line < b->header_line ? -1 : 1;
	return (a->header_vaddr > b->header_vaddr) - (a->header_vaddr < b->header_vaddr);
}

static int same_source(const lp_cv_loop *a, const lp_cv_loop *b)
{
	return !cmp_str(a->function, b->function) && !cmp_str(a->file, b->file) &&
	       a->first_line == b->first_line && a->last_line == b->last_line &&
	       a->header_line == b->header_line && a->file;
}

static int cmp_sloop_index(const void *pa, const void *pb, void *arg)
{
	const lp_cv_sloop *a = &((const lp_cv_sloop *)arg)[*(const size_t *)pa];
	const lp_cv_sloop *b = &((const lp_cv_sloop *)arg)[*(const size_t *)pb];
	int c;

	if (a->total_samples != b->total_samples)
		return a->total_samples > b->total_samples ? -1 : 1;
	if (a->self_samples != b->self_samples)
		return a->self_samples > b->self_samples ? -1 : 1;
	if ((c = cmp_str(a->file, b->file)))
		return c;
	if (a->first_line != b->first_line)
		return a->first_line < b->first_line ? -1 : 1;
	return (a->hottest->header_vaddr > b->hottest->header_vaddr) -
	       (a->hottest->header_vaddr < b->hottest->header_vaddr);
}

int lp_codeview_loops(const lp_report *rep, const char *function, const lp_cv_sloop **loops,
		      size_t *n, const char **unsupported)
{
	lp_codeview *cv = rep->code;
	lp_copy *copies = NULL;
	size_t ncopies = 0, ns = 0, *order = NULL;
	lp_cv_sloop *s = NULL, *sorted = NULL;
	long *newpos = NULL;
	int rc = -1;

	*loops = NULL;
	*n = 0;
	if (collect(rep, function) != 0)
		return -1;
	if (unsupported)
		*unsupported = cv->unsupported;
	for (size_t i = 0; i < cv->nfuncs; i++)
		ncopies += cv->funcs[i]->nloops;
	copies = malloc((ncopies + 1) * sizeof(*copies));
	if (!copies)
		return -1;
	ncopies = 0;
	for (size_t i = 0; i < cv->nfuncs; i++)
		for (size_t k = 0; k < cv->funcs[i]->nloops; k++) {
			const lp_cv_loop *l = &cv->funcs[i]->loops[k];

			if (!function || (l->function && strcmp(l->function, function) == 0))
				copies[ncopies++] = (lp_copy){ l, 0 };
		}
	if (ncopies)
		qsort(copies, ncopies, sizeof(*copies), cmp_copy);
	s = calloc(ncopies + 1, sizeof(*s));
	if (!s)
		goto out;
	for (size_t i = 0; i < ncopies; i++) {
		const lp_cv_loop *l = copies[i].l;
		lp_cv_sloop *t;

		if (!ns || !same_source(s[ns - 1].hottest, l)) {
			t = &s[ns++];
			t->function = l->function;
			t->file = l->file;
			t->first_line = l->first_line;
			t->last_line = l->last_line;
			t->header_line = l->header_line;
			t->hottest = l;
		}
		t = &s[ns - 1];
		copies[i].sloop = ns - 1;
		t->copies++;
		if (l->total_samples > t->hottest->total_samples)
			t->hottest = l;
		t->self_samples += l->self_samples;
		for (int e = 0; e < LP_MAX_EVENTS; e++)
			t->self_value[e] += l->self_value[e];
		t->total_samples += l->total_samples;
		t->total_value0 += l->total_value0;
	}
	/* Parents, through the hottest copy's parent loop. */
	for (size_t k = 0; k < ns; k++) {
		const lp_cv_loop *h = s[k].hottest;

		s[k].depth = h->depth;
		s[k].parent = -1;
		for (size_t i = 0; h->parent >= 0 && i < ncopies; i++)
			if (copies[i].l == &h->fn->loops[h->parent])
				s[k].parent = (long)copies[i].sloop;
	}
	/* Hottest first; parents renumbered. */
	order = malloc((ns + 1) * sizeof(*order));
	newpos = malloc((ns + 1) * sizeof(*newpos));
	sorted = malloc((ns + 1) * sizeof(*sorted));
	if (!order || !newpos || !sorted)
		goto out;
	for (size_t k = 0; k < ns; k++)
		order[k] = k;
	if (ns)
		qsort_r(order, ns, sizeof(*order), cmp_sloop_index, s);
	for (size_t k = 0; k < ns; k++)
		newpos[order[k]] = (long)k;
	for (size_t k = 0; k < ns; k++) {
		sorted[k] = s[order[k]];
		if (sorted[k].parent >= 0)
			sorted[k].parent = newpos[sorted[k].parent];
	}
	free(s);
	s = sorted;
	sorted = NULL;
	free(cv->sloops);
	cv->sloops = s;
	cv->nsloops = ns;
	s = NULL;
	*loops = cv->sloops;
	*n = cv->nsloops;
	rc = 0;
out:
	free(s);
	free(sorted);
	free(copies);
	free(order);
	free(newpos);
	return rc;
}

size_t lp_codeview_sloop_index(const lp_report *rep, const lp_cv_sloop *l)
{
	return (size_t)(l - rep->code->sloops);
}

int lp_cv_insn_in(const lp_cv_insn *x, const char *name)
{
	return chain_has(x->frames, x->nframes, name);
}

typedef struct lp_fnshare {
	const lp_cv_func *f;
	uint64_t samples;
} lp_fnshare;

static int cmp_fnshare(const void *pa, const void *pb)
{
	const lp_fnshare *a = pa, *b = pb;

	if (a->samples != b->samples)
		return a->samples > b->samples ? -1 : 1;
	return (a->f->code->entry > b->f->code->entry) - (a->f->code->entry < b->f->code->entry);
}

int lp_codeview_funcs_of(const lp_report *rep, const char *name, const lp_cv_func ***out,
			 size_t *n, const char **unsupported)
{
	lp_codeview *cv = rep->code;
	lp_fnshare *v;
	size_t k = 0;

	*out = NULL;
	*n = 0;
	if (collect(rep, name) != 0)
		return -1;
	if (unsupported)
		*unsupported = cv->unsupported;
	v = malloc((cv->nfuncs + 1) * sizeof(*v));
	*out = malloc((cv->nfuncs + 1) * sizeof(**out));
	if (!v || !*out) {
		free(v);
		free(*out);
		*out = NULL;
		return -1;
	}
	for (size_t i = 0; i < cv->nfuncs; i++) {
		const lp_cv_func *f = cv->funcs[i];
		uint64_t s = 0;
		int has = 0;

		for (size_t j = 0; j < f->code->ninsns; j++)
			if (lp_cv_insn_in(&f->insns[j], name)) {
				has = 1;
				s += f->insns[j].samples;
			}
		if (has && s)
			v[k++] = (lp_fnshare){ f, s };
	}
	if (k)
		qsort(v, k, sizeof(*v), cmp_fnshare);
	for (size_t i = 0; i < k; i++)
		(*out)[i] = v[i].f;
	*n = k;
	free(v);
	return 0;
}

typedef struct lp_lineinsn {
	const lp_cv_insn *x;
	const lp_cv_func *f;
} lp_lineinsn;

static int cmp_lineinsn(const void *pa, const void *pb)
{
	const lp_lineinsn *a = pa, *b = pb;

	if (a->f->code->module != b->f->code->module)
		return a->f->code->module < b->f->code->module ? -1 : 1;
	return (a->x->insn->vaddr > b->x->insn->vaddr) - (a->x->insn->vaddr < b->x->insn->vaddr);
}

int lp_codeview_line_insns(const lp_report *rep, const lp_line_stat *ls,
			   const lp_cv_insn ***insns, const lp_cv_func ***funcs, size_t *n)
{
	const lp_profile *p = rep->prof;
	lp_lineinsn *v = malloc((p->naddrs + 1) * sizeof(*v));
	size_t k = 0;

	*insns = NULL;
	*funcs = NULL;
	*n = 0;
	if (!v)
		return -1;
	for (size_t a = 0; a < p->naddrs; a++) {
		const lp_frame *fr;
		const lp_cv_func *f;
		long i;
		int st;

		if (!p->addrs[a].c.samples)
			continue;
		rep->sym.lookup(rep->sym.ctx, p->addrs[a].loc, 0, &fr);
		if (fr[0].file != ls->file || fr[0].line != ls->line || fr[0].function != ls->function)
			continue;
		f = lp_codeview_func(rep, p->addrs[a].loc, &st, NULL);
		if (!f && st == LP_CODE_NOMEM) {
			free(v);
			return -1;
		}
		if (f && (i = lp_fcode_insn_at(f->code, p->addrs[a].loc.offset)) >= 0)
			v[k++] = (lp_lineinsn){ &f->insns[i], f };
	}
	if (k)
		qsort(v, k, sizeof(*v), cmp_lineinsn);
	*insns = malloc((k + 1) * sizeof(**insns));
	*funcs = malloc((k + 1) * sizeof(**funcs));
	if (!*insns || !*funcs) {
		free(*insns);
		free(*funcs);
		*insns = NULL;
		*funcs = NULL;
		free(v);
		return -1;
	}
	for (size_t i = 0; i < k; i++) {
		(*insns)[i] = v[i].x;
		(*funcs)[i] = v[i].f;
	}
	*n = k;
	free(v);
	return 0;
}

const char *lp_codeview_unsupported(const lp_report *rep)
{
	return rep->code->unsupported;
}

size_t lp_codeview_naddrs(const lp_report *rep)
{
	return rep->prof->naddrs;
}

void lp_codeview_addr(const lp_report *rep, size_t i, lp_cv_addr *out)
{
	const lp_addr *a = &rep->prof->addrs[i];

	out->loc = a->loc;
	rep->sym.lookup(rep->sym.ctx, a->loc, 0, &out->frame);
	out->samples = a->c.samples;
	out->value = a->c.value;
	out->has_vaddr = lp_codeview_vaddr(rep, a->loc, &out->vaddr) == 0;
	if (!out->has_vaddr)
		out->vaddr = a->loc.offset;
}

int lp_codeview_entry(const lp_report *rep, lp_loc loc, const char *name, uint64_t *entry)
{
	const lp_fcode *fc = NULL;

	if (!rep->sym.code || rep->sym.code(rep->sym.ctx, loc, &fc, NULL) != LP_CODE_OK || !fc->name ||
	    strcmp(fc->name, name) != 0)
		return -1;
	*entry = fc->entry;
	return 0;
}
