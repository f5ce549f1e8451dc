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
/* What --folded counts per stack (--folded-event). */
enum lp_folded_event { LP_FOLDED_SAMPLES, LP_FOLDED_TIME, LP_FOLDED_SYS, LP_FOLDED_OFF,
		       LP_FOLDED_WALL };
/* Where samples came from, the level of --by and of the statistics across it. */
enum lp_by { LP_BY_NONE, LP_BY_THREAD, LP_BY_PROCESS, LP_BY_RANK };

typedef struct lp_view_opts {
	const char *const *functions;   /* -f NAME: one line table per function (see lineprof(1), NAMES) */
	int nfunctions;
	int merge_instances;            /* --merge-instances: one table for a template's instances */
	const char *target;             /* a live run's executable: -f names the profile's modules
	                                   lack are looked for there and in its libraries */
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
	enum lp_folded_event folded_event; /* --folded-event */
	const char *html;               /* --html FILE: the self-contained report */
	const char *flamegraph;         /* --flamegraph FILE.svg */
	const char *pprof;              /* --pprof FILE: gzipped profile.proto */
	int asm_view;                   /* --asm: machine code of the -f functions and --top lines */
	int loops_view;                 /* --loops: the hottest loops; with --csv, loop rows too */
	int show_tables;                /* print tables on stdout (off for `record`) */
	enum lp_by by;                  /* --by thread|process|rank: a column per context */
	FILE *diag;                     /* notes and warnings: stderr */
} lp_view_opts;

void lp_view_opts_init(lp_view_opts *o);

/* Prints every view asked for in opts, to out and to the files named there. */
int lp_annotate_run(const lp_profile *prof, const lp_view_opts *opts, FILE *out,
		    lp_error *err);

/*
 * lineprof diff: how BASE and NEW are compared (the views come from
 * lp_view_opts: -f, --top, --functions, --csv, --json, -u, --color,
 * --source-dir). See lineprof(1), DIFF and STATISTICS.
 */
typedef struct lp_diff_opts {
	double fdr;                     /* --fdr: false-discovery rate of the marks (0.05) */
	const double *work[2];          /* --scale: work units per run of BASE [0] and NEW [1]; */
	int nwork[2];                   /* one value stands for every run; NULL/0: no scaling */
	const char *base_source;        /* --base-source DIR: BASE's version of the sources */
	const char *const *binaries;    /* --binary FILE: copies of profiled binaries, */
	int nbinaries;                  /* used for the modules whose build-id they have */
} lp_diff_opts;

void lp_diff_opts_init(lp_diff_opts *o);

/*
 * Compares profiles[0..nbase) (BASE, one per run) with profiles[nbase ..
 * nbase+nnew) (NEW): per line and per function, time before and after and
 * whether the change is more than sampling noise (and, with several runs per
 * side, run-to-run drift) explains. names[] are the files, for messages and
 * the header. Module paths of the profiles may be redirected to --binary
 * files. Views go to out; LP_OK, LP_EUSAGE or LP_EFAIL with a message.
 */
int lp_annotate_diff(lp_profile *const *profiles, const char *const *names, int nbase, int nnew,
		     const lp_view_opts *view, const lp_diff_opts *opts, FILE *out, lp_error *err);

/*
 * After a run, before saving: the GNU build-id of every module the
 * recorder could not give one (the kernel reports them in MMAP2 records,
 * not for the files a process had mapped before lineprof attached, nor
 * when it could not read the note), read from the file at its path now.
 * A module stays without one when its file is gone, deleted since it was
 * mapped, not ELF, or has no build-id.
 */
void lp_annotate_fill_build_ids(lp_profile *prof);

/*
 * Before a run: exe has line info, each -f name is a function (or FILE:LINE
 * a source file) of exe or its libraries. Returns LP_OK or LP_EFAIL with a
 * one-line message.
 */
int lp_annotate_check_target(const char *exe, const char *const *functions, int nfunctions,
			     lp_error *err);

/*
 * exe runs other programs rather than being the one to profile (a script,
 * bash, env, mpirun, srun: no DWARF, and stripped or known by name): -f
 * cannot be checked before the run, only against the binaries it runs.
 */
int lp_annotate_is_launcher(const char *exe);

/*
 * After a run, before saving: the size, mtime and a hash of the code of
 * every module without a GNU build-id, so that annotate can tell a rebuilt
 * binary from the one profiled (lineprof(1), SAFETY). Modules whose file
 * cannot be read keep 0 (unknown).
 */
void lp_annotate_identify_modules(lp_profile *prof);

/*
 * --hits: the counting probes for the lines of functions[] (DW_AT_name or
 * linkage name), in exe or, for names exe lacks, in its DT_NEEDED libraries.
 * One probe per distinct first address of a line-table row with is_stmt in
 * each copy of a function (its out-of-line body and every inlined copy),
 * kept where the innermost function is that function; path is the module
 * file (real path), offset a FILE offset (through the PT_LOAD headers).
 * *probes is sorted by (module, offset); free it with lp_annotate_probes_free.
 * LP_OK, or LP_EFAIL when a function has no code anywhere or memory runs out.
 * The report combines the counts of one line's probes: see lineprof(1), HITS.
 */
int lp_annotate_probes(const char *exe, const char *const *functions, int nfunctions,
		       lp_probe **probes, size_t *nprobes, lp_error *err);
void lp_annotate_probes_free(lp_probe *probes, size_t nprobes);

/*
 * --hits at a fraction of the cost: the rows lp_annotate_probes names are
 * what is counted, but the probes go on one instruction per basic block,
 * and only on the blocks whose counts flow conservation cannot give from
 * the others' (one per loop of a nest, not one per row of every line);
 * lp_hitplan_apply then turns the probes' counts (prof->hits, after the
 * run) into the rows' counts, as if each row had had its own probe.
 * Functions whose code lineprof cannot read, or with indirect jumps (jump
 * tables), get a probe per row. per_row: a probe per row everywhere
 * (LINEPROF_HITS=rows). LP_OK, or as lp_annotate_probes.
 */
typedef struct lp_hitplan lp_hitplan;

int lp_annotate_hitplan(const char *exe, const char *const *functions, int nfunctions,
			int per_row, lp_hitplan **plan, lp_error *err);
/* The probes to place: owned by the plan. */
const lp_probe *lp_hitplan_probes(const lp_hitplan *plan, size_t *n);
/* Rows counted, functions they are in, and of those the ones counted row by row. */
void lp_hitplan_describe(const lp_hitplan *plan, size_t *rows, size_t *funcs, size_t *per_row);
/*
 * Replaces prof->hits (the probes' counts) by the rows'. *lost: rows whose
 * count could not be had (a probe not read, or flow the CFG does not know:
 * a call that never returned, longjmp, an exception): they get no Hits.
 */
int lp_hitplan_apply(const lp_hitplan *plan, lp_profile *prof, size_t *lost, lp_error *err);
void lp_hitplan_free(lp_hitplan *plan);

/*
 * --call-graph=dwarf: an unwinder for lp_record_opts.unwinder, which walks
 * each sampled stack copy through the CFI of the mapped ELF files
 * (.eh_frame, else .debug_frame found on this machine; frame pointers where
 * neither covers the code). x86-64 only. NULL with err set when out of
 * memory. Free it after lp_record_run returns.
 */
lp_unwinder *lp_unwinder_new(lp_error *err);
void lp_unwinder_free(lp_unwinder *u);

#endif
