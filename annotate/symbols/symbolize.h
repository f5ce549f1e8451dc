/*
 * Symbolization: profile locations (module + file offset) to source lines,
 * through libdwfl, with the chain of inlined functions at each address.
 * Knows ELF and DWARF, nothing of perf_event.
 */
#ifndef LP_SYMBOLIZE_H
#define LP_SYMBOLIZE_H

#include "lineprof/error.h"
#include "lineprof/profile.h"
#include "names.h"

/*
 * A function is its code, never its name: (module, key), the key unique in
 * the module (see fnindex.h: the DIE all copies of the function lead to, or
 * its ELF symbol's address without DWARF). Two functions with one name
 * have two ids; one function inlined in many places has one.
 */
typedef struct lp_func_id {
	uint32_t module;
	uint64_t key;
} lp_func_id;

static inline int lp_func_id_eq(lp_func_id a, lp_func_id b)
{
	return a.module == b.module && a.key == b.key;
}

/* What is known of a function; interned by the symtab: one id, one pointer. */
typedef struct lp_func_desc {
	lp_func_id id;
	const char *name;         /* display name: demangled, qualified, no parameters; never NULL */
	const char *linkage;      /* linkage name or ELF symbol as in the file; NULL if none */
	const char *module_name;  /* basename of its file; "?" if none */
	const char *decl_file;    /* absolute, NULL if unknown */
	int decl_line;
	uint64_t addr;            /* lowest address of its code (ELF vaddr), UINT64_MAX if unknown */
	/*
	 * Outlined code (an OpenMP region): the function whose source it is,
	 * and the line in that function where the region is (0: unknown);
	 * for everything else owner is the desc itself.
	 */
	const struct lp_func_desc *owner;
	const char *region_file;
	int region_line;
} lp_func_desc;

/* One level of the (possibly inlined) call chain at an address. */
typedef struct lp_frame {
	const lp_func_desc *fn;  /* the function; never NULL */
	const char *function;  /* fn->name: DWARF name, else ELF symbol, else "[module+0xoff]"
	                          ("[libfoo.so]" in a shared library: one per library) */
	const char *file;      /* absolute source path, NULL without line info */
	int line;              /* 0 without line info */
	const char *decl_file; /* where the function is defined (fn->decl_file); NULL if unknown */
	int decl_line;
	int inlined;           /* this frame is an inlined copy inside frames[i+1] */
	uint32_t module;       /* the profile module (LP_MODULE_NONE if none) */
} lp_frame;

typedef struct lp_symtab lp_symtab;

/* Modules are opened lazily, on the first lookup that needs them. */
lp_symtab *lp_symtab_new(const lp_profile *prof, lp_error *err);
void lp_symtab_free(lp_symtab *st);
/* The symtab frees prof with itself: a profile made for it (lp_annotate_report's merge of aliases). */
void lp_symtab_own(lp_symtab *st, lp_profile *prof);

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
 * A file searched by lp_symtab_resolve after the profile's modules, when
 * they hold no match (a live run's executable and its libraries; the
 * pre-run check's). Its functions get module ids from LP_SYMTAB_EXTRA up.
 * 0, or -1 if it cannot be opened.
 */
#define LP_SYMTAB_EXTRA 0x80000000u
int lp_symtab_add_file(lp_symtab *st, const char *path);

/*
 * The functions -f pattern p names: among the profile's modules, else
 * among the added files; exact matches, else (a pattern with * ? [) glob
 * matches. *fns (malloc'd) in module order, then by address: template
 * instances and overloads one by one. Returns their number; 0 fills
 * closest (if not NULL) with the nearest qualified names; -1 when out of
 * memory. A FILE:LINE pattern matches no function.
 */
int lp_symtab_resolve(lp_symtab *st, const lp_fnpat *p, const lp_func_desc ***fns,
		      lp_closest *closest);

/*
 * A FILE:LINE pattern's source file among the line tables of the modules
 * (then the added files): its absolute path, interned; NULL if none, with
 * closest filled with spellings that would work.
 */
const char *lp_symtab_resolve_file(lp_symtab *st, const lp_fnpat *p, lp_closest *closest);

/*
 * The profile's binaries that could not be read (removed, or recorded on
 * another machine): their names, ", "-separated, in buf; their number.
 * A -f name is not known to be missing while one of them is.
 */
size_t lp_symtab_unread(lp_symtab *st, char *buf, size_t size);

/* The function index of module (opened and built if needed); NULL if none. See fnindex.h. */
struct lp_fnindex *lp_symtab_fnindex(lp_symtab *st, uint32_t module);
/* The module's open file, NULL if it cannot be opened. */
struct lp_dwfile *lp_symtab_dwfile(lp_symtab *st, uint32_t module);

/* The desc of id, if the symtab has made one (lookups and resolutions make them). */
const lp_func_desc *lp_symtab_desc(lp_symtab *st, lp_func_id id);

/*
 * The source extent of function id: the file and line where it is
 * declared (for outlined code, its region's line), and the last line the
 * line table gives it (so the table can show every line of the function).
 * 0 if found, -1 if not (no DWARF). last is the largest line of that file
 * among the line-table rows where the function is the innermost one (its
 * own body, any inlined copy, any clone); >= first. At -O0 that is the
 * closing brace; a function that exists only inlined often has no code on
 * its brace, so last is then its last line with code.
 */
int lp_symtab_function_span(lp_symtab *st, lp_func_id id, const char **file, int *first,
			    int *last);

/*
 * Before a run: is there line info in exe, and does each of names[] name a
 * function (any -f spelling, lp_symtab_resolve's rules) or a source file
 * (FILE:LINE) of exe or of its DT_NEEDED libraries? On failure, LP_EFAIL
 * with a one-line message ("X has no DWARF line info: compile with -g";
 * "X is stripped of debug info: rebuild with -g, or install its -dbgsym
 * package" when it has neither DWARF nor a symbol table; "X is not an ELF
 * file"; "function 'foo' not found in X or its libraries; closest: a, b, c").
 * Libraries (found as ld.so would, transitively) are read only if exe lacks
 * a name.
 */
int lp_dwarf_check_exe(const char *exe, lp_error *err);
int lp_dwarf_check_functions(const char *exe, const char *const *names, int nnames,
			     lp_error *err);

/*
 * exe is no program with DWARF that -f could be checked against before the
 * run, but something that runs programs: not an ELF file (a script), or an
 * ELF file without DWARF that is stripped of its symbol table (an installed
 * tool: bash, env, mpirun, srun) or is a known launcher by name.
 */
int lp_dwarf_is_launcher(const char *exe);

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
