/*
 * The report's view of machine code: the instructions of the functions
 * with samples, each with its samples and inline chain, and their loops
 * with self and total counts, mapped to source lines. Built lazily from the
 * symbolizer's code (report.h: lp_symbolizer.code) the first time a view
 * asks, and kept in the report. Renderers read this, never the profile.
 */
#ifndef LP_CODEVIEW_H
#define LP_CODEVIEW_H

#include "report.h"

struct lp_cv_func;

/* One instruction with what the profile says of it. */
typedef struct lp_cv_insn {
	const lp_insn *insn;
	const lp_frame *frames;    /* its inline chain, innermost first (the symbolizer's) */
	int nframes;
	uint64_t samples;          /* samples whose ip was this instruction */
	uint64_t value[LP_MAX_EVENTS];
	int block;                 /* in the function's CFG, -1 */
	int loop;                  /* innermost loop, an index into the function's loops, -1 */
	uint8_t jump_target;       /* a jump of the function lands here */
	uint8_t back_edge;         /* this instruction closes loop back_loop (jump or fall-through) */
	int back_loop;
} lp_cv_insn;

/* One loop of one function's code (a physical loop). */
typedef struct lp_cv_loop {
	const struct lp_cv_func *fn;
	int parent;                /* enclosing loop in fn->loops, -1 */
	int depth;                 /* 1: outermost in its function's code */
	char id[32];               /* "2", "2.1": its place among its siblings, by address */
	const char *function;      /* the source function whose lines it is (interned) */
	const char *file;          /* NULL without line info */
	int first_line, last_line, header_line;
	uint64_t header_vaddr;
	uint64_t self_samples;     /* in its own instructions: not nested loops, not inlined code */
	uint64_t self_value[LP_MAX_EVENTS];
	uint64_t total_samples;    /* nested loops, inlined code and, with stacks, callees */
	uint64_t total_value0;
	uint64_t insn_samples;     /* samples at its instructions, nested loops included */
} lp_cv_loop;

typedef struct lp_cv_func {
	const lp_fcode *code;
	lp_cv_insn *insns;         /* code->ninsns, in address order */
	lp_cv_loop *loops;         /* code->cfg.nloops, in the CFG's order (parents first) */
	size_t nloops;
	uint64_t samples;          /* at its instructions */
	uint64_t value[LP_MAX_EVENTS];
	const char *name;          /* the function at its entry (outermost frame), else the code's */
} lp_cv_func;

/*
 * A loop of the source: the copies of one loop (a function inlined in
 * several places, clones) summed. Its shares are of the program.
 */
typedef struct lp_cv_sloop {
	const char *function;
	const char *file;
	int first_line, last_line, header_line;
	int depth;                 /* of its hottest copy */
	long parent;               /* the source loop around it (its hottest copy's), -1 */
	size_t copies;
	const lp_cv_loop *hottest; /* the copy with the most total samples */
	uint64_t self_samples, self_value[LP_MAX_EVENTS];
	uint64_t total_samples, total_value0;
} lp_cv_sloop;

typedef struct lp_codeview lp_codeview;

lp_codeview *lp_codeview_new(void);
void lp_codeview_free(lp_codeview *cv);

/*
 * The function whose code holds loc, with its counts; NULL when there is
 * none, with *status (enum lp_code_status) and, when LP_CODE_UNSUPPORTED,
 * *arch naming the machine (status and arch may be NULL).
 */
const lp_cv_func *lp_codeview_func(const lp_report *rep, lp_loc loc, int *status,
				   const char **arch);

/*
 * The source loops of the program (function NULL) or of one function (its
 * interned name or a plain string), hottest total first, into *loops
 * (owned by the report until the next call with another scope). 0, or -1
 * when out of memory. *unsupported: the machine of code that could not be
 * disassembled (NULL if none).
 */
int lp_codeview_loops(const lp_report *rep, const char *function, const lp_cv_sloop **loops,
		      size_t *n, const char **unsupported);

/* A machine seen whose code could not be disassembled ("aarch64"), NULL if none. */
const char *lp_codeview_unsupported(const lp_report *rep);

/* Index of source loop l among the last list returned. */
size_t lp_codeview_sloop_index(const lp_report *rep, const lp_cv_sloop *l);

/*
 * The functions whose code holds samples of function NAME (its out-of-line
 * body, the functions it is inlined into), most of NAME's samples first,
 * into *out (malloc'd, caller frees; *n may be 0). 0, or -1 when out of
 * memory. *unsupported as for lp_codeview_loops.
 */
int lp_codeview_funcs_of(const lp_report *rep, const char *name, const lp_cv_func ***out,
			 size_t *n, const char **unsupported);

/* x's chain holds function name (any level). */
int lp_cv_insn_in(const lp_cv_insn *x, const char *name);

/*
 * The sampled instructions whose innermost frame is line ls (its file, line
 * and function), in address order, into *insns and their functions into
 * *funcs (both malloc'd, caller frees). 0, or -1 when out of memory.
 */
int lp_codeview_line_insns(const lp_report *rep, const lp_line_stat *ls,
			   const lp_cv_insn ***insns, const lp_cv_func ***funcs, size_t *n);

/* The profile's sampled addresses, one by one, with their innermost frame and ELF address. */
typedef struct lp_cv_addr {
	lp_loc loc;
	const lp_frame *frame;     /* innermost */
	uint64_t samples;
	const uint64_t *value;     /* LP_MAX_EVENTS */
	uint64_t vaddr;            /* loc's ELF virtual address, else loc.offset */
	int has_vaddr;
} lp_cv_addr;

size_t lp_codeview_naddrs(const lp_report *rep);
void lp_codeview_addr(const lp_report *rep, size_t i, lp_cv_addr *out);

/*
 * The entry address of the function holding loc when that function's name
 * is name (its out-of-line code): 0, else -1 (inlined there, or no code).
 */
int lp_codeview_entry(const lp_report *rep, lp_loc loc, const char *name, uint64_t *entry);

/* loc's ELF virtual address (what objdump and KCachegrind use): 0, or -1. */
int lp_codeview_vaddr(const lp_report *rep, lp_loc loc, uint64_t *vaddr);

/*
 * The vaddr of the instruction holding loc (loc - 1 for a return address:
 * the call): its start when the code is known, else loc's own address.
 */
int lp_codeview_insn_vaddr(const lp_report *rep, lp_loc loc, int is_return, uint64_t *vaddr);

/* The frame of instruction x at level level from the outside (0: the physical function). */
const lp_frame *lp_cv_insn_frame(const lp_cv_insn *x, int level);

#endif
