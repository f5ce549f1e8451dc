/*
 * The report views' program (--html, --flamegraph, --pprof): main calls two
 * functions that cost about 3 : 1, the hot one runs an inlined helper, and
 * this comment is text the HTML report must show as text, never run:
 * </script><script>window.lpPwned = 1</script><!-- & "double" 'single' <b>
 */
#include <stdio.h>
#include <stdlib.h>

static volatile double sink;

/* Called once by each worker: they are not leaf functions, so they keep a frame pointer. */
__attribute__((noinline)) static double done(double s)
{
	sink = s;
	return s;
}

static inline double scale(double x)
{
	return x * 1.0000001 + 0.5; /* INLINED */
}

__attribute__((noinline)) static double hot_work(long n)
{
	double s = 0;

	for (long i = 0; i < n; i++)
		s = scale(s) * 0.999999 + (double)(i & 7); /* HOT */
	return done(s);
}

__attribute__((noinline)) static double cold_work(long n)
{
	double s = 1;

	for (long i = 0; i < n; i++)
		s = s * 0.9999999 + (double)(i & 3); /* COLD */
	return done(s);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 60000000;

	sink = hot_work(n);              /* CALLS_HOT */
	sink += cold_work(n / 3);        /* CALLS_COLD */
	printf("%g\n", sink);
	return 0;
}
