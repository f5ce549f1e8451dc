/*
 * Unit tests for the naming rules (annotate/symbols/names.c) and the
 * function index (fnindex.c) on the C++, Fortran and OpenMP test programs
 * of tests/programs/names.
 *
 * What the index should say is found independently: the demangler's names
 * of lambdas from the symbols of an -O0 build (names_cpp_o0), where the
 * -O2 build (names_cpp) has inlined them away and lineprof must rebuild
 * them from DWARF; PLT stubs from objdump; lines from marker comments.
 *
 * Environment (meson.build): LP_PROGRAMS_BIN/SRC, and LP_NAMES_CPP,
 * LP_NAMES_CPP_O0, LP_NAMES_F90, LP_NAMES_OMP: empty when not built (no
 * compiler), and the tests that need them say so and pass.
 */
#include <check.h>

#include "../lp_check.h"
#include <ctype.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libiberty/demangle.h>

#include "dwarf_file.h"
#include "fnindex.h"
#include "names.h"
#include "symbolize.h"
#include "programs.h"

/* ---- names ---- */

static void demangles(const char *mangled, int params, const char *want)
{
	char *got = lp_demangle(mangled, params);
	const char *m = mangled ? mangled : "(null)";

	if (!want)
		ck_assert_msg(got == NULL, "%s: %s", m, got);
	else
		ck_assert_msg(got && strcmp(got, want) == 0, "%s: '%s' != '%s'", m, got ? got : "(null)",
			      want);
	free(got);
}

START_TEST(test_demangle)
{
	demangles("_ZN4text10countWordsEi", 1, "text::countWords(int)");
	demangles("_ZN4text10countWordsEi", 0, "text::countWords");
	demangles("_ZNK3geo5CloudIdE6energyEv", 0, "geo::Cloud<double>::energy");
	demangles("_ZZ4mainENKUliiE_clEii", 0, "main::{lambda(int, int)#1}::operator()");
	/* A clone is its function. */
	demangles("_ZN4text10countWordsEi.part.0", 0, "text::countWords");
	demangles("_ZSt11_Hash_bytesPKvmm", 0, "std::_Hash_bytes");
	/* Rust, legacy (the hash goes) and v0. */
	demangles("_ZN8names_rs4Grid4step17h1506a0faacdc048eE", 0, "names_rs::Grid::step");
	demangles("_RNvCs1234_7mycrate3foo", 0, "mycrate::foo");
	demangles("main", 0, NULL);
	demangles("__mymod_MOD_compute", 0, NULL);
	demangles(NULL, 0, NULL);
}
END_TEST

START_TEST(test_fortran_and_clones)
{
	char *f = lp_fortran_symbol("__mymod_MOD_compute");

	ck_assert_str_eq(f, "mymod::compute");
	free(f);
	f = lp_fortran_symbol("__my_mod_MOD_do_it");
	ck_assert_str_eq(f, "my_mod::do_it");
	free(f);
	ck_assert_ptr_null(lp_fortran_symbol("_gfortran_st_write"));
	ck_assert_ptr_null(lp_fortran_symbol("__MOD_x"));
	ck_assert_uint_eq(lp_clone_base("hot.part.0"), 3);
	ck_assert_uint_eq(lp_clone_base("hot.cold"), 3);
	ck_assert_uint_eq(lp_clone_base("hot.constprop.0.isra.0"), 3);
	ck_assert_uint_eq(lp_clone_base("_ZN4text10countWordsEi.part.12"), 22);
	ck_assert_uint_eq(lp_clone_base("stencil._omp_fn.0"), 0);
	ck_assert_uint_eq(lp_clone_base(".omp_outlined."), 0);
	ck_assert_uint_eq(lp_clone_base("hot"), 0);
	ck_assert_uint_eq(lp_clone_base("hot.part."), 0);
}
END_TEST

static void normalizes(const char *in, const char *want)
{
	char buf[256];

	ck_assert_str_eq(lp_name_normalize(in, buf, sizeof(buf)), want);
}

START_TEST(test_normalize)
{
	normalizes("std::vector<int, std::allocator<int> >", "std::vector<int,std::allocator<int>>");
	normalizes("unsigned   long", "unsigned long");
	normalizes("operator new [] ", "operator new[]");
	normalizes("stats::total::<u8>", "stats::total<u8>");
	normalizes("f( int , char const * )", "f(int,char const*)");
}
END_TEST

/* A candidate function for the matcher. */
static lp_fncand cand(const char *name, const char *signature, const char *linkage,
		      const char *base)
{
	lp_fncand c = { .name = name, .signature = signature, .linkage = linkage, .base = base,
			.decl_file = "/src/names.cpp", .decl_line = 41, .module = "names_cpp",
			.entry = 0x1230 };

	return c;
}

/* pattern matches c in exact mode (want 1) or not (want 0); a match also passes the quick test. */
static void matches(const char *pattern, const lp_fncand *c, int want)
{
	lp_fnpat p;
	int got;

	ck_assert_int_eq(lp_fnpat_parse(&p, pattern), 0);
	got = lp_fnpat_match(&p, c, LP_MATCH_EXACT);
	ck_assert_msg(got == want, "'%s' %s '%s'", pattern, want ? "should match" : "matches",
		      c->name);
	if (got)
		ck_assert_msg(lp_fnpat_maybe(&p, c->base, 1, c->fortran), "quick test refuses '%s'",
			      pattern);
	lp_fnpat_free(&p);
}

static void globs(const char *pattern, const lp_fncand *c, int want)
{
	lp_fnpat p;

	ck_assert_int_eq(lp_fnpat_parse(&p, pattern), 0);
	ck_assert_msg(lp_fnpat_match(&p, c, LP_MATCH_GLOB) == want, "glob '%s' and '%s'", pattern,
		      c->name);
	lp_fnpat_free(&p);
}

START_TEST(test_match_qualified)
{
	lp_fncand e = cand("geo::Cloud<double>::energy", "geo::Cloud<double>::energy() const",
			   "_ZNK3geo5CloudIdE6energyEv", "energy");

	matches("energy", &e, 1);
	matches("Cloud::energy", &e, 1);
	matches("geo::Cloud::energy", &e, 1);
	matches("geo::Cloud<double>::energy", &e, 1);
	matches("geo::Cloud< double >::energy", &e, 1);
	matches("geo::Cloud<double>::energy()", &e, 1);
	matches("geo::Cloud<double>::energy() const", &e, 1);
	matches("_ZNK3geo5CloudIdE6energyEv", &e, 1);
	matches("geo::Cloud<float>::energy", &e, 0);
	matches("loud::energy", &e, 0);
	matches("geo::energy", &e, 0);
	matches("nergy", &e, 0);
	matches("energy(int)", &e, 0);
	matches("_ZNK3geo5CloudIfE6energyEv", &e, 0);
	globs("*::energy", &e, 1);
	globs("geo::Cloud<*>::energy", &e, 1);
	globs("*::power", &e, 0);
}
END_TEST

START_TEST(test_match_overloads)
{
	lp_fncand i = cand("text::countWords", "text::countWords(int)", "_ZN4text10countWordsEi",
			   "countWords");
	lp_fncand s = cand("text::countWords",
			   "text::countWords(std::__cxx11::basic_string<char, std::char_traits<char>, "
			   "std::allocator<char> > const&)",
			   "_ZN4text10countWordsERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEE",
			   "countWords");
	lp_fncand v = cand("f", "f(std::vector<int, std::allocator<int> >&, char const*)", "_Z1f",
			   "f");

	matches("text::countWords", &i, 1);
	matches("text::countWords", &s, 1);
	matches("countWords(int)", &i, 1);
	matches("countWords(int)", &s, 0);
	matches("text::countWords(std::string const&)", &s, 1);
	matches("text::countWords(const std::string &)", &s, 1);
	matches("countWords(std::__cxx11::basic_string<char, std::char_traits<char>, "
		"std::allocator<char> > const&)", &s, 1);
	matches("countWords(std::string)", &s, 0);
	matches("f(std::vector<int>&, const char*)", &v, 1);
	matches("f(std::vector<int>&, char*)", &v, 0);
}
END_TEST

START_TEST(test_match_lambdas_operators)
{
	lp_fncand l = cand("main::{lambda(int, int)#1}::operator()", NULL, NULL, "operator()");
	lp_fncand lt = cand("geo::operator<", NULL, NULL, "operator<");
	lp_fncand anon = cand("(anonymous namespace)::helper", NULL, NULL, "helper");

	matches("operator()", &l, 1);
	matches("main::{lambda(int, int)#1}::operator()", &l, 1);
	matches("{lambda(int,int)#1}::operator()", &l, 1);
	matches("main", &l, 0);
	matches("main::operator()", &l, 0);
	/* "operator*" is the operator, not a glob, when it matches exactly. */
	matches("operator<", &lt, 1);
	matches("geo::operator<", &lt, 1);
	matches("helper", &anon, 1);
	matches("(anonymous namespace)::helper", &anon, 1);
}
END_TEST

START_TEST(test_match_fortran_rust)
{
	lp_fncand f = cand("mymod::compute", NULL, "__mymod_MOD_compute", "compute");
	lp_fncand c = cand("compute", NULL, NULL, "compute");
	lp_fncand r = cand("names_rs::stats::total<u8>", NULL,
			   "_ZN8names_rs5stats5total17h65f47e1ebdfb530bE", "total<u8>");

	f.fortran = 1;
	matches("COMPUTE", &f, 1);
	matches("MyMod::Compute", &f, 1);
	matches("mymod::compute", &f, 1);
	matches("__mymod_MOD_compute", &f, 1);
	matches("other::compute", &f, 0);
	globs("MYMOD::*", &f, 1);
	matches("Compute", &c, 0);   /* C: case matters */
	matches("stats::total", &r, 1);
	matches("total<u8>", &r, 1);
	matches("stats::total::<u8>", &r, 1);
	matches("names_rs::stats::total<u8>", &r, 1);
	matches("total<u32>", &r, 0);
}
END_TEST

START_TEST(test_match_qualifiers)
{
	lp_fncand c = cand("text::countWords", NULL, NULL, "countWords");

	matches("text::countWords [names.cpp:41]", &c, 1);
	matches("countWords [names.cpp:41]", &c, 1);
	matches("text::countWords [names.cpp:50]", &c, 0);
	matches("text::countWords [names_cpp]", &c, 1);
	matches("text::countWords [names.cpp:41, names_cpp]", &c, 1);
	matches("text::countWords [names.cpp:41, libother.so]", &c, 0);
	matches("text::countWords [names_cpp+0x1230]", &c, 1);
	matches("text::countWords [names_cpp+0x1234]", &c, 0);
}
END_TEST

START_TEST(test_region_patterns)
{
	lp_fnpat p;

	ck_assert_int_eq(lp_fnpat_parse(&p, "names.cpp:12"), 0);
	ck_assert(p.region && p.first == 12 && p.last == 12);
	ck_assert_str_eq(p.file, "names.cpp");
	ck_assert(lp_fnpat_file(&p, "/a/b/names.cpp"));
	ck_assert(!lp_fnpat_file(&p, "/a/b/xnames.cpp"));
	lp_fnpat_free(&p);
	ck_assert_int_eq(lp_fnpat_parse(&p, "src/omp.c:3-9"), 0);
	ck_assert(p.region && p.first == 3 && p.last == 9);
	ck_assert(lp_fnpat_file(&p, "/w/src/omp.c"));
	ck_assert(!lp_fnpat_file(&p, "/w/omp.c"));
	lp_fnpat_free(&p);
	/* Names that only look like it. */
	ck_assert_int_eq(lp_fnpat_parse(&p, "std::sort"), 0);
	ck_assert(!p.region);
	lp_fnpat_free(&p);
	ck_assert_int_eq(lp_fnpat_parse(&p, "ns::f:3"), 0);
	ck_assert(!p.region);
	lp_fnpat_free(&p);
	ck_assert_int_eq(lp_fnpat_parse(&p, "x.c:9-3"), 0);
	ck_assert(!p.region);
	lp_fnpat_free(&p);
}
END_TEST

START_TEST(test_closest)
{
	lp_closest c;
	char buf[256];

	lp_closest_init(&c, "hot_wrok");
	lp_closest_offer(&c, "main");
	lp_closest_offer(&c, "hot_work");
	lp_closest_offer(&c, "hot_word_count");
	lp_closest_offer(&c, "hot_work");
	ck_assert_int_eq(lp_closest_format(&c, buf, sizeof(buf)), 3);
	ck_assert_str_eq(buf, "hot_work, hot_word_count, main");
	lp_closest_free(&c);
	/* A bare name is near the qualified name that ends with it. */
	lp_closest_init(&c, "countWord");
	lp_closest_offer(&c, "counter");
	lp_closest_offer(&c, "text::countWords");
	lp_closest_format(&c, buf, sizeof(buf));
	ck_assert_str_eq(buf, "text::countWords, counter");
	lp_closest_free(&c);
}
END_TEST

/* ---- the index, on the test programs ---- */

/* The program named by an environment variable, or NULL (and a note) when it was not built. */
static const char *program(const char *var)
{
	const char *p = getenv(var);

	if (!p || !*p) {
		fprintf(stderr, "%s: not built here (no compiler for it): skipped\n", var);
		return NULL;
	}
	return p;
}

typedef struct indexed {
	lp_dwfile f;
	lp_fnindex *ix;
} indexed;

static void index_open(indexed *x, const char *path)
{
	ck_assert_int_eq(lp_dwfile_open(&x->f, path), 0);
	x->ix = lp_fnindex_build(&x->f);
	ck_assert_ptr_nonnull(x->ix);
}

static void index_close(indexed *x)
{
	lp_fnindex_free(x->ix);
	lp_dwfile_close(&x->f);
}

/* The function of the index whose display name is name, NULL if none (the only one: checked). */
static lp_fn *named(indexed *x, const char *name)
{
	lp_fn *found = NULL;

	for (size_t i = 0; i < lp_fnindex_count(x->ix); i++) {
		lp_fn *fn = lp_fnindex_at(x->ix, i);
		const char *n = lp_fnindex_name(x->ix, fn);

		if (n && strcmp(n, name) == 0) {
			ck_assert_msg(!found, "two functions named %s", name);
			found = fn;
		}
	}
	return found;
}

/* Calls fn with each function symbol of path (.symtab), read with libelf. */
static void each_symbol(const char *path, void (*fn)(const char *sym, void *arg), void *arg)
{
	int fd = open(path, O_RDONLY);
	Elf *elf;
	Elf_Scn *scn = NULL;

	ck_assert_int_ge(fd, 0);
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !(data = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;

			if (gelf_getsym(data, (int)i, &sym) && GELF_ST_TYPE(sym.st_info) == STT_FUNC)
				fn(elf_strptr(elf, sh.sh_link, sym.st_name), arg);
		}
	}
	elf_end(elf);
	close(fd);
}

typedef struct lambdas {
	char *name[16];
	int n;
} lambdas;

static void collect_lambda(const char *sym, void *arg)
{
	lambdas *l = arg;
	char *d = sym ? cplus_demangle(sym, DMGL_ANSI) : NULL;

	if (d && strstr(d, "{lambda(") && strstr(d, "::operator()") && l->n < 16 &&
	    strlen(strstr(d, "::operator()")) == strlen("::operator()"))
		l->name[l->n++] = d;
	else
		free(d);
}

/*
 * At -O2 gcc inlines the lambdas and leaves no symbol: lineprof names them
 * from DWARF exactly as the demangler names the -O0 build's symbols.
 */
START_TEST(test_index_lambdas)
{
	const char *o2 = program("LP_NAMES_CPP"), *o0 = program("LP_NAMES_CPP_O0");
	lambdas l = { .n = 0 };
	indexed x;

	if (!o2 || !o0)
		return;
	each_symbol(o0, collect_lambda, &l);
	ck_assert_int_ge(l.n, 2);
	index_open(&x, o2);
	for (int i = 0; i < l.n; i++) {
		lp_fn *fn = named(&x, l.name[i]);

		ck_assert_msg(fn != NULL, "no function named %s at -O2", l.name[i]);
		ck_assert_msg(fn->decl_line > 0, "%s: the lambda's line", l.name[i]);
		free(l.name[i]);
	}
	index_close(&x);
}
END_TEST

/* Every function is one key; the two instances, and the two overloads, are two. */
START_TEST(test_index_keys)
{
	const char *prog = program("LP_NAMES_CPP");
	lp_fn *d, *f;
	indexed x;
	size_t words = 0, n;

	if (!prog)
		return;
	index_open(&x, prog);
	n = lp_fnindex_count(x.ix);
	d = named(&x, "geo::Cloud<double>::energy");
	f = named(&x, "geo::Cloud<float>::energy");
	ck_assert(d && f && d->key != f->key);
	ck_assert_str_eq(d->linkage, "_ZNK3geo5CloudIdE6energyEv");
	ck_assert(LP_KEY_KIND(d->key) == LP_KEY_LINKAGE);
	for (size_t i = 0; i < n; i++) {
		lp_fn *fn = lp_fnindex_at(x.ix, i);
		const char *name = lp_fnindex_name(x.ix, fn);

		ck_assert_ptr_eq(lp_fnindex_get(x.ix, fn->key), fn);
		if (name && strcmp(name, "text::countWords") == 0) {
			words++;
			ck_assert_ptr_nonnull(lp_fnindex_signature(x.ix, fn));
		}
		/* No name from DWARF is left mangled. */
		if (name && fn->has_die)
			ck_assert_msg(strncmp(name, "_Z", 2) != 0, "%s", name);
	}
	ck_assert_uint_eq(words, 2);
	index_close(&x);
}
END_TEST

START_TEST(test_index_openmp)
{
	const char *prog = program("LP_NAMES_OMP");
	lp_fn *f, *o;
	indexed x;

	if (!prog)
		return;
	index_open(&x, prog);
	f = named(&x, "stencil");
	o = named(&x, "stencil._omp_fn.0");
	ck_assert(f && o);
	ck_assert(o->outlined && !f->outlined);
	ck_assert(o->owner == f->key);
	ck_assert_int_eq(o->region_line, marker_line(SRC("names/omp.c"), "/* REGION */"));
	ck_assert_msg(strstr(o->region_file, "omp.c") != NULL, "%s", o->region_file);
	index_close(&x);
}
END_TEST

START_TEST(test_index_fortran)
{
	const char *prog = program("LP_NAMES_F90");
	lp_fn *fn;
	indexed x;

	if (!prog)
		return;
	index_open(&x, prog);
	fn = named(&x, "mymod::compute");
	ck_assert_ptr_nonnull(fn);
	ck_assert(fn->fortran);
	ck_assert_str_eq(fn->linkage, "__mymod_MOD_compute");
	ck_assert_int_eq(fn->decl_line, marker_line(SRC("names/names.f90"), "function compute(n)"));
	index_close(&x);
}
END_TEST

/* Every PLT stub objdump labels "sym@plt" is the index's "sym@plt", demangled. */
START_TEST(test_index_plt)
{
	const char *prog = program("LP_NAMES_CPP");
	char cmd[4096], line[8192];
	indexed x;
	FILE *p;
	int n = 0;

	if (!prog)
		return;
	if (system("command -v objdump >/dev/null 2>&1") != 0) {
		fprintf(stderr, "test_index_plt: no objdump: skipped\n");
		return;
	}
	index_open(&x, prog);
	snprintf(cmd, sizeof(cmd), "objdump -d -j .plt -j .plt.sec '%s'", prog);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	while (fgets(line, sizeof(line), p)) {
		unsigned long long addr;
		char sym[4096], want[4200], *at, *d;
		lp_fn *fn;

		/* "<printf@plt>", not the header's "<printf@plt-0x10>". */
		if (sscanf(line, "%llx <%4095[^>]>:", &addr, sym) != 2 || !(at = strstr(sym, "@plt")) ||
		    at[4])
			continue;
		*at = '\0';
		d = cplus_demangle(sym, DMGL_ANSI);
		snprintf(want, sizeof(want), "%s@plt", d ? d : sym);
		free(d);
		fn = lp_fnindex_symbol_at(x.ix, addr + x.f.bias);
		ck_assert_msg(fn != NULL, "nothing at %s's %llx", want, addr);
		ck_assert_str_eq(lp_fnindex_name(x.ix, fn), want);
		n++;
	}
	pclose(p);
	ck_assert_int_gt(n, 3);
	index_close(&x);
}
END_TEST

/* Calls fn with each function symbol of path and its file offset. */
static void each_symbol_offset(const char *path, void (*fn)(const char *sym, uint64_t off, void *arg),
			       void *arg)
{
	int fd = open(path, O_RDONLY);
	Elf *elf;
	Elf_Scn *scn = NULL;
	size_t nph;

	ck_assert_int_ge(fd, 0);
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	ck_assert_int_eq(elf_getphdrnum(elf, &nph), 0);
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !(data = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;

			if (!gelf_getsym(data, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
			    !sym.st_value)
				continue;
			for (size_t k = 0; k < nph; k++) {
				GElf_Phdr ph;

				if (gelf_getphdr(elf, (int)k, &ph) && ph.p_type == PT_LOAD &&
				    sym.st_value >= ph.p_vaddr && sym.st_value < ph.p_vaddr + ph.p_filesz)
					fn(elf_strptr(elf, sh.sh_link, sym.st_name),
					   sym.st_value - ph.p_vaddr + ph.p_offset, arg);
			}
		}
	}
	elf_end(elf);
	close(fd);
}

typedef struct clones {
	lp_symtab *st;
	int n;
} clones;

/* A clone's code ("f.constprop.0.isra.0") is f's: named f, one function with f. */
static void check_clone(const char *sym, uint64_t off, void *arg)
{
	clones *c = arg;
	const char *dot = sym ? strstr(sym, ".constprop.") : NULL;
	char base[512], *want;
	const lp_frame *fr;
	int n;

	if (!dot && sym)
		dot = strstr(sym, ".isra.") ? strstr(sym, ".isra.") : strstr(sym, ".part.");
	if (!dot || (size_t)(dot - sym) >= sizeof(base))
		return;
	memcpy(base, sym, (size_t)(dot - sym));
	base[dot - sym] = '\0';
	want = cplus_demangle(base, DMGL_ANSI);
	n = lp_symtab_lookup(c->st, (lp_loc){ 0, off }, 0, &fr);
	ck_assert_msg(strcmp(fr[n - 1].function, want ? want : base) == 0, "%s: '%s', not '%s'", sym,
		      fr[n - 1].function, want ? want : base);
	free(want);
	c->n++;
}

START_TEST(test_clones)
{
	const char *prog = program("LP_NAMES_CPP");
	lp_profile *prof;
	clones c = { 0 };

	if (!prog)
		return;
	prof = lp_profile_new();
	ck_assert_int_eq(lp_profile_module(prof, prog, NULL, 0), 0);
	c.st = lp_symtab_new(prof, NULL);
	each_symbol_offset(prog, check_clone, &c);
	ck_assert_int_ge(c.n, 1);   /* scaled.constprop.0 at least */
	lp_symtab_free(c.st);
	lp_profile_free(prof);
}
END_TEST

/* ---- the resolver, through the symtab ---- */

static int resolve(lp_symtab *st, const char *pattern, const lp_func_desc ***fns)
{
	lp_fnpat p;
	int n;

	ck_assert_int_eq(lp_fnpat_parse(&p, pattern), 0);
	n = lp_symtab_resolve(st, &p, fns, NULL);
	lp_fnpat_free(&p);
	return n;
}

START_TEST(test_resolve)
{
	const char *prog = program("LP_NAMES_CPP");
	const lp_func_desc **fns = NULL;
	lp_profile *prof;
	lp_symtab *st;
	lp_fnpat p;
	lp_closest c;
	char buf[512];
	const char *file;
	int first, last;

	if (!prog)
		return;
	prof = lp_profile_new();
	ck_assert_int_eq(lp_profile_module(prof, prog, NULL, 0), 0);
	st = lp_symtab_new(prof, NULL);
	/* A template without arguments: every instance, in address order. */
	ck_assert_int_eq(resolve(st, "geo::Cloud::energy", &fns), 2);
	ck_assert(fns[0]->addr < fns[1]->addr);
	ck_assert(strstr(fns[0]->name, "Cloud<") && strstr(fns[1]->name, "Cloud<"));
	ck_assert_str_ne(fns[0]->name, fns[1]->name);
	free(fns);
	ck_assert_int_eq(resolve(st, "text::countWords(int)", &fns), 1);
	ck_assert_str_eq(fns[0]->linkage, "_ZN4text10countWordsEi");
	ck_assert_int_eq(fns[0]->decl_line, marker_line(SRC("names/names.cpp"), "long countWords(int n)"));
	/* Its span: the declaration to the last line with code. */
	ck_assert_int_eq(lp_symtab_function_span(st, fns[0]->id, &file, &first, &last), 0);
	ck_assert_int_eq(first, fns[0]->decl_line);
	ck_assert_int_ge(last, marker_line(SRC("names/names.cpp"), "/* COUNT_INT */"));
	free(fns);
	ck_assert_int_eq(resolve(st, "luaS_*", &fns), 0);
	free(fns);
	/* A miss: suggestions, every one of which resolves. */
	ck_assert_int_eq(lp_fnpat_parse(&p, "text::countWord"), 0);
	lp_closest_init(&c, p.name);
	ck_assert_int_eq(lp_symtab_resolve(st, &p, &fns, &c), 0);
	ck_assert_int_gt(lp_closest_format(&c, buf, sizeof(buf)), 0);
	ck_assert_str_eq(c.name[0], "text::countWords");
	for (int i = 0; i < c.n; i++) {
		ck_assert_msg(resolve(st, c.name[i], &fns) > 0, "suggested '%s' is not found", c.name[i]);
		free(fns);
	}
	lp_closest_free(&c);
	lp_fnpat_free(&p);
	/* FILE:LINE names a file of the line tables. */
	ck_assert_int_eq(lp_fnpat_parse(&p, "names.cpp:10-20"), 0);
	file = lp_symtab_resolve_file(st, &p, NULL);
	ck_assert_msg(file && strstr(file, "/names.cpp"), "%s", file);
	lp_fnpat_free(&p);
	ck_assert_int_eq(lp_fnpat_parse(&p, "nosuch.cpp:3"), 0);
	ck_assert_ptr_null(lp_symtab_resolve_file(st, &p, NULL));
	lp_fnpat_free(&p);
	lp_symtab_free(st);
	lp_profile_free(prof);
}
END_TEST

/* The outlined region's own table starts at its region's line. */
START_TEST(test_span_outlined)
{
	const char *prog = program("LP_NAMES_OMP");
	const lp_func_desc **fns = NULL;
	lp_profile *prof;
	lp_symtab *st;
	const char *file;
	int first, last;

	if (!prog)
		return;
	prof = lp_profile_new();
	ck_assert_int_eq(lp_profile_module(prof, prog, NULL, 0), 0);
	st = lp_symtab_new(prof, NULL);
	ck_assert_int_eq(resolve(st, "stencil._omp_fn.0", &fns), 1);
	ck_assert_ptr_ne(fns[0]->owner, fns[0]);
	ck_assert_str_eq(fns[0]->owner->name, "stencil");
	ck_assert_int_eq(lp_symtab_function_span(st, fns[0]->id, &file, &first, &last), 0);
	ck_assert_int_eq(first, marker_line(SRC("names/omp.c"), "/* REGION */"));
	ck_assert_int_ge(last, marker_line(SRC("names/omp.c"), "/* PARALLEL */"));
	ck_assert_msg(strstr(file, "/omp.c") != NULL, "%s", file);
	free(fns);
	lp_symtab_free(st);
	lp_profile_free(prof);
}
END_TEST

/* The pre-run check takes every spelling the views take: one resolver. */
START_TEST(test_check_spellings)
{
	const char *prog = program("LP_NAMES_CPP");
	const char *ok[] = { "_ZN4text10countWordsEi", "geo::Cloud::energy", "names.cpp:10-20",
			     "main::{lambda(int, int)#1}::operator()", "std::sort", "*::energy",
			     "std::_Hash_bytes" };
	lp_error err = { 0 };

	if (!prog)
		return;
	ck_assert_msg(lp_dwarf_check_functions(prog, ok, sizeof(ok) / sizeof(ok[0]), &err) == LP_OK,
		      "%s", err.msg);
	ck_assert_int_eq(lp_dwarf_check_functions(prog, (const char *[]){ "nosuch.cpp:3" }, 1, &err),
			 LP_EFAIL);
	ck_assert_msg(strstr(err.msg, "no source file 'nosuch.cpp'"), "%s", err.msg);
	lp_error_clear(&err);
	ck_assert_int_eq(lp_dwarf_check_functions(prog, (const char *[]){ "geo::Clod::energy" }, 1,
						  &err), LP_EFAIL);
	ck_assert_msg(strstr(err.msg, "closest: geo::Cloud<"), "%s", err.msg);
}
END_TEST

/* What is a launcher: a script, a stripped tool; not a program without -g, nor one with it. */
START_TEST(test_launcher)
{
	char script[] = "/tmp/lp-launcher-XXXXXX";
	int fd = mkstemp(script);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "#!/bin/sh\nexec true\n", 20), 20);
	close(fd);
	ck_assert(lp_dwarf_is_launcher(script));
	unlink(script);
	ck_assert(!lp_dwarf_is_launcher(PROG("hotline")));
	ck_assert_uint_gt(symbol_offset(PROG("hotline"), "lp_mark_hot"), 0);   /* it is that program */
	ck_assert(!lp_dwarf_is_launcher(PROG("nodebug")));
	if (getenv("LP_PROGRAMS_STRIPPED") && *getenv("LP_PROGRAMS_STRIPPED"))
		ck_assert(lp_dwarf_is_launcher(getenv("LP_PROGRAMS_STRIPPED")));
}
END_TEST

static Suite *names_suite(void)
{
	Suite *s = suite_create("names");
	TCase *names = tcase_create("names");
	TCase *index = tcase_create("index");

	tcase_add_test(names, test_demangle);
	tcase_add_test(names, test_fortran_and_clones);
	tcase_add_test(names, test_normalize);
	tcase_add_test(names, test_match_qualified);
	tcase_add_test(names, test_match_overloads);
	tcase_add_test(names, test_match_lambdas_operators);
	tcase_add_test(names, test_match_fortran_rust);
	tcase_add_test(names, test_match_qualifiers);
	tcase_add_test(names, test_region_patterns);
	tcase_add_test(names, test_closest);
	suite_add_tcase(s, names);
	tcase_set_timeout(index, 120);
	tcase_add_test(index, test_index_lambdas);
	tcase_add_test(index, test_index_keys);
	tcase_add_test(index, test_index_openmp);
	tcase_add_test(index, test_index_fortran);
	tcase_add_test(index, test_index_plt);
	tcase_add_test(index, test_clones);
	tcase_add_test(index, test_resolve);
	tcase_add_test(index, test_span_outlined);
	tcase_add_test(index, test_check_spellings);
	tcase_add_test(index, test_launcher);
	suite_add_tcase(s, index);
	return s;
}

int main(void)
{
	return lp_check_run(names_suite());
}
