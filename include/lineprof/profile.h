/*
 * The profile: the one model shared by the recorder (profiler/) and the
 * views (annotate/). A profile fresh from a run and one loaded from a .lprof
 * file are the same object, so every view works on saved profiles for free.
 *
 * Addresses are stored relative to the file they were sampled in (a module),
 * as FILE OFFSETS: offset = ip - mapping start + mapping pgoff. That is what
 * the kernel tells the recorder, it survives ASLR, and annotate/ turns it
 * into an ELF virtual address through the module's PT_LOAD headers.
 * Samples are aggregated per distinct address, stacks per distinct stack:
 * memory grows with the program's code, not with the length of the run.
 */
#ifndef LINEPROF_PROFILE_H
#define LINEPROF_PROFILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lineprof/error.h"

#define LP_FORMAT_VERSION 2        /* written; version 1 files still load */
#define LP_MAX_EVENTS 8
#define LP_BUILD_ID_MAX 32
#define LP_MAX_STACK 256
#define LP_EVENT_NAME_MAX 128

/* An address outside every known mapping ([vdso], JIT code, ...): offset is the raw ip. */
#define LP_MODULE_NONE UINT32_MAX
/* Counts that belong to no context (a version 1 profile, a merged file without them). */
#define LP_CTX_NONE UINT32_MAX

typedef struct lp_event_info {
	char name[LP_EVENT_NAME_MAX];     /* as the user asked: "cycles" */
	char measured[LP_EVENT_NAME_MAX]; /* what was opened: "cpu-clock" after a fallback */
	uint64_t freq;                    /* sampling frequency in Hz, 0 if by period */
	uint64_t period;                  /* fixed sample period, 0 if by frequency */
	uint64_t total;                   /* sum of this event's user-mode values over all samples */
} lp_event_info;

typedef struct lp_module {
	char *path;
	unsigned char build_id[LP_BUILD_ID_MAX];
	uint8_t build_id_len;             /* 0: unknown */
	/* For files without a build-id: what identifies this version of the file (0: unknown). */
	uint64_t file_size;
	int64_t mtime_ns;
	uint64_t code_hash;
} lp_module;

/* A code location: module index (or LP_MODULE_NONE) and file offset. */
typedef struct lp_loc {
	uint32_t module;
	uint64_t offset;
} lp_loc;

/*
 * Where a sample came from. A context is a thread of a process; a process
 * may know who it was in a parallel job (its rank, the job, the host). The
 * views group counts by thread, by process or by rank through this one
 * table: a merged profile of many ranks is the same shape as one run.
 * A reused tid or pid is a new context.
 */
enum lp_ctx_kind { LP_CTX_PROCESS = 1, LP_CTX_THREAD = 2 };

typedef struct lp_identity {
	int rank, size;                   /* -1: unknown */
	const char *host, *job, *step;    /* NULL: unknown */
	const char *launcher;             /* "srun", "mpirun", ...; NULL: none seen */
	int64_t start_time;               /* Unix seconds, 0: unknown */
} lp_identity;

typedef struct lp_context {
	int kind;                         /* enum lp_ctx_kind */
	uint32_t parent;                  /* a thread's process; LP_CTX_NONE for a process */
	int64_t id;                       /* tid or pid */
	char *name;                       /* comm ("worker-3"); NULL if unknown */
	/* Processes: their identity (strings owned by the profile). Threads: unset. */
	int rank, size;
	char *host, *job, *step, *launcher;
	int64_t start_time;
} lp_context;

/*
 * What happened at one location (or in one stack), summed over samples.
 *
 * On the CPU in user mode: samples of the sampling event, value[0] the sum
 * of their periods (a clock event counts nanoseconds), value[i > 0] the
 * deltas of the i-th event of the group read at each sample.
 * In the kernel on behalf of this location (a system call, a page fault):
 * sys_samples and the sum of their periods, sys_value (recorded only when
 * kernel samples could be taken; the location is the user ip that entered
 * the kernel).
 * Off the CPU: off_count times a thread of the target left the CPU here,
 * and the nanoseconds until it ran again, by why it left.
 */
enum lp_off { LP_OFF_BLOCKED, LP_OFF_RUNNABLE, LP_NOFF };

typedef struct lp_counts {
	uint64_t samples;
	uint64_t value[LP_MAX_EVENTS];
	uint64_t sys_samples;
	uint64_t sys_value;
	uint64_t off_count;
	uint64_t off_ns[LP_NOFF];         /* blocked (sleep, I/O, lock), runnable (preempted, yielded) */
} lp_counts;

/* Counts at one location: totals in profile->addrs, per context in ctx_addrs. */
typedef struct lp_addr {
	lp_loc loc;
	lp_counts c;
} lp_addr;

/*
 * One distinct call stack. Its frames are profile->frames[first .. first+depth-1],
 * leaf first: frame 0 is the sampled ip, the others are RETURN addresses (a
 * consumer looks up offset - 1 to find the calling line). c.value[0] sums
 * the periods of the stack's samples; value[i > 0] is not kept for stacks.
 */
typedef struct lp_stack {
	uint32_t first;
	uint32_t depth;
	lp_counts c;
} lp_stack;

/*
 * The counts of one context at one address (index into addrs) or one stack
 * (index into stacks): sparse, so a thread costs only what it touched, and
 * compact, so a job of a thousand ranks fits: of lp_counts only what the
 * per-context views use (the other fields live in the totals only). Entries
 * are summed by every consumer: a (ctx, index) pair may appear more than once.
 */
typedef struct lp_ctx_counts {
	uint32_t ctx;
	uint32_t index;
	uint64_t samples;
	uint64_t value0;                  /* value[0] of lp_counts */
	uint64_t sys_samples;
	uint64_t sys_value;
	uint64_t off_count;               /* waits: a per-context Waits column is counted, not 0 */
	uint64_t off_ns[LP_NOFF];
} lp_ctx_counts;

/* Exact execution count of one address (a uprobe, --hits). */
typedef struct lp_hit {
	lp_loc loc;
	uint64_t count;
} lp_hit;

struct lp_profile_index;

typedef struct lp_profile {
	int version;             /* of the file it was loaded from (LP_FORMAT_VERSION if new) */
	char *command;           /* argv, shell-quoted, joined by spaces */
	int64_t start_time;      /* Unix seconds */
	uint64_t wall_ns;
	uint64_t task_clock_ns;  /* CPU time of the target, its threads and children */
	uint64_t user_ns, sys_ns;/* the same split by the kernel's accounting (wait4's rusage), 0: unknown */
	uint64_t samples;        /* == sum of addrs[].c.samples */
	uint64_t lost;           /* records the kernel dropped (PERF_RECORD_LOST) */
	uint64_t throttled;      /* PERF_RECORD_THROTTLE count */
	int exit_status;         /* wait(2) status of the target, -1 if unknown */
	int callchain;           /* how stacks were recorded: 0 none, 1 frame pointers (-g),
	                            2 DWARF unwinding (--call-graph=dwarf); see record.h */
	int kernel;              /* 1: kernel-mode samples were taken (sys_* counts mean something) */
	int off_cpu;             /* 1: off-CPU time was recorded (off_* counts mean something) */
	uint64_t off_lost_ns;    /* off-CPU time whose location was lost (dropped records) */

	int nevents;
	lp_event_info events[LP_MAX_EVENTS];

	lp_module *modules;
	size_t nmodules;
	lp_context *contexts;
	size_t ncontexts;
	lp_addr *addrs;          /* totals per location: the fast path of every view */
	size_t naddrs;
	lp_stack *stacks;        /* totals per distinct stack */
	size_t nstacks;
	lp_loc *frames;
	size_t nframes;
	lp_ctx_counts *ctx_addrs;   /* per (context, address), when contexts were recorded */
	size_t nctx_addrs;
	lp_ctx_counts *ctx_stacks;  /* per (context, stack) */
	size_t nctx_stacks;
	lp_hit *hits;
	size_t nhits;

	struct lp_profile_index *index; /* private: hash tables for the add functions */
} lp_profile;

lp_profile *lp_profile_new(void);
void lp_profile_free(lp_profile *p);

/* Quotes argv the way a shell would need it, so the command can be pasted back. */
int lp_profile_set_command(lp_profile *p, int argc, char *const argv[]);

/* Index of the module (path, build-id), added if new; -1 when out of memory. */
int64_t lp_profile_module(lp_profile *p, const char *path,
			  const unsigned char *build_id, size_t build_id_len);

/*
 * A new context: a process (parent LP_CTX_NONE) or a thread of process
 * parent. name may be NULL. Its index, or -1 when out of memory.
 */
int64_t lp_profile_add_context(lp_profile *p, int kind, uint32_t parent, int64_t id,
			       const char *name);
/* Renames context ctx (a thread's comm changed, a process exec'd). 0, or -1. */
int lp_profile_name_context(lp_profile *p, uint32_t ctx, const char *name);
/* Sets process ctx's identity, copying the strings. 0, or -1 when out of memory. */
int lp_profile_set_identity(lp_profile *p, uint32_t ctx, const lp_identity *id);
/* The process a context belongs to (itself for a process); LP_CTX_NONE for none. */
uint32_t lp_profile_process_of(const lp_profile *p, uint32_t ctx);

/*
 * Adds c (its first p->nevents values) at loc, to the totals and, unless ctx
 * is LP_CTX_NONE, to context ctx. 0; -1 when out of memory; -2 when a sum
 * would overflow (nothing is added then).
 */
int lp_profile_add(lp_profile *p, uint32_t ctx, lp_loc loc, const lp_counts *c);
/* The same for one stack of depth frames (cut to LP_MAX_STACK). */
int lp_profile_add_stack(lp_profile *p, uint32_t ctx, const lp_loc *frames, uint32_t depth,
			 const lp_counts *c);
/*
 * For readers and merges, whose (ctx, location) pairs are already distinct:
 * the same as lp_profile_add and lp_profile_add_stack, but the per-context
 * entry is appended without looking for an existing one (a repeated pair
 * costs memory, never correctness). stack is an index into p->stacks.
 */
int lp_profile_add_entry(lp_profile *p, uint32_t ctx, lp_loc loc, const lp_counts *c);
int lp_profile_add_stack_entry(lp_profile *p, uint32_t ctx, uint32_t stack, const lp_counts *c);

/* The index of the stack with these frames, added with no counts if new; -1 if none can be. */
int64_t lp_profile_stack(lp_profile *p, const lp_loc *frames, uint32_t depth);
int lp_profile_add_hits(lp_profile *p, lp_loc loc, uint64_t count);
/* Drops every hit record (--hits replaces its probes' counts by the lines'). */
void lp_profile_clear_hits(lp_profile *p);

/* dst += src over every field; 0, or -1 if a sum would overflow (dst unchanged). */
int lp_counts_add(lp_counts *dst, const lp_counts *src);
/* c -= part, field by field, where part is a part of c (never below zero). */
void lp_counts_sub(lp_counts *c, const lp_counts *part);
int lp_counts_is_zero(const lp_counts *c);
/* A per-context entry as lp_counts (the fields it does not keep are zero). */
void lp_ctx_counts_get(const lp_ctx_counts *e, lp_counts *out);

/*
 * The event whose values are nanoseconds of CPU time (cpu-clock or
 * task-clock, whatever was asked for), or -1: a line's Time is measured by
 * that event, never estimated from another.
 */
int lp_profile_time_event(const lp_profile *p);

/* The .lprof file: see lineprof(1), section PROFILE FILE FORMAT. */
int lp_profile_save(const lp_profile *p, const char *path, lp_error *err);
/* The same text to a stream; 0, or -1 if writing failed (ferror). */
int lp_profile_write(const lp_profile *p, FILE *f);
lp_profile *lp_profile_load(const char *path, lp_error *err);
/* The same from size bytes in memory; name stands for the file in messages. */
lp_profile *lp_profile_load_mem(const void *data, size_t size, const char *name, lp_error *err);

#endif
