/* Errors travel as a code plus a one-line message; library code never exits. */
#ifndef LINEPROF_ERROR_H
#define LINEPROF_ERROR_H

#include <stddef.h>

/* Codes double as lineprof's exit statuses, as shells and most tools use them. */
enum lp_status {
	LP_OK = 0,
	LP_EFAIL = 1,         /* any other failure */
	LP_EUSAGE = 2,        /* bad command line */
	LP_ENOEXEC = 126,     /* target found but not executable */
	LP_ENOTFOUND = 127,   /* target not found */
};

typedef struct lp_error {
	int code;
	char msg[1024];
} lp_error;

/* Records the first error only: the root cause is more useful than the last symptom. */
int lp_error_set(lp_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void lp_error_clear(lp_error *err);

#endif
