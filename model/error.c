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
	/* One line, whatever the user's bytes it quotes ("-\n" as an option, a path). */
	for (char *c = err->msg; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return code;
}

void lp_error_clear(lp_error *err)
{
	if (!err)
		return;
	err->code = LP_OK;
	err->msg[0] = '\0';
}
