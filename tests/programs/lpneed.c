/*
 * A shared library with debug info, for DT_NEEDED resolution and lookups
 * in an ET_DYN library. lp_mark_lib is a global label on the LIB line.
 */
volatile long lp_need_iterations = 1000;

__attribute__((noinline)) double lp_need_work(long n)
{
	double x = 0.5;

	__asm__ volatile(".globl lp_mark_lib\nlp_mark_lib:\n\tnop" ::: "memory"); for (long i = 0; i < n; i++) x = x * 0.9999999 + 1e-7; /* LIB */
	return x;
}
