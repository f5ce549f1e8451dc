/*
 * The recorder: runs a command under perf_event sampling and fills a profile.
 * Knows perf_event and processes, nothing of DWARF.
 */
#ifndef LINEPROF_RECORD_H
#define LINEPROF_RECORD_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "lineprof/error.h"
#include "lineprof/profile.h"

/* An exact execution counter on one instruction: a uprobe at a file offset. */
typedef struct lp_probe {
	const char *path;
	uint64_t offset;
} lp_probe;

/* How call stacks are recorded (lp_record_opts.callchain, lp_profile.callchain). */
enum lp_callchain {
	LP_CALLCHAIN_NONE = 0,
	LP_CALLCHAIN_FP = 1,    /* -g: the kernel walks the frame pointers */
	LP_CALLCHAIN_DWARF = 2, /* --call-graph=dwarf: registers + a stack copy, unwound by us */
};

#define LP_STACK_USER_DEFAULT 8192 /* bytes of user stack per sample, as perf */
#define LP_STACK_USER_MAX 65528    /* the kernel's limit (a record is < 64 KiB) */

/*
 * --call-graph=dwarf: the recorder copies the user registers and the top of
 * the user stack at every sample and hands them to an unwinder that the
 * caller supplies (annotate/ makes one from the ELF files' CFI: see
 * lp_unwinder_new in lineprof/annotate.h). The recorder knows where files
 * are mapped in the target (from the kernel's MMAP2 records), the unwinder
 * knows how to read them: it asks through find_mapping.
 */

/* The user registers of a sample, x86-64, indexed by their psABI DWARF numbers. */
enum lp_reg {
	LP_REG_RAX, LP_REG_RDX, LP_REG_RCX, LP_REG_RBX, LP_REG_RSI, LP_REG_RDI, LP_REG_RBP,
	LP_REG_RSP, LP_REG_R8, LP_REG_R9, LP_REG_R10, LP_REG_R11, LP_REG_R12, LP_REG_R13,
	LP_REG_R14, LP_REG_R15, LP_REG_RIP,
	LP_NREGS
};

/* An executable file mapping of a process: [start, end) maps the file from offset pgoff. */
typedef struct lp_mapping {
	const char *path;                /* valid until the recorder handles the next record */
	uint64_t start, end, pgoff;
	const unsigned char *build_id;   /* from MMAP2, NULL if unknown */
	size_t build_id_len;
} lp_mapping;

typedef struct lp_unwind_sample {
	int pid, tid;
	uint64_t regs[LP_NREGS];         /* valid only if have_regs */
	int have_regs;                   /* 0: no user registers (a 32-bit task...) */
	const unsigned char *stack;      /* the stack's bytes from regs[LP_REG_RSP] on */
	size_t stack_size;               /* how many of them the kernel copied */
	/* The executable file mapping of pid holding addr: 0, or -1 if none. */
	int (*find_mapping)(void *find_ctx, int pid, uint64_t addr, lp_mapping *out);
	void *find_ctx;
} lp_unwind_sample;

typedef struct lp_unwinder {
	/*
	 * Called once per sample: fills ips[0] with the sampled ip and
	 * ips[1..] with the return addresses of the callers, innermost first
	 * (as PERF_SAMPLE_CALLCHAIN would), at most max_ips in all. Returns
	 * how many it filled, >= 1; 0 if it could not start (the recorder then
	 * keeps the sampled ip alone).
	 */
	int (*unwind)(void *ctx, const lp_unwind_sample *s, uint64_t *ips, int max_ips);
	/* pid's address space is gone (exec, exit, a new process reusing the pid). */
	void (*forget)(void *ctx, int pid);
	void *ctx;
} lp_unwinder;

/* Off-CPU recording (lp_record_opts.off_cpu): on by default where the kernel allows it. */
enum lp_off_cpu { LP_OFFCPU_DEFAULT = 0, LP_OFFCPU_ON = 1, LP_OFFCPU_OFF = -1 };

typedef struct lp_record_opts {
	const char *events[LP_MAX_EVENTS]; /* first samples, the rest are read with it */
	int nevents;                       /* 0: "cpu-clock" (a clock: Time is measured) */
	uint64_t freq;                     /* -F HZ; 0: 4000 unless period is set */
	uint64_t period;                   /* -c PERIOD */
	int callchain;                     /* enum lp_callchain: -g, --call-graph=dwarf */
	uint32_t stack_size;               /* dwarf: user stack bytes per sample, a multiple
	                                      of 8; 0: LP_STACK_USER_DEFAULT */
	const lp_unwinder *unwinder;       /* dwarf: required */
	const lp_probe *probes;            /* --hits */
	size_t nprobes;
	size_t mmap_pages;                 /* data pages per CPU ring (power of 2); 0: default
	                                      (128; 512 with dwarf, whose samples are ~8 KiB) */
	FILE *diag;                        /* one-line notices (fallbacks); NULL: stderr */
	const sigset_t *target_sigmask;    /* the target's signal mask at exec; NULL: the caller's
	                                      mask at the call (a caller that blocks signals to
	                                      protect its own saving passes its mask from before) */
	const lp_identity *identity;       /* of the launched process in its job; NULL: unknown */
	int off_cpu;                       /* enum lp_off_cpu: --off-cpu, --no-off-cpu */
} lp_record_opts;

/*
 * Runs argv[0] (looked up in PATH like execvp) with argv, samples it until it
 * exits, and adds everything to prof, including prof->exit_status and the
 * rusage of the whole tree (user_ns, sys_ns). A clock leader also samples
 * kernel mode where perf_event_paranoid allows it (prof->kernel), charging
 * system time to the user ip that entered the kernel; off-CPU time is
 * recorded unless opts->off_cpu is LP_OFFCPU_OFF (prof->off_cpu). What the
 * kernel does not allow is said on opts->diag, and the run goes on. SIGINT,
 * SIGTERM, SIGHUP and SIGQUIT sent to lineprof reach the target once (one
 * sent to the whole process group is not sent again); the second SIGINT or
 * SIGTERM kills the target with SIGKILL. Either way the profile is still
 * completed. The target gets PR_SET_PDEATHSIG (SIGKILL): it dies with
 * lineprof. Returns LP_OK, or an lp_status with err set.
 */
int lp_record_run(const lp_record_opts *opts, char *const argv[], lp_profile *prof,
		  lp_error *err);

/*
 * -p: samples the running processes pids[0..npids) — every thread they
 * have, and the threads and processes they start — until they have all
 * exited, lineprof gets SIGINT, SIGTERM or SIGHUP, or duration seconds
 * have passed (0: no limit), and adds everything to prof. The processes
 * are never signalled, stopped or traced: the events are closed and they
 * run on. Their executable mappings and thread names come from /proc
 * (modules without build-ids: the recorder reads no ELF). exit_status
 * stays -1. Returns LP_OK, or an lp_status with err set naming why a
 * process cannot be profiled.
 */
int lp_record_attach(const lp_record_opts *opts, const int *pids, int npids, double duration,
		     lp_profile *prof, lp_error *err);

/* Prints the events this machine can name (libpfm4), for --list-events. */
int lp_record_list_events(FILE *out, lp_error *err);

/*
 * Prints the derived metrics (lineprof/metric.h), their input events, and
 * whether this machine can count both inputs together, for --metrics.
 */
int lp_record_list_metrics(FILE *out, lp_error *err);

#endif
