/*
 * Source files are read once each and split into lines. A file is looked for
 * where DWARF says it is, then under each --source-dir root with leading path
 * components stripped one by one (the build tree moved, or came from elsewhere).
 *
 * The names come from DWARF, that is from whoever built the binary or wrote
 * the profile: a name is opened only if it is a regular file outside /proc
 * and /sys (input.h), names of one file (same device and inode) share one
 * copy of its text, and a file over LP_SOURCE_MAX bytes or LP_SOURCE_LINES
 * lines is not read at all (said once; the views show numbers only), nor is
 * anything once LP_SOURCE_BUDGET bytes of text are held. Lines are shown
 * with control characters escaped, so a source file cannot drive the
 * terminal.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "containers.h"
#include "input.h"
#include "source.h"

#define LP_SOURCE_MAX ((off_t)64 << 20)      /* bytes of one file */
#define LP_SOURCE_LINES (1 << 20)            /* lines of one file */
#define LP_SOURCE_BUDGET ((size_t)256 << 20) /* bytes of all files together */

/* One file's text, shared by every name of it. */
typedef struct lp_srcdata {
	dev_t dev;
	ino_t ino;
	char *found;       /* where it was read from */
	char *text;        /* the file, each line NUL-terminated in place */
	uint32_t *start;   /* offset of each line in text; nlines + 1 entries */
	int nlines;
	int warned_age;
	/* Escaped copies of the lines that need one, made when first shown: line -> text. */
	int *esc_line;
	char **esc_text;
	size_t esc_cap, esc_count;   /* esc_cap: a power of two, or 0 */
} lp_srcdata;

typedef struct lp_srcname {
	char *name;        /* as DWARF gives it */
	lp_srcdata *data;  /* NULL if not found or not read */
} lp_srcname;

struct lp_sources {
	const char *const *dirs;
	int ndirs;
	FILE *diag;
	int under_only;    /* never the DWARF path itself */
	lp_srcname *names;
	size_t nnames, cap;
	lp_srcdata **datas;
	size_t ndatas;
	size_t held;       /* bytes of text read, against LP_SOURCE_BUDGET */
	lp_srcname *last;  /* the previous lookup: views ask for one file many times in a row */
};

lp_sources *lp_sources_new(const char *const *dirs, int ndirs, FILE *diag)
{
	lp_sources *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->dirs = dirs;
	s->ndirs = ndirs;
	s->diag = diag;
	return s;
}

lp_sources *lp_sources_new_under(const char *const *dirs, int ndirs)
{
	lp_sources *s = lp_sources_new(dirs, ndirs, NULL);

	if (s)
		s->under_only = 1;
	return s;
}

static void data_free(lp_srcdata *d)
{
	for (size_t i = 0; i < d->esc_cap; i++)
		free(d->esc_text[i]);
	free(d->esc_line);
	free(d->esc_text);
	free(d->found);
	free(d->text);
	free(d->start);
	free(d);
}

void lp_sources_free(lp_sources *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nnames; i++)
		free(s->names[i].name);
	for (size_t i = 0; i < s->ndatas; i++)
		data_free(s->datas[i]);
	free(s->names);
	free(s->datas);
	free(s);
}

/* Reads the whole of fd (size bytes, as fstat said) into a NUL-terminated buffer; NULL on error. */
static char *read_all(int fd, size_t size, size_t *len)
{
	char *buf = malloc(size + 1);
	size_t got = 0;

	if (!buf)
		return NULL;
	/* A file that grows while we read it is cut at its size when opened. */
	while (got < size) {
		ssize_t n = read(fd, buf + got, size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return NULL;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	*len = got;
	return buf;
}

/* Splits d->text at '\n' (dropping a '\r' before it) in place. 0, 1 if too many lines, -1 on OOM. */
static int split_lines(lp_srcdata *d, size_t len)
{
	size_t n = 0, cap = 256;
	char *p = d->text, *end = d->text + len;

	d->start = malloc(cap * sizeof(*d->start));
	if (!d->start)
		return -1;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));

		if (n >= LP_SOURCE_LINES)
			return 1;
		if (n + 2 > cap) {
			uint32_t *ns;

			ns = realloc(d->start, (cap *= 2) * sizeof(*d->start));
			if (!ns)
				return -1;
			d->start = ns;
		}
		d->start[n++] = (uint32_t)(p - d->text);
		if (!nl)
			nl = end;
		else if (nl > p && nl[-1] == '\r')
			nl[-1] = '\0';
		*nl = '\0';
		p = nl + 1;
	}
	d->start[n] = (uint32_t)(len + 1);
	d->nlines = (int)n;
	return 0;
}

/* Where name is, as a regular file; the path (malloc'd) and its stat, or NULL. */
static char *locate(const lp_sources *s, const char *name, struct stat *st, const char **why)
{
	char path[4096];

	*why = NULL;
	if (!s->under_only && lp_input_check(name, st, why) == 0)
		return strdup(name);
	for (int d = 0; d < s->ndirs; d++) {
		for (const char *tail = name; tail; tail = strchr(tail + 1, '/')) {
			const char *ignored;

			while (*tail == '/')
				tail++;
			if ((size_t)snprintf(path, sizeof(path), "%s/%s", s->dirs[d], tail) >= sizeof(path))
				continue;
			if (lp_input_check(path, st, &ignored) == 0)
				return strdup(path);
		}
	}
	return NULL;
}

static void note(const lp_sources *s, const char *name, const char *what)
{
	if (s->diag)
		fprintf(s->diag, "lineprof: note: source %s %s; showing numbers only\n", name, what);
}

/* The text of the file at path (st: as located), shared if another name read it; NULL if not read. */
static lp_srcdata *load(lp_sources *s, const char *name, const char *path, const struct stat *st)
{
	lp_srcdata *d, **datas;
	size_t len = 0;
	struct stat fst;
	char what[160];
	int fd, rc;

	for (size_t i = 0; i < s->ndatas; i++)
		if (s->datas[i]->dev == st->st_dev && s->datas[i]->ino == st->st_ino)
			return s->datas[i];
	if (st->st_size > LP_SOURCE_MAX) {
		snprintf(what, sizeof(what), "is %lld MiB, more than the %lld MiB lineprof reads of one "
			 "file", (long long)(st->st_size >> 20), (long long)(LP_SOURCE_MAX >> 20));
		note(s, name, what);
		return NULL;
	}
	if (s->held + (size_t)st->st_size > LP_SOURCE_BUDGET) {
		snprintf(what, sizeof(what), "is not read: %zu MiB of source text are held already",
			 s->held >> 20);
		note(s, name, what);
		return NULL;
	}
	fd = lp_input_open(path, &fst, NULL);
	if (fd < 0)
		return NULL;
	d = calloc(1, sizeof(*d));
	datas = realloc(s->datas, (s->ndatas + 1) * sizeof(*datas));
	if (datas)
		s->datas = datas;
	if (!d || !datas || !(d->found = strdup(path)) ||
	    !(d->text = read_all(fd, (size_t)(fst.st_size < st->st_size ? fst.st_size : st->st_size), &len))) {
		close(fd);
		if (d)
			data_free(d);
		return NULL;
	}
	close(fd);
	d->dev = fst.st_dev;
	d->ino = fst.st_ino;
	rc = split_lines(d, len);
	if (rc != 0) {
		if (rc > 0) {
			snprintf(what, sizeof(what), "has more than %d lines, more than lineprof reads of "
				 "one file", LP_SOURCE_LINES);
			note(s, name, what);
		}
		data_free(d);
		return NULL;
	}
	s->held += len;
	s->datas[s->ndatas++] = d;
	return d;
}

static lp_srcname *get(lp_sources *s, const char *name)
{
	lp_srcname *n;
	struct stat st;
	const char *why;
	char *found;

	if (!name)
		return NULL;
	if (s->last && strcmp(s->last->name, name) == 0)
		return s->last;
	for (size_t i = 0; i < s->nnames; i++)
		if (strcmp(s->names[i].name, name) == 0)
			return s->last = &s->names[i];
	if (LP_GROW(s->names, s->nnames, s->cap))
		return NULL;
	n = &s->names[s->nnames];
	memset(n, 0, sizeof(*n));
	n->name = strdup(name);
	if (!n->name)
		return NULL;
	s->nnames++;
	s->last = NULL; /* names moved */
	found = locate(s, name, &st, &why);
	if (found) {
		n->data = load(s, name, found, &st); /* says why when it does not read it */
		free(found);
		return n;
	}
	if (why) {
		char what[128];

		snprintf(what, sizeof(what), "is %s: lineprof reads only regular files", why);
		note(s, name, what);
	} else if (s->diag) {
		fprintf(s->diag, "lineprof: note: source %s not found; showing numbers only "
			"(add --source-dir DIR)\n", name);
	}
	return n;
}

/* The length of the escaped form of line [p, p+len), or 0 if it needs none. */
static size_t escaped_len(const unsigned char *p, size_t len)
{
	size_t out = 0;
	int any = 0;

	for (size_t i = 0; i < len; i++) {
		if ((p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f) {
			out += 2, any = 1;
		} else if (p[i] == 0xc2 && i + 1 < len && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f) {
			out += 6, any = 1, i++;   /* a C1 control (U+0080..U+009F): \u009b is a CSI */
		} else {
			out++;
		}
	}
	return any ? out : 0;
}

/* Control characters as cat -v shows C0 ones (^[ for ESC, ^? for DEL); C1 ones as \u0080..\u009f. */
static void escape_into(char *o, const unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if ((p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f) {
			*o++ = '^';
			*o++ = p[i] == 0x7f ? '?' : (char)(p[i] + '@');
		} else if (p[i] == 0xc2 && i + 1 < len && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f) {
			o += sprintf(o, "\\u%04x", p[++i]);
		} else {
			*o++ = (char)p[i];
		}
	}
	*o = '\0';
}

/* The escaped copy of line (1-based) of d, made once; NULL when out of memory. */
static const char *escaped_line(lp_srcdata *d, int line, const char *text, size_t len, size_t outlen)
{
	size_t mask, i;
	char *e;

	if (2 * (d->esc_count + 1) > d->esc_cap) {
		size_t cap = d->esc_cap ? 2 * d->esc_cap : 64;
		int *nl = calloc(cap, sizeof(*nl));
		char **nt = calloc(cap, sizeof(*nt));

		if (!nl || !nt) {
			free(nl);
			free(nt);
			return NULL;
		}
		for (size_t j = 0; j < d->esc_cap; j++) {
			if (!d->esc_text[j])
				continue;
			for (i = (size_t)d->esc_line[j] * 0x9e3779b1u & (cap - 1); nt[i]; i = (i + 1) & (cap - 1))
				;
			nl[i] = d->esc_line[j];
			nt[i] = d->esc_text[j];
		}
		free(d->esc_line);
		free(d->esc_text);
		d->esc_line = nl;
		d->esc_text = nt;
		d->esc_cap = cap;
	}
	mask = d->esc_cap - 1;
	for (i = (size_t)line * 0x9e3779b1u & mask; d->esc_text[i]; i = (i + 1) & mask)
		if (d->esc_line[i] == line)
			return d->esc_text[i];
	e = malloc(outlen + 1);
	if (!e)
		return NULL;
	escape_into(e, (const unsigned char *)text, len);
	d->esc_line[i] = line;
	d->esc_text[i] = e;
	d->esc_count++;
	return e;
}

const char *lp_sources_line(lp_sources *s, const char *file, int line)
{
	lp_srcname *n = get(s, file);
	lp_srcdata *d = n ? n->data : NULL;
	const char *text;
	size_t len, outlen;

	if (!d || line < 1 || line > d->nlines)
		return NULL;
	text = d->text + d->start[line - 1];
	/* The line's bytes up to the next line's start (a NUL inside is a byte like any other). */
	len = d->start[line] - d->start[line - 1] - 1;
	if (len > 0 && text[len - 1] == '\0')
		len--; /* the '\r' of a CRLF, cut */
	outlen = escaped_len((const unsigned char *)text, len);
	if (!outlen)
		return text;
	return escaped_line(d, line, text, len, outlen);
}

int lp_sources_count(lp_sources *s, const char *file)
{
	lp_srcname *n = get(s, file);

	return n && n->data ? n->data->nlines : 0;
}

void lp_sources_check_age(lp_sources *s, const char *file, const char *binary)
{
	lp_srcname *n = get(s, file);
	struct stat src, bin;
	lp_srcdata *d = n ? n->data : NULL;

	if (!d || d->warned_age || !binary)
		return;
	if (stat(d->found, &src) != 0 || stat(binary, &bin) != 0)
		return;
	if (src.st_mtim.tv_sec > bin.st_mtim.tv_sec ||
	    (src.st_mtim.tv_sec == bin.st_mtim.tv_sec && src.st_mtim.tv_nsec > bin.st_mtim.tv_nsec)) {
		d->warned_age = 1;
		if (s->diag)
			fprintf(s->diag, "lineprof: warning: %s is newer than %s: line numbers may "
				"not match (rebuild and profile again)\n", d->found, binary);
	}
}
