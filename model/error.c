#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lineprof/error.h"

int lp_error_set(lp_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err || err->code != LP_OK)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

void lp_error_clear(lp_error *err)
{
	if (!err)
		return;
	err->code = LP_OK;
	err->msg[0] = '\0';
}
