/*
 * Who a process is in a parallel job, read from the variables its launcher
 * put in its environment (Open MPI's mpirun, Slurm's srun, PMIx, PMI). The
 * CLI reads lineprof's own environment for the process it launches; the
 * recorder reads /proc/PID/environ of each process the target execs, so
 * the ranks that `lineprof mpirun ...` starts are told apart too.
 */
#ifndef LINEPROF_JOBENV_H
#define LINEPROF_JOBENV_H

#include <stddef.h>

#include "lineprof/profile.h"

typedef struct lp_jobenv {
	lp_identity id;          /* strings point into the buffers below (or are NULL) */
	const char *rank_var;    /* the variable the rank came from; NULL: not under a launcher */
	char host[256], job[128], step[64], launcher[16];
} lp_jobenv;

/* A variable's value, or NULL when it is unset. */
typedef const char *(*lp_env_get)(void *ctx, const char *name);

/*
 * Fills je from the variables get returns: rank (the first of
 * OMPI_COMM_WORLD_RANK, PMIX_RANK, PMI_RANK, SLURM_PROCID that holds a
 * number), size, job, step and launcher; host is this machine's name (the
 * process runs here). start_time is left 0 for the caller.
 */
void lp_jobenv_read(lp_jobenv *je, lp_env_get get, void *ctx);
/* The same from this process's environment (getenv). */
void lp_jobenv_self(lp_jobenv *je);
/* The same from an environment block of NUL-terminated NAME=VALUE strings (/proc/PID/environ). */
void lp_jobenv_block(lp_jobenv *je, const char *block, size_t len);
/* The value of name in such a block, or NULL. */
const char *lp_env_block_get(const char *block, size_t len, const char *name);

#endif
