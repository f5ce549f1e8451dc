/*
 * The profile's name: -o templates (%r rank, %s size, %j job, %t step,
 * %h host, %p pid, %e{VAR}, %%), the default name under a launcher, a name
 * that every rank would share made unique, and the check before the run.
 */
#ifndef LP_OUTNAME_H
#define LP_OUTNAME_H

#include <stddef.h>

#include "lineprof/error.h"
#include "lineprof/jobenv.h"

/*
 * Expands tmpl into out. A process not started by a launcher is rank 0 of 1,
 * as an MPI singleton is; %j, %t and %e{VAR} without a value are errors,
 * as is an unknown %-sequence. Expanded values never contain '/'.
 * LP_OK or LP_EUSAGE with a one-line message.
 */
int lp_outname_expand(const char *tmpl, const lp_jobenv *je, long pid, lp_env_get get,
		      void *ctx, char *out, size_t size, lp_error *err);

/* Does tmpl name a different file for each rank of a job (%r or %p)? */
int lp_outname_per_rank(const char *tmpl);

/*
 * The name when -o is not given: COMMAND.lprof; under a launcher
 * COMMAND.JOB.RANK.lprof (COMMAND.RANK.lprof without a job id).
 */
void lp_outname_default(const char *command, const lp_jobenv *je, char *out, size_t size);

/* path with ".RANK" before its ".lprof" (or at its end): one file per rank. */
void lp_outname_with_rank(const char *path, int rank, char *out, size_t size);

#endif
