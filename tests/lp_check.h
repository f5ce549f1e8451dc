/* The one way every Check test program runs its suite and reports. */
#ifndef LP_TEST_CHECK_H
#define LP_TEST_CHECK_H

#include <check.h>
#include <stdlib.h>

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

#endif
