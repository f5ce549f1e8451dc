/*
 * Symbolization: profile locations to frames through libdwfl.
 *
 * Each module gets its own Dwfl, opened on first use. One Dwfl holding every
 * module at distinct bases would save nothing — lookups always know their
 * module — and would make every module's addresses depend on where the
 * others were placed; one per module keeps Dwfl addresses equal to the
 * ELF's own virtual addresses (plus the bias libdwfl reports, 0 here).
 *
 * Results are cached per (location, is_return): a profile has millions of
 * samples but only thousands of distinct addresses. Every string in a frame
 * is interned in the symtab's string set, so frames stay valid until
 * lp_symtab_free and equal names are equal pointers.
 */
#include <errno.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <dwarf.h>
#include <gelf.h>

#include "dwarf_file.h"
#include "dwarf_index.h"
#include "dwarf_names.h"
#include "elf_file.h"
#include "code.h"
#include "input.h"
#include "symbolize.h"

#define LP_INLINE_MAX 64     /* frames per address: deeper inline chains are cut */
#define LP_SCOPES_MAX 256    /* DIEs from a function down to an address's innermost block */
#define LP_PATH_MAX 4096

/*
 * An ELF file, opened on the first lookup that needs it, shared by every
 * profile module that names it (same device and inode): a profile naming one
 * file through thousands of spellings costs one file's memory, not thousands.
 */
typedef struct lp_symfile {
	dev_t dev;
	ino_t ino;
	lp_dwfile file;
	lp_loadmap map;
	int indexed;         /* the indexes below are built (or were tried) */
	Dwarf_Addr dwbias;   /* Dwfl address = DWARF address + dwbias */
	lp_dieindex units;   /* the file's compile units, by address */
	lp_dieindex funcs;   /* its functions, by address */
	int walked;          /* visited by the current function_span search */
} lp_symfile;

/* A profile module: its file once opened. */
typedef struct lp_symmod {
	int state;           /* 0: not tried yet, 1: open, -1: cannot be opened */
	lp_symfile *f;       /* shared; owned by the symtab's files */
	const char *base;    /* interned basename, for "[base+0xoff]" */
	const char *why;     /* state -1 because the path is refused: what it is; else NULL */
} lp_symmod;

/* A cached lookup; frames == NULL marks an empty slot. */
typedef struct lp_symentry {
	lp_loc loc;
	int is_return;
	int nframes;
	lp_frame *frames;
} lp_symentry;

struct lp_symtab {
	const lp_profile *prof;
	lp_symmod *mods;
	size_t nmods;
	lp_symfile **files;  /* distinct files, by device and inode */
	size_t nfiles;
	lp_strset *strs;
	lp_symentry *cache;
	size_t cache_cap;    /* a power of two */
	size_t cache_count;
	const char *unknown; /* "[unknown]", interned */
	lp_codetab *code;    /* the functions' machine code, made on first use (code.h) */
};

/* Returned when memory runs out: lookups promise at least one frame. */
static const lp_frame lp_frame_nomem = {
	.function = "[out of memory]",
	.module = LP_MODULE_NONE,
};

lp_symtab *lp_symtab_new(const lp_profile *prof, lp_error *err)
{
	lp_symtab *st = calloc(1, sizeof(*st));

	if (!st)
		goto nomem;
	st->prof = prof;
	st->strs = lp_strset_new();
	st->cache_cap = 1024;
	st->cache = calloc(st->cache_cap, sizeof(*st->cache));
	if (!st->strs || !st->cache || !(st->unknown = lp_strset_intern(st->strs, "[unknown]")))
		goto nomem;
	return st;
nomem:
	lp_symtab_free(st);
	lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	return NULL;
}

void lp_symtab_free(lp_symtab *st)
{
	if (!st)
		return;
	/* Before the modules: the code's names are the modules' strings. */
	lp_codetab_free(st->code);
	for (size_t i = 0; i < st->nfiles; i++) {
		lp_dwfile_close(&st->files[i]->file);
		lp_loadmap_free(&st->files[i]->map);
		lp_dieindex_free(&st->files[i]->units);
		lp_dieindex_free(&st->files[i]->funcs);
		free(st->files[i]);
	}
	free(st->files);
	free(st->mods);
	for (size_t i = 0; st->cache && i < st->cache_cap; i++)
		free(st->cache[i].frames);
	free(st->cache);
	lp_strset_free(st->strs);
	free(st);
}

/*
 * Every string a frame carries is shown by some view, and comes from a file
 * anyone may have built: control characters are escaped once, here, as
 * the views show source lines (^[ for ESC, \u009b for a C1 control).
 */
static const char *lp_symtab_intern(lp_symtab *st, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	const char *r;
	char *buf, *o;
	size_t n = 0;

	for (; p && *p; p++)
		if (*p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f))
			break;
	if (!p || !*p)
		return lp_strset_intern(st->strs, s);
	n = strlen(s);
	buf = malloc(3 * n + 1);
	if (!buf)
		return NULL;
	o = buf;
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			*o++ = '^';
			*o++ = *p == 0x7f ? '?' : (char)(*p + '@');
		} else if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			o += sprintf(o, "\\u%04x", p[1]);
			p++;
		} else {
			*o++ = (char)*p;
		}
	}
	*o = '\0';
	r = lp_strset_intern(st->strs, buf);
	free(buf);
	return r;
}

/* A source path from DWARF, absolute and normalised, interned; NULL if none. */
static const char *lp_symtab_path(lp_symtab *st, Dwarf_Die *die, const char *raw)
{
	char buf[LP_PATH_MAX];
	const char *dir;
	size_t len;

	if (!raw)
		return NULL;
	if (raw[0] == '/' && !strstr(raw, "/.") && !strstr(raw, "//"))
		return lp_symtab_intern(st, raw);
	/*
	 * libdw already prefixes names in the compilation directory (entry 0)
	 * with comp_dir, even a relative one ("./stdlib" in Debian's glibc,
	 * built with -ffile-prefix-map); other relative directories it leaves
	 * relative to comp_dir. Join only those. A relative comp_dir stays
	 * relative: nothing in the DWARF says where it was.
	 */
	dir = lp_die_compdir(die);
	len = dir ? strlen(dir) : 0;
	if (raw[0] != '/' && dir && strncmp(raw, dir, len) == 0 && raw[len] == '/')
		dir = NULL;
	return lp_symtab_intern(st, lp_path_normalize(dir, raw, buf, sizeof(buf)));
}

/*
 * The open file at path, shared with any module that named it before; NULL
 * if it cannot be opened as ELF, or is refused (*why: what it is; input.h).
 */
static lp_symfile *lp_symtab_file(lp_symtab *st, const char *path, const char **why)
{
	struct stat sb;
	lp_symfile *f, **files;

	if (lp_input_check(path, &sb, why) != 0)
		return NULL;
	for (size_t i = 0; i < st->nfiles; i++)
		if (st->files[i]->dev == sb.st_dev && st->files[i]->ino == sb.st_ino)
			return st->files[i]->file.elf ? st->files[i] : NULL;
	files = realloc(st->files, (st->nfiles + 1) * sizeof(*files));
	if (!files)
		return NULL;
	st->files = files;
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	st->files[st->nfiles++] = f;
	/* Known by what was opened; a failed open is remembered too, and not retried. */
	f->dev = sb.st_dev;
	f->ino = sb.st_ino;
	if (lp_dwfile_open(&f->file, path) != 0) {
		if (errno == EINVAL && why && !*why)
			*why = "a file that changed while it was opened";
		return NULL;
	}
	f->dev = f->file.dev;
	f->ino = f->file.ino;
	if (lp_loadmap_read(&f->map, f->file.elf) != 0) {
		lp_dwfile_close(&f->file);
		return NULL;
	}
	return f;
}

/*
 * The symtab's state for profile module i, opened if needed; NULL if i is
 * not a module. The profile may have grown since lp_symtab_new.
 */
static lp_symmod *lp_symtab_module(lp_symtab *st, uint32_t i)
{
	lp_symmod *m;

	if (i >= st->prof->nmodules)
		return NULL;
	if (i >= st->nmods) {
		m = realloc(st->mods, st->prof->nmodules * sizeof(*m));
		if (!m)
			return NULL;
		memset(m + st->nmods, 0, (st->prof->nmodules - st->nmods) * sizeof(*m));
		st->mods = m;
		st->nmods = st->prof->nmodules;
	}
	m = &st->mods[i];
	if (m->state == 0) {
		const char *path = st->prof->modules[i].path;
		const char *slash = path ? strrchr(path, '/') : NULL;

		m->base = lp_symtab_intern(st, slash ? slash + 1 : path ? path : "?");
		m->state = -1;
		m->f = path ? lp_symtab_file(st, path, &m->why) : NULL;
		if (m->f)
			m->state = 1;
	}
	return m;
}

int lp_symtab_after_syscall(lp_symtab *st, lp_loc loc)
{
	lp_symmod *m = loc.module == LP_MODULE_NONE ? NULL : lp_symtab_module(st, loc.module);
	GElf_Ehdr eh;
	Elf_Data *d;
	const unsigned char *b;

	if (!m || m->state != 1 || loc.offset < 2 || !gelf_getehdr(m->f->file.elf, &eh) ||
	    eh.e_machine != EM_X86_64)
		return -1;
	/* Read through the ELF already open (mapped): the profile's file offsets are its own. */
	d = elf_getdata_rawchunk(m->f->file.elf, (int64_t)loc.offset - 2, 2, ELF_T_BYTE);
	if (!d || !d->d_buf || d->d_size < 2)
		return -1;
	b = d->d_buf;
	return b[0] == 0x0f && b[1] == 0x05; /* x86-64 syscall */
}

/*
 * A location no symbol covers. In a shared library (libopen-pal.so.40,
 * mca_btl_vader.so: Debian strips them to their exported symbols) every such
 * address is one row, "[libfoo.so]": dozens of raw offsets of one library
 * are one thing to the user, its internals. In an executable, "[base+0xoff]":
 * a stripped program's hottest addresses are all there is to go by.
 */
static const char *lp_symtab_rawname(lp_symtab *st, const lp_symmod *m, lp_loc loc)
{
	char buf[LP_PATH_MAX];

	if (!m || !m->base)
		return st->unknown;
	if (strstr(m->base, ".so"))
		snprintf(buf, sizeof(buf), "[%s]", m->base);
	else
		snprintf(buf, sizeof(buf), "[%s+0x%llx]", m->base, (unsigned long long)loc.offset);
	return lp_symtab_intern(st, buf);
}

static int lp_die_call_line(Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	Dwarf_Word line;

	if (!dwarf_attr(die, DW_AT_call_line, &attr) || dwarf_formudata(&attr, &line) != 0)
		return 0;
	return (int)line;
}

/*
 * The DIEs enclosing pc, innermost first, along the concrete tree, into
 * out[0..LP_SCOPES_MAX). Fast path: the module's function index. Slow path,
 * for code the index misses (DWARF without function ranges, overlapping
 * ranges): dwarf_getscopes, then dwarf_getscopes_die from its innermost DIE
 * — for pc in inlined code dwarf_getscopes continues past the innermost
 * inlined instance into the scopes around its abstract origin (what
 * variable lookup wants), while the chain of callers is the physical nesting.
 */
static int lp_scopes_at(lp_symfile *m, Dwarf_Die *cudie, Dwarf_Addr pc, Dwarf_Die *out)
{
	Dwarf_Die *scopes = NULL, inner;
	int n = lp_dieindex_scopes(&m->funcs, pc, out, LP_SCOPES_MAX);

	if (n > 0)
		return n;
	n = dwarf_getscopes(cudie, pc, &scopes);
	if (n > 0) {
		inner = scopes[0];
		free(scopes);
		scopes = NULL;
		n = dwarf_getscopes_die(&inner, &scopes);
	}
	n = n < 0 ? 0 : n < LP_SCOPES_MAX ? n : LP_SCOPES_MAX;
	if (n > 0)
		memcpy(out, scopes, (size_t)n * sizeof(*out));
	free(scopes);
	return n;
}

/* Fills one frame for function DIE fn, at file:line. */
static void lp_frame_fill(lp_symtab *st, lp_frame *f, Dwarf_Die *fn, const char *file, int line)
{
	int decl_line = 0;

	f->function = lp_symtab_intern(st, lp_die_name(fn));
	f->file = file;
	f->line = file ? line : 0;
	f->decl_file = lp_symtab_path(st, fn, lp_die_decl_file(fn));
	f->decl_line = dwarf_decl_line(fn, &decl_line) == 0 ? decl_line : 0;
	f->inlined = dwarf_tag(fn) == DW_TAG_inlined_subroutine;
}

/* Builds the module's DWARF indexes on first use. */
static void lp_symmod_index(lp_symfile *m)
{
	Dwarf *dw;

	if (m->indexed)
		return;
	m->indexed = 1;
	dw = dwfl_module_getdwarf(m->file.mod, &m->dwbias);
	lp_dieindex_units(&m->units, dw);
	lp_dieindex_functions(&m->funcs, dw);
}

/*
 * The unit DIE holding Dwfl address addr, into *mem; NULL if none. The unit
 * index first: libdwfl's own lookup follows .debug_aranges only, which clang
 * does not emit by default (and failing there was slow); libdwfl second, for
 * units whose DIE has no ranges but which aranges cover.
 */
static Dwarf_Die *lp_symmod_unit(lp_symfile *m, Dwarf_Addr addr, Dwarf_Die *mem,
				 Dwarf_Addr *bias)
{
	const Dwarf_Die *found = lp_dieindex_find(&m->units, addr - m->dwbias);

	if (!found)
		return dwfl_module_addrdie(m->file.mod, addr, bias);
	*mem = *found;
	*bias = m->dwbias;
	return mem;
}

/*
 * The inline chain at Dwfl address addr from DWARF, innermost first: the
 * innermost line from the line table, each caller's line from the call site
 * of the inlined copy it contains. 0 if the address has no function DIE.
 */
static int lp_frames_dwarf(lp_symtab *st, lp_symfile *m, Dwarf_Addr addr, lp_frame *out, int max)
{
	Dwarf_Addr cubias = 0;
	Dwarf_Die cu_mem, *cudie;
	Dwarf_Die scopes[LP_SCOPES_MAX];
	Dwarf_Line *row;
	const char *file = NULL;
	int line = 0, n = 0, nscopes;

	lp_symmod_index(m);
	cudie = lp_symmod_unit(m, addr, &cu_mem, &cubias);
	if (!cudie)
		return 0;
	row = dwarf_getsrc_die(cudie, addr - cubias);
	if (row && dwarf_lineno(row, &line) == 0)
		file = lp_symtab_path(st, cudie, dwarf_linesrc(row, NULL, NULL));
	nscopes = lp_scopes_at(m, cudie, addr - cubias, scopes);
	for (int i = 0; i < nscopes && n < max; i++) {
		int tag = dwarf_tag(&scopes[i]);

		if (tag != DW_TAG_subprogram && tag != DW_TAG_inlined_subroutine)
			continue;
		lp_frame_fill(st, &out[n], &scopes[i], file, line);
		if (!out[n].function)
			break;   /* unnamed: let the ELF symbol name it */
		n++;
		if (tag == DW_TAG_subprogram)
			break;
		file = lp_symtab_path(st, &scopes[i], lp_die_call_file(&scopes[i]));
		line = lp_die_call_line(&scopes[i]);
	}
	/* No named function DIE (assembly with line info): the caller names it
	 * from the ELF symbol table; the line table still gives the line. */
	if (n == 0)
		out[0] = (lp_frame){ .file = file, .line = file ? line : 0 };
	return n;
}

/* An ELF symbol's name as a user knows it: glibc's hidden aliases (__GI_memcpy
 * for memcpy) name the same code, and which alias libdwfl returns varies. */
static const char *lp_symbol_name(const char *name)
{
	return name && strncmp(name, "__GI_", 5) == 0 && name[5] ? name + 5 : name;
}

/* All frames at loc, innermost first, into out[0..max); their number (>= 1). */
static int lp_symtab_resolve(lp_symtab *st, lp_loc loc, int is_return, lp_frame *out, int max)
{
	lp_symmod *m = loc.module == LP_MODULE_NONE ? NULL : lp_symtab_module(st, loc.module);
	uint64_t off = loc.offset - (is_return && loc.offset > 0 ? 1 : 0);
	uint64_t vaddr;
	int n = 0;

	out[0] = (lp_frame){ .function = st->unknown };
	if (loc.module == LP_MODULE_NONE)
		return 1;
	if (!m || m->state != 1 || lp_loadmap_vaddr(&m->f->map, off, &vaddr) != 0) {
		out[0].function = lp_symtab_rawname(st, m, loc);
		return 1;
	}
	vaddr += m->f->file.bias;
	n = lp_frames_dwarf(st, m->f, vaddr, out, max);
	if (n > 0)
		return n;
	out[0].function = lp_symtab_intern(st, lp_symbol_name(dwfl_module_addrname(m->f->file.mod,
										   vaddr)));
	if (!out[0].function)
		out[0].function = lp_symtab_rawname(st, m, loc);
	return 1;
}

static uint64_t lp_loc_hash(lp_loc loc, int is_return)
{
	uint64_t h = loc.offset * 0x9e3779b97f4a7c15ULL;

	h ^= ((uint64_t)loc.module << 1 | (is_return != 0)) * 0xc2b2ae3d27d4eb4fULL;
	return h ^ (h >> 29);
}

/* The cache slot for (loc, is_return): the entry, or the empty slot it would take. */
static lp_symentry *lp_symcache_slot(lp_symentry *cache, size_t cap, lp_loc loc, int is_return)
{
	size_t mask = cap - 1;

	for (size_t i = lp_loc_hash(loc, is_return) & mask;; i = (i + 1) & mask) {
		lp_symentry *e = &cache[i];

		if (!e->frames || (e->loc.module == loc.module && e->loc.offset == loc.offset &&
				   e->is_return == is_return))
			return e;
	}
}

static int lp_symcache_grow(lp_symtab *st)
{
	size_t cap = 2 * st->cache_cap;
	lp_symentry *cache = calloc(cap, sizeof(*cache));

	if (!cache)
		return -1;
	for (size_t i = 0; i < st->cache_cap; i++) {
		lp_symentry *e = &st->cache[i];

		if (e->frames)
			*lp_symcache_slot(cache, cap, e->loc, e->is_return) = *e;
	}
	free(st->cache);
	st->cache = cache;
	st->cache_cap = cap;
	return 0;
}

int lp_symtab_lookup(lp_symtab *st, lp_loc loc, int is_return, const lp_frame **frames)
{
	lp_frame tmp[LP_INLINE_MAX];
	lp_symentry *e;
	int n;

	is_return = is_return != 0;
	e = lp_symcache_slot(st->cache, st->cache_cap, loc, is_return);
	if (e->frames) {
		*frames = e->frames;
		return e->nframes;
	}
	n = lp_symtab_resolve(st, loc, is_return, tmp, LP_INLINE_MAX);
	for (int i = 0; i < n; i++) {
		tmp[i].module = loc.module;
		if (!tmp[i].function)
			tmp[i].function = st->unknown;
	}
	if (2 * (st->cache_count + 1) > st->cache_cap) {
		if (lp_symcache_grow(st) != 0)
			goto nomem;
		e = lp_symcache_slot(st->cache, st->cache_cap, loc, is_return);
	}
	e->frames = malloc((size_t)n * sizeof(*e->frames));
	if (!e->frames)
		goto nomem;
	memcpy(e->frames, tmp, (size_t)n * sizeof(*e->frames));
	e->loc = loc;
	e->is_return = is_return;
	e->nframes = n;
	st->cache_count++;
	*frames = e->frames;
	return n;
nomem:
	*frames = &lp_frame_nomem;
	return 1;
}

/* "2026-11-25 10:31:02" of a mtime in ns, for messages. */
static const char *lp_mtime_text(int64_t ns, char *buf, size_t size)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;

	if (!localtime_r(&t, &tm) || !strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, size, "%lld", (long long)t);
	return buf;
}

/*
 * A file without a build-id is the one profiled if its code hashes the same
 * (a copy elsewhere, with another mtime, is fine); without hashes to compare,
 * if its size is the same.
 */
static int lp_symtab_check_identity(const lp_module *pm, const lp_symmod *m, const struct stat *sb,
				    lp_error *err)
{
	uint64_t hash = lp_elf_code_hash(m->f->file.elf);
	char then[32], now[32];

	if (pm->code_hash && hash ? pm->code_hash == hash : pm->file_size == (uint64_t)sb->st_size)
		return LP_OK;
	return lp_error_set(err, LP_EFAIL,
			    "lineprof: %s has changed since it was profiled (it has no build-id; "
			    "its code differs: %llu bytes modified %s then, %llu bytes modified %s "
			    "now): re-run lineprof on the new binary", pm->path,
			    (unsigned long long)pm->file_size, lp_mtime_text(pm->mtime_ns, then, sizeof(then)),
			    (unsigned long long)sb->st_size,
			    lp_mtime_text((int64_t)sb->st_mtim.tv_sec * 1000000000 + sb->st_mtim.tv_nsec,
					  now, sizeof(now)));
}

int lp_symtab_check_module(lp_symtab *st, uint32_t module, lp_error *err)
{
	const lp_module *pm;
	const unsigned char *id;
	GElf_Addr vaddr;
	char want[2 * LP_BUILD_ID_MAX + 1], have[2 * LP_BUILD_ID_MAX + 1];
	struct stat sb;
	lp_symmod *m;
	int len;

	if (module >= st->prof->nmodules)
		return lp_error_set(err, LP_EFAIL, "lineprof: no module %u in the profile", module);
	pm = &st->prof->modules[module];
	if (stat(pm->path, &sb) != 0 && errno == ENOENT)
		return lp_error_set(err, LP_EFAIL,
				    "lineprof: %s: no such file (the profile was recorded on "
				    "another machine, or the binary was removed)", pm->path);
	m = lp_symtab_module(st, module);
	if (m && m->why)
		return lp_error_set(err, LP_EFAIL, "lineprof: %s is %s, not a regular file: lineprof "
				    "does not read it, and its code shows as raw addresses", pm->path,
				    m->why);
	/* Unreadable or not ELF: nothing to verify; lookups name it [file+0xoff]. */
	if (!m || m->state != 1)
		return LP_OK;
	len = dwfl_module_build_id(m->f->file.mod, &id, &vaddr);
	if (pm->build_id_len == 0 && (pm->file_size || pm->code_hash))
		return lp_symtab_check_identity(pm, m, &sb, err);
	if (pm->build_id_len == 0 || len <= 0)
		return LP_OK;
	if ((size_t)len == pm->build_id_len && memcmp(id, pm->build_id, (size_t)len) == 0)
		return LP_OK;
	return lp_error_set(err, LP_EFAIL,
			    "lineprof: %s has changed since it was profiled (build-id %s != %s): "
			    "re-run lineprof on the new binary", pm->path,
			    lp_buildid_hex(pm->build_id, pm->build_id_len, want, sizeof(want)),
			    lp_buildid_hex(id, (size_t)len, have, sizeof(have)));
}

/* function_span's search: NAME's definition, then the lines of its code. */
typedef struct lp_spanq {
	lp_symtab *st;
	const char *name;
	const char *file;      /* NAME's decl file, interned */
	int first, last;
	int limit;             /* the next function declared in that file: the span ends before it */
	const char *row_raw;   /* the last row file name compared, as libdw gave it */
	int row_match;         /* ... and whether it is NAME's file */
} lp_spanq;

static enum lp_walk lp_span_find(Dwarf_Die *die, Dwarf_Die *cudie, void *arg)
{
	lp_spanq *q = arg;
	const char *name;

	(void)cudie;
	if (dwarf_tag(die) != DW_TAG_subprogram || !lp_die_is_function(die) ||
	    !(name = lp_die_name(die)) || strcmp(name, q->name) != 0)
		return LP_WALK_NEXT;
	q->file = lp_symtab_path(q->st, die, lp_die_decl_file(die));
	if (!q->file || dwarf_decl_line(die, &q->first) != 0)
		return LP_WALK_NEXT;
	q->last = q->first;
	return LP_WALK_STOP;
}

/* die is a copy of the function found (same name, declared at the same place). */
static int lp_span_same(lp_spanq *q, Dwarf_Die *die)
{
	const char *name = lp_die_name(die);
	int line;

	return name && strcmp(name, q->name) == 0 && dwarf_decl_line(die, &line) == 0 &&
	       line == q->first && lp_symtab_path(q->st, die, lp_die_decl_file(die)) == q->file;
}

static int lp_span_row_in_file(lp_spanq *q, Dwarf_Die *cudie, Dwarf_Line *row)
{
	const char *raw = dwarf_linesrc(row, NULL, NULL);

	/* Rows share their file table's strings: compare paths once per file. */
	if (raw != q->row_raw) {
		q->row_raw = raw;
		q->row_match = lp_symtab_path(q->st, cudie, raw) == q->file;
	}
	return q->row_match;
}

/* The first row at or after address lo (rows are sorted by address). */
static size_t lp_rows_lower(Dwarf_Lines *lines, size_t nlines, Dwarf_Addr lo)
{
	size_t l = 0, u = nlines;

	while (l < u) {
		size_t mid = l + (u - l) / 2;
		Dwarf_Addr a = 0;

		dwarf_lineaddr(dwarf_onesrcline(lines, mid), &a);
		if (a < lo)
			l = mid + 1;
		else
			u = mid;
	}
	return l;
}

/* Raises q->last to the rows in own but not in callees that are in NAME's file. */
static void lp_span_rows(lp_spanq *q, Dwarf_Die *cudie, const lp_ranges *own,
			 const lp_ranges *callees)
{
	Dwarf_Lines *lines;
	size_t nlines;

	if (dwarf_getsrclines(cudie, &lines, &nlines) != 0)
		return;
	for (size_t r = 0; r < own->n; r++) {
		for (size_t i = lp_rows_lower(lines, nlines, own->r[r][0]); i < nlines; i++) {
			Dwarf_Line *row = dwarf_onesrcline(lines, i);
			Dwarf_Addr a = 0;
			bool end = false;
			int line = 0;

			dwarf_lineaddr(row, &a);
			if (a >= own->r[r][1])
				break;
			dwarf_lineendsequence(row, &end);
			dwarf_lineno(row, &line);
			if (end || line <= q->last || line >= q->limit || lp_ranges_has(callees, a) ||
			    !lp_span_row_in_file(q, cudie, row))
				continue;
			q->last = line;
		}
	}
}

/*
 * At -O2 the compiler schedules the caller's instructions into an inlined
 * copy's ranges, with the caller's line numbers: those rows are not NAME's.
 * No function body reaches past the next function declared after it.
 */
static enum lp_walk lp_span_limit(Dwarf_Die *die, Dwarf_Die *cudie, void *arg)
{
	lp_spanq *q = arg;
	int line;

	(void)cudie;
	if (dwarf_tag(die) == DW_TAG_subprogram && dwarf_decl_line(die, &line) == 0 &&
	    line > q->first && line < q->limit &&
	    lp_symtab_path(q->st, die, lp_die_decl_file(die)) == q->file)
		q->limit = line;
	return LP_WALK_NEXT;
}

/* Each copy of NAME with code: the rows where it is the innermost function. */
static enum lp_walk lp_span_scan(Dwarf_Die *die, Dwarf_Die *cudie, void *arg)
{
	lp_spanq *q = arg;
	lp_ranges own = { 0 }, callees = { 0 };
	int tag = dwarf_tag(die);

	if ((tag != DW_TAG_subprogram && tag != DW_TAG_inlined_subroutine) ||
	    !lp_die_has_code(die) || !lp_span_same(q, die))
		return LP_WALK_NEXT;
	lp_ranges_add_die(&own, die);
	lp_ranges_add_callees(&callees, die, 0);
	lp_span_rows(q, cudie, &own, &callees);
	free(own.r);
	free(callees.r);
	return LP_WALK_NEXT;   /* copies of NAME may be inlined inside this one */
}

int lp_symtab_function_span(lp_symtab *st, const char *name, const char **file,
			    int *first, int *last)
{
	/* Module 0 is the main executable when the recorder saw the exec. */
	for (size_t i = 0; i < st->nfiles; i++)
		st->files[i]->walked = 0;
	for (uint32_t i = 0; name && i < st->prof->nmodules; i++) {
		lp_symmod *m = lp_symtab_module(st, i);
		lp_spanq q = { .st = st, .name = name, .limit = INT_MAX };
		Dwarf *dw;

		/* One walk per file, however many modules name it. */
		if (!m || m->state != 1 || m->f->walked || !(dw = lp_dwfile_dwarf(&m->f->file)))
			continue;
		m->f->walked = 1;
		if (!lp_dwarf_walk(dw, lp_span_find, &q))
			continue;
		lp_dwarf_walk(dw, lp_span_limit, &q);
		lp_dwarf_walk(dw, lp_span_scan, &q);
		*file = q.file;
		*first = q.first;
		*last = q.last < q.first ? q.first : q.last;
		return 0;
	}
	return -1;
}

int lp_symtab_module_code(lp_symtab *st, uint32_t module, struct lp_dwfile **file,
			  const struct lp_loadmap **map, const struct lp_dieindex **funcs,
			  uint64_t *dwbias)
{
	lp_symmod *m = module == LP_MODULE_NONE ? NULL : lp_symtab_module(st, module);

	if (!m || m->state != 1)
		return -1;
	lp_symmod_index(m->f);
	*file = &m->f->file;
	*map = &m->f->map;
	*funcs = &m->f->funcs;
	*dwbias = m->f->dwbias;
	return 0;
}

lp_codetab *lp_symtab_codetab(lp_symtab *st)
{
	if (!st->code)
		st->code = lp_codetab_new(st);
	return st->code;
}
