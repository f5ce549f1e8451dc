/*
 * Event names through libpfm4, and opening them with honest fallbacks.
 *
 * Users write perf's names and modifiers ("cycles:pp"); libpfm4 knows the
 * names (generic and PMU-specific) but not all of perf's modifier letters, so
 * the trailing modifier group is parsed here and only the base name goes to
 * libpfm4. lineprof profiles user space only: every attr excludes the kernel
 * and the hypervisor, which also keeps perf_event_paranoid=2 machines working.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The kernel's perf_event.h first: libpfm4's copy then steps aside. */
#include <linux/perf_event.h>
#include <perfmon/pfmlib_perf_event.h>

#include "events.h"
#include "lineprof/metric.h"

/* perf's generic names, always listed; also the encodings libpfm4 lacks. */
typedef struct lp_generic {
	const char *name;
	uint32_t type;
	uint64_t config;
	const char *desc;
} lp_generic;

static const lp_generic generic_events[] = {
	{"cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, "CPU cycles"},
	{"instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS, "instructions retired"},
	{"cache-references", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_REFERENCES,
	 "last-level cache accesses"},
	{"cache-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES, "last-level cache misses"},
	{"branches", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_INSTRUCTIONS,
	 "branch instructions retired"},
	{"branch-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_MISSES, "mispredicted branches"},
	{"bus-cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BUS_CYCLES, "bus cycles"},
	{"ref-cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_REF_CPU_CYCLES,
	 "reference cycles, not scaled by CPU frequency"},
	{"cpu-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK, "CPU time by a timer, in ns"},
	{"task-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK, "task running time, in ns"},
	{"page-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS, "page faults"},
	{"minor-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MIN,
	 "page faults served without I/O"},
	{"major-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MAJ,
	 "page faults that needed I/O"},
	{"context-switches", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES, "context switches"},
	{"cpu-migrations", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS,
	 "moves of a thread to another CPU"},
	{"alignment-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_ALIGNMENT_FAULTS,
	 "unaligned accesses fixed up by the kernel"},
	{"emulation-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_EMULATION_FAULTS,
	 "instructions emulated by the kernel"},
};

#define NGENERIC (sizeof(generic_events) / sizeof(generic_events[0]))

int lp_events_sysopen(struct perf_event_attr *attr, pid_t pid, int cpu, int group_fd,
		      unsigned long flags, void *ctx)
{
	(void)ctx;
	return (int)syscall(SYS_perf_event_open, attr, pid, cpu, group_fd, flags);
}

int lp_events_is_hardware(const struct perf_event_attr *attr)
{
	/* Everything but the kernel's own software PMUs needs hardware behind it. */
	return attr->type != PERF_TYPE_SOFTWARE && attr->type != PERF_TYPE_TRACEPOINT &&
	       attr->type != PERF_TYPE_BREAKPOINT;
}

int lp_events_is_clock(const struct perf_event_attr *attr)
{
	return attr->type == PERF_TYPE_SOFTWARE &&
	       (attr->config == PERF_COUNT_SW_CPU_CLOCK || attr->config == PERF_COUNT_SW_TASK_CLOCK);
}

/* These happen only in kernel context: user space only, they would count 0. */
static int kernel_only(const struct perf_event_attr *a)
{
	return a->type == PERF_TYPE_SOFTWARE &&
	       (a->config == PERF_COUNT_SW_CONTEXT_SWITCHES ||
		a->config == PERF_COUNT_SW_CPU_MIGRATIONS ||
		a->config == PERF_COUNT_SW_CGROUP_SWITCHES);
}

static void notice(FILE *diag, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One line per decision that changes what is measured: the user must know. */
static void notice(FILE *diag, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(diag ? diag : stderr, fmt, ap);
	va_end(ap);
	fputc('\n', diag ? diag : stderr);
	fflush(diag ? diag : stderr);
}

static int pfm_ready(lp_error *err)
{
	/* libpfm4 remembers its own initialization: calling again is cheap. */
	int r = pfm_initialize();

	if (r != PFM_SUCCESS)
		return lp_error_set(err, LP_EFAIL, "lineprof: cannot initialize libpfm4: %s",
				    pfm_strerror(r));
	return LP_OK;
}

void lp_events_done(void)
{
	pfm_terminate();
}

/* The perf modifier group is a last ":xyz" made only of modifier letters. */
static const char *perf_modifiers(const char *name)
{
	const char *c = strrchr(name, ':');

	if (!c || c == name || c[1] == '\0' || c[-1] == ':')
		return NULL;
	return strspn(c + 1, "ukhpP") == strlen(c + 1) ? c + 1 : NULL;
}

static void set_measured(lp_event *ev)
{
	char p[4] = "";

	for (unsigned i = 0; i < ev->attr.precise_ip && i < 3; i++)
		p[i] = 'p';
	/* base is shorter than name, which had room for its own modifiers. */
	if (snprintf(ev->measured, sizeof(ev->measured), "%s%s%s", ev->base, p[0] ? ":" : "",
		     p) >= (int)sizeof(ev->measured))
		strcpy(ev->measured, ev->base);
}

int lp_events_parse(lp_event *ev, const char *name, lp_error *err)
{
	const char *mods;
	unsigned precise = 0;
	pfm_perf_encode_arg_t arg;
	int r;

	memset(ev, 0, sizeof(*ev));
	if (!name || !*name)
		return lp_error_set(err, LP_EUSAGE, "lineprof: empty event name (see lineprof --list-events)");
	if (strlen(name) >= sizeof(ev->name))
		return lp_error_set(err, LP_EUSAGE, "lineprof: event name '%.40s...' is too long",
				    name);
	strcpy(ev->name, name);
	strcpy(ev->base, name);
	mods = perf_modifiers(name);
	if (mods) {
		ev->base[mods - 1 - name] = '\0';
		for (const char *m = mods; *m; m++) {
			if (*m == 'k' || *m == 'h')
				return lp_error_set(err, LP_EUSAGE,
					"lineprof: event '%s' asks for kernel or hypervisor samples; "
					"lineprof profiles user space only (write '%s')", name, ev->base);
			if (*m == 'p')
				precise++;
			if (*m == 'u')
				ev->user_only = 1;
			if (*m == 'P')
				precise = 3; /* the most precise level; lowered if refused */
		}
		if (precise > 3)
			return lp_error_set(err, LP_EUSAGE,
				"lineprof: event '%s': at most 3 'p' modifiers (:ppp)", name);
	}

	/*
	 * perf's generic names straight from the table: libpfm4 encodes them to
	 * the same type and config, and skipping pfm_initialize saves half a
	 * millisecond of every run's start-up. The table also has the few
	 * libpfm4 lacks (alignment-faults...).
	 */
	for (size_t i = 0; i < NGENERIC; i++) {
		if (strcmp(generic_events[i].name, ev->base) != 0)
			continue;
		ev->attr.type = generic_events[i].type;
		ev->attr.config = generic_events[i].config;
		goto encoded;
	}
	if ((r = pfm_ready(err)) != LP_OK)
		return r;
	memset(&arg, 0, sizeof(arg));
	arg.attr = &ev->attr;
	arg.size = sizeof(arg);
	r = pfm_get_os_event_encoding(ev->base, PFM_PLM3, PFM_OS_PERF_EVENT_EXT, &arg);
	if (r == PFM_ERR_NOTFOUND) {
		return lp_error_set(err, LP_EUSAGE,
			"lineprof: unknown event '%s' (see lineprof --list-events)", name);
	} else if (r != PFM_SUCCESS) {
		return lp_error_set(err, LP_EUSAGE,
			"lineprof: cannot encode event '%s': %s (see lineprof --list-events)",
			name, pfm_strerror(r));
	}
encoded:
	/* libpfm4's own syntax can also ask for the kernel only ("cycles:k=1:u=0"). */
	if (ev->attr.exclude_user)
		return lp_error_set(err, LP_EUSAGE,
			"lineprof: event '%s' excludes user space; lineprof profiles user space only",
			name);
	if (kernel_only(&ev->attr))
		return lp_error_set(err, LP_EUSAGE,
			"lineprof: event '%s' happens only inside the kernel, which lineprof does not "
			"profile (it would always count 0)", name);
	ev->attr.size = sizeof(ev->attr);
	ev->attr.exclude_kernel = 1;
	ev->attr.exclude_hv = 1;
	if (precise > ev->attr.precise_ip)
		ev->attr.precise_ip = precise;
	strcpy(ev->measured, ev->name);
	return LP_OK;
}

static int read_paranoid(void)
{
	FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "r");
	int v = -100;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -100;
		fclose(f);
	}
	return v;
}

int lp_events_open_error(lp_error *err, int e, const char *what, int cpu)
{
	int p;

	switch (e) {
	case EACCES:
	case EPERM:
		p = read_paranoid();
		if (p == -100)
			return lp_error_set(err, LP_EFAIL,
				"lineprof: not allowed to open event '%s' (perf_event_paranoid unreadable); "
				"run as root or `sysctl -w kernel.perf_event_paranoid=1`", what);
		return lp_error_set(err, LP_EFAIL,
			"lineprof: not allowed to open event '%s': /proc/sys/kernel/perf_event_paranoid "
			"is %d; run as root or `sysctl -w kernel.perf_event_paranoid=1`", what, p);
	case EMFILE:
	case ENFILE:
		return lp_error_set(err, LP_EFAIL,
			"lineprof: too many open files opening event '%s' on CPU %d; raise `ulimit -n`",
			what, cpu);
	case ENOENT:
	case ENODEV:
	case EOPNOTSUPP:
		return lp_error_set(err, LP_EFAIL,
			"lineprof: event '%s' cannot be opened on CPU %d of this machine (%s); "
			"see lineprof --list-events", what, cpu, strerror(e));
	case ESRCH:
		return lp_error_set(err, LP_EFAIL,
			"lineprof: the target exited before event '%s' was opened", what);
	default:
		return lp_error_set(err, LP_EFAIL, "lineprof: cannot open event '%s' on CPU %d: %s",
				    what, cpu, strerror(e));
	}
}

/*
 * One event, retrying the way perf does when the kernel refuses a detail:
 * precise_ip one level lower at a time, then without build_id (< 5.12), then
 * (a leader) without the group read that inherited events cannot have before
 * Linux 6.12. Returns an fd, or -1 with the last errno in *e.
 */
static int open_retrying(lp_event *ev, pid_t pid, int cpu, int group, const lp_opener *op,
			 int *noread, int *e)
{
	struct perf_event_attr *a = &ev->attr;
	unsigned precise = a->precise_ip;
	int fd;

	for (;;) {
		fd = op->open(a, pid, cpu, group, PERF_FLAG_FD_CLOEXEC, op->ctx);
		if (fd >= 0)
			return fd;
		*e = errno;
		if ((*e == EINVAL || *e == EOPNOTSUPP) && a->precise_ip > 0) {
			a->precise_ip--;
			continue;
		}
		/* Kernel mode is a wish: perf_event_paranoid > 1 refuses it to most users. */
		if ((*e == EACCES || *e == EPERM) && group < 0 && !a->exclude_kernel) {
			a->exclude_kernel = 1;
			continue;
		}
		if (*e == EINVAL && a->build_id) {
			a->build_id = 0;
			a->precise_ip = precise;
			continue;
		}
		if (*e == EINVAL && group < 0 && a->inherit && (a->sample_type & PERF_SAMPLE_READ)) {
			a->sample_type &= ~(uint64_t)PERF_SAMPLE_READ;
			a->read_format = 0;
			a->precise_ip = precise;
			*noread = 1;
			continue;
		}
		return -1;
	}
}

static void close_fds(int *fds, int n)
{
	for (int i = 0; i < n; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

static void drop_event(lp_event *ev, int *nev, int i)
{
	memmove(&ev[i], &ev[i + 1], (size_t)(*nev - i - 1) * sizeof(*ev));
	(*nev)--;
}

static int open_strict(lp_event *ev, int nev, pid_t pid, int cpu, int *fds,
		       const lp_opener *op, lp_error *err)
{
	for (int i = 0; i < nev; i++) {
		fds[i] = op->open(&ev[i].attr, pid, cpu, i ? fds[0] : -1, PERF_FLAG_FD_CLOEXEC,
				  op->ctx);
		if (fds[i] < 0) {
			int e = errno;

			close_fds(fds, i);
			return lp_events_open_error(err, e, ev[i].measured, cpu);
		}
	}
	return LP_OK;
}

/* A member the group refused: would it open on its own (so the group is the problem)? */
static int opens_alone(const lp_event *ev, pid_t pid, int cpu, const lp_opener *op)
{
	struct perf_event_attr a = ev->attr;
	int fd;

	a.read_format = 0;
	a.sample_type &= ~(uint64_t)PERF_SAMPLE_READ;
	a.disabled = 1;
	fd = op->open(&a, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC, op->ctx);
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

/* Member i opens alone but not in the group of ev[0..i-1]: say so, naming them. */
static int group_error(lp_error *err, int e, const lp_event *ev, int i, int cpu)
{
	char with[512] = "";
	size_t len = 0;

	for (int j = 0; j < i && len < sizeof(with); j++)
		len += (size_t)snprintf(with + len, sizeof(with) - len, "%s'%s'", j ? ", " : "",
					ev[j].measured);
	return lp_error_set(err, LP_EFAIL,
		"lineprof: event '%s' cannot be counted in one group with %s on CPU %d (%s): "
		"the PMU cannot schedule them together (more events than counters, or events "
		"of different PMUs); every -e event is read at each sample, so ask for fewer",
		ev[i].name, with, cpu, strerror(e));
}

int lp_events_open_group(lp_event *ev, int *nev, pid_t pid, int cpu, int adapt,
			 int *fds, const lp_opener *op, FILE *diag, lp_error *err)
{
	int noread = 0, e = 0;

	if (!adapt)
		return open_strict(ev, *nev, pid, cpu, fds, op, err);
	for (int i = 0; i < *nev;) {
		unsigned asked = ev[i].attr.precise_ip;

		if (i > 0 && noread) {
			notice(diag, "lineprof: this kernel cannot read counter groups of inherited "
			       "events (Linux >= 6.12 can); not counting '%s'", ev[i].name);
			drop_event(ev, nev, i);
			continue;
		}
		fds[i] = open_retrying(&ev[i], pid, cpu, i ? fds[0] : -1, op, &noread, &e);
		if (fds[i] >= 0) {
			if (ev[i].attr.precise_ip != asked)
				set_measured(&ev[i]);
			i++;
			continue;
		}
		if ((e == ENOENT || e == EOPNOTSUPP || e == ENODEV) &&
		    lp_events_is_hardware(&ev[i].attr)) {
			if (i > 0) {
				notice(diag, "lineprof: no hardware PMU for '%s' on this machine; "
				       "not counting it", ev[i].name);
				drop_event(ev, nev, i);
				continue;
			}
			/* The sampling leader: a timer is the honest stand-in for cycles. */
			notice(diag, "lineprof: no hardware PMU for '%s' on this machine; "
			       "sampling cpu-clock instead", ev[i].name);
			ev[i].attr.type = PERF_TYPE_SOFTWARE;
			ev[i].attr.config = PERF_COUNT_SW_CPU_CLOCK;
			ev[i].attr.config1 = ev[i].attr.config2 = 0;
			ev[i].attr.precise_ip = 0;
			ev[i].attr.exclude_kernel = !ev[i].kernel; /* a clock: its kernel time is time */
			strcpy(ev[i].base, "cpu-clock");
			strcpy(ev[i].measured, "cpu-clock");
			continue;
		}
		close_fds(fds, i);
		/* What the kernel answers a group that does not fit its counters. */
		if (i > 0 && (e == EINVAL || e == ENOSPC || e == EBUSY) &&
		    opens_alone(&ev[i], pid, cpu, op))
			return group_error(err, e, ev, i, cpu);
		return lp_events_open_error(err, e, ev[i].name, cpu);
	}
	return LP_OK;
}

/* Opens attr for this process, counting only: 1 it exists here, 0 not, -1 not allowed. */
static int can_open(struct perf_event_attr *attr, const lp_opener *op)
{
	int fd;

	attr->size = sizeof(*attr);
	attr->disabled = 1;
	attr->exclude_kernel = 1;
	attr->exclude_hv = 1;
	attr->exclude_user = 0;
	fd = op->open(attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC, op->ctx);
	if (fd < 0)
		return errno == EACCES || errno == EPERM ? -1 : 0;
	close(fd);
	return 1;
}

/*
 * libpfm4 believes CPUID, not the kernel: a VM may claim a PMU it cannot
 * use. The first event of the PMU tells: 1 usable, 0 not, -1 unknown.
 */
static int pmu_usable(const char *pmu, const char *event, const lp_opener *op)
{
	struct perf_event_attr attr;
	pfm_perf_encode_arg_t arg;
	char full[512];

	snprintf(full, sizeof(full), "%s::%s", pmu, event);
	memset(&attr, 0, sizeof(attr));
	memset(&arg, 0, sizeof(arg));
	arg.attr = &attr;
	arg.size = sizeof(arg);
	if (pfm_get_os_event_encoding(full, PFM_PLM3, PFM_OS_PERF_EVENT_EXT, &arg) != PFM_SUCCESS)
		return -1;
	return can_open(&attr, op);
}

int lp_events_list(FILE *out, const lp_opener *op, lp_error *err)
{
	pfm_pmu_t p;
	int r;

	if ((r = pfm_ready(err)) != LP_OK)
		return r;
	fprintf(out, "Generic events (user space only; 'no': this machine cannot count it, "
		"'denied': not allowed, see perf_event_paranoid):\n");
	for (size_t i = 0; i < NGENERIC; i++) {
		struct perf_event_attr attr;
		const char *state;

		memset(&attr, 0, sizeof(attr));
		attr.type = generic_events[i].type;
		attr.config = generic_events[i].config;
		switch (kernel_only(&attr) ? 0 : can_open(&attr, op)) {
		case 1: state = "yes"; break;
		case -1: state = "denied"; break;
		default: state = "no"; break;
		}
		fprintf(out, "  %-18s %-6s %s%s\n", generic_events[i].name, state,
			generic_events[i].desc,
			kernel_only(&attr) ? " (only in the kernel, which lineprof does not profile)" : "");
	}
	pfm_for_all_pmus(p) {
		pfm_pmu_info_t pinfo;
		pfm_event_info_t info;
		int idx, usable;

		memset(&pinfo, 0, sizeof(pinfo));
		pinfo.size = sizeof(pinfo);
		if (pfm_get_pmu_info(p, &pinfo) != PFM_SUCCESS || !pinfo.is_present)
			continue;
		/* libpfm4's "perf" PMUs are the generic names listed above. */
		if (p == PFM_PMU_PERF_EVENT || p == PFM_PMU_PERF_EVENT_RAW)
			continue;
		idx = pinfo.first_event;
		memset(&info, 0, sizeof(info));
		info.size = sizeof(info);
		if (idx < 0 || pfm_get_event_info(idx, PFM_OS_PERF_EVENT_EXT, &info) != PFM_SUCCESS)
			continue;
		usable = pmu_usable(pinfo.name, info.name, op);
		fprintf(out, "\n%s events (%s)%s:\n", pinfo.name, pinfo.desc,
			usable == 0 ? " - not usable here, the kernel has no such PMU" : "");
		for (; idx >= 0; idx = pfm_get_event_next(idx)) {
			memset(&info, 0, sizeof(info));
			info.size = sizeof(info);
			if (pfm_get_event_info(idx, PFM_OS_PERF_EVENT_EXT, &info) != PFM_SUCCESS)
				continue;
			fprintf(out, "  %s::%s\n      %s\n", pinfo.name, info.name,
				info.desc ? info.desc : "");
		}
	}
	if (fflush(out) != 0 || ferror(out))
		return lp_error_set(err, LP_EFAIL, "lineprof: cannot write the event list: %s",
				    strerror(errno));
	return LP_OK;
}

int lp_events_can_count(const char *const *names, int n, const lp_opener *op, int *failed,
			int *err_no)
{
	int fds[LP_MAX_EVENTS], rc = 1;

	*failed = -1;
	*err_no = 0;
	for (int i = 0; i < n && i < LP_MAX_EVENTS; i++)
		fds[i] = -1;
	for (int i = 0; i < n && i < LP_MAX_EVENTS && rc == 1; i++) {
		lp_event ev;
		lp_error perr = { 0 };

		if (lp_events_parse(&ev, names[i], &perr) != LP_OK) {
			*failed = i;
			*err_no = ENOENT;
			rc = 0;
			break;
		}
		ev.attr.disabled = 1;
		fds[i] = op->open(&ev.attr, 0, -1, i ? fds[0] : -1, PERF_FLAG_FD_CLOEXEC, op->ctx);
		if (fds[i] < 0) {
			*failed = i;
			*err_no = errno;
			rc = errno == EACCES || errno == EPERM ? -1 : 0;
		}
	}
	for (int i = 0; i < n && i < LP_MAX_EVENTS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return rc;
}

/* How to record a metric's inputs: IPC samples cycles; a ratio keeps the Time column honest. */
static void metric_example(const lp_metric *m, char *buf, size_t size)
{
	if (strcmp(m->denominator, "cycles") == 0)
		snprintf(buf, size, "-e %s,%s", m->denominator, m->numerator);
	else
		snprintf(buf, size, "-e cpu-clock,%s,%s", m->denominator, m->numerator);
}

int lp_events_list_metrics(FILE *out, const lp_opener *op, lp_error *err)
{
	int r;

	if ((r = pfm_ready(err)) != LP_OK)
		return r;
	fprintf(out, "Derived metrics: a column per line in the table, --listing, --csv and --json,\n"
		"shown only when both inputs were counted in the run (-e). Here: 'yes' this\n"
		"machine can count both together, 'no' it cannot, 'denied' not allowed.\n\n");
	fprintf(out, "  %-18s %-14s %-32s %-6s %s\n", "KEY", "COLUMN", "RATIO", "HERE", "RECORD WITH");
	for (int i = 0; i < LP_NMETRICS; i++) {
		const lp_metric *m = &lp_metrics[i];
		const char *names[2] = { m->denominator, m->numerator };
		char ratio[64], example[128], why[256] = "";
		int failed, e, ok = lp_events_can_count(names, 2, op, &failed, &e);

		snprintf(ratio, sizeof(ratio), "%s / %s", m->numerator, m->denominator);
		metric_example(m, example, sizeof(example));
		if (ok == 0)
			snprintf(why, sizeof(why), " (%s: %s)", names[failed < 0 ? 0 : failed],
				 e == ENOENT || e == ENODEV || e == EOPNOTSUPP
				 ? "no such counter on this machine" : strerror(e));
		fprintf(out, "  %-18s %-14s %-32s %-6s %s%s\n", m->key, m->column, ratio,
			ok == 1 ? "yes" : ok < 0 ? "denied" : "no", example, why);
	}
	if (fflush(out) != 0 || ferror(out))
		return lp_error_set(err, LP_EFAIL, "lineprof: cannot write the metric list: %s",
				    strerror(errno));
	return LP_OK;
}
