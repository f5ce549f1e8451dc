#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lineprof/merge.h"
#include "options.h"
#include "profiles.h"

typedef struct lp_names {
	char **v;
	size_t n, cap;
} lp_names;

static int names_add(lp_names *l, const char *s)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		char **v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	if (!(l->v[l->n] = strdup(s)))
		return -1;
	l->n++;
	return 0;
}

static void names_free(lp_names *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_dir(lp_names *l, const char *dir, lp_error *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t before = l->n;

	if (!d)
		return lp_error_set(err, LP_EFAIL, "lineprof: cannot read directory %s: %s", dir,
				    strerror(errno));
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		char path[4096];
		struct stat sb;

		if (len <= 6 || strcmp(e->d_name + len - 6, ".lprof") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		/* Regular files only: a FIFO named x.lprof would block the read. */
		if (lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
			continue;
		if (names_add(l, path)) {
			closedir(d);
			return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
		}
	}
	closedir(d);
	if (l->n == before)
		return lp_error_set(err, LP_EFAIL, "lineprof: %s has no .lprof files", dir);
	qsort(l->v + before, l->n - before, sizeof(*l->v), by_name);
	return LP_OK;
}

static int expand(lp_names *l, const char *arg, lp_error *err)
{
	struct stat sb;
	glob_t g;
	int rc;

	if (stat(arg, &sb) == 0 && S_ISDIR(sb.st_mode))
		return add_dir(l, arg, err);
	if (stat(arg, &sb) == 0 || !strpbrk(arg, "*?["))
		return names_add(l, arg) ? lp_error_set(err, LP_EFAIL, "lineprof: out of memory")
					 : LP_OK;
	rc = glob(arg, 0, NULL, &g);
	if (rc == GLOB_NOMATCH)
		return lp_error_set(err, LP_EFAIL, "lineprof: no profile matches %s", arg);
	if (rc != 0)
		return lp_error_set(err, LP_EFAIL, "lineprof: cannot expand %s", arg);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		if (names_add(l, g.gl_pathv[i])) {
			globfree(&g);
			return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
		}
	}
	globfree(&g);
	return LP_OK;
}

lp_profile *lp_profiles_load(char **args, int nargs, const char *ranks, size_t *nfiles,
			     lp_error *err)
{
	unsigned char *bits = NULL;
	lp_merge_opts mo = { 0 };
	lp_profile *dst = NULL;
	lp_names l = { 0 };
	int rc = LP_OK;

	for (int i = 0; i < nargs && rc == LP_OK; i++)
		rc = expand(&l, args[i], err);
	if (rc != LP_OK)
		goto out;
	*nfiles = l.n;
	if (l.n == 1 && !ranks) {
		dst = lp_profile_load(l.v[0], err);
		goto out;
	}
	if (ranks) {
		bits = calloc(LP_MAX_RANK / 8 + 1, 1);
		if (!bits) {
			lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
			goto out;
		}
		lp_ranks_parse(ranks, bits, LP_MAX_RANK + 1);
		mo.ranks = bits;
		mo.nranks_bits = LP_MAX_RANK + 1;
	}
	dst = lp_profile_new();
	if (!dst) {
		lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
		goto out;
	}
	/* One file in memory at a time beside the merge. */
	for (size_t i = 0; i < l.n && rc == LP_OK; i++) {
		lp_profile *p = lp_profile_load(l.v[i], err);

		rc = p ? lp_profile_merge(dst, p, l.v[i], &mo, err) : LP_EFAIL;
		lp_profile_free(p);
	}
	if (rc == LP_OK && ranks && dst->ncontexts == 0)
		rc = lp_error_set(err, LP_EFAIL, "lineprof: --ranks %s: no such rank in these "
				  "profiles", ranks);
	if (rc != LP_OK) {
		lp_profile_free(dst);
		dst = NULL;
	}
out:
	free(bits);
	names_free(&l);
	return dst;
}
