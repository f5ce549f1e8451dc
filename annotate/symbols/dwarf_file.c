/*
 * Opening files with libdwfl, offline, and walking their DWARF.
 *
 * Debug info is looked up on this machine only. dwfl_standard_find_debuginfo
 * searches by build-id (/usr/lib/debug/.build-id), then by .gnu_debuglink
 * (next to the file, .debug/, /usr/lib/debug/<dir>), then asks debuginfod —
 * which, when DEBUGINFOD_URLS is set (Debian's libdebuginfod-common sets it
 * in login shells), means downloading hundreds of megabytes in the middle of
 * a report; and even when it is unset, elfutils 0.188 dlopens libdebuginfod
 * with libcurl, GnuTLS, Kerberos and LDAP behind it (about 25 libraries,
 * 5 ms and 8 MB of every run on a stripped binary) only to find nothing to
 * do. So the callback below never takes the standard search: the build-id
 * search (which never leaves the disk), then a .gnu_debuglink search of its
 * own in the same three places.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dwarf.h>
#include <elfutils/libdwelf.h>

#include "dwarf_file.h"
#include "input.h"

#define LP_WALK_DEPTH 256   /* DIE nesting: far deeper than any compiler emits */

/*
 * A debug file candidate is the right one if its build-id equals the main
 * file's. Without build-ids libdwfl would compare the link's CRC; here such
 * files are simply taken (old toolchains only: every gcc/ld of the last
 * decade writes a build-id).
 */
static int lp_debugfile_matches(int fd, const void *id, ssize_t idlen)
{
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	const void *cand = NULL;
	ssize_t len = elf ? dwelf_elf_gnu_build_id(elf, &cand) : -1;
	int ok = elf && (idlen <= 0 || (len == idlen && memcmp(cand, id, (size_t)len) == 0));

	elf_end(elf);
	return ok;
}

/* .gnu_debuglink next to the file, in .debug/ there, or under /usr/lib/debug; fd or -1. */
static int lp_find_debuglink(Dwfl_Module *mod, const char *file_name, const char *link,
			     char **found)
{
	const unsigned char *id = NULL;
	GElf_Addr vaddr;
	int idlen = dwfl_module_build_id(mod, &id, &vaddr);
	const char *slash = file_name ? strrchr(file_name, '/') : NULL;
	const char *dir = slash ? file_name : ".";
	int dirlen = slash ? (int)(slash - file_name) : 1;
	const char *fmt[] = { "%.*s/%s", "%.*s/.debug/%s", "/usr/lib/debug%.*s/%s" };
	char path[PATH_MAX];

	/* A link with a '/' is a dwz .gnu_debugaltlink: build-id lookup's job. */
	if (!link || !file_name || strchr(link, '/'))
		return -1;
	for (size_t i = 0; i < sizeof(fmt) / sizeof(fmt[0]); i++) {
		int fd;

		snprintf(path, sizeof(path), fmt[i], dirlen, dir, link);
		/* Never the file itself: a link naming its own file is no separate debug file. */
		if (strcmp(path, file_name) == 0 || (fd = lp_input_open(path, NULL, NULL)) < 0)
			continue;
		if (lp_debugfile_matches(fd, id, idlen)) {
			*found = strdup(path);
			return fd;
		}
		close(fd);
	}
	return -1;
}

static int lp_find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
			     Dwarf_Addr base, const char *file_name,
			     const char *debuglink_file, GElf_Word debuglink_crc,
			     char **debuginfo_file_name)
{
	int fd = dwfl_build_id_find_debuginfo(mod, userdata, modname, base, file_name,
					      debuglink_file, debuglink_crc,
					      debuginfo_file_name);

	if (fd < 0)
		fd = lp_find_debuglink(mod, file_name, debuglink_file, debuginfo_file_name);
	return fd;
}

/*
 * find_elf is never asked for the main file (we report it by path); libdwfl
 * would only use it for files it has to find by build-id itself.
 */
static const Dwfl_Callbacks lp_dwfl_callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = lp_find_debuginfo,
	.section_address = dwfl_offline_section_address,
	.debuginfo_path = NULL,   /* the default ":.debug:/usr/lib/debug" */
};

const Dwfl_Callbacks *lp_dwfile_callbacks(void)
{
	return &lp_dwfl_callbacks;
}

int lp_dwfile_open(lp_dwfile *f, const char *path)
{
	const char *base = strrchr(path, '/');
	struct stat st;
	int fd;

	*f = (lp_dwfile){ 0 };
	/* Opened by us, not by libdwfl: a regular file only, never a FIFO or /proc (input.h). */
	fd = lp_input_open(path, &st, NULL);
	if (fd < 0)
		return -1;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->dwfl = dwfl_begin(&lp_dwfl_callbacks);
	if (!f->dwfl) {
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	dwfl_report_begin(f->dwfl);
	/* base 0, add_p_vaddr: an ET_DYN file keeps its own addresses (bias 0). On success the module owns fd. */
	f->mod = dwfl_report_elf(f->dwfl, base ? base + 1 : path, path, fd, 0, true);
	if (!f->mod)
		close(fd);
	dwfl_report_end(f->dwfl, NULL, NULL);
	if (f->mod)
		f->elf = dwfl_module_getelf(f->mod, &f->bias);
	if (!f->elf) {
		lp_dwfile_close(f);
		errno = ENOEXEC;
		return -1;
	}
	return 0;
}

void lp_dwfile_close(lp_dwfile *f)
{
	if (f->dwfl)
		dwfl_end(f->dwfl);
	*f = (lp_dwfile){ 0 };
}

Dwarf *lp_dwfile_dwarf(lp_dwfile *f)
{
	Dwarf_Addr bias;

	return f->mod ? dwfl_module_getdwarf(f->mod, &bias) : NULL;
}

/* Tags whose children may include functions (or the scopes of inlined code). */
static int lp_die_is_container(Dwarf_Die *die)
{
	switch (dwarf_tag(die)) {
	case DW_TAG_namespace:
	case DW_TAG_module:
	case DW_TAG_class_type:
	case DW_TAG_structure_type:
	case DW_TAG_union_type:
	case DW_TAG_interface_type:
	case DW_TAG_subprogram:
	case DW_TAG_lexical_block:
	case DW_TAG_inlined_subroutine:
	case DW_TAG_try_block:
	case DW_TAG_catch_block:
		return 1;
	default:
		return 0;
	}
}

static int lp_walk_children(Dwarf_Die *parent, Dwarf_Die *cudie, lp_dwarf_visit visit,
			    void *arg, int depth)
{
	Dwarf_Die child;

	if (depth > LP_WALK_DEPTH || dwarf_child(parent, &child) != 0)
		return 0;
	do {
		enum lp_walk w = visit(&child, cudie, arg);

		if (w == LP_WALK_STOP)
			return 1;
		if (w == LP_WALK_NEXT && lp_die_is_container(&child) &&
		    lp_walk_children(&child, cudie, visit, arg, depth + 1))
			return 1;
	} while (dwarf_siblingof(&child, &child) == 0);
	return 0;
}

int lp_dwarf_walk(Dwarf *dw, lp_dwarf_visit visit, void *arg)
{
	Dwarf_CU *cu = NULL, *next;
	Dwarf_Half version;
	uint8_t type;
	Dwarf_Die cudie, subdie;

	if (!dw)
		return 0;
	while (dwarf_get_units(dw, cu, &next, &version, &type, &cudie, &subdie) == 0) {
		Dwarf_Die *root = &cudie;

		cu = next;
		/* Split DWARF: the skeleton only points at the unit with the DIEs. */
		if (type == DW_UT_skeleton)
			root = &subdie;
		else if (type != DW_UT_compile && type != DW_UT_partial)
			continue;
		if (dwarf_tag(root) <= 0)
			continue;
		if (lp_walk_children(root, root, visit, arg, 0))
			return 1;
	}
	return 0;
}

static const char *lp_die_string(Dwarf_Die *die, unsigned int at)
{
	Dwarf_Attribute attr;

	return dwarf_attr_integrate(die, at, &attr) ? dwarf_formstring(&attr) : NULL;
}

const char *lp_die_name(Dwarf_Die *die)
{
	return lp_die_string(die, DW_AT_name);
}

const char *lp_die_linkage_name(Dwarf_Die *die)
{
	const char *s = lp_die_string(die, DW_AT_linkage_name);

	return s ? s : lp_die_string(die, DW_AT_MIPS_linkage_name);
}

int lp_die_has_code(Dwarf_Die *die)
{
	return dwarf_hasattr(die, DW_AT_low_pc) || dwarf_hasattr(die, DW_AT_ranges);
}

int lp_die_is_function(Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	bool decl = false;

	if (dwarf_tag(die) != DW_TAG_subprogram)
		return 0;
	/* Not integrated: a definition refers to its declaration by DW_AT_specification. */
	if (dwarf_attr(die, DW_AT_declaration, &attr) && dwarf_formflag(&attr, &decl) == 0 && decl)
		return 0;
	return lp_die_has_code(die) || dwarf_hasattr(die, DW_AT_inline);
}

static const char *lp_attr_file(Dwarf_Attribute *attr)
{
	Dwarf_Word idx;
	Dwarf_Half version;
	Dwarf_Files *files;
	size_t nfiles;
	Dwarf_Die cu;

	if (!attr || dwarf_formudata(attr, &idx) != 0)
		return NULL;
	/* Before DWARF 5, index 0 means "no file". */
	if (!dwarf_cu_die(attr->cu, &cu, &version, NULL, NULL, NULL, NULL, NULL) ||
	    (idx == 0 && version < 5))
		return NULL;
	if (dwarf_getsrcfiles(&cu, &files, &nfiles) != 0 || idx >= nfiles)
		return NULL;
	return dwarf_filesrc(files, idx, NULL, NULL);
}

const char *lp_die_decl_file(Dwarf_Die *die)
{
	Dwarf_Attribute attr;

	return lp_attr_file(dwarf_attr_integrate(die, DW_AT_decl_file, &attr));
}

const char *lp_die_call_file(Dwarf_Die *die)
{
	Dwarf_Attribute attr;

	return lp_attr_file(dwarf_attr(die, DW_AT_call_file, &attr));
}

const char *lp_die_compdir(Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	Dwarf_Die cu;

	if (!dwarf_diecu(die, &cu, NULL, NULL))
		return NULL;
	return dwarf_attr(&cu, DW_AT_comp_dir, &attr) ? dwarf_formstring(&attr) : NULL;
}

/* Drops the last component of the path in buf[0..*n). */
static void lp_path_pop(char *buf, size_t *n)
{
	while (*n > 0 && buf[*n - 1] != '/')
		(*n)--;
	/* Keep the root of an absolute path; drop the separator otherwise. */
	if (*n > 1)
		(*n)--;
	else if (*n == 1 && buf[0] != '/')
		*n = 0;
}

/* Appends one path component to buf (length *n), resolving "." and "..". */
static int lp_path_push(char *buf, size_t *n, size_t size, const char *c, size_t len)
{
	int abs = *n > 0 && buf[0] == '/';

	if (len == 0 || (len == 1 && c[0] == '.'))
		return 0;
	if (len == 2 && c[0] == '.' && c[1] == '.') {
		/* "/.." is "/"; a relative path keeps leading ".." it cannot resolve. */
		if (abs && *n == 1)
			return 0;
		if (abs || (*n > 0 && !(*n >= 2 && buf[*n - 1] == '.' && buf[*n - 2] == '.' &&
					(*n == 2 || buf[*n - 3] == '/')))) {
			lp_path_pop(buf, n);
			return 0;
		}
	}
	if (*n + 1 + len + 1 > size)
		return -1;
	if (*n > 0 && buf[*n - 1] != '/')
		buf[(*n)++] = '/';
	memcpy(buf + *n, c, len);
	*n += len;
	return 0;
}

/* Appends all components of p. */
static int lp_path_append(char *buf, size_t *n, size_t size, const char *p)
{
	while (*p) {
		size_t len = strcspn(p, "/");

		if (lp_path_push(buf, n, size, p, len) != 0)
			return -1;
		p += len;
		p += strspn(p, "/");
	}
	return 0;
}

char *lp_path_normalize(const char *dir, const char *path, char *buf, size_t size)
{
	size_t n = 0;

	if (!path || size < 2)
		return NULL;
	if (path[0] == '/' || (dir && dir[0] == '/'))
		buf[n++] = '/';
	/* Lexical only, no realpath(): the sources need not exist on this machine. */
	if (path[0] != '/' && dir && lp_path_append(buf, &n, size, dir) != 0)
		return NULL;
	if (lp_path_append(buf, &n, size, path) != 0)
		return NULL;
	if (n == 0)
		buf[n++] = '.';
	buf[n] = '\0';
	return buf;
}

/* ---- address ranges of code, for the walks over a function's rows ---- */

static int lp_ranges_push(lp_ranges *rs, Dwarf_Addr lo, Dwarf_Addr hi)
{
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? 2 * rs->cap : 16;
		Dwarf_Addr (*r)[2] = realloc(rs->r, cap * sizeof(*r));

		if (!r)
			return -1;
		rs->r = r;
		rs->cap = cap;
	}
	rs->r[rs->n][0] = lo;
	rs->r[rs->n][1] = hi;
	rs->n++;
	return 0;
}

int lp_ranges_add_die(lp_ranges *rs, Dwarf_Die *die)
{
	Dwarf_Addr base, lo, hi;
	ptrdiff_t off = 0;

	while ((off = dwarf_ranges(die, off, &base, &lo, &hi)) > 0)
		if (hi > lo && lp_ranges_push(rs, lo, hi) != 0)
			return -1;
	return 0;
}

/* The code of the functions inside die (inlined copies, nested functions). */
int lp_ranges_add_callees(lp_ranges *rs, Dwarf_Die *die, int depth)
{
	Dwarf_Die child;

	if (depth > 64 || dwarf_child(die, &child) != 0)
		return 0;
	do {
		int tag = dwarf_tag(&child), rc;

		if (tag == DW_TAG_inlined_subroutine || tag == DW_TAG_subprogram)
			rc = lp_ranges_add_die(rs, &child);
		else
			rc = lp_ranges_add_callees(rs, &child, depth + 1);
		if (rc != 0)
			return -1;
	} while (dwarf_siblingof(&child, &child) == 0);
	return 0;
}

int lp_ranges_has(const lp_ranges *rs, Dwarf_Addr a)
{
	for (size_t i = 0; i < rs->n; i++)
		if (a >= rs->r[i][0] && a < rs->r[i][1])
			return 1;
	return 0;
}
