/* Test program for lineprof: calls lp_need_work from liblpneed.so (DT_NEEDED, RUNPATH $ORIGIN). */
#include <stdio.h>

double lp_need_work(long n);
extern volatile long lp_need_iterations;

int main(void)
{
	printf("%g\n", lp_need_work(lp_need_iterations));
	return 0;
}
