/*
 * A synthetic profile WITH call stacks (-g), through a made-up symbolizer,
 * for the function profile, call graph and export renderers. The program
 * (cg.c, written to a temporary directory):
 *
 *   main -> a -> b -> c -> sq (inlined into c)
 *                     c -> j0 (in libm, no line info)
 *   main -> rec -> rec -> rec -> shared      (recursion)
 *   main -> shared                           (shared: called from two places)
 *
 * 100 samples of 1 ms. Self: a 20, b 20, c 25, sq 10, j0 5, rec 10,
 * shared 10, main 0. Total: main 100, a 80, b 60, c 40, sq 10, j0 5,
 * rec 15, shared 10. Edges: main->a 80, a->b 60, b->c 40, c->sq 10,
 * c->j0 5, main->rec 15, rec->shared 5, main->shared 5.
 */
#ifndef LP_TEST_FAKE_CALLS_H
#define LP_TEST_FAKE_CALLS_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "../lp_samples.h"
#include "report.h"

static const char fcg_source[] =
	"/* fake call graph */\n"          /* 1 */
	"static double sink;\n"            /* 2 */
	"\n"                               /* 3 */
	"void a(void)\n"                   /* 4 */
	"{\n"                              /* 5 */
	"\twork(20);\n"                    /* 6: a self */
	"\tb();\n"                         /* 7: a calls b */
	"}\n"                              /* 8 */
	"\n"                               /* 9 */
	"void b(void)\n"                   /* 10 */
	"{\n"                              /* 11 */
	"\twork(20);\n"                    /* 12: b self */
	"\tc();\n"                         /* 13: b calls c */
	"}\n"                              /* 14 */
	"\n"                               /* 15 */
	"void c(void)\n"                   /* 16 */
	"{\n"                              /* 17 */
	"\twork(25);\n"                    /* 18: c self */
	"\tsink += sq(2.0);\n"             /* 19: sq inlined here */
	"\tsink += j0(1.0);\n"             /* 20: c calls j0 */
	"}\n"                              /* 21 */
	"\n"                               /* 22 */
	"static inline double sq(double x)\n" /* 23 */
	"{ return x * x; }\n"              /* 24: sq self */
	"\n"                               /* 25 */
	"void rec(int n)\n"                /* 26 */
	"{\n"                              /* 27 */
	"\twork(3);\n"                     /* 28: rec self */
	"\tif (n) rec(n - 1);\n"           /* 29: rec calls rec */
	"\telse shared();\n"               /* 30: rec calls shared */
	"}\n"                              /* 31 */
	"\n"                               /* 32 */
	"void shared(void)\n"              /* 33 */
	"{\n"                              /* 34 */
	"\twork(5);\n"                     /* 35: shared self */
	"}\n"                              /* 36 */
	"\n"                               /* 37 */
	"int main(void)\n"                 /* 38 */
	"{\n"                              /* 39 */
	"\ta();\n"                         /* 40 */
	"\trec(2);\n"                      /* 41 */
	"\tshared();\n"                    /* 42 */
	"\treturn 0;\n"                    /* 43 */
	"}\n";                             /* 44 */

/* Interned names: equal names are equal pointers, as the real symtab gives them. */
static const char fcg_main[] = "main", fcg_a[] = "a", fcg_b[] = "b", fcg_c[] = "c",
		  fcg_sq[] = "sq", fcg_j0[] = "j0", fcg_rec[] = "rec", fcg_shared[] = "shared";

enum { FCG_NLOCS = 15, FCG_NFN = 8 };

static const char *const fcg_names[FCG_NFN] = { fcg_main, fcg_a, fcg_b, fcg_c, fcg_sq, fcg_j0,
						 fcg_rec, fcg_shared };

typedef struct fcg {
	char dir[64];
	char file[128];
	lp_func_desc fn[FCG_NFN];    /* interned: one function, one desc; key = index */
	struct { uint32_t module; uint64_t offset; lp_frame fr[2]; int n; } locs[FCG_NLOCS];
	int nlocs;
	lp_profile *prof;
	lp_report rep;
} fcg;

static int fcg_lookup(void *ctx, lp_loc loc, int is_return, const lp_frame **out)
{
	fcg *f = ctx;

	(void)is_return; /* the fake's return addresses are the call lines themselves */
	for (int i = 0; i < f->nlocs; i++)
		if (f->locs[i].module == loc.module && f->locs[i].offset == loc.offset) {
			*out = f->locs[i].fr;
			return f->locs[i].n;
		}
	abort();
}

static int fcg_span(void *ctx, lp_func_id id, const char **file, int *first, int *last)
{
	static const struct { const char *name; int first, last; } spans[] = {
		{ "a", 4, 8 }, { "b", 10, 14 }, { "c", 16, 21 }, { "sq", 23, 24 },
		{ "rec", 26, 31 }, { "shared", 33, 36 }, { "main", 38, 44 },
	};
	fcg *f = ctx;
	const char *name = id.key < FCG_NFN ? fcg_names[id.key] : "";

	for (size_t i = 0; i < sizeof(spans) / sizeof(spans[0]); i++)
		if (strcmp(spans[i].name, name) == 0) {
			*file = f->file;
			*first = spans[i].first;
			*last = spans[i].last;
			return 0;
		}
	return -1;
}

/* Module 0 is mapped as a PIE at 0x1000 past its file offsets; libm's file is not there. */
static int fcg_vaddr(void *ctx, lp_loc loc, uint64_t *vaddr)
{
	(void)ctx;
	if (loc.module != 0)
		return -1;
	*vaddr = loc.offset + 0x1000;
	return 0;
}

static int fcg_decl(const char *fn)
{
	const char *s = fcg_source;
	char want[64];
	int line = 1;

	snprintf(want, sizeof(want), " %s(", fn);
	for (const char *nl; (nl = strchr(s, '\n')); s = nl + 1, line++)
		if (s[0] != '\t' && s[0] != '{' && strstr(s, want) && strstr(s, want) < nl)
			return line;
	return 0;
}

/* The desc of the function named fn. */
static const lp_func_desc *fcg_fn(fcg *f, const char *fn)
{
	for (int i = 0; i < FCG_NFN; i++)
		if (fcg_names[i] == fn)
			return &f->fn[i];
	abort();
}

/* The function stat of the function named name (tests look them up by name). */
static inline const lp_func_stat *fcg_func(const lp_report *rep, const char *name)
{
	for (size_t i = 0; i < rep->nfuncs; i++)
		if (strcmp(rep->funcs[i].name, name) == 0)
			return &rep->funcs[i];
	return NULL;
}

/* Location 0xOFF of module 0 is line LINE of FN (and, if FN2, inlined into FN2 at LINE2). */
static void fcg_loc(fcg *f, uint32_t module, uint64_t off, const char *fn, int line,
		    const char *fn2, int line2)
{
	lp_frame *fr = f->locs[f->nlocs].fr;

	f->locs[f->nlocs].module = module;
	f->locs[f->nlocs].offset = off;
	f->locs[f->nlocs].n = fn2 ? 2 : 1;
	memset(fr, 0, 2 * sizeof(*fr));
	fr[0].fn = fcg_fn(f, fn);
	fr[0].function = fn;
	fr[0].module = module;
	if (module == 0) {
		fr[0].file = fr[0].decl_file = f->file;
		fr[0].line = line;
		fr[0].decl_line = fcg_decl(fn);
	}
	if (fn2) {
		fr[0].inlined = 1;
		fr[1].fn = fcg_fn(f, fn2);
		fr[1].function = fn2;
		fr[1].file = fr[1].decl_file = f->file;
		fr[1].line = line2;
		fr[1].decl_line = fcg_decl(fn2);
	}
	f->nlocs++;
}

static void fcg_stack(fcg *f, uint64_t samples, const uint64_t *offs, uint32_t depth)
{
	lp_loc frames[8];
	uint64_t v = samples * 1000000;

	memset(frames, 0, sizeof(frames)); /* lp_loc has padding, and stacks are compared bytewise */
	for (uint32_t i = 0; i < depth; i++) {
		frames[i].module = offs[i] == 0x900 ? 1 : 0;
		frames[i].offset = offs[i];
	}
	lp_test_add(f->prof, frames[0], samples, &v);
	lp_test_add_stack(f->prof, frames, depth, samples, v);
}

#define FCG_STACK(f, n, ...) \
	fcg_stack(f, n, (const uint64_t[]){ __VA_ARGS__ }, \
		  sizeof((const uint64_t[]){ __VA_ARGS__ }) / sizeof(uint64_t))

/* callchain 0: the same samples without stacks (inlining is all that is known). */
static int fcg_build(fcg *f, int callchain)
{
	lp_symbolizer sym = { .lookup = fcg_lookup, .span = fcg_span, .ctx = f, .vaddr = fcg_vaddr };
	lp_error err = { 0 };
	FILE *src;

	memset(f, 0, sizeof(*f));
	strcpy(f->dir, "/tmp/lp-calls-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->file, sizeof(f->file), "%s/cg.c", f->dir);
	src = fopen(f->file, "w");
	if (!src)
		return -1;
	fputs(fcg_source, src);
	fclose(src);
	for (int i = 0; i < FCG_NFN; i++) {
		lp_func_desc *d = &f->fn[i];
		int libm = fcg_names[i] == fcg_j0;

		d->id = (lp_func_id){ libm ? 1 : 0, (uint64_t)i };
		d->name = fcg_names[i];
		d->module_name = libm ? "libm.so.6" : "cg";
		d->decl_file = libm ? NULL : f->file;
		d->decl_line = libm ? 0 : fcg_decl(fcg_names[i]);
		d->addr = 0x100 * (uint64_t)(i + 1);
		d->owner = d;
	}
	fcg_loc(f, 0, 0x100, fcg_main, 40, NULL, 0);
	fcg_loc(f, 0, 0x110, fcg_main, 41, NULL, 0);
	fcg_loc(f, 0, 0x120, fcg_main, 42, NULL, 0);
	fcg_loc(f, 0, 0x200, fcg_a, 6, NULL, 0);
	fcg_loc(f, 0, 0x210, fcg_a, 7, NULL, 0);
	fcg_loc(f, 0, 0x300, fcg_b, 12, NULL, 0);
	fcg_loc(f, 0, 0x310, fcg_b, 13, NULL, 0);
	fcg_loc(f, 0, 0x400, fcg_c, 18, NULL, 0);
	fcg_loc(f, 0, 0x410, fcg_c, 20, NULL, 0);
	fcg_loc(f, 0, 0x800, fcg_sq, 24, fcg_c, 19);
	fcg_loc(f, 1, 0x900, fcg_j0, 0, NULL, 0);
	fcg_loc(f, 0, 0x500, fcg_rec, 28, NULL, 0);
	fcg_loc(f, 0, 0x510, fcg_rec, 29, NULL, 0);
	fcg_loc(f, 0, 0x520, fcg_rec, 30, NULL, 0);
	fcg_loc(f, 0, 0x600, fcg_shared, 35, NULL, 0);
	f->prof = lp_profile_new();
	f->prof->nevents = 1;
	strcpy(f->prof->events[0].name, "cpu-clock");
	strcpy(f->prof->events[0].measured, "cpu-clock");
	f->prof->events[0].freq = 1000;
	f->prof->task_clock_ns = 100000000;
	f->prof->wall_ns = 120000000;
	f->prof->callchain = callchain;
	lp_profile_set_command(f->prof, 1, (char *[]){ "./cg", NULL });
	lp_profile_module(f->prof, "/nonexistent/cg", NULL, 0);
	lp_profile_module(f->prof, "/usr/lib/libm.so.6", NULL, 0);
	FCG_STACK(f, 20, 0x200, 0x100);
	FCG_STACK(f, 20, 0x300, 0x210, 0x100);
	FCG_STACK(f, 25, 0x400, 0x310, 0x210, 0x100);
	FCG_STACK(f, 10, 0x800, 0x310, 0x210, 0x100);
	FCG_STACK(f, 5, 0x900, 0x410, 0x310, 0x210, 0x100);
	FCG_STACK(f, 4, 0x500, 0x110);
	FCG_STACK(f, 3, 0x500, 0x510, 0x110);
	FCG_STACK(f, 3, 0x500, 0x510, 0x510, 0x110);
	FCG_STACK(f, 5, 0x600, 0x520, 0x510, 0x510, 0x110);
	FCG_STACK(f, 5, 0x600, 0x120);
	if (!callchain) {
		/* A profile recorded without -g has no stacks at all. */
		f->prof->nstacks = 0;
		f->prof->nframes = 0;
	}
	return lp_report_build(&f->rep, f->prof, &sym, &err);
}

static void fcg_free(fcg *f)
{
	char cmd[128];

	lp_report_free(&f->rep);
	lp_profile_free(f->prof);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", f->dir);
}

/* Runs a renderer into a string (caller frees); diag goes to *diag if diag != NULL. */
static inline char *fcg_render(fcg *f, lp_render_fn *fn, lp_view_opts *o, char **diag)
{
	lp_render_ctx ctx = { .rep = &f->rep, .opts = o, .color = 0 };
	lp_error err = { 0 };
	char *buf = NULL, *dbuf = NULL;
	size_t len = 0, dlen = 0;
	FILE *out = open_memstream(&buf, &len);
	FILE *d = diag ? open_memstream(&dbuf, &dlen) : NULL;

	o->diag = d;
	ctx.src = lp_sources_new(NULL, 0, NULL);
	if (lp_report_select(&f->rep, o->functions, o->nfunctions, o->merge_instances, &err) != LP_OK)
		fprintf(out, "ERROR %s", err.msg);
	else if (fn(&ctx, out, &err) != LP_OK)
		fprintf(out, "ERROR %s", err.msg);
	fclose(out);
	if (d) {
		fclose(d);
		*diag = dbuf;
	}
	o->diag = NULL;
	lp_sources_free(ctx.src);
	return buf;
}

/* The fixture every call-graph renderer test uses: with stacks (-g) or without. */
static fcg f;

static inline void fcg_setup_g(void)
{
	ck_assert_int_eq(fcg_build(&f, 1), LP_OK);
}

static inline void fcg_setup_nog(void)
{
	ck_assert_int_eq(fcg_build(&f, 0), LP_OK);
}

static inline void fcg_teardown(void)
{
	fcg_free(&f);
}

#endif
