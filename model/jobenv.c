/*
 * Launcher variables to an identity. The rank's variables are tried in the
 * order that names the same number under every launcher we know: mpirun sets
 * OMPI_COMM_WORLD_RANK and PMIX_RANK (no SLURM_PROCID, even inside salloc),
 * srun with PMIx sets SLURM_PROCID and PMIX_RANK, srun --mpi=pmi2 sets
 * SLURM_PROCID and PMI_RANK, MPICH's mpiexec PMI_RANK.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lineprof/jobenv.h"

static const char *const rank_vars[] = {
	"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID",
};
static const char *const size_vars[] = {
	"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_STEP_NUM_TASKS", "SLURM_NTASKS",
};
/* A batch system's job first; mpirun alone names its run by its PMIx namespace. */
static const char *const job_vars[] = {
	"SLURM_JOB_ID", "PBS_JOBID", "LSB_JOBID", "FLUX_JOB_ID", "PMIX_NAMESPACE",
	"OMPI_MCA_ess_base_jobid",
};

/* A non-negative int, or -1. */
static int number(const char *s)
{
	char *end;
	long v;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 0 || v > INT32_MAX)
		return -1;
	return (int)v;
}

/* The first variable of names[] that is set (and, if numeric, a number). */
static const char *first(lp_env_get get, void *ctx, const char *const *names, size_t n,
			 int numeric, const char **which)
{
	for (size_t i = 0; i < n; i++) {
		const char *v = get(ctx, names[i]);

		if (!v || !*v || (numeric && number(v) < 0))
			continue;
		if (which)
			*which = names[i];
		return v;
	}
	return NULL;
}

static void copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

void lp_jobenv_read(lp_jobenv *je, lp_env_get get, void *ctx)
{
	const char *v;

	memset(je, 0, sizeof(*je));
	je->id.rank = je->id.size = -1;
	v = first(get, ctx, rank_vars, sizeof(rank_vars) / sizeof(rank_vars[0]), 1, &je->rank_var);
	je->id.rank = number(v);
	v = first(get, ctx, size_vars, sizeof(size_vars) / sizeof(size_vars[0]), 1, NULL);
	je->id.size = number(v);
	if ((v = first(get, ctx, job_vars, sizeof(job_vars) / sizeof(job_vars[0]), 0, NULL))) {
		copy(je->job, sizeof(je->job), v);
		je->id.job = je->job;
	}
	if ((v = get(ctx, "SLURM_STEP_ID")) && *v) {
		copy(je->step, sizeof(je->step), v);
		je->id.step = je->step;
	}
	/* Who started it: the variable only that launcher sets. */
	if (get(ctx, "OMPI_COMM_WORLD_RANK"))
		copy(je->launcher, sizeof(je->launcher), "mpirun");
	else if (get(ctx, "SLURM_PROCID") && get(ctx, "SLURM_STEP_ID"))
		copy(je->launcher, sizeof(je->launcher), "srun");
	else if (get(ctx, "PMI_RANK"))
		copy(je->launcher, sizeof(je->launcher), "mpiexec");
	else if (get(ctx, "PMIX_RANK"))
		copy(je->launcher, sizeof(je->launcher), "pmix");
	if (je->launcher[0])
		je->id.launcher = je->launcher;
	if (gethostname(je->host, sizeof(je->host)) == 0 && je->host[0]) {
		je->host[sizeof(je->host) - 1] = '\0';
		je->id.host = je->host;
	}
}

static const char *self_get(void *ctx, const char *name)
{
	(void)ctx;
	return getenv(name);
}

void lp_jobenv_self(lp_jobenv *je)
{
	lp_jobenv_read(je, self_get, NULL);
}

const char *lp_env_block_get(const char *block, size_t len, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < len;) {
		const char *s = block + i;
		const char *nul = memchr(s, '\0', len - i);
		size_t slen = nul ? (size_t)(nul - s) : len - i;

		/* An unterminated last entry (a cut read) is not trusted. */
		if (nul && slen > n && memcmp(s, name, n) == 0 && s[n] == '=')
			return s + n + 1;
		i += slen + 1;
	}
	return NULL;
}

typedef struct lp_block { const char *p; size_t len; } lp_block;

static const char *block_get(void *ctx, const char *name)
{
	const lp_block *b = ctx;

	return lp_env_block_get(b->p, b->len, name);
}

void lp_jobenv_block(lp_jobenv *je, const char *block, size_t len)
{
	lp_block b = { block, len };

	lp_jobenv_read(je, block_get, &b);
}
