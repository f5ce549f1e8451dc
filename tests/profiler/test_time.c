/*
 * Honest time in the recorder, from synthetic records: kernel-mode samples
 * charged to the user ip that entered the kernel (never to user time),
 * off-CPU waits from the context-switch event's samples and
 * PERF_RECORD_SWITCH (kept across drains, told apart by identifier, what
 * is lost said), and the kernel-mode fallback of the sampling leader.
 */
#include <check.h>

#include "../lp_check.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "events.h"
#include "offcpu.h"
#include "records.h"

#define LEAD_ID 11
#define SW_ID 22
#define BASE_ST (PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME)
#define LEAD_ST (BASE_ST | PERF_SAMPLE_PERIOD | PERF_SAMPLE_REGS_USER)
#define SW_ST (BASE_ST | PERF_SAMPLE_REGS_USER)
#define KIP 0xffffffff81000123ULL /* a kernel address: never a line */

typedef struct fixture {
	lp_profile *p;
	lp_collect *c;
	rec_ring *r[2];
	lp_ring rings[2];
} fixture;

static void setup_fx(fixture *fx, uint64_t extra_st)
{
	uint64_t ids[1] = { SW_ID };

	memset(fx, 0, sizeof(*fx));
	fx->p = lp_profile_new();
	fx->p->nevents = 1;
	fx->c = lp_collect_new(fx->p, LEAD_ST | extra_st, 0, NULL);
	ck_assert_ptr_nonnull(fx->c);
	lp_collect_set_regs(fx->c, lp_collect_regs_mask_min());
	ck_assert_int_eq(lp_collect_set_switch(fx->c, SW_ST | extra_st, ids, 1), 0);
	/* Both rings carry switch records, as a sampling ring does that shares its CPU's. */
	ck_assert_int_eq(lp_collect_switch_ring(fx->c, 0), 0);
	ck_assert_int_eq(lp_collect_switch_ring(fx->c, 1), 0);
	fx->r[0] = rec_ring_new();
	fx->r[1] = rec_ring_new();
	rec_mmap2(fx->r[0], 7, 0x400000, 0x1000, 0, "/bin/t", 1, 1);
}

static void drain(fixture *fx)
{
	lp_error err = { 0 };

	fx->rings[0] = fx->r[0]->ring;
	fx->rings[1] = fx->r[1]->ring;
	ck_assert_int_eq(lp_collect_drain(fx->c, fx->rings, 2, &err), LP_OK);
	/* lp_ring_end moved data_tail in the copies' metadata: it is the same page. */
	fx->r[0]->ring.pos = fx->rings[0].pos;
	fx->r[1]->ring.pos = fx->rings[1].pos;
}

static void teardown_fx(fixture *fx)
{
	lp_collect_free(fx->c);
	rec_ring_free(fx->r[0]);
	rec_ring_free(fx->r[1]);
	lp_profile_free(fx->p);
}

static const lp_addr *addr_at(const lp_profile *p, uint64_t offset)
{
	for (size_t i = 0; i < p->naddrs; i++)
		if (p->addrs[i].loc.module == 0 && p->addrs[i].loc.offset == offset)
			return &p->addrs[i];
	return NULL;
}

static void cpu_sample(rec_ring *f, uint32_t tid, uint64_t time, int kernel, uint64_t uip,
		       const uint64_t *chain, int nchain)
{
	rec_sample s = { .id = LEAD_ID, .ip = kernel ? KIP : uip, .time = time, .period = 250000,
			 .uip = uip, .pid = 7, .tid = tid, .kernel = kernel, .with_id = 1,
			 .with_period = 1, .chain = chain, .nchain = nchain };

	rec_sample_emit(f, &s);
}

/* A switch-out: the context-switch event fires in the scheduler, in kernel mode. */
static void switch_sample(rec_ring *f, uint32_t tid, uint64_t time, uint64_t uip,
			  const uint64_t *chain, int nchain)
{
	rec_sample s = { .id = SW_ID, .ip = KIP, .time = time, .uip = uip, .pid = 7, .tid = tid,
			 .kernel = 1, .with_id = 1, .chain = chain, .nchain = nchain };

	rec_sample_emit(f, &s);
}

/* A kernel-mode sample is the Sys of the user line that entered the kernel, not its Time. */
START_TEST(kernel_sample_charged_to_user_ip)
{
	fixture fx;
	const lp_addr *a;
	lp_collect_stats st;

	setup_fx(&fx, 0);
	cpu_sample(fx.r[0], 7, 10, 0, 0x400010, NULL, 0);
	cpu_sample(fx.r[0], 7, 11, 1, 0x400020, NULL, 0); /* in a system call made at 0x20 */
	cpu_sample(fx.r[0], 7, 12, 1, 0x400020, NULL, 0);
	cpu_sample(fx.r[1], 7, 13, 1, 0, NULL, 0);        /* no user registers: nowhere to charge */
	drain(&fx);
	ck_assert_uint_eq(fx.p->samples, 1);
	ck_assert_uint_eq(fx.p->events[0].total, 250000);
	a = addr_at(fx.p, 0x10);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(a->c.samples, 1);
	ck_assert_uint_eq(a->c.sys_samples, 0);
	a = addr_at(fx.p, 0x20);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(a->c.samples, 0);
	ck_assert_uint_eq(a->c.value[0], 0);
	ck_assert_uint_eq(a->c.sys_samples, 2);
	ck_assert_uint_eq(a->c.sys_value, 500000);
	for (size_t i = 0; i < fx.p->naddrs; i++)
		ck_assert_uint_lt(fx.p->addrs[i].loc.offset, 0xffff000000000000ULL);
	lp_collect_stats_of(fx.c, &st);
	ck_assert_uint_eq(st.sys_nowhere, 1);
	teardown_fx(&fx);
}
END_TEST

/*
 * -g: the user part of the callchain (exclude_callchain_kernel) charges
 * callers too; its first entry repeats the user ip and is not a frame. No
 * user registers: the callchain alone gives the user ip.
 */
START_TEST(kernel_sample_stack)
{
	fixture fx;
	uint64_t chain[] = { PERF_CONTEXT_USER, 0x400020, 0x400300, 0x400400 };

	setup_fx(&fx, PERF_SAMPLE_CALLCHAIN);
	fx.p->callchain = 1;
	cpu_sample(fx.r[0], 7, 10, 1, 0x400020, chain, 4);
	cpu_sample(fx.r[0], 7, 11, 1, 0, chain, 4);
	drain(&fx);
	ck_assert_uint_eq(fx.p->nstacks, 1);
	ck_assert_uint_eq(fx.p->stacks[0].depth, 3);
	ck_assert_uint_eq(fx.p->frames[0].offset, 0x20);
	ck_assert_uint_eq(fx.p->frames[1].offset, 0x300);
	ck_assert_uint_eq(fx.p->frames[2].offset, 0x400);
	ck_assert_uint_eq(fx.p->stacks[0].c.sys_samples, 2);
	ck_assert_uint_eq(fx.p->stacks[0].c.samples, 0);
	ck_assert_uint_eq(addr_at(fx.p, 0x20)->c.sys_samples, 2);
	teardown_fx(&fx);
}
END_TEST

/* Preempted on CPU 0, back on CPU 1 a drain later: runnable time, where it left, with callers. */
START_TEST(offcpu_runnable_across_drains)
{
	fixture fx;
	uint64_t chain[] = { PERF_CONTEXT_USER, 0x400040, 0x400500 };
	const lp_addr *a;

	setup_fx(&fx, PERF_SAMPLE_CALLCHAIN);
	fx.p->callchain = 1;
	switch_sample(fx.r[0], 8, 1000, 0x400040, chain, 3);
	rec_switch(fx.r[0], 7, 8, 1001, 1, 1, SW_ID);
	drain(&fx);
	ck_assert_uint_eq(fx.p->naddrs, 0); /* nothing until it runs again */
	rec_switch(fx.r[1], 7, 8, 5000, 0, 0, SW_ID);
	drain(&fx);
	a = addr_at(fx.p, 0x40);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(a->c.off_count, 1);
	ck_assert_uint_eq(a->c.off_ns[LP_OFF_RUNNABLE], 3999); /* from the out record: the later */
	ck_assert_uint_eq(a->c.off_ns[LP_OFF_BLOCKED], 0);
	ck_assert_uint_eq(a->c.samples, 0);
	ck_assert_uint_eq(fx.p->samples, 0);
	ck_assert_uint_eq(fx.p->nstacks, 1);
	ck_assert_uint_eq(fx.p->stacks[0].depth, 2);
	ck_assert_uint_eq(fx.p->frames[1].offset, 0x500);
	ck_assert_uint_eq(fx.p->stacks[0].c.off_ns[LP_OFF_RUNNABLE], 3999);
	/* The per-thread record: the thread's context has it. */
	ck_assert_uint_eq(fx.p->nctx_addrs, 1);
	ck_assert_uint_eq(fx.p->contexts[fx.p->ctx_addrs[0].ctx].id, 8);
	teardown_fx(&fx);
}
END_TEST

/* Blocked (no preempt flag); and a wait that lasts the whole run, over many drains. */
START_TEST(offcpu_blocked_whole_run)
{
	fixture fx;
	const lp_addr *a;
	lp_collect_stats st;

	setup_fx(&fx, 0);
	switch_sample(fx.r[0], 9, 100, 0x400060, NULL, 0);
	rec_switch(fx.r[0], 7, 9, 101, 1, 0, SW_ID);
	for (int i = 0; i < 50; i++) {
		cpu_sample(fx.r[1], 7, 200 + (uint64_t)i, 0, 0x400010, NULL, 0); /* another thread runs */
		drain(&fx);
	}
	rec_switch(fx.r[1], 7, 9, 1000000100, 0, 0, SW_ID);
	drain(&fx);
	a = addr_at(fx.p, 0x60);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(a->c.off_ns[LP_OFF_BLOCKED], 999999999);
	ck_assert_uint_eq(addr_at(fx.p, 0x10)->c.off_count, 0); /* never mixed into a busy line */
	lp_collect_stats_of(fx.c, &st);
	ck_assert_uint_eq(st.off.waits, 1);
	teardown_fx(&fx);
}
END_TEST

/*
 * The switch-out sample lost: the wait has no place, its time goes to
 * off_lost_ns. The switch-in lost: a wait of unknown length, counted, and
 * the next one is still right.
 */
START_TEST(offcpu_lost_pieces)
{
	fixture fx;
	lp_collect_stats st;

	setup_fx(&fx, 0);
	rec_switch(fx.r[0], 7, 7, 100, 1, 0, SW_ID);
	rec_switch(fx.r[0], 7, 7, 350, 0, 0, SW_ID);
	switch_sample(fx.r[0], 7, 400, 0x400070, NULL, 0);
	rec_switch(fx.r[0], 7, 7, 401, 1, 0, SW_ID);
	/* (its switch-in dropped) */
	switch_sample(fx.r[0], 7, 900, 0x400080, NULL, 0);
	rec_switch(fx.r[0], 7, 7, 901, 1, 1, SW_ID);
	rec_switch(fx.r[0], 7, 7, 1000, 0, 0, SW_ID);
	drain(&fx);
	ck_assert_uint_eq(fx.p->off_lost_ns, 250);
	ck_assert_ptr_null(addr_at(fx.p, 0x70));
	ck_assert_uint_eq(addr_at(fx.p, 0x80)->c.off_ns[LP_OFF_RUNNABLE], 99);
	lp_collect_stats_of(fx.c, &st);
	ck_assert_uint_eq(st.off.lost_where, 1);
	ck_assert_uint_eq(st.off.lost_end, 1);
	ck_assert_uint_eq(st.off.waits, 1);
	teardown_fx(&fx);
}
END_TEST

/*
 * Records dropped from CPU 1's ring between its last record (t=300) and the
 * LOST record (t=500): a wait open across that window may have lost its
 * switch-in there (the thread then ran, and left again unseen), so the
 * switch-in seen at 800 is not trusted. A wait after the window is.
 */
START_TEST(offcpu_wait_across_lost_records)
{
	fixture fx;
	rec_body lost = { { 0 }, 0 };
	lp_collect_stats st;

	setup_fx(&fx, 0);
	switch_sample(fx.r[0], 7, 100, 0x4000d0, NULL, 0);
	rec_switch(fx.r[0], 7, 7, 101, 1, 0, SW_ID);
	cpu_sample(fx.r[1], 8, 300, 0, 0x400010, NULL, 0);
	rec_w64(&lost, 99);
	rec_w64(&lost, 1234);
	rec_emit(fx.r[1], PERF_RECORD_LOST, 0, &lost, 7, 7, 500, 1, 0);
	rec_switch(fx.r[1], 7, 7, 800, 0, 0, SW_ID);
	switch_sample(fx.r[1], 7, 900, 0x4000e0, NULL, 0);
	rec_switch(fx.r[1], 7, 7, 901, 1, 0, SW_ID);
	rec_switch(fx.r[0], 7, 7, 960, 0, 0, SW_ID);
	drain(&fx);
	ck_assert_uint_eq(fx.p->lost, 1234);
	ck_assert_ptr_null(addr_at(fx.p, 0xd0));
	ck_assert_uint_eq(addr_at(fx.p, 0xe0)->c.off_ns[LP_OFF_BLOCKED], 59);
	lp_collect_stats_of(fx.c, &st);
	ck_assert_uint_eq(st.off.lost_end, 1);
	teardown_fx(&fx);
}
END_TEST

/* Records dropped from a ring that carries no switch records hide no switch: the wait stands. */
START_TEST(offcpu_loss_elsewhere)
{
	fixture fx;
	rec_body lost = { { 0 }, 0 };
	uint64_t ids[1] = { SW_ID };

	memset(&fx, 0, sizeof(fx));
	fx.p = lp_profile_new();
	fx.p->nevents = 1;
	fx.c = lp_collect_new(fx.p, LEAD_ST, 0, NULL);
	lp_collect_set_regs(fx.c, lp_collect_regs_mask_min());
	ck_assert_int_eq(lp_collect_set_switch(fx.c, SW_ST, ids, 1), 0);
	ck_assert_int_eq(lp_collect_switch_ring(fx.c, 0), 0); /* ring 1: samples only */
	fx.r[0] = rec_ring_new();
	fx.r[1] = rec_ring_new();
	rec_mmap2(fx.r[0], 7, 0x400000, 0x1000, 0, "/bin/t", 1, 1);
	switch_sample(fx.r[0], 7, 100, 0x4000d0, NULL, 0);
	rec_switch(fx.r[0], 7, 7, 101, 1, 0, SW_ID);
	rec_w64(&lost, 99);
	rec_w64(&lost, 50);
	rec_emit(fx.r[1], PERF_RECORD_LOST, 0, &lost, 7, 7, 500, 1, 0);
	rec_switch(fx.r[0], 7, 7, 800, 0, 0, SW_ID);
	drain(&fx);
	ck_assert_uint_eq(fx.p->lost, 50);
	ck_assert_uint_eq(addr_at(fx.p, 0xd0)->c.off_ns[LP_OFF_BLOCKED], 699);
	teardown_fx(&fx);
}
END_TEST

/*
 * A switch-in published on CPU 1 before the switch-out on CPU 0 (read a
 * drain late): the wait ends at that switch-in, not at the next one, so
 * the time the thread ran meanwhile is never counted as waiting.
 */
START_TEST(offcpu_switch_in_first)
{
	fixture fx;
	lp_collect_stats st;

	setup_fx(&fx, 0);
	rec_switch(fx.r[1], 7, 7, 300, 0, 0, SW_ID);
	drain(&fx);
	switch_sample(fx.r[0], 7, 100, 0x400090, NULL, 0);
	rec_switch(fx.r[0], 7, 7, 101, 1, 0, SW_ID);
	cpu_sample(fx.r[0], 7, 400, 0, 0x400010, NULL, 0);
	switch_sample(fx.r[0], 7, 5000, 0x4000a0, NULL, 0);
	rec_switch(fx.r[0], 7, 7, 5001, 1, 0, SW_ID);
	rec_switch(fx.r[1], 7, 7, 5100, 0, 0, SW_ID);
	drain(&fx);
	ck_assert_uint_eq(addr_at(fx.p, 0x90)->c.off_ns[LP_OFF_BLOCKED], 200);
	ck_assert_uint_eq(addr_at(fx.p, 0xa0)->c.off_ns[LP_OFF_BLOCKED], 99);
	lp_collect_stats_of(fx.c, &st);
	ck_assert_uint_eq(st.off.lost_end, 0); /* the early wait's own record opened nothing */
	ck_assert_uint_eq(st.off.waits, 2);
	teardown_fx(&fx);
}
END_TEST

/*
 * An exiting thread's last switch is no wait; its state is forgotten a
 * drain later, so thousands of short threads leave no memory behind. A
 * reused tid starts afresh.
 */
START_TEST(offcpu_exit_and_memory)
{
	fixture fx;
	lp_collect_stats st;

	setup_fx(&fx, 0);
	for (uint32_t t = 100; t < 2100; t++) {
		uint64_t time = 10 + (uint64_t)t * 10;

		rec_fork(fx.r[t & 1], 7, t, time - 1);
		switch_sample(fx.r[t & 1], t, time, 0x4000b0, NULL, 0);
		rec_switch(fx.r[t & 1], 7, t, time + 1, 1, 0, SW_ID);
		rec_switch(fx.r[t & 1], 7, t, time + 3, 0, 0, SW_ID);
		rec_exit(fx.r[t & 1], 7, t, time + 5);
		switch_sample(fx.r[t & 1], t, time + 6, 0x4000c0, NULL, 0); /* to die */
		rec_switch(fx.r[t & 1], 7, t, time + 7, 1, 0, SW_ID);
		if (t % 200 == 0)
			drain(&fx);
	}
	drain(&fx);
	drain(&fx);
	drain(&fx);
	lp_collect_stats_of(fx.c, &st);
	ck_assert_uint_eq(st.off.waits, 2000);
	ck_assert_uint_eq(st.off.live, 0);
	ck_assert_uint_eq(addr_at(fx.p, 0xb0)->c.off_count, 2000);
	ck_assert_uint_eq(addr_at(fx.p, 0xb0)->c.off_ns[LP_OFF_BLOCKED], 2 * 2000);
	ck_assert_ptr_null(addr_at(fx.p, 0xc0));
	teardown_fx(&fx);
}
END_TEST

/* The same, without the collector: the state machine alone. */
START_TEST(offcpu_direct)
{
	lp_profile *p = lp_profile_new();
	lp_offcpu *o = lp_offcpu_new(p);
	lp_loc loc = { LP_MODULE_NONE, 0x1234 }, frames[2] = { { LP_MODULE_NONE, 0x1234 },
							       { LP_MODULE_NONE, 0x9000 } };
	lp_offcpu_stats st;

	ck_assert_ptr_nonnull(o);
	/* The out record first (its sample came late but for the same switch). */
	ck_assert_int_eq(lp_offcpu_switch(o, 5, 110, 1, 0), 0);
	ck_assert_int_eq(lp_offcpu_out(o, 5, 100, LP_CTX_NONE, loc, frames, 2), 0);
	ck_assert_int_eq(lp_offcpu_switch(o, 5, 160, 0, 0), 0);
	ck_assert_uint_eq(p->naddrs, 1);
	ck_assert_uint_eq(p->addrs[0].c.off_ns[LP_OFF_BLOCKED], 50);
	ck_assert_uint_eq(p->nstacks, 1);
	/* A thread's first switch-in, with nothing to end. */
	ck_assert_int_eq(lp_offcpu_switch(o, 6, 10, 0, 0), 0);
	lp_offcpu_stats_of(o, &st);
	ck_assert_uint_eq(st.waits, 1);
	ck_assert_uint_eq(st.switches, 1);
	ck_assert_uint_eq(st.live, 2);
	lp_offcpu_free(o);
	lp_profile_free(p);
}
END_TEST

/* ---- the sampling leader asks for kernel mode; a paranoid kernel refuses ---- */

static int opens;

static int paranoid_open(struct perf_event_attr *attr, pid_t pid, int cpu, int group_fd,
			 unsigned long flags, void *ctx)
{
	(void)pid, (void)cpu, (void)group_fd, (void)flags, (void)ctx;
	opens++;
	if (!attr->exclude_kernel) {
		errno = EACCES;
		return -1;
	}
	return open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static int no_pmu_open(struct perf_event_attr *attr, pid_t pid, int cpu, int group_fd,
		       unsigned long flags, void *ctx)
{
	(void)pid, (void)cpu, (void)group_fd, (void)flags, (void)ctx;
	if (lp_events_is_hardware(attr)) {
		errno = ENOENT;
		return -1;
	}
	return open("/dev/null", O_RDONLY | O_CLOEXEC);
}

START_TEST(leader_kernel_mode_fallback)
{
	lp_opener op = { paranoid_open, NULL };
	lp_event ev[1];
	lp_error err = { 0 };
	int nev = 1, fd;
	FILE *diag = fopen("/dev/null", "w");

	ck_assert_int_eq(lp_events_parse(&ev[0], "cpu-clock", &err), LP_OK);
	ck_assert(lp_events_is_clock(&ev[0].attr));
	ev[0].kernel = 1;
	ev[0].attr.exclude_kernel = 0;
	opens = 0;
	ck_assert_int_eq(lp_events_open_group(ev, &nev, 1, 0, 1, &fd, &op, diag, &err), LP_OK);
	ck_assert_int_eq(ev[0].attr.exclude_kernel, 1); /* user mode only: the caller says so */
	ck_assert_int_eq(opens, 2);
	close(fd);
	/* cycles without a PMU: the cpu-clock it falls back to samples kernel mode too. */
	op.open = no_pmu_open;
	ck_assert_int_eq(lp_events_parse(&ev[0], "cycles", &err), LP_OK);
	ck_assert(!lp_events_is_clock(&ev[0].attr));
	ev[0].kernel = 1;
	ck_assert_int_eq(lp_events_open_group(ev, &nev, 1, 0, 1, &fd, &op, diag, &err), LP_OK);
	ck_assert(lp_events_is_clock(&ev[0].attr));
	ck_assert_int_eq(ev[0].attr.exclude_kernel, 0);
	close(fd);
	/* cpu-clock:u stays in user mode. */
	ck_assert_int_eq(lp_events_parse(&ev[0], "cpu-clock:u", &err), LP_OK);
	ck_assert_int_eq(ev[0].user_only, 1);
	fclose(diag);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("time");
	TCase *t = tcase_create("kernel");

	tcase_add_test(t, kernel_sample_charged_to_user_ip);
	tcase_add_test(t, kernel_sample_stack);
	tcase_add_test(t, leader_kernel_mode_fallback);
	suite_add_tcase(s, t);
	t = tcase_create("offcpu");
	tcase_add_test(t, offcpu_runnable_across_drains);
	tcase_add_test(t, offcpu_blocked_whole_run);
	tcase_add_test(t, offcpu_lost_pieces);
	tcase_add_test(t, offcpu_switch_in_first);
	tcase_add_test(t, offcpu_wait_across_lost_records);
	tcase_add_test(t, offcpu_loss_elsewhere);
	tcase_add_test(t, offcpu_exit_and_memory);
	tcase_add_test(t, offcpu_direct);
	suite_add_tcase(s, t);
	return lp_check_run(s);
}
