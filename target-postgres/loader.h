/*
 * loader: one flush of one stream, as one transaction on the worker's
 * connection: table sync, COPY of the batch into a temp table, one merge
 * statement into the table (last record per key wins by arrival order; a
 * property absent from a record keeps the stored value), the hard delete of
 * the batch's deleted keys, and ACTIVATE_VERSION. Any failure rolls back.
 * The SQL text of the temp table, the merge and the hard delete is merge_sql's; this file runs
 * it (and the COPY straight into the table, direct_load) and reports what it did.
 *
 * Ownership: see flush_job's fields; loader_run keeps nothing after it returns.
 */
#ifndef TARGET_LOADER_H
#define TARGET_LOADER_H

#include <stdbool.h>
#include <stdint.h>

#include "batch.h"
#include "pg_conn.h"
#include "stream.h"

typedef struct flush_job {
    stream *st;     /* borrowed; its cache is ours while the job runs */
    table_def *def; /* a reference (released when the job is freed) */
    batch *b;       /* owned by the job until it comes back */
    bool activate;  /* ACTIVATE_VERSION after the batch */
    int64_t version;
    long long batch_no; /* 1-based, per stream */
    int64_t first_seq;
    bool hard_delete;
    load_method
        load_method;    /* append-only: insert every row; overwrite: batch 1 empties the table */
    bool lock_table;    /* other streams load this table too: take its lock, re-read its columns */
    bool ok;            /* set by the worker */
    bool skipped;       /* set by the pool: not run, an earlier flush had failed */
    double seconds;     /* set by the worker */
    long long inserted; /* rows the merge wrote (with counted: rows inserted) */
    /* set by the worker, for the summary (tmetrics.c): counted when the rows the merge
       and the hard delete inserted, updated and deleted in the table were read from
       pg_stat_xact_user_tables' counters before and after them (inserted is then that count,
       not the merge's row count) */
    bool counted;
    long long updated;
    long long deleted;
    /* set by the worker (DIRECT_SPLIT): each row's side (direct_load_split: copied straight,
       skipped, merged; malloc'ed, freed by loader_run); NULL when none was copied straight */
    char *straight;
    long long straight_rows;
    /* set by the pool: waits until the stream's previous batch is committed; false when it
       failed. A job may COPY while its predecessor merges, never merge before it. */
    bool (*wait_turn)(struct flush_job *job);
    void *pool;
    struct flush_job *next;
} flush_job;

/* loader_run: run the job on c; false after logging a line naming the stream and batch. */
bool loader_run(pg_conn *c, flush_job *job);

#endif
