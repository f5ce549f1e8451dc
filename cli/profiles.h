/* The profiles named on annotate's and merge's command lines, loaded as one. */
#ifndef LP_PROFILES_H
#define LP_PROFILES_H

#include <stdio.h>

#include "lineprof/error.h"
#include "lineprof/profile.h"

/*
 * Each arg is a profile file, a directory (its *.lprof files, sorted), or a
 * shell pattern the shell did not expand ('prof.*.lprof'). With one file and
 * no rank selection, the profile as it is; otherwise all of them merged
 * (lineprof/merge.h), keeping only the ranks of ranks (a --ranks list) if
 * given. *nfiles says how many files went in. NULL with err set.
 */
lp_profile *lp_profiles_load(char **args, int nargs, const char *ranks, size_t *nfiles,
			     lp_error *err);

#endif
