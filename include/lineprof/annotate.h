/*
 * The views: everything lineprof prints or exports, computed from a profile
 * (fresh or loaded). Knows ELF, DWARF and output formats, nothing of perf_event.
 */
#ifndef LINEPROF_ANNOTATE_H
#define LINEPROF_ANNOTATE_H

#include <stdio.h>

#include "lineprof/error.h"
#include "lineprof/profile.h"
#include "lineprof/record.h"

enum lp_color { LP_COLOR_AUTO, LP_COLOR_NEVER, LP_COLOR_ALWAYS };
enum lp_sort { LP_SORT_SELF, LP_SORT_TOTAL };

typedef struct lp_view_opts {
	const char *const *functions;   /* -f NAME: one line table per function */
	int nfunctions;
	double unit;                    /* -u: timer unit in seconds (1e-6) */
	const char *const *source_dirs; /* --source-dir: extra roots for source files */
	int nsource_dirs;
	int top;                        /* --top N: hottest lines (20 when no -f) */
	int listing;                    /* --listing: annotated source files */
	int context;                    /* --context N: hot regions only; -1: whole files */
	double threshold;               /* --threshold PCT for --context (0.5) */
	const char *csv;                /* --csv FILE ("-": stdout) */
	const char *json;               /* --json FILE */
	int ci;                         /* --ci: 95 % interval column */
	enum lp_color color;            /* --color */
	int skip_zero;                  /* -z: omit -f functions without samples */
	int functions_view;             /* --functions: flat profile */
	enum lp_sort sort;              /* --sort self|total */
	const char *dot, *png, *svg;    /* call graph */
	double node_threshold, edge_threshold;
	const char *callgrind;          /* --callgrind FILE */
	const char *folded;             /* --folded FILE */
	int show_tables;                /* print tables on stdout (off for `record`) */
	FILE *diag;                     /* notes and warnings: stderr */
} lp_view_opts;

void lp_view_opts_init(lp_view_opts *o);

/* Prints every view asked for in opts, to out and to the files named there. */
int lp_annotate_run(const lp_profile *prof, const lp_view_opts *opts, FILE *out,
		    lp_error *err);

/*
 * Before a run: exe has line info, each -f name is a function of exe or its
 * libraries. Returns LP_OK or LP_EFAIL with a one-line message.
 */
int lp_annotate_check_target(const char *exe, const char *const *functions, int nfunctions,
			     lp_error *err);

#endif
