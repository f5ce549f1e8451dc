/*
 * Turning perf records into profile entries: samples to locations through
 * the per-process maps, group reads to per-sample deltas, callchains to
 * stacks. Internal to profiler/.
 */
#ifndef LP_COLLECT_H
#define LP_COLLECT_H

#include <stdint.h>
#include <linux/perf_event.h>

#include "lineprof/error.h"
#include "lineprof/profile.h"
#include "lineprof/record.h"
#include "offcpu.h"
#include "ring.h"

typedef struct lp_collect lp_collect;

/*
 * sample_type and read_format as the leader was opened; prof->nevents
 * values are kept per sample (the period, then the group's other members).
 * Samples are kept per thread (a context of prof); root, if not NULL, is
 * the identity of the first process seen (the one lineprof started).
 */
lp_collect *lp_collect_new(lp_profile *prof, uint64_t sample_type, uint64_t read_format,
			   const lp_identity *root);
void lp_collect_free(lp_collect *c);

/*
 * --call-graph=dwarf: samples carry PERF_SAMPLE_REGS_USER (with regs_mask)
 * and PERF_SAMPLE_STACK_USER; u unwinds each into a stack (kept by the
 * caller for the collector's life) and learns when a process's address
 * space goes away. 0, or -1 when out of memory.
 */
int lp_collect_set_unwinder(lp_collect *c, const lp_unwinder *u, uint64_t regs_mask);

/* The sample_regs_user mask lp_collect_set_unwinder understands; 0 on other architectures. */
uint64_t lp_collect_regs_mask(void);

/*
 * The registers every sample carries (IP, SP, BP; 0 on other
 * architectures): a kernel-mode sample's user ip comes from them.
 */
uint64_t lp_collect_regs_mask_min(void);

/* Samples carry PERF_SAMPLE_REGS_USER with this mask (set_unwinder sets it too). */
void lp_collect_set_regs(lp_collect *c, uint64_t regs_mask);

/*
 * Off-CPU: samples whose PERF_SAMPLE_IDENTIFIER is one of ids[] come from
 * the context-switch event, opened with sample_type (its sample_id_all
 * trailer laid out as the sampling event's), and PERF_RECORD_SWITCH
 * records end the waits they begin. Called again when events are opened on
 * more tasks (-p), with all the ids so far. 0, or -1 when out of memory.
 */
int lp_collect_set_switch(lp_collect *c, uint64_t sample_type, const uint64_t *ids, int nids);

/*
 * Ring index ring (as lp_collect_drain numbers them) receives the switch
 * event's records: records dropped there may hide a wait's end (lineprof
 * then doubts the waits across the gap; losses elsewhere do not). 0, or -1
 * when out of memory.
 */
int lp_collect_switch_ring(lp_collect *c, int ring);

typedef struct lp_collect_stats {
	uint64_t sys_nowhere;   /* kernel-mode samples with no user ip to charge */
	lp_offcpu_stats off;
} lp_collect_stats;

void lp_collect_stats_of(const lp_collect *c, lp_collect_stats *st);

/*
 * One pass over every ring: the records of all CPUs are processed in time
 * order, so a mapping announced on one CPU precedes the samples that use it
 * on another. Gives the space back to the kernel afterwards.
 */
int lp_collect_drain(lp_collect *c, lp_ring *rings, int nrings, lp_error *err);

/* One record that arrived in the ring of CPU index cpu. */
int lp_collect_record(lp_collect *c, int cpu, const struct perf_event_header *h,
		      lp_error *err);

/* Threads and processes the target created (FORK records seen). */
uint64_t lp_collect_forks(const lp_collect *c);

/*
 * -p: what the kernel reports only when a thread starts or a file is mapped,
 * for the threads and mappings that were there before lineprof attached
 * (from /proc). A thread, named comm in a process named pcomm (NULL:
 * unknown); give a process's threads before its mappings. An executable
 * mapping of pid, path as in /proc/PID/maps. 0, or -1 when out of memory.
 */
int lp_collect_add_thread(lp_collect *c, int pid, int tid, const char *comm, const char *pcomm);
int lp_collect_add_mapping(lp_collect *c, int pid, uint64_t start, uint64_t len, uint64_t pgoff,
			   const char *path);
/* Is thread tid known, through a record or lp_collect_add_thread, and live? */
int lp_collect_knows(const lp_collect *c, int tid);
/* Processes the target created (FORK records of a new pid). */
uint64_t lp_collect_new_processes(const lp_collect *c);

#endif
