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

static lp_profile *sample_profile(void)
{
	lp_profile *p = lp_profile_new();
	unsigned char bid[20];
	char *argv[] = { "./prog", "a b", "it's", NULL };
	lp_loc st[3];
	int64_t m0, m1;

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
	p->wall_ns = 1300000000;
	p->start_time = 1764000000;
	p->lost = 3;
	p->throttled = 1;
	p->exit_status = 3 << 8;
	p->callchain = 1;
	m0 = lp_profile_module(p, "/work/my prog", bid, sizeof(bid));
	m1 = lp_profile_module(p, "/usr/lib/x86_64-linux-gnu/libm.so.6", NULL, 0);
	ck_assert_int_eq(m0, 0);
	ck_assert_int_eq(m1, 1);
	ck_assert_int_eq(lp_profile_module(p, "/work/my prog", bid, sizeof(bid)), 0);
	ck_assert_int_eq(lp_profile_add_sample(p, (lp_loc){ 0, 0x1234 }, 1, (uint64_t[]){ 250000, 2 }), 0);
	ck_assert_int_eq(lp_profile_add_sample(p, (lp_loc){ 0, 0x1234 }, 1, (uint64_t[]){ 250001, 0 }), 0);
	ck_assert_int_eq(lp_profile_add_sample(p, (lp_loc){ 1, 0x99 }, 5, (uint64_t[]){ 1250000, 7 }), 0);
	ck_assert_int_eq(lp_profile_add_sample(p, (lp_loc){ LP_MODULE_NONE, 0x7fff0000 }, 1, NULL), 0);
	st[0] = (lp_loc){ 1, 0x99 };
	st[1] = (lp_loc){ 0, 0x2000 };
	st[2] = (lp_loc){ 0, 0x3000 };
	ck_assert_int_eq(lp_profile_add_stack(p, st, 3, 5, 1250000), 0);
	ck_assert_int_eq(lp_profile_add_stack(p, st + 1, 2, 2, 500001), 0);
	ck_assert_int_eq(lp_profile_add_stack(p, st, 3, 1, 1), 0);
	ck_assert_int_eq(lp_profile_add_hits(p, (lp_loc){ 0, 0x1234 }, 1000), 0);
	return p;
}

START_TEST(test_aggregates_per_address)
{
	lp_profile *p = sample_profile();

	ck_assert_uint_eq(p->naddrs, 3);
	ck_assert_uint_eq(p->samples, 8);
	ck_assert_uint_eq(p->addrs[0].samples, 2);
	ck_assert_uint_eq(p->addrs[0].value[0], 500001);
	ck_assert_uint_eq(p->events[0].total, 500001 + 1250000);
	ck_assert_uint_eq(p->events[1].total, 9);
	ck_assert_uint_eq(p->nstacks, 2);
	ck_assert_uint_eq(p->stacks[0].samples, 6);
	ck_assert_uint_eq(p->nframes, 5);
	ck_assert_str_eq(p->command, "./prog 'a b' 'it'\\''s'");
	lp_profile_free(p);
}
END_TEST

START_TEST(test_many_addresses_stay_distinct)
{
	lp_profile *p = lp_profile_new();

	for (int round = 0; round < 3; round++)
		for (uint64_t a = 0; a < 50000; a++)
			ck_assert_int_eq(lp_profile_add_sample(p, (lp_loc){ (uint32_t)(a % 3), a * 4 }, 1, NULL), 0);
	ck_assert_uint_eq(p->naddrs, 50000);
	for (size_t i = 0; i < p->naddrs; i++)
		ck_assert_uint_eq(p->addrs[i].samples, 3);
	lp_profile_free(p);
}
END_TEST

START_TEST(test_round_trip)
{
	lp_profile *p = sample_profile(), *q;
	lp_error err = { 0 };

	ck_assert_int_eq(lp_profile_save(p, tmp_path("rt.lprof"), &err), LP_OK);
	q = lp_profile_load(tmp_path("rt.lprof"), &err);
	ck_assert_msg(q != NULL, "%s", err.msg);
	ck_assert_str_eq(q->command, p->command);
	ck_assert_int_eq(q->start_time, p->start_time);
	ck_assert_uint_eq(q->task_clock_ns, p->task_clock_ns);
	ck_assert_uint_eq(q->wall_ns, p->wall_ns);
	ck_assert_uint_eq(q->lost, 3);
	ck_assert_uint_eq(q->throttled, 1);
	ck_assert_int_eq(q->exit_status, 3 << 8);
	ck_assert_int_eq(q->callchain, 1);
	ck_assert_int_eq(q->nevents, 2);
	ck_assert_str_eq(q->events[0].measured, "cpu-clock");
	ck_assert_uint_eq(q->events[0].freq, 4000);
	ck_assert_uint_eq(q->events[1].total, 9);
	ck_assert_uint_eq(q->nmodules, 2);
	ck_assert_str_eq(q->modules[0].path, "/work/my prog");
	ck_assert_int_eq(q->modules[0].build_id_len, 20);
	ck_assert_mem_eq(q->modules[0].build_id, p->modules[0].build_id, 20);
	ck_assert_int_eq(q->modules[1].build_id_len, 0);
	ck_assert_uint_eq(q->naddrs, p->naddrs);
	for (size_t i = 0; i < p->naddrs; i++) {
		ck_assert_uint_eq(q->addrs[i].loc.module, p->addrs[i].loc.module);
		ck_assert_uint_eq(q->addrs[i].loc.offset, p->addrs[i].loc.offset);
		ck_assert_uint_eq(q->addrs[i].samples, p->addrs[i].samples);
		ck_assert_uint_eq(q->addrs[i].value[0], p->addrs[i].value[0]);
		ck_assert_uint_eq(q->addrs[i].value[1], p->addrs[i].value[1]);
	}
	ck_assert_uint_eq(q->nstacks, 2);
	ck_assert_uint_eq(q->stacks[1].value0, 500001);
	ck_assert_uint_eq(q->frames[q->stacks[0].first + 2].offset, 0x3000);
	ck_assert_uint_eq(q->nhits, 1);
	ck_assert_uint_eq(q->hits[0].count, 1000);
	/* Saving what was loaded gives the same bytes: nothing is lost or reordered. */
	ck_assert_int_eq(lp_profile_save(q, tmp_path("rt2.lprof"), &err), LP_OK);
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "cmp -s %s/rt.lprof %s/rt2.lprof", tmpdir, tmpdir);
		ck_assert_int_eq(system(cmd), 0);
	}
	/* Stacks from --call-graph=dwarf say so (callchain 2). */
	lp_profile_free(q);
	p->callchain = 2;
	ck_assert_int_eq(lp_profile_save(p, tmp_path("rt3.lprof"), &err), LP_OK);
	q = lp_profile_load(tmp_path("rt3.lprof"), &err);
	ck_assert_msg(q != NULL, "%s", err.msg);
	ck_assert_int_eq(q->callchain, 2);
	lp_profile_free(p);
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

START_TEST(test_refuses_damage)
{
	expect_refused("", "is empty");
	expect_refused("hello world\n", "not a lineprof profile");
	expect_refused("lineprof-profile 99\nend\n", "version 99");
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
	expect_refused(HDR "samples 0\ncommand a%zz\nend\n", "escape");
	expect_refused(HDR "samples -1\nend\n", "expected a number");
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
	tcase_add_test(tc, test_many_addresses_stay_distinct);
	tcase_add_test(tc, test_round_trip);
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
