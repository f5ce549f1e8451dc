/*
 * Private to annotate/: a function's control-flow graph and its loops.
 *
 * Built from the function's instructions (annotate/symbols/code.c
 * disassembles them), or by hand for the tests: basic blocks, the edges
 * between them (fall-through, jumps), dominators, and the natural loops of
 * the back edges, nested. Knows nothing of x86: an instruction here is its
 * address, size and kind of control transfer.
 */
#ifndef LP_CFG_H
#define LP_CFG_H

#include <stddef.h>
#include <stdint.h>

/* How an instruction transfers control. */
enum lp_insn_kind {
	LP_INSN_PLAIN,  /* falls through */
	LP_INSN_JUMP,   /* direct jump to target */
	LP_INSN_CJUMP,  /* direct conditional jump: target, or falls through */
	LP_INSN_IJUMP,  /* indirect jump: a jump table or a tail call, target unknown */
	LP_INSN_CALL,   /* direct call: returns to the next instruction */
	LP_INSN_ICALL,  /* indirect call: returns to the next instruction */
	LP_INSN_RET,    /* return */
	LP_INSN_STOP,   /* never falls through: hlt, ud2, int3 */
};

#define LP_INSN_TEXT 96

/* One instruction of a function, in the two address spaces lineprof uses. */
typedef struct lp_insn {
	uint64_t vaddr;          /* ELF virtual address: what objdump prints */
	uint64_t offset;         /* file offset: the profile's address (lineprof/profile.h) */
	uint64_t target;         /* direct jumps and calls: the target's vaddr; else 0 */
	uint8_t size;
	uint8_t kind;            /* enum lp_insn_kind */
	uint8_t emulated;        /* a uprobe here is emulated by the kernel (no single-step) */
	uint8_t nop;             /* does nothing: compilers pad with these to align jump targets */
	char text[LP_INSN_TEXT]; /* mnemonic and operands, as a disassembler prints them */
} lp_insn;

enum lp_edge_kind {
	LP_EDGE_FALL,     /* to the next instruction */
	LP_EDGE_JUMP,     /* a direct jump's target */
	LP_EDGE_UNKNOWN,  /* a guess: an indirect jump to a block nothing else enters */
};

typedef struct lp_cfg_edge {
	uint32_t from, to;
	uint8_t kind;
} lp_cfg_edge;

typedef struct lp_block {
	size_t first, n;         /* its instructions (lp_cfg_build), [first, first + n) */
	int idom;                /* immediate dominator; -1 for the entry, for a block
	                            only entered from outside, and when unreachable */
	int loop;                /* the innermost loop holding it, -1 */
	int depth;               /* how many loops hold it */
	uint8_t exits;           /* control can leave the function here: return, tail
	                            jump, indirect jump, a call that never returns */
	uint8_t unknown_entry;   /* entered from places the graph cannot see: an
	                            indirect jump's targets, exception landing pads */
	uint8_t reachable;       /* from the entry or an unknown entry */
} lp_block;

/*
 * A natural loop: a header that dominates the sources of the edges back to
 * it (its latches), and every block that reaches a latch without passing
 * the header. Back edges to one header make one loop.
 */
typedef struct lp_loop {
	int header;
	int parent;              /* the innermost loop around it, -1 */
	int depth;               /* 1: outermost */
	int *blocks;             /* ascending, the header and nested loops' blocks included */
	size_t nblocks;
	int *latches;            /* ascending */
	size_t nlatches;
} lp_loop;

typedef struct lp_cfg {
	lp_block *blocks;
	size_t nblocks;
	lp_cfg_edge *edges;      /* by (from, to) once analysed */
	size_t nedges, cap_edges;
	int entry;
	int has_indirect;        /* an indirect jump: some edges are guesses */
	lp_loop *loops;          /* every parent before its children */
	size_t nloops;
	/* Private: the dominator tree's DFS numbering, for lp_cfg_dominates. */
	int *dom_pre, *dom_post;
} lp_cfg;

/* A graph of nblocks blocks without instructions, for lp_cfg_add_edge. 0, or -1 (memory). */
int lp_cfg_init(lp_cfg *g, size_t nblocks);
int lp_cfg_add_edge(lp_cfg *g, int from, int to, int kind);

/*
 * Dominators and natural loops. Roots: the entry and every block marked
 * unknown_entry; with an indirect jump (has_indirect), blocks that nothing
 * else enters count as its targets instead (so a loop around a switch is
 * seen). Irreducible cycles (no header dominates them) are not loops.
 * 0, or -1 when out of memory.
 */
int lp_cfg_analyze(lp_cfg *g, int entry);

/*
 * The graph of a function's instructions (sorted by vaddr, possibly in
 * several ranges: a .cold part), entered at vaddr entry: blocks end at
 * control transfers and start at jump targets and after gaps; a block
 * without predecessors (other than the entry) is an unknown entry, unless
 * it is only nops: the padding after a jump, never run, which leads
 * nowhere. Then lp_cfg_analyze. 0, or -1 when out of memory.
 */
int lp_cfg_build(lp_cfg *g, const lp_insn *insns, size_t n, uint64_t entry);

void lp_cfg_free(lp_cfg *g);

/* The block of instruction i (lp_cfg_build graphs), -1 if none. */
int lp_cfg_block_of(const lp_cfg *g, size_t i);

/* a dominates b (a block dominates itself); 0 if either is unreachable. */
int lp_cfg_dominates(const lp_cfg *g, int a, int b);

/* The loop holds the block. */
int lp_loop_has(const lp_loop *l, int block);

#endif
