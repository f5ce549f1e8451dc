/*
 * A known call tree, for the call-graph views (--functions, --dot,
 * --callgrind, --folded) and the Incl. Time column. Each function's own work
 * is the same loop run for a number of units, so its self share is known
 * from the units alone:
 *
 *   main -> a -> b -> c              a 20, b 30, c 50 units (a's tree: 20/30/50 %)
 *   main -> rec(3) -> rec(2) -> rec(1) -> rec(0) -> shared
 *                                    rec 4 levels x 5 units, shared 10 units
 *   main -> shared                   shared 10 more (called from two places)
 *
 * 140 units per round. Truth, % of all samples (self / total):
 *   a 14.3 / 71.4   b 21.4 / 57.1   c 35.7 / 35.7
 *   rec 14.3 / 21.4   shared 14.3 / 14.3   main 0 / 100
 * Calls: main->a 71.4, a->b 57.1, b->c 35.7, main->rec 21.4, rec->shared 7.1,
 * main->shared 7.1, rec->rec 17.9 (every sample below rec(3): 25 units, once each).
 *
 * Usage: callgraph [ROUNDS] (8: about 1 s at -O0).
 */
#include <stdlib.h>

static volatile double sink;

/* The same loop in every function: the cost of a unit is the same everywhere. */
#define WORK(units) \
	for (long i_ = 0; i_ < (units) * 250000L; i_++) \
		sink += (double)i_ * 0.5

__attribute__((noinline)) static void c(void)
{
	WORK(50); /* C_SELF */
}

__attribute__((noinline)) static void b(void)
{
	WORK(30); /* B_SELF */
	c();      /* B_CALLS_C */
}

__attribute__((noinline)) static void a(void)
{
	WORK(20); /* A_SELF */
	b();      /* A_CALLS_B */
}

__attribute__((noinline)) static void shared(void)
{
	WORK(10); /* SHARED_SELF */
}

__attribute__((noinline)) static void rec(int depth)
{
	WORK(5);             /* REC_SELF */
	if (depth > 0)
		rec(depth - 1);  /* REC_CALLS_REC */
	else
		shared();        /* REC_CALLS_SHARED */
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 8;

	for (int r = 0; r < rounds; r++) {
		a();       /* MAIN_CALLS_A */
		rec(3);    /* MAIN_CALLS_REC */
		shared();  /* MAIN_CALLS_SHARED */
	}
	return 0;
}
