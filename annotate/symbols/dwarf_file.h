/*
 * Private to annotate/: one ELF file opened offline with libdwfl, its
 * separate debug info found on this machine (build-id, .gnu_debuglink), and
 * the DWARF questions symbolization asks of any DIE.
 */
#ifndef LP_DWARF_FILE_H
#define LP_DWARF_FILE_H

#include <stddef.h>
#include <sys/types.h>

#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>

/*
 * One file in its own Dwfl, reported at base 0: Dwfl addresses are then the
 * ELF's own virtual addresses plus bias (0 for ET_EXEC and for ET_DYN as
 * reported here; kept general in case libdwfl decides otherwise).
 */
typedef struct lp_dwfile {
	Dwfl *dwfl;
	Dwfl_Module *mod;
	Elf *elf;          /* the main file, not the separate debug file */
	Dwarf_Addr bias;   /* Dwfl address = ELF p_vaddr + bias */
	dev_t dev;         /* the file opened */
	ino_t ino;
} lp_dwfile;

/*
 * The callbacks every Dwfl of lineprof uses: separate debug info from this
 * machine only (build-id, .gnu_debuglink), never from a debuginfod server.
 */
const Dwfl_Callbacks *lp_dwfile_callbacks(void);

/*
 * Opens path only if it is a regular file outside /proc and /sys (input.h).
 * 0, or -1 with errno set (ENOENT, EACCES..., EINVAL if refused, ENOEXEC if
 * not ELF, ENOMEM).
 */
int lp_dwfile_open(lp_dwfile *f, const char *path);
void lp_dwfile_close(lp_dwfile *f);

/* The file's DWARF, from the file itself or a separate debug file; NULL if none. */
Dwarf *lp_dwfile_dwarf(lp_dwfile *f);

/* What a DIE visitor tells the walk. */
enum lp_walk {
	LP_WALK_NEXT,   /* go on, into the DIE's children if it can hold functions */
	LP_WALK_SKIP,   /* go on, but not into this DIE's children */
	LP_WALK_STOP,   /* done */
};

/* cudie: the unit's root (for a split unit, the split DIE, not the skeleton). */
typedef enum lp_walk (*lp_dwarf_visit)(Dwarf_Die *die, Dwarf_Die *cudie, void *arg);

/*
 * Visits every DIE of every compile and partial unit of dw, pre-order, but
 * only descends into DIEs that can contain functions (namespaces, classes,
 * subprograms, lexical blocks, inlined subroutines): types and variables
 * are visited, their insides are not. 1 if a visitor stopped, else 0.
 */
int lp_dwarf_walk(Dwarf *dw, lp_dwarf_visit visit, void *arg);

/* DW_AT_name, following DW_AT_abstract_origin and DW_AT_specification; NULL if none. */
const char *lp_die_name(Dwarf_Die *die);

/* DW_AT_linkage_name (or the old MIPS one), integrated likewise; NULL if none. */
const char *lp_die_linkage_name(Dwarf_Die *die);

/*
 * A function definition: a DW_TAG_subprogram that is not a mere declaration
 * and has code (low_pc or ranges) or is an abstract instance (DW_AT_inline)
 * whose code lives in its inlined copies.
 */
int lp_die_is_function(Dwarf_Die *die);

/* A DIE that occupies code: it has low_pc/high_pc or ranges. */
int lp_die_has_code(Dwarf_Die *die);

/*
 * A file attribute of die (DW_AT_decl_file, integrated through abstract
 * origins and specifications, or DW_AT_call_file, not) as a path from the
 * file table of the unit that holds the attribute; NULL if none. DWARF 5
 * counts files from 0, the primary file, which clang uses; libdw 0.188's
 * dwarf_decl_file still takes 0 for "no file" and returns NULL for it.
 */
const char *lp_die_decl_file(Dwarf_Die *die);
const char *lp_die_call_file(Dwarf_Die *die);

/* The compilation directory of the unit holding die, NULL if unknown. */
const char *lp_die_compdir(Dwarf_Die *die);

/*
 * path made absolute (joined to dir when relative and dir is known) and
 * normalised lexically ("a/./b" -> "a/b", "a/x/../b" -> "a/b", no "//")
 * into buf. buf, or NULL if it does not fit.
 */
char *lp_path_normalize(const char *dir, const char *path, char *buf, size_t size);

/* Address ranges [lo, hi) of code, in DWARF addresses; free r when done. */
typedef struct lp_ranges {
	Dwarf_Addr (*r)[2];
	size_t n, cap;
} lp_ranges;

/* die's own ranges; the ranges of the functions inside it (inlined copies,
 * nested functions). 0, or -1 when out of memory. */
int lp_ranges_add_die(lp_ranges *rs, Dwarf_Die *die);
int lp_ranges_add_callees(lp_ranges *rs, Dwarf_Die *die, int depth);
int lp_ranges_has(const lp_ranges *rs, Dwarf_Addr a);

#endif
