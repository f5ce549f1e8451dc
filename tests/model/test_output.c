/*
 * Safe writing (lineprof/output.h) and the model's other safety rules: the
 * command line is one line, modules without a build-id keep their identity
 * through the file.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lineprof/output.h"
#include "lineprof/profile.h"
#include "lp_check.h"

static char dir[] = "/tmp/lp-test-output-XXXXXX";

static const char *at(const char *name)
{
	return lp_check_path(dir, name);
}

static void put(const char *name, const char *text)
{
	FILE *f = fopen(at(name), "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static char *get(const char *name)
{
	static char buf[4096];
	FILE *f = fopen(at(name), "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Names in dir other than the given ones: temporaries left behind. */
static int others(const char *keep1, const char *keep2)
{
	char cmd[800];

	snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A %s | grep -v -x -e '%s' -e '%s')\"", dir, keep1,
		 keep2);
	return system(cmd) != 0;
}

static void reset(void)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf %s/* %s/.[!.]*", dir, dir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_write_replaces_regular_file)
{
	lp_output o;
	lp_error err = { 0 };
	struct stat st;
	mode_t mask = umask(022);

	reset();
	put("out", "old\n");
	ck_assert_int_eq(lp_output_check(at("out"), "-o", &err), LP_OK);
	ck_assert_int_eq(lp_output_open(&o, at("out"), &err), LP_OK);
	fputs("new\n", o.f);
	/* Until the commit the old file is there, whole. */
	ck_assert_str_eq(get("out"), "old\n");
	ck_assert_int_eq(lp_output_commit(&o, &err), LP_OK);
	ck_assert_str_eq(get("out"), "new\n");
	ck_assert_int_eq(stat(at("out"), &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0644);
	ck_assert_int_eq(others("out", "out"), 0);
	umask(mask);
}
END_TEST

START_TEST(test_abort_leaves_old_file)
{
	lp_output o;
	lp_error err = { 0 };

	reset();
	put("out", "old\n");
	ck_assert_int_eq(lp_output_open(&o, at("out"), &err), LP_OK);
	fputs("half", o.f);
	lp_output_abort(&o);
	ck_assert_str_eq(get("out"), "old\n");
	ck_assert_int_eq(others("out", "out"), 0);
	lp_output_abort(&o); /* twice is harmless */
}
END_TEST

START_TEST(test_keep_old)
{
	struct stat st;

	reset();
	ck_assert_int_eq(lp_output_keep_old(at("p")), 0); /* nothing there */
	put("p", "");
	ck_assert_int_eq(lp_output_keep_old(at("p")), 0); /* empty: nothing to keep */
	ck_assert_int_eq(lstat(at("p.old"), &st), -1);
	put("p", "first\n");
	put("p.old", "older\n");
	ck_assert_int_eq(lp_output_keep_old(at("p")), 1);
	ck_assert_str_eq(get("p.old"), "first\n");
	ck_assert_ptr_null(get("p"));
	/* A FIFO or a symlink at the .old name is never replaced, nor the profile moved. */
	put("q", "second\n");
	ck_assert_int_eq(mkfifo(at("q.old"), 0600), 0);
	errno = 0;
	ck_assert_int_eq(lp_output_keep_old(at("q")), -1);
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_int_eq(lstat(at("q.old"), &st), 0);
	ck_assert(S_ISFIFO(st.st_mode));
	ck_assert_str_eq(get("q"), "second\n");
	put("r", "third\n");
	ck_assert_int_eq(symlink(at("p.old"), at("r.old")), 0);
	ck_assert_int_eq(lp_output_keep_old(at("r")), -1);
	ck_assert_str_eq(get("p.old"), "first\n");
	ck_assert_str_eq(get("r"), "third\n");
}
END_TEST

START_TEST(test_symlink_refused)
{
	lp_output o;
	lp_error err = { 0 };

	reset();
	put("victim", "precious\n");
	ck_assert_int_eq(symlink(at("victim"), at("link")), 0);
	ck_assert_int_eq(lp_output_check(at("link"), "--csv", &err), LP_EUSAGE);
	ck_assert_msg(strstr(err.msg, "--csv") && strstr(err.msg, "symbolic link"), "%s", err.msg);
	/* Planted after the check: the commit refuses it too, and removes its temporary. */
	lp_error_clear(&err);
	ck_assert_int_eq(lp_output_open(&o, at("link"), &err), LP_OK);
	fputs("profile\n", o.f);
	ck_assert_int_eq(lp_output_commit(&o, &err), LP_EFAIL);
	ck_assert_msg(strstr(err.msg, "symbolic link"), "%s", err.msg);
	ck_assert_str_eq(get("victim"), "precious\n");
	ck_assert_int_eq(others("victim", "link"), 0);
}
END_TEST

START_TEST(test_special_files_refused)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	lp_error err = { 0 };
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	struct { const char *path, *what; } cases[] = {
		{ "/dev/null", "a character device" }, { NULL, "a FIFO" }, { NULL, "a socket" },
		{ NULL, "a directory" },
	};

	reset();
	ck_assert_int_eq(mkfifo(at("fifo"), 0600), 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", at("sock"));
	ck_assert_int_eq(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(mkdir(at("dir"), 0700), 0);
	cases[1].path = strdup(at("fifo"));
	cases[2].path = strdup(at("sock"));
	cases[3].path = strdup(at("dir"));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		lp_error_clear(&err);
		ck_assert_int_eq(lp_output_check(cases[i].path, "-o", &err), LP_EUSAGE);
		ck_assert_msg(strstr(err.msg, cases[i].what), "%s", err.msg);
	}
	close(s);
	for (size_t i = 1; i < sizeof(cases) / sizeof(cases[0]); i++)
		free((char *)cases[i].path);
}
END_TEST

START_TEST(test_directory_checked)
{
	lp_error err = { 0 };

	ck_assert_int_eq(lp_output_check("/nonexistent-dir/x.lprof", "-o", &err), LP_EUSAGE);
	ck_assert_msg(strstr(err.msg, "directory /nonexistent-dir"), "%s", err.msg);
	lp_error_clear(&err);
	ck_assert_int_eq(lp_output_check("", "--json", &err), LP_EUSAGE);
	lp_error_clear(&err);
	ck_assert_int_eq(lp_output_check(at("sub/"), "--json", &err), LP_EUSAGE);
	ck_assert_msg(strstr(err.msg, "names a directory"), "%s", err.msg);
}
END_TEST

/* Two writers of one name: each file is whole, the last rename wins, no temporaries remain. */
START_TEST(test_two_writers)
{
	lp_output a, b;
	lp_error err = { 0 };

	reset();
	ck_assert_int_eq(lp_output_open(&a, at("same"), &err), LP_OK);
	ck_assert_int_eq(lp_output_open(&b, at("same"), &err), LP_OK);
	fputs("from a\n", a.f);
	fputs("from b\n", b.f);
	ck_assert_int_eq(lp_output_commit(&b, &err), LP_OK);
	ck_assert_int_eq(lp_output_commit(&a, &err), LP_OK);
	ck_assert_str_eq(get("same"), "from a\n");
	ck_assert_int_eq(others("same", "same"), 0);
}
END_TEST

START_TEST(test_fallback)
{
	lp_error err = { 0 };
	char *name;
	lp_output o;

	reset();
	setenv("TMPDIR", dir, 1);
	name = lp_output_fallback("/gone/away/run.lprof", &err);
	ck_assert_ptr_nonnull(name);
	ck_assert_msg(strncmp(name, dir, strlen(dir)) == 0 && strstr(name, "/run.") &&
		      strlen(name) > 6 && strcmp(name + strlen(name) - 6, ".lprof") == 0, "%s", name);
	/* Reserved: it exists, empty, so nobody else can take the name. */
	ck_assert_ptr_nonnull(get(name + strlen(dir) + 1));
	ck_assert_int_eq(lp_output_open(&o, name, &err), LP_OK);
	fputs("saved\n", o.f);
	ck_assert_int_eq(lp_output_commit(&o, &err), LP_OK);
	ck_assert_str_eq(get(name + strlen(dir) + 1), "saved\n");
	free(name);
	/* A relative or missing $TMPDIR falls back to /tmp. */
	setenv("TMPDIR", "relative", 1);
	name = lp_output_fallback("x", &err);
	ck_assert_ptr_nonnull(name);
	ck_assert_msg(strncmp(name, "/tmp/x.", 7) == 0, "%s", name);
	unlink(name);
	free(name);
	unsetenv("TMPDIR");
}
END_TEST

/* A newline in an argument must not make the command two lines (views, Callgrind's cmd:). */
START_TEST(test_command_is_one_line)
{
	lp_profile *p = lp_profile_new();
	char *argv[] = { "./prog", "a b", "x\nfn=evil", "it's\t\x1b", NULL };

	ck_assert_int_eq(lp_profile_set_command(p, 4, argv), 0);
	ck_assert_str_eq(p->command, "./prog 'a b' $'x\\nfn=evil' $'it\\'s\\t\\x1b'");
	lp_profile_free(p);
}
END_TEST

/* Size, mtime and code hash of a module without a build-id survive the file; format 1 still loads. */
START_TEST(test_module_identity_round_trip)
{
	lp_profile *p = lp_profile_new(), *q;
	lp_error err = { 0 };
	unsigned char bid[4] = { 1, 2, 3, 4 };
	const char *old = "lineprof-profile 1\nsamples 0\nmodule 0 - /bin/x\nend\n";

	reset();
	ck_assert_int_eq(lp_profile_module(p, "/work/go-binary", NULL, 0), 0);
	ck_assert_int_eq(lp_profile_module(p, "/lib/libc.so.6", bid, sizeof(bid)), 1);
	p->modules[0].file_size = 1234567;
	p->modules[0].mtime_ns = -5; /* before 1970: signed */
	p->modules[0].code_hash = 0xfedcba9876543210ULL;
	ck_assert_int_eq(lp_profile_save(p, at("m.lprof"), &err), LP_OK);
	q = lp_profile_load(at("m.lprof"), &err);
	ck_assert_msg(q != NULL, "%s", err.msg);
	ck_assert_uint_eq(q->modules[0].file_size, 1234567);
	ck_assert_int_eq(q->modules[0].mtime_ns, -5);
	ck_assert_uint_eq(q->modules[0].code_hash, 0xfedcba9876543210ULL);
	ck_assert_uint_eq(q->modules[1].file_size, 0);
	ck_assert_uint_eq(q->modules[1].code_hash, 0);
	ck_assert_ptr_nonnull(strstr(get("m.lprof"),
				     "module 0 - 1234567 -5 fedcba9876543210 /work/go-binary\n"));
	lp_profile_free(q);
	lp_profile_free(p);
	put("old.lprof", old);
	q = lp_profile_load(at("old.lprof"), &err);
	ck_assert_msg(q != NULL, "%s", err.msg);
	ck_assert_uint_eq(q->modules[0].file_size, 0);
	lp_profile_free(q);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("output");
	TCase *tc = tcase_create("output");
	tcase_add_test(tc, test_write_replaces_regular_file);
	tcase_add_test(tc, test_abort_leaves_old_file);
	tcase_add_test(tc, test_keep_old);
	tcase_add_test(tc, test_symlink_refused);
	tcase_add_test(tc, test_special_files_refused);
	tcase_add_test(tc, test_directory_checked);
	tcase_add_test(tc, test_two_writers);
	tcase_add_test(tc, test_fallback);
	tcase_add_test(tc, test_command_is_one_line);
	tcase_add_test(tc, test_module_identity_round_trip);
	suite_add_tcase(s, tc);
	return lp_check_run_in(s, dir);
}
