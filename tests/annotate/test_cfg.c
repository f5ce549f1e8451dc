/*
 * Unit tests for annotate/symbols/cfg.c: dominators and natural loops on
 * hand-built graphs whose answers are worked out in the comments, and
 * blocks and edges built from made-up instructions.
 */
#include <check.h>

#include "../lp_check.h"
#include "cfg.h"

static lp_cfg g;

static void teardown(void)
{
	lp_cfg_free(&g);
}

/* A graph of n blocks with the edges pairs[0..2*ne), analysed from entry 0. */
static void graph(size_t n, const int *pairs, size_t ne)
{
	ck_assert_int_eq(lp_cfg_init(&g, n), 0);
	for (size_t i = 0; i < ne; i++)
		ck_assert_int_eq(lp_cfg_add_edge(&g, pairs[2 * i], pairs[2 * i + 1], LP_EDGE_JUMP), 0);
	ck_assert_int_eq(lp_cfg_analyze(&g, 0), 0);
}

/* The loop whose header is h, failing if there is none. */
static const lp_loop *loop_at(int h)
{
	for (size_t i = 0; i < g.nloops; i++)
		if (g.loops[i].header == h)
			return &g.loops[i];
	ck_abort_msg("no loop with header %d", h);
	return NULL;
}

static void check_blocks(const lp_loop *l, const int *want, size_t n)
{
	ck_assert_uint_eq(l->nblocks, n);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(l->blocks[i], want[i]);
}

/* 0 -> 1, 0 -> 2, 1 -> 3, 2 -> 3: a diamond; 3's dominator is 0, no loops. */
START_TEST(test_diamond)
{
	static const int e[] = { 0, 1, 0, 2, 1, 3, 2, 3 };

	graph(4, e, 4);
	ck_assert_int_eq(g.blocks[0].idom, -1);
	ck_assert_int_eq(g.blocks[1].idom, 0);
	ck_assert_int_eq(g.blocks[2].idom, 0);
	ck_assert_int_eq(g.blocks[3].idom, 0);
	ck_assert(lp_cfg_dominates(&g, 0, 3));
	ck_assert(!lp_cfg_dominates(&g, 1, 3));
	ck_assert(lp_cfg_dominates(&g, 3, 3));
	ck_assert_uint_eq(g.nloops, 0);
}
END_TEST

/*
 * 0 -> 1, 0 -> 2, 1 -> 3, 2 -> 4, 2 -> 5, 3 -> 4, 4 -> 3, 5 -> 4: the cycle
 * 3 <-> 4 is entered at 3 (from 1) and at 4 (from 2 and 5), so neither
 * dominates the other: irreducible, no natural loop. Dominators: 3 and 4
 * by 0 (two ways in), 5 by 2.
 */
START_TEST(test_irreducible)
{
	static const int e[] = { 0, 1, 0, 2, 1, 3, 2, 4, 2, 5, 3, 4, 4, 3, 5, 4 };

	graph(6, e, 8);
	ck_assert_int_eq(g.blocks[1].idom, 0);
	ck_assert_int_eq(g.blocks[2].idom, 0);
	ck_assert_int_eq(g.blocks[3].idom, 0);
	ck_assert_int_eq(g.blocks[4].idom, 0);
	ck_assert_int_eq(g.blocks[5].idom, 2);
	ck_assert_uint_eq(g.nloops, 0);
}
END_TEST

/* for (;;) at -O0: 0 -> 1 (test), 1 -> 2 (body), 2 -> 1, 1 -> 3 (exit). */
START_TEST(test_simple_loop)
{
	static const int e[] = { 0, 1, 1, 2, 2, 1, 1, 3 };
	static const int body[] = { 1, 2 };
	const lp_loop *l;

	graph(4, e, 4);
	ck_assert_uint_eq(g.nloops, 1);
	l = loop_at(1);
	check_blocks(l, body, 2);
	ck_assert_uint_eq(l->nlatches, 1);
	ck_assert_int_eq(l->latches[0], 2);
	ck_assert_int_eq(l->parent, -1);
	ck_assert_int_eq(l->depth, 1);
	ck_assert_int_eq(g.blocks[2].loop, 0);
	ck_assert_int_eq(g.blocks[3].loop, -1);
	ck_assert_int_eq(g.blocks[0].depth, 0);
}
END_TEST

/* A block that jumps to itself is a loop of one block. */
START_TEST(test_self_loop)
{
	static const int e[] = { 0, 1, 1, 1, 1, 2 };
	static const int body[] = { 1 };

	graph(3, e, 3);
	ck_assert_uint_eq(g.nloops, 1);
	check_blocks(loop_at(1), body, 1);
	ck_assert_int_eq(loop_at(1)->latches[0], 1);
}
END_TEST

/*
 * Two loops, one in the other:
 *   0 -> 1 (outer header), 1 -> 2 (inner header), 2 -> 3, 3 -> 2 (inner
 *   back edge), 3 -> 4, 4 -> 1 (outer back edge), 1 -> 5 (exit).
 * Outer: {1,2,3,4}, depth 1; inner: {2,3}, depth 2, parent outer.
 */
START_TEST(test_nested)
{
	static const int e[] = { 0, 1, 1, 2, 2, 3, 3, 2, 3, 4, 4, 1, 1, 5 };
	static const int outer_b[] = { 1, 2, 3, 4 }, inner_b[] = { 2, 3 };
	const lp_loop *outer, *inner;

	graph(6, e, 7);
	ck_assert_uint_eq(g.nloops, 2);
	outer = loop_at(1);
	inner = loop_at(2);
	check_blocks(outer, outer_b, 4);
	check_blocks(inner, inner_b, 2);
	ck_assert_int_eq(outer->depth, 1);
	ck_assert_int_eq(inner->depth, 2);
	ck_assert_int_eq(outer->parent, -1);
	ck_assert_ptr_eq(&g.loops[inner->parent], outer);
	/* Parents come first. */
	ck_assert_ptr_eq(&g.loops[0], outer);
	ck_assert_int_eq(g.blocks[3].loop, (int)(inner - g.loops));
	ck_assert_int_eq(g.blocks[3].depth, 2);
	ck_assert_int_eq(g.blocks[4].loop, (int)(outer - g.loops));
	ck_assert_int_eq(g.blocks[2].idom, 1);
	ck_assert_int_eq(g.blocks[5].idom, 1);
}
END_TEST

/*
 * Two back edges to one header (a continue, or an if/else in the body):
 * 0 -> 1, 1 -> 2, 1 -> 3, 2 -> 1, 3 -> 1, 1 -> 4: ONE loop {1,2,3} with
 * latches 2 and 3.
 */
START_TEST(test_merged_header)
{
	static const int e[] = { 0, 1, 1, 2, 1, 3, 2, 1, 3, 1, 1, 4 };
	static const int body[] = { 1, 2, 3 };
	const lp_loop *l;

	graph(5, e, 6);
	ck_assert_uint_eq(g.nloops, 1);
	l = loop_at(1);
	check_blocks(l, body, 3);
	ck_assert_uint_eq(l->nlatches, 2);
	ck_assert_int_eq(l->latches[0], 2);
	ck_assert_int_eq(l->latches[1], 3);
}
END_TEST

/*
 * Siblings and a triple nest: 0 -> 1 -> 2 -> 3 -> 2 (C in B), 3 -> 4 -> 1
 * (B), 1 -> 5 -> 6 -> 5 (D after B), 6 -> 7. Loops: B {1..4} depth 1,
 * C {2,3} depth 2, D {5,6} depth 1; a loop of C's own: 3 -> 3.
 */
START_TEST(test_deeper)
{
	static const int e[] = { 0, 1, 1, 2, 2, 3, 3, 2, 3, 3, 3, 4, 4, 1, 1, 5, 5, 6, 6, 5, 6, 7 };
	const lp_loop *b, *c, *d, *self;

	graph(8, e, 11);
	ck_assert_uint_eq(g.nloops, 4);
	b = loop_at(1);
	c = loop_at(2);
	d = loop_at(5);
	self = loop_at(3);
	ck_assert_int_eq(b->depth, 1);
	ck_assert_int_eq(d->depth, 1);
	ck_assert_int_eq(c->depth, 2);
	ck_assert_int_eq(self->depth, 3);
	ck_assert_ptr_eq(&g.loops[self->parent], c);
	ck_assert_ptr_eq(&g.loops[c->parent], b);
	ck_assert_int_eq(d->parent, -1);
	ck_assert_int_eq(g.blocks[3].depth, 3);
	ck_assert_int_eq(g.blocks[6].depth, 1);
	for (size_t i = 0; i < g.nloops; i++)
		if (g.loops[i].parent >= 0)
			ck_assert_int_lt(g.loops[i].parent, (int)i);
}
END_TEST

/* Unreachable code has no dominator and no loops; a block entered from outside is a root. */
START_TEST(test_unknown_entry)
{
	static const int e[] = { 0, 1, 2, 3, 3, 2, 4, 5, 5, 4 };

	ck_assert_int_eq(lp_cfg_init(&g, 6), 0);
	for (size_t i = 0; i < 5; i++)
		ck_assert_int_eq(lp_cfg_add_edge(&g, e[2 * i], e[2 * i + 1], LP_EDGE_JUMP), 0);
	g.blocks[2].unknown_entry = 1;   /* a landing pad */
	ck_assert_int_eq(lp_cfg_analyze(&g, 0), 0);
	ck_assert(g.blocks[2].reachable && g.blocks[3].reachable);
	ck_assert(!g.blocks[4].reachable && !g.blocks[5].reachable);
	ck_assert_int_eq(g.blocks[2].idom, -1);
	ck_assert_int_eq(g.blocks[3].idom, 2);
	ck_assert_uint_eq(g.nloops, 1);
	ck_assert_int_eq(g.loops[0].header, 2);
	ck_assert(!lp_cfg_dominates(&g, 0, 2));
}
END_TEST

/* Instructions: the shape of gcc -O0's for loop, and what ends blocks. */
static lp_insn ins(uint64_t vaddr, uint8_t size, uint8_t kind, uint64_t target)
{
	lp_insn x = { .vaddr = vaddr, .offset = vaddr - 0x1000, .target = target, .size = size,
		      .kind = kind };

	return x;
}

/*
 *   1000 mov          B0 (entry)
 *   1004 jmp 1010
 *   1006 add          B1 body (target of the test's jl)
 *   100a call f          (a call does not end a block)
 *   100f add
 *   1010 cmp          B2 test (jump target): header
 *   1014 jl 1006
 *   1016 ret          B3
 *   1020 mov          B4: after a gap, nothing jumps here: an unknown entry
 *   1023 ud2
 */
START_TEST(test_build_for_loop)
{
	lp_insn in[] = {
		ins(0x1000, 4, LP_INSN_PLAIN, 0), ins(0x1004, 2, LP_INSN_JUMP, 0x1010),
		ins(0x1006, 4, LP_INSN_PLAIN, 0), ins(0x100a, 5, LP_INSN_CALL, 0x2000),
		ins(0x100f, 1, LP_INSN_PLAIN, 0), ins(0x1010, 4, LP_INSN_PLAIN, 0),
		ins(0x1014, 2, LP_INSN_CJUMP, 0x1006), ins(0x1016, 1, LP_INSN_RET, 0),
		ins(0x1020, 3, LP_INSN_PLAIN, 0), ins(0x1023, 2, LP_INSN_STOP, 0),
	};
	static const int body[] = { 1, 2 };

	ck_assert_int_eq(lp_cfg_build(&g, in, 10, 0x1000), 0);
	ck_assert_uint_eq(g.nblocks, 5);
	ck_assert_uint_eq(g.blocks[0].first, 0);
	ck_assert_uint_eq(g.blocks[1].first, 2);
	ck_assert_uint_eq(g.blocks[1].n, 3);
	ck_assert_uint_eq(g.blocks[2].first, 5);
	ck_assert_uint_eq(g.blocks[3].first, 7);
	ck_assert_uint_eq(g.blocks[4].first, 8);
	ck_assert_int_eq(lp_cfg_block_of(&g, 4), 1);
	ck_assert_int_eq(lp_cfg_block_of(&g, 9), 4);
	/* Edges, sorted: 0->2 jump, 1->2 fall, 2->1 jump, 2->3 fall. */
	ck_assert_uint_eq(g.nedges, 4);
	ck_assert(g.edges[0].from == 0 && g.edges[0].to == 2 && g.edges[0].kind == LP_EDGE_JUMP);
	ck_assert(g.edges[1].from == 1 && g.edges[1].to == 2 && g.edges[1].kind == LP_EDGE_FALL);
	ck_assert(g.edges[2].from == 2 && g.edges[2].to == 1 && g.edges[2].kind == LP_EDGE_JUMP);
	ck_assert(g.edges[3].from == 2 && g.edges[3].to == 3 && g.edges[3].kind == LP_EDGE_FALL);
	ck_assert(g.blocks[3].exits && g.blocks[4].exits && !g.blocks[1].exits);
	ck_assert(g.blocks[4].unknown_entry && !g.blocks[1].unknown_entry);
	ck_assert(!g.has_indirect);
	/* The test block dominates the body: the body's fall into it is the back edge. */
	ck_assert_uint_eq(g.nloops, 1);
	ck_assert_int_eq(g.loops[0].header, 2);
	check_blocks(&g.loops[0], body, 2);
	ck_assert_int_eq(g.loops[0].latches[0], 1);
}
END_TEST

/*
 * A switch in a loop: a jump table's targets are only reached through the
 * indirect jump; they become its (guessed) successors, and the loop
 * through them is found.
 *   2000 cmp         B0 header
 *   2004 ja 2020
 *   2006 jmp *rax    B1
 *   2008 add         B2 case a (nothing jumps here directly)
 *   200b jmp 2000
 *   2010 sub         B3 case b
 *   2013 jmp 2000
 *   2020 ret         B4
 */
START_TEST(test_build_switch)
{
	lp_insn in[] = {
		ins(0x2000, 4, LP_INSN_PLAIN, 0), ins(0x2004, 2, LP_INSN_CJUMP, 0x2020),
		ins(0x2006, 2, LP_INSN_IJUMP, 0), ins(0x2008, 3, LP_INSN_PLAIN, 0),
		ins(0x200b, 2, LP_INSN_JUMP, 0x2000), ins(0x2010, 3, LP_INSN_PLAIN, 0),
		ins(0x2013, 2, LP_INSN_JUMP, 0x2000), ins(0x2020, 1, LP_INSN_RET, 0),
	};
	static const int body[] = { 0, 1, 2, 3 };

	ck_assert_int_eq(lp_cfg_build(&g, in, 8, 0x2000), 0);
	ck_assert_uint_eq(g.nblocks, 5);
	ck_assert(g.has_indirect);
	ck_assert(g.blocks[2].unknown_entry && g.blocks[3].unknown_entry);
	ck_assert_uint_eq(g.nloops, 1);
	ck_assert_int_eq(g.loops[0].header, 0);
	check_blocks(&g.loops[0], body, 4);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("cfg");
	TCase *tc = tcase_create("cfg");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_diamond);
	tcase_add_test(tc, test_irreducible);
	tcase_add_test(tc, test_simple_loop);
	tcase_add_test(tc, test_self_loop);
	tcase_add_test(tc, test_nested);
	tcase_add_test(tc, test_merged_header);
	tcase_add_test(tc, test_deeper);
	tcase_add_test(tc, test_unknown_entry);
	tcase_add_test(tc, test_build_for_loop);
	tcase_add_test(tc, test_build_switch);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return lp_check_run(suite());
}
