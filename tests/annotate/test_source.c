/*
 * Source text for the views (annotate/source.c) and what a profile may name
 * (annotate/symbols/input.c): regular files only, one copy per file whatever its
 * names, a size cap, control characters escaped.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lp_check.h"
#include "input.h"
#include "source.h"

static char dir[] = "/tmp/lp-test-source-XXXXXX";

static const char *at(const char *name)
{
	return lp_check_path(dir, name);
}

static void put(const char *name, const char *bytes, size_t n)
{
	FILE *f = fopen(at(name), "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(bytes, 1, n, f), n);
	fclose(f);
}

/* Runs fn with diag captured; returns what was said (caller frees). */
static char *said;
static size_t said_len;

static lp_sources *sources_with_diag(FILE **diag)
{
	*diag = open_memstream(&said, &said_len);
	return lp_sources_new(NULL, 0, *diag);
}

START_TEST(test_lines_escaped)
{
	static const char text[] = "plain\r\n\tint x; /* \x1b[2J */\nbell\x07 del\x7f nul\0end\n"
				   "csi \xc2\x9b" "31m and \xc3\xa9t\xc3\xa9\n";
	FILE *diag;
	lp_sources *s = sources_with_diag(&diag);
	const char *one;

	put("a.c", text, sizeof(text) - 1);
	ck_assert_int_eq(lp_sources_count(s, at("a.c")), 4);
	ck_assert_str_eq(lp_sources_line(s, at("a.c"), 1), "plain");
	/* A tab is kept: it is how sources indent. */
	ck_assert_str_eq(lp_sources_line(s, at("a.c"), 2), "\tint x; /* ^[[2J */");
	ck_assert_str_eq(lp_sources_line(s, at("a.c"), 3), "bell^G del^? nul^@end");
	/* A C1 control (CSI) is escaped, other UTF-8 is left alone. */
	ck_assert_str_eq(lp_sources_line(s, at("a.c"), 4), "csi \\u009b31m and \xc3\xa9t\xc3\xa9");
	/* Made once: the same pointer every time. */
	one = lp_sources_line(s, at("a.c"), 2);
	ck_assert_ptr_eq(lp_sources_line(s, at("a.c"), 2), one);
	ck_assert_ptr_null(lp_sources_line(s, at("a.c"), 5));
	lp_sources_free(s);
	fclose(diag);
	free(said);
}
END_TEST

/* Names of one file (a symlink, "./", "//") share one copy of it. */
START_TEST(test_aliases_share_one_copy)
{
	FILE *diag;
	lp_sources *s = sources_with_diag(&diag);
	char dotted[600], doubled[600];

	put("b.c", "one\ntwo\n", 8);
	ck_assert_int_eq(symlink(at("b.c"), at("link.c")), 0);
	snprintf(dotted, sizeof(dotted), "%s/./b.c", dir);
	snprintf(doubled, sizeof(doubled), "%s//b.c", dir);
	ck_assert_str_eq(lp_sources_line(s, at("b.c"), 2), "two");
	ck_assert_ptr_eq(lp_sources_line(s, at("link.c"), 2), lp_sources_line(s, at("b.c"), 2));
	ck_assert_ptr_eq(lp_sources_line(s, dotted, 1), lp_sources_line(s, at("b.c"), 1));
	ck_assert_ptr_eq(lp_sources_line(s, doubled, 1), lp_sources_line(s, at("b.c"), 1));
	lp_sources_free(s);
	fclose(diag);
	free(said);
}
END_TEST

/* A FIFO, a device, a directory, /proc: not opened (a FIFO would block), said once each. */
START_TEST(test_special_files_not_read)
{
	FILE *diag;
	lp_sources *s = sources_with_diag(&diag);
	const char *why = NULL;
	struct stat st;

	ck_assert_int_eq(mkfifo(at("fifo.c"), 0600), 0);
	ck_assert_int_eq(lp_sources_count(s, at("fifo.c")), 0);
	ck_assert_ptr_null(lp_sources_line(s, at("fifo.c"), 1));
	ck_assert_int_eq(lp_sources_count(s, "/dev/zero"), 0);
	ck_assert_int_eq(lp_sources_count(s, dir), 0);
	ck_assert_int_eq(lp_sources_count(s, "/proc/kmsg"), 0);
	ck_assert_int_eq(lp_sources_count(s, "/proc/self/status"), 0);
	fflush(diag);
	ck_assert_msg(strstr(said, "fifo.c is a FIFO") && strstr(said, "/dev/zero is a character device") &&
		      strstr(said, "is a directory") && strstr(said, "/proc/kmsg is on a kernel file system") &&
		      strstr(said, "/proc/self/status is on a kernel file system"), "%s", said);
	lp_sources_free(s);
	fclose(diag);
	free(said);
	ck_assert_int_eq(lp_input_open(at("fifo.c"), &st, &why), -1);
	ck_assert_str_eq(why, "a FIFO");
	ck_assert_int_eq(lp_input_check("/sys/kernel/mm/transparent_hugepage/enabled", &st, &why) == 0 &&
			 access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK) == 0, 0);
}
END_TEST

/* Over 64 MiB: not read at all (a sparse file: no disk is used), said with its size. */
START_TEST(test_size_cap)
{
	FILE *diag;
	lp_sources *s = sources_with_diag(&diag);
	int fd = open(at("huge.c"), O_CREAT | O_WRONLY, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)1536 << 20), 0);
	close(fd);
	ck_assert_int_eq(lp_sources_count(s, at("huge.c")), 0);
	fflush(diag);
	ck_assert_msg(strstr(said, "huge.c is 1536 MiB, more than the 64 MiB lineprof reads"), "%s", said);
	lp_sources_free(s);
	fclose(diag);
	free(said);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("source");
	TCase *tc = tcase_create("source");
	tcase_add_test(tc, test_lines_escaped);
	tcase_add_test(tc, test_aliases_share_one_copy);
	tcase_add_test(tc, test_special_files_not_read);
	tcase_add_test(tc, test_size_cap);
	suite_add_tcase(s, tc);
	return lp_check_run_in(s, dir);
}
