/*
 * lineprof: a thin tool over the recorder (profiler/) and the views
 * (annotate/). It parses, runs, saves, reports, and turns errors into exit
 * statuses; everything else lives in the two libraries.
 */
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launch.h"
#include "lineprof/annotate.h"
#include "lineprof/profile.h"
#include "lineprof/record.h"
#include "options.h"

/* Parts of the CLI whose views are not built yet say so instead of doing nothing. */
static int check_supported(const lp_cli *cli, lp_error *err)
{
	const struct { int on; const char *name; } parts[] = {
		{ cli->npids && cli->hits, "--hits with -p (exact counts in a running process)" },
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
	if (cli->npids)
		rc = lp_record_attach(&cli->rec, cli->pids, cli->npids, cli->duration, prof, err);
	else
		rc = lp_record_run(&cli->rec, cli->args, prof, err);
	cli->rec.unwinder = NULL;
	lp_unwinder_free(uw);
	return rc;
}

/*
 * After recording: the build-ids the kernel did not give (files mapped
 * before -p attached, pages it could not read), then the profile saved
 * before any view runs, so that a failing view never costs it. The report
 * goes to stderr, like time(1), perf stat and valgrind: the program's
 * stdout is its own, byte for byte, even when redirected.
 */
static int save_and_report(lp_cli *cli, lp_profile *prof, const char *out, lp_error *err)
{
	int rc;

	lp_annotate_fill_build_ids(prof);
	rc = lp_profile_save(prof, out, err);
	if (rc == LP_OK)
		fprintf(stderr, "Wrote profile results to %s\n", out);
	if (rc == LP_OK && cli->cmd == LP_CMD_RUN)
		rc = lp_annotate_run(prof, &cli->view, stderr, err);
	return rc;
}

static int record_and_report(lp_cli *cli, lp_error *err)
{
	char exe[4096], outbuf[4200];
	const char *out = cli->output;
	lp_probe *probes = NULL;
	size_t nprobes = 0;
	lp_profile *prof;
	int rc;

	rc = lp_launch_resolve(cli->args[0], exe, sizeof(exe), err);
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
	rc = save_and_report(cli, prof, out, err);
	/* lineprof's own failure wins; otherwise the command's status is ours, as with time(1). */
	if (rc == LP_OK)
		rc = exit_code_of(prof->exit_status);
	lp_profile_free(prof);
	return rc;
}

/* /proc/PID/exe, without the " (deleted)" of a file replaced since it started. 0, or -1. */
static int proc_exe(int pid, char *out, size_t size)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%d/exe", pid);
	n = readlink(link, out, size - 1);
	if (n <= 0)
		return -1;
	out[n] = '\0';
	if (n > 10 && strcmp(out + n - 10, " (deleted)") == 0)
		out[n - 10] = '\0';
	return 0;
}

/* The command lines of the processes, each quoted as a shell would need it, joined by " ; ". */
static int set_attached_command(lp_profile *prof, const int *pids, int npids)
{
	char *all = NULL;
	size_t len = 0;

	for (int i = 0; i < npids; i++) {
		char path[64], buf[8192], *argv[256];
		int argc = 0, fd;
		ssize_t n = 0;
		char *joined;

		snprintf(path, sizeof(path), "/proc/%d/cmdline", pids[i]);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			n = read(fd, buf, sizeof(buf) - 1);
			close(fd);
		}
		if (n <= 0)
			snprintf(buf, sizeof(buf), "[pid %d]", pids[i]), n = (ssize_t)strlen(buf) + 1;
		buf[n] = '\0';
		for (char *p = buf; p < buf + n && *p && argc < 255; p += strlen(p) + 1)
			argv[argc++] = p;
		argv[argc] = NULL;
		if (lp_profile_set_command(prof, argc, argv) != 0)
			return free(all), -1;
		joined = realloc(all, len + strlen(prof->command) + 4);
		if (!joined)
			return free(all), -1;
		all = joined;
		len += (size_t)sprintf(all + len, "%s%s", i ? " ; " : "", prof->command);
	}
	free(prof->command);
	prof->command = all;
	return 0;
}

/*
 * -p: as a run, but the processes are not ours: lineprof's exit status is
 * its own (0), and the default file is named after the first process's
 * executable, like a run's.
 */
static int attach_and_report(lp_cli *cli, lp_error *err)
{
	char exe[4096], outbuf[4200];
	const char *out = cli->output;
	int have_exe = proc_exe(cli->pids[0], exe, sizeof(exe)) == 0;
	lp_profile *prof;
	int rc;

	if (have_exe) {
		rc = lp_annotate_check_target(exe, cli->functions, cli->view.nfunctions, err);
		if (rc != LP_OK && cli->view.nfunctions > 0)
			return rc;
		if (rc != LP_OK) {
			fprintf(stderr, "%s; showing functions only\n", err->msg);
			lp_error_clear(err);
		}
	}
	if (!out) {
		snprintf(outbuf, sizeof(outbuf), "%s.lprof",
			 have_exe ? basename(exe) : "lineprof");
		out = outbuf;
	}
	prof = lp_profile_new();
	if (!prof || set_attached_command(prof, cli->pids, cli->npids) != 0) {
		lp_profile_free(prof);
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	}
	rc = record(cli, prof, err);
	if (rc == LP_OK)
		rc = save_and_report(cli, prof, out, err);
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

/* lineprof diff: every profile loaded first, so a bad file is said before any work. */
static int diff_files(lp_cli *cli, lp_error *err)
{
	int nbase = cli->ndiff_files[0], n = nbase + cli->ndiff_files[1], rc = LP_OK;
	lp_profile **profs = calloc((size_t)n, sizeof(*profs));
	const char **names = calloc((size_t)n, sizeof(*names));

	if (!profs || !names) {
		free(profs);
		free(names);
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	}
	for (int i = 0; i < n && rc == LP_OK; i++) {
		names[i] = i < nbase ? cli->diff_files[0][i] : cli->diff_files[1][i - nbase];
		profs[i] = lp_profile_load(names[i], err);
		if (!profs[i])
			rc = err->code ? err->code : LP_EFAIL;
	}
	if (rc == LP_OK)
		rc = lp_annotate_diff(profs, names, nbase, n - nbase, &cli->view, &cli->diff, stdout,
				      err);
	for (int i = 0; i < n; i++)
		lp_profile_free(profs[i]);
	free(profs);
	free(names);
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
		case LP_CMD_DIFF: rc = diff_files(&cli, &err); break;
		case LP_CMD_RUN:
		case LP_CMD_RECORD:
			rc = cli.npids ? attach_and_report(&cli, &err) : record_and_report(&cli, &err);
			break;
		}
	}
	if (err.code != LP_OK)
		fprintf(stderr, "%s\n", err.msg);
	if (fflush(stdout) != 0 && rc == LP_OK)
		rc = LP_EFAIL;
	return rc;
}
