/*
 * chunked_copy: the initial copy of a LOG_BASED stream in chunks (snapshot_chunk_rows), after
 * Netflix's DBLog, interleaved with the stream so that no transaction stays open longer than
 * one chunk's SELECT and the slot keeps moving.
 *
 * A chunk is `SELECT <columns> FROM t WHERE (k1, k2) > ($1, $2) ORDER BY k1, k2 LIMIT n` in
 * its own short transaction, between a low and a high watermark written into the WAL (a
 * non-transactional logical message, or an upsert of snapshot_watermark_table). Its rows wait
 * in a compact buffer (length-prefixed texts, no JSON tree) while the stream goes on; every
 * row change of the stream to a key of the chunk, read before the high watermark, removes
 * that key from the buffer (the change wins: it is written, and it carries the row as of the
 * high watermark or later); at the high watermark the rows left are written. Only then does
 * the state record the chunk's last key, so an interrupted copy resumes after it while the
 * stream keeps the rows already copied up to date. See chunked_copy.c for why this is exact.
 * A chunk whose connection was lost while it was read is read again on a new connection (up to
 * reconnect_attempts in the run, tap_retry.h's waits).
 *
 * The module's state hangs off sl_run.chunks (owned by the run: chunked_copy_destroy in
 * sl_run_term); it owns the pending chunk's rows, a chunk_buffer (chunk_buffer.h: the
 * encoding, the key index, the rows a change took). The bookmark's "chunked_copy" member is
 * read and written through chunk_bookmark.h. This module keeps the steps: config, which
 * streams go in chunks, watermarks, the snapshot check, when a chunk is written, STATE. Streams
 * without a primary key (or with snapshot_chunk_rows = 0) keep the copy inside the exported
 * snapshot of the slot (initial_copy.c).
 */
#ifndef TAP_LOGICAL_CHUNKED_COPY_H
#define TAP_LOGICAL_CHUNKED_COPY_H

#include <stdbool.h>
#include <stdint.h>

#include "change.h"
#include "sl_run.h"

/* the prefix of our watermark messages (the content names the slot, process and chunk) */
#define CHUNKED_COPY_PREFIX "tap-postgres.watermark"

/* chunked_copy_read: after the bookmarks are read (setup_run): the config checked, and each
   stream whose bookmark holds a chunked copy in progress resumes it, or is copied again when
   it cannot (key changed, snapshot_chunk_rows = 0). False after logging (fail code set). */
bool chunked_copy_read(sl_run *L);
/* chunked_copy_start: after the SCHEMA messages: each stream to be copied that has a primary
   key goes in chunks (a new table version, ACTIVATE_VERSION first when it had none; need_copy
   cleared). False after logging (fail code set). */
bool chunked_copy_start(sl_run *L);
/* chunked_copy_positions: the lsn bookmark of the copies started in this run: from (the
   consistent point of a new slot, or the confirmed position of the existing one) */
void chunked_copy_positions(sl_run *L, uint64_t from);
/* chunked_copy_active: is a chunked copy in progress (the run must not end at its end
   position or when idle)? */
bool chunked_copy_active(const sl_run *L);
/* chunked_copy_wants_messages: should pgoutput be asked for logical messages? */
bool chunked_copy_wants_messages(const sl_run *L);
/* chunked_copy_step: between transactions of the stream: the next chunk read (with its
   watermarks) when none is waiting for its high watermark. False after logging. */
bool chunked_copy_step(sl_run *L);
/* chunked_copy_on_begin: a transaction of the stream begins (its xid is remembered) */
void chunked_copy_on_begin(sl_run *L, const change *c);
/* chunked_copy_on_change: row change c goes to stream (index in L->streams), before its
   RECORD: its keys leave the pending chunk of that stream (the row written first when c is an
   update that leaves out an unchanged TOAST value). False after logging (fail code set). */
bool chunked_copy_on_change(sl_run *L, int stream, const change *c);
/* chunked_copy_on_truncate: TRUNCATE c: a pending chunk of a stream it empties is dropped.
   False after logging. */
bool chunked_copy_on_truncate(sl_run *L, const change *c);
/* chunked_copy_on_message: a logical message; our high watermark writes the pending chunk and
   a STATE. False after logging (fail code set). */
bool chunked_copy_on_message(sl_run *L, const change *c);
/* chunked_copy_watermark_row: is row change c one of the watermark table (then handled as a
   watermark, *ok false after a failure)? */
bool chunked_copy_watermark_row(sl_run *L, const change *c, bool *ok);
/* chunked_copy_publish: pgoutput: the watermark table (when one is set) in the publication.
   False after logging (fail code set). */
bool chunked_copy_publish(sl_run *L);
/* chunked_copy_watermark_table: the watermark table ("schema", "table": borrowed) when
   snapshot_watermark_table is set (and snapshot_chunk_rows > 0), else false */
bool chunked_copy_watermark_table(const sl_run *L, const char **schema, const char **table);
/* chunked_copy_destroy: free cc (NULL is fine) */
struct chunked_copy;
void chunked_copy_destroy(struct chunked_copy *cc);

#endif
