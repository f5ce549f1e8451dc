/*
 * Test program for "the program's stdout is its own": writes a known byte
 * stream (every byte value, no final newline, 1 MiB in all) to standard
 * output in pieces while it burns CPU, so that samples are taken while it
 * writes. Usage: emit [SEED]
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

volatile double lp_emit_sink;

__attribute__((noinline)) double churn(long n)
{
	double x = 0.5;

	for (long i = 0; i < n; i++) x = x * 0.9999999 + 1e-7; /* CHURN */
	return x;
}

int main(int argc, char **argv)
{
	unsigned seed = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 1;
	unsigned char buf[4096];

	for (int block = 0; block < 256; block++) {
		for (size_t i = 0; i < sizeof(buf); i++) {
			seed = seed * 1103515245u + 12345u;
			buf[i] = (unsigned char)(seed >> 16);
		}
		if (fwrite(buf, 1, sizeof(buf), stdout) != sizeof(buf))
			return 1;
		lp_emit_sink = churn(400000);
	}
	return fflush(stdout) == 0 ? 0 : 1;
}
