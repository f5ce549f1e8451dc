/*
 * lineprof: a thin tool over the recorder (profiler/) and the views
 * (annotate/). It parses, runs, saves, reports, and turns errors into exit
 * statuses; everything else lives in the two libraries.
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "launch.h"
#include "lineprof/annotate.h"
#include "lineprof/profile.h"
#include "lineprof/record.h"
#include "options.h"

/* Parts of the CLI whose views are not built yet say so instead of doing nothing. */
static int check_supported(const lp_cli *cli, lp_error *err)
{
	const struct { int on; const char *name; } parts[] = {
		{ cli->pid != 0, "-p (attaching to a running process)" },
	};

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (parts[i].on)
			return lp_error_set(err, LP_EUSAGE, "lineprof: %s is not supported yet",
					    parts[i].name);
	return LP_OK;
}

static int exit_code_of(int status)
{
	if (status < 0)
		return LP_EFAIL;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return LP_EFAIL;
}

static void report_target_end(const lp_profile *prof)
{
	int st = prof->exit_status;

	if (st >= 0 && WIFSIGNALED(st))
		fprintf(stderr, "lineprof: %s was killed by signal %d (%s)%s\n",
			prof->command ? prof->command : "the command", WTERMSIG(st),
			strsignal(WTERMSIG(st)), WCOREDUMP(st) ? ", core dumped" : "");
}

/* --call-graph=dwarf: the recorder unwinds each sample with annotate/'s unwinder. */
static int record(lp_cli *cli, lp_profile *prof, lp_error *err)
{
	lp_unwinder *uw = NULL;
	int rc;

	if (cli->rec.callchain == LP_CALLCHAIN_DWARF && !(uw = lp_unwinder_new(err)))
		return err->code ? err->code : LP_EFAIL;
	cli->rec.unwinder = uw;
	rc = lp_record_run(&cli->rec, cli->args, prof, err);
	cli->rec.unwinder = NULL;
	lp_unwinder_free(uw);
	return rc;
}

static int record_and_report(lp_cli *cli, lp_error *err)
{
	char exe[4096], outbuf[4200];
	const char *out = cli->output;
	lp_probe *probes = NULL;
	size_t nprobes = 0;
	lp_profile *prof;
	int rc, launcher = 0;

	rc = lp_launch_resolve(cli->args[0], exe, sizeof(exe), err);
	if (rc != LP_OK)
		return rc;
	rc = lp_annotate_check_target(exe, cli->functions, cli->view.nfunctions, err);
	if (rc != LP_OK && cli->view.nfunctions > 0 && lp_annotate_is_launcher(exe)) {
		/* A script, bash -c, env, mpirun, srun: the programs it runs are profiled too. */
		if (cli->hits)
			return lp_error_set(err, LP_EUSAGE, "lineprof: --hits through %s (a script or "
					    "launcher) is not supported yet: run the program itself",
					    exe);
		fprintf(stderr, "lineprof: %s is not a program with DWARF (a script or launcher?): "
			"-f names will be looked up after the run, in the programs it ran\n", exe);
		lp_error_clear(err);
		rc = LP_OK;
		launcher = 1;
	}
	if (rc != LP_OK && cli->view.nfunctions > 0)
		return rc;
	if (rc != LP_OK) {
		/* Without -f there is still a function-level profile to be had. */
		fprintf(stderr, "%s; showing functions only\n", err->msg);
		lp_error_clear(err);
	}
	/* A -f function that never ran is still found (no samples) in the command's files. */
	if (!launcher)
		cli->view.target = exe;
	if (cli->hits) {
		/* Before the run: a -f function without code is said now, not after an hour. */
		rc = lp_annotate_probes(exe, cli->functions, cli->view.nfunctions, &probes, &nprobes,
					err);
		if (rc != LP_OK)
			return rc;
		cli->rec.probes = probes;
		cli->rec.nprobes = nprobes;
	}
	if (!out) {
		char tmp[4096];

		snprintf(tmp, sizeof(tmp), "%s", exe);
		snprintf(outbuf, sizeof(outbuf), "%s.lprof", basename(tmp));
		out = outbuf;
	}
	prof = lp_profile_new();
	if (!prof || lp_profile_set_command(prof, cli->nargs, cli->args) != 0) {
		lp_profile_free(prof);
		lp_annotate_probes_free(probes, nprobes);
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	}
	rc = record(cli, prof, err);
	cli->rec.probes = NULL;
	cli->rec.nprobes = 0;
	lp_annotate_probes_free(probes, nprobes);
	if (rc != LP_OK) {
		lp_profile_free(prof);
		return rc;
	}
	report_target_end(prof);
	/* Saved before any view runs: a failing view never costs the profile. */
	rc = lp_profile_save(prof, out, err);
	if (rc == LP_OK)
		fprintf(stderr, "Wrote profile results to %s\n", out);
	/*
	 * The report goes to stderr, like time(1), perf stat and valgrind: the
	 * program's stdout is its own, byte for byte, even when redirected.
	 */
	if (rc == LP_OK && cli->cmd == LP_CMD_RUN)
		rc = lp_annotate_run(prof, &cli->view, stderr, err);
	/* lineprof's own failure wins; otherwise the command's status is ours, as with time(1). */
	if (rc == LP_OK)
		rc = exit_code_of(prof->exit_status);
	lp_profile_free(prof);
	return rc;
}

static int annotate_file(lp_cli *cli, lp_error *err)
{
	lp_profile *prof = lp_profile_load(cli->args[0], err);
	int rc;

	if (!prof)
		return err->code ? err->code : LP_EFAIL;
	rc = lp_annotate_run(prof, &cli->view, stdout, err);
	lp_profile_free(prof);
	return rc;
}

int main(int argc, char **argv)
{
	lp_error err = { 0 };
	lp_cli cli;
	int rc = lp_cli_parse(&cli, argc, argv, &err);

	if (rc == LP_OK)
		rc = check_supported(&cli, &err);
	if (rc == LP_OK) {
		switch (cli.cmd) {
		case LP_CMD_HELP: lp_cli_usage(stdout); break;
		case LP_CMD_VERSION: printf("lineprof %s\n", LP_VERSION); break;
		case LP_CMD_LIST_EVENTS: rc = lp_record_list_events(stdout, &err); break;
		case LP_CMD_LIST_METRICS: rc = lp_record_list_metrics(stdout, &err); break;
		case LP_CMD_ANNOTATE: rc = annotate_file(&cli, &err); break;
		case LP_CMD_RUN:
		case LP_CMD_RECORD: rc = record_and_report(&cli, &err); break;
		}
	}
	if (err.code != LP_OK)
		fprintf(stderr, "%s\n", err.msg);
	if (fflush(stdout) != 0 && rc == LP_OK)
		rc = LP_EFAIL;
	return rc;
}
