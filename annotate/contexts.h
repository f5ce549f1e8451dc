/*
 * Where the samples came from, as views: the profile's contexts grouped by
 * thread, by process or by rank — one mechanism for the three levels — and,
 * per line and per function, each group's counts and the statistics across
 * groups (mean, min, max, which group had the max, max/mean). Built from the
 * sparse per-context counts, group by group, so memory grows with the lines
 * that a group touched, not with lines x groups (except for --by's columns).
 */
#ifndef LP_CONTEXTS_H
#define LP_CONTEXTS_H

#include "report.h"

typedef struct lp_group {
	int64_t id;            /* rank, pid or tid */
	uint32_t ctx;          /* a context of the group: the thread, or the (first) process */
	char label[24];        /* column heading: r3, p1234, t1234 */
	uint64_t samples, value0;
	uint64_t mpi_samples, mpi_value0;   /* in MPI libraries */
	int nprocs;            /* processes in the group (rank level) */
} lp_group;

/* Statistics across the groups of one line or function (self counts). */
typedef struct lp_stat {
	uint64_t sum_s, sum_v;
	uint64_t max_s, max_v;
	uint64_t min_s, min_v;   /* over every group: 0 when a group has none */
	uint32_t max_g;          /* the group with the max */
	uint32_t nz;             /* groups with counts */
} lp_stat;

typedef struct lp_ctxview {
	enum lp_by level;        /* LP_BY_NONE: no per-context counts to group */
	lp_group *groups;
	size_t ngroups;
	uint32_t *group_of;      /* per context; UINT32_MAX: in no group (a process without rank) */
	uint64_t outside_samples;/* samples of contexts in no group */
	uint64_t mpi_samples, mpi_value0;   /* whole profile */
	int stats;               /* line_stats/func_stats are filled (>= 2 groups) */
	lp_stat *line_stats;     /* per rep->lines */
	lp_stat *func_stats;     /* per rep->funcs */
	int columns;             /* --by: the per-group matrices below are filled */
	uint64_t *line_v, *line_s; /* [line * ngroups + group] */
	uint64_t *func_v, *func_s;
	int nranks;              /* distinct ranks among the processes */
} lp_ctxview;

/*
 * Groups at level by (LP_BY_NONE: by rank when the profile has two ranks or
 * more, else none), with statistics; columns: also the per-group matrices
 * (for --by). LP_OK or LP_EFAIL (out of memory).
 */
int lp_ctxview_build(lp_ctxview *cv, const lp_report *rep, enum lp_by by, int columns,
		     lp_error *err);
void lp_ctxview_free(lp_ctxview *cv);

/* Is module m one of an MPI implementation's libraries (libmpi*, libopen-pal, mca_*...)? */
int lp_module_is_mpi(const lp_profile *p, uint32_t module);

/* The level's name: "rank", "process", "thread". */
const char *lp_by_name(enum lp_by by);

/* Seconds of a stat: mean, min, max; imbalance = max / mean (0 when mean is 0). */
double lp_stat_mean_s(const lp_report *rep, const lp_ctxview *cv, const lp_stat *st);
double lp_stat_min_s(const lp_report *rep, const lp_stat *st);
double lp_stat_max_s(const lp_report *rep, const lp_stat *st);
double lp_stat_imbalance(const lp_report *rep, const lp_ctxview *cv, const lp_stat *st);

#endif
