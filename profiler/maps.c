/*
 * Executable mappings per process.
 *
 * Mapped files are interned by (path, build-id): a fork copies only
 * pointers, and each file asks the profile for its module index once, on
 * its first sample, instead of a string compare per sample. Memory is
 * bounded by the live processes and the distinct files they map, not by the
 * length of the run: a process's maps are freed when its last thread exits.
 */
#include <stdlib.h>
#include <string.h>

#include "maps.h"

struct lp_file {
	lp_file *next;
	uint64_t hash;
	int64_t module; /* -1: not asked yet */
	int none;       /* no file behind it ([vdso], //anon, memfd): raw ips */
	uint8_t build_id_len;
	unsigned char build_id[LP_BUILD_ID_MAX];
	char path[];
};

void lp_maps_init(lp_maps *m, lp_profile *prof)
{
	memset(m, 0, sizeof(*m));
	m->prof = prof;
}

void lp_maps_free(lp_maps *m)
{
	for (size_t i = 0; i < m->nprocs; i++)
		free(m->procs[i].maps);
	free(m->procs);
	for (size_t b = 0; b < m->nbuckets; b++) {
		for (lp_file *f = m->buckets[b], *n; f; f = n) {
			n = f->next;
			free(f);
		}
	}
	free(m->buckets);
	memset(m, 0, sizeof(*m));
}

static uint64_t hash_file(const char *path, const unsigned char *bid, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */

	for (; *path; path++)
		h = (h ^ (unsigned char)*path) * 0x100000001b3ULL;
	for (size_t i = 0; i < len; i++)
		h = (h ^ bid[i]) * 0x100000001b3ULL;
	return h;
}

static int not_a_file(const char *p)
{
	return p[0] != '/' || strncmp(p, "//anon", 6) == 0 || strncmp(p, "/memfd:", 7) == 0 ||
	       strncmp(p, "/dev/", 5) == 0 || strncmp(p, "/SYSV", 5) == 0;
}

static int rehash(lp_maps *m)
{
	size_t n = m->nbuckets ? m->nbuckets * 2 : 64;
	lp_file **b = calloc(n, sizeof(*b));

	if (!b)
		return -1;
	for (size_t i = 0; i < m->nbuckets; i++) {
		for (lp_file *f = m->buckets[i], *next; f; f = next) {
			next = f->next;
			f->next = b[f->hash & (n - 1)];
			b[f->hash & (n - 1)] = f;
		}
	}
	free(m->buckets);
	m->buckets = b;
	m->nbuckets = n;
	return 0;
}

static lp_file *intern(lp_maps *m, const char *path, const unsigned char *bid, size_t len)
{
	uint64_t h;
	lp_file *f;

	if (len > LP_BUILD_ID_MAX)
		len = LP_BUILD_ID_MAX;
	h = hash_file(path, bid, len);
	if (m->nfiles >= m->nbuckets && rehash(m))
		return NULL;
	for (f = m->buckets[h & (m->nbuckets - 1)]; f; f = f->next)
		if (f->hash == h && f->build_id_len == len && (!len || !memcmp(f->build_id, bid, len)) &&
		    strcmp(f->path, path) == 0)
			return f;
	f = malloc(sizeof(*f) + strlen(path) + 1);
	if (!f)
		return NULL;
	f->hash = h;
	f->module = -1;
	f->none = not_a_file(path);
	f->build_id_len = (uint8_t)len;
	memset(f->build_id, 0, sizeof(f->build_id));
	if (len)
		memcpy(f->build_id, bid, len);
	strcpy(f->path, path);
	f->next = m->buckets[h & (m->nbuckets - 1)];
	m->buckets[h & (m->nbuckets - 1)] = f;
	m->nfiles++;
	return f;
}

/* Index of pid in procs, or where it would go (*found = 0). */
static size_t proc_pos(const lp_maps *m, int pid, int *found)
{
	size_t lo = 0, hi = m->nprocs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->procs[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < m->nprocs && m->procs[lo].pid == pid;
	return lo;
}

static lp_proc *proc_find(lp_maps *m, int pid)
{
	int found;
	size_t i = proc_pos(m, pid, &found);

	return found ? &m->procs[i] : NULL;
}

static lp_proc *proc_get(lp_maps *m, int pid)
{
	int found;
	size_t i = proc_pos(m, pid, &found);

	if (found)
		return &m->procs[i];
	if (m->nprocs == m->capprocs) {
		size_t cap = m->capprocs ? m->capprocs * 2 : 16;
		lp_proc *p = realloc(m->procs, cap * sizeof(*p));

		if (!p)
			return NULL;
		m->procs = p;
		m->capprocs = cap;
	}
	memmove(&m->procs[i + 1], &m->procs[i], (m->nprocs - i) * sizeof(*m->procs));
	m->nprocs++;
	memset(&m->procs[i], 0, sizeof(m->procs[i]));
	m->procs[i].pid = pid;
	m->procs[i].threads = 1;
	return &m->procs[i];
}

static int by_start(const void *a, const void *b)
{
	const lp_map *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

int lp_maps_add(lp_maps *m, int pid, uint64_t start, uint64_t len, uint64_t pgoff,
		const char *path, const unsigned char *build_id, size_t build_id_len)
{
	uint64_t end = start + len;
	lp_proc *p;
	lp_file *f;
	lp_map *out;
	size_t k = 0;

	if (len == 0 || end < start)
		return 0;
	f = intern(m, path, build_id, build_id_len);
	p = f ? proc_get(m, pid) : NULL;
	if (!p)
		return -1;
	/* A new mapping replaces whatever it overlaps (MAP_FIXED, ld.so remaps). */
	out = malloc((p->n + 2) * sizeof(*out));
	if (!out)
		return -1;
	for (size_t i = 0; i < p->n; i++) {
		lp_map o = p->maps[i];

		if (o.end <= start || o.start >= end) {
			out[k++] = o;
			continue;
		}
		if (o.start < start) {
			out[k] = o;
			out[k++].end = start;
		}
		if (o.end > end) {
			out[k] = o;
			out[k].pgoff += end - o.start;
			out[k++].start = end;
		}
	}
	out[k].start = start;
	out[k].end = end;
	out[k].pgoff = pgoff;
	out[k++].file = f;
	qsort(out, k, sizeof(*out), by_start);
	free(p->maps);
	p->maps = out;
	p->n = k;
	p->cap = k;
	return 0;
}

int lp_maps_fork(lp_maps *m, int pid, int ppid)
{
	lp_proc *c, *pp;

	if (pid == ppid) {
		c = proc_get(m, pid);
		if (!c)
			return -1;
		c->threads++;
		return 0;
	}
	c = proc_get(m, pid);
	if (!c)
		return -1;
	c->n = 0; /* a reused pid: nothing of the old process survives */
	c->threads = 1;
	pp = proc_find(m, ppid); /* after proc_get, which may move procs */
	if (!pp || pp->n == 0)
		return 0;
	if (c->cap < pp->n) {
		lp_map *maps = realloc(c->maps, pp->n * sizeof(*maps));

		if (!maps)
			return -1;
		c->maps = maps;
		c->cap = pp->n;
	}
	memcpy(c->maps, pp->maps, pp->n * sizeof(*c->maps));
	c->n = pp->n;
	return 0;
}

void lp_maps_exec(lp_maps *m, int pid)
{
	lp_proc *p = proc_find(m, pid);

	if (p)
		p->n = 0;
}

int lp_maps_exit(lp_maps *m, int pid)
{
	int found;
	size_t i = proc_pos(m, pid, &found);

	if (!found || --m->procs[i].threads > 0)
		return 0;
	free(m->procs[i].maps);
	memmove(&m->procs[i], &m->procs[i + 1], (m->nprocs - i - 1) * sizeof(*m->procs));
	m->nprocs--;
	return 1;
}

/* The mapping of pid holding ip, or NULL. */
static const lp_map *map_of(lp_maps *m, int pid, uint64_t ip)
{
	lp_proc *p = proc_find(m, pid);
	size_t lo = 0, hi;

	if (!p)
		return NULL;
	/* The last mapping starting at or below ip. */
	hi = p->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->maps[mid].start <= ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || ip >= p->maps[lo - 1].end)
		return NULL;
	return &p->maps[lo - 1];
}

int lp_maps_find(lp_maps *m, int pid, uint64_t addr, lp_mapping *out)
{
	const lp_map *map = map_of(m, pid, addr);

	if (!map || map->file->none)
		return -1;
	out->path = map->file->path;
	out->start = map->start;
	out->end = map->end;
	out->pgoff = map->pgoff;
	out->build_id = map->file->build_id_len ? map->file->build_id : NULL;
	out->build_id_len = map->file->build_id_len;
	return 0;
}

int lp_maps_loc(lp_maps *m, int pid, uint64_t ip, lp_loc *loc)
{
	const lp_map *map = map_of(m, pid, ip);
	lp_file *f;

	loc->module = LP_MODULE_NONE;
	loc->offset = ip;
	if (!map)
		return 0;
	f = map->file;
	if (f->none)
		return 0;
	if (f->module < 0) {
		f->module = lp_profile_module(m->prof, f->path, f->build_id, f->build_id_len);
		if (f->module < 0)
			return -1;
	}
	loc->module = (uint32_t)f->module;
	loc->offset = ip - map->start + map->pgoff;
	return 0;
}
