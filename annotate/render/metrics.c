/*
 * The derived-metric columns the line views share: which metrics a profile
 * has and each line's value.
 */
#include <stdio.h>

#include "render.h"

void lp_metric_cols_of(const lp_profile *p, lp_metric_cols *mc)
{
	mc->n = 0;
	for (int i = 0; i < LP_NMETRICS; i++) {
		int num, den;

		if (!lp_metric_available(p, &lp_metrics[i], &num, &den))
			continue;
		mc->m[mc->n] = &lp_metrics[i];
		mc->num[mc->n] = num;
		mc->den[mc->n] = den;
		mc->n++;
	}
}

int lp_metric_cols_ratio(const lp_metric_cols *mc, int i, const uint64_t *values, double *ratio)
{
	return lp_metric_ratio(values[mc->num[i]], values[mc->den[i]], ratio);
}

void lp_metric_cols_cell(const lp_metric_cols *mc, int i, const uint64_t *values, char *buf,
			 size_t size)
{
	double r;

	buf[0] = '\0';
	if (lp_metric_cols_ratio(mc, i, values, &r) == 0)
		snprintf(buf, size, mc->m[i]->format, mc->m[i]->scale * r);
}
