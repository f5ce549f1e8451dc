/*
 * libFuzzer harness for the .lprof reader (lp_profile_load_mem, the parser
 * lp_profile_load uses on files). Any bytes: never a crash, a leak or
 * undefined behaviour; a refusal always comes with a one-line message, and
 * a profile that loads holds the invariants the views rely on.
 *
 * Built two ways: with clang -fsanitize=fuzzer by tests/fuzz/run, and with
 * replay.c as an ordinary test that feeds it the corpus and the regressions.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lineprof/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void consistent(const lp_profile *p)
{
	uint64_t samples = 0;

	if (p->nevents < 0 || p->nevents > LP_MAX_EVENTS)
		abort();
	for (size_t i = 0; i < p->naddrs; i++) {
		const lp_addr *a = &p->addrs[i];

		if (a->loc.module != LP_MODULE_NONE && a->loc.module >= p->nmodules)
			abort();
		samples += a->c.samples;
	}
	if (samples != p->samples)
		abort();
	for (size_t i = 0; i < p->nstacks; i++) {
		const lp_stack *s = &p->stacks[i];

		if (s->depth == 0 || s->depth > LP_MAX_STACK || s->first > p->nframes ||
		    s->depth > p->nframes - s->first)
			abort();
		for (uint32_t d = 0; d < s->depth; d++) {
			uint32_t m = p->frames[s->first + d].module;

			if (m != LP_MODULE_NONE && m >= p->nmodules)
				abort();
		}
	}
	for (size_t i = 0; i < p->ncontexts; i++)
		if (p->contexts[i].kind == LP_CTX_THREAD ?
		    p->contexts[i].parent >= i || p->contexts[p->contexts[i].parent].kind != LP_CTX_PROCESS :
		    p->contexts[i].kind != LP_CTX_PROCESS || p->contexts[i].parent != LP_CTX_NONE)
			abort();
	for (size_t i = 0; i < p->nctx_addrs; i++)
		if (p->ctx_addrs[i].ctx >= p->ncontexts || p->ctx_addrs[i].index >= p->naddrs)
			abort();
	for (size_t i = 0; i < p->nctx_stacks; i++)
		if (p->ctx_stacks[i].ctx >= p->ncontexts || p->ctx_stacks[i].index >= p->nstacks)
			abort();
	for (size_t i = 0; i < p->nhits; i++)
		if (p->hits[i].loc.module != LP_MODULE_NONE && p->hits[i].loc.module >= p->nmodules)
			abort();
	for (size_t i = 0; i < p->nmodules; i++)
		if (!p->modules[i].path || !p->modules[i].path[0] ||
		    p->modules[i].build_id_len > LP_BUILD_ID_MAX)
			abort();
}

#ifdef LP_REPLAY
#include <stdio.h>
#include <unistd.h>

/* Replaying (not fuzzing): the same bytes from a file load the same way. */
static void same_from_file(const uint8_t *data, size_t size, const lp_profile *mem,
			   const lp_error *memerr)
{
	char path[] = "/tmp/lp-replay-XXXXXX";
	int fd = mkstemp(path);
	lp_error err = { 0 };
	lp_profile *p;

	if (fd < 0 || write(fd, data, size) != (ssize_t)size || close(fd) != 0)
		abort();
	p = lp_profile_load(path, &err);
	unlink(path);
	if (!p != !mem || (p && (p->samples != mem->samples || p->naddrs != mem->naddrs ||
				 p->nstacks != mem->nstacks || p->nmodules != mem->nmodules)))
		abort();
	/* The messages differ only in the name they give the input. */
	if (!p && strcmp(strstr(err.msg, path) ? strstr(err.msg, path) + strlen(path) : err.msg,
			 strstr(memerr->msg, "fuzz.lprof") ?
			 strstr(memerr->msg, "fuzz.lprof") + strlen("fuzz.lprof") : memerr->msg) != 0)
		abort();
	lp_profile_free(p);
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	lp_error err = { 0 };
	lp_profile *p = lp_profile_load_mem(data, size, "fuzz.lprof", &err);

#ifdef LP_REPLAY
	same_from_file(data, size, p, &err);
#endif
	if (p) {
		consistent(p);
		lp_profile_free(p);
		return 0;
	}
	/* Refused: with a code and one line that says so. */
	if (err.code == LP_OK || strncmp(err.msg, "lineprof: ", 10) != 0 || strchr(err.msg, '\n'))
		abort();
	return 0;
}
