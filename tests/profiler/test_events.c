/*
 * Event names and the fallback decisions, with an injected perf_event_open:
 * a machine without a PMU, without permission, or refusing precise_ip is
 * simulated, so these run anywhere.
 */
#include <check.h>

#include "../lp_check.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "events.h"

/* ---- encoding ---- */

static lp_event parse_ok(const char *name)
{
	lp_event ev;
	lp_error err = {0};

	ck_assert_msg(lp_events_parse(&ev, name, &err) == LP_OK, "%s: %s", name, err.msg);
	ck_assert_int_eq(ev.attr.exclude_kernel, 1);
	ck_assert_int_eq(ev.attr.exclude_hv, 1);
	ck_assert_int_eq(ev.attr.exclude_user, 0);
	ck_assert_uint_eq(ev.attr.size, sizeof(ev.attr));
	ck_assert_str_eq(ev.name, name);
	return ev;
}

static void parse_fails(const char *name, int code, const char *msg)
{
	lp_event ev;
	lp_error err = {0};

	ck_assert_int_eq(lp_events_parse(&ev, name, &err), code);
	ck_assert_int_eq(err.code, code);
	ck_assert_msg(strstr(err.msg, msg), "'%s' not in '%s'", msg, err.msg);
	ck_assert_msg(strncmp(err.msg, "lineprof: ", 10) == 0, "%s", err.msg);
	ck_assert_msg(!strchr(err.msg, '\n'), "one line: %s", err.msg);
}

START_TEST(generic_names)
{
	lp_event ev = parse_ok("cycles");

	ck_assert_uint_eq(ev.attr.type, PERF_TYPE_HARDWARE);
	ck_assert_uint_eq(ev.attr.config, PERF_COUNT_HW_CPU_CYCLES);
	ck_assert_uint_eq(ev.attr.precise_ip, 0);
	ck_assert(lp_events_is_hardware(&ev.attr));

	ev = parse_ok("instructions");
	ck_assert_uint_eq(ev.attr.type, PERF_TYPE_HARDWARE);
	ck_assert_uint_eq(ev.attr.config, PERF_COUNT_HW_INSTRUCTIONS);

	ev = parse_ok("cpu-clock");
	ck_assert_uint_eq(ev.attr.type, PERF_TYPE_SOFTWARE);
	ck_assert_uint_eq(ev.attr.config, PERF_COUNT_SW_CPU_CLOCK);
	ck_assert(!lp_events_is_hardware(&ev.attr));

	ev = parse_ok("page-faults");
	ck_assert_uint_eq(ev.attr.type, PERF_TYPE_SOFTWARE);
	ck_assert_uint_eq(ev.attr.config, PERF_COUNT_SW_PAGE_FAULTS);

	/* libpfm4 lacks this one; lineprof's table fills in. */
	ev = parse_ok("alignment-faults");
	ck_assert_uint_eq(ev.attr.type, PERF_TYPE_SOFTWARE);
	ck_assert_uint_eq(ev.attr.config, PERF_COUNT_SW_ALIGNMENT_FAULTS);
}
END_TEST

START_TEST(modifiers)
{
	lp_event ev = parse_ok("cycles:u");

	ck_assert_uint_eq(ev.attr.type, PERF_TYPE_HARDWARE);
	ck_assert_uint_eq(ev.attr.precise_ip, 0);
	ck_assert_str_eq(ev.base, "cycles");

	ev = parse_ok("cycles:pp");
	ck_assert_uint_eq(ev.attr.config, PERF_COUNT_HW_CPU_CYCLES);
	ck_assert_uint_eq(ev.attr.precise_ip, 2);
	ck_assert_str_eq(ev.base, "cycles");

	ev = parse_ok("cycles:upp");
	ck_assert_uint_eq(ev.attr.precise_ip, 2);

	ev = parse_ok("cycles:u:pp"); /* ":u" goes to libpfm4, ":pp" is ours */
	ck_assert_uint_eq(ev.attr.precise_ip, 2);
	ck_assert_uint_eq(ev.attr.type, PERF_TYPE_HARDWARE);

	ev = parse_ok("instructions:ppp");
	ck_assert_uint_eq(ev.attr.precise_ip, 3);
	ck_assert_uint_eq(ev.attr.config, PERF_COUNT_HW_INSTRUCTIONS);

	ev = parse_ok("cycles:P");
	ck_assert_uint_eq(ev.attr.precise_ip, 3);

	ev = parse_ok("cpu-clock:u");
	ck_assert_uint_eq(ev.attr.type, PERF_TYPE_SOFTWARE);
}
END_TEST

START_TEST(rejected_names)
{
	parse_fails("foo", LP_EUSAGE, "lineprof: unknown event 'foo' (see lineprof --list-events)");
	parse_fails("cycles:k", LP_EUSAGE, "user space only");
	parse_fails("cycles:uk", LP_EUSAGE, "user space only");
	parse_fails("cycles:pppp", LP_EUSAGE, "at most 3");
	parse_fails("context-switches", LP_EUSAGE, "only inside the kernel");
	parse_fails("", LP_EUSAGE, "empty event name");
}
END_TEST

START_TEST(unknown_message_exact)
{
	lp_event ev;
	lp_error err = {0};

	ck_assert_int_eq(lp_events_parse(&ev, "foo", &err), LP_EUSAGE);
	ck_assert_str_eq(err.msg, "lineprof: unknown event 'foo' (see lineprof --list-events)");
}
END_TEST

/* ---- opening, with a fake kernel ---- */

typedef struct fake {
	int (*policy)(const struct perf_event_attr *a, int group_fd); /* errno, or 0 to open */
	int calls;
	struct perf_event_attr tried[64];
	int group[64];
} fake;

static int fake_open(struct perf_event_attr *attr, pid_t pid, int cpu, int group_fd,
		     unsigned long flags, void *ctx)
{
	fake *f = ctx;
	int e;

	(void)pid;
	(void)cpu;
	ck_assert(flags & PERF_FLAG_FD_CLOEXEC);
	ck_assert_int_lt(f->calls, 64);
	f->tried[f->calls] = *attr;
	f->group[f->calls++] = group_fd;
	e = f->policy(attr, group_fd);
	if (e) {
		errno = e;
		return -1;
	}
	return open("/dev/null", O_RDONLY | O_CLOEXEC); /* a real fd, so close() works */
}

static int no_pmu(const struct perf_event_attr *a, int g)
{
	(void)g;
	return lp_events_is_hardware(a) ? ENOENT : 0;
}

static int no_pmu_eopnotsupp(const struct perf_event_attr *a, int g)
{
	(void)g;
	return lp_events_is_hardware(a) ? EOPNOTSUPP : 0;
}

static int denied(const struct perf_event_attr *a, int g)
{
	(void)a;
	(void)g;
	return EACCES;
}

static int imprecise(const struct perf_event_attr *a, int g)
{
	(void)g;
	return a->precise_ip ? EINVAL : 0;
}

static int old_kernel(const struct perf_event_attr *a, int g)
{
	(void)g;
	return a->build_id ? EINVAL : 0;
}

static int no_inherited_read(const struct perf_event_attr *a, int g)
{
	(void)g;
	return a->inherit && (a->sample_type & PERF_SAMPLE_READ) ? EINVAL : 0;
}

static int too_many_files(const struct perf_event_attr *a, int g)
{
	(void)a;
	return g >= 0 ? EMFILE : 0; /* the leader opens, a member fails */
}

/* Parses names, adds sampling bits the way record.c does, opens with adapt. */
static int open_names(const char **names, int n, lp_event *ev, int *nev, int *fds, fake *f,
		      char **diag, lp_error *err)
{
	lp_opener op = {fake_open, f};
	size_t len;
	FILE *d = open_memstream(diag, &len);
	int rc;

	ck_assert_ptr_nonnull(d);
	for (int i = 0; i < n; i++) {
		lp_error perr = {0};

		ck_assert_int_eq(lp_events_parse(&ev[i], names[i], &perr), LP_OK);
		ev[i].attr.inherit = 1;
		ev[i].attr.sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TID |
					 (n > 1 ? PERF_SAMPLE_READ : 0);
		if (i == 0) {
			ev[i].attr.build_id = 1;
			ev[i].attr.mmap2 = 1;
		}
	}
	for (int i = 0; i < LP_MAX_EVENTS; i++)
		fds[i] = -1;
	*nev = n;
	rc = lp_events_open_group(ev, nev, 4242, 0, 1, fds, &op, d, err);
	fclose(d);
	return rc;
}

static void close_all(int *fds, int n)
{
	for (int i = 0; i < n; i++) {
		ck_assert_int_ge(fds[i], 0);
		close(fds[i]);
	}
}

START_TEST(hardware_leader_falls_back)
{
	const char *names[] = {"cycles"};
	lp_event ev[LP_MAX_EVENTS];
	int fds[LP_MAX_EVENTS], nev;
	fake f = {no_pmu, 0, {{0}}, {0}};
	lp_error err = {0};
	char *diag = NULL;

	ck_assert_int_eq(open_names(names, 1, ev, &nev, fds, &f, &diag, &err), LP_OK);
	ck_assert_int_eq(nev, 1);
	ck_assert_str_eq(ev[0].name, "cycles");
	ck_assert_str_eq(ev[0].measured, "cpu-clock");
	ck_assert_uint_eq(ev[0].attr.type, PERF_TYPE_SOFTWARE);
	ck_assert_uint_eq(ev[0].attr.config, PERF_COUNT_SW_CPU_CLOCK);
	ck_assert_str_eq(diag,
		"lineprof: no hardware PMU for 'cycles' on this machine; sampling cpu-clock instead\n");
	/* The sampling setup survives the switch. */
	ck_assert_int_eq(ev[0].attr.build_id, 1);
	ck_assert_int_eq(ev[0].attr.inherit, 1);
	ck_assert_int_eq(f.calls, 2);
	close_all(fds, nev);
	free(diag);
}
END_TEST

START_TEST(eopnotsupp_falls_back_too)
{
	const char *names[] = {"instructions:pp"};
	lp_event ev[LP_MAX_EVENTS];
	int fds[LP_MAX_EVENTS], nev;
	fake f = {no_pmu_eopnotsupp, 0, {{0}}, {0}};
	lp_error err = {0};
	char *diag = NULL;

	ck_assert_int_eq(open_names(names, 1, ev, &nev, fds, &f, &diag, &err), LP_OK);
	ck_assert_str_eq(ev[0].measured, "cpu-clock");
	ck_assert_uint_eq(ev[0].attr.precise_ip, 0);
	ck_assert(strstr(diag, "no hardware PMU for 'instructions:pp'"));
	close_all(fds, nev);
	free(diag);
}
END_TEST

START_TEST(hardware_members_dropped)
{
	const char *names[] = {"cycles", "instructions", "page-faults", "branch-misses"};
	lp_event ev[LP_MAX_EVENTS];
	int fds[LP_MAX_EVENTS], nev;
	fake f = {no_pmu, 0, {{0}}, {0}};
	lp_error err = {0};
	char *diag = NULL;

	ck_assert_int_eq(open_names(names, 4, ev, &nev, fds, &f, &diag, &err), LP_OK);
	ck_assert_int_eq(nev, 2);
	ck_assert_str_eq(ev[0].measured, "cpu-clock");
	ck_assert_str_eq(ev[1].name, "page-faults");
	ck_assert_str_eq(ev[1].measured, "page-faults");
	ck_assert_str_eq(diag,
		"lineprof: no hardware PMU for 'cycles' on this machine; sampling cpu-clock instead\n"
		"lineprof: no hardware PMU for 'instructions' on this machine; not counting it\n"
		"lineprof: no hardware PMU for 'branch-misses' on this machine; not counting it\n");
	/* Members join the leader's group. */
	for (int i = 0; i < f.calls; i++)
		if (f.tried[i].type == PERF_TYPE_SOFTWARE &&
		    f.tried[i].config == PERF_COUNT_SW_PAGE_FAULTS)
			ck_assert_int_eq(f.group[i], fds[0]);
	close_all(fds, nev);
	free(diag);
}
END_TEST

START_TEST(permission_denied)
{
	const char *names[] = {"cycles"};
	lp_event ev[LP_MAX_EVENTS];
	int fds[LP_MAX_EVENTS], nev;
	fake f = {denied, 0, {{0}}, {0}};
	lp_error err = {0};
	char *diag = NULL;

	ck_assert_int_eq(open_names(names, 1, ev, &nev, fds, &f, &diag, &err), LP_EFAIL);
	ck_assert_int_eq(err.code, LP_EFAIL);
	ck_assert_msg(strstr(err.msg, "perf_event_paranoid"), "%s", err.msg);
	ck_assert_msg(strstr(err.msg, "sysctl -w kernel.perf_event_paranoid=1"), "%s", err.msg);
	ck_assert_msg(strstr(err.msg, "root"), "%s", err.msg);
	ck_assert_msg(strncmp(err.msg, "lineprof: ", 10) == 0 && !strchr(err.msg, '\n'), "%s",
		      err.msg);
	ck_assert_str_eq(diag, ""); /* no fallback: EACCES is not a missing PMU */
	ck_assert_int_eq(f.calls, 1);
	free(diag);
}
END_TEST

START_TEST(precise_lowered_level_by_level)
{
	const char *names[] = {"cycles:ppp"};
	lp_event ev[LP_MAX_EVENTS];
	int fds[LP_MAX_EVENTS], nev;
	fake f = {imprecise, 0, {{0}}, {0}};
	lp_error err = {0};
	char *diag = NULL;

	ck_assert_int_eq(open_names(names, 1, ev, &nev, fds, &f, &diag, &err), LP_OK);
	ck_assert_int_eq(f.calls, 4);
	ck_assert_uint_eq(f.tried[0].precise_ip, 3);
	ck_assert_uint_eq(f.tried[1].precise_ip, 2);
	ck_assert_uint_eq(f.tried[2].precise_ip, 1);
	ck_assert_uint_eq(f.tried[3].precise_ip, 0);
	ck_assert_uint_eq(ev[0].attr.type, PERF_TYPE_HARDWARE); /* still cycles */
	ck_assert_str_eq(ev[0].name, "cycles:ppp");
	ck_assert_str_eq(ev[0].measured, "cycles");
	close_all(fds, nev);
	free(diag);
}
END_TEST

START_TEST(build_id_dropped_on_old_kernels)
{
	const char *names[] = {"cpu-clock"};
	lp_event ev[LP_MAX_EVENTS];
	int fds[LP_MAX_EVENTS], nev;
	fake f = {old_kernel, 0, {{0}}, {0}};
	lp_error err = {0};
	char *diag = NULL;

	ck_assert_int_eq(open_names(names, 1, ev, &nev, fds, &f, &diag, &err), LP_OK);
	ck_assert_int_eq(f.calls, 2);
	ck_assert_int_eq(ev[0].attr.build_id, 0);
	ck_assert_int_eq(ev[0].attr.mmap2, 1);
	ck_assert_str_eq(diag, "");
	close_all(fds, nev);
	free(diag);
}
END_TEST

START_TEST(group_read_refused_drops_members)
{
	const char *names[] = {"cpu-clock", "page-faults"};
	lp_event ev[LP_MAX_EVENTS];
	int fds[LP_MAX_EVENTS], nev;
	fake f = {no_inherited_read, 0, {{0}}, {0}};
	lp_error err = {0};
	char *diag = NULL;

	ck_assert_int_eq(open_names(names, 2, ev, &nev, fds, &f, &diag, &err), LP_OK);
	ck_assert_int_eq(nev, 1);
	ck_assert(!(ev[0].attr.sample_type & PERF_SAMPLE_READ));
	ck_assert_msg(strstr(diag, "not counting 'page-faults'"), "%s", diag);
	close_all(fds, nev);
	free(diag);
}
END_TEST

START_TEST(failure_closes_everything)
{
	const char *names[] = {"cpu-clock", "page-faults"};
	lp_event ev[LP_MAX_EVENTS];
	int fds[LP_MAX_EVENTS], nev, leader;
	fake f = {too_many_files, 0, {{0}}, {0}};
	lp_error err = {0};
	char *diag = NULL;

	ck_assert_int_eq(open_names(names, 2, ev, &nev, fds, &f, &diag, &err), LP_EFAIL);
	ck_assert_msg(strstr(err.msg, "ulimit -n"), "%s", err.msg);
	/* The leader was opened, then closed again. */
	leader = f.group[1];
	ck_assert_int_ge(leader, 0);
	ck_assert_int_eq(fcntl(leader, F_GETFD), -1);
	ck_assert_int_eq(fds[0], -1);
	free(diag);
}
END_TEST

START_TEST(strict_mode_no_fallback)
{
	lp_event ev[1];
	int fds[LP_MAX_EVENTS], nev = 1;
	fake f = {no_pmu, 0, {{0}}, {0}};
	lp_opener op = {fake_open, &f};
	lp_error err = {0};

	ck_assert_int_eq(lp_events_parse(&ev[0], "cycles", &err), LP_OK);
	ck_assert_int_eq(lp_events_open_group(ev, &nev, 1, 1, 0, fds, &op, NULL, &err), LP_EFAIL);
	ck_assert_int_eq(f.calls, 1);
	ck_assert_msg(strstr(err.msg, "'cycles'") && strstr(err.msg, "CPU 1"), "%s", err.msg);
}
END_TEST

/* Hardware events open alone, but the PMU has room for only two in a group. */
static int two_counters(const struct perf_event_attr *a, int g)
{
	static int in_group;

	if (g < 0)
		in_group = 0;
	if (!lp_events_is_hardware(a))
		return 0;
	if (g >= 0 && ++in_group >= 2)
		return EINVAL;
	return 0;
}

START_TEST(group_cannot_be_scheduled)
{
	const char *names[] = {"cycles", "instructions", "branches", "branch-misses"};
	lp_event ev[LP_MAX_EVENTS];
	int fds[LP_MAX_EVENTS], nev;
	fake f = {two_counters, 0, {{0}}, {0}};
	lp_error err = {0};
	char *diag = NULL;

	ck_assert_int_eq(open_names(names, 4, ev, &nev, fds, &f, &diag, &err), LP_EFAIL);
	ck_assert_str_eq(err.msg,
		"lineprof: event 'branches' cannot be counted in one group with 'cycles', "
		"'instructions' on CPU 0 (Invalid argument): the PMU cannot schedule them together "
		"(more events than counters, or events of different PMUs); every -e event is read "
		"at each sample, so ask for fewer");
	/* The member was tried alone, and nothing stayed open (fds closed, none leaked). */
	ck_assert_int_eq(f.group[f.calls - 1], -1);
	ck_assert_str_eq(diag, "");
	free(diag);
}
END_TEST

/* A member that fails on its own too keeps the plain message. */
static int members_refused(const struct perf_event_attr *a, int g)
{
	(void)g;
	return a->type == PERF_TYPE_SOFTWARE && a->config == PERF_COUNT_SW_PAGE_FAULTS ? EINVAL : 0;
}

START_TEST(member_fails_alone_too)
{
	const char *names[] = {"cpu-clock", "page-faults"};
	lp_event ev[LP_MAX_EVENTS];
	int fds[LP_MAX_EVENTS], nev;
	fake f = {members_refused, 0, {{0}}, {0}};
	lp_error err = {0};
	char *diag = NULL;

	ck_assert_int_eq(open_names(names, 2, ev, &nev, fds, &f, &diag, &err), LP_EFAIL);
	ck_assert_str_eq(err.msg, "lineprof: cannot open event 'page-faults' on CPU 0: Invalid argument");
	free(diag);
}
END_TEST

static int all_ok(const struct perf_event_attr *a, int g)
{
	(void)a;
	(void)g;
	return 0;
}

static int no_cache_group(const struct perf_event_attr *a, int g)
{
	/* cache-misses opens alone, not with cache-references (one counter left). */
	return g >= 0 && a->type == PERF_TYPE_HARDWARE && a->config == PERF_COUNT_HW_CACHE_MISSES
	       ? EINVAL : 0;
}

static char *list_metrics(int (*policy)(const struct perf_event_attr *, int))
{
	fake f = {policy, 0, {{0}}, {0}};
	lp_opener op = {fake_open, &f};
	lp_error err = {0};
	char *out = NULL;
	size_t len;
	FILE *o = open_memstream(&out, &len);

	ck_assert_int_eq(lp_events_list_metrics(o, &op, &err), LP_OK);
	fclose(o);
	for (int i = 0; i < f.calls; i++) {
		ck_assert_int_eq(f.tried[i].exclude_kernel, 1);
		ck_assert_int_eq(f.tried[i].disabled, 1);
	}
	return out;
}

START_TEST(list_metrics_here)
{
	char *out = list_metrics(no_pmu);

	ck_assert_msg(strstr(out, "  ipc                IPC            instructions / cycles            no "
			      "    -e cycles,instructions (cycles: no such counter on this machine)\n"), "%s", out);
	ck_assert_msg(strstr(out, "  branch_miss_ratio  Branch Miss %  branch-misses / branches         no "
			      "    -e cpu-clock,branches,branch-misses (branches: no such counter on this "
			      "machine)\n"), "%s", out);
	free(out);
	out = list_metrics(all_ok);
	ck_assert_msg(strstr(out, "  ipc                IPC            instructions / cycles            yes"
			      "    -e cycles,instructions\n"), "%s", out);
	ck_assert_msg(!strstr(out, " no "), "%s", out);
	free(out);
	out = list_metrics(denied);
	ck_assert_msg(strstr(out, "instructions / cycles            denied -e cycles,instructions\n"), "%s", out);
	free(out);
	/* Both inputs are tried as one group: one that fits alone but not together is "no". */
	out = list_metrics(no_cache_group);
	ck_assert_msg(strstr(out, "cache-misses / cache-references  no     -e cpu-clock,cache-references,"
			      "cache-misses (cache-misses: Invalid argument)\n"), "%s", out);
	ck_assert_msg(strstr(out, "instructions / cycles            yes"), "%s", out);
	free(out);
}
END_TEST

START_TEST(list_events)
{
	fake f = {no_pmu, 0, {{0}}, {0}};
	lp_opener op = {fake_open, &f};
	lp_error err = {0};
	char *out = NULL;
	size_t len;
	FILE *o = open_memstream(&out, &len);

	ck_assert_int_eq(lp_events_list(o, &op, &err), LP_OK);
	fclose(o);
	ck_assert_msg(strstr(out, "  cycles             no     CPU cycles\n"), "%s", out);
	ck_assert_msg(strstr(out, "  cpu-clock          yes    "), "%s", out);
	ck_assert(strstr(out, "  emulation-faults   yes    "));
	ck_assert(strstr(out, "  context-switches   no     "));
	free(out);
}
END_TEST

static Suite *events_suite(void)
{
	Suite *s = suite_create("events");
	TCase *t = tcase_create("parse");

	tcase_add_test(t, generic_names);
	tcase_add_test(t, modifiers);
	tcase_add_test(t, rejected_names);
	tcase_add_test(t, unknown_message_exact);
	suite_add_tcase(s, t);
	t = tcase_create("open");
	tcase_add_test(t, hardware_leader_falls_back);
	tcase_add_test(t, eopnotsupp_falls_back_too);
	tcase_add_test(t, hardware_members_dropped);
	tcase_add_test(t, permission_denied);
	tcase_add_test(t, precise_lowered_level_by_level);
	tcase_add_test(t, build_id_dropped_on_old_kernels);
	tcase_add_test(t, group_read_refused_drops_members);
	tcase_add_test(t, failure_closes_everything);
	tcase_add_test(t, strict_mode_no_fallback);
	tcase_add_test(t, list_events);
	tcase_add_test(t, group_cannot_be_scheduled);
	tcase_add_test(t, member_fails_alone_too);
	tcase_add_test(t, list_metrics_here);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return lp_check_run(events_suite());
}
