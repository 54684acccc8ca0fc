/*
 * stream_pool: FULL_TABLE and INCREMENTAL streams synced several at once (parallel_streams > 1).
 *
 * parallel_streams threads each take the next stream of the sync order and sync it as the
 * sequential loop of tap_sync does (the same methods, retries and log lines), on a connection
 * of their own (the first thread on the run's connection), then take the next one. Each
 * stream's messages come out in the order they would alone (SCHEMA, STATE, RECORDs, STATE ...,
 * ACTIVATE_VERSION, STATE); the streams' lines interleave on stdout in chunks of whole lines.
 *
 * Output: a thread's run context (tap_run_init_worker) writes into a singer_writer whose sink
 * hands its pending whole lines over as a chunk (about 256 KiB) through a bounded queue (2
 * chunks per thread); the calling thread alone writes stdout, in queue order, so no line is
 * ever torn and memory stays bounded whatever the tables' size.
 *
 * State -- the invariant: every STATE written claims, for every stream, only what is already
 * written before it. A thread keeps its stream's bookmark in a state tree of its own and never
 * writes STATE: where the stream would write one (tap_emit_state, through tap_run.state_hook),
 * its pending lines go out as a chunk that carries a copy of the bookmark as it is after them.
 * The calling thread writes the chunk's lines, then puts that copy into the run's state in
 * place of the stream's bookmark, and only then writes the run's STATE. So each stream's
 * bookmark in a STATE is one its own lines before that STATE reached; the other streams' are
 * theirs at their own last chunk written. A kill -9 at any moment resumes each stream from its
 * bookmark (FULL_TABLE after last_pk_fetched in the same version, INCREMENTAL from its
 * replication_key_value), whichever stream currently_syncing names.
 *
 * currently_syncing: the first stream of the sync order that is in flight (its first chunk
 * written, its last not yet), null when none; a resumed run syncs it first, the others after it
 * by tap_stream_id, as pipelinewise does with its single stream.
 *
 * Failure: the first failure of a stream (or of stdout) wins: its fail code is the run's, the
 * other threads stop at their next row or chunk (tap_run.abort), nothing queued after it is
 * written, and no STATE after it. A stop request (SIGINT/SIGTERM) ends the same way, exit 130.
 *
 * Ownership: nothing is kept after the call; run, c and the streams are borrowed.
 */
#ifndef TAP_STREAM_POOL_H
#define TAP_STREAM_POOL_H

#include <stdbool.h>
#include <stddef.h>

#include "catalog.h"
#include "pg_conn.h"
#include "tap.h"

/* STREAM_POOL_MAX: the largest parallel_streams (tap_config checks it) */
#define STREAM_POOL_MAX 64

/*
 * stream_pool_run: sync the n FULL_TABLE / INCREMENTAL streams of order (in that order of
 * starting) with min(parallel_streams, n) threads; c is the run's connection, used by the first
 * thread. Ends with the state's currently_syncing null when every stream is done. False after
 * logging, with run->fail_code set.
 */
bool stream_pool_run(tap_run *run, pg_conn *c, tap_stream **order, size_t n);

#endif
