/* The command line, parsed into the options of the recorder and of the views. */
#ifndef LP_OPTIONS_H
#define LP_OPTIONS_H

#include "lineprof/annotate.h"
#include "lineprof/record.h"

#define LP_MAX_FUNCTIONS 64
#define LP_MAX_SOURCE_DIRS 16

enum lp_command {
	LP_CMD_RUN,          /* lineprof [OPTIONS] COMMAND: record, save, report */
	LP_CMD_RECORD,       /* lineprof record: record and save only */
	LP_CMD_ANNOTATE,     /* lineprof annotate FILE.lprof: report a saved profile */
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
	int pid;                             /* -p PID (attach) */
	int folded_event_set;                /* --folded-event given */
} lp_cli;

/* Fills cli from argv; LP_OK, or LP_EUSAGE with a one-line message. argv is not copied. */
int lp_cli_parse(lp_cli *cli, int argc, char **argv, lp_error *err);

void lp_cli_usage(FILE *out);

#endif
