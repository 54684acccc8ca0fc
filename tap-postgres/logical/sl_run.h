/*
 * sl_run: the state of one LOG_BASED run (sync_logical_run), shared by the
 * modules of logical/ that carry it out: the streams with their column model
 * (lstream, lcol: lstream.c), the connections, the relation map (relmap.c,
 * relations.c), the decoder, the transaction being read (stream_changes.c)
 * and the TRUNCATE being collected (truncate.c). Private to the tap's
 * LOG_BASED code; every pointer is owned by the run unless marked borrowed.
 */
#ifndef TAP_LOGICAL_SL_RUN_H
#define TAP_LOGICAL_SL_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "change.h"
#include "decode_pgoutput.h"
#include "decode_wal2json.h"
#include "discovery.h"
#include "logical_slot.h"
#include "pg_conn.h"
#include "record_builder.h"
#include "relmap.h"
#include "state_feedback.h"
#include "tap.h"

/* one column of a stream's table as this run knows it */
typedef struct lcol {
    tap_column col;    /* name and type (borrowed strings: catalog or a kept discovery_db) */
    bool synced;       /* false: left out by the catalog */
    int rb_index;      /* index in the record builder, -1 when not synced */
    uint64_t wire_sig; /* the type as last seen on the wire, 0 before */
    uint32_t stamp;    /* == the run's stamp when already written in the current record */
    bool foreign;      /* not a column of the stream's table (a partition's or child's own
                          column, or one dropped since): never synced */
    char *owned_name;  /* malloc'ed copy of a foreign column's name (col.name points to it) */
} lcol;

typedef struct lstream {
    tap_stream *src; /* borrowed: the catalog's stream */
    tap_stream view; /* src with columns = synced (what SCHEMA and RECORDs show) */
    lcol *cols;      /* malloc'ed, ncols (all known columns, table order, new ones last) */
    size_t ncols;
    tap_column *synced;        /* malloc'ed: the view's columns */
    const change_value **vals; /* malloc'ed, ncols: the values of the record being built */
    record_builder rb;         /* owned */
    bool rb_ready;
    size_t hint;        /* where the next column lookup starts */
    uint64_t lsn;       /* the bookmark */
    uint64_t input_lsn; /* the bookmark of the input state, 0 when none */
    long long version;
    bool need_copy;       /* no usable lsn bookmark: copied inside the exported snapshot */
    bool need_schema;     /* SCHEMA due before the next RECORD */
    bool warned_unknown;  /* a column we could not find was reported */
    bool warned_keyless;  /* a delete without the key was reported */
    bool recopy;          /* a TRUNCATE of part of its rows (one partition or child): no more
                             changes; copied again at the end of the run (until then its lsn
                             bookmark is left out of the STATE) */
    bool recopy_asked;    /* recopy_streams asked for a copy again in this run (setup.c) */
    bool has_descendants; /* its table has partitions or inheritance children */
    bool copy_only;       /* snapshot_mode initial_only: copied, takes no changes (its lsn only
                             says it was copied: never moved, never confirmed) */
    bool from_now;        /* snapshot_mode never: not copied, streamed from now */
    long long nan_count, pos_inf, neg_inf, bad_values; /* value counters of its CDC records */
    char tail_time[40]; /* the time_extracted in the builder's tail */
    long long records;
    /* custom_where_clauses (row_filter.h): the filter, owned, NULL without clauses; its view
       of the columns (malloc'ed, fcap each; names and types borrowed from cols), made again
       when cols_gen moves (a column added or retyped) */
    struct row_filter *filter;
    unsigned cols_gen, fgen;
    const char **fnames, **ftypes;
    const change_value **fvals;
    size_t fcap, fn;
} lstream;

/* one (relation, stream) pair of the TRUNCATE statement being collected */
typedef struct trunc_rel {
    int stream;
    bool own;    /* the stream's own table (not one of its partitions or children) */
    size_t name; /* offset in sl_run.trunc_names of "schema\0table\0" */
} trunc_rel;

typedef struct sl_run {
    tap_run *run;
    lstream *streams; /* malloc'ed, n */
    size_t n;
    pg_conn *c;    /* normal connection: metadata, copies */
    pg_conn *repl; /* replication connection */
    char slot[LOGICAL_NAME_MAX];
    char publication[LOGICAL_NAME_MAX];
    char plugin[64];
    bool slot_exists;
    bool has_descendants; /* a stream's table has partitions or inheritance children */
    bool standby;
    relmap names;
    relmap_target *targets; /* malloc'ed, ntargets of cap_targets: the relmap entries' targets */
    size_t ntargets, cap_targets;
    discovery_db *dbs; /* malloc'ed: metadata loaded during the run (column names point into it) */
    size_t ndbs;
    wal2json_decoder *w2j;
    pgoutput_decoder *pgo;
    /* the transaction being read */
    bool in_txn;
    uint64_t txn_commit_lsn;
    int64_t txn_commit_time;
    char deleted_at[64]; /* "\"<RFC 3339 commit time>\"" */
    char extracted[40];  /* time_extracted of the transaction's records */
    uint64_t processed;  /* every transaction committed before this is written */
    long long changes_since_state;
    uint64_t state_lsn;       /* the smallest lsn of the last STATE written (its streams without
                                 recopy): how far the tap's own output has reached */
    uint64_t state_processed; /* L->processed at that STATE */
    uint64_t confirmed_lsn;   /* the flush position the slot was told (never moves back) */
    bool paused;              /* the stream stopped for a copy (STOP_RECOPY) and goes on after */
    bool feedback_on;         /* state_feedback_file is set: feedback is followed */
    state_feedback feedback;  /* owned (when feedback_on) */
    const char **ids;         /* malloc'ed, nids: the ids of the streams that stream (borrowed) */
    size_t nids;
    uint64_t feedback_lsn; /* the highest position a line of the feedback file proved */
    double next_heartbeat; /* monotonic time of the next heartbeat (heartbeat.c) */
    long long heartbeats;  /* heartbeats written */
    long long messages;    /* logical messages received outside transactions */
    change_kind last_kind; /* the kind of the last message decoded */
    /*
     * The relations of the TRUNCATE statement being read: pgoutput sends one
     * message for them all, wal2json one message per relation, so they are
     * collected until the next message of another kind, then acted upon.
     */
    trunc_rel *trunc; /* malloc'ed, ntrunc of cap_trunc */
    size_t ntrunc, cap_trunc;
    buf trunc_names;
    uint32_t stamp;
    buf scratch;
    long long txns, records;
    struct chunked_copy *chunks; /* owned: the copies in chunks (chunked_copy.h), or NULL;
                                    freed by chunked_copy_destroy before sl_run_term */
} sl_run;

/* fail: the run fails with code (tap_fail: the first code wins); returns false */
static inline bool fail(sl_run *L, int code)
{
    return tap_fail(L->run, code);
}

/* sl_run_applies: is the transaction being read to be written for stream ls? */
static inline bool sl_run_applies(const sl_run *L, const lstream *ls)
{
    return !ls->recopy && !ls->copy_only && L->txn_commit_lsn >= ls->lsn;
}

/* sl_run_recopy_due: a stream is marked to be copied again (a TRUNCATE of part of its rows) */
static inline bool sl_run_recopy_due(const sl_run *L)
{
    for (size_t i = 0; i < L->n; i++)
        if (L->streams[i].recopy)
            return true;
    return false;
}

/* sl_run_term: free what L holds (streams, maps, metadata, decoders, connections; not the
   copies in chunks, see chunks); a run filled with zeros is fine. */
void sl_run_term(sl_run *L);
/* sl_run_emit_state: the streams' lsn (L->processed at least) and version into the output
   state, then a STATE message. False after logging (fail code set). */
bool sl_run_emit_state(sl_run *L);
/* sl_run_new_version: a new table version (the time in milliseconds) */
long long sl_run_new_version(void);
/* sl_run_repl_connect: a replication connection with the session settings the value texts
   rely on. Caller destroys; NULL after logging (fail code set). */
pg_conn *sl_run_repl_connect(sl_run *L);

#endif
