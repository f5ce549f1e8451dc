/*
 * lineprof diff's model. Every profile gets its own report, through the same
 * lp_annotate_report path as annotate, so the diff never depends on how a
 * report computes its numbers: it takes each line's samples (the counts the
 * test needs) and its time (lp_report_seconds) and matches the rows of the
 * two sides by (file, line, function) - file and line in NEW's numbering,
 * where BASE's lines are followed through a text diff of the two versions
 * of a file when both can be read.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "containers.h"
#include "diff.h"
#include "linemap.h"
#include "render.h"
#include "source.h"

/* More differing lines than this between two versions of a file: lines are not followed. */
#define LP_LINEMAP_MAXD 2000

/* Rows by content (each report interns its own strings): (file, line, function) -> index. */
typedef struct lp_rowmap {
	size_t *slots;            /* index + 1 */
	size_t cap;
} lp_rowmap;

static uint64_t str_hash(uint64_t h, const char *s)
{
	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (h ^ (s ? 0x5a : 0xa5)) * 1099511628211ULL;
}

static uint64_t key_hash(const char *file, int line, const char *fn)
{
	uint64_t h = str_hash(1469598103934665603ULL, file);

	h = (h ^ (uint64_t)(unsigned)line) * 0x9e3779b97f4a7c15ULL;
	return str_hash(h, fn) ^ (h >> 29);
}

static int str_eq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* The build state: rows and their per-run numbers, grown together. */
typedef struct lp_rows {
	lp_diff_row *row;
	uint64_t *counts;         /* [i * nruns + r] */
	uint64_t *value0;
	double *secs;
	size_t n, cap;
	int nruns;
	lp_rowmap map;
} lp_rows;

static int rows_rehash(lp_rows *t)
{
	size_t cap = t->map.cap ? t->map.cap * 2 : 1024;
	size_t *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -1;
	for (size_t i = 0; i < t->n; i++) {
		const lp_diff_row *r = &t->row[i];
		size_t s = key_hash(r->file, r->line, r->function) & (cap - 1);

		while (slots[s])
			s = (s + 1) & (cap - 1);
		slots[s] = i + 1;
	}
	free(t->map.slots);
	t->map.slots = slots;
	t->map.cap = cap;
	return 0;
}

static long rows_find(const lp_rows *t, const char *file, int line, const char *fn, size_t *slot)
{
	size_t s;

	for (s = key_hash(file, line, fn) & (t->map.cap - 1); t->map.slots[s];
	     s = (s + 1) & (t->map.cap - 1)) {
		const lp_diff_row *r = &t->row[t->map.slots[s] - 1];

		if (r->line == line && str_eq(r->file, file) && str_eq(r->function, fn))
			return (long)t->map.slots[s] - 1;
	}
	*slot = s;
	return -1;
}

/* The row of (file, line, fn), added (zeroed) if new; NULL when out of memory. */
static lp_diff_row *rows_get(lp_rows *t, const char *file, int line, const char *fn, size_t *idx)
{
	size_t slot = 0, nr = (size_t)t->nruns;
	long i;

	if ((t->n + 1) * 2 > t->map.cap && rows_rehash(t))
		return NULL;
	i = rows_find(t, file, line, fn, &slot);
	if (i >= 0) {
		*idx = (size_t)i;
		return &t->row[i];
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		void *r = realloc(t->row, cap * sizeof(*t->row));
		void *c = r ? realloc(t->counts, cap * nr * sizeof(*t->counts)) : NULL;
		void *v = c ? realloc(t->value0, cap * nr * sizeof(*t->value0)) : NULL;
		void *s = v ? realloc(t->secs, cap * nr * sizeof(*t->secs)) : NULL;

		if (r)
			t->row = r;
		if (c)
			t->counts = c;
		if (v)
			t->value0 = v;
		if (!s)
			return NULL;
		t->secs = s;
		t->cap = cap;
	}
	memset(&t->row[t->n], 0, sizeof(t->row[0]));
	memset(&t->counts[t->n * nr], 0, nr * sizeof(*t->counts));
	memset(&t->value0[t->n * nr], 0, nr * sizeof(*t->value0));
	memset(&t->secs[t->n * nr], 0, nr * sizeof(*t->secs));
	t->row[t->n].file = file;
	t->row[t->n].line = line;
	t->row[t->n].function = fn;
	t->map.slots[slot] = t->n + 1;
	*idx = t->n;
	return &t->row[t->n++];
}

static void rows_free(lp_rows *t)
{
	free(t->counts);
	free(t->value0);
	free(t->secs);
	free(t->map.slots);
}

/*
 * Where a BASE file's lines go in NEW: the same path, or the NEW file with
 * the longest common path tail (at least the base name, and only one such
 * file: a tree checked out or built elsewhere); its lines followed through a
 * text diff when both versions can be read, else taken by number.
 */
typedef struct lp_filemap {
	const char *base;         /* BASE's path (its report's string) */
	const char *new;          /* NEW's path; NULL when NEW has no such file */
	lp_linemap lines;
	int followed;             /* lines is a text diff's map; else lines keep their numbers */
} lp_filemap;

typedef struct lp_files {
	lp_filemap *f;
	size_t n, cap;
	const char **newf;        /* NEW's files with samples */
	size_t nnew, capnew;
} lp_files;

static int add_newfile(lp_files *fs, const char *file)
{
	if (LP_GROW(fs->newf, fs->nnew, fs->capnew))
		return -1;
	fs->newf[fs->nnew++] = file;
	return 0;
}

static int cmp_path(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* NEW's files, once each: sorted, duplicates dropped (runs intern their own strings). */
static void unique_newfiles(lp_files *fs)
{
	size_t n = 0;

	if (!fs->nnew)
		return;
	qsort(fs->newf, fs->nnew, sizeof(*fs->newf), cmp_path);
	for (size_t i = 0; i < fs->nnew; i++)
		if (!n || strcmp(fs->newf[n - 1], fs->newf[i]) != 0)
			fs->newf[n++] = fs->newf[i];
	fs->nnew = n;
}

/* Path components a and b share at their ends. */
static int common_tail(const char *a, const char *b)
{
	const char *ea = a + strlen(a), *eb = b + strlen(b);
	int n = 0;

	while (ea > a && eb > b) {
		const char *sa = ea, *sb = eb;

		while (sa > a && sa[-1] != '/')
			sa--;
		while (sb > b && sb[-1] != '/')
			sb--;
		if (ea - sa != eb - sb || memcmp(sa, sb, (size_t)(ea - sa)) != 0)
			break;
		n++;
		ea = sa > a ? sa - 1 : sa;
		eb = sb > b ? sb - 1 : sb;
		if (sa == a || sb == b)
			break;
	}
	return n;
}

static const char *match_file(const lp_files *fs, const char *base)
{
	const char *best = NULL;
	int bestn = 0, ties = 0;

	for (size_t i = 0; i < fs->nnew; i++) {
		int n;

		if (strcmp(fs->newf[i], base) == 0)
			return fs->newf[i];
		n = common_tail(fs->newf[i], base);
		if (n > bestn)
			best = fs->newf[i], bestn = n, ties = 0;
		else if (n == bestn && n > 0)
			ties++;
	}
	return bestn > 0 && !ties ? best : NULL;
}

/* A file's lines as an array, from src; NULL (n = 0) when it cannot be read. */
static const char **file_lines(lp_sources *src, const char *file, int *n)
{
	const char **l;

	*n = lp_sources_count(src, file);
	if (*n <= 0)
		return NULL;
	l = malloc((size_t)*n * sizeof(*l));
	if (!l)
		return NULL;
	for (int i = 0; i < *n; i++)
		l[i] = lp_sources_line(src, file, i + 1);
	return l;
}

/* Was file changed after binary was built? Then BASE's numbers may be stale. */
static int newer_than(const char *file, const char *binary)
{
	struct stat s, b;

	if (!file || !binary || stat(file, &s) != 0 || stat(binary, &b) != 0)
		return 0;
	return s.st_mtim.tv_sec > b.st_mtim.tv_sec ||
	       (s.st_mtim.tv_sec == b.st_mtim.tv_sec && s.st_mtim.tv_nsec > b.st_mtim.tv_nsec);
}

typedef struct lp_diff_build_ctx {
	lp_diff *d;
	lp_files files;
	lp_sources *new_src, *old_src;
	FILE *diag;
	size_t last;              /* the file map found last, + 1: a function's lines share a file */
} lp_diff_build_ctx;

static lp_filemap *filemap_of(lp_diff_build_ctx *b, const char *base, const char *binary)
{
	lp_files *fs = &b->files;
	lp_filemap *m;
	const char **ol = NULL, **nl = NULL;
	int no = 0, nn = 0, rc;

	/* A run's lines share its interned paths: by pointer first, then by text. */
	if (b->last && fs->f[b->last - 1].base == base)
		return &fs->f[b->last - 1];
	for (size_t i = 0; i < fs->n; i++)
		if (fs->f[i].base == base)
			return &fs->f[(b->last = i + 1) - 1];
	for (size_t i = 0; i < fs->n; i++)
		if (strcmp(fs->f[i].base, base) == 0)
			return &fs->f[(b->last = i + 1) - 1];
	if (LP_GROW(fs->f, fs->n, fs->cap))
		return NULL;
	m = &fs->f[fs->n++];
	b->last = fs->n;
	memset(m, 0, sizeof(*m));
	m->base = base;
	m->new = match_file(fs, base);
	/* With BASE's sources given, the file on disk at the same path is NEW's version. */
	if (!m->new && b->old_src)
		m->new = base;
	if (!m->new)
		return m;
	if (strcmp(m->new, base) != 0)
		b->d->files_renamed++;
	/* NEW's text is on disk, or this is no file of the user's (a libc header): by number. */
	nl = file_lines(b->new_src, m->new, &nn);
	if (!nl)
		return m;
	/* BASE's text: from --base-source, or its own path when NEW's tree is elsewhere. */
	if (b->old_src)
		ol = file_lines(b->old_src, base, &no);
	else if (strcmp(m->new, base) != 0)
		ol = file_lines(b->new_src, base, &no);
	if (ol) {
		rc = lp_linemap_build(&m->lines, ol, no, nl, nn, LP_LINEMAP_MAXD);
		if (rc < 0) {
			free(ol);
			free(nl);
			return NULL;
		}
		if (rc == 0) {
			m->followed = 1;
			b->d->files_followed++;
		} else if (b->diag) {
			fprintf(b->diag, "lineprof: note: %s: BASE's and NEW's versions differ in more "
				"than %d lines: its lines are matched by number\n", m->new,
				LP_LINEMAP_MAXD);
		}
	} else if (!b->old_src && strcmp(m->new, base) == 0 && newer_than(base, binary)) {
		b->d->files_unfollowed++;
		if (b->diag)
			fprintf(b->diag, "lineprof: note: %s changed after BASE's %s was built: its "
				"lines are matched by number, so a line that moved is not followed "
				"(give BASE's version of the sources with --base-source DIR)\n",
				lp_render_relpath(base), binary);
	} else if (b->old_src && b->diag) {
		fprintf(b->diag, "lineprof: note: %s not found under --base-source: its lines are "
			"matched by number\n", base);
	}
	free(ol);
	free(nl);
	return m;
}

/* Adds run r's lines; BASE's go to NEW's numbering. */
static int add_lines(lp_diff_build_ctx *b, lp_rows *t, int r)
{
	lp_diff_run *run = &b->d->runs[r];
	const lp_report *rep = &run->rep;
	int is_new = r >= b->d->nbase;
	size_t nr = (size_t)t->nruns;

	for (size_t i = 0; i < rep->nlines; i++) {
		const lp_line_stat *ls = &rep->lines[i];
		const char *file = ls->file;
		int line = ls->line, gone = 0;
		lp_diff_row *row;
		size_t idx;

		if (!ls->samples)
			continue;
		if (!is_new && file) {
			const char *bin = ls->module < run->rep.prof->nmodules
					  ? run->rep.prof->modules[ls->module].path : NULL;
			lp_filemap *m = filemap_of(b, file, bin);

			if (!m)
				return -1;
			if (m->new && m->followed) {
				line = lp_linemap_get(&m->lines, ls->line);
				gone = line == 0;
				if (gone)
					line = ls->line;
				else
					file = m->new;
			} else if (m->new) {
				file = m->new;
			}
		}
		/* A line of BASE with no counterpart in NEW's source stays apart, under BASE's path. */
		row = rows_get(t, file, gone ? -line : line, ls->function, &idx);
		if (!row)
			return -1;
		if (is_new) {
			row->in_new = 1;
		} else {
			row->in_base = 1;
			row->base_line = ls->line;
			if (file != ls->file && ls->file && strcmp(file, ls->file) != 0)
				row->base_file = ls->file;
		}
		t->counts[idx * nr + (size_t)r] += ls->samples;
		t->value0[idx * nr + (size_t)r] += ls->value[0];
	}
	return 0;
}

static int add_funcs(lp_diff *d, lp_rows *t, int r)
{
	lp_diff_run *run = &d->runs[r];
	size_t nr = (size_t)t->nruns;

	for (size_t i = 0; i < run->rep.nfuncs; i++) {
		const lp_func_stat *fs = &run->rep.funcs[i];
		lp_diff_row *row;
		size_t idx;

		if (!fs->self_samples)
			continue;
		row = rows_get(t, NULL, 0, fs->name, &idx);
		if (!row)
			return -1;
		/* The declaration as NEW has it; BASE's where NEW has none. */
		if (r >= d->nbase || !row->in_new) {
			if (fs->file)
				row->base_file = fs->file;
			row->base_line = fs->decl_line;
		}
		if (r >= d->nbase)
			row->in_new = 1;
		else
			row->in_base = 1;
		t->counts[idx * nr + (size_t)r] += fs->self_samples;
		t->value0[idx * nr + (size_t)r] += fs->self_value[0];
	}
	return 0;
}

/* Times, shares and the test, per row; then the rows by effect. */
static int finish(lp_diff *d, lp_rows *t, lp_diffstat_info *info)
{
	int nr = t->nruns;
	double *expo = malloc((size_t)nr * sizeof(*expo));
	uint64_t *tot = malloc((size_t)nr * sizeof(*tot));
	lp_diffstat_row *st = malloc((t->n + 1) * sizeof(*st));
	uint64_t side_v0[2] = { 0, 0 }, side_n[2] = { 0, 0 };
	int rc = 0;

	if (!expo || !tot || !st) {
		rc = -1;
		goto out;
	}
	for (int r = 0; r < nr; r++) {
		expo[r] = d->runs[r].exposure;
		tot[r] = d->runs[r].samples;
		side_v0[r >= d->nbase] += d->runs[r].value0;
		side_n[r >= d->nbase] += d->runs[r].samples;
	}
	if (lp_diffstat_test(t->counts, t->n, expo, tot, d->nbase, d->nnew, d->fdr, st, info)) {
		rc = -1;
		goto out;
	}
	for (size_t i = 0; i < t->n; i++) {
		lp_diff_row *row = &t->row[i];
		uint64_t v0[2] = { 0, 0 }, n[2] = { 0, 0 };
		double s[2] = { 0, 0 };

		for (int r = 0; r < nr; r++) {
			const lp_diff_run *run = &d->runs[r];
			size_t k = i * (size_t)nr + (size_t)r;
			uint64_t c = t->counts[k];

			v0[r >= d->nbase] += t->value0[k];
			n[r >= d->nbase] += c;
			s[r >= d->nbase] += lp_report_seconds(&run->rep, t->value0[k]) / run->work;
		}
		row->st = st[i];
		row->base_s = s[0] / d->nbase;
		row->new_s = s[1] / d->nnew;
		for (int side = 0; side < 2; side++) {
			/* By the event's values where there are any, else by samples: the tables' % Time. */
			double pct = side_v0[side] ? 100.0 * (double)v0[side] / (double)side_v0[side]
				     : side_n[side] ? 100.0 * (double)n[side] / (double)side_n[side] : 0;

			if (side)
				row->new_pct = pct;
			else
				row->base_pct = pct;
		}
		row->base_val = side_v0[0] && side_v0[1] ? (double)v0[0] : (double)n[0];
		row->new_val = side_v0[0] && side_v0[1] ? (double)v0[1] : (double)n[1];
	}
out:
	free(expo);
	free(tot);
	free(st);
	return rc;
}

static int cmp_effect(const void *pa, const void *pb)
{
	const lp_diff_row *a = pa, *b = pb;
	double ea = fabs(a->new_s - a->base_s), eb = fabs(b->new_s - b->base_s);
	int c;

	if (ea != eb)
		return ea > eb ? -1 : 1;
	if (a->st.significant != b->st.significant)
		return a->st.significant ? -1 : 1;
	if ((c = strcmp(a->file ? a->file : "", b->file ? b->file : "")))
		return c;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	return strcmp(a->function ? a->function : "", b->function ? b->function : "");
}

const lp_diff_row *lp_diff_func(const lp_diff *d, const char *name)
{
	for (size_t i = 0; i < d->nfuncs; i++)
		if (strcmp(d->funcs[i].function, name) == 0)
			return &d->funcs[i];
	return NULL;
}

int lp_diff_build(lp_diff *d, lp_diff_run *runs, int nbase, int nnew, double fdr, int scaled,
		  const char *base_source, const char *const *source_dirs, int nsource_dirs,
		  FILE *diag, lp_error *err)
{
	lp_diff_build_ctx b = { .d = d, .diag = diag };
	lp_rows lines = { .nruns = nbase + nnew }, funcs = { .nruns = nbase + nnew };
	int rc = 0;

	memset(d, 0, sizeof(*d));
	d->runs = runs;
	d->nbase = nbase;
	d->nnew = nnew;
	d->fdr = fdr;
	d->scaled = scaled;
	b.new_src = lp_sources_new(source_dirs, nsource_dirs, NULL);
	if (base_source)
		b.old_src = lp_sources_new_under(&base_source, 1);
	if (!b.new_src || (base_source && !b.old_src))
		rc = -1;
	for (int r = nbase; r < nbase + nnew && rc == 0; r++)
		for (size_t i = 0; i < runs[r].rep.nlines && rc == 0; i++)
			if (runs[r].rep.lines[i].file && runs[r].rep.lines[i].samples)
				rc = add_newfile(&b.files, runs[r].rep.lines[i].file);
	if (rc == 0)
		unique_newfiles(&b.files);
	/* NEW first: a row's file and line are NEW's wherever NEW has the line. */
	for (int r = nbase; r < nbase + nnew && rc == 0; r++)
		rc = add_lines(&b, &lines, r);
	for (int r = 0; r < nbase && rc == 0; r++)
		rc = add_lines(&b, &lines, r);
	for (int r = nbase; r < nbase + nnew && rc == 0; r++)
		rc = add_funcs(d, &funcs, r);
	for (int r = 0; r < nbase && rc == 0; r++)
		rc = add_funcs(d, &funcs, r);
	if (rc == 0)
		rc = finish(d, &lines, &d->line_info);
	if (rc == 0)
		rc = finish(d, &funcs, &d->func_info);
	if (rc == 0) {
		/* Lines: their share of their function (whose key is (NULL, 0, name)). */
		for (size_t i = 0; i < lines.n; i++) {
			lp_diff_row *l = &lines.row[i];
			size_t slot = 0;
			long f = funcs.map.cap ? rows_find(&funcs, NULL, 0, l->function, &slot) : -1;
			double fb = f >= 0 ? funcs.row[f].base_val : 0, fn = f >= 0 ? funcs.row[f].new_val : 0;

			l->base_fpct = fb > 0 ? 100.0 * l->base_val / fb : 0;
			l->new_fpct = fn > 0 ? 100.0 * l->new_val / fn : 0;
			if (l->line < 0) {
				/* BASE lines without a counterpart were kept apart by their sign. */
				l->line = -l->line;
				l->gone = 1;
			} else if (l->in_base && l->base_line != l->line) {
				d->moved++;
			}
		}
		/* Functions: their declaration (NEW's, else BASE's) in file and line. */
		for (size_t i = 0; i < funcs.n; i++) {
			funcs.row[i].file = funcs.row[i].base_file;
			funcs.row[i].line = funcs.row[i].base_line;
			funcs.row[i].base_file = NULL;
			funcs.row[i].base_line = 0;
		}
		if (lines.n)
			qsort(lines.row, lines.n, sizeof(*lines.row), cmp_effect);
		if (funcs.n)
			qsort(funcs.row, funcs.n, sizeof(*funcs.row), cmp_effect);
		d->lines = lines.row;
		d->nlines = lines.n;
		d->funcs = funcs.row;
		d->nfuncs = funcs.n;
		lines.row = funcs.row = NULL;
	}
	rows_free(&lines);
	rows_free(&funcs);
	free(lines.row);
	free(funcs.row);
	for (size_t i = 0; i < b.files.n; i++)
		lp_linemap_free(&b.files.f[i].lines);
	free(b.files.f);
	free(b.files.newf);
	lp_sources_free(b.new_src);
	lp_sources_free(b.old_src);
	if (rc != 0)
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory while comparing profiles");
	return LP_OK;
}

void lp_diff_free(lp_diff *d)
{
	free(d->lines);
	free(d->funcs);
	memset(d, 0, sizeof(*d));
}
