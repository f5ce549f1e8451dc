/*
 * Plain ELF for symbolization: PT_LOAD mapping, build-id text, DT_NEEDED
 * resolution. Reads files with libelf only; DWARF lives in dwarf_*.c.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf_file.h"
#include "input.h"

#define LP_NEEDED_MAX 512    /* libraries followed, transitively: a sanity cap */
#define LP_LDCONF_DEPTH 4    /* nesting of "include" in /etc/ld.so.conf */

int lp_loadmap_read(lp_loadmap *map, Elf *elf)
{
	size_t n;

	map->seg = NULL;
	map->nseg = 0;
	if (!elf || elf_getphdrnum(elf, &n) != 0)
		return -1;
	map->seg = calloc(n ? n : 1, sizeof(*map->seg));
	if (!map->seg)
		return -1;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		map->seg[map->nseg++] = (lp_segment){
			.offset = ph.p_offset,
			.filesz = ph.p_filesz,
			.vaddr = ph.p_vaddr,
			.exec = (ph.p_flags & PF_X) != 0,
		};
	}
	return 0;
}

void lp_loadmap_free(lp_loadmap *map)
{
	free(map->seg);
	map->seg = NULL;
	map->nseg = 0;
}

int lp_loadmap_vaddr(const lp_loadmap *map, uint64_t off, uint64_t *vaddr)
{
	const lp_segment *best = NULL;

	/* Old layouts let a data segment start inside the text segment's last
	 * page; samples are code, so an executable segment wins. */
	for (size_t i = 0; i < map->nseg; i++) {
		const lp_segment *s = &map->seg[i];

		if (off < s->offset || off - s->offset >= s->filesz)
			continue;
		if (!best || (s->exec && !best->exec))
			best = s;
	}
	if (!best)
		return -1;
	*vaddr = best->vaddr + (off - best->offset);
	return 0;
}

int lp_loadmap_offset(const lp_loadmap *map, uint64_t vaddr, uint64_t *off)
{
	for (size_t i = 0; i < map->nseg; i++) {
		const lp_segment *s = &map->seg[i];

		if (!s->exec || vaddr < s->vaddr || vaddr - s->vaddr >= s->filesz)
			continue;
		*off = s->offset + (vaddr - s->vaddr);
		return 0;
	}
	return -1;
}

char *lp_buildid_hex(const unsigned char *id, size_t len, char *buf, size_t size)
{
	static const char digits[] = "0123456789abcdef";
	size_t j = 0;

	if (size == 0)
		return buf;
	for (size_t i = 0; i < len && j + 2 < size; i++) {
		buf[j++] = digits[id[i] >> 4];
		buf[j++] = digits[id[i] & 15];
	}
	buf[j] = '\0';
	return buf;
}

/* ---- the identity of a file without a build-id ---- */

/*
 * A fingerprint, not a defence against an adversary: it only has to change
 * when the code changes. 8 bytes at a time, murmur3's finaliser at the end.
 */
static uint64_t lp_hash_mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static uint64_t lp_hash_bytes(uint64_t h, const unsigned char *p, size_t n)
{
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t w;

		memcpy(&w, p + i, 8);
		h ^= w * 0x87c37b91114253d5ULL;
		h = (h << 31 | h >> 33) * 0x4cf5ad432745937fULL;
	}
	for (; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return lp_hash_mix(h ^ n);
}

uint64_t lp_elf_code_hash(Elf *elf)
{
	Elf_Scn *scn = NULL;
	uint64_t h = 0x6c696e6570726f66ULL; /* "lineprof" */
	int any = 0;
	size_t nph, filesize = 0;
	const char *raw;

	if (!elf || elf_kind(elf) != ELF_K_ELF)
		return 0;
	/* The executable sections' bytes: what a rebuild that moves lines changes. */
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_EXECINSTR) ||
		    sh.sh_type != SHT_PROGBITS || !(d = elf_rawdata(scn, NULL)) || !d->d_buf)
			continue;
		h = lp_hash_bytes(h, d->d_buf, d->d_size);
		any = 1;
	}
	/* No section headers (stripped of them): the executable segments. */
	raw = any ? NULL : elf_rawfile(elf, &filesize);
	for (size_t i = 0; raw && elf_getphdrnum(elf, &nph) == 0 && i < nph; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD || !(ph.p_flags & PF_X) ||
		    ph.p_offset > filesize || ph.p_filesz > filesize - ph.p_offset)
			continue;
		h = lp_hash_bytes(h, (const unsigned char *)raw + ph.p_offset, ph.p_filesz);
		any = 1;
	}
	return !any ? 0 : h ? h : 1;
}

int lp_elf_identity(const char *path, uint64_t *size, int64_t *mtime_ns, uint64_t *code_hash)
{
	struct stat st;
	int fd = lp_input_open(path, &st, NULL);
	Elf *elf;

	if (fd < 0)
		return -1;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	*size = (uint64_t)st.st_size;
	*mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	*code_hash = lp_elf_code_hash(elf);
	elf_end(elf);
	close(fd);
	return 0;
}

/* The GNU build-id among the notes in [p, p + size), as the kernel reads it: 0, or -1. */
static int lp_note_build_id(Elf *elf, Elf_Data *d, unsigned char *id, size_t size, size_t *len)
{
	GElf_Nhdr nh;
	size_t off = 0, next, name_off, desc_off;

	while (d && (next = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
		    memcmp((const char *)d->d_buf + name_off, "GNU", 4) == 0 && nh.n_descsz > 0) {
			*len = nh.n_descsz < size ? nh.n_descsz : size;
			memcpy(id, (const char *)d->d_buf + desc_off, *len);
			return 0;
		}
		off = next;
	}
	(void)elf;
	return -1;
}

int lp_elf_build_id(const char *path, unsigned char *id, size_t size, size_t *len)
{
	struct stat st;
	size_t nph = 0;
	int fd, rc = -1;
	Elf *elf;

	/* Never blocks on, or reads, anything but a regular file the path names now. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -1;
	}
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	/* PT_NOTE segments first: what the kernel reads for MMAP2 records. */
	for (size_t i = 0; rc && elf && elf_getphdrnum(elf, &nph) == 0 && i < nph; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_NOTE)
			rc = lp_note_build_id(elf, elf_getdata_rawchunk(elf, (int64_t)ph.p_offset,
								       ph.p_filesz, ELF_T_NHDR),
					      id, size, len);
	}
	for (Elf_Scn *scn = NULL; rc && elf && (scn = elf_nextscn(elf, scn));) {
		GElf_Shdr sh;

		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_NOTE)
			rc = lp_note_build_id(elf, elf_getdata(scn, NULL), id, size, len);
	}
	elf_end(elf);
	close(fd);
	return rc;
}

/* A growable array of malloc'd strings. */
typedef struct lp_strvec {
	char **v;
	size_t n, cap;
} lp_strvec;

/* Takes s (freed on failure). 0, or -1 when out of memory. */
static int lp_strvec_push(lp_strvec *sv, char *s)
{
	if (!s)
		return -1;
	if (sv->n == sv->cap) {
		size_t cap = sv->cap ? 2 * sv->cap : 16;
		char **v = realloc(sv->v, cap * sizeof(*v));

		if (!v) {
			free(s);
			return -1;
		}
		sv->v = v;
		sv->cap = cap;
	}
	sv->v[sv->n++] = s;
	return 0;
}

static int lp_strvec_has(const lp_strvec *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return 1;
	return 0;
}

static void lp_strvec_free(lp_strvec *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	*sv = (lp_strvec){ 0 };
}

/* The parts of one object's dynamic section that library search needs. */
typedef struct lp_dynamic {
	lp_strvec needed;
	char *rpath;      /* DT_RPATH, NULL if absent */
	char *runpath;    /* DT_RUNPATH, NULL if absent */
	int elfclass;
	int machine;
} lp_dynamic;

static void lp_dynamic_free(lp_dynamic *dyn)
{
	lp_strvec_free(&dyn->needed);
	free(dyn->rpath);
	free(dyn->runpath);
	*dyn = (lp_dynamic){ 0 };
}

/* Opens path as ELF; its class and machine in *cls, *mach. NULL if it is not ELF. */
static Elf *lp_elf_open(const char *path, int *fd, int *cls, int *mach)
{
	GElf_Ehdr eh;
	Elf *elf;

	*fd = lp_input_open(path, NULL, NULL);
	if (*fd < 0)
		return NULL;
	elf = elf_begin(*fd, ELF_C_READ_MMAP, NULL);
	if (elf && elf_kind(elf) == ELF_K_ELF && gelf_getehdr(elf, &eh)) {
		*cls = eh.e_ident[EI_CLASS];
		*mach = eh.e_machine;
		return elf;
	}
	elf_end(elf);
	close(*fd);
	*fd = -1;
	return NULL;
}

static int lp_dynamic_scan(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, lp_dynamic *dyn)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t n = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;

	for (size_t i = 0; data && i < n; i++) {
		GElf_Dyn d;
		const char *s;

		if (!gelf_getdyn(data, (int)i, &d) || d.d_tag == DT_NULL)
			break;
		if (d.d_tag != DT_NEEDED && d.d_tag != DT_RPATH && d.d_tag != DT_RUNPATH)
			continue;
		s = elf_strptr(elf, sh->sh_link, d.d_un.d_val);
		if (!s)
			continue;
		if (d.d_tag == DT_NEEDED && lp_strvec_push(&dyn->needed, strdup(s)) != 0)
			return -1;
		if (d.d_tag == DT_RPATH && !dyn->rpath && !(dyn->rpath = strdup(s)))
			return -1;
		if (d.d_tag == DT_RUNPATH && !dyn->runpath && !(dyn->runpath = strdup(s)))
			return -1;
	}
	return 0;
}

/* 0 (also for a static or non-ELF file: no needs), or -1 when out of memory. */
static int lp_dynamic_read(const char *path, lp_dynamic *dyn)
{
	Elf_Scn *scn = NULL;
	int fd, rc = 0;
	Elf *elf;

	*dyn = (lp_dynamic){ 0 };
	elf = lp_elf_open(path, &fd, &dyn->elfclass, &dyn->machine);
	if (!elf)
		return 0;
	while (rc == 0 && (scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;

		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_DYNAMIC)
			rc = lp_dynamic_scan(elf, scn, &sh, dyn);
	}
	elf_end(elf);
	close(fd);
	return rc;
}

/* A library is usable if it is ELF of the same class and machine (no i386 libs for x86-64). */
static int lp_elf_matches(const char *path, int cls, int mach)
{
	int fd, c = 0, m = 0;
	Elf *elf = lp_elf_open(path, &fd, &c, &m);

	if (!elf)
		return 0;
	elf_end(elf);
	close(fd);
	return c == cls && m == mach;
}

/* Expands $ORIGIN and ${ORIGIN} in one search directory into buf. */
static const char *lp_dir_expand(const char *dir, size_t len, const char *origin,
				 char *buf, size_t size)
{
	size_t j = 0;

	for (size_t i = 0; i < len && j + 1 < size;) {
		size_t skip = 0;

		if (strncmp(dir + i, "$ORIGIN", 7) == 0)
			skip = 7;
		else if (strncmp(dir + i, "${ORIGIN}", 9) == 0)
			skip = 9;
		if (skip && i + skip <= len) {
			j += (size_t)snprintf(buf + j, size - j, "%s", origin);
			if (j >= size)
				return NULL;
			i += skip;
		} else {
			buf[j++] = dir[i++];
		}
	}
	buf[j] = '\0';
	return buf;
}

/* name in the ':'/';'-separated list; malloc'd real path or NULL. */
static char *lp_dirs_find(const char *list, const char *name, const char *origin,
			  int cls, int mach)
{
	char dir[PATH_MAX], path[PATH_MAX];

	for (const char *p = list; p && *p;) {
		size_t len = strcspn(p, ":;");
		/* An empty element means the current directory, as for ld.so. */
		const char *d = len ? lp_dir_expand(p, len, origin, dir, sizeof(dir)) : ".";

		if (d && (size_t)snprintf(path, sizeof(path), "%s/%s", d, name) < sizeof(path) &&
		    lp_elf_matches(path, cls, mach))
			return realpath(path, NULL);
		p += len;
		if (*p)
			p++;
	}
	return NULL;
}

/* The Debian/Ubuntu multiarch triplet for a machine, NULL if unknown. */
static const char *lp_multiarch(int mach)
{
	switch (mach) {
	case EM_X86_64: return "x86_64-linux-gnu";
	case EM_386: return "i386-linux-gnu";
	case EM_AARCH64: return "aarch64-linux-gnu";
	case EM_ARM: return "arm-linux-gnueabihf";
	case EM_PPC64: return "powerpc64le-linux-gnu";
	case EM_RISCV: return "riscv64-linux-gnu";
	case EM_S390: return "s390x-linux-gnu";
	default: return NULL;
	}
}

/* Adds the directories of one ld.so.conf file (and its includes) to dirs. */
static int lp_ldconf_read(const char *file, lp_strvec *dirs, int depth)
{
	char line[PATH_MAX];
	FILE *f;
	int rc = 0;

	if (depth > LP_LDCONF_DEPTH || !(f = fopen(file, "re")))
		return 0;
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		char *s = line + strspn(line, " \t");

		s[strcspn(s, "#\r\n")] = '\0';
		for (size_t n = strlen(s); n && (s[n - 1] == ' ' || s[n - 1] == '\t'); n--)
			s[n - 1] = '\0';
		if (strncmp(s, "include", 7) == 0 && (s[7] == ' ' || s[7] == '\t')) {
			char pat[PATH_MAX];
			glob_t g;

			s += 8 + strspn(s + 8, " \t");
			/* Relative patterns are relative to /etc, as ldconfig reads them. */
			snprintf(pat, sizeof(pat), "%s%s", s[0] == '/' ? "" : "/etc/", s);
			if (glob(pat, 0, NULL, &g) == 0) {
				for (size_t i = 0; rc == 0 && i < g.gl_pathc; i++)
					rc = lp_ldconf_read(g.gl_pathv[i], dirs, depth + 1);
				globfree(&g);
			}
		} else if (s[0] == '/' && !lp_strvec_has(dirs, s)) {
			rc = lp_strvec_push(dirs, strdup(s));
		}
	}
	fclose(f);
	return rc;
}

static int lp_dirs_add(lp_strvec *dirs, const char *dir)
{
	return lp_strvec_has(dirs, dir) ? 0 : lp_strvec_push(dirs, strdup(dir));
}

/* The trusted directories, in ld.so's order: ld.so.conf, then the defaults. */
static int lp_sysdirs_read(lp_strvec *dirs, int cls, int mach)
{
	const char *ma = lp_multiarch(mach);
	const char *plain[] = { "/lib64", "/usr/lib64", "/lib", "/usr/lib" };
	char buf[PATH_MAX];
	int rc = lp_ldconf_read("/etc/ld.so.conf", dirs, 0);

	if (rc == 0 && ma) {
		snprintf(buf, sizeof(buf), "/lib/%s", ma);
		rc = lp_dirs_add(dirs, buf);
		snprintf(buf, sizeof(buf), "/usr/lib/%s", ma);
		if (rc == 0)
			rc = lp_dirs_add(dirs, buf);
	}
	/* lib64 only for 64-bit objects: a 32-bit libc there would not match anyway. */
	for (size_t i = cls == ELFCLASS64 ? 0 : 2; rc == 0 && i < 4; i++)
		rc = lp_dirs_add(dirs, plain[i]);
	return rc;
}

/* Where ld.so would find NAME, needed by an object with dyn in directory origin. */
static char *lp_needed_find(const char *name, const lp_dynamic *dyn, const char *origin,
			    const lp_strvec *sysdirs)
{
	int cls = dyn->elfclass, mach = dyn->machine;
	char *found = NULL;

	if (strchr(name, '/'))
		return lp_elf_matches(name, cls, mach) ? realpath(name, NULL) : NULL;
	if (dyn->rpath && !dyn->runpath)
		found = lp_dirs_find(dyn->rpath, name, origin, cls, mach);
	if (!found)
		found = lp_dirs_find(getenv("LD_LIBRARY_PATH"), name, origin, cls, mach);
	if (!found && dyn->runpath)
		found = lp_dirs_find(dyn->runpath, name, origin, cls, mach);
	for (size_t i = 0; !found && i < sysdirs->n; i++)
		found = lp_dirs_find(sysdirs->v[i], name, origin, cls, mach);
	return found;
}

/* Adds the libraries object (at real path obj) needs to out, unless seen. */
static int lp_needed_add(const char *obj, lp_strvec *out, lp_strvec *sysdirs)
{
	char origin[PATH_MAX];
	lp_dynamic dyn;
	int rc = 0;

	if (lp_dynamic_read(obj, &dyn) != 0)
		return -1;
	snprintf(origin, sizeof(origin), "%s", obj);
	*strrchr(origin, '/') = '\0';
	if (dyn.needed.n && !sysdirs->n)
		rc = lp_sysdirs_read(sysdirs, dyn.elfclass, dyn.machine);
	for (size_t i = 0; rc == 0 && i < dyn.needed.n && out->n < LP_NEEDED_MAX; i++) {
		char *lib = lp_needed_find(dyn.needed.v[i], &dyn, origin, sysdirs);

		if (lib && lp_strvec_has(out, lib))
			free(lib);
		else if (lib)
			rc = lp_strvec_push(out, lib);
	}
	lp_dynamic_free(&dyn);
	return rc;
}

int lp_needed_resolve(const char *exe, char ***paths, size_t *npaths)
{
	lp_strvec out = { 0 }, sysdirs = { 0 };
	char *real = realpath(exe, NULL);
	int rc = 0;

	*paths = NULL;
	*npaths = 0;
	if (!real)
		return errno == ENOMEM ? -1 : 0;
	elf_version(EV_CURRENT);
	rc = lp_needed_add(real, &out, &sysdirs);
	/* Breadth first, like ld.so's load order: out grows while we walk it. */
	for (size_t i = 0; rc == 0 && i < out.n; i++)
		rc = lp_needed_add(out.v[i], &out, &sysdirs);
	free(real);
	lp_strvec_free(&sysdirs);
	if (rc != 0) {
		lp_strvec_free(&out);
		return -1;
	}
	*paths = out.v;
	*npaths = out.n;
	return 0;
}

void lp_needed_free(char **paths, size_t npaths)
{
	for (size_t i = 0; i < npaths; i++)
		free(paths[i]);
	free(paths);
}
