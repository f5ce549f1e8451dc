/*
 * Derived metrics: the ratio of two counted events, per line and per
 * function. Shared by the recorder (lineprof --metrics asks the machine
 * whether it can count the inputs) and the views (which compute them).
 *
 * A metric exists in a profile only when BOTH inputs were counted, judged
 * by what was measured (lp_event_info.measured), never by what was asked
 * for: "-e cycles,instructions" on a machine without a PMU measures
 * cpu-clock and nothing else, and gives no IPC column.
 */
#ifndef LINEPROF_METRIC_H
#define LINEPROF_METRIC_H

#include <stdint.h>

#include "lineprof/profile.h"

typedef struct lp_metric {
	const char *key;          /* CSV column and JSON key: "ipc" */
	const char *column;       /* table heading: "IPC" */
	const char *numerator;    /* perf's event name: "instructions" */
	const char *denominator;  /* "cycles" */
	double scale;             /* table value = scale * ratio (100: a percentage) */
	const char *format;       /* printf format of the table value */
	const char *desc;
} lp_metric;

#define LP_NMETRICS 3
extern const lp_metric lp_metrics[LP_NMETRICS];

/*
 * The event index (into p->events) measuring the generic event name (perf's
 * aliases and modifiers allowed: "cpu-cycles", "cycles:pp"), or -1.
 */
int lp_metric_event(const lp_profile *p, const char *name);

/* Both inputs of m were measured: 1 with their indices in *num, *den; else 0. */
int lp_metric_available(const lp_profile *p, const lp_metric *m, int *num, int *den);

/* The ratio num / den into *ratio: 0, or -1 (no value) when den is 0. */
int lp_metric_ratio(uint64_t num, uint64_t den, double *ratio);

#endif
