/*
 * loader: one flush of one stream, as one transaction on the worker's
 * connection: table sync, COPY of the batch into a temp table, one merge
 * statement into the table (last record per key wins by arrival order; a
 * property absent from a record keeps the stored value), the hard delete of
 * the batch's deleted keys, and ACTIVATE_VERSION. Any failure rolls back.
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
    /* set by the pool: waits until the stream's previous batch is committed; false when it
       failed. A job may COPY while its predecessor merges, never merge before it. */
    bool (*wait_turn)(struct flush_job *job);
    void *pool;
    struct flush_job *next;
} flush_job;

/* loader_run: run the job on c; false after logging a line naming the stream and batch. */
bool loader_run(pg_conn *c, flush_job *job);

/* loader_merge_sql: the merge statement (exposed for tests). dups: the batch may hold a key
   twice; absent: some row lacks a property; unique: the table has a unique index on the keys. */
void loader_merge_sql(buf *sql, const table_def *d, bool dups, bool absent, bool unique,
                      bool hard_delete);

/* loader_keyless_delete_sql: the merge of a batch of a stream without keys that holds deletes
   (hard_delete): each delete removes one row equal in every column but the _sdc_* ones, the
   latest such insert of the batch before it, else one of the table; the other rows are
   appended. types: each column's type in the table. One result row: inserted, deleted, deletes
   that looked for a row in the table. (Exposed for tests.) */
void loader_keyless_delete_sql(buf *sql, const table_def *d, const char *const *types);

#endif
