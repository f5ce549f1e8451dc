#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "outname.h"

/* Appends s to out[*n], '/' made '_' so that a value never makes a directory. */
static int put(char *out, size_t size, size_t *n, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (*n + 1 >= size)
			return -1;
		out[(*n)++] = s[i] == '/' ? '_' : s[i];
	}
	out[*n] = '\0';
	return 0;
}

static int put_int(char *out, size_t size, size_t *n, long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld", v);
	return put(out, size, n, buf, strlen(buf));
}

int lp_outname_expand(const char *tmpl, const lp_jobenv *je, long pid, lp_env_get get,
		      void *ctx, char *out, size_t size, lp_error *err)
{
	size_t n = 0;
	int rc = 0;

	if (size)
		out[0] = '\0';
	for (const char *s = tmpl; *s && rc == 0; s++) {
		const char *v = NULL;

		if (*s != '%') {
			/* Literal text, '/' included: it is the user's directory. */
			if (n + 1 >= size)
				rc = -1;
			else
				out[n++] = *s, out[n] = '\0';
			continue;
		}
		switch (*++s) {
		case '%': rc = put(out, size, &n, "%", 1); break;
		case 'r': rc = put_int(out, size, &n, je->id.rank >= 0 ? je->id.rank : 0); break;
		case 's': rc = put_int(out, size, &n, je->id.size >= 0 ? je->id.size : 1); break;
		case 'p': rc = put_int(out, size, &n, pid); break;
		case 'h': {
			const char *h = je->id.host ? je->id.host : "localhost";

			rc = put(out, size, &n, h, strcspn(h, "."));
			break;
		}
		case 'j':
			if (!je->id.job)
				return lp_error_set(err, LP_EUSAGE, "lineprof: -o %s: %%j has no value here "
						    "(no SLURM_JOB_ID, PBS_JOBID, LSB_JOBID, FLUX_JOB_ID "
						    "or PMIX_NAMESPACE): use %%r or %%p", tmpl);
			rc = put(out, size, &n, je->id.job, strlen(je->id.job));
			break;
		case 't':
			if (!je->id.step)
				return lp_error_set(err, LP_EUSAGE, "lineprof: -o %s: %%t has no value here "
						    "(no SLURM_STEP_ID: not inside srun)", tmpl);
			rc = put(out, size, &n, je->id.step, strlen(je->id.step));
			break;
		case 'e': {
			const char *end;
			char name[256];

			if (s[1] != '{' || !(end = strchr(s + 2, '}')) || end == s + 2 ||
			    (size_t)(end - s - 2) >= sizeof(name))
				return lp_error_set(err, LP_EUSAGE, "lineprof: -o %s: %%e needs a variable "
						    "name in braces, as in %%e{SLURM_ARRAY_TASK_ID}", tmpl);
			memcpy(name, s + 2, (size_t)(end - s - 2));
			name[end - s - 2] = '\0';
			v = get(ctx, name);
			if (!v || !*v)
				return lp_error_set(err, LP_EUSAGE, "lineprof: -o %s: %%e{%s}: %s is not set",
						    tmpl, name, name);
			rc = put(out, size, &n, v, strlen(v));
			s = end;
			break;
		}
		default:
			return lp_error_set(err, LP_EUSAGE, "lineprof: -o %s: unknown '%%%.1s' (templates: "
					    "%%r rank, %%s size, %%j job, %%t step, %%h host, %%p pid, "
					    "%%e{VAR}, %%%% for %%)", tmpl, *s ? s : "");
		}
	}
	if (rc != 0)
		return lp_error_set(err, LP_EUSAGE, "lineprof: -o %s: the name is too long", tmpl);
	if (!*out)
		return lp_error_set(err, LP_EUSAGE, "lineprof: -o needs a file name");
	return LP_OK;
}

int lp_outname_per_rank(const char *tmpl)
{
	for (const char *s = tmpl; *s; s++) {
		if (*s != '%')
			continue;
		s++;
		if (*s == 'r' || *s == 'p')
			return 1;
		if (!*s)
			break;
	}
	return 0;
}

void lp_outname_default(const char *command, const lp_jobenv *je, char *out, size_t size)
{
	const char *slash = strrchr(command, '/');
	const char *base = slash ? slash + 1 : command;
	char job[sizeof(je->job)];
	size_t i;

	if (!je->rank_var) {
		snprintf(out, size, "%s.lprof", base);
		return;
	}
	snprintf(job, sizeof(job), "%s", je->id.job ? je->id.job : "");
	for (i = 0; job[i]; i++)
		if (job[i] == '/')
			job[i] = '_';
	if (job[0])
		snprintf(out, size, "%s.%s.%d.lprof", base, job, je->id.rank);
	else
		snprintf(out, size, "%s.%d.lprof", base, je->id.rank);
}

void lp_outname_with_rank(const char *path, int rank, char *out, size_t size)
{
	size_t len = strlen(path), ext = strlen(".lprof");
	const char *slash = strrchr(path, '/');

	/* "dir/.lprof" is a name, not an extension. */
	if (len > ext && strcmp(path + len - ext, ".lprof") == 0 &&
	    (!slash || path + len - ext > slash + 1))
		snprintf(out, size, "%.*s.%d.lprof", (int)(len - ext), path, rank);
	else
		snprintf(out, size, "%s.%d", path, rank);
}
