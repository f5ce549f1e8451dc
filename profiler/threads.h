/*
 * Where each sample came from: the kernel's pids and tids to the profile's
 * contexts (a thread of a process), following FORK, COMM and EXIT records.
 * A tid the kernel reuses after an EXIT becomes a new context. Internal to
 * profiler/.
 */
#ifndef LP_THREADS_H
#define LP_THREADS_H

#include <stddef.h>
#include <stdint.h>

#include "lineprof/profile.h"

/* Open addressing: id -> context, with tombstones for exited ids. */
typedef struct lp_idmap {
	struct lp_idslot { int64_t id; uint32_t ctx; } *slot;  /* id 0: empty, -1: deleted */
	size_t cap, used;
} lp_idmap;

typedef struct lp_threads {
	lp_profile *prof;
	lp_idmap tids, pids;
	const lp_identity *root;   /* given to the first process seen (the launched one) */
	int have_root;
	int no_environ;            /* tests: never read /proc/PID/environ */
} lp_threads;

void lp_threads_init(lp_threads *t, lp_profile *prof, const lp_identity *root);
void lp_threads_free(lp_threads *t);

/*
 * The context of thread tid of process pid; one is created (named after its
 * process) if the recorder never saw the thread start. LP_CTX_NONE when out
 * of memory, or for pid/tid 0 (the kernel's idle task, never the target's).
 */
uint32_t lp_threads_ctx(lp_threads *t, int pid, int tid);

/* A FORK record: a new thread (tid != pid) of pid, or a new process pid forked by ppid. */
int lp_threads_fork(lp_threads *t, int pid, int ppid, int tid, int ptid);
/*
 * A COMM record: tid is now called comm; exec: its process ran a new
 * program, whose launcher variables (/proc/PID/environ) give its identity.
 */
int lp_threads_comm(lp_threads *t, int pid, int tid, const char *comm, int exec);
/* An EXIT record: tid is gone (and its process, when tid == pid). */
void lp_threads_exit(lp_threads *t, int pid, int tid);

/*
 * -p: thread tid of process pid was running before lineprof attached, so no
 * FORK or COMM record will name it: it is called comm, its process pcomm
 * (either may be NULL). *new_proc tells whether its process was new.
 * 0; 1 if tid was known already; -1 when out of memory.
 */
int lp_threads_attach(lp_threads *t, int pid, int tid, const char *comm, const char *pcomm,
		      int *new_proc);
/* Has a record (or lp_threads_attach) named thread tid, still live? */
int lp_threads_known(const lp_threads *t, int tid);

#endif
