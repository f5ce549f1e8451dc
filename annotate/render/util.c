#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "render.h"

const char *lp_render_relpath(const char *path)
{
	char cwd[4096];
	size_t n;

	if (!path || path[0] != '/' || !getcwd(cwd, sizeof(cwd)))
		return path;
	n = strlen(cwd);
	if (strncmp(path, cwd, n) == 0 && path[n] == '/')
		return path + n + 1;
	return path;
}

const char *lp_render_shell_word(const char *s, char *buf, size_t size)
{
	size_t n = 0;

	if (size < 3)
		return "";
	if (strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:/@+-,%=") ==
	    strlen(s)) {
		snprintf(buf, size, "%s", s);
		return buf;
	}
	buf[n++] = '\'';
	for (; *s && n + 5 < size; s++) {
		if (*s == '\'') {
			memcpy(buf + n, "'\\''", 4);
			n += 4;
		} else {
			buf[n++] = *s;
		}
	}
	buf[n++] = '\'';
	buf[n] = '\0';
	return buf;
}

/*
 * Wilson score interval for k successes in n trials at 95 %: unlike the
 * normal approximation it stays inside [0, 1] and is honest for small k,
 * which is exactly the case of a cold line with a handful of samples.
 */
void lp_render_wilson(uint64_t k, uint64_t n, double *lo, double *hi)
{
	const double z = 1.959963984540054;
	double p, denom, centre, half;

	if (n == 0) {
		*lo = 0.0;
		*hi = 1.0;
		return;
	}
	p = (double)k / (double)n;
	denom = 1.0 + z * z / (double)n;
	centre = (p + z * z / (2.0 * (double)n)) / denom;
	half = z * sqrt(p * (1.0 - p) / (double)n + z * z / (4.0 * (double)n * (double)n)) / denom;
	/* Exactly 0 and 1 at the ends, where rounding would leave a trace. */
	*lo = k == 0 || centre - half < 0.0 ? 0.0 : centre - half;
	*hi = k == n || centre + half > 1.0 ? 1.0 : centre + half;
}

/* A heat scale on the 256-colour palette: cool lines stay plain. */
const char *lp_render_heat(double share, int color)
{
	if (!color || share < 0.01)
		return "";
	if (share >= 0.20)
		return "\033[1;38;5;196m";
	if (share >= 0.10)
		return "\033[38;5;202m";
	if (share >= 0.05)
		return "\033[38;5;214m";
	return "\033[38;5;226m";
}

/*
 * --color=always forces colour; never, or a non-empty NO_COLOR, turns it off;
 * else only on a terminal that has colours (TERM set and not "dumb").
 */
int lp_render_use_color(const lp_view_opts *o, FILE *out)
{
	const char *no = getenv("NO_COLOR"), *term = getenv("TERM");

	if (o->color == LP_COLOR_ALWAYS)
		return 1;
	if (o->color == LP_COLOR_NEVER || (no && *no))
		return 0;
	if (!term || !*term || strcmp(term, "dumb") == 0)
		return 0;
	return isatty(fileno(out));
}

const char *lp_render_reset(int color)
{
	return color ? "\033[0m" : "";
}

void lp_view_opts_init(lp_view_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->unit = 1e-6;
	o->context = -1;
	o->threshold = 0.5;
	o->node_threshold = 0.5;
	o->edge_threshold = 0.1;
	o->show_tables = 1;
	o->diag = stderr;
}
