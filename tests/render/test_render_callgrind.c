/*
 * --callgrind: the exact text, event names made identifiers, and the real
 * callgrind_annotate reading it back with lineprof's totals.
 */
#include <check.h>

#include "../lp_check.h"
#include <inttypes.h>

#include "fake_calls.h"
#include "render.h"

#ifndef LP_VERSION
#define LP_VERSION "?"
#endif

START_TEST(test_callgrind_exact)
{
	lp_view_opts o;
	char expect[8192], *got;
	const char *fl = lp_render_relpath(f.file);

	lp_view_opts_init(&o);
	snprintf(expect, sizeof(expect),
		 "# callgrind format\n"
		 "version: 1\n"
		 "creator: lineprof %2$s\n"
		 "cmd: ./cg\n"
		 "desc: Sampled: cpu-clock (ns), 100 samples, call stacks (-g)\n"
		 "positions: instr line\n"
		 "event: cpu_clock : cpu-clock\n"
		 "event: samples : Samples\n"
		 "events: cpu_clock samples\n"
		 "summary: 100000000 100\n"
		 "\n"
		 "ob=/nonexistent/cg\nfl=%1$s\nfn=c\n"
		 "0x1400 18 25000000 25\n"
		 "cob=/nonexistent/cg\ncfl=%1$s\ncfn=sq\ncalls=10 0x1800 23\n0x1800 19 10000000 10\n"
		 "cob=/usr/lib/libm.so.6\ncfl=???\ncfn=j0\ncalls=5 0x900 0\n0x140f 20 5000000 5\n"
		 "\n"
		 "ob=/nonexistent/cg\nfl=%1$s\nfn=a\n"
		 "0x1200 6 20000000 20\n"
		 "cob=/nonexistent/cg\ncfl=%1$s\ncfn=b\ncalls=60 0x1300 10\n0x120f 7 60000000 60\n"
		 "\n"
		 "ob=/nonexistent/cg\nfl=%1$s\nfn=b\n"
		 "0x1300 12 20000000 20\n"
		 "cob=/nonexistent/cg\ncfl=%1$s\ncfn=c\ncalls=40 0x1400 16\n0x130f 13 40000000 40\n"
		 "\n"
		 "ob=/nonexistent/cg\nfl=%1$s\nfn=rec\n"
		 "0x1500 28 10000000 10\n"
		 "cob=/nonexistent/cg\ncfl=%1$s\ncfn=shared\ncalls=5 0x1600 33\n0x151f 30 5000000 5\n"
		 "\n"
		 "ob=/nonexistent/cg\nfl=%1$s\nfn=shared\n"
		 "0x1600 35 10000000 10\n"
		 "\n"
		 "ob=/nonexistent/cg\nfl=%1$s\nfn=sq\n"
		 "0x1800 24 10000000 10\n"
		 "\n"
		 "ob=/usr/lib/libm.so.6\nfl=???\nfn=j0\n"
		 "0x900 0 5000000 5\n"
		 "\n"
		 "ob=/nonexistent/cg\nfl=%1$s\nfn=main\n"
		 "cob=/nonexistent/cg\ncfl=%1$s\ncfn=a\ncalls=80 0x1200 4\n0x10ff 40 80000000 80\n"
		 "cob=/nonexistent/cg\ncfl=%1$s\ncfn=rec\ncalls=15 0x1500 26\n0x110f 41 15000000 15\n"
		 "cob=/nonexistent/cg\ncfl=%1$s\ncfn=shared\ncalls=5 0x1600 33\n0x111f 42 5000000 5\n",
		 fl, LP_VERSION);
	got = fcg_render(&f, lp_render_callgrind, &o, NULL);
	ck_assert_str_eq(got, expect);
	free(got);
}
END_TEST

START_TEST(test_event_names)
{
	lp_view_opts o;
	char *got;

	f.prof->nevents = 3;
	strcpy(f.prof->events[1].measured, "L1-dcache-load-misses");
	strcpy(f.prof->events[2].measured, "1st:event");
	lp_view_opts_init(&o);
	got = fcg_render(&f, lp_render_callgrind, &o, NULL);
	ck_assert_msg(strstr(got, "\nevents: cpu_clock samples L1_dcache_load_misses _1st_event\n") != NULL,
		      "%s", got);
	ck_assert_ptr_nonnull(strstr(got, "\nevent: L1_dcache_load_misses : L1-dcache-load-misses\n"));
	ck_assert_ptr_nonnull(strstr(got, "\n0x1400 18 25000000 25 0 0\n"));
	free(got);
	/* Two events that become the same identifier stay distinct. */
	strcpy(f.prof->events[2].measured, "L1.dcache.load.misses");
	got = fcg_render(&f, lp_render_callgrind, &o, NULL);
	ck_assert_msg(strstr(got, "\nevents: cpu_clock samples L1_dcache_load_misses "
			     "L1_dcache_load_misses_3\n") != NULL, "%s", got);
	free(got);
}
END_TEST

static int count_str(const char *s, const char *needle)
{
	int n = 0;

	for (; (s = strstr(s, needle)); s++)
		n++;
	return n;
}

/* A cost column of callgrind_annotate: "25,000,000 (25.00%)" or "." */
static uint64_t cell(const char **s)
{
	uint64_t v = 0;

	while (**s == ' ')
		(*s)++;
	if (**s == '.') {
		(*s)++;
		return 0;
	}
	for (; (**s >= '0' && **s <= '9') || **s == ','; (*s)++)
		if (**s != ',')
			v = v * 10 + (uint64_t)(**s - '0');
	while (**s == ' ')
		(*s)++;
	if (**s == '(')
		while (**s && *(*s)++ != ')')
			;
	return v;
}

/* Sums of the two columns over the entries of function name (any file) in an annotate report. */
static int annotated(const char *report, const char *name, uint64_t *v0, uint64_t *samples)
{
	char suffix[128];
	const char *line = report;
	int found = 0;

	snprintf(suffix, sizeof(suffix), ":%s [", name);
	*v0 = *samples = 0;
	while (line && *line) {
		const char *end = strchr(line, '\n'), *hit = strstr(line, suffix);

		if (hit && (!end || hit < end)) {
			const char *s = line;

			*v0 += cell(&s);
			*samples += cell(&s);
			found++;
		}
		line = end ? end + 1 : NULL;
	}
	return found;
}

static char *run_annotate(const char *file, const char *opts)
{
	char cmd[1024], *buf = NULL;
	size_t len = 0, n;
	char chunk[4096];
	FILE *p, *out = open_memstream(&buf, &len);

	snprintf(cmd, sizeof(cmd), "callgrind_annotate --threshold=100 %s %s 2>&1; echo \"exit=$?\"",
		 opts, file);
	p = popen(cmd, "r");
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		fwrite(chunk, 1, n, out);
	pclose(p);
	fclose(out);
	return buf;
}

START_TEST(test_callgrind_annotate_agrees)
{
	lp_view_opts o;
	char path[256], *got, *rep;
	FILE *out;
	uint64_t v0, samples;

	if (system("command -v callgrind_annotate >/dev/null 2>&1") != 0) {
		fprintf(stderr, "SKIP: callgrind_annotate (valgrind) is not installed\n");
		return;
	}
	lp_view_opts_init(&o);
	got = fcg_render(&f, lp_render_callgrind, &o, NULL);
	snprintf(path, sizeof(path), "%s/callgrind.out.lp", f.dir);
	out = fopen(path, "w");
	fputs(got, out);
	fclose(out);
	free(got);

	rep = run_annotate(path, "--auto=no");
	ck_assert_msg(strstr(rep, "exit=0\n") && !strstr(rep, "WARNING") && !strstr(rep, "malformed"),
		      "%s", rep);
	ck_assert_msg(strstr(rep, "100,000,000 (100.0%) 100 (100.0%)  PROGRAM TOTALS") != NULL, "%s", rep);
	for (size_t i = 0; i < f.rep.nfuncs; i++) {
		const lp_func_stat *fs = &f.rep.funcs[i];

		ck_assert_msg(annotated(rep, fs->name, &v0, &samples) >= 1, "%s missing:\n%s", fs->name, rep);
		ck_assert_msg(v0 == fs->self_value[0] && samples == fs->self_samples,
			      "%s: self %" PRIu64 "/%" PRIu64 " in callgrind_annotate:\n%s", fs->name, v0,
			      samples, rep);
	}
	free(rep);

	/* Inclusive: from the call lines, as KCachegrind shows them. */
	rep = run_annotate(path, "--auto=no --inclusive=yes");
	ck_assert_msg(strstr(rep, "exit=0\n") != NULL, "%s", rep);
	for (size_t i = 0; i < f.rep.nfuncs; i++) {
		const lp_func_stat *fs = &f.rep.funcs[i];

		ck_assert_msg(annotated(rep, fs->name, &v0, &samples) == 1, "%s once:\n%s", fs->name, rep);
		ck_assert_msg(v0 == fs->total_value0 && samples == fs->total_samples,
			      "%s: total %" PRIu64 " in callgrind_annotate, %" PRIu64 " in lineprof:\n%s",
			      fs->name, samples, fs->total_samples, rep);
	}
	free(rep);
}
END_TEST

/* Per line: callgrind_annotate's annotated source shows lineprof's self samples. */
START_TEST(test_callgrind_annotate_lines)
{
	lp_view_opts o;
	char path[256], opts[300], *got, *rep, want[128];
	FILE *out;

	if (system("command -v callgrind_annotate >/dev/null 2>&1") != 0)
		return;
	lp_view_opts_init(&o);
	got = fcg_render(&f, lp_render_callgrind, &o, NULL);
	snprintf(path, sizeof(path), "%s/callgrind.out.lp", f.dir);
	out = fopen(path, "w");
	fputs(got, out);
	fclose(out);
	free(got);
	snprintf(opts, sizeof(opts), "--auto=yes --include=%s", f.dir);
	rep = run_annotate(path, opts);
	ck_assert_msg(strstr(rep, "exit=0\n") != NULL, "%s", rep);
	snprintf(want, sizeof(want), "25,000,000 (25.00%%) 25 (25.00%%)  \twork(25);\n");
	ck_assert_msg(strstr(rep, want) != NULL, "%s", rep);
	snprintf(want, sizeof(want), "10,000,000 (10.00%%) 10 (10.00%%)  { return x * x; }\n");
	ck_assert_msg(strstr(rep, want) != NULL, "%s", rep);
	free(rep);
}
END_TEST

/* Without -g the only calls known are inlined ones: c -> sq at line 19. */
START_TEST(test_callgrind_without_stacks)
{
	lp_view_opts o;
	char *got, want[512];
	const char *fl;

	fcg_free(&f);
	ck_assert_int_eq(fcg_build(&f, 0), LP_OK);
	fl = lp_render_relpath(f.file);
	lp_view_opts_init(&o);
	got = fcg_render(&f, lp_render_callgrind, &o, NULL);
	ck_assert_ptr_nonnull(strstr(got, "\ndesc: Sampled: cpu-clock (ns), 100 samples, no call stacks: "
					  "calls are inlining only\n"));
	snprintf(want, sizeof(want), "fn=c\n0x1400 18 25000000 25\ncob=/nonexistent/cg\ncfl=%s\ncfn=sq\n"
		 "calls=10 0x1800 23\n0x1800 19 10000000 10\n\n", fl);
	ck_assert_msg(strstr(got, want) != NULL, "%s", got);
	ck_assert_int_eq(count_str(got, "calls="), 1);
	ck_assert_ptr_null(strstr(got, "fn=main"));
	free(got);
}
END_TEST

/*
 * Names and the command are the rest of their line: a newline would start a
 * record, a leading "(N)" would be read as name compression. Escaped, and
 * callgrind_annotate reads the file back with every name whole.
 */
START_TEST(test_hostile_names)
{
	lp_view_opts o;
	char path[256], *got, *rep;
	FILE *out;

	free(f.prof->command);
	f.prof->command = strdup("./cg\nsummary: 999 999");
	free(f.prof->modules[1].path);
	f.prof->modules[1].path = strdup("(7) lib\nfn=evil\t\x1b");
	lp_view_opts_init(&o);
	got = fcg_render(&f, lp_render_callgrind, &o, NULL);
	ck_assert_msg(strstr(got, "\ncmd: ./cg\\nsummary: 999 999\n") != NULL, "%s", got);
	ck_assert_msg(strstr(got, "\nob=(1000001) (7) lib\\nfn=evil\\t\\x1b\nfl=???\nfn=j0\n") != NULL,
		      "%s", got);
	ck_assert_msg(strstr(got, "\ncob=(1000000) (7) lib\\nfn=evil\\t\\x1b\n") != NULL, "%s", got);
	ck_assert_ptr_null(strstr(got, "\nfn=evil"));
	ck_assert_ptr_null(strstr(got, "\nsummary: 999"));
	if (system("command -v callgrind_annotate >/dev/null 2>&1") == 0) {
		snprintf(path, sizeof(path), "%s/callgrind.out.hostile", f.dir);
		out = fopen(path, "w");
		fputs(got, out);
		fclose(out);
		rep = run_annotate(path, "--auto=no");
		/* The object's name read back whole, "(7)" and all; no function "evil". */
		ck_assert_msg(strstr(rep, "exit=0\n") && strstr(rep, "100 (100.0%)  PROGRAM TOTALS") &&
			      strstr(rep, "???:j0 [(7) lib\\nfn=evil\\t\\x1b]\n") && !strstr(rep, ":evil"),
			      "%s", rep);
		free(rep);
	}
	free(got);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("render-callgrind");
	TCase *tc = tcase_create("callgrind");

	tcase_add_checked_fixture(tc, fcg_setup_g, fcg_teardown);
	tcase_add_test(tc, test_callgrind_exact);
	tcase_add_test(tc, test_event_names);
	tcase_add_test(tc, test_callgrind_annotate_agrees);
	tcase_add_test(tc, test_callgrind_annotate_lines);
	tcase_add_test(tc, test_callgrind_without_stacks);
	tcase_add_test(tc, test_hostile_names);
	suite_add_tcase(s, tc);
	return lp_check_run(s);
}
