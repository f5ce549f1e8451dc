/*
 * --flamegraph: the SVG's frames against the fake call graph: every sample
 * in the root, children never wider than their parent, self widths adding up
 * to the samples, inlined frames marked, names escaped for XML.
 */
#include <check.h>

#include "../lp_check.h"
#include <inttypes.h>

#include "fake.h"
#include "fake_calls.h"
#include "render.h"

typedef struct frame_attr {
	uint64_t x, n;
	unsigned d;
	char name[64];
	int inlined;
} frame_attr;

/* The frames in document order (preorder), from their data attributes. */
static int frames_of(const char *svg, frame_attr *fr, int max)
{
	int k = 0;

	for (const char *p = svg; (p = strstr(p, "<g class=\"f\" ")) && k < max; p++) {
		const char *name, *title;

		ck_assert_int_eq(sscanf(strstr(p, "data-x="), "data-x=\"%" SCNu64 "\" data-n=\"%" SCNu64
					"\" data-d=\"%u\"", &fr[k].x, &fr[k].n, &fr[k].d), 3);
		name = strstr(p, "data-name=\"") + 11;
		snprintf(fr[k].name, sizeof(fr[k].name), "%.*s", (int)(strchr(name, '"') - name), name);
		title = strstr(p, "<title>");
		fr[k].inlined = strstr(title, "[inlined]") && strstr(title, "[inlined]") < strstr(title, "</title>");
		k++;
	}
	return k;
}

static const frame_attr *find(const frame_attr *fr, int n, const char *name, unsigned depth)
{
	for (int i = 0; i < n; i++)
		if (strcmp(fr[i].name, name) == 0 && fr[i].d == depth)
			return &fr[i];
	return NULL;
}

START_TEST(test_flamegraph_widths)
{
	lp_view_opts o;
	frame_attr fr[64];
	char *got, *diag = NULL;
	uint64_t self_sum = 0;
	int n;

	lp_view_opts_init(&o);
	got = fcg_render(&f, lp_render_flamegraph, &o, &diag);
	ck_assert_msg(strncmp(got, "<?xml", 5) == 0, "%.500s", got);
	ck_assert_ptr_nonnull(strstr(got, "data-samples=\"100\" data-profile-samples=\"100\""));
	n = frames_of(got, fr, 64);
	ck_assert_int_ge(n, 10);
	/* The root holds every sample; each frame's children fit in it, side by side. */
	ck_assert_str_eq(fr[0].name, "all");
	ck_assert_uint_eq(fr[0].n, 100);
	for (int i = 0; i < n; i++) {
		uint64_t kids = 0, next = fr[i].x;

		for (int j = i + 1; j < n && fr[j].d > fr[i].d; j++) {
			if (fr[j].d != fr[i].d + 1)
				continue;
			ck_assert_uint_eq(fr[j].x, next); /* children tile their parent from its left edge */
			next += fr[j].n;
			kids += fr[j].n;
		}
		ck_assert_msg(kids <= fr[i].n, "%s: children %" PRIu64 " > %" PRIu64, fr[i].name, kids, fr[i].n);
		self_sum += fr[i].n - kids;
	}
	ck_assert_uint_eq(self_sum, 100);
	/* main 100 > a 80 > b 60 > c 40 > sq 10 (inlined into c); main > rec 15 > rec 11. */
	ck_assert_uint_eq(find(fr, n, "main", 1)->n, 100);
	ck_assert_uint_eq(find(fr, n, "a", 2)->n, 80);
	ck_assert_uint_eq(find(fr, n, "c", 4)->n, 40);
	ck_assert_uint_eq(find(fr, n, "sq", 5)->n, 10);
	ck_assert(find(fr, n, "sq", 5)->inlined);
	ck_assert(!find(fr, n, "c", 4)->inlined);
	ck_assert_uint_eq(find(fr, n, "rec", 2)->n, 15);
	ck_assert_uint_eq(find(fr, n, "rec", 3)->n, 11);
	/* The script and its controls are inline: nothing to fetch. */
	ck_assert_ptr_nonnull(strstr(got, "<script type=\"text/ecmascript\"><![CDATA["));
	ck_assert_ptr_nonnull(strstr(got, "id=\"search\""));
	ck_assert_ptr_null(strstr(got, "href="));
	ck_assert(diag == NULL || !*diag);
	free(got);
	free(diag);
}
END_TEST

/* Without stacks: the inlined chains only, and a note saying so. */
START_TEST(test_flamegraph_without_stacks)
{
	lp_view_opts o;
	frame_attr fr[64];
	char *got, *diag = NULL;
	int n;

	lp_view_opts_init(&o);
	got = fcg_render(&f, lp_render_flamegraph, &o, &diag);
	n = frames_of(got, fr, 64);
	ck_assert_uint_eq(fr[0].n, 100);
	/* c's own 25 and sq inlined into it, 10: c is a root child of 35. */
	ck_assert_uint_eq(find(fr, n, "c", 1)->n, 35);
	ck_assert_uint_eq(find(fr, n, "sq", 2)->n, 10);
	ck_assert_ptr_null(find(fr, n, "main", 1));
	ck_assert_ptr_nonnull(strstr(got, "no call stacks recorded"));
	ck_assert_ptr_nonnull(strstr(diag, "--flamegraph: no call stacks in this profile"));
	free(got);
	free(diag);
}
END_TEST

/* Names are XML text: quotes, brackets, control bytes and bad UTF-8 cannot break the SVG. */
START_TEST(test_flamegraph_escaping)
{
	fake odd;
	lp_view_opts o;
	char *got;

	ck_assert_int_eq(fake_build_opts(&odd, FAKE_ODD | FAKE_META), LP_OK);
	lp_view_opts_init(&o);
	o.diag = NULL;
	got = fake_render(&odd, lp_render_flamegraph, &o);
	ck_assert_msg(strstr(got, "data-name=\"main&lt;a,&quot;b&quot;&gt; \xef\xbf\xbd\xef\xbf\xbd\"") != NULL, "%.1500s", got);
	ck_assert_ptr_null(strstr(got, "main<a"));
	/* The command in the subtitle: ./prog 'a "b"'. */
	ck_assert_msg(strstr(got, "./prog &apos;a &quot;b&quot;&apos;") != NULL, "%.1500s", got);
	free(got);
	fake_free(&odd);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("render_flamegraph");
	TCase *g = tcase_create("with_stacks"), *nog = tcase_create("without_stacks");

	tcase_add_checked_fixture(g, fcg_setup_g, fcg_teardown);
	tcase_add_test(g, test_flamegraph_widths);
	tcase_add_checked_fixture(nog, fcg_setup_nog, fcg_teardown);
	tcase_add_test(nog, test_flamegraph_without_stacks);
	tcase_add_test(nog, test_flamegraph_escaping);
	suite_add_tcase(s, g);
	suite_add_tcase(s, nog);
	return s;
}

int main(void)
{
	return lp_check_run(suite());
}
