/*
 * What the annotate tests know of the test programs (tests/programs/): where
 * they and their sources are, the line that carries a marker comment such as
 * HOT, and the file offset of a marker label, found from the ELF symbol table
 * so that the code under test is never used to check itself.
 */
#ifndef LP_TEST_PROGRAMS_H
#define LP_TEST_PROGRAMS_H

#include <check.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Path of a test program or source file, in a static buffer per call site kind. */
static const char *test_path(const char *envvar, const char *name, char *buf, size_t size)
{
	const char *dir = getenv(envvar);

	ck_assert_msg(dir != NULL, "%s is not set: run the tests through meson", envvar);
	snprintf(buf, size, "%s/%s", dir, name);
	return buf;
}

#define PROG(name) test_path("LP_PROGRAMS_BIN", (name), (char[PATH_MAX]){ 0 }, PATH_MAX)
#define SRC(name) test_path("LP_PROGRAMS_SRC", (name), (char[PATH_MAX]){ 0 }, PATH_MAX)

/* The 1-based number of the first line of src containing marker. */
static int marker_line(const char *src, const char *marker)
{
	char line[4096];
	FILE *f = fopen(src, "r");
	int n = 0;

	ck_assert_msg(f != NULL, "cannot open %s", src);
	while (fgets(line, sizeof(line), f)) {
		n++;
		if (strstr(line, marker)) {
			fclose(f);
			return n;
		}
	}
	fclose(f);
	ck_abort_msg("marker %s not found in %s", marker, src);
	return 0;
}

/* File offset of symbol sym in the ELF file path, from .symtab and PT_LOAD. */
static uint64_t symbol_offset(const char *path, const char *sym)
{
	int fd = open(path, O_RDONLY);
	Elf *elf;
	Elf_Scn *scn = NULL;
	uint64_t vaddr = 0, off = 0;
	int found = 0, mapped = 0;
	size_t nph;

	ck_assert_msg(fd >= 0, "cannot open %s", path);
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	ck_assert_ptr_nonnull(elf);
	while (!found && (scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;
		Elf_Data *data;

		/* .dynsym too: shared libraries from a distribution have no .symtab. */
		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM))
			continue;
		data = elf_getdata(scn, NULL);
		for (size_t i = 0; data && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym s;
			const char *name;

			if (!gelf_getsym(data, (int)i, &s))
				continue;
			name = elf_strptr(elf, sh.sh_link, s.st_name);
			if (name && strcmp(name, sym) == 0) {
				vaddr = s.st_value;
				found = 1;
				break;
			}
		}
	}
	ck_assert_msg(found, "symbol %s not in %s", sym, path);
	ck_assert_int_eq(elf_getphdrnum(elf, &nph), 0);
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD &&
		    vaddr >= ph.p_vaddr && vaddr < ph.p_vaddr + ph.p_filesz) {
			off = vaddr - ph.p_vaddr + ph.p_offset;
			mapped = 1;
			break;
		}
	}
	elf_end(elf);
	close(fd);
	ck_assert_msg(mapped, "symbol %s of %s is in no PT_LOAD", sym, path);
	return off;
}

/* The NT_GNU_BUILD_ID of path into id; its length. */

#endif
