/*
 * --pprof: the export decoded again (zlib, protobuf-c) and checked against
 * the fake profiles: sample types, per-function flat samples, inlined lines,
 * mappings, and every value accounted for. pprof itself reads real exports
 * in the integration tests (tests/integration/html).
 */
#include <check.h>

#include "../lp_check.h"
#include <zlib.h>

#include "fake.h"
#include "fake_calls.h"
#include "profile.pb-c.h"
#include "render.h"

typedef Perftools__Profiles__Profile Profile;

static Profile *decode(const unsigned char *gz, size_t len)
{
	size_t cap = 1 << 16, n = 0;
	unsigned char *buf = malloc(cap);
	z_stream z;
	int rc;
	Profile *p;

	memset(&z, 0, sizeof(z));
	ck_assert_int_eq(inflateInit2(&z, 16 + 15), Z_OK); /* gzip only */
	z.next_in = (unsigned char *)gz;
	z.avail_in = (uInt)len;
	do {
		if (cap - n < 4096)
			buf = realloc(buf, cap *= 2);
		z.next_out = buf + n;
		z.avail_out = (uInt)(cap - n);
		rc = inflate(&z, Z_NO_FLUSH);
		n = cap - z.avail_out;
		ck_assert_msg(rc == Z_OK || rc == Z_STREAM_END, "inflate: %d", rc);
	} while (rc != Z_STREAM_END);
	ck_assert_uint_eq(z.avail_in, 0);
	inflateEnd(&z);
	p = perftools__profiles__profile__unpack(NULL, n, buf);
	free(buf);
	ck_assert_ptr_nonnull(p);
	return p;
}

/* Renders into memory, with the length (the output is binary). */
static Profile *export(const lp_report *rep, lp_view_opts *o)
{
	lp_render_ctx ctx = { .rep = rep, .opts = o };
	lp_error err = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	Profile *p;

	ctx.src = lp_sources_new(NULL, 0, NULL);
	ck_assert_int_eq(lp_render_pprof(&ctx, out, &err), LP_OK);
	fclose(out);
	lp_sources_free(ctx.src);
	ck_assert(len > 18 && (unsigned char)buf[0] == 0x1f && (unsigned char)buf[1] == 0x8b);
	p = decode((unsigned char *)buf, len);
	free(buf);
	return p;
}

static const char *s(const Profile *p, int64_t i)
{
	ck_assert(i >= 0 && (size_t)i < p->n_string_table);
	return p->string_table[i];
}

static int type_index(const Profile *p, const char *type)
{
	for (size_t i = 0; i < p->n_sample_type; i++)
		if (strcmp(s(p, p->sample_type[i]->type), type) == 0)
			return (int)i;
	return -1;
}

static const Perftools__Profiles__Location *loc(const Profile *p, uint64_t id)
{
	for (size_t i = 0; i < p->n_location; i++)
		if (p->location[i]->id == id)
			return p->location[i];
	ck_abort_msg("no location %llu", (unsigned long long)id);
	return NULL;
}

static const char *func_name(const Profile *p, uint64_t id)
{
	for (size_t i = 0; i < p->n_function; i++)
		if (p->function[i]->id == id)
			return s(p, p->function[i]->name);
	ck_abort_msg("no function %llu", (unsigned long long)id);
	return NULL;
}

/* pprof's flat value of a function: samples whose leaf location's innermost line is in it. */
static int64_t flat(const Profile *p, const char *name, int vi)
{
	int64_t sum = 0;

	for (size_t i = 0; i < p->n_sample; i++) {
		const Perftools__Profiles__Location *l;

		if (!p->sample[i]->n_location_id)
			continue;
		l = loc(p, p->sample[i]->location_id[0]);
		if (l->n_line && strcmp(func_name(p, l->line[0]->function_id), name) == 0)
			sum += p->sample[i]->value[vi];
	}
	return sum;
}

static int64_t total(const Profile *p, int vi)
{
	int64_t sum = 0;

	for (size_t i = 0; i < p->n_sample; i++)
		sum += p->sample[i]->value[vi];
	return sum;
}

START_TEST(test_pprof_with_stacks)
{
	lp_view_opts o;
	Profile *p;
	int ns, ncpu;
	int found_sq = 0;

	lp_view_opts_init(&o);
	p = export(&f.rep, &o);
	ck_assert_str_eq(p->string_table[0], "");
	ns = type_index(p, "samples");
	ncpu = type_index(p, "cpu");
	ck_assert_int_eq(ns, 0);
	ck_assert_int_eq(ncpu, 1);
	ck_assert_str_eq(s(p, p->sample_type[1]->unit), "nanoseconds");
	ck_assert_str_eq(s(p, p->default_sample_type), "samples");
	ck_assert_int_eq(total(p, ns), 100);
	ck_assert_int_eq(total(p, ncpu), 100000000);
	/* The flat profile is the report's self samples. */
	ck_assert_int_eq(flat(p, "a", ns), 20);
	ck_assert_int_eq(flat(p, "b", ns), 20);
	ck_assert_int_eq(flat(p, "c", ns), 25);
	ck_assert_int_eq(flat(p, "sq", ns), 10);
	ck_assert_int_eq(flat(p, "j0", ns), 5);
	ck_assert_int_eq(flat(p, "rec", ns), 10);
	ck_assert_int_eq(flat(p, "shared", ns), 10);
	ck_assert_int_eq(flat(p, "main", ns), 0);
	/* Stacks from the leaf: the deepest (c -> j0) has five locations. */
	for (size_t i = 0; i < p->n_sample; i++)
		ck_assert_uint_le(p->sample[i]->n_location_id, 5);
	/* sq inlined into c at line 19: one location, two lines, innermost first. */
	for (size_t i = 0; i < p->n_location; i++) {
		const Perftools__Profiles__Location *l = p->location[i];

		if (l->n_line == 2) {
			ck_assert_str_eq(func_name(p, l->line[0]->function_id), "sq");
			ck_assert_int_eq(l->line[0]->line, 24);
			ck_assert_str_eq(func_name(p, l->line[1]->function_id), "c");
			ck_assert_int_eq(l->line[1]->line, 19);
			found_sq = 1;
		}
		ck_assert_uint_ne(l->mapping_id, 0);
		ck_assert(l->address >= p->mapping[0]->memory_start);
	}
	ck_assert(found_sq);
	/* Two modules, their paths; each location's address maps back to its file offset. */
	ck_assert_uint_eq(p->n_mapping, 2);
	for (size_t i = 0; i < p->n_location; i++) {
		const Perftools__Profiles__Location *l = p->location[i];
		const Perftools__Profiles__Mapping *m = p->mapping[l->mapping_id - 1];
		uint64_t off = l->address - m->memory_start + m->file_offset;

		ck_assert_uint_eq(m->id, l->mapping_id);
		ck_assert(off == 0x900 ? strcmp(s(p, m->filename), "/usr/lib/libm.so.6") == 0
				       : strcmp(s(p, m->filename), "/nonexistent/cg") == 0);
		ck_assert(off >= 0xff && off <= 0x900); /* a caller's: its return address - 1 */
	}
	for (size_t i = 0; i < p->n_mapping; i++)
		ck_assert(p->mapping[i]->has_functions && p->mapping[i]->has_filenames &&
			  p->mapping[i]->has_line_numbers && p->mapping[i]->has_inline_frames);
	perftools__profiles__profile__free_unpacked(p, NULL);
}
END_TEST

START_TEST(test_pprof_without_stacks)
{
	lp_view_opts o;
	Profile *p;

	lp_view_opts_init(&o);
	p = export(&f.rep, &o);
	/* One sample per address, one location each. */
	ck_assert_uint_eq(p->n_sample, 7);
	ck_assert_int_eq(total(p, 0), 100);
	ck_assert_int_eq(flat(p, "c", 0), 25);
	ck_assert_int_eq(flat(p, "sq", 0), 10);
	for (size_t i = 0; i < p->n_sample; i++)
		ck_assert_uint_eq(p->sample[i]->n_location_id, 1);
	perftools__profiles__profile__free_unpacked(p, NULL);
}
END_TEST

/* Every counted event is a sample type with its totals; hits are one too. */
START_TEST(test_pprof_events_and_hits)
{
	fake fk;
	lp_view_opts o;
	Profile *p;
	int ni, nh;

	ck_assert_int_eq(fake_build_opts(&fk, FAKE_EVENTS2 | FAKE_HITS | FAKE_ODD | FAKE_META), LP_OK);
	lp_view_opts_init(&o);
	p = export(&fk.rep, &o);
	ck_assert_int_eq(type_index(p, "cpu"), 1);
	ni = type_index(p, "instructions");
	nh = type_index(p, "hits");
	ck_assert_int_eq(ni, 2);
	ck_assert_int_eq(nh, 3);
	ck_assert_int_eq(total(p, 0), 50);
	ck_assert_int_eq(total(p, ni), 100 + 3000 + 50 + 7);
	ck_assert_int_eq(total(p, nh), 1001 + 1000000 + 1);
	/* The odd name goes through as it is: protobuf strings are bytes. */
	ck_assert_int_eq(flat(p, "main<a,\"b\">\n\x01\xff", 0), 10);
	ck_assert_uint_eq((uint64_t)p->time_nanos, 1700000000ULL * 1000000000ULL);
	ck_assert_int_eq(p->duration_nanos, 60000000);
	perftools__profiles__profile__free_unpacked(p, NULL);
	fake_free(&fk);
}
END_TEST

/* Kernel and off-CPU time, when the profile recorded them, are sample types of their own. */
START_TEST(test_pprof_sys_and_off_cpu)
{
	fake fk;
	lp_view_opts o;
	Profile *p;
	uint64_t sys = 0, blocked = 0, runnable = 0;
	int ns, nb, nr;

	ck_assert_int_eq(fake_build_opts(&fk, 0), LP_OK);
	fk.prof->kernel = fk.prof->off_cpu = 1;
	for (size_t i = 0; i < fk.prof->naddrs; i++) {
		lp_counts *c = &fk.prof->addrs[i].c;

		c->sys_samples = i + 1;
		c->sys_value = (i + 1) * 1000000;
		c->off_ns[LP_OFF_BLOCKED] = (i + 1) * 7000;
		c->off_ns[LP_OFF_RUNNABLE] = i * 300;
		sys += c->sys_value;
		blocked += c->off_ns[LP_OFF_BLOCKED];
		runnable += c->off_ns[LP_OFF_RUNNABLE];
	}
	lp_view_opts_init(&o);
	p = export(&fk.rep, &o);
	ns = type_index(p, "sys");
	nb = type_index(p, "off_cpu_blocked");
	nr = type_index(p, "off_cpu_runnable");
	ck_assert_int_ge(ns, 0);
	ck_assert_int_ge(type_index(p, "sys_samples"), 0);
	ck_assert_int_ge(nb, 0);
	ck_assert_int_ge(nr, 0);
	ck_assert_str_eq(s(p, p->sample_type[ns]->unit), "nanoseconds");
	ck_assert_str_eq(s(p, p->sample_type[nb]->unit), "nanoseconds");
	ck_assert_int_eq(total(p, ns), (int64_t)sys);
	ck_assert_int_eq(total(p, nb), (int64_t)blocked);
	ck_assert_int_eq(total(p, nr), (int64_t)runnable);
	ck_assert_int_eq(total(p, 0), 50);
	perftools__profiles__profile__free_unpacked(p, NULL);
	fake_free(&fk);
}
END_TEST

static Suite *suite(void)
{
	Suite *su = suite_create("render_pprof");
	TCase *g = tcase_create("with_stacks"), *nog = tcase_create("without_stacks");

	tcase_add_checked_fixture(g, fcg_setup_g, fcg_teardown);
	tcase_add_test(g, test_pprof_with_stacks);
	tcase_add_checked_fixture(nog, fcg_setup_nog, fcg_teardown);
	tcase_add_test(nog, test_pprof_without_stacks);
	tcase_add_test(nog, test_pprof_events_and_hits);
	tcase_add_test(nog, test_pprof_sys_and_off_cpu);
	suite_add_tcase(su, g);
	suite_add_tcase(su, nog);
	return su;
}

int main(void)
{
	return lp_check_run(suite());
}
