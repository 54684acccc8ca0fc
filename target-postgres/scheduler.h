/*
 * scheduler: when a stream's batch is handed to the flush pool, and what comes back.
 *
 * The rules: a batch is loaded when it is full (batch_size_rows / batch_size_bytes), holds
 * early_flush_rows and could load without waiting, old
 * (batch_wait_limit_seconds), before a SCHEMA that changes its columns, with an
 * ACTIVATE_VERSION and at the end; at most two batches of a stream are in flight, two only when
 * the table needs no DDL; max_batch_memory_bytes bounds the batches of all streams together
 * (filling, spare, loading). The decisions are pure functions (scheduler_batch_due,
 * scheduler_must_wait, scheduler_keep_spare, scheduler_plan_early, scheduler_min_uncommitted) so
 * that the unit tests reach them without a database; the rest applies them to a target.
 *
 * Ownership: streams and batches are the target's; a job submitted is the pool's until
 * scheduler_take_done takes it back and frees it. Main thread only.
 */
#ifndef TARGET_SCHEDULER_H
#define TARGET_SCHEDULER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stream.h"
#include "target.h"

/* an ACTIVATE_VERSION loaded after a batch: its version and its message's sequence */
typedef struct scheduler_activation {
    int64_t version;
    int64_t seq;
} scheduler_activation;

/* scheduler_must_wait: whether a batch of st to load with def must wait for one of st's flushes
   to finish: two are in flight, or one is and st's table is not synced to def's columns yet. */
bool scheduler_must_wait(const stream *st, const table_def *def);
/* scheduler_batch_due: whether st's filling batch is to be loaded now, after a record: it is
   full (batch_size_rows, batch_size_bytes), or it holds early_flush_rows rows and could load
   without waiting (scheduler_must_wait; async_flush only; past the first batch, not while
   the stream's batches are copied straight into its empty table): the first rows of a stream
   do not wait for a whole batch, and later batches grow to what arrives while others load. */
bool scheduler_batch_due(const tconfig *cfg, const stream *st);
/* scheduler_keep_spare: whether a batch that finished loading (now empty) is kept as st's
   spare: st has none and at most half of bound bytes are held in batches (mem). */
bool scheduler_keep_spare(const stream *st, size_t mem, long long bound);
/* scheduler_plan_early: the streams to load early when the batches hold too much: streams
   (n of them, borrowed) sorted into order (n slots) by pending batch size, largest first;
   returns how many of the first ones to load so that at most limit / 2 bytes stay pending
   (only streams with rows). */
size_t scheduler_plan_early(stream *const *streams, size_t n, size_t limit, stream **order);
/* scheduler_min_uncommitted: the lowest sequence of a record not committed yet among streams
   (pending or in flight), INT64_MAX when all are. */
int64_t scheduler_min_uncommitted(stream *const *streams, size_t n);

/* scheduler_emit_states: write the newest STATE whose records are all committed (none after a
   failure). */
void scheduler_emit_states(target *t);
/* scheduler_take_done: take back one finished flush job (waiting for one when wait), account
   for it, then emit states. */
void scheduler_take_done(target *t, bool wait);
/* scheduler_wait_all: take back every job in flight. */
void scheduler_wait_all(target *t);
/*
 * scheduler_submit: hand st's pending batch to the pool, loaded with def (a reference is
 * taken), after waiting as scheduler_must_wait says. act (NULL: none): an ACTIVATE_VERSION
 * after the batch. empty_ok: also when there is nothing to load (the table is created or
 * synced to def). false when the target has failed.
 */
bool scheduler_submit(target *t, stream *st, table_def *def, const scheduler_activation *act,
                      bool empty_ok);
/* scheduler_load: scheduler_submit of st's pending rows with its current definition. */
bool scheduler_load(target *t, stream *st);
/* scheduler_flush_all: load every stream with pending rows (or an overwrite to do). */
void scheduler_flush_all(target *t);
/* scheduler_flush_stream: st's batch is full or old: load it (every stream with
   flush_all_streams), then wait unless async_flush. */
void scheduler_flush_stream(target *t, stream *st);
/* scheduler_sync_tables: create or sync the table of every stream whose last SCHEMA came
   without records. Called when no flush is in flight. */
void scheduler_sync_tables(target *t);
/* scheduler_reserve: make room under max_batch_memory_bytes for a row of at most rowmax bytes
   of COPY text in st's batch. false when the target failed meanwhile. */
bool scheduler_reserve(target *t, stream *st, size_t rowmax);
/* scheduler_mem_add: account a batch whose batch_mem went from before to after. */
void scheduler_mem_add(target *t, size_t before, size_t after);
/* scheduler_check_age: load the batches older than batch_wait_limit_seconds. */
void scheduler_check_age(target *t);

#endif
