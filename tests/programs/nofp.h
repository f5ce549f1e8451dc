/* libnofp: a shared library without frame pointers (see libnofp.c). */
#ifndef LP_TEST_NOFP_H
#define LP_TEST_NOFP_H

#include <stdint.h>

void lp_nofp_work(long units);

typedef struct lp_snap {
	uint64_t regs[17];         /* psABI DWARF order, rip last */
	uint64_t ret[3];           /* return addresses: into middle, into the caller, into main */
	uint64_t stack_end;        /* the end of the [stack] mapping */
	uint64_t stack_size;
	unsigned char stack[8192];
} lp_snap;

void lp_snap_middle(lp_snap *s);

#endif
