/*
 * Private to annotate/: what symbolization needs from plain ELF, without
 * DWARF — file offsets to virtual addresses through the PT_LOAD headers,
 * build-ids as text, and the shared libraries an executable needs.
 */
#ifndef LP_ELF_FILE_H
#define LP_ELF_FILE_H

#include <stddef.h>
#include <stdint.h>

#include <libelf.h>

/* One PT_LOAD header: the bytes [offset, offset+filesz) of the file are mapped at vaddr. */
typedef struct lp_segment {
	uint64_t offset;
	uint64_t filesz;
	uint64_t vaddr;
	int exec;
} lp_segment;

typedef struct lp_loadmap {
	lp_segment *seg;
	size_t nseg;
} lp_loadmap;

/* 0, or -1 (not an ELF file with program headers, out of memory). */
int lp_loadmap_read(lp_loadmap *map, Elf *elf);
void lp_loadmap_free(lp_loadmap *map);

/*
 * The ELF virtual address of file offset off: vaddr = p_vaddr + off - p_offset
 * in the segment that holds it (an executable one if two do). 0, or -1 if no
 * segment maps the offset.
 */
int lp_loadmap_vaddr(const lp_loadmap *map, uint64_t off, uint64_t *vaddr);

/*
 * The inverse, for code: the file offset of ELF virtual address vaddr, in the
 * executable PT_LOAD segment whose file bytes hold it. 0, or -1 if none does
 * (bss, or an address in no executable segment).
 */
int lp_loadmap_offset(const lp_loadmap *map, uint64_t vaddr, uint64_t *off);

/*
 * The GNU build-id of the ELF file at path (a regular file only; opened
 * without blocking), from its PT_NOTE segments, else its note sections:
 * at most size bytes into id, *len set. 0, or -1 if it has none or cannot
 * be read.
 */
int lp_elf_build_id(const char *path, unsigned char *id, size_t size, size_t *len);

/* Lower-case hex of a build-id into buf (2 * len + 1 bytes, truncated to size). */
char *lp_buildid_hex(const unsigned char *id, size_t len, char *buf, size_t size);

/*
 * The identity of a file without a build-id: a 64-bit hash of the bytes of
 * its executable sections (its executable PT_LOAD segments if it has no
 * section headers); 0 if it has none or is not ELF.
 */
uint64_t lp_elf_code_hash(Elf *elf);

/*
 * Size, modification time and code hash of the ELF file at path (opened only
 * if it is a regular file: input.h). 0, or -1 if it cannot be opened.
 */
int lp_elf_identity(const char *path, uint64_t *size, int64_t *mtime_ns, uint64_t *code_hash);

/*
 * The shared libraries exe needs, transitively (DT_NEEDED), found as ld.so
 * would: DT_RPATH (without DT_RUNPATH), LD_LIBRARY_PATH, DT_RUNPATH (with
 * $ORIGIN), the directories of /etc/ld.so.conf, then the system directories.
 * Libraries that cannot be found are left out. *paths: malloc'd array of
 * malloc'd absolute paths, breadth first. 0, or -1 when out of memory.
 */
int lp_needed_resolve(const char *exe, char ***paths, size_t *npaths);
void lp_needed_free(char **paths, size_t npaths);

#endif
