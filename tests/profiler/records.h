/*
 * perf records written the way the kernel writes them, into rings in
 * memory, for the collector's tests: samples with the fields record.c asks
 * for (PERF_SAMPLE_IDENTIFIER first when set, user registers, a callchain),
 * PERF_RECORD_SWITCH, and the sample_id_all trailer {pid, tid; time;
 * identifier} every record shares.
 */
#ifndef LP_TEST_RECORDS_H
#define LP_TEST_RECORDS_H

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#if defined(__x86_64__)
#include <asm/perf_regs.h>
#endif

#include "collect.h"
#include "ring.h"

#define REC_DATA 65536

typedef struct rec_ring {
	struct perf_event_mmap_page meta;
	unsigned char data[REC_DATA];
	lp_ring ring;
} rec_ring;

static inline rec_ring *rec_ring_new(void)
{
	rec_ring *f = calloc(1, sizeof(*f));

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(lp_ring_init(&f->ring, &f->meta, f->data, REC_DATA), 0);
	return f;
}

static inline void rec_ring_free(rec_ring *f)
{
	lp_ring_free(&f->ring);
	free(f);
}

static inline void rec_put(rec_ring *f, const void *rec, size_t len)
{
	uint64_t head = f->meta.data_head;

	ck_assert_uint_eq(len % 8, 0);
	ck_assert_uint_le(head + len - f->meta.data_tail, REC_DATA);
	for (size_t i = 0; i < len; i++)
		f->data[(head + i) & (REC_DATA - 1)] = ((const unsigned char *)rec)[i];
	__atomic_store_n(&f->meta.data_head, head + len, __ATOMIC_RELEASE);
}

typedef struct rec_body {
	uint64_t w[128];
	int n;
} rec_body;

static inline void rec_w64(rec_body *r, uint64_t v)
{
	ck_assert_int_lt(r->n, 128);
	r->w[r->n++] = v;
}

static inline void rec_w32x2(rec_body *r, uint32_t a, uint32_t b)
{
	rec_w64(r, (uint64_t)a | (uint64_t)b << 32);
}

static inline void rec_wstr(rec_body *r, const char *s)
{
	size_t len = (strlen(s) + 8) & ~(size_t)7;

	memset(&r->w[r->n], 0, len);
	memcpy(&r->w[r->n], s, strlen(s));
	r->n += (int)(len / 8);
}

/* header + body, then the sample_id_all trailer {pid, tid; time; [identifier]}. */
static inline void rec_emit(rec_ring *f, uint32_t type, uint16_t misc, rec_body *body,
			    uint32_t pid, uint32_t tid, uint64_t time, int with_id, uint64_t id)
{
	unsigned char buf[8 + sizeof(body->w) + 24];
	struct perf_event_header h;
	size_t len;

	rec_w32x2(body, pid, tid);
	rec_w64(body, time);
	if (with_id)
		rec_w64(body, id);
	len = 8 + (size_t)body->n * 8;
	h.type = type;
	h.misc = misc;
	h.size = (uint16_t)len;
	memcpy(buf, &h, 8);
	memcpy(buf + 8, body->w, (size_t)body->n * 8);
	rec_put(f, buf, len);
}

static inline void rec_mmap2(rec_ring *f, uint32_t pid, uint64_t start, uint64_t len,
			     uint64_t pgoff, const char *path, uint64_t time, int with_id)
{
	rec_body r = { { 0 }, 0 };

	rec_w32x2(&r, pid, pid);
	rec_w64(&r, start);
	rec_w64(&r, len);
	rec_w64(&r, pgoff);
	rec_w64(&r, 0);
	rec_w64(&r, 0);
	rec_w64(&r, 0); /* maj, min, ino, ino_generation */
	rec_w32x2(&r, PROT_READ | PROT_EXEC, MAP_PRIVATE);
	rec_wstr(&r, path);
	rec_emit(f, PERF_RECORD_MMAP2, 0, &r, pid, pid, time, with_id, 0);
}

/* PERF_RECORD_SWITCH of tid: out (preempt: still runnable) or in. */
static inline void rec_switch(rec_ring *f, uint32_t pid, uint32_t tid, uint64_t time, int out,
			      int preempt, uint64_t id)
{
	rec_body r = { { 0 }, 0 };
	uint16_t misc = out ? PERF_RECORD_MISC_SWITCH_OUT : 0;

	if (preempt)
		misc |= PERF_RECORD_MISC_SWITCH_OUT_PREEMPT;
	rec_emit(f, PERF_RECORD_SWITCH, misc, &r, pid, tid, time, 1, id);
}

static inline void rec_fork(rec_ring *f, uint32_t pid, uint32_t tid, uint64_t time)
{
	rec_body r = { { 0 }, 0 };

	rec_w32x2(&r, pid, pid);
	rec_w32x2(&r, tid, pid);
	rec_w64(&r, time);
	rec_emit(f, PERF_RECORD_FORK, 0, &r, pid, tid, time, 1, 0);
}

static inline void rec_exit(rec_ring *f, uint32_t pid, uint32_t tid, uint64_t time)
{
	rec_body r = { { 0 }, 0 };

	rec_w32x2(&r, pid, 1);
	rec_w32x2(&r, tid, 1);
	rec_w64(&r, time);
	rec_emit(f, PERF_RECORD_EXIT, 0, &r, pid, tid, time, 1, 0);
}

/*
 * A sample: [identifier] ip {pid, tid} time [period] [callchain] regs_user
 * (abi 64 and IP, SP, BP in mask order: BP, SP, IP; abi NONE when uip is 0).
 * kernel: header.misc says kernel mode, and ip is a kernel address.
 */
typedef struct rec_sample {
	uint64_t id, ip, time, period, uip;
	uint32_t pid, tid;
	int kernel, with_id, with_period;
	const uint64_t *chain;
	int nchain;
} rec_sample;

static inline void rec_sample_emit(rec_ring *f, const rec_sample *s)
{
	unsigned char buf[8 + 128 * 8];
	struct perf_event_header h;
	rec_body r = { { 0 }, 0 };
	size_t len;

	if (s->with_id)
		rec_w64(&r, s->id);
	rec_w64(&r, s->ip);
	rec_w32x2(&r, s->pid, s->tid);
	rec_w64(&r, s->time);
	if (s->with_period)
		rec_w64(&r, s->period);
	if (s->chain) {
		rec_w64(&r, (uint64_t)s->nchain);
		for (int i = 0; i < s->nchain; i++)
			rec_w64(&r, s->chain[i]);
	}
	if (!s->uip) {
		rec_w64(&r, PERF_SAMPLE_REGS_ABI_NONE);
	} else {
		rec_w64(&r, PERF_SAMPLE_REGS_ABI_64);
		rec_w64(&r, 0x7ffd0100); /* BP */
		rec_w64(&r, 0x7ffd0000); /* SP */
		rec_w64(&r, s->uip);     /* IP */
	}
	len = 8 + (size_t)r.n * 8;
	h.type = PERF_RECORD_SAMPLE;
	h.misc = s->kernel ? PERF_RECORD_MISC_KERNEL : PERF_RECORD_MISC_USER;
	h.size = (uint16_t)len;
	memcpy(buf, &h, 8);
	memcpy(buf + 8, r.w, (size_t)r.n * 8);
	rec_put(f, buf, len);
}

#endif
