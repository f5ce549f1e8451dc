/*
 * Per-process executable mappings, rebuilt from the kernel's MMAP/MMAP2,
 * FORK, COMM(exec) and EXIT records, to turn a sampled ip into a profile
 * location (module, file offset). Internal to profiler/.
 */
#ifndef LP_MAPS_H
#define LP_MAPS_H

#include <stddef.h>
#include <stdint.h>

#include "lineprof/profile.h"
#include "lineprof/record.h"

typedef struct lp_file lp_file; /* a mapped file, interned: one per (path, build-id) */

typedef struct lp_map {
	uint64_t start, end, pgoff;
	lp_file *file;
} lp_map;

typedef struct lp_proc {
	int pid;
	int threads; /* live threads seen; the maps go when the last one exits */
	lp_map *maps; /* sorted by start, never overlapping */
	size_t n, cap;
} lp_proc;

typedef struct lp_maps {
	lp_profile *prof;
	lp_proc *procs; /* sorted by pid */
	size_t nprocs, capprocs;
	lp_file **buckets;
	size_t nbuckets, nfiles;
} lp_maps;

void lp_maps_init(lp_maps *m, lp_profile *prof);
void lp_maps_free(lp_maps *m);

/* The functions returning int return 0, or -1 when out of memory. */
int lp_maps_add(lp_maps *m, int pid, uint64_t start, uint64_t len, uint64_t pgoff,
		const char *path, const unsigned char *build_id, size_t build_id_len);
/* A new process pid, a copy of ppid; or (pid == ppid) one more thread. */
int lp_maps_fork(lp_maps *m, int pid, int ppid);
void lp_maps_exec(lp_maps *m, int pid);
/* One thread of pid ended; 1 when it was the last (the process's maps are gone), else 0. */
int lp_maps_exit(lp_maps *m, int pid);

/*
 * The location of ip in pid: {module, ip - start + pgoff}, or
 * {LP_MODULE_NONE, ip} outside every file mapping. The module is added to
 * the profile on the first location inside it, so the profile lists only
 * modules that were sampled.
 */
int lp_maps_loc(lp_maps *m, int pid, uint64_t ip, lp_loc *loc);

/*
 * The file mapping of pid holding addr, for an unwinder: 0, or -1 when addr
 * is in none or in one without a file behind it ([vdso], //anon). The
 * strings stay valid until the maps change.
 */
int lp_maps_find(lp_maps *m, int pid, uint64_t addr, lp_mapping *out);

#endif
