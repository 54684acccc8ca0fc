/*
 * sync_incremental: INCREMENTAL replication of one stream by its
 * replication key.
 *
 * COPY (SELECT <columns> FROM <table> [WHERE key >= <bookmark>] ORDER BY key
 * [LIMIT n]) TO STDOUT. The comparison is inclusive (the last row of the
 * previous run is sent again, as pipelinewise does). The bookmark
 * (replication_key_value) is the key's PostgreSQL text form, kept exactly as a
 * string and bound as a parameter; a NULL key never becomes the bookmark, nor
 * does +infinity or NaN (they sort after every value and would hide new rows).
 * Messages: SCHEMA (bookmark_properties [key]), STATE, ACTIVATE_VERSION once,
 * the records with a STATE every `itersize` rows.
 */
#ifndef TAP_SYNC_INCREMENTAL_H
#define TAP_SYNC_INCREMENTAL_H

#include <stdbool.h>

#include "tap.h"

/* sync_incremental_run: replicate s over c (idle, not in a transaction). False after logging. */
bool sync_incremental_run(tap_run *run, pg_conn *c, tap_stream *s);

#endif
