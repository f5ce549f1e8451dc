/*
 * A library that is never linked, only loaded with dlopen() by dlopener.c:
 * its code appears in the target's address space mid-run, announced by an
 * MMAP2 record. All the CPU time is on the PLUGIN_HOT line.
 */
volatile long lp_plugin_iterations = 150000000;

double lp_plugin_work(double seed);

double lp_plugin_work(double seed)
{
	double x = seed;

	for (long i = 0; i < lp_plugin_iterations; i++) x = x * 0.9999999 + 1e-7; /* PLUGIN_HOT */
	return x;
}
