/*
 * Test program for loop totals with call stacks: all the work is in
 * work(), called from the loop in drive() (CALL_LOOP); the loop's own
 * instructions take almost nothing. With -g the loop's total is nearly the
 * whole program (its callee's time), without -g its own instructions only.
 * Built at -O0 with frame pointers, so that -g stacks are whole.
 */
#include <stdio.h>

volatile long lp_call_iterations = 3000000;
volatile double lp_call_seed = 0.5;

__attribute__((noinline)) double work(double s)
{
	for (int k = 0; k < 40; k++) /* WORK_LOOP */
		s = s * 0.9999999 + 1e-7;
	return s;
}

__attribute__((noinline)) double drive(long n)
{
	double s = lp_call_seed;

	for (long i = 0; i < n; i++) /* CALL_LOOP */
		s = work(s); /* CALL */
	return s;
}

int main(void)
{
	printf("%g\n", drive(lp_call_iterations));
	return 0;
}
