#include <stdlib.h>
#include <string.h>

#include "notes.h"

typedef struct lp_notes {
	FILE *to;
	int rank, drop;
	char line[4096];
	size_t n;
} lp_notes;

static void emit(lp_notes *s)
{
	if (!s->drop) {
		if (s->rank >= 0 && s->n >= 9 && memcmp(s->line, "lineprof:", 9) == 0) {
			fprintf(s->to, "lineprof[%d]:", s->rank);
			fwrite(s->line + 9, 1, s->n - 9, s->to);
		} else {
			fwrite(s->line, 1, s->n, s->to);
		}
		fflush(s->to);
	}
	s->n = 0;
}

static ssize_t notes_write(void *cookie, const char *buf, size_t size)
{
	lp_notes *s = cookie;

	for (size_t i = 0; i < size; i++) {
		s->line[s->n++] = buf[i];
		/* A very long line goes out in pieces; only its first gets the mark. */
		if (buf[i] == '\n' || s->n == sizeof(s->line))
			emit(s);
	}
	return (ssize_t)size;
}

static int notes_close(void *cookie)
{
	lp_notes *s = cookie;

	if (s->n)
		emit(s);
	free(s);
	return 0;
}

FILE *lp_notes_open(FILE *to, int rank, int drop)
{
	cookie_io_functions_t io = { .write = notes_write, .close = notes_close };
	lp_notes *s = calloc(1, sizeof(*s));
	FILE *f;

	if (!s)
		return NULL;
	s->to = to;
	s->rank = rank;
	s->drop = drop;
	f = fopencookie(s, "w", io);
	if (!f) {
		free(s);
		return NULL;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	return f;
}

void lp_notes_error(FILE *to, int rank, const char *msg)
{
	if (rank >= 0 && strncmp(msg, "lineprof:", 9) == 0)
		fprintf(to, "lineprof[%d]:%s\n", rank, msg + 9);
	else
		fprintf(to, "%s\n", msg);
}
