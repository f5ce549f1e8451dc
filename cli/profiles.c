#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/*
 * Parsing is most of a merge's time and each file parses on its own, so
 * loader threads read ahead (at most LP_LOAD_AHEAD files per thread beyond
 * the one being merged) while this thread merges in file order: the result
 * is the same as one file at a time, in a fraction of the wall time.
 */
#define LP_LOAD_THREADS 8
#define LP_LOAD_AHEAD 2

typedef struct lp_loadq {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char **names;
	size_t n, next, merged, window;
	lp_profile **prof;
	lp_error *errs;
	unsigned char *done;
	int stop;
} lp_loadq;

static void *loader(void *arg)
{
	lp_loadq *q = arg;

	pthread_mutex_lock(&q->mu);
	for (;;) {
		size_t i;

		while (!q->stop && q->next < q->n && q->next >= q->merged + q->window)
			pthread_cond_wait(&q->cv, &q->mu);
		if (q->stop || q->next >= q->n)
			break;
		i = q->next++;
		pthread_mutex_unlock(&q->mu);
		q->prof[i] = lp_profile_load(q->names[i], &q->errs[i]);
		pthread_mutex_lock(&q->mu);
		q->done[i] = 1;
		pthread_cond_broadcast(&q->cv);
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

/* File i, once a loader has read it; the caller owns it (NULL: failed, see q->errs[i]). */
static lp_profile *loadq_take(lp_loadq *q, size_t i)
{
	lp_profile *p;

	pthread_mutex_lock(&q->mu);
	while (!q->done[i])
		pthread_cond_wait(&q->cv, &q->mu);
	p = q->prof[i];
	q->prof[i] = NULL;
	q->merged = i + 1;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	return p;
}

static int merge_all(lp_profile *dst, lp_names *l, const lp_merge_opts *mo, lp_error *err)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nthreads = cpus < 1 ? 1 : cpus > LP_LOAD_THREADS ? LP_LOAD_THREADS : (size_t)cpus;
	pthread_t tid[LP_LOAD_THREADS];
	size_t started = 0;
	lp_loadq q = { .names = l->v, .n = l->n };
	int rc = LP_OK;

	if (nthreads > l->n)
		nthreads = l->n;
	q.window = nthreads * LP_LOAD_AHEAD;
	q.prof = calloc(l->n, sizeof(*q.prof));
	q.errs = calloc(l->n, sizeof(*q.errs));
	q.done = calloc(l->n, 1);
	if (!q.prof || !q.errs || !q.done) {
		rc = lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
		goto out;
	}
	pthread_mutex_init(&q.mu, NULL);
	pthread_cond_init(&q.cv, NULL);
	while (started < nthreads && pthread_create(&tid[started], NULL, loader, &q) == 0)
		started++;
	for (size_t i = 0; i < l->n && rc == LP_OK; i++) {
		lp_profile *p;

		/* No thread could start: this one loads (the loop then never waits). */
		if (!started) {
			q.prof[i] = lp_profile_load(l->v[i], &q.errs[i]);
			q.done[i] = 1;
		}
		p = loadq_take(&q, i);
		if (!p)
			rc = lp_error_set(err, q.errs[i].code ? q.errs[i].code : LP_EFAIL, "%s",
					  q.errs[i].msg);
		else
			rc = lp_profile_merge(dst, p, l->v[i], mo, err);
		lp_profile_free(p);
	}
	pthread_mutex_lock(&q.mu);
	q.stop = 1;
	pthread_cond_broadcast(&q.cv);
	pthread_mutex_unlock(&q.mu);
	for (size_t t = 0; t < started; t++)
		pthread_join(tid[t], NULL);
	for (size_t i = 0; i < l->n; i++)
		lp_profile_free(q.prof[i]);
	pthread_cond_destroy(&q.cv);
	pthread_mutex_destroy(&q.mu);
out:
	free(q.prof);
	free(q.errs);
	free(q.done);
	return rc;
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
	rc = merge_all(dst, &l, &mo, err);
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
