/*
 * Derived metrics: which exist in a profile, and their values.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lineprof/metric.h"

const lp_metric lp_metrics[LP_NMETRICS] = {
	{ "ipc", "IPC", "instructions", "cycles", 1.0, "%.2f",
	  "instructions per cycle" },
	{ "cache_miss_ratio", "Cache Miss %", "cache-misses", "cache-references", 100.0, "%.1f",
	  "last-level cache misses per cache reference" },
	{ "branch_miss_ratio", "Branch Miss %", "branch-misses", "branches", 100.0, "%.1f",
	  "mispredicted branches per branch" },
};

/* perf's other spellings of the generic names. */
static const char *const aliases[][2] = {
	{ "cpu-cycles", "cycles" },
	{ "branch-instructions", "branches" },
};

/* measured without a trailing perf modifier group (":u", ":pp"), lower case, into buf. */
static void base_name(const char *measured, char *buf, size_t size)
{
	const char *c = strrchr(measured, ':');
	size_t n = strlen(measured);

	if (c && c != measured && c[1] && c[-1] != ':' && strspn(c + 1, "ukhpP") == strlen(c + 1))
		n = (size_t)(c - measured);
	snprintf(buf, size, "%.*s", (int)n, measured);
	for (char *s = buf; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcmp(buf, aliases[i][0]) == 0)
			snprintf(buf, size, "%s", aliases[i][1]);
}

int lp_metric_event(const lp_profile *p, const char *name)
{
	char want[LP_EVENT_NAME_MAX], have[LP_EVENT_NAME_MAX];

	base_name(name, want, sizeof(want));
	for (int i = 0; i < p->nevents && i < LP_MAX_EVENTS; i++) {
		base_name(p->events[i].measured, have, sizeof(have));
		if (strcmp(have, want) == 0)
			return i;
	}
	return -1;
}

int lp_metric_available(const lp_profile *p, const lp_metric *m, int *num, int *den)
{
	int n = lp_metric_event(p, m->numerator), d = lp_metric_event(p, m->denominator);

	if (n < 0 || d < 0)
		return 0;
	*num = n;
	*den = d;
	return 1;
}

int lp_metric_ratio(uint64_t num, uint64_t den, double *ratio)
{
	if (den == 0)
		return -1;
	*ratio = (double)num / (double)den;
	return 0;
}

/* Defined here, beside the event-name normalisation it shares with the metrics. */
int lp_profile_time_event(const lp_profile *p)
{
	static const char *const clocks[] = { "cpu-clock", "task-clock" };
	char have[LP_EVENT_NAME_MAX];

	for (int i = 0; i < p->nevents && i < LP_MAX_EVENTS; i++) {
		base_name(p->events[i].measured, have, sizeof(have));
		for (size_t c = 0; c < sizeof(clocks) / sizeof(clocks[0]); c++)
			if (strcmp(have, clocks[c]) == 0)
				return i;
	}
	return -1;
}
