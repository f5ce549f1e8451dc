/*
 * A shared library built like Debian's libm: -O2 -fomit-frame-pointer, its
 * CFI in .eh_frame. -g stacks lose the caller of its functions (they never
 * set up %rbp); --call-graph=dwarf must not.
 *
 * lp_nofp_work: a leaf that burns time (leafcall.c).
 * lp_snap_middle -> lp_snap_leaf: a stack captured from inside the library,
 * to unwind offline in a unit test (unwind_snap.c).
 */
#include <stdint.h>
#include <string.h>

#include "nofp.h"

static volatile double sink;

__attribute__((noinline)) void lp_nofp_work(long units)
{
	for (long i = 0; i < units * 250000L; i++)
		sink += (double)i * 0.5; /* NOFP_WORK */
}

/* Registers in the psABI's DWARF order: rax rdx rcx rbx rsi rdi rbp rsp r8..r15 rip. */
__attribute__((noinline)) void lp_snap_leaf(lp_snap *s)
{
	uint64_t *r = s->regs;
	volatile char pad[200]; /* a frame of its own, addressed from %rsp */

	pad[0] = 1;
	__asm__ volatile(
		"movq %%rax, 0(%0)\n\t"
		"movq %%rdx, 8(%0)\n\t"
		"movq %%rcx, 16(%0)\n\t"
		"movq %%rbx, 24(%0)\n\t"
		"movq %%rsi, 32(%0)\n\t"
		"movq %%rdi, 40(%0)\n\t"
		"movq %%rbp, 48(%0)\n\t"
		"movq %%rsp, 56(%0)\n\t"
		"movq %%r8, 64(%0)\n\t"
		"movq %%r9, 72(%0)\n\t"
		"movq %%r10, 80(%0)\n\t"
		"movq %%r11, 88(%0)\n\t"
		"movq %%r12, 96(%0)\n\t"
		"movq %%r13, 104(%0)\n\t"
		"movq %%r14, 112(%0)\n\t"
		"movq %%r15, 120(%0)\n\t"
		"leaq 0(%%rip), %%rax\n\t" /* the pc at which %rsp was read */
		"movq %%rax, 128(%0)\n\t"
		: : "r"(r) : "rax", "memory");
	s->ret[0] = (uint64_t)__builtin_return_address(0);
	/* The stack from %rsp on, as the kernel would copy it, while the frames are live. */
	s->stack_size = s->stack_end - r[7] < sizeof(s->stack) ? s->stack_end - r[7] : sizeof(s->stack);
	for (uint64_t i = 0; i < s->stack_size; i++)
		s->stack[i] = ((const volatile unsigned char *)(uintptr_t)r[7])[i];
	(void)pad[0];
}

__attribute__((noinline)) void lp_snap_middle(lp_snap *s)
{
	volatile long pad[40]; /* another frame size */

	pad[0] = 2;
	s->ret[1] = (uint64_t)__builtin_return_address(0);
	lp_snap_leaf(s);
	__asm__ volatile("" ::: "memory"); /* not a tail call: this frame stays */
	(void)pad[0];
}
