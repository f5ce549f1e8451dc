/*
 * Checks before a run, so that a missing -g or a misspelt -f NAME is told in
 * one line before the program runs for an hour, not after.
 */
#include <errno.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#include <dwarf.h>

#include "dwarf_file.h"
#include "elf_file.h"
#include "names.h"
#include "symbolize.h"

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

/* Whether the pattern names something among st's files (lp_symtab_resolve's rules). */
static int lp_check_one(lp_symtab *st, const lp_fnpat *p)
{
	const lp_func_desc **fns = NULL;
	int n;

	if (p->region)
		return lp_symtab_resolve_file(st, p, NULL) != NULL;
	n = lp_symtab_resolve(st, p, &fns, NULL);
	free(fns);
	return n != 0;   /* out of memory (-1): the views will say it */
}

static int lp_error_missing(lp_error *err, lp_symtab *st, const char *exe, const lp_fnpat *p)
{
	const lp_func_desc **fns = NULL;
	lp_closest c;
	char list[1024];
	int n;

	lp_closest_init(&c, p->region ? p->text : p->name);
	if (p->region)
		lp_symtab_resolve_file(st, p, &c);
	else
		free(lp_symtab_resolve(st, p, &fns, &c) > 0 ? fns : NULL);
	n = lp_closest_format(&c, list, sizeof(list));
	lp_closest_free(&c);
	if (p->region)
		return lp_error_set(err, LP_EFAIL, "lineprof: no source file '%s' in the line tables "
				    "of %s or its libraries%s%s", p->file, exe, n ? "; closest: " : "",
				    n ? list : "");
	if (n == 0)
		return lp_error_set(err, LP_EFAIL,
				    "lineprof: function '%s' not found in %s or its libraries "
				    "(no functions with debug info there)", p->text, exe);
	return lp_error_set(err, LP_EFAIL,
			    "lineprof: function '%s' not found in %s or its libraries; closest: %s",
			    p->text, exe, list);
}

/*
 * The views' resolver on the files of the run to come: the executable,
 * then, while a name is missing, its libraries one by one (their DWARF
 * can be large). A name found here is found after the run the same way.
 */
int lp_dwarf_check_functions(const char *exe, const char *const *names, int nnames,
			     lp_error *err)
{
	lp_profile *prof;
	lp_symtab *st = NULL;
	lp_fnpat *pats = NULL;
	char **libs = NULL;
	size_t nlibs = 0;
	int missing = -1, rc = LP_OK, parsed = 0;

	if (nnames <= 0)
		return LP_OK;
	prof = lp_profile_new();
	pats = calloc((size_t)nnames, sizeof(*pats));
	if (!prof || !pats || !(st = lp_symtab_new(prof, err))) {
		rc = lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
		goto out;
	}
	for (; parsed < nnames; parsed++)
		if (lp_fnpat_parse(&pats[parsed], names[parsed]) != 0) {
			rc = lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
			goto out;
		}
	if (lp_symtab_add_file(st, exe) != 0) {
		rc = lp_error_open(err, exe);
		goto out;
	}
	for (int i = 0; i < nnames && missing < 0; i++)
		if (!lp_check_one(st, &pats[i]))
			missing = i;
	if (missing >= 0 && lp_needed_resolve(exe, &libs, &nlibs) == 0) {
		for (size_t l = 0; missing >= 0 && l < nlibs; l++) {
			if (lp_symtab_add_file(st, libs[l]) != 0)
				continue;
			while (missing < nnames && lp_check_one(st, &pats[missing]))
				missing++;
			if (missing == nnames)
				missing = -1;
		}
		lp_needed_free(libs, nlibs);
	}
	if (missing >= 0)
		rc = lp_error_missing(err, st, exe, &pats[missing]);
out:
	for (int i = 0; i < parsed; i++)
		lp_fnpat_free(&pats[i]);
	free(pats);
	lp_symtab_free(st);
	lp_profile_free(prof);
	return rc;
}

/* Programs that run other programs, when they are not stripped (a build of one's own). */
static const char *const lp_launchers[] = {
	"env", "time", "taskset", "numactl", "nice", "nohup", "stdbuf", "timeout", "chrt",
	"setarch", "ionice", "xargs", "mpirun", "mpiexec", "orterun", "prterun", "srun",
	"bash", "sh", "dash", "zsh", "ksh", "python", "python3", "perl",
};

int lp_dwarf_is_launcher(const char *exe)
{
	const char *base = strrchr(exe, '/');
	lp_dwfile f;
	int stripped;

	if (lp_dwfile_open(&f, exe) != 0)
		return errno == ENOEXEC;   /* a script */
	if (lp_dwarf_has_lines(lp_dwfile_dwarf(&f))) {
		lp_dwfile_close(&f);
		return 0;
	}
	stripped = !lp_elf_has_section(f.elf, NULL, SHT_SYMTAB);
	lp_dwfile_close(&f);
	if (stripped)
		return 1;
	base = base ? base + 1 : exe;
	for (size_t i = 0; i < sizeof(lp_launchers) / sizeof(lp_launchers[0]); i++)
		if (strcmp(base, lp_launchers[i]) == 0)
			return 1;
	return 0;
}
