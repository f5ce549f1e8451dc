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
 *   .lp-context   the whole profile (see write_block): the run's header
 *                 (and its groups: threads, processes, ranks), the columns,
 *                 the functions (with the statistics across groups), the
 *                 hottest lines and loops, the per-line numbers of each file
 *                 (with the loop notes of header lines), the -f tables (with
 *                 --by's columns, as on the terminal), the flame graph's tree
 *                 and the call graph's SVG; and the groups the page offers
 *                 in its selectors;
 *   .lp-group     one block per rank, process or thread (when the profile
 *                 has two or more at that level): the same sections from that
 *                 group's own report (groups.h), its measured counts, never
 *                 the whole's scaled by a share. Functions and names are the
 *                 whole block's, by index. A group's JSON is deflated (zlib)
 *                 and written in base64: 64 ranks of 50,000 lines are 50 MiB
 *                 of JSON that the browser would read before showing
 *                 anything, and a fifth of that so. The page inflates a
 *                 group's block (DecompressionStream) when it is chosen.
 * Every number is the terminal's text: cells come from the line views'
 * column list (lp_cols), so the page cannot disagree with the tables. A cell
 * whose text is a plain decimal with its column's decimals ("dec") is
 * written as a bare JSON number (30000.0), which the page prints back with
 * toFixed(dec), the same text; any other cell is a string, an empty one
 * null.
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
#include <zlib.h>

#include "codeview.h"
#include "groups.h"
#include "render_assets.h"
#include "rows.h"

#ifndef LP_VERSION
#define LP_VERSION "unknown"
#endif

#define LP_HCELL 48
#define LP_HOT_LINES 50
/* The groups of one level the page offers at most (the busiest): a block each. */
#define LP_HTML_GROUPS 256

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
	const lp_render_ctx *whole;  /* every sample: the files, functions and names the page knows */
	const lp_render_ctx *ctx;    /* the block being written: the whole, or a group's */
	FILE *out;
	lp_hfile *files;
	size_t nfiles, capfiles;
	lp_ptrmap file_ids;     /* path -> index into files */
	lp_ptrmap func_ids;     /* function (its desc) -> index into the whole report's funcs */
	lp_ptrmap func_names;   /* a function's name -> the same (loops know functions by name) */
	lp_cols cols;           /* the block's listing columns (shares of its own total) */
	lp_cols fcols;          /* the function table's: those, and the statistics across groups */
	const lp_cv_sloop *loops; /* the block's source loops, hottest first (codeview.h) */
	size_t nloops;
	const char *loops_arch; /* a machine whose code lineprof cannot read */
	uint64_t *headers;      /* their header lines: (file id << 32 | line), sorted */
	size_t nheaders;
	int group;              /* a group's block: functions by index, no call graph */
	lp_totals whole_t;      /* the whole report's totals */
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
	if (id >= 0 || h->group)  /* a group's files are the whole's: #lp-sources is written */
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

/*
 * The whole report's index of a function of the block's report: -1 if
 * none. Descs are the symbolizer's, which every group's report shares;
 * outlined code counts in the function it was outlined from.
 */
static long whole_func(const lp_html *h, const lp_func_desc *fn)
{
	return fn ? ptrmap_get(&h->func_ids, fn->owner ? fn->owner : fn) : -1;
}

/* The same for a loop's function, which the code views know by name. */
static long whole_func_named(const lp_html *h, const char *name)
{
	return name ? ptrmap_get(&h->func_names, name) : -1;
}

/* As the listing's: samples, waits or hits of its own, or code that ran or waited inside it. */
/*
 * Files with data first, hottest first as the listing orders them, then the
 * files where functions are declared; the -f functions' files get text.
 */
static int collect_files(lp_html *h)
{
	const lp_report *rep = h->whole->rep;

	for (size_t i = 0; i < rep->nlines; i++) {
		const lp_line_stat *ls = &rep->lines[i];
		long id;

		if (!ls->file || !lp_line_listed(ls) || (id = file_id(h, ls->file)) < 0)
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
		if (ptrmap_put(&h->func_ids, rep->funcs[i].fn, (uint32_t)i) ||
		    (ptrmap_get(&h->func_names, rep->funcs[i].name) < 0 &&
		     ptrmap_put(&h->func_names, rep->funcs[i].name, (uint32_t)i)))
			h->oom = 1;
		file_id(h, rep->funcs[i].file);
	}
	/* Outlined code's name (a loop in an OpenMP region) goes to the function it was outlined from. */
	for (size_t i = 0; i < rep->nlines; i++) {
		const lp_func_desc *fn = rep->lines[i].fn;
		long k = whole_func(h, fn);

		if (k >= 0 && ptrmap_get(&h->func_names, fn->name) < 0 &&
		    ptrmap_put(&h->func_names, fn->name, (uint32_t)k))
			h->oom = 1;
	}
	for (size_t i = 0; i < rep->ntables; i++) {
		lp_fn_view v;
		long id;

		if (lp_fn_view_of(h->whole, &rep->tables[i], &v) == 0 && (id = file_id(h, v.file)) >= 0)
			h->files[id].with_text = 1;
		lp_fn_view_free(&v);
	}
	return h->oom ? -1 : 0;
}

static void write_sources(lp_html *h)
{
	FILE *out = h->out;
	lp_sources *src = h->whole->src;
	const lp_profile *p = h->whole->rep->prof;

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

/*
 * The decimals column i prints its numbers with, as a hint for the compact
 * cells (a cell is checked before it is written bare); -1: cells as strings.
 */
static int col_dec(const lp_cols *cs, int i)
{
	const lp_col *c = &cs->col[i];
	const char *f;

	switch (c->kind) {
	case LP_COL_HITS: case LP_COL_SAMPLES: case LP_COL_EVENT: case LP_COL_MAXAT:
		return 0;
	case LP_COL_TIME: case LP_COL_PERHIT: case LP_COL_PCT: case LP_COL_CI: case LP_COL_INCL:
	case LP_COL_MEAN: case LP_COL_MIN: case LP_COL_MAX: case LP_COL_GROUP:
	case LP_COL_SYS: case LP_COL_OFF: case LP_COL_WALL: case LP_COL_IWALL:
		return 1;
	case LP_COL_IMBALANCE:
		return 2;
	case LP_COL_METRIC:
		f = strstr(cs->mc.m[c->arg]->format, "%.");
		return f && f[2] >= '0' && f[2] <= '9' && f[3] == 'f' ? f[2] - '0' : -1;
	}
	return -1;
}

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
		fprintf(out, ", %d]", col_dec(cs, i));
	}
	fputc(']', out);
}

/*
 * The text is a JSON number that toFixed(dec) gives back: digits, no sign,
 * no leading zero, exactly dec of them after a point, 15 at most (a double
 * holds them exactly).
 */
static int bare(const char *t, int dec)
{
	int digits = 0, after = -1;

	if (dec < 0 || (t[0] == '0' && t[1] >= '0' && t[1] <= '9'))
		return 0;
	for (; *t; t++) {
		if (*t >= '0' && *t <= '9') {
			digits++;
			after += after >= 0;
		} else if (*t == '.' && after < 0 && digits) {
			after = 0;
		} else {
			return 0;
		}
	}
	return digits > 0 && digits <= 15 && (after < 0 ? dec == 0 : after == dec && dec > 0);
}

/*
 * The cells of a row, as the terminal prints them: bare numbers, strings,
 * null for an empty one; empty cells at the end are left out.
 */
static void write_cells(FILE *out, const lp_cols *cs, const lp_cell_in *in)
{
	char buf[LP_MAX_COLS][LP_HCELL];
	int n = cs->n;

	for (int i = 0; i < cs->n; i++)
		lp_cols_cell(cs, i, in, buf[i], sizeof(buf[i]), NULL);
	while (n > 0 && !buf[n - 1][0])
		n--;
	fputc('[', out);
	for (int i = 0; i < n; i++) {
		if (i)
			fputc(',', out);
		if (!buf[i][0])
			fputs("null", out);
		else if (bare(buf[i], col_dec(cs, i)))
			fputs(buf[i], out);
		else
			js(out, buf[i]);
	}
	fputc(']', out);
}

/*
 * A group's columns: those it measured itself (its Sys and Off-CPU too:
 * per-context entries keep them). Hits, the counts of events after the
 * first and the metrics of them are counted for the whole run only, and
 * the statistics across groups and --by's columns are the whole's: none of
 * them is a group's number.
 */
static void cols_of_group(lp_cols *cs)
{
	int n = 0;

	for (int i = 0; i < cs->n; i++) {
		switch (cs->col[i].kind) {
		case LP_COL_SAMPLES: case LP_COL_TIME: case LP_COL_PCT: case LP_COL_CI: case LP_COL_INCL:
		case LP_COL_SYS: case LP_COL_OFF: case LP_COL_WALL: case LP_COL_IWALL:
			cs->col[n++] = cs->col[i];
			break;
		default:
			break;
		}
	}
	cs->n = n;
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

/*
 * The report's own kernel-mode and off-CPU time, where measured: what its
 * Sys and Off-CPU columns add up to (lineprof(1), THE LINE TABLE).
 */
static void kv_waits(FILE *out, int *n, const lp_report *rep)
{
	lp_report_sums sums;
	lp_times tm;

	if (!rep->has_sys && !rep->has_off)
		return;
	lp_report_sums_of(rep, &sums);
	lp_report_times(rep, sums.value0, sums.sys_value,
			sums.off_ns[LP_OFF_BLOCKED] + sums.off_ns[LP_OFF_RUNNABLE], &tm);
	if (rep->has_sys)
		kv(out, n, "Sys", "%.3f s (sampled in kernel mode, charged to the lines that entered it)",
		   tm.sys_s);
	if (rep->has_off)
		kv(out, n, "Off-CPU", "%.3f s (%.3f s blocked, %.3f s waiting for a CPU)", tm.off_s,
		   (double)sums.off_ns[LP_OFF_BLOCKED] * 1e-9, (double)sums.off_ns[LP_OFF_RUNNABLE] * 1e-9);
	if (rep->has_wall)
		kv(out, n, "Wall (lines)", "%.3f s (Time + Sys + Off-CPU of every line)", tm.wall_s);
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
	if (h->ctx->rep->has_time) {
		/* What no line was charged with: said, as the terminal's header says it, not spread. */
		lp_report_sums s;

		lp_report_sums_of(h->ctx->rep, &s);
		kv(out, &n, "Not attributed", "%.3f s of the CPU time is on no line%s", s.unattributed_s,
		   h->ctx->rep->has_sys ? "" : ", all system time included: kernel mode was not sampled "
		   "(root, or kernel.perf_event_paranoid <= 1, records it)");
	}
	if (p->kernel)
		kv(out, &n, "Kernel samples", "taken: time in the kernel is charged to the line that entered it");
	if (p->off_cpu)
		kv(out, &n, "Off-CPU time", "recorded%s", p->off_lost_ns ? " (some of it lost with dropped records)" : "");
	kv_waits(out, &n, h->ctx->rep);
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

/*
 * The function table's columns: the listing's, and for the whole profile
 * the statistics across groups (ranks, or --by's level) that --functions
 * shows, in timer units as the -f table's are.
 */
static void func_cols(lp_html *h)
{
	lp_cols fs;

	h->fcols = h->cols;
	if (h->group || !lp_render_has_stats(h->ctx))
		return;
	lp_cols_init(&fs, h->ctx, LP_SCOPE_FUNCTION, 0);
	for (int i = 0; i < fs.n && h->fcols.n < LP_MAX_COLS; i++)
		if (fs.col[i].kind >= LP_COL_MEAN && fs.col[i].kind <= LP_COL_IMBALANCE)
			h->fcols.col[h->fcols.n++] = fs.col[i];
}

static void func_cell_in(const lp_html *h, const lp_func_stat *f, lp_cell_in *in)
{
	const lp_render_ctx *ctx = h->ctx;

	memset(in, 0, sizeof(*in));
	in->samples = f->self_samples;
	in->value = f->self_value;
	in->incl_samples = f->total_samples;
	in->incl_value0 = f->total_value0;
	in->sys_samples = f->self_w.sys_samples;
	in->sys_value = f->self_w.sys_value;
	in->off_count = f->self_w.off_count;
	in->off_ns = lp_waits_off_ns(&f->self_w);
	in->incl_sys_value = f->total_sys_value;
	in->incl_off_ns = f->total_off_ns;
	in->den_samples = h->cols.t.samples;
	in->den_value0 = h->cols.t.value0;
	in->always_incl = 1;
	if (!h->group && lp_render_has_stats(ctx))
		in->stat = &ctx->cv->func_stats[f - ctx->rep->funcs];
}

/* A function --functions lists: samples in either mode, or waits, of its own or below it. */
static int func_has_data(const lp_func_stat *f)
{
	return f->self_samples || f->total_samples || f->self_w.sys_samples || f->self_w.off_count ||
	       lp_waits_off_ns(&f->self_w) || f->total_sys_value || f->total_off_ns;
}

/* Functions with data: the whole's with their names; a group's by the whole's index. */
static void write_funcs(lp_html *h)
{
	const lp_report *rep = h->ctx->rep;
	FILE *out = h->out;
	int n = 0;

	fputs(",\n\"fcols\": ", out);
	write_cols(out, &h->fcols);
	fputs(",\n\"funcs\": [", out);
	for (size_t i = 0; i < rep->nfuncs; i++) {
		const lp_func_stat *f = &rep->funcs[i];
		long idx = whole_func(h, f->fn);
		lp_cell_in in;

		if (!func_has_data(f) || idx < 0)
			continue;
		func_cell_in(h, f, &in);
		fprintf(out, "%s%ld, ", n++ ? ",\n [" : "\n [", idx);
		if (!h->group) {
			js(out, lp_report_label(rep, f->fn));
			fputs(", ", out);
			js(out, lp_render_module_name(rep, f->module));
			fprintf(out, ", %ld, %d, ", file_id(h, f->file), f->file ? f->decl_line : 0);
		}
		write_cells(out, &h->fcols, &in);
		fputc(']', out);
	}
	fputs("\n]", out);
}

static void write_hot(lp_html *h)
{
	const lp_report *rep = h->ctx->rep;
	int top = h->ctx->opts->top > 0 ? h->ctx->opts->top : LP_HOT_LINES, n = 0;
	FILE *out = h->out;

	/* The report's order (aggregate.c): what the terminal's hottest lines say they are sorted by. */
	fputs(",\n\"hot_by\": ", out);
	js(out, !rep->has_time ? (rep->prof->kernel ? "samples, in kernel mode too" : "samples")
		: rep->has_sys && rep->has_off ? "Time + Sys + blocked Off-CPU"
		: rep->has_sys ? "Time + Sys" : rep->has_off ? "Time + blocked Off-CPU" : "Time");
	fputs(",\n\"hot\": [", out);
	for (size_t i = 0; i < rep->nlines && n < top; i++) {
		const lp_line_stat *ls = &rep->lines[i];
		lp_cell_in in;

		if (!lp_line_has_own(ls))
			break; /* hottest first: hits or callees' only from here on */
		lp_cell_in_line(&in, &h->cols, ls, h->cols.t.samples, h->cols.t.value0);
		fputs(n++ ? ",\n [" : "\n [", out);
		fprintf(out, "%ld, %d, %ld, ", file_id(h, ls->file), ls->file ? ls->line : 0,
			whole_func(h, ls->fn));
		js(out, lp_report_label(h->whole->rep, ls->fn));
		fputs(", ", out);
		write_cells(out, &h->cols, &in);
		fputc(']', out);
	}
	fputs("\n]", out);
}

/* Share of the block's total, in % as the terminal prints it. */
static double pct_of(const lp_html *h, uint64_t value0, uint64_t samples)
{
	return 100.0 * lp_totals_share(&h->cols.t, value0, samples, h->cols.t.value0, h->cols.t.samples);
}

/*
 * The hottest loops, as --loops prints them: per row the file, its lines
 * and header line, depth, the row of the loop around it (0: none shown),
 * the function (the whole's index, and its name), samples, total and self
 * as % of the block's total and in seconds.
 */
static void write_loops(lp_html *h)
{
	const lp_report *rep = h->ctx->rep;
	int top = h->ctx->opts->top > 0 ? h->ctx->opts->top : LP_HOT_LINES;
	size_t withs = 0, shown, k = 0;
	FILE *out = h->out;

	for (size_t i = 0; i < h->nloops; i++)
		withs += h->loops[i].total_samples > 0;
	shown = withs < (size_t)top ? withs : (size_t)top;
	fprintf(out, ",\n\"loops\": {\"with_samples\": %zu, \"unsupported\": ", withs);
	js(out, h->loops_arch);
	fputs(", \"from_stacks\": ", out);
	fputs(rep->inclusive_from_stacks ? "true" : "false", out);
	fputs(", \"rows\": [", out);
	for (size_t i = 0; i < h->nloops && k < shown; i++) {
		const lp_cv_sloop *l = &h->loops[i];

		if (!l->total_samples)
			continue;
		fprintf(out, "%s[%ld, %d, %d, %d, %d, %ld, %ld, ", k++ ? ",\n " : "\n ",
			l->file ? file_id(h, l->file) : -1L, l->first_line, l->last_line, l->header_line,
			l->depth, l->parent >= 0 && (size_t)l->parent < shown ? l->parent + 1 : 0L,
			whole_func_named(h, l->function));
		js(out, l->function ? l->function : "?");
		fprintf(out, ", %" PRIu64 ", \"%.1f\", \"%.1f\", \"%.6f\", \"%.6f\"]", l->total_samples,
			pct_of(h, l->total_value0, l->total_samples),
			pct_of(h, l->self_value[0], l->self_samples),
			lp_report_seconds(rep, l->total_value0),
			lp_report_seconds(rep, l->self_value[0]));
	}
	fputs("]}", out);
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

		if (id < 0 || (!calls && !lp_line_listed(&rep->lines[i])) ||
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
static int write_calls(lp_html *h, const lp_hline *cv, size_t ncv, size_t *ci, long file, int line)
{
	const lp_report *rep = h->ctx->rep;
	FILE *out = h->out;
	int n = 0;

	while (*ci < ncv && (cv[*ci].file < file || (cv[*ci].file == file && cv[*ci].line < line)))
		(*ci)++;
	for (; *ci < ncv && cv[*ci].file == file && cv[*ci].line == line; (*ci)++) {
		const lp_call *c = &rep->calls[cv[*ci].idx];
		long callee = whole_func(h, rep->funcs[c->callee].fn);

		if (callee < 0)
			continue;
		fprintf(out, "%s%ld,\"%.1f\"]", n++ ? ",[" : ",[[", callee, pct_of(h, c->value0, c->samples));
	}
	if (n)
		fputc(']', out);
	return n;
}

/* The first call site of file in cv (sorted by file, then line). */
static size_t calls_of(const lp_hline *cv, size_t ncv, long file)
{
	size_t lo = 0, hi = ncv;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (cv[mid].file < file)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The header lines of the block's loops with samples, as (file id, line) keys, sorted. */
static uint64_t *loop_headers(lp_html *h, size_t *n)
{
	uint64_t *keys = malloc((h->nloops + 1) * sizeof(*keys));
	size_t k = 0;

	if (!keys)
		return NULL;
	for (size_t i = 0; i < h->nloops; i++) {
		long f = h->loops[i].file ? ptrmap_get(&h->file_ids, h->loops[i].file) : -1;

		if (f >= 0 && h->loops[i].total_samples && h->loops[i].header_line >= 0)
			keys[k++] = (uint64_t)f << 32 | (uint32_t)h->loops[i].header_line;
	}
	qsort(keys, k, sizeof(*keys), cmp_u64);
	*n = k;
	return keys;
}

/* Has line of file a loop note? (Notes are looked for only there: a file may have 50,000 lines.) */
static int is_header(const lp_html *h, long file, int line)
{
	uint64_t key = (uint64_t)file << 32 | (uint32_t)line;

	return h->headers && bsearch(&key, h->headers, h->nheaders, sizeof(key), cmp_u64) != NULL;
}

/* One file of the block: its sums, and the range of its lines in the sorted list. */
typedef struct lp_hsum {
	long file;
	size_t lo, hi;
	uint64_t samples, value0, incl_samples;
} lp_hsum;

static int cmp_hsum(const void *pa, const void *pb, void *arg)
{
	const lp_hsum *a = pa, *b = pb;
	const lp_html *h = arg;

	if (a->samples != b->samples)
		return a->samples > b->samples ? -1 : 1;
	if (a->value0 != b->value0)
		return a->value0 > b->value0 ? -1 : 1;
	if (a->incl_samples != b->incl_samples)
		return a->incl_samples > b->incl_samples ? -1 : 1;
	return strcmp(h->files[a->file].path, h->files[b->file].path);
}

/*
 * The listings' numbers: per file (hottest first, as the terminal's listing
 * orders them) its samples, share and seconds, and per source line with
 * data its cells, the calls made from it, and the loop notes of a header
 * line: [step, cells], [step, cells, calls] or [step, cells, calls|null, note].
 * step is the line's distance from the file's previous row (the first row:
 * its line): mostly 1, which deflate writes in a few bits where 64 ranks'
 * blocks each spelled out 45,000 line numbers (a third of a block).
 */
static void write_files(lp_html *h)
{
	const lp_render_ctx *ctx = h->ctx;
	const lp_report *rep = ctx->rep;
	FILE *out = h->out;
	size_t nv = 0, ncv = 0, ci = 0, nsum = 0;
	lp_hline *v = sorted_lines(h, 0, &nv), *cv = sorted_lines(h, 1, &ncv);
	lp_hsum *sums = malloc((nv + 1) * sizeof(*sums));
	uint64_t nolines = 0, nolines_v0 = 0;
	char note[1024];

	if (!v || !cv || !sums) {
		h->oom = 1;
		free(v);
		free(cv);
		free(sums);
		return;
	}
	for (size_t i = 0; i < nv; i++) {
		const lp_line_stat *ls = &rep->lines[v[i].idx];

		if (!nsum || sums[nsum - 1].file != v[i].file)
			sums[nsum++] = (lp_hsum){ .file = v[i].file, .lo = i };
		sums[nsum - 1].hi = i + 1;
		sums[nsum - 1].samples += ls->samples;
		sums[nsum - 1].value0 += ls->value[0];
		sums[nsum - 1].incl_samples += ls->incl_samples;
	}
	qsort_r(sums, nsum, sizeof(*sums), cmp_hsum, h);
	fputs(",\n\"files\": [", out);
	for (size_t f = 0; f < nsum; f++) {
		const lp_hsum *fs = &sums[f];
		const char *path = h->files[fs->file].path;
		int nr = 0, prev = 0;

		fprintf(out, "%s%ld, %" PRIu64 ", \"%.1f\", \"%g\", [", f ? ",\n [" : "\n [", fs->file,
			fs->samples, pct_of(h, fs->value0, fs->samples),
			lp_report_seconds(rep, fs->value0));
		ci = calls_of(cv, ncv, fs->file);
		for (size_t i = fs->lo; i < fs->hi;) {
			uint64_t value[LP_MAX_EVENTS] = { 0 };
			lp_cell_in in = { .value = value };
			int line = v[i].line;

			/* One source line: the sums of the functions it belongs to, as the listing does. */
			for (; i < fs->hi && v[i].line == line; i++) {
				const lp_line_stat *ls = &rep->lines[v[i].idx];

				in.samples += ls->samples;
				for (int e = 0; e < LP_MAX_EVENTS; e++)
					value[e] += ls->value[e];
				in.incl_samples += ls->incl_samples;
				in.incl_value0 += ls->incl_value0;
				in.sys_samples += ls->w.sys_samples;
				in.sys_value += ls->w.sys_value;
				in.off_count += ls->w.off_count;
				in.off_ns += lp_waits_off_ns(&ls->w);
				in.incl_sys_value += ls->incl_sys_value;
				in.incl_off_ns += ls->incl_off_ns;
				in.hits += ls->hits;
				in.has_hits |= ls->has_hits;
			}
			in.den_samples = h->cols.t.samples;
			in.den_value0 = h->cols.t.value0;
			fprintf(out, "%s[%d,", nr++ ? ",\n" : "\n", line - prev);
			prev = line;
			write_cells(out, &h->cols, &in);
			note[0] = '\0';
			if (is_header(h, fs->file, line))
				lp_render_loop_notes(ctx, h->loops, h->nloops, NULL, path, line, note, sizeof(note));
			if (!write_calls(h, cv, ncv, &ci, fs->file, line) && note[0])
				fputs(",null", out);
			if (note[0]) {
				fputc(',', out);
				js(out, note);
			}
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
	fprintf(out, ",\n\"nolines\": [%" PRIu64 ", \"%.1f\"]", nolines, pct_of(h, nolines_v0, nolines));
	free(v);
	free(cv);
	free(sums);
}

/* One row of a -f table: [file, line, cells, share of the block's total, loop note]. */
static void named_row(lp_html *h, const lp_cols *cs, const lp_fn_view *v, const lp_fn_row *r,
		      const char *note, int *nr)
{
	lp_cell_in in;

	lp_cell_in_row(&in, cs, v, r);
	fprintf(h->out, "%s[%ld, %d, ", (*nr)++ ? ",\n  " : "\n  ", file_id(h, r->file), r->line);
	write_cells(h->out, cs, &in);
	fputs(", ", h->out);
	jnum(h->out, lp_totals_share(&h->cols.t, r->sum.value[0], r->sum.samples, h->cols.t.value0,
				     h->cols.t.samples));
	if (note && note[0]) {
		fputs(", ", h->out);
		js(h->out, note);
	}
	fputc(']', h->out);
}

/*
 * The -f tables (the whole report's, in a group's block too): the span's
 * lines with counts, in the -f table's columns, loop notes on header lines
 * (a header without counts of its own: its note alone), then the table's
 * lines in other files or past the span.
 */
static void write_named(lp_html *h)
{
	const lp_render_ctx *ctx = h->ctx;
	const lp_report *rep = ctx->rep;
	FILE *out = h->out;

	fputs(",\n\"named\": [", out);
	for (size_t i = 0; i < rep->ntables; i++) {
		const lp_ftable *t = &rep->tables[i];
		/* The name the code views know the table by (loops go by name). */
		const char *fn = t->nfns ? t->fns[0]->name : NULL;
		const lp_cv_sloop *loops = NULL;
		size_t nloops = 0;
		lp_fn_view v;
		lp_cols cs;
		int nr = 0;
		char note[1024];

		fputs(i ? ",\n {\"name\": " : "\n {\"name\": ", out);
		js(out, t->title);
		if (lp_fn_view_of(ctx, t, &v) != 0) {
			lp_fn_view_free(&v);
			h->oom = 1;
			fputs(", \"found\": false}", out);
			continue;
		}
		if (fn && lp_codeview_loops(rep, fn, &loops, &nloops, NULL) != 0)
			h->oom = 1;
		lp_cols_init(&cs, ctx, LP_SCOPE_FUNCTION,
			     (v.has_hits ? LP_COLS_HITS : 0) | (v.has_incl ? LP_COLS_INCL : 0) |
			     (v.has_iwall ? LP_COLS_IWALL : 0));
		if (h->group)
			cols_of_group(&cs);
		fprintf(out, ", \"found\": true, \"func\": %ld, \"file\": %ld, \"first\": %d, \"total\": \"%g\", "
			"\"cols\": ", v.fs ? whole_func(h, v.fs->fn) : -1L, file_id(h, v.file), v.first,
			lp_report_seconds(rep, v.value0));
		write_cols(out, &cs);
		fputs(", \"rows\": [", out);
		for (size_t k = 0; k < v.nrows; k++) {
			const lp_fn_row *r = &v.rows[k];

			note[0] = '\0';
			if (r->in_span)
				lp_render_loop_notes(ctx, loops, nloops, fn, v.file, r->line, note, sizeof(note));
			if (r->n && (r->in_span || lp_line_listed(&r->sum))) {
				named_row(h, &cs, &v, r, note, &nr);
			} else if (note[0]) { /* a loop header without counts of its own: the note alone */
				fprintf(out, "%s[%ld, %d, null, 0, ", nr++ ? ",\n  " : "\n  ", file_id(h, v.file),
					r->line);
				js(out, note);
				fputc(']', out);
			}
		}
		fprintf(out, "], \"last\": %d}", v.last);
		lp_fn_view_free(&v);
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

/* ---- the groups: ranks, processes, threads ---- */

/* One level the page offers a selector for: its groups (the busiest LP_HTML_GROUPS of them). */
typedef struct lp_hlevel {
	enum lp_by by;
	lp_ctxview cv;
	uint32_t *shown;        /* indices into cv.groups, in its order (by rank, pid or tid) */
	size_t nshown;
} lp_hlevel;

/* What a group is, in words: "rank 3, pid 4242 solver on node1", "thread 4243 worker (pid 4242 solver)". */
static void group_title(const lp_render_ctx *ctx, const lp_ctxview *cv, uint32_t g, char *buf,
			size_t size)
{
	const lp_profile *p = ctx->rep->prof;
	const lp_group *gr = &cv->groups[g];
	const lp_context *c = &p->contexts[gr->ctx];
	uint32_t proc = lp_profile_process_of(p, gr->ctx);
	const lp_context *pc = proc != LP_CTX_NONE ? &p->contexts[proc] : c;
	const char *name = c->name ? c->name : "?", *pname = pc->name ? pc->name : "?";
	char rank[32] = "", host[96] = "";

	if (pc->rank >= 0)
		snprintf(rank, sizeof(rank), ", rank %d", pc->rank);
	if (pc->host)
		snprintf(host, sizeof(host), " on %.80s", pc->host);
	if (cv->level == LP_BY_RANK && gr->nprocs > 1)
		snprintf(buf, size, "rank %lld: %d processes, pid %lld %s%s", (long long)gr->id, gr->nprocs,
			 (long long)pc->id, pname, host);
	else if (cv->level == LP_BY_RANK)
		snprintf(buf, size, "rank %lld: pid %lld %s%s", (long long)gr->id, (long long)pc->id, pname,
			 host);
	else if (cv->level == LP_BY_THREAD)
		snprintf(buf, size, "thread %lld %s (pid %lld %s%s)", (long long)c->id, name,
			 (long long)pc->id, pname, rank);
	else
		snprintf(buf, size, "pid %lld %s%s%s", (long long)pc->id, pname, rank, host);
}

/* The whole profile's counts the group views leave out, in words; "" if none. */
static void not_per_group(const lp_profile *p, char *buf, size_t size)
{
	lp_metric_cols mc;
	size_t len = 0;

	buf[0] = '\0';
	if (p->nhits)
		len += (size_t)snprintf(buf, size, "hits (--hits)");
	for (int e = 1; e < p->nevents && len < size; e++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s%s", len ? ", " : "",
					e == 1 ? "the counts of " : "", p->events[e].measured);
	lp_metric_cols_of(p, &mc);
	if (mc.n && len < size)
		snprintf(buf + len, size - len, " and the metrics of them");
}

/* A group's header: who it is and its own totals beside the run's. */
static void write_group_header(lp_html *h, const lp_hlevel *lv, uint32_t g, const char *label)
{
	const lp_profile *p = h->whole->rep->prof;
	const lp_report *rep = h->ctx->rep;
	const lp_group *gr = &lv->cv.groups[g];
	FILE *out = h->out;
	char title[256], left[512];
	int n = 1;

	group_title(h->whole, &lv->cv, g, title, sizeof(title));
	fputs(", \"header\": [\n  [\"Command\", ", out);
	js(out, p->command ? p->command : "(not recorded)");
	fputc(']', out);
	kv(out, &n, "Showing", "%s", title);
	kv(out, &n, "Samples", "%" PRIu64 " of the run's %" PRIu64 " (%.1f %%)", gr->samples, p->samples,
	   p->samples ? 100.0 * (double)gr->samples / (double)p->samples : 0.0);
	kv(out, &n, "Time", "%.3f s (the sum of its lines' Time; the run's: %.3f s)",
	   lp_report_seconds(rep, gr->value0),
	   lp_report_seconds(h->whole->rep, h->whole_t.value0));
	kv_waits(out, &n, rep);
	if (gr->mpi_samples)
		kv(out, &n, "MPI", "%.1f %% of its samples in MPI libraries (%.3f s)",
		   gr->samples ? 100.0 * (double)gr->mpi_samples / (double)gr->samples : 0.0,
		   lp_report_seconds(rep, gr->mpi_value0));
	kv(out, &n, "Call stacks", "%s", rep->inclusive_from_stacks ? "its own recorded stacks"
	   : p->callchain ? "none of its own (only inlining is known for it)"
	   : "not recorded (record with -g for callers)");
	kv(out, &n, "Timer unit", "%g s (the Time columns)", h->ctx->opts->unit);
	not_per_group(p, left, sizeof(left));
	if (left[0])
		kv(out, &n, "Not per group", "%s: counted for the whole run only, not shown here", left);
	fputs("\n],\n\"contexts\": null,\n\"note\": ", out);
	snprintf(left, sizeof(left), "Every number below is %s's own: the lines, functions, loops and "
		 "stacks of its samples, measured. %% Prog and the heat are shares of its total.", label);
	js(out, left);
}

/* The selectors' data, in the whole block: per level, its groups and their share of the run. */
static void write_levels(lp_html *h, const lp_hlevel *lv, int nlv)
{
	FILE *out = h->out;
	char title[256];

	fputs(",\n\"levels\": [", out);
	for (int l = 0; l < nlv; l++) {
		fprintf(out, "%s{\"level\": \"%s\", \"count\": %zu, \"groups\": [", l ? ",\n " : "\n ",
			lp_by_name(lv[l].by), lv[l].cv.ngroups);
		for (size_t k = 0; k < lv[l].nshown; k++) {
			const lp_group *gr = &lv[l].cv.groups[lv[l].shown[k]];

			group_title(h->whole, &lv[l].cv, lv[l].shown[k], title, sizeof(title));
			fputs(k ? ",\n  [" : "\n  [", out);
			js(out, gr->label);
			fputs(", ", out);
			js(out, title);
			fprintf(out, ", %" PRIu64 ", \"%.1f\"]", gr->samples,
				100.0 * lp_totals_share(&h->whole_t, gr->value0, gr->samples, h->whole_t.value0,
							h->whole_t.samples));
		}
		fputs("]}", out);
	}
	fputs("]", out);
}

/*
 * One block: the page draws one at a time. The whole profile's, or a
 * group's (level lv, group g), each from its own report; the sources are
 * shared by every block (#lp-sources), and so are the whole's functions.
 */
static int write_block(lp_html *h, const lp_hlevel *lv, int nlv, uint32_t g, const char *attrs,
		       const char *label, lp_error *err)
{
	FILE *out = h->out;
	int rc = LP_OK;

	if (attrs)
		fprintf(out, "<script type=\"application/json\" %s>", attrs);
	fputs("{\"label\": ", out);
	js(out, label);
	if (h->group) {
		write_group_header(h, lv, g, label);
	} else {
		write_header(h);
		fputs(",\n\"note\": null", out);
	}
	fputs(",\n\"cols\": ", out);
	write_cols(out, &h->cols);
	write_named(h);
	/* The program's loops (after the -f tables': each call replaces the last list). */
	h->loops_arch = NULL;
	if (lp_codeview_loops(h->ctx->rep, NULL, &h->loops, &h->nloops, &h->loops_arch) != 0 ||
	    !(h->headers = loop_headers(h, &h->nheaders)))
		h->oom = 1;
	write_funcs(h);
	write_hot(h);
	if (!h->oom)
		write_loops(h);
	if (!h->oom)
		write_files(h);
	free(h->headers);
	h->headers = NULL;
	if (!h->oom)
		rc = write_flame(h, err);
	if (rc == LP_OK && !h->group) {
		rc = write_graph(h, err);
		write_levels(h, lv, nlv);
	} else if (rc == LP_OK) {
		fputs(",\n\"graph\": null,\n\"graph_note\": ", out);
		js(out, "The call graph is drawn for the whole run only: choose \"all\" to see it.");
	}
	fputs(attrs ? "}</script>\n" : "}", out);
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

/* The block's columns: its own totals are what its shares are of. */
static void block_cols(lp_html *h)
{
	lp_totals t;

	lp_totals_of(h->ctx->rep, &t);
	lp_cols_init(&h->cols, h->ctx, LP_SCOPE_PROGRAM, listing_with(h->ctx, &t));
	if (h->group)
		cols_of_group(&h->cols);
	func_cols(h);
}

static int cmp_busiest(const void *pa, const void *pb, void *arg)
{
	const lp_group *g = arg;
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;

	if (g[a].samples != g[b].samples)
		return g[a].samples > g[b].samples ? -1 : 1;
	return a < b ? -1 : a > b;
}

static int cmp_index(const void *pa, const void *pb)
{
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;

	return a < b ? -1 : a > b;
}

/*
 * The levels worth a selector: ranks, processes, threads with two groups
 * or more, and more of them than the level above has (a process per rank,
 * a thread per process: the same choice again, not offered twice).
 */
static int make_levels(const lp_render_ctx *ctx, lp_hlevel *lv, int *nlv, lp_error *err)
{
	static const enum lp_by order[] = { LP_BY_RANK, LP_BY_PROCESS, LP_BY_THREAD };
	size_t above = 1;

	*nlv = 0;
	if (!ctx->rep->prof->nctx_addrs)
		return LP_OK;
	for (int i = 0; i < 3; i++) {
		lp_hlevel *l = &lv[*nlv];
		size_t n;
		int rc;

		memset(l, 0, sizeof(*l));
		l->by = order[i];
		rc = lp_ctxview_build(&l->cv, ctx->rep, l->by, 0, err);
		if (rc != LP_OK)
			return rc;
		n = l->cv.ngroups;
		if (n < 2 || n <= above) {
			above = n > above ? n : above;
			lp_ctxview_free(&l->cv);
			continue;
		}
		above = n;
		l->shown = malloc(n * sizeof(*l->shown));
		if (!l->shown) {
			lp_ctxview_free(&l->cv);
			return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
		}
		for (size_t g = 0; g < n; g++)
			l->shown[g] = (uint32_t)g;
		if (n > LP_HTML_GROUPS) {
			qsort_r(l->shown, n, sizeof(*l->shown), cmp_busiest, l->cv.groups);
			n = LP_HTML_GROUPS;
			qsort(l->shown, n, sizeof(*l->shown), cmp_index);
		}
		l->nshown = n;
		(*nlv)++;
	}
	return LP_OK;
}

static void base64(FILE *out, const unsigned char *b, size_t n)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)b[i] << 16 | (i + 1 < n ? (uint32_t)b[i + 1] << 8 : 0) |
			     (i + 2 < n ? b[i + 2] : 0);

		fputc(abc[v >> 18 & 63], out);
		fputc(abc[v >> 12 & 63], out);
		fputc(i + 1 < n ? abc[v >> 6 & 63] : '=', out);
		fputc(i + 2 < n ? abc[v & 63] : '=', out);
	}
}

/*
 * A group's block, deflated: written into memory as JSON, compressed by
 * zlib (the format DecompressionStream calls "deflate") at its best level
 * (a page is written once and copied and opened many times: 8 % smaller
 * blocks for twice the compression time), then as base64
 * inside <script type="application/x-lineprof-deflate">, whose text no
 * browser reads as script or markup.
 */
static int write_deflated(lp_html *h, const lp_hlevel *lv, uint32_t g, const char *attrs,
			  const char *label, lp_error *err)
{
	FILE *out = h->out;
	char *json = NULL;
	size_t len = 0;
	unsigned char *z = NULL;
	uLongf zlen;
	int rc;

	h->out = open_memstream(&json, &len);
	if (!h->out) {
		h->out = out;
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	}
	rc = write_block(h, lv, 0, g, NULL, label, err);
	if (fclose(h->out) != 0 && rc == LP_OK)
		rc = lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	h->out = out;
	zlen = compressBound((uLong)len);
	if (rc == LP_OK && !(z = malloc(zlen)))
		rc = lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	if (rc == LP_OK && compress2(z, &zlen, (const Bytef *)json, (uLong)len, 9) != Z_OK)
		rc = lp_error_set(err, LP_EFAIL, "lineprof: zlib could not compress the page's data");
	if (rc == LP_OK) {
		fprintf(out, "<script type=\"application/x-lineprof-deflate\" %s data-bytes=\"%zu\">", attrs,
			len);
		base64(out, z, zlen);
		fputs("</script>\n", out);
	}
	free(json);
	free(z);
	return rc;
}

/* Every group's block of one level, each from its own report, written and freed in turn. */
static int write_groups(lp_html *h, const lp_hlevel *lv, lp_error *err)
{
	const lp_render_ctx *whole = h->whole;
	lp_groupset gs;
	int rc = lp_groupset_init(&gs, whole->rep, &lv->cv, err);

	for (size_t k = 0; rc == LP_OK && k < lv->nshown; k++) {
		uint32_t g = lv->shown[k];
		lp_render_ctx gctx = { .rep = NULL, .opts = whole->opts, .src = whole->src };
		lp_report grep;
		char attrs[96], label[64];

		rc = lp_groupset_report(&gs, g, &grep, err);
		if (rc != LP_OK)
			break;
		gctx.rep = &grep;
		h->ctx = &gctx;
		h->group = 1;
		block_cols(h);
		snprintf(attrs, sizeof(attrs), "class=\"lp-group\" id=\"lp-%s-%zu\"", lp_by_name(lv->by), k);
		snprintf(label, sizeof(label), "%s %lld", lp_by_name(lv->by), lv->by == LP_BY_RANK
			 ? (long long)lv->cv.groups[g].id : (long long)whole->rep->prof->contexts[lv->cv.groups[g].ctx].id);
		rc = write_deflated(h, lv, g, attrs, label, err);
		lp_report_free(&grep);
	}
	h->ctx = whole;
	h->group = 0;
	lp_groupset_free(&gs);
	return rc;
}

int lp_render_html(const lp_render_ctx *ctx, FILE *out, lp_error *err)
{
	const lp_profile *p = ctx->rep->prof;
	lp_html h = { .whole = ctx, .ctx = ctx, .out = out };
	lp_hlevel lv[3];
	int nlv = 0, rc;

	lp_totals_of(ctx->rep, &h.whole_t);
	block_cols(&h);
	if (collect_files(&h) != 0) {
		rc = lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
		goto out;
	}
	rc = make_levels(ctx, lv, &nlv, err);
	if (rc != LP_OK)
		goto out;
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
	rc = write_block(&h, lv, nlv, 0, "class=\"lp-context\"", "all", err);
	for (int l = 0; rc == LP_OK && l < nlv; l++)
		rc = write_groups(&h, &lv[l], err);
	if (rc != LP_OK)
		goto out;
	fputs("<script>", out);
	fputs(lp_asset_report_js, out);
	fputs("</script>\n</body>\n</html>\n", out);
	if (ferror(out))
		rc = lp_error_set(err, LP_EFAIL, "lineprof: cannot write the HTML report");
out:
	for (int l = 0; l < nlv; l++) {
		lp_ctxview_free(&lv[l].cv);
		free(lv[l].shown);
	}
	free(h.files);
	ptrmap_free(&h.file_ids);
	ptrmap_free(&h.func_ids);
	ptrmap_free(&h.func_names);
	return rc;
}
