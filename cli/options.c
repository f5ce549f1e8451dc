/*
 * Options follow perf where perf has one (-e -F -c -p -g -o) and
 * line_profiler where it has one (-u, -z). Parsing stops at the first
 * non-option word: everything after it belongs to the profiled command.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

enum {
	OPT_SOURCE_DIR = 256, OPT_LIST_EVENTS, OPT_TOP, OPT_LISTING, OPT_CONTEXT,
	OPT_THRESHOLD, OPT_CSV, OPT_JSON, OPT_CI, OPT_COLOR, OPT_FUNCTIONS, OPT_SORT,
	OPT_DOT, OPT_PNG, OPT_SVG, OPT_NODE_THRESHOLD, OPT_EDGE_THRESHOLD, OPT_CALLGRIND,
	OPT_FOLDED, OPT_HITS, OPT_MMAP_PAGES,
	OPT_METRICS, OPT_FDR, OPT_SCALE, OPT_BASE_SOURCE, OPT_BINARY, OPT_BY, OPT_BY_RANK, OPT_BY_THREAD, OPT_BY_PROCESS, OPT_RANKS,
	OPT_OFF_CPU, OPT_NO_OFF_CPU, OPT_FOLDED_EVENT,
	OPT_HTML, OPT_FLAMEGRAPH, OPT_PPROF,
	OPT_ASM, OPT_LOOPS, OPT_DURATION,
	OPT_MERGE_INSTANCES,
};

static const struct option long_opts[] = {
	{ "event", required_argument, NULL, 'e' },
	{ "freq", required_argument, NULL, 'F' },
	{ "count", required_argument, NULL, 'c' },
	{ "call-graph", optional_argument, NULL, 'g' },
	{ "pid", required_argument, NULL, 'p' },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "output", required_argument, NULL, 'o' },
	{ "function", required_argument, NULL, 'f' },
	{ "unit", required_argument, NULL, 'u' },
	{ "skip-zero", no_argument, NULL, 'z' },
	{ "source-dir", required_argument, NULL, OPT_SOURCE_DIR },
	{ "list-events", no_argument, NULL, OPT_LIST_EVENTS },
	{ "top", required_argument, NULL, OPT_TOP },
	{ "listing", no_argument, NULL, OPT_LISTING },
	{ "context", required_argument, NULL, OPT_CONTEXT },
	{ "threshold", required_argument, NULL, OPT_THRESHOLD },
	{ "csv", required_argument, NULL, OPT_CSV },
	{ "json", required_argument, NULL, OPT_JSON },
	{ "ci", no_argument, NULL, OPT_CI },
	{ "color", required_argument, NULL, OPT_COLOR },
	{ "functions", no_argument, NULL, OPT_FUNCTIONS },
	{ "sort", required_argument, NULL, OPT_SORT },
	{ "dot", required_argument, NULL, OPT_DOT },
	{ "png", required_argument, NULL, OPT_PNG },
	{ "svg", required_argument, NULL, OPT_SVG },
	{ "node-threshold", required_argument, NULL, OPT_NODE_THRESHOLD },
	{ "edge-threshold", required_argument, NULL, OPT_EDGE_THRESHOLD },
	{ "callgrind", required_argument, NULL, OPT_CALLGRIND },
	{ "folded", required_argument, NULL, OPT_FOLDED },
	{ "html", required_argument, NULL, OPT_HTML },
	{ "flamegraph", required_argument, NULL, OPT_FLAMEGRAPH },
	{ "pprof", required_argument, NULL, OPT_PPROF },
	{ "hits", no_argument, NULL, OPT_HITS },
	{ "mmap-pages", required_argument, NULL, OPT_MMAP_PAGES },
	{ "metrics", no_argument, NULL, OPT_METRICS },
	{ "off-cpu", no_argument, NULL, OPT_OFF_CPU },
	{ "no-off-cpu", no_argument, NULL, OPT_NO_OFF_CPU },
	{ "folded-event", required_argument, NULL, OPT_FOLDED_EVENT },
	{ "asm", no_argument, NULL, OPT_ASM },
	{ "loops", no_argument, NULL, OPT_LOOPS },
	{ "merge-instances", no_argument, NULL, OPT_MERGE_INSTANCES },
	{ "fdr", required_argument, NULL, OPT_FDR },
	{ "scale", required_argument, NULL, OPT_SCALE },
	{ "base-source", required_argument, NULL, OPT_BASE_SOURCE },
	{ "binary", required_argument, NULL, OPT_BINARY },
	{ "by", required_argument, NULL, OPT_BY },
	{ "by-rank", no_argument, NULL, OPT_BY_RANK },
	{ "by-thread", no_argument, NULL, OPT_BY_THREAD },
	{ "by-process", no_argument, NULL, OPT_BY_PROCESS },
	{ "ranks", required_argument, NULL, OPT_RANKS },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

void lp_cli_usage(FILE *out)
{
	fputs("usage: lineprof [OPTIONS] [--] COMMAND [ARG...]      record, save and report\n"
	      "       lineprof record [OPTIONS] [--] COMMAND [ARG...]  record and save only\n"
	      "       lineprof [record] -p PID[,PID...] [OPTIONS]   attach to running processes\n"
	      "       lineprof annotate [OPTIONS] FILE|DIR|GLOB...  report saved profiles (merged)\n"
	      "       lineprof merge -o OUT.lprof FILE|DIR|GLOB...  merge profiles into one file\n"
	      "       lineprof diff [OPTIONS] BASE NEW              compare two profiles\n"
	      "       lineprof diff [OPTIONS] BASE... -- NEW...     several runs per side\n"
	      "\n"
	      "Recording:\n"
	      "  -e, --event NAME      event to sample, repeatable or comma-separated\n"
	      "                        (cpu-clock: a clock, so Time is measured); a hardware\n"
	      "                        event falls back to cpu-clock where there is no PMU\n"
	      "  -F, --freq HZ         samples per second (4000)\n"
	      "  -c, --count PERIOD    sample every PERIOD events instead of -F\n"
	      "  -g, --call-graph[=fp] record call stacks (frame pointers)\n"
	      "      --call-graph=dwarf[,SIZE]  record call stacks by unwinding a copy of\n"
	      "                        SIZE bytes of stack per sample (8192) through the\n"
	      "                        DWARF CFI: right through code without frame pointers\n"
	      "  -o, --output FILE     profile file (COMMAND.lprof; under a launcher\n"
	      "                        COMMAND.JOB.RANK.lprof); templates: %r rank, %s size,\n"
	      "                        %j job, %t step, %h host, %p pid, %e{VAR}, %% for %\n"
	      "  -q, --quiet           no notices (errors only); under a launcher only\n"
	      "                        rank 0 prints notices anyway\n"
	      "  -p, --pid PID[,PID...]  attach to running processes instead of starting\n"
	      "                        one, until they exit or ^C; they run on, untouched\n"
	      "      --duration SEC    with -p: stop recording after SEC seconds\n"
	      "      --mmap-pages N    ring buffer data pages per CPU, a power of 2\n"
	      "                        (128; 512 with --call-graph=dwarf)\n"
	      "      --off-cpu         record off-CPU time: where threads waited (sleep, I/O,\n"
	      "                        locks, preemption) and how long (the default where\n"
	      "                        kernel samples are allowed)\n"
	      "      --no-off-cpu      do not (a program switching very often costs lineprof\n"
	      "                        CPU in proportion)\n"
	      "      --hits            exact per-line execution counts of -f functions\n"
	      "                        (uprobes: each hit costs microseconds, said before the run)\n"
	      "      --list-events     list the events this machine can sample\n"
	      "      --metrics         list the derived metrics (IPC, cache- and branch-miss\n"
	      "                        ratios), their -e inputs, and whether this machine\n"
	      "                        can count them\n"
	      "\n"
	      "Views:\n"
	      "  -f, --function NAME   line table of NAME, repeatable: a qualified name\n"
	      "                        (ns::Class::method, with or without (params)), a\n"
	      "                        template without arguments (every instance), a\n"
	      "                        linkage name, a glob (luaS_*), or FILE:LINE[-LAST]\n"
	      "      --merge-instances one -f table for all instances of a template\n"
	      "  -u, --unit SECONDS    timer unit of the Time column (1e-06)\n"
	      "  -z, --skip-zero       omit -f functions without samples\n"
	      "      --top N           the N hottest lines of the program (20 without -f)\n"
	      "      --listing         annotated source of every file with samples\n"
	      "      --asm             machine code of the -f functions (else of the --top\n"
	      "                        lines) with source, loops and per-instruction samples\n"
	      "      --loops           the hottest loops of the program (and loop rows\n"
	      "                        in --csv)\n"
	      "      --context N       only lines within N of a hot line (implies --listing)\n"
	      "      --threshold PCT   share of the program that makes a line hot (0.5)\n"
	      "      --csv FILE        per-line CSV, RFC 4180 (\"-\": standard output)\n"
	      "      --json FILE       metadata, functions and per-line rows as JSON\n"
	      "      --functions       flat profile: self and total time per function\n"
	      "      --sort KEY        order of --functions: self or total (self)\n"
	      "      --dot FILE        call graph in Graphviz DOT, gprof2dot style\n"
	      "      --png FILE, --svg FILE  the call graph drawn by Graphviz's dot\n"
	      "      --node-threshold PCT  leave out functions below PCT total (0.5)\n"
	      "      --edge-threshold PCT  leave out calls below PCT (0.1)\n"
	      "      --callgrind FILE  Callgrind format, for KCachegrind and callgrind_annotate\n"
	      "      --folded FILE     collapsed stacks, for flame graphs (\"-\": standard output)\n"
	      "      --folded-event Q  what --folded counts: samples (default), or nanoseconds of\n"
	      "                        time, sys, off-cpu or wall\n"
	      "      --html FILE       the whole report as one self-contained page: run,\n"
	      "                        functions, hot lines and loops, listings, call graph,\n"
	      "                        flame graph; a selector per rank, process, thread\n"
	      "      --flamegraph FILE an interactive flame graph, a standalone SVG\n"
	      "      --pprof FILE      gzipped profile.proto, for pprof (-top, -list, -http)\n"
	      "      --source-dir DIR  also look for source files under DIR, repeatable\n"
	      "      --ci              show the 95% confidence interval of % Time\n"
	      "      --color WHEN      auto, always or never (auto)\n"
	      "      --by LEVEL        a column per thread, process or rank in -f tables,\n"
	      "                        CSV and JSON, with their totals; statistics across\n"
	      "                        that level (--by-rank, --by-thread, --by-process)\n"
	      "      --ranks LIST      only these ranks (0,2,5-7) of the profiles\n"
	      "\n"
	      "Diff (lineprof diff; views: -f, --top, --functions, --csv, --json, -u):\n"
	      "      --fdr Q           false-discovery rate of the significance marks (0.05)\n"
	      "      --scale B:N       work units per run of BASE and of NEW (one number, or\n"
	      "                        one per run, comma-separated): compare time per unit\n"
	      "      --base-source DIR BASE's version of the sources, to follow moved lines\n"
	      "      --binary FILE     a copy of a binary rebuilt since it was profiled,\n"
	      "                        used for the profile whose build-id it has; repeatable\n"
	      "\n"
	      "  -h, --help            this text\n"
	      "  -V, --version         lineprof's version\n"
	      "\n"
	      "Exit status: the command's (128+N if killed by signal N); with -p 0;\n"
	      "lineprof's own errors: 1, usage 2, command not executable 126, not found 127.\n"
	      "See lineprof(1).\n", out);
}

int lp_ranks_parse(const char *list, unsigned char *bits, int nbits)
{
	const char *s = list;
	int n = 0;

	if (!*s)
		return -1;
	while (*s) {
		char *end;
		long a, b;

		if (*s < '0' || *s > '9')
			return -1;
		errno = 0;
		a = strtol(s, &end, 10);
		b = a;
		if (*end == '-') {
			if (end[1] < '0' || end[1] > '9')
				return -1;
			b = strtol(end + 1, &end, 10);
		}
		if (errno || a > b || b > LP_MAX_RANK)
			return -1;
		for (long r = a; r <= b; r++, n++)
			if (bits && r < nbits)
				bits[r / 8] |= (unsigned char)(1u << (r % 8));
		if (*end == ',' && end[1])
			end++;
		else if (*end)
			return -1;
		s = end;
	}
	return n;
}

static int parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out,
		     lp_error *err)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (!*s || *s == '-' || *end || errno || v < min || v > max)
		return lp_error_set(err, LP_EUSAGE,
				    "lineprof: %s needs a whole number from %llu to %llu, not '%s'",
				    opt, (unsigned long long)min, (unsigned long long)max, s);
	*out = v;
	return LP_OK;
}

static int parse_double(const char *opt, const char *s, double min, double *out, lp_error *err)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (!*s || *end || errno || !isfinite(v) || v < min)
		return lp_error_set(err, LP_EUSAGE, "lineprof: %s needs a number >= %g, not '%s'",
				    opt, min, s);
	*out = v;
	return LP_OK;
}

/* --scale B:N, each side one number or one per run: "100:200", "10,10,12:20,20,21". */
static int set_scale(lp_cli *cli, const char *arg, lp_error *err)
{
	const char *colon = strchr(arg, ':'), *p = arg;

	if (!colon || strchr(colon + 1, ':'))
		goto bad;
	for (int side = 0; side < 2; side++) {
		const char *end = side ? arg + strlen(arg) : colon;

		cli->diff.nwork[side] = 0;
		cli->diff.work[side] = cli->work[side];
		for (;;) {
			char *e;
			double v;

			errno = 0;
			v = strtod(p, &e);
			if (e == p || errno || !isfinite(v) || v <= 0 || e > end ||
			    cli->diff.nwork[side] == LP_MAX_RUNS)
				goto bad;
			cli->work[side][cli->diff.nwork[side]++] = v;
			p = e;
			if (p == end)
				break;
			if (*p++ != ',')
				goto bad;
		}
		p = colon + 1;
	}
	return LP_OK;
bad:
	return lp_error_set(err, LP_EUSAGE, "lineprof: --scale takes the work units BASE:NEW, each "
			    "one positive number or one per run (100:200, 10,10,12:20,20,21), not '%s'",
			    arg);
}

/* -p 12,34 -p 56: process ids accumulate, commas split, each counted once. */
static int add_pids(lp_cli *cli, const char *list, lp_error *err)
{
	const char *p = list;

	for (;;) {
		char word[32];
		size_t len = strcspn(p, ",");
		uint64_t v = 0; /* gcc -O3 cannot see parse_u64 sets it on LP_OK */
		int rc, dup = 0;

		if (len == 0 || len >= sizeof(word))
			return lp_error_set(err, LP_EUSAGE, "lineprof: -p needs process ids, "
					    "comma-separated (-p 1234,1240), not '%s'", list);
		memcpy(word, p, len);
		word[len] = '\0';
		if ((rc = parse_u64("-p", word, 1, 4194304, &v, err)) != LP_OK)
			return rc;
		for (int i = 0; i < cli->npids; i++)
			dup |= cli->pids[i] == (int)v;
		if (!dup && cli->npids == LP_MAX_PIDS)
			return lp_error_set(err, LP_EUSAGE, "lineprof: at most %d processes (-p)",
					    LP_MAX_PIDS);
		if (!dup)
			cli->pids[cli->npids++] = (int)v;
		p += len;
		if (!*p)
			return LP_OK;
		p++;
	}
}

/* -e a,b -e c: events accumulate, commas split, empty names are errors. */
static int add_events(lp_cli *cli, char *list, lp_error *err)
{
	char *save = NULL;

	if (!*list || list[strlen(list) - 1] == ',' || list[0] == ',' || strstr(list, ",,"))
		return lp_error_set(err, LP_EUSAGE, "lineprof: -e needs event names, not '%s'", list);
	for (char *e = strtok_r(list, ",", &save); e; e = strtok_r(NULL, ",", &save)) {
		if (cli->rec.nevents == LP_MAX_EVENTS)
			return lp_error_set(err, LP_EUSAGE, "lineprof: at most %d events per run",
					    LP_MAX_EVENTS);
		cli->rec.events[cli->rec.nevents++] = e;
	}
	return LP_OK;
}

static int set_folded_event(lp_cli *cli, const char *q, lp_error *err)
{
	static const char *const names[] = { "samples", "time", "sys", "off-cpu", "wall" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(q, names[i]) == 0) {
			cli->view.folded_event = (enum lp_folded_event)i;
			cli->folded_event_set = 1;
			return LP_OK;
		}
	}
	return lp_error_set(err, LP_EUSAGE, "lineprof: --folded-event takes samples, time, sys, "
			    "off-cpu or wall, not '%s'", q);
}

static int set_color(lp_cli *cli, const char *when, lp_error *err)
{
	if (strcmp(when, "auto") == 0)
		cli->view.color = LP_COLOR_AUTO;
	else if (strcmp(when, "always") == 0)
		cli->view.color = LP_COLOR_ALWAYS;
	else if (strcmp(when, "never") == 0)
		cli->view.color = LP_COLOR_NEVER;
	else
		return lp_error_set(err, LP_EUSAGE,
				    "lineprof: --color takes auto, always or never, not '%s'", when);
	return LP_OK;
}

/* -g, --call-graph[=fp], --call-graph=dwarf[,SIZE]: perf's names for the modes lineprof has. */
static int is_call_graph_mode(const char *arg)
{
	return strcmp(arg, "fp") == 0 || strcmp(arg, "dwarf") == 0 || strncmp(arg, "dwarf,", 6) == 0;
}

static int set_call_graph(lp_cli *cli, const char *arg, lp_error *err)
{
	uint64_t size = 0;
	int rc = LP_OK;

	if (arg && !is_call_graph_mode(arg))
		return lp_error_set(err, LP_EUSAGE, "lineprof: --call-graph=%s is not supported "
				    "(modes: fp, frame pointers; dwarf[,SIZE], DWARF unwinding)", arg);
	if (!arg || strcmp(arg, "fp") == 0) {
		cli->rec.callchain = LP_CALLCHAIN_FP;
		return LP_OK;
	}
	cli->rec.callchain = LP_CALLCHAIN_DWARF;
	if (arg[5] == ',')
		rc = parse_u64("--call-graph=dwarf,SIZE", arg + 6, 8, LP_STACK_USER_MAX, &size, err);
	if (rc == LP_OK && size % 8)
		rc = lp_error_set(err, LP_EUSAGE, "lineprof: --call-graph=dwarf,SIZE needs a multiple "
				  "of 8 bytes, not %llu", (unsigned long long)size);
	cli->rec.stack_size = (uint32_t)size;
	return rc;
}

static int parse_opt(lp_cli *cli, int c, char *arg, lp_error *err)
{
	uint64_t v = 0;
	int rc = LP_OK;

	switch (c) {
	case 'e': return add_events(cli, arg, err);
	case 'F': return parse_u64("-F", arg, 1, 1000000, &cli->rec.freq, err);
	case 'c': return parse_u64("-c", arg, 1, UINT64_MAX >> 1, &cli->rec.period, err);
	case 'g': return set_call_graph(cli, arg, err);
	case 'p': return add_pids(cli, arg, err);
	case 'o': cli->output = arg; return LP_OK;
	case 'f':
		if (cli->view.nfunctions == LP_MAX_FUNCTIONS)
			return lp_error_set(err, LP_EUSAGE, "lineprof: at most %d -f functions",
					    LP_MAX_FUNCTIONS);
		if (!*arg)
			return lp_error_set(err, LP_EUSAGE, "lineprof: -f needs a function name");
		cli->functions[cli->view.nfunctions++] = arg;
		return LP_OK;
	case 'u':
		rc = parse_double("-u", arg, 1e-12, &cli->view.unit, err);
		if (rc == LP_OK && cli->view.unit <= 0)
			rc = lp_error_set(err, LP_EUSAGE, "lineprof: -u needs a positive number of seconds");
		return rc;
	case 'z': cli->view.skip_zero = 1; return LP_OK;
	case OPT_SOURCE_DIR:
		if (cli->view.nsource_dirs == LP_MAX_SOURCE_DIRS)
			return lp_error_set(err, LP_EUSAGE, "lineprof: at most %d --source-dir",
					    LP_MAX_SOURCE_DIRS);
		cli->source_dirs[cli->view.nsource_dirs++] = arg;
		return LP_OK;
	case OPT_LIST_EVENTS: cli->cmd = LP_CMD_LIST_EVENTS; return LP_OK;
	case OPT_METRICS: cli->cmd = LP_CMD_LIST_METRICS; return LP_OK;
	case OPT_TOP:
		rc = parse_u64("--top", arg, 1, 1000000, &v, err);
		cli->view.top = (int)v;
		return rc;
	case OPT_LISTING: cli->view.listing = 1; return LP_OK;
	case OPT_ASM: cli->view.asm_view = 1; return LP_OK;
	case OPT_LOOPS: cli->view.loops_view = 1; return LP_OK;
	case OPT_CONTEXT:
		rc = parse_u64("--context", arg, 0, 100000, &v, err);
		cli->view.context = (int)v;
		cli->view.listing = 1;
		return rc;
	case OPT_THRESHOLD: return parse_double("--threshold", arg, 0, &cli->view.threshold, err);
	case OPT_CSV: cli->view.csv = arg; return LP_OK;
	case OPT_JSON: cli->view.json = arg; return LP_OK;
	case OPT_CI: cli->view.ci = 1; return LP_OK;
	case OPT_COLOR: return set_color(cli, arg, err);
	case OPT_FUNCTIONS: cli->view.functions_view = 1; return LP_OK;
	case OPT_SORT:
		if (strcmp(arg, "self") && strcmp(arg, "total"))
			return lp_error_set(err, LP_EUSAGE, "lineprof: --sort takes self or total, not '%s'", arg);
		cli->view.sort = strcmp(arg, "total") == 0 ? LP_SORT_TOTAL : LP_SORT_SELF;
		return LP_OK;
	case OPT_DOT: cli->view.dot = arg; return LP_OK;
	case OPT_PNG: cli->view.png = arg; return LP_OK;
	case OPT_SVG: cli->view.svg = arg; return LP_OK;
	case OPT_NODE_THRESHOLD:
		return parse_double("--node-threshold", arg, 0, &cli->view.node_threshold, err);
	case OPT_EDGE_THRESHOLD:
		return parse_double("--edge-threshold", arg, 0, &cli->view.edge_threshold, err);
	case OPT_CALLGRIND: cli->view.callgrind = arg; return LP_OK;
	case OPT_FOLDED: cli->view.folded = arg; return LP_OK;
	case OPT_HTML: cli->view.html = arg; return LP_OK;
	case OPT_FLAMEGRAPH: cli->view.flamegraph = arg; return LP_OK;
	case OPT_PPROF: cli->view.pprof = arg; return LP_OK;
	case OPT_HITS: cli->hits = 1; return LP_OK;
	case OPT_OFF_CPU: cli->rec.off_cpu = LP_OFFCPU_ON; return LP_OK;
	case OPT_NO_OFF_CPU: cli->rec.off_cpu = LP_OFFCPU_OFF; return LP_OK;
	case OPT_FOLDED_EVENT: return set_folded_event(cli, arg, err);
	case OPT_MERGE_INSTANCES: cli->view.merge_instances = 1; return LP_OK;
	case OPT_MMAP_PAGES:
		rc = parse_u64("--mmap-pages", arg, 1, 1 << 20, &v, err);
		if (rc == LP_OK && (v & (v - 1)))
			rc = lp_error_set(err, LP_EUSAGE, "lineprof: --mmap-pages must be a power of 2, not %llu",
					  (unsigned long long)v);
		cli->rec.mmap_pages = (size_t)v;
		return rc;
	case OPT_FDR:
		rc = parse_double("--fdr", arg, 0, &cli->diff.fdr, err);
		if (rc == LP_OK && (cli->diff.fdr <= 0 || cli->diff.fdr >= 1))
			rc = lp_error_set(err, LP_EUSAGE, "lineprof: --fdr needs a rate between 0 and 1 "
					  "(0.05 is 5 %%), not '%s'", arg);
		return rc;
	case OPT_SCALE: return set_scale(cli, arg, err);
	case OPT_DURATION:
		rc = parse_double("--duration", arg, 0, &cli->duration, err);
		if (rc == LP_OK && !(cli->duration > 0 && cli->duration <= 1e9))
			rc = lp_error_set(err, LP_EUSAGE, "lineprof: --duration needs a number of seconds "
					  "above 0, not '%s'", arg);
		return rc;
	case OPT_BASE_SOURCE: cli->diff.base_source = arg; return LP_OK;
	case OPT_BINARY:
		if (cli->diff.nbinaries == LP_MAX_BINARIES)
			return lp_error_set(err, LP_EUSAGE, "lineprof: at most %d --binary",
					    LP_MAX_BINARIES);
		cli->binaries[cli->diff.nbinaries++] = arg;
		return LP_OK;
	case OPT_BY:
		if (strcmp(arg, "thread") == 0 || strcmp(arg, "threads") == 0)
			cli->view.by = LP_BY_THREAD;
		else if (strcmp(arg, "process") == 0 || strcmp(arg, "processes") == 0)
			cli->view.by = LP_BY_PROCESS;
		else if (strcmp(arg, "rank") == 0 || strcmp(arg, "ranks") == 0)
			cli->view.by = LP_BY_RANK;
		else
			return lp_error_set(err, LP_EUSAGE, "lineprof: --by takes thread, process or "
					    "rank, not '%s'", arg);
		return LP_OK;
	case OPT_BY_RANK: cli->view.by = LP_BY_RANK; return LP_OK;
	case OPT_BY_THREAD: cli->view.by = LP_BY_THREAD; return LP_OK;
	case OPT_BY_PROCESS: cli->view.by = LP_BY_PROCESS; return LP_OK;
	case OPT_RANKS:
		if (lp_ranks_parse(arg, NULL, 0) < 0)
			return lp_error_set(err, LP_EUSAGE, "lineprof: --ranks takes ranks and ranges "
					    "such as 0,2,5-7, not '%s'", arg);
		cli->ranks = arg;
		return LP_OK;
	case 'q': cli->quiet = 1; return LP_OK;
	case 'h': cli->cmd = LP_CMD_HELP; return LP_OK;
	case 'V': cli->cmd = LP_CMD_VERSION; return LP_OK;
	default:
		return lp_error_set(err, LP_EUSAGE, "lineprof: unknown option (see lineprof --help)");
	}
}

/* View options that need another one. */
static int check_views(const lp_cli *cli, lp_error *err)
{
	if (cli->folded_event_set && !cli->view.folded)
		return lp_error_set(err, LP_EUSAGE,
				    "lineprof: --folded-event says what --folded FILE counts: add --folded FILE");
	return LP_OK;
}

/* Options that make no sense for the subcommand are refused rather than ignored. */
static int check_combination(lp_cli *cli, lp_error *err)
{
	if (cli->cmd == LP_CMD_HELP || cli->cmd == LP_CMD_VERSION || cli->cmd == LP_CMD_LIST_EVENTS ||
	    cli->cmd == LP_CMD_LIST_METRICS)
		return LP_OK;
	if (cli->cmd == LP_CMD_ANNOTATE || cli->cmd == LP_CMD_MERGE) {
		const char *what = cli->cmd == LP_CMD_MERGE ? "merge" : "annotate";

		if (cli->nargs < 1)
			return lp_error_set(err, LP_EUSAGE,
					    "lineprof: %s needs profile files (lineprof %s FILE|DIR|GLOB...)",
					    what, what);
		if (cli->rec.nevents || cli->rec.freq || cli->rec.period || cli->rec.callchain ||
		    cli->hits || cli->npids || cli->duration || cli->rec.off_cpu ||
		    (cli->output && cli->cmd == LP_CMD_ANNOTATE))
			return lp_error_set(err, LP_EUSAGE,
					    "lineprof: recording options (-e -F -c -g -o -p --duration --hits --off-cpu) do not apply to %s",
					    what);
		if (cli->cmd == LP_CMD_MERGE && !cli->output)
			return lp_error_set(err, LP_EUSAGE,
					    "lineprof: merge writes one file: name it with -o (lineprof merge -o job.lprof FILES...)");
		return check_views(cli, err);
	}
	if (cli->ranks)
		return lp_error_set(err, LP_EUSAGE, "lineprof: --ranks selects ranks of saved profiles: "
				    "use it with annotate or merge");
	if (cli->nargs == 0 && !cli->npids)
		return lp_error_set(err, LP_EUSAGE,
				    "lineprof: no command to profile (usage: lineprof [OPTIONS] COMMAND [ARG...], "
				    "or lineprof -p PID to attach to a running process)");
	if (cli->nargs > 0 && cli->npids)
		return lp_error_set(err, LP_EUSAGE, "lineprof: -p attaches to running processes, '%s' "
				    "would start one: give -p or a command, not both", cli->args[0]);
	if (cli->duration && !cli->npids)
		return lp_error_set(err, LP_EUSAGE, "lineprof: --duration applies to -p (a command "
				    "is recorded until it ends)");
	if (cli->rec.freq && cli->rec.period)
		return lp_error_set(err, LP_EUSAGE, "lineprof: -F and -c exclude each other: choose one");
	if (cli->hits && cli->view.nfunctions == 0)
		return lp_error_set(err, LP_EUSAGE, "lineprof: --hits counts the lines of -f functions: name one with -f");
	return check_views(cli, err);
}

/* Does option word w take the next word as its value ("-f NAME", "--csv FILE")? */
static int takes_value(const char *w)
{
	const struct option *hit = NULL;
	size_t len;
	int nhit = 0;

	if (w[0] != '-' || !w[1])
		return 0;
	if (w[1] != '-') {
		for (const char *c = w + 1; *c; c++)
			if (strchr("eFcpofu", *c))
				return c[1] == '\0'; /* else the rest of the word is the value */
		return 0;
	}
	len = strcspn(w + 2, "=");
	if (w[2 + len] == '=')
		return 0;
	for (const struct option *o = long_opts; o->name; o++) {
		if (strncmp(o->name, w + 2, len) != 0)
			continue;
		if (strlen(o->name) == len)
			return o->has_arg == required_argument;
		hit = o;
		nhit++;
	}
	return nhit == 1 && hit->has_arg == required_argument;
}

static const char *opt_name(int c, char *buf, size_t size)
{
	for (const struct option *o = long_opts; o->name; o++)
		if (o->val == c) {
			snprintf(buf, size, "--%s", o->name);
			return buf;
		}
	snprintf(buf, size, "-%c", c);
	return buf;
}

/* What diff refuses: recording, and the views it has no diff of. */
static int refused_in_diff(int c)
{
	switch (c) {
	case 'e': case 'F': case 'c': case 'g': case 'p': case 'o': case OPT_HITS: case OPT_DURATION:
	case OPT_MMAP_PAGES: case OPT_LIST_EVENTS: case OPT_METRICS: case OPT_LISTING:
	case OPT_CONTEXT: case OPT_THRESHOLD: case OPT_CI: case OPT_SORT: case OPT_DOT:
	case OPT_PNG: case OPT_SVG: case OPT_NODE_THRESHOLD: case OPT_EDGE_THRESHOLD:
	case OPT_CALLGRIND: case OPT_FOLDED:
		return 1;
	default:
		return 0;
	}
}

static int diff_only(int c)
{
	return c == OPT_FDR || c == OPT_SCALE || c == OPT_BASE_SOURCE || c == OPT_BINARY;
}

/* getopt's answer c for the word at hand: an error for what it could not parse. */
static int getopt_error(int c, const char *word, lp_error *err)
{
	if (c == ':')
		return lp_error_set(err, LP_EUSAGE, "lineprof: option '%s' needs a value "
				    "(see lineprof --help)", word);
	if (c == '?' && optopt)
		return lp_error_set(err, LP_EUSAGE, "lineprof: unknown option '-%c' "
				    "(see lineprof --help)", optopt);
	return lp_error_set(err, LP_EUSAGE, "lineprof: unknown option '%s' "
			    "(see lineprof --help)", word);
}

/*
 * Options of diff may come before, between or after the profile files: the
 * words argv[start..end) are parsed with GNU getopt's permutation, which
 * leaves the files at the end. argv[start - 1] stands in for argv[0].
 */
static int parse_diff_words(lp_cli *cli, char **argv, int start, int end, char ***files,
			    int *nfiles, lp_error *err)
{
	char **av = argv + start - 1, name[64];
	int n = end - start + 1, c, rc = LP_OK;

	optind = 0;
	opterr = 0;
	while (rc == LP_OK &&
	       (c = getopt_long(n, av, ":e:F:c:gp:o:f:u:zhV", long_opts, NULL)) != -1) {
		if (c == ':' || c == '?')
			return getopt_error(c, av[optind - 1], err);
		if (refused_in_diff(c))
			return lp_error_set(err, LP_EUSAGE, "lineprof: %s does not apply to diff (its "
					    "views: -f, --top, --functions, --csv, --json)",
					    opt_name(c, name, sizeof(name)));
		rc = parse_opt(cli, c, optarg, err);
	}
	*files = av + optind;
	*nfiles = n - optind;
	return rc;
}

/* lineprof diff [OPTIONS] BASE NEW, or BASE... -- NEW... (the first bare "--" splits). */
static int parse_diff(lp_cli *cli, int argc, char **argv, lp_error *err)
{
	int sep = -1, rc;

	/* No command: the profiles are diff_files. */
	cli->args = argv + argc;
	cli->nargs = 0;
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			if (sep >= 0)
				return lp_error_set(err, LP_EUSAGE, "lineprof: diff takes one '--', between "
						    "BASE's and NEW's profiles");
			sep = i;
		} else if (takes_value(argv[i])) {
			i++;
		}
	}
	rc = parse_diff_words(cli, argv, 2, sep < 0 ? argc : sep, &cli->diff_files[0],
			      &cli->ndiff_files[0], err);
	if (rc == LP_OK && sep >= 0)
		rc = parse_diff_words(cli, argv, sep + 1, argc, &cli->diff_files[1],
				      &cli->ndiff_files[1], err);
	if (rc != LP_OK || cli->cmd != LP_CMD_DIFF) /* -h, -V */
		return rc;
	if (sep < 0) {
		if (cli->ndiff_files[0] != 2)
			return lp_error_set(err, LP_EUSAGE, "lineprof: diff compares two profiles "
					    "(lineprof diff BASE.lprof NEW.lprof), or several runs per "
					    "side with '--' between them (lineprof diff A1 A2 A3 -- B1 B2 B3)");
		cli->diff_files[1] = cli->diff_files[0] + 1;
		cli->ndiff_files[0] = cli->ndiff_files[1] = 1;
	}
	for (int side = 0; side < 2; side++) {
		if (cli->ndiff_files[side] < 1)
			return lp_error_set(err, LP_EUSAGE, "lineprof: diff: no %s profile %s '--' "
					    "(lineprof diff A1 A2 A3 -- B1 B2 B3)",
					    side ? "NEW" : "BASE", side ? "after" : "before");
		if (cli->ndiff_files[side] > LP_MAX_RUNS)
			return lp_error_set(err, LP_EUSAGE, "lineprof: diff: at most %d profiles per side",
					    LP_MAX_RUNS);
	}
	return LP_OK;
}

int lp_cli_parse(lp_cli *cli, int argc, char **argv, lp_error *err)
{
	int first = 1, c, rc = LP_OK;
	const char *optstring;

	memset(cli, 0, sizeof(*cli));
	lp_view_opts_init(&cli->view);
	cli->view.functions = cli->functions;
	cli->view.source_dirs = cli->source_dirs;
	cli->rec.diag = stderr;
	lp_diff_opts_init(&cli->diff);
	cli->diff.binaries = cli->binaries;
	cli->cmd = LP_CMD_RUN;
	if (argc > 1 && strcmp(argv[1], "record") == 0)
		cli->cmd = LP_CMD_RECORD, first = 2;
	else if (argc > 1 && strcmp(argv[1], "annotate") == 0)
		cli->cmd = LP_CMD_ANNOTATE, first = 2;
	else if (argc > 1 && strcmp(argv[1], "merge") == 0)
		cli->cmd = LP_CMD_MERGE, first = 2;
	else if (argc > 1 && strcmp(argv[1], "diff") == 0)
		cli->cmd = LP_CMD_DIFF;
	if (cli->cmd == LP_CMD_DIFF)
		return parse_diff(cli, argc, argv, err);
	/*
	 * A command's own options follow it, so parsing stops at the command
	 * ('+'); profiles take options anywhere ("annotate p.lprof --csv -").
	 */
	optstring = cli->cmd == LP_CMD_ANNOTATE || cli->cmd == LP_CMD_MERGE ?
		    ":e:F:c:gp:o:f:u:zhVq" : "+:e:F:c:gp:o:f:u:zhVq";
	/* getopt sees argv from the subcommand on; 0 fully resets glibc's parser. */
	optind = 0;
	opterr = 0;
	while (rc == LP_OK &&
	       (c = getopt_long(argc - first + 1, argv + first - 1, optstring,
				long_opts, NULL)) != -1) {
		const char *word = argv[first - 1 + optind - 1];
		char name[64];

		if (c == ':' || c == '?')
			return getopt_error(c, word, err);
		if (diff_only(c))
			return lp_error_set(err, LP_EUSAGE, "lineprof: %s applies to lineprof diff only",
					    opt_name(c, name, sizeof(name)));
		/* perf's spelling "--call-graph dwarf": the mode is the next word. */
		if (c == 'g' && !optarg && strcmp(word, "--call-graph") == 0 &&
		    optind < argc - first + 1 && is_call_graph_mode(argv[first - 1 + optind]))
			optarg = argv[first - 1 + optind++];
		rc = parse_opt(cli, c, optarg, err);
	}
	if (rc != LP_OK)
		return rc;
	cli->args = argv + first - 1 + optind;
	cli->nargs = argc - (first - 1 + optind);
	if (cli->cmd == LP_CMD_RECORD || cli->cmd == LP_CMD_MERGE)
		cli->view.show_tables = 0;
	return check_combination(cli, err);
}
