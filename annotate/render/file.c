/* Views written to files (--dot, --callgrind, --folded): open, render, check the close. */
#include <errno.h>
#include <string.h>

#include "render.h"

int lp_render_to_path(const lp_render_ctx *ctx, lp_render_fn *fn, const char *path, lp_error *err)
{
	/* "-" is standard output, whichever stream the tables go to. */
	FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
	int rc;

	if (!f)
		return lp_error_set(err, LP_EFAIL, "lineprof: cannot write %s: %s", path,
				    strerror(errno));
	rc = fn(ctx, f, err);
	if (f == stdout) {
		if (fflush(f) != 0 && rc == LP_OK)
			rc = lp_error_set(err, LP_EFAIL, "lineprof: cannot write to standard output: %s",
					  strerror(errno));
		return rc;
	}
	if (fclose(f) != 0 && rc == LP_OK)
		rc = lp_error_set(err, LP_EFAIL, "lineprof: cannot write %s: %s", path,
				  strerror(errno));
	return rc;
}
