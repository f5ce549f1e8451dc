/*
 * Test program for lineprof's event columns: one line of main touches fresh
 * memory, one byte per page, so nearly every page fault of the run happens
 * there; another line burns CPU without touching memory. With
 * -e cpu-clock,page-faults the page-faults column must peak on TOUCH and
 * cpu-clock on BURN. The program prints its own minor-fault count
 * (getrusage) so a test can check the column's sum against it (the faults
 * after the last sample are read by none: TAIL gives TOUCH's last ones a
 * sample to be read at). Built
 * without sanitizers: their shadow memory would fault too.
 */
#include <stdio.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

volatile long lp_fault_pages = 32768;   /* 128 MiB of 4 KiB pages */
volatile long lp_burn_iterations = 60000000;
volatile double lp_burn_seed = 0.5;     /* not 1.0: the chain's fixed point */

int main(void)
{
	long pages = lp_fault_pages, n = lp_burn_iterations, step = sysconf(_SC_PAGESIZE);
	double x = lp_burn_seed;
	struct rusage ru;
	char *p;

	p = mmap(NULL, (size_t)(pages * step), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 1;
	/* 4 KiB pages whatever the THP setting: one fault per page touched. */
	madvise(p, (size_t)(pages * step), MADV_NOHUGEPAGE);
	for (long i = 0; i < n; i++) x = x * 0.9999999 + 1e-7; /* BURN */
	for (long i = 0; i < pages; i++) p[i * step] = (char)(i + 1); /* TOUCH */
	/* Counts are read at samples: a little work after TOUCH reads its last faults. */
	for (long i = 0; i < n / 20; i++) x = x * 0.9999999 + 1e-7; /* TAIL */
	getrusage(RUSAGE_SELF, &ru);
	printf("%g %ld minflt=%ld\n", x, (long)p[(pages - 1) * step], ru.ru_minflt);
	return 0;
}
