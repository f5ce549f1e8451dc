/*
 * -p: /proc/PID/maps lines, the threads of this process, a forked child
 * attached to (checks, its threads and mappings given to a collector, its
 * exit seen through its pidfd), and the contexts of attached threads.
 */
#include <check.h>

#include "../lp_check.h"
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "attach.h"
#include "threads.h"

static int parse(const char *text, lp_procmap *m)
{
	static char line[512];

	snprintf(line, sizeof(line), "%s", text);
	return lp_procmaps_parse(line, m);
}

START_TEST(procmaps_lines)
{
	lp_procmap m;

	ck_assert_int_eq(parse("55d0c0a00000-55d0c0a02000 r-xp 00001000 fd:01 1234567"
			       "                    /usr/bin/prog\n", &m), 0);
	ck_assert_uint_eq(m.start, 0x55d0c0a00000ULL);
	ck_assert_uint_eq(m.end, 0x55d0c0a02000ULL);
	ck_assert_uint_eq(m.pgoff, 0x1000);
	ck_assert_int_eq(m.exec, 1);
	ck_assert_str_eq(m.path, "/usr/bin/prog");
	ck_assert_int_eq(parse("7ffd1a3fe000-7ffd1a400000 r-xp 00000000 00:00 0"
			       "                          [vdso]\n", &m), 0);
	ck_assert_str_eq(m.path, "[vdso]");
	/* Anonymous: no name at all, with or without the newline. */
	ck_assert_int_eq(parse("7f0000000000-7f0000001000 rwxp 00000000 00:00 0 \n", &m), 0);
	ck_assert_str_eq(m.path, "");
	ck_assert_int_eq(m.exec, 1);
	ck_assert_int_eq(parse("7f0000000000-7f0000001000 rw-p 00000000 00:00 0", &m), 0);
	ck_assert_str_eq(m.path, "");
	ck_assert_int_eq(m.exec, 0);
	/* Blanks in a name are the name's; a file gone since it was mapped says so. */
	ck_assert_int_eq(parse("400000-401000 r-xp 00002000 08:02 42 /tmp/my prog (deleted)\n",
			       &m), 0);
	ck_assert_str_eq(m.path, "/tmp/my prog (deleted)");
	ck_assert_uint_eq(m.pgoff, 0x2000);
	/* The kernel escapes a newline in a name as \012. */
	ck_assert_int_eq(parse("400000-401000 r-xp 00000000 08:02 42 /tmp/a\\012b\n", &m), 0);
	ck_assert_str_eq(m.path, "/tmp/a\nb");
	ck_assert_int_eq(parse("", &m), -1);
	ck_assert_int_eq(parse("zzzz", &m), -1);
	ck_assert_int_eq(parse("2000-1000 r-xp 00000000 08:02 42 /x", &m), -1);
	ck_assert_int_eq(parse("1000-2000 r-xp", &m), -1);
	ck_assert_int_eq(parse("1000-2000 r-xp 00000000 08:02", &m), -1);
	ck_assert_int_eq(parse("1000-2000 r-xp 00000000 0802 42 /x", &m), -1);
}
END_TEST

__attribute__((noinline)) static int marker_function(int x)
{
	return x * 3 + 1;
}

START_TEST(own_maps_hold_own_code)
{
	uint64_t here = (uint64_t)(uintptr_t)&marker_function;
	char exe[PATH_MAX], *line = NULL;
	size_t cap = 0;
	int found = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	ck_assert_ptr_nonnull(realpath("/proc/self/exe", exe));
	ck_assert_ptr_nonnull(f);
	while (getline(&line, &cap, f) > 0) {
		lp_procmap m;

		ck_assert_int_eq(lp_procmaps_parse(line, &m), 0); /* every line the kernel writes */
		if (here >= m.start && here < m.end) {
			ck_assert_int_eq(m.exec, 1);
			ck_assert_str_eq(m.path, exe);
			found = 1;
		}
	}
	free(line);
	fclose(f);
	ck_assert_int_eq(found, 1);
	ck_assert_int_eq(marker_function(1), 4);
}
END_TEST

static pthread_barrier_t started, done;
static pid_t thread_tid;

static void *parked(void *arg)
{
	(void)arg;
	thread_tid = gettid();
	pthread_barrier_wait(&started);
	pthread_barrier_wait(&done);
	return NULL;
}

static int has_tid(const int *tids, size_t n, int tid)
{
	for (size_t i = 0; i < n; i++)
		if (tids[i] == tid)
			return 1;
	return 0;
}

START_TEST(own_threads)
{
	pthread_t t;
	int *tids;
	size_t n;
	int gone = 0;

	pthread_barrier_init(&started, NULL, 2);
	pthread_barrier_init(&done, NULL, 2);
	ck_assert_int_eq(pthread_create(&t, NULL, parked, NULL), 0);
	pthread_barrier_wait(&started);
	ck_assert_int_eq(lp_proc_tids(getpid(), &tids, &n), 0);
	ck_assert_uint_ge(n, 2);
	ck_assert(has_tid(tids, n, getpid()));
	ck_assert(has_tid(tids, n, thread_tid));
	for (size_t i = 1; i < n; i++)
		ck_assert_int_lt(tids[i - 1], tids[i]);
	free(tids);
	ck_assert_int_eq(lp_attach_alive(getpid(), thread_tid), 1);
	pthread_barrier_wait(&done);
	pthread_join(t, NULL);
	/* Joined: gone from /proc as soon as the kernel has released it (polled
	 * for 10 s at most: a loaded machine may take a while to reap it). */
	for (int tries = 0; tries < 10000 && !gone; tries++) {
		ck_assert_int_eq(lp_proc_tids(getpid(), &tids, &n), 0);
		gone = !has_tid(tids, n, thread_tid);
		free(tids);
		if (!gone)
			usleep(1000);
	}
	ck_assert_int_eq(gone, 1);
	ck_assert_int_eq(lp_attach_alive(getpid(), thread_tid), 0);
}
END_TEST

/* A pid that no process has: a child's, once it is reaped. */
static pid_t free_pid(void)
{
	pid_t p = fork();

	if (p == 0)
		_exit(0);
	waitpid(p, NULL, 0);
	return p;
}

START_TEST(refused_pids)
{
	lp_opener op = { lp_events_sysopen, NULL };
	lp_error err = { 0 };
	lp_attach a;
	int me = getpid(), none = free_pid(), *tids;
	size_t n;

	ck_assert_int_eq(lp_attach_init(&a, &me, 1, &op, &err), LP_EUSAGE);
	ck_assert_ptr_nonnull(strstr(err.msg, "lineprof itself"));
	lp_attach_free(&a);
	lp_error_clear(&err);
	ck_assert_int_eq(lp_attach_init(&a, &none, 1, &op, &err), LP_EFAIL);
	ck_assert_ptr_nonnull(strstr(err.msg, "no such process"));
	lp_attach_free(&a);
	ck_assert_int_eq(lp_proc_tids(none, &tids, &n), -1);
	ck_assert_int_eq(errno, ESRCH);
}
END_TEST

/* A fake PERF_RECORD_SAMPLE: IP, TID, TIME, PERIOD. */
static void sample_at(lp_collect *c, int pid, uint64_t ip)
{
	struct {
		struct perf_event_header h;
		uint64_t ip;
		uint32_t pid, tid;
		uint64_t time, period;
	} rec = { { PERF_RECORD_SAMPLE, PERF_RECORD_MISC_USER, sizeof(rec) }, ip,
		  (uint32_t)pid, (uint32_t)pid, 1, 1000 };
	lp_error err = { 0 };

	ck_assert_int_eq(lp_collect_record(c, 0, &rec.h, &err), LP_OK);
}

START_TEST(attach_to_child)
{
	lp_opener op = { lp_events_sysopen, NULL };
	uint64_t st = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_PERIOD;
	lp_profile *prof = lp_profile_new();
	lp_error err = { 0 };
	struct pollfd pfd;
	char exe[PATH_MAX];
	lp_collect *c;
	lp_attach a;
	pid_t child = fork();
	int running = 1;

	if (child == 0) {
		for (;;)
			pause();
	}
	ck_assert_ptr_nonnull(realpath("/proc/self/exe", exe));
	ck_assert_int_eq(lp_attach_init(&a, &child, 1, &op, &err), LP_OK);
	ck_assert_int_eq(a.nprocs, 1);
	ck_assert_int_eq(lp_attach_scan(&a), 0);
	ck_assert_uint_eq(a.ntasks, 1);
	ck_assert_int_eq(a.tasks[0].tid, child);
	ck_assert_int_eq(lp_attach_scan(&a), 0); /* seen once */
	ck_assert_uint_eq(a.ntasks, 1);
	a.tasks[0].state = LP_TASK_OPEN;
	c = lp_collect_new(prof, st, 0, NULL);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(lp_attach_describe(&a, c, &err), LP_OK);
	ck_assert(lp_collect_knows(c, child));
	/* The child has our mappings: a sample on our code is our file at its offset. */
	sample_at(c, child, (uint64_t)(uintptr_t)&marker_function);
	ck_assert_uint_eq(prof->nmodules, 1);
	ck_assert_str_eq(prof->modules[0].path, exe);
	ck_assert_uint_eq(prof->naddrs, 1);
	ck_assert_uint_ne(prof->addrs[0].loc.module, LP_MODULE_NONE);
	/* The process and its thread, named as /proc names them. */
	ck_assert_uint_eq(prof->ncontexts, 2);
	ck_assert_int_eq(prof->contexts[0].kind, LP_CTX_PROCESS);
	ck_assert_int_eq(prof->contexts[0].id, child);
	ck_assert_str_eq(prof->contexts[0].name, a.procs[0].comm);
	ck_assert_int_eq(prof->contexts[1].kind, LP_CTX_THREAD);
	ck_assert_str_eq(prof->contexts[1].name, a.procs[0].comm);
	/* Its exit, through the pidfd, even before it is reaped. */
	lp_attach_pollfds(&a, &pfd);
	ck_assert_int_eq(lp_attach_check(&a, &pfd, NULL), 1);
	kill(child, SIGKILL);
	for (int tries = 0; tries < 5000 && running; tries++) {
		lp_attach_pollfds(&a, &pfd);
		poll(&pfd, 1, 1);
		running = lp_attach_check(&a, &pfd, NULL);
	}
	ck_assert_int_eq(running, 0);
	ck_assert_int_eq(a.procs[0].gone, 1);
	waitpid(child, NULL, 0);
	lp_collect_free(c);
	lp_attach_free(&a);
	lp_profile_free(prof);
}
END_TEST

START_TEST(attached_thread_contexts)
{
	lp_profile *p = lp_profile_new();
	lp_threads t;
	int newp = -1;

	lp_threads_init(&t, p, NULL);
	ck_assert_int_eq(lp_threads_attach(&t, 100, 101, "worker", "solver", &newp), 0);
	ck_assert_int_eq(newp, 1);
	ck_assert_int_eq(lp_threads_attach(&t, 100, 100, "solver", "solver", &newp), 0);
	ck_assert_int_eq(newp, 0);
	ck_assert_int_eq(lp_threads_attach(&t, 100, 101, "again", "solver", &newp), 1);
	ck_assert(lp_threads_known(&t, 101));
	ck_assert(!lp_threads_known(&t, 102));
	ck_assert_uint_eq(p->ncontexts, 3);
	ck_assert_str_eq(p->contexts[0].name, "solver");
	ck_assert_str_eq(p->contexts[1].name, "worker");
	ck_assert_uint_eq(p->contexts[1].parent, 0);
	ck_assert_str_eq(p->contexts[2].name, "solver");
	/* A sample of a known thread lands in its context. */
	ck_assert_uint_eq(lp_threads_ctx(&t, 100, 101), 1);
	lp_threads_exit(&t, 100, 101);
	ck_assert(!lp_threads_known(&t, 101));
	lp_threads_free(&t);
	lp_profile_free(p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("attach");
	TCase *t = tcase_create("attach");

	tcase_add_test(t, procmaps_lines);
	tcase_add_test(t, own_maps_hold_own_code);
	tcase_add_test(t, own_threads);
	tcase_add_test(t, refused_pids);
	tcase_add_test(t, attach_to_child);
	tcase_add_test(t, attached_thread_contexts);
	suite_add_tcase(s, t);
	return lp_check_run(s);
}
