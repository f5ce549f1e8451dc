/*
 * A group's own report (groups.h) and the HTML page's per-rank and
 * per-thread blocks, on a fake profile with contexts: rank 0 is process 100
 * with threads 100 and 101, rank 1 is process 200 with thread 200. Every
 * sample has its stack (hot called from main's line 11), so the groups'
 * inclusive counts, call sites and flame graphs come from their own stacks.
 *
 *   thread 100: 0x10 (hot:4)  4 samples;  0x20 (hot:5)  6
 *   thread 101: 0x20 (hot:5) 15 samples;  0x40 (hot:5 inlined in main:11) 5
 *   thread 200: 0x30 (main:11) 10 samples; 0x20 (hot:5) 10
 *
 * 1 ms per sample, task-clock 50 ms: a line's Time in us is 1000 x samples.
 */
#include <check.h>
#include <zlib.h>

#include "../lp_check.h"

#include "fake.h"
#include "html_rows.h"
#include "groups.h"
#include "render.h"

static fake f;
static lp_ctxview cv;

static void add(lp_profile *p, uint32_t ctx, uint64_t off, uint64_t samples, uint64_t insns, uint64_t ret)
{
	lp_counts c = { .samples = samples };
	lp_loc frames[2] = { { 0, off }, { 0, ret } };

	c.value[0] = samples * 1000000;
	c.value[1] = insns;
	ck_assert_int_eq(lp_profile_add(p, ctx, frames[0], &c), 0);
	/* The stack: the leaf, and main's line 11 (0x31 is a return address into it) unless the leaf is main's. */
	ck_assert_int_eq(lp_profile_add_stack(p, ctx, frames, ret ? 2 : 1, &c), 0);
}

static uint32_t context(lp_profile *p, int kind, uint32_t parent, int64_t id, const char *name, int rank)
{
	int64_t c = lp_profile_add_context(p, kind, parent, id, name);
	lp_identity ident = { .rank = rank, .size = 2, .host = "node1" };

	ck_assert_int_ge(c, 0);
	if (kind == LP_CTX_PROCESS)
		ck_assert_int_eq(lp_profile_set_identity(p, (uint32_t)c, &ident), 0);
	return (uint32_t)c;
}

/* fake's frames and source, with this profile in place of its own. */
static void setup(void)
{
	lp_symbolizer sym = { .lookup = fake_lookup, .span = fake_span, .ctx = &f };
	lp_error err = { 0 };
	lp_profile *p;
	uint32_t p0, p1, t100, t101, t200;

	ck_assert_int_eq(fake_build(&f), LP_OK);
	lp_report_free(&f.rep);
	lp_profile_free(f.prof);
	f.prof = p = lp_profile_new();
	p->nevents = 2;
	strcpy(p->events[0].name, "cycles");
	strcpy(p->events[0].measured, "cpu-clock");
	p->events[0].freq = 1000;
	strcpy(p->events[1].name, "instructions");
	strcpy(p->events[1].measured, "instructions");
	p->task_clock_ns = 50000000;
	p->callchain = 1;
	lp_profile_module(p, "/nonexistent/prog", NULL, 0);
	p0 = context(p, LP_CTX_PROCESS, LP_CTX_NONE, 100, "prog", 0);
	p1 = context(p, LP_CTX_PROCESS, LP_CTX_NONE, 200, "prog", 1);
	t100 = context(p, LP_CTX_THREAD, p0, 100, "prog", -1);
	t101 = context(p, LP_CTX_THREAD, p0, 101, "worker", -1);
	t200 = context(p, LP_CTX_THREAD, p1, 200, "prog", -1);
	add(p, t100, 0x10, 4, 400, 0x31);
	add(p, t100, 0x20, 6, 600, 0x31);
	add(p, t101, 0x20, 15, 1500, 0x31);
	add(p, t101, 0x40, 5, 500, 0);
	/* 17 digits of instructions: more than a double holds exactly, so the page gets the text. */
	add(p, t200, 0x30, 10, 12345678901234567ULL, 0);
	add(p, t200, 0x20, 10, 1000, 0x31);
	ck_assert_int_eq(lp_report_build(&f.rep, p, &sym, &err), LP_OK);
	memset(&cv, 0, sizeof(cv));
}

static void teardown(void)
{
	lp_ctxview_free(&cv);
	fake_free(&f);
}

/* The page, with the context view annotate gives the profile (--by by). */
static char *page_of(enum lp_by by)
{
	lp_view_opts o;
	lp_render_ctx ctx = { .rep = &f.rep, .opts = &o, .cv = &cv };
	lp_error err = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	lp_view_opts_init(&o);
	lp_ctxview_free(&cv);
	ck_assert_int_eq(lp_ctxview_build(&cv, &f.rep, by, 0, &err), LP_OK);
	ctx.src = lp_sources_new(NULL, 0, NULL);
	ck_assert_int_eq(lp_render_html(&ctx, out, &err), LP_OK);
	fclose(out);
	lp_sources_free(ctx.src);
	return buf;
}

/* With the statistics across ranks that annotate gives a two-rank profile. */
static char *page(void)
{
	char *got = page_of(LP_BY_NONE);

	ck_assert_int_eq(cv.level, LP_BY_RANK);
	return got;
}

static int unbase64(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26 :
	       c >= '0' && c <= '9' ? c - '0' + 52 : c == '+' ? 62 : c == '/' ? 63 : -1;
}

/*
 * The group block with this id, as the page reads it: base64 of its JSON
 * deflated by zlib, data-bytes long, its rows' lines made (caller frees).
 */
static char *block(const char *all, const char *id)
{
	char open[96];
	const char *at, *end;
	unsigned char *z;
	char *json, *made;
	size_t nz = 0;
	unsigned long bytes, got;

	snprintf(open, sizeof(open), "<script type=\"application/x-lineprof-deflate\" class=\"lp-group\" "
		 "id=\"%s\" data-bytes=\"", id);
	at = strstr(all, open);
	ck_assert_msg(at != NULL, "no block %s", id);
	bytes = strtoul(at + strlen(open), NULL, 10);
	at = strchr(at, '>') + 1;
	end = strstr(at, "</script>");
	ck_assert_ptr_nonnull(end);
	z = malloc((size_t)(end - at));
	for (const char *p = at; p + 3 < end; p += 4) {
		uint32_t v = 0;
		int pad = 0;

		for (int i = 0; i < 4; i++) {
			int d = p[i] == '=' ? (pad++, 0) : unbase64(p[i]);

			ck_assert_int_ge(d, 0);
			v = v << 6 | (uint32_t)d;
		}
		z[nz++] = (unsigned char)(v >> 16);
		if (pad < 2)
			z[nz++] = (unsigned char)(v >> 8);
		if (pad < 1)
			z[nz++] = (unsigned char)v;
	}
	json = malloc(bytes + 1);
	got = bytes;
	ck_assert_int_eq(uncompress((unsigned char *)json, &got, z, nz), Z_OK);
	ck_assert_uint_eq(got, bytes);
	json[got] = '\0';
	free(z);
	made = lines_made(json);
	free(json);
	return made;
}

static const lp_line_stat *line_of(const lp_report *rep, const lp_line_stat *like)
{
	return lp_report_line(rep, like->file, like->line, like->fn);
}

/*
 * At every level, each group's report counts exactly that group's samples:
 * its lines' self counts are --by's per-group columns (lp_ctxview's), its
 * inclusive counts and function totals add up over the groups to the
 * whole's, and its seconds are the whole's for the same counts.
 */
START_TEST(test_group_reports_are_the_groups)
{
	static const enum lp_by levels[] = { LP_BY_THREAD, LP_BY_PROCESS, LP_BY_RANK };
	static const size_t ngroups[] = { 3, 2, 2 };
	lp_error err = { 0 };

	for (int l = 0; l < 3; l++) {
		const lp_report *w = &f.rep;
		uint64_t *incl = calloc(w->nlines, sizeof(*incl)), *total = calloc(w->nfuncs, sizeof(*total));
		lp_groupset gs;

		lp_ctxview_free(&cv);
		ck_assert_int_eq(lp_ctxview_build(&cv, w, levels[l], 1, &err), LP_OK);
		ck_assert_uint_eq(cv.ngroups, ngroups[l]);
		ck_assert_int_eq(lp_groupset_init(&gs, w, &cv, &err), LP_OK);
		for (uint32_t g = 0; g < cv.ngroups; g++) {
			lp_report gr;
			uint64_t self = 0;

			ck_assert_int_eq(lp_groupset_report(&gs, g, &gr, &err), LP_OK);
			ck_assert(gr.inclusive_from_stacks);
			for (size_t i = 0; i < w->nlines; i++) {
				const lp_line_stat *ls = line_of(&gr, &w->lines[i]);
				uint64_t s = cv.line_s[i * cv.ngroups + g], v = cv.line_v[i * cv.ngroups + g];

				ck_assert_uint_eq(ls ? ls->samples : 0, s);
				ck_assert_uint_eq(ls ? ls->value[0] : 0, v);
				if (ls) {
					incl[i] += ls->incl_samples;
					ck_assert_double_eq(lp_report_seconds(&gr, ls->value[0]),
							    lp_report_seconds(w, ls->value[0]));
				}
				self += s;
			}
			ck_assert_uint_eq(self, cv.groups[g].samples);
			for (size_t i = 0; i < w->nfuncs; i++) {
				const lp_func_stat *fs = lp_report_func(&gr, w->funcs[i].fn->id);

				total[i] += fs ? fs->total_samples : 0;
			}
			lp_report_free(&gr);
		}
		for (size_t i = 0; i < w->nlines; i++)
			ck_assert_uint_eq(incl[i], w->lines[i].incl_samples);
		for (size_t i = 0; i < w->nfuncs; i++)
			ck_assert_uint_eq(total[i], w->funcs[i].total_samples);
		lp_groupset_free(&gs);
		free(incl);
		free(total);
	}
}
END_TEST

/* Thread 101's own report: its 20 samples, main's line 11 running hot for all of them. */
START_TEST(test_group_report_of_a_thread)
{
	lp_error err = { 0 };
	lp_groupset gs;
	lp_report gr;
	const lp_line_stat *l5 = NULL, *l11 = NULL;

	ck_assert_int_eq(lp_ctxview_build(&cv, &f.rep, LP_BY_THREAD, 0, &err), LP_OK);
	ck_assert_str_eq(cv.groups[1].label, "t101");
	ck_assert_int_eq(lp_groupset_init(&gs, &f.rep, &cv, &err), LP_OK);
	ck_assert_int_eq(lp_groupset_report(&gs, 1, &gr, &err), LP_OK);
	ck_assert_uint_eq(gr.prof->samples, 20);
	ck_assert_uint_eq(gr.prof->nhits, 0);
	for (size_t i = 0; i < gr.nlines; i++) {
		if (gr.lines[i].line == 5)
			l5 = &gr.lines[i];
		if (gr.lines[i].line == 11)
			l11 = &gr.lines[i];
	}
	ck_assert_ptr_nonnull(l5);
	ck_assert_ptr_nonnull(l11);
	ck_assert_uint_eq(l5->samples, 20);
	ck_assert_uint_eq(l5->value[0], 20000000);
	ck_assert_uint_eq(l5->value[1], 0);   /* other events are not kept per context */
	ck_assert_uint_eq(l11->samples, 0);
	ck_assert_uint_eq(l11->incl_samples, 20);
	ck_assert_uint_eq(gr.nfuncs, 2);
	ck_assert_str_eq(gr.funcs[0].name, "hot");
	ck_assert_uint_eq(gr.funcs[0].self_samples, 20);
	ck_assert_uint_eq(fake_func(&gr, "main")->total_samples, 20);
	lp_report_free(&gr);
	lp_groupset_free(&gs);
}
END_TEST

/* Two ranks of one process each, three threads: a selector for ranks and one for threads. */
START_TEST(test_html_levels)
{
	char *got = page();
	int n = 0;

	for (const char *p = got; (p = strstr(p, "class=\"lp-group\"")); p++)
		n++;
	ck_assert_int_eq(n, 5);
	lp_ck_has(got, "class=\"lp-group\" id=\"lp-rank-1\"");
	lp_ck_has(got, "class=\"lp-group\" id=\"lp-thread-2\"");
	/* A process per rank: the process level would offer the same choice again. */
	ck_assert_ptr_null(strstr(got, "id=\"lp-process-"));
	lp_ck_has(got, "\"levels\": [\n {\"level\": \"rank\", \"count\": 2, \"groups\": [\n"
		 "  [\"r0\", \"rank 0: pid 100 prog on node1\", 30, \"60.0\"],\n"
		 "  [\"r1\", \"rank 1: pid 200 prog on node1\", 20, \"40.0\"]]},\n"
		 " {\"level\": \"thread\", \"count\": 3, \"groups\": [\n"
		 "  [\"t100\", \"thread 100 prog (pid 100 prog, rank 0)\", 10, \"20.0\"],\n"
		 "  [\"t101\", \"thread 101 worker (pid 100 prog, rank 0)\", 20, \"40.0\"],\n"
		 "  [\"t200\", \"thread 200 prog (pid 200 prog, rank 1)\", 20, \"40.0\"]]}]");
	free(got);
}
END_TEST

/*
 * The whole block's function table has the statistics across ranks that
 * --functions has: hot is 30 ms on rank 0 and 10 on rank 1 (mean 20, max
 * at rank 0, max/mean 1.50).
 */
START_TEST(test_html_function_statistics)
{
	char *got = page(), *fcols = strstr(got, "\"fcols\": ");

	ck_assert_ptr_nonnull(fcols);
	lp_ck_has(fcols, "[\"mean\", \"Mean\", \"mean time per group, in timer units\", 1], [\"min\", \"Min\", ");
	lp_ck_has(fcols, "[\"max_at\", \"Rank@Max\", \"the group with the most time\", 0], "
		   "[\"imbalance\", \"Max/Mean\", \"the most time over the mean\", 2]]");
	/* Samples, Time, % Prog, Incl., instructions, then the statistics. */
	lp_ck_has(got, "[0, \"hot\", \"prog\", 0, 1, [40,40000.0,80.0,80.0,4000,20000.0,10000.0,30000.0,0,1.50]]");
	/* 17 digits: the text, not a number that would print back otherwise. */
	lp_ck_has(got, "\"12345678901234567\"");
	free(got);
}
END_TEST

/*
 * Thread 101's block: its own numbers, shares of its own 20 samples, only
 * the columns a thread measured, functions by the whole's index.
 */
START_TEST(test_html_group_block)
{
	char *got = page(), *b = block(got, "lp-thread-1");

	lp_ck_has(b, "{\"label\": \"thread 101\"");
	lp_ck_has(b, "[\"Showing\", \"thread 101 worker (pid 100 prog, rank 0)\"]");
	lp_ck_has(b, "[\"Samples\", \"20 of the run's 50 (40.0 %)\"]");
	lp_ck_has(b, "[\"Not per group\", \"the counts of instructions: counted for the whole run only, not shown here\"]");
	/* No instructions column, no statistics: the group's measured columns only. */
	ck_assert_ptr_null(strstr(b, "[\"instructions\""));
	ck_assert_ptr_null(strstr(b, "[\"mean\""));
	/* hot (the whole's function 0): all 20 samples, 100 % of the thread; main (1): Incl. only. */
	lp_ck_has(b, "\"funcs\": [\n [0, [20,20000.0,100.0,100.0]],\n [1, [null,null,null,100.0]]");
	/* The listing: line 5 has its 20, line 11 runs hot for all of them, inlined or called. */
	lp_ck_has(b, "\n[5,[20,20000.0,100.0]]");
	lp_ck_has(b, "\n[11,[null,null,null,100.0],[[0,\"100.0\"]]]");
	/* Its flame graph's root holds its 20 samples, not the run's 50. */
	lp_ck_has(b, "\"nodes\": [0,20,0,0,");
	/* The call graph is the whole's only. */
	lp_ck_has(b, "\"graph\": null");
	free(b);
	/* Rank 1: thread 200's samples, main's own line 11 among them. */
	b = block(got, "lp-rank-1");
	lp_ck_has(b, "\n[11,[10,10000.0,50.0,100.0]");
	free(b);
	free(got);
}
END_TEST

/*
 * 300 threads: the page offers the 256 with the most samples (the first 44
 * have one sample each, the others two), in tid order, and says how many
 * there are.
 */
START_TEST(test_html_many_groups)
{
	lp_symbolizer sym = { .lookup = fake_lookup, .span = fake_span, .ctx = &f };
	lp_error err = { 0 };
	lp_profile *p = lp_profile_new();
	uint32_t proc;
	char *got, *lv;
	int n = 0;

	p->nevents = 1;
	strcpy(p->events[0].name, "cpu-clock");
	strcpy(p->events[0].measured, "cpu-clock");
	p->task_clock_ns = 1;
	lp_profile_module(p, "/nonexistent/prog", NULL, 0);
	proc = context(p, LP_CTX_PROCESS, LP_CTX_NONE, 1000, "prog", -1);
	for (int t = 0; t < 300; t++)
		add(p, context(p, LP_CTX_THREAD, proc, 1000 + t, "w", -1), 0x20, t < 44 ? 1 : 2, 0, 0);
	lp_report_free(&f.rep);
	lp_profile_free(f.prof);
	f.prof = p;
	ck_assert_int_eq(lp_report_build(&f.rep, p, &sym, &err), LP_OK);
	got = page_of(LP_BY_NONE);
	lv = strstr(got, "{\"level\": \"thread\", \"count\": 300, \"groups\": [");
	ck_assert_ptr_nonnull(lv);
	for (const char *q = got; (q = strstr(q, "class=\"lp-group\"")); q++)
		n++;
	ck_assert_int_eq(n, 256);
	lp_ck_has(got, "id=\"lp-thread-255\"");
	/* Threads 1000-1043 have one sample each: left out; 1044 has two: the first offered. */
	ck_assert_ptr_null(strstr(lv, "\"t1043\""));
	lp_ck_has(lv, "\n  [\"t1044\", ");
	lp_ck_has(lv, "[\"t1299\", ");
	free(got);
}
END_TEST

/* As add, with kernel-mode and off-CPU time (ns) at the same place. */
static void add_waits(lp_profile *p, uint32_t ctx, uint64_t off, uint64_t samples, uint64_t sys_samples,
		      uint64_t sys_ns, uint64_t waits, uint64_t blocked_ns, uint64_t ret)
{
	lp_counts c = { .samples = samples, .sys_samples = sys_samples, .sys_value = sys_ns,
			.off_count = waits };
	lp_loc frames[2] = { { 0, off }, { 0, ret } };

	c.value[0] = samples * 1000000;
	c.off_ns[LP_OFF_BLOCKED] = blocked_ns;
	ck_assert_int_eq(lp_profile_add(p, ctx, frames[0], &c), 0);
	ck_assert_int_eq(lp_profile_add_stack(p, ctx, frames, ret ? 2 : 1, &c), 0);
}

/*
 * Sys and Off-CPU per thread, as -f's table and the listing show them:
 * thread 1 runs hot's line 5 for 10 ms and 3 ms in the kernel; thread 2
 * runs main's line 11 for 5 ms and waits 40 ms blocked on hot's line 4,
 * called from line 11. Each thread's block has the Sys, Off-CPU and Wall
 * columns with its own numbers (us), a function that only waited (hot, in
 * thread 2) in its function table, main's Incl. Wall in its -f table, and
 * its own totals in its header.
 */
START_TEST(test_html_group_waits)
{
	static const char *const named[] = { "main" };
	lp_symbolizer sym = { .lookup = fake_lookup, .span = fake_span, .ctx = &f };
	lp_error err = { 0 };
	lp_profile *p = lp_profile_new();
	lp_view_opts o;
	lp_render_ctx ctx = { .opts = &o, .cv = &cv };
	char *got = NULL, *b;
	size_t len = 0;
	FILE *out;
	uint32_t proc;

	p->nevents = 1;
	strcpy(p->events[0].name, "cpu-clock");
	strcpy(p->events[0].measured, "cpu-clock");
	p->task_clock_ns = 18000000;
	p->callchain = 1;
	p->kernel = p->off_cpu = 1;
	lp_profile_module(p, "/nonexistent/prog", NULL, 0);
	proc = context(p, LP_CTX_PROCESS, LP_CTX_NONE, 1000, "prog", -1);
	add_waits(p, context(p, LP_CTX_THREAD, proc, 1000, "prog", -1), 0x20, 10, 3, 3000000, 0, 0, 0x31);
	proc = context(p, LP_CTX_THREAD, proc, 1001, "waiter", -1);
	add_waits(p, proc, 0x30, 5, 0, 0, 0, 0, 0);
	add_waits(p, proc, 0x10, 0, 0, 0, 2, 40000000, 0x31);
	lp_report_free(&f.rep);
	lp_profile_free(f.prof);
	f.prof = p;
	ck_assert_int_eq(lp_report_build(&f.rep, p, &sym, &err), LP_OK);
	ck_assert(f.rep.has_wall);
	lp_view_opts_init(&o);
	o.functions = named;
	o.nfunctions = 1;
	ck_assert_int_eq(lp_report_select(&f.rep, named, 1, 0, &err), LP_OK);
	ctx.rep = &f.rep;
	ck_assert_int_eq(lp_ctxview_build(&cv, &f.rep, LP_BY_NONE, 0, &err), LP_OK);
	ctx.src = lp_sources_new(NULL, 0, NULL);
	out = open_memstream(&got, &len);
	ck_assert_int_eq(lp_render_html(&ctx, out, &err), LP_OK);
	fclose(out);
	lp_sources_free(ctx.src);

	/* The whole run: both threads' lines, shares of its 15 samples. */
	b = lines_made(got);
	free(got);
	got = b;
	lp_ck_has(got, "\n[4,[0,0.0,0.0,null,0.0,40000.0,40000.0]]");
	lp_ck_has(got, "\n[5,[10,10000.0,66.7,null,3000.0,0.0,13000.0]]");
	lp_ck_has(got, "[\"Off-CPU\", \"0.040 s (0.040 s blocked, 0.000 s waiting for a CPU)\"]");

	b = block(got, "lp-thread-0");
	lp_ck_has(b, "[\"sys\", \"Sys\", ");
	lp_ck_has(b, "[\"off_cpu\", \"Off-CPU\", ");
	lp_ck_has(b, "[\"wall\", \"Wall\", ");
	lp_ck_has(b, "[\"Sys\", \"0.003 s (sampled in kernel mode");
	lp_ck_has(b, "[\"Off-CPU\", \"0.000 s (0.000 s blocked");
	/* Its line 5: 10 ms, 3 ms in the kernel, all of its time (Wall 13 ms). */
	lp_ck_has(b, "\n[5,[10,10000.0,100.0,null,3000.0,0.0,13000.0]]");
	lp_ck_has(b, "\"funcs\": [\n [0, [10,10000.0,100.0,100.0,3000.0,0.0,13000.0]]");
	/* -f main: line 11 calls hot, Incl. Time 10 ms, Incl. Wall 13 ms (Sys included). */
	lp_ck_has(b, "[0, 11, [null,null,null,10000.0,null,null,null,13000.0], 0]");
	free(b);

	b = block(got, "lp-thread-1");
	lp_ck_has(b, "[\"Sys\", \"0.000 s (sampled in kernel mode");
	lp_ck_has(b, "[\"Off-CPU\", \"0.040 s (0.040 s blocked, 0.000 s waiting for a CPU)\"]");
	lp_ck_has(b, "[\"Wall (lines)\", \"0.045 s ");
	/* Its hot lines in the terminal's order, which the page names. */
	lp_ck_has(b, "\"hot_by\": \"Time + Sys + blocked Off-CPU\"");
	/* hot only waited here: in the function table, the hot lines and the listing all the same. */
	lp_ck_has(b, "\n [0, [0,0.0,0.0,null,0.0,40000.0,40000.0]]");
	lp_ck_has(b, "\"hot\": [\n [0, 4, 0, \"hot\", [0,0.0,0.0,null,0.0,40000.0,40000.0]]");
	lp_ck_has(b, "\n[4,[0,0.0,0.0,null,0.0,40000.0,40000.0]]");
	lp_ck_has(b, "\n[11,[5,5000.0,100.0,null,0.0,0.0,5000.0]]");
	/* -f main: its 5 ms, and the 40 ms hot waited below line 11 in Incl. Wall. */
	lp_ck_has(b, "[\"incl_wall\", \"Incl. Wall\", ");
	lp_ck_has(b, "[0, 11, [5,5000.0,100.0,0.0,0.0,5000.0,45000.0], 1]");
	free(b);
	free(got);
}
END_TEST

/*
 * --by's columns where a thread waited on a line before it was sampled
 * there: the wait's entry has no samples, and must not count the line
 * twice for the thread (which wrote the thread's column over with 0 and
 * put the max in a group the column says has none). Thread 1000 waits at
 * 0x20 (hot:5), then has 4 samples at 0x40 (hot:5 inlined); thread 1001
 * has 2 samples at 0x20.
 */
START_TEST(test_by_columns_with_waits)
{
	lp_symbolizer sym = { .lookup = fake_lookup, .span = fake_span, .ctx = &f };
	lp_error err = { 0 };
	lp_profile *p = lp_profile_new();
	const lp_line_stat *l5;
	uint32_t proc, t0, t1;
	size_t i;

	p->nevents = 1;
	strcpy(p->events[0].name, "cpu-clock");
	strcpy(p->events[0].measured, "cpu-clock");
	p->task_clock_ns = 6000000;
	p->callchain = 1;
	p->kernel = p->off_cpu = 1;
	lp_profile_module(p, "/nonexistent/prog", NULL, 0);
	proc = context(p, LP_CTX_PROCESS, LP_CTX_NONE, 1000, "prog", -1);
	t0 = context(p, LP_CTX_THREAD, proc, 1000, "prog", -1);
	t1 = context(p, LP_CTX_THREAD, proc, 1001, "prog", -1);
	add_waits(p, t0, 0x20, 0, 0, 0, 1, 7000000, 0x31);
	add_waits(p, t0, 0x40, 4, 0, 0, 0, 0, 0);
	add_waits(p, t1, 0x20, 2, 0, 0, 0, 0, 0x31);
	lp_report_free(&f.rep);
	lp_profile_free(f.prof);
	f.prof = p;
	ck_assert_int_eq(lp_report_build(&f.rep, p, &sym, &err), LP_OK);
	ck_assert_int_eq(lp_ctxview_build(&cv, &f.rep, LP_BY_THREAD, 1, &err), LP_OK);
	ck_assert_uint_eq(cv.ngroups, 2);
	for (i = 0; i < f.rep.nlines; i++) {
		const lp_stat *st = &cv.line_stats[i];

		ck_assert_uint_eq(cv.line_v[i * 2] + cv.line_v[i * 2 + 1], f.rep.lines[i].value[0]);
		ck_assert_uint_le(st->nz, 2);
		ck_assert_uint_eq(st->max_v, cv.line_v[i * 2 + st->max_g]);
	}
	l5 = lp_report_line(&f.rep, f.file, 5, fake_fn(&f, fake_hot));
	ck_assert_ptr_nonnull(l5);
	i = (size_t)(l5 - f.rep.lines);
	ck_assert_uint_eq(cv.line_v[i * 2], 4000000);
	ck_assert_uint_eq(cv.line_v[i * 2 + 1], 2000000);
	ck_assert_uint_eq(cv.line_stats[i].nz, 2);
	ck_assert_uint_eq(cv.line_stats[i].max_g, 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("render_groups");
	TCase *tc = tcase_create("groups");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_group_reports_are_the_groups);
	tcase_add_test(tc, test_group_report_of_a_thread);
	tcase_add_test(tc, test_html_levels);
	tcase_add_test(tc, test_html_function_statistics);
	tcase_add_test(tc, test_html_group_block);
	tcase_add_test(tc, test_html_many_groups);
	tcase_add_test(tc, test_html_group_waits);
	tcase_add_test(tc, test_by_columns_with_waits);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return lp_check_run(suite());
}
