/* -o templates and names: cli/outname.c. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../lp_check.h"
#include "outname.h"

static const char *get(void *ctx, const char *name)
{
	(void)ctx;
	return strcmp(name, "TASK") == 0 ? "7" : strcmp(name, "SLASHY") == 0 ? "a/b" : NULL;
}

static lp_jobenv rank_env(int rank, int size, const char *job, const char *step)
{
	lp_jobenv je;

	memset(&je, 0, sizeof(je));
	je.id.rank = rank;
	je.id.size = size;
	je.id.job = job;
	je.id.step = step;
	je.id.host = "node12.cluster.org";
	je.rank_var = rank >= 0 ? "SLURM_PROCID" : NULL;
	return je;
}

START_TEST(expand_all)
{
	lp_jobenv je = rank_env(3, 8, "991", "2");
	lp_error err = { 0 };
	char out[256];

	ck_assert_int_eq(lp_outname_expand("d/p.%j.%t.%r.%s.%h.%p.%e{TASK}.%e{SLASHY}.%%.lprof", &je,
					   1234, get, NULL, out, sizeof(out), &err), LP_OK);
	ck_assert_str_eq(out, "d/p.991.2.3.8.node12.1234.7.a_b.%.lprof");
	/* Not under a launcher: rank 0 of 1, as an MPI singleton. */
	je = rank_env(-1, -1, NULL, NULL);
	ck_assert_int_eq(lp_outname_expand("p.%r.%s", &je, 1, get, NULL, out, sizeof(out), &err),
			 LP_OK);
	ck_assert_str_eq(out, "p.0.1");
}
END_TEST

START_TEST(expand_errors)
{
	lp_jobenv je = rank_env(-1, -1, NULL, NULL);
	lp_error err = { 0 };
	char out[16];

	ck_assert_int_eq(lp_outname_expand("p.%j", &je, 1, get, NULL, out, sizeof(out), &err),
			 LP_EUSAGE);
	ck_assert_ptr_nonnull(strstr(err.msg, "%j has no value"));
	lp_error_clear(&err);
	ck_assert_int_eq(lp_outname_expand("p.%t", &je, 1, get, NULL, out, sizeof(out), &err),
			 LP_EUSAGE);
	lp_error_clear(&err);
	ck_assert_int_eq(lp_outname_expand("p.%x", &je, 1, get, NULL, out, sizeof(out), &err),
			 LP_EUSAGE);
	ck_assert_ptr_nonnull(strstr(err.msg, "unknown '%x'"));
	lp_error_clear(&err);
	ck_assert_int_eq(lp_outname_expand("p%", &je, 1, get, NULL, out, sizeof(out), &err), LP_EUSAGE);
	lp_error_clear(&err);
	ck_assert_int_eq(lp_outname_expand("%e{NOPE}", &je, 1, get, NULL, out, sizeof(out), &err),
			 LP_EUSAGE);
	ck_assert_ptr_nonnull(strstr(err.msg, "NOPE is not set"));
	lp_error_clear(&err);
	ck_assert_int_eq(lp_outname_expand("%e{TASK", &je, 1, get, NULL, out, sizeof(out), &err),
			 LP_EUSAGE);
	lp_error_clear(&err);
	ck_assert_int_eq(lp_outname_expand("a-very-long-name.lprof", &je, 1, get, NULL, out,
					   sizeof(out), &err), LP_EUSAGE);
	ck_assert_ptr_nonnull(strstr(err.msg, "too long"));
}
END_TEST

START_TEST(names)
{
	lp_jobenv je = rank_env(5, 8, "77", NULL);
	char out[256];

	lp_outname_default("/opt/bin/solver", &je, out, sizeof(out));
	ck_assert_str_eq(out, "solver.77.5.lprof");
	je.id.job = NULL;
	lp_outname_default("solver", &je, out, sizeof(out));
	ck_assert_str_eq(out, "solver.5.lprof");
	je = rank_env(-1, -1, NULL, NULL);
	lp_outname_default("./solver", &je, out, sizeof(out));
	ck_assert_str_eq(out, "solver.lprof");
	lp_outname_with_rank("out/p.lprof", 3, out, sizeof(out));
	ck_assert_str_eq(out, "out/p.3.lprof");
	lp_outname_with_rank("out/profile", 3, out, sizeof(out));
	ck_assert_str_eq(out, "out/profile.3");
	lp_outname_with_rank("out/.lprof", 3, out, sizeof(out));
	ck_assert_str_eq(out, "out/.lprof.3");
	ck_assert(lp_outname_per_rank("p.%r.lprof"));
	ck_assert(lp_outname_per_rank("p.%p"));
	ck_assert(!lp_outname_per_rank("p.%%r.%j"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("outname");
	TCase *t = tcase_create("core");

	tcase_add_test(t, expand_all);
	tcase_add_test(t, expand_errors);
	tcase_add_test(t, names);
	suite_add_tcase(s, t);
	return lp_check_run(s);
}
