#include <math.h>
#include <string.h>

#include "rows.h"

void lp_totals_of(const lp_report *rep, lp_totals *t)
{
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < rep->nlines; i++) {
		t->samples += rep->lines[i].samples;
		t->value0 += rep->lines[i].value[0];
	}
}

double lp_totals_share(const lp_totals *t, uint64_t value0, uint64_t samples,
		       uint64_t den_value0, uint64_t den_samples)
{
	if (t->value0 > 0)
		return den_value0 ? (double)value0 / (double)den_value0 : 0.0;
	return den_samples ? (double)samples / (double)den_samples : 0.0;
}

int lp_line_listed(const lp_line_stat *ls)
{
	return lp_line_has_data(ls) || ls->incl_samples || ls->incl_off_ns || ls->incl_sys_value;
}

int lp_row_wanted(const lp_render_ctx *ctx, const lp_line_stat *ls)
{
	if (!lp_line_has_data(ls))
		return 0;
	return ctx->opts->nfunctions == 0 || lp_report_selected(ctx->rep, ls);
}

void lp_row_compute(const lp_render_ctx *ctx, const lp_totals *t, const lp_line_stat *ls,
		    lp_row *row)
{
	const lp_report *rep = ctx->rep;
	/* Outlined code's lines are a share of the function it came from. */
	const lp_func_stat *fs = lp_report_func(rep, ls->fn->owner ? ls->fn->owner->id : ls->fn->id);
	lp_times self, incl;
	double lo, hi;

	lp_line_times(rep, ls, &self);
	lp_line_incl_times(rep, ls, &incl);
	row->time_s = self.time_s;
	row->sys_s = self.sys_s;
	row->off_cpu_s = self.off_s;
	row->wall_s = self.wall_s;
	row->off_blocked_s = rep->has_off ? (double)ls->w.off_ns[LP_OFF_BLOCKED] * 1e-9 : NAN;
	row->off_runnable_s = rep->has_off ? (double)ls->w.off_ns[LP_OFF_RUNNABLE] * 1e-9 : NAN;
	row->incl_sys_s = incl.sys_s;
	row->incl_off_cpu_s = incl.off_s;
	row->incl_wall_s = incl.wall_s;
	row->wait = lp_wait_name(lp_line_wait(ls));
	row->percent = 100.0 * lp_totals_share(t, ls->value[0], ls->samples, t->value0, t->samples);
	row->percent_of_function = fs ? 100.0 * lp_totals_share(t, ls->value[0], ls->samples,
								 fs->self_value[0], fs->self_samples)
				      : 0.0;
	lp_render_wilson(ls->samples, t->samples, &lo, &hi);
	row->ci_low = 100.0 * lo;
	row->ci_high = 100.0 * hi;
	row->incl_time_s = lp_report_seconds(rep, ls->incl_value0);
	row->incl_percent = 100.0 * lp_totals_share(t, ls->incl_value0, ls->incl_samples,
						    t->value0, t->samples);
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if it is not one. */
int lp_utf8_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (s[0] >= 0xe0 && s[0] <= 0xef) {
		unsigned lo = s[0] == 0xe0 ? 0xa0 : 0x80, hi = s[0] == 0xed ? 0x9f : 0xbf;

		return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		unsigned lo = s[0] == 0xf0 ? 0x90 : 0x80, hi = s[0] == 0xf4 ? 0x8f : 0xbf;

		return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 &&
		       (s[3] & 0xc0) == 0x80 ? 4 : 0;
	}
	return 0;
}
