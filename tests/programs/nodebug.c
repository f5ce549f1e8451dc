/* Test program for lineprof: built WITHOUT -g, for the "compile with -g" error. */
#include <stdio.h>

volatile long lp_nodebug_iterations = 200000000; /* about 0.4 s: many samples */

int main(void)
{
	double x = 0.5;

	for (long i = 0; i < lp_nodebug_iterations; i++)
		x = x * 0.9999999 + 1e-7;
	printf("%g\n", x);
	return 0;
}
