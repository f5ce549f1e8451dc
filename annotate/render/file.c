/*
 * Views written to files (--csv, --json, --dot, --callgrind, --folded):
 * through lp_output (lineprof/output.h), so an export is written like the
 * profile: a unique temporary beside it, renamed over it when whole, never
 * through a symlink or over a device.
 */
#include <errno.h>
#include <string.h>

#include "lineprof/output.h"
#include "render.h"

int lp_render_to_path(const lp_render_ctx *ctx, lp_render_fn *fn, const char *path, lp_error *err)
{
	lp_output o;
	int rc;

	/* "-" is standard output, whichever stream the tables go to. */
	if (strcmp(path, "-") == 0) {
		rc = fn(ctx, stdout, err);
		if (fflush(stdout) != 0 && rc == LP_OK)
			rc = lp_error_set(err, LP_EFAIL, "lineprof: cannot write to standard output: %s",
					  strerror(errno));
		return rc;
	}
	rc = lp_output_open(&o, path, err);
	if (rc != LP_OK)
		return rc;
	rc = fn(ctx, o.f, err);
	if (rc != LP_OK) {
		lp_output_abort(&o); /* a failed view leaves the old file as it was */
		return rc;
	}
	return lp_output_commit(&o, err);
}
