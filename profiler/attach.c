/*
 * Processes lineprof did not start, through /proc.
 *
 * Whether one may be profiled is decided by the kernel at perf_event_open:
 * CAP_PERFMON (or root), else ptrace READ access with the real credentials
 * (the same user and group in every id, a dumpable process, no security
 * module saying no), and kernel.perf_event_paranoid <= 2 for an
 * unprivileged user. Yama's ptrace_scope guards ptrace ATTACH only, so it
 * plays no part. A test open tells whether it is allowed; /proc tells why
 * not, so the message names the one reason that applies.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "attach.h"
#include "procfs.h"

#define PF_KTHREAD_FLAG 0x00200000 /* include/linux/sched.h: a kernel thread */

static uint64_t parse_hex(const char **p, int *bad)
{
	char *end;
	uint64_t v;

	errno = 0;
	v = strtoull(*p, &end, 16);
	if (end == *p || errno)
		*bad = 1;
	*p = end;
	return v;
}

static const char *skip_word(const char *p)
{
	while (*p && *p != ' ')
		p++;
	while (*p == ' ')
		p++;
	return p;
}

int lp_procmaps_parse(char *line, lp_procmap *m)
{
	const char *p = line;
	char *path, *w;
	size_t len;
	int bad = 0;

	memset(m, 0, sizeof(*m));
	m->start = parse_hex(&p, &bad);
	if (bad || *p++ != '-')
		return -1;
	m->end = parse_hex(&p, &bad);
	if (bad || *p != ' ' || m->end < m->start)
		return -1;
	while (*p == ' ')
		p++;
	if (strlen(p) < 4 || p[4] != ' ')
		return -1; /* perms: rwxp */
	m->exec = p[2] == 'x';
	p = skip_word(p);
	m->pgoff = parse_hex(&p, &bad);
	if (bad || *p != ' ')
		return -1;
	p = skip_word(p);       /* at dev */
	if (!*p || !strchr(p, ':'))
		return -1;
	p = skip_word(p);       /* at inode */
	if (!isdigit((unsigned char)*p))
		return -1;
	p = skip_word(p);       /* at the path, or the end */
	path = line + (p - line);
	len = strlen(path);
	if (len && path[len - 1] == '\n')
		path[--len] = '\0';
	/* seq_file escapes a newline in a name as \012; nothing else. */
	for (w = path; *p; ) {
		if (strncmp(p, "\\012", 4) == 0) {
			*w++ = '\n';
			p += 4;
		} else {
			*w++ = *p++;
		}
	}
	*w = '\0';
	m->path = path;
	return 0;
}

static int by_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return x < y ? -1 : x > y;
}

int lp_proc_tids(int pid, int **tids, size_t *n)
{
	char dir[64];
	struct dirent *e;
	size_t cap = 0;
	int *v = NULL;
	DIR *d;

	*tids = NULL;
	*n = 0;
	snprintf(dir, sizeof(dir), "/proc/%d/task", pid);
	d = opendir(dir);
	if (!d) {
		if (errno == ENOENT)
			errno = ESRCH;
		return -1;
	}
	while ((e = readdir(d))) {
		char *end;
		long tid = strtol(e->d_name, &end, 10);

		if (*end || tid <= 0)
			continue;
		if (*n == cap) {
			int *nv = realloc(v, (cap = cap ? 2 * cap : 16) * sizeof(*nv));

			if (!nv) {
				free(v);
				closedir(d);
				errno = ENOMEM;
				return -1;
			}
			v = nv;
		}
		v[(*n)++] = (int)tid;
	}
	closedir(d);
	if (*n)
		qsort(v, *n, sizeof(*v), by_int);
	*tids = v;
	return 0;
}

/* "Name:\tvalue" of /proc/PID/status: the value's numbers, up to 4. */
static int status_ids(int pid, const char *key, long ids[4])
{
	char buf[4096];
	const char *p = lp_proc_status(pid, key, buf, sizeof(buf));
	int n = 0;

	if (!p)
		return -1;
	while (n < 4) {
		char *end;
		long v = strtol(p, &end, 10);

		if (end == p)
			break;
		ids[n++] = v;
		p = end;
	}
	return n;
}

static void read_comm(int pid, int tid, char *out, size_t size)
{
	char path[96], buf[64];
	ssize_t n;

	if (tid > 0)
		snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", pid, tid);
	else
		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	out[0] = '\0';
	if ((n = lp_proc_read(path, buf, sizeof(buf))) <= 0)
		return;
	if (buf[n - 1] == '\n')
		buf[--n] = '\0';
	if ((size_t)n >= size)
		n = (ssize_t)size - 1; /* comm is at most 15 bytes anyway */
	memcpy(out, buf, (size_t)n);
	out[n] = '\0';
}

static int read_sysctl_int(const char *path, long *v)
{
	char buf[64];

	if (lp_proc_read(path, buf, sizeof(buf)) <= 0)
		return -1;
	*v = strtol(buf, NULL, 10);
	return 0;
}

static const char *user_name(long uid, char *buf, size_t size)
{
	struct passwd *pw = getpwuid((uid_t)uid);

	if (pw)
		snprintf(buf, size, "%s (uid %ld)", pw->pw_name, uid);
	else
		snprintf(buf, size, "uid %ld", uid);
	return buf;
}

/* A counting event on pid, opened and closed: 0, or the errno of the refusal. */
static int test_open(int pid, const lp_opener *op)
{
	struct perf_event_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_TASK_CLOCK;
	a.disabled = 1;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	fd = op->open(&a, pid, -1, -1, PERF_FLAG_FD_CLOEXEC, op->ctx);
	if (fd < 0)
		return errno ? errno : EINVAL;
	close(fd);
	return 0;
}

/* perf_event_open refused pid with e: which of the kernel's rules said no. */
static int denied(int pid, int e, const lp_opener *op, lp_error *err)
{
	long uid[4] = {-1, -1, -1, -1}, gid[4] = {-1, -1, -1, -1}, paranoid = -100;
	long me = (long)getuid(), mygid = (long)getgid();
	char who[96], us[96], para[32] = "unreadable";
	struct stat st;
	int nu, ng;

	if (read_sysctl_int("/proc/sys/kernel/perf_event_paranoid", &paranoid) == 0)
		snprintf(para, sizeof(para), "%ld", paranoid);
	/* Refused for ourselves too: no process can be profiled from here. */
	if (test_open(0, op) != 0) {
		if (paranoid > 2)
			return lp_error_set(err, LP_EFAIL, "lineprof: -p %d: not allowed: "
				"kernel.perf_event_paranoid is %s, which lets no unprivileged user profile; "
				"run as root (or with CAP_PERFMON), or `sysctl -w "
				"kernel.perf_event_paranoid=2`", pid, para);
		return lp_error_set(err, LP_EFAIL, "lineprof: -p %d: not allowed: perf_event_open is "
			"refused to lineprof itself (%s) although kernel.perf_event_paranoid is %s: a "
			"seccomp filter (a container's) or a security module blocks it", pid,
			strerror(e), para);
	}
	nu = status_ids(pid, "Uid", uid);
	ng = status_ids(pid, "Gid", gid);
	if (nu >= 3 && (uid[0] != me || uid[1] != me || uid[2] != me))
		return lp_error_set(err, LP_EFAIL, "lineprof: -p %d: not allowed: the process runs as "
			"%s, lineprof as %s; another user's process takes root or CAP_PERFMON (or "
			"running lineprof as that user)", pid,
			user_name(uid[0] != me ? uid[0] : uid[1] != me ? uid[1] : uid[2], who, sizeof(who)),
			user_name(me, us, sizeof(us)));
	if (ng >= 3 && (gid[0] != mygid || gid[1] != mygid || gid[2] != mygid))
		return lp_error_set(err, LP_EFAIL, "lineprof: -p %d: not allowed: the process runs with "
			"group id %ld, lineprof with %ld (a set-group-ID program?); that takes root or "
			"CAP_PERFMON", pid, gid[0] != mygid ? gid[0] : gid[1] != mygid ? gid[1] : gid[2],
			mygid);
	/* The files under /proc/PID belong to root while the process is not dumpable. */
	{
		char path[64];

		snprintf(path, sizeof(path), "/proc/%d/status", pid);
		if (nu >= 1 && stat(path, &st) == 0 && (long)st.st_uid != uid[0])
			return lp_error_set(err, LP_EFAIL, "lineprof: -p %d: not allowed: the process is "
				"not dumpable (a set-user-ID program, or it called prctl(PR_SET_DUMPABLE, "
				"0)); profiling it takes root or CAP_PERFMON", pid);
	}
	return lp_error_set(err, LP_EFAIL, "lineprof: -p %d: not allowed (%s): the process is yours "
		"and dumpable and kernel.perf_event_paranoid is %s, so a security module (SELinux, "
		"AppArmor) refuses it; root or CAP_PERFMON may still profile it", pid, strerror(e),
		para);
}

static int gone_error(lp_error *err, int pid)
{
	return lp_error_set(err, LP_EFAIL, "lineprof: -p %d: no such process", pid);
}

static int pidfd_of(int pid)
{
#ifdef SYS_pidfd_open
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);

	if (fd >= 0)
		fcntl(fd, F_SETFD, FD_CLOEXEC); /* pidfd_open sets it; say so anyway */
	return fd;
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

static int check_one(lp_attached *p, int pid, const lp_opener *op, lp_error *err)
{
	char buf[1024], *f[20];
	long tgid[4];
	int e, n;

	p->pid = pid;
	p->pidfd = -1;
	if (pid == getpid())
		return lp_error_set(err, LP_EUSAGE, "lineprof: -p %d is lineprof itself", pid);
	n = lp_proc_stat(pid, buf, sizeof(buf), f, 20);
	if (n < 0)
		return gone_error(err, pid);
	if (status_ids(pid, "Tgid", tgid) >= 1 && tgid[0] != pid)
		return lp_error_set(err, LP_EFAIL, "lineprof: -p %d is a thread of process %ld: give "
				    "-p %ld (every thread of a process is profiled)", pid, tgid[0],
				    tgid[0]);
	if (n < 20)
		return lp_error_set(err, LP_EFAIL, "lineprof: -p %d: cannot read /proc/%d/stat", pid,
				    pid);
	if (f[0][0] == 'Z' || f[0][0] == 'X')
		return lp_error_set(err, LP_EFAIL, "lineprof: -p %d: the process has exited (a zombie "
				    "its parent has not reaped)", pid);
	read_comm(pid, 0, p->comm, sizeof(p->comm));
	if (strtoull(f[6], NULL, 10) & PF_KTHREAD_FLAG)
		return lp_error_set(err, LP_EFAIL, "lineprof: -p %d: %s is a kernel thread; lineprof "
				    "profiles the user-space code of processes", pid, p->comm);
	p->start_ticks = strtoull(f[19], NULL, 10);
	/* Pinned before the test open: a pid reused from here on is not taken for this process. */
	p->pidfd = pidfd_of(pid);
	if (p->pidfd < 0 && errno == ESRCH)
		return gone_error(err, pid);
	e = test_open(pid, op);
	if (e == ESRCH)
		return gone_error(err, pid);
	if (e == EACCES || e == EPERM)
		return denied(pid, e, op, err);
	if (e)
		return lp_error_set(err, LP_EFAIL, "lineprof: -p %d: cannot open an event on the "
				    "process: %s", pid, strerror(e));
	p->utime0 = p->utime = strtoull(f[11], NULL, 10);
	p->stime0 = p->stime = strtoull(f[12], NULL, 10);
	p->cpu_known = 1;
	return LP_OK;
}

int lp_attach_init(lp_attach *a, const int *pids, int npids, const lp_opener *op, lp_error *err)
{
	memset(a, 0, sizeof(*a));
	a->procs = calloc((size_t)(npids > 0 ? npids : 1), sizeof(*a->procs));
	if (!a->procs)
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	for (int i = 0; i < npids; i++) {
		int dup = 0, rc;

		for (int j = 0; j < a->nprocs; j++)
			dup |= a->procs[j].pid == pids[i];
		if (dup)
			continue;
		rc = check_one(&a->procs[a->nprocs], pids[i], op, err);
		a->nprocs++; /* counted even on error, so that free closes its pidfd */
		if (rc != LP_OK)
			return rc;
	}
	if (a->nprocs == 0)
		return lp_error_set(err, LP_EUSAGE, "lineprof: -p needs a process id");
	return LP_OK;
}

void lp_attach_free(lp_attach *a)
{
	for (int i = 0; i < a->nprocs; i++)
		if (a->procs[i].pidfd >= 0)
			close(a->procs[i].pidfd);
	free(a->procs);
	free(a->tasks);
	memset(a, 0, sizeof(*a));
}

static int known_task(const lp_attach *a, int tid)
{
	for (size_t i = 0; i < a->ntasks; i++)
		if (a->tasks[i].tid == tid)
			return 1;
	return 0;
}

int lp_attach_scan(lp_attach *a)
{
	for (int i = 0; i < a->nprocs; i++) {
		int *tids;
		size_t n;

		if (a->procs[i].gone)
			continue;
		if (lp_proc_tids(a->procs[i].pid, &tids, &n))
			continue; /* gone meanwhile: its pidfd will say so */
		for (size_t k = 0; k < n; k++) {
			if (known_task(a, tids[k]))
				continue;
			if (a->ntasks == a->captasks) {
				size_t cap = a->captasks ? 2 * a->captasks : 16;
				lp_task *t = realloc(a->tasks, cap * sizeof(*t));

				if (!t) {
					free(tids);
					return -1;
				}
				a->tasks = t;
				a->captasks = cap;
			}
			a->tasks[a->ntasks].pid = a->procs[i].pid;
			a->tasks[a->ntasks].tid = tids[k];
			a->tasks[a->ntasks++].state = LP_TASK_NEW;
		}
		free(tids);
	}
	return 0;
}

int lp_attach_alive(int pid, int tid)
{
	char path[64], buf[1024], *f[1];

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	return lp_proc_stat_file(path, buf, sizeof(buf), f, 1) == 1 && f[0][0] != 'Z' && f[0][0] != 'X';
}

int lp_attach_has_run(int pid, int tid)
{
	char path[64], buf[128];

	snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", pid, tid);
	if (lp_proc_read(path, buf, sizeof(buf)) <= 0)
		return 1; /* no schedstat (CONFIG_SCHED_INFO off), or gone: nothing to wait for */
	return strtoull(buf, NULL, 10) > 0;
}

static const lp_attached *proc_of(const lp_attach *a, int pid)
{
	for (int i = 0; i < a->nprocs; i++)
		if (a->procs[i].pid == pid)
			return &a->procs[i];
	return NULL;
}

int lp_attach_describe_task(lp_attach *a, lp_collect *col, const lp_task *t, lp_error *err)
{
	const lp_attached *p = proc_of(a, t->pid);
	char comm[16];

	read_comm(t->pid, t->tid, comm, sizeof(comm));
	if (lp_collect_add_thread(col, t->pid, t->tid, comm[0] ? comm : NULL,
				  p && p->comm[0] ? p->comm : NULL))
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	return LP_OK;
}

/* Every executable mapping of pid, as the kernel's MMAP2 records would have given them. */
static int describe_maps(lp_collect *col, int pid)
{
	char path[64], *line = NULL;
	size_t cap = 0;
	int rc = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return 0; /* exited meanwhile: nothing of it will be sampled */
	while (rc == 0 && getline(&line, &cap, f) > 0) {
		lp_procmap m;

		if (lp_procmaps_parse(line, &m) || !m.exec)
			continue;
		rc = lp_collect_add_mapping(col, pid, m.start, m.end - m.start, m.pgoff,
					    m.path[0] ? m.path : "//anon");
	}
	free(line);
	fclose(f);
	return rc;
}

int lp_attach_describe(lp_attach *a, lp_collect *col, lp_error *err)
{
	int rc;

	/* Threads first: a process's first thread starts its (empty) maps. */
	for (size_t i = 0; i < a->ntasks; i++)
		if (a->tasks[i].state == LP_TASK_OPEN &&
		    (rc = lp_attach_describe_task(a, col, &a->tasks[i], err)) != LP_OK)
			return rc;
	for (int i = 0; i < a->nprocs; i++)
		if (describe_maps(col, a->procs[i].pid))
			return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	return LP_OK;
}

void lp_attach_pollfds(const lp_attach *a, struct pollfd *pfd)
{
	for (int i = 0; i < a->nprocs; i++) {
		pfd[i].fd = a->procs[i].gone ? -1 : a->procs[i].pidfd;
		pfd[i].events = POLLIN;
		pfd[i].revents = 0;
	}
}

/* Reads utime and stime; 1 while the process runs, 0 once it is a zombie or gone. */
static int update(lp_attached *p)
{
	char buf[1024], *f[20];
	int n = lp_proc_stat(p->pid, buf, sizeof(buf), f, 20);

	if (n < 20 || strtoull(f[19], NULL, 10) != p->start_ticks) {
		p->cpu_known = 0; /* reaped before its last ticks were read */
		return 0;
	}
	p->utime = strtoull(f[11], NULL, 10);
	p->stime = strtoull(f[12], NULL, 10);
	return f[0][0] != 'Z' && f[0][0] != 'X';
}

int lp_attach_check(lp_attach *a, const struct pollfd *pfd, FILE *diag)
{
	int running = 0;

	for (int i = 0; i < a->nprocs; i++) {
		lp_attached *p = &a->procs[i];
		int alive;

		if (p->gone)
			continue;
		alive = update(p);
		/* The pidfd says so when the last thread has gone, even before /proc does. */
		if (p->pidfd >= 0 && (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
			alive = 0;
		if (alive) {
			running++;
			continue;
		}
		p->gone = 1;
		if (diag) {
			fprintf(diag, "lineprof: process %d (%s) exited\n", p->pid, p->comm);
			fflush(diag);
		}
	}
	return running;
}

void lp_attach_cpu(lp_attach *a, uint64_t *user_ns, uint64_t *sys_ns)
{
	long tck = sysconf(_SC_CLK_TCK);
	uint64_t u = 0, s = 0;

	*user_ns = *sys_ns = 0;
	if (tck <= 0)
		return;
	for (int i = 0; i < a->nprocs; i++) {
		lp_attached *p = &a->procs[i];

		if (!p->gone)
			update(p);
		if (!p->cpu_known || p->utime < p->utime0 || p->stime < p->stime0)
			return;
		u += p->utime - p->utime0;
		s += p->stime - p->stime0;
	}
	*user_ns = u * (1000000000u / (uint64_t)tck);
	*sys_ns = s * (1000000000u / (uint64_t)tck);
}

int lp_attach_running(const lp_attach *a)
{
	int n = 0;

	for (int i = 0; i < a->nprocs; i++)
		n += !a->procs[i].gone;
	return n;
}

void lp_attach_say_end(const lp_attach *a, FILE *diag, double seconds, int signo, int by_duration)
{
	int running = lp_attach_running(a);

	if (!diag)
		return;
	fprintf(diag, "lineprof: recorded ");
	if (a->nprocs == 1)
		fprintf(diag, "process %d (%s)", a->procs[0].pid, a->procs[0].comm);
	else
		fprintf(diag, "%d processes", a->nprocs);
	fprintf(diag, " for %.2f s, until ", seconds);
	if (signo)
		fprintf(diag, "lineprof got %s", strsignal(signo));
	else if (by_duration)
		fprintf(diag, "--duration");
	else
		fprintf(diag, "%s exited", a->nprocs == 1 ? "it" : "every one");
	if (running)
		fprintf(diag, "; %s, untouched", running == 1 && a->nprocs == 1 ? "it runs on" :
			running == 1 ? "1 runs on" : "they run on");
	fputc('\n', diag);
	fflush(diag);
}

void lp_attach_say_start(const lp_attach *a, FILE *diag, double duration)
{
	size_t threads = 0;

	if (!diag)
		return;
	for (size_t i = 0; i < a->ntasks; i++)
		threads += a->tasks[i].state == LP_TASK_OPEN || a->tasks[i].state == LP_TASK_INHERITED;
	fprintf(diag, "lineprof: attached to ");
	if (a->nprocs == 1)
		fprintf(diag, "process %d (%s)", a->procs[0].pid, a->procs[0].comm);
	else
		fprintf(diag, "%d processes", a->nprocs);
	fprintf(diag, ", %zu thread%s: recording until %s or ^C", threads, threads == 1 ? "" : "s",
		a->nprocs == 1 ? "it exits" : "they exit");
	if (duration > 0)
		fprintf(diag, " (at most %g s)", duration);
	fputc('\n', diag);
	fflush(diag);
}
