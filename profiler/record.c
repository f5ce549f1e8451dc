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

typedef struct lp_run {
	const lp_record_opts *opts;
	FILE *diag;
	lp_opener op;
	lp_event ev[LP_MAX_EVENTS];
	int nev;
	int *cpus, ncpus;
	int *fds;         /* ncpus x LP_MAX_EVENTS */
	lp_ring *rings;   /* one per CPU, on its leader */
	int clock_fd;     /* task-clock, counting */
	int *sw_fds;      /* off-CPU: the context-switch event per CPU */
	uint64_t sw_type; /* its sample_type */
	int nrings;       /* rings[0..ncpus) the leaders', then the tracking events', then
	                     the switch events' own */
	int *ring_fd;     /* the fd each ring belongs to, for poll */
	int *trk_fds;     /* the tracking (dummy) event per CPU, or NULL: the leaders track */
	lp_probes *probes; /* --hits */
	double hit_lo, hit_hi; /* ns per probe hit, measured before the run; < 0 unknown */
	int sig_fd;
	sigset_t oldmask;
	int masked;
	lp_child child;
	int released, reaped;
	lp_collect *col;
	struct rusage self0; /* lineprof's own usage when the target was released */
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
 * Data pages per ring: the user's, else the mode's default. The bigger
 * dwarf default is cut to what an unprivileged user may lock (the kernel
 * allows perf_event_mlock_kb per CPU, then charges RLIMIT_MEMLOCK), so it
 * does not fail where the usual size would not.
 */
static size_t ring_pages(const lp_run *r)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), budget;
	size_t pages = DWARF_PAGES;
	struct rlimit rl;
	long kb;

	if (r->opts->mmap_pages)
		return r->opts->mmap_pages;
	if (r->opts->callchain != LP_CALLCHAIN_DWARF)
		return LP_RING_DEFAULT_PAGES;
	if (geteuid() == 0 || read_sysctl("/proc/sys/kernel/perf_event_mlock_kb", &kb) ||
	    getrlimit(RLIMIT_MEMLOCK, &rl) || rl.rlim_cur == RLIM_INFINITY)
		return pages;
	budget = (uint64_t)kb * 1024 * (uint64_t)r->ncpus + (uint64_t)rl.rlim_cur;
	while (pages > LP_RING_DEFAULT_PAGES && (pages + 1) * page * (uint64_t)r->ncpus > budget)
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
		a->disabled = 1;
		a->enable_on_exec = 1;
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

static int open_counters(lp_run *r, pid_t pid, lp_error *err)
{
	struct perf_event_attr a;
	int e;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_TASK_CLOCK;
	a.disabled = 1;
	a.enable_on_exec = 1;
	a.inherit = 1;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	a.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
	r->clock_fd = r->op.open(&a, pid, -1, -1, PERF_FLAG_FD_CLOEXEC, r->op.ctx);
	if (r->clock_fd < 0) {
		e = errno;
		return lp_events_open_error(err, e, "task-clock", -1);
	}
	if (r->opts->nprobes)
		return open_probes(r, pid, err);
	return LP_OK;
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

static void close_switch(lp_run *r)
{
	for (int c = 0; r->sw_fds && c < r->ncpus; c++)
		if (r->sw_fds[c] >= 0)
			close(r->sw_fds[c]);
	free(r->sw_fds);
	r->sw_fds = NULL;
}

/*
 * Off-CPU: the context-switch event, sampled at every switch-out (in
 * kernel mode: its user registers, or user stack, say where the thread
 * was), with PERF_RECORD_SWITCH records for the switch-ins. One per CPU
 * like the sampling group; its sample_id_all trailer is laid out as the
 * leader's (TID, TIME, IDENTIFIER), so its records can share a ring.
 *
 * It gets a ring of its own where memory allows: a program that switches
 * 100k times a second (an MPI job starting, a ping-pong) would otherwise
 * fill the sampling ring, and the kernel would drop CPU samples and MMAP
 * records with the switches (later samples in a library whose mapping was
 * dropped cannot be placed). Where the ring cannot be mapped (an
 * unprivileged user's locked-memory limit), the switches go to that CPU's
 * sampling ring (PERF_EVENT_IOC_SET_OUTPUT). Refused: one line, and the run
 * goes on without it. Returns 0, or -1 when out of memory.
 */
static int open_switch(lp_run *r, pid_t pid, lp_profile *prof, size_t pages)
{
	const struct perf_event_attr *lead = &r->ev[0].attr;
	struct perf_event_attr a;
	uint64_t *ids;
	int e = 0;
	const char *step = "open";

	if (r->opts->off_cpu == LP_OFFCPU_OFF || !(lead->sample_type & PERF_SAMPLE_IDENTIFIER))
		return 0;
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_CONTEXT_SWITCHES;
	a.sample_period = 1;
	a.sample_type = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID |
			PERF_SAMPLE_TIME | PERF_SAMPLE_REGS_USER |
			(lead->sample_type & (PERF_SAMPLE_CALLCHAIN | PERF_SAMPLE_STACK_USER));
	a.sample_regs_user = lead->sample_regs_user;
	a.sample_stack_user = lead->sample_stack_user;
	a.exclude_kernel = 0; /* its samples are all in the kernel, in the scheduler */
	a.exclude_hv = 1;
	a.exclude_callchain_kernel = 1;
	a.inherit = 1;
	a.context_switch = 1;
	a.sample_id_all = 1;
	a.disabled = 1;
	a.enable_on_exec = 1;
	a.watermark = 1;
	a.wakeup_watermark = (uint32_t)(pages * (size_t)sysconf(_SC_PAGESIZE) / 2);
	r->sw_fds = malloc((size_t)r->ncpus * sizeof(*r->sw_fds));
	ids = calloc((size_t)r->ncpus, sizeof(*ids));
	if (!r->sw_fds || !ids) {
		free(ids);
		return -1;
	}
	for (int c = 0; c < r->ncpus; c++)
		r->sw_fds[c] = -1;
	for (int c = 0; c < r->ncpus && !e; c++) {
		lp_error merr = { 0 };

		r->sw_fds[c] = r->op.open(&a, pid, r->cpus[c], -1, PERF_FLAG_FD_CLOEXEC, r->op.ctx);
		if (r->sw_fds[c] < 0) {
			e = errno;
		} else if (ioctl(r->sw_fds[c], PERF_EVENT_IOC_ID, &ids[c])) {
			e = errno, step = "identify";
		} else if (lp_ring_map(&r->rings[r->nrings], r->sw_fds[c], pages, &merr) == LP_OK) {
			if (lp_collect_switch_ring(r->col, r->nrings))
				e = ENOMEM;
			r->ring_fd[r->nrings++] = r->sw_fds[c];
		} else if (ioctl(r->sw_fds[c], PERF_EVENT_IOC_SET_OUTPUT, r->fds[c * LP_MAX_EVENTS])) {
			e = errno, step = "give a ring to";
		} else if (lp_collect_switch_ring(r->col, c)) {
			e = ENOMEM; /* the sampling ring of this CPU carries them */
		}
	}
	if (e) {
		while (r->nrings > r->ncpus)
			lp_ring_free(&r->rings[--r->nrings]);
		close_switch(r);
		free(ids);
		if (e == EACCES || e == EPERM) {
			say_not_allowed(r, "Off-CPU time");
			return 0;
		}
		fprintf(r->diag, "lineprof: Off-CPU time not recorded: this kernel would not %s the "
			"context-switch event (%s); Time%s only\n", step, strerror(e),
			prof->kernel ? " and Sys" : "");
		fflush(r->diag);
		return 0;
	}
	r->sw_type = a.sample_type;
	if (lp_collect_set_switch(r->col, a.sample_type, ids, r->ncpus)) {
		free(ids);
		return -1;
	}
	free(ids);
	prof->off_cpu = 1;
	return 0;
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
 * opened or mapped, none is used and the leaders track, as before.
 * Before the leaders are opened, since they then carry no tracking bits.
 */
static void open_tracking(lp_run *r, pid_t pid)
{
	const struct perf_event_attr *lead = &r->ev[0].attr;
	struct perf_event_attr a;
	int ok = 1;

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
	if (ok)
		return;
	for (int c = 0; c < r->ncpus; c++)
		if (r->rings[r->ncpus + c].meta)
			lp_ring_free(&r->rings[r->ncpus + c]);
	close_tracking(r);
}

static int open_events(lp_run *r, lp_profile *prof, size_t pages, lp_error *err)
{
	pid_t pid = r->child.pid;
	int rc;

	r->fds = malloc((size_t)r->ncpus * LP_MAX_EVENTS * sizeof(*r->fds));
	r->rings = calloc(3 * (size_t)r->ncpus, sizeof(*r->rings));
	r->ring_fd = calloc(3 * (size_t)r->ncpus, sizeof(*r->ring_fd));
	if (!r->fds || !r->rings || !r->ring_fd)
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	open_tracking(r, pid);
	if (r->trk_fds) {
		struct perf_event_attr *a = &r->ev[0].attr;

		a->mmap = a->mmap2 = a->comm = a->comm_exec = a->task = a->build_id = 0;
	}
	for (int i = 0; i < r->ncpus * LP_MAX_EVENTS; i++)
		r->fds[i] = -1;
	for (int c = 0; c < r->ncpus; c++) {
		/* The first CPU decides the fallbacks; the others open the same attrs. */
		rc = lp_events_open_group(r->ev, &r->nev, pid, r->cpus[c], c == 0,
					  &r->fds[c * LP_MAX_EVENTS], &r->op, r->diag, err);
		if (rc != LP_OK)
			return rc;
		rc = lp_ring_map(&r->rings[c], r->fds[c * LP_MAX_EVENTS], pages, err);
		if (rc != LP_OK)
			return rc;
		r->ring_fd[c] = r->fds[c * LP_MAX_EVENTS];
		r->nrings = c + 1;
	}
	for (int c = 0; r->trk_fds && c < r->ncpus; c++)
		r->ring_fd[r->nrings++] = r->trk_fds[c];
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
	r->col = lp_collect_new(prof, r->ev[0].attr.sample_type, r->ev[0].attr.read_format,
				r->opts->identity);
	if (!r->col || (r->opts->callchain == LP_CALLCHAIN_DWARF &&
			lp_collect_set_unwinder(r->col, r->opts->unwinder,
						r->ev[0].attr.sample_regs_user)))
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	lp_collect_set_regs(r->col, r->ev[0].attr.sample_regs_user);
	prof->kernel = !r->ev[0].attr.exclude_kernel;
	if (!regs_mask(r) && !r->ev[0].user_only) {
		/* No user registers to find the user ip of a kernel-mode sample or a switch. */
		fprintf(r->diag, "lineprof: Sys and Off-CPU time are not supported yet on this "
			"architecture (x86-64 only): user CPU time only\n");
		fflush(r->diag);
	}
	/* A clock that may not see the kernel: its system time goes unattributed, and is said. */
	if (r->ev[0].kernel && lp_events_is_clock(&r->ev[0].attr) && !prof->kernel)
		say_not_allowed(r, r->opts->off_cpu == LP_OFFCPU_OFF ? "Sys time" : "Sys and Off-CPU time");
	else if (open_switch(r, pid, prof, switch_pages(r, pages)))
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	return open_counters(r, pid, err);
}

/*
 * A signal for lineprof is meant for the target. One typed at the terminal
 * (SI_KERNEL) already reached it when it shares our process group: sending
 * it again would make a program that counts its ^C see two.
 */
static void forward(lp_run *r, const struct signalfd_siginfo *si)
{
	if (si->ssi_signo == SIGCHLD)
		return;
	if (si->ssi_code == SI_KERNEL && getpgid(r->child.pid) == getpgrp())
		return;
	kill(r->child.pid, (int)si->ssi_signo);
}

static void read_signals(lp_run *r, int act)
{
	struct signalfd_siginfo si[8];
	ssize_t n;

	while ((n = read(r->sig_fd, si, sizeof(si))) > 0) {
		for (size_t i = 0; act && i < (size_t)n / sizeof(si[0]); i++)
			forward(r, &si[i]);
	}
}

static uint64_t tv_ns(struct timeval tv)
{
	return (uint64_t)tv.tv_sec * 1000000000u + (uint64_t)tv.tv_usec * 1000u;
}

/* wait4: the exit status, and the user/system split of the whole tree's CPU time. */
static int try_reap(lp_run *r, lp_profile *prof)
{
	struct rusage ru;
	int status;
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

static int event_loop(lp_run *r, lp_profile *prof, uint64_t t0, lp_error *err)
{
	struct pollfd *pfd = calloc((size_t)r->nrings + 1, sizeof(*pfd));
	int rc = LP_OK;

	if (!pfd)
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	pfd[0].fd = r->sig_fd;
	pfd[0].events = POLLIN;
	for (int c = 0; c < r->nrings; c++) {
		pfd[c + 1].fd = r->ring_fd[c];
		pfd[c + 1].events = POLLIN;
	}
	while (rc == LP_OK && !r->reaped) {
		if (poll(pfd, (nfds_t)r->nrings + 1, POLL_MS) < 0 && errno != EINTR) {
			rc = lp_error_set(err, LP_EFAIL, "lineprof: poll: %s", strerror(errno));
			break;
		}
		/* A ring hangs up when its task exits; inherited copies may still write. */
		for (int c = 1; c <= r->nrings; c++)
			if (pfd[c].revents & (POLLHUP | POLLERR))
				pfd[c].fd = -1;
		read_signals(r, 1);
		if (try_reap(r, prof))
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

static int finish(lp_run *r, lp_profile *prof, lp_error *err)
{
	uint64_t v[3] = {0, 0, 0}, hits = 0;
	int rc;

	if (read(r->clock_fd, v, sizeof(v)) != (ssize_t)sizeof(v))
		return lp_error_set(err, LP_EFAIL, "lineprof: cannot read task-clock: %s",
				    strerror(errno));
	prof->task_clock_ns = v[0];
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
	for (int c = 0; r->rings && c < 3 * r->ncpus; c++)
		if (r->rings[c].meta)
			lp_ring_free(&r->rings[c]);
	close_switch(r);
	close_tracking(r);
	free(r->ring_fd);
	for (int i = 0; r->fds && i < r->ncpus * LP_MAX_EVENTS; i++)
		if (r->fds[i] >= 0)
			close(r->fds[i]);
	lp_probes_free(r->probes); /* also removes tracefs events */
	if (r->clock_fd >= 0)
		close(r->clock_fd);
	lp_collect_free(r->col);
	free(r->rings);
	free(r->fds);
	free(r->cpus);
	if (r->sig_fd >= 0) {
		/* Consume what came after the target ended, or unblocking would kill us. */
		read_signals(r, 0);
		close(r->sig_fd);
	}
	if (r->masked)
		sigprocmask(SIG_SETMASK, &r->oldmask, NULL);
}

int lp_record_run(const lp_record_opts *opts, char *const argv[], lp_profile *prof,
		  lp_error *err)
{
	lp_run r;
	sigset_t set;
	size_t pages;
	uint64_t t0;
	int rc;

	memset(&r, 0, sizeof(r));
	r.opts = opts;
	r.diag = opts->diag ? opts->diag : stderr;
	r.op.open = lp_events_sysopen;
	r.clock_fd = r.sig_fd = -1;
	r.child.pid = -1;
	if (!argv || !argv[0])
		return lp_error_set(err, LP_EUSAGE, "lineprof: no command to profile");
	if ((rc = check_opts(opts, err)) != LP_OK)
		return rc;
	r.nev = opts->nevents ? opts->nevents : 1;
	/* A clock by default: Time is measured, in user and kernel mode, on every machine. */
	for (int i = 0; i < r.nev && rc == LP_OK; i++)
		rc = lp_events_parse(&r.ev[i], opts->nevents ? opts->events[i] : "cpu-clock", err);
	lp_events_done(); /* every event is encoded: libpfm4's tables can go */
	if (rc != LP_OK)
		return rc;
	if ((rc = online_cpus(&r, err)) != LP_OK)
		goto out;
	pages = ring_pages(&r);
	configure(&r, pages * (size_t)sysconf(_SC_PAGESIZE));

	/* Blocked before the fork, so none is lost; the child unblocks before exec. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, &r.oldmask) < 0) {
		rc = lp_error_set(err, LP_EFAIL, "lineprof: sigprocmask: %s", strerror(errno));
		goto out;
	}
	r.masked = 1;
	r.sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (r.sig_fd < 0) {
		rc = lp_error_set(err, LP_EFAIL, "lineprof: signalfd: %s", strerror(errno));
		goto out;
	}
	if ((rc = lp_launch_start(&r.child, argv, &r.oldmask, err)) != LP_OK)
		goto out;
	if ((rc = open_events(&r, prof, pages, err)) != LP_OK)
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
