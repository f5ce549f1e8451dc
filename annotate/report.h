/*
 * The report: a profile's samples symbolized and summed per source line, per
 * function and per call edge. Every renderer reads this and nothing else.
 */
#ifndef LP_REPORT_H
#define LP_REPORT_H

#include "lineprof/annotate.h"
#include "lineprof/profile.h"
#include "names.h"
#include "symbolize.h"
#include "code.h"

/*
 * Why threads waited off the CPU, from where they left it (the function,
 * usually a libc wrapper) and the recorder's blocked/runnable split.
 */
enum lp_wait {
	LP_WAIT_SLEEP,      /* nanosleep, clock_nanosleep, usleep */
	LP_WAIT_IO,         /* read, write, pread, poll, epoll, recv, fsync... */
	LP_WAIT_LOCK,       /* futex, pthread_*, __lll_lock_wait, sem_* */
	LP_WAIT_YIELD,      /* sched_yield, runnable */
	LP_WAIT_PAGEIN,     /* blocked outside a system call: a fault (page-in), a stop */
	LP_WAIT_PREEMPTED,  /* runnable: the CPU went to another thread */
	LP_WAIT_OTHER,      /* blocked in another system call */
	LP_NWAIT
};

/* "sleep", "io", "lock", "yield", "page-in", "preempted", "other". */
const char *lp_wait_name(int kind);

/*
 * The kind of a wait at one location: blocked (runnable 0) or runnable,
 * in function fn, the user ip right after a syscall instruction (1), not
 * (0) or unknown (-1).
 */
int lp_wait_kind(const char *fn, int runnable, int after_syscall);

/*
 * Kernel mode and off-CPU time of a line, a function or a call: the parts
 * of Wall = Time + Sys + Off-CPU beside the user-mode samples.
 */
typedef struct lp_waits {
	uint64_t sys_samples;
	uint64_t sys_value;             /* sampled event's periods in kernel mode: ns for a clock */
	uint64_t off_count;             /* times a thread left the CPU here */
	uint64_t off_ns[LP_NOFF];       /* blocked, runnable */
	uint64_t kind_ns[LP_NWAIT];     /* the same nanoseconds by why (self only) */
} lp_waits;

/* One (file, line, function): the function is the innermost one at that line. */
typedef struct lp_line_stat {
	const char *file;               /* NULL: no line info (function-level only) */
	int line;
	const lp_func_desc *fn;         /* the function: its id, names, owner */
	const char *function;           /* fn->name */
	uint32_t module;
	uint64_t samples;               /* self: the line was the innermost frame */
	uint64_t value[LP_MAX_EVENTS];
	uint64_t incl_samples;          /* the line anywhere in the sample's chain of */
	uint64_t incl_value0;           /* inlined frames (and, with -g, of callers) */
	uint64_t hits;                  /* exact executions (--hits) */
	int has_hits;
	lp_waits w;                     /* self: kernel mode and off the CPU at this line */
	uint64_t rank;                  /* what "hottest first" orders by: Wall less the waits for
	                                   a CPU, else counts */
	uint64_t incl_sys_value;        /* inclusive, as incl_value0 */
	uint64_t incl_off_ns;
} lp_line_stat;

/*
 * One function. Outlined code (an OpenMP region) is counted in the function
 * it was outlined from: a function's row holds every line it wrote.
 */
typedef struct lp_func_stat {
	const lp_func_desc *fn;
	const char *name;               /* fn->name (lp_report_label tells it apart) */
	const char *file;               /* declaration, may be NULL */
	int decl_line;
	uint32_t module;
	uint64_t self_samples;
	uint64_t self_value[LP_MAX_EVENTS];
	uint64_t total_samples;         /* inclusive: counted once per sample even if recursive */
	uint64_t total_value0;
	lp_waits self_w;
	uint64_t total_sys_value, total_off_ns;
} lp_func_stat;

/*
 * Time flowing from caller to callee: samples whose stack has caller directly
 * above callee, counted once per stack; caller == callee for recursion.
 */
typedef struct lp_edge {
	uint32_t caller, callee;        /* indices into funcs */
	uint64_t samples;
	uint64_t value0;
	uint64_t sys_value, off_ns;
} lp_edge;

/*
 * Time flowing through one call site: samples whose chain has the caller's
 * frame at (file, line) directly above the callee. Recursion counts once.
 */
typedef struct lp_call {
	const char *file;               /* the calling line; NULL without line info */
	int line;
	uint32_t caller, callee;        /* indices into funcs */
	uint64_t samples;
	uint64_t value0;
	uint64_t sys_value, off_ns;
	lp_loc loc;                     /* the lowest address it was seen at: a return */
	int loc_is_return;              /* address (is_return), or the sampled ip (inlining) */
} lp_call;

/*
 * Where the report gets its symbols: the DWARF symtab in lineprof, a table of
 * made-up frames in the renderers' tests.
 */
typedef struct lp_symbolizer {
	int (*lookup)(void *ctx, lp_loc loc, int is_return, const lp_frame **frames);
	/* lp_symtab_function_span; NULL: from the samples' lines */
	int (*span)(void *ctx, lp_func_id id, const char **file, int *first, int *last);
	/*
	 * -f: the functions p names (*fns malloc'd, their number returned), or
	 * for FILE:LINE the file (*file, returning 1); 0 on a miss, closest
	 * filled; -1 out of memory. NULL: the report matches the functions
	 * and files its samples have.
	 */
	int (*resolve)(void *ctx, const lp_fnpat *p, const lp_func_desc ***fns, const char **file,
		       lp_closest *closest);
	/*
	 * Optional: the profiled binaries that could not be read, named in
	 * buf; their number. A miss while there are some is not known to be
	 * one: its table says so instead of failing.
	 */
	size_t (*unread)(void *ctx, char *buf, size_t size);
	void *ctx;
	/* Is loc right after a syscall instruction? 1, 0, or -1 unknown; NULL: always unknown. */
	int (*after_syscall)(void *ctx, lp_loc loc);
	/*
	 * Optional (NULL: the code views say there is no code). The function
	 * whose code holds loc, disassembled with its CFG (code.h): an enum
	 * lp_code_status, *arch set when LP_CODE_UNSUPPORTED. And loc's ELF
	 * virtual address: 0, or -1.
	 */
	int (*code)(void *ctx, lp_loc loc, const lp_fcode **code, const char **arch);
	int (*vaddr)(void *ctx, lp_loc loc, uint64_t *vaddr);
} lp_symbolizer;

/*
 * One -f table: a function (its outlined regions included), the instances
 * of a template merged (--merge-instances), or a region of source.
 */
typedef struct lp_ftable {
	const char *pattern;            /* the -f NAME it answers, as typed */
	const lp_func_desc **fns;       /* in address order; NULL for a region */
	size_t nfns;
	const char *region_file;        /* FILE:LINE[-LAST]: the file, its lines */
	int first, last;
	char *title;                    /* what "Function:" says: a unique label */
} lp_ftable;

typedef struct lp_report {
	const lp_profile *prof;
	lp_symbolizer sym;
	lp_line_stat *lines;            /* hottest first */
	size_t nlines;
	lp_func_stat *funcs;            /* most self samples first */
	size_t nfuncs;
	lp_edge *edges;
	size_t nedges;
	lp_call *calls;                 /* per call site: the edges, by calling line */
	size_t ncalls;
	int inclusive_from_stacks;      /* totals come from call stacks (-g), not just inlining */
	/*
	 * What the profile measured (lineprof(1), THE LINE TABLE): has_time, the
	 * sampled event is a clock, so value[0] and sys_value are nanoseconds;
	 * has_sys, kernel mode was sampled too; has_off, off-CPU time was
	 * recorded; has_wall, all three: Wall = Time + Sys + Off-CPU.
	 */
	int has_time, has_sys, has_off, has_wall;
	lp_ftable *tables;              /* lp_report_select: one per -f function or region */
	size_t ntables;
	uint32_t *addr_line;            /* per prof->addrs[i]: the line its self counts went to */
	uint32_t *addr_func;            /* ... and the function (indices into lines, funcs) */
	struct lp_report_index *index;
	struct lp_codeview *code;       /* instructions and loops, built when a view asks (codeview.h) */
} lp_report;

int lp_report_build(lp_report *rep, const lp_profile *prof, const lp_symbolizer *sym,
		    lp_error *err);
void lp_report_free(lp_report *rep);

/*
 * Seconds of CPU time a value0 (or sys_value) sum stands for: its own
 * nanoseconds where the sampled event is a clock, never a share of a
 * total; NAN where it is not (the views then show counts, no Time).
 */
double lp_report_seconds(const lp_report *rep, uint64_t value0);

/* The seconds of one line, function or call; NAN for what was not measured. */
typedef struct lp_times {
	double time_s;                  /* user CPU (sampled) */
	double sys_s;                   /* kernel mode on its behalf (sampled) */
	double off_s;                   /* off the CPU */
	double wall_s;                  /* time + sys + off, where all three were measured */
} lp_times;

void lp_report_times(const lp_report *rep, uint64_t value0, uint64_t sys_value, uint64_t off_ns,
		     lp_times *t);
/* A line's self times, and inclusive ones. */
void lp_line_times(const lp_report *rep, const lp_line_stat *ls, lp_times *t);
void lp_line_incl_times(const lp_report *rep, const lp_line_stat *ls, lp_times *t);
uint64_t lp_waits_off_ns(const lp_waits *w);
/* dst += src, every field: the one way waits are summed (lines, functions, table rows). */
void lp_waits_add(lp_waits *dst, const lp_waits *src);

/* The line has something to show: samples in either mode, waits, or hits. */
int lp_line_has_data(const lp_line_stat *ls);
/* Samples in either mode or waits of its own; rep->lines lists these first, hottest first. */
int lp_line_has_own(const lp_line_stat *ls);
/* Inclusive cost beyond its own: in samples, in time, or in wall time. */
int lp_line_has_incl(const lp_report *rep, const lp_line_stat *ls);
int lp_line_has_incl_wall(const lp_report *rep, const lp_line_stat *ls);
/* The kind of most of the line's off-CPU time; -1 when it has none. */
int lp_line_wait(const lp_line_stat *ls);

/*
 * The program's sums over lines and what the header says about them
 * (lineprof(1), THE LINE TABLE): sampled user and system time, off-CPU
 * time, and CPU time not attributed to any line (task-clock minus the
 * sampled time; NAN where Time is not measured).
 */
typedef struct lp_report_sums {
	uint64_t samples, value0, sys_samples, sys_value, off_count;
	uint64_t off_ns[LP_NOFF];
	double unattributed_s;
} lp_report_sums;

void lp_report_sums_of(const lp_report *rep, lp_report_sums *s);

/*
 * -f: resolves each of names[] into tables (rep->tables), in -f order: one
 * per function matched, in address order, or one per group of instances of
 * one definition (same declaration) with merge_instances; one per region.
 * A name that matches nothing fails the whole selection: LP_EFAIL, "function
 * 'X' not found in the profiled binaries (...); closest: ...". Then labels
 * are fixed (lp_report_label).
 */
int lp_report_select(lp_report *rep, const char *const *names, int nnames, int merge_instances,
		     lp_error *err);

/*
 * The name views print for fn: its display name, or where another function
 * the report knows has the same one, that name with what tells them apart:
 * "operator() [stl_function.h:412]", then ", module", else "[module+0xADDR]".
 * Deterministic (from the functions, not their order); -f takes it back.
 */
const char *lp_report_label(const lp_report *rep, const lp_func_desc *fn);

/* ls belongs to table t: its function is t's (or was outlined from it), or it lies in t's region. */
int lp_report_in_table(const lp_report *rep, const lp_ftable *t, const lp_line_stat *ls);
/* Table t's self sums, the sum of its lines: samples, each event's, kernel mode and off the CPU. */
void lp_report_table_sums(const lp_report *rep, const lp_ftable *t, uint64_t *samples,
			  uint64_t value[LP_MAX_EVENTS], lp_waits *w);
/* ls belongs to some table (every line when there are none). */
int lp_report_selected(const lp_report *rep, const lp_line_stat *ls);

/*
 * The lines function id spans: from the symbolizer (DWARF) when it knows,
 * else from its declaration to its last line with samples. 0, or -1 if unknown.
 */
int lp_report_span(const lp_report *rep, lp_func_id id, const char **file, int *first,
		   int *last);

/*
 * The chains the inclusive counts come from: prof->stacks with -g
 * (inclusive_from_stacks), else one per sampled address (inlining only).
 * lp_report_chain gives chain i's logical frames, leaf first, inlined frames
 * expanded (at most max), and its samples and value0. Outlined code whose
 * function is not above it (an OpenMP worker thread's stack ends in the
 * runtime) gets that function, at its region's line, as its caller: every
 * thread's work in a region counts to the region's line.
 */
size_t lp_report_nchains(const lp_report *rep);
int lp_report_chain(const lp_report *rep, size_t i, const lp_frame **frames, int max,
		    uint64_t *samples, uint64_t *value0);
/* The counts of chain i (all of them: sys and off-CPU too). */
const lp_counts *lp_report_chain_counts(const lp_report *rep, size_t i);

/* The function stat of id (outlined code has none: it is counted in its owner's). */
const lp_func_stat *lp_report_func(const lp_report *rep, lp_func_id id);
const lp_line_stat *lp_report_line(const lp_report *rep, const char *file, int line,
				   const lp_func_desc *fn);

/*
 * The report every view starts from: prof symbolized through a new symtab
 * (*st, which owns the report's strings: free it after the report), its
 * modules checked first (a changed binary is refused; a missing one is noted
 * on diag and loses its names). Module names that are one file are merged
 * first: rep->prof is then a profile the symtab owns, and its module indices
 * are the ones the report's lines and functions carry.
 */
int lp_annotate_report(const lp_profile *prof, FILE *diag, lp_symtab **st, lp_report *rep,
		       lp_error *err);

#endif
