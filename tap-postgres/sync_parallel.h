/*
 * sync_parallel: a FULL_TABLE stream read by several connections sharing one exported
 * snapshot (snapshot_workers > 1).
 *
 * The stream's own connection opens the REPEATABLE READ transaction, exports its snapshot
 * (pg_export_snapshot) and splits the table into ranges: of the primary key from its min and
 * max for a single integer key, from the pg_stats histogram of the first key column for other
 * keys (one range without statistics), of ctid blocks for a table without a key. Each worker
 * connection imports the snapshot (SET TRANSACTION SNAPSHOT) and takes ranges one after
 * another, each a COPY in key order; so all of them see exactly the rows of one snapshot.
 *
 * Output: the workers build whole RECORD lines into chunks and hand them over through a bounded
 * queue (2 chunks per worker, each about 256 KiB); the calling thread alone writes stdout, and
 * after the chunks it wrote it updates the bookmark and writes STATE every itersize rows. So a
 * STATE never covers a row not yet written, and memory stays bounded however large the table.
 *
 * State: the bookmark keeps "snapshot_ranges", one object per range: "lo" and "hi" (the first
 * key column's text, or block numbers for ctid ranges; null for an open end), "last_pk_fetched"
 * (the key of the last row written from it) and "done". A later run resumes each range after
 * its last_pk_fetched (a new snapshot; like the single-connection resume, rows of the finished
 * ranges are not read again). It also keeps the single-connection "last_pk_fetched": a key
 * such that every row up to it was written, so a run with snapshot_workers 1 resumes from it.
 * Tables without a key cannot resume by range (ctids change between snapshots): they are read
 * again, as with one connection.
 *
 * Modules: the ranges themselves (planned, kept in the bookmark, the COPY of one) are
 * snapshot_ranges'; this file has the workers, the queue of chunks and the writer.
 *
 * Ownership: nothing is kept after the call; run, c, s and bm are borrowed.
 */
#ifndef TAP_SYNC_PARALLEL_H
#define TAP_SYNC_PARALLEL_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "catalog.h"
#include "pg_conn.h"
#include "snapshot_ranges.h"
#include "tap.h"

/* sync_parallel_wanted: whether s is read in parallel in this run: snapshot_workers > 1, a
   table (not a view), no max_record_count, and no single-connection resume pending in bm (a
   last_pk_fetched without snapshot_ranges: that run goes on with one connection). */
bool sync_parallel_wanted(const tap_run *run, const tap_stream *s, const cJSON *bm);

/*
 * sync_parallel_copy: the rows of s (its RECORD lines of this version, STATE every itersize
 * rows) read by snapshot_workers connections; c is the stream's connection, idle, and idle
 * again after. The caller has sent SCHEMA (and the first ACTIVATE_VERSION) and sends the last
 * ACTIVATE_VERSION. False after logging, with the fail code set.
 */
bool sync_parallel_copy(tap_run *run, pg_conn *c, tap_stream *s, cJSON *bm, long long version);

/*
 * sync_parallel_copy_in: the same inside the caller's transaction on c (REPEATABLE READ, in the
 * snapshot to read: the LOG_BASED copy in the slot's exported snapshot): the workers import a
 * snapshot exported from it, so they read exactly what c would. Nothing goes into the state (a
 * copy interrupted there starts over) and c stays in its transaction. *rows: the rows written.
 */
bool sync_parallel_copy_in(tap_run *run, pg_conn *c, tap_stream *s, long long version,
                           long long *rows);

#endif
