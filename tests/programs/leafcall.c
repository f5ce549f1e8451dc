/*
 * main -> caller -> lp_nofp_work, a leaf in libnofp.so (no frame pointers),
 * and main -> other, for --call-graph=dwarf: caller's total must include
 * the leaf's time, which -g loses (its stacks skip caller).
 *
 *   caller: own work 10 units, then lp_nofp_work(60)
 *   other:  own work 30 units
 *
 * Usage: leafcall [ROUNDS] (6: about 1 s).
 */
#include <stdlib.h>

#include "nofp.h"

static volatile double sink;

#define WORK(units) \
	for (long i_ = 0; i_ < (units) * 250000L; i_++) \
		sink += (double)i_ * 0.5

__attribute__((noinline)) static void caller(void)
{
	WORK(10);          /* CALLER_SELF */
	lp_nofp_work(60);  /* CALLER_CALLS_LEAF */
}

__attribute__((noinline)) static void other(void)
{
	WORK(30); /* OTHER_SELF */
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 6;

	for (int r = 0; r < rounds; r++) {
		caller(); /* MAIN_CALLS_CALLER */
		other();  /* MAIN_CALLS_OTHER */
	}
	return 0;
}
