/* The command line, parsed into the options of the recorder and of the views. */
#ifndef LP_OPTIONS_H
#define LP_OPTIONS_H

#include "lineprof/annotate.h"
#include "lineprof/record.h"

#define LP_MAX_FUNCTIONS 64
#define LP_MAX_SOURCE_DIRS 16
#define LP_MAX_RUNS 256          /* profiles per side of diff */
#define LP_MAX_BINARIES 64       /* diff --binary */
#define LP_MAX_PIDS 1024         /* -p */

enum lp_command {
	LP_CMD_RUN,          /* lineprof [OPTIONS] COMMAND: record, save, report */
	LP_CMD_RECORD,       /* lineprof record: record and save only */
	LP_CMD_ANNOTATE,     /* lineprof annotate FILE|DIR|GLOB...: report saved profiles */
	LP_CMD_MERGE,        /* lineprof merge -o OUT FILE...: one profile of many */
	LP_CMD_DIFF,         /* lineprof diff BASE NEW, or BASE... -- NEW...: compare profiles */
	LP_CMD_LIST_EVENTS,
	LP_CMD_LIST_METRICS, /* --metrics */
	LP_CMD_HELP,
	LP_CMD_VERSION,
};

typedef struct lp_cli {
	enum lp_command cmd;
	lp_record_opts rec;
	lp_view_opts view;
	const char *output;                  /* -o FILE */
	char **args;                         /* COMMAND [ARG...], or the profile file */
	int nargs;
	const char *functions[LP_MAX_FUNCTIONS];
	const char *source_dirs[LP_MAX_SOURCE_DIRS];
	int hits;                            /* --hits */
	int pids[LP_MAX_PIDS];               /* -p PID[,PID...]: attach to these */
	int npids;
	double duration;                     /* --duration SEC with -p; 0: until they exit */
	int folded_event_set;                /* --folded-event given */
	lp_diff_opts diff;                   /* diff's own options */
	char **diff_files[2];                /* diff: BASE's and NEW's profiles (in argv) */
	int ndiff_files[2];
	double work[2][LP_MAX_RUNS];         /* --scale */
	const char *binaries[LP_MAX_BINARIES]; /* --binary */
	const char *ranks;                   /* --ranks LIST */
	int quiet;                           /* -q, --quiet: no notices */
} lp_cli;

#define LP_MAX_RANK 16777215

/*
 * --ranks: "0,2,5-7" into a bitmap of nbits bits (bits may be NULL to
 * validate only). The number of ranks named, or -1 if the list is malformed.
 */
int lp_ranks_parse(const char *list, unsigned char *bits, int nbits);

/* Fills cli from argv; LP_OK, or LP_EUSAGE with a one-line message. argv is not copied. */
int lp_cli_parse(lp_cli *cli, int argc, char **argv, lp_error *err);

void lp_cli_usage(FILE *out);

#endif
