/*
 * lstream: the column model of a LOG_BASED stream and the rules that turn a
 * change into RECORDs. The run knows every column of the stream's table (the
 * catalog's selection decides which are synced), follows new columns and
 * type changes from the wire (reading the table's columns again), and writes
 * an insert or update as the new row (unchanged TOAST values left out, or
 * taken from the old row), a delete as its key with _sdc_deleted_at, and an
 * update that changed the key as a delete of the old key plus the new row
 * (its left-out columns read from the source).
 */
#ifndef TAP_LOGICAL_LSTREAM_H
#define TAP_LOGICAL_LSTREAM_H

#include <stdbool.h>
#include <stdint.h>

#include "change.h"
#include "sl_run.h"

/* lstream_init: ls for catalog stream s (borrowed), with its record builder. False after
   logging (fail code set); sl_run_term frees ls in any case. */
bool lstream_init(sl_run *L, lstream *ls, tap_stream *s);
/* lstream_check_wire_columns: the columns of a relation or a wal2json row against what the
   stream knows (see lstream.c). False after logging (fail code set). */
bool lstream_check_wire_columns(sl_run *L, lstream *ls, const change_column *cols, int n, bool own);
/* lstream_emit_schema: the stream's SCHEMA (its synced columns, _sdc_deleted_at, and _sdc_lsn
   with debug_lsn). False after logging (fail code set). */
bool lstream_emit_schema(sl_run *L, lstream *ls);
/* lstream_row_change: one row change (insert, update, delete) of the transaction being read
   for stream ls, which reads the relation (own: its own table); nothing when the
   transaction does not apply to it. False after logging (fail code set). */
bool lstream_row_change(sl_run *L, lstream *ls, bool own, const change *c, uint64_t wal_start);
/* lstream_take_counters: the run's conversion counters (which hold the values of the records
   written since the last call) added to the stream's, and set to 0 */
void lstream_take_counters(sl_run *L, lstream *ls);

#endif
