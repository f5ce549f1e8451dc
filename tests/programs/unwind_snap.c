/*
 * Captures its own registers and stack deep inside libnofp (main -> outer
 * -> lp_snap_middle -> lp_snap_leaf) and writes them out with its
 * executable mappings, as a --call-graph=dwarf sample would carry them, for
 * the unwinder's unit test to unwind after this process is gone.
 *
 * Usage: unwind_snap FILE. FILE gets text lines
 *   regs R0 .. R16          (hex, psABI DWARF order)
 *   ret A B C               return addresses into lp_snap_middle, outer, main
 *   map START END PGOFF PATH   every executable file mapping
 *   stack N                 then N raw bytes of stack
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nofp.h"

static lp_snap snap;

static uint64_t stack_end(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[4096];
	unsigned long long a, b;
	uint64_t end = 0;

	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "[stack]") && sscanf(line, "%llx-%llx", &a, &b) == 2)
			end = b;
	if (f)
		fclose(f);
	return end;
}

__attribute__((noinline)) static void outer(lp_snap *s)
{
	volatile int pad[24];

	pad[0] = 3;
	s->ret[2] = (uint64_t)__builtin_return_address(0);
	lp_snap_middle(s);
	__asm__ volatile("" ::: "memory"); /* not a tail call */
	(void)pad[0];
}

/* Out of main: its 8 KiB of buffers would put main's return address beyond the copy. */
__attribute__((noinline)) static int write_out(const char *path)
{
	FILE *out, *maps;
	char line[4096];

	out = fopen(path, "w");
	maps = fopen("/proc/self/maps", "r");
	if (!out || !maps)
		return 1;
	fputs("regs", out);
	for (int i = 0; i < 17; i++)
		fprintf(out, " %" PRIx64, snap.regs[i]);
	/* ret[0] is the return address into middle, [1] into outer, [2] into main. */
	fprintf(out, "\nret %" PRIx64 " %" PRIx64 " %" PRIx64 "\n", snap.ret[0], snap.ret[1],
		snap.ret[2]);
	while (fgets(line, sizeof(line), maps)) {
		unsigned long long a, b, off;
		char perms[8], path[4096];

		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %4095s", &a, &b, perms, &off, path) == 5 &&
		    perms[2] == 'x' && path[0] == '/')
			fprintf(out, "map %llx %llx %llx %s\n", a, b, off, path);
	}
	fclose(maps);
	fprintf(out, "stack %" PRIu64 "\n", snap.stack_size);
	fwrite(snap.stack, 1, snap.stack_size, out);
	return fclose(out) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: unwind_snap FILE\n");
		return 2;
	}
	snap.stack_end = stack_end();
	outer(&snap);
	return write_out(argv[1]);
}
