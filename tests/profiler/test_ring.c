/*
 * The ring reader on a fake mmap in memory, written the way the kernel
 * writes it (records wrapping around the end included), and the collector
 * fed through such rings: records of several CPUs in time order, samples to
 * locations, callchains, group-read deltas.
 */
#include <check.h>

#include "../lp_check.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/mman.h>
#if defined(__x86_64__)
#include <asm/perf_regs.h>
#endif

#include "collect.h"
#include "ring.h"

#define DATA 4096

typedef struct fake_ring {
	struct perf_event_mmap_page meta;
	unsigned char data[DATA];
	lp_ring ring;
} fake_ring;

static fake_ring *fake_new(uint64_t start)
{
	fake_ring *f = calloc(1, sizeof(*f));

	ck_assert_ptr_nonnull(f);
	f->meta.data_head = f->meta.data_tail = start;
	ck_assert_int_eq(lp_ring_init(&f->ring, &f->meta, f->data, DATA), 0);
	return f;
}

static void fake_free(fake_ring *f)
{
	lp_ring_free(&f->ring);
	free(f);
}

/* The kernel's side: copy at data_head, wrapping, then publish. */
static void put(fake_ring *f, const void *rec, size_t len)
{
	uint64_t head = f->meta.data_head;

	ck_assert_uint_eq(len % 8, 0);
	ck_assert_uint_le(head + len - f->meta.data_tail, DATA);
	for (size_t i = 0; i < len; i++)
		f->data[(head + i) & (DATA - 1)] = ((const unsigned char *)rec)[i];
	__atomic_store_n(&f->meta.data_head, head + len, __ATOMIC_RELEASE);
}

/* A record of len bytes whose body is a recognizable byte pattern. */
static unsigned char *pattern(uint32_t type, size_t len, unsigned seed)
{
	unsigned char *r = malloc(len);
	struct perf_event_header h = {type, 0, (uint16_t)len};

	ck_assert_ptr_nonnull(r);
	for (size_t i = 0; i < len; i++)
		r[i] = (unsigned char)(seed + i * 7);
	memcpy(r, &h, sizeof(h));
	return r;
}

START_TEST(ring_empty)
{
	fake_ring *f = fake_new(0);

	ck_assert_uint_eq(lp_ring_begin(&f->ring), 0);
	ck_assert_ptr_null(lp_ring_next(&f->ring));
	lp_ring_end(&f->ring);
	ck_assert_uint_eq(f->meta.data_tail, 0);
	fake_free(f);
}
END_TEST

START_TEST(ring_wrapped_record)
{
	/* 16 bytes before the end: a 48-byte record wraps, 32 of its bytes at the start. */
	fake_ring *f = fake_new(10 * DATA + DATA - 16);
	unsigned char *a = pattern(PERF_RECORD_SAMPLE, 48, 1);
	unsigned char *b = pattern(PERF_RECORD_MMAP2, 64, 2);
	const struct perf_event_header *h;

	put(f, a, 48);
	put(f, b, 64);
	ck_assert_uint_eq(lp_ring_begin(&f->ring), 112);
	h = lp_ring_next(&f->ring);
	ck_assert_ptr_nonnull(h);
	ck_assert_ptr_eq(h, (const void *)f->ring.scratch); /* made whole in the scratch */
	ck_assert_mem_eq(h, a, 48);
	h = lp_ring_next(&f->ring);
	ck_assert_ptr_nonnull(h);
	ck_assert_ptr_eq(h, (const void *)(f->data + 32)); /* in place */
	ck_assert_mem_eq(h, b, 64);
	ck_assert_ptr_null(lp_ring_next(&f->ring));
	/* The wrapped record is still intact until the space is given back. */
	ck_assert_mem_eq(f->ring.scratch, a, 48);
	lp_ring_end(&f->ring);
	ck_assert_uint_eq(f->meta.data_tail, 10 * DATA + DATA - 16 + 112);
	ck_assert_uint_eq(lp_ring_begin(&f->ring), 0);
	free(a);
	free(b);
	fake_free(f);
}
END_TEST

START_TEST(ring_fills_exactly)
{
	/* A full ring (head - tail == size) is not an empty one. */
	fake_ring *f = fake_new(DATA / 2);
	int n = 0;

	for (int i = 0; i < DATA / 64; i++) {
		unsigned char *r = pattern(PERF_RECORD_SAMPLE, 64, (unsigned)i);

		put(f, r, 64);
		free(r);
	}
	ck_assert_uint_eq(lp_ring_begin(&f->ring), DATA);
	while (lp_ring_next(&f->ring))
		n++;
	ck_assert_int_eq(n, DATA / 64);
	lp_ring_end(&f->ring);
	fake_free(f);
}
END_TEST

START_TEST(ring_corrupt_size_stops)
{
	fake_ring *f = fake_new(0);
	unsigned char bad[16] = {0};
	struct perf_event_header h = {PERF_RECORD_SAMPLE, 0, 0}; /* size 0: would loop forever */

	memcpy(bad, &h, sizeof(h));
	put(f, bad, 16);
	ck_assert_uint_eq(lp_ring_begin(&f->ring), 16);
	ck_assert_ptr_null(lp_ring_next(&f->ring));
	lp_ring_end(&f->ring);
	ck_assert_uint_eq(f->meta.data_tail, 16);
	fake_free(f);
}
END_TEST

/* ---- records as the kernel writes them for record.c's attrs ---- */

#define ST (PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_PERIOD)

typedef struct rec {
	uint64_t w[64];
	int n; /* u64 words after the header */
} rec;

static void w64(rec *r, uint64_t v)
{
	r->w[r->n++] = v;
}

static void w32x2(rec *r, uint32_t a, uint32_t b)
{
	w64(r, (uint64_t)a | (uint64_t)b << 32);
}

static void wstr(rec *r, const char *s)
{
	size_t len = (strlen(s) + 8) & ~(size_t)7;

	memset(&r->w[r->n], 0, len);
	memcpy(&r->w[r->n], s, strlen(s));
	r->n += (int)(len / 8);
}

/* header + body, sample_id_all trailer {pid, tid; time} for non-samples. */
static void emit(fake_ring *f, uint32_t type, uint16_t misc, rec *body, int trailer, uint32_t pid,
		 uint64_t time)
{
	unsigned char buf[8 + sizeof(body->w) + 16];
	struct perf_event_header h;
	size_t len = 8 + (size_t)body->n * 8;

	if (trailer) {
		w32x2(body, pid, pid);
		w64(body, time);
		len += 16;
	}
	h.type = type;
	h.misc = misc;
	h.size = (uint16_t)len;
	memcpy(buf, &h, 8);
	memcpy(buf + 8, body->w, (size_t)body->n * 8);
	put(f, buf, len);
}

static void mmap2(fake_ring *f, uint32_t pid, uint64_t start, uint64_t len, uint64_t pgoff,
		  uint32_t prot, const char *path, uint64_t time)
{
	rec r = {{0}, 0};
	unsigned char bid[24] = {20, 0, 0, 0};

	for (int i = 0; i < 20; i++)
		bid[4 + i] = (unsigned char)(0xa0 + i);
	w32x2(&r, pid, pid);
	w64(&r, start);
	w64(&r, len);
	w64(&r, pgoff);
	memcpy(&r.w[r.n], bid, 24);
	r.n += 3;
	w32x2(&r, prot, MAP_PRIVATE);
	wstr(&r, path);
	emit(f, PERF_RECORD_MMAP2, PERF_RECORD_MISC_MMAP_BUILD_ID, &r, 1, pid, time);
}

static void sample(fake_ring *f, uint32_t pid, uint32_t tid, uint64_t ip, uint64_t time,
		   uint64_t period, const uint64_t *read, int nread, const uint64_t *chain,
		   int nchain)
{
	rec r = {{0}, 0};

	w64(&r, ip);
	w32x2(&r, pid, tid);
	w64(&r, time);
	w64(&r, period);
	if (read) {
		w64(&r, (uint64_t)nread);
		for (int i = 0; i < nread; i++) {
			w64(&r, read[i]);
			w64(&r, 1000 + (uint64_t)i); /* PERF_FORMAT_ID */
		}
	}
	if (chain) {
		w64(&r, (uint64_t)nchain);
		for (int i = 0; i < nchain; i++)
			w64(&r, chain[i]);
	}
	emit(f, PERF_RECORD_SAMPLE, PERF_RECORD_MISC_USER, &r, 0, pid, time);
}

static const lp_addr *find_addr(const lp_profile *p, uint32_t module, uint64_t offset)
{
	for (size_t i = 0; i < p->naddrs; i++)
		if (p->addrs[i].loc.module == module && p->addrs[i].loc.offset == offset)
			return &p->addrs[i];
	return NULL;
}

START_TEST(collect_time_order_across_cpus)
{
	lp_profile *p = lp_profile_new();
	fake_ring *f0 = fake_new(DATA - 24), *f1 = fake_new(0);
	lp_ring rings[2];
	lp_collect *c;
	lp_error err = {0};
	const lp_addr *a;

	p->nevents = 1;
	c = lp_collect_new(p, ST, 0, NULL);
	ck_assert_ptr_nonnull(c);
	/* CPU 0 samples at t=20 (the record wraps); CPU 1 mapped the file at t=10. */
	sample(f0, 100, 100, 0x555555555010, 20, 250000, NULL, 0, NULL, 0);
	sample(f0, 100, 100, 0x7fff00001000, 21, 250000, NULL, 0, NULL, 0); /* nowhere */
	mmap2(f1, 100, 0x555555555000, 0x1000, 0x1000, PROT_READ | PROT_EXEC, "/usr/bin/prog", 10);
	mmap2(f1, 100, 0x555555556000, 0x1000, 0x2000, PROT_READ, "/usr/bin/prog", 11); /* data */
	rings[0] = f0->ring;
	rings[1] = f1->ring;
	ck_assert_int_eq(lp_collect_drain(c, rings, 2, &err), LP_OK);
	ck_assert_uint_eq(p->samples, 2);
	ck_assert_uint_eq(p->nmodules, 1);
	ck_assert_str_eq(p->modules[0].path, "/usr/bin/prog");
	ck_assert_uint_eq(p->modules[0].build_id_len, 20);
	ck_assert_uint_eq(p->modules[0].build_id[0], 0xa0);
	ck_assert_uint_eq(p->modules[0].build_id[19], 0xa0 + 19);
	a = find_addr(p, 0, 0x1010); /* ip - start + pgoff */
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(a->c.samples, 1);
	ck_assert_uint_eq(a->c.value[0], 250000);
	ck_assert_ptr_nonnull(find_addr(p, LP_MODULE_NONE, 0x7fff00001000));
	ck_assert_uint_eq(p->events[0].total, 500000);
	/* The space went back to the kernel. */
	ck_assert_uint_eq(f0->meta.data_tail, f0->meta.data_head);
	ck_assert_uint_eq(f1->meta.data_tail, f1->meta.data_head);
	lp_collect_free(c);
	fake_free(f0);
	fake_free(f1);
	lp_profile_free(p);
}
END_TEST

START_TEST(collect_fork_exec_exit)
{
	lp_profile *p = lp_profile_new();
	fake_ring *f = fake_new(0);
	lp_collect *c;
	lp_error err = {0};
	rec r = {{0}, 0};

	p->nevents = 1;
	c = lp_collect_new(p, ST, 0, NULL);
	mmap2(f, 100, 0x400000, 0x1000, 0, PROT_EXEC, "/bin/parent", 1);
	/* FORK pid 200 from 100: it sees the parent's maps. */
	w32x2(&r, 200, 100);
	w32x2(&r, 200, 100);
	w64(&r, 2);
	emit(f, PERF_RECORD_FORK, 0, &r, 1, 200, 2);
	sample(f, 200, 200, 0x400100, 3, 1, NULL, 0, NULL, 0);
	/* exec in 200: old maps gone until the new MMAP2. */
	r.n = 0;
	w32x2(&r, 200, 200);
	wstr(&r, "child");
	emit(f, PERF_RECORD_COMM, PERF_RECORD_MISC_COMM_EXEC, &r, 1, 200, 4);
	sample(f, 200, 200, 0x400200, 5, 1, NULL, 0, NULL, 0);
	mmap2(f, 200, 0x400000, 0x2000, 0, PROT_EXEC, "/bin/child", 6);
	sample(f, 200, 200, 0x400300, 7, 1, NULL, 0, NULL, 0);
	ck_assert_int_eq(lp_collect_drain(c, &f->ring, 1, &err), LP_OK);
	ck_assert_uint_eq(p->nmodules, 2);
	ck_assert_str_eq(p->modules[0].path, "/bin/parent");
	ck_assert_str_eq(p->modules[1].path, "/bin/child");
	ck_assert_ptr_nonnull(find_addr(p, 0, 0x100));
	ck_assert_ptr_nonnull(find_addr(p, LP_MODULE_NONE, 0x400200));
	ck_assert_ptr_nonnull(find_addr(p, 1, 0x300));
	ck_assert_uint_eq(lp_collect_forks(c), 1);
	lp_collect_free(c);
	fake_free(f);
	lp_profile_free(p);
}
END_TEST

START_TEST(collect_callchain)
{
	lp_profile *p = lp_profile_new();
	fake_ring *f = fake_new(0);
	lp_collect *c;
	lp_error err = {0};
	uint64_t chain[] = {PERF_CONTEXT_USER, 0x401010, 0x401500, 0x7f0000000123};

	p->nevents = 1;
	p->callchain = 1;
	c = lp_collect_new(p, ST | PERF_SAMPLE_CALLCHAIN, 0, NULL);
	mmap2(f, 7, 0x401000, 0x1000, 0x1000, PROT_EXEC, "/bin/x", 1);
	sample(f, 7, 7, 0x401010, 2, 100, NULL, 0, chain, 4);
	sample(f, 7, 7, 0x401010, 3, 100, NULL, 0, chain, 4);
	ck_assert_int_eq(lp_collect_drain(c, &f->ring, 1, &err), LP_OK);
	ck_assert_uint_eq(p->nstacks, 1); /* the same stack twice: one entry */
	ck_assert_uint_eq(p->stacks[0].c.samples, 2);
	ck_assert_uint_eq(p->stacks[0].c.value[0], 200);
	ck_assert_uint_eq(p->stacks[0].depth, 3); /* ip once, marker skipped */
	ck_assert_uint_eq(p->frames[0].module, 0);
	ck_assert_uint_eq(p->frames[0].offset, 0x1010);
	ck_assert_uint_eq(p->frames[1].offset, 0x1500);
	ck_assert_uint_eq(p->frames[2].module, LP_MODULE_NONE);
	ck_assert_uint_eq(p->frames[2].offset, 0x7f0000000123);
	lp_collect_free(c);
	fake_free(f);
	lp_profile_free(p);
}
END_TEST

#if defined(__x86_64__)
/* --call-graph=dwarf: a fake unwinder that keeps what the collector gave it. */
typedef struct fake_unwinder {
	lp_unwind_sample got;
	unsigned char stack[64];
	lp_mapping map;
	int map_found;
	char map_path[64];
	int calls, answer, forgot[4], nforgot;
} fake_unwinder;

static int fake_unwind(void *ctx, const lp_unwind_sample *s, uint64_t *ips, int max_ips)
{
	fake_unwinder *u = ctx;

	u->calls++;
	u->got = *s;
	memcpy(u->stack, s->stack, s->stack_size < 64 ? s->stack_size : 64);
	u->map_found = s->find_mapping(s->find_ctx, s->pid, s->regs[LP_REG_RIP], &u->map) == 0;
	if (u->map_found)
		snprintf(u->map_path, sizeof(u->map_path), "%s", u->map.path);
	ck_assert_int_eq(max_ips, LP_MAX_STACK);
	if (!u->answer)
		return 0;
	ips[0] = s->regs[LP_REG_RIP];
	ips[1] = 0x401500;
	ips[2] = 0x7f0000000123;
	return 3;
}

static void fake_forget(void *ctx, int pid)
{
	fake_unwinder *u = ctx;

	if (u->nforgot < 4)
		u->forgot[u->nforgot++] = pid;
}

/* A sample with PERF_SAMPLE_REGS_USER (every register of the mask, value 0x1000 + its perf index) and a stack. */
static void dwarf_sample(fake_ring *f, uint32_t pid, uint64_t ip, uint64_t time, uint64_t mask,
			 uint64_t dyn_size)
{
	rec r = {{0}, 0};

	w64(&r, ip);
	w32x2(&r, pid, pid);
	w64(&r, time);
	w64(&r, 100);
	w64(&r, PERF_SAMPLE_REGS_ABI_64);
	for (int bit = 0; bit < 64; bit++)
		if (mask & (1ULL << bit))
			w64(&r, bit == PERF_REG_X86_IP ? ip : 0x1000 + (uint64_t)bit);
	w64(&r, 64); /* size */
	for (int i = 0; i < 8; i++)
		w64(&r, 0x0101010101010101ULL * (uint64_t)(i + 1));
	w64(&r, dyn_size);
	emit(f, PERF_RECORD_SAMPLE, PERF_RECORD_MISC_USER, &r, 0, pid, time);
}

START_TEST(collect_dwarf_unwinder)
{
	lp_profile *p = lp_profile_new();
	fake_ring *f = fake_new(0);
	fake_unwinder fu;
	lp_unwinder u = {fake_unwind, fake_forget, &fu};
	uint64_t mask = lp_collect_regs_mask();
	lp_collect *c;
	lp_error err = {0};
	rec r = {{0}, 0};

	memset(&fu, 0, sizeof(fu));
	fu.answer = 1;
	ck_assert_uint_ne(mask, 0);
	ck_assert_uint_ne(mask & (1ULL << PERF_REG_X86_SP), 0);
	ck_assert_uint_ne(mask & (1ULL << PERF_REG_X86_BP), 0);
	p->nevents = 1;
	p->callchain = LP_CALLCHAIN_DWARF;
	c = lp_collect_new(p, ST | PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER, 0, NULL);
	ck_assert_int_eq(lp_collect_set_unwinder(c, &u, mask), 0);
	mmap2(f, 7, 0x401000, 0x1000, 0x1000, PROT_EXEC, "/bin/x", 1);
	dwarf_sample(f, 7, 0x401010, 2, mask, 48);
	dwarf_sample(f, 7, 0x401010, 3, mask, 48);
	ck_assert_int_eq(lp_collect_drain(c, &f->ring, 1, &err), LP_OK);
	/* The registers in psABI order, the stack's valid part, the process's mappings. */
	ck_assert_int_eq(fu.calls, 2);
	ck_assert_int_eq(fu.got.pid, 7);
	ck_assert_int_eq(fu.got.tid, 7);
	ck_assert_int_eq(fu.got.have_regs, 1);
	ck_assert_uint_eq(fu.got.regs[LP_REG_RIP], 0x401010);
	ck_assert_uint_eq(fu.got.regs[LP_REG_RSP], 0x1000 + PERF_REG_X86_SP);
	ck_assert_uint_eq(fu.got.regs[LP_REG_RBP], 0x1000 + PERF_REG_X86_BP);
	ck_assert_uint_eq(fu.got.regs[LP_REG_RDX], 0x1000 + PERF_REG_X86_DX);
	ck_assert_uint_eq(fu.got.regs[LP_REG_RBX], 0x1000 + PERF_REG_X86_BX);
	ck_assert_uint_eq(fu.got.regs[LP_REG_R15], 0x1000 + PERF_REG_X86_R15);
	ck_assert_uint_eq(fu.got.stack_size, 48); /* dyn_size: what the kernel could copy */
	ck_assert_uint_eq(fu.stack[0], 1);
	ck_assert_uint_eq(fu.stack[47], 6);
	ck_assert_int_eq(fu.map_found, 1);
	ck_assert_str_eq(fu.map_path, "/bin/x");
	ck_assert_uint_eq(fu.map.start, 0x401000);
	ck_assert_uint_eq(fu.map.end, 0x402000);
	ck_assert_uint_eq(fu.map.pgoff, 0x1000);
	ck_assert_uint_eq(fu.map.build_id_len, 20);
	/* The unwound ips become a stack like a frame-pointer callchain's: one entry, twice. */
	ck_assert_uint_eq(p->samples, 2);
	ck_assert_uint_eq(p->nstacks, 1);
	ck_assert_uint_eq(p->stacks[0].c.samples, 2);
	ck_assert_uint_eq(p->stacks[0].c.value[0], 200);
	ck_assert_uint_eq(p->stacks[0].depth, 3);
	ck_assert_uint_eq(p->frames[0].module, 0);
	ck_assert_uint_eq(p->frames[0].offset, 0x1010);
	ck_assert_uint_eq(p->frames[1].offset, 0x1500);
	ck_assert_uint_eq(p->frames[2].module, LP_MODULE_NONE);
	ck_assert_uint_eq(p->frames[2].offset, 0x7f0000000123);
	/* Unwinding fails: the sampled ip alone is still a stack. */
	fu.answer = 0;
	dwarf_sample(f, 7, 0x401020, 4, mask, 0);
	/* exec: the address space is gone; then the process exits. */
	w32x2(&r, 7, 7);
	wstr(&r, "x");
	emit(f, PERF_RECORD_COMM, PERF_RECORD_MISC_COMM_EXEC, &r, 1, 7, 5);
	r.n = 0;
	w32x2(&r, 7, 1);
	w32x2(&r, 7, 1);
	w64(&r, 6);
	emit(f, PERF_RECORD_EXIT, 0, &r, 1, 7, 6);
	ck_assert_int_eq(lp_collect_drain(c, &f->ring, 1, &err), LP_OK);
	ck_assert_uint_eq(fu.got.stack_size, 0);
	ck_assert_uint_eq(p->nstacks, 2);
	ck_assert_uint_eq(p->stacks[1].depth, 1);
	ck_assert_uint_eq(p->frames[p->stacks[1].first].offset, 0x1020);
	ck_assert_int_eq(fu.nforgot, 2);
	ck_assert_int_eq(fu.forgot[0], 7);
	ck_assert_int_eq(fu.forgot[1], 7);
	lp_collect_free(c);
	fake_free(f);
	lp_profile_free(p);
}
END_TEST
#endif

START_TEST(collect_group_deltas)
{
	lp_profile *p = lp_profile_new();
	fake_ring *f = fake_new(0);
	lp_collect *c;
	lp_error err = {0};
	uint64_t r1[] = {5, 10}, r2[] = {9, 25}, r3[] = {2, 4};
	const lp_addr *a;

	p->nevents = 2;
	c = lp_collect_new(p, ST | PERF_SAMPLE_READ, PERF_FORMAT_GROUP | PERF_FORMAT_ID, NULL);
	mmap2(f, 1, 0x1000, 0x1000, 0, PROT_EXEC, "/bin/g", 1);
	sample(f, 1, 1, 0x1100, 2, 50, r1, 2, NULL, 0);
	sample(f, 1, 1, 0x1200, 3, 50, r2, 2, NULL, 0);
	sample(f, 1, 2, 0x1200, 4, 50, r3, 2, NULL, 0); /* another thread: its own counts */
	ck_assert_int_eq(lp_collect_drain(c, &f->ring, 1, &err), LP_OK);
	a = find_addr(p, 0, 0x100);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(a->c.value[0], 50);
	ck_assert_uint_eq(a->c.value[1], 10);
	a = find_addr(p, 0, 0x200);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(a->c.value[1], 15 + 4);
	ck_assert_uint_eq(p->events[1].total, 29);
	lp_collect_free(c);
	fake_free(f);
	lp_profile_free(p);
}
END_TEST

START_TEST(collect_lost_throttle)
{
	lp_profile *p = lp_profile_new();
	fake_ring *f = fake_new(0);
	lp_collect *c;
	lp_error err = {0};
	rec r = {{0}, 0};

	c = lp_collect_new(p, ST, 0, NULL);
	w64(&r, 1);
	w64(&r, 17);
	emit(f, PERF_RECORD_LOST, 0, &r, 1, 1, 1);
	r.n = 0;
	w64(&r, 2);
	w64(&r, 1);
	w64(&r, 1);
	emit(f, PERF_RECORD_THROTTLE, 0, &r, 1, 1, 2);
	ck_assert_int_eq(lp_collect_drain(c, &f->ring, 1, &err), LP_OK);
	ck_assert_uint_eq(p->lost, 17);
	ck_assert_uint_eq(p->throttled, 1);
	lp_collect_free(c);
	fake_free(f);
	lp_profile_free(p);
}
END_TEST

static Suite *ring_suite(void)
{
	Suite *s = suite_create("ring");
	TCase *t = tcase_create("ring");

	tcase_add_test(t, ring_empty);
	tcase_add_test(t, ring_wrapped_record);
	tcase_add_test(t, ring_fills_exactly);
	tcase_add_test(t, ring_corrupt_size_stops);
	suite_add_tcase(s, t);
	t = tcase_create("collect");
	tcase_add_test(t, collect_time_order_across_cpus);
	tcase_add_test(t, collect_fork_exec_exit);
	tcase_add_test(t, collect_callchain);
#if defined(__x86_64__)
	tcase_add_test(t, collect_dwarf_unwinder);
#endif
	tcase_add_test(t, collect_group_deltas);
	tcase_add_test(t, collect_lost_throttle);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return lp_check_run(ring_suite());
}
