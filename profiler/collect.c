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
#include "offcpu.h"
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
	/* Off-CPU: the context-switch event's samples, told apart by their identifier. */
	lp_offcpu *off;
	uint64_t switch_type;
	uint64_t *switch_ids;
	int nswitch_ids;
	uint64_t sys_nowhere;        /* kernel-mode samples without a user ip */
	uint64_t *ring_last;         /* per ring: the time of its last record handled */
	int nring_last;
	unsigned char *switch_ring;  /* per ring: it carries switch records (lp_collect_switch_ring) */
	int nswitch_ring;
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
	lp_offcpu_free(c->off);
	free(c->switch_ids);
	free(c->ring_last);
	free(c->switch_ring);
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

uint64_t lp_collect_regs_mask_min(void)
{
#if defined(__x86_64__)
	return 1ULL << PERF_REG_X86_IP | 1ULL << PERF_REG_X86_SP | 1ULL << PERF_REG_X86_BP;
#else
	return 0;
#endif
}

void lp_collect_set_regs(lp_collect *c, uint64_t regs_mask)
{
	c->regs_mask = regs_mask;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int lp_collect_set_switch(lp_collect *c, uint64_t sample_type, const uint64_t *ids, int nids)
{
	uint64_t *n = realloc(c->switch_ids, (size_t)(nids > 0 ? nids : 1) * sizeof(*ids));

	if (!n)
		return -1;
	c->switch_ids = n;
	if (!c->off && !(c->off = lp_offcpu_new(c->prof)))
		return -1;
	memcpy(c->switch_ids, ids, (size_t)nids * sizeof(*ids));
	c->nswitch_ids = nids;
	qsort(c->switch_ids, (size_t)nids, sizeof(*ids), cmp_u64);
	c->switch_type = sample_type;
	return 0;
}

int lp_collect_switch_ring(lp_collect *c, int ring)
{
	if (ring >= c->nswitch_ring) {
		unsigned char *n = realloc(c->switch_ring, (size_t)ring + 1);

		if (!n)
			return -1;
		memset(n + c->nswitch_ring, 0, (size_t)(ring + 1 - c->nswitch_ring));
		c->switch_ring = n;
		c->nswitch_ring = ring + 1;
	}
	c->switch_ring[ring] = 1;
	return 0;
}

/* Can a record dropped from this ring have been a switch record? */
static int carries_switches(const lp_collect *c, int ring)
{
	return ring < c->nswitch_ring && c->switch_ring[ring];
}

void lp_collect_stats_of(const lp_collect *c, lp_collect_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->sys_nowhere = c->sys_nowhere;
	if (c->off)
		lp_offcpu_stats_of(c->off, &st->off);
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

/* One sample record, parsed with the sample_type of the event that wrote it. */
typedef struct lp_rsample {
	uint64_t id, ip, time, period;
	uint32_t pid, tid;
	int is_switch;               /* written by the context-switch event (its id) */
	int kernel;                  /* taken in kernel mode: ip is the kernel's */
	uint64_t nr;                 /* callchain entries at chain */
	const unsigned char *chain;
	lp_unwind_sample us;         /* PERF_SAMPLE_REGS_USER and _STACK_USER */
	uint64_t vals[LP_MAX_EVENTS];
} lp_rsample;

/* A switch event's id? (one per CPU, and per thread with -p: sorted) */
static int is_switch_id(const lp_collect *c, uint64_t id)
{
	return bsearch(&id, c->switch_ids, (size_t)c->nswitch_ids, sizeof(id), cmp_u64) != NULL;
}

/* 0; 1 truncated (skip it); -1 out of memory. */
static int parse_sample(lp_collect *c, int cpu, const struct perf_event_header *h, lp_rsample *s)
{
	uint64_t st = c->sample_type;
	lp_cursor k = cursor(h);

	memset(s, 0, sizeof(*s));
	s->period = 1;
	if (st & PERF_SAMPLE_IDENTIFIER) {
		s->id = u64(&k);
		s->is_switch = c->off && c->nswitch_ids && is_switch_id(c, s->id);
		if (s->is_switch)
			st = c->switch_type;
	}
	s->kernel = (h->misc & PERF_RECORD_MISC_CPUMODE_MASK) != PERF_RECORD_MISC_USER;
	if (st & PERF_SAMPLE_IP)
		s->ip = u64(&k);
	if (st & PERF_SAMPLE_TID) {
		s->pid = u32(&k);
		s->tid = u32(&k);
	}
	if (st & PERF_SAMPLE_TIME)
		s->time = u64(&k);
	if (st & PERF_SAMPLE_ADDR)
		u64(&k);
	if (st & PERF_SAMPLE_ID)
		u64(&k);
	if (st & PERF_SAMPLE_STREAM_ID)
		u64(&k);
	if (st & PERF_SAMPLE_CPU)
		u64(&k);
	if (st & PERF_SAMPLE_PERIOD)
		s->period = u64(&k);
	if ((st & PERF_SAMPLE_READ) && read_values(c, &k, cpu, s->tid, s->vals))
		return -1;
	if (st & PERF_SAMPLE_CALLCHAIN) {
		s->nr = u64(&k);
		if (!k.bad && (uint64_t)(k.end - k.p) / 8 >= s->nr)
			s->chain = k.p;
		k.p = s->chain ? k.p + s->nr * 8 : k.end;
	}
	/* (PERF_SAMPLE_RAW and _BRANCH_STACK would come here: never asked for.) */
	s->us.pid = (int)s->pid;
	s->us.tid = (int)s->tid;
	if (st & PERF_SAMPLE_REGS_USER)
		user_regs(c, &k, &s->us);
	if (st & PERF_SAMPLE_STACK_USER)
		user_stack(&k, &s->us);
	return k.bad ? 1 : 0;
}

/*
 * Where in user space the sample belongs: its ip in user mode; in kernel
 * mode the user ip that entered the kernel (a system call, a fault, an
 * interrupt), from the user registers, else the user callchain's first
 * entry. 0 when there is none (a kernel thread, a task without user regs).
 */
static uint64_t user_ip(const lp_rsample *s)
{
	if (!s->kernel)
		return s->ip;
	if (s->us.have_regs)
		return s->us.regs[LP_REG_RIP];
	for (uint64_t i = 0; s->chain && i < s->nr; i++) {
		uint64_t a;

		memcpy(&a, s->chain + i * 8, 8);
		if (a < PERF_CONTEXT_MAX)
			return a;
	}
	return 0;
}

/*
 * The stack of a sample into c->frames, frame 0 already there: unwound
 * from the user registers and stack copy (dwarf), or the user callchain
 * (-g), whose first entry repeats the user ip. *depth stays 1 without one.
 */
static int build_stack(lp_collect *c, lp_rsample *s, uint64_t uip, uint32_t *depth)
{
	int first_user = 1;

	*depth = 1;
	if (c->unwinder)
		return unwound_stack(c, &s->us, depth);
	for (uint64_t i = 0; s->chain && i < s->nr && *depth < LP_MAX_STACK; i++) {
		uint64_t a;
		lp_loc f;

		memcpy(&a, s->chain + i * 8, 8);
		if (a >= PERF_CONTEXT_MAX)
			continue; /* PERF_CONTEXT_USER and friends: markers, not frames */
		if (first_user) {
			first_user = 0;
			if (a == uip)
				continue;
		}
		if (lp_maps_loc(&c->maps, (int)s->pid, a, &f))
			return -1;
		c->frames[*depth].module = f.module;
		c->frames[*depth].offset = f.offset;
		(*depth)++;
	}
	return 0;
}

/* Does this sample carry a stack (the mode records one)? */
static int has_stack(const lp_collect *c, const lp_rsample *s)
{
	return c->unwinder || s->chain;
}

/*
 * A sample of the sampling event. In user mode its values are the line's
 * (value[0] the period: nanoseconds for a clock); in kernel mode its period
 * is system time spent on behalf of the user ip that entered the kernel
 * (sys_value), and the line gets no user-mode value[0] from it.
 */
static int cpu_sample(lp_collect *c, lp_rsample *s, lp_error *err)
{
	lp_counts counts = { 0 };
	uint64_t uip = user_ip(s);
	uint32_t depth = 1, ctx;
	lp_loc loc;

	for (int i = 1; i < LP_MAX_EVENTS; i++)
		counts.value[i] = s->vals[i];
	if (s->kernel) {
		counts.sys_samples = 1;
		counts.sys_value = s->period;
	} else {
		counts.samples = 1;
		counts.value[0] = s->period;
	}
	if (!uip) {
		c->sys_nowhere++; /* no user ip to charge: part of what the header calls unattributed */
		return LP_OK;
	}
	ctx = lp_threads_ctx(&c->threads, (int)s->pid, (int)s->tid);
	if (lp_maps_loc(&c->maps, (int)s->pid, uip, &loc) ||
	    lp_profile_add(c->prof, ctx, loc, &counts) == -1)
		return oom(err);
	if (!has_stack(c, s))
		return LP_OK;
	c->frames[0].module = loc.module;
	c->frames[0].offset = loc.offset;
	/* Unwinding that fails or cannot start leaves the ip alone: still a stack. */
	if (build_stack(c, s, uip, &depth) ||
	    lp_profile_add_stack(c->prof, ctx, c->frames, depth, &counts) == -1)
		return oom(err);
	return LP_OK;
}

/* A sample of the context-switch event: where a thread left the CPU (lineprof/offcpu.h). */
static int switch_sample(lp_collect *c, lp_rsample *s, lp_error *err)
{
	uint64_t uip = user_ip(s);
	uint32_t depth = 0, ctx;
	lp_loc loc;

	if (!uip || !s->tid)
		return LP_OK; /* the wait's end still comes, and is said lost */
	ctx = lp_threads_ctx(&c->threads, (int)s->pid, (int)s->tid);
	if (lp_maps_loc(&c->maps, (int)s->pid, uip, &loc))
		return oom(err);
	if (has_stack(c, s)) {
		c->frames[0].module = loc.module;
		c->frames[0].offset = loc.offset;
		if (build_stack(c, s, uip, &depth))
			return oom(err);
	}
	if (lp_offcpu_out(c->off, (int)s->tid, s->time, ctx, loc, c->frames, depth))
		return oom(err);
	return LP_OK;
}

static int sample(lp_collect *c, int cpu, const struct perf_event_header *h, lp_error *err)
{
	lp_rsample s;
	int rc = parse_sample(c, cpu, h, &s);

	if (rc < 0)
		return oom(err);
	if (rc > 0)
		return LP_OK; /* truncated: not worth failing a run over */
	if (s.is_switch) /* decided once, by parse_sample */
		return switch_sample(c, &s, err);
	return cpu_sample(c, &s, err);
}

/*
 * PERF_RECORD_SWITCH: only the sample_id_all trailer, whose layout every
 * event of the ring shares: {pid, tid} then time, this far from the end.
 */
static int switch_record(lp_collect *c, const struct perf_event_header *h, lp_error *err)
{
	uint32_t tid;
	uint64_t t;
	int rc;

	if (!c->off || !(c->sample_type & PERF_SAMPLE_TID) || !(c->sample_type & PERF_SAMPLE_TIME) ||
	    h->size < sizeof(*h) + c->time_back + 8)
		return LP_OK;
	memcpy(&tid, (const unsigned char *)h + h->size - c->time_back - 4, 4);
	memcpy(&t, (const unsigned char *)h + h->size - c->time_back, 8);
	if (!tid)
		return LP_OK;
	rc = lp_offcpu_switch(c->off, (int)tid, t, (h->misc & PERF_RECORD_MISC_SWITCH_OUT) != 0,
			      (h->misc & PERF_RECORD_MISC_SWITCH_OUT_PREEMPT) != 0);
	return rc == -1 ? oom(err) : LP_OK;
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
		if (c->off)
			lp_offcpu_start(c->off, (int)tid);
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
		if (c->off)
			lp_offcpu_exit(c->off, (int)tid);
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
	case PERF_RECORD_SWITCH:
		return switch_record(c, h, err);
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
	/*
	 * Every ring's head first, then the records: a record published on one
	 * CPU while another ring is read would otherwise come a drain late,
	 * behind later records of other CPUs (lineprof/offcpu.c copes, but
	 * the window is now nanoseconds, not the time to read a ring).
	 */
	for (int r = 0; r < nrings; r++)
		lp_ring_begin(&rings[r]);
	for (int r = 0; r < nrings; r++) {
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
	if (c->off && nrings > c->nring_last) {
		uint64_t *n = realloc(c->ring_last, (size_t)nrings * sizeof(*n));

		if (!n) {
			rc = oom(err);
			goto out;
		}
		memset(n + c->nring_last, 0, (size_t)(nrings - c->nring_last) * sizeof(*n));
		c->ring_last = n;
		c->nring_last = nrings;
	}
	for (size_t i = 0; i < c->nitems && rc == LP_OK; i++) {
		const lp_item *it = &c->items[i];

		/* Dropped switch records: a window off-CPU time must not be guessed across. */
		if (c->off && it->h->type == PERF_RECORD_LOST && carries_switches(c, it->cpu))
			lp_offcpu_lost(c->off, c->ring_last[it->cpu], it->time);
		rc = lp_collect_record(c, it->cpu, it->h, err);
		if (c->off)
			c->ring_last[it->cpu] = it->time;
	}
out:
	for (int r = 0; r < nrings; r++)
		lp_ring_end(&rings[r]);
	c->nitems = 0;
	if (c->off)
		lp_offcpu_sweep(c->off);
	return rc;
}
