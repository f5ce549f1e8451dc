/*
 * Private to annotate/: what a function is called and how users spell it.
 *
 * Display names are perf's: linkage names demangled by libiberty (C++, Rust
 * legacy and v0) without the parameter list, else the DWARF scope chain
 * (namespaces, classes, Fortran modules) joined by "::". A -f NAME is
 * parsed once into a pattern and matched against a function's spellings;
 * a miss gets suggestions ranked by edit distance against qualified names.
 * Nothing here knows DWARF: the index (fnindex.h) hands candidates in.
 */
#ifndef LP_NAMES_H
#define LP_NAMES_H

#include <stddef.h>
#include <stdint.h>

/*
 * A linkage name demangled (malloc'd), or NULL when it is not a C++ or Rust
 * symbol. params: with the parameter list and qualifiers ("f(int) const"),
 * which picks an overload; without: the display name ("f"). Clone suffixes
 * (".part.0", ".cold", ...) are dropped without params.
 */
char *lp_demangle(const char *linkage, int params);

/* gfortran's module procedure symbol "__mymod_MOD_compute" as "mymod::compute" (malloc'd); NULL if not one. */
char *lp_fortran_symbol(const char *sym);

/*
 * The length of the function a compiler clone was made from: "f.part.0",
 * "f.cold", "f.isra.0", "f.constprop.1", "f.lto_priv.0", "f.localalias"
 * give strlen("f"); 0 when sym is no clone.
 */
size_t lp_clone_base(const char *sym);

/*
 * A name in the form names are compared in, into buf: blanks only between
 * two identifier characters ("unsigned long", "operator new"), Rust's
 * turbofish "::<" as "<". buf, or NULL if it does not fit.
 */
char *lp_name_normalize(const char *in, char *buf, size_t size);

/* One -f NAME, parsed. */
typedef struct lp_fnpat {
	char *text;         /* as typed */
	int region;         /* FILE:LINE or FILE:FIRST-LAST */
	char *file;         /* region: FILE as typed */
	int first, last;
	char *name;         /* normalised name part: no [qualifier], no parameter list */
	char *params;       /* normalised "(int,int)const" if typed, else NULL */
	char *qual;         /* inside "NAME [...]": "file.c:12", "libm.so.6", "file.c:12, prog" */
	char *glob;         /* the text without its qualifier, when it has * ? or [ (fnmatch) */
	int linkage_like;   /* starts like a linkage name (_Z, _R, __..._MOD_): compared as typed */
	char *leaf;         /* the last component's name without template arguments ("" if none) */
} lp_fnpat;

/* 0, or -1 when out of memory. A pattern that cannot match anything still parses. */
int lp_fnpat_parse(lp_fnpat *p, const char *text);
void lp_fnpat_free(lp_fnpat *p);

/* Everything a function is known by, for matching. Strings may be NULL. */
typedef struct lp_fncand {
	const char *name;        /* display name, qualified */
	const char *signature;   /* with the parameter list (C++) */
	const char *linkage;     /* as in the file */
	const char *base;        /* DW_AT_name, or the ELF symbol */
	const char *const *aliases;  /* other ELF symbols at its address */
	int naliases;
	const char *decl_file;   /* for a [file:line] qualifier */
	int decl_line;
	const char *module;      /* basename of its file, for a [module] qualifier */
	uint64_t entry;          /* for a [module+0xADDR] qualifier */
	int fortran;             /* compare without regard to case */
} lp_fncand;

/*
 * Exact mode: the linkage name or an alias as typed, or the name's
 * components equal the last components of the display name ("energy",
 * "Cloud::energy", "geo::Cloud<double>::energy"; a component typed without
 * template arguments matches every instance), then the parameter list if
 * one was typed, then the qualifier. Glob mode: fnmatch(3) on the display
 * name, the signature, the linkage name and the plain name. Callers try
 * globs only for a pattern that matched nothing exactly, so that
 * "operator*" means the operator.
 */
enum lp_match_mode { LP_MATCH_EXACT, LP_MATCH_GLOB };
int lp_fnpat_match(const lp_fnpat *p, const lp_fncand *c, enum lp_match_mode mode);

/*
 * Whether p could match a function whose plain name is base (DW_AT_name,
 * or an ELF symbol, mangled or not): a cheap test before the names are
 * made. Never 0 for a function lp_fnpat_match would take in exact mode.
 */
int lp_fnpat_maybe(const lp_fnpat *p, const char *base, int dwarf_name, int fortran);

/* A region pattern's FILE names path (absolute, normalised): equal, or a suffix at a '/'. */
int lp_fnpat_file(const lp_fnpat *p, const char *path);

/* The best few names for a miss, best first; names are copied. */
#define LP_CLOSEST 5
typedef struct lp_closest {
	char *want;
	char *name[LP_CLOSEST];
	size_t dist[LP_CLOSEST];
	int n;
} lp_closest;

void lp_closest_init(lp_closest *c, const char *want);
/* name competes by its distance to want, or to any of its "::" suffixes (a bare want is no farther from a qualified name). */
void lp_closest_offer(lp_closest *c, const char *name);
/* "a, b, c" into buf; the number of names. */
int lp_closest_format(const lp_closest *c, char *buf, size_t size);
void lp_closest_free(lp_closest *c);

#endif
