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

#include "lineprof/error.h"

#define LP_FORMAT_VERSION 1
#define LP_MAX_EVENTS 8
#define LP_BUILD_ID_MAX 32
#define LP_MAX_STACK 256
#define LP_EVENT_NAME_MAX 128

/* An address outside every known mapping ([vdso], JIT code, ...): offset is the raw ip. */
#define LP_MODULE_NONE UINT32_MAX

typedef struct lp_event_info {
	char name[LP_EVENT_NAME_MAX];     /* as the user asked: "cycles" */
	char measured[LP_EVENT_NAME_MAX]; /* what was opened: "cpu-clock" after a fallback */
	uint64_t freq;                    /* sampling frequency in Hz, 0 if by period */
	uint64_t period;                  /* fixed sample period, 0 if by frequency */
	uint64_t total;                   /* sum of this event's values over all samples */
} lp_event_info;

typedef struct lp_module {
	char *path;
	unsigned char build_id[LP_BUILD_ID_MAX];
	uint8_t build_id_len;             /* 0: unknown */
	/* Identity of a file without a build-id (set after the run; 0: not known). */
	uint64_t file_size; int64_t mtime_ns; uint64_t code_hash; /* 0: unknown */
} lp_module;

/* A code location: module index (or LP_MODULE_NONE) and file offset. */
typedef struct lp_loc {
	uint32_t module;
	uint64_t offset;
} lp_loc;

/*
 * Samples whose ip was at one location. value[0] sums the sampling event's
 * periods (for a clock event: nanoseconds); value[i>0] sums the deltas of the
 * i-th event of the group read at each sample.
 */
typedef struct lp_addr {
	lp_loc loc;
	uint64_t samples;
	uint64_t value[LP_MAX_EVENTS];
} lp_addr;

/*
 * One distinct call stack. Its frames are profile->frames[first .. first+depth-1],
 * leaf first: frame 0 is the sampled ip, the others are RETURN addresses (a
 * consumer looks up offset - 1 to find the calling line).
 */
typedef struct lp_stack {
	uint32_t first;
	uint32_t depth;
	uint64_t samples;
	uint64_t value0;
} lp_stack;

/* Exact execution count of one address (a uprobe, --hits). */
typedef struct lp_hit {
	lp_loc loc;
	uint64_t count;
} lp_hit;

struct lp_profile_index;

typedef struct lp_profile {
	int version;
	char *command;           /* argv, shell-quoted, joined by spaces */
	int64_t start_time;      /* Unix seconds */
	uint64_t wall_ns;
	uint64_t task_clock_ns;  /* CPU time of the target, its threads and children */
	uint64_t samples;        /* == sum of addrs[].samples */
	uint64_t lost;           /* records the kernel dropped (PERF_RECORD_LOST) */
	uint64_t throttled;      /* PERF_RECORD_THROTTLE count */
	int exit_status;         /* wait(2) status of the target, -1 if unknown */
	int callchain;           /* how stacks were recorded: 0 none, 1 frame pointers (-g),
	                            2 DWARF unwinding (--call-graph=dwarf); see record.h */

	int nevents;
	lp_event_info events[LP_MAX_EVENTS];

	lp_module *modules;
	size_t nmodules;
	lp_addr *addrs;
	size_t naddrs;
	lp_stack *stacks;
	size_t nstacks;
	lp_loc *frames;
	size_t nframes;
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

/* values: p->nevents entries, or NULL for none. 0 on success, -1 when out of memory. */
int lp_profile_add_sample(lp_profile *p, lp_loc loc, uint64_t samples,
			  const uint64_t *values);
int lp_profile_add_stack(lp_profile *p, const lp_loc *frames, uint32_t depth,
			 uint64_t samples, uint64_t value0);
int lp_profile_add_hits(lp_profile *p, lp_loc loc, uint64_t count);

/* The .lprof file: see lineprof(1), section PROFILE FILE FORMAT. */
int lp_profile_save(const lp_profile *p, const char *path, lp_error *err);
lp_profile *lp_profile_load(const char *path, lp_error *err);
/* The same from size bytes in memory; name stands for the file in messages. */
lp_profile *lp_profile_load_mem(const void *data, size_t size, const char *name, lp_error *err);

#endif
