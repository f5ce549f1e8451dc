/* The one way every Check test program runs its suite and reports. */
#ifndef LP_TEST_CHECK_H
#define LP_TEST_CHECK_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Runs s, frees it, and returns the exit status meson expects. */
static inline int lp_check_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Fails the test, showing the text, unless needle is in hay. */
#define lp_ck_has(hay, needle) \
	ck_assert_msg(strstr((hay), (needle)) != NULL, "not found: %s\nin: %.3000s", (needle), (hay))

/*
 * A suite whose tests share one scratch directory (made before the forked
 * tests run, removed after): DIR is a mkdtemp template the caller owns.
 */
static inline const char *lp_check_path(const char *dir, const char *name)
{
	static char path[4][512];   /* a few at once: at("a"), at("b") in one call */
	static int next;
	char *p = path[next++ % 4];

	snprintf(p, sizeof(path[0]), "%s/%s", dir, name);
	return p;
}

static inline int lp_check_run_in(Suite *s, char *dir)
{
	char cmd[600];
	int rc;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return EXIT_FAILURE;
	}
	rc = lp_check_run(s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		rc = EXIT_FAILURE;
	return rc;
}

#endif
