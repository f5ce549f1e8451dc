/*
 * lineprof: a thin tool over the recorder (profiler/) and the views
 * (annotate/). It parses, runs, saves, reports, and turns errors into exit
 * statuses; everything else lives in the two libraries.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "launch.h"
#include "lineprof/annotate.h"
#include "lineprof/jobenv.h"
#include "lineprof/output.h"
#include "lineprof/profile.h"
#include "lineprof/record.h"
#include "notes.h"
#include "options.h"
#include "outname.h"
#include "profiles.h"

/* Under a launcher: this process's rank, for the marks on its messages; -1 otherwise. */
static int lp_my_rank = -1;

/* Launchers lineprof knows by the name of the command. */
enum lp_launcher { LP_LAUNCHER_NONE, LP_LAUNCHER_MPIRUN, LP_LAUNCHER_SRUN };

static enum lp_launcher launcher_of(const char *argv0)
{
	static const char *const mpi[] = {
		"mpirun", "mpiexec", "orterun", "prterun", "mpirun.openmpi", "mpiexec.openmpi",
		"mpiexec.hydra", "mpirun.mpich", "mpiexec.mpich",
	};
	const char *slash = strrchr(argv0, '/');
	const char *base = slash ? slash + 1 : argv0;

	if (strcmp(base, "srun") == 0)
		return LP_LAUNCHER_SRUN;
	for (size_t i = 0; i < sizeof(mpi) / sizeof(mpi[0]); i++)
		if (strcmp(base, mpi[i]) == 0)
			return LP_LAUNCHER_MPIRUN;
	return LP_LAUNCHER_NONE;
}

/* The words after srun's own options, for the advice "srun ... lineprof record ...". */
static int srun_advice(const lp_cli *cli, lp_error *err)
{
	char launch[1024] = "", prog[1024] = "";
	int i = 1;

	/* srun's options come first; the first word that is not one (or its value) is the program. */
	for (; i < cli->nargs && cli->args[i][0] == '-'; i++) {
		const char *a = cli->args[i];

		strncat(launch, " ", sizeof(launch) - strlen(launch) - 1);
		strncat(launch, a, sizeof(launch) - strlen(launch) - 1);
		if (a[1] != '-' && strlen(a) == 2 && strchr("nNcptJAmwxCGdDeiloTu", a[1]) &&
		    i + 1 < cli->nargs) {
			strncat(launch, " ", sizeof(launch) - strlen(launch) - 1);
			strncat(launch, cli->args[++i], sizeof(launch) - strlen(launch) - 1);
		}
	}
	for (; i < cli->nargs; i++) {
		strncat(prog, " ", sizeof(prog) - strlen(prog) - 1);
		strncat(prog, cli->args[i], sizeof(prog) - strlen(prog) - 1);
	}
	return lp_error_set(err, LP_EUSAGE, "lineprof: srun starts its tasks under slurmstepd, "
			    "outside lineprof's sight (profiling srun would show srun only): put "
			    "lineprof inside, one per task: srun%s lineprof record%s (each rank writes "
			    "its own PROGRAM.JOB.RANK.lprof; then lineprof annotate them all)", launch,
			    *prog ? prog : " ./prog");
}

/* Ranks seen among the profile's processes; the job's size if a process knew it. */
static int ranks_seen(const lp_profile *p, int *size)
{
	int n = 0;

	*size = -1;
	for (size_t i = 0; i < p->ncontexts; i++) {
		const lp_context *c = &p->contexts[i];
		int dup = 0;

		if (c->kind != LP_CTX_PROCESS || c->rank < 0)
			continue;
		if (c->size > *size)
			*size = c->size;
		for (size_t j = 0; j < i && !dup; j++)
			dup = p->contexts[j].kind == LP_CTX_PROCESS && p->contexts[j].rank == c->rank;
		n += !dup;
	}
	return n;
}

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

static const char *env_get(void *ctx, const char *name)
{
	(void)ctx;
	return getenv(name);
}

/*
 * The profile's file name: the -o template expanded, or the default. Under a
 * launcher a name without %r or %p would be the same for every rank, and
 * ranks would overwrite each other: each rank then writes NAME.RANK.lprof,
 * and rank 0 says so.
 */
static int output_name(const lp_cli *cli, const char *exe, const lp_jobenv *je, FILE *diag,
		       char *out, size_t size, lp_error *err)
{
	char tmp[4096];
	int rc;

	if (!cli->output) {
		lp_outname_default(exe, je, out, size);
		return LP_OK;
	}
	rc = lp_outname_expand(cli->output, je, (long)getpid(), env_get, NULL, tmp, sizeof(tmp), err);
	if (rc != LP_OK)
		return rc;
	if (je->rank_var && je->id.size != 1 && !lp_outname_per_rank(cli->output)) {
		lp_outname_with_rank(tmp, je->id.rank, out, size);
		fprintf(diag, "lineprof: -o %s is the same for every rank: each rank writes its own "
			"file, %s for this one (put %%r in the name to choose)\n", cli->output, out);
		return LP_OK;
	}
	snprintf(out, size, "%s", tmp);
	return LP_OK;
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
		{ "--folded", v->folded }, { "--flamegraph", v->flamegraph }, { "--pprof", v->pprof },
		{ "--html", v->html },
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
 * The profile is never lost: if it cannot be written where it was asked for
 * (disk full, directory removed, read-only), it goes to a unique file in
 * $TMPDIR or /tmp, and stderr says why and where, whatever --quiet says.
 * LP_OK only when it was written at out; every failure is said here.
 */
static int save(const lp_profile *prof, const char *out, FILE *diag, lp_error *err)
{
	int moved = lp_output_keep_old(out);
	lp_error ferr = { 0 };
	char *where, line[4400];

	if (moved >= 0 && lp_profile_save(prof, out, err) == LP_OK) {
		if (moved)
			fprintf(diag, "lineprof: the previous %s is now %s.old\n", out, out);
		fprintf(diag, "Wrote profile results to %s\n", out);
		return LP_OK;
	}
	if (moved < 0)
		lp_error_set(err, LP_EFAIL, "lineprof: cannot keep the previous %s as %s.old: %s",
			     out, out, strerror(errno));
	lp_notes_error(stderr, lp_my_rank, err->msg);
	lp_error_clear(err);
	if (moved > 0) {
		/* The old profile left its name before the write failed: say where it is. */
		snprintf(line, sizeof(line), "lineprof: the previous %s is now %s.old", out, out);
		lp_notes_error(stderr, lp_my_rank, line);
	}
	where = lp_output_fallback(out, &ferr);
	if (where && lp_profile_save(prof, where, &ferr) == LP_OK) {
		snprintf(line, sizeof(line), "Wrote profile results to %s (instead of %s)", where, out);
		/* Not a notice: where the run went is said under --quiet too, and by every rank. */
		lp_notes_error(stderr, lp_my_rank, line);
		free(where);
		return LP_EFAIL;
	}
	if (where)
		unlink(where);
	free(where);
	lp_notes_error(stderr, lp_my_rank, ferr.msg);
	lp_notes_error(stderr, lp_my_rank, "lineprof: the profile could not be saved anywhere: the "
		       "report is all there is of this run");
	return LP_EFAIL;
}

/*
 * SIGINT & co. wait from the start of a recording until its profile is
 * saved: the recorder takes them during the run (and forwards them), and a
 * ^C while the profile is written must not leave half of it.
 */
static void guard_signals(sigset_t *before)
{
	sigset_t guard;

	sigemptyset(&guard);
	sigaddset(&guard, SIGINT);
	sigaddset(&guard, SIGTERM);
	sigaddset(&guard, SIGHUP);
	sigaddset(&guard, SIGQUIT);
	sigprocmask(SIG_BLOCK, &guard, before);
}

/* guarded: the signal mask from before guard_signals, restored once the profile is saved. */
static int save_and_report(lp_cli *cli, lp_profile *prof, const char *out, FILE *diag,
			   const lp_jobenv *je, const sigset_t *guarded, lp_error *err)
{
	int rc, vrc = LP_OK;

	lp_annotate_fill_build_ids(prof);
	/* Files still without a build-id are known by size, mtime and a hash of their code. */
	lp_annotate_identify_modules(prof);
	rc = save(prof, out, diag, err); /* says every failure itself */
	sigprocmask(SIG_SETMASK, guarded, NULL);
	/*
	 * The report goes to stderr, like time(1), perf stat and valgrind: the
	 * program's stdout is its own, byte for byte, even when redirected.
	 * Under a launcher only rank 0 reports: n ranks, one terminal.
	 */
	if (cli->cmd == LP_CMD_RUN && !(je->id.rank > 0 && je->rank_var)) {
		if (je->rank_var && je->id.size > 1)
			fprintf(diag, "lineprof: the report below is rank %d's; every rank wrote its "
				"profile: lineprof annotate with all of them shows the job\n",
				je->id.rank);
		vrc = lp_annotate_run(prof, &cli->view, stderr, err);
		if (vrc != LP_OK) {
			lp_notes_error(stderr, lp_my_rank, err->msg);
			lp_error_clear(err);
		}
	}
	return rc != LP_OK ? rc : vrc;
}

static int record_and_report(lp_cli *cli, FILE *diag, const lp_jobenv *je, lp_error *err)
{
	char exe[4096], out[4200];
	enum lp_launcher launcher = launcher_of(cli->args[0]);
	lp_hitplan *plan = NULL;
	sigset_t before;
	lp_profile *prof;
	int rc, size, deferred = 0;

	if (launcher == LP_LAUNCHER_SRUN)
		return srun_advice(cli, err);
	rc = lp_launch_resolve(cli->args[0], exe, sizeof(exe), err);
	if (rc != LP_OK)
		return rc;
	if (launcher == LP_LAUNCHER_MPIRUN && cli->hits)
		return lp_error_set(err, LP_EUSAGE, "lineprof: --hits through %s is not supported "
				    "yet: put lineprof inside (%s ... lineprof record --hits -f NAME ./prog)",
				    cli->args[0], cli->args[0]);
	rc = output_name(cli, exe, je, diag, out, sizeof(out), err);
	if (rc == LP_OK)
		rc = check_outputs(cli, out, exe, err);
	if (rc != LP_OK)
		return rc;
	if (launcher == LP_LAUNCHER_MPIRUN) {
		/* The launcher has no DWARF of its own: the names are the ranks' to match. */
		fprintf(diag, "lineprof: profiling %s and the ranks it starts on this node, told apart "
			"by rank (their OMPI_COMM_WORLD_RANK, PMIX_RANK or PMI_RANK); ranks it starts "
			"on other nodes are out of sight: for those run %s ... lineprof record ./prog\n",
			cli->args[0], cli->args[0]);
		deferred = 1;
	} else {
		rc = lp_annotate_check_target(exe, cli->functions, cli->view.nfunctions, err);
		if (rc != LP_OK && cli->view.nfunctions > 0 && lp_annotate_is_launcher(exe)) {
			/* A script, bash -c, env, taskset: the programs it runs are profiled too. */
			if (cli->hits)
				return lp_error_set(err, LP_EUSAGE, "lineprof: --hits through %s (a "
						    "script or launcher) is not supported yet: run the "
						    "program itself", exe);
			fprintf(diag, "lineprof: %s is not a program with DWARF (a script or "
				"launcher?): ", exe);
			lp_error_clear(err);
			rc = LP_OK;
			deferred = 1;
		}
		if (rc != LP_OK && cli->view.nfunctions > 0)
			return rc;
		if (rc != LP_OK) {
			/* Without -f there is still a function-level profile to be had. */
			fprintf(diag, "%s; showing functions only\n", err->msg);
			lp_error_clear(err);
		}
	}
	/* One line says what is done (after the launcher's own, for mpirun). */
	if (deferred && cli->view.nfunctions > 0)
		fprintf(diag, "%s-f names will be looked up after the run, in the programs it ran\n",
			launcher == LP_LAUNCHER_MPIRUN ? "lineprof: " : "");
	/* A -f function that never ran is still found (no samples) in the command's files. */
	if (!deferred)
		cli->view.target = exe;
	if (cli->hits) {
		const char *how = getenv("LINEPROF_HITS");
		size_t rows, funcs, per_row;

		if (how && *how && strcmp(how, "rows") != 0 && strcmp(how, "blocks") != 0)
			return lp_error_set(err, LP_EUSAGE, "lineprof: LINEPROF_HITS must be 'blocks' "
					    "(the default) or 'rows', not '%s'", how);
		/* Before the run: a -f function without code is said now, not after an hour. */
		rc = lp_annotate_hitplan(exe, cli->functions, cli->view.nfunctions,
					 how && strcmp(how, "rows") == 0, &plan, err);
		if (rc != LP_OK)
			return rc;
		cli->rec.probes = lp_hitplan_probes(plan, &cli->rec.nprobes);
		lp_hitplan_describe(plan, &rows, &funcs, &per_row);
		if (how && strcmp(how, "rows") == 0)
			fprintf(diag, "lineprof: --hits: %zu line rows, a probe on each "
				"(LINEPROF_HITS=rows)\n", rows);
		else
			fprintf(diag, "lineprof: --hits: %zu line rows of %zu function%s counted by "
				"%zu probes (one per basic block that flow conservation cannot do "
				"without%s)\n", rows, funcs, funcs == 1 ? "" : "s", cli->rec.nprobes,
				per_row ? "; a probe per row where the code has jump tables or "
					  "cannot be read" : "");
	}
	prof = lp_profile_new();
	if (!prof || lp_profile_set_command(prof, cli->nargs, cli->args) != 0) {
		lp_profile_free(prof);
		lp_hitplan_free(plan);
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	}
	/* The target starts with the mask we had. */
	guard_signals(&before);
	cli->rec.target_sigmask = &before;
	rc = record(cli, prof, err);
	cli->rec.probes = NULL;
	cli->rec.nprobes = 0;
	/* The probes' counts become the rows' before anything is saved. */
	if (plan && rc == LP_OK) {
		size_t lost = 0;

		rc = lp_hitplan_apply(plan, prof, &lost, err);
		if (lost)
			fprintf(diag, "lineprof: --hits: %zu line rows have no count: their function "
				"was left fewer times than entered (the target died or exited inside "
				"it, or longjmp or an exception left it), so counts derived by flow "
				"conservation would be wrong; LINEPROF_HITS=rows probes every row\n",
				lost);
	}
	lp_hitplan_free(plan);
	if (rc != LP_OK) {
		sigprocmask(SIG_SETMASK, &before, NULL);
		lp_profile_free(prof);
		return rc;
	}
	report_target_end(prof);
	if (launcher == LP_LAUNCHER_MPIRUN && !je->rank_var) {
		int seen = ranks_seen(prof, &size);

		if (size > seen)
			fprintf(diag, "lineprof: saw %d of the %d ranks: %s started the others out of "
				"sight (other nodes): for every rank run %s ... lineprof record ./prog\n",
				seen, size, cli->args[0], cli->args[0]);
		else if (seen)
			fprintf(diag, "lineprof: %d ranks profiled (lineprof annotate --by rank shows "
				"one column each)\n", seen);
	}
	/* Said, but the run was the command's: one rank's trouble never fails the job. */
	(void)save_and_report(cli, prof, out, diag, je, &before, err);
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
 * its own (0 once the profile is saved), and the default file is named
 * after the first process's executable, as a run's after its command.
 */
static int attach_and_report(lp_cli *cli, FILE *diag, const lp_jobenv *je, lp_error *err)
{
	char exe[4096], out[4200];
	int have_exe = proc_exe(cli->pids[0], exe, sizeof(exe)) == 0;
	sigset_t before;
	lp_profile *prof;
	int rc;

	rc = output_name(cli, have_exe ? exe : "lineprof", je, diag, out, sizeof(out), err);
	if (rc == LP_OK)
		rc = check_outputs(cli, out, have_exe ? exe : NULL, err);
	if (rc != LP_OK)
		return rc;
	if (have_exe) {
		rc = lp_annotate_check_target(exe, cli->functions, cli->view.nfunctions, err);
		if (rc != LP_OK && cli->view.nfunctions > 0 &&
		    lp_annotate_is_launcher(exe)) {
			/* An interpreter or a launcher: the names are its children's, if anyone's. */
			fprintf(diag, "lineprof: %s is not a program with DWARF (a script or launcher?): "
				"-f names will be looked up after the recording, in the programs it "
				"ran\n", exe);
			lp_error_clear(err);
			rc = LP_OK;
		} else if (rc == LP_OK) {
			/* A -f function that never ran while attached is still found in its files. */
			cli->view.target = exe;
		}
		if (rc != LP_OK && cli->view.nfunctions > 0)
			return rc;
		if (rc != LP_OK) {
			fprintf(diag, "%s; showing functions only\n", err->msg);
			lp_error_clear(err);
		}
	}
	prof = lp_profile_new();
	if (!prof || set_attached_command(prof, cli->pids, cli->npids) != 0) {
		lp_profile_free(prof);
		return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	}
	guard_signals(&before);
	rc = record(cli, prof, err);
	if (rc == LP_OK)
		rc = save_and_report(cli, prof, out, diag, je, &before, err);
	else
		sigprocmask(SIG_SETMASK, &before, NULL);
	lp_profile_free(prof);
	return rc;
}

static int annotate_files(lp_cli *cli, lp_error *err)
{
	size_t nfiles = 0;
	lp_profile *prof;
	int rc = check_outputs(cli, NULL, NULL, err);

	if (rc != LP_OK)
		return rc;
	prof = lp_profiles_load(cli->args, cli->nargs, cli->ranks, &nfiles, err);
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

static int merge_files(lp_cli *cli, FILE *diag, lp_error *err)
{
	size_t nfiles = 0;
	lp_profile *prof;
	int rc = lp_output_check(cli->output, "-o", err), size;

	if (rc != LP_OK)
		return rc;
	prof = lp_profiles_load(cli->args, cli->nargs, cli->ranks, &nfiles, err);
	if (!prof)
		return err->code ? err->code : LP_EFAIL;
	fprintf(diag, "lineprof: merged %zu profile%s: %d ranks, %zu contexts, %zu addresses\n",
		nfiles, nfiles == 1 ? "" : "s", ranks_seen(prof, &size), prof->ncontexts,
		prof->naddrs);
	rc = save(prof, cli->output, diag, err);
	lp_profile_free(prof);
	return rc;
}

int main(int argc, char **argv)
{
	lp_error err = { 0 };
	lp_jobenv je;
	FILE *diag = NULL;
	lp_cli cli;
	int rc = lp_cli_parse(&cli, argc, argv, &err);

	/*
	 * Who we are in a job, for the profile's identity, the file names and
	 * the marks on messages: many ranks share one terminal, and only rank
	 * 0 prints notices.
	 */
	lp_jobenv_self(&je);
	je.id.start_time = (int64_t)time(NULL);
	if (je.rank_var)
		lp_my_rank = je.id.rank;
	if (rc == LP_OK)
		diag = lp_notes_open(stderr, lp_my_rank, cli.quiet || lp_my_rank > 0);
	if (!diag)
		diag = stderr;
	if (rc == LP_OK) {
		cli.rec.diag = diag;
		cli.view.diag = diag;
		cli.rec.identity = &je.id;
	}

	if (rc == LP_OK)
		rc = check_supported(&cli, &err);
	if (rc == LP_OK) {
		switch (cli.cmd) {
		case LP_CMD_HELP: lp_cli_usage(stdout); break;
		case LP_CMD_VERSION: printf("lineprof %s\n", LP_VERSION); break;
		case LP_CMD_LIST_EVENTS: rc = lp_record_list_events(stdout, &err); break;
		case LP_CMD_LIST_METRICS: rc = lp_record_list_metrics(stdout, &err); break;
		case LP_CMD_DIFF: rc = diff_files(&cli, &err); break;
		case LP_CMD_ANNOTATE: rc = annotate_files(&cli, &err); break;
		case LP_CMD_MERGE: rc = merge_files(&cli, diag, &err); break;
		case LP_CMD_RUN:
		case LP_CMD_RECORD:
			rc = cli.npids ? attach_and_report(&cli, diag, &je, &err)
				       : record_and_report(&cli, diag, &je, &err);
			break;
		}
	}
	if (diag != stderr)
		fclose(diag);
	if (err.code != LP_OK)
		lp_notes_error(stderr, lp_my_rank, err.msg);
	if (fflush(stdout) != 0 && rc == LP_OK)
		rc = LP_EFAIL;
	return rc;
}
