/*
 * The recorder: runs a command under perf_event sampling and fills a profile.
 * Knows perf_event and processes, nothing of DWARF.
 */
#ifndef LINEPROF_RECORD_H
#define LINEPROF_RECORD_H

#include <stdint.h>
#include <stdio.h>

#include "lineprof/error.h"
#include "lineprof/profile.h"

/* An exact execution counter on one instruction: a uprobe at a file offset. */
typedef struct lp_probe {
	const char *path;
	uint64_t offset;
} lp_probe;

typedef struct lp_record_opts {
	const char *events[LP_MAX_EVENTS]; /* first samples, the rest are read with it */
	int nevents;                       /* 0: "cycles" */
	uint64_t freq;                     /* -F HZ; 0: 4000 unless period is set */
	uint64_t period;                   /* -c PERIOD */
	int callchain;                     /* -g: frame-pointer callchains */
	const lp_probe *probes;            /* --hits */
	size_t nprobes;
	size_t mmap_pages;                 /* data pages per CPU ring (power of 2); 0: default */
	FILE *diag;                        /* one-line notices (fallbacks); NULL: stderr */
} lp_record_opts;

/*
 * Runs argv[0] (looked up in PATH like execvp) with argv, samples it until it
 * exits, and adds everything to prof, including prof->exit_status. SIGINT,
 * SIGTERM and SIGHUP sent to lineprof are forwarded to the target and the
 * profile is still completed. Returns LP_OK, or an lp_status with err set.
 */
int lp_record_run(const lp_record_opts *opts, char *const argv[], lp_profile *prof,
		  lp_error *err);

/* Prints the events this machine can name (libpfm4), for --list-events. */
int lp_record_list_events(FILE *out, lp_error *err);

#endif
