/*
 * lineprof's notices under a launcher: one terminal, many ranks. Every line
 * that starts "lineprof:" is marked with the rank ("lineprof[3]:"); notices
 * of ranks other than 0, and all notices with --quiet, are dropped. Errors
 * are printed by the caller through lp_notes_error, never dropped.
 */
#ifndef LP_NOTES_H
#define LP_NOTES_H

#include <stdio.h>

/* A stream over to; rank < 0: not under a launcher (no mark). NULL if it cannot be made. */
FILE *lp_notes_open(FILE *to, int rank, int drop);
/* msg (a "lineprof: ..." line without its newline) on to, with the rank mark. */
void lp_notes_error(FILE *to, int rank, const char *msg);

#endif
