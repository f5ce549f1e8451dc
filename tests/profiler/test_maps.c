/* Per-process executable mappings: overlaps, fork, exec, exit, non-file mappings. */
#include <check.h>

#include "../lp_check.h"
#include <stdlib.h>

#include "maps.h"

static lp_loc loc_of(lp_maps *m, int pid, uint64_t ip)
{
	lp_loc l;

	ck_assert_int_eq(lp_maps_loc(m, pid, ip, &l), 0);
	return l;
}

START_TEST(overlap_replaces)
{
	lp_profile *p = lp_profile_new();
	lp_maps m;
	lp_loc l;

	lp_maps_init(&m, p);
	ck_assert_int_eq(lp_maps_add(&m, 1, 0x1000, 0x4000, 0, "/lib/a", NULL, 0), 0);
	/* A MAP_FIXED in the middle splits the old mapping in two. */
	ck_assert_int_eq(lp_maps_add(&m, 1, 0x2000, 0x1000, 0x7000, "/lib/b", NULL, 0), 0);
	l = loc_of(&m, 1, 0x1800);
	ck_assert_str_eq(p->modules[l.module].path, "/lib/a");
	ck_assert_uint_eq(l.offset, 0x800);
	l = loc_of(&m, 1, 0x2010);
	ck_assert_str_eq(p->modules[l.module].path, "/lib/b");
	ck_assert_uint_eq(l.offset, 0x7010);
	l = loc_of(&m, 1, 0x3010); /* the right part keeps its file offsets */
	ck_assert_str_eq(p->modules[l.module].path, "/lib/a");
	ck_assert_uint_eq(l.offset, 0x2010);
	l = loc_of(&m, 1, 0x5000);
	ck_assert_uint_eq(l.module, LP_MODULE_NONE);
	ck_assert_uint_eq(l.offset, 0x5000);
	ck_assert_uint_eq(m.procs[0].n, 3);
	lp_maps_free(&m);
	lp_profile_free(p);
}
END_TEST

START_TEST(modules_added_when_sampled)
{
	lp_profile *p = lp_profile_new();
	unsigned char bid[3] = {1, 2, 3};
	lp_maps m;
	lp_loc l;

	lp_maps_init(&m, p);
	lp_maps_add(&m, 1, 0x1000, 0x1000, 0, "/bin/x", bid, 3);
	lp_maps_add(&m, 1, 0x9000, 0x1000, 0, "/lib/unused.so", NULL, 0);
	lp_maps_add(&m, 1, 0x7000, 0x1000, 0, "[vdso]", NULL, 0);
	lp_maps_add(&m, 1, 0x8000, 0x1000, 0, "//anon", NULL, 0);
	ck_assert_uint_eq(p->nmodules, 0);
	l = loc_of(&m, 1, 0x1004);
	ck_assert_uint_eq(l.module, 0);
	ck_assert_uint_eq(p->modules[0].build_id_len, 3);
	loc_of(&m, 1, 0x1008);
	ck_assert_uint_eq(p->nmodules, 1);
	l = loc_of(&m, 1, 0x7004);
	ck_assert_uint_eq(l.module, LP_MODULE_NONE);
	ck_assert_uint_eq(l.offset, 0x7004);
	ck_assert_uint_eq(loc_of(&m, 1, 0x8004).module, LP_MODULE_NONE);
	ck_assert_uint_eq(p->nmodules, 1);
	lp_maps_free(&m);
	lp_profile_free(p);
}
END_TEST

START_TEST(fork_exec_exit)
{
	lp_profile *p = lp_profile_new();
	lp_maps m;

	lp_maps_init(&m, p);
	lp_maps_add(&m, 10, 0x1000, 0x1000, 0, "/bin/sh", NULL, 0);
	ck_assert_int_eq(lp_maps_fork(&m, 11, 10), 0);   /* a process */
	ck_assert_int_eq(lp_maps_fork(&m, 10, 10), 0);   /* a thread of 10 */
	ck_assert_uint_ne(loc_of(&m, 11, 0x1010).module, LP_MODULE_NONE);
	lp_maps_exec(&m, 11);
	ck_assert_uint_eq(loc_of(&m, 11, 0x1010).module, LP_MODULE_NONE);
	ck_assert_uint_ne(loc_of(&m, 10, 0x1010).module, LP_MODULE_NONE);
	/* 10 has two threads: the maps stay until both have exited. */
	lp_maps_exit(&m, 10);
	ck_assert_uint_ne(loc_of(&m, 10, 0x1010).module, LP_MODULE_NONE);
	lp_maps_exit(&m, 10);
	ck_assert_uint_eq(loc_of(&m, 10, 0x1010).module, LP_MODULE_NONE);
	lp_maps_exit(&m, 11);
	ck_assert_uint_eq(m.nprocs, 0);
	lp_maps_free(&m);
	lp_profile_free(p);
}
END_TEST

START_TEST(many_processes_bounded)
{
	lp_profile *p = lp_profile_new();
	lp_maps m;

	lp_maps_init(&m, p);
	lp_maps_add(&m, 1, 0x1000, 0x1000, 0, "/bin/sh", NULL, 0);
	for (int pid = 2; pid < 5000; pid++) {
		ck_assert_int_eq(lp_maps_fork(&m, pid, 1), 0);
		lp_maps_add(&m, pid, 0x2000, 0x1000, 0, "/bin/true", NULL, 0);
		lp_maps_exit(&m, pid);
	}
	ck_assert_uint_eq(m.nprocs, 1);
	ck_assert_uint_eq(m.nfiles, 2); /* interned: one entry per distinct file */
	lp_maps_free(&m);
	lp_profile_free(p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("maps");
	TCase *t = tcase_create("maps");

	tcase_add_test(t, overlap_replaces);
	tcase_add_test(t, modules_added_when_sampled);
	tcase_add_test(t, fork_exec_exit);
	tcase_add_test(t, many_processes_bounded);
	suite_add_tcase(s, t);
	return lp_check_run(s);
}
