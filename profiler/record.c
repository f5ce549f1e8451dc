/*
 * lp_record_run: fork the target, open the events on it, let it exec, drain
 * the rings until it is reaped.
 *
 * Inherited events (so threads and children are profiled) cannot share a
 * per-task ring, so the sampling group is opened once per online CPU for the
 * child pid, each with its own ring, as perf record does. Signals are taken
 * synchronously through a signalfd: no handlers, no globals, and the loop
 * sleeps in one poll() on the rings and the signalfd.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lineprof/record.h"
#include "attach.h"
#include "collect.h"
#include "events.h"
#include "launch.h"
#include "probe.h"
#include "ring.h"

#define DEFAULT_FREQ 4000
/*
 * --call-graph=dwarf: every sample carries a copy of the stack (8 KiB by
 * default), so a ring of the usual 512 KiB holds ~60 samples, 15 ms at
 * 4 kHz. 2 MiB per CPU holds ~240, woken at half of that.
 */
#define DWARF_PAGES 512
#define POLL_MS 100 /* drain at least this often, whatever the watermark */

/* A task the events are opened on: the launched child, or a thread of an attached process. */
typedef struct lp_target {
	pid_t tid;
	int clock_fd;     /* task-clock, counting (inherited: its threads and children too) */
} lp_target;

typedef struct lp_run {
	const lp_record_opts *opts;
	FILE *diag;
	lp_opener op;
	lp_event ev[LP_MAX_EVENTS];
	int nev;
	int *cpus, ncpus;
	lp_target *targets; /* the tasks the events are opened on */
	int ntargets, captargets;
	int *fds;         /* ntargets x ncpus groups of LP_MAX_EVENTS: one per (target, CPU) */
	int *lead;        /* per CPU: the leader fd its ring is mapped on, -1 before */
	lp_ring *rings;   /* 3 x ncpus: per CPU, the sampling ring (every group of that CPU
	                     writes into it), then the tracking rings, then the switch rings;
	                     one not mapped is skipped */
	int nrings;       /* 3 x ncpus */
	int *ring_fd;     /* the fd each ring is mapped on, for poll; -1 none */
	size_t pages;     /* data pages per ring */
	int *trk_fds;     /* launched: the tracking (dummy) event per CPU, or NULL: the leaders track */
	/* Off-CPU: the context-switch event per (target, CPU), ntargets x ncpus. */
	int *sw_fds;
	int off_state;    /* 0 not yet tried, 1 recorded, -1 not (refused, or not asked) */
	struct perf_event_attr sw_attr;
	uint64_t *sw_ids; /* the switch events' ids, for the collector */
	int nsw_ids, capsw_ids;
	unsigned char *sw_ring; /* per ring: it carries switch records */
	lp_probes *probes; /* --hits */
	double hit_lo, hit_hi; /* ns per probe hit, measured before the run; < 0 unknown */
	int sig_fd;
	sigset_t oldmask;
	int masked;
	lp_child child;
	lp_sentinel sentinel;  /* tells a group signal from one sent to lineprof alone */
	int interrupts;        /* SIGINT/SIGTERM received: the second escalates to SIGKILL */
	int released, reaped;
	int ended;        /* the loop is over: the target was reaped, or -p stopped */
	lp_collect *col;
	lp_attach *attach; /* -p: the processes attached to; NULL for a launched command */
	int stop_signal;   /* -p: the signal that ended the recording, 0 none */
	uint64_t deadline; /* -p --duration: when to stop (CLOCK_MONOTONIC ns), 0 never */
	struct rusage self0; /* lineprof's own usage when recording began */
} lp_run;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int read_sysctl(const char *path, long *v)
{
	FILE *f = fopen(path, "r");
	int ok = f && fscanf(f, "%ld", v) == 1;

	if (f)
		fclose(f);
	return ok ? 0 : -1;
}

/* The online CPUs ("0-3,6"), else 0..nproc-1. */
static int online_cpus(lp_run *r, lp_error *err)
{
	FILE *f = fopen("/sys/devices/system/cpu/online", "r");
	long n = sysconf(_SC_NPROCESSORS_CONF);
	int a, b, cap;
	char sep;

	if (n < 1)
		n = 1;
	cap = (int)n + 1;
	r->cpus = calloc((size_t)cap, sizeof(*r->cpus));
	if (!r->cpus) {
		if (f)
			fclose(f);
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	}
	while (f && fscanf(f, "%d", &a) == 1) {
		b = a;
		sep = (char)fgetc(f);
		if (sep == '-') {
			if (fscanf(f, "%d", &b) != 1)
				break;
			sep = (char)fgetc(f);
		}
		for (int c = a; c <= b && r->ncpus < cap; c++)
			r->cpus[r->ncpus++] = c;
		if (sep != ',')
			break;
	}
	if (f)
		fclose(f);
	if (r->ncpus == 0) {
		n = sysconf(_SC_NPROCESSORS_ONLN);
		for (int c = 0; c < n && c < cap; c++)
			r->cpus[r->ncpus++] = c;
	}
	if (r->ncpus == 0)
		r->cpus[r->ncpus++] = 0; /* nothing readable: the CPU we run on exists */
	return LP_OK;
}

static int check_opts(const lp_record_opts *o, lp_error *err)
{
	long max;

	if (o->nevents < 0 || o->nevents > LP_MAX_EVENTS)
		return lp_error_set(err, LP_EUSAGE, "lineprof: at most %d events (-e)", LP_MAX_EVENTS);
	if (o->freq && o->period)
		return lp_error_set(err, LP_EUSAGE,
				    "lineprof: -F (frequency) and -c (period) exclude each other");
	if (o->callchain < LP_CALLCHAIN_NONE || o->callchain > LP_CALLCHAIN_DWARF)
		return lp_error_set(err, LP_EUSAGE, "lineprof: unknown call-graph mode %d", o->callchain);
	if (o->callchain == LP_CALLCHAIN_DWARF && !lp_collect_regs_mask())
		return lp_error_set(err, LP_EUSAGE,
				    "lineprof: --call-graph=dwarf is not supported on this architecture "
				    "yet (x86-64 only): use -g");
	if (o->callchain == LP_CALLCHAIN_DWARF && !o->unwinder)
		return lp_error_set(err, LP_EUSAGE, "lineprof: --call-graph=dwarf needs an unwinder");
	if (o->callchain == LP_CALLCHAIN_DWARF &&
	    (o->stack_size % 8 || o->stack_size > LP_STACK_USER_MAX))
		return lp_error_set(err, LP_EUSAGE,
				    "lineprof: the stack size of --call-graph=dwarf must be a multiple of 8 "
				    "from 8 to %d bytes, not %lu", LP_STACK_USER_MAX,
				    (unsigned long)o->stack_size);
	if (o->mmap_pages && (o->mmap_pages & (o->mmap_pages - 1)))
		return lp_error_set(err, LP_EUSAGE,
			"lineprof: the buffer size must be a power of two pages, not %zu", o->mmap_pages);
	/* The kernel refuses a frequency above its limit with a bare EINVAL. */
	if (o->freq && read_sysctl("/proc/sys/kernel/perf_event_max_sample_rate", &max) == 0 &&
	    o->freq > (uint64_t)max)
		return lp_error_set(err, LP_EUSAGE,
			"lineprof: -F %llu is above this kernel's limit of %ld Hz "
			"(/proc/sys/kernel/perf_event_max_sample_rate)", (unsigned long long)o->freq, max);
	return LP_OK;
}

/*
 * The bytes of ring this user may lock: the kernel allows perf_event_mlock_kb
 * per CPU, then charges RLIMIT_MEMLOCK. UINT64_MAX where nothing limits it
 * (root, an unlimited rlimit) or the sysctl cannot be read.
 */
static uint64_t lock_budget(const lp_run *r)
{
	struct rlimit rl;
	long kb;

	if (geteuid() == 0 || read_sysctl("/proc/sys/kernel/perf_event_mlock_kb", &kb) ||
	    getrlimit(RLIMIT_MEMLOCK, &rl) || rl.rlim_cur == RLIM_INFINITY)
		return UINT64_MAX;
	return (uint64_t)kb * 1024 * (uint64_t)r->ncpus + (uint64_t)rl.rlim_cur;
}

/* Bytes locked by one ring of `pages` data pages on every CPU (plus each ring's header page). */
static uint64_t rings_bytes(const lp_run *r, size_t pages)
{
	return ((uint64_t)pages + 1) * (uint64_t)sysconf(_SC_PAGESIZE) * (uint64_t)r->ncpus;
}

/*
 * Data pages per ring: the user's, else the mode's default. The bigger
 * dwarf default is cut to what the user may lock (lock_budget), so it does
 * not fail where the usual size would not.
 */
static size_t ring_pages(const lp_run *r)
{
	uint64_t budget = lock_budget(r);
	size_t pages = DWARF_PAGES;

	if (r->opts->mmap_pages)
		return r->opts->mmap_pages;
	if (r->opts->callchain != LP_CALLCHAIN_DWARF)
		return LP_RING_DEFAULT_PAGES;
	while (pages > LP_RING_DEFAULT_PAGES && rings_bytes(r, pages) > budget)
		pages /= 2;
	return pages;
}

/* The user registers every sample carries: the unwinder's with dwarf, else IP, SP, BP. */
static uint64_t regs_mask(const lp_run *r)
{
	return r->opts->callchain == LP_CALLCHAIN_DWARF ? lp_collect_regs_mask()
							: lp_collect_regs_mask_min();
}

/*
 * The sampling leader and its counting members, before any fallback.
 * Every sample carries the user registers, so that one taken in kernel
 * mode is charged to the user ip that entered the kernel; a clock leader
 * asks for kernel mode (lp_events_open_group gives it up where not
 * allowed). With off-CPU recording the context-switch event shares the
 * rings: PERF_SAMPLE_IDENTIFIER tells their samples apart.
 */
static void configure(lp_run *r, size_t ring_bytes)
{
	const lp_record_opts *o = r->opts;
	uint64_t st = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_PERIOD;
	uint64_t regs = regs_mask(r);

	if (o->callchain == LP_CALLCHAIN_FP)
		st |= PERF_SAMPLE_CALLCHAIN;
	else if (o->callchain == LP_CALLCHAIN_DWARF)
		st |= PERF_SAMPLE_STACK_USER;
	if (regs)
		st |= PERF_SAMPLE_REGS_USER;
	if (regs && o->off_cpu != LP_OFFCPU_OFF)
		st |= PERF_SAMPLE_IDENTIFIER;
	r->ev[0].kernel = regs != 0 && !r->ev[0].user_only;
	if (r->nev > 1)
		st |= PERF_SAMPLE_READ; /* with inherit: Linux >= 6.12, needs SAMPLE_TID */
	for (int i = 0; i < r->nev; i++) {
		struct perf_event_attr *a = &r->ev[i].attr;

		a->inherit = 1;
		a->sample_type = st;
		a->read_format = r->nev > 1 ? PERF_FORMAT_GROUP | PERF_FORMAT_ID : 0;
		a->exclude_kernel = !(i == 0 && r->ev[0].kernel && lp_events_is_clock(a));
		a->exclude_hv = 1;
		a->exclude_callchain_kernel = 1;
		a->sample_regs_user = regs;
		if (o->callchain == LP_CALLCHAIN_DWARF)
			a->sample_stack_user = o->stack_size ? o->stack_size : LP_STACK_USER_DEFAULT;
		if (i > 0) {
			/* Members follow the leader: enabled with it, read at its samples. */
			a->disabled = 0;
			a->sample_period = 0;
			continue;
		}
		/*
		 * A launched target starts counting at its exec. Attached ones from
		 * the open on: a thread they start while followed is then announced
		 * by a FORK record, which tells it from one that needs events of its own.
		 */
		a->disabled = !r->attach;
		a->enable_on_exec = !r->attach;
		if (o->period) {
			a->sample_period = o->period;
		} else {
			a->freq = 1;
			a->sample_freq = o->freq ? o->freq : DEFAULT_FREQ;
		}
		a->mmap = a->mmap2 = a->comm = a->comm_exec = a->task = 1;
		a->sample_id_all = 1;
		a->build_id = 1; /* Linux >= 5.12; dropped on EINVAL by lp_events_open_group */
		a->watermark = 1;
		a->wakeup_watermark = (uint32_t)(ring_bytes / 2);
	}
}

/*
 * --hits: the probes, then what one hit costs here, said before the target
 * starts: a line run 10^8 times under a 2 us probe is minutes of overhead.
 */
static int open_probes(lp_run *r, pid_t pid, lp_error *err)
{
	size_t n = r->opts->nprobes;
	int rc = lp_probes_open(&r->probes, r->opts->probes, n, pid, &r->op, err);

	if (rc != LP_OK)
		return rc;
	lp_probes_calibrate(r->probes, &r->hit_lo, &r->hit_hi);
	fprintf(r->diag, "lineprof: --hits: %zu probe%s through %s (%s); ", n, n == 1 ? "" : "s",
		lp_probes_how(r->probes),
		lp_probes_inherited(r->probes) ? "every thread and child" : "main thread only");
	if (r->hit_hi > 0)
		fprintf(r->diag, "each hit costs ~%.1f-%.1f us here, so a line run 10 million times "
			"adds ~%.0f-%.0f s\n", r->hit_lo * 1e-3, r->hit_hi * 1e-3, r->hit_lo * 1e-2,
			r->hit_hi * 1e-2);
	else
		fprintf(r->diag, "the cost of a hit could not be measured here (typically 1-10 us)\n");
	fflush(r->diag);
	return LP_OK;
}

/* The target's whole CPU time (user and system), counted, for the header. */
static int open_counter(lp_run *r, lp_target *t, lp_error *err)
{
	struct perf_event_attr a;
	int e;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_TASK_CLOCK;
	a.disabled = !r->attach;
	a.enable_on_exec = !r->attach;
	a.inherit = 1;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	a.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
	t->clock_fd = r->op.open(&a, t->tid, -1, -1, PERF_FLAG_FD_CLOEXEC, r->op.ctx);
	if (t->clock_fd < 0) {
		e = errno;
		return lp_events_open_error(err, e, "task-clock", -1);
	}
	return LP_OK;
}

static int *group_fds(lp_run *r, int target, int c)
{
	return &r->fds[((size_t)target * (size_t)r->ncpus + (size_t)c) * LP_MAX_EVENTS];
}

static int *switch_fds(lp_run *r, int target)
{
	return &r->sw_fds[(size_t)target * (size_t)r->ncpus];
}

/* What perf_event_paranoid allows, for the lines that say why something is not recorded. */
static void say_not_allowed(lp_run *r, const char *what)
{
	long p = 0;
	char val[32] = "unreadable";

	if (read_sysctl("/proc/sys/kernel/perf_event_paranoid", &p) == 0)
		snprintf(val, sizeof(val), "%ld", p);
	fprintf(r->diag, "lineprof: %s not recorded: kernel samples are not allowed here "
		"(kernel.perf_event_paranoid is %s); `sysctl -w kernel.perf_event_paranoid=1` "
		"or running as root (CAP_PERFMON) allows them; the system time is said, "
		"not charged to lines\n", what, val);
	fflush(r->diag);
}

/*
 * The switch ring's pages: as asked with --mmap-pages, else at least 2 MiB
 * per CPU, because switch records come in bursts that do not follow -F (a
 * ping-pong writes ~14 MB/s) and a loaded machine may keep lineprof from
 * draining for tens of milliseconds.
 */
#define SWITCH_PAGES 512

static size_t switch_pages(const lp_run *r, size_t pages)
{
	return r->opts->mmap_pages || pages >= SWITCH_PAGES ? pages : SWITCH_PAGES;
}

/*
 * Off-CPU: the context-switch event, sampled at every switch-out (in
 * kernel mode: its user registers, or user stack, say where the thread
 * was), with PERF_RECORD_SWITCH records for the switch-ins. Opened per
 * target and CPU like the sampling group; its sample_id_all trailer is laid
 * out as the leader's (TID, TIME, IDENTIFIER), so its records can share a
 * ring.
 */
static void switch_attr(lp_run *r)
{
	const struct perf_event_attr *lead = &r->ev[0].attr;
	struct perf_event_attr *a = &r->sw_attr;

	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->type = PERF_TYPE_SOFTWARE;
	a->config = PERF_COUNT_SW_CONTEXT_SWITCHES;
	a->sample_period = 1;
	a->sample_type = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID |
			 PERF_SAMPLE_TIME | PERF_SAMPLE_REGS_USER |
			 (lead->sample_type & (PERF_SAMPLE_CALLCHAIN | PERF_SAMPLE_STACK_USER));
	a->sample_regs_user = lead->sample_regs_user;
	a->sample_stack_user = lead->sample_stack_user;
	a->exclude_kernel = 0; /* its samples are all in the kernel, in the scheduler */
	a->exclude_hv = 1;
	a->exclude_callchain_kernel = 1;
	a->inherit = 1;
	a->context_switch = 1;
	a->sample_id_all = 1;
	a->disabled = !r->attach; /* as the leader: see configure() */
	a->enable_on_exec = !r->attach;
	a->watermark = 1;
	a->wakeup_watermark = (uint32_t)(switch_pages(r, r->pages) * (size_t)sysconf(_SC_PAGESIZE) / 2);
}

/* Tells the collector the switch events' ids and the rings that carry them. */
static int push_switch(lp_run *r)
{
	if (!r->col || r->off_state <= 0)
		return 0;
	if (lp_collect_set_switch(r->col, r->sw_attr.sample_type, r->sw_ids, r->nsw_ids))
		return -1;
	for (int i = 0; i < r->nrings; i++)
		if (r->sw_ring[i] && lp_collect_switch_ring(r->col, i))
			return -1;
	return 0;
}

static int add_switch_id(lp_run *r, uint64_t id)
{
	if (r->nsw_ids == r->capsw_ids) {
		int cap = r->capsw_ids ? 2 * r->capsw_ids : 16;
		uint64_t *n = realloc(r->sw_ids, (size_t)cap * sizeof(*n));

		if (!n)
			return -1;
		r->sw_ids = n;
		r->capsw_ids = cap;
	}
	r->sw_ids[r->nsw_ids++] = id;
	return 0;
}

/*
 * Target n's context-switch event on CPU c, into the CPU's switch ring.
 * That ring is the CPU's first switch event's own where memory allows: a
 * program that switches 100k times a second (an MPI job starting, a
 * ping-pong) would otherwise fill the sampling ring, and the kernel would
 * drop CPU samples and MMAP records with the switches (later samples in a
 * library whose mapping was dropped cannot be placed). Where it cannot be
 * mapped (an unprivileged user's locked-memory limit), the switches go to
 * the CPU's sampling ring. 0, or an errno with *step saying what failed.
 */
static int open_switch_on(lp_run *r, int n, pid_t tid, int c, const char **step)
{
	int *sw = switch_fds(r, n), ring = 2 * r->ncpus + c, out = -1;
	uint64_t id;
	lp_error merr = { 0 };

	*step = "open";
	sw[c] = r->op.open(&r->sw_attr, tid, r->cpus[c], -1, PERF_FLAG_FD_CLOEXEC, r->op.ctx);
	if (sw[c] < 0)
		return errno;
	*step = "identify";
	if (ioctl(sw[c], PERF_EVENT_IOC_ID, &id))
		return errno;
	if (add_switch_id(r, id))
		return ENOMEM;
	if (r->ring_fd[ring] >= 0) {
		out = r->ring_fd[ring];
	} else if (r->sw_ring[c]) {
		out = r->lead[c]; /* decided by the CPU's first: its sampling ring carries them */
	} else if (lp_ring_map(&r->rings[ring], sw[c], switch_pages(r, r->pages), &merr) == LP_OK) {
		r->ring_fd[ring] = sw[c];
		r->sw_ring[ring] = 1;
	} else {
		out = r->lead[c];
		r->sw_ring[c] = 1;
	}
	*step = "give a ring to";
	if (out >= 0 && ioctl(sw[c], PERF_EVENT_IOC_SET_OUTPUT, out))
		return errno;
	return 0;
}

/* Closes target n's switch events; a switch ring mapped on one of them goes too. */
static void close_switch(lp_run *r, int n)
{
	int *sw = switch_fds(r, n);

	for (int c = 0; c < r->ncpus; c++) {
		int ring = 2 * r->ncpus + c;

		if (sw[c] >= 0 && sw[c] == r->ring_fd[ring]) {
			lp_ring_free(&r->rings[ring]);
			r->ring_fd[ring] = -1;
			r->sw_ring[ring] = 0;
		}
		if (sw[c] >= 0)
			close(sw[c]), sw[c] = -1;
	}
}

/*
 * Off-CPU for target n on every CPU. The first target decides: refused
 * there, one line says why and the run goes on without it (Time and Sys
 * only); refused for a later target, it is an error like its sampling
 * group's.
 */
static int open_switch(lp_run *r, int n, pid_t tid, lp_error *err)
{
	const char *step = "open";
	int e = 0;

	for (int c = 0; c < r->ncpus; c++)
		switch_fds(r, n)[c] = -1;
	if (r->off_state < 0)
		return LP_OK;
	for (int c = 0; c < r->ncpus && !e; c++)
		e = open_switch_on(r, n, tid, c, &step);
	if (!e) {
		r->off_state = 1;
		return push_switch(r) ? lp_error_set(err, LP_EFAIL, "lineprof: out of memory") : LP_OK;
	}
	if (r->off_state > 0)
		return e == ENOMEM ? lp_error_set(err, LP_EFAIL, "lineprof: out of memory")
				   : lp_events_open_error(err, e, "context-switches", -1);
	close_switch(r, n);
	memset(r->sw_ring, 0, (size_t)r->nrings);
	r->nsw_ids = 0;
	r->off_state = -1;
	if (e == EACCES || e == EPERM) {
		say_not_allowed(r, "Off-CPU time");
	} else {
		fprintf(r->diag, "lineprof: Off-CPU time not recorded: this kernel would not %s the "
			"context-switch event (%s); Time%s only\n", step, strerror(e),
			r->ev[0].attr.exclude_kernel ? "" : " and Sys");
		fflush(r->diag);
	}
	return LP_OK;
}

/*
 * Whether off-CPU is tried, decided once, when the first target's sampling
 * group is open (its fallbacks known): not without user registers or
 * identifiers, nor where the clock was refused kernel mode (the switch
 * event would be too), which is said.
 */
static void decide_off(lp_run *r)
{
	if (r->off_state)
		return;
	r->off_state = -1;
	if (!regs_mask(r) && !r->ev[0].user_only) {
		/* No user registers to find the user ip of a kernel-mode sample or a switch. */
		fprintf(r->diag, "lineprof: Sys and Off-CPU time are not supported yet on this "
			"architecture (x86-64 only): user CPU time only\n");
		fflush(r->diag);
		return;
	}
	/* A clock that may not see the kernel: its system time goes unattributed, and is said. */
	if (r->ev[0].kernel && lp_events_is_clock(&r->ev[0].attr) && r->ev[0].attr.exclude_kernel) {
		say_not_allowed(r, r->opts->off_cpu == LP_OFFCPU_OFF ? "Sys time"
								      : "Sys and Off-CPU time");
		return;
	}
	if (r->opts->off_cpu == LP_OFFCPU_OFF || !(r->ev[0].attr.sample_type & PERF_SAMPLE_IDENTIFIER))
		return;
	switch_attr(r);
	r->off_state = 0;
}


/* Closes target's groups; a ring mapped on one of them goes too (it was the CPU's first). */
static void close_target(lp_run *r, int target)
{
	for (int c = 0; c < r->ncpus; c++) {
		int *fds = group_fds(r, target, c);

		if (fds[0] >= 0 && fds[0] == r->lead[c]) {
			lp_ring_free(&r->rings[c]);
			r->lead[c] = r->ring_fd[c] = -1;
		}
		for (int i = 0; i < LP_MAX_EVENTS; i++)
			if (fds[i] >= 0)
				close(fds[i]), fds[i] = -1;
	}
	if (r->sw_fds)
		close_switch(r, target);
	if (r->targets[target].clock_fd >= 0)
		close(r->targets[target].clock_fd);
	r->targets[target].clock_fd = -1;
}

/*
 * The sampling group of task tid on every CPU, and its counter. A CPU's
 * first group maps the CPU's ring; the groups of later targets write into
 * it (PERF_EVENT_IOC_SET_OUTPUT), as perf record does: inherited events
 * cannot share a per-task ring, a per-CPU one they can. The first group of
 * the run decides the events' fallbacks. On error the target is closed.
 */
static int open_target(lp_run *r, pid_t tid, lp_error *err)
{
	int n = r->ntargets, rc = LP_OK;
	lp_target *t;

	if (n == r->captargets) {
		int cap = r->captargets ? 2 * r->captargets : 1;
		lp_target *nt = realloc(r->targets, (size_t)cap * sizeof(*nt));
		int *nf = nt ? realloc(r->fds, (size_t)cap * (size_t)r->ncpus * LP_MAX_EVENTS *
				       sizeof(*nf)) : NULL;
		int *ns = nf ? realloc(r->sw_fds, (size_t)cap * (size_t)r->ncpus * sizeof(*ns)) : NULL;

		if (nt)
			r->targets = nt;
		if (nf)
			r->fds = nf;
		if (!ns)
			return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
		r->sw_fds = ns;
		r->captargets = cap;
	}
	t = &r->targets[n];
	t->tid = tid;
	t->clock_fd = -1;
	r->ntargets++;
	for (int c = 0; c < r->ncpus; c++) {
		switch_fds(r, n)[c] = -1;
		for (int i = 0; i < LP_MAX_EVENTS; i++)
			group_fds(r, n, c)[i] = -1;
	}
	for (int c = 0; c < r->ncpus && rc == LP_OK; c++) {
		int *fds = group_fds(r, n, c);

		rc = lp_events_open_group(r->ev, &r->nev, tid, r->cpus[c], n == 0 && c == 0, fds,
					  &r->op, r->diag, err);
		if (rc != LP_OK)
			break;
		if (r->lead[c] < 0) {
			rc = lp_ring_map(&r->rings[c], fds[0], r->pages, err);
			if (rc == LP_OK)
				r->lead[c] = r->ring_fd[c] = fds[0];
		} else if (ioctl(fds[0], PERF_EVENT_IOC_SET_OUTPUT, r->lead[c]) < 0) {
			rc = lp_error_set(err, LP_EFAIL, "lineprof: cannot share the ring of CPU %d: %s",
					  r->cpus[c], strerror(errno));
		}
	}
	if (rc == LP_OK) {
		decide_off(r);
		rc = open_switch(r, n, tid, err);
	}
	if (rc == LP_OK)
		rc = open_counter(r, t, err);
	if (rc != LP_OK) {
		close_target(r, n);
		r->ntargets--;
	}
	return rc;
}

/* What the profile says of its events, and the collector that fills it. */
static int describe_events(lp_run *r, lp_profile *prof, lp_error *err)
{
	prof->nevents = r->nev;
	prof->callchain = r->opts->callchain;
	for (int i = 0; i < r->nev; i++) {
		lp_event_info *info = &prof->events[i];

		memset(info, 0, sizeof(*info));
		memcpy(info->name, r->ev[i].name, sizeof(info->name));
		memcpy(info->measured, r->ev[i].measured, sizeof(info->measured));
		if (i == 0 && r->ev[0].attr.freq)
			info->freq = r->ev[0].attr.sample_freq;
		else if (i == 0)
			info->period = r->ev[0].attr.sample_period;
	}
	/* The identity (rank, job) is lineprof's launch's: an attached process has its own. */
	r->col = lp_collect_new(prof, r->ev[0].attr.sample_type, r->ev[0].attr.read_format,
				r->attach ? NULL : r->opts->identity);
	if (!r->col || (r->opts->callchain == LP_CALLCHAIN_DWARF &&
			lp_collect_set_unwinder(r->col, r->opts->unwinder,
						r->ev[0].attr.sample_regs_user)))
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	lp_collect_set_regs(r->col, r->ev[0].attr.sample_regs_user);
	prof->kernel = !r->ev[0].attr.exclude_kernel;
	prof->off_cpu = r->off_state > 0;
	if (push_switch(r))
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	return LP_OK;
}

/* The rings, three per CPU (see lp_run), mapped by the first target opened on each. */
static int alloc_rings(lp_run *r, lp_error *err)
{
	r->nrings = 3 * r->ncpus;
	r->lead = malloc((size_t)r->ncpus * sizeof(*r->lead));
	r->rings = calloc((size_t)r->nrings, sizeof(*r->rings));
	r->ring_fd = malloc((size_t)r->nrings * sizeof(*r->ring_fd));
	r->sw_ring = calloc((size_t)r->nrings, 1);
	if (!r->lead || !r->rings || !r->ring_fd || !r->sw_ring)
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	for (int c = 0; c < r->ncpus; c++)
		r->lead[c] = -1;
	for (int i = 0; i < r->nrings; i++)
		r->ring_fd[i] = -1;
	return LP_OK;
}

#define TRACK_PAGES 16 /* 64 KiB: mappings, names, forks and exits are few */

static void close_tracking(lp_run *r)
{
	for (int c = 0; r->trk_fds && c < r->ncpus; c++)
		if (r->trk_fds[c] >= 0)
			close(r->trk_fds[c]);
	free(r->trk_fds);
	r->trk_fds = NULL;
}

/*
 * The side-band records (MMAP2, COMM, FORK, EXIT) in rings of their own,
 * from a dummy event per CPU, as perf does: samples come in floods (a
 * dwarf sample is ~8 KiB; a busy MPI job switches thousands of times a
 * second) and a full ring drops whatever comes next, but a dropped sample
 * only loses itself, while a dropped MMAP2 leaves every later sample in
 * that library unplaceable and unwindable. Where any of them cannot be
 * opened or mapped, none is used and the leaders track, as before; also
 * where they and the sampling rings would not fit in what the user may lock,
 * since they are mapped first and would leave the sampling rings unmappable.
 * Before the leaders are opened, since they then carry no tracking bits.
 * A launched target only: -p opens events per thread, each would need its
 * own dummies, and the leaders track there.
 */
static void open_tracking(lp_run *r, pid_t pid)
{
	struct perf_event_attr *lead = &r->ev[0].attr;
	struct perf_event_attr a;
	int ok = 1;

	if (rings_bytes(r, r->pages) + rings_bytes(r, TRACK_PAGES) > lock_budget(r))
		return;
	r->trk_fds = malloc((size_t)r->ncpus * sizeof(*r->trk_fds));
	if (!r->trk_fds)
		return;
	for (int c = 0; c < r->ncpus; c++)
		r->trk_fds[c] = -1;
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_DUMMY;
	/* Only the bits the sample_id_all trailer is made of: the same layout as every event's. */
	a.sample_type = lead->sample_type & (PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_ID |
					    PERF_SAMPLE_STREAM_ID | PERF_SAMPLE_CPU |
					    PERF_SAMPLE_IDENTIFIER);
	a.mmap = a.mmap2 = a.comm = a.comm_exec = a.task = 1;
	a.sample_id_all = 1;
	a.build_id = 1;
	a.inherit = 1;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	a.disabled = 1;
	a.enable_on_exec = 1;
	a.watermark = 1;
	a.wakeup_watermark = (uint32_t)(TRACK_PAGES * (size_t)sysconf(_SC_PAGESIZE) / 4);
	for (int c = 0; c < r->ncpus && ok; c++) {
		lp_error merr = { 0 };
		int fd = r->op.open(&a, pid, r->cpus[c], -1, PERF_FLAG_FD_CLOEXEC, r->op.ctx);

		if (fd < 0 && errno == EINVAL && a.build_id) {
			a.build_id = 0; /* Linux < 5.12 */
			fd = r->op.open(&a, pid, r->cpus[c], -1, PERF_FLAG_FD_CLOEXEC, r->op.ctx);
		}
		r->trk_fds[c] = fd;
		ok = fd >= 0 && lp_ring_map(&r->rings[r->ncpus + c], fd, TRACK_PAGES, &merr) == LP_OK;
	}
	if (ok) {
		for (int c = 0; c < r->ncpus; c++)
			r->ring_fd[r->ncpus + c] = r->trk_fds[c];
		lead->mmap = lead->mmap2 = lead->comm = lead->comm_exec = lead->task = 0;
		lead->build_id = 0;
		return;
	}
	for (int c = 0; c < r->ncpus; c++)
		if (r->rings[r->ncpus + c].meta)
			lp_ring_free(&r->rings[r->ncpus + c]);
	close_tracking(r);
}

static int open_events(lp_run *r, lp_profile *prof, lp_error *err)
{
	pid_t pid = r->child.pid;
	int rc;

	if ((rc = alloc_rings(r, err)) != LP_OK)
		return rc;
	open_tracking(r, pid);
	if ((rc = open_target(r, pid, err)) != LP_OK || (rc = describe_events(r, prof, err)) != LP_OK)
		return rc;
	if (r->opts->nprobes)
		return open_probes(r, pid, err);
	return LP_OK;
}

/*
 * A signal for lineprof is meant for the target, once. One sent to the whole
 * process group (the terminal's ^C, kill -INT -PGID, kill(0, ...)) already
 * reached the target when it shares our group: sending it again would make
 * a program that counts its ^C see two. The sentinel tells which it was.
 *
 * The second SIGINT or SIGTERM, from anyone, is the user insisting: the
 * target may ignore or mishandle the first, and lineprof must never be
 * killable only by SIGKILL (which would lose the profile). It gets SIGKILL,
 * and the run ends as with any other kill: the profile is saved and reported.
 */
static void forward(lp_run *r, const struct signalfd_siginfo *si)
{
	int sig = (int)si->ssi_signo, group;

	if (sig == SIGCHLD || r->reaped)
		return;
	if ((sig == SIGINT || sig == SIGTERM) && ++r->interrupts >= 2) {
		fprintf(r->diag, "lineprof: %s again: killing the target (SIGKILL); the profile is "
			"still saved\n", strsignal(sig));
		fflush(r->diag);
		kill(r->child.pid, SIGKILL);
		return;
	}
	group = lp_sentinel_got(&r->sentinel, sig);
	/* Without the sentinel's answer, a tty signal is still known to be a group one. */
	if (group < 0)
		group = si->ssi_code == SI_KERNEL;
	if (group && getpgid(r->child.pid) == getpgrp())
		return;
	kill(r->child.pid, sig);
}

static void read_signals(lp_run *r, int act)
{
	struct signalfd_siginfo si[8];
	ssize_t n;

	while ((n = read(r->sig_fd, si, sizeof(si))) > 0) {
		for (size_t i = 0; act && i < (size_t)n / sizeof(si[0]); i++) {
			/* -p: a signal for lineprof ends the recording; the processes are not ours. */
			if (r->attach && si[i].ssi_signo != SIGCHLD && !r->stop_signal)
				r->stop_signal = (int)si[i].ssi_signo;
			else if (!r->attach)
				forward(r, &si[i]);
		}
	}
}

static uint64_t tv_ns(struct timeval tv)
{
	return (uint64_t)tv.tv_sec * 1000000000u + (uint64_t)tv.tv_usec * 1000u;
}

/* wait4: the exit status, and the user/system split of the whole tree's CPU time. */
static int try_reap(lp_run *r, lp_profile *prof)
{
	int status;
	struct rusage ru;
	pid_t p = wait4(r->child.pid, &status, WNOHANG, &ru);

	if (p == r->child.pid) {
		prof->exit_status = status;
		prof->user_ns = tv_ns(ru.ru_utime);
		prof->sys_ns = tv_ns(ru.ru_stime);
		r->reaped = 1;
	} else if (p < 0 && errno == ECHILD) {
		/* SIGCHLD ignored by our caller: the kernel reaped it for us. */
		prof->exit_status = -1;
		r->reaped = 1;
	}
	return r->reaped;
}

/* -p: over when every process has exited, at a signal, or at --duration. */
static int attach_ended(lp_run *r, struct pollfd *pidfds)
{
	int running = lp_attach_check(r->attach, pidfds, r->diag);

	lp_attach_pollfds(r->attach, pidfds);
	return running == 0 || r->stop_signal || (r->deadline && now_ns() >= r->deadline);
}

/* Until the next drain: POLL_MS, or less to --duration's end. */
static int poll_ms(const lp_run *r)
{
	uint64_t now = now_ns(), left;

	if (!r->deadline)
		return POLL_MS;
	left = r->deadline > now ? (r->deadline - now + 999999) / 1000000 : 0;
	return left < POLL_MS ? (int)left : POLL_MS;
}

static int event_loop(lp_run *r, lp_profile *prof, uint64_t t0, lp_error *err)
{
	int nx = r->attach ? r->attach->nprocs : 0;
	struct pollfd *pfd = calloc((size_t)(r->nrings + 1 + nx), sizeof(*pfd));
	int rc = LP_OK;

	if (!pfd)
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	pfd[0].fd = r->sig_fd;
	pfd[0].events = POLLIN;
	for (int c = 0; c < r->nrings; c++) {
		pfd[c + 1].fd = r->ring_fd[c]; /* -1, a ring not mapped: poll skips it */
		pfd[c + 1].events = POLLIN;
	}
	if (r->attach)
		lp_attach_pollfds(r->attach, pfd + 1 + r->nrings);
	while (rc == LP_OK && !r->ended) {
		if (poll(pfd, (nfds_t)(r->nrings + 1 + nx), poll_ms(r)) < 0 && errno != EINTR) {
			rc = lp_error_set(err, LP_EFAIL, "lineprof: poll: %s", strerror(errno));
			break;
		}
		/* A ring hangs up when its task exits; inherited copies may still write. */
		for (int c = 1; c <= r->nrings; c++)
			if (pfd[c].revents & (POLLHUP | POLLERR))
				pfd[c].fd = -1;
		read_signals(r, 1);
		r->ended = r->attach ? attach_ended(r, pfd + 1 + r->nrings) : try_reap(r, prof);
		if (r->ended)
			prof->wall_ns = now_ns() - t0;
		rc = lp_collect_drain(r->col, r->rings, r->nrings, err);
	}
	free(pfd);
	if (rc == LP_OK)
		rc = lp_collect_drain(r->col, r->rings, r->nrings, err);
	return rc;
}

static double ru_cpu(const struct rusage *ru)
{
	return (double)ru->ru_utime.tv_sec + (double)ru->ru_utime.tv_usec * 1e-6 +
	       (double)ru->ru_stime.tv_sec + (double)ru->ru_stime.tv_usec * 1e-6;
}

/*
 * What recording cost lineprof itself, said when it is not small: the
 * off-CPU records grow with the target's switch rate, not with -F. And
 * waits whose end was dropped with the ring's lost records.
 */
static void say_cost(lp_run *r, const lp_profile *prof)
{
	struct rusage now;
	lp_collect_stats st;
	double own, target = (double)prof->task_clock_ns * 1e-9;

	lp_collect_stats_of(r->col, &st);
	if (st.off.lost_end)
		fprintf(r->diag, "lineprof: %llu waits off the CPU lost their end with dropped records: "
			"not counted (--mmap-pages raises the buffers)\n",
			(unsigned long long)st.off.lost_end);
	if (getrusage(RUSAGE_SELF, &now))
		return;
	own = ru_cpu(&now) - ru_cpu(&r->self0);
	if (own < 0.05 || own < 0.05 * target)
		return;
	fprintf(r->diag, "lineprof: recording took %.2f s of lineprof's own CPU (%.0f %% of the "
		"target's %.2f s)", own, target > 0 ? 100.0 * own / target : 0.0, target);
	if (prof->off_cpu)
		fprintf(r->diag, "; %llu context switches were recorded (--no-off-cpu records none)",
			(unsigned long long)st.off.switches);
	fputc('\n', r->diag);
}

/* The targets' CPU time: each counter holds its task's and those it started. */
static int read_clocks(lp_run *r, lp_profile *prof, lp_error *err)
{
	prof->task_clock_ns = 0;
	for (int t = 0; t < r->ntargets; t++) {
		uint64_t v[3] = {0, 0, 0};

		if (read(r->targets[t].clock_fd, v, sizeof(v)) != (ssize_t)sizeof(v))
			return lp_error_set(err, LP_EFAIL, "lineprof: cannot read task-clock: %s",
					    strerror(errno));
		prof->task_clock_ns += v[0];
	}
	return LP_OK;
}

static int finish(lp_run *r, lp_profile *prof, lp_error *err)
{
	uint64_t hits = 0;
	int rc;

	if ((rc = read_clocks(r, prof, err)) != LP_OK)
		return rc;
	say_cost(r, prof);
	if (!r->opts->nprobes)
		return LP_OK;
	if (!lp_probes_inherited(r->probes) && lp_collect_forks(r->col))
		fprintf(r->diag, "lineprof: --hits counted the target's main thread only, not the "
			"%llu threads/processes it started (inherited uprobe PMU counters break "
			"fork() in the kernel; as root, lineprof uses tracefs instead)\n",
			(unsigned long long)lp_collect_forks(r->col));
	rc = lp_probes_collect(r->probes, prof, &hits, err);
	if (rc == LP_OK && r->hit_hi > 0) {
		double lo = (double)hits * r->hit_lo * 1e-9, hi = (double)hits * r->hit_hi * 1e-9;
		double cpu = (double)prof->task_clock_ns * 1e-9;

		fprintf(r->diag, "lineprof: --hits: %llu probe hits x %.1f-%.1f us (measured before "
			"the run) = ~%.3f-%.3f s of the target's %.3f s of CPU time; Time includes it\n",
			(unsigned long long)hits, r->hit_lo * 1e-3, r->hit_hi * 1e-3, lo, hi, cpu);
	}
	return rc;
}

static void cleanup(lp_run *r)
{
	if (r->child.pid > 0 && !r->released)
		lp_launch_abort(&r->child);
	if (r->child.pid > 0 && r->released && !r->reaped) {
		/* lineprof failed mid-run: do not leave an unprofiled orphan behind. */
		kill(r->child.pid, SIGKILL);
		while (waitpid(r->child.pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	for (int t = 0; t < r->ntargets; t++)
		close_target(r, t);
	for (int i = 0; r->rings && i < r->nrings; i++)
		if (r->rings[i].meta)
			lp_ring_free(&r->rings[i]);
	close_tracking(r);
	lp_sentinel_stop(&r->sentinel);
	lp_probes_free(r->probes); /* also removes tracefs events */
	lp_collect_free(r->col);
	free(r->rings);
	free(r->ring_fd);
	free(r->sw_ring);
	free(r->sw_ids);
	free(r->sw_fds);
	free(r->lead);
	free(r->fds);
	free(r->targets);
	free(r->cpus);
	if (r->sig_fd >= 0) {
		/* Consume what came after the target ended, or unblocking would kill us. */
		read_signals(r, 0);
		close(r->sig_fd);
	}
	if (r->masked)
		sigprocmask(SIG_SETMASK, &r->oldmask, NULL);
}

/*
 * Everything before there is a target: the options checked, the events
 * encoded and configured, the CPUs and the ring size. Nothing to clean up
 * on error but what cleanup() frees.
 */
static int prepare(lp_run *r, const lp_record_opts *opts, lp_error *err)
{
	int rc;

	r->opts = opts;
	r->diag = opts->diag ? opts->diag : stderr;
	r->op.open = lp_events_sysopen;
	r->sig_fd = -1;
	r->child.pid = -1;
	r->sentinel.pid = -1;
	if ((rc = check_opts(opts, err)) != LP_OK)
		return rc;
	r->nev = opts->nevents ? opts->nevents : 1;
	for (int i = 0; i < r->nev && rc == LP_OK; i++)
		/* A clock by default: Time is measured, in user and kernel mode, on every machine. */
		rc = lp_events_parse(&r->ev[i], opts->nevents ? opts->events[i] : "cpu-clock", err);
	lp_events_done(); /* every event is encoded: libpfm4's tables can go */
	if (rc != LP_OK)
		return rc;
	if ((rc = online_cpus(r, err)) != LP_OK)
		return rc;
	r->pages = ring_pages(r);
	configure(r, r->pages * (size_t)sysconf(_SC_PAGESIZE));
	return LP_OK;
}

/*
 * SIGINT & co. through a signalfd, blocked from now on so none is lost
 * (a launched child unblocks them before exec).
 */
static int take_signals(lp_run *r, lp_error *err)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, &r->oldmask) < 0)
		return lp_error_set(err, LP_EFAIL, "lineprof: sigprocmask: %s", strerror(errno));
	r->masked = 1;
	r->sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (r->sig_fd < 0)
		return lp_error_set(err, LP_EFAIL, "lineprof: signalfd: %s", strerror(errno));
	return LP_OK;
}

int lp_record_run(const lp_record_opts *opts, char *const argv[], lp_profile *prof,
		  lp_error *err)
{
	lp_run r;
	uint64_t t0;
	int rc;

	memset(&r, 0, sizeof(r));
	if (!argv || !argv[0])
		return lp_error_set(err, LP_EUSAGE, "lineprof: no command to profile");
	if ((rc = prepare(&r, opts, err)) != LP_OK)
		goto out;
	/* Before the fork: the child starts with them blocked. */
	if ((rc = take_signals(&r, err)) != LP_OK)
		goto out;
	/* Before the target, so that it is in our process group too; the run goes on without it. */
	(void)lp_sentinel_start(&r.sentinel);
	if ((rc = lp_launch_start(&r.child, argv, opts->target_sigmask ? opts->target_sigmask
							     : &r.oldmask, err)) != LP_OK)
		goto out;
	if ((rc = open_events(&r, prof, err)) != LP_OK)
		goto out;

	prof->start_time = (int64_t)time(NULL);
	t0 = now_ns();
	getrusage(RUSAGE_SELF, &r.self0);
	r.released = 1;
	rc = lp_launch_release(&r.child, argv[0], &prof->exit_status, err);
	if (rc != LP_OK) {
		r.reaped = 1;
		goto out;
	}
	rc = event_loop(&r, prof, t0, err);
	if (rc == LP_OK)
		rc = finish(&r, prof, err);
out:
	cleanup(&r);
	return rc;
}

/* -p: events on task t, or LP_TASK_GONE if it exited before they could be opened. */
static int open_task(lp_run *r, lp_task *t, lp_error *err)
{
	int rc = open_target(r, t->tid, err);

	if (rc == LP_OK) {
		t->state = LP_TASK_OPEN;
		return LP_OK;
	}
	if (lp_attach_alive(t->pid, t->tid))
		return rc;
	lp_error_clear(err);
	t->state = LP_TASK_GONE;
	return LP_OK;
}

/*
 * One group per thread and CPU, with a counter per thread: file descriptors
 * grow with both, so the soft limit is raised to the hard one when needed.
 */
static void raise_nofile(const lp_run *r, size_t ntasks)
{
	/* Per thread: a group and a switch event per CPU, and a counter. */
	uint64_t need = (uint64_t)ntasks * ((uint64_t)r->ncpus * ((uint64_t)r->nev + 1) + 1) + 64;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < need && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl); /* else EMFILE says "raise ulimit -n" */
	}
}

#define SETTLE_WAIT_NS 2000000000u /* how long a new thread may take to run once */
#define SETTLE_ROUNDS 64

/*
 * Threads that scan found and that no FORK record announced after they ran
 * (so after their record would have been written): started before their
 * creator was followed, they need events of their own. 1 if it opened any,
 * 0 if none, -1 on error.
 */
static int follow_unannounced(lp_run *r, size_t from, lp_error *err)
{
	lp_attach *a = r->attach;
	uint64_t t0 = now_ns();
	int found = 0, rc;

	for (size_t i = from; i < a->ntasks; i++) {
		/* clone() writes the FORK record before the new thread first runs. */
		while (!lp_attach_has_run(a->tasks[i].pid, a->tasks[i].tid) &&
		       now_ns() - t0 < SETTLE_WAIT_NS)
			usleep(1000);
	}
	if ((rc = lp_collect_drain(r->col, r->rings, r->nrings, err)) != LP_OK)
		return -1;
	for (size_t i = from; i < a->ntasks; i++) {
		lp_task *t = &a->tasks[i];

		if (lp_collect_knows(r->col, t->tid)) {
			t->state = LP_TASK_INHERITED;
			continue;
		}
		if (open_task(r, t, err) != LP_OK)
			return -1;
		if (t->state != LP_TASK_OPEN)
			continue; /* gone: an inherited one that exited, or it exited unfollowed */
		found = 1;
		if (lp_attach_describe_task(a, r->col, t, err) != LP_OK)
			return -1;
	}
	return found;
}

/*
 * -p: the events on every thread of the processes, then what /proc says of
 * them (names, mappings) before the first drain, then again for the threads
 * that started meanwhile, until a scan finds none unfollowed.
 */
static int open_attached(lp_run *r, lp_profile *prof, lp_error *err)
{
	lp_attach *a = r->attach;
	int rc, found = 0;

	if (lp_attach_scan(a))
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	raise_nofile(r, a->ntasks);
	for (size_t i = 0; i < a->ntasks; i++)
		if ((rc = open_task(r, &a->tasks[i], err)) != LP_OK)
			return rc;
	if (r->ntargets == 0)
		return lp_error_set(err, LP_EFAIL, "lineprof: -p: %s before lineprof could attach",
				    a->nprocs == 1 ? "the process exited" : "the processes exited");
	if ((rc = describe_events(r, prof, err)) != LP_OK ||
	    (rc = lp_attach_describe(a, r->col, err)) != LP_OK)
		return rc;
	/* Each round follows threads started by the last round's; the bound is for pathologies. */
	for (int round = 0; round < SETTLE_ROUNDS; round++) {
		size_t from = a->ntasks;

		if (lp_attach_scan(a))
			return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
		if ((found = follow_unannounced(r, from, err)) <= 0)
			break;
	}
	return found < 0 ? (err->code ? err->code : LP_EFAIL) : LP_OK;
}

int lp_record_attach(const lp_record_opts *opts, const int *pids, int npids, double duration,
		     lp_profile *prof, lp_error *err)
{
	lp_attach a;
	lp_run r;
	uint64_t t0;
	int rc;

	memset(&r, 0, sizeof(r));
	memset(&a, 0, sizeof(a));
	if (!pids || npids < 1)
		return lp_error_set(err, LP_EUSAGE, "lineprof: -p needs a process id");
	if (opts->nprobes)
		return lp_error_set(err, LP_EUSAGE, "lineprof: --hits with -p is not supported yet");
	if (!(duration >= 0) || duration > 1e9)
		return lp_error_set(err, LP_EUSAGE, "lineprof: --duration must be a number of seconds");
	r.attach = &a;
	if ((rc = prepare(&r, opts, err)) != LP_OK ||
	    (rc = lp_attach_init(&a, pids, npids, &r.op, err)) != LP_OK ||
	    (rc = take_signals(&r, err)) != LP_OK ||
	    (rc = alloc_rings(&r, err)) != LP_OK)
		goto out;
	prof->start_time = (int64_t)time(NULL);
	t0 = now_ns();
	getrusage(RUSAGE_SELF, &r.self0);
	if (duration > 0)
		r.deadline = t0 + (uint64_t)(duration * 1e9);
	if ((rc = open_attached(&r, prof, err)) != LP_OK)
		goto out;
	lp_attach_say_start(&a, r.diag, duration);
	rc = event_loop(&r, prof, t0, err);
	if (rc == LP_OK)
		rc = finish(&r, prof, err);
	if (rc == LP_OK) {
		/* The kernel's user/system split covers the processes' threads, not new processes. */
		if (!lp_collect_new_processes(r.col))
			lp_attach_cpu(&a, &prof->user_ns, &prof->sys_ns);
		lp_attach_say_end(&a, r.diag, (double)prof->wall_ns * 1e-9, r.stop_signal,
				  r.deadline && !r.stop_signal && lp_attach_running(&a));
	}
out:
	cleanup(&r);
	lp_attach_free(&a);
	return rc;
}

int lp_record_list_events(FILE *out, lp_error *err)
{
	lp_opener op = {lp_events_sysopen, NULL};
	int rc = lp_events_list(out, &op, err);

	lp_events_done();
	return rc;
}

int lp_record_list_metrics(FILE *out, lp_error *err)
{
	lp_opener op = {lp_events_sysopen, NULL};
	int rc = lp_events_list_metrics(out, &op, err);

	lp_events_done();
	return rc;
}
