/* Merging profiles and reading launcher variables: model/merge.c, model/jobenv.c. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../lp_check.h"
#include "lineprof/jobenv.h"
#include "lineprof/merge.h"

/* One rank's profile: a process with rank r, a thread, samples at two addresses. */
static lp_profile *rank_profile(int rank, const char *path, uint64_t work)
{
	static const unsigned char bid[] = { 0xab, 0xcd, 0xef, 0x01 };
	lp_profile *p = lp_profile_new();
	lp_identity id = { rank, 4, "node", "42", "0", "srun", 1000 + rank };
	lp_counts c = { .samples = work, .value = { work * 1000 } };
	lp_loc hot = { 0, 0x1000 }, cold = { 0, 0x2000 };
	lp_loc frames[2] = { { 0, 0x1000 }, { 0, 0x3000 } };
	int64_t proc, thr;

	ck_assert_ptr_nonnull(p);
	p->nevents = 1;
	strcpy(p->events[0].name, "cpu-clock");
	strcpy(p->events[0].measured, "cpu-clock");
	p->callchain = 1;
	ck_assert_int_eq(lp_profile_set_command(p, 1, (char *[]){ "./solver" }), 0);
	ck_assert_int_eq(lp_profile_module(p, path, bid, sizeof(bid)), 0);
	proc = lp_profile_add_context(p, LP_CTX_PROCESS, LP_CTX_NONE, 100 + rank, "solver");
	thr = lp_profile_add_context(p, LP_CTX_THREAD, (uint32_t)proc, 100 + rank, "solver");
	ck_assert_int_eq(lp_profile_set_identity(p, (uint32_t)proc, &id), 0);
	ck_assert_int_eq(lp_profile_add(p, (uint32_t)thr, hot, &c), 0);
	c.samples = 1;
	c.value[0] = 1000;
	ck_assert_int_eq(lp_profile_add(p, (uint32_t)thr, cold, &c), 0);
	ck_assert_int_eq(lp_profile_add_stack(p, (uint32_t)thr, frames, 2, &c), 0);
	p->task_clock_ns = (work + 1) * 1000;
	return p;
}

/* Samples of the hot address per rank, from the per-context counts. */
static uint64_t rank_samples(const lp_profile *p, int rank)
{
	uint64_t n = 0;

	for (size_t i = 0; i < p->nctx_addrs; i++) {
		uint32_t proc = lp_profile_process_of(p, p->ctx_addrs[i].ctx);

		if (p->contexts[proc].rank == rank && p->addrs[p->ctx_addrs[i].index].loc.offset == 0x1000)
			n += p->ctx_addrs[i].samples;
	}
	return n;
}

START_TEST(merge_keeps_ranks)
{
	lp_profile *dst = lp_profile_new();
	lp_error err = { 0 };

	/* Different paths, one build-id: one module. */
	for (int r = 0; r < 4; r++) {
		char path[64];
		lp_profile *p;

		snprintf(path, sizeof(path), "/scratch/rank%d/solver", r);
		p = rank_profile(r, path, 10 * (uint64_t)(r + 1));
		ck_assert_int_eq(lp_profile_merge(dst, p, path, NULL, &err), LP_OK);
		lp_profile_free(p);
	}
	ck_assert_uint_eq(dst->nmodules, 1);
	ck_assert_uint_eq(dst->ncontexts, 8);
	ck_assert_uint_eq(dst->naddrs, 2);
	ck_assert_uint_eq(dst->samples, 10 + 20 + 30 + 40 + 4);
	ck_assert_uint_eq(dst->events[0].total, (10 + 20 + 30 + 40 + 4) * 1000);
	ck_assert_uint_eq(dst->task_clock_ns, (11 + 21 + 31 + 41) * 1000);
	ck_assert_uint_eq(dst->nstacks, 1);
	ck_assert_uint_eq(dst->stacks[0].c.samples, 4);
	for (int r = 0; r < 4; r++)
		ck_assert_uint_eq(rank_samples(dst, r), 10 * (uint64_t)(r + 1));
	ck_assert_str_eq(dst->contexts[6].job, "42");
	ck_assert_int_eq(dst->contexts[6].rank, 3);
	/* Saved and loaded: the per-rank counts survive. */
	{
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		lp_profile *q;

		ck_assert_int_eq(lp_profile_write(dst, f), 0);
		fclose(f);
		q = lp_profile_load_mem(buf, len, "merged", &err);
		ck_assert_ptr_nonnull(q);
		for (int r = 0; r < 4; r++)
			ck_assert_uint_eq(rank_samples(q, r), 10 * (uint64_t)(r + 1));
		lp_profile_free(q);
		free(buf);
	}
	lp_profile_free(dst);
}
END_TEST

START_TEST(merge_selects_ranks)
{
	lp_profile *dst = lp_profile_new();
	unsigned char bits[1] = { (1 << 1) | (1 << 3) };
	lp_merge_opts o = { bits, 8 };
	lp_error err = { 0 };

	for (int r = 0; r < 4; r++) {
		lp_profile *p = rank_profile(r, "/bin/solver", 10 * (uint64_t)(r + 1));

		ck_assert_int_eq(lp_profile_merge(dst, p, "x", &o, &err), LP_OK);
		lp_profile_free(p);
	}
	ck_assert_uint_eq(dst->ncontexts, 4);
	ck_assert_uint_eq(dst->samples, 20 + 40 + 2);
	ck_assert_uint_eq(rank_samples(dst, 0), 0);
	ck_assert_uint_eq(rank_samples(dst, 3), 40);
	/* A selected file's CPU time is what its kept samples measured. */
	ck_assert_uint_eq(dst->task_clock_ns, (20 + 40 + 2) * 1000);
	lp_profile_free(dst);
}
END_TEST

/*
 * Keeping some ranks keeps what their per-context entries hold: the sampled
 * event and the waits (their number too), never a second event shown as 0.
 */
START_TEST(merge_selects_ranks_keeps_what_entries_hold)
{
	lp_profile *dst = lp_profile_new();
	unsigned char bits[1] = { 1 << 2 };
	lp_merge_opts o = { bits, 8 };
	lp_error err = { 0 };
	lp_loc at = { 0, 0x4000 };
	lp_counts w = { .samples = 2, .value = { 2000, 777 }, .off_count = 3,
			.off_ns = { 5000, 600 } };
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	lp_profile *q;

	for (int r = 0; r < 4; r++) {
		lp_profile *p = rank_profile(r, "/bin/solver", 10);

		p->nevents = 2;
		strcpy(p->events[1].name, "instructions");
		strcpy(p->events[1].measured, "instructions");
		ck_assert_int_eq(lp_profile_add(p, 1, at, &w), 0);
		ck_assert_int_eq(lp_profile_merge(dst, p, "x", &o, &err), LP_OK);
		lp_profile_free(p);
	}
	ck_assert_int_eq(dst->nevents, 1);
	ck_assert_str_eq(dst->events[0].measured, "cpu-clock");
	ck_assert_str_eq(dst->events[1].measured, "");
	/* Rank 2's waits: their number and time, in the entries and the totals. */
	f = open_memstream(&buf, &len);
	ck_assert_int_eq(lp_profile_write(dst, f), 0);
	fclose(f);
	q = lp_profile_load_mem(buf, len, "kept", &err);
	ck_assert_ptr_nonnull(q);
	for (const lp_profile *p = dst;; p = q) {
		uint64_t count = 0, ns = 0, total = 0;

		for (size_t i = 0; i < p->nctx_addrs; i++) {
			count += p->ctx_addrs[i].off_count;
			ns += p->ctx_addrs[i].off_ns[LP_OFF_BLOCKED];
		}
		for (size_t i = 0; i < p->naddrs; i++)
			total += p->addrs[i].c.off_count;
		ck_assert_uint_eq(count, 3);
		ck_assert_uint_eq(ns, 5000);
		ck_assert_uint_eq(total, 3);
		if (p == q)
			break;
	}
	lp_profile_free(q);
	free(buf);
	lp_profile_free(dst);
}
END_TEST

START_TEST(merge_refuses)
{
	lp_profile *dst = lp_profile_new(), *a = rank_profile(0, "/bin/solver", 5);
	lp_profile *b = rank_profile(1, "/bin/solver", 5);
	lp_error err = { 0 };

	ck_assert_int_eq(lp_profile_merge(dst, a, "a.lprof", NULL, &err), LP_OK);
	/* The same process twice. */
	ck_assert_int_eq(lp_profile_merge(dst, a, "a.lprof", NULL, &err), LP_EFAIL);
	ck_assert_ptr_nonnull(strstr(err.msg, "already in the merge"));
	lp_profile_free(dst);
	/* Other events. */
	dst = lp_profile_new();
	lp_error_clear(&err);
	ck_assert_int_eq(lp_profile_merge(dst, a, "a.lprof", NULL, &err), LP_OK);
	strcpy(b->events[0].measured, "page-faults");
	ck_assert_int_eq(lp_profile_merge(dst, b, "b.lprof", NULL, &err), LP_EFAIL);
	ck_assert_ptr_nonnull(strstr(err.msg, "b.lprof sampled page-faults"));
	lp_profile_free(dst);
	lp_profile_free(a);
	lp_profile_free(b);
}
END_TEST

START_TEST(merge_version1)
{
	lp_profile *dst = lp_profile_new(), *a = lp_profile_new();
	lp_counts c = { .samples = 3, .value = { 3000 } };
	lp_error err = { 0 };

	a->nevents = 1;
	strcpy(a->events[0].measured, "cpu-clock");
	ck_assert_int_eq(lp_profile_set_command(a, 2, (char *[]){ "/usr/bin/prog", "x" }), 0);
	ck_assert_int_eq(lp_profile_module(a, "/usr/bin/prog", NULL, 0), 0);
	ck_assert_int_eq(lp_profile_add(a, LP_CTX_NONE, (lp_loc){ 0, 0x10 }, &c), 0);
	ck_assert_int_eq(lp_profile_merge(dst, a, "a", NULL, &err), LP_OK);
	/* A file without contexts is one process, named after its command. */
	ck_assert_uint_eq(dst->ncontexts, 1);
	ck_assert_str_eq(dst->contexts[0].name, "prog");
	ck_assert_uint_eq(dst->nctx_addrs, 1);
	ck_assert_uint_eq(dst->ctx_addrs[0].samples, 3);
	lp_profile_free(dst);
	lp_profile_free(a);
}
END_TEST

static const char *const env_ompi[] = {
	"OMPI_COMM_WORLD_RANK=2", "OMPI_COMM_WORLD_SIZE=4", "PMIX_RANK=2", "PMIX_NAMESPACE=9876",
};

static const char *table_get(void *ctx, const char *name)
{
	const char *const *t = ctx;

	for (; *t; t++)
		if (strncmp(*t, name, strlen(name)) == 0 && (*t)[strlen(name)] == '=')
			return *t + strlen(name) + 1;
	return NULL;
}

START_TEST(jobenv_launchers)
{
	const char *srun[] = { "SLURM_PROCID=3", "SLURM_NTASKS=8", "SLURM_JOB_ID=55",
			       "SLURM_STEP_ID=1", "PMIX_RANK=3", NULL };
	const char *pmi2[] = { "SLURM_PROCID=1", "PMI_RANK=1", "PMI_SIZE=2", NULL };
	const char *none[] = { "HOME=/root", "SLURM_PROCID=x", NULL };
	char block[256];
	size_t len = 0;
	lp_jobenv je;

	/* A /proc/PID/environ block, as mpirun's children have it. */
	for (size_t i = 0; i < sizeof(env_ompi) / sizeof(env_ompi[0]); i++) {
		memcpy(block + len, env_ompi[i], strlen(env_ompi[i]) + 1);
		len += strlen(env_ompi[i]) + 1;
	}
	lp_jobenv_block(&je, block, len);
	ck_assert_int_eq(je.id.rank, 2);
	ck_assert_int_eq(je.id.size, 4);
	ck_assert_str_eq(je.id.job, "9876");
	ck_assert_str_eq(je.id.launcher, "mpirun");
	ck_assert_str_eq(je.rank_var, "OMPI_COMM_WORLD_RANK");
	ck_assert_ptr_null(je.id.step);
	/* A cut last entry is not trusted. */
	lp_jobenv_block(&je, "PMI_RANK=7", 10);
	ck_assert_int_eq(je.id.rank, -1);

	lp_jobenv_read(&je, table_get, srun);
	ck_assert_int_eq(je.id.rank, 3);
	ck_assert_int_eq(je.id.size, 8);
	ck_assert_str_eq(je.id.job, "55");
	ck_assert_str_eq(je.id.step, "1");
	ck_assert_str_eq(je.id.launcher, "srun");
	ck_assert_str_eq(je.rank_var, "PMIX_RANK");
	lp_jobenv_read(&je, table_get, pmi2);
	ck_assert_int_eq(je.id.rank, 1);
	ck_assert_int_eq(je.id.size, 2);
	lp_jobenv_read(&je, table_get, none);
	ck_assert_int_eq(je.id.rank, -1);
	ck_assert_ptr_null(je.rank_var);
	ck_assert_ptr_null(je.id.launcher);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("merge");
	TCase *t = tcase_create("core");

	tcase_add_test(t, merge_keeps_ranks);
	tcase_add_test(t, merge_selects_ranks);
	tcase_add_test(t, merge_selects_ranks_keeps_what_entries_hold);
	tcase_add_test(t, merge_refuses);
	tcase_add_test(t, merge_version1);
	tcase_add_test(t, jobenv_launchers);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return lp_check_run(suite());
}
