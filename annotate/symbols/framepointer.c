/*
 * Were the profiled executables built with frame pointers? The kernel walks
 * -g call stacks through %rbp: a function compiled without a frame pointer
 * hides its caller, so stacks get truncated or skip frames. Two kinds of
 * evidence, the first that speaks wins:
 *
 * 1. DW_AT_producer: GCC records its switches there (-grecord-gcc-switches,
 *    the default). An explicit -fno-omit-frame-pointer / -fomit-frame-pointer
 *    settles it; otherwise -O0 keeps frame pointers and -O1 and up omit them,
 *    unless the compiler was configured otherwise (some distributions now
 *    default to frame pointers), so on x86-64 the code itself is asked too.
 * 2. The code: on x86-64, functions with a frame pointer begin with
 *    push %rbp; mov %rsp,%rbp (after an endbr64). Half of them or more: yes.
 *
 * The user can rebuild the program, not libm: for an executable the note
 * says to rebuild it; for libraries that hold many samples, it says which
 * totals to distrust.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <gelf.h>
#include <libelf.h>

#include "framepointer.h"
#include "lineprof/record.h"
#include "input.h"

#ifndef DF_1_PIE
#define DF_1_PIE 0x08000000
#endif

typedef struct lp_fp_cu {
	int yes, no;           /* units judged, by any evidence */
	int explicit_no;       /* units with -fomit-frame-pointer spelled out */
	char flag[64];         /* what the first "no" unit said */
} lp_fp_cu;

/* One unit's producer: 1 frame pointers, 0 none, -1 cannot tell; *explicit when a flag said so. */
static int producer_verdict(const char *prod, int *explicit, char *flag, size_t flagsize)
{
	int switches = 0, fp = -1, level = 0;
	char olevel[16] = "-O0";
	const char *s = prod;

	*explicit = 0;
	if (strncmp(prod, "GNU ", 4) != 0 || strncmp(prod, "GNU AS", 6) == 0)
		return -1;
	while (*s) {
		size_t n;

		s += strspn(s, " ");
		n = strcspn(s, " ");
		if (n && s[0] == '-')
			switches = 1;
		if (n == strlen("-fno-omit-frame-pointer") && strncmp(s, "-fno-omit-frame-pointer", n) == 0)
			fp = 1;
		else if (n == strlen("-fomit-frame-pointer") && strncmp(s, "-fomit-frame-pointer", n) == 0)
			fp = 0;
		else if (n >= 2 && s[0] == '-' && s[1] == 'O' && n < sizeof(olevel)) {
			memcpy(olevel, s, n);
			olevel[n] = 0;
			level = strcmp(olevel, "-O0") != 0;
		}
		s += n;
	}
	if (fp >= 0) {
		*explicit = 1;
		snprintf(flag, flagsize, "%s", fp ? "-fno-omit-frame-pointer" : "-fomit-frame-pointer");
		return fp;
	}
	if (!switches)
		return -1;
	snprintf(flag, flagsize, "%s", olevel);
	return !level;
}

static void dwarf_evidence(Elf *elf, lp_fp_cu *cu)
{
	Dwarf *dw = dwarf_begin_elf(elf, DWARF_C_READ, NULL);
	Dwarf_Off off = 0, next;
	size_t hsize;

	if (!dw)
		return;
	while (dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die die;
		Dwarf_Attribute attr;
		const char *prod;
		char flag[64];
		int explicit, v;

		if (dwarf_offdie(dw, off + hsize, &die) &&
		    (prod = dwarf_formstring(dwarf_attr(&die, DW_AT_producer, &attr))) != NULL &&
		    (v = producer_verdict(prod, &explicit, flag, sizeof(flag))) >= 0) {
			if (v) {
				cu->yes++;
			} else {
				if (!cu->no)
					snprintf(cu->flag, sizeof(cu->flag), "%s", flag);
				cu->no++;
				cu->explicit_no += explicit;
			}
		}
		off = next;
	}
	dwarf_end(dw);
}

/* Start-up code from crt*.o and libc_nonshared: not the user's to rebuild. */
static int is_crt(const char *name)
{
	static const char *const crt[] = {
		"_start", "_init", "_fini", "deregister_tm_clones", "register_tm_clones",
		"__do_global_dtors_aux", "frame_dummy", "__libc_csu_init", "__libc_csu_fini",
		"_dl_relocate_static_pie", "atexit", "__stack_chk_fail_local",
	};

	for (size_t i = 0; i < sizeof(crt) / sizeof(crt[0]); i++)
		if (strcmp(name, crt[i]) == 0)
			return 1;
	return 0;
}

/* x86-64: how many defined functions there are, and how many set up %rbp first. */
static void prologue_evidence(Elf *elf, int *nfuncs, int *nframes)
{
	Elf_Scn *scn = NULL, *symscn = NULL;
	GElf_Shdr sh, symsh;
	Elf_Data *syms;

	*nfuncs = *nframes = 0;
	while ((scn = elf_nextscn(elf, scn)) != NULL)
		if (gelf_getshdr(scn, &sh) && (sh.sh_type == SHT_SYMTAB ||
					       (sh.sh_type == SHT_DYNSYM && !symscn))) {
			symscn = scn;
			symsh = sh;
			if (sh.sh_type == SHT_SYMTAB)
				break;
		}
	if (!symscn || !(syms = elf_getdata(symscn, NULL)) || !symsh.sh_entsize)
		return;
	for (size_t i = 0; i < symsh.sh_size / symsh.sh_entsize; i++) {
		GElf_Sym sym;
		Elf_Scn *text;
		Elf_Data *code;
		const unsigned char *b;
		const char *name;
		uint64_t at;

		if (!gelf_getsym(syms, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
		    sym.st_shndx == SHN_UNDEF || sym.st_shndx >= SHN_LORESERVE || sym.st_size < 8)
			continue;
		name = elf_strptr(elf, symsh.sh_link, sym.st_name);
		if (!name || is_crt(name))
			continue;
		text = elf_getscn(elf, sym.st_shndx);
		if (!text || !gelf_getshdr(text, &sh) || sh.sh_type != SHT_PROGBITS ||
		    !(sh.sh_flags & SHF_EXECINSTR) || sym.st_value < sh.sh_addr)
			continue;
		at = sym.st_value - sh.sh_addr;
		code = elf_getdata(text, NULL);
		if (!code || !code->d_buf || at + 8 > code->d_size)
			continue;
		b = (const unsigned char *)code->d_buf + at;
		if (b[0] == 0xf3 && b[1] == 0x0f && b[2] == 0x1e && b[3] == 0xfa)
			b += 4; /* endbr64 */
		(*nfuncs)++;
		/* push %rbp; mov %rsp,%rbp (either encoding of the mov) */
		if (b[0] == 0x55 && b[1] == 0x48 &&
		    ((b[2] == 0x89 && b[3] == 0xe5) || (b[2] == 0x8b && b[3] == 0xec)))
			(*nframes)++;
	}
}

/* An executable, not a library: ET_EXEC, or a PIE (DF_1_PIE, or PT_INTERP without a soname). */
static int is_executable(Elf *elf)
{
	GElf_Ehdr eh;
	size_t nph;
	int interp = 0, pie = 0, soname = 0;
	Elf_Scn *scn = NULL;

	if (!gelf_getehdr(elf, &eh))
		return 0;
	if (eh.e_type == ET_EXEC)
		return 1;
	if (eh.e_type != ET_DYN || elf_getphdrnum(elf, &nph) != 0)
		return 0;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_INTERP)
			interp = 1;
	}
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC || !sh.sh_entsize ||
		    !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Dyn dyn;

			if (!gelf_getdyn(d, (int)i, &dyn))
				break;
			if (dyn.d_tag == DT_FLAGS_1 && (dyn.d_un.d_val & DF_1_PIE))
				pie = 1;
			if (dyn.d_tag == DT_SONAME)
				soname = 1;
		}
	}
	return pie || (interp && !soname);
}

static enum lp_fp probe_elf(Elf *elf, char *why, size_t whysize)
{
	lp_fp_cu cu = { 0 };
	GElf_Ehdr eh;
	int nfuncs, nframes;
	int x86 = gelf_getehdr(elf, &eh) && eh.e_machine == EM_X86_64;

	dwarf_evidence(elf, &cu);
	if (cu.yes && !cu.no) {
		snprintf(why, whysize, "its compile units say so");
		return LP_FP_YES;
	}
	if (cu.explicit_no || (cu.no && !x86)) {
		snprintf(why, whysize, "compiled with %s%s", cu.flag,
			 cu.explicit_no ? "" : " without -fno-omit-frame-pointer");
		return LP_FP_NO;
	}
	if (!x86)
		return LP_FP_UNKNOWN;
	prologue_evidence(elf, &nfuncs, &nframes);
	if (nfuncs == 0)
		return cu.no ? LP_FP_NO : LP_FP_UNKNOWN;
	if (2 * nframes >= nfuncs) {
		snprintf(why, whysize, "%d of %d functions set up %%rbp", nframes, nfuncs);
		return LP_FP_YES;
	}
	if (cu.no)
		snprintf(why, whysize, "compiled with %s without -fno-omit-frame-pointer, and only "
			 "%d of %d functions set up %%rbp", cu.flag, nframes, nfuncs);
	else
		snprintf(why, whysize, "only %d of %d functions set up %%rbp", nframes, nfuncs);
	return LP_FP_NO;
}

enum lp_fp lp_framepointer_probe(const char *path, char *why, size_t whysize)
{
	char dummy[8];
	int fd;
	Elf *elf;
	enum lp_fp v = LP_FP_UNKNOWN;

	if (!why)
		why = dummy, whysize = sizeof(dummy);
	why[0] = 0;
	elf_version(EV_CURRENT);
	fd = lp_input_open(path, NULL, NULL);
	if (fd < 0)
		return LP_FP_UNKNOWN;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf && elf_kind(elf) == ELF_K_ELF)
		v = probe_elf(elf, why, whysize);
	elf_end(elf);
	close(fd);
	return v;
}

static enum lp_fp probe_module(const char *path, int *exe, char *why, size_t whysize)
{
	enum lp_fp v = LP_FP_UNKNOWN;
	int fd;
	Elf *elf;

	*exe = 0;
	elf_version(EV_CURRENT);
	fd = lp_input_open(path, NULL, NULL);
	if (fd < 0)
		return LP_FP_UNKNOWN;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf && elf_kind(elf) == ELF_K_ELF) {
		*exe = is_executable(elf);
		v = probe_elf(elf, why, whysize);
	}
	elf_end(elf);
	close(fd);
	return v;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/*
 * The same for waits: blocked time stays in the libc wrapper that made the
 * system call, and -g stacks from a library without frame pointers lose
 * its caller, the very line that waited. (System time is mostly where the
 * samples are: the note on samples covers it.)
 */
static void check_waits(const lp_profile *prof, FILE *diag)
{
	uint64_t *w = calloc(prof->nmodules, sizeof(*w)), all = 0, lib = 0;
	const char *top = NULL;
	uint64_t top_w = 0;

	if (!w)
		return;
	for (size_t i = 0; i < prof->naddrs; i++) {
		const lp_counts *c = &prof->addrs[i].c;
		uint64_t v = c->off_ns[LP_OFF_BLOCKED];

		all += v;
		if (prof->addrs[i].loc.module < prof->nmodules)
			w[prof->addrs[i].loc.module] += v;
	}
	for (uint32_t m = 0; all && m < prof->nmodules; m++) {
		const char *path = prof->modules[m].path;
		char why[256];
		int exe;

		if (!w[m] || !path || probe_module(path, &exe, why, sizeof(why)) != LP_FP_NO || exe)
			continue;
		lib += w[m];
		if (w[m] > top_w)
			top = path, top_w = w[m];
	}
	if (top && 5 * lib >= all && all >= 50000000)
		fprintf(diag, "lineprof: note: %.0f%% of the blocked time is in %s%s, "
			"built without frame pointers: -g stacks from there miss the line that made "
			"the call, so its Incl. Wall comes out too low; --call-graph=dwarf records "
			"them whole\n", 100.0 * (double)lib / (double)all, base_name(top),
			lib > top_w ? " and other libraries" : "");
	free(w);
}

void lp_framepointer_check(const lp_profile *prof, FILE *diag)
{
	uint64_t *self, lib_samples = 0;
	const char *lib[2] = { NULL, NULL };
	uint64_t lib_top[2] = { 0, 0 };
	int exe_noted = 0;

	/* --call-graph=dwarf unwinds through CFI: frame pointers do not matter. */
	if (!diag || prof->callchain != LP_CALLCHAIN_FP || !prof->nmodules)
		return;
	if (prof->off_cpu)
		check_waits(prof, diag);
	if (!prof->samples)
		return;
	self = calloc(prof->nmodules, sizeof(*self));
	if (!self)
		return;
	for (size_t i = 0; i < prof->naddrs; i++)
		if (prof->addrs[i].loc.module < prof->nmodules)
			self[prof->addrs[i].loc.module] += prof->addrs[i].c.samples;
	for (uint32_t m = 0; m < prof->nmodules; m++) {
		const char *path = prof->modules[m].path;
		char why[256];
		int exe;

		if (!self[m] || !path || probe_module(path, &exe, why, sizeof(why)) != LP_FP_NO)
			continue;
		if (exe && !exe_noted) {
			fprintf(diag, "lineprof: note: %s seems to be built without frame pointers (%s): "
				"call stacks (-g) through its code may be truncated or skip callers; "
				"rebuild with -fno-omit-frame-pointer, or record with "
				"--call-graph=dwarf\n", path, why);
			exe_noted = 1;
		} else if (!exe) {
			/* A library: not the user's to rebuild, but its callers go missing. */
			lib_samples += self[m];
			if (self[m] > lib_top[0]) {
				lib[1] = lib[0], lib_top[1] = lib_top[0];
				lib[0] = path, lib_top[0] = self[m];
			} else if (self[m] > lib_top[1]) {
				lib[1] = path, lib_top[1] = self[m];
			}
		}
	}
	if (lib[1] && 100 * lib_top[1] < prof->samples)
		lib[1] = NULL; /* named only when it holds 1 % or more */
	if (lib[0] && 20 * lib_samples >= prof->samples)
		fprintf(diag, "lineprof: note: %.0f%% of the samples are in %s%s%s, built without frame "
			"pointers: -g stacks from there miss their direct caller, so the totals of the "
			"functions calling into %s come out too low; --call-graph=dwarf records them "
			"whole\n",
			100.0 * (double)lib_samples / (double)prof->samples, base_name(lib[0]),
			lib[1] ? " and " : "", lib[1] ? base_name(lib[1]) : "",
			lib[1] ? "them" : "it");
	free(self);
}
