/*
 * Checks before a run, so that a missing -g or a misspelt -f NAME is told in
 * one line before the program runs for an hour, not after.
 */
#include <ctype.h>
#include <errno.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#include <dwarf.h>

#include "dwarf_file.h"
#include "dwarf_names.h"
#include "elf_file.h"
#include "symbolize.h"

#define LP_CLOSEST 5   /* names suggested for a misspelt function */

/* Whether elf has a section whose name starts with prefix, or of type type (SHT_NULL: any). */
static int lp_elf_has_section(Elf *elf, const char *prefix, Elf64_Word type)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(elf, &shstrndx) != 0)
		return 0;
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			continue;
		if (type != SHT_NULL && sh.sh_type == type)
			return 1;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (prefix && name && strncmp(name, prefix, strlen(prefix)) == 0)
			return 1;
	}
	return 0;
}

/* Some unit of dw has a line table with rows. */
static int lp_dwarf_has_lines(Dwarf *dw)
{
	Dwarf_CU *cu = NULL, *next;
	Dwarf_Half version;
	uint8_t type;
	Dwarf_Die cudie, subdie;

	while (dw && dwarf_get_units(dw, cu, &next, &version, &type, &cudie, &subdie) == 0) {
		Dwarf_Lines *lines;
		size_t n = 0;
		Dwarf_Die *root = type == DW_UT_skeleton ? &subdie : &cudie;

		cu = next;
		if (dwarf_tag(root) > 0 && dwarf_getsrclines(root, &lines, &n) == 0 && n > 0)
			return 1;
	}
	return 0;
}

static int lp_error_open(lp_error *err, const char *path)
{
	if (errno == ENOEXEC)
		return lp_error_set(err, LP_EFAIL, "lineprof: %s is not an ELF file", path);
	return lp_error_set(err, LP_EFAIL, "lineprof: %s: %s", path, strerror(errno));
}

int lp_dwarf_check_exe(const char *exe, lp_error *err)
{
	lp_dwfile f;
	int stripped;

	if (lp_dwfile_open(&f, exe) != 0)
		return lp_error_open(err, exe);
	if (lp_dwarf_has_lines(lp_dwfile_dwarf(&f))) {
		lp_dwfile_close(&f);
		return LP_OK;
	}
	/* `strip` removes .symtab with the DWARF; a build without -g keeps .symtab. */
	stripped = !lp_elf_has_section(f.elf, NULL, SHT_SYMTAB) &&
		   !lp_elf_has_section(f.elf, ".debug_", SHT_NULL) &&
		   !lp_elf_has_section(f.elf, ".zdebug_", SHT_NULL);
	lp_dwfile_close(&f);
	if (stripped)
		return lp_error_set(err, LP_EFAIL,
				    "lineprof: %s is stripped of debug info: rebuild with -g, "
				    "or install its -dbgsym package", exe);
	return lp_error_set(err, LP_EFAIL, "lineprof: %s has no DWARF line info: compile with -g",
			    exe);
}

/* Collects the names of every function definition into a string set. */
static enum lp_walk lp_names_visit(Dwarf_Die *die, Dwarf_Die *cudie, void *arg)
{
	lp_strset *names = arg;

	(void)cudie;
	if (lp_die_is_function(die)) {
		lp_strset_intern(names, lp_die_name(die));
		lp_strset_intern(names, lp_die_linkage_name(die));
	}
	return LP_WALK_NEXT;
}

/* Adds the function names in path's DWARF. 0, or -1 if it has none (or cannot be read). */
static int lp_names_add_file(lp_strset *names, const char *path)
{
	lp_dwfile f;
	Dwarf *dw;

	if (lp_dwfile_open(&f, path) != 0)
		return -1;
	dw = lp_dwfile_dwarf(&f);
	if (dw)
		lp_dwarf_walk(dw, lp_names_visit, names);
	lp_dwfile_close(&f);
	return dw ? 0 : -1;
}

/* The first of names[] not in the set, or -1. */
static int lp_names_missing(const lp_strset *set, const char *const *names, int nnames)
{
	for (int i = 0; i < nnames; i++)
		if (!lp_strset_find(set, names[i]))
			return i;
	return -1;
}

/* Levenshtein distance, ignoring case: "hotwork" is one edit from "hot_work". */
static size_t lp_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t *row = malloc((lb + 1) * sizeof(*row));
	size_t d;

	if (!row)
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t sub = diag + (tolower((unsigned char)a[i - 1]) !=
					     tolower((unsigned char)b[j - 1]));

			row[j] = sub;
			if (up + 1 < row[j])
				row[j] = up + 1;
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			diag = up;
		}
	}
	d = row[lb];
	free(row);
	return d;
}

/* The best LP_CLOSEST names so far, best first. */
typedef struct lp_closest {
	const char *want;
	const char *name[LP_CLOSEST];
	size_t dist[LP_CLOSEST];
	int n;
} lp_closest;

/* a ranks before b: nearer, then shorter, then alphabetical (stable output). */
static int lp_closest_before(const char *a, size_t da, const char *b, size_t db)
{
	size_t la = strlen(a), lb = strlen(b);

	if (da != db)
		return da < db;
	if (la != lb)
		return la < lb;
	return strcmp(a, b) < 0;
}

static void lp_closest_offer(const char *name, void *arg)
{
	lp_closest *c = arg;
	size_t d = lp_edit_distance(c->want, name);
	int i = c->n;

	if (c->n == LP_CLOSEST && !lp_closest_before(name, d, c->name[c->n - 1], c->dist[c->n - 1]))
		return;
	if (c->n < LP_CLOSEST)
		c->n++;
	else
		i = c->n - 1;
	for (; i > 0 && lp_closest_before(name, d, c->name[i - 1], c->dist[i - 1]); i--) {
		c->name[i] = c->name[i - 1];
		c->dist[i] = c->dist[i - 1];
	}
	c->name[i] = name;
	c->dist[i] = d;
}

static int lp_error_missing(lp_error *err, const char *exe, const char *want,
			    const lp_strset *names)
{
	lp_closest c = { .want = want };
	char list[512] = "";
	size_t len = 0;

	lp_strset_each(names, lp_closest_offer, &c);
	if (c.n == 0)
		return lp_error_set(err, LP_EFAIL,
				    "lineprof: function '%s' not found in %s or its libraries "
				    "(no functions with debug info there)", want, exe);
	for (int i = 0; i < c.n && len < sizeof(list); i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", i ? ", " : "",
					c.name[i]);
	return lp_error_set(err, LP_EFAIL,
			    "lineprof: function '%s' not found in %s or its libraries; closest: %s",
			    want, exe, list);
}

int lp_dwarf_check_functions(const char *exe, const char *const *names, int nnames,
			     lp_error *err)
{
	lp_strset *seen;
	char **libs = NULL;
	size_t nlibs = 0;
	int missing, rc;

	if (nnames <= 0)
		return LP_OK;
	seen = lp_strset_new();
	if (!seen)
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	lp_names_add_file(seen, exe);
	missing = lp_names_missing(seen, names, nnames);
	/* Libraries only when the executable falls short: their DWARF can be large. */
	if (missing >= 0 && lp_needed_resolve(exe, &libs, &nlibs) == 0) {
		for (size_t i = 0; missing >= 0 && i < nlibs; i++)
			if (lp_names_add_file(seen, libs[i]) == 0)
				missing = lp_names_missing(seen, names, nnames);
		lp_needed_free(libs, nlibs);
	}
	rc = missing < 0 ? LP_OK : lp_error_missing(err, exe, names[missing], seen);
	lp_strset_free(seen);
	return rc;
}
