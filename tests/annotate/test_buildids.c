/*
 * lp_annotate_fill_build_ids: the build-ids the recorder could not give, read
 * from the files after recording. The expected ids come from libdw's own
 * reader (dwelf_elf_gnu_build_id), not from the code under test.
 */
#include <check.h>
#include <gelf.h>

#include "../lp_check.h"
#include <elfutils/libdwelf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lineprof/annotate.h"

/* A test program, under LP_PROGRAMS_BIN (set by meson). */
static const char *prog(const char *name)
{
	static char buf[4096];
	const char *dir = getenv("LP_PROGRAMS_BIN");

	ck_assert_msg(dir != NULL, "LP_PROGRAMS_BIN is not set: run the tests through meson");
	snprintf(buf, sizeof(buf), "%s/%s", dir, name);
	return buf;
}

/* hotline's build-id by libdw; its length. */
static size_t dwelf_id(const char *path, unsigned char *id)
{
	int fd = open(path, O_RDONLY);
	Elf *elf;
	const void *p = NULL;
	ssize_t n;

	ck_assert_int_ge(fd, 0);
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	n = dwelf_elf_gnu_build_id(elf, &p);
	ck_assert_int_gt(n, 0);
	ck_assert_int_le(n, LP_BUILD_ID_MAX);
	memcpy(id, p, (size_t)n);
	elf_end(elf);
	close(fd);
	return (size_t)n;
}

static void copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	ssize_t n;

	ck_assert(in >= 0 && out >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		ck_assert_int_eq(write(out, buf, (size_t)n), n);
	close(in);
	close(out);
}

START_TEST(filled_from_the_file)
{
	const char *hot = prog("hotline");
	char dir[] = "/tmp/lp-bid-XXXXXX", deleted[256], fifo[256];
	unsigned char want[LP_BUILD_ID_MAX], other[3] = { 1, 2, 3 };
	size_t len = dwelf_id(hot, want);
	lp_profile *p = lp_profile_new();

	ck_assert_ptr_nonnull(mkdtemp(dir));
	/* A file that is there under a name ending as /proc says of a deleted one. */
	snprintf(deleted, sizeof(deleted), "%s/hotline (deleted)", dir);
	copy_file(hot, deleted);
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	ck_assert_int_eq(lp_profile_module(p, hot, NULL, 0), 0);
	ck_assert_int_eq(lp_profile_module(p, "/no/such/file", NULL, 0), 1);
	ck_assert_int_eq(lp_profile_module(p, deleted, NULL, 0), 2);
	ck_assert_int_eq(lp_profile_module(p, fifo, NULL, 0), 3); /* never opened to block */
	ck_assert_int_eq(lp_profile_module(p, "[vdso]", NULL, 0), 4);
	ck_assert_int_eq(lp_profile_module(p, "/bin/sh", other, 3), 5);
	lp_annotate_fill_build_ids(p);
	ck_assert_uint_eq(p->modules[0].build_id_len, len);
	ck_assert_mem_eq(p->modules[0].build_id, want, len);
	for (int m = 1; m <= 4; m++)
		ck_assert_uint_eq(p->modules[m].build_id_len, 0);
	ck_assert_uint_eq(p->modules[5].build_id_len, 3); /* the recorder's id stays */
	ck_assert_mem_eq(p->modules[5].build_id, other, 3);
	lp_profile_free(p);
	unlink(deleted);
	unlink(fifo);
	rmdir(dir);
}
END_TEST

/* The same file known with its id (mapped while recording) and without: no duplicate. */
START_TEST(never_a_duplicate)
{
	const char *hot = prog("hotline");
	unsigned char want[LP_BUILD_ID_MAX];
	size_t len = dwelf_id(hot, want);
	lp_profile *p = lp_profile_new();
	lp_error err = { 0 };
	char path[] = "/tmp/lp-bid-XXXXXX";
	int fd = mkstemp(path);

	ck_assert_int_eq(lp_profile_module(p, hot, want, len), 0);
	ck_assert_int_eq(lp_profile_module(p, hot, NULL, 0), 1);
	lp_annotate_fill_build_ids(p);
	ck_assert_uint_eq(p->modules[1].build_id_len, 0);
	/* And the profile still saves and loads (the format forbids duplicate modules). */
	close(fd);
	ck_assert_int_eq(lp_profile_save(p, path, &err), LP_OK);
	lp_profile_free(p);
	p = lp_profile_load(path, &err);
	ck_assert_msg(p != NULL, "%s", err.msg);
	lp_profile_free(p);
	unlink(path);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("buildids");
	TCase *t = tcase_create("buildids");

	tcase_add_test(t, filled_from_the_file);
	tcase_add_test(t, never_a_duplicate);
	suite_add_tcase(s, t);
	return lp_check_run(s);
}
