/* Source text for the views, found through DWARF paths and --source-dir roots. */
#ifndef LP_SOURCE_H
#define LP_SOURCE_H

#include <stdio.h>

typedef struct lp_sources lp_sources;

/* diag receives one note per file that cannot be found or is newer than its binary. */
lp_sources *lp_sources_new(const char *const *dirs, int ndirs, FILE *diag);
/*
 * Files under dirs only, never where DWARF says they are: an older version of
 * the tree kept elsewhere (lineprof diff --base-source). No notes.
 */
lp_sources *lp_sources_new_under(const char *const *dirs, int ndirs);
void lp_sources_free(lp_sources *s);

/* Line text without its newline; NULL when the file or the line is not there. */
const char *lp_sources_line(lp_sources *s, const char *file, int line);

/* Number of lines in file, 0 if it cannot be read. */
int lp_sources_count(lp_sources *s, const char *file);

/* Warns once if file is newer than binary: its line numbers may no longer match. */
void lp_sources_check_age(lp_sources *s, const char *file, const char *binary);

#endif
