/*
 * Many profiles, one profile: the ranks of a job (or runs of one program)
 * merged so that every view works on them. The per-context counts travel
 * with their contexts, so the merged profile still knows each rank, process
 * and thread: a merged profile is the same shape as one run of many
 * processes, and merging merged profiles is merging too.
 */
#ifndef LINEPROF_MERGE_H
#define LINEPROF_MERGE_H

#include "lineprof/error.h"
#include "lineprof/profile.h"

typedef struct lp_merge_opts {
	/*
	 * Only the processes whose rank is set in this bitmap (bit r of
	 * byte r / 8), and their threads; NULL keeps everything. Counts that
	 * belong to no context are left out when selecting.
	 */
	const unsigned char *ranks;
	int nranks_bits;
} lp_merge_opts;

/*
 * Adds src (read from name, for messages) to dst. The first profile added to
 * a new dst sets its events and recording mode; later ones must have the same
 * events (as measured) and call-graph mode. Modules are matched by build-id
 * (by path, size, mtime and code hash when a file has none), never by path
 * alone, so ranks whose binaries sit at different paths share their rows.
 * A profile without contexts (format 1) becomes one process named after its
 * command. A process already in dst (same pid, host, job, rank and start:
 * a file given twice, or merged into another given too) is refused.
 * LP_OK, or LP_EFAIL with err set (dst is then unusable: free it).
 */
int lp_profile_merge(lp_profile *dst, const lp_profile *src, const char *name,
		     const lp_merge_opts *opts, lp_error *err);

#endif
