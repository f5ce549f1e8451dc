/*
 * Event names to perf_event_attr (through libpfm4), and the opening of an
 * event group with the fallbacks a machine without a hardware PMU needs.
 * Internal to profiler/.
 */
#ifndef LP_EVENTS_H
#define LP_EVENTS_H

#include <stdio.h>
#include <sys/types.h>
#include <linux/perf_event.h>

#include "lineprof/error.h"
#include "lineprof/profile.h"

typedef struct lp_event {
	char name[LP_EVENT_NAME_MAX];     /* as the user asked: "cycles:pp" */
	char measured[LP_EVENT_NAME_MAX]; /* what is opened: "cpu-clock" after a fallback */
	char base[LP_EVENT_NAME_MAX];     /* name without perf modifiers: "cycles" */
	struct perf_event_attr attr;      /* the encoding; the caller adds sampling bits */
	int user_only;                    /* ":u" was asked for */
	int kernel;                       /* a sampling leader that samples kernel mode too
	                                     where allowed, once it is (or falls back to) a clock */
} lp_event;

/*
 * perf_event_open(2) as a callback, so the fallback decisions can be tested
 * without a PMU: returns an fd, or -1 with errno set, like the syscall.
 */
typedef struct lp_opener {
	int (*open)(struct perf_event_attr *attr, pid_t pid, int cpu, int group_fd,
		    unsigned long flags, void *ctx);
	void *ctx;
} lp_opener;

/* The real syscall, for lp_opener.open. */
int lp_events_sysopen(struct perf_event_attr *attr, pid_t pid, int cpu, int group_fd,
		      unsigned long flags, void *ctx);

/*
 * Encodes name ("cycles", "cpu-clock:u", "cycles:pp", a libpfm4 PMU event)
 * into ev, user space only (the recorder may add kernel mode to a clock
 * leader). LP_EUSAGE for unknown names.
 */
int lp_events_parse(lp_event *ev, const char *name, lp_error *err);

/*
 * Opens ev[0..*nev-1] as one group on (pid, cpu), ev[0] leading, into fds[].
 * With adapt (the first CPU), failures a missing PMU explains are resolved
 * here once, by changing ev[] for the following CPUs: precise_ip is lowered
 * level by level, a hardware leader becomes cpu-clock, a member that cannot
 * be opened is dropped (ev[] compacts, *nev shrinks), attr.build_id and a
 * group read the kernel refuses are given up; each change that alters the
 * data prints one line to diag. A leader with ev->kernel samples kernel mode
 * (exclude_kernel 0) when it is a clock, and falls back to user mode only
 * where the kernel refuses that (EACCES, EPERM: perf_event_paranoid): the
 * caller sees it in ev[0].attr.exclude_kernel and says so.
 * Without adapt every failure is an error.
 * On error nothing stays open.
 */
int lp_events_open_group(lp_event *ev, int *nev, pid_t pid, int cpu, int adapt,
			 int *fds, const lp_opener *op, FILE *diag, lp_error *err);

/* Describes a failed open of what (errno e) as a one-line error. */
int lp_events_open_error(lp_error *err, int e, const char *what, int cpu);

/* Is this attr counted by a hardware PMU (so a missing PMU explains a failure)? */
int lp_events_is_hardware(const struct perf_event_attr *attr);

/* Is it a clock (cpu-clock, task-clock): its periods nanoseconds of CPU time? */
int lp_events_is_clock(const struct perf_event_attr *attr);

int lp_events_list(FILE *out, const lp_opener *op, lp_error *err);

/* Frees libpfm4's tables (pfm_terminate); the next parse or list sets them up again. */
void lp_events_done(void);

/*
 * Can this process count names[0..n-1] as one group (counting, user space)?
 * 1 yes; 0 no, with the index that failed in *failed and its errno in
 * *err_no (ENOENT for a name that does not parse); -1 not allowed.
 */
int lp_events_can_count(const char *const *names, int n, const lp_opener *op, int *failed,
			int *err_no);

/* lineprof --metrics: each derived metric, its inputs, and whether they can be counted here. */
int lp_events_list_metrics(FILE *out, const lp_opener *op, lp_error *err);

#endif
