/* --dot/--png/--svg: gprof2dot's conventions, thresholds, and Graphviz accepting the text. */
#include <check.h>

#include "../lp_check.h"
#include <sys/stat.h>
#include <unistd.h>

#include "fake_calls.h"
#include "render.h"

static int have_dot(void)
{
	return system("dot -V >/dev/null 2>&1") == 0;
}

/* gprof2dot's scale: dark blue, green, yellow, red. */
START_TEST(test_colors)
{
	char c[8];

	lp_render_dot_color(0.0, c);
	ck_assert_str_eq(c, "#0d0d73");
	lp_render_dot_color(0.5, c);
	ck_assert_str_eq(c, "#0ab60a");
	lp_render_dot_color(0.75, c);
	ck_assert_str_eq(c, "#dada06");
	lp_render_dot_color(1.0, c);
	ck_assert_str_eq(c, "#ff0000");
	lp_render_dot_color(7.0, c);
	ck_assert_str_eq(c, "#ff0000");
}
END_TEST

START_TEST(test_dot_nodes_and_edges)
{
	lp_view_opts o;
	char *got;

	lp_view_opts_init(&o);
	got = fcg_render(&f, lp_render_dot, &o, NULL);
	ck_assert_msg(strncmp(got, "digraph lineprof {\n", 19) == 0, "%s", got);
	ck_assert_msg(strstr(got, "label=\"./cg\\n100 samples of cpu-clock; box: function, total %, "
			     "(self %), samples\\ncolour: self time, blue (none) to red (the hottest, "
			     "25.00 %); edges: % of all samples along the call\\ncalls from the "
			     "recorded call stacks (-g); nodes below 0.5 % total and edges below "
			     "0.1 % not shown\"];\n") != NULL, "%s", got);
	/* Node numbers follow the report's order (self, then total): c is 1, main 8. */
	ck_assert_msg(strstr(got, "\t\"1\" [color=\"#ff0000\", fontcolor=\"#ffffff\", fontsize=\"10.00\", "
			     "label=\"cg\\nc\\n40.00%\\n(25.00%)\\n40 samples\"];\n") != NULL, "%s", got);
	ck_assert_msg(strstr(got, "\t\"8\" [color=\"#0d0d73\", fontcolor=\"#ffffff\", fontsize=\"10.00\", "
			     "label=\"cg\\nmain\\n100.00%\\n(0.00%)\\n100 samples\"];\n") != NULL, "%s", got);
	ck_assert_msg(strstr(got, "label=\"libm.so.6\\nj0\\n5.00%\\n(5.00%)\\n5 samples\"") != NULL,
		      "%s", got);
	/* main -> a: 80 % of the samples, penwidth 4 * 0.8, arrowsize 0.5 * sqrt(3.2). */
	ck_assert_msg(strstr(got, "\t\"8\" -> \"2\" [arrowsize=\"0.89\", color=\"#e1b505\", "
			     "fontcolor=\"#e1b505\", fontsize=\"10.00\", label=\"80.00%\\n80 samples\", "
			     "labeldistance=\"3.20\", penwidth=\"3.20\"];\n") != NULL, "%s", got);
	/* Recursion: a loop on rec (node 4). Small edges keep gprof2dot's minimum width. */
	ck_assert_msg(strstr(got, "\t\"4\" -> \"4\" [arrowsize=\"0.35\", color=\"#0d4081\", "
			     "fontcolor=\"#0d4081\", fontsize=\"10.00\", label=\"11.00%\\n11 samples\", "
			     "labeldistance=\"0.50\", penwidth=\"0.50\"];\n") != NULL, "%s", got);
	ck_assert_ptr_nonnull(strstr(got, "\t\"8\" -> \"5\" ["));   /* main -> shared */
	ck_assert_ptr_nonnull(strstr(got, "\t\"4\" -> \"5\" ["));   /* rec -> shared */
	ck_assert_str_eq(got + strlen(got) - 2, "}\n");
	free(got);
}
END_TEST

static int count(const char *s, const char *needle)
{
	int n = 0;

	for (; (s = strstr(s, needle)); s++)
		n++;
	return n;
}

START_TEST(test_thresholds)
{
	lp_view_opts o;
	char *got;

	lp_view_opts_init(&o);
	o.node_threshold = 12;  /* leaves main 100, a 80, b 60, c 40, rec 15 */
	got = fcg_render(&f, lp_render_dot, &o, NULL);
	ck_assert_int_eq(count(got, " [color="), 5);
	ck_assert_ptr_null(strstr(got, "\\nshared\\n"));
	ck_assert_ptr_null(strstr(got, "\\nsq\\n"));
	ck_assert_ptr_null(strstr(got, "\"5\""));               /* no edge to a dropped node */
	ck_assert_int_eq(count(got, " -> "), 5);                /* main->a a->b b->c main->rec rec->rec */
	free(got);
	o.node_threshold = 0;
	o.edge_threshold = 50;  /* leaves main->a 80, a->b 60 */
	got = fcg_render(&f, lp_render_dot, &o, NULL);
	ck_assert_int_eq(count(got, " [color="), 8);
	ck_assert_int_eq(count(got, " -> "), 2);
	ck_assert_ptr_nonnull(strstr(got, "\"8\" -> \"2\""));
	ck_assert_ptr_nonnull(strstr(got, "\"2\" -> \"3\""));
	free(got);
}
END_TEST

START_TEST(test_escaping)
{
	lp_view_opts o;
	char *got;

	free(f.prof->command);
	f.prof->command = strdup("./cg 'say \"hi\"' C:\\dir");
	lp_view_opts_init(&o);
	got = fcg_render(&f, lp_render_dot, &o, NULL);
	ck_assert_msg(strstr(got, "label=\"./cg 'say \\\"hi\\\"' C:\\\\dir\\n100 samples") != NULL, "%s",
		      got);
	free(got);
}
END_TEST

/* Graphviz itself must accept the text. */
START_TEST(test_dot_accepts)
{
	lp_view_opts o;
	char path[256], cmd[600], *got;
	FILE *out;

	if (!have_dot()) {
		fprintf(stderr, "SKIP test_dot_accepts: Graphviz's dot is not installed\n");
		return;
	}
	lp_view_opts_init(&o);
	got = fcg_render(&f, lp_render_dot, &o, NULL);
	snprintf(path, sizeof(path), "%s/g.dot", f.dir);
	out = fopen(path, "w");
	fputs(got, out);
	fclose(out);
	snprintf(cmd, sizeof(cmd), "dot -Tsvg %s -o %s/g.svg 2>%s/err && grep -q '<svg' %s/g.svg "
		 "&& ! test -s %s/err", path, f.dir, f.dir, f.dir, f.dir);
	ck_assert_msg(system(cmd) == 0, "dot rejected:\n%s", got);
	free(got);
}
END_TEST

/* --svg/--png through posix_spawnp: a file name full of shell syntax is just a name. */
START_TEST(test_image_no_shell)
{
	lp_render_ctx ctx = { .rep = &f.rep };
	lp_view_opts o;
	lp_error err = { 0 };
	char path[512], cwd[4096], buf[6] = { 0 };
	struct stat sb;
	FILE *in;
	int rc;

	if (!have_dot()) {
		fprintf(stderr, "SKIP test_image_no_shell: Graphviz's dot is not installed\n");
		return;
	}
	lp_view_opts_init(&o);
	ctx.opts = &o;
	/* A shell would run touch in the working directory: the temporary one. */
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	ck_assert_int_eq(chdir(f.dir), 0);
	snprintf(path, sizeof(path), "a b;$(touch canary)`touch canary2`'.png");
	rc = lp_render_dot_image(&ctx, "png", path, &err);
	ck_assert_int_eq(chdir(cwd), 0);
	ck_assert_msg(rc == LP_OK, "%s", err.msg);
	snprintf(path, sizeof(path), "%s/canary", f.dir);
	ck_assert_int_ne(stat(path, &sb), 0);
	snprintf(path, sizeof(path), "%s/canary2", f.dir);
	ck_assert_int_ne(stat(path, &sb), 0);
	snprintf(path, sizeof(path), "%s/a b;$(touch canary)`touch canary2`'.png", f.dir);
	in = fopen(path, "rb");
	ck_assert_ptr_nonnull(in);
	ck_assert_uint_eq(fread(buf, 1, 4, in), 4);
	fclose(in);
	ck_assert_mem_eq(buf, "\x89PNG", 4);
	snprintf(path, sizeof(path), "%s/g.svg", f.dir);
	ck_assert_int_eq(lp_render_dot_image(&ctx, "svg", path, &err), LP_OK);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_gt(sb.st_size, 1000);
}
END_TEST

START_TEST(test_image_without_dot)
{
	lp_render_ctx ctx = { .rep = &f.rep };
	lp_view_opts o;
	lp_error err = { 0 };
	char *old = getenv("PATH") ? strdup(getenv("PATH")) : NULL, path[256];
	struct stat sb;
	int rc;

	lp_view_opts_init(&o);
	ctx.opts = &o;
	snprintf(path, sizeof(path), "%s/g.png", f.dir);
	lp_error cerr = { 0 };
	int crc;

	setenv("PATH", f.dir, 1);  /* no dot in there */
	rc = lp_render_dot_image(&ctx, "png", path, &err);
	crc = lp_render_dot_check("svg", &cerr);
	if (old)
		setenv("PATH", old, 1);
	free(old);
	ck_assert_int_eq(rc, LP_EFAIL);
	ck_assert_str_eq(err.msg, "lineprof: --png needs Graphviz's dot: apt-get install graphviz");
	ck_assert_int_ne(stat(path, &sb), 0);
	/* The same, asked before anything is rendered. */
	ck_assert_int_eq(crc, LP_EFAIL);
	ck_assert_str_eq(cerr.msg, "lineprof: --svg needs Graphviz's dot: apt-get install graphviz");
	lp_error_clear(&cerr);
	if (have_dot())
		ck_assert_int_eq(lp_render_dot_check("svg", &cerr), LP_OK);
}
END_TEST

START_TEST(test_image_dot_fails)
{
	lp_render_ctx ctx = { .rep = &f.rep };
	lp_view_opts o;
	lp_error err = { 0 };

	if (!have_dot())
		return;
	lp_view_opts_init(&o);
	ctx.opts = &o;
	ck_assert_int_eq(lp_render_dot_image(&ctx, "svg", "/nonexistent/dir/g.svg", &err), LP_EFAIL);
	ck_assert_msg(strstr(err.msg, "lineprof: cannot write /nonexistent/dir/g.svg") == err.msg,
		      "%s", err.msg);
	/* dot itself failing (a format it does not know): said, and nothing is left behind. */
	{
		char path[512], cmd[600];

		lp_error_clear(&err);
		snprintf(path, sizeof(path), "%s/fails/g.bogus", f.dir);
		snprintf(cmd, sizeof(cmd), "mkdir -p %s/fails", f.dir);
		ck_assert_int_eq(system(cmd), 0);
		ck_assert_int_eq(lp_render_dot_image(&ctx, "bogus-format", path, &err), LP_EFAIL);
		ck_assert_msg(strstr(err.msg, "lineprof: dot failed to write ") == err.msg, "%s", err.msg);
		snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A %s/fails)\"", f.dir);
		ck_assert_msg(system(cmd) == 0, "no file or temporary left in %s/fails", f.dir);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("render-dot");
	TCase *tc = tcase_create("dot");

	tcase_add_checked_fixture(tc, fcg_setup_g, fcg_teardown);
	tcase_add_test(tc, test_colors);
	tcase_add_test(tc, test_dot_nodes_and_edges);
	tcase_add_test(tc, test_thresholds);
	tcase_add_test(tc, test_escaping);
	tcase_add_test(tc, test_dot_accepts);
	tcase_add_test(tc, test_image_no_shell);
	tcase_add_test(tc, test_image_without_dot);
	tcase_add_test(tc, test_image_dot_fails);
	suite_add_tcase(s, tc);
	return lp_check_run(s);
}
