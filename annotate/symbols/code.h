/*
 * Private to annotate/: the machine code of the profile's functions, found
 * by ADDRESS (a function is its code, never its name).
 *
 * Given a location (module + file offset), the function whose code holds
 * it: its address ranges from DWARF (the DW_TAG_subprogram's low_pc/high_pc
 * or DW_AT_ranges, a .cold part included), else from the ELF symbol table
 * ([st_value, st_value + st_size), plus a NAME.cold symbol); its bytes read
 * from the file through the PT_LOAD headers; its instructions decoded by
 * Capstone (x86-64 only, AT&T syntax as objdump prints it); and its
 * control-flow graph and loops (cfg.h). Results are cached per function.
 */
#ifndef LP_CODE_H
#define LP_CODE_H

#include <stddef.h>
#include <stdint.h>

#include "lineprof/error.h"
#include "lineprof/profile.h"
#include "cfg.h"

typedef struct lp_symtab lp_symtab;

/* An address range [lo, hi) of code, in ELF virtual addresses. */
typedef struct lp_coderange {
	uint64_t lo, hi;
} lp_coderange;

/* One function's machine code. */
typedef struct lp_fcode {
	uint32_t module;
	const char *name;          /* DWARF name or ELF symbol (interned by the owner); may be NULL */
	uint64_t entry;            /* vaddr of its first instruction (low_pc, st_value) */
	lp_coderange *ranges;      /* ascending */
	size_t nranges;
	lp_insn *insns;            /* in address order */
	size_t ninsns;
	lp_cfg cfg;
	int truncated;             /* bytes ran out or could not be decoded: the rest is missing */
} lp_fcode;

/* Why there is no code to show. */
enum lp_code_status {
	LP_CODE_OK = 0,
	LP_CODE_NONE = -1,         /* no function holds the address, or its file is gone */
	LP_CODE_UNSUPPORTED = -2,  /* not x86-64: no disassembler wired up yet */
	LP_CODE_NOMEM = -3,
};

typedef struct lp_codetab lp_codetab;

/* Functions of st's profile; modules are opened through st. NULL when out of memory. */
lp_codetab *lp_codetab_new(lp_symtab *st);
void lp_codetab_free(lp_codetab *ct);

/*
 * The address ranges of the function holding loc (DWARF, else the ELF
 * symbol), ascending, into *ranges (malloc'd, caller frees); *entry its
 * first address. LP_CODE_OK or LP_CODE_NONE.
 */
int lp_code_ranges(lp_codetab *ct, lp_loc loc, lp_coderange **ranges, size_t *nranges,
		   uint64_t *entry);

/*
 * The function holding loc, disassembled, with its CFG and loops; owned by
 * ct (valid until lp_codetab_free). An enum lp_code_status. *arch names the
 * machine when LP_CODE_UNSUPPORTED ("aarch64"); arch may be NULL.
 */
int lp_codetab_function(lp_codetab *ct, lp_loc loc, const lp_fcode **out, const char **arch);

/* The ELF virtual address of loc (through the PT_LOAD headers): 0, or -1. */
int lp_codetab_vaddr(lp_codetab *ct, lp_loc loc, uint64_t *vaddr);

/* The instruction of fc holding file offset off (at or inside it), -1 if none. */
long lp_fcode_insn_at(const lp_fcode *fc, uint64_t off);

/*
 * Disassembles size bytes at vaddr (file offset offset) into *insns
 * (malloc'd): x86-64 through Capstone. *truncated when bytes at the end did
 * not decode. 0, or -1 when out of memory or Capstone cannot start.
 */
int lp_code_disassemble(const unsigned char *bytes, size_t size, uint64_t vaddr, uint64_t offset,
			lp_insn **insns, size_t *n, int *truncated);

#endif
