/*
 * uprobes as counters, through tracefs or through the uprobe PMU (see
 * probe.h for why two).
 *
 * tracefs: a definition "p:lineprof_<pid>/l<i> <path>:0x<offset>" written to
 * uprobe_events creates a trace event whose id opens as a tracepoint; the
 * breakpoint lives on the file's inode, so it can be placed before the
 * target has mapped the file, and an inherited counter follows every thread
 * and child. The definitions are removed after the run, on error paths too;
 * those of a lineprof that was killed are removed by the next run.
 *
 * When no tracefs is mounted (and we are root), a short-lived helper process
 * mounts one in a mount namespace of its own and we keep a directory fd of
 * that mount: it outlives the helper and its namespace, and the rest of the
 * machine (the target included) never sees a mount.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "probe.h"
#include "procfs.h"

#define UPROBE_TYPE "/sys/bus/event_source/devices/uprobe/type"
#define GROUP_PREFIX "lineprof_"
#define CAL_HITS 2000   /* probe hits per calibration round */
#define CAL_ROUNDS 3

enum { MODE_NONE, MODE_PMU, MODE_TRACEFS };

struct lp_probes {
	const lp_probe *probes;
	size_t n;
	int mode;
	int *fds;
	int dir;            /* tracefs root, O_PATH; -1 without */
	int events_fd;      /* its uprobe_events, for writing; -1 */
	char group[64];     /* lineprof_<pid namespace>_<pid>_<start time>: see run_id() */
	size_t ncreated;    /* events l0 .. l<ncreated-1> exist */
	unsigned pmu_type;
	lp_opener op;
};

static int read_uint(int dir, const char *path, unsigned long long *v)
{
	char buf[64];
	int fd = dir >= 0 ? openat(dir, path, O_RDONLY | O_CLOEXEC) : open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return sscanf(buf, "%llu", v) == 1 ? 0 : -1;
}

/* ---- finding (or making) a tracefs ---- */

/* Undoes mountinfo's octal escapes (\040 for a space) in place. */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

/* A tracefs mounted in our namespace: its root, O_PATH, or -1. */
static int tracefs_mounted(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	int fd = -1;

	while (f && fd < 0 && fgets(line, sizeof(line), f)) {
		char *dash = strstr(line, " - "), *save = NULL, *mnt = NULL;
		int i = 0;

		if (!dash || strncmp(dash + 3, "tracefs ", 8) != 0)
			continue;
		*dash = '\0';
		for (char *t = strtok_r(line, " ", &save); t; t = strtok_r(NULL, " ", &save))
			if (++i == 5)
				mnt = t;
		if (!mnt)
			continue;
		unescape(mnt);
		fd = open(mnt, O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	if (f)
		fclose(f);
	return fd;
}

/*
 * A tracefs of our own: a helper mounts one in a new mount namespace, we
 * open its root through /proc/<helper>/root, and let the helper go. Needs
 * CAP_SYS_ADMIN. The fd, or -1.
 */
static int tracefs_private(void)
{
	int sync[2], hold[2], e = -1, fd = -1, status;
	char path[64];
	pid_t pid;

	if (pipe2(sync, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(hold, O_CLOEXEC) < 0) {
		close(sync[0]);
		close(sync[1]);
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		char c;

		close(sync[0]);
		close(hold[1]);
		e = 0;
		if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    mount("tracefs", "/sys/kernel/tracing", "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  NULL) < 0)
			e = errno;
		if (write(sync[1], &e, sizeof(e)) != (ssize_t)sizeof(e))
			_exit(1);
		/* Alive until the parent has opened the mount (EOF on hold). */
		while (read(hold[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(sync[1]);
	close(hold[0]);
	if (pid > 0 && read(sync[0], &e, sizeof(e)) == (ssize_t)sizeof(e) && e == 0) {
		snprintf(path, sizeof(path), "/proc/%d/root/sys/kernel/tracing", (int)pid);
		fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	close(hold[1]);
	close(sync[0]);
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return fd;
}

/* The tracefs root with uprobe_events, or -1. */
static int tracefs_find(void)
{
	int fd = tracefs_mounted();

	if (fd < 0 && geteuid() == 0)
		fd = tracefs_private();
	if (fd >= 0 && faccessat(fd, "uprobe_events", W_OK, 0) != 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* ---- trace events ---- */

/* One write per definition; 0 or an errno. */
static int define(int events_fd, const char *def)
{
	size_t len = strlen(def);
	ssize_t w = write(events_fd, def, len);

	if (w == (ssize_t)len)
		return 0;
	return w < 0 ? errno : EIO;
}

static void undefine(int events_fd, const char *group, const char *event)
{
	char def[128];

	snprintf(def, sizeof(def), "-:%s/%s\n", group, event);
	(void)define(events_fd, def);
}

/*
 * Who made a group, so that a later run removes only the groups of runs that
 * are gone: the pid alone is reused, and means another process in another
 * pid namespace (tracefs is one for the whole machine). So a group is named
 * after the pid namespace, the pid and the process start time (clock ticks
 * after boot, /proc/PID/stat field 22).
 */
static unsigned long long start_time_of(int pid)
{
	char buf[1024], *f[20];

	/* f[0] is field 3 (state): field 22 is f[19]. */
	if (lp_proc_stat(pid, buf, sizeof(buf), f, 20) != 20)
		return 0;
	return strtoull(f[19], NULL, 10);
}

static unsigned long pid_namespace(void)
{
	struct stat st;

	return stat("/proc/self/ns/pid", &st) == 0 ? (unsigned long)st.st_ino : 0;
}

static void run_id(char *group, size_t size)
{
	int pid = (int)getpid();

	snprintf(group, size, GROUP_PREFIX "%lu_%d_%llu", pid_namespace(), pid, start_time_of(pid));
}

/* 1 if the run that made group is certainly gone, 0 if it may be alive (or is not ours). */
static int owner_gone(const char *group, unsigned long ns)
{
	unsigned long long start;
	unsigned long gns;
	int pid, len = 0;

	if (sscanf(group, GROUP_PREFIX "%lu_%d_%llu%n", &gns, &pid, &start, &len) == 3 &&
	    group[len] == '\0') {
		/* Another pid namespace: its pids mean nothing here, so it is never ours to judge. */
		if (gns != ns || ns == 0 || pid <= 0)
			return 0;
		return start_time_of(pid) != start;
	}
	/* Made by an older lineprof: lineprof_<pid>, gone if no process has that pid. */
	if (sscanf(group, GROUP_PREFIX "%d%n", &pid, &len) == 1 && group[len] == '\0' && pid > 0)
		return kill(pid, 0) != 0 && errno == ESRCH;
	return 0;
}

void lp_probes_remove_stale(int dir)
{
	int rfd = openat(dir, "uprobe_events", O_RDONLY | O_CLOEXEC);
	int wfd = openat(dir, "uprobe_events", O_WRONLY | O_APPEND | O_CLOEXEC);
	FILE *f = rfd >= 0 ? fdopen(rfd, "r") : NULL;
	char line[4096], group[64], event[64];
	/* Removing while reading would shift the file under us: collect first. */
	char (*dead)[2][64] = NULL;
	size_t ndead = 0;
	unsigned long ns = pid_namespace();

	if (!f && rfd >= 0)
		close(rfd);
	while (f && wfd >= 0 && fgets(line, sizeof(line), f)) {
		void *n;

		if (sscanf(line, "%*c:%63[^/]/%63s", group, event) != 2 ||
		    strncmp(group, GROUP_PREFIX, strlen(GROUP_PREFIX)) != 0 || !owner_gone(group, ns))
			continue;
		n = realloc(dead, (ndead + 1) * sizeof(*dead));
		if (!n)
			break;
		dead = n;
		strcpy(dead[ndead][0], group);
		strcpy(dead[ndead][1], event);
		ndead++;
	}
	if (f)
		fclose(f);
	/* An event still counted by a live run cannot be removed anyway (EBUSY). */
	for (size_t i = 0; i < ndead; i++)
		undefine(wfd, dead[i][0], dead[i][1]);
	free(dead);
	if (wfd >= 0)
		close(wfd);
}

/* Creates event name at path:offset in our group and gives its id. 0 or an errno. */
static int tracefs_event(lp_probes *p, const char *name, const char *path, uint64_t offset,
			 unsigned long long *id)
{
	char def[PATH_MAX + 128], idpath[160];
	int e;

	snprintf(def, sizeof(def), "p:%s/%s %s:0x%llx\n", p->group, name, path,
		 (unsigned long long)offset);
	if ((e = define(p->events_fd, def)) != 0)
		return e;
	snprintf(idpath, sizeof(idpath), "events/%s/%s/id", p->group, name);
	return read_uint(p->dir, idpath, id) == 0 ? 0 : errno ? errno : EIO;
}

/* ---- opening ---- */

static int has_space(const char *s)
{
	return strpbrk(s, " \t\n") != NULL;
}

/* Room for n more descriptors: raise the soft limit if the hard one allows. */
static void room_for_fds(size_t n)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur >= n + 256)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > n + 256 ? n + 256 : rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

static void counter_attr(struct perf_event_attr *a, int inherit)
{
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->disabled = 1;
	a->enable_on_exec = 1;
	a->inherit = inherit ? 1 : 0;
	a->exclude_kernel = 1; /* still counts: a uprobe fires in user mode */
	a->exclude_hv = 1;
}

static int place_error(lp_error *err, const lp_probe *pr, int e, const char *how)
{
	/* The uprobe PMU and tracepoints want CAP_PERFMON whatever perf_event_paranoid says. */
	if (e == EACCES || e == EPERM)
		return lp_error_set(err, LP_EFAIL,
			"lineprof: --hits needs root (or CAP_PERFMON): the kernel lets only privileged "
			"users place uprobes (%s)", strerror(e));
	if (e == EMFILE || e == ENFILE)
		return lp_error_set(err, LP_EFAIL,
			"lineprof: too many open files for the --hits probes; raise `ulimit -n`");
	return lp_error_set(err, LP_EFAIL, "lineprof: cannot place a uprobe at %s+0x%llx (%s): %s%s",
			    pr->path, (unsigned long long)pr->offset, how, strerror(e),
			    e == EINVAL ? " (offset outside the file's code?)" : "");
}

static int open_tracefs(lp_probes *p, pid_t pid, lp_error *err)
{
	struct perf_event_attr a;

	run_id(p->group, sizeof(p->group));
	lp_probes_remove_stale(p->dir);
	p->events_fd = openat(p->dir, "uprobe_events", O_WRONLY | O_APPEND | O_CLOEXEC);
	if (p->events_fd < 0)
		return lp_error_set(err, LP_EFAIL, "lineprof: cannot write uprobe_events: %s",
				    strerror(errno));
	for (size_t i = 0; i < p->n; i++) {
		unsigned long long id = 0;
		char name[32];
		int e;

		snprintf(name, sizeof(name), "l%zu", i);
		/* Counted first: removing one that was never made is harmless, leaking one is not. */
		p->ncreated = i + 1;
		e = tracefs_event(p, name, p->probes[i].path, p->probes[i].offset, &id);
		if (e != 0)
			return place_error(err, &p->probes[i], e, "tracefs");
		counter_attr(&a, 1);
		a.type = PERF_TYPE_TRACEPOINT;
		a.config = id;
		p->fds[i] = p->op.open(&a, pid, -1, -1, PERF_FLAG_FD_CLOEXEC, p->op.ctx);
		if (p->fds[i] < 0)
			return place_error(err, &p->probes[i], errno, "tracefs");
	}
	return LP_OK;
}

static int open_pmu(lp_probes *p, pid_t pid, lp_error *err)
{
	struct perf_event_attr a;

	for (size_t i = 0; i < p->n; i++) {
		counter_attr(&a, 0); /* see probe.h: inheriting breaks the target's fork() */
		a.type = p->pmu_type;
		a.config1 = (uint64_t)(uintptr_t)p->probes[i].path;
		a.config2 = p->probes[i].offset;
		p->fds[i] = p->op.open(&a, pid, -1, -1, PERF_FLAG_FD_CLOEXEC, p->op.ctx);
		if (p->fds[i] < 0)
			return place_error(err, &p->probes[i], errno, "uprobe PMU");
	}
	return LP_OK;
}

int lp_probes_open(lp_probes **out, const lp_probe *probes, size_t n, pid_t pid,
		   const lp_opener *op, lp_error *err)
{
	const char *force = getenv("LINEPROF_UPROBES");
	lp_probes *p = calloc(1, sizeof(*p));
	unsigned long long type;
	int spaces = 0, have_pmu;

	*out = p;
	if (!p)
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	p->probes = probes;
	p->n = n;
	p->dir = p->events_fd = -1;
	p->op = *op;
	p->fds = malloc((n + 1) * sizeof(*p->fds));
	if (!p->fds)
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	for (size_t i = 0; i < n; i++) {
		p->fds[i] = -1;
		spaces |= has_space(probes[i].path);
	}
	if (force && *force && strcmp(force, "pmu") != 0 && strcmp(force, "tracefs") != 0)
		return lp_error_set(err, LP_EUSAGE,
				    "lineprof: LINEPROF_UPROBES is '%s': use tracefs or pmu", force);
	have_pmu = read_uint(-1, UPROBE_TYPE, &type) == 0;
	p->pmu_type = (unsigned)type;
	/* tracefs definitions are split at blanks: such paths need the PMU. */
	if (!(force && strcmp(force, "pmu") == 0) && !spaces)
		p->dir = tracefs_find();
	if (p->dir >= 0) {
		p->mode = MODE_TRACEFS;
	} else if (force && strcmp(force, "tracefs") == 0) {
		return lp_error_set(err, LP_EFAIL,
			"lineprof: LINEPROF_UPROBES=tracefs, but no tracefs with uprobe_events is "
			"mounted and none can be (needs root)");
	} else if (have_pmu) {
		p->mode = MODE_PMU;
	} else {
		return lp_error_set(err, LP_EFAIL,
			"lineprof: uprobes are not available on this kernel (no uprobe PMU in "
			"/sys/bus/event_source/devices, no tracefs uprobe_events): --hits needs "
			"CONFIG_UPROBE_EVENTS");
	}
	room_for_fds(n);
	return p->mode == MODE_TRACEFS ? open_tracefs(p, pid, err) : open_pmu(p, pid, err);
}

int lp_probes_inherited(const lp_probes *p)
{
	return p && p->mode == MODE_TRACEFS;
}

const char *lp_probes_how(const lp_probes *p)
{
	return p && p->mode == MODE_TRACEFS ? "tracefs uprobes" : "the uprobe PMU";
}

/* The profile's module for a probed file: the sampled one if any, by path. */
static int64_t probe_module(lp_profile *prof, const char *path)
{
	char real[PATH_MAX];
	const char *canon = realpath(path, real) ? real : path;

	/* Mappings carry the kernel's canonical path; build-ids may differ in length. */
	for (size_t i = 0; i < prof->nmodules; i++)
		if (strcmp(prof->modules[i].path, canon) == 0 ||
		    strcmp(prof->modules[i].path, path) == 0)
			return (int64_t)i;
	return lp_profile_module(prof, canon, NULL, 0);
}

int lp_probes_collect(lp_probes *p, lp_profile *prof, uint64_t *total, lp_error *err)
{
	*total = 0;
	for (size_t i = 0; p && i < p->n; i++) {
		const lp_probe *pr = &p->probes[i];
		uint64_t count = 0;
		int64_t mod;
		lp_loc loc;

		if (p->fds[i] < 0)
			continue;
		if (read(p->fds[i], &count, sizeof(count)) != (ssize_t)sizeof(count))
			return lp_error_set(err, LP_EFAIL, "lineprof: cannot read the uprobe at %s+0x%llx: %s",
					    pr->path, (unsigned long long)pr->offset, strerror(errno));
		mod = probe_module(prof, pr->path);
		if (mod < 0)
			return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
		memset(&loc, 0, sizeof(loc));
		loc.module = (uint32_t)mod;
		loc.offset = pr->offset;
		*total += count;
		/* A probe never hit is a fact too: the line ran 0 times. */
		if (lp_profile_add_hits(prof, loc, count))
			return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	}
	return LP_OK;
}

void lp_probes_free(lp_probes *p)
{
	if (!p)
		return;
	for (size_t i = 0; p->fds && i < p->n; i++)
		if (p->fds[i] >= 0)
			close(p->fds[i]);
	/* After the counters are closed: an event in use cannot be removed. */
	for (size_t i = 0; p->events_fd >= 0 && i < p->ncreated; i++) {
		char name[32];

		snprintf(name, sizeof(name), "l%zu", i);
		undefine(p->events_fd, p->group, name);
	}
	if (p->events_fd >= 0)
		close(p->events_fd);
	if (p->dir >= 0)
		close(p->dir);
	free(p->fds);
	free(p);
}

/* ---- calibration ---- */

/*
 * What the calibration probes: two sites in a call the compiler cannot
 * remove. The kernel emulates a few instructions (x86: push, jumps, calls,
 * nops) and single-steps the others out of line, which costs a second trap
 * (about 4x on the machines we measured). A probe at the start of a line
 * meets both kinds: on x86-64 one site is a plain mov (single-stepped), the
 * other a push (emulated), and the cost is given as that range.
 */
__attribute__((noinline, used)) void lp_probes_calibration_target(volatile unsigned *x);
__attribute__((noinline, used)) void lp_probes_calibration_target(volatile unsigned *x)
{
#if defined(__x86_64__)
	__asm__ volatile(".globl lp_probes_cal_xol\nlp_probes_cal_xol:\n\tmovq %%rsp, %%rax\n"
			 ".globl lp_probes_cal_emu\nlp_probes_cal_emu:\n\tpushq %%rax\n\tpopq %%rax\n"
			 ::: "rax", "memory");
#endif
	*x = *x + 1;
	__asm__ volatile("" ::: "memory");
}

#if defined(__x86_64__)
extern const char lp_probes_cal_xol[], lp_probes_cal_emu[];
#define CAL_SITES { (uintptr_t)lp_probes_cal_emu, (uintptr_t)lp_probes_cal_xol }
#else
#define CAL_SITES { (uintptr_t)&lp_probes_calibration_target }
#endif

/* The file and file offset of code address addr in this process. 0 or -1. */
static int self_location(uintptr_t addr, char *path, size_t size, uint64_t *off)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[PATH_MAX + 128];
	int rc = -1;

	while (f && rc < 0 && fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi, pgoff;
		char perms[8];
		int at = 0;

		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %n", &lo, &hi, perms, &pgoff, &at) != 4 ||
		    addr < lo || addr >= hi || perms[2] != 'x' || line[at] != '/')
			continue;
		line[strcspn(line, "\n")] = '\0';
		if (strlen(line + at) >= size)
			break;
		strcpy(path, line + at);
		*off = addr - lo + pgoff;
		rc = 0;
	}
	if (f)
		fclose(f);
	return rc;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The fastest of CAL_ROUNDS rounds of CAL_HITS calls, in ns. */
static uint64_t time_calls(void)
{
	uint64_t best = UINT64_MAX;

	for (int r = 0; r < CAL_ROUNDS; r++) {
		volatile unsigned x = 0;
		uint64_t t0 = now_ns(), t;

		for (int i = 0; i < CAL_HITS; i++)
			lp_probes_calibration_target(&x);
		t = now_ns() - t0;
		if (t < best)
			best = t;
	}
	return best;
}

/* ns per hit of a probe at address site of lineprof itself, or -1. */
static double calibrate_site(lp_probes *p, uintptr_t site, uint64_t plain)
{
	struct perf_event_attr a;
	char path[PATH_MAX];
	uint64_t off, count = 0, probed = 0;
	double ns = -1;
	int fd;

	if (self_location(site, path, sizeof(path), &off) != 0)
		return -1;
	counter_attr(&a, 0);
	a.enable_on_exec = 0;
	if (p->mode == MODE_TRACEFS) {
		unsigned long long id;

		if (has_space(path) || tracefs_event(p, "cal", path, off, &id) != 0) {
			undefine(p->events_fd, p->group, "cal");
			return -1;
		}
		a.type = PERF_TYPE_TRACEPOINT;
		a.config = id;
	} else {
		a.type = p->pmu_type;
		a.config1 = (uint64_t)(uintptr_t)path;
		a.config2 = off;
	}
	fd = p->op.open(&a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC, p->op.ctx);
	if (fd >= 0 && ioctl(fd, PERF_EVENT_IOC_ENABLE, 0) == 0) {
		probed = time_calls();
		ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
		/* The probe must have counted every call, or what was timed was not it. */
		if (read(fd, &count, sizeof(count)) == (ssize_t)sizeof(count) &&
		    count == (uint64_t)CAL_HITS * CAL_ROUNDS && probed > plain)
			ns = (double)(probed - plain) / CAL_HITS;
	}
	if (fd >= 0)
		close(fd);
	if (p->mode == MODE_TRACEFS)
		undefine(p->events_fd, p->group, "cal");
	return ns;
}

int lp_probes_calibrate(lp_probes *p, double *lo, double *hi)
{
	const uintptr_t sites[] = CAL_SITES;
	uint64_t plain;

	*lo = *hi = -1;
	if (!p || p->mode == MODE_NONE)
		return -1;
	/* The baseline before any probe exists: a placed breakpoint traps even while disabled. */
	plain = time_calls();
	for (size_t i = 0; i < sizeof(sites) / sizeof(sites[0]); i++) {
		double ns = calibrate_site(p, sites[i], plain);

		if (ns < 0)
			return -1;
		if (*lo < 0 || ns < *lo)
			*lo = ns;
		if (ns > *hi)
			*hi = ns;
	}
	return 0;
}
