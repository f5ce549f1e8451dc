/*
 * perf records to profile entries.
 *
 * Group reads: with inherit and PERF_SAMPLE_READ (Linux >= 6.12, and only
 * with PERF_SAMPLE_TID) a sample carries the counts of the event copy of
 * the sampled thread on this CPU, cumulative since that copy was created. A
 * sample's share is the difference to the previous sample of the same
 * (thread, CPU), so the last values are kept per (tid, cpu) and forgotten
 * when the thread exits.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#if defined(__x86_64__)
#include <asm/perf_regs.h>
#endif

#include "collect.h"
#include "maps.h"
#include "threads.h"

typedef struct lp_item {
	uint64_t time;
	uint64_t seq; /* arrival order: breaks ties, keeps one CPU's records in order */
	int cpu;
	const struct perf_event_header *h;
} lp_item;

typedef struct lp_prev {
	uint32_t tid, cpu;
	uint64_t value[LP_MAX_EVENTS];
} lp_prev;

struct lp_collect {
	lp_profile *prof;
	lp_maps maps;
	lp_threads threads;
	uint64_t sample_type, read_format;
	unsigned time_back; /* a non-sample record's time: this many bytes before its end */
	lp_item *items;
	size_t nitems, capitems;
	lp_prev *prev; /* sorted by (tid, cpu) */
	size_t nprev, capprev;
	lp_loc *frames; /* LP_MAX_STACK, zeroed: the model compares frames bytewise */
	uint64_t seq;
	uint64_t forks;
	uint64_t new_processes;
	const lp_unwinder *unwinder; /* --call-graph=dwarf */
	uint64_t regs_mask;
	uint64_t *ips;               /* LP_MAX_STACK, the unwinder's output */
};

lp_collect *lp_collect_new(lp_profile *prof, uint64_t sample_type, uint64_t read_format,
			   const lp_identity *root)
{
	lp_collect *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->frames = calloc(LP_MAX_STACK, sizeof(*c->frames));
	if (!c->frames) {
		free(c);
		return NULL;
	}
	c->prof = prof;
	c->sample_type = sample_type;
	c->read_format = read_format;
	/* sample_id_all appends TID, TIME, ID, STREAM_ID, CPU, IDENTIFIER, in order. */
	c->time_back = 8;
	if (sample_type & PERF_SAMPLE_ID)
		c->time_back += 8;
	if (sample_type & PERF_SAMPLE_STREAM_ID)
		c->time_back += 8;
	if (sample_type & PERF_SAMPLE_CPU)
		c->time_back += 8;
	if (sample_type & PERF_SAMPLE_IDENTIFIER)
		c->time_back += 8;
	lp_maps_init(&c->maps, prof);
	lp_threads_init(&c->threads, prof, root);
	return c;
}

void lp_collect_free(lp_collect *c)
{
	if (!c)
		return;
	lp_maps_free(&c->maps);
	lp_threads_free(&c->threads);
	free(c->ips);
	free(c->items);
	free(c->prev);
	free(c->frames);
	free(c);
}

/*
 * The user registers perf copies, in the bit order of its mask, and where
 * each goes in the contract's psABI numbering. IP, SP and BP would be the
 * minimum; the others are cheap and let CFI restore callee-saved registers
 * that a frame's CFA is computed from.
 */
#if defined(__x86_64__)
static const struct { int perf, reg; } lp_regmap[] = {
	{ PERF_REG_X86_AX, LP_REG_RAX }, { PERF_REG_X86_BX, LP_REG_RBX },
	{ PERF_REG_X86_CX, LP_REG_RCX }, { PERF_REG_X86_DX, LP_REG_RDX },
	{ PERF_REG_X86_SI, LP_REG_RSI }, { PERF_REG_X86_DI, LP_REG_RDI },
	{ PERF_REG_X86_BP, LP_REG_RBP }, { PERF_REG_X86_SP, LP_REG_RSP },
	{ PERF_REG_X86_IP, LP_REG_RIP }, { PERF_REG_X86_R8, LP_REG_R8 },
	{ PERF_REG_X86_R9, LP_REG_R9 }, { PERF_REG_X86_R10, LP_REG_R10 },
	{ PERF_REG_X86_R11, LP_REG_R11 }, { PERF_REG_X86_R12, LP_REG_R12 },
	{ PERF_REG_X86_R13, LP_REG_R13 }, { PERF_REG_X86_R14, LP_REG_R14 },
	{ PERF_REG_X86_R15, LP_REG_R15 },
};
#define LP_NREGMAP (sizeof(lp_regmap) / sizeof(lp_regmap[0]))
#define LP_REGS_ABI_OK PERF_SAMPLE_REGS_ABI_64
#else
static const struct { int perf, reg; } lp_regmap[1] = { { -1, -1 } };
#define LP_NREGMAP 0
#define LP_REGS_ABI_OK (-1)
#endif

uint64_t lp_collect_regs_mask(void)
{
	uint64_t mask = 0;

	for (size_t i = 0; i < LP_NREGMAP; i++)
		mask |= 1ULL << lp_regmap[i].perf;
	return mask;
}

int lp_collect_set_unwinder(lp_collect *c, const lp_unwinder *u, uint64_t regs_mask)
{
	if (u && !c->ips && !(c->ips = calloc(LP_MAX_STACK, sizeof(*c->ips))))
		return -1;
	c->unwinder = u;
	c->regs_mask = regs_mask;
	return 0;
}

/* A bounded reader over one record's body. */
typedef struct lp_cursor {
	const unsigned char *p, *end;
	int bad;
} lp_cursor;

static uint64_t u64(lp_cursor *k)
{
	uint64_t v = 0;

	if (k->end - k->p < 8) {
		k->bad = 1;
		return 0;
	}
	memcpy(&v, k->p, 8);
	k->p += 8;
	return v;
}

static uint32_t u32(lp_cursor *k)
{
	uint32_t v = 0;

	if (k->end - k->p < 4) {
		k->bad = 1;
		return 0;
	}
	memcpy(&v, k->p, 4);
	k->p += 4;
	return v;
}

static lp_cursor cursor(const struct perf_event_header *h)
{
	lp_cursor k = {(const unsigned char *)(h + 1), (const unsigned char *)h + h->size, 0};

	return k;
}

static uint64_t record_time(const lp_collect *c, const struct perf_event_header *h)
{
	lp_cursor k = cursor(h);
	uint64_t t;

	if (!(c->sample_type & PERF_SAMPLE_TIME))
		return 0;
	if (h->type == PERF_RECORD_SAMPLE) {
		if (c->sample_type & PERF_SAMPLE_IDENTIFIER)
			u64(&k);
		if (c->sample_type & PERF_SAMPLE_IP)
			u64(&k);
		if (c->sample_type & PERF_SAMPLE_TID)
			u64(&k);
		return u64(&k);
	}
	if (h->size < sizeof(*h) + c->time_back)
		return 0;
	memcpy(&t, (const unsigned char *)h + h->size - c->time_back, 8);
	return t;
}

static lp_prev *prev_get(lp_collect *c, uint32_t tid, uint32_t cpu)
{
	size_t lo = 0, hi = c->nprev;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		lp_prev *e = &c->prev[mid];

		if (e->tid < tid || (e->tid == tid && e->cpu < cpu))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < c->nprev && c->prev[lo].tid == tid && c->prev[lo].cpu == cpu)
		return &c->prev[lo];
	if (c->nprev == c->capprev) {
		size_t cap = c->capprev ? c->capprev * 2 : 64;
		lp_prev *n = realloc(c->prev, cap * sizeof(*n));

		if (!n)
			return NULL;
		c->prev = n;
		c->capprev = cap;
	}
	memmove(&c->prev[lo + 1], &c->prev[lo], (c->nprev - lo) * sizeof(*c->prev));
	c->nprev++;
	memset(&c->prev[lo], 0, sizeof(c->prev[lo]));
	c->prev[lo].tid = tid;
	c->prev[lo].cpu = cpu;
	return &c->prev[lo];
}

static void prev_forget(lp_collect *c, uint32_t tid)
{
	size_t i = 0, j;

	if (!c->nprev)
		return;
	while (i < c->nprev && c->prev[i].tid < tid)
		i++;
	for (j = i; j < c->nprev && c->prev[j].tid == tid; j++)
		;
	memmove(&c->prev[i], &c->prev[j], (c->nprev - j) * sizeof(*c->prev));
	c->nprev -= j - i;
}

static int oom(lp_error *err)
{
	return lp_error_set(err, LP_EFAIL, "lineprof: out of memory while recording");
}

/* The group read: the members' values as deltas since this thread's last sample here. */
static int read_values(lp_collect *c, lp_cursor *k, int cpu, uint32_t tid, uint64_t *vals)
{
	uint64_t nr, v;
	lp_prev *pv;

	if (!(c->read_format & PERF_FORMAT_GROUP)) {
		/* A lone leader: its own count adds nothing to the period. */
		u64(k);
		if (c->read_format & PERF_FORMAT_TOTAL_TIME_ENABLED)
			u64(k);
		if (c->read_format & PERF_FORMAT_TOTAL_TIME_RUNNING)
			u64(k);
		if (c->read_format & PERF_FORMAT_ID)
			u64(k);
		if (c->read_format & PERF_FORMAT_LOST)
			u64(k);
		return 0;
	}
	nr = u64(k);
	if (c->read_format & PERF_FORMAT_TOTAL_TIME_ENABLED)
		u64(k);
	if (c->read_format & PERF_FORMAT_TOTAL_TIME_RUNNING)
		u64(k);
	pv = prev_get(c, tid, (uint32_t)cpu);
	if (!pv)
		return -1;
	for (uint64_t i = 0; i < nr && !k->bad; i++) {
		v = u64(k);
		if (c->read_format & PERF_FORMAT_ID)
			u64(k);
		if (c->read_format & PERF_FORMAT_LOST)
			u64(k);
		/* Member i is event i; the leader's share is the period, not its count. */
		if (i == 0 || i >= LP_MAX_EVENTS || (int)i >= c->prof->nevents)
			continue;
		vals[i] = v >= pv->value[i] ? v - pv->value[i] : v;
		pv->value[i] = v;
	}
	return 0;
}

static int find_mapping(void *ctx, int pid, uint64_t addr, lp_mapping *out)
{
	return lp_maps_find(ctx, pid, addr, out);
}

/* PERF_SAMPLE_REGS_USER: {abi; regs[popcount(mask)] unless abi is NONE}, in mask bit order. */
static void user_regs(lp_collect *c, lp_cursor *k, lp_unwind_sample *us)
{
	uint64_t abi = u64(k), v[64];
	int n = 0;

	if (abi == PERF_SAMPLE_REGS_ABI_NONE)
		return;
	for (int bit = 0; bit < 64; bit++)
		if (c->regs_mask & (1ULL << bit))
			v[bit] = u64(k), n++;
	if (k->bad || abi != (uint64_t)LP_REGS_ABI_OK || n == 0)
		return; /* a 32-bit task, or no registers: nothing to unwind from */
	for (size_t i = 0; i < LP_NREGMAP; i++)
		us->regs[lp_regmap[i].reg] = (c->regs_mask & (1ULL << lp_regmap[i].perf)) ?
					     v[lp_regmap[i].perf] : 0;
	us->have_regs = 1;
}

/* PERF_SAMPLE_STACK_USER: {size; data[size]; dyn_size unless size is 0}. */
static void user_stack(lp_cursor *k, lp_unwind_sample *us)
{
	uint64_t size = u64(k), dyn;

	if (k->bad || size == 0)
		return;
	if ((uint64_t)(k->end - k->p) < size + 8) {
		k->bad = 1;
		return;
	}
	us->stack = k->p;
	k->p += size;
	dyn = u64(k);
	us->stack_size = dyn < size ? (size_t)dyn : (size_t)size;
}

/*
 * A stack from the unwinder's ips. Frame 0 is the sampled ip, already in
 * c->frames[0]: the unwinder starts from the registers, whose ip is the
 * same for a user-mode sample.
 */
static int unwound_stack(lp_collect *c, lp_unwind_sample *us, uint32_t *depth)
{
	int n = 0;

	us->find_mapping = find_mapping;
	us->find_ctx = &c->maps;
	if (us->have_regs)
		n = c->unwinder->unwind(c->unwinder->ctx, us, c->ips, LP_MAX_STACK);
	for (int i = 1; i < n && i < LP_MAX_STACK; i++) {
		lp_loc f;

		if (lp_maps_loc(&c->maps, us->pid, c->ips[i], &f))
			return -1;
		c->frames[*depth].module = f.module;
		c->frames[*depth].offset = f.offset;
		(*depth)++;
	}
	return 0;
}

static int sample(lp_collect *c, int cpu, const struct perf_event_header *h, lp_error *err)
{
	uint64_t st = c->sample_type, ip = 0, period = 1, nr = 0;
	lp_counts counts = { .samples = 1 }, scounts = { .samples = 1 };
	uint64_t *vals = counts.value;
	uint32_t pid = 0, tid = 0, depth = 1, ctx;
	const unsigned char *chain = NULL;
	lp_cursor k = cursor(h);
	lp_loc loc;
	int first_user = 1;
	lp_unwind_sample us;

	if (st & PERF_SAMPLE_IDENTIFIER)
		u64(&k);
	if (st & PERF_SAMPLE_IP)
		ip = u64(&k);
	if (st & PERF_SAMPLE_TID) {
		pid = u32(&k);
		tid = u32(&k);
	}
	if (st & PERF_SAMPLE_TIME)
		u64(&k);
	if (st & PERF_SAMPLE_ADDR)
		u64(&k);
	if (st & PERF_SAMPLE_ID)
		u64(&k);
	if (st & PERF_SAMPLE_STREAM_ID)
		u64(&k);
	if (st & PERF_SAMPLE_CPU)
		u64(&k);
	if (st & PERF_SAMPLE_PERIOD)
		period = u64(&k);
	if ((st & PERF_SAMPLE_READ) && read_values(c, &k, cpu, tid, vals))
		return oom(err);
	if (st & PERF_SAMPLE_CALLCHAIN) {
		nr = u64(&k);
		if (!k.bad && (uint64_t)(k.end - k.p) / 8 >= nr)
			chain = k.p;
		k.p = chain ? k.p + nr * 8 : k.end;
	}
	/* (PERF_SAMPLE_RAW and _BRANCH_STACK would come here: never asked for.) */
	memset(&us, 0, sizeof(us));
	us.pid = (int)pid;
	us.tid = (int)tid;
	if (st & PERF_SAMPLE_REGS_USER)
		user_regs(c, &k, &us);
	if (st & PERF_SAMPLE_STACK_USER)
		user_stack(&k, &us);
	if (k.bad)
		return LP_OK; /* truncated: not worth failing a run over */
	vals[0] = period;
	scounts.value[0] = period;
	ctx = lp_threads_ctx(&c->threads, (int)pid, (int)tid);
	if (lp_maps_loc(&c->maps, (int)pid, ip, &loc) ||
	    lp_profile_add(c->prof, ctx, loc, &counts) == -1)
		return oom(err);
	/* Frame 0 is the sampled ip; a callchain's first user entry repeats it. */
	c->frames[0].module = loc.module;
	c->frames[0].offset = loc.offset;
	if (c->unwinder && (st & PERF_SAMPLE_STACK_USER)) {
		/* Unwinding failed or could not start: the ip alone, still a stack. */
		if (unwound_stack(c, &us, &depth) ||
		    lp_profile_add_stack(c->prof, ctx, c->frames, depth, &scounts) == -1)
			return oom(err);
		return LP_OK;
	}
	if (!chain)
		return LP_OK;
	for (uint64_t i = 0; i < nr && depth < LP_MAX_STACK; i++) {
		uint64_t a;
		lp_loc f;

		memcpy(&a, chain + i * 8, 8);
		if (a >= PERF_CONTEXT_MAX)
			continue; /* PERF_CONTEXT_USER and friends: markers, not frames */
		if (first_user) {
			first_user = 0;
			if (a == ip)
				continue;
		}
		if (lp_maps_loc(&c->maps, (int)pid, a, &f))
			return oom(err);
		c->frames[depth].module = f.module;
		c->frames[depth].offset = f.offset;
		depth++;
	}
	if (lp_profile_add_stack(c->prof, ctx, c->frames, depth, &scounts) == -1)
		return oom(err);
	return LP_OK;
}

/* A C string inside the record, or NULL if it is not terminated there. */
static const char *record_string(lp_cursor *k)
{
	const char *s = (const char *)k->p;

	if (k->bad || !memchr(k->p, '\0', (size_t)(k->end - k->p)))
		return NULL;
	return s;
}

static int mmap_record(lp_collect *c, const struct perf_event_header *h, int v2)
{
	lp_cursor k = cursor(h);
	uint32_t pid, prot = PROT_EXEC;
	uint64_t start, len, pgoff;
	unsigned char bid[LP_BUILD_ID_MAX];
	size_t bidlen = 0;
	const char *path;

	if (h->misc & PERF_RECORD_MISC_MMAP_DATA)
		return 0;
	pid = u32(&k);
	u32(&k);
	start = u64(&k);
	len = u64(&k);
	pgoff = u64(&k);
	if (v2) {
		/* maj, min, ino, ino_generation; or build_id_size, 3 bytes, build_id[20]. */
		if (k.end - k.p < 24) {
			k.bad = 1;
		} else if (h->misc & PERF_RECORD_MISC_MMAP_BUILD_ID) {
			bidlen = k.p[0] <= 20 ? k.p[0] : 20;
			memcpy(bid, k.p + 4, bidlen);
		}
		k.p += k.bad ? 0 : 24;
		prot = u32(&k);
		u32(&k);
	}
	path = record_string(&k);
	if (!path || !(prot & PROT_EXEC))
		return 0;
	return lp_maps_add(&c->maps, (int)pid, start, len, pgoff, path, bid, bidlen);
}

int lp_collect_record(lp_collect *c, int cpu, const struct perf_event_header *h, lp_error *err)
{
	lp_cursor k = cursor(h);
	uint32_t pid, ppid, tid, ptid;
	const char *comm;

	switch (h->type) {
	case PERF_RECORD_SAMPLE:
		return sample(c, cpu, h, err);
	case PERF_RECORD_MMAP:
	case PERF_RECORD_MMAP2:
		if (mmap_record(c, h, h->type == PERF_RECORD_MMAP2))
			return oom(err);
		return LP_OK;
	case PERF_RECORD_COMM:
		pid = u32(&k);
		tid = u32(&k);
		comm = record_string(&k);
		if (!k.bad && comm &&
		    lp_threads_comm(&c->threads, (int)pid, (int)tid, comm,
				    (h->misc & PERF_RECORD_MISC_COMM_EXEC) != 0))
			return oom(err);
		/* An exec: a new address space, the old mappings are gone. */
		if (!k.bad && (h->misc & PERF_RECORD_MISC_COMM_EXEC)) {
			lp_maps_exec(&c->maps, (int)pid);
			if (c->unwinder)
				c->unwinder->forget(c->unwinder->ctx, (int)pid);
		}
		return LP_OK;
	case PERF_RECORD_FORK:
		pid = u32(&k);
		ppid = u32(&k);
		tid = u32(&k);
		ptid = u32(&k);
		if (k.bad)
			return LP_OK;
		c->forks++;
		c->new_processes += tid == pid;
		if (lp_threads_fork(&c->threads, (int)pid, (int)ppid, (int)tid, (int)ptid))
			return oom(err);
		/* A new process may reuse the pid of one the unwinder still remembers. */
		if (c->unwinder && tid == pid)
			c->unwinder->forget(c->unwinder->ctx, (int)pid);
		/* A thread (tid != pid) shares its process's maps; a process copies its parent's. */
		if (lp_maps_fork(&c->maps, (int)pid, tid != pid ? (int)pid : (int)ppid))
			return oom(err);
		return LP_OK;
	case PERF_RECORD_EXIT:
		pid = u32(&k);
		u32(&k);
		tid = u32(&k);
		if (k.bad)
			return LP_OK;
		prev_forget(c, tid);
		lp_threads_exit(&c->threads, (int)pid, (int)tid);
		if (lp_maps_exit(&c->maps, (int)pid) && c->unwinder)
			c->unwinder->forget(c->unwinder->ctx, (int)pid);
		return LP_OK;
	case PERF_RECORD_LOST:
		u64(&k);
		c->prof->lost += u64(&k);
		return LP_OK;
	case PERF_RECORD_LOST_SAMPLES:
		c->prof->lost += u64(&k);
		return LP_OK;
	case PERF_RECORD_THROTTLE:
		c->prof->throttled++;
		return LP_OK;
	default:
		return LP_OK;
	}
}

uint64_t lp_collect_forks(const lp_collect *c)
{
	return c->forks;
}

uint64_t lp_collect_new_processes(const lp_collect *c)
{
	return c->new_processes;
}

int lp_collect_add_thread(lp_collect *c, int pid, int tid, const char *comm, const char *pcomm)
{
	int new_proc, rc = lp_threads_attach(&c->threads, pid, tid, comm, pcomm, &new_proc);

	if (rc)
		return rc < 0 ? -1 : 0;
	/* A new process's maps start empty (one thread); each further thread keeps them alive. */
	return lp_maps_fork(&c->maps, pid, new_proc ? 0 : pid);
}

int lp_collect_add_mapping(lp_collect *c, int pid, uint64_t start, uint64_t len, uint64_t pgoff,
			   const char *path)
{
	return lp_maps_add(&c->maps, pid, start, len, pgoff, path, NULL, 0);
}

int lp_collect_knows(const lp_collect *c, int tid)
{
	return lp_threads_known(&c->threads, tid);
}

static int by_time(const void *a, const void *b)
{
	const lp_item *x = a, *y = b;

	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int lp_collect_drain(lp_collect *c, lp_ring *rings, int nrings, lp_error *err)
{
	const struct perf_event_header *h;
	int rc = LP_OK;

	c->nitems = 0;
	for (int r = 0; r < nrings; r++) {
		if (!lp_ring_begin(&rings[r]))
			continue;
		while ((h = lp_ring_next(&rings[r]))) {
			if (c->nitems == c->capitems) {
				size_t cap = c->capitems ? c->capitems * 2 : 1024;
				lp_item *n = realloc(c->items, cap * sizeof(*n));

				if (!n) {
					rc = oom(err);
					goto out;
				}
				c->items = n;
				c->capitems = cap;
			}
			c->items[c->nitems].time = record_time(c, h);
			c->items[c->nitems].seq = c->seq++;
			c->items[c->nitems].cpu = r;
			c->items[c->nitems++].h = h;
		}
	}
	if (c->nitems) /* items is NULL until the first record */
		qsort(c->items, c->nitems, sizeof(*c->items), by_time);
	for (size_t i = 0; i < c->nitems && rc == LP_OK; i++)
		rc = lp_collect_record(c, c->items[i].cpu, c->items[i].h, err);
out:
	for (int r = 0; r < nrings; r++)
		lp_ring_end(&rings[r]);
	c->nitems = 0;
	return rc;
}
