/*
 * --html: the page's data blocks, as text: escaping for <script> and HTML,
 * the listing's columns and cells, the -f tables, the flame graph's tree,
 * and the call graph (drawn by dot, or said missing). The page itself is
 * opened in Chromium by the integration tests (tests/integration/html).
 */
#include <check.h>

#include "../lp_check.h"

#include "fake.h"
#include "html_rows.h"
#include "render.h"

static fake f;

/* check's messages are short: an excerpt of where the needle was looked for. */
static void teardown(void)
{
	fake_free(&f);
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static char *html(int flags, const char *const *fns, int nfns)
{
	lp_view_opts o;

	ck_assert_int_eq(fake_build_opts(&f, flags), LP_OK);
	lp_view_opts_init(&o);
	o.functions = fns;
	o.nfunctions = nfns;
	return fake_render(&f, lp_render_html, &o);
}

/* Names, paths, commands and source text can hold anything: nothing may end a <script> early. */
START_TEST(test_html_escaping)
{
	char *got = html(FAKE_ODD | FAKE_META | FAKE_MORE, NULL, 0);

	ck_assert_msg(strncmp(got, "<!DOCTYPE html>\n", 16) == 0, "%.200s", got);
	/* The sources, one context, the code: three scripts, and nothing that looks like a fourth. */
	ck_assert_int_eq(count(got, "<script"), 3);
	ck_assert_int_eq(count(got, "</script>"), 3);
	ck_assert_int_eq(count(got, "<!--"), 0);
	/* main<a,"b">\n\x01\xff: every byte that matters escaped, the bad byte replaced. */
	lp_ck_has(got, "\"main\\u003ca,\\\"b\\\"\\u003e\\u000a\\u0001\\ufffd\"");
	ck_assert_ptr_null(strstr(got, "main<a"));
	/* The command in the title, as HTML text. */
	lp_ck_has(got, "<title>lineprof: ./prog &#39;a &quot;b&quot;&#39;</title>");
	/* Source text: a '<' in the code is \u003c, a tab \u0009. */
	lp_ck_has(got, "\"\\u0009for (int i = 0; i \\u003c n; i++)\"");
	free(got);
}
END_TEST

/* Only this page's style and script may run: by hash, nothing inline beside them, no network. */
START_TEST(test_html_csp)
{
	char *got = html(0, NULL, 0);
	const char *csp = strstr(got, "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; ");

	ck_assert_ptr_nonnull(csp);
	ck_assert_ptr_nonnull(strstr(csp, "style-src 'sha256-"));
	ck_assert_ptr_nonnull(strstr(csp, "script-src 'sha256-"));
	ck_assert_ptr_null(strstr(got, "unsafe-inline"));
	/* Nothing to fetch: no src, no link, no CSS import or url() (an SVG's xmlns is no fetch). */
	ck_assert_ptr_null(strstr(got, "src="));
	ck_assert_ptr_null(strstr(got, "<link"));
	ck_assert_ptr_null(strstr(got, "@import"));
	ck_assert_ptr_null(strstr(got, "url("));
	ck_assert_int_eq(count(got, "class=\"lp-context\""), 1);
	free(got);
}
END_TEST

/* The listing's cells are the terminal listing's: the same strings, from the same column list. */
/* The header says what no line was charged with, as the terminal's does: FAKE_WAITS leaves 1 ms. */
START_TEST(test_html_not_attributed)
{
	char *got = html(FAKE_WAITS, NULL, 0);

	lp_ck_has(got, "[\"Not attributed\", \"0.001 s of the CPU time is on no line\"]");
	free(got);
	fake_free(&f);
	got = html(0, NULL, 0);  /* no kernel samples: the system time is in it, and that is said */
	lp_ck_has(got, "[\"Not attributed\", \"0.000 s of the CPU time is on no line, all system time included");
	free(got);
}
END_TEST

START_TEST(test_html_cells_are_the_listings)
{
	char *raw = html(FAKE_MORE, NULL, 0), *got = lines_made(raw), *listing;
	lp_view_opts o;

	/* The page writes each row's line as its step from the row before: hot.c's lines 4, 5 and 11. */
	lp_ck_has(raw, "[\n[4,[10,10000.0,16.7]],\n[1,[30,30000.0,50.0]],\n[6,[10,10000.0,16.7,33.3],");
	/* alpha.c's first row: its line, line 2. */
	lp_ck_has(raw, "[\n[2,[5,5000.0,8.3]]]]");
	free(raw);

	/* Program-scope columns: Samples, Time, % Prog, Incl. (line 11 runs inlined code). */
	lp_ck_has(got, "\"cols\": [[\"samples\", \"Samples\", ");
	ck_assert_ptr_nonnull(strstr(got, "[\"percent\", \"% Prog\", "));
	ck_assert_ptr_nonnull(strstr(got, "[\"incl\", \"Incl.\", "));
	/* Each with the decimals its numbers print with: a bare cell is printed back with them. */
	lp_ck_has(got, "[\"samples\", \"Samples\", \"samples whose innermost frame is this line\", 0]");
	lp_ck_has(got, "[\"time\", \"Time\", \"CPU time of the line, in timer units (-u)\", 1]");
	/* hot.c is file 0 (the hottest); line 5: 30 samples, 30 ms, 50 % of 60, no Incl. (left out). */
	lp_ck_has(got, "\n[5,[30,30000.0,50.0]]");
	/* Line 11 runs hot() inlined: its Incl. share, and the call to hot (function 0) from it. */
	lp_ck_has(got, "\n[11,[10,10000.0,16.7,33.3],[[0,\"16.7\"]]]");
	/* Samples without line info are counted, not lost. */
	ck_assert_ptr_nonnull(strstr(got, "\"nolines\": [5, \"8.3\"]"));
	free(got);
	/* And the terminal listing prints those numbers. */
	lp_view_opts_init(&o);
	o.listing = 1;
	listing = fake_render(&f, lp_render_listing, &o);
	ck_assert_ptr_nonnull(strstr(listing, "     5        30      30000.0     50.0           \t\ts += i * i;\n"));
	ck_assert_ptr_nonnull(strstr(listing, "    11        10      10000.0     16.7     33.3  \treturn hot(1000);\n"));
	free(listing);
}
END_TEST

/* Event and metric columns come from the same list: nothing to add for the page. */
START_TEST(test_html_event_and_metric_columns)
{
	char *raw = html(FAKE_EVENTS2, NULL, 0), *got = lines_made(raw);

	free(raw);
	ck_assert_ptr_nonnull(strstr(got, "[\"instructions\", \"instructions\", "));
	/* Line 5 is 0x20 (3000) and hot inlined into main at 0x40 (7). */
	lp_ck_has(got, "\n[5,[30,30000.0,60.0,null,3007]]");
	free(got);
	fake_free(&f);
	got = html(FAKE_METRICS, NULL, 0);
	lp_ck_has(got, "[\"ipc\", \"IPC\", ");
	/* Line 5: 50000 instructions over 50000 cycles, 430 of 5000 branches missed. */
	lp_ck_has(got, "[\"ipc\", \"IPC\", \"instructions per cycle\", 2]");
	lp_ck_has(got, ",1.00,8.6]");
	free(got);
}
END_TEST

/* -f: the function's table in the -f table's columns (% of the function), first on the page. */
START_TEST(test_html_named)
{
	const char *fns[] = { "hot" }, *missing[] = { "nosuch" };
	char *got = html(FAKE_HITS, fns, 1), *named;

	named = strstr(got, "\"named\": [");
	ck_assert_ptr_nonnull(named);
	lp_ck_has(named, "{\"name\": \"hot\", \"found\": true, \"func\": 0, \"file\": 0, \"first\": 1, "
			     "\"total\": \"0.04\", \"cols\": [[\"hits\", \"Hits\", ");
	ck_assert_ptr_nonnull(strstr(named, "[\"per_hit\", \"Per Hit\", "));
	ck_assert_ptr_nonnull(strstr(named, "[\"percent\", \"% Time\", "));
	/* Line 5: 1000000 hits, 30 of hot's 40 samples. */
	lp_ck_has(named, "[0, 5, [1000000,30,30000.0,0.0,75.0]");
	free(got);
	fake_free(&f);
	/* A name found nowhere is the report's error, as on the terminal: no page. */
	got = html(FAKE_HITS, missing, 1);
	ck_assert_msg(strncmp(got, "ERROR lineprof: function 'nosuch' not found", 43) == 0, "%.200s", got);
	free(got);
}
END_TEST

/* The flame graph's tree, preorder: name, samples, depth, inlined. */
START_TEST(test_html_flame)
{
	char *got = html(0, NULL, 0), *fl;

	fl = strstr(got, "\"flame\": {\"stacks\": false, \"names\": [\"all\",");
	ck_assert_msg(fl != NULL, "%.1500s", got);
	/* all 50; hot 40 (its own samples); main 10, with hot inlined into it (10). */
	lp_ck_has(fl, "\"nodes\": [0,50,0,0,");
	free(got);
}
END_TEST

/* Without Graphviz the page says so instead of a graph. */
START_TEST(test_html_no_graphviz)
{
	char *path = getenv("PATH") ? strdup(getenv("PATH")) : NULL, *got;

	setenv("PATH", "/nonexistent", 1);
	got = html(0, NULL, 0);
	if (path)
		setenv("PATH", path, 1);
	free(path);
	lp_ck_has(got, "\"graph\": null,\n\"graph_note\": \"Graphviz's dot was not found");
	free(got);
}
END_TEST

/* With it, dot's SVG is in the page, from the <svg> element on. */
START_TEST(test_html_graph)
{
	char *got = html(0, NULL, 0);

	if (lp_render_dot_check("svg", &(lp_error){ 0 }) != LP_OK) {
		fprintf(stderr, "test_html_graph: Graphviz's dot is not installed: not checked\n");
		free(got);
		return;
	}
	lp_ck_has(got, "\"graph\": \"\\u003csvg");
	ck_assert_ptr_null(strstr(got, "\"graph\": \"\\u003c?xml"));
	ck_assert_ptr_nonnull(strstr(got, "\"graph_note\": null"));
	free(got);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("render_html");
	TCase *tc = tcase_create("html");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_html_escaping);
	tcase_add_test(tc, test_html_csp);
	tcase_add_test(tc, test_html_cells_are_the_listings);
	tcase_add_test(tc, test_html_event_and_metric_columns);
	tcase_add_test(tc, test_html_named);
	tcase_add_test(tc, test_html_flame);
	tcase_add_test(tc, test_html_no_graphviz);
	tcase_add_test(tc, test_html_graph);
	tcase_add_test(tc, test_html_not_attributed);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return lp_check_run(suite());
}
