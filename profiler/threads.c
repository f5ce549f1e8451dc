/*
 * pids and tids to contexts. Maps are small (one entry per live thread) and
 * looked up once per sample, so a hash, not a scan.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lineprof/jobenv.h"
#include "threads.h"

/* A launcher's environment fits easily; a bigger one is read this far only. */
#define LP_ENVIRON_MAX (256 * 1024)

#define LP_ID_EMPTY 0
#define LP_ID_GONE (-1)

static size_t id_hash(int64_t id, size_t cap)
{
	uint64_t h = (uint64_t)id * 0x9e3779b97f4a7c15ULL;

	return (size_t)(h ^ (h >> 32)) & (cap - 1);
}

static struct lp_idslot *idmap_find(const lp_idmap *m, int64_t id)
{
	if (!m->cap)
		return NULL;
	for (size_t s = id_hash(id, m->cap);; s = (s + 1) & (m->cap - 1)) {
		if (m->slot[s].id == id)
			return &m->slot[s];
		if (m->slot[s].id == LP_ID_EMPTY)
			return NULL;
	}
}

/* Rebuilt at twice the live entries when slots (live or gone) pass half the table. */
static int idmap_grow(lp_idmap *m)
{
	size_t live = 0, cap;
	struct lp_idslot *n;

	for (size_t i = 0; i < m->cap; i++)
		live += m->slot[i].id > 0;
	for (cap = 64; cap < 4 * (live + 1); cap *= 2)
		;
	n = calloc(cap, sizeof(*n));
	if (!n)
		return -1;
	for (size_t i = 0; i < m->cap; i++) {
		size_t s;

		if (m->slot[i].id <= 0)
			continue;
		for (s = id_hash(m->slot[i].id, cap); n[s].id != LP_ID_EMPTY; s = (s + 1) & (cap - 1))
			;
		n[s] = m->slot[i];
	}
	free(m->slot);
	m->slot = n;
	m->cap = cap;
	m->used = live;
	return 0;
}

static int idmap_set(lp_idmap *m, int64_t id, uint32_t ctx)
{
	struct lp_idslot *e = idmap_find(m, id);
	size_t s;

	if (e) {
		e->ctx = ctx;
		return 0;
	}
	if (2 * (m->used + 1) > m->cap && idmap_grow(m))
		return -1;
	for (s = id_hash(id, m->cap); m->slot[s].id > 0; s = (s + 1) & (m->cap - 1))
		;
	if (m->slot[s].id == LP_ID_EMPTY)
		m->used++;
	m->slot[s].id = id;
	m->slot[s].ctx = ctx;
	return 0;
}

static void idmap_del(lp_idmap *m, int64_t id)
{
	struct lp_idslot *e = idmap_find(m, id);

	if (e)
		e->id = LP_ID_GONE;
}

void lp_threads_init(lp_threads *t, lp_profile *prof, const lp_identity *root)
{
	memset(t, 0, sizeof(*t));
	t->prof = prof;
	t->root = root;
}

void lp_threads_free(lp_threads *t)
{
	free(t->tids.slot);
	free(t->pids.slot);
	memset(t, 0, sizeof(*t));
}

static const char *name_of(const lp_threads *t, uint32_t ctx)
{
	return ctx < t->prof->ncontexts ? t->prof->contexts[ctx].name : NULL;
}

/* A new process context for pid, named name; LP_CTX_NONE when out of memory. */
static uint32_t new_process(lp_threads *t, int pid, const char *name)
{
	int64_t c = lp_profile_add_context(t->prof, LP_CTX_PROCESS, LP_CTX_NONE, pid, name);

	if (c < 0 || idmap_set(&t->pids, pid, (uint32_t)c))
		return LP_CTX_NONE;
	if (!t->have_root) {
		t->have_root = 1;
		if (t->root && lp_profile_set_identity(t->prof, (uint32_t)c, t->root))
			return LP_CTX_NONE;
	}
	return (uint32_t)c;
}

/* A forked process is who its parent was (same rank, same job) until it execs. */
static int inherit_identity(lp_threads *t, uint32_t child, uint32_t parent)
{
	const lp_context *pc;
	lp_identity id;

	if (parent >= t->prof->ncontexts || child == parent)
		return 0;
	pc = &t->prof->contexts[parent];
	if (pc->rank < 0 && !pc->job && !pc->launcher)
		return 0;
	id = (lp_identity){ pc->rank, pc->size, pc->host, pc->job, pc->step, pc->launcher,
			    (int64_t)time(NULL) };
	return lp_profile_set_identity(t->prof, child, &id);
}

/*
 * After an exec, the launcher's variables in the new program's environment
 * say which rank it is: `lineprof mpirun -np 4 ./prog` starts the ranks as
 * grandchildren, each with its own OMPI_COMM_WORLD_RANK. The record arrives
 * after the exec, so the process may have exited and its pid been reused:
 * its comm must still be the one the record names. A bounded read of a
 * procfs file; nothing found leaves the identity as it was.
 */
static int identify_exec(lp_threads *t, uint32_t proc, int pid, const char *comm)
{
	char path[64], cur[64] = "", *buf;
	ssize_t n, got = 0;
	lp_jobenv je;
	int fd, rc = 0;

	if (t->no_environ)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, cur, sizeof(cur) - 1);
	close(fd);
	cur[n > 0 ? n : 0] = '\0';
	cur[strcspn(cur, "\n")] = '\0';
	if (strncmp(cur, comm, 15) != 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/environ", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	buf = malloc(LP_ENVIRON_MAX);
	if (!buf) {
		close(fd);
		return -1;
	}
	while (got < LP_ENVIRON_MAX && (n = read(fd, buf + got, (size_t)(LP_ENVIRON_MAX - got))) > 0)
		got += n;
	close(fd);
	lp_jobenv_block(&je, buf, (size_t)got);
	if (je.rank_var) {
		je.id.start_time = (int64_t)time(NULL);
		rc = lp_profile_set_identity(t->prof, proc, &je.id);
	}
	free(buf);
	return rc;
}

static uint32_t new_thread(lp_threads *t, uint32_t proc, int tid, const char *name)
{
	int64_t c = lp_profile_add_context(t->prof, LP_CTX_THREAD, proc, tid, name);

	if (c < 0 || idmap_set(&t->tids, tid, (uint32_t)c))
		return LP_CTX_NONE;
	return (uint32_t)c;
}

static uint32_t process_ctx(lp_threads *t, int pid)
{
	struct lp_idslot *e = idmap_find(&t->pids, pid);

	return e ? e->ctx : new_process(t, pid, NULL);
}

uint32_t lp_threads_ctx(lp_threads *t, int pid, int tid)
{
	struct lp_idslot *e;
	uint32_t proc;

	if (pid <= 0 || tid <= 0)
		return LP_CTX_NONE;
	if ((e = idmap_find(&t->tids, tid)))
		return e->ctx;
	proc = process_ctx(t, pid);
	if (proc == LP_CTX_NONE)
		return LP_CTX_NONE;
	return new_thread(t, proc, tid, name_of(t, proc));
}

int lp_threads_fork(lp_threads *t, int pid, int ppid, int tid, int ptid)
{
	struct lp_idslot *parent = idmap_find(&t->tids, ptid);
	const char *name = parent ? name_of(t, parent->ctx) : NULL;
	uint32_t proc;

	if (pid <= 0 || tid <= 0)
		return 0;
	if (tid == pid) {
		/* A new process: until it execs, it is called what its parent thread was. */
		struct lp_idslot *pp = idmap_find(&t->pids, ppid);

		proc = new_process(t, pid, name);
		if (proc != LP_CTX_NONE && pp && inherit_identity(t, proc, pp->ctx))
			return -1;
	} else {
		proc = process_ctx(t, pid);
	}
	if (proc == LP_CTX_NONE || new_thread(t, proc, tid, name) == LP_CTX_NONE)
		return -1;
	return 0;
}

int lp_threads_comm(lp_threads *t, int pid, int tid, const char *comm, int exec)
{
	uint32_t ctx = lp_threads_ctx(t, pid, tid), proc;

	if (ctx == LP_CTX_NONE)
		return pid > 0 && tid > 0 ? -1 : 0;
	if (lp_profile_name_context(t->prof, ctx, comm))
		return -1;
	/* A process is called what its main thread is, and what it exec'd. */
	proc = lp_profile_process_of(t->prof, ctx);
	if ((exec || tid == pid) && proc != LP_CTX_NONE &&
	    lp_profile_name_context(t->prof, proc, comm))
		return -1;
	if (exec && proc != LP_CTX_NONE)
		return identify_exec(t, proc, pid, comm);
	return 0;
}

void lp_threads_exit(lp_threads *t, int pid, int tid)
{
	idmap_del(&t->tids, tid);
	if (tid == pid)
		idmap_del(&t->pids, pid);
}

int lp_threads_attach(lp_threads *t, int pid, int tid, const char *comm, const char *pcomm,
		      int *new_proc)
{
	struct lp_idslot *e;
	uint32_t proc;

	*new_proc = 0;
	if (pid <= 0 || tid <= 0)
		return 0;
	if (idmap_find(&t->tids, tid))
		return 1;
	if ((e = idmap_find(&t->pids, pid))) {
		proc = e->ctx;
	} else {
		*new_proc = 1;
		proc = new_process(t, pid, pcomm);
	}
	if (proc == LP_CTX_NONE || new_thread(t, proc, tid, comm) == LP_CTX_NONE)
		return -1;
	return 0;
}

int lp_threads_known(const lp_threads *t, int tid)
{
	return idmap_find(&t->tids, tid) != NULL;
}
