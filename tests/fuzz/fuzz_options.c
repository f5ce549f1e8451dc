/*
 * libFuzzer harness for the option parser (lp_cli_parse). The input is split
 * on NUL bytes into the words after "lineprof"; any words: never a crash or
 * undefined behaviour, a refusal is a usage error with a one-line message,
 * and what is accepted holds together.
 *
 * Built two ways: with clang -fsanitize=fuzzer by tests/fuzz/run, and with
 * replay.c as an ordinary test that feeds it the corpus and the regressions.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

#define MAX_WORDS 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	char *argv[MAX_WORDS + 2];
	int argc = 0, rc;
	lp_error err = { 0 };
	lp_cli cli;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[argc++] = (char *)"lineprof";
	for (size_t at = 0; at < size && argc <= MAX_WORDS; at += strlen(buf + at) + 1)
		argv[argc++] = buf + at;
	argv[argc] = NULL;

	rc = lp_cli_parse(&cli, argc, argv, &err);
	if (rc != LP_OK) {
		if (rc != LP_EUSAGE || err.code != rc || strncmp(err.msg, "lineprof: ", 10) != 0 ||
		    strchr(err.msg, '\n'))
			abort();
	} else {
		/* The command (or profile) is the tail of argv, untouched. */
		if (cli.nargs < 0 || cli.nargs > argc - 1 || cli.args != argv + argc - cli.nargs)
			abort();
		/* annotate and merge take one or more profiles (files, directories, patterns). */
		if ((cli.cmd == LP_CMD_ANNOTATE || cli.cmd == LP_CMD_MERGE) && cli.nargs < 1)
			abort();
		if ((cli.cmd == LP_CMD_RUN || cli.cmd == LP_CMD_RECORD) && cli.nargs == 0 && !cli.npids)
			abort();
		/* -p: distinct pids in range; a command or -p, never both; --duration only with -p. */
		if (cli.npids < 0 || cli.npids > LP_MAX_PIDS ||
		    ((cli.cmd == LP_CMD_RUN || cli.cmd == LP_CMD_RECORD) &&
		     ((cli.npids && cli.nargs) || (cli.duration != 0 && !cli.npids))) ||
		    !(cli.duration >= 0 && cli.duration <= 1e9))
			abort();
		for (int i = 0; i < cli.npids; i++) {
			if (cli.pids[i] < 1 || cli.pids[i] > 4194304)
				abort();
			for (int j = 0; j < i; j++)
				if (cli.pids[i] == cli.pids[j])
					abort();
		}
		if (cli.view.nfunctions < 0 || cli.view.nfunctions > LP_MAX_FUNCTIONS ||
		    cli.rec.nevents < 0 || cli.rec.nevents > LP_MAX_EVENTS)
			abort();
		for (int i = 0; i < cli.rec.nevents; i++)
			if (!cli.rec.events[i] || !cli.rec.events[i][0])
				abort();
		/* diff: profiles on both sides, from argv, none of them an option or the separator. */
		if (cli.cmd == LP_CMD_DIFF) {
			for (int side = 0; side < 2; side++) {
				if (cli.ndiff_files[side] < 1 || cli.ndiff_files[side] > LP_MAX_RUNS)
					abort();
				for (int i = 0; i < cli.ndiff_files[side]; i++) {
					char *f = cli.diff_files[side][i];
					int from_argv = 0;

					for (int k = 2; k < argc; k++)
						from_argv |= argv[k] == f;
					if (!from_argv || strcmp(f, "--") == 0)
						abort();
				}
			}
			if (!(cli.diff.fdr > 0 && cli.diff.fdr < 1))
				abort();
			for (int side = 0; side < 2; side++)
				for (int i = 0; i < cli.diff.nwork[side]; i++)
					if (!(cli.diff.work[side][i] > 0))
						abort();
		}
		/* -h, -V, --list-events win over the rest; a run or record must be coherent. */
		if ((cli.cmd == LP_CMD_RUN || cli.cmd == LP_CMD_RECORD) && cli.rec.freq && cli.rec.period)
			abort();
	}
	free(buf);
	return 0;
}
