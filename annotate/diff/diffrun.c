/*
 * lineprof diff's driver: put each profile's binaries in place (--binary),
 * check that the two sides sampled comparable things, build one report per
 * profile, the diff, and the views the options ask for.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <elfutils/libdwelf.h>
#include <gelf.h>

#include "diff.h"
#include "diffview.h"

void lp_diff_opts_init(lp_diff_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->fdr = 0.05;
}

/*
 * The GNU build-id of path: its length (> 0), 0 when it has none or is not
 * ELF, -1 when it cannot be opened. Never waits on a FIFO or a device.
 */
static int read_build_id(const char *path, unsigned char *id, size_t size)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC), len = 0;
	const void *p;
	struct stat st;
	ssize_t n;
	Elf *elf;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -1;
	}
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	n = elf ? dwelf_elf_gnu_build_id(elf, &p) : -1;
	if (n > 0 && (size_t)n <= size) {
		memcpy(id, p, (size_t)n);
		len = (int)n;
	}
	if (elf)
		elf_end(elf);
	close(fd);
	return len;
}

static const char *hex(const unsigned char *id, size_t len, char *buf)
{
	for (size_t i = 0; i < len; i++)
		sprintf(buf + 2 * i, "%02x", id[i]);
	buf[2 * len] = '\0';
	return buf;
}

static int module_used(const lp_profile *p, uint32_t m)
{
	for (size_t i = 0; i < p->naddrs; i++)
		if (p->addrs[i].loc.module == m)
			return 1;
	return 0;
}

/*
 * A profile names its binaries by path and build-id; a rebuilt program has
 * a new build-id at the old path, and its old lines are gone with it. Each
 * used module whose file is missing or changed takes the --binary copy with
 * the recorded build-id; a changed one without a copy is refused here, with
 * the fix, before any DWARF is read.
 */
static int place_binaries(lp_diff_run *runs, int nruns, const lp_diff_opts *o, FILE *diag,
			  lp_error *err)
{
	unsigned char (*ids)[LP_BUILD_ID_MAX] = calloc((size_t)o->nbinaries + 1, sizeof(*ids));
	int *lens = calloc((size_t)o->nbinaries + 1, sizeof(*lens)), *used = NULL;
	char want[2 * LP_BUILD_ID_MAX + 1], have[2 * LP_BUILD_ID_MAX + 1];
	int rc = LP_OK;

	used = calloc((size_t)o->nbinaries + 1, sizeof(*used));
	if (!ids || !lens || !used) {
		rc = lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
		goto out;
	}
	for (int b = 0; b < o->nbinaries; b++) {
		lens[b] = read_build_id(o->binaries[b], ids[b], LP_BUILD_ID_MAX);
		if (lens[b] < 0) {
			rc = lp_error_set(err, LP_EUSAGE, "lineprof: --binary %s: cannot read it (a "
					  "regular file is needed)", o->binaries[b]);
			goto out;
		}
		if (lens[b] == 0) {
			rc = lp_error_set(err, LP_EUSAGE, "lineprof: --binary %s: no GNU build-id in it "
					  "(not an ELF file, or linked with --build-id=none): lineprof "
					  "cannot tell which profile it belongs to", o->binaries[b]);
			goto out;
		}
	}
	for (int r = 0; r < nruns && rc == LP_OK; r++) {
		lp_profile *p = runs[r].prof;

		for (uint32_t m = 0; m < p->nmodules && rc == LP_OK; m++) {
			lp_module *mod = &p->modules[m];
			unsigned char cur[LP_BUILD_ID_MAX];
			int curlen, b;

			if (!mod->build_id_len || !module_used(p, m))
				continue;
			curlen = read_build_id(mod->path, cur, sizeof(cur));
			if (curlen == mod->build_id_len && memcmp(cur, mod->build_id, (size_t)curlen) == 0)
				continue;
			for (b = 0; b < o->nbinaries; b++)
				if (lens[b] == mod->build_id_len &&
				    memcmp(ids[b], mod->build_id, (size_t)lens[b]) == 0)
					break;
			if (b < o->nbinaries) {
				char *path = strdup(o->binaries[b]);

				if (!path) {
					rc = lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
					break;
				}
				free(mod->path);
				mod->path = path;
				used[b] = 1;
			} else if (curlen > 0) {
				rc = lp_error_set(err, LP_EFAIL,
						  "lineprof: %s: %s has changed since it was profiled "
						  "(build-id %s, now %s): diff reads each profile's lines "
						  "from the binary that ran; keep a copy of that build and "
						  "name it with --binary FILE", runs[r].name, mod->path,
						  hex(mod->build_id, mod->build_id_len, want),
						  hex(cur, (size_t)curlen, have));
			}
		}
	}
	for (int b = 0; b < o->nbinaries && rc == LP_OK; b++)
		if (!used[b] && diag)
			fprintf(diag, "lineprof: note: --binary %s (build-id %s) is none of the "
				"profiles' changed or missing binaries\n", o->binaries[b],
				hex(ids[b], (size_t)lens[b], want));
out:
	free(ids);
	free(lens);
	free(used);
	return rc;
}

static int is_clock(const char *ev)
{
	return strncmp(ev, "cpu-clock", 9) == 0 || strncmp(ev, "task-clock", 10) == 0;
}

static void describe_rate(const lp_event_info *e, char *buf, size_t size)
{
	if (e->freq)
		snprintf(buf, size, "at %" PRIu64 " Hz", e->freq);
	else
		snprintf(buf, size, "every %" PRIu64 "%s", e->period,
			 is_clock(e->measured) ? " ns" : " events");
}

/*
 * A line's count is its time times the sampling rate: comparable between
 * runs of the same event, the rate entering the exposure. For a clock event
 * the rate is samples per second (-F, or 1e9 / the -c period in ns); another
 * event's frequency mode adapts its period as it runs, so those compare only
 * at one -F, and in period mode per event counted (1 / period).
 */
static int set_exposures(lp_diff *shape, lp_diff_run *runs, int nruns, FILE *diag, lp_error *err)
{
	const lp_event_info *e0 = NULL;
	int same_rate = 1;

	for (int r = 0; r < nruns; r++) {
		const lp_profile *p = runs[r].prof;
		const lp_event_info *e;
		char ra[64], rb[64];
		double rate;

		if (p->nevents < 1)
			return lp_error_set(err, LP_EFAIL, "lineprof: %s has no sampled event: it cannot "
					    "be compared", runs[r].name);
		e = &p->events[0];
		if (!e0)
			e0 = e;
		if (strcmp(e->measured, e0->measured) != 0)
			return lp_error_set(err, LP_EUSAGE, "lineprof: %s sampled %s but %s sampled %s: "
					    "their samples cannot be compared (record both with the "
					    "same -e)", runs[0].name, e0->measured, runs[r].name,
					    e->measured);
		if (e->freq != e0->freq || e->period != e0->period)
			same_rate = 0;
		if (is_clock(e->measured))
			rate = e->freq ? (double)e->freq : e->period ? 1e9 / (double)e->period : 0;
		else if (e->freq && e->freq == e0->freq)
			rate = 1.0;
		else if (!e->freq && !e0->freq && e->period)
			rate = 1.0 / (double)e->period;
		else
			rate = 0;
		if (rate <= 0) {
			describe_rate(e0, ra, sizeof(ra));
			describe_rate(e, rb, sizeof(rb));
			return lp_error_set(err, LP_EUSAGE, "lineprof: %s sampled %s %s but %s %s: "
					    "samples of an event other than a clock compare only at "
					    "the same -F (or both with -c); record both alike",
					    runs[0].name, e0->measured, ra, runs[r].name, rb);
		}
		runs[r].exposure = runs[r].work * rate;
		/* Records the kernel dropped thin every line alike: count the run as shorter. */
		if (p->lost && p->samples) {
			double kept = (double)p->samples / ((double)p->samples + (double)p->lost);

			runs[r].exposure *= kept;
			if (diag)
				fprintf(diag, "lineprof: note: %s lost %" PRIu64 " records (ring buffer "
					"full): its counts are compared as %.1f %% of what ran\n",
					runs[r].name, p->lost, 100.0 * kept);
		}
	}
	if (same_rate) {
		char ra[64];

		describe_rate(e0, ra, sizeof(ra));
		snprintf(shape->event, sizeof(shape->event), "%s %s", e0->measured, ra);
	} else {
		snprintf(shape->event, sizeof(shape->event), "%s at different rates (counts "
			 "weighed by each run's rate)", e0->measured);
	}
	return LP_OK;
}

static int set_work(lp_diff_run *runs, int nbase, int nnew, const lp_diff_opts *o, lp_error *err)
{
	for (int side = 0; side < 2; side++) {
		int n = side ? nnew : nbase, first = side ? nbase : 0;

		for (int i = 0; i < n; i++)
			runs[first + i].work = 1.0;
		if (!o->work[side] || o->nwork[side] == 0)
			continue;
		if (o->nwork[side] != 1 && o->nwork[side] != n)
			return lp_error_set(err, LP_EUSAGE, "lineprof: --scale gives %d values for %s's "
					    "%d run%s: give one for all, or one per run", o->nwork[side],
					    side ? "NEW" : "BASE", n, n == 1 ? "" : "s");
		for (int i = 0; i < n; i++)
			runs[first + i].work = o->work[side][o->nwork[side] == 1 ? 0 : i];
	}
	return LP_OK;
}

/* Every view the options ask for, as annotate's run_views does for one profile. */
static int diff_views(const lp_diff *d, const lp_view_opts *o, FILE *out, lp_error *err)
{
	lp_render_ctx ctx = { .diff = d, .opts = o, .color = lp_render_use_color(o, out) };
	lp_render_ctx file_ctx;
	/* An export on stdout keeps stdout machine-readable: no tables around it. */
	int tables = o->show_tables && !(o->csv && strcmp(o->csv, "-") == 0) &&
		     !(o->json && strcmp(o->json, "-") == 0);
	int rc = LP_OK;

	ctx.src = lp_sources_new(o->source_dirs, o->nsource_dirs, o->diag);
	if (!ctx.src)
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	file_ctx = ctx;
	file_ctx.color = 0;
	if (tables)
		lp_render_diff_header(&ctx, out);
	if (tables && o->nfunctions > 0)
		rc = lp_render_diff_table(&ctx, out, err);
	if (rc == LP_OK && tables && o->functions_view)
		rc = lp_render_diff_functions(&ctx, out, err);
	if (rc == LP_OK && tables && ((o->nfunctions == 0 && !o->functions_view) || o->top > 0))
		rc = lp_render_diff_top(&ctx, out, err);
	if (rc == LP_OK && o->csv)
		rc = lp_render_to_path(&file_ctx, lp_render_diff_csv, o->csv, err);
	if (rc == LP_OK && o->json)
		rc = lp_render_to_path(&file_ctx, lp_render_diff_json, o->json, err);
	lp_sources_free(ctx.src);
	return rc;
}

int lp_annotate_diff(lp_profile *const *profiles, const char *const *names, int nbase, int nnew,
		     const lp_view_opts *view, const lp_diff_opts *opts, FILE *out, lp_error *err)
{
	int nruns = nbase + nnew, rc;
	lp_diff_run *runs = calloc((size_t)nruns + 1, sizeof(*runs));
	lp_diff d = { 0 };

	if (!runs)
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	if (nbase < 1 || nnew < 1) {
		free(runs);
		return lp_error_set(err, LP_EUSAGE, "lineprof: diff needs a BASE and a NEW profile");
	}
	for (int r = 0; r < nruns; r++) {
		runs[r].name = names[r];
		runs[r].prof = profiles[r];
	}
	rc = set_work(runs, nbase, nnew, opts, err);
	if (rc == LP_OK)
		rc = set_exposures(&d, runs, nruns, view->diag, err);
	if (rc == LP_OK)
		rc = place_binaries(runs, nruns, opts, view->diag, err);
	for (int r = 0; r < nruns && rc == LP_OK; r++) {
		const lp_report *rep = &runs[r].rep;

		rc = lp_annotate_report(runs[r].prof, view->diag, &runs[r].st, &runs[r].rep, err);
		if (rc != LP_OK)
			break;
		runs[r].built = 1;
		for (size_t i = 0; i < rep->nlines; i++) {
			runs[r].samples += rep->lines[i].samples;
			runs[r].value0 += rep->lines[i].value[0];
		}
		runs[r].seconds = lp_report_seconds(rep, runs[r].value0);
		if (runs[r].samples == 0 && view->diag)
			fprintf(view->diag, "lineprof: warning: %s has no samples: every line of the "
				"other side looks changed\n", runs[r].name);
	}
	if (rc == LP_OK) {
		char event[sizeof(d.event)];

		memcpy(event, d.event, sizeof(event));
		rc = lp_diff_build(&d, runs, nbase, nnew, opts->fdr, opts->work[0] || opts->work[1],
				   opts->base_source, view->source_dirs, view->nsource_dirs,
				   view->diag, err);
		memcpy(d.event, event, sizeof(event));
	}
	if (rc == LP_OK)
		rc = diff_views(&d, view, out, err);
	lp_diff_free(&d);
	for (int r = 0; r < nruns; r++) {
		if (!runs[r].built)
			continue;
		lp_report_free(&runs[r].rep);
		lp_symtab_free(runs[r].st);
	}
	free(runs);
	return rc;
}
