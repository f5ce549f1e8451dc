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
	lp_probes *probes; /* --hits */
	double hit_lo, hit_hi; /* ns per probe hit, measured before the run; < 0 unknown */
	int sig_fd;
	sigset_t oldmask;
	int masked;
	lp_child child;
	lp_sentinel sentinel;  /* tells a group signal from one sent to lineprof alone */
	int interrupts;        /* SIGINT/SIGTERM received: the second escalates to SIGKILL */
	int released, reaped;
	lp_collect *col;
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

/* The sampling leader and its counting members, before any fallback. */
static void configure(lp_run *r, size_t ring_bytes)
{
	const lp_record_opts *o = r->opts;
	uint64_t st = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_PERIOD;

	if (o->callchain == LP_CALLCHAIN_FP)
		st |= PERF_SAMPLE_CALLCHAIN;
	else if (o->callchain == LP_CALLCHAIN_DWARF)
		st |= PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER;
	if (r->nev > 1)
		st |= PERF_SAMPLE_READ; /* with inherit: Linux >= 6.12, needs SAMPLE_TID */
	for (int i = 0; i < r->nev; i++) {
		struct perf_event_attr *a = &r->ev[i].attr;

		a->inherit = 1;
		a->sample_type = st;
		a->read_format = r->nev > 1 ? PERF_FORMAT_GROUP | PERF_FORMAT_ID : 0;
		a->exclude_kernel = 1;
		a->exclude_hv = 1;
		a->exclude_callchain_kernel = 1;
		if (o->callchain == LP_CALLCHAIN_DWARF) {
			a->sample_regs_user = lp_collect_regs_mask();
			a->sample_stack_user = o->stack_size ? o->stack_size : LP_STACK_USER_DEFAULT;
		}
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

static int open_events(lp_run *r, lp_profile *prof, size_t pages, lp_error *err)
{
	pid_t pid = r->child.pid;
	int rc;

	r->fds = malloc((size_t)r->ncpus * LP_MAX_EVENTS * sizeof(*r->fds));
	r->rings = calloc((size_t)r->ncpus, sizeof(*r->rings));
	if (!r->fds || !r->rings)
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
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
	}
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
	return open_counters(r, pid, err);
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
		for (size_t i = 0; act && i < (size_t)n / sizeof(si[0]); i++)
			forward(r, &si[i]);
	}
}

static int try_reap(lp_run *r, lp_profile *prof)
{
	int status;
	pid_t p = waitpid(r->child.pid, &status, WNOHANG);

	if (p == r->child.pid) {
		prof->exit_status = status;
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
	struct pollfd *pfd = calloc((size_t)r->ncpus + 1, sizeof(*pfd));
	int rc = LP_OK;

	if (!pfd)
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	pfd[0].fd = r->sig_fd;
	pfd[0].events = POLLIN;
	for (int c = 0; c < r->ncpus; c++) {
		pfd[c + 1].fd = r->fds[c * LP_MAX_EVENTS];
		pfd[c + 1].events = POLLIN;
	}
	while (rc == LP_OK && !r->reaped) {
		if (poll(pfd, (nfds_t)r->ncpus + 1, POLL_MS) < 0 && errno != EINTR) {
			rc = lp_error_set(err, LP_EFAIL, "lineprof: poll: %s", strerror(errno));
			break;
		}
		/* A ring hangs up when its task exits; inherited copies may still write. */
		for (int c = 1; c <= r->ncpus; c++)
			if (pfd[c].revents & (POLLHUP | POLLERR))
				pfd[c].fd = -1;
		read_signals(r, 1);
		if (try_reap(r, prof))
			prof->wall_ns = now_ns() - t0;
		rc = lp_collect_drain(r->col, r->rings, r->ncpus, err);
	}
	free(pfd);
	if (rc == LP_OK)
		rc = lp_collect_drain(r->col, r->rings, r->ncpus, err);
	return rc;
}

static int finish(lp_run *r, lp_profile *prof, lp_error *err)
{
	uint64_t v[3] = {0, 0, 0}, hits = 0;
	int rc;

	if (read(r->clock_fd, v, sizeof(v)) != (ssize_t)sizeof(v))
		return lp_error_set(err, LP_EFAIL, "lineprof: cannot read task-clock: %s",
				    strerror(errno));
	prof->task_clock_ns = v[0];
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
	for (int c = 0; r->rings && c < r->ncpus; c++)
		lp_ring_free(&r->rings[c]);
	for (int i = 0; r->fds && i < r->ncpus * LP_MAX_EVENTS; i++)
		if (r->fds[i] >= 0)
			close(r->fds[i]);
	lp_sentinel_stop(&r->sentinel);
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
	r.sentinel.pid = -1;
	if (!argv || !argv[0])
		return lp_error_set(err, LP_EUSAGE, "lineprof: no command to profile");
	if ((rc = check_opts(opts, err)) != LP_OK)
		return rc;
	r.nev = opts->nevents ? opts->nevents : 1;
	for (int i = 0; i < r.nev && rc == LP_OK; i++)
		rc = lp_events_parse(&r.ev[i], opts->nevents ? opts->events[i] : "cycles", err);
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
	sigaddset(&set, SIGQUIT);
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
	/* Before the target, so that it is in our process group too; the run goes on without it. */
	(void)lp_sentinel_start(&r.sentinel);
	if ((rc = lp_launch_start(&r.child, argv, opts->target_sigmask ? opts->target_sigmask
							     : &r.oldmask, err)) != LP_OK)
		goto out;
	if ((rc = open_events(&r, prof, pages, err)) != LP_OK)
		goto out;

	prof->start_time = (int64_t)time(NULL);
	t0 = now_ns();
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
