/*
 * The .lprof file: line-oriented text, one record per line, so that a
 * damaged file can be reported by line number and a person can read it.
 * The grammar is in lineprof(1), PROFILE FILE FORMAT. Strings are
 * percent-encoded (bytes <= 0x20, 0x7f and '%'), so every field is one token.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lineprof/output.h"
#include "lineprof/profile.h"

#define LP_MAGIC "lineprof-profile"

static void put_str(FILE *f, const char *s)
{
	if (!s || !*s) {
		fputc('-', f);
		return;
	}
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c <= 0x20 || *c == 0x7f || *c == '%' || (c == (const unsigned char *)s && *c == '-'))
			fprintf(f, "%%%02X", *c);
		else
			fputc(*c, f);
	}
}

/*
 * Numbers by hand: a merged job's profile holds millions of records, and
 * printf's format parsing was most of the time of writing them.
 */
static void put_num(FILE *f, char lead, uint64_t v, unsigned base)
{
	char buf[24], *o = buf + sizeof(buf);

	do {
		*--o = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (lead)
		*--o = lead;
	fwrite_unlocked(o, 1, (size_t)(buf + sizeof(buf) - o), f);
}

static void put_u64(FILE *f, uint64_t v)
{
	put_num(f, ' ', v, 10);
}

static void put_loc(FILE *f, lp_loc loc)
{
	if (loc.module == LP_MODULE_NONE)
		fputc_unlocked('-', f);
	else
		put_num(f, 0, loc.module, 10);
	put_num(f, ':', loc.offset, 16);
}

static void put_i64(FILE *f, int64_t v)
{
	fprintf(f, " %" PRId64, v);
}

/*
 * A counts record (addr, scount) is built in memory and written with one
 * call: there are millions of them in a merged job's profile.
 */
typedef struct lp_key {
	char s[39];
	unsigned char n;
} lp_key;

typedef struct lp_line {
	char b[64 + sizeof(lp_key) + (3 + LP_MAX_EVENTS + 6) * 21];
	size_t n;
} lp_line;

static void line_str(lp_line *l, const char *s, size_t n)
{
	while (n--)
		l->b[l->n++] = *s++;
}

static void line_u64(lp_line *l, uint64_t v)
{
	static const char pairs[] =
		"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
		"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
		"8081828384858687888990919293949596979899";
	char buf[24], *o = buf + sizeof(buf);

	/* Two digits per division: most values are periods in nanoseconds. */
	while (v >= 100) {
		const char *d = pairs + 2 * (v % 100);

		*--o = d[1];
		*--o = d[0];
		v /= 100;
	}
	if (v >= 10) {
		*--o = pairs[2 * v + 1];
		*--o = pairs[2 * v];
	} else {
		*--o = (char)('0' + v);
	}
	*--o = ' ';
	while (o < buf + sizeof(buf))
		l->b[l->n++] = *o++;
}

static void put_record(FILE *f, const char *rec, size_t reclen, uint32_t ctx, const lp_key *key,
		       const lp_profile *p, const lp_counts *c)
{
	lp_line l = { .n = 0 };

	line_str(&l, rec, reclen);
	if (ctx == LP_CTX_NONE)
		line_str(&l, " -", 2);
	else
		line_u64(&l, ctx);
	line_str(&l, key->s, key->n);
	line_u64(&l, c->samples);
	for (int e = 0; e < p->nevents; e++)
		line_u64(&l, c->value[e]);
	line_u64(&l, c->sys_samples);
	line_u64(&l, c->sys_value);
	line_u64(&l, c->off_count);
	for (int i = 0; i < LP_NOFF; i++)
		line_u64(&l, c->off_ns[i]);
	l.b[l.n++] = '\n';
	fwrite_unlocked(l.b, 1, l.n, f);
}

/*
 * A per-context entry's record, formatted from the entry itself: the fields
 * it does not keep (the other events) are 0. The same text as
 * put_record of lp_ctx_counts_get's counts, without building them.
 */
static void put_entry(FILE *f, const char *rec, size_t reclen, const lp_key *key, int nevents,
		      const lp_ctx_counts *e)
{
	lp_line l = { .n = 0 };

	line_str(&l, rec, reclen);
	line_u64(&l, e->ctx);
	line_str(&l, key->s, key->n);
	line_u64(&l, e->samples);
	line_u64(&l, e->value0);
	for (int i = 1; i < nevents; i++)
		line_str(&l, " 0", 2);
	line_u64(&l, e->sys_samples);
	line_u64(&l, e->sys_value);
	line_u64(&l, e->off_count);
	for (int i = 0; i < LP_NOFF; i++)
		line_u64(&l, e->off_ns[i]);
	l.b[l.n++] = '\n';
	fwrite_unlocked(l.b, 1, l.n, f);
}

static void put_ctx(FILE *f, uint32_t ctx)
{
	if (ctx == LP_CTX_NONE)
		fputs_unlocked(" -", f);
	else
		put_u64(f, ctx);
}

/* The fields a per-context entry keeps, summed per total: what the totals hold beyond them. */
static void rest_of(lp_counts *rest, const lp_ctx_counts *e)
{
	rest->samples -= e->samples;
	rest->value[0] -= e->value0;
	rest->sys_samples -= e->sys_samples;
	rest->sys_value -= e->sys_value;
	rest->off_count -= e->off_count;
	for (int i = 0; i < LP_NOFF; i++)
		rest->off_ns[i] -= e->off_ns[i];
}

/*
 * Per-context records first, then what the totals hold beyond them (counts
 * added without a context, and the fields entries do not keep) under context
 * "-": the reader rebuilds the totals from both. rest[] is scratch, one
 * lp_counts per total; keys[i] is total i's key, formatted once.
 */
static void write_counts(FILE *f, const lp_profile *p, const char *rec, size_t ntotal,
			 const lp_counts *(*total)(const lp_profile *, size_t), const lp_key *keys,
			 const lp_ctx_counts *per, size_t nper, lp_counts *rest)
{
	size_t reclen = strlen(rec);

	for (size_t i = 0; i < ntotal; i++)
		rest[i] = *total(p, i);
	for (size_t i = 0; i < nper; i++) {
		if (p->nevents > 0 && per[i].ctx != LP_CTX_NONE) {
			put_entry(f, rec, reclen, &keys[per[i].index], p->nevents, &per[i]);
		} else {
			lp_counts c;

			lp_ctx_counts_get(&per[i], &c);
			put_record(f, rec, reclen, per[i].ctx, &keys[per[i].index], p, &c);
		}
		rest_of(&rest[per[i].index], &per[i]);
	}
	for (size_t i = 0; i < ntotal; i++)
		if (!lp_counts_is_zero(&rest[i]) || !nper)
			put_record(f, rec, reclen, LP_CTX_NONE, &keys[i], p, &rest[i]);
}

static const lp_counts *addr_total(const lp_profile *p, size_t i)
{
	return &p->addrs[i].c;
}

static const lp_counts *stack_total(const lp_profile *p, size_t i)
{
	return &p->stacks[i].c;
}

/* " MODULE:OFFSET" and " INDEX", formatted once per total rather than once per record. */
static void addr_keys(const lp_profile *p, lp_key *keys)
{
	for (size_t i = 0; i < p->naddrs; i++) {
		const lp_loc *l = &p->addrs[i].loc;
		int n;

		if (l->module == LP_MODULE_NONE)
			n = snprintf(keys[i].s, sizeof(keys[i].s), " -:%" PRIx64, l->offset);
		else
			n = snprintf(keys[i].s, sizeof(keys[i].s), " %" PRIu32 ":%" PRIx64, l->module,
				     l->offset);
		keys[i].n = (unsigned char)n;
	}
}

static void stack_keys(const lp_profile *p, lp_key *keys)
{
	for (size_t i = 0; i < p->nstacks; i++)
		keys[i].n = (unsigned char)snprintf(keys[i].s, sizeof(keys[i].s), " %zu", i);
}

static void write_context(FILE *f, const lp_profile *p, size_t i)
{
	const lp_context *c = &p->contexts[i];

	fprintf(f, "context %zu %s", i, c->kind == LP_CTX_PROCESS ? "process" : "thread");
	put_ctx(f, c->parent);
	fprintf(f, " %" PRId64 " ", c->id);
	put_str(f, c->name);
	put_i64(f, c->rank);
	put_i64(f, c->size);
	fputc(' ', f);
	put_str(f, c->host);
	fputc(' ', f);
	put_str(f, c->job);
	fputc(' ', f);
	put_str(f, c->step);
	fputc(' ', f);
	put_str(f, c->launcher);
	fprintf(f, " %" PRId64 "\n", c->start_time);
}

int lp_profile_write(const lp_profile *p, FILE *f)
{
	size_t nrest = p->naddrs > p->nstacks ? p->naddrs : p->nstacks;
	lp_counts *rest = malloc((nrest + 1) * sizeof(*rest));
	lp_key *keys = malloc((nrest + 1) * sizeof(*keys));

	if (!rest || !keys) {
		free(rest);
		free(keys);
		return -1;
	}
	fprintf(f, "%s %d\n", LP_MAGIC, LP_FORMAT_VERSION);
	fputs("command ", f);
	put_str(f, p->command);
	fprintf(f, "\nstart %" PRId64 "\nwall-ns %" PRIu64 "\ntask-clock-ns %" PRIu64
		"\nuser-ns %" PRIu64 "\nsys-ns %" PRIu64
		"\nsamples %" PRIu64 "\nlost %" PRIu64 "\nthrottled %" PRIu64
		"\nexit-status %d\ncallchain %d\nkernel %d\noff-cpu %d\noff-lost-ns %" PRIu64 "\n",
		p->start_time, p->wall_ns, p->task_clock_ns, p->user_ns, p->sys_ns, p->samples,
		p->lost, p->throttled, p->exit_status, p->callchain, p->kernel, p->off_cpu,
		p->off_lost_ns);
	for (int i = 0; i < p->nevents; i++) {
		const lp_event_info *e = &p->events[i];

		fprintf(f, "event %d %" PRIu64 " %" PRIu64 " %" PRIu64 " ", i, e->freq,
			e->period, e->total);
		put_str(f, e->name);
		fputc(' ', f);
		put_str(f, e->measured);
		fputc('\n', f);
	}
	for (size_t i = 0; i < p->nmodules; i++) {
		const lp_module *m = &p->modules[i];

		fprintf(f, "module %zu ", i);
		if (!m->build_id_len)
			fputc('-', f);
		for (int b = 0; b < m->build_id_len; b++)
			fprintf(f, "%02x", m->build_id[b]);
		fprintf(f, " %" PRIu64 " %" PRId64 " %016" PRIx64 " ", m->file_size, m->mtime_ns,
			m->code_hash);
		put_str(f, m->path);
		fputc('\n', f);
	}
	for (size_t i = 0; i < p->ncontexts; i++)
		write_context(f, p, i);
	addr_keys(p, keys);
	write_counts(f, p, "addr", p->naddrs, addr_total, keys, p->ctx_addrs, p->nctx_addrs, rest);
	for (size_t i = 0; i < p->nstacks; i++) {
		const lp_stack *s = &p->stacks[i];

		fprintf(f, "stack %zu %" PRIu32, i, s->depth);
		for (uint32_t d = 0; d < s->depth; d++) {
			fputc(' ', f);
			put_loc(f, p->frames[s->first + d]);
		}
		fputc('\n', f);
	}
	stack_keys(p, keys);
	write_counts(f, p, "scount", p->nstacks, stack_total, keys, p->ctx_stacks, p->nctx_stacks,
		     rest);
	for (size_t i = 0; i < p->nhits; i++) {
		fputs("hit ", f);
		put_loc(f, p->hits[i].loc);
		fprintf(f, " %" PRIu64 "\n", p->hits[i].count);
	}
	fputs("end\n", f);
	free(rest);
	free(keys);
	return ferror(f) ? -1 : 0;
}

/* Through lp_output (lineprof/output.h): a unique temporary, fsync, rename; never through a symlink. */
int lp_profile_save(const lp_profile *p, const char *path, lp_error *err)
{
	lp_output out;
	int rc = lp_output_open(&out, path, err);

	if (rc != LP_OK)
		return rc;
	if (lp_profile_write(p, out.f) != 0) {
		lp_error_set(err, LP_EFAIL, "lineprof: cannot write %s: %s", path, strerror(errno));
		lp_output_abort(&out);
		return LP_EFAIL;
	}
	return lp_output_commit(&out, err);
}

/* ---- reading ---- */

/* The header records: each at most once, all before the first data record. */
static const struct lp_header_key {
	const char *name;
	int since;          /* first format version that has it */
	int required;
} header_keys[] = {
	{ "command", 1, 0 }, { "start", 1, 0 }, { "wall-ns", 1, 0 }, { "task-clock-ns", 1, 0 },
	{ "user-ns", 2, 0 }, { "sys-ns", 2, 0 }, { "samples", 1, 1 }, { "lost", 1, 0 },
	{ "throttled", 1, 0 }, { "exit-status", 1, 0 }, { "callchain", 1, 0 }, { "kernel", 2, 0 },
	{ "off-cpu", 2, 0 }, { "off-lost-ns", 2, 0 },
};
#define LP_NHEADER (sizeof(header_keys) / sizeof(header_keys[0]))

typedef struct lp_reader {
	const char *path;
	unsigned long lineno;
	char *tok[LP_MAX_STACK + 8];
	int ntok;
	lp_error *err;
	int version;
	unsigned char seen[LP_NHEADER];
	int data;                          /* a data record came: no header record after it */
	uint64_t declared;                 /* the samples record */
	uint64_t event_total[LP_MAX_EVENTS];
	size_t nstack_defs;                /* version 2: stacks defined so far */
	uint32_t *stack_of_def;            /* definition index -> profile stack */
} lp_reader;

static int bad(lp_reader *r, const char *what)
{
	return lp_error_set(r->err, LP_EFAIL,
			    "lineprof: %s:%lu: corrupt profile: %s (record it again)", r->path,
			    r->lineno, what);
}

/*
 * Fields are separated by spaces (runs of them are one separator); the line
 * is len bytes, the last of them '\n', none of them NUL.
 */
static int split(lp_reader *r, char *line, size_t len)
{
	char *s = line, *end = line + len - 1;

	*end = '\0';
	r->ntok = 0;
	for (;;) {
		while (*s == ' ')
			*s++ = '\0';
		if (s >= end)
			return 0;
		if (r->ntok == (int)(sizeof(r->tok) / sizeof(r->tok[0])))
			return bad(r, "too many fields");
		r->tok[r->ntok++] = s;
		while (*s && *s != ' ')
			s++;
	}
}

/* Decimal or hexadecimal digits only, no sign, no overflow: strtoull was the reader's hot spot. */
static int parse_u64(lp_reader *r, const char *s, int base, uint64_t *out)
{
	const char *start = s;
	uint64_t v = 0;
	unsigned d;

	if (!*s)
		return bad(r, "expected a number");
	/* Up to 19 decimal digits cannot overflow: the common case, checked cheaply. */
	if (base == 10) {
		for (; (unsigned)(*s - '0') < 10 && s - start < 19; s++)
			v = v * 10 + (unsigned)(*s - '0');
		if (!*s) {
			*out = v;
			return 0;
		}
	}
	for (; *s; s++) {
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			return bad(r, "expected a number");
		if (__builtin_mul_overflow(v, (uint64_t)base, &v) || __builtin_add_overflow(v, d, &v))
			return bad(r, "expected a number");
	}
	*out = v;
	return 0;
}

static int parse_i64(lp_reader *r, const char *s, int64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	if (!*s || errno || *end)
		return bad(r, "expected a number");
	return 0;
}

static int parse_int(lp_reader *r, const char *s, int lo, int hi, int *out)
{
	int64_t v;

	if (parse_i64(r, s, &v))
		return -1;
	if (v < lo || v > hi)
		return bad(r, "number out of range");
	*out = (int)v;
	return 0;
}

/* Decodes in place; "-" is the empty string. */
static int parse_str(lp_reader *r, char *s)
{
	char *o = s;

	if (strcmp(s, "-") == 0) {
		*s = '\0';
		return 0;
	}
	for (; *s; s++) {
		unsigned v;

		if (*s != '%') {
			*o++ = *s;
			continue;
		}
		if (sscanf(s + 1, "%2x", &v) != 1 || !s[1] || !s[2] || v == 0)
			return bad(r, "bad %-escape in a string");
		*o++ = (char)v;
		s += 2;
	}
	*o = '\0';
	return 0;
}

/* A decoded string, NULL for the empty one. */
static int parse_opt_str(lp_reader *r, char *s, const char **out)
{
	if (parse_str(r, s))
		return -1;
	*out = *s ? s : NULL;
	return 0;
}

static int parse_loc(lp_reader *r, const lp_profile *p, const char *s, lp_loc *loc)
{
	const char *colon = strchr(s, ':');
	char mod[24];
	uint64_t m;

	if (!colon || colon == s || (size_t)(colon - s) >= sizeof(mod))
		return bad(r, "expected MODULE:OFFSET");
	memcpy(mod, s, (size_t)(colon - s));
	mod[colon - s] = '\0';
	memset(loc, 0, sizeof(*loc));
	if (parse_u64(r, colon + 1, 16, &loc->offset))
		return -1;
	if (strcmp(mod, "-") == 0) {
		loc->module = LP_MODULE_NONE;
		return 0;
	}
	if (parse_u64(r, mod, 10, &m))
		return -1;
	if (m >= p->nmodules)
		return bad(r, "module index out of range");
	loc->module = (uint32_t)m;
	return 0;
}

/* A context index, "-" for none; out of range is an error. */
static int parse_ctx(lp_reader *r, const lp_profile *p, const char *s, uint32_t *ctx)
{
	uint64_t v;

	if (strcmp(s, "-") == 0) {
		*ctx = LP_CTX_NONE;
		return 0;
	}
	if (parse_u64(r, s, 10, &v))
		return -1;
	if (v >= p->ncontexts)
		return bad(r, "context index out of range");
	*ctx = (uint32_t)v;
	return 0;
}

static int want(lp_reader *r, int n)
{
	return r->ntok == n ? 0 : bad(r, "wrong number of fields");
}

/* SAMPLES VALUE... [SYS_SAMPLES SYS_VALUE OFF_COUNT OFF_BLOCKED OFF_RUNNABLE] from tok[at]. */
static int counts_fields(const lp_reader *r, const lp_profile *p)
{
	return 1 + p->nevents + (r->version >= 2 ? 3 + LP_NOFF : 0);
}

static int parse_counts(lp_reader *r, const lp_profile *p, int at, lp_counts *c)
{
	int k = at;

	memset(c, 0, sizeof(*c));
	if (parse_u64(r, r->tok[k++], 10, &c->samples))
		return -1;
	for (int e = 0; e < p->nevents; e++)
		if (parse_u64(r, r->tok[k++], 10, &c->value[e]))
			return -1;
	if (r->version < 2)
		return 0;
	if (parse_u64(r, r->tok[k++], 10, &c->sys_samples) ||
	    parse_u64(r, r->tok[k++], 10, &c->sys_value) ||
	    parse_u64(r, r->tok[k++], 10, &c->off_count))
		return -1;
	for (int i = 0; i < LP_NOFF; i++)
		if (parse_u64(r, r->tok[k++], 10, &c->off_ns[i]))
			return -1;
	return 0;
}

static int added(lp_reader *r, int rc)
{
	if (rc == -2)
		return bad(r, "counts overflow 64 bits");
	return rc ? bad(r, "out of memory") : 0;
}

static int parse_header(lp_reader *r, lp_profile *p, size_t k)
{
	const char *key = header_keys[k].name;
	uint64_t u;
	int64_t v;

	if (want(r, 2))
		return -1;
	if (header_keys[k].since > r->version)
		return bad(r, "unknown record for this format version");
	if (r->seen[k])
		return bad(r, "header record given twice");
	if (r->data)
		return bad(r, "header record after data records");
	r->seen[k] = 1;
	if (strcmp(key, "command") == 0) {
		if (parse_str(r, r->tok[1]))
			return -1;
		free(p->command);
		p->command = strdup(r->tok[1]);
		return p->command ? 0 : bad(r, "out of memory");
	}
	if (strcmp(key, "start") == 0)
		return parse_i64(r, r->tok[1], &p->start_time);
	if (strcmp(key, "exit-status") == 0) {
		if (parse_i64(r, r->tok[1], &v))
			return -1;
		if (v < -1 || v > 0xffff)
			return bad(r, "exit status out of range");
		p->exit_status = (int)v;
		return 0;
	}
	if (strcmp(key, "callchain") == 0)
		return parse_int(r, r->tok[1], 0, 2, &p->callchain);
	if (strcmp(key, "kernel") == 0)
		return parse_int(r, r->tok[1], 0, 1, &p->kernel);
	if (strcmp(key, "off-cpu") == 0)
		return parse_int(r, r->tok[1], 0, 1, &p->off_cpu);
	if (parse_u64(r, r->tok[1], 10, &u))
		return -1;
	if (strcmp(key, "wall-ns") == 0)
		p->wall_ns = u;
	else if (strcmp(key, "task-clock-ns") == 0)
		p->task_clock_ns = u;
	else if (strcmp(key, "user-ns") == 0)
		p->user_ns = u;
	else if (strcmp(key, "sys-ns") == 0)
		p->sys_ns = u;
	else if (strcmp(key, "samples") == 0)
		r->declared = u;
	else if (strcmp(key, "lost") == 0)
		p->lost = u;
	else if (strcmp(key, "throttled") == 0)
		p->throttled = u;
	else if (strcmp(key, "off-lost-ns") == 0)
		p->off_lost_ns = u;
	return 0;
}

static int parse_event(lp_reader *r, lp_profile *p)
{
	lp_event_info *e;
	uint64_t idx = 0;

	if (want(r, 7) || parse_u64(r, r->tok[1], 10, &idx))
		return -1;
	if (idx != (uint64_t)p->nevents || idx >= LP_MAX_EVENTS)
		return bad(r, "events out of order or too many");
	if (p->naddrs || p->nstacks)
		return bad(r, "event after addr or stack records");
	e = &p->events[p->nevents];
	if (parse_u64(r, r->tok[2], 10, &e->freq) || parse_u64(r, r->tok[3], 10, &e->period) ||
	    parse_u64(r, r->tok[4], 10, &r->event_total[idx]) || parse_str(r, r->tok[5]) ||
	    parse_str(r, r->tok[6]))
		return -1;
	if (strlen(r->tok[5]) >= LP_EVENT_NAME_MAX || strlen(r->tok[6]) >= LP_EVENT_NAME_MAX)
		return bad(r, "event name too long");
	strcpy(e->name, r->tok[5]);
	strcpy(e->measured, r->tok[6]);
	e->total = 0; /* re-summed from the addr records, checked at the end */
	p->nevents++;
	return 0;
}

static int parse_build_id(lp_reader *r, const char *hex, unsigned char *bid, size_t *blen)
{
	size_t n = strlen(hex);

	*blen = 0;
	if (strcmp(hex, "-") == 0)
		return 0;
	if (n % 2 || n / 2 > LP_BUILD_ID_MAX)
		return bad(r, "bad build-id");
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;

		if (!strchr("0123456789abcdef", hex[2 * i]) ||
		    !strchr("0123456789abcdef", hex[2 * i + 1]) ||
		    sscanf(hex + 2 * i, "%2x", &v) != 1)
			return bad(r, "bad build-id");
		bid[i] = (unsigned char)v;
	}
	*blen = n / 2;
	return 0;
}

/* v1: module INDEX BUILDID PATH; v2: module INDEX BUILDID SIZE MTIME-NS CODE-HASH PATH. */
static int parse_module(lp_reader *r, lp_profile *p)
{
	unsigned char bid[LP_BUILD_ID_MAX];
	int v2 = r->version >= 2, at = v2 ? 6 : 3;
	uint64_t idx, size = 0, hash = 0;
	int64_t mtime = 0, m;
	size_t blen;

	if (want(r, at + 1) || parse_u64(r, r->tok[1], 10, &idx) ||
	    parse_build_id(r, r->tok[2], bid, &blen))
		return -1;
	if (idx != p->nmodules)
		return bad(r, "modules out of order");
	if (v2 && (parse_u64(r, r->tok[3], 10, &size) || parse_i64(r, r->tok[4], &mtime) ||
		   parse_u64(r, r->tok[5], 16, &hash)))
		return -1;
	if (parse_str(r, r->tok[at]))
		return -1;
	if (!*r->tok[at])
		return bad(r, "empty module path");
	m = lp_profile_module(p, r->tok[at], bid, blen);
	if (m < 0)
		return bad(r, "out of memory");
	if ((uint64_t)m != idx)
		return bad(r, "duplicate module");
	p->modules[m].file_size = size;
	p->modules[m].mtime_ns = mtime;
	p->modules[m].code_hash = hash;
	return 0;
}

/* context INDEX KIND PARENT ID NAME RANK SIZE HOST JOB STEP LAUNCHER START */
static int parse_context(lp_reader *r, lp_profile *p)
{
	lp_identity id = { 0 };
	const char *name;
	uint32_t parent = LP_CTX_NONE;
	uint64_t idx;
	int64_t tid, rank, size;
	int kind;

	if (r->version < 2)
		return bad(r, "unknown record for this format version");
	if (want(r, 13) || parse_u64(r, r->tok[1], 10, &idx))
		return -1;
	if (idx != p->ncontexts)
		return bad(r, "contexts out of order");
	if (strcmp(r->tok[2], "process") == 0)
		kind = LP_CTX_PROCESS;
	else if (strcmp(r->tok[2], "thread") == 0)
		kind = LP_CTX_THREAD;
	else
		return bad(r, "context kind must be process or thread");
	if (parse_ctx(r, p, r->tok[3], &parent) || parse_i64(r, r->tok[4], &tid) ||
	    parse_opt_str(r, r->tok[5], &name) || parse_i64(r, r->tok[6], &rank) ||
	    parse_i64(r, r->tok[7], &size) || parse_opt_str(r, r->tok[8], &id.host) ||
	    parse_opt_str(r, r->tok[9], &id.job) || parse_opt_str(r, r->tok[10], &id.step) ||
	    parse_opt_str(r, r->tok[11], &id.launcher) || parse_i64(r, r->tok[12], &id.start_time))
		return -1;
	if ((kind == LP_CTX_THREAD) != (parent != LP_CTX_NONE) ||
	    (parent != LP_CTX_NONE && p->contexts[parent].kind != LP_CTX_PROCESS))
		return bad(r, "a thread's parent must be a process, and a process has none");
	if (rank < -1 || rank > INT32_MAX || size < -1 || size > INT32_MAX)
		return bad(r, "rank or size out of range");
	id.rank = (int)rank;
	id.size = (int)size;
	if (lp_profile_add_context(p, kind, parent, tid, name) != (int64_t)idx ||
	    (kind == LP_CTX_PROCESS && lp_profile_set_identity(p, (uint32_t)idx, &id)))
		return bad(r, "out of memory");
	return 0;
}

/* v1: addr LOC COUNTS; v2: addr CTX LOC COUNTS. */
static int parse_addr(lp_reader *r, lp_profile *p)
{
	int at = r->version >= 2 ? 2 : 1;
	uint32_t ctx = LP_CTX_NONE;
	lp_counts c;
	lp_loc loc;

	if (want(r, at + 1 + counts_fields(r, p)) ||
	    (at == 2 && parse_ctx(r, p, r->tok[1], &ctx)) || parse_loc(r, p, r->tok[at], &loc) ||
	    parse_counts(r, p, at + 1, &c))
		return -1;
	return added(r, lp_profile_add_entry(p, ctx, loc, &c));
}

static int parse_frames(lp_reader *r, const lp_profile *p, int at, uint64_t depth,
			lp_loc *frames)
{
	if (depth == 0 || depth > LP_MAX_STACK || depth != (uint64_t)(r->ntok - at))
		return bad(r, "stack depth does not match its frames");
	for (uint64_t d = 0; d < depth; d++)
		if (parse_loc(r, p, r->tok[at + d], &frames[d]))
			return -1;
	return 0;
}

/* v1: stack SAMPLES VALUE0 DEPTH LOC...: frames and counts in one record. */
static int parse_stack_v1(lp_reader *r, lp_profile *p)
{
	lp_loc frames[LP_MAX_STACK];
	lp_counts c = { 0 };
	uint64_t depth;

	if (r->ntok < 4)
		return bad(r, "wrong number of fields");
	if (parse_u64(r, r->tok[1], 10, &c.samples) || parse_u64(r, r->tok[2], 10, &c.value[0]) ||
	    parse_u64(r, r->tok[3], 10, &depth) || parse_frames(r, p, 4, depth, frames))
		return -1;
	return added(r, lp_profile_add_stack(p, LP_CTX_NONE, frames, (uint32_t)depth, &c));
}

/*
 * v2: stack INDEX DEPTH LOC... defines a stack; scount CTX INDEX COUNTS adds
 * to it. Two definitions with the same frames are one stack.
 */
static int parse_stack(lp_reader *r, lp_profile *p)
{
	lp_loc frames[LP_MAX_STACK];
	uint64_t idx, depth;
	int64_t stack;
	uint32_t *n;

	if (r->version < 2)
		return parse_stack_v1(r, p);
	if (r->ntok < 4 || parse_u64(r, r->tok[1], 10, &idx) || parse_u64(r, r->tok[2], 10, &depth))
		return r->ntok < 4 ? bad(r, "wrong number of fields") : -1;
	if (idx != r->nstack_defs)
		return bad(r, "stacks out of order");
	if (parse_frames(r, p, 3, depth, frames))
		return -1;
	if (r->nstack_defs % 256 == 0) {
		n = realloc(r->stack_of_def, (r->nstack_defs + 256) * sizeof(*n));
		if (!n)
			return bad(r, "out of memory");
		r->stack_of_def = n;
	}
	stack = lp_profile_stack(p, frames, (uint32_t)depth);
	if (stack < 0)
		return bad(r, "out of memory");
	r->stack_of_def[r->nstack_defs++] = (uint32_t)stack;
	return 0;
}

static int parse_scount(lp_reader *r, lp_profile *p)
{
	uint32_t ctx = LP_CTX_NONE;
	uint64_t idx;
	lp_counts c;

	if (r->version < 2)
		return bad(r, "unknown record for this format version");
	if (want(r, 3 + counts_fields(r, p)) || parse_ctx(r, p, r->tok[1], &ctx) ||
	    parse_u64(r, r->tok[2], 10, &idx))
		return -1;
	if (idx >= r->nstack_defs)
		return bad(r, "stack index out of range");
	if (parse_counts(r, p, 3, &c))
		return -1;
	return added(r, lp_profile_add_stack_entry(p, ctx, r->stack_of_def[idx], &c));
}

static int parse_hit(lp_reader *r, lp_profile *p)
{
	uint64_t count = 0;
	lp_loc loc;

	if (want(r, 3) || parse_loc(r, p, r->tok[1], &loc) || parse_u64(r, r->tok[2], 10, &count))
		return -1;
	return added(r, lp_profile_add_hits(p, loc, count));
}

static int parse_line(lp_reader *r, lp_profile *p)
{
	static const struct {
		const char *key;
		int (*parse)(lp_reader *, lp_profile *);
	} data[] = {
		/* The most frequent first: a merged job has millions of addr and scount records. */
		{ "addr", parse_addr },   { "scount", parse_scount }, { "stack", parse_stack },
		{ "hit", parse_hit },     { "context", parse_context }, { "module", parse_module },
		{ "event", parse_event },
	};
	const char *key = r->tok[0];

	for (size_t i = 0; i < sizeof(data) / sizeof(data[0]); i++) {
		if (strcmp(key, data[i].key) == 0) {
			r->data = 1;
			return data[i].parse(r, p);
		}
	}
	for (size_t k = 0; k < LP_NHEADER; k++)
		if (strcmp(key, header_keys[k].name) == 0)
			return parse_header(r, p, k);
	return bad(r, "unknown record");
}

static int check_magic(lp_reader *r, char *line, size_t len)
{
	uint64_t version;

	if (split(r, line, len) || r->ntok != 2 || strcmp(r->tok[0], LP_MAGIC) != 0)
		return lp_error_set(r->err, LP_EFAIL,
				    "lineprof: %s is not a lineprof profile (no '%s' header)",
				    r->path, LP_MAGIC);
	if (parse_u64(r, r->tok[1], 10, &version))
		return -1;
	if (version < 1 || version > LP_FORMAT_VERSION)
		return lp_error_set(r->err, LP_EFAIL,
				    "lineprof: %s: profile format version %" PRIu64
				    " is not supported by this lineprof (it reads versions 1 to %d): "
				    "use the lineprof that wrote it, or record again",
				    r->path, version, LP_FORMAT_VERSION);
	r->version = (int)version;
	return 0;
}

/* After 'end': what the header declared must be what the records add up to. */
static int check_sums(lp_reader *r, lp_profile *p)
{
	for (size_t k = 0; k < LP_NHEADER; k++)
		if (header_keys[k].required && header_keys[k].since <= r->version && !r->seen[k])
			return lp_error_set(r->err, LP_EFAIL,
					    "lineprof: %s: corrupt profile: no '%s' record (record it again)",
					    r->path, header_keys[k].name);
	if (r->declared != p->samples)
		return lp_error_set(r->err, LP_EFAIL,
				    "lineprof: %s: corrupt profile: header says %" PRIu64
				    " samples, records add up to %" PRIu64 " (record it again)",
				    r->path, r->declared, p->samples);
	for (int e = 0; e < p->nevents; e++)
		if (r->event_total[e] != p->events[e].total)
			return lp_error_set(r->err, LP_EFAIL,
					    "lineprof: %s: corrupt profile: event %d's total is %" PRIu64
					    ", its records add up to %" PRIu64 " (record it again)",
					    r->path, e, r->event_total[e], p->events[e].total);
	return 0;
}

/* The parser proper, on any stream: a file or a buffer (lp_profile_load_mem). */
static lp_profile *load_stream(FILE *f, const char *path, lp_error *err)
{
	lp_reader r = { .path = path, .err = err };
	lp_profile *p;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int ended = 0, rc = 0;

	p = lp_profile_new();
	if (!p) {
		lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
		return NULL;
	}
	while (rc == 0 && (len = getline(&line, &cap, f)) != -1) {
		r.lineno++;
		/* A NUL inside a line would hide the rest of it from the parser. */
		if (len == 0 || line[len - 1] != '\n' || strlen(line) != (size_t)len) {
			rc = bad(&r, len > 0 && line[len - 1] == '\n' ? "NUL byte in a line" : "truncated line");
			break;
		}
		if (r.lineno == 1) {
			rc = check_magic(&r, line, (size_t)len);
			continue;
		}
		if (ended) {
			rc = bad(&r, "data after 'end'");
			break;
		}
		if (line[0] == '#')
			continue;
		if (split(&r, line, (size_t)len))
			rc = -1;
		else if (r.ntok == 1 && strcmp(r.tok[0], "end") == 0)
			ended = 1;
		else if (r.ntok == 0)
			rc = bad(&r, "empty line");
		else
			rc = parse_line(&r, p);
	}
	free(line);
	if (rc == 0 && ferror(f))
		rc = lp_error_set(err, LP_EFAIL, "lineprof: cannot read profile %s: %s", path,
				  strerror(errno));
	if (rc == 0 && r.lineno == 0)
		rc = lp_error_set(err, LP_EFAIL, "lineprof: %s is empty, not a lineprof profile", path);
	if (rc == 0 && !ended)
		rc = lp_error_set(err, LP_EFAIL,
				  "lineprof: %s is truncated (no 'end' record after line %lu): record it again",
				  path, r.lineno);
	if (rc == 0)
		rc = check_sums(&r, p);
	free(r.stack_of_def);
	if (rc == 0)
		p->version = r.version;
	if (rc != 0) {
		lp_profile_free(p);
		return NULL;
	}
	return p;
}

lp_profile *lp_profile_load(const char *path, lp_error *err)
{
	FILE *f = fopen(path, "r");
	lp_profile *p;

	if (!f) {
		lp_error_set(err, LP_EFAIL, "lineprof: cannot read profile %s: %s", path,
			     strerror(errno));
		return NULL;
	}
	p = load_stream(f, path, err);
	fclose(f);
	return p;
}

lp_profile *lp_profile_load_mem(const void *data, size_t size, const char *name, lp_error *err)
{
	FILE *f;
	lp_profile *p;

	if (size == 0) {
		lp_error_set(err, LP_EFAIL, "lineprof: %s is empty, not a lineprof profile", name);
		return NULL;
	}
	/* Mode "r": fmemopen only reads through the pointer it is given. */
	f = fmemopen((void *)(uintptr_t)data, size, "r");
	if (!f) {
		lp_error_set(err, LP_EFAIL, "lineprof: cannot read profile %s: %s", name,
			     strerror(errno));
		return NULL;
	}
	p = load_stream(f, name, err);
	fclose(f);
	return p;
}
