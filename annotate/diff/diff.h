/*
 * lineprof diff's model: one report per profile (built exactly as annotate
 * builds it), lines matched across BASE and NEW by (file, line, function),
 * functions by name, and per row the times, shares and the test's verdict
 * (diffstat.h). The diff renderers (render/diff_*.c) read this and nothing else.
 */
#ifndef LP_DIFF_H
#define LP_DIFF_H

#include "diffstat.h"
#include "report.h"

/* One profile: one run of one side. */
typedef struct lp_diff_run {
	const char *name;         /* the file as given on the command line */
	lp_profile *prof;
	lp_symtab *st;            /* owns the report's strings */
	lp_report rep;
	int built;                /* rep and st are set */
	double work;              /* --scale work units (1 without) */
	double exposure;          /* what a count is proportional to besides time: work x rate */
	uint64_t samples;         /* its lines' self samples */
	uint64_t value0;          /* and their sampled event's sum */
	double seconds;           /* the run's sampled time (lp_report_seconds of everything) */
} lp_diff_run;

/* One line, or one function (file and line: its declaration). */
typedef struct lp_diff_row {
	const char *file;         /* NEW's path; BASE's for a row only BASE has; NULL: no line info */
	int line;                 /* NEW's number, or BASE's for a row only BASE has */
	int base_line;            /* BASE's number (differs from line where the line moved); 0: none */
	const char *base_file;    /* BASE's path where it differs from file (moved tree), else NULL */
	const char *function;
	int in_base, in_new;      /* the row has samples in BASE / in NEW */
	int gone;                 /* BASE's line has no counterpart in NEW's version of the file */
	double base_s, new_s;     /* mean seconds per run (per work unit with --scale) */
	double base_pct, new_pct; /* share of the program, % */
	double base_fpct, new_fpct; /* lines: share of their function's self time, % */
	double base_val, new_val; /* the sampled event's sum over the side's runs (samples
	                             where the profiles have no values): what shares divide */
	lp_diffstat_row st;
} lp_diff_row;

typedef struct lp_diff {
	lp_diff_run *runs;        /* BASE's runs, then NEW's */
	int nbase, nnew;
	double fdr;
	int scaled;               /* --scale given: times are per work unit */
	lp_diff_row *lines;       /* sorted by effect: largest |new_s - base_s| first */
	size_t nlines;
	lp_diff_row *funcs;       /* likewise */
	size_t nfuncs;
	lp_diffstat_info line_info, func_info;
	size_t moved;             /* lines with samples matched at another number (text diff) */
	size_t files_renamed;     /* BASE files matched to a NEW file under another path */
	size_t files_followed;    /* files whose two versions were compared line by line */
	size_t files_unfollowed;  /* files edited after BASE was built, matched by number */
	char event[320];          /* "cpu-clock at 4000 Hz": what both sides sampled */
} lp_diff;

/*
 * Builds the diff of runs[0..nbase) and runs[nbase..nbase+nnew), whose
 * reports are built. base_src: BASE's source versions (NULL: none known
 * besides what is on disk); new_src: the sources on disk. Notes go to diag.
 */
int lp_diff_build(lp_diff *d, lp_diff_run *runs, int nbase, int nnew, double fdr, int scaled,
		  const char *base_source, const char *const *source_dirs, int nsource_dirs,
		  FILE *diag, lp_error *err);
void lp_diff_free(lp_diff *d);

/* The row of function name, or NULL. */
const lp_diff_row *lp_diff_func(const lp_diff *d, const char *name);

#endif
