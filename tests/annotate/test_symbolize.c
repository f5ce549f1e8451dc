/*
 * Unit tests for annotate/symbolize.c against the programs in tests/programs.
 *
 * Expected lines are never hard-coded: they come from scanning the sources
 * for marker comments (HOT, MARK, CALL, END ...). Addresses come from global
 * asm labels the programs plant on marked lines (lp_mark_*), read from the
 * ELF symbol table with libelf and turned into file offsets through PT_LOAD
 * here, independently of the code under test.
 *
 * Environment (set by meson.build): LP_PROGRAMS_BIN, the directory of the
 * built test programs, and LP_PROGRAMS_SRC, the directory of their sources.
 */
#include <check.h>

#include "../lp_check.h"
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dwarf_file.h"
#include "elf_file.h"
#include "lineprof/profile.h"
#include "symbolize.h"
#include "programs.h"

static size_t read_build_id(const char *path, unsigned char *id)
{
	int fd = open(path, O_RDONLY);
	Elf *elf;
	Elf_Scn *scn = NULL;
	size_t len = 0;

	ck_assert_int_ge(fd, 0);
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	while (len == 0 && (scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;
		Elf_Data *data;
		GElf_Nhdr nh;
		size_t off = 0, name_off, desc_off;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		data = elf_getdata(scn, NULL);
		while (data && (off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
			if (nh.n_type == NT_GNU_BUILD_ID && nh.n_descsz <= LP_BUILD_ID_MAX) {
				memcpy(id, (char *)data->d_buf + desc_off, nh.n_descsz);
				len = nh.n_descsz;
				break;
			}
		}
	}
	elf_end(elf);
	close(fd);
	ck_assert_uint_gt(len, 0);
	return len;
}

static const char *base_name(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;

	return s ? s + 1 : path;
}

/* A profile whose module 0 is path. */
static lp_profile *profile_with(const char *path, const unsigned char *id, size_t idlen)
{
	lp_profile *p = lp_profile_new();

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(lp_profile_module(p, path, id, idlen), 0);
	return p;
}

/* The frames at symbol sym of program prog (module 0). */
static int lookup_symbol(lp_symtab *st, const char *prog, const char *sym, const lp_frame **f)
{
	lp_loc loc = { .module = 0, .offset = symbol_offset(prog, sym) };

	return lp_symtab_lookup(st, loc, 0, f);
}

/* The id of the first function -f NAME names in st (LP_MODULE_NONE if none). */
static lp_func_id id_of(lp_symtab *st, const char *name)
{
	lp_func_id id = { LP_MODULE_NONE, 0 };
	const lp_func_desc **fns = NULL;
	lp_fnpat p;

	ck_assert_int_eq(lp_fnpat_parse(&p, name), 0);
	if (lp_symtab_resolve(st, &p, &fns, NULL) > 0)
		id = fns[0]->id;
	free(fns);
	lp_fnpat_free(&p);
	return id;
}

/* A lookup of lp_mark_hot in a hotline build gives hot_work at the HOT line. */
static void check_hot_mark(const char *prog)
{
	lp_profile *p = profile_with(prog, NULL, 0);
	lp_error err = { 0 };
	lp_symtab *st = lp_symtab_new(p, &err);
	const lp_frame *f;
	int n;

	ck_assert_ptr_nonnull(st);
	n = lookup_symbol(st, prog, "lp_mark_hot", &f);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(f[0].function, "hot_work");
	ck_assert_ptr_nonnull(f[0].file);
	ck_assert_str_eq(base_name(f[0].file), "hotline.c");
	ck_assert_msg(f[0].file[0] == '/', "not absolute: %s", f[0].file);
	ck_assert_int_eq(f[0].line, marker_line(SRC("hotline.c"), "/* HOT */"));
	ck_assert_int_eq(f[0].inlined, 0);
	ck_assert_uint_eq(f[0].module, 0);
	ck_assert_str_eq(f[0].decl_file, f[0].file);
	ck_assert_int_eq(f[0].decl_line, marker_line(SRC("hotline.c"), "double hot_work("));
	lp_symtab_free(st);
	lp_profile_free(p);
}

START_TEST(test_lookup_pie)
{
	check_hot_mark(PROG("hotline"));
}
END_TEST

START_TEST(test_lookup_nopie)
{
	check_hot_mark(PROG("hotline_nopie"));
}
END_TEST

START_TEST(test_lookup_inlined)
{
	const char *prog = PROG("inlined");
	const char *src = SRC("inlined.c");
	lp_profile *p = profile_with(prog, NULL, 0);
	lp_symtab *st = lp_symtab_new(p, NULL);
	const lp_frame *f;
	int n = lookup_symbol(st, prog, "lp_mark_inl", &f);

	ck_assert_int_eq(n, 2);
	ck_assert_str_eq(f[0].function, "hot_inner");
	ck_assert_int_eq(f[0].line, marker_line(src, "/* MARK */"));
	ck_assert_int_eq(f[0].inlined, 1);
	ck_assert_int_eq(f[0].decl_line, marker_line(src, "double hot_inner("));
	ck_assert_str_eq(base_name(f[0].decl_file), "inlined.c");
	ck_assert_str_eq(f[1].function, "outer");
	ck_assert_int_eq(f[1].line, marker_line(src, "/* CALL */"));
	ck_assert_int_eq(f[1].inlined, 0);
	ck_assert_str_eq(base_name(f[1].file), "inlined.c");
	/* Interned: the same file is the same pointer. */
	ck_assert_ptr_eq(f[0].file, f[1].file);
	lp_symtab_free(st);
	lp_profile_free(p);
}
END_TEST

START_TEST(test_lookup_shared_library)
{
	const char *lib = PROG("liblpneed.so");
	lp_profile *p = profile_with(lib, NULL, 0);
	lp_symtab *st = lp_symtab_new(p, NULL);
	const lp_frame *f;
	int n = lookup_symbol(st, lib, "lp_mark_lib", &f);

	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(f[0].function, "lp_need_work");
	ck_assert_int_eq(f[0].line, marker_line(SRC("lpneed.c"), "/* LIB */"));
	lp_symtab_free(st);
	lp_profile_free(p);
}
END_TEST

START_TEST(test_lookup_cached)
{
	const char *prog = PROG("hotline");
	lp_profile *p = profile_with(prog, NULL, 0);
	lp_symtab *st = lp_symtab_new(p, NULL);
	lp_loc loc = { 0, symbol_offset(prog, "lp_mark_hot") };
	const lp_frame *a, *b, *c;

	ck_assert_int_eq(lp_symtab_lookup(st, loc, 0, &a), 1);
	ck_assert_int_eq(lp_symtab_lookup(st, loc, 0, &b), 1);
	ck_assert_ptr_eq(a, b);
	/* A return address one past the (one-byte) nop is looked up at the nop. */
	loc.offset++;
	ck_assert_int_eq(lp_symtab_lookup(st, loc, 1, &c), 1);
	ck_assert_ptr_ne(a, c);
	ck_assert_ptr_eq(a[0].function, c[0].function);
	ck_assert_int_eq(a[0].line, c[0].line);
	lp_symtab_free(st);
	lp_profile_free(p);
}
END_TEST

START_TEST(test_lookup_without_dwarf)
{
	const char *prog = PROG("nodebug");
	lp_profile *p = profile_with(prog, NULL, 0);
	lp_symtab *st = lp_symtab_new(p, NULL);
	const lp_frame *f;
	int n = lookup_symbol(st, prog, "main", &f);

	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(f[0].function, "main");
	ck_assert_ptr_null(f[0].file);
	ck_assert_int_eq(f[0].line, 0);
	ck_assert_ptr_null(f[0].decl_file);
	lp_symtab_free(st);
	lp_profile_free(p);
}
END_TEST

START_TEST(test_lookup_unknown)
{
	lp_profile *p = profile_with(PROG("hotline"), NULL, 0);
	lp_symtab *st;
	const lp_frame *f;
	char want[64];

	ck_assert_int_eq(lp_profile_module(p, "/nonexistent/lp-gone.so", NULL, 0), 1);
	st = lp_symtab_new(p, NULL);
	ck_assert_int_eq(lp_symtab_lookup(st, (lp_loc){ LP_MODULE_NONE, 0x1234 }, 0, &f), 1);
	ck_assert_str_eq(f[0].function, "[unknown]");
	ck_assert_uint_eq(f[0].module, LP_MODULE_NONE);
	ck_assert_int_eq(lp_symtab_lookup(st, (lp_loc){ 1, 0x1234 }, 0, &f), 1);
	ck_assert_str_eq(f[0].function, "[lp-gone.so]"); /* a library: one row */
	ck_assert_ptr_null(f[0].file);
	/* An offset past every segment. */
	ck_assert_int_eq(lp_symtab_lookup(st, (lp_loc){ 0, 0x7fffffff }, 0, &f), 1);
	snprintf(want, sizeof(want), "[hotline+0x%x]", 0x7fffffff);
	ck_assert_str_eq(f[0].function, want);
	/* A module index the profile does not have. */
	ck_assert_int_eq(lp_symtab_lookup(st, (lp_loc){ 7, 0x10 }, 0, &f), 1);
	ck_assert_str_eq(f[0].function, "[unknown]");
	lp_symtab_free(st);
	lp_profile_free(p);
}
END_TEST

START_TEST(test_span_normal)
{
	const char *prog = PROG("hotline");
	const char *src = SRC("hotline.c");
	lp_profile *p = profile_with(prog, NULL, 0);
	lp_symtab *st = lp_symtab_new(p, NULL);
	const char *file = NULL;
	int first = 0, last = 0;

	ck_assert_int_eq(lp_symtab_function_span(st, id_of(st, "hot_work"), &file, &first, &last), 0);
	ck_assert_str_eq(base_name(file), "hotline.c");
	ck_assert_int_eq(first, marker_line(src, "double hot_work("));
	/* The same compiler built this test and the programs. gcc -O0 gives the
	 * epilogue the closing brace's line; clang gives it the return's. */
#if defined(__GNUC__) && !defined(__clang__)
	ck_assert_int_eq(last, marker_line(src, "/* END hot_work */"));
#else
	ck_assert_int_ge(last, marker_line(src, "return x + y;"));
	ck_assert_int_le(last, marker_line(src, "/* END hot_work */"));
#endif
	ck_assert_int_eq(lp_symtab_function_span(st, id_of(st, "no_such_function"), &file, &first, &last), -1);
	lp_symtab_free(st);
	lp_profile_free(p);
}
END_TEST

START_TEST(test_span_inlined)
{
	const char *prog = PROG("inlined");
	const char *src = SRC("inlined.c");
	lp_profile *p = profile_with(prog, NULL, 0);
	lp_symtab *st = lp_symtab_new(p, NULL);
	const char *file = NULL;
	int first = 0, last = 0;

	ck_assert_int_eq(lp_symtab_function_span(st, id_of(st, "hot_inner"), &file, &first, &last), 0);
	ck_assert_str_eq(base_name(file), "inlined.c");
	ck_assert_int_eq(first, marker_line(src, "double hot_inner("));
	/*
	 * last is the last line the line table gives hot_inner's code. Inlined
	 * at -O2, its closing brace (and here its return) has no code of its
	 * own, so the span ends at its last statement with code, the loop.
	 */
	ck_assert_int_ge(last, marker_line(src, "/* HOT */"));
	ck_assert_int_le(last, marker_line(src, "/* END hot_inner */"));
	lp_symtab_free(st);
	lp_profile_free(p);
}
END_TEST

START_TEST(test_check_module)
{
	const char *prog = PROG("hotline");
	unsigned char id[LP_BUILD_ID_MAX], wrong[LP_BUILD_ID_MAX];
	size_t len = read_build_id(prog, id);
	lp_profile *p;
	lp_symtab *st;
	lp_error err = { 0 };

	memcpy(wrong, id, len);
	wrong[0] ^= 0xff;
	p = profile_with(prog, id, len);
	ck_assert_int_eq(lp_profile_module(p, prog, wrong, len), 1);
	ck_assert_int_eq(lp_profile_module(p, "/nonexistent/lp-gone", NULL, 0), 2);
	ck_assert_int_eq(lp_profile_module(p, PROG("nodebug"), NULL, 0), 3);
	ck_assert_int_eq(lp_profile_module(p, SRC("hotline.c"), NULL, 0), 4);
	st = lp_symtab_new(p, NULL);
	ck_assert_int_eq(lp_symtab_check_module(st, 0, &err), LP_OK);
	ck_assert_int_eq(lp_symtab_check_module(st, 3, &err), LP_OK);   /* no build-id recorded */
	ck_assert_int_eq(lp_symtab_check_module(st, 4, &err), LP_OK);   /* not ELF: nothing to check */
	ck_assert_int_eq(lp_symtab_check_module(st, 1, &err), LP_EFAIL);
	ck_assert_msg(strstr(err.msg, "lineprof: ") == err.msg, "%s", err.msg);
	ck_assert_msg(strstr(err.msg, "has changed since it was profiled"), "%s", err.msg);
	ck_assert_msg(strstr(err.msg, "re-run lineprof"), "%s", err.msg);
	ck_assert_msg(strstr(err.msg, prog), "%s", err.msg);
	lp_error_clear(&err);
	ck_assert_int_eq(lp_symtab_check_module(st, 2, &err), LP_EFAIL);
	ck_assert_str_eq(err.msg, "lineprof: /nonexistent/lp-gone: no such file (the profile was "
			 "recorded on another machine, or the binary was removed)");
	lp_symtab_free(st);
	lp_profile_free(p);
}
END_TEST

START_TEST(test_check_exe)
{
	lp_error err = { 0 };
	const char *stripped = getenv("LP_PROGRAMS_STRIPPED");

	ck_assert_int_eq(lp_dwarf_check_exe(PROG("hotline"), &err), LP_OK);
	ck_assert_int_eq(lp_dwarf_check_exe(PROG("inlined"), &err), LP_OK);
	ck_assert_int_eq(lp_dwarf_check_exe(PROG("nodebug"), &err), LP_EFAIL);
	ck_assert_msg(strstr(err.msg, "has no DWARF line info: compile with -g"), "%s", err.msg);
	ck_assert_msg(strstr(err.msg, "lineprof: ") == err.msg, "%s", err.msg);
	lp_error_clear(&err);
	ck_assert_int_eq(lp_dwarf_check_exe("/nonexistent/lp-gone", &err), LP_EFAIL);
	ck_assert_msg(strstr(err.msg, "lineprof: /nonexistent/lp-gone: "), "%s", err.msg);
	lp_error_clear(&err);
	ck_assert_int_eq(lp_dwarf_check_exe(SRC("hotline.c"), &err), LP_EFAIL);
	ck_assert_msg(strstr(err.msg, "is not an ELF file"), "%s", err.msg);
	if (stripped && stripped[0]) {
		lp_error_clear(&err);
		ck_assert_int_eq(lp_dwarf_check_exe(stripped, &err), LP_EFAIL);
		ck_assert_msg(strstr(err.msg, "is stripped of debug info: rebuild with -g, or "
				  "install its -dbgsym package"), "%s", err.msg);
	}
}
END_TEST

START_TEST(test_check_functions)
{
	const char *ok[] = { "hot_work", "main" };
	const char *typo[] = { "main", "hot_wrok" };
	lp_error err = { 0 };

	ck_assert_int_eq(lp_dwarf_check_functions(PROG("hotline"), ok, 2, &err), LP_OK);
	ck_assert_int_eq(lp_dwarf_check_functions(PROG("hotline"), typo, 2, &err), LP_EFAIL);
	ck_assert_msg(strstr(err.msg, "lineprof: function 'hot_wrok' not found in ") == err.msg,
		      "%s", err.msg);
	ck_assert_msg(strstr(err.msg, "or its libraries; closest: hot_work"), "%s", err.msg);
	/* Inlined everywhere, it still has a DW_TAG_subprogram (the abstract instance). */
	ck_assert_int_eq(lp_dwarf_check_functions(PROG("inlined"), (const char *[]){ "hot_inner" }, 1,
						  &err), LP_OK);
}
END_TEST

START_TEST(test_check_functions_needed)
{
	const char *names[] = { "main", "lp_need_work" };
	lp_error err = { 0 };

	/* meson points LD_LIBRARY_PATH at the library: make DT_RUNPATH find it. */
	unsetenv("LD_LIBRARY_PATH");
	/* lp_need_work is only in liblpneed.so, found through DT_RUNPATH $ORIGIN/. */
	ck_assert_int_eq(lp_dwarf_check_functions(PROG("needed"), names, 2, &err), LP_OK);
	ck_assert_int_eq(lp_dwarf_check_functions(PROG("needed"), (const char *[]){ "lp_need_wrk" },
						  1, &err), LP_EFAIL);
	ck_assert_msg(strstr(err.msg, "closest: lp_need_work"), "%s", err.msg);
}
END_TEST

START_TEST(test_needed_resolve)
{
	char **libs;
	size_t n;
	int lpneed = 0, libc = 0;
	char *want = realpath(PROG("liblpneed.so"), NULL);

	unsetenv("LD_LIBRARY_PATH");
	ck_assert_int_eq(lp_needed_resolve(PROG("needed"), &libs, &n), 0);
	for (size_t i = 0; i < n; i++) {
		lpneed |= strcmp(libs[i], want) == 0;
		libc |= strstr(libs[i], "/libc.so") != NULL;
	}
	ck_assert_msg(lpneed, "liblpneed.so not resolved");
	ck_assert_msg(libc, "libc.so not resolved");
	lp_needed_free(libs, n);
	free(want);
}
END_TEST

/* libc's path as the dynamic linker would load it for hotline; NULL if not found. */
static char *libc_path(void)
{
	char **libs, *libc = NULL;
	size_t n;

	ck_assert_int_eq(lp_needed_resolve(PROG("hotline"), &libs, &n), 0);
	for (size_t i = 0; i < n && !libc; i++)
		if (strstr(libs[i], "/libc.so"))
			libc = strdup(libs[i]);
	lp_needed_free(libs, n);
	return libc;
}

/* Whether the file at path has DWARF here, in itself or a separate debug file. */
static int has_dwarf(const char *path)
{
	lp_dwfile f;
	int yes;

	if (lp_dwfile_open(&f, path) != 0)
		return 0;
	yes = lp_dwfile_dwarf(&f) != NULL;
	lp_dwfile_close(&f);
	return yes;
}

/*
 * A DT_NEEDED library whose DWARF is a separate file found by build-id
 * (/usr/lib/debug/.build-id, Debian's libc6-dbg). Skipped, saying so, where
 * libc has no debug info installed.
 */
START_TEST(test_libc_with_debuginfo)
{
	char *libc = libc_path();
	lp_profile *p;
	lp_symtab *st;
	const lp_frame *f;
	lp_error err = { 0 };
	int n;

	ck_assert_ptr_nonnull(libc);
	if (!has_dwarf(libc)) {
		fprintf(stderr, "test_libc_with_debuginfo: skipped, no debug info for %s "
			"(install libc6-dbg)\n", libc);
		free(libc);
		return;
	}
	p = profile_with(libc, NULL, 0);
	st = lp_symtab_new(p, NULL);
	n = lookup_symbol(st, libc, "qsort", &f);
	ck_assert_str_eq(f[n - 1].function, "qsort");
	ck_assert_ptr_nonnull(f[n - 1].file);
	ck_assert_str_eq(base_name(f[n - 1].decl_file), "msort.c");
	ck_assert_int_gt(f[0].line, 0);
	/* qsort is not in hotline: found in its DT_NEEDED libc, by its DWARF. */
	ck_assert_int_eq(lp_dwarf_check_functions(PROG("hotline"), (const char *[]){ "qsort" }, 1,
						  &err), LP_OK);
	ck_assert_int_eq(lp_dwarf_check_functions(PROG("hotline"), (const char *[]){ "qsrot" }, 1,
						  &err), LP_EFAIL);
	ck_assert_msg(strstr(err.msg, "closest: qsort"), "%s", err.msg);
	lp_symtab_free(st);
	lp_profile_free(p);
	free(libc);
}
END_TEST

START_TEST(test_path_normalize)
{
	char buf[256];

	ck_assert_str_eq(lp_path_normalize("/a/build", "../src/./x.c", buf, sizeof(buf)), "/a/src/x.c");
	ck_assert_str_eq(lp_path_normalize(NULL, "/a//b/../../../c", buf, sizeof(buf)), "/c");
	ck_assert_str_eq(lp_path_normalize("/ignored", "/abs/x.c", buf, sizeof(buf)), "/abs/x.c");
	ck_assert_str_eq(lp_path_normalize(NULL, "../../x/./y", buf, sizeof(buf)), "../../x/y");
	ck_assert_str_eq(lp_path_normalize("rel", "a/../../b", buf, sizeof(buf)), "b");
	ck_assert_str_eq(lp_path_normalize(NULL, "/", buf, sizeof(buf)), "/");
	ck_assert_ptr_null(lp_path_normalize("/a", "bcdefgh", buf, 4));
}
END_TEST

/* Separate debug info through .gnu_debuglink (built by objcopy, if there is one). */
START_TEST(test_lookup_debuglink)
{
	const char *prog = getenv("LP_PROGRAMS_SPLIT");
	lp_profile *p;
	lp_symtab *st;
	const lp_frame *f;
	lp_error err = { 0 };

	if (!prog || !prog[0])
		return;   /* no objcopy: nothing to test */
	p = profile_with(prog, NULL, 0);
	st = lp_symtab_new(p, NULL);
	/* The stripped file has no .symtab: the label's offset is the unstripped one's. */
	ck_assert_int_eq(lp_symtab_lookup(st, (lp_loc){ 0, symbol_offset(PROG("hotline"),
							   "lp_mark_hot") }, 0, &f), 1);
	ck_assert_str_eq(f[0].function, "hot_work");
	ck_assert_int_eq(f[0].line, marker_line(SRC("hotline.c"), "/* HOT */"));
	ck_assert_int_eq(lp_dwarf_check_exe(prog, &err), LP_OK);
	lp_symtab_free(st);
	lp_profile_free(p);
}
END_TEST

/* A nested function: its addresses miss the function index and take libdw's scope walk. */
START_TEST(test_lookup_nested)
{
	const char *prog = getenv("LP_PROGRAMS_NESTED");
	lp_profile *p;
	lp_symtab *st;
	const lp_frame *f;

	if (!prog || !prog[0])
		return;   /* not built: the compiler is not gcc */
	p = profile_with(prog, NULL, 0);
	st = lp_symtab_new(p, NULL);
	ck_assert_int_eq(lookup_symbol(st, prog, "lp_mark_nested", &f), 1);
	ck_assert_str_eq(f[0].function, "step");
	ck_assert_int_eq(f[0].line, marker_line(SRC("nested.c"), "/* NESTED */"));
	ck_assert_int_eq(f[0].decl_line, marker_line(SRC("nested.c"), "void step(void)"));
	lp_symtab_free(st);
	lp_profile_free(p);
}
END_TEST

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* 5000 distinct addresses spread over this test's own code (DWARF from the build's -g). */
START_TEST(test_lookup_speed)
{
	char self[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	lp_profile *p;
	lp_symtab *st;
	lp_dwfile df;
	lp_loadmap map;
	const lp_segment *text = NULL;
	double t0, t1, t2;
	int named = 0, withline = 0;
	const int count = 5000;

	ck_assert_int_gt(len, 0);
	self[len] = '\0';
	ck_assert_int_eq(lp_dwfile_open(&df, self), 0);
	ck_assert_int_eq(lp_loadmap_read(&map, df.elf), 0);
	for (size_t i = 0; i < map.nseg; i++)
		if (map.seg[i].exec)
			text = &map.seg[i];
	ck_assert_ptr_nonnull(text);
	p = profile_with(self, NULL, 0);
	st = lp_symtab_new(p, NULL);
	t0 = now();
	for (int i = 0; i < count; i++) {
		lp_loc loc = { 0, text->offset + text->filesz * (uint64_t)i / (uint64_t)count };
		const lp_frame *f;

		lp_symtab_lookup(st, loc, 0, &f);
		named += f[0].function[0] != '[';
		withline += f[0].line > 0;
	}
	t1 = now();
	for (int i = 0; i < count; i++) {
		lp_loc loc = { 0, text->offset + text->filesz * (uint64_t)i / (uint64_t)count };
		const lp_frame *f;

		lp_symtab_lookup(st, loc, 0, &f);
	}
	t2 = now();
	fprintf(stderr, "lookup speed: %d distinct addresses in %.3f s (%.1f us each, "
		"%d named, %d with a line); cached: %.3f s\n", count, t1 - t0,
		(t1 - t0) / count * 1e6, named, withline, t2 - t1);
	ck_assert_int_gt(named, count / 2);
	/* Generous for sanitizer and valgrind runs; the real figure is printed above. */
	ck_assert_msg(t1 - t0 < 5.0, "5000 lookups took %.2f s", t1 - t0);
	lp_loadmap_free(&map);
	lp_dwfile_close(&df);
	lp_symtab_free(st);
	lp_profile_free(p);
}
END_TEST

static Suite *symbolize_suite(void)
{
	Suite *s = suite_create("symbolize");
	TCase *lookup = tcase_create("lookup");
	TCase *span = tcase_create("span");
	TCase *check = tcase_create("check");

	tcase_set_timeout(lookup, 60);
	tcase_add_test(lookup, test_lookup_pie);
	tcase_add_test(lookup, test_lookup_nopie);
	tcase_add_test(lookup, test_lookup_inlined);
	tcase_add_test(lookup, test_lookup_shared_library);
	tcase_add_test(lookup, test_lookup_cached);
	tcase_add_test(lookup, test_lookup_without_dwarf);
	tcase_add_test(lookup, test_lookup_unknown);
	tcase_add_test(lookup, test_lookup_debuglink);
	tcase_add_test(lookup, test_lookup_nested);
	tcase_add_test(lookup, test_lookup_speed);
	tcase_add_test(lookup, test_libc_with_debuginfo);
	tcase_add_test(lookup, test_path_normalize);
	suite_add_tcase(s, lookup);
	tcase_add_test(span, test_span_normal);
	tcase_add_test(span, test_span_inlined);
	suite_add_tcase(s, span);
	tcase_set_timeout(check, 60);
	tcase_add_test(check, test_check_module);
	tcase_add_test(check, test_check_exe);
	tcase_add_test(check, test_check_functions);
	tcase_add_test(check, test_check_functions_needed);
	tcase_add_test(check, test_needed_resolve);
	suite_add_tcase(s, check);
	return s;
}

int main(void)
{
	return lp_check_run(symbolize_suite());
}
