/*
 * Machine code by address: function ranges, bytes, Capstone, CFG.
 *
 * The text is Capstone's AT&T syntax moved toward objdump's, so that it
 * reads like `objdump -d` and `perf annotate`: an operand-size suffix that
 * Capstone adds where a register operand already gives the size ("addq $1,
 * %rdx") is dropped, as objdump drops it, and so is the "q" of 64-bit
 * call/ret/jmp/push/pop. Whether a suffix was added is decided by asking
 * Capstone for the Intel mnemonic of the same bytes ("add" + "q"), never by
 * guessing from the last letter ("movzbl", "cltq" are names of their own).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <capstone/capstone.h>
#include <gelf.h>

#include "code.h"
#include "containers.h"
#include "dwarf_file.h"
#include "dwarf_index.h"
#include "elf_file.h"
#include "symbolize.h"

#define LP_CODE_MAX (4u << 20)   /* bytes of one function: a sanity cap */

/* A cached function, by the ranges it covers. */
typedef struct lp_coderef {
	uint32_t module;
	uint64_t lo, hi;             /* one of its ranges */
	lp_fcode *fc;
} lp_coderef;

struct lp_codetab {
	lp_symtab *st;
	lp_fcode **fns;
	size_t nfns, capfns;
	lp_coderef *refs;            /* sorted by (module, lo) */
	size_t nrefs, caprefs;
};

lp_codetab *lp_codetab_new(lp_symtab *st)
{
	lp_codetab *ct = calloc(1, sizeof(*ct));

	if (ct)
		ct->st = st;
	return ct;
}

static void fcode_free(lp_fcode *fc)
{
	if (!fc)
		return;
	lp_cfg_free(&fc->cfg);
	free(fc->ranges);
	free(fc->insns);
	free(fc);
}

void lp_codetab_free(lp_codetab *ct)
{
	if (!ct)
		return;
	for (size_t i = 0; i < ct->nfns; i++)
		fcode_free(ct->fns[i]);
	free(ct->fns);
	free(ct->refs);
	free(ct);
}

/* What code.c needs of one module. */
typedef struct lp_codemod {
	lp_dwfile *file;
	const lp_loadmap *map;
	const lp_dieindex *funcs;
	uint64_t dwbias;
} lp_codemod;

static int codemod(lp_codetab *ct, uint32_t module, lp_codemod *m)
{
	if (module == LP_MODULE_NONE)
		return -1;
	return lp_symtab_module_code(ct->st, module, &m->file, &m->map, &m->funcs, &m->dwbias);
}

int lp_codetab_vaddr(lp_codetab *ct, lp_loc loc, uint64_t *vaddr)
{
	lp_codemod m;

	if (codemod(ct, loc.module, &m) != 0)
		return -1;
	return lp_loadmap_vaddr(m.map, loc.offset, vaddr);
}

static int cmp_range(const void *pa, const void *pb)
{
	const lp_coderange *a = pa, *b = pb;

	return (a->lo > b->lo) - (a->lo < b->lo);
}

static int push_range(lp_coderange **r, size_t *n, uint64_t lo, uint64_t hi)
{
	lp_coderange *v = realloc(*r, (*n + 1) * sizeof(*v));

	if (!v)
		return -1;
	v[*n].lo = lo;
	v[*n].hi = hi;
	*r = v;
	(*n)++;
	return 0;
}

/* DWARF: the subprogram whose code holds vaddr, all its ranges. */
static int ranges_dwarf(const lp_codemod *m, uint64_t vaddr, lp_coderange **r, size_t *n,
			uint64_t *entry, const char **name)
{
	Dwarf_Addr pc = vaddr + m->file->bias - m->dwbias, e;
	uint64_t to_vaddr = m->dwbias - m->file->bias; /* ELF vaddr = DWARF address + to_vaddr */
	const Dwarf_Die *found = lp_dieindex_find(m->funcs, pc);
	lp_ranges rs = { 0 };
	Dwarf_Die die;
	int rc = 0;

	if (!found)
		return -1;
	die = *found;
	if (lp_ranges_add_die(&rs, &die) != 0) {
		free(rs.r);
		return -1;
	}
	for (size_t i = 0; rc == 0 && i < rs.n; i++)
		rc = push_range(r, n, rs.r[i][0] + to_vaddr, rs.r[i][1] + to_vaddr);
	free(rs.r);
	if (rc != 0 || *n == 0)
		return -1;
	qsort(*r, *n, sizeof(**r), cmp_range);
	*entry = dwarf_entrypc(&die, &e) == 0 ? e + to_vaddr : (*r)[0].lo;
	*name = lp_die_name(&die);
	return 0;
}

/* The ELF symbol holding vaddr, and its NAME.cold part if it has one. */
static int ranges_symbol(const lp_codemod *m, uint64_t vaddr, lp_coderange **r, size_t *n,
			 uint64_t *entry, const char **name)
{
	Dwfl_Module *mod = m->file->mod;
	GElf_Addr addr = vaddr + m->file->bias;
	GElf_Off off = 0;
	GElf_Sym sym;
	const char *s = dwfl_module_addrinfo(mod, addr, &off, &sym, NULL, NULL, NULL);
	char cold[512];
	int nsyms;

	if (!s || sym.st_size == 0 || GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_size > LP_CODE_MAX)
		return -1;
	*entry = vaddr - off;
	*name = s;
	if (push_range(r, n, *entry, *entry + sym.st_size) != 0)
		return -1;
	/* gcc moves a function's unlikely code to NAME.cold (or NAME.part.N.cold). */
	if (snprintf(cold, sizeof(cold), "%s.cold", s) >= (int)sizeof(cold))
		return 0;
	nsyms = dwfl_module_getsymtab(mod);
	for (int i = 0; i < nsyms; i++) {
		GElf_Sym cs;
		GElf_Addr ca;
		const char *cn = dwfl_module_getsym_info(mod, i, &cs, &ca, NULL, NULL, NULL);

		if (cn && cs.st_size && cs.st_size <= LP_CODE_MAX && strcmp(cn, cold) == 0) {
			if (push_range(r, n, ca - m->file->bias, ca - m->file->bias + cs.st_size) != 0)
				return -1;
			qsort(*r, *n, sizeof(**r), cmp_range);
			break;
		}
	}
	return 0;
}

static int ranges_of(const lp_codemod *m, uint64_t vaddr, lp_coderange **r, size_t *n,
		     uint64_t *entry, const char **name)
{
	*r = NULL;
	*n = 0;
	*name = NULL;
	if (ranges_dwarf(m, vaddr, r, n, entry, name) == 0)
		return 0;
	free(*r);
	*r = NULL;
	*n = 0;
	if (ranges_symbol(m, vaddr, r, n, entry, name) == 0)
		return 0;
	free(*r);
	*r = NULL;
	*n = 0;
	return -1;
}

int lp_code_ranges(lp_codetab *ct, lp_loc loc, lp_coderange **ranges, size_t *nranges,
		   uint64_t *entry)
{
	lp_codemod m;
	uint64_t vaddr;
	const char *name;

	*ranges = NULL;
	*nranges = 0;
	if (codemod(ct, loc.module, &m) != 0 || lp_loadmap_vaddr(m.map, loc.offset, &vaddr) != 0)
		return LP_CODE_NONE;
	return ranges_of(&m, vaddr, ranges, nranges, entry, &name) == 0 ? LP_CODE_OK : LP_CODE_NONE;
}

long lp_fcode_insn_at(const lp_fcode *fc, uint64_t off)
{
	size_t lo = 0, hi = fc->ninsns;

	/* The last instruction starting at or before off. */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (fc->insns[mid].offset <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || off >= fc->insns[lo - 1].offset + fc->insns[lo - 1].size)
		return -1;
	return (long)lo - 1;
}

/* ---- Capstone ---- */

static int is_group(const cs_insn *x, uint8_t group)
{
	for (uint8_t i = 0; i < x->detail->groups_count; i++)
		if (x->detail->groups[i] == group)
			return 1;
	return 0;
}

static int has_imm_operand(const cs_insn *x, uint64_t *imm)
{
	const cs_x86 *d = &x->detail->x86;

	if (d->op_count >= 1 && d->operands[0].type == X86_OP_IMM) {
		*imm = (uint64_t)d->operands[0].imm;
		return 1;
	}
	return 0;
}

/* A general-purpose register operand: it gives the operand size, so objdump drops the suffix. */
static int has_gpr_operand(csh h, const cs_insn *x)
{
	const cs_x86 *d = &x->detail->x86;
	/* Name prefixes of the other register files (no general register starts so). */
	static const char *const not_gpr[] = { "xmm", "ymm", "zmm", "st", "mm", "k", "cr", "dr", "bnd" };

	for (uint8_t i = 0; i < d->op_count; i++) {
		const char *name;
		int gpr = 1;

		if (d->operands[i].type != X86_OP_REG || !(name = cs_reg_name(h, d->operands[i].reg)))
			continue;
		for (size_t k = 0; k < sizeof(not_gpr) / sizeof(not_gpr[0]) && gpr; k++)
			gpr = strncmp(name, not_gpr[k], strlen(not_gpr[k])) != 0;
		/* Segment registers, by their whole names: "es" is not "esi". */
		if (strlen(name) == 2 && name[1] == 's' && strchr("cdefgs", name[0]))
			gpr = 0;
		if (gpr)
			return 1;
	}
	return 0;
}

static void classify(lp_insn *in, const cs_insn *x)
{
	uint64_t imm = 0;
	const cs_x86 *d = &x->detail->x86;
	int prefixed = d->prefix[0] || d->prefix[1] || d->prefix[2] || d->prefix[3];

	in->kind = LP_INSN_PLAIN;
	if (is_group(x, CS_GRP_RET)) {
		in->kind = LP_INSN_RET;
	} else if (is_group(x, CS_GRP_CALL)) {
		in->kind = has_imm_operand(x, &imm) ? LP_INSN_CALL : LP_INSN_ICALL;
	} else if (is_group(x, CS_GRP_JUMP)) {
		if (x->id == X86_INS_JMP || x->id == X86_INS_LJMP)
			in->kind = has_imm_operand(x, &imm) ? LP_INSN_JUMP : LP_INSN_IJUMP;
		else
			in->kind = has_imm_operand(x, &imm) ? LP_INSN_CJUMP : LP_INSN_IJUMP;
	} else if (x->id == X86_INS_HLT || x->id == X86_INS_UD2 || x->id == X86_INS_INT3) {
		in->kind = LP_INSN_STOP;
	}
	if (in->kind == LP_INSN_JUMP || in->kind == LP_INSN_CJUMP || in->kind == LP_INSN_CALL)
		in->target = imm;
	/*
	 * What the kernel's x86 uprobes emulate instead of single-stepping
	 * (arch/x86/kernel/uprobes.c): relative jumps, conditional jumps and
	 * calls, the one-byte nop, push of a register. Prefixes send some of
	 * them back to single-stepping: only plain encodings count here.
	 */
	in->emulated = !prefixed && !d->rex &&
		       (x->bytes[0] == 0xe8 || x->bytes[0] == 0xe9 || x->bytes[0] == 0xeb ||
			x->bytes[0] == 0x90 || (x->bytes[0] >= 0x70 && x->bytes[0] <= 0x7f) ||
			(x->bytes[0] >= 0x50 && x->bytes[0] <= 0x57) ||
			(x->bytes[0] == 0x0f && x->size >= 2 && x->bytes[1] >= 0x80 && x->bytes[1] <= 0x8f));
}

/* The mnemonic as objdump prints it: see the top of this file. */
static void mnemonic(char *buf, size_t size, csh h, const cs_insn *att, const char *intel)
{
	size_t n = strlen(intel);
	const char *m = att->mnemonic;
	int added = strlen(m) == n + 1 && strncmp(m, intel, n) == 0 && strchr("bwlq", m[n]);
	int always = att->id == X86_INS_PUSH || att->id == X86_INS_POP || att->id == X86_INS_LEAVE ||
		     is_group(att, CS_GRP_CALL) || is_group(att, CS_GRP_RET) ||
		     att->id == X86_INS_JMP;

	if (att->id == X86_INS_WAIT) {
		snprintf(buf, size, "fwait");
		return;
	}
	/* Capstone 4's AT&T printer calls the REX.W form of movd (66 48 0f 6e/7e) movd; it is movq. */
	if ((strcmp(m, "movd") == 0 && strcmp(intel, "movq") == 0) ||
	    (strcmp(m, "vmovd") == 0 && strcmp(intel, "vmovq") == 0))
		added = always = 1;
	snprintf(buf, size, "%s", added && (always || has_gpr_operand(h, att)) ? intel : m);
}

/*
 * Prefixes objdump prints as words of their own, where Capstone folds them
 * in or drops them: the padding nops compilers align loops with
 * ("data16 cs nopw 0x0(%rax,%rax,1)"; 66 90 is "xchg %ax,%ax"), and CET's
 * notrack on indirect jumps and calls. Returns the words to put first
 * ("" if none); *ops may be moved past a "%cs:" the words now say.
 */
static const char *objdump_prefixes(const cs_insn *x, const char **ops, char *buf, size_t size)
{
	size_t n = 0, k = 0;
	int seg_cs = 0;

	buf[0] = '\0';
	if (x->id == X86_INS_NOP && x->size == 2 && x->bytes[0] == 0x66 && x->bytes[1] == 0x90)
		return "xchg";
	if (x->id == X86_INS_NOP) {
		while (k < x->size && (x->bytes[k] == 0x66 || x->bytes[k] == 0x2e)) {
			if (x->bytes[k] == 0x66)
				n++;
			else
				seg_cs = 1;
			k++;
		}
		/* One 0x66 is the operand size of nopw; objdump names the others. */
		for (size_t i = 1; i < n && strlen(buf) + 8 < size; i++)
			strcat(buf, "data16 ");
		if (seg_cs && strlen(buf) + 4 < size) {
			strcat(buf, "cs ");
			if (strncmp(*ops, "%cs:", 4) == 0)
				*ops += 4;
		}
		return buf;
	}
	if ((x->id == X86_INS_JMP || x->id == X86_INS_CALL) && x->detail->x86.prefix[1] == 0x3e &&
	    x->detail->x86.operands[0].type != X86_OP_IMM)
		return "notrack ";
	return buf;
}

/* "mnemonic operands", the mnemonic padded to 6 as objdump does; cut to fit. */
static void set_text(lp_insn *in, const char *mn, const char *ops)
{
	size_t n = strlen(mn), k;

	n = n < sizeof(in->text) - 1 ? n : sizeof(in->text) - 1;
	memcpy(in->text, mn, n);
	if (*ops) {
		while (n < 6)
			in->text[n++] = ' ';
		if (n < sizeof(in->text) - 1)
			in->text[n++] = ' ';
		k = strlen(ops);
		k = k < sizeof(in->text) - 1 - n ? k : sizeof(in->text) - 1 - n;
		memcpy(in->text + n, ops, k);
		n += k;
	}
	in->text[n] = '\0';
}

int lp_code_disassemble(const unsigned char *bytes, size_t size, uint64_t vaddr, uint64_t offset,
			lp_insn **insns, size_t *n, int *truncated)
{
	csh att = 0, intel = 0;
	cs_insn *a = NULL, *b = NULL;
	const uint8_t *pa = bytes;
	size_t sa = size, cap = 0;
	uint64_t va = vaddr;
	int rc = -1;

	*insns = NULL;
	*n = 0;
	*truncated = 0;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &att) != CS_ERR_OK)
		return -1;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &intel) != CS_ERR_OK)
		goto out;
	cs_option(att, CS_OPT_SYNTAX, CS_OPT_SYNTAX_ATT);
	cs_option(att, CS_OPT_DETAIL, CS_OPT_ON);
	a = cs_malloc(att);
	b = cs_malloc(intel);
	if (!a || !b)
		goto out;
	while (sa > 0) {
		uint64_t at = va;
		lp_insn *in;
		char mn[32], pbuf[32];
		const char *pre, *ops;

		const uint8_t *pb = pa;
		size_t sb = sa, len;
		uint64_t vb = va;

		if (!cs_disasm_iter(att, &pa, &sa, &va, a)) {
			*truncated = 1;
			break;
		}
		/* The Intel name only where a size suffix may have been added: half the decoding saved. */
		len = strlen(a->mnemonic);
		if (len > 1 && strchr("bwlqd", a->mnemonic[len - 1])) {
			if (!cs_disasm_iter(intel, &pb, &sb, &vb, b)) {
				*truncated = 1;
				break;
			}
		} else {
			snprintf(b->mnemonic, sizeof(b->mnemonic), "%s", a->mnemonic);
		}
		if (*n == cap) {
			size_t ncap = cap ? 2 * cap : 256;
			lp_insn *v = realloc(*insns, ncap * sizeof(*v));

			if (!v)
				goto out;
			*insns = v;
			cap = ncap;
		}
		in = &(*insns)[(*n)++];
		memset(in, 0, sizeof(*in));
		in->vaddr = at;
		in->offset = offset + (at - vaddr);
		in->size = (uint8_t)a->size;
		classify(in, a);
		in->nop = a->id == X86_INS_NOP;
		mnemonic(mn, sizeof(mn), att, a, b->mnemonic);
		ops = a->op_str;
		pre = objdump_prefixes(a, &ops, pbuf, sizeof(pbuf));
		if (strcmp(pre, "xchg") == 0) {
			set_text(in, "xchg", "%ax, %ax");
		} else {
			char full[64];

			snprintf(full, sizeof(full), "%s%s", pre, mn);
			set_text(in, full, ops);
		}
	}
	rc = 0;
out:
	if (a)
		cs_free(a, 1);
	if (b)
		cs_free(b, 1);
	if (att)
		cs_close(&att);
	if (intel)
		cs_close(&intel);
	if (rc != 0) {
		free(*insns);
		*insns = NULL;
		*n = 0;
	}
	return rc;
}

/* ---- the function cache ---- */

static const lp_coderef *ref_find(const lp_codetab *ct, uint32_t module, uint64_t vaddr)
{
	size_t lo = 0, hi = ct->nrefs;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const lp_coderef *r = &ct->refs[mid];

		if (r->module < module || (r->module == module && r->lo <= vaddr))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > 0 && ct->refs[lo - 1].module == module && vaddr < ct->refs[lo - 1].hi)
		return &ct->refs[lo - 1];
	return NULL;
}

static int cmp_ref(const void *pa, const void *pb)
{
	const lp_coderef *a = pa, *b = pb;

	if (a->module != b->module)
		return a->module < b->module ? -1 : 1;
	return (a->lo > b->lo) - (a->lo < b->lo);
}

static int remember(lp_codetab *ct, lp_fcode *fc)
{
	if (LP_GROW(ct->fns, ct->nfns, ct->capfns))
		return -1;
	if (ct->nrefs + fc->nranges > ct->caprefs) {
		size_t cap = 2 * (ct->nrefs + fc->nranges) + 64;
		lp_coderef *v = realloc(ct->refs, cap * sizeof(*v));

		if (!v)
			return -1;
		ct->refs = v;
		ct->caprefs = cap;
	}
	ct->fns[ct->nfns++] = fc;
	/* Insertion in order: one function at a time, thousands of them. */
	for (size_t i = 0; i < fc->nranges; i++) {
		lp_coderef r = { fc->module, fc->ranges[i].lo, fc->ranges[i].hi, fc };
		size_t lo = 0, hi = ct->nrefs;

		while (lo < hi) {
			size_t mid = (lo + hi) / 2;

			if (cmp_ref(&ct->refs[mid], &r) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		memmove(&ct->refs[lo + 1], &ct->refs[lo], (ct->nrefs - lo) * sizeof(*ct->refs));
		ct->refs[lo] = r;
		ct->nrefs++;
	}
	return 0;
}

/* Reads and decodes every range; a range the file does not hold ends the code there. */
static int decode(const lp_codemod *m, lp_fcode *fc)
{
	for (size_t r = 0; r < fc->nranges; r++) {
		uint64_t lo = fc->ranges[r].lo, hi = fc->ranges[r].hi, off, last;
		Elf_Data *data;
		const unsigned char *bytes;
		char *image;
		size_t isize = 0;
		lp_insn *part = NULL;
		size_t npart = 0;
		int trunc = 0;

		if (hi <= lo || hi - lo > LP_CODE_MAX || lp_loadmap_offset(m->map, lo, &off) != 0 ||
		    lp_loadmap_offset(m->map, hi - 1, &last) != 0 || last != off + (hi - lo - 1)) {
			fc->truncated = 1;
			continue;
		}
		/*
		 * The mapped file image when libelf has one (it reads with mmap):
		 * elf_getdata_rawchunk keeps a list of every chunk it handed out
		 * and searched it on each call, 40 % of --loops on 3000 functions.
		 */
		image = elf_rawfile(m->file->elf, &isize);
		if (image && off + (hi - lo) <= isize) {
			bytes = (const unsigned char *)image + off;
		} else {
			data = elf_getdata_rawchunk(m->file->elf, (int64_t)off, hi - lo, ELF_T_BYTE);
			bytes = data ? data->d_buf : NULL;
		}
		if (!bytes) {
			fc->truncated = 1;
			continue;
		}
		if (lp_code_disassemble(bytes, hi - lo, lo, off, &part, &npart, &trunc) != 0)
			return -1;
		fc->truncated |= trunc;
		if (npart) {
			lp_insn *v = realloc(fc->insns, (fc->ninsns + npart) * sizeof(*v));

			if (!v) {
				free(part);
				return -1;
			}
			memcpy(v + fc->ninsns, part, npart * sizeof(*v));
			fc->insns = v;
			fc->ninsns += npart;
		}
		free(part);
	}
	return 0;
}

/* Adds " <name>" after the direct calls' targets, as objdump does. */
static void name_calls(const lp_codemod *m, lp_fcode *fc)
{
	for (size_t i = 0; i < fc->ninsns; i++) {
		lp_insn *in = &fc->insns[i];
		const char *name;
		size_t len;

		if (in->kind != LP_INSN_CALL ||
		    !(name = dwfl_module_addrname(m->file->mod, in->target + m->file->bias)))
			continue;
		len = strlen(in->text);
		snprintf(in->text + len, sizeof(in->text) - len, " <%s>", name);
	}
}

static const char *machine_name(Elf *elf)
{
	GElf_Ehdr eh;
	static const struct { int m; const char *name; } names[] = {
		{ EM_386, "i386" }, { EM_ARM, "arm" }, { EM_AARCH64, "aarch64" },
		{ EM_PPC64, "ppc64" }, { EM_S390, "s390x" }, { EM_RISCV, "riscv" },
		{ EM_MIPS, "mips" },
	};

	if (!gelf_getehdr(elf, &eh))
		return "unknown";
	if (eh.e_machine == EM_X86_64)
		return NULL;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].m == eh.e_machine)
			return names[i].name;
	return "this architecture";
}

int lp_codetab_function(lp_codetab *ct, lp_loc loc, const lp_fcode **out, const char **arch)
{
	const lp_coderef *ref;
	lp_codemod m;
	lp_fcode *fc;
	uint64_t vaddr;
	const char *name, *machine;

	*out = NULL;
	if (codemod(ct, loc.module, &m) != 0 || lp_loadmap_vaddr(m.map, loc.offset, &vaddr) != 0)
		return LP_CODE_NONE;
	if ((machine = machine_name(m.file->elf)) != NULL) {
		if (arch)
			*arch = machine;
		return LP_CODE_UNSUPPORTED;
	}
	if ((ref = ref_find(ct, loc.module, vaddr)) != NULL) {
		*out = ref->fc;
		return LP_CODE_OK;
	}
	fc = calloc(1, sizeof(*fc));
	if (!fc)
		return LP_CODE_NOMEM;
	fc->module = loc.module;
	if (ranges_of(&m, vaddr, &fc->ranges, &fc->nranges, &fc->entry, &name) != 0) {
		fcode_free(fc);
		return LP_CODE_NONE;
	}
	if (decode(&m, fc) != 0) {
		fcode_free(fc);
		return LP_CODE_NOMEM;
	}
	if (fc->ninsns == 0) {
		fcode_free(fc);
		return LP_CODE_NONE;
	}
	name_calls(&m, fc);
	fc->name = name;
	if (lp_cfg_build(&fc->cfg, fc->insns, fc->ninsns, fc->entry) != 0 || remember(ct, fc) != 0) {
		fcode_free(fc);
		return LP_CODE_NOMEM;
	}
	*out = fc;
	return LP_CODE_OK;
}
