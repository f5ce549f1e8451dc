/*
 * The --call-graph=dwarf unwinder on a real stack: unwind_snap captures its
 * registers and 8 KiB of stack inside libnofp (built without frame
 * pointers: main -> outer -> lp_snap_middle -> lp_snap_leaf), writes them
 * out with its executable mappings and exits; the sample is then unwound
 * here, as the recorder does after the fact, through the files' CFI.
 */
#include <check.h>

#include "../lp_check.h"
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lineprof/annotate.h"

#define MAXMAPS 64

typedef struct snap {
	uint64_t regs[LP_NREGS];
	uint64_t ret[3];
	lp_mapping maps[MAXMAPS];
	char paths[MAXMAPS][4096];
	int nmaps;
	unsigned char stack[8192];
	size_t stack_size;
	int lookups;
} snap;

static snap S;

static void take_snapshot(snap *s)
{
	const char *bin = getenv("LP_PROGRAMS_BIN");
	char path[4096], cmd[9000], word[16];
	FILE *f;

	ck_assert_msg(bin != NULL, "LP_PROGRAMS_BIN names the built test programs");
	snprintf(path, sizeof(path), "/tmp/lp-unwind-snap-%d", (int)getpid());
	snprintf(cmd, sizeof(cmd), "'%s/unwind_snap' '%s'", bin, path);
	ck_assert_int_eq(system(cmd), 0);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	memset(s, 0, sizeof(*s));
	while (fscanf(f, "%15s", word) == 1) {
		if (strcmp(word, "regs") == 0) {
			for (int i = 0; i < LP_NREGS; i++)
				ck_assert_int_eq(fscanf(f, "%" SCNx64, &s->regs[i]), 1);
		} else if (strcmp(word, "ret") == 0) {
			ck_assert_int_eq(fscanf(f, "%" SCNx64 " %" SCNx64 " %" SCNx64, &s->ret[0],
						&s->ret[1], &s->ret[2]), 3);
		} else if (strcmp(word, "map") == 0) {
			lp_mapping *m = &s->maps[s->nmaps];

			ck_assert_int_lt(s->nmaps, MAXMAPS);
			ck_assert_int_eq(fscanf(f, "%" SCNx64 " %" SCNx64 " %" SCNx64 " %4095s", &m->start,
						&m->end, &m->pgoff, s->paths[s->nmaps]), 4);
			m->path = s->paths[s->nmaps++];
		} else if (strcmp(word, "stack") == 0) {
			ck_assert_int_eq(fscanf(f, "%zu", &s->stack_size), 1);
			ck_assert_int_eq(fgetc(f), '\n');
			ck_assert_uint_le(s->stack_size, sizeof(s->stack));
			ck_assert_uint_eq(fread(s->stack, 1, s->stack_size, f), s->stack_size);
			break;
		}
	}
	fclose(f);
	remove(path);
	ck_assert_uint_ge(s->stack_size, 1024);
	ck_assert_int_ge(s->nmaps, 3); /* unwind_snap, libnofp, libc (and ld.so) */
}

static int find_mapping(void *ctx, int pid, uint64_t addr, lp_mapping *out)
{
	snap *s = ctx;

	(void)pid;
	s->lookups++;
	for (int i = 0; i < s->nmaps; i++)
		if (s->maps[i].start <= addr && addr < s->maps[i].end) {
			*out = s->maps[i];
			return 0;
		}
	return -1;
}

static int no_mapping(void *ctx, int pid, uint64_t addr, lp_mapping *out)
{
	(void)ctx;
	(void)pid;
	(void)addr;
	(void)out;
	return -1;
}

static lp_unwind_sample sample_of(snap *s, size_t stack_size)
{
	lp_unwind_sample us;

	memset(&us, 0, sizeof(us));
	us.pid = us.tid = 4242; /* long gone: nothing is read from a live process */
	memcpy(us.regs, s->regs, sizeof(us.regs));
	us.have_regs = 1;
	us.stack = s->stack;
	us.stack_size = stack_size;
	us.find_mapping = find_mapping;
	us.find_ctx = s;
	return us;
}

static const char *mapping_of(snap *s, uint64_t addr)
{
	lp_mapping m;

	return find_mapping(s, 0, addr, &m) == 0 ? strrchr(m.path, '/') + 1 : "?";
}

START_TEST(unwinds_through_code_without_frame_pointers)
{
	lp_error err = { 0 };
	lp_unwinder *u = lp_unwinder_new(&err);
	uint64_t ips[64];
	lp_unwind_sample us;
	int n;

	ck_assert_ptr_nonnull(u);
	take_snapshot(&S);
	us = sample_of(&S, S.stack_size);
	n = u->unwind(u->ctx, &us, ips, 64);
	/* leaf, middle, outer, main, then libc's start-up code. */
	ck_assert_int_ge(n, 5);
	ck_assert_uint_eq(ips[0], S.regs[LP_REG_RIP]);
	ck_assert_str_eq(mapping_of(&S, ips[0]), "libnofp.so");
	ck_assert_msg(ips[1] == S.ret[0], "into lp_snap_middle: %" PRIx64 " vs %" PRIx64, ips[1], S.ret[0]);
	ck_assert_msg(ips[2] == S.ret[1], "into outer: %" PRIx64 " vs %" PRIx64, ips[2], S.ret[1]);
	ck_assert_msg(ips[3] == S.ret[2], "into main: %" PRIx64 " vs %" PRIx64, ips[3], S.ret[2]);
	ck_assert_str_eq(mapping_of(&S, ips[4]), "libc.so.6");

	/* A second sample of the same process reuses its modules: the same answer. */
	{
		uint64_t again[64];

		ck_assert_int_eq(u->unwind(u->ctx, &us, again, 64), n);
		ck_assert_mem_eq(again, ips, (size_t)n * sizeof(ips[0]));
	}
	/* At most max_ips. */
	ck_assert_int_eq(u->unwind(u->ctx, &us, ips, 2), 2);
	ck_assert_uint_eq(ips[1], S.ret[0]);
	lp_unwinder_free(u);
}
END_TEST

START_TEST(short_stack_copy_stops_early)
{
	lp_error err = { 0 };
	lp_unwinder *u = lp_unwinder_new(&err);
	uint64_t ips[64];
	lp_unwind_sample us;
	size_t at = 0;
	int n;

	ck_assert_ptr_nonnull(u);
	take_snapshot(&S);
	/* A copy that ends just before leaf's return address: no caller can be found. */
	while (at + 8 <= S.stack_size && memcmp(S.stack + at, &S.ret[0], 8) != 0)
		at += 8;
	ck_assert_uint_lt(at, S.stack_size);
	us = sample_of(&S, at);
	n = u->unwind(u->ctx, &us, ips, 64);
	ck_assert_int_ge(n, 1);
	ck_assert_uint_eq(ips[0], S.regs[LP_REG_RIP]);
	for (int i = 1; i < n; i++)
		ck_assert_msg(ips[i] != S.ret[0], "frame %d came from beyond the copy", i);
	/* The process's address space went away and came back: unwound afresh, whole. */
	u->forget(u->ctx, us.pid);
	us = sample_of(&S, S.stack_size);
	n = u->unwind(u->ctx, &us, ips, 64);
	ck_assert_int_ge(n, 5);
	ck_assert_uint_eq(ips[3], S.ret[2]);
	lp_unwinder_free(u);
}
END_TEST

START_TEST(without_mappings_or_registers)
{
	lp_error err = { 0 };
	lp_unwinder *u = lp_unwinder_new(&err);
	uint64_t ips[64];
	lp_unwind_sample us;
	int n;

	ck_assert_ptr_nonnull(u);
	take_snapshot(&S);
	/* No file to take CFI from: at least the ip, never a crash. */
	us = sample_of(&S, S.stack_size);
	us.find_mapping = no_mapping;
	n = u->unwind(u->ctx, &us, ips, 64);
	ck_assert_int_ge(n, 1);
	ck_assert_uint_eq(ips[0], S.regs[LP_REG_RIP]);
	/* No registers (a 32-bit task): nothing, the recorder keeps the ip. */
	us = sample_of(&S, S.stack_size);
	us.pid = us.tid = 4343;
	us.have_regs = 0;
	ck_assert_int_eq(u->unwind(u->ctx, &us, ips, 64), 0);
	lp_unwinder_free(u);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("unwind");
	TCase *tc = tcase_create("unwind");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, unwinds_through_code_without_frame_pointers);
	tcase_add_test(tc, short_stack_copy_stops_early);
	tcase_add_test(tc, without_mappings_or_registers);
	suite_add_tcase(s, tc);
	return lp_check_run(s);
}
