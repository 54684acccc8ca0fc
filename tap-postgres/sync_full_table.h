/*
 * sync_full_table: FULL_TABLE replication of one stream.
 *
 * One REPEATABLE READ, READ ONLY transaction per table;
 * COPY (SELECT <columns> FROM <table> [WHERE (pk) > (<last key>)] [ORDER BY pk]) TO STDOUT
 * streamed row by row into RECORD lines. Messages as pipelinewise: SCHEMA,
 * STATE (with the table version), ACTIVATE_VERSION on the first run, the
 * records with a STATE every `itersize` rows, ACTIVATE_VERSION at the end.
 *
 * Resume: tables with a primary key are read in key order and each STATE
 * carries "last_pk_fetched" (the key of the last record before it, as text).
 * A run that finds it in the state keeps the version and continues after
 * that key. Views and tables without a primary key start over (same version).
 */
#ifndef TAP_SYNC_FULL_TABLE_H
#define TAP_SYNC_FULL_TABLE_H

#include <stdbool.h>

#include "tap.h"

/* sync_full_table_run: replicate s over c (idle, not in a transaction). False after logging. */
bool sync_full_table_run(tap_run *run, pg_conn *c, tap_stream *s);

#endif
