/*
 * The frame-pointer note: callgraph (-O0 -fno-omit-frame-pointer) keeps
 * them, callgraph_nofp (-O2 -fomit-frame-pointer) does not; libraries are
 * never judged; the note comes once, and only for profiles with stacks.
 */
#include <check.h>

#include "../lp_check.h"
#include "../lp_samples.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "framepointer.h"

static char fp_path[4096], nofp_path[4096];

static void paths(void)
{
	const char *bin = getenv("LP_PROGRAMS_BIN");

	ck_assert_msg(bin != NULL, "LP_PROGRAMS_BIN names the built test programs");
	snprintf(fp_path, sizeof(fp_path), "%s/callgraph", bin);
	snprintf(nofp_path, sizeof(nofp_path), "%s/callgraph_nofp", bin);
}

/* The C library this test runs with: a shared object built without frame pointers. */
static void libc_path(char *buf, size_t size)
{
	FILE *maps = fopen("/proc/self/maps", "r");
	char line[4096];

	buf[0] = 0;
	while (maps && fgets(line, sizeof(line), maps)) {
		char *p = strchr(line, '/');

		if (p && strstr(p, "/libc.so")) {
			p[strcspn(p, "\n")] = 0;
			snprintf(buf, size, "%s", p);
			break;
		}
	}
	if (maps)
		fclose(maps);
}

START_TEST(test_probe)
{
	char why[256];

	paths();
	ck_assert_int_eq(lp_framepointer_probe(fp_path, why, sizeof(why)), LP_FP_YES);
	ck_assert_int_eq(lp_framepointer_probe(nofp_path, why, sizeof(why)), LP_FP_NO);
	ck_assert_msg(strstr(why, "-fomit-frame-pointer") != NULL, "%s", why);
	ck_assert_int_eq(lp_framepointer_probe("/nonexistent/prog", why, sizeof(why)), LP_FP_UNKNOWN);
}
END_TEST

/* What lp_framepointer_check says for a profile with samples in these modules. */
static char *check_samples(int callchain, const char *const *mods, const uint64_t *samples, int n)
{
	lp_profile *p = lp_profile_new();
	char *buf = NULL;
	size_t len = 0;
	FILE *diag = open_memstream(&buf, &len);
	uint64_t v = 1000;

	p->nevents = 1;
	p->callchain = callchain;
	for (int i = 0; i < n; i++) {
		lp_profile_module(p, mods[i], NULL, 0);
		lp_test_add(p, (lp_loc){ (uint32_t)i, 0x1000 }, samples ? samples[i] : 1, &v);
	}
	lp_framepointer_check(p, diag);
	fclose(diag);
	lp_profile_free(p);
	return buf;
}

static char *check_modules(int callchain, const char *const *mods, int n)
{
	return check_samples(callchain, mods, NULL, n);
}

START_TEST(test_note_once)
{
	char copy[4200], cmd[9000], *got;
	const char *mods[3];

	paths();
	/* A second executable without frame pointers: still one note. */
	snprintf(copy, sizeof(copy), "%s.copy", nofp_path);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", nofp_path, copy);
	ck_assert_int_eq(system(cmd), 0);
	mods[0] = fp_path;
	mods[1] = nofp_path;
	mods[2] = copy;
	got = check_modules(1, mods, 3);
	remove(copy);
	ck_assert_msg(strncmp(got, "lineprof: note: ", 16) == 0, "%s", got);
	ck_assert_ptr_nonnull(strstr(got, nofp_path));
	ck_assert_ptr_nonnull(strstr(got, "rebuild with -fno-omit-frame-pointer, or record with "
				     "--call-graph=dwarf\n"));
	ck_assert_msg(strchr(got, '\n') == got + strlen(got) - 1, "one line: %s", got);
	free(got);
}
END_TEST

START_TEST(test_no_note)
{
	char *got;
	const char *mods[1];

	paths();
	mods[0] = fp_path;
	got = check_modules(1, mods, 1);
	ck_assert_str_eq(got, "");
	free(got);
	mods[0] = nofp_path;
	got = check_modules(0, mods, 1);
	ck_assert_str_eq(got, "");      /* no stacks recorded: nothing to truncate */
	free(got);
	got = check_modules(2, mods, 1);
	ck_assert_str_eq(got, "");      /* --call-graph=dwarf: frame pointers do not matter */
	free(got);
}
END_TEST

/* A library without frame pointers: not to be rebuilt, but its share makes callers' totals low. */
START_TEST(test_library_note)
{
	char libc[4096], want[4200], *got;
	const char *mods[2];

	paths();
	libc_path(libc, sizeof(libc));
	ck_assert_msg(libc[0] != 0, "libc in /proc/self/maps");
	if (lp_framepointer_probe(libc, NULL, 0) != LP_FP_NO) {
		fprintf(stderr, "SKIP test_library_note: %s keeps frame pointers\n", libc);
		return;
	}
	mods[0] = fp_path;
	mods[1] = libc;
	got = check_samples(1, mods, (const uint64_t[]){ 99, 1 }, 2);
	ck_assert_str_eq(got, "");      /* 1 %: not worth a note */
	free(got);
	got = check_samples(1, mods, (const uint64_t[]){ 60, 40 }, 2);
	snprintf(want, sizeof(want), "lineprof: note: 40%% of the samples are in %s, built without "
		 "frame pointers: -g stacks from there miss their direct caller, so the totals of the "
		 "functions calling into it come out too low; --call-graph=dwarf records them whole\n",
		 strrchr(libc, '/') + 1);
	ck_assert_str_eq(got, want);
	free(got);
	/* DWARF unwinding does not need frame pointers: no note. */
	got = check_samples(2, mods, (const uint64_t[]){ 60, 40 }, 2);
	ck_assert_str_eq(got, "");
	free(got);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("framepointer");
	TCase *tc = tcase_create("framepointer");

	tcase_add_test(tc, test_probe);
	tcase_add_test(tc, test_note_once);
	tcase_add_test(tc, test_no_note);
	tcase_add_test(tc, test_library_note);
	suite_add_tcase(s, tc);
	return lp_check_run(s);
}
