/*
 * Test program for lineprof (gcc only): a GNU C nested function. Its DIE
 * sits inside its parent's, outside the parent's code, so lookups in it take
 * the slow path (dwarf_getscopes) rather than the function index.
 * lp_mark_nested is a global label on the NESTED line.
 */
#include <stdio.h>

volatile long lp_nested_n = 1000;

__attribute__((noinline)) double parent(long n)
{
	double acc = 0.5;

	__attribute__((noinline)) void step(void)
	{
		__asm__ volatile(".globl lp_mark_nested\nlp_mark_nested:\n\tnop" ::: "memory"); acc = acc * 0.9999999 + 1e-7; /* NESTED */
	}
	for (long i = 0; i < n; i++)
		step();
	return acc;
}

int main(void)
{
	printf("%g\n", parent(lp_nested_n));
	return 0;
}
