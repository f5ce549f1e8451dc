/*
 * Private to annotate/: the functions of one ELF file, each keyed by what
 * it IS rather than what it is called.
 *
 * A DWARF function's key comes from the one DIE all its copies lead to
 * through DW_AT_abstract_origin and DW_AT_specification: the out-of-line
 * body, every inlined copy and the compiler's clones (.part, .isra,
 * .constprop, the .cold part) are one function. Where that DIE has a linkage
 * name with external linkage (or is Rust's), the key is the name's hash, so
 * that an inline function emitted in many units (C++ templates, headers)
 * is one function too; internal-linkage functions stay apart per unit.
 * Code without DWARF is keyed by its ELF symbol's address, clones of a
 * symbol ("f.cold") by f's; PLT stubs are functions of their own
 * ("memcpy@plt").
 *
 * Outlined code (gcc's f._omp_fn.N, nested artificially inside f's DIE;
 * clang's .omp_outlined., placed after f in the same file) records its
 * owner f and the line of its region in f: the call site in f that passes
 * the region's code to the OpenMP runtime (DW_TAG_call_site with a
 * DW_OP_addr parameter), else the outlined function's declared line
 * (clang), else the line of its first instruction (gcc without call-site
 * info, -O0).
 */
#ifndef LP_FNINDEX_H
#define LP_FNINDEX_H

#include <stddef.h>
#include <stdint.h>

#include "dwarf_file.h"
#include "dwarf_index.h"
#include "names.h"

/* The two top bits of a key say what the rest is. */
#define LP_KEY_RAW 0ULL                /* a code address no function covers (file offset) */
#define LP_KEY_DIE (1ULL << 62)        /* the defining DIE's offset (bit 61: in the dwz alt file) */
#define LP_KEY_LINKAGE (2ULL << 62)    /* a hash of the linkage name */
#define LP_KEY_SYMBOL (3ULL << 62)     /* an ELF symbol's (or PLT entry's) Dwfl address */
#define LP_KEY_KIND(k) ((k) & (3ULL << 62))
#define LP_KEY_NONE UINT64_MAX

typedef struct lp_fn {
	uint64_t key;
	uint64_t owner;           /* outlined code: the key of the function it came from; else key */
	const char *base;         /* DW_AT_name or the ELF symbol, as in the file */
	const char *linkage;      /* DW_AT_linkage_name or the ELF symbol, as in the file; NULL */
	Dwarf_Die die;            /* DWARF: a DIE with its attributes (has_die) */
	uint64_t canon;           /* DWARF: the offset key of the DIE all copies lead to */
	const char *decl_file;    /* as in the DIE's unit (see lp_die_decl_file); NULL */
	int decl_line;
	const char *region_file;  /* outlined code: where its region is in the owner; NULL */
	int region_line;
	Dwarf_Die *region_cu;     /* the unit whose file table region_file comes from */
	uint64_t entry;           /* lowest Dwfl address of its code, UINT64_MAX if none */
	int32_t scope;            /* innermost namespace/class/module, -1 for none */
	uint8_t has_die, fortran, rust, outlined, plt;
	uint8_t sub_seen;         /* a subprogram DIE of it was walked (not just inlined copies) */
	char *name;               /* lazily: lp_fnindex_name */
	char *signature;          /* lazily: lp_fnindex_signature ("" for none) */
} lp_fn;

typedef struct lp_fnindex lp_fnindex;

/*
 * Indexes f: every function definition of its DWARF, then the ELF symbols
 * no DWARF function covers, then the PLT. NULL when out of memory. The
 * index points into f's DWARF and ELF: free it before closing f.
 */
lp_fnindex *lp_fnindex_build(lp_dwfile *f);
void lp_fnindex_free(lp_fnindex *ix);

/* The subprogram DIEs with code, by address (DWARF addresses), for lp_dieindex_scopes. */
const lp_dieindex *lp_fnindex_dies(const lp_fnindex *ix);
/* Dwfl address = DWARF address + this. */
uint64_t lp_fnindex_dwbias(const lp_fnindex *ix);
/* The file's DWARF, NULL if none. */
Dwarf *lp_fnindex_dwarf(const lp_fnindex *ix);

size_t lp_fnindex_count(const lp_fnindex *ix);
lp_fn *lp_fnindex_at(const lp_fnindex *ix, size_t i);
lp_fn *lp_fnindex_get(const lp_fnindex *ix, uint64_t key);

/* The key of the function DIE die (a subprogram or inlined copy) is a copy of; canon: that DIE. */
uint64_t lp_fnindex_die_key(const lp_fnindex *ix, Dwarf_Die *die, Dwarf_Die *canon);

/* The symbol-keyed function (ELF symbol or PLT stub) at Dwfl address addr; NULL if none. */
lp_fn *lp_fnindex_symbol_at(const lp_fnindex *ix, uint64_t addr);

/* Display name: demangled and qualified; never NULL for a function with a name (NULL: nameless). */
const char *lp_fnindex_name(lp_fnindex *ix, lp_fn *fn);
/* With the parameter list (C++ only); NULL if there is none. */
const char *lp_fnindex_signature(lp_fnindex *ix, lp_fn *fn);
/* The other ELF symbols at fn's address, for matching. */
int lp_fnindex_aliases(const lp_fnindex *ix, const lp_fn *fn, const char *const **aliases);

/* The candidate -f patterns match against (decl_file raw: callers may set a normalised one). */
void lp_fnindex_cand(lp_fnindex *ix, lp_fn *fn, lp_fncand *c);

/*
 * Source files of the DWARF line tables, for FILE:LINE patterns: calls fn
 * with each unit's DIE and each raw name of its file table.
 */
void lp_fnindex_files(const lp_fnindex *ix, void (*fn)(Dwarf_Die *cu, const char *raw, void *arg),
		      void *arg);

#endif
