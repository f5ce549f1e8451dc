/*
 * Source files are read once each and split into lines. A file is looked for
 * where DWARF says it is, then under each --source-dir root with leading path
 * components stripped one by one (the build tree moved, or came from elsewhere).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "source.h"

typedef struct lp_srcfile {
	char *name;        /* as DWARF gives it */
	char *found;       /* where it was read from; NULL if not found */
	char *text;
	char **lines;
	int nlines;
	int warned_age;
} lp_srcfile;

struct lp_sources {
	const char *const *dirs;
	int ndirs;
	FILE *diag;
	int under_only;    /* never the DWARF path itself */
	lp_srcfile *files;
	size_t nfiles, cap;
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

void lp_sources_free(lp_sources *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nfiles; i++) {
		free(s->files[i].name);
		free(s->files[i].found);
		free(s->files[i].text);
		free(s->files[i].lines);
	}
	free(s->files);
	free(s);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f)
		return NULL;
	do {
		if (len + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap = (cap ? cap * 2 : 8192));

			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	fclose(f);
	if (!buf)
		buf = calloc(1, 1);
	else
		buf[len] = '\0';
	return buf;
}

static char *locate(const lp_sources *s, const char *name)
{
	struct stat st;
	char path[4096];

	if (!s->under_only && stat(name, &st) == 0 && S_ISREG(st.st_mode))
		return strdup(name);
	for (int d = 0; d < s->ndirs; d++) {
		for (const char *tail = name; tail; tail = strchr(tail + 1, '/')) {
			while (*tail == '/')
				tail++;
			snprintf(path, sizeof(path), "%s/%s", s->dirs[d], tail);
			if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
				return strdup(path);
		}
	}
	return NULL;
}

static int split_lines(lp_srcfile *f)
{
	int cap = 256;

	f->lines = malloc(cap * sizeof(*f->lines));
	if (!f->lines)
		return -1;
	for (char *p = f->text; *p;) {
		char *nl = strchr(p, '\n');

		if (f->nlines == cap) {
			char **n = realloc(f->lines, (cap *= 2) * sizeof(*f->lines));

			if (!n)
				return -1;
			f->lines = n;
		}
		f->lines[f->nlines++] = p;
		if (!nl)
			break;
		if (nl > p && nl[-1] == '\r')
			nl[-1] = '\0';
		*nl = '\0';
		p = nl + 1;
	}
	return 0;
}

static lp_srcfile *get(lp_sources *s, const char *name)
{
	lp_srcfile *f;

	if (!name)
		return NULL;
	for (size_t i = 0; i < s->nfiles; i++)
		if (strcmp(s->files[i].name, name) == 0)
			return &s->files[i];
	if (s->nfiles == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		lp_srcfile *n = realloc(s->files, cap * sizeof(*n));

		if (!n)
			return NULL;
		s->files = n;
		s->cap = cap;
	}
	f = &s->files[s->nfiles];
	memset(f, 0, sizeof(*f));
	f->name = strdup(name);
	if (!f->name)
		return NULL;
	s->nfiles++;
	f->found = locate(s, name);
	if (f->found)
		f->text = slurp(f->found);
	if (f->text && split_lines(f) != 0) {
		free(f->text);
		f->text = NULL;
	}
	if (!f->text && s->diag)
		fprintf(s->diag, "lineprof: note: source %s not found; showing numbers only "
			"(add --source-dir DIR)\n", name);
	return f;
}

const char *lp_sources_line(lp_sources *s, const char *file, int line)
{
	lp_srcfile *f = get(s, file);

	if (!f || !f->text || line < 1 || line > f->nlines)
		return NULL;
	return f->lines[line - 1];
}

int lp_sources_count(lp_sources *s, const char *file)
{
	lp_srcfile *f = get(s, file);

	return f && f->text ? f->nlines : 0;
}

void lp_sources_check_age(lp_sources *s, const char *file, const char *binary)
{
	lp_srcfile *f = get(s, file);
	struct stat src, bin;

	if (!f || !f->found || f->warned_age || !binary)
		return;
	if (stat(f->found, &src) != 0 || stat(binary, &bin) != 0)
		return;
	if (src.st_mtim.tv_sec > bin.st_mtim.tv_sec ||
	    (src.st_mtim.tv_sec == bin.st_mtim.tv_sec && src.st_mtim.tv_nsec > bin.st_mtim.tv_nsec)) {
		f->warned_age = 1;
		if (s->diag)
			fprintf(s->diag, "lineprof: warning: %s is newer than %s: line numbers may "
				"not match (rebuild and profile again)\n", f->found, binary);
	}
}
