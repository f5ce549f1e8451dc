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
#include "fnindex.h"
#include "input.h"
#include "symbolize.h"

#define LP_INLINE_MAX 64     /* frames per address: deeper inline chains are cut */
#define LP_SCOPES_MAX 256    /* DIEs from a function down to an address's innermost block */
#define LP_PATH_MAX 4096

/*
 * An ELF file, opened on the first lookup that needs it, shared by every
 * module that names it (same device and inode): a profile naming one file
 * through thousands of spellings costs one file's memory, not thousands.
 */
typedef struct lp_symfile {
	dev_t dev;
	ino_t ino;
	lp_dwfile file;
	lp_loadmap map;
	int indexed;         /* the indexes below are built (or were tried) */
	Dwarf_Addr dwbias;   /* Dwfl address = DWARF address + dwbias */
	lp_dieindex units;   /* the file's compile units, by address */
	lp_fnindex *fns;     /* its functions; their DIEs by address */
} lp_symfile;

/* A profile module (or an added file): its file once opened. */
typedef struct lp_symmod {
	int state;           /* 0: not tried yet, 1: open, -1: cannot be opened */
	const char *path;    /* the file (interned) */
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
	lp_profile *owned;   /* prof, when the symtab was given it (lp_symtab_own) */
	lp_symmod *mods;
	size_t nmods;
	lp_symmod *extra;    /* lp_symtab_add_file's files */
	size_t nextra;
	lp_symfile **files;  /* distinct files, by device and inode */
	size_t nfiles;
	lp_strset *strs;
	lp_symentry *cache;
	size_t cache_cap;    /* a power of two */
	size_t cache_count;
	lp_func_desc **descs; /* open addressing by id */
	size_t desc_cap, desc_count;
	const char *unknown; /* "[unknown]", interned */
	lp_codetab *code;    /* the functions' machine code, made on first use (code.h) */
};

/* Returned when memory runs out: lookups promise at least one frame. */
static const lp_func_desc lp_desc_nomem = {
	.id = { LP_MODULE_NONE, 1 },
	.name = "[out of memory]",
	.module_name = "?",
	.addr = UINT64_MAX,
	.owner = &lp_desc_nomem,
};
static const lp_frame lp_frame_nomem = {
	.fn = &lp_desc_nomem,
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
	st->desc_cap = 256;
	st->descs = calloc(st->desc_cap, sizeof(*st->descs));
	if (!st->strs || !st->cache || !st->descs ||
	    !(st->unknown = lp_strset_intern(st->strs, "[unknown]")))
		goto nomem;
	return st;
nomem:
	lp_symtab_free(st);
	lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	return NULL;
}

static void lp_symfile_close(lp_symfile *f)
{
	lp_fnindex_free(f->fns);
	lp_dwfile_close(&f->file);
	lp_loadmap_free(&f->map);
	lp_dieindex_free(&f->units);
	free(f);
}

void lp_symtab_free(lp_symtab *st)
{
	if (!st)
		return;
	/* Before the modules: the code's names are the modules' strings. */
	lp_codetab_free(st->code);
	for (size_t i = 0; i < st->nfiles; i++)
		lp_symfile_close(st->files[i]);
	free(st->files);
	free(st->mods);
	free(st->extra);
	for (size_t i = 0; st->cache && i < st->cache_cap; i++)
		free(st->cache[i].frames);
	free(st->cache);
	for (size_t i = 0; st->descs && i < st->desc_cap; i++)
		free(st->descs[i]);
	free(st->descs);
	lp_strset_free(st->strs);
	lp_profile_free(st->owned);
	free(st);
}

void lp_symtab_own(lp_symtab *st, lp_profile *prof)
{
	st->owned = prof;
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
	dir = die ? lp_die_compdir(die) : NULL;
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

static void lp_symmod_open(lp_symtab *st, lp_symmod *m, const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	m->path = lp_symtab_intern(st, path);
	m->base = lp_symtab_intern(st, slash ? slash + 1 : path ? path : "?");
	m->state = -1;
	m->f = path ? lp_symtab_file(st, path, &m->why) : NULL;
	if (m->f)
		m->state = 1;
}

/*
 * The symtab's state for module i (a profile module, or an added file from
 * LP_SYMTAB_EXTRA up), opened if needed; NULL if i is neither. The profile
 * may have grown since lp_symtab_new.
 */
static lp_symmod *lp_symtab_module(lp_symtab *st, uint32_t i)
{
	lp_symmod *m;

	if (i >= LP_SYMTAB_EXTRA)
		return i - LP_SYMTAB_EXTRA < st->nextra ? &st->extra[i - LP_SYMTAB_EXTRA] : NULL;
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
	if (m->state == 0)
		lp_symmod_open(st, m, st->prof->modules[i].path);
	return m;
}

int lp_symtab_add_file(lp_symtab *st, const char *path)
{
	lp_symmod *m = realloc(st->extra, (st->nextra + 1) * sizeof(*m));

	if (!m)
		return -1;
	st->extra = m;
	m = &st->extra[st->nextra];
	memset(m, 0, sizeof(*m));
	lp_symmod_open(st, m, path);
	if (m->state != 1)
		return -1;
	st->nextra++;
	return 0;
}

size_t lp_symtab_unread(lp_symtab *st, char *buf, size_t size)
{
	size_t n = 0, len = 0;

	if (size)
		buf[0] = '\0';
	for (uint32_t i = 0; i < st->prof->nmodules; i++) {
		const char *path = st->prof->modules[i].path;
		lp_symmod *m;

		/* [vdso] and the like are no files; a file is named by its path. */
		if (!path || path[0] != '/' || !(m = lp_symtab_module(st, i)) || m->state == 1)
			continue;
		if (len < size)
			len += (size_t)snprintf(buf + len, size - len, "%s%s", n ? ", " : "", m->base);
		n++;
	}
	return n;
}

/* ---- function descriptions, one per id ---- */

static uint64_t lp_id_hash(lp_func_id id)
{
	uint64_t h = id.key * 0x9e3779b97f4a7c15ULL ^ (uint64_t)id.module * 0xc2b2ae3d27d4eb4fULL;

	return h ^ (h >> 31);
}

static lp_func_desc **lp_desc_slot(lp_func_desc **descs, size_t cap, lp_func_id id)
{
	size_t mask = cap - 1;

	for (size_t i = lp_id_hash(id) & mask;; i = (i + 1) & mask)
		if (!descs[i] || lp_func_id_eq(descs[i]->id, id))
			return &descs[i];
}

const lp_func_desc *lp_symtab_desc(lp_symtab *st, lp_func_id id)
{
	return *lp_desc_slot(st->descs, st->desc_cap, id);
}

/* A new desc for id with name, added to the table; NULL when out of memory. */
static lp_func_desc *lp_desc_add(lp_symtab *st, lp_func_id id, const char *name,
				 const char *module_name)
{
	lp_func_desc *d, **slot;

	if (2 * (st->desc_count + 1) > st->desc_cap) {
		size_t cap = 2 * st->desc_cap;
		lp_func_desc **descs = calloc(cap, sizeof(*descs));

		if (!descs)
			return NULL;
		for (size_t i = 0; i < st->desc_cap; i++)
			if (st->descs[i])
				*lp_desc_slot(descs, cap, st->descs[i]->id) = st->descs[i];
		free(st->descs);
		st->descs = descs;
		st->desc_cap = cap;
	}
	d = calloc(1, sizeof(*d));
	if (!d || !name) {
		free(d);
		return NULL;
	}
	d->id = id;
	d->name = name;
	d->module_name = module_name ? module_name : "?";
	d->addr = UINT64_MAX;
	d->owner = d;
	slot = lp_desc_slot(st->descs, st->desc_cap, id);
	*slot = d;
	st->desc_count++;
	return d;
}

/* The desc of an indexed function of module mi; NULL if it has no name (or memory ran out). */
static const lp_func_desc *lp_desc_of(lp_symtab *st, uint32_t mi, lp_symmod *m, lp_fn *fn)
{
	lp_func_id id = { mi, fn->key };
	const lp_func_desc *have = lp_symtab_desc(st, id);
	const char *name;
	lp_func_desc *d;

	if (have)
		return have;
	name = lp_fnindex_name(m->f->fns, fn);
	if (!name || !(d = lp_desc_add(st, id, lp_symtab_intern(st, name), m->base)))
		return NULL;
	d->linkage = lp_symtab_intern(st, fn->linkage);
	if (fn->has_die) {
		d->decl_file = lp_symtab_path(st, &fn->die, fn->decl_file);
		d->decl_line = d->decl_file ? fn->decl_line : 0;
	}
	d->addr = fn->entry == UINT64_MAX ? UINT64_MAX : fn->entry - m->f->file.bias;
	if (fn->outlined && fn->owner != fn->key) {
		lp_fn *o = lp_fnindex_get(m->f->fns, fn->owner);
		const lp_func_desc *od = o ? lp_desc_of(st, mi, m, o) : NULL;

		if (od) {
			d->owner = od;
			d->region_file = lp_symtab_path(st, fn->region_cu, fn->region_file);
			d->region_line = d->region_file ? fn->region_line : 0;
		}
	}
	return d;
}

/* A desc made from a DIE the index does not hold (a unit it skipped): by its own attributes. */
static const lp_func_desc *lp_desc_of_die(lp_symtab *st, uint32_t mi, lp_symmod *m, uint64_t key,
					  Dwarf_Die *die)
{
	lp_func_id id = { mi, key };
	const lp_func_desc *have = lp_symtab_desc(st, id);
	lp_func_desc *d;
	int line = 0;

	if (have)
		return have;
	if (!lp_die_name(die) ||
	    !(d = lp_desc_add(st, id, lp_symtab_intern(st, lp_die_name(die)), m->base)))
		return NULL;
	d->linkage = lp_symtab_intern(st, lp_die_linkage_name(die));
	d->decl_file = lp_symtab_path(st, die, lp_die_decl_file(die));
	d->decl_line = d->decl_file && dwarf_decl_line(die, &line) == 0 ? line : 0;
	return d;
}

/* The desc of a named pseudo-function: "[unknown]", "[base+0xoff]". */
static const lp_func_desc *lp_desc_raw(lp_symtab *st, lp_func_id id, const char *name,
				       const char *module_name)
{
	const lp_func_desc *have = lp_symtab_desc(st, id);
	const lp_func_desc *d = have ? have : lp_desc_add(st, id, name, module_name);

	return d ? d : &lp_desc_nomem;
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
 * address is one function, "[libfoo.so]": dozens of raw offsets of one
 * library are one thing to the user, its internals. In an executable, each
 * address is its own, "[base+0xoff]": a stripped program's hottest addresses
 * are all there is to go by.
 */
static const lp_func_desc *lp_desc_rawloc(lp_symtab *st, uint32_t mi, const lp_symmod *m,
					  lp_loc loc)
{
	char buf[LP_PATH_MAX];

	if (!m || !m->base)
		return lp_desc_raw(st, (lp_func_id){ LP_MODULE_NONE, 0 }, st->unknown, "?");
	if (strstr(m->base, ".so")) {
		snprintf(buf, sizeof(buf), "[%s]", m->base);
		return lp_desc_raw(st, (lp_func_id){ mi, LP_KEY_RAW }, lp_symtab_intern(st, buf), m->base);
	}
	snprintf(buf, sizeof(buf), "[%s+0x%llx]", m->base, (unsigned long long)loc.offset);
	return lp_desc_raw(st, (lp_func_id){ mi, LP_KEY_RAW | (loc.offset & ~(3ULL << 62)) },
			   lp_symtab_intern(st, buf), m->base);
}

static int lp_die_call_line(Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	Dwarf_Word line;

	if (!dwarf_attr(die, DW_AT_call_line, &attr) || dwarf_formudata(&attr, &line) != 0)
		return 0;
	return (int)line;
}

/* Builds the module's indexes on first use: its units, its functions. */
static void lp_symmod_index(lp_symmod *m)
{
	Dwarf *dw;

	if (m->f->indexed || m->state != 1)
		return;
	m->f->indexed = 1;
	dw = dwfl_module_getdwarf(m->f->file.mod, &m->f->dwbias);
	lp_dieindex_units(&m->f->units, dw);
	m->f->fns = lp_fnindex_build(&m->f->file);
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
static int lp_scopes_at(lp_symmod *m, Dwarf_Die *cudie, Dwarf_Addr pc, Dwarf_Die *out)
{
	Dwarf_Die *scopes = NULL, inner;
	int n = m->f->fns ? lp_dieindex_scopes(lp_fnindex_dies(m->f->fns), pc, out, LP_SCOPES_MAX) : 0;

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

/* The function DIE die is a copy of; NULL if it has no name (the ELF symbol names it). */
static const lp_func_desc *lp_desc_at_die(lp_symtab *st, uint32_t mi, lp_symmod *m, Dwarf_Die *die)
{
	uint64_t key;
	lp_fn *fn;

	if (!m->f->fns)
		return NULL;
	key = lp_fnindex_die_key(m->f->fns, die, NULL);
	fn = lp_fnindex_get(m->f->fns, key);
	return fn ? lp_desc_of(st, mi, m, fn) : lp_desc_of_die(st, mi, m, key, die);
}

/* Fills one frame for function fn, at file:line. */
static void lp_frame_fill(lp_frame *f, const lp_func_desc *fn, const char *file, int line,
			  int inlined)
{
	f->fn = fn;
	f->function = fn->name;
	f->file = file;
	f->line = file ? line : 0;
	f->decl_file = fn->decl_file;
	f->decl_line = fn->decl_line;
	f->inlined = inlined;
}

/*
 * The unit DIE holding Dwfl address addr, into *mem; NULL if none. The unit
 * index first: libdwfl's own lookup follows .debug_aranges only, which clang
 * does not emit by default (and failing there was slow); libdwfl second, for
 * units whose DIE has no ranges but which aranges cover.
 */
static Dwarf_Die *lp_symmod_unit(lp_symmod *m, Dwarf_Addr addr, Dwarf_Die *mem,
				 Dwarf_Addr *bias)
{
	const Dwarf_Die *found = lp_dieindex_find(&m->f->units, addr - m->f->dwbias);

	if (!found)
		return dwfl_module_addrdie(m->f->file.mod, addr, bias);
	*mem = *found;
	*bias = m->f->dwbias;
	return mem;
}

/*
 * The inline chain at Dwfl address addr from DWARF, innermost first: the
 * innermost line from the line table, each caller's line from the call site
 * of the inlined copy it contains. 0 if the address has no function DIE
 * (out[0] then holds the line, if any).
 */
static int lp_frames_dwarf(lp_symtab *st, uint32_t mi, lp_symmod *m, Dwarf_Addr addr,
			   lp_frame *out, int max)
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
		const lp_func_desc *fn;

		if (tag != DW_TAG_subprogram && tag != DW_TAG_inlined_subroutine)
			continue;
		fn = lp_desc_at_die(st, mi, m, &scopes[i]);
		if (!fn)
			break;   /* unnamed: let the ELF symbol name it */
		lp_frame_fill(&out[n++], fn, file, line, tag == DW_TAG_inlined_subroutine);
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

/* All frames at loc, innermost first, into out[0..max); their number (>= 1). */
static int lp_symtab_frames(lp_symtab *st, lp_loc loc, int is_return, lp_frame *out, int max)
{
	lp_symmod *m = loc.module == LP_MODULE_NONE ? NULL : lp_symtab_module(st, loc.module);
	uint64_t off = loc.offset - (is_return && loc.offset > 0 ? 1 : 0);
	const lp_func_desc *fn = NULL;
	lp_fn *sym;
	uint64_t vaddr;
	int n = 0;

	out[0] = (lp_frame){ 0 };
	if (loc.module == LP_MODULE_NONE) {
		lp_frame_fill(&out[0], lp_desc_rawloc(st, loc.module, NULL, loc), NULL, 0, 0);
		return 1;
	}
	if (!m || m->state != 1 || lp_loadmap_vaddr(&m->f->map, off, &vaddr) != 0) {
		lp_frame_fill(&out[0], lp_desc_rawloc(st, loc.module, m, loc), NULL, 0, 0);
		return 1;
	}
	vaddr += m->f->file.bias;
	n = lp_frames_dwarf(st, loc.module, m, vaddr, out, max);
	if (n > 0)
		return n;
	/* The ELF symbol (or PLT stub), keeping the line the line table may still give. */
	sym = m->f->fns ? lp_fnindex_symbol_at(m->f->fns, vaddr) : NULL;
	if (sym)
		fn = lp_desc_of(st, loc.module, m, sym);
	if (!fn)
		fn = lp_desc_rawloc(st, loc.module, m, loc);
	lp_frame_fill(&out[0], fn, out[0].file, out[0].line, 0);
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
	n = lp_symtab_frames(st, loc, is_return, tmp, LP_INLINE_MAX);
	for (int i = 0; i < n; i++)
		tmp[i].module = loc.module;
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

/* function_span's search: the lines of function key's code. */
typedef struct lp_spanq {
	lp_symtab *st;
	lp_fnindex *ix;
	uint64_t key;
	const char *file;      /* the function's decl file (or its region's), interned */
	int first, last;
	int limit;             /* the next function declared in that file: the span ends before it */
	const char *row_raw;   /* the last row file name compared, as libdw gave it */
	int row_match;         /* ... and whether it is the function's file */
} lp_spanq;

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

/* Raises q->last to the rows in own but not in callees that are in the function's file. */
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
 * copy's ranges, with the caller's line numbers: those rows are not the
 * function's. No function body reaches past the next function declared
 * after it.
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

/* Each copy of the function with code: the rows where it is the innermost function. */
static enum lp_walk lp_span_scan(Dwarf_Die *die, Dwarf_Die *cudie, void *arg)
{
	lp_spanq *q = arg;
	lp_ranges own = { 0 }, callees = { 0 };
	int tag = dwarf_tag(die);

	if ((tag != DW_TAG_subprogram && tag != DW_TAG_inlined_subroutine) ||
	    !lp_die_has_code(die) || lp_fnindex_die_key(q->ix, die, NULL) != q->key)
		return LP_WALK_NEXT;
	lp_ranges_add_die(&own, die);
	lp_ranges_add_callees(&callees, die, 0);
	lp_span_rows(q, cudie, &own, &callees);
	free(own.r);
	free(callees.r);
	return LP_WALK_NEXT;   /* copies of the function may be inlined inside this one */
}

int lp_symtab_function_span(lp_symtab *st, lp_func_id id, const char **file, int *first,
			    int *last)
{
	lp_symmod *m = lp_symtab_module(st, id.module);
	lp_spanq q = { .st = st, .key = id.key, .limit = INT_MAX };
	const lp_func_desc *d;
	Dwarf *dw;
	lp_fn *fn;

	if (!m || m->state != 1 || LP_KEY_KIND(id.key) == LP_KEY_SYMBOL ||
	    LP_KEY_KIND(id.key) == LP_KEY_RAW)
		return -1;
	lp_symmod_index(m);
	if (!m->f->fns || !(dw = lp_fnindex_dwarf(m->f->fns)) || !(fn = lp_fnindex_get(m->f->fns, id.key)) ||
	    !(d = lp_desc_of(st, id.module, m, fn)))
		return -1;
	q.ix = m->f->fns;
	q.file = d->decl_file;
	q.first = d->decl_line;
	/* Outlined code has no declaration of its own: it starts where its region is. */
	if (d->owner != d && d->region_line) {
		q.file = d->region_file;
		q.first = d->region_line;
	}
	if (!q.file || q.first <= 0)
		return -1;
	q.last = q.first;
	lp_dwarf_walk(dw, lp_span_limit, &q);
	lp_dwarf_walk(dw, lp_span_scan, &q);
	*file = q.file;
	*first = q.first;
	*last = q.last < q.first ? q.first : q.last;
	return 0;
}

lp_fnindex *lp_symtab_fnindex(lp_symtab *st, uint32_t module)
{
	lp_symmod *m = lp_symtab_module(st, module);

	if (!m || m->state != 1)
		return NULL;
	lp_symmod_index(m);
	return m->f->fns;
}

lp_dwfile *lp_symtab_dwfile(lp_symtab *st, uint32_t module)
{
	lp_symmod *m = lp_symtab_module(st, module);

	return m && m->state == 1 ? &m->f->file : NULL;
}

/* ---- -f: functions and files by what users type ---- */

/* Every module resolution searches: the profile's, else the added files. */
static int lp_module_ids(lp_symtab *st, int extra, uint32_t *ids, size_t max)
{
	size_t n = 0;

	if (!extra)
		for (uint32_t i = 0; i < st->prof->nmodules && n < max; i++)
			ids[n++] = i;
	else
		for (size_t i = 0; i < st->nextra && n < max; i++)
			ids[n++] = LP_SYMTAB_EXTRA + (uint32_t)i;
	return (int)n;
}

typedef struct lp_found {
	const lp_func_desc **v;
	size_t n, cap;
	int oom;
} lp_found;

static void lp_found_add(lp_found *f, const lp_func_desc *d)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->v[i] == d)
			return;
	if (f->n == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 16;
		const lp_func_desc **v = realloc(f->v, cap * sizeof(*v));

		if (!v) {
			f->oom = 1;
			return;
		}
		f->v = v;
		f->cap = cap;
	}
	f->v[f->n++] = d;
}

static int lp_alias_is(lp_fnindex *ix, lp_fn *fn, const char *text)
{
	const char *const *aliases;
	int n = lp_fnindex_aliases(ix, fn, &aliases);

	for (int i = 0; i < n; i++)
		if (strcmp(aliases[i], text) == 0)
			return 1;
	return 0;
}

/* One module's matches in mode, or its names offered to closest. */
static void lp_resolve_module(lp_symtab *st, uint32_t mi, const lp_fnpat *p,
			      enum lp_match_mode mode, lp_found *found, lp_closest *closest)
{
	lp_symmod *m = lp_symtab_module(st, mi);

	if (!m || m->state != 1)
		return;
	lp_symmod_index(m);
	for (size_t i = 0; m->f->fns && i < lp_fnindex_count(m->f->fns); i++) {
		lp_fn *fn = lp_fnindex_at(m->f->fns, i);
		const lp_func_desc *d;
		lp_fncand c;

		/* Names are made lazily: most functions fail on their plain name alone. */
		if (mode == LP_MATCH_EXACT && !closest && !fn->rust &&
		    !(fn->linkage && strcmp(fn->linkage, p->text) == 0) &&
		    !lp_fnpat_maybe(p, fn->base, fn->has_die, fn->fortran) &&
		    !lp_alias_is(m->f->fns, fn, p->text))
			continue;
		lp_fnindex_cand(m->f->fns, fn, &c);
		c.module = m->base;
		if (closest) {
			lp_closest_offer(closest, c.name);
			continue;
		}
		if (!c.name || !lp_fnpat_match(p, &c, mode))
			continue;
		if ((d = lp_desc_of(st, mi, m, fn)) != NULL)
			lp_found_add(found, d);
		else
			found->oom = 1;
	}
}

static int lp_cmp_desc(const void *pa, const void *pb)
{
	const lp_func_desc *a = *(const lp_func_desc *const *)pa;
	const lp_func_desc *b = *(const lp_func_desc *const *)pb;

	if (a->id.module != b->id.module)
		return a->id.module < b->id.module ? -1 : 1;
	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	return a->id.key < b->id.key ? -1 : a->id.key > b->id.key;
}

int lp_symtab_resolve(lp_symtab *st, const lp_fnpat *p, const lp_func_desc ***fns,
		      lp_closest *closest)
{
	uint32_t ids[4096];
	lp_found found = { 0 };

	*fns = NULL;
	if (p->region)
		return 0;
	for (int extra = 0; extra < 2 && found.n == 0; extra++) {
		int n = lp_module_ids(st, extra, ids, sizeof(ids) / sizeof(ids[0]));

		for (int mode = LP_MATCH_EXACT; mode <= LP_MATCH_GLOB && found.n == 0; mode++)
			for (int i = 0; i < n; i++)
				lp_resolve_module(st, ids[i], p, (enum lp_match_mode)mode, &found, NULL);
	}
	if (found.oom) {
		free(found.v);
		return -1;
	}
	if (found.n == 0 && closest) {
		for (int extra = 0; extra < 2; extra++) {
			int n = lp_module_ids(st, extra, ids, sizeof(ids) / sizeof(ids[0]));

			for (int i = 0; i < n; i++)
				lp_resolve_module(st, ids[i], p, LP_MATCH_EXACT, &found, closest);
		}
	}
	if (found.n > 1)
		qsort(found.v, found.n, sizeof(*found.v), lp_cmp_desc);
	*fns = found.v;
	return (int)found.n;
}

typedef struct lp_fileq {
	lp_symtab *st;
	const lp_fnpat *p;
	const char *found;
	lp_closest *closest;
	const char *last_raw;
} lp_fileq;

static void lp_file_visit(Dwarf_Die *cu, const char *raw, void *arg)
{
	lp_fileq *q = arg;
	const char *path;
	char buf[LP_PATH_MAX];

	if (q->found || raw == q->last_raw)
		return;
	q->last_raw = raw;
	path = lp_symtab_path(q->st, cu, raw);
	if (!path)
		return;
	if (lp_fnpat_file(q->p, path)) {
		q->found = path;
		return;
	}
	/* Suggested as typed would work: the file's name with the lines asked for. */
	if (q->closest && strrchr(path, '/')) {
		if (q->p->first == q->p->last)
			snprintf(buf, sizeof(buf), "%s:%d", strrchr(path, '/') + 1, q->p->first);
		else
			snprintf(buf, sizeof(buf), "%s:%d-%d", strrchr(path, '/') + 1, q->p->first,
				 q->p->last);
		lp_closest_offer(q->closest, buf);
	}
}

const char *lp_symtab_resolve_file(lp_symtab *st, const lp_fnpat *p, lp_closest *closest)
{
	uint32_t ids[4096];
	lp_fileq q = { .st = st, .p = p };

	if (!p->region)
		return NULL;
	for (int pass = 0; pass < 2 && !q.found; pass++) {
		q.closest = pass ? closest : NULL;
		for (int extra = 0; extra < 2 && !q.found; extra++) {
			int n = lp_module_ids(st, extra, ids, sizeof(ids) / sizeof(ids[0]));

			for (int i = 0; i < n && !q.found; i++) {
				lp_symmod *m = lp_symtab_module(st, ids[i]);

				if (!m || m->state != 1)
					continue;
				lp_symmod_index(m);
				if (m->f->fns)
					lp_fnindex_files(m->f->fns, lp_file_visit, &q);
			}
		}
		if (!closest)
			break;
	}
	return q.found;
}


int lp_symtab_module_code(lp_symtab *st, uint32_t module, struct lp_dwfile **file,
			  const struct lp_loadmap **map, const struct lp_dieindex **funcs,
			  uint64_t *dwbias)
{
	lp_symmod *m = module == LP_MODULE_NONE ? NULL : lp_symtab_module(st, module);

	if (!m || m->state != 1)
		return -1;
	lp_symmod_index(m);
	if (!m->f->fns)
		return -1;
	*file = &m->f->file;
	*map = &m->f->map;
	*funcs = lp_fnindex_dies(m->f->fns);
	*dwbias = m->f->dwbias;
	return 0;
}

lp_codetab *lp_symtab_codetab(lp_symtab *st)
{
	if (!st->code)
		st->code = lp_codetab_new(st);
	return st->code;
}
