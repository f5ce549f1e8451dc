/*
 * The kernel's per-CPU sample ring: one metadata page, then 2^n data pages.
 * The kernel writes at data_head, we consume up to data_tail. Internal.
 */
#ifndef LP_RING_H
#define LP_RING_H

#include <stddef.h>
#include <stdint.h>
#include <linux/perf_event.h>

#include "lineprof/error.h"

#define LP_RING_DEFAULT_PAGES 128 /* 512 KiB per CPU with 4 KiB pages */

typedef struct lp_ring {
	struct perf_event_mmap_page *meta;
	unsigned char *data;
	uint64_t size;          /* data bytes, a power of two */
	uint64_t head;          /* data_head as loaded by lp_ring_begin */
	uint64_t pos;           /* next record to hand out */
	size_t map_len;         /* 0: not ours to munmap (a synthetic ring) */
	unsigned char *scratch; /* a record that wraps around the end, made whole */
} lp_ring;

/* Maps 1 + pages pages of a sampling fd (pages: a power of two). */
int lp_ring_map(lp_ring *r, int fd, size_t pages, lp_error *err);

/* A ring over memory the caller owns (tests): size bytes of data, a power of two. */
int lp_ring_init(lp_ring *r, struct perf_event_mmap_page *meta, void *data, uint64_t size);

void lp_ring_free(lp_ring *r);

/*
 * Reading: lp_ring_begin snapshots data_head and returns the bytes waiting;
 * lp_ring_next hands out the records one by one (NULL at the end). Records
 * stay valid until lp_ring_end gives their space back to the kernel; at most
 * one per pass wraps, and it lives in the scratch buffer.
 */
uint64_t lp_ring_begin(lp_ring *r);
const struct perf_event_header *lp_ring_next(lp_ring *r);
void lp_ring_end(lp_ring *r);

#endif
