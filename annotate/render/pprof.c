/*
 * --pprof FILE: the profile as pprof reads it, a gzipped profile.proto
 * (encoded by protobuf-c from profile.proto, compressed by zlib), for
 * `pprof -top`, `-list`, `-disasm` and `-http`.
 *
 * pprof works on addresses, so this view reads the profile's locations
 * (module + file offset) and asks the report's symbolizer for their lines:
 *   mapping   one per module with samples, its path and build-id. Its
 *             addresses are base + file offset, the bases 64 GiB apart, so
 *             pprof finds the ELF address through the program headers as
 *             for any process (and objdump for -disasm). Every mapping spans
 *             all the profile's addresses: pprof (2021, Debian's) computes a
 *             file's base from the first address it is asked about, in
 *             random order, whichever mapping that address is in, and would
 *             otherwise refuse -disasm at random; a foreign address then
 *             falls 64 GiB away from the file's code, in no symbol;
 *   location  one per distinct address: the sampled one, or a return
 *             address minus one (inside the call); its lines are the chain
 *             of inlined frames, innermost first;
 *   function  name, system name, file and declaration line;
 *   sample    one per recorded stack (-g) or, without stacks, per address.
 * Sample types: "samples" (count), each event's value ("cpu" in nanoseconds
 * for the clock event, else the event's name, a count), "sys_samples" and
 * "sys" (kernel time on behalf of a line) when kernel samples were taken,
 * "off_cpu_blocked" and "off_cpu_runnable" (nanoseconds) when off-CPU time
 * was recorded, and "hits" (exact executions, --hits). Stacks carry all of
 * these but the counted events, which were read per sample, not per stack:
 * they come as leaf-only samples (flat, no callers), as do any counts a stack
 * does not cover; hits likewise. The default sample type is "samples", so
 * pprof's shares are lineprof's --functions shares.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "containers.h"
#include "elf_file.h"
#include "profile.pb-c.h"
#include "rows.h"

#ifndef LP_VERSION
#define LP_VERSION "unknown"
#endif

typedef Perftools__Profiles__Profile Profile;
typedef Perftools__Profiles__ValueType ValueType;
typedef Perftools__Profiles__Sample Sample;
typedef Perftools__Profiles__Mapping Mapping;
typedef Perftools__Profiles__Location Location;
typedef Perftools__Profiles__Line Line;
typedef Perftools__Profiles__Function Function;

typedef struct lp_pprof {
	const lp_report *rep;
	lp_keymap strmap, locmap, funcmap;
	char **strs;
	size_t nstrs, capstrs;
	Location *locs;
	size_t nlocs, caplocs;
	Line *lines;               /* the locations' lines, one array (indices until the end) */
	size_t nlines, caplines;
	size_t *loc_line0;         /* per location: its first line in lines */
	size_t caploc_line0;
	Function *funcs;
	size_t nfuncs, capfuncs;
	Sample *samples;
	size_t nsamples, capsamples;
	uint64_t *ids;             /* the samples' location ids, one array */
	size_t nids, capids;
	size_t *sample_id0;        /* per sample: its first id */
	size_t capsample_id0;
	int64_t *vals;             /* the samples' values, nvalues per sample */
	size_t capvals;
	int nvalues;
	char *used;                /* per module: it has a location */
	int oom;
} lp_pprof;

#define MODULE_BASE(m) (((uint64_t)(m) + 1) << 36)
#define MAP_START 0x1000ULL        /* below every base */
#define MAP_LIMIT (1ULL << 63)     /* above every address; pprof then finds .text's segment */

static int64_t str(lp_pprof *pp, const char *s)
{
	uint64_t h = 1469598103934665603ULL, key[3];
	size_t len = strlen(s);
	int added;
	long i;

	for (size_t k = 0; k < len; k++)
		h = (h ^ (unsigned char)s[k]) * 1099511628211ULL;
	key[0] = h;
	key[1] = len;
	key[2] = 0;
	/* Equal hashes of different strings chain through key[2]: a collision is never merged. */
	for (;; key[2]++) {
		i = lp_keymap_get(&pp->strmap, key, &added);
		if (i < 0) {
			pp->oom = 1;
			return 0;
		}
		if (added || strcmp(pp->strs[i], s) == 0)
			break;
	}
	if (!added)
		return i;
	if (LP_GROW(pp->strs, pp->nstrs, pp->capstrs) || !(pp->strs[pp->nstrs] = strdup(s))) {
		pp->oom = 1;
		return 0;
	}
	return (int64_t)pp->nstrs++;
}

static uint64_t function_id(lp_pprof *pp, const lp_frame *f)
{
	const char *file = f->decl_file ? f->decl_file : f->file;
	/* One Function per function (its identity), named as the views name it. */
	uint64_t key[3] = { (uintptr_t)f->fn, (uintptr_t)file, f->module };
	int added;
	long i = lp_keymap_get(&pp->funcmap, key, &added);
	Function *fn;

	if (i < 0 || (added && LP_GROW(pp->funcs, pp->nfuncs, pp->capfuncs))) {
		pp->oom = 1;
		return 0;
	}
	if (!added)
		return (uint64_t)i + 1;
	fn = &pp->funcs[pp->nfuncs++];
	perftools__profiles__function__init(fn);
	fn->id = (uint64_t)i + 1;
	fn->name = str(pp, lp_report_label(pp->rep, f->fn));
	/* pprof's system name: the symbol as in the binary, where there is one. */
	fn->system_name = f->fn->linkage ? str(pp, f->fn->linkage) : fn->name;
	fn->filename = str(pp, file ? file : "");
	fn->start_line = f->decl_file ? f->decl_line : 0;
	return fn->id;
}

/* The location of loc (a return address when is_return), added with its lines if new. */
static uint64_t location_id(lp_pprof *pp, lp_loc loc, int is_return)
{
	const lp_report *rep = pp->rep;
	uint64_t off = loc.offset - (is_return && loc.offset > 0 ? 1 : 0);
	int mapped = loc.module < rep->prof->nmodules;
	/*
	 * An address outside every module ([vdso], a frame-pointer walk's
	 * garbage such as 0) is put below the first base, inside every mapping's
	 * range: pprof computes a file's base from whichever address it meets
	 * first and fails for good if that one is outside the mapping.
	 */
	uint64_t addr = mapped ? MODULE_BASE(loc.module) + off
			       : MAP_START + off % (MODULE_BASE(0) - MAP_START);
	uint64_t key[3] = { loc.module, off, 0 };
	const lp_frame *fr;
	int added, n;
	long i = lp_keymap_get(&pp->locmap, key, &added);
	Location *l;

	if (i < 0 || (added && (LP_GROW(pp->locs, pp->nlocs, pp->caplocs) ||
				LP_GROW(pp->loc_line0, pp->nlocs, pp->caploc_line0)))) {
		pp->oom = 1;
		return 0;
	}
	if (!added)
		return (uint64_t)i + 1;
	l = &pp->locs[pp->nlocs];
	perftools__profiles__location__init(l);
	l->id = (uint64_t)i + 1;
	l->mapping_id = mapped ? (uint64_t)loc.module + 1 : 0;
	l->address = addr;
	if (mapped)
		pp->used[loc.module] = 1;
	pp->loc_line0[pp->nlocs] = pp->nlines;
	n = rep->sym.lookup(rep->sym.ctx, loc, is_return, &fr);
	for (int k = 0; k < n; k++) {
		if (LP_GROW(pp->lines, pp->nlines, pp->caplines)) {
			pp->oom = 1;
			return 0;
		}
		perftools__profiles__line__init(&pp->lines[pp->nlines]);
		pp->lines[pp->nlines].function_id = function_id(pp, &fr[k]);
		pp->lines[pp->nlines++].line = fr[k].file ? fr[k].line : 0;
	}
	l->n_line = (size_t)n;
	pp->nlocs++;
	return l->id;
}

/* One sample: its location ids go into ids, its values into vals. */
static int64_t *sample_add(lp_pprof *pp)
{
	Sample *s;

	if (LP_GROW(pp->samples, pp->nsamples, pp->capsamples) ||
	    LP_GROW(pp->sample_id0, pp->nsamples, pp->capsample_id0) ||
	    lp_grow((void **)&pp->vals, &pp->capvals, (pp->nsamples + 1) * (size_t)pp->nvalues,
		 sizeof(*pp->vals))) {
		pp->oom = 1;
		return NULL;
	}
	s = &pp->samples[pp->nsamples];
	perftools__profiles__sample__init(s);
	s->n_value = (size_t)pp->nvalues;
	pp->sample_id0[pp->nsamples] = pp->nids;
	memset(&pp->vals[pp->nsamples * (size_t)pp->nvalues], 0, (size_t)pp->nvalues * sizeof(*pp->vals));
	return &pp->vals[pp->nsamples++ * (size_t)pp->nvalues];
}

static void sample_loc(lp_pprof *pp, uint64_t id)
{
	if (!id || LP_GROW(pp->ids, pp->nids, pp->capids)) {
		pp->oom = 1;
		return;
	}
	pp->ids[pp->nids++] = id;
	pp->samples[pp->nsamples - 1].n_location_id++;
}

/*
 * The quantities a stack carries (lp_stack's counts): the samples, the
 * sampled event's value, the kernel's part and the time off the CPU. The
 * counted events are kept per address only.
 */
enum { Q_SAMPLES, Q_VALUE0, Q_SYS_SAMPLES, Q_SYS_VALUE, Q_OFF_BLOCKED, Q_OFF_RUNNABLE, NQ };

static void quantities(const lp_counts *c, uint64_t q[NQ])
{
	q[Q_SAMPLES] = c->samples;
	q[Q_VALUE0] = c->value[0];
	q[Q_SYS_SAMPLES] = c->sys_samples;
	q[Q_SYS_VALUE] = c->sys_value;
	q[Q_OFF_BLOCKED] = c->off_ns[LP_OFF_BLOCKED];
	q[Q_OFF_RUNNABLE] = c->off_ns[LP_OFF_RUNNABLE];
}

/* Where each value goes in a sample: qat[quantity], evat[event] (-1: not exported), hits_at. */
typedef struct lp_layout {
	int qat[NQ];
	int evat[LP_MAX_EVENTS];
	int hits_at;
} lp_layout;

/* The samples: per stack with -g, else per address; then what the stacks leave out. */
static void add_samples(lp_pprof *pp, const lp_layout *lay)
{
	const lp_profile *p = pp->rep->prof;
	int stacks = pp->rep->inclusive_from_stacks;
	uint64_t (*left)[NQ] = calloc(p->naddrs + 1, sizeof(*left));
	lp_keymap addr_of = { 0 };
	int added;

	if (!left)
		goto oom;
	for (size_t a = 0; a < p->naddrs; a++) {
		uint64_t key[3] = { p->addrs[a].loc.module, p->addrs[a].loc.offset, 0 };

		if (lp_keymap_get(&addr_of, key, &added) < 0)
			goto oom;
		quantities(&p->addrs[a].c, left[a]);
	}
	for (size_t s = 0; stacks && s < p->nstacks && !pp->oom; s++) {
		const lp_stack *st = &p->stacks[s];
		uint64_t q[NQ], key[3] = { 0, 0, 0 };
		int64_t *v;
		long a;

		quantities(&st->c, q);
		v = sample_add(pp);
		if (!v)
			break;
		for (int k = 0; k < NQ; k++)
			if (lay->qat[k] >= 0)
				v[lay->qat[k]] = (int64_t)q[k];
		for (uint32_t d = 0; d < st->depth; d++)
			sample_loc(pp, location_id(pp, p->frames[st->first + d], d > 0));
		if (!st->depth)
			continue;
		key[0] = p->frames[st->first].module;
		key[1] = p->frames[st->first].offset;
		a = lp_keymap_find(&addr_of, key);
		for (int k = 0; a >= 0 && k < NQ; k++)
			left[a][k] -= q[k] < left[a][k] ? q[k] : left[a][k];
	}
	for (size_t a = 0; a < p->naddrs && !pp->oom; a++) {
		const lp_addr *ad = &p->addrs[a];
		int64_t *v;
		int any = 0;

		for (int k = 0; k < NQ; k++)
			any |= lay->qat[k] >= 0 && left[a][k] != 0;
		for (int e = 1; e < p->nevents; e++)
			any |= ad->c.value[e] != 0;
		if (!any)
			continue;
		v = sample_add(pp);
		if (!v)
			break;
		for (int k = 0; k < NQ; k++)
			if (lay->qat[k] >= 0)
				v[lay->qat[k]] = (int64_t)left[a][k];
		for (int e = 1; e < p->nevents; e++)
			v[lay->evat[e]] = (int64_t)ad->c.value[e];
		sample_loc(pp, location_id(pp, ad->loc, 0));
	}
	for (size_t h = 0; lay->hits_at >= 0 && h < p->nhits && !pp->oom; h++) {
		int64_t *v = sample_add(pp);

		if (!v)
			break;
		v[lay->hits_at] = (int64_t)p->hits[h].count;
		sample_loc(pp, location_id(pp, p->hits[h].loc, 0));
	}
	lp_keymap_free(&addr_of);
	free(left);
	return;
oom:
	pp->oom = 1;
	lp_keymap_free(&addr_of);
	free(left);
}

static void value_type(lp_pprof *pp, ValueType *vt, const char *type, const char *unit)
{
	perftools__profiles__value_type__init(vt);
	vt->type = str(pp, type);
	vt->unit = str(pp, unit);
}

/* gzip of buf into out, through zlib (windowBits 16 + 15: the gzip wrapper). */
static int gzip_write(const uint8_t *buf, size_t len, FILE *out)
{
	unsigned char chunk[65536];
	z_stream z;
	int zrc;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	z.next_in = (unsigned char *)(uintptr_t)buf;
	z.avail_in = 0;
	do {
		/* avail_in is 32 bits: feed the buffer in pieces. */
		if (z.avail_in == 0 && len > 0) {
			size_t piece = len > (1u << 30) ? (1u << 30) : len;

			z.avail_in = (uInt)piece;
			len -= piece;
		}
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		zrc = deflate(&z, len == 0 && z.avail_in == 0 ? Z_FINISH : Z_NO_FLUSH);
		if (zrc == Z_STREAM_ERROR ||
		    fwrite(chunk, 1, sizeof(chunk) - z.avail_out, out) != sizeof(chunk) - z.avail_out) {
			deflateEnd(&z);
			return -1;
		}
	} while (zrc != Z_STREAM_END);
	deflateEnd(&z);
	return 0;
}

int lp_render_pprof(const lp_render_ctx *ctx, FILE *out, lp_error *err)
{
	const lp_report *rep = ctx->rep;
	const lp_profile *p = rep->prof;
	lp_pprof pp = { .rep = rep };
	ValueType types[6 + LP_MAX_EVENTS], *type_ptrs[6 + LP_MAX_EVENTS], period_type;
	int time_ev = lp_profile_time_event(p);
	lp_layout lay;
	Mapping *maps = calloc(p->nmodules + 1, sizeof(*maps));
	Mapping **map_ptrs = calloc(p->nmodules + 1, sizeof(*map_ptrs));
	Location **loc_ptrs = NULL;
	Function **func_ptrs = NULL;
	Sample **sample_ptrs = NULL;
	int64_t comments[2];
	Profile prof;
	uint8_t *buf = NULL;
	size_t len, nmaps = 0;
	int ntypes = 0, rc = LP_OK;
	char hex[2 * LP_BUILD_ID_MAX + 1];

	pp.used = calloc(p->nmodules + 1, 1);
	if (!maps || !map_ptrs || !pp.used)
		goto oom;
	perftools__profiles__profile__init(&prof);
	str(&pp, "");
	/* One sample type per quantity recorded: see the comment at the top. */
	memset(&lay, -1, sizeof(lay));
	lay.qat[Q_SAMPLES] = ntypes;
	value_type(&pp, &types[ntypes++], "samples", "count");
	for (int e = 0; e < p->nevents; e++) {
		const char *unit = e == time_ev ? "nanoseconds" : "count";

		if (e == 0)
			lay.qat[Q_VALUE0] = ntypes;
		else
			lay.evat[e] = ntypes;
		value_type(&pp, &types[ntypes++], e == time_ev ? "cpu" : p->events[e].measured, unit);
	}
	if (p->nevents > 0) {
		period_type = types[1];
		prof.period_type = &period_type;
		if (p->events[0].period)
			prof.period = (int64_t)p->events[0].period;
		else if (p->events[0].freq && time_ev == 0)
			prof.period = (int64_t)(1000000000ULL / p->events[0].freq);
	}
	if (p->kernel && p->nevents > 0) {
		/* In the kernel on behalf of a line: its samples and their periods. */
		lay.qat[Q_SYS_SAMPLES] = ntypes;
		value_type(&pp, &types[ntypes++], "sys_samples", "count");
		lay.qat[Q_SYS_VALUE] = ntypes;
		value_type(&pp, &types[ntypes++], time_ev == 0 ? "sys" : "sys_value",
			   time_ev == 0 ? "nanoseconds" : "count");
	}
	if (p->off_cpu) {
		lay.qat[Q_OFF_BLOCKED] = ntypes;
		value_type(&pp, &types[ntypes++], "off_cpu_blocked", "nanoseconds");
		lay.qat[Q_OFF_RUNNABLE] = ntypes;
		value_type(&pp, &types[ntypes++], "off_cpu_runnable", "nanoseconds");
	}
	if (p->nhits) {
		lay.hits_at = ntypes;
		value_type(&pp, &types[ntypes++], "hits", "count");
	}
	for (int i = 0; i < ntypes; i++)
		type_ptrs[i] = &types[i];
	pp.nvalues = ntypes;
	prof.n_sample_type = (size_t)ntypes;
	prof.sample_type = type_ptrs;
	prof.default_sample_type = types[0].type;
	prof.time_nanos = p->start_time * 1000000000LL;
	prof.duration_nanos = (int64_t)p->wall_ns;
	comments[0] = str(&pp, "lineprof " LP_VERSION);
	comments[1] = str(&pp, p->command ? p->command : "");
	prof.n_comment = p->command ? 2 : 1;
	prof.comment = comments;
	add_samples(&pp, &lay);
	if (pp.oom)
		goto oom;
	for (size_t m = 0; m < p->nmodules; m++) {
		Mapping *mp = &maps[nmaps];

		if (!pp.used[m])
			continue;
		perftools__profiles__mapping__init(mp);
		mp->id = m + 1;
		/* address - memory_start + file_offset = the file offset: modulo 2^64, as pprof computes. */
		mp->memory_start = MAP_START;
		mp->memory_limit = MAP_LIMIT;
		mp->file_offset = MAP_START - MODULE_BASE(m);
		mp->filename = str(&pp, p->modules[m].path ? p->modules[m].path : "");
		mp->build_id = str(&pp, lp_buildid_hex(p->modules[m].build_id, p->modules[m].build_id_len,
						       hex, sizeof(hex)));
		mp->has_functions = mp->has_filenames = mp->has_line_numbers = mp->has_inline_frames = 1;
		map_ptrs[nmaps++] = mp;
	}
	loc_ptrs = malloc((pp.nlocs + 1) * sizeof(*loc_ptrs));
	func_ptrs = malloc((pp.nfuncs + 1) * sizeof(*func_ptrs));
	sample_ptrs = malloc((pp.nsamples + 1) * sizeof(*sample_ptrs));
	if (pp.oom || !loc_ptrs || !func_ptrs || !sample_ptrs)
		goto oom;
	/* The arrays are complete: now their addresses hold still. */
	{
		Line **line_ptrs = malloc((pp.nlines + 1) * sizeof(*line_ptrs));

		if (!line_ptrs)
			goto oom;
		for (size_t i = 0; i < pp.nlines; i++)
			line_ptrs[i] = &pp.lines[i];
		for (size_t i = 0; i < pp.nlocs; i++) {
			pp.locs[i].line = pp.locs[i].n_line ? &line_ptrs[pp.loc_line0[i]] : NULL;
			loc_ptrs[i] = &pp.locs[i];
		}
		for (size_t i = 0; i < pp.nfuncs; i++)
			func_ptrs[i] = &pp.funcs[i];
		for (size_t i = 0; i < pp.nsamples; i++) {
			pp.samples[i].location_id = pp.samples[i].n_location_id ? &pp.ids[pp.sample_id0[i]] : NULL;
			pp.samples[i].value = &pp.vals[i * (size_t)pp.nvalues];
			sample_ptrs[i] = &pp.samples[i];
		}
		prof.n_mapping = nmaps;
		prof.mapping = map_ptrs;
		prof.n_location = pp.nlocs;
		prof.location = loc_ptrs;
		prof.n_function = pp.nfuncs;
		prof.function = func_ptrs;
		prof.n_sample = pp.nsamples;
		prof.sample = sample_ptrs;
		prof.n_string_table = pp.nstrs;
		prof.string_table = pp.strs;
		len = perftools__profiles__profile__get_packed_size(&prof);
		buf = malloc(len + 1);
		if (!buf) {
			free(line_ptrs);
			goto oom;
		}
		perftools__profiles__profile__pack(&prof, buf);
		free(line_ptrs);
	}
	if (gzip_write(buf, len, out) != 0 || ferror(out))
		rc = lp_error_set(err, LP_EFAIL, "lineprof: cannot write the pprof profile");
	goto out;
oom:
	rc = lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
out:
	free(buf);
	for (size_t i = 0; i < pp.nstrs; i++)
		free(pp.strs[i]);
	free(pp.strs);
	lp_keymap_free(&pp.strmap);
	lp_keymap_free(&pp.locmap);
	lp_keymap_free(&pp.funcmap);
	free(pp.locs);
	free(pp.lines);
	free(pp.loc_line0);
	free(pp.funcs);
	free(pp.samples);
	free(pp.ids);
	free(pp.sample_id0);
	free(pp.vals);
	free(pp.used);
	free(maps);
	free(map_ptrs);
	free(loc_ptrs);
	free(func_ptrs);
	free(sample_ptrs);
	return rc;
}
