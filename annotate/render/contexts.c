/*
 * The header lines about who ran: the identity of a single rank, the ranks
 * of a merged job, the share of MPI libraries per rank, and with --by the
 * table of groups (threads, processes or ranks) that the columns stand for.
 */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "render.h"

#define LP_TERM_COLUMNS 32  /* more groups than this get no columns in terminal tables */

int lp_render_has_stats(const lp_render_ctx *ctx)
{
	return ctx->cv && ctx->cv->stats;
}

int lp_render_has_columns(const lp_render_ctx *ctx, int terminal)
{
	return ctx->cv && ctx->cv->columns && ctx->cv->ngroups > 0 &&
	       (!terminal || ctx->cv->ngroups <= LP_TERM_COLUMNS);
}

const char *lp_render_max_head(const lp_render_ctx *ctx)
{
	switch (ctx->cv ? ctx->cv->level : LP_BY_NONE) {
	case LP_BY_THREAD: return "Tid@Max";
	case LP_BY_PROCESS: return "Pid@Max";
	default: return "Rank@Max";
	}
}

long long lp_render_group_id(const lp_render_ctx *ctx, uint32_t g)
{
	const lp_ctxview *cv = ctx->cv;

	if (cv->level == LP_BY_RANK)
		return (long long)cv->groups[g].id;
	return (long long)ctx->rep->prof->contexts[cv->groups[g].ctx].id;
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* The one process that has an identity, when the profile is one rank's. */
static const lp_context *single_rank(const lp_profile *p)
{
	const lp_context *found = NULL;

	for (size_t i = 0; i < p->ncontexts; i++) {
		const lp_context *c = &p->contexts[i];

		if (c->kind != LP_CTX_PROCESS || (c->rank < 0 && !c->job && !c->launcher))
			continue;
		if (found && (found->rank != c->rank || !found->job != !c->job ||
			      (c->job && strcmp(found->job, c->job))))
			return NULL;
		if (!found)
			found = c;
	}
	return found;
}

static void identity_line(const lp_context *c, FILE *out)
{
	time_t t = (time_t)c->start_time;
	struct tm tm;
	char when[64] = "";

	fputs("Ran as:", out);
	if (c->rank >= 0)
		fprintf(out, " rank %d", c->rank);
	if (c->rank >= 0 && c->size > 0)
		fprintf(out, " of %d", c->size);
	if (c->job)
		fprintf(out, "%s job %s", c->rank >= 0 ? "," : "", c->job);
	if (c->step)
		fprintf(out, " step %s", c->step);
	if (c->launcher)
		fprintf(out, ", launched by %s", c->launcher);
	if (c->host)
		fprintf(out, " on %s", c->host);
	fprintf(out, ", pid %lld", (long long)c->id);
	if (c->start_time && gmtime_r(&t, &tm) &&
	    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm))
		fprintf(out, ", started %s", when);
	fputc('\n', out);
}

/* "job 12, launched by srun, on node1 and 3 other hosts" for a merged job. */
static void ranks_line(const lp_render_ctx *ctx, FILE *out)
{
	const lp_profile *p = ctx->rep->prof;
	const lp_ctxview *cv = ctx->cv;
	const char *job = NULL, *launcher = NULL, *host = NULL;
	int size = -1, jobs = 0, hosts = 0, lo = -1, hi = -1;

	for (size_t i = 0; i < p->ncontexts; i++) {
		const lp_context *c = &p->contexts[i];

		if (c->kind != LP_CTX_PROCESS || c->rank < 0)
			continue;
		if (c->job && (!job || strcmp(job, c->job)))
			jobs++, job = c->job;
		if (c->host && (!host || strcmp(host, c->host)))
			hosts++, host = host ? host : c->host;
		if (c->launcher)
			launcher = c->launcher;
		if (c->size > size)
			size = c->size;
		if (lo < 0 || c->rank < lo)
			lo = c->rank;
		if (c->rank > hi)
			hi = c->rank;
	}
	fprintf(out, "Ranks: %d", cv->nranks);
	if (size > 0)
		fprintf(out, " of %d", size);
	fprintf(out, " (%d-%d)", lo, hi);
	if (jobs == 1)
		fprintf(out, ", job %s", job);
	else if (jobs > 1)
		fprintf(out, ", from several jobs");
	if (launcher)
		fprintf(out, ", launched by %s", launcher);
	if (hosts == 1)
		fprintf(out, ", on %s", host);
	else if (hosts > 1)
		fprintf(out, ", on several hosts");
	fputc('\n', out);
	if (cv->level == LP_BY_RANK && cv->outside_samples)
		fprintf(out, "Outside any rank (the launcher, helpers): %" PRIu64 " samples, %.1f %%\n",
			cv->outside_samples, pct(cv->outside_samples, p->samples));
}

static void mpi_line(const lp_render_ctx *ctx, FILE *out)
{
	const lp_profile *p = ctx->rep->prof;
	const lp_ctxview *cv = ctx->cv;

	fprintf(out, "MPI: %.1f %% of samples in MPI libraries (%.3f s)", pct(cv->mpi_samples, p->samples),
		lp_report_seconds(ctx->rep, cv->mpi_value0));
	if (cv->level == LP_BY_RANK && cv->ngroups >= 2) {
		size_t lo = 0, hi = 0;

		for (size_t g = 0; g < cv->ngroups; g++) {
			double x = pct(cv->groups[g].mpi_samples, cv->groups[g].samples);

			if (x < pct(cv->groups[lo].mpi_samples, cv->groups[lo].samples))
				lo = g;
			if (x > pct(cv->groups[hi].mpi_samples, cv->groups[hi].samples))
				hi = g;
		}
		if (cv->ngroups <= 16) {
			fputs("; of each rank's:", out);
			for (size_t g = 0; g < cv->ngroups; g++)
				fprintf(out, " %s %.1f %%", cv->groups[g].label,
					pct(cv->groups[g].mpi_samples, cv->groups[g].samples));
		} else {
			fprintf(out, "; of each rank's: from %.1f %% (%s) to %.1f %% (%s)",
				pct(cv->groups[lo].mpi_samples, cv->groups[lo].samples), cv->groups[lo].label,
				pct(cv->groups[hi].mpi_samples, cv->groups[hi].samples), cv->groups[hi].label);
		}
	}
	fputc('\n', out);
}

static void groups_table(const lp_render_ctx *ctx, FILE *out)
{
	const lp_profile *p = ctx->rep->prof;
	const lp_ctxview *cv = ctx->cv;
	int len;

	fprintf(out, "By %s: %zu %s%s with samples", lp_by_name(cv->level), cv->ngroups,
		lp_by_name(cv->level), cv->ngroups == 1 ? "" : (cv->level == LP_BY_PROCESS ? "es" : "s"));
	if (!lp_render_has_columns(ctx, 1) && cv->ngroups > 0)
		fprintf(out, " (more than %d: no column each in the tables below; CSV and JSON have "
			"them, --ranks selects)", LP_TERM_COLUMNS);
	fputs("\n\n", out);
	len = fprintf(out, "%8s %10s %9s %12s %7s %6s  %s\n", "Column", "Id", "Samples", "Time s",
		      "% Time", "MPI %", cv->level == LP_BY_THREAD ? "Thread (process)" :
		      cv->level == LP_BY_PROCESS ? "Process (rank, host)" : "Processes (host)") - 1;
	for (int i = 0; i < len; i++)
		fputc('=', out);
	fputc('\n', out);
	for (size_t g = 0; g < cv->ngroups; g++) {
		const lp_group *gr = &cv->groups[g];
		const lp_context *c = &p->contexts[gr->ctx];
		uint32_t proc = lp_profile_process_of(p, gr->ctx);
		const lp_context *pc = proc != LP_CTX_NONE ? &p->contexts[proc] : c;

		fprintf(out, "%8s %10lld %9" PRIu64 " %12.6f %7.1f %6.1f  ", gr->label,
			lp_render_group_id(ctx, (uint32_t)g), gr->samples,
			lp_report_seconds(ctx->rep, gr->value0), pct(gr->samples, p->samples),
			pct(gr->mpi_samples, gr->samples));
		if (cv->level == LP_BY_THREAD)
			fprintf(out, "%s (pid %lld %s)\n", c->name ? c->name : "?", (long long)pc->id,
				pc->name ? pc->name : "?");
		else if (cv->level == LP_BY_PROCESS && pc->rank >= 0)
			fprintf(out, "%s (rank %d%s%s)\n", c->name ? c->name : "?", pc->rank,
				pc->host ? ", " : "", pc->host ? pc->host : "");
		else if (cv->level == LP_BY_PROCESS)
			fprintf(out, "%s\n", c->name ? c->name : "?");
		else
			fprintf(out, "%d process%s, pid %lld %s%s%s\n", gr->nprocs,
				gr->nprocs == 1 ? "" : "es", (long long)pc->id, pc->name ? pc->name : "?",
				pc->host ? " on " : "", pc->host ? pc->host : "");
	}
	fputc('\n', out);
}

void lp_render_contexts_header(const lp_render_ctx *ctx, FILE *out)
{
	const lp_profile *p = ctx->rep->prof;
	const lp_ctxview *cv = ctx->cv;
	const lp_context *one;
	int any = 0;

	if (!cv)
		return;
	if (cv->nranks >= 2)
		ranks_line(ctx, out), any = 1;
	else if ((one = single_rank(p)))
		identity_line(one, out), any = 1;
	if (cv->mpi_samples)
		mpi_line(ctx, out), any = 1;
	if (any)
		fputc('\n', out);
	if (ctx->opts->by != LP_BY_NONE && cv->ngroups)
		groups_table(ctx, out);
}
