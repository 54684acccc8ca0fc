/*
 * relations: which streams read the rows of a relation. At the start every
 * stream's table and every partition and inheritance child below it
 * (relations_build_map); later a relation not in the map (a partition or
 * child created since) is resolved when its first change arrives
 * (relations_resolve). The answers are L->names -> L->targets.
 */
#ifndef TAP_LOGICAL_RELATIONS_H
#define TAP_LOGICAL_RELATIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "sl_run.h"

/* relations_add_target: append a target to L->targets. False on out of memory (logged, fail
   code set). */
bool relations_add_target(sl_run *L, int stream, bool own);
/* relations_resolve: the streams a relation's changes go to: count targets from first on
   (0: none of ours). False after logging (fail code set). */
bool relations_resolve(sl_run *L, const char *schema, const char *table, size_t *first, int *count);
/*
 * relations_descendants: the relations whose rows a SELECT FROM each named table reads (the
 * table and every partition or inheritance child below it, at every level) of the streams
 * first .. first + count - 1: rows (the stream's index less first, schema, name, relkind,
 * relispartition), ordered by schema, name, index. The caller PQclear()s it. NULL after a
 * failed query or out of memory (logged, L failed).
 */
PGresult *relations_descendants(sl_run *L, size_t first, size_t count);
/* relations_build_map: the map of every relation whose rows a stream reads. False after
   logging (fail code set). */
bool relations_build_map(sl_run *L);

#endif
