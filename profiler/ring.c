/*
 * Reading a perf_event ring buffer.
 *
 * The kernel publishes records by advancing data_head; loading it with
 * acquire semantics makes the record bytes before it visible to us. We give
 * space back by storing data_tail with release semantics, so our reads of a
 * record happen before the kernel may overwrite it. Records are 8-byte
 * aligned and never larger than 64 KiB (the header's size is a u16), so a
 * record that runs past the end of the data area is copied into a 64 KiB
 * scratch buffer; a header never straddles the end.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ring.h"

#define SCRATCH_SIZE 65536

int lp_ring_init(lp_ring *r, struct perf_event_mmap_page *meta, void *data, uint64_t size)
{
	memset(r, 0, sizeof(*r));
	if (size < sizeof(struct perf_event_header) || (size & (size - 1)))
		return -1;
	r->scratch = malloc(SCRATCH_SIZE);
	if (!r->scratch)
		return -1;
	r->meta = meta;
	r->data = data;
	r->size = size;
	r->pos = r->head = meta->data_tail;
	return 0;
}

int lp_ring_map(lp_ring *r, int fd, size_t pages, lp_error *err)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t len = (pages + 1) * page;
	void *base;

	memset(r, 0, sizeof(*r));
	if (pages == 0 || (pages & (pages - 1)))
		return lp_error_set(err, LP_EUSAGE,
			"lineprof: the sample buffer needs a power of two pages, not %zu", pages);
	base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED)
		return lp_error_set(err, LP_EFAIL,
			"lineprof: cannot map a %zu KiB sample buffer: %s; use fewer pages or raise "
			"/proc/sys/kernel/perf_event_mlock_kb", pages * page / 1024, strerror(errno));
	if (lp_ring_init(r, base, (unsigned char *)base + page, (uint64_t)pages * page)) {
		munmap(base, len);
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	}
	r->map_len = len;
	return LP_OK;
}

void lp_ring_free(lp_ring *r)
{
	if (r->map_len)
		munmap(r->meta, r->map_len);
	free(r->scratch);
	memset(r, 0, sizeof(*r));
}

uint64_t lp_ring_begin(lp_ring *r)
{
	if (!r->meta)
		return 0; /* not mapped (one of a set that is not in use): empty */
	/* Only we write data_tail: a plain read is enough. */
	r->pos = r->meta->data_tail;
	r->head = __atomic_load_n(&r->meta->data_head, __ATOMIC_ACQUIRE);
	return r->head - r->pos;
}

const struct perf_event_header *lp_ring_next(lp_ring *r)
{
	uint64_t off = r->pos & (r->size - 1), avail = r->head - r->pos, first;
	const struct perf_event_header *h;

	if (avail < sizeof(*h))
		return NULL;
	h = (const struct perf_event_header *)(r->data + off);
	if (h->size < sizeof(*h) || h->size > avail) {
		/* Cannot happen with a sane kernel; skip the pass rather than loop. */
		r->pos = r->head;
		return NULL;
	}
	r->pos += h->size;
	if (off + h->size <= r->size)
		return h;
	first = r->size - off;
	memcpy(r->scratch, r->data + off, first);
	memcpy(r->scratch + first, r->data, h->size - first);
	return (const struct perf_event_header *)r->scratch;
}

void lp_ring_end(lp_ring *r)
{
	if (!r->meta)
		return;
	__atomic_store_n(&r->meta->data_tail, r->pos, __ATOMIC_RELEASE);
}
