/*
 * A synthetic profile with a made-up symbolizer, so that renderers are tested
 * on exact text without DWARF: two functions in one source file written to a
 * temporary directory, 50 samples of 1 ms each.
 */
#ifndef LP_TEST_FAKE_H
#define LP_TEST_FAKE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "../lp_samples.h"
#include "report.h"

static const char fake_source[] =
	"int hot(int n)\n"
	"{\n"
	"\tint s = 0;\n"
	"\tfor (int i = 0; i < n; i++)\n"
	"\t\ts += i * i;\n"
	"\treturn s;\n"
	"}\n"
	"\n"
	"int main(void)\n"
	"{\n"
	"\treturn hot(1000);\n"
	"}\n";

/* The functions, by their ids' keys (module 0): hot, main, other, [prog+0x70]. */
enum { FAKE_HOT, FAKE_MAIN, FAKE_OTHER, FAKE_NOLINE, FAKE_NFN };

typedef struct fake {
	char dir[64];
	char file[128];
	char file2[128];                 /* FAKE_MORE's second source file */
	lp_func_desc fn[FAKE_NFN];       /* interned: one function, one desc */
	lp_frame frames[8][2];
	lp_profile *prof;
	lp_report rep;
	lp_fcode code[2];                /* FAKE_CODE: hot's and main's machine code */
} fake;

/* Interned strings are compared by pointer: both functions use these two. */
static const char fake_hot[] = "hot", fake_main[] = "main";

static int fake_lookup(void *ctx, lp_loc loc, int is_return, const lp_frame **out)
{
	fake *f = ctx;

	(void)is_return;
	*out = f->frames[loc.offset / 0x10 - 1];
	return loc.offset / 0x10 == 4 ? 2 : 1;
}

/* FAKE_CODE: the fake's module is mapped 0x1000 past its file offsets. */
static int fake_code(void *ctx, lp_loc loc, const lp_fcode **out, const char **arch)
{
	fake *f = ctx;

	(void)arch;
	for (int i = 0; i < 2; i++)
		if (f->code[i].ninsns && lp_fcode_insn_at(&f->code[i], loc.offset) >= 0) {
			*out = &f->code[i];
			return LP_CODE_OK;
		}
	return LP_CODE_NONE;
}

static int fake_vaddr(void *ctx, lp_loc loc, uint64_t *vaddr)
{
	(void)ctx;
	*vaddr = loc.offset + 0x1000;
	return 0;
}

static lp_insn fake_insn(uint64_t off, uint8_t size, uint8_t kind, uint64_t target, const char *text)
{
	lp_insn x = { .vaddr = off + 0x1000, .offset = off, .target = target, .size = size,
		      .kind = kind };

	snprintf(x.text, sizeof(x.text), "%s", text);
	return x;
}

/*
 * hot at 0x1010: line 4 sets up and jumps to the loop at 0x1020 (line 5),
 * which goes round by the jl at 0x1027 (its back edge), then jumps to the
 * return on line 6 (0x1050). main at 0x1030: line 11, then hot's line 5
 * inlined (0x1040, 0x1043).
 */
static int fake_code_build(fake *f)
{
	static const struct { uint64_t off; uint8_t size, kind; uint64_t target; const char *text; } hot[] = {
		{ 0x10, 2, LP_INSN_PLAIN, 0, "xor    %eax, %eax" },
		{ 0x12, 2, LP_INSN_JUMP, 0x1020, "jmp    0x1020" },
		{ 0x20, 2, LP_INSN_PLAIN, 0, "add    %ecx, %eax" },
		{ 0x22, 3, LP_INSN_PLAIN, 0, "add    $1, %ecx" },
		{ 0x25, 2, LP_INSN_PLAIN, 0, "cmp    %edi, %ecx" },
		{ 0x27, 2, LP_INSN_CJUMP, 0x1020, "jl     0x1020" },
		{ 0x29, 2, LP_INSN_JUMP, 0x1050, "jmp    0x1050" },
		{ 0x50, 1, LP_INSN_RET, 0, "ret" },
	}, main_[] = {
		{ 0x30, 16, LP_INSN_PLAIN, 0, "mov    $0x3e8, %edi" },
		{ 0x40, 3, LP_INSN_PLAIN, 0, "imul   %edi, %eax" },
		{ 0x43, 1, LP_INSN_RET, 0, "ret" },
	};
	static const lp_coderange hot_r[] = { { 0x1010, 0x1014 }, { 0x1020, 0x102b }, { 0x1050, 0x1051 } };
	static const lp_coderange main_r[] = { { 0x1030, 0x1044 } };
	size_t nh = sizeof(hot) / sizeof(hot[0]), nm = sizeof(main_) / sizeof(main_[0]);

	f->code[0].insns = calloc(nh, sizeof(lp_insn));
	f->code[1].insns = calloc(nm, sizeof(lp_insn));
	if (!f->code[0].insns || !f->code[1].insns)
		return -1;
	for (size_t i = 0; i < nh; i++)
		f->code[0].insns[i] = fake_insn(hot[i].off, hot[i].size, hot[i].kind, hot[i].target, hot[i].text);
	for (size_t i = 0; i < nm; i++)
		f->code[1].insns[i] = fake_insn(main_[i].off, main_[i].size, main_[i].kind, main_[i].target,
						main_[i].text);
	f->code[0].ninsns = nh;
	f->code[1].ninsns = nm;
	f->code[0].name = fake_hot;
	f->code[1].name = fake_main;
	f->code[0].entry = 0x1010;
	f->code[1].entry = 0x1030;
	f->code[0].ranges = (lp_coderange *)hot_r;
	f->code[0].nranges = 3;
	f->code[1].ranges = (lp_coderange *)main_r;
	f->code[1].nranges = 1;
	if (lp_cfg_build(&f->code[0].cfg, f->code[0].insns, nh, 0x1010) ||
	    lp_cfg_build(&f->code[1].cfg, f->code[1].insns, nm, 0x1030))
		return -1;
	return 0;
}

static int fake_span(void *ctx, lp_func_id id, const char **file, int *first, int *last)
{
	fake *f = ctx;

	*file = f->file;
	if (id.module == 0 && id.key == FAKE_HOT)
		*first = 1, *last = 7;
	else if (id.module == 0 && id.key == FAKE_MAIN)
		*first = 9, *last = 12;
	else
		return -1;
	return 0;
}

/* The desc of the function named fn. */
static const lp_func_desc *fake_fn(fake *f, const char *fn)
{
	for (int i = 0; i < FAKE_NFN; i++)
		if (f->fn[i].name == fn)
			return &f->fn[i];
	abort();
}

static void fake_desc(fake *f, int key, const char *name, const char *file, int decl)
{
	lp_func_desc *d = &f->fn[key];

	memset(d, 0, sizeof(*d));	/* fakes live on tests' stacks: no field is left to chance */
	d->id = (lp_func_id){ 0, (uint64_t)key };
	d->name = name;
	d->module_name = "prog";
	d->decl_file = file;
	d->decl_line = file ? decl : 0;
	d->addr = 0x10 * (uint64_t)(key + 1);
	d->owner = d;
}

static void fake_frame(lp_frame *fr, fake *f, const char *fn, int line, int decl)
{
	fr->fn = fake_fn(f, fn);
	fr->function = fn;
	fr->file = f->file;
	fr->line = line;
	fr->decl_file = f->file;
	fr->decl_line = decl;
	fr->module = 0;
}

/* The function stat of the function named name (tests look them up by name). */
static inline const lp_func_stat *fake_func(const lp_report *rep, const char *name)
{
	for (size_t i = 0; i < rep->nfuncs; i++)
		if (strcmp(rep->funcs[i].name, name) == 0)
			return &rep->funcs[i];
	return NULL;
}

/*
 * Optional extras for fake_build_opts (fake_build adds none):
 * FAKE_EVENTS2  a second event, "instructions", counted at each sample;
 * FAKE_HITS     exact hit counts: line 4 x1001, line 5 x1000000, line 6 x1 (no samples);
 * FAKE_ODD      main is called by a name with a comma, quote, newline, control
 *               byte and an invalid UTF-8 byte (quoting and escaping);
 * FAKE_META     command, start time and exit status are set;
 * FAKE_MORE     10 more samples (60 in all, task-clock 60 ms): 5 in function
 *               "other" at line 2 of a second file, alpha.c (3 lines), and 5
 *               without line info in "[prog+0x70]".
 * FAKE_METRICS  four counted events instead: "cycles:ppp" sampled (measured
 *               as "cycles:p", precise lowered), instructions, branches and
 *               branch-misses, so IPC and the branch-miss ratio exist, the
 *               cache-miss ratio does not. Per address (cycles, instructions,
 *               branches, branch-misses): 0x10 line 4 (20000, 50000, 1000,
 *               10); 0x20 line 5 (40000, 20000, 4000, 400); 0x30 main line 11
 *               (10000, 10000, 0, 0); 0x40 line 5 inlined in main (10000,
 *               30000, 1000, 30). Line 5: IPC 1.00, 8.6 % branch misses.
 *               Combines with FAKE_META and FAKE_ODD only.
 * FAKE_CODE     machine code (fake_code_build) and ELF addresses (file offset
 *               + 0x1000): hot's loop on line 5, main with hot inlined.
 * FAKE_WAITS    kernel mode and off-CPU recorded: line 4 (0x10) 5 kernel
 *               samples, 5 ms of Sys; line 5 (0x20) 2 waits, 20 ms blocked;
 *               line 6 (0x50) a wait-only line, 8 ms runnable; task-clock
 *               56 ms (1 ms no line was charged with), rusage 48 + 8 ms.
 */
#define FAKE_EVENTS2 1
#define FAKE_HITS 2
#define FAKE_ODD 4
#define FAKE_META 8
#define FAKE_MORE 16
#define FAKE_METRICS 32
#define FAKE_CODE 64
#define FAKE_WAITS 128

/* Counts that are not user-mode samples: kernel mode and off the CPU. */
static inline void fake_add_waits(lp_profile *p, uint64_t offset, uint64_t sys_samples,
				  uint64_t sys_ns, uint64_t waits, uint64_t blocked_ns,
				  uint64_t runnable_ns)
{
	lp_counts c = { .sys_samples = sys_samples, .sys_value = sys_ns, .off_count = waits };

	c.off_ns[LP_OFF_BLOCKED] = blocked_ns;
	c.off_ns[LP_OFF_RUNNABLE] = runnable_ns;
	lp_profile_add(p, LP_CTX_NONE, (lp_loc){ 0, offset }, &c);
}

static const char fake_odd[] = "main<a,\"b\">\n\x01\xff";
static const char fake_other[] = "other", fake_noline[] = "[prog+0x70]";

static inline int fake_build_opts(fake *f, int flags)
{
	lp_symbolizer sym = { .lookup = fake_lookup, .span = fake_span, .ctx = f };
	lp_error err = { 0 };
	FILE *src;

	memset(f->code, 0, sizeof(f->code)); /* f may be on the stack: fake_free frees these */
	if (flags & FAKE_CODE) {
		sym.code = fake_code;
		sym.vaddr = fake_vaddr;
		if (fake_code_build(f) != 0)
			return -1;
	}

	strcpy(f->dir, "/tmp/lp-render-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->file, sizeof(f->file), "%s/hot.c", f->dir);
	src = fopen(f->file, "w");
	if (!src)
		return -1;
	fputs(fake_source, src);
	fclose(src);
	snprintf(f->file2, sizeof(f->file2), "%s/alpha.c", f->dir);
	fake_desc(f, FAKE_HOT, fake_hot, f->file, 1);
	f->fn[FAKE_HOT].linkage = "_Z3hoti";    /* a C++ name: the exports carry it */
	fake_desc(f, FAKE_MAIN, flags & FAKE_ODD ? fake_odd : fake_main, f->file, 9);
	fake_desc(f, FAKE_OTHER, fake_other, f->file2, 1);
	fake_desc(f, FAKE_NOLINE, fake_noline, NULL, 0);
	fake_frame(&f->frames[0][0], f, fake_hot, 4, 1);
	fake_frame(&f->frames[1][0], f, fake_hot, 5, 1);
	fake_frame(&f->frames[2][0], f, f->fn[FAKE_MAIN].name, 11, 9);
	fake_frame(&f->frames[3][0], f, fake_hot, 5, 1);   /* hot inlined into main */
	fake_frame(&f->frames[3][1], f, f->fn[FAKE_MAIN].name, 11, 9);
	f->frames[3][0].inlined = 1;
	fake_frame(&f->frames[4][0], f, fake_hot, 6, 1);   /* hits only */
	if (flags & FAKE_MORE) {
		src = fopen(f->file2, "w");
		if (!src)
			return -1;
		fputs("int other(void)\n{ return 1; }\n\n", src);
		fclose(src);
		fake_frame(&f->frames[5][0], f, fake_other, 2, 1);
		f->frames[5][0].file = f->frames[5][0].decl_file = f->file2;
		fake_frame(&f->frames[6][0], f, fake_noline, 0, 0);
		f->frames[6][0].file = f->frames[6][0].decl_file = NULL;
	}
	f->prof = lp_profile_new();
	f->prof->nevents = flags & FAKE_EVENTS2 ? 2 : 1;
	strcpy(f->prof->events[0].name, "cycles");
	strcpy(f->prof->events[0].measured, "cpu-clock");
	f->prof->events[0].freq = 1000;
	strcpy(f->prof->events[1].name, "instructions");
	strcpy(f->prof->events[1].measured, "instructions");
	f->prof->task_clock_ns = 50000000;
	f->prof->wall_ns = 60000000;
	if (flags & FAKE_META) {
		char *argv[] = { "./prog", "a \"b\"", NULL };

		lp_profile_set_command(f->prof, 2, argv);
		f->prof->start_time = 1700000000;
		f->prof->exit_status = 3 << 8;
		f->prof->lost = 2;
		f->prof->throttled = 1;
	}
	lp_profile_module(f->prof, "/nonexistent/prog", NULL, 0);
	if (flags & FAKE_METRICS) {
		const char *names[][2] = { { "cycles:ppp", "cycles:p" },
					   { "instructions", "instructions" },
					   { "branches", "branches" },
					   { "branch-misses", "branch-misses" } };

		f->prof->nevents = 4;
		f->prof->events[0].freq = 0;
		f->prof->events[0].period = 10000;
		for (int e = 0; e < 4; e++) {
			strcpy(f->prof->events[e].name, names[e][0]);
			strcpy(f->prof->events[e].measured, names[e][1]);
		}
		lp_test_add(f->prof, (lp_loc){ 0, 0x10 }, 10,
				      (uint64_t[LP_MAX_EVENTS]){ 20000, 50000, 1000, 10 });
		lp_test_add(f->prof, (lp_loc){ 0, 0x20 }, 20,
				      (uint64_t[LP_MAX_EVENTS]){ 40000, 20000, 4000, 400 });
		lp_test_add(f->prof, (lp_loc){ 0, 0x30 }, 10,
				      (uint64_t[LP_MAX_EVENTS]){ 10000, 10000, 0, 0 });
		lp_test_add(f->prof, (lp_loc){ 0, 0x40 }, 10,
				      (uint64_t[LP_MAX_EVENTS]){ 10000, 30000, 1000, 30 });
		return lp_report_build(&f->rep, f->prof, &sym, &err);
	}
	lp_test_add(f->prof, (lp_loc){ 0, 0x10 }, 10, (uint64_t[]){ 10000000, 100 });
	lp_test_add(f->prof, (lp_loc){ 0, 0x20 }, 20, (uint64_t[]){ 20000000, 3000 });
	lp_test_add(f->prof, (lp_loc){ 0, 0x30 }, 10, (uint64_t[]){ 10000000, 50 });
	lp_test_add(f->prof, (lp_loc){ 0, 0x40 }, 10, (uint64_t[]){ 10000000, 7 });
	if (flags & FAKE_MORE) {
		f->prof->task_clock_ns = 60000000;
		lp_test_add(f->prof, (lp_loc){ 0, 0x60 }, 5, (uint64_t[]){ 5000000, 20 });
		lp_test_add(f->prof, (lp_loc){ 0, 0x70 }, 5, (uint64_t[]){ 5000000, 30 });
	}
	if (flags & FAKE_WAITS) {
		f->prof->kernel = f->prof->off_cpu = 1;
		f->prof->task_clock_ns = 56000000;
		f->prof->user_ns = 48000000;
		f->prof->sys_ns = 8000000;
		fake_add_waits(f->prof, 0x10, 5, 5000000, 0, 0, 0);
		fake_add_waits(f->prof, 0x20, 0, 0, 2, 20000000, 0);
		fake_add_waits(f->prof, 0x50, 0, 0, 1, 0, 8000000);
	}
	if (flags & FAKE_HITS) {
		lp_profile_add_hits(f->prof, (lp_loc){ 0, 0x10 }, 1001);
		lp_profile_add_hits(f->prof, (lp_loc){ 0, 0x20 }, 1000000);
		lp_profile_add_hits(f->prof, (lp_loc){ 0, 0x50 }, 1);
	}
	return lp_report_build(&f->rep, f->prof, &sym, &err);
}

static inline int fake_build(fake *f)
{
	return fake_build_opts(f, 0);
}

static void fake_free(fake *f)
{
	char cmd[128];

	lp_report_free(&f->rep);
	lp_profile_free(f->prof);
	for (int i = 0; i < 2; i++) {
		lp_cfg_free(&f->code[i].cfg);
		free(f->code[i].insns);
	}
	memset(f->code, 0, sizeof(f->code));
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", f->dir);
}

/* Runs a renderer into a string (caller frees), -f names resolved as lineprof does first. */
static inline char *fake_render(fake *f, lp_render_fn *fn, const lp_view_opts *o)
{
	lp_render_ctx ctx = { .rep = &f->rep, .opts = o, .color = 0 };
	lp_error err = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	ctx.src = lp_sources_new(NULL, 0, NULL);
	if (lp_report_select(&f->rep, o->functions, o->nfunctions, o->merge_instances, &err) != LP_OK)
		fprintf(out, "ERROR %s", err.msg);
	else if (fn(&ctx, out, &err) != LP_OK)
		fprintf(out, "ERROR %s", err.msg);
	fclose(out);
	lp_sources_free(ctx.src);
	return buf;
}

#endif
