/*
 * Frame-pointer call stacks (-g) are only as good as the frame pointers:
 * code built without them loses callers. This looks at the profiled
 * executables and warns once.
 */
#ifndef LP_FRAMEPOINTER_H
#define LP_FRAMEPOINTER_H

#include <stdio.h>

#include "lineprof/profile.h"

enum lp_fp {
	LP_FP_UNKNOWN = -1,
	LP_FP_NO = 0,
	LP_FP_YES = 1,
};

/*
 * Whether the ELF executable at path keeps frame pointers: from the
 * DW_AT_producer of its compile units when GCC recorded its switches
 * (-fno-omit-frame-pointer, -fomit-frame-pointer, or the -O level), else on
 * x86-64 from the share of its functions that begin with push %rbp; mov
 * %rsp,%rbp. why (may be NULL) receives the evidence, one phrase.
 */
enum lp_fp lp_framepointer_probe(const char *path, char *why, size_t whysize);

/*
 * When prof has frame-pointer call stacks (-g), on diag: one note if an
 * executable with samples seems to lack frame pointers (rebuild it, or use
 * --call-graph=dwarf), and one if 5 % or more of the samples are in shared
 * libraries without them (their callers' totals are too low). Nothing
 * otherwise, nor without stacks, nor for --call-graph=dwarf stacks.
 */
void lp_framepointer_check(const lp_profile *prof, FILE *diag);

#endif
