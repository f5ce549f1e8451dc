/*
 * --dot/--png/--svg: the call graph in Graphviz DOT, in gprof2dot's
 * conventions. A box per function: name, total %, (self %), samples. An edge
 * per caller -> callee: the % of all samples flowing along it, its width and
 * arrowhead growing with that share. Boxes are coloured by SELF time on
 * gprof2dot's blue -> green -> yellow -> red scale (gprof2dot colours by
 * total; here the hot spots are what should stand out), relative to the
 * hottest function; edges by their own share. Nodes whose total is below
 * --node-threshold % and edges below --edge-threshold % are left out.
 *
 * --png and --svg pipe the same text into Graphviz's dot, started with
 * posix_spawnp: file names never pass through a shell.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lineprof/output.h"
#include "render.h"
#include "rows.h"

extern char **environ;

/* gprof2dot's "color" theme: HSL from dark blue (2/3, 0.8, 0.25) to red (0, 1, 0.5). */
static double hue_to_rgb(double m1, double m2, double h)
{
	if (h < 0.0)
		h += 1.0;
	else if (h > 1.0)
		h -= 1.0;
	if (h * 6 < 1.0)
		return m1 + (m2 - m1) * h * 6.0;
	if (h * 2 < 1.0)
		return m2;
	if (h * 3 < 2.0)
		return m1 + (m2 - m1) * (2.0 / 3.0 - h) * 6.0;
	return m1;
}

/* "#rrggbb" for a weight in [0, 1]. */
void lp_render_dot_color(double weight, char buf[8])
{
	double h, s, l, m1, m2, rgb[3];

	weight = weight < 0 ? 0 : weight > 1 ? 1 : weight;
	h = 2.0 / 3.0 * (1.0 - weight);
	s = 0.80 + weight * 0.20;
	l = 0.25 + weight * 0.25;
	m2 = l <= 0.5 ? l * (s + 1.0) : l + s - l * s;
	m1 = l * 2.0 - m2;
	rgb[0] = hue_to_rgb(m1, m2, h + 1.0 / 3.0);
	rgb[1] = hue_to_rgb(m1, m2, h);
	rgb[2] = hue_to_rgb(m1, m2, h - 1.0 / 3.0);
	snprintf(buf, 8, "#%02x%02x%02x", (int)lround(rgb[0] * 255), (int)lround(rgb[1] * 255),
		 (int)lround(rgb[2] * 255));
}

/*
 * A DOT double-quoted string body: quotes and backslashes escaped, newlines
 * as \n, bytes that are not UTF-8 as U+FFFD (dot reads UTF-8 and warns on
 * anything else).
 */
static void put_escaped(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	while (*s) {
		int n = lp_utf8_len(s);

		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		if (*s == '\n')
			fputs("\\n", out);
		else if (n == 0 || *s < 0x20 || *s == 0x7f)
			fputs("\xef\xbf\xbd", out), n = 1;
		else
			fwrite(s, 1, (size_t)n, out);
		s += n;
	}
}

static double penwidth(double weight)
{
	double w = weight * 4.0;

	return w < 0.5 ? 0.5 : w;
}

int lp_render_dot(const lp_render_ctx *ctx, FILE *out, lp_error *err)
{
	const lp_report *rep = ctx->rep;
	const lp_profile *p = rep->prof;
	double n = (double)p->samples, max_self = 0;
	char *keep = calloc(rep->nfuncs + 1, 1);
	char color[8];
	int multi_module = 0;
	uint32_t first_module = UINT32_MAX;

	if (!keep)
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	for (size_t i = 0; i < rep->nfuncs; i++) {
		const lp_func_stat *f = &rep->funcs[i];

		if (n <= 0 || 100.0 * (double)f->total_samples / n < ctx->opts->node_threshold ||
		    (!f->total_samples && !f->self_samples))
			continue;
		keep[i] = 1;
		if (first_module == UINT32_MAX)
			first_module = f->module;
		else if (f->module != first_module)
			multi_module = 1;
		if ((double)f->self_samples > max_self)
			max_self = (double)f->self_samples;
	}
	fputs("digraph lineprof {\n", out);
	fputs("\tgraph [fontname=Arial, nodesep=0.125, ranksep=0.25, labelloc=t, label=\"", out);
	if (p->command) {
		put_escaped(out, p->command);
		fputs("\\n", out);
	}
	fprintf(out, "%" PRIu64 " samples of %s; box: function, total %%, (self %%), samples\\n",
		p->samples, p->nevents ? p->events[0].measured : "?");
	fprintf(out, "colour: self time, blue (none) to red (the hottest, %.2f %%); "
		"edges: %% of all samples along the call\\n",
		n > 0 ? 100.0 * max_self / n : 0.0);
	fprintf(out, "%s; nodes below %g %% total and edges below %g %% not shown\"];\n",
		!rep->inclusive_from_stacks ? "calls from inlining only: record with -g for the call graph"
		: p->callchain == 2 ? "calls from the recorded call stacks (--call-graph=dwarf)"
		: "calls from the recorded call stacks (-g)",
		ctx->opts->node_threshold, ctx->opts->edge_threshold);
	fputs("\tnode [fontcolor=white, fontname=Arial, height=0, shape=box, style=filled, width=0];\n",
	      out);
	fputs("\tedge [fontname=Arial];\n", out);
	for (size_t i = 0; i < rep->nfuncs; i++) {
		const lp_func_stat *f = &rep->funcs[i];
		double w = max_self > 0 ? (double)f->self_samples / max_self : 0;

		if (!keep[i])
			continue;
		lp_render_dot_color(w, color);
		fprintf(out, "\t\"%zu\" [color=\"%s\", fontcolor=\"#ffffff\", fontsize=\"10.00\", label=\"",
			i + 1, color);
		if (multi_module) {
			put_escaped(out, lp_render_module_name(rep, f->module));
			fputs("\\n", out);
		}
		put_escaped(out, lp_report_label(rep, f->fn));
		fprintf(out, "\\n%.2f%%\\n(%.2f%%)\\n%" PRIu64 " samples\"];\n",
			100.0 * (double)f->total_samples / n, 100.0 * (double)f->self_samples / n,
			f->total_samples);
	}
	for (size_t i = 0; i < rep->nedges; i++) {
		const lp_edge *e = &rep->edges[i];
		double share = n > 0 ? (double)e->samples / n : 0;

		if (!keep[e->caller] || !keep[e->callee] || 100.0 * share < ctx->opts->edge_threshold)
			continue;
		lp_render_dot_color(share, color);
		fprintf(out, "\t\"%u\" -> \"%u\" [arrowsize=\"%.2f\", color=\"%s\", fontcolor=\"%s\", "
			"fontsize=\"10.00\", label=\"%.2f%%\\n%" PRIu64 " samples\", labeldistance=\"%.2f\", "
			"penwidth=\"%.2f\"];\n",
			e->caller + 1, e->callee + 1, 0.5 * sqrt(penwidth(share)), color, color,
			100.0 * share, e->samples, penwidth(share), penwidth(share));
	}
	fputs("}\n", out);
	free(keep);
	return ferror(out) ? lp_error_set(err, LP_EFAIL, "lineprof: cannot write the DOT graph")
			   : LP_OK;
}

/* Before any output: is there a dot to run? The message names the package. */
int lp_render_dot_check(const char *format, lp_error *err)
{
	const char *path = getenv("PATH");
	char buf[4096];

	if (!path || !*path)
		path = "/usr/bin:/bin";
	for (const char *p = path; *p;) {
		size_t n = strcspn(p, ":");

		snprintf(buf, sizeof(buf), "%.*s/dot", (int)(n ? n : 1), n ? p : ".");
		if (access(buf, X_OK) == 0)
			return LP_OK;
		p += n + (p[n] == ':');
	}
	return lp_error_set(err, LP_EFAIL, "lineprof: --%s needs Graphviz's dot: apt-get install graphviz",
			    format);
}

/*
 * Renders the DOT graph into FORMAT (png, svg) at path through `dot
 * -TFORMAT`, which writes to its standard output: a temporary of ours
 * (lp_output), committed when dot succeeds, or our own stdout for "-". No
 * file name is ever on dot's command line, so a name that begins with '-'
 * cannot be taken for an option. When dot is missing: one line naming the
 * package.
 */
int lp_render_dot_image(const lp_render_ctx *ctx, const char *format, const char *path,
			lp_error *err)
{
	char tflag[32], *argv[] = { "dot", tflag, NULL };
	posix_spawn_file_actions_t fa;
	int fds[2], status, rc, wrc, to_stdout = strcmp(path, "-") == 0;
	lp_output o = { 0 };
	pid_t pid;
	FILE *to;
	void (*old_pipe)(int);

	snprintf(tflag, sizeof(tflag), "-T%s", format);
	if (to_stdout)
		fflush(stdout);
	else if ((rc = lp_output_open(&o, path, err)) != LP_OK)
		return rc;
	if (pipe2(fds, O_CLOEXEC) != 0) {
		lp_output_abort(&o);
		return lp_error_set(err, LP_EFAIL, "lineprof: --%s: %s", format, strerror(errno));
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[0], STDIN_FILENO);
	if (!to_stdout)
		posix_spawn_file_actions_adddup2(&fa, fileno(o.f), STDOUT_FILENO);
	rc = posix_spawnp(&pid, "dot", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[0]);
	if (rc != 0) {
		close(fds[1]);
		lp_output_abort(&o);
		if (rc == ENOENT)
			return lp_error_set(err, LP_EFAIL, "lineprof: --%s needs Graphviz's dot: "
					    "apt-get install graphviz", format);
		return lp_error_set(err, LP_EFAIL, "lineprof: --%s: cannot run dot: %s", format,
				    strerror(rc));
	}
	to = fdopen(fds[1], "w");
	if (!to) {
		close(fds[1]);
		waitpid(pid, &status, 0);
		lp_output_abort(&o);
		return lp_error_set(err, LP_EFAIL, "lineprof: --%s: %s", format, strerror(errno));
	}
	/* dot dying early must give an error message, not kill lineprof. */
	old_pipe = signal(SIGPIPE, SIG_IGN);
	wrc = lp_render_dot(ctx, to, err);
	if (fclose(to) != 0 && wrc == LP_OK)
		wrc = LP_EFAIL;
	signal(SIGPIPE, old_pipe);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127) { /* exec failed after the spawn */
		lp_output_abort(&o);
		return lp_error_set(err, LP_EFAIL, "lineprof: --%s needs Graphviz's dot: "
				    "apt-get install graphviz", format);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		lp_output_abort(&o);
		return lp_error_set(err, LP_EFAIL, "lineprof: dot failed to write %s (exit status %d)",
				    path, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	}
	if (wrc != LP_OK) {
		lp_output_abort(&o);
		return lp_error_set(err, LP_EFAIL, "lineprof: could not send the graph to dot");
	}
	return to_stdout ? LP_OK : lp_output_commit(&o, err);
}

/*
 * dot -Tsvg with the graph on its standard input and the drawing read from
 * its standard output at the same time (poll), so that neither side can
 * wait on a full pipe.
 */
static int pump(int to, int from, const char *in, size_t inlen, char **outbuf, size_t *outlen)
{
	size_t sent = 0, cap = 65536;
	char *buf = malloc(cap);

	*outlen = 0;
	if (!buf)
		return -1;
	for (;;) {
		struct pollfd pf[2] = { { from, POLLIN, 0 }, { to, POLLOUT, 0 } };
		int n = to >= 0 ? 2 : 1;

		if (poll(pf, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (n == 2 && (pf[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t w = (pf[1].revents & POLLOUT) ? write(to, in + sent, inlen - sent) : -1;

			if (w > 0)
				sent += (size_t)w;
			if (w < 0 || sent == inlen) {
				close(to);
				to = -1;
			}
		}
		if (pf[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t r;

			if (cap - *outlen < 4096) {
				char *nb = realloc(buf, cap * 2);

				if (!nb)
					break;
				buf = nb;
				cap *= 2;
			}
			r = read(from, buf + *outlen, cap - *outlen - 1);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				buf[*outlen] = '\0';
				if (to >= 0)
					close(to);
				*outbuf = buf;
				return r < 0 ? -1 : 0;
			}
			*outlen += (size_t)r;
		}
	}
	if (to >= 0)
		close(to);
	free(buf);
	return -1;
}

int lp_render_dot_svg(const lp_render_ctx *ctx, char **svg, char *note, size_t note_size,
		      lp_error *err)
{
	char *argv[] = { "dot", "-Tsvg", NULL }, *dot = NULL, *out = NULL;
	size_t dotlen = 0, outlen = 0;
	posix_spawn_file_actions_t fa;
	int in[2] = { -1, -1 }, res[2] = { -1, -1 }, status = 0, rc;
	void (*old_pipe)(int);
	lp_error derr = { 0 };
	FILE *mem;
	pid_t pid;

	*svg = NULL;
	note[0] = '\0';
	if (lp_render_dot_check("svg", &derr) != LP_OK) {
		snprintf(note, note_size, "Graphviz's dot was not found when this report was written "
			 "(apt-get install graphviz, then run lineprof annotate --html again)");
		return LP_OK;
	}
	mem = open_memstream(&dot, &dotlen);
	if (!mem)
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	rc = lp_render_dot(ctx, mem, err);
	if (fclose(mem) != 0 && rc == LP_OK)
		rc = lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	if (rc != LP_OK) {
		free(dot);
		return rc;
	}
	if (pipe2(in, O_CLOEXEC) != 0 || pipe2(res, O_CLOEXEC) != 0) {
		rc = lp_error_set(err, LP_EFAIL, "lineprof: --html: %s", strerror(errno));
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO);
	posix_spawn_file_actions_adddup2(&fa, res[1], STDOUT_FILENO);
	rc = posix_spawnp(&pid, "dot", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(res[1]);
	in[0] = res[1] = -1;
	if (rc != 0) {
		snprintf(note, note_size, "Graphviz's dot could not be started: %s", strerror(rc));
		rc = LP_OK;
		goto out;
	}
	old_pipe = signal(SIGPIPE, SIG_IGN);
	rc = pump(in[1], res[0], dot, dotlen, &out, &outlen);
	in[1] = -1; /* pump closed it */
	signal(SIGPIPE, old_pipe);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (rc != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(note, note_size, "Graphviz's dot failed to draw the call graph (exit status %d)",
			 WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
		free(out);
		out = NULL;
	}
	rc = LP_OK;
	*svg = out;
out:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (res[i] >= 0)
			close(res[i]);
	}
	free(dot);
	return rc;
}
