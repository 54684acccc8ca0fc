/*
 * sync_logical: LOG_BASED replication of every selected LOG_BASED stream in
 * one pass over one replication slot (DESIGN.md).
 *
 *   bool sync_logical_run(tap_run *run, tap_stream *const *streams, size_t n);
 *
 * The run (sync_logical.c and logical/ have the details): slot and publication checked or
 * created (logical_slot.h); streams without an lsn bookmark copied inside the
 * snapshot the slot exports; then START_REPLICATION (repl_stream.h) at the
 * smallest bookmark, each plugin message decoded (decode_wal2json.h,
 * decode_pgoutput.h) into a change (change.h) and written as RECORDs with the
 * stream's record builder; STATE at transaction boundaries. The flush
 * position confirmed to the slot is the input state's, never more. The
 * streams' catalog entries are not modified (columns that appear mid-stream
 * are kept in the run's own copy of each stream: logical/lstream.h).
 *
 * What it gets:
 *  - run->cfg: the parsed config (tap_config.h): the connection (run->cfg->root
 *    for pg_conn_connect, with pg_conn_options.replication for the replication
 *    connection), logical_decoding_plugin, slot_name / publication_name /
 *    tap_id, logical_poll_total_seconds, break_at_end_lsn, max_run_seconds,
 *    wal_sender_timeout, debug_lsn, itersize, special_numbers_as_strings.
 *  - streams[0..n): the selected LOG_BASED streams (never views), sorted by
 *    tap_stream_id and bound to the database: schema_name, table_name,
 *    columns[] (name, sql_type, is_pk, type = the typemap conversion),
 *    key_properties (the primary key), pk_index.
 *  - run->input_state: the state as read (the LSN in it is what the target
 *    has committed: the only position that may be confirmed to the slot).
 *  - run->state: the output state; the bookmarks of these streams have
 *    last_replication_method = LOG_BASED already (a bookmark whose method or
 *    key changed has been emptied). Set "lsn" / "version" there and emit it
 *    with tap_emit_state(run).
 *  - run->w: the Singer writer (stdout); SCHEMA via tap_emit_schema(run, s,
 *    "lsn", "\"_sdc_deleted_at\":{...}"), RECORDs via a record_builder from
 *    tap_stream_builder(run, s, &rb) (record_builder_value / record_builder_null /
 * record_builder_raw, columns may be left out), ACTIVATE_VERSION via tap_emit_activate_version.
 *  - run->tm: the value conversion context (typemap_value takes a value's text
 *    output form: a pgoutput text column or a wal2json string).
 *  - the initial copy of a new stream can reuse tap_copy_rows inside a
 *    transaction that imported the slot's exported snapshot.
 *
 * Returns false after logging, with the exit code set by tap_fail(run, code):
 * EXIT_SOURCE_DB for the server and the setup, EXIT_BAD_CONFIG for names and
 * plugins, EXIT_OUTPUT for stdout, EXIT_INTERRUPTED after a signal (which ends
 * the run after the current transaction, with a final STATE).
 */
#ifndef TAP_SYNC_LOGICAL_H
#define TAP_SYNC_LOGICAL_H

#include <stdbool.h>
#include <stddef.h>

#include "tap.h"

bool sync_logical_run(tap_run *run, tap_stream *const *streams, size_t n);

#endif
