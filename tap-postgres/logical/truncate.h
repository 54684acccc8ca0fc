/*
 * truncate: a TRUNCATE in the stream. Its relations are collected
 * (truncate_collect: pgoutput sends one message for them all, wal2json one
 * per relation) until a message of another kind, then acted upon once per
 * stream (truncate_flush): a new table version when every table holding the
 * stream's rows was emptied, else the stream is copied again at the end of
 * the run.
 */
#ifndef TAP_LOGICAL_TRUNCATE_H
#define TAP_LOGICAL_TRUNCATE_H

#include <stdbool.h>

#include "change.h"
#include "sl_run.h"

/* truncate_collect: collect the relations of TRUNCATE change c. False after logging (fail
   code set). */
bool truncate_collect(sl_run *L, const change *c);
/* truncate_flush: act upon the collected TRUNCATE (see truncate.c) and forget it. False after
   logging (fail code set). */
bool truncate_flush(sl_run *L);

#endif
