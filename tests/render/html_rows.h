/*
 * The page's listing rows with their line numbers: html.c writes each row's
 * line as its step from the file's previous row (deflate packs the steps of
 * consecutive lines into a few bits). lines_made() gives back the page with
 * every step of every block's "files" made the line it stands for, as
 * report.js does, so that tests read "\n[LINE,[cells]]".
 */
#ifndef LP_TEST_HTML_ROWS_H
#define LP_TEST_HTML_ROWS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A new string (caller frees); the steps of a block's files become lines. */
static inline char *lines_made(const char *page)
{
	size_t n = strlen(page);
	char *out = malloc(n * 2 + 64), *o = out;   /* a line is at most a few digits longer than its step */
	const char *p = page;

	while (*p) {
		const char *files = strstr(p, "\"files\": [");
		const char *end;
		long line = 0;

		if (!files) {
			o = stpcpy(o, p);
			break;
		}
		files += strlen("\"files\": [");
		end = strstr(files, "\n]");
		if (!end)
			end = files + strlen(files);
		memcpy(o, p, (size_t)(files - p));
		o += files - p;
		for (p = files; p < end;) {
			if (p[0] == '\n' && p[1] == ' ' && p[2] == '[') {         /* a file: steps from 0 */
				line = 0;
			} else if (p[0] == '\n' && p[1] == '[' && p[2] >= '0' && p[2] <= '9') {
				char *after;

				line += strtol(p + 2, &after, 10);
				o += sprintf(o, "\n[%ld", line);
				p = after;
				continue;
			}
			*o++ = *p++;
		}
	}
	*o = '\0';
	return out;
}

#endif
