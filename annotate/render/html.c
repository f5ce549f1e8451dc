/*
 * --html FILE: the whole report as one page that opens from disk with no
 * network: its style and script are inline (report.css, report.js, built in
 * by embed.py) and a Content-Security-Policy allows exactly those two, by
 * hash, and nothing else: no fetch, no font, no image from anywhere.
 *
 * The page is drawn by its script from JSON blocks, so that large profiles
 * stay light: the DOM of a source listing is built when it is opened.
 *   #lp-sources   the source files the report names: path and lines (or
 *                 null when not found here);
 *   .lp-context   one block per context (see write_context): the run's
 *                 header (and its groups: threads, processes, ranks), the
 *                 columns, the functions, the hottest lines, the per-line
 *                 numbers of each file, the -f tables (with the statistics
 *                 across groups and --by's columns, as on the terminal), the
 *                 flame graph's tree and the call graph's SVG. The page shows
 *                 one block and offers a selector when there are several.
 * Every number is the terminal's text: cells come from the line views'
 * column list (lp_cols), so the page cannot disagree with the tables.
 *
 * Escaping: JSON strings go inside <script> elements, so besides JSON's own
 * escapes '<', '>' and '&' are written as \u003c, \u003e, \u0026 (no
 * "</script>" or "<!--" can appear); bytes that are not UTF-8 become U+FFFD.
 * HTML text (the title) is escaped for elements and attributes alike.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "render_assets.h"
#include "rows.h"

#ifndef LP_VERSION
#define LP_VERSION "unknown"
#endif

#define LP_HCELL 48
#define LP_HOT_LINES 50

/* Interned pointers (paths, function names) -> small ids. */
typedef struct lp_ptrmap {
	const void **keys;
	uint32_t *vals;
	size_t cap, n;
} lp_ptrmap;

static size_t ptr_slot(const lp_ptrmap *m, const void *k)
{
	uint64_t h = (uint64_t)(uintptr_t)k * 0x9e3779b97f4a7c15ULL;

	return (size_t)(h ^ (h >> 32)) & (m->cap - 1);
}

static long ptrmap_get(const lp_ptrmap *m, const void *k)
{
	if (!m->cap)
		return -1;
	for (size_t s = ptr_slot(m, k); m->keys[s]; s = (s + 1) & (m->cap - 1))
		if (m->keys[s] == k)
			return m->vals[s];
	return -1;
}

static int ptrmap_put(lp_ptrmap *m, const void *k, uint32_t v)
{
	size_t s;

	if ((m->n + 1) * 2 > m->cap) {
		lp_ptrmap g = { NULL, NULL, m->cap ? m->cap * 2 : 256, 0 };

		g.keys = calloc(g.cap, sizeof(*g.keys));
		g.vals = calloc(g.cap, sizeof(*g.vals));
		if (!g.keys || !g.vals) {
			free(g.keys);
			free(g.vals);
			return -1;
		}
		for (size_t i = 0; i < m->cap; i++)
			if (m->keys[i])
				ptrmap_put(&g, m->keys[i], m->vals[i]);
		free(m->keys);
		free(m->vals);
		*m = g;
	}
	for (s = ptr_slot(m, k); m->keys[s] && m->keys[s] != k; s = (s + 1) & (m->cap - 1))
		;
	if (!m->keys[s])
		m->n++;
	m->keys[s] = k;
	m->vals[s] = v;
	return 0;
}

static void ptrmap_free(lp_ptrmap *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* A source file the page names: its samples decide the order of the listings. */
typedef struct lp_hfile {
	const char *path;
	uint32_t module;
	uint64_t samples, value0, incl_samples;
	int with_text;          /* its lines go into #lp-sources */
	int has_rows;           /* it has lines with data: a listing */
} lp_hfile;

typedef struct lp_html {
	const lp_render_ctx *ctx;
	FILE *out;
	lp_hfile *files;
	size_t nfiles, capfiles;
	lp_ptrmap file_ids;     /* path -> index into files */
	lp_ptrmap func_ids;     /* function name -> index into rep->funcs */
	lp_cols cols;           /* the listing's columns (the program's shares) */
	int oom;
} lp_html;

/* ---- escaping ---- */

/* A JSON string that is safe inside an HTML <script> element. */
static void js(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	if (!s) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	while (*s) {
		int n = lp_utf8_len(s);

		if (*s == '"' || *s == '\\') {
			fputc('\\', out);
			fputc(*s, out);
		} else if (*s == '<' || *s == '>' || *s == '&' || *s < 0x20 || *s == 0x7f) {
			fprintf(out, "\\u%04x", *s);
		} else if (n == 0) {
			fputs("\\ufffd", out);
			n = 1;
		} else if (n == 3 && s[0] == 0xe2 && s[1] == 0x80 && (s[2] == 0xa8 || s[2] == 0xa9)) {
			fprintf(out, "\\u%04x", s[2] == 0xa8 ? 0x2028 : 0x2029); /* JS line breaks */
		} else {
			fwrite(s, 1, (size_t)n, out);
		}
		s += n;
	}
	fputc('"', out);
}

/* HTML text, good in an element and in a quoted attribute. */
static void ht(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");

	while (*s) {
		int n = lp_utf8_len(s);

		if (*s == '&')
			fputs("&amp;", out);
		else if (*s == '<')
			fputs("&lt;", out);
		else if (*s == '>')
			fputs("&gt;", out);
		else if (*s == '"')
			fputs("&quot;", out);
		else if (*s == '\'')
			fputs("&#39;", out);
		else if (n == 0 || (*s < 0x20 && *s != '\t' && *s != '\n') || *s == 0x7f)
			fputs("\xef\xbf\xbd", out), n = 1;
		else
			fwrite(s, 1, (size_t)n, out);
		s += n;
	}
}

static void jnum(FILE *out, double v)
{
	/* Shares and times as the page needs them: no exponent surprises, 6 digits. */
	fprintf(out, "%.6g", v == v ? v : 0.0);
}

/* ---- the files and functions the page names ---- */

static long file_id(lp_html *h, const char *path)
{
	long id;

	if (!path)
		return -1;
	id = ptrmap_get(&h->file_ids, path);
	if (id >= 0)
		return id;
	if (h->nfiles == h->capfiles) {
		size_t cap = h->capfiles ? h->capfiles * 2 : 64;
		void *f = realloc(h->files, cap * sizeof(*h->files));

		if (!f) {
			h->oom = 1;
			return -1;
		}
		h->files = f;
		h->capfiles = cap;
	}
	memset(&h->files[h->nfiles], 0, sizeof(h->files[0]));
	h->files[h->nfiles].path = path;
	h->files[h->nfiles].module = LP_MODULE_NONE;
	if (ptrmap_put(&h->file_ids, path, (uint32_t)h->nfiles)) {
		h->oom = 1;
		return -1;
	}
	return (long)h->nfiles++;
}

static int cmp_hfile(const void *pa, const void *pb)
{
	const lp_hfile *a = pa, *b = pb;

	if (a->samples != b->samples)
		return a->samples > b->samples ? -1 : 1;
	if (a->value0 != b->value0)
		return a->value0 > b->value0 ? -1 : 1;
	if (a->incl_samples != b->incl_samples)
		return a->incl_samples > b->incl_samples ? -1 : 1;
	return strcmp(a->path, b->path);
}

static int line_has_data(const lp_line_stat *ls)
{
	return ls->samples || ls->incl_samples || ls->has_hits;
}

/*
 * Files with data first, hottest first as the listing orders them, then the
 * files where functions are declared; the -f functions' files get text.
 */
static int collect_files(lp_html *h)
{
	const lp_report *rep = h->ctx->rep;
	const lp_view_opts *o = h->ctx->opts;

	for (size_t i = 0; i < rep->nlines; i++) {
		const lp_line_stat *ls = &rep->lines[i];
		long id;

		if (!ls->file || !line_has_data(ls) || (id = file_id(h, ls->file)) < 0)
			continue;
		h->files[id].module = ls->module;
		h->files[id].samples += ls->samples;
		h->files[id].value0 += ls->value[0];
		h->files[id].incl_samples += ls->incl_samples;
		h->files[id].has_rows = h->files[id].with_text = 1;
	}
	if (h->nfiles)
		qsort(h->files, h->nfiles, sizeof(*h->files), cmp_hfile);
	for (size_t i = 0; i < h->nfiles; i++)
		if (ptrmap_put(&h->file_ids, h->files[i].path, (uint32_t)i))
			h->oom = 1;
	for (size_t i = 0; i < rep->nfuncs; i++) {
		if (ptrmap_put(&h->func_ids, rep->funcs[i].name, (uint32_t)i))
			h->oom = 1;
		file_id(h, rep->funcs[i].file);
	}
	for (int i = 0; i < o->nfunctions; i++) {
		lp_fn_view v;
		long id;

		if (lp_fn_view_of(h->ctx, o->functions[i], &v) == 0 && (id = file_id(h, v.file)) >= 0)
			h->files[id].with_text = 1;
	}
	return h->oom ? -1 : 0;
}

static void write_sources(lp_html *h)
{
	FILE *out = h->out;
	lp_sources *src = h->ctx->src;
	const lp_profile *p = h->ctx->rep->prof;

	fputs("<script type=\"application/json\" id=\"lp-sources\">{\"files\": [", out);
	for (size_t i = 0; i < h->nfiles; i++) {
		const lp_hfile *f = &h->files[i];
		int n = f->with_text ? lp_sources_count(src, f->path) : 0;

		if (f->with_text)
			lp_sources_check_age(src, f->path, f->module < p->nmodules
					     ? p->modules[f->module].path : NULL);
		fputs(i ? ",\n" : "\n", out);
		fputs("{\"path\": ", out);
		js(out, f->path);
		fputs(", \"name\": ", out);
		js(out, lp_render_relpath(f->path));
		fputs(", \"lines\": ", out);
		if (n <= 0) {
			fputs("null}", out);
			continue;
		}
		fputc('[', out);
		for (int l = 1; l <= n; l++) {
			if (l > 1)
				fputc(',', out);
			js(out, lp_sources_line(src, f->path, l));
		}
		fputs("]}", out);
	}
	fputs("\n]}</script>\n", out);
}

/* ---- one context ---- */

static void write_cols(FILE *out, const lp_cols *cs)
{
	fputc('[', out);
	for (int i = 0; i < cs->n; i++) {
		fputs(i ? ", [" : "[", out);
		js(out, cs->col[i].key);
		fputs(", ", out);
		js(out, cs->col[i].head);
		fputs(", ", out);
		js(out, cs->col[i].desc);
		fputc(']', out);
	}
	fputc(']', out);
}

/* The cells of a row as strings, and, when nums, the numbers they show (for sorting). */
static void write_cells(FILE *out, const lp_cols *cs, const lp_cell_in *in, int nums)
{
	double num[LP_MAX_COLS];
	char buf[LP_HCELL];

	fputc('[', out);
	for (int i = 0; i < cs->n; i++) {
		lp_cols_cell(cs, i, in, buf, sizeof(buf), &num[i]);
		if (i)
			fputc(',', out);
		js(out, buf);
	}
	fputc(']', out);
	if (!nums)
		return;
	fputs(", [", out);
	for (int i = 0; i < cs->n; i++) {
		if (i)
			fputc(',', out);
		jnum(out, num[i]);
	}
	fputc(']', out);
}

static void kv(FILE *out, int *n, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* One [key, value] pair of the run's header. */
static void kv(FILE *out, int *n, const char *key, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fputs((*n)++ ? ",\n  [" : "\n  [", out);
	js(out, key);
	fputs(", ", out);
	js(out, buf);
	fputc(']', out);
}

/* Who ran (ranks, processes, threads), as the terminal's header says it: shown as it is. */
static void write_contexts_text(lp_html *h)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);

	if (!mem) {
		h->oom = 1;
		return;
	}
	lp_render_contexts_header(h->ctx, mem);
	fclose(mem);
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
		text[--len] = '\0';
	fputs(",\n\"contexts\": ", h->out);
	js(h->out, len ? text : NULL);
	free(text);
}

static void write_header(lp_html *h)
{
	const lp_profile *p = h->ctx->rep->prof;
	FILE *out = h->out;
	int n = 0, st = p->exit_status;
	time_t when = (time_t)p->start_time;
	struct tm tm;
	char iso[64];

	fputs(", \"header\": [", out);
	/* The command as one value: the page shows it whole, however long. */
	fputs("\n  [\"Command\", ", out);
	js(out, p->command ? p->command : "(not recorded)");
	fputc(']', out);
	n++;
	if (p->start_time && gmtime_r(&when, &tm) &&
	    strftime(iso, sizeof(iso), "%Y-%m-%d %H:%M:%S UTC", &tm))
		kv(out, &n, "Started", "%s", iso);
	if (st >= 0 && WIFEXITED(st))
		kv(out, &n, "Exit status", "%d", WEXITSTATUS(st));
	else if (st >= 0 && WIFSIGNALED(st))
		kv(out, &n, "Exit status", "killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
	if (p->nevents > 0) {
		const lp_event_info *e = &p->events[0];
		char rate[64] = "";

		if (e->freq)
			snprintf(rate, sizeof(rate), " at %" PRIu64 " Hz", e->freq);
		else if (e->period)
			snprintf(rate, sizeof(rate), " every %" PRIu64, e->period);
		if (strcmp(e->name, e->measured) != 0)
			kv(out, &n, "Sampled", "%s%s (asked for %s, not available here)", e->measured, rate,
			   e->name);
		else
			kv(out, &n, "Sampled", "%s%s", e->measured, rate);
		for (int i = 1; i < p->nevents; i++) {
			if (strcmp(p->events[i].name, p->events[i].measured) != 0)
				kv(out, &n, "Also counted", "%s (asked for %s)", p->events[i].measured,
				   p->events[i].name);
			else
				kv(out, &n, "Also counted", "%s", p->events[i].measured);
		}
	}
	kv(out, &n, "Samples", "%" PRIu64, p->samples);
	kv(out, &n, "CPU time", "%.3f s", (double)p->task_clock_ns * 1e-9);
	if (p->user_ns || p->sys_ns)
		kv(out, &n, "User, system", "%.3f s, %.3f s (the kernel's accounting)",
		   (double)p->user_ns * 1e-9, (double)p->sys_ns * 1e-9);
	kv(out, &n, "Wall time", "%.3f s", (double)p->wall_ns * 1e-9);
	if (p->kernel)
		kv(out, &n, "Kernel samples", "taken: time in the kernel is charged to the line that entered it");
	if (p->off_cpu)
		kv(out, &n, "Off-CPU time", "recorded%s", p->off_lost_ns ? " (some of it lost with dropped records)" : "");
	kv(out, &n, "Lost records", "%" PRIu64 "%s", p->lost,
	   p->lost ? " (the kernel's ring buffer was full: lower -F to keep them all)" : "");
	if (p->throttled)
		kv(out, &n, "Throttled", "%" PRIu64 " times", p->throttled);
	kv(out, &n, "Call stacks", "%s", p->callchain == 2 ? "--call-graph=dwarf"
	   : p->callchain ? "-g (frame pointers)" : "not recorded (record with -g for callers)");
	kv(out, &n, "Timer unit", "%g s (the Time columns)", h->ctx->opts->unit);
	kv(out, &n, "Report", "lineprof %s", LP_VERSION);
	fputs("\n]", out);
	write_contexts_text(h);
}

static void func_cell_in(const lp_html *h, const lp_func_stat *f, lp_cell_in *in)
{
	memset(in, 0, sizeof(*in));
	in->samples = f->self_samples;
	in->value = f->self_value;
	in->incl_samples = f->total_samples;
	in->incl_value0 = f->total_value0;
	in->den_samples = h->cols.t.samples;
	in->den_value0 = h->cols.t.value0;
	in->always_incl = 1;
}

static void write_funcs(lp_html *h)
{
	const lp_report *rep = h->ctx->rep;
	FILE *out = h->out;
	int n = 0;

	fputs(",\n\"funcs\": [", out);
	for (size_t i = 0; i < rep->nfuncs; i++) {
		const lp_func_stat *f = &rep->funcs[i];
		lp_cell_in in;

		if (!f->self_samples && !f->total_samples)
			continue;
		func_cell_in(h, f, &in);
		fputs(n++ ? ",\n [" : "\n [", out);
		fprintf(out, "%zu, ", i);
		js(out, f->name);
		fputs(", ", out);
		js(out, lp_render_module_name(rep, f->module));
		fprintf(out, ", %ld, %d, ", file_id(h, f->file), f->file ? f->decl_line : 0);
		write_cells(out, &h->cols, &in, 1);
		fputc(']', out);
	}
	fputs("\n]", out);
}

static void write_hot(lp_html *h)
{
	const lp_report *rep = h->ctx->rep;
	int top = h->ctx->opts->top > 0 ? h->ctx->opts->top : LP_HOT_LINES, n = 0;
	FILE *out = h->out;

	fputs(",\n\"hot\": [", out);
	for (size_t i = 0; i < rep->nlines && n < top; i++) {
		const lp_line_stat *ls = &rep->lines[i];
		lp_cell_in in;

		if (!ls->samples)
			break; /* hottest first: the rest have none */
		lp_cell_in_line(&in, &h->cols, ls, h->cols.t.samples, h->cols.t.value0);
		fputs(n++ ? ",\n [" : "\n [", out);
		fprintf(out, "%ld, %d, %ld, ", file_id(h, ls->file), ls->file ? ls->line : 0,
			ptrmap_get(&h->func_ids, ls->function));
		js(out, ls->function);
		fputs(", ", out);
		write_cells(out, &h->cols, &in, 0);
		fputc(']', out);
	}
	fputs("\n]", out);
}

/* The report's lines and call sites, by file then line. */
typedef struct lp_hline {
	long file;
	int line;
	size_t idx;     /* into rep->lines, or rep->calls */
} lp_hline;

static int cmp_hline(const void *pa, const void *pb)
{
	const lp_hline *a = pa, *b = pb;

	if (a->file != b->file)
		return a->file < b->file ? -1 : 1;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static lp_hline *sorted_lines(lp_html *h, int calls, size_t *n)
{
	const lp_report *rep = h->ctx->rep;
	size_t total = calls ? rep->ncalls : rep->nlines, k = 0;
	lp_hline *v = malloc((total + 1) * sizeof(*v));

	if (!v)
		return NULL;
	for (size_t i = 0; i < total; i++) {
		const char *file = calls ? rep->calls[i].file : rep->lines[i].file;
		int line = calls ? rep->calls[i].line : rep->lines[i].line;
		long id = ptrmap_get(&h->file_ids, file);

		if (id < 0 || (!calls && !line_has_data(&rep->lines[i])) ||
		    (calls && !rep->calls[i].samples))
			continue;
		v[k].file = id;
		v[k].line = line;
		v[k++].idx = i;
	}
	qsort(v, k, sizeof(*v), cmp_hline);
	*n = k;
	return v;
}

/* The calls made from one line (inlined or called code that ran), with their share. */
static void write_calls(lp_html *h, const lp_hline *cv, size_t ncv, size_t *ci, long file, int line)
{
	const lp_report *rep = h->ctx->rep;
	FILE *out = h->out;
	int n = 0;

	while (*ci < ncv && (cv[*ci].file < file || (cv[*ci].file == file && cv[*ci].line < line)))
		(*ci)++;
	for (; *ci < ncv && cv[*ci].file == file && cv[*ci].line == line; (*ci)++) {
		const lp_call *c = &rep->calls[cv[*ci].idx];

		fputs(n++ ? ", [" : ", [[", out);
		fprintf(out, "%u, \"%.1f\"]", c->callee,
			100.0 * lp_totals_share(&h->cols.t, c->value0, c->samples, h->cols.t.value0,
						h->cols.t.samples));
	}
	if (n)
		fputc(']', out);
}

static void write_files(lp_html *h)
{
	const lp_report *rep = h->ctx->rep;
	FILE *out = h->out;
	size_t nv = 0, ncv = 0, ci = 0;
	lp_hline *v = sorted_lines(h, 0, &nv), *cv = sorted_lines(h, 1, &ncv);
	uint64_t nolines = 0, nolines_v0 = 0;
	int nf = 0;

	if (!v || !cv) {
		h->oom = 1;
		free(v);
		free(cv);
		return;
	}
	fputs(",\n\"files\": [", out);
	for (size_t i = 0; i < nv;) {
		long file = v[i].file;
		const lp_hfile *f = &h->files[file];
		int nr = 0;

		fputs(nf++ ? ",\n [" : "\n [", out);
		fprintf(out, "%ld, %" PRIu64 ", \"%.1f\", \"%g\", [", file, f->samples,
			100.0 * lp_totals_share(&h->cols.t, f->value0, f->samples, h->cols.t.value0,
						h->cols.t.samples),
			lp_report_seconds(rep, f->value0, f->samples));
		while (i < nv && v[i].file == file) {
			uint64_t value[LP_MAX_EVENTS] = { 0 };
			lp_cell_in in = { .value = value };
			int line = v[i].line;

			/* One source line: the sums of the functions it belongs to, as the listing does. */
			for (; i < nv && v[i].file == file && v[i].line == line; i++) {
				const lp_line_stat *ls = &rep->lines[v[i].idx];

				in.samples += ls->samples;
				for (int e = 0; e < LP_MAX_EVENTS; e++)
					value[e] += ls->value[e];
				in.incl_samples += ls->incl_samples;
				in.incl_value0 += ls->incl_value0;
				in.hits += ls->hits;
				in.has_hits |= ls->has_hits;
			}
			in.den_samples = h->cols.t.samples;
			in.den_value0 = h->cols.t.value0;
			fprintf(out, "%s[%d, ", nr++ ? ",\n  " : "\n  ", line);
			write_cells(out, &h->cols, &in, 0);
			fputs(", ", out);
			jnum(out, lp_totals_share(&h->cols.t, value[0], in.samples, h->cols.t.value0,
						  h->cols.t.samples));
			write_calls(h, cv, ncv, &ci, file, line);
			fputc(']', out);
		}
		fputs("]]", out);
	}
	fputs("\n]", out);
	for (size_t i = 0; i < rep->nlines; i++) {
		if (!rep->lines[i].file) {
			nolines += rep->lines[i].samples;
			nolines_v0 += rep->lines[i].value[0];
		}
	}
	fprintf(out, ",\n\"nolines\": [%" PRIu64 ", \"%.1f\"]", nolines,
		100.0 * lp_totals_share(&h->cols.t, nolines_v0, nolines, h->cols.t.value0,
					h->cols.t.samples));
	free(v);
	free(cv);
}

/* The -f tables: the function's whole span, in the -f table's columns. */
static void write_named(lp_html *h)
{
	const lp_render_ctx *ctx = h->ctx;
	const lp_report *rep = ctx->rep;
	FILE *out = h->out;

	fputs(",\n\"named\": [", out);
	for (int i = 0; i < ctx->opts->nfunctions; i++) {
		const char *name = ctx->opts->functions[i];
		uint64_t fs_s = 0, fs_v = 0;
		lp_fn_view v;
		lp_cols cs;
		int nr = 0;

		fputs(i ? ",\n {\"name\": " : "\n {\"name\": ", out);
		js(out, name);
		if (lp_fn_view_of(ctx, name, &v) != 0) {
			fputs(", \"found\": false}", out);
			continue;
		}
		if (v.fs) {
			fs_s = v.fs->self_samples;
			fs_v = v.fs->self_value[0];
		}
		lp_cols_init(&cs, ctx, LP_SCOPE_FUNCTION,
			     (v.has_hits ? LP_COLS_HITS : 0) | (v.has_incl ? LP_COLS_INCL : 0));
		fprintf(out, ", \"found\": true, \"func\": %ld, \"file\": %ld, \"first\": %d, \"total\": \"%g\", "
			"\"cols\": ", v.fs ? (long)(v.fs - rep->funcs) : -1L, file_id(h, v.file), v.first,
			lp_report_seconds(rep, fs_v, fs_s));
		write_cols(out, &cs);
		fputs(", \"rows\": [", out);
		for (int line = v.first; v.file && line <= v.last; line++) {
			const lp_line_stat *ls = v.fn ? lp_report_line(rep, v.file, line, v.fn) : NULL;
			lp_cell_in in;

			if (!ls)
				continue;
			lp_cell_in_line(&in, &cs, ls, fs_s, fs_v);
			fprintf(out, "%s[%ld, %d, ", nr++ ? ",\n  " : "\n  ", file_id(h, v.file), line);
			write_cells(out, &cs, &in, 0);
			fputs(", ", out);
			jnum(out, lp_totals_share(&h->cols.t, ls->value[0], ls->samples, h->cols.t.value0,
						  h->cols.t.samples));
			fputc(']', out);
		}
		/* Its lines in other files (inlined headers, macros) or past the span. */
		for (size_t k = 0; v.fn && k < rep->nlines; k++) {
			const lp_line_stat *ls = &rep->lines[k];
			lp_cell_in in;

			if (ls->function != v.fn || !line_has_data(ls) ||
			    (ls->file == v.file && ls->line >= v.first && ls->line <= v.last))
				continue;
			lp_cell_in_line(&in, &cs, ls, fs_s, fs_v);
			fprintf(out, "%s[%ld, %d, ", nr++ ? ",\n  " : "\n  ", file_id(h, ls->file), ls->line);
			write_cells(out, &cs, &in, 0);
			fputs(", ", out);
			jnum(out, lp_totals_share(&h->cols.t, ls->value[0], ls->samples, h->cols.t.value0,
						  h->cols.t.samples));
			fputc(']', out);
		}
		fprintf(out, "], \"last\": %d}", v.last);
	}
	fputs("\n]", out);
}

/*
 * The flame graph's tree in preorder: per node its name (an index into
 * names), samples, depth and 1 when inlined. Names are the functions'.
 */
static int write_flame(lp_html *h, lp_error *err)
{
	const lp_report *rep = h->ctx->rep;
	FILE *out = h->out;
	lp_ptrmap names = { 0 };
	uint32_t *stack = NULL, nnames = 0;
	size_t sp = 0;
	lp_flame fl;
	int rc = lp_flame_build(rep, &fl, err);

	if (rc != LP_OK)
		return rc;
	stack = malloc(((size_t)fl.depth + 2) * sizeof(*stack));
	if (!stack) {
		lp_flame_free(&fl);
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	}
	fprintf(out, ",\n\"flame\": {\"stacks\": %s, \"names\": [", fl.from_stacks ? "true" : "false");
	for (size_t i = 0; i < fl.n; i++) {
		if (ptrmap_get(&names, fl.nodes[i].name) >= 0)
			continue;
		if (ptrmap_put(&names, fl.nodes[i].name, nnames))
			h->oom = 1;
		if (nnames++)
			fputc(',', out);
		js(out, fl.nodes[i].name);
	}
	fputs("],\n \"nodes\": [", out);
	/* Preorder: a node, then its children in name order. */
	stack[sp++] = 0;
	for (size_t k = 0; sp > 0; k++) {
		uint32_t i = stack[--sp], c, nkids = 0;
		const lp_flame_node *nd = &fl.nodes[i];

		fprintf(out, "%s%ld,%" PRIu64 ",%u,%d", k ? "," : "", ptrmap_get(&names, nd->name),
			nd->samples, nd->depth, nd->inlined);
		if (k % 16 == 15)
			fputc('\n', out);
		/* Push the children last first, so that the first pops first. */
		for (c = nd->first; c != UINT32_MAX; c = fl.nodes[c].next)
			nkids++;
		if (sp + nkids > fl.depth + 2) {
			uint32_t *ns = realloc(stack, (sp + nkids + 1) * sizeof(*ns));

			if (!ns) {
				h->oom = 1;
				break;
			}
			stack = ns;
		}
		sp += nkids;
		nkids = 0;
		for (c = nd->first; c != UINT32_MAX; c = fl.nodes[c].next)
			stack[sp - 1 - nkids++] = c;
	}
	fputs("]}", out);
	ptrmap_free(&names);
	free(stack);
	lp_flame_free(&fl);
	return h->oom ? lp_error_set(err, LP_EFAIL, "lineprof: out of memory") : LP_OK;
}

static int write_graph(lp_html *h, lp_error *err)
{
	char note[256], *svg = NULL, *start;
	int rc = lp_render_dot_svg(h->ctx, &svg, note, sizeof(note), err);

	if (rc != LP_OK)
		return rc;
	fputs(",\n\"graph\": ", h->out);
	/* From the <svg> element on: no XML prolog or doctype inside HTML. */
	start = svg ? strstr(svg, "<svg") : NULL;
	js(h->out, start);
	fputs(",\n\"graph_note\": ", h->out);
	js(h->out, note[0] ? note : NULL);
	free(svg);
	return LP_OK;
}

/*
 * One context's block: the page draws one at a time. This is the hook for
 * per-thread and per-rank views: write one block per context, each from the
 * report of that context's samples, with a label such as "rank 3" or
 * "tid 4242 (worker)", and the page offers them in a selector. Sources are
 * shared by every block (#lp-sources).
 */
static int write_context(lp_html *h, const char *label, lp_error *err)
{
	FILE *out = h->out;
	int rc;

	fputs("<script type=\"application/json\" class=\"lp-context\">{\"label\": ", out);
	js(out, label);
	write_header(h);
	fputs(",\n\"cols\": ", out);
	write_cols(out, &h->cols);
	write_named(h);
	write_funcs(h);
	write_hot(h);
	write_files(h);
	rc = write_flame(h, err);
	if (rc == LP_OK)
		rc = write_graph(h, err);
	fputs("}</script>\n", out);
	if (rc == LP_OK && h->oom)
		rc = lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	return rc;
}

/* Incl. in the listing's columns: some line has code running inside it (a call, inlined code). */
static unsigned listing_with(const lp_render_ctx *ctx, const lp_totals *t)
{
	const lp_report *rep = ctx->rep;
	unsigned with = rep->prof->nhits > 0 ? LP_COLS_HITS : 0;

	for (size_t i = 0; i < rep->nlines && !(with & LP_COLS_INCL); i++) {
		const lp_line_stat *ls = &rep->lines[i];

		if (t->value0 ? ls->incl_value0 > ls->value[0] : ls->incl_samples > ls->samples)
			with |= LP_COLS_INCL;
	}
	/* The function table's Incl. is every function's total: always there. */
	return with | (rep->nfuncs ? LP_COLS_INCL : 0);
}

int lp_render_html(const lp_render_ctx *ctx, FILE *out, lp_error *err)
{
	const lp_profile *p = ctx->rep->prof;
	lp_html h = { .ctx = ctx, .out = out };
	lp_totals t;
	int rc = LP_OK;

	lp_totals_of(ctx->rep, &t);
	lp_cols_init(&h.cols, ctx, LP_SCOPE_PROGRAM, listing_with(ctx, &t));
	if (collect_files(&h) != 0) {
		rc = lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
		goto out;
	}
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n", out);
	/* Nothing but this page's own style and script, by hash: no network, no injected code. */
	fprintf(out, "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		"style-src 'sha256-%s'; script-src 'sha256-%s'; img-src data:; base-uri 'none'; "
		"form-action 'none'\">\n", lp_asset_report_css_sha256, lp_asset_report_js_sha256);
	fputs("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n", out);
	fprintf(out, "<meta name=\"generator\" content=\"lineprof %s\">\n<title>lineprof: ", LP_VERSION);
	ht(out, p->command ? p->command : "profile");
	fputs("</title>\n<style>", out);
	fputs(lp_asset_report_css, out);
	fputs("</style>\n</head>\n<body>\n", out);
	fputs("<header class=\"top\"><h1>lineprof</h1><nav id=\"nav\"></nav>"
	      "<span id=\"ctx-pick\"></span></header>\n"
	      "<main id=\"report\"><noscript><p>This report is drawn by its own inline script: "
	      "allow JavaScript for this file, or read the same numbers with lineprof annotate "
	      "(--listing, --functions, --csv).</p></noscript></main>\n", out);
	write_sources(&h);
	rc = write_context(&h, "all threads and processes", err);
	if (rc != LP_OK)
		goto out;
	fputs("<script>", out);
	fputs(lp_asset_report_js, out);
	fputs("</script>\n</body>\n</html>\n", out);
	if (ferror(out))
		rc = lp_error_set(err, LP_EFAIL, "lineprof: cannot write the HTML report");
out:
	free(h.files);
	ptrmap_free(&h.file_ids);
	ptrmap_free(&h.func_ids);
	return rc;
}
