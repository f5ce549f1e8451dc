/*
 * Symbolization: profile locations (module + file offset) to source lines,
 * through libdwfl, with the chain of inlined functions at each address.
 * Knows ELF and DWARF, nothing of perf_event.
 */
#ifndef LP_SYMBOLIZE_H
#define LP_SYMBOLIZE_H

#include "lineprof/error.h"
#include "lineprof/profile.h"

/* One level of the (possibly inlined) call chain at an address. */
typedef struct lp_frame {
	const char *function;  /* never NULL: DWARF name, else ELF symbol, else "[module+0xoff]"
	                          ("[libfoo.so]" in a shared library: one per library) */
	const char *file;      /* absolute source path, NULL without line info */
	int line;              /* 0 without line info */
	const char *decl_file; /* where the function is defined; NULL if unknown */
	int decl_line;
	int inlined;           /* this frame is an inlined copy inside frames[i+1] */
	uint32_t module;       /* the profile module (LP_MODULE_NONE if none) */
} lp_frame;

typedef struct lp_symtab lp_symtab;

/* Modules are opened lazily, on the first lookup that needs them. */
lp_symtab *lp_symtab_new(const lp_profile *prof, lp_error *err);
void lp_symtab_free(lp_symtab *st);

/*
 * Frames at loc, innermost first; returns their number (>= 1). Strings and
 * frames belong to st. Cached per (loc, is_return): call it per distinct
 * address, not per sample. is_return: loc is a return address, look up loc-1.
 * Strings are interned: equal names and paths are equal pointers. Separate
 * debug info is found on this machine only (build-id, .gnu_debuglink),
 * never through debuginfod. A module whose build-id changed is still looked
 * up: call lp_symtab_check_module first to refuse it.
 */
int lp_symtab_lookup(lp_symtab *st, lp_loc loc, int is_return, const lp_frame **frames);

/*
 * Is loc right after a system call instruction (so a thread that blocked
 * there was in a system call, not in a fault)? 1 yes, 0 no, -1 unknown (no
 * such module here, or not x86-64 code).
 */
int lp_symtab_after_syscall(lp_symtab *st, lp_loc loc);

/*
 * Checks a module before it is trusted: the file exists, its build-id equals
 * the profile's (when both are known). LP_OK or LP_EFAIL with a message
 * naming the file and what to do. A file that exists but cannot be read as
 * ELF passes (there is nothing to compare); lookups in it give "[file+0xoff]".
 */
int lp_symtab_check_module(lp_symtab *st, uint32_t module, lp_error *err);

/*
 * The source extent of function NAME among the profile's modules: the file
 * and line where it is declared, and the last line the line table gives it
 * (so the table can show every line of the function). 0 if found, -1 if not.
 * The first module (in profile order) whose DWARF defines NAME wins. last is
 * the largest line of NAME's file among the line-table rows where NAME is
 * the innermost function (its own body or any inlined copy); >= first. At
 * -O0 that is the closing brace; a function that exists only inlined often
 * has no code on its brace, so last is then its last line with code.
 */
int lp_symtab_function_span(lp_symtab *st, const char *name, const char **file,
			    int *first, int *last);

/*
 * Before a run: is there line info in exe, and does each of names[] name a
 * function in the DWARF of exe or of its DT_NEEDED libraries? On failure,
 * LP_EFAIL with a one-line message ("X has no DWARF line info: compile with
 * -g"; "X is stripped of debug info: rebuild with -g, or install its -dbgsym
 * package" when it has neither DWARF nor a symbol table; "X is not an ELF
 * file"; "function 'foo' not found in X or its libraries; closest: a, b, c").
 * Names may be DW_AT_name or DW_AT_linkage_name; libraries (found as ld.so
 * would, transitively) are read only if exe lacks a name, and those without
 * debug info are skipped.
 */
int lp_dwarf_check_exe(const char *exe, lp_error *err);
int lp_dwarf_check_functions(const char *exe, const char *const *names, int nnames,
			     lp_error *err);

/*
 * For the code views (code.c): module i of the profile as the symtab holds
 * it open: its file, PT_LOAD map and function index (built if needed), and
 * the bias from DWARF addresses to Dwfl addresses (Dwfl address = DWARF
 * address + *dwbias = ELF vaddr + file->bias). 0, or -1 if it cannot be opened.
 */
/* The functions' machine code, by address (code.h): made on first use, freed with st; NULL when out of memory. */
struct lp_codetab;
struct lp_codetab *lp_symtab_codetab(lp_symtab *st);

struct lp_dwfile;
struct lp_loadmap;
struct lp_dieindex;
int lp_symtab_module_code(lp_symtab *st, uint32_t module, struct lp_dwfile **file,
			  const struct lp_loadmap **map, const struct lp_dieindex **funcs,
			  uint64_t *dwbias);

#endif
