/*
 * Per-thread switch state, in a hash keyed by tid.
 *
 * The kernel writes, for one switch-out, the context-switch sample and then
 * the SWITCH out record, into the ring of the CPU the thread leaves; the
 * SWITCH in record goes to the ring of the CPU it comes back on. So a wait
 * is: a switch-out sample (where) and/or an out record (why: blocked or
 * still runnable), then an in record (when it ended). What is missing is
 * said, never guessed: a wait without its sample has no location and goes
 * to off_lost_ns; a wait without its in record has no length and is only
 * counted (lost_end).
 *
 * The collector sorts each drain's records by time, but a record of one CPU
 * can be published just after its ring was read and so come a drain late,
 * behind a later record of another CPU. A switch-in that arrives before its
 * switch-out is kept (t_in_early) and ends that switch-out when it comes:
 * never is running time taken for a wait.
 */
#include <stdlib.h>
#include <string.h>

#include "offcpu.h"

#define SW_EMPTY 0
#define SW_GONE (-1)

typedef struct lp_sw {
	int64_t tid;          /* SW_EMPTY, SW_GONE, or the thread */
	uint8_t out;          /* off the CPU since t_out */
	uint8_t have_where;   /* the switch-out sample came: ctx, loc, frames */
	uint8_t have_record;  /* the SWITCH out record came: runnable is known */
	uint8_t runnable;
	uint8_t dead;         /* exited, in drain dead_at */
	uint64_t dead_at;
	uint64_t t_out;
	uint64_t t_in_early;  /* a switch-in not yet matched (0: none) */
	uint64_t t_last_in;   /* the switch-in that ended the last wait */
	uint32_t ctx;
	lp_loc loc;
	lp_loc *frames;
	uint32_t depth, cap;
} lp_sw;

/* Loss windows, oldest first; at most LP_NLOST (merged beyond: wider, never forgotten). */
#define LP_NLOST 64

struct lp_offcpu {
	lp_profile *prof;
	lp_sw *slot;
	size_t cap, used, live, ndead;
	uint64_t drain;
	lp_offcpu_stats st;
	uint64_t lost_a[LP_NLOST], lost_b[LP_NLOST];
	int nlost;
};

lp_offcpu *lp_offcpu_new(lp_profile *prof)
{
	lp_offcpu *o = calloc(1, sizeof(*o));

	if (o)
		o->prof = prof;
	return o;
}

void lp_offcpu_free(lp_offcpu *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->cap; i++)
		free(o->slot[i].frames);
	free(o->slot);
	free(o);
}

static size_t tid_hash(int64_t tid, size_t cap)
{
	uint64_t h = (uint64_t)tid * 0x9e3779b97f4a7c15ULL;

	return (size_t)(h ^ (h >> 29)) & (cap - 1);
}

static lp_sw *find(const lp_offcpu *o, int64_t tid)
{
	if (!o->cap)
		return NULL;
	for (size_t s = tid_hash(tid, o->cap);; s = (s + 1) & (o->cap - 1)) {
		if (o->slot[s].tid == tid)
			return &o->slot[s];
		if (o->slot[s].tid == SW_EMPTY)
			return NULL;
	}
}

/* Rebuilt at four times the live entries once live and gone fill half the table. */
static int rehash(lp_offcpu *o)
{
	size_t cap = 64;
	lp_sw *n;

	while (cap < 4 * (o->live + 1))
		cap *= 2;
	n = calloc(cap, sizeof(*n));
	if (!n)
		return -1;
	for (size_t i = 0; i < o->cap; i++) {
		size_t s;

		if (o->slot[i].tid <= 0)
			continue;
		for (s = tid_hash(o->slot[i].tid, cap); n[s].tid != SW_EMPTY; s = (s + 1) & (cap - 1))
			;
		n[s] = o->slot[i];
	}
	free(o->slot);
	o->slot = n;
	o->cap = cap;
	o->used = o->live;
	return 0;
}

static lp_sw *get(lp_offcpu *o, int64_t tid)
{
	lp_sw *e = find(o, tid);
	size_t s;

	if (e)
		return e;
	if (2 * (o->used + 1) > o->cap && rehash(o))
		return NULL;
	for (s = tid_hash(tid, o->cap); o->slot[s].tid > 0; s = (s + 1) & (o->cap - 1))
		;
	if (o->slot[s].tid == SW_EMPTY)
		o->used++;
	memset(&o->slot[s], 0, sizeof(o->slot[s]));
	o->slot[s].tid = tid;
	o->live++;
	return &o->slot[s];
}

static void forget(lp_offcpu *o, lp_sw *e)
{
	free(e->frames);
	memset(e, 0, sizeof(*e));
	e->tid = SW_GONE;
	o->live--;
}

static void end_phase(lp_sw *e)
{
	e->out = e->have_where = e->have_record = e->runnable = 0;
	e->depth = 0;
}

/* Does (t_out, t_in) overlap a window where records were dropped? */
static int overlaps_loss(const lp_offcpu *o, uint64_t t_out, uint64_t t_in)
{
	for (int i = 0; i < o->nlost; i++)
		if (t_out <= o->lost_b[i] && t_in >= o->lost_a[i])
			return 1;
	return 0;
}

int lp_offcpu_lost(lp_offcpu *o, uint64_t a, uint64_t b)
{
	if (o->nlost == LP_NLOST) {
		/* The two oldest become one wider window: more waits doubted, none trusted wrongly. */
		o->lost_b[0] = o->lost_b[1] > o->lost_b[0] ? o->lost_b[1] : o->lost_b[0];
		o->lost_a[0] = o->lost_a[1] < o->lost_a[0] ? o->lost_a[1] : o->lost_a[0];
		memmove(&o->lost_a[1], &o->lost_a[2], (LP_NLOST - 2) * sizeof(o->lost_a[0]));
		memmove(&o->lost_b[1], &o->lost_b[2], (LP_NLOST - 2) * sizeof(o->lost_b[0]));
		o->nlost--;
	}
	o->lost_a[o->nlost] = a;
	o->lost_b[o->nlost++] = b;
	return 0;
}

/* The wait of e ended at t_in: charged where it began, or to off_lost_ns without a where. */
static int charge(lp_offcpu *o, lp_sw *e, uint64_t t_in)
{
	uint64_t ns = t_in > e->t_out ? t_in - e->t_out : 0;
	lp_counts c;
	int rc = 0;

	if (overlaps_loss(o, e->t_out, t_in)) {
		o->st.lost_end++; /* its real end may be among the dropped records */
		end_phase(e);
		return 0;
	}
	if (!e->have_where) {
		o->prof->off_lost_ns += ns;
		o->st.lost_where++;
		end_phase(e);
		return 0;
	}
	memset(&c, 0, sizeof(c));
	c.off_count = 1;
	c.off_ns[e->runnable ? LP_OFF_RUNNABLE : LP_OFF_BLOCKED] = ns;
	rc = lp_profile_add(o->prof, e->ctx, e->loc, &c);
	if (rc == 0 && e->depth)
		rc = lp_profile_add_stack(o->prof, e->ctx, e->frames, e->depth, &c);
	o->st.waits++;
	end_phase(e);
	e->t_last_in = t_in;
	return rc == -1 ? -1 : 0;
}

/*
 * A switch-out (sample or record) at t opens a wait, unless the thread is
 * already off the CPU: then its switch-in was lost, and the old wait has no
 * known length.
 */
static void open_phase(lp_offcpu *o, lp_sw *e, uint64_t t)
{
	if (e->out) {
		o->st.lost_end++;
		end_phase(e);
	}
	e->out = 1;
	e->t_out = t;
	o->st.switches++;
}

/* A switch-in that came before this switch-out ends it now. */
static int early_end(lp_offcpu *o, lp_sw *e)
{
	uint64_t t_in = e->t_in_early;

	e->t_in_early = 0;
	if (!t_in || t_in < e->t_out)
		return 0; /* an older switch-in: this wait is still on */
	return charge(o, e, t_in);
}

int lp_offcpu_out(lp_offcpu *o, int tid, uint64_t t, uint32_t ctx, lp_loc loc,
		  const lp_loc *frames, uint32_t depth)
{
	lp_sw *e = get(o, tid);

	if (!e)
		return -1;
	if (e->dead)
		return 0; /* the last switch of a thread that exits */
	if (!e->out && t < e->t_last_in)
		return 0; /* the sample of a wait already ended (by an early switch-in) */
	/* The record of this same switch may have come first (the sample was late). */
	if (!(e->out && e->have_record && !e->have_where && t <= e->t_out))
		open_phase(o, e, t);
	if (depth > e->cap) {
		lp_loc *n = realloc(e->frames, depth * sizeof(*n));

		if (!n)
			return -1;
		e->frames = n;
		e->cap = depth;
	}
	for (uint32_t i = 0; i < depth; i++) {
		e->frames[i].module = frames[i].module;
		e->frames[i].offset = frames[i].offset;
	}
	e->depth = depth;
	e->ctx = ctx;
	e->loc = loc;
	e->have_where = 1;
	return early_end(o, e);
}

int lp_offcpu_switch(lp_offcpu *o, int tid, uint64_t t, int out, int runnable)
{
	lp_sw *e = get(o, tid);

	if (!e)
		return -1;
	if (e->dead)
		return 0;
	if (!out) {
		if (!e->out) {
			e->t_in_early = t; /* a first run, or a switch-out still to come */
			return 0;
		}
		e->t_in_early = 0;
		return charge(o, e, t);
	}
	if (!e->out && t < e->t_last_in)
		return 0; /* the record of a wait already ended (by an early switch-in) */
	/*
	 * The sample of this switch normally comes just before its record; the
	 * record is the later of the two, closer to the switch itself (the
	 * sample's own writing is still the thread's running time), so the wait
	 * starts there.
	 */
	if (!(e->out && e->have_where && !e->have_record))
		open_phase(o, e, t);
	else if (t > e->t_out)
		e->t_out = t;
	e->have_record = 1;
	e->runnable = runnable != 0;
	return early_end(o, e);
}

void lp_offcpu_start(lp_offcpu *o, int tid)
{
	lp_sw *e = find(o, tid);

	if (!e)
		return;
	if (e->dead)
		o->ndead--;
	forget(o, e);
}

void lp_offcpu_exit(lp_offcpu *o, int tid)
{
	lp_sw *e = get(o, tid);

	if (!e)
		return;
	end_phase(e);
	e->t_in_early = 0;
	if (!e->dead)
		o->ndead++;
	e->dead = 1;
	e->dead_at = o->drain;
}

void lp_offcpu_sweep(lp_offcpu *o)
{
	o->drain++;
	if (!o->ndead)
		return;
	for (size_t i = 0; i < o->cap; i++) {
		lp_sw *e = &o->slot[i];

		if (e->tid > 0 && e->dead && e->dead_at + 1 < o->drain) {
			forget(o, e);
			o->ndead--;
		}
	}
}

void lp_offcpu_stats_of(const lp_offcpu *o, lp_offcpu_stats *s)
{
	*s = o->st;
	s->live = o->live;
}
