/*
 * LD_PRELOAD shim for the "perf_event_open denied" test. Upstream kernels let
 * any user sample its own processes in user space at every paranoid level, so
 * a real denial cannot be provoked on a test machine; this shim answers
 * perf_event_open with EACCES, as a locked-down kernel (Debian's paranoid=3,
 * a seccomp policy) would, and passes every other system call through.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <unistd.h>

long syscall(long number, ...)
{
	long a[6];
	va_list ap;

	va_start(ap, number);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (number == SYS_perf_event_open) {
		errno = EACCES;
		return -1;
	}
	/* The raw instruction: calling syscall() here would call this shim again. */
	{
		register long r10 __asm__("r10") = a[3];
		register long r8 __asm__("r8") = a[4];
		register long r9 __asm__("r9") = a[5];
		long ret;

		__asm__ volatile("syscall"
				 : "=a"(ret)
				 : "a"(number), "D"(a[0]), "S"(a[1]), "d"(a[2]), "r"(r10), "r"(r8), "r"(r9)
				 : "rcx", "r11", "memory");
		if (ret < 0 && ret > -4096) {
			errno = (int)-ret;
			return -1;
		}
		return ret;
	}
}
