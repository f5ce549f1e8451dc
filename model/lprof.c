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

static void put_loc(FILE *f, lp_loc loc)
{
	if (loc.module == LP_MODULE_NONE)
		fprintf(f, "-:%" PRIx64, loc.offset);
	else
		fprintf(f, "%" PRIu32 ":%" PRIx64, loc.module, loc.offset);
}

static void write_body(const lp_profile *p, FILE *f)
{
	fprintf(f, "%s %d\n", LP_MAGIC, LP_FORMAT_VERSION);
	fputs("command ", f);
	put_str(f, p->command);
	fprintf(f, "\nstart %" PRId64 "\nwall-ns %" PRIu64 "\ntask-clock-ns %" PRIu64
		"\nsamples %" PRIu64 "\nlost %" PRIu64 "\nthrottled %" PRIu64
		"\nexit-status %d\ncallchain %d\n",
		p->start_time, p->wall_ns, p->task_clock_ns, p->samples, p->lost,
		p->throttled, p->exit_status, p->callchain);
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
		fputc(' ', f);
		put_str(f, m->path);
		/* No build-id: size, mtime, code hash; left out when unknown (older readers take those lines). */
		if (m->file_size || m->code_hash)
			fprintf(f, " %" PRIu64 " %" PRId64 " %" PRIx64, m->file_size, m->mtime_ns,
				m->code_hash);
		fputc('\n', f);
	}
	for (size_t i = 0; i < p->naddrs; i++) {
		const lp_addr *a = &p->addrs[i];

		fputs("addr ", f);
		put_loc(f, a->loc);
		fprintf(f, " %" PRIu64, a->samples);
		for (int e = 0; e < p->nevents; e++)
			fprintf(f, " %" PRIu64, a->value[e]);
		fputc('\n', f);
	}
	for (size_t i = 0; i < p->nstacks; i++) {
		const lp_stack *s = &p->stacks[i];

		fprintf(f, "stack %" PRIu64 " %" PRIu64 " %" PRIu32, s->samples, s->value0,
			s->depth);
		for (uint32_t d = 0; d < s->depth; d++) {
			fputc(' ', f);
			put_loc(f, p->frames[s->first + d]);
		}
		fputc('\n', f);
	}
	for (size_t i = 0; i < p->nhits; i++) {
		fputs("hit ", f);
		put_loc(f, p->hits[i].loc);
		fprintf(f, " %" PRIu64 "\n", p->hits[i].count);
	}
	fputs("end\n", f);
}

/* Through lp_output (lineprof/output.h): a unique temporary, fsync, rename; never through a symlink. */
int lp_profile_save(const lp_profile *p, const char *path, lp_error *err)
{
	lp_output out;
	int rc = lp_output_open(&out, path, err);

	if (rc != LP_OK)
		return rc;
	write_body(p, out.f);
	return lp_output_commit(&out, err);
}

/* ---- reading ---- */

typedef struct lp_reader {
	const char *path;
	unsigned long lineno;
	char *tok[LP_MAX_STACK + 8];
	int ntok;
	lp_error *err;
} lp_reader;

static int bad(lp_reader *r, const char *what)
{
	return lp_error_set(r->err, LP_EFAIL,
			    "lineprof: %s:%lu: corrupt profile: %s (record it again)", r->path,
			    r->lineno, what);
}

static int split(lp_reader *r, char *line)
{
	char *save = NULL;

	r->ntok = 0;
	for (char *t = strtok_r(line, " \n", &save); t; t = strtok_r(NULL, " \n", &save)) {
		if (r->ntok == (int)(sizeof(r->tok) / sizeof(r->tok[0])))
			return bad(r, "too many fields");
		r->tok[r->ntok++] = t;
	}
	return 0;
}

static int parse_u64(lp_reader *r, const char *s, int base, uint64_t *out)
{
	char *end;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return bad(r, "expected a number");
	errno = 0;
	*out = strtoull(s, &end, base);
	if (errno || *end)
		return bad(r, "expected a number");
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

static int want(lp_reader *r, int n)
{
	return r->ntok == n ? 0 : bad(r, "wrong number of fields");
}

static int parse_header_field(lp_reader *r, lp_profile *p, const char *key)
{
	struct { const char *name; uint64_t *dst; } u64s[] = {
		{ "wall-ns", &p->wall_ns },       { "task-clock-ns", &p->task_clock_ns },
		{ "lost", &p->lost },
		{ "throttled", &p->throttled },
	};
	int64_t v;

	if (want(r, 2))
		return -1;
	for (size_t i = 0; i < sizeof(u64s) / sizeof(u64s[0]); i++)
		if (strcmp(key, u64s[i].name) == 0)
			return parse_u64(r, r->tok[1], 10, u64s[i].dst);
	if (strcmp(key, "command") == 0) {
		if (parse_str(r, r->tok[1]))
			return -1;
		free(p->command);
		p->command = strdup(r->tok[1]);
		return p->command ? 0 : bad(r, "out of memory");
	}
	if (parse_i64(r, r->tok[1], &v))
		return -1;
	if (strcmp(key, "start") == 0)
		p->start_time = v;
	else if (strcmp(key, "exit-status") == 0)
		p->exit_status = (int)v;
	else if (strcmp(key, "callchain") == 0)
		p->callchain = v == 2 ? 2 : v != 0; /* 2: --call-graph=dwarf; older readers see 1 */
	else
		return bad(r, "unknown record");
	return 0;
}

static int parse_event(lp_reader *r, lp_profile *p)
{
	lp_event_info *e;
	uint64_t idx;

	if (want(r, 7) || parse_u64(r, r->tok[1], 10, &idx))
		return -1;
	if (idx != (uint64_t)p->nevents || idx >= LP_MAX_EVENTS)
		return bad(r, "events out of order or too many");
	if (p->naddrs)
		return bad(r, "event after addr records");
	e = &p->events[p->nevents];
	if (parse_u64(r, r->tok[2], 10, &e->freq) || parse_u64(r, r->tok[3], 10, &e->period) ||
	    parse_u64(r, r->tok[4], 10, &e->total) || parse_str(r, r->tok[5]) ||
	    parse_str(r, r->tok[6]))
		return -1;
	if (strlen(r->tok[5]) >= LP_EVENT_NAME_MAX || strlen(r->tok[6]) >= LP_EVENT_NAME_MAX)
		return bad(r, "event name too long");
	strcpy(e->name, r->tok[5]);
	strcpy(e->measured, r->tok[6]);
	e->total = 0; /* re-summed from the addr records */
	p->nevents++;
	return 0;
}

static int parse_module(lp_reader *r, lp_profile *p)
{
	unsigned char bid[LP_BUILD_ID_MAX];
	size_t blen = 0;
	uint64_t idx;
	const char *hex;

	if (r->ntok != 7 && want(r, 4))
		return -1;
	if (parse_u64(r, r->tok[1], 10, &idx))
		return -1;
	if (idx != p->nmodules)
		return bad(r, "modules out of order");
	hex = r->tok[2];
	if (strcmp(hex, "-") != 0) {
		size_t n = strlen(hex);

		if (n % 2 || n / 2 > LP_BUILD_ID_MAX)
			return bad(r, "bad build-id");
		for (size_t i = 0; i < n / 2; i++) {
			unsigned v;

			if (sscanf(hex + 2 * i, "%2x", &v) != 1 || !strchr("0123456789abcdef", hex[2 * i]) ||
			    !strchr("0123456789abcdef", hex[2 * i + 1]))
				return bad(r, "bad build-id");
			bid[i] = (unsigned char)v;
		}
		blen = n / 2;
	}
	if (parse_str(r, r->tok[3]))
		return -1;
	if (!*r->tok[3])
		return bad(r, "empty module path");
	if (lp_profile_module(p, r->tok[3], bid, blen) != (int64_t)idx)
		return bad(r, "duplicate module");
	if (r->ntok == 7) {
		lp_module *m = &p->modules[idx];

		if (parse_u64(r, r->tok[4], 10, &m->file_size) || parse_i64(r, r->tok[5], &m->mtime_ns) ||
		    parse_u64(r, r->tok[6], 16, &m->code_hash))
			return -1;
	}
	return 0;
}

static int parse_addr(lp_reader *r, lp_profile *p)
{
	uint64_t samples, values[LP_MAX_EVENTS] = { 0 };
	lp_loc loc;

	if (want(r, 3 + p->nevents) || parse_loc(r, p, r->tok[1], &loc) ||
	    parse_u64(r, r->tok[2], 10, &samples))
		return -1;
	for (int e = 0; e < p->nevents; e++)
		if (parse_u64(r, r->tok[3 + e], 10, &values[e]))
			return -1;
	if (lp_profile_add_sample(p, loc, samples, values))
		return bad(r, "out of memory");
	return 0;
}

static int parse_stack(lp_reader *r, lp_profile *p)
{
	lp_loc frames[LP_MAX_STACK];
	uint64_t samples, value0, depth;

	if (r->ntok < 4 || parse_u64(r, r->tok[1], 10, &samples) ||
	    parse_u64(r, r->tok[2], 10, &value0) || parse_u64(r, r->tok[3], 10, &depth))
		return r->ntok < 4 ? bad(r, "wrong number of fields") : -1;
	if (depth == 0 || depth > LP_MAX_STACK || (int)depth != r->ntok - 4)
		return bad(r, "stack depth does not match its frames");
	for (uint64_t d = 0; d < depth; d++)
		if (parse_loc(r, p, r->tok[4 + d], &frames[d]))
			return -1;
	if (lp_profile_add_stack(p, frames, (uint32_t)depth, samples, value0))
		return bad(r, "out of memory");
	return 0;
}

static int parse_hit(lp_reader *r, lp_profile *p)
{
	uint64_t count;
	lp_loc loc;

	if (want(r, 3) || parse_loc(r, p, r->tok[1], &loc) || parse_u64(r, r->tok[2], 10, &count))
		return -1;
	return lp_profile_add_hits(p, loc, count) ? bad(r, "out of memory") : 0;
}

static int parse_line(lp_reader *r, lp_profile *p, uint64_t *declared)
{
	const char *key = r->tok[0];
	if (strcmp(key, "event") == 0)
		return parse_event(r, p);
	if (strcmp(key, "module") == 0)
		return parse_module(r, p);
	if (strcmp(key, "addr") == 0)
		return parse_addr(r, p);
	if (strcmp(key, "stack") == 0)
		return parse_stack(r, p);
	if (strcmp(key, "hit") == 0)
		return parse_hit(r, p);
	/* The total is re-summed from the addr records and checked against this at the end. */
	if (strcmp(key, "samples") == 0)
		return want(r, 2) ? -1 : parse_u64(r, r->tok[1], 10, declared);
	return parse_header_field(r, p, key);
}

static int check_magic(lp_reader *r, char *line)
{
	uint64_t version;

	if (split(r, line) || r->ntok != 2 || strcmp(r->tok[0], LP_MAGIC) != 0)
		return lp_error_set(r->err, LP_EFAIL,
				    "lineprof: %s is not a lineprof profile (no '%s' header)",
				    r->path, LP_MAGIC);
	if (parse_u64(r, r->tok[1], 10, &version))
		return -1;
	if (version != LP_FORMAT_VERSION)
		return lp_error_set(r->err, LP_EFAIL,
				    "lineprof: %s: profile format version %" PRIu64
				    " is not supported by this lineprof (it reads version %d): "
				    "use the lineprof that wrote it, or record again",
				    r->path, version, LP_FORMAT_VERSION);
	return 0;
}

/* The parser proper, on any stream: a file or a buffer (lp_profile_load_mem). */
static lp_profile *load_stream(FILE *f, const char *path, lp_error *err)
{
	lp_reader r = { .path = path, .err = err };
	uint64_t declared = UINT64_MAX;
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
			rc = check_magic(&r, line);
			continue;
		}
		if (ended) {
			rc = bad(&r, "data after 'end'");
			break;
		}
		if (line[0] == '#')
			continue;
		if (split(&r, line))
			rc = -1;
		else if (r.ntok == 1 && strcmp(r.tok[0], "end") == 0)
			ended = 1;
		else if (r.ntok == 0)
			rc = bad(&r, "empty line");
		else
			rc = parse_line(&r, p, &declared);
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
	if (rc == 0 && declared != p->samples)
		rc = lp_error_set(err, LP_EFAIL,
				  "lineprof: %s: corrupt profile: header says %" PRIu64
				  " samples, records add up to %" PRIu64,
				  path, declared == UINT64_MAX ? 0 : declared, p->samples);
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
