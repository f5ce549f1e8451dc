/*
 * The report: a profile's samples symbolized and summed per source line, per
 * function and per call edge. Every renderer reads this and nothing else.
 */
#ifndef LP_REPORT_H
#define LP_REPORT_H

#include "lineprof/annotate.h"
#include "lineprof/profile.h"
#include "symbolize.h"
#include "code.h"

/* One (file, line, function): the function is the innermost one at that line. */
typedef struct lp_line_stat {
	const char *file;               /* NULL: no line info (function-level only) */
	int line;
	const char *function;
	uint32_t module;
	uint64_t samples;               /* self: the line was the innermost frame */
	uint64_t value[LP_MAX_EVENTS];
	uint64_t incl_samples;          /* the line anywhere in the sample's chain of */
	uint64_t incl_value0;           /* inlined frames (and, with -g, of callers) */
	uint64_t hits;                  /* exact executions (--hits) */
	int has_hits;
} lp_line_stat;

typedef struct lp_func_stat {
	const char *name;
	const char *file;               /* declaration, may be NULL */
	int decl_line;
	uint32_t module;
	uint64_t self_samples;
	uint64_t self_value[LP_MAX_EVENTS];
	uint64_t total_samples;         /* inclusive: counted once per sample even if recursive */
	uint64_t total_value0;
} lp_func_stat;

/*
 * Time flowing from caller to callee: samples whose stack has caller directly
 * above callee, counted once per stack; caller == callee for recursion.
 */
typedef struct lp_edge {
	uint32_t caller, callee;        /* indices into funcs */
	uint64_t samples;
	uint64_t value0;
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
	lp_loc loc;                     /* the lowest address it was seen at: a return */
	int loc_is_return;              /* address (is_return), or the sampled ip (inlining) */
} lp_call;

/*
 * Where the report gets its symbols: the DWARF symtab in lineprof, a table of
 * made-up frames in the renderers' tests.
 */
typedef struct lp_symbolizer {
	int (*lookup)(void *ctx, lp_loc loc, int is_return, const lp_frame **frames);
	int (*span)(void *ctx, const char *name, const char **file, int *first, int *last);
	void *ctx;
	/*
	 * Optional (NULL: the code views say there is no code). The function
	 * whose code holds loc, disassembled with its CFG (code.h): an enum
	 * lp_code_status, *arch set when LP_CODE_UNSUPPORTED. And loc's ELF
	 * virtual address: 0, or -1.
	 */
	int (*code)(void *ctx, lp_loc loc, const lp_fcode **code, const char **arch);
	int (*vaddr)(void *ctx, lp_loc loc, uint64_t *vaddr);
} lp_symbolizer;

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
	uint32_t *addr_line;            /* per prof->addrs[i]: the line its self counts went to */
	uint32_t *addr_func;            /* ... and the function (indices into lines, funcs) */
	struct lp_report_index *index;
	struct lp_codeview *code;       /* instructions and loops, built when a view asks (codeview.h) */
} lp_report;

int lp_report_build(lp_report *rep, const lp_profile *prof, const lp_symbolizer *sym,
		    lp_error *err);
void lp_report_free(lp_report *rep);

/* Seconds of CPU time a value0 sum stands for: its share of the task-clock total. */
double lp_report_seconds(const lp_report *rep, uint64_t value0, uint64_t samples);

/*
 * The lines function NAME spans: from the symbolizer (DWARF) when it knows,
 * else from its declaration to its last line with samples. 0, or -1 if unknown.
 */
int lp_report_span(const lp_report *rep, const char *name, const char **file, int *first,
		   int *last);

/*
 * The chains the inclusive counts come from: prof->stacks with -g
 * (inclusive_from_stacks), else one per sampled address (inlining only).
 * lp_report_chain gives chain i's logical frames, leaf first, inlined frames
 * expanded (at most max), and its samples and value0.
 */
size_t lp_report_nchains(const lp_report *rep);
int lp_report_chain(const lp_report *rep, size_t i, const lp_frame **frames, int max,
		    uint64_t *samples, uint64_t *value0);

const lp_func_stat *lp_report_func(const lp_report *rep, const char *name);
const lp_line_stat *lp_report_line(const lp_report *rep, const char *file, int line,
				   const char *function);

/*
 * The report every view starts from: prof symbolized through a new symtab
 * (*st, which owns the report's strings: free it after the report), its
 * modules checked first (a changed binary is refused; a missing one is noted
 * on diag and loses its names).
 */
int lp_annotate_report(const lp_profile *prof, FILE *diag, lp_symtab **st, lp_report *rep,
		       lp_error *err);

#endif
