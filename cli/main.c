/*
 * lineprof: a thin tool over the recorder (profiler/) and the views
 * (annotate/). It parses, runs, saves, reports, and turns errors into exit
 * statuses; everything else lives in the two libraries.
 */
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launch.h"
#include "lineprof/annotate.h"
#include "lineprof/output.h"
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

/*
 * Every file the run will write, checked before it starts: a run of hours
 * must not end in "cannot write". "-" is standard output and always fine.
 */
static int check_outputs(const lp_cli *cli, const char *profile, const char *exe, lp_error *err)
{
	const lp_view_opts *v = &cli->view;
	const struct { const char *opt, *path; } outs[] = {
		{ "-o", profile }, { "--csv", v->csv }, { "--json", v->json }, { "--dot", v->dot },
		{ "--png", v->png }, { "--svg", v->svg }, { "--callgrind", v->callgrind },
		{ "--folded", v->folded },
	};
	struct stat ex, st;
	int rc;

	for (size_t i = 0; i < sizeof(outs) / sizeof(outs[0]); i++) {
		if (!outs[i].path || (i > 0 && strcmp(outs[i].path, "-") == 0))
			continue;
		rc = lp_output_check(outs[i].path, outs[i].opt, err);
		if (rc != LP_OK)
			return rc;
		/* Replacing the program under test would leave a profile of nothing we can read. */
		if (exe && stat(exe, &ex) == 0 && stat(outs[i].path, &st) == 0 &&
		    ex.st_dev == st.st_dev && ex.st_ino == st.st_ino)
			return lp_error_set(err, LP_EUSAGE, "lineprof: %s %s would replace the program "
					    "being profiled: choose another file name", outs[i].opt,
					    outs[i].path);
		for (size_t j = 0; j < i; j++)
			if (outs[j].path && strcmp(outs[j].path, outs[i].path) == 0)
				return lp_error_set(err, LP_EUSAGE, "lineprof: %s and %s both name %s: "
						    "give each its own file", outs[j].opt, outs[i].opt,
						    outs[i].path);
	}
	return LP_OK;
}

/*
 * After the run the profile is never lost: if it cannot be written where it
 * was asked for (disk full, directory removed, read-only), it goes to a
 * unique file in $TMPDIR or /tmp, and stderr says where.
 */
static void save_profile(const lp_profile *prof, const char *out)
{
	lp_error err = { 0 }, ferr = { 0 };
	char *where;

	if (lp_profile_save(prof, out, &err) == LP_OK) {
		fprintf(stderr, "Wrote profile results to %s\n", out);
		return;
	}
	fprintf(stderr, "%s\n", err.msg);
	where = lp_output_fallback(out, &ferr);
	if (where && lp_profile_save(prof, where, &ferr) == LP_OK) {
		fprintf(stderr, "Wrote profile results to %s (instead of %s)\n", where, out);
		free(where);
		return;
	}
	if (where)
		unlink(where);
	free(where);
	fprintf(stderr, "%s\nlineprof: the profile could not be saved anywhere: the report below "
		"is all there is of this run\n", ferr.msg);
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
	sigset_t guard, before;
	lp_profile *prof;
	int rc;

	rc = lp_launch_resolve(cli->args[0], exe, sizeof(exe), err);
	if (rc != LP_OK)
		return rc;
	if (!out) {
		char tmp[4096];

		snprintf(tmp, sizeof(tmp), "%s", exe);
		snprintf(outbuf, sizeof(outbuf), "%s.lprof", basename(tmp));
		out = outbuf;
	}
	rc = check_outputs(cli, out, exe, err);
	if (rc != LP_OK)
		return rc;
	rc = lp_annotate_check_target(exe, cli->functions, cli->view.nfunctions, err);
	if (rc != LP_OK && cli->view.nfunctions > 0)
		return rc;
	if (rc != LP_OK) {
		/* Without -f there is still a function-level profile to be had. */
		fprintf(stderr, "%s; showing functions only\n", err->msg);
		lp_error_clear(err);
	}
	if (cli->hits) {
		/* Before the run: a -f function without code is said now, not after an hour. */
		rc = lp_annotate_probes(exe, cli->functions, cli->view.nfunctions, &probes, &nprobes,
					err);
		if (rc != LP_OK)
			return rc;
		cli->rec.probes = probes;
		cli->rec.nprobes = nprobes;
	}
	prof = lp_profile_new();
	if (!prof || lp_profile_set_command(prof, cli->nargs, cli->args) != 0) {
		lp_profile_free(prof);
		lp_annotate_probes_free(probes, nprobes);
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	}
	/*
	 * From the start of the run until the profile is saved, SIGINT & co.
	 * are the recorder's (it forwards them) and then wait: a ^C while the
	 * profile is written must not leave half of it. The target starts
	 * with the mask we had.
	 */
	sigemptyset(&guard);
	sigaddset(&guard, SIGINT);
	sigaddset(&guard, SIGTERM);
	sigaddset(&guard, SIGHUP);
	sigaddset(&guard, SIGQUIT);
	sigprocmask(SIG_BLOCK, &guard, &before);
	cli->rec.target_sigmask = &before;
	rc = record(cli, prof, err);
	cli->rec.probes = NULL;
	cli->rec.nprobes = 0;
	lp_annotate_probes_free(probes, nprobes);
	if (rc != LP_OK) {
		sigprocmask(SIG_SETMASK, &before, NULL);
		lp_profile_free(prof);
		return rc;
	}
	report_target_end(prof);
	/* Files without a build-id are known by size, mtime and a hash of their code. */
	lp_annotate_identify_modules(prof);
	/* Saved before any view runs: a failing view never costs the profile. */
	save_profile(prof, out);
	sigprocmask(SIG_SETMASK, &before, NULL);
	/*
	 * The report goes to stderr, like time(1), perf stat and valgrind: the
	 * program's stdout is its own, byte for byte, even when redirected.
	 */
	if (cli->cmd == LP_CMD_RUN && lp_annotate_run(prof, &cli->view, stderr, err) != LP_OK) {
		/* Said, but the run was the command's: its exit status stays the one we return. */
		fprintf(stderr, "%s\n", err->msg);
		lp_error_clear(err);
	}
	rc = exit_code_of(prof->exit_status);
	lp_profile_free(prof);
	return rc;
}

static int annotate_file(lp_cli *cli, lp_error *err)
{
	lp_profile *prof;
	int rc = check_outputs(cli, NULL, NULL, err);

	if (rc != LP_OK)
		return rc;
	prof = lp_profile_load(cli->args[0], err);
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
