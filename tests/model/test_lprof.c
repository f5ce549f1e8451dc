/* The profile model and its file: aggregation, round trip, and refusing damaged files. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lineprof/profile.h"

static char tmpdir[] = "/tmp/lp-test-lprof-XXXXXX";

static const char *tmp_path(const char *name)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return path;
}

static void write_file(const char *name, const char *text)
{
	FILE *f = fopen(tmp_path(name), "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

/* User-mode counts: samples and the first two event values. */
static lp_counts user(uint64_t samples, uint64_t v0, uint64_t v1)
{
	lp_counts c = { .samples = samples };

	c.value[0] = v0;
	c.value[1] = v1;
	return c;
}

static lp_profile *sample_profile(void)
{
	lp_profile *p = lp_profile_new();
	unsigned char bid[20];
	char *argv[] = { "./prog", "a b", "it's", NULL };
	lp_identity id = { .rank = 3, .size = 8, .host = "node 7", .job = "4242", .step = "0",
			   .launcher = "srun", .start_time = 1764000000 };
	lp_counts c, k = { .sys_samples = 4, .sys_value = 1000000 },
		  off = { .off_count = 2, .off_ns = { 5000000, 70000 } };
	lp_loc st[3];
	int64_t m0, m1, proc, t1, t2;

	for (int i = 0; i < 20; i++)
		bid[i] = (unsigned char)(i * 13);
	ck_assert_int_eq(lp_profile_set_command(p, 3, argv), 0);
	p->nevents = 2;
	strcpy(p->events[0].name, "cycles");
	strcpy(p->events[0].measured, "cpu-clock");
	p->events[0].freq = 4000;
	strcpy(p->events[1].name, "page-faults");
	strcpy(p->events[1].measured, "page-faults");
	p->task_clock_ns = 1234567890;
	p->user_ns = 1000000000;
	p->sys_ns = 234567890;
	p->wall_ns = 1300000000;
	p->start_time = 1764000000;
	p->lost = 3;
	p->throttled = 1;
	p->exit_status = 3 << 8;
	p->callchain = 1;
	p->kernel = 1;
	p->off_cpu = 1;
	p->off_lost_ns = 77;
	m0 = lp_profile_module(p, "/work/my prog", bid, sizeof(bid));
	m1 = lp_profile_module(p, "/usr/lib/x86_64-linux-gnu/libm.so.6", NULL, 0);
	ck_assert_int_eq(m0, 0);
	ck_assert_int_eq(m1, 1);
	p->modules[1].file_size = 918936;
	p->modules[1].mtime_ns = 1700000000123456789;
	p->modules[1].code_hash = 0xfeedface12345678ULL;
	ck_assert_int_eq(lp_profile_module(p, "/work/my prog", bid, sizeof(bid)), 0);
	proc = lp_profile_add_context(p, LP_CTX_PROCESS, LP_CTX_NONE, 100, "prog");
	t1 = lp_profile_add_context(p, LP_CTX_THREAD, (uint32_t)proc, 100, "prog");
	t2 = lp_profile_add_context(p, LP_CTX_THREAD, (uint32_t)proc, 101, "worker 1");
	ck_assert_int_eq(proc, 0);
	ck_assert_int_eq(t2, 2);
	ck_assert_int_eq(lp_profile_set_identity(p, (uint32_t)proc, &id), 0);
	ck_assert_int_eq(lp_profile_set_identity(p, (uint32_t)t1, &id), -1); /* threads have none */
	c = user(1, 250000, 2);
	ck_assert_int_eq(lp_profile_add(p, (uint32_t)t1, (lp_loc){ 0, 0x1234 }, &c), 0);
	c = user(1, 250001, 0);
	ck_assert_int_eq(lp_profile_add(p, (uint32_t)t2, (lp_loc){ 0, 0x1234 }, &c), 0);
	c = user(5, 1250000, 7);
	ck_assert_int_eq(lp_profile_add(p, (uint32_t)t1, (lp_loc){ 1, 0x99 }, &c), 0);
	ck_assert_int_eq(lp_profile_add(p, (uint32_t)t2, (lp_loc){ 1, 0x99 }, &k), 0);
	ck_assert_int_eq(lp_profile_add(p, (uint32_t)t2, (lp_loc){ 1, 0x99 }, &off), 0);
	c = user(1, 0, 0);
	ck_assert_int_eq(lp_profile_add(p, LP_CTX_NONE, (lp_loc){ LP_MODULE_NONE, 0x7fff0000 }, &c), 0);
	st[0] = (lp_loc){ 1, 0x99 };
	st[1] = (lp_loc){ 0, 0x2000 };
	st[2] = (lp_loc){ 0, 0x3000 };
	c = user(5, 1250000, 0);
	ck_assert_int_eq(lp_profile_add_stack(p, (uint32_t)t1, st, 3, &c), 0);
	c = user(2, 500001, 0);
	ck_assert_int_eq(lp_profile_add_stack(p, (uint32_t)t2, st + 1, 2, &c), 0);
	c = user(1, 1, 0);
	ck_assert_int_eq(lp_profile_add_stack(p, (uint32_t)t2, st, 3, &c), 0);
	ck_assert_int_eq(lp_profile_add_stack(p, LP_CTX_NONE, st, 3, &off), 0);
	ck_assert_int_eq(lp_profile_add_hits(p, (lp_loc){ 0, 0x1234 }, 1000), 0);
	return p;
}

START_TEST(test_aggregates_per_address)
{
	lp_profile *p = sample_profile();

	ck_assert_uint_eq(p->naddrs, 3);
	ck_assert_uint_eq(p->samples, 8);
	ck_assert_uint_eq(p->addrs[0].c.samples, 2);
	ck_assert_uint_eq(p->addrs[0].c.value[0], 500001);
	ck_assert_uint_eq(p->addrs[1].c.sys_samples, 4);
	ck_assert_uint_eq(p->addrs[1].c.off_ns[LP_OFF_BLOCKED], 5000000);
	ck_assert_uint_eq(p->events[0].total, 500001 + 1250000);
	ck_assert_uint_eq(p->events[1].total, 9);
	ck_assert_uint_eq(p->nstacks, 2);
	ck_assert_uint_eq(p->stacks[0].c.samples, 6);
	ck_assert_uint_eq(p->stacks[0].c.off_count, 2);
	ck_assert_uint_eq(p->nframes, 5);
	ck_assert_str_eq(p->command, "./prog 'a b' 'it'\\''s'");
	lp_profile_free(p);
}
END_TEST

/* Per-context counts are sparse: one entry per (context, address) touched, summing to the totals. */
START_TEST(test_contexts_are_sparse)
{
	lp_profile *p = sample_profile();
	lp_counts sum = { 0 };

	ck_assert_uint_eq(p->ncontexts, 3);
	ck_assert_uint_eq(lp_profile_process_of(p, 2), 0);
	ck_assert_uint_eq(lp_profile_process_of(p, 0), 0);
	ck_assert_uint_eq(lp_profile_process_of(p, 9), LP_CTX_NONE);
	ck_assert_int_eq(p->contexts[0].rank, 3);
	ck_assert_str_eq(p->contexts[0].host, "node 7");
	ck_assert_int_eq(p->contexts[1].rank, -1);
	/* (t1, 0x1234), (t2, 0x1234), (t1, 0x99), (t2, 0x99): the ctx-less one has none. */
	ck_assert_uint_eq(p->nctx_addrs, 4);
	for (size_t i = 0; i < p->nctx_addrs; i++) {
		lp_counts c;

		lp_ctx_counts_get(&p->ctx_addrs[i], &c);
		if (p->ctx_addrs[i].index == 1)
			ck_assert_int_eq(lp_counts_add(&sum, &c), 0);
	}
	/* The per-context entries keep the time fields; the other event values and
	 * the switch count live in the totals only. */
	ck_assert_uint_eq(sum.samples, p->addrs[1].c.samples);
	ck_assert_uint_eq(sum.value[0], p->addrs[1].c.value[0]);
	ck_assert_uint_eq(sum.sys_value, p->addrs[1].c.sys_value);
	ck_assert_mem_eq(sum.off_ns, p->addrs[1].c.off_ns, sizeof(sum.off_ns));
	ck_assert_uint_eq(sum.value[1], 0);
	ck_assert_uint_eq(p->addrs[1].c.value[1], 7);
	ck_assert_uint_eq(p->nctx_stacks, 3);
	ck_assert_int_eq(lp_profile_name_context(p, 2, "renamed"), 0);
	ck_assert_str_eq(p->contexts[2].name, "renamed");
	lp_profile_free(p);
}
END_TEST

/* Readers append entries unindexed; a later lookup finds them and adds to them. */
START_TEST(test_appended_entries_are_found)
{
	lp_profile *p = lp_profile_new();
	lp_counts one = { .samples = 1 };

	for (uint32_t i = 0; i < 1000; i++)
		ck_assert_int_eq(lp_profile_add_entry(p, i % 3, (lp_loc){ 0, i }, &one), 0);
	ck_assert_uint_eq(p->nctx_addrs, 1000);
	for (uint32_t i = 0; i < 1000; i++)
		ck_assert_int_eq(lp_profile_add(p, i % 3, (lp_loc){ 0, i }, &one), 0);
	ck_assert_uint_eq(p->nctx_addrs, 1000);
	for (size_t i = 0; i < p->nctx_addrs; i++)
		ck_assert_uint_eq(p->ctx_addrs[i].samples, 2);
	ck_assert_int_eq(lp_profile_add_stack(p, 1, &(lp_loc){ 0, 5 }, 1, &one), 0);
	ck_assert_int_eq(lp_profile_add_stack_entry(p, 2, 0, &one), 0);
	ck_assert_int_eq(lp_profile_add_stack_entry(p, 2, 1, &one), -1); /* no such stack */
	ck_assert_int_eq(lp_profile_add_stack(p, 2, &(lp_loc){ 0, 5 }, 1, &one), 0);
	ck_assert_uint_eq(p->nctx_stacks, 2);
	ck_assert_uint_eq(p->stacks[0].c.samples, 3);
	lp_profile_free(p);
}
END_TEST

START_TEST(test_overflow_is_refused)
{
	lp_profile *p = lp_profile_new();
	lp_counts big = { .samples = UINT64_MAX - 1 }, two = { .samples = 2 };
	lp_counts off = { .off_ns = { UINT64_MAX, 0 } };

	ck_assert_int_eq(lp_profile_add(p, LP_CTX_NONE, (lp_loc){ 0, 1 }, &big), 0);
	ck_assert_int_eq(lp_profile_add(p, LP_CTX_NONE, (lp_loc){ 0, 2 }, &two), -2);
	ck_assert_uint_eq(p->samples, UINT64_MAX - 1); /* nothing changed */
	ck_assert_int_eq(lp_profile_add(p, LP_CTX_NONE, (lp_loc){ 0, 2 }, &off), 0);
	ck_assert_int_eq(lp_profile_add(p, LP_CTX_NONE, (lp_loc){ 0, 2 }, &off), -2);
	ck_assert_int_eq(lp_profile_add_stack(p, LP_CTX_NONE, &(lp_loc){ 0, 2 }, 1, &off), 0);
	ck_assert_int_eq(lp_profile_add_stack(p, LP_CTX_NONE, &(lp_loc){ 0, 2 }, 1, &off), -2);
	lp_profile_free(p);
}
END_TEST

START_TEST(test_many_addresses_stay_distinct)
{
	lp_profile *p = lp_profile_new();
	lp_counts one = { .samples = 1 };

	for (int round = 0; round < 3; round++)
		for (uint64_t a = 0; a < 50000; a++)
			ck_assert_int_eq(lp_profile_add(p, (uint32_t)(a % 7 == 0), (lp_loc){ (uint32_t)(a % 3), a * 4 },
							&one), 0);
	ck_assert_uint_eq(p->naddrs, 50000);
	for (size_t i = 0; i < p->naddrs; i++)
		ck_assert_uint_eq(p->addrs[i].c.samples, 3);
	ck_assert_uint_eq(p->nctx_addrs, 50000);
	lp_profile_free(p);
}
END_TEST

static void assert_same_profile(const lp_profile *q, const lp_profile *p)
{
	ck_assert_str_eq(q->command, p->command);
	ck_assert_int_eq(q->start_time, p->start_time);
	ck_assert_uint_eq(q->task_clock_ns, p->task_clock_ns);
	ck_assert_uint_eq(q->user_ns, p->user_ns);
	ck_assert_uint_eq(q->sys_ns, p->sys_ns);
	ck_assert_uint_eq(q->wall_ns, p->wall_ns);
	ck_assert_uint_eq(q->lost, p->lost);
	ck_assert_uint_eq(q->throttled, p->throttled);
	ck_assert_int_eq(q->exit_status, p->exit_status);
	ck_assert_int_eq(q->callchain, p->callchain);
	ck_assert_int_eq(q->kernel, p->kernel);
	ck_assert_int_eq(q->off_cpu, p->off_cpu);
	ck_assert_uint_eq(q->off_lost_ns, p->off_lost_ns);
	ck_assert_int_eq(q->nevents, p->nevents);
	ck_assert_str_eq(q->events[0].measured, p->events[0].measured);
	ck_assert_uint_eq(q->events[0].freq, p->events[0].freq);
	ck_assert_uint_eq(q->events[1].total, p->events[1].total);
	ck_assert_uint_eq(q->nmodules, p->nmodules);
	for (size_t i = 0; i < p->nmodules; i++) {
		ck_assert_str_eq(q->modules[i].path, p->modules[i].path);
		ck_assert_int_eq(q->modules[i].build_id_len, p->modules[i].build_id_len);
		ck_assert_mem_eq(q->modules[i].build_id, p->modules[i].build_id, p->modules[i].build_id_len);
		ck_assert_uint_eq(q->modules[i].file_size, p->modules[i].file_size);
		ck_assert_int_eq(q->modules[i].mtime_ns, p->modules[i].mtime_ns);
		ck_assert_uint_eq(q->modules[i].code_hash, p->modules[i].code_hash);
	}
	ck_assert_uint_eq(q->ncontexts, p->ncontexts);
	for (size_t i = 0; i < p->ncontexts; i++) {
		const lp_context *a = &q->contexts[i], *b = &p->contexts[i];

		ck_assert_int_eq(a->kind, b->kind);
		ck_assert_uint_eq(a->parent, b->parent);
		ck_assert_int_eq(a->id, b->id);
		ck_assert_str_eq(a->name ? a->name : "(null)", b->name ? b->name : "(null)");
		ck_assert_int_eq(a->rank, b->rank);
		ck_assert_int_eq(a->size, b->size);
		ck_assert_str_eq(a->host ? a->host : "(null)", b->host ? b->host : "(null)");
		ck_assert_str_eq(a->launcher ? a->launcher : "(null)", b->launcher ? b->launcher : "(null)");
		ck_assert_int_eq(a->start_time, b->start_time);
	}
	ck_assert_uint_eq(q->naddrs, p->naddrs);
	for (size_t i = 0; i < p->naddrs; i++) {
		ck_assert_uint_eq(q->addrs[i].loc.module, p->addrs[i].loc.module);
		ck_assert_uint_eq(q->addrs[i].loc.offset, p->addrs[i].loc.offset);
		ck_assert_mem_eq(&q->addrs[i].c, &p->addrs[i].c, sizeof(lp_counts));
	}
	ck_assert_uint_eq(q->nctx_addrs, p->nctx_addrs);
	ck_assert_uint_eq(q->nstacks, p->nstacks);
	for (size_t i = 0; i < p->nstacks; i++)
		ck_assert_mem_eq(&q->stacks[i].c, &p->stacks[i].c, sizeof(lp_counts));
	ck_assert_uint_eq(q->nctx_stacks, p->nctx_stacks);
	ck_assert_uint_eq(q->frames[q->stacks[0].first + 2].offset, p->frames[p->stacks[0].first + 2].offset);
	ck_assert_uint_eq(q->nhits, p->nhits);
}

START_TEST(test_round_trip)
{
	lp_profile *p = sample_profile(), *q;
	lp_error err = { 0 };

	ck_assert_int_eq(lp_profile_save(p, tmp_path("rt.lprof"), &err), LP_OK);
	q = lp_profile_load(tmp_path("rt.lprof"), &err);
	ck_assert_msg(q != NULL, "%s", err.msg);
	ck_assert_int_eq(q->version, LP_FORMAT_VERSION);
	assert_same_profile(q, p);
	ck_assert_uint_eq(q->hits[0].count, 1000);
	/* Saving what was loaded gives the same bytes: nothing is lost or reordered. */
	ck_assert_int_eq(lp_profile_save(q, tmp_path("rt2.lprof"), &err), LP_OK);
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "cmp -s %s/rt.lprof %s/rt2.lprof", tmpdir, tmpdir);
		ck_assert_int_eq(system(cmd), 0);
	}
	lp_profile_free(q);
	lp_profile_free(p);
}
END_TEST

/* A version 1 file, as lineprof 0.1 wrote it: still loads, with no contexts. */
START_TEST(test_loads_version_1)
{
	lp_error err = { 0 };
	lp_profile *q;

	write_file("v1.lprof",
		   "lineprof-profile 1\ncommand ./prog\nstart 1764000000\nwall-ns 5\ntask-clock-ns 4\n"
		   "samples 7\nlost 0\nthrottled 0\nexit-status 0\ncallchain 2\n"
		   "event 0 4000 0 1750001 cycles cpu-clock\n"
		   "module 0 0d1a27 /work/prog\n"
		   "addr 0:1234 2 500001\naddr 0:99 5 1250000\n"
		   "stack 5 1250000 3 0:99 0:2000 0:3000\nstack 2 500001 1 0:1234\n"
		   "hit 0:1234 1000\nend\n");
	q = lp_profile_load(tmp_path("v1.lprof"), &err);
	ck_assert_msg(q != NULL, "%s", err.msg);
	ck_assert_int_eq(q->version, 1);
	ck_assert_int_eq(q->callchain, 2);
	ck_assert_uint_eq(q->samples, 7);
	ck_assert_uint_eq(q->ncontexts, 0);
	ck_assert_uint_eq(q->naddrs, 2);
	ck_assert_uint_eq(q->addrs[1].c.value[0], 1250000);
	ck_assert_uint_eq(q->nstacks, 2);
	ck_assert_uint_eq(q->stacks[0].c.samples, 5);
	ck_assert_uint_eq(q->stacks[1].c.value[0], 500001);
	ck_assert_uint_eq(q->modules[0].build_id_len, 3);
	ck_assert_uint_eq(q->nhits, 1);
	lp_profile_free(q);
}
END_TEST

/* Each damaged file must be refused with a message that says where and what. */
static void expect_refused(const char *text, const char *needle)
{
	lp_error err = { 0 };
	lp_profile *q;

	write_file("bad.lprof", text);
	q = lp_profile_load(tmp_path("bad.lprof"), &err);
	ck_assert_msg(q == NULL, "accepted: %s", text);
	ck_assert_int_eq(err.code, LP_EFAIL);
	ck_assert_msg(strstr(err.msg, needle) != NULL, "message '%s' lacks '%s'", err.msg, needle);
	ck_assert_msg(strchr(err.msg, '\n') == NULL, "message is not one line");
}

#define HDR "lineprof-profile 1\ncommand ./a\nstart 1\nwall-ns 1\ntask-clock-ns 1\n"
#define HDR2 "lineprof-profile 2\ncommand ./a\nstart 1\n"
#define ZERO5 " 0 0 0 0 0"

START_TEST(test_refuses_damage)
{
	expect_refused("", "is empty");
	expect_refused("hello world\n", "not a lineprof profile");
	expect_refused("lineprof-profile 99\nend\n", "version 99");
	expect_refused("lineprof-profile 0\nend\n", "version 0");
	expect_refused(HDR "samples 1\nmodule 0 - /a\naddr 0:10 1\n", "truncated");
	expect_refused(HDR "samples 1\nmodule 0 - /a\naddr 0:10 1\nend", "truncated line");
	expect_refused(HDR "samples 1\nmodule 0 - /a\naddr 0:zz 1\nend\n", "bad.lprof:8:");
	expect_refused(HDR "samples 1\nmodule 0 - /a\naddr 3:10 1\nend\n", "module index out of range");
	expect_refused(HDR "samples 2\nmodule 0 - /a\naddr 0:10 1\nend\n", "add up to 1");
	expect_refused(HDR "samples 1\nmodule 0 - /a\naddr 0:10 1 5\nend\n", "wrong number of fields");
	expect_refused(HDR "samples 0\nmodule 1 - /a\nend\n", "modules out of order");
	expect_refused(HDR "samples 0\nmodule 0 xyz /a\nend\n", "bad build-id");
	expect_refused(HDR "samples 0\nstack 1 1 2 -:10\nend\n", "depth does not match");
	expect_refused(HDR "samples 0\nfrobnicate 1\nend\n", "unknown record");
	expect_refused(HDR "samples 0\nend\nmodule 0 - /a\n", "after 'end'");
	expect_refused("lineprof-profile 1\ncommand a%zz\nsamples 0\nend\n", "escape");
	expect_refused(HDR "samples -1\nend\n", "expected a number");
	/* The red team's shapes: wrapping sums, repeated or late headers, no samples record. */
	expect_refused(HDR "samples 5\nmodule 0 - /a\naddr 0:10 9223372036854775808\n"
		       "addr 0:11 9223372036854775808\naddr 0:12 5\nend\n", "overflow");
	expect_refused(HDR "samples 0\nsamples 0\nend\n", "given twice");
	expect_refused(HDR "samples 0\nlost 1\nlost 2\nend\n", "given twice");
	expect_refused(HDR "module 0 - /a\nsamples 0\nend\n", "header record after data");
	expect_refused(HDR "module 0 - /a\nend\n", "no 'samples' record");
	expect_refused(HDR "samples 1\nevent 0 4000 0 99 cpu-clock cpu-clock\nmodule 0 - /a\n"
		       "addr 0:10 1 5\nend\n", "total is 99");
	expect_refused(HDR "samples 0\nkernel 1\nend\n", "for this format version");
	expect_refused(HDR "samples 0\nexit-status 99999999\nend\n", "out of range");
	/* Version 2: contexts, stack definitions and their counts. */
	expect_refused(HDR2 "samples 0\ncontext 0 thread - 5 a -1 -1 - - - - 0\nend\n", "parent");
	expect_refused(HDR2 "samples 0\ncontext 0 process - 5 a -1 -1 - - - - 0\n"
		       "context 1 thread 1 6 b -1 -1 - - - - 0\nend\n", "context index out of range");
	expect_refused(HDR2 "samples 0\ncontext 1 process - 5 a -1 -1 - - - - 0\nend\n", "contexts out of order");
	expect_refused(HDR2 "samples 0\ncontext 0 daemon - 5 a -1 -1 - - - - 0\nend\n", "kind");
	expect_refused(HDR2 "samples 1\nmodule 0 - 0 0 0 /a\naddr 0 0:10 1" ZERO5 "\nend\n",
		       "context index out of range");
	expect_refused(HDR2 "samples 1\nmodule 0 - 0 0 0 /a\naddr - 0:10 1\nend\n", "wrong number of fields");
	expect_refused(HDR2 "samples 0\nmodule 0 - 0 0 0 /a\nscount - 0 1" ZERO5 "\nend\n",
		       "stack index out of range");
	expect_refused(HDR2 "samples 0\nmodule 0 - 0 0 0 /a\nstack 1 1 0:10\nend\n", "stacks out of order");
	expect_refused(HDR2 "samples 0\nmodule 0 - 0 0 0 /a\nstack 0 1 0:10\nscount - 0 1 0 0 0 0 18446744073709551615\n"
		       "scount - 0 1 0 0 0 0 1\nend\n", "overflow");
}
END_TEST

START_TEST(test_missing_file)
{
	lp_error err = { 0 };

	ck_assert_ptr_null(lp_profile_load(tmp_path("nope.lprof"), &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "No such file"));
}
END_TEST

START_TEST(test_unwritable)
{
	lp_profile *p = sample_profile();
	lp_error err = { 0 };

	ck_assert_int_eq(lp_profile_save(p, "/nonexistent-dir/x.lprof", &err), LP_EFAIL);
	ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent-dir/x.lprof"));
	ck_assert_ptr_nonnull(strstr(err.msg, "No such file"));
	lp_profile_free(p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lprof");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	tcase_add_test(tc, test_aggregates_per_address);
	tcase_add_test(tc, test_contexts_are_sparse);
	tcase_add_test(tc, test_appended_entries_are_found);
	tcase_add_test(tc, test_overflow_is_refused);
	tcase_add_test(tc, test_many_addresses_stay_distinct);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_loads_version_1);
	tcase_add_test(tc, test_refuses_damage);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_unwritable);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
		if (system(cmd) != 0)
			failed++;
	}
	return failed ? 1 : 0;
}
