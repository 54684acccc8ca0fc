/*
 * stream: per stream, its current table definition (table_def.h), its pending batch, and a
 * RECORD turned into one COPY text row (the values by conv.c).
 *
 * Ownership: stream_create / stream_destroy; the stream owns its batches, scratch arrays and
 * cache, and holds a reference to its def. Fields are the main thread's unless marked
 * (atomic, guarded by the pool's lock, or touched only by the flush job holding the stream).
 */
#ifndef TARGET_STREAM_H
#define TARGET_STREAM_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "batch.h"
#include "table_def.h"
#include "conv.h"
#include "flatten.h"
#include "jscan.h"
#include "naming.h"
#include "tconfig.h"
#include "validate.h"

/* what a flush worker learnt about the table (touched only by the job holding the stream) */
typedef struct stream_table_cache {
    bool synced;
    uint64_t fingerprint; /* of the column_set synced */
    bool has_unique_key;  /* a unique index on exactly the key columns */
    char **types;         /* malloc'ed SQL type of each column as it is in the table */
    size_t ntypes;
} stream_table_cache;

/* whether a batch of keys new to the table may be COPYed straight into it (direct_load.h) */
typedef enum stream_direct_state {
    DIRECT_UNKNOWN = 0, /* not looked yet in this run */
    DIRECT_TRY,         /* the table was empty when looked: try, the unique index checks */
    DIRECT_SPLIT,       /* a direct COPY met a key already there (a key of one column): the
                           rows of keys no earlier row of the run had are still copied straight,
                           the rest merged (direct_load_split) */
    DIRECT_LOOKUP,      /* the table had rows when looked (a key of one integer column):
                           each batch's keys are looked up in it, the rows of keys it does not
                           hold copied straight, the rest merged (direct_load_lookup) */
    DIRECT_NO           /* the table had rows, or a direct COPY met a key already there */
} stream_direct_state;

typedef struct stream {
    char *name; /* malloc'ed stream id */
    size_t namelen;
    table_def *def;          /* current definition (a reference) */
    batch *cur;              /* filling (owned) */
    batch *spare;            /* an empty batch to reuse (owned) */
    int ninflight;           /* flush jobs holding a batch of this stream (at most 2) */
    int64_t inflight_seq[2]; /* their first sequences */
    uint64_t synced_fp;      /* atomic: fingerprint of the columns the table was last synced to */
    long long committed_no;  /* last committed batch (guarded by the pool's lock) */
    bool load_failed;        /* a batch of this stream failed (guarded by the pool's lock) */
    bool shared_table; /* another stream loads the same table: flushes lock it (main thread) */
    const struct stream *shared_with; /* borrowed: one such stream, for messages */
    bool warned_activate;             /* ACTIVATE_VERSION ignored on the shared table, said once */
    long long batches;                /* batches handed to the pool so far */
    long long rows_total;
    /* for the metrics (tmetrics.h): the monotonic time of the first row of each flush job in
       inflight_seq (0: none), and what the committed batches did (loader.h: flush_job's
       counts) */
    double inflight_started[2];
    long long inserted_total, updated_total, deleted_total;
    long long marked_total; /* records marked deleted (_sdc_deleted_at without hard_delete) */
    stream_table_cache cache;
    stream_direct_state
        direct;         /* touched only by the flush job whose turn it is (after wait_turn) */
    bool direct_text;   /* a value a direct COPY could not send in binary: its next ones go as
                           COPY text (same rule as direct) */
    int lookup_skip;    /* DIRECT_LOOKUP: batches still to merge without a lookup */
    int lookup_backoff; /* how many the last lookup that found mostly keys already there set
                           (same rule as direct) */
    bool merge_text;    /* the same for the COPY into the merge's temp table (atomic: two flush
                           jobs of the stream may fill their temp tables at once) */
    /* the integer keys of the rows so far (a key of one column, its canonical decimal texts
       from 0 up): bit k set once a row of key k was added (main thread; malloc'ed, seen_bytes,
       all streams' together at most STREAM_SEEN_KEYS_BYTES) */
    uint8_t *seen_keys;
    size_t seen_bytes;
    /* properties of records that are not in the SCHEMA (ignored, counted for one warning at
       the end): the first few names with the records carrying each, then the rest */
    struct {
        char name[64];
        long long records;
    } unknown[8];
    size_t nunknown;
    long long unknown_other;   /* occurrences of further names */
    long long deletes_nowhere; /* non-null _sdc_deleted_at with no column to take it */
    int32_t *slots;            /* malloc'ed per-row scratch: value token per column */
    char *mask;                /* malloc'ed per-row scratch: '1' per absent column */
    size_t scratch_cap;
} stream;

/* the memory the streams' seen_keys take together at most: keys beyond count as seen (their
   rows are merged) */
#define STREAM_SEEN_KEYS_BYTES ((size_t)32 << 20)

stream *stream_create(const char *name, size_t len);
void stream_destroy(stream *st);
void stream_cache_clear(stream_table_cache *c);
/* stream_synced_to: whether st's table was last synced to the columns of fingerprint fp (an
   atomic read: a flush worker writes synced_fp). */
bool stream_synced_to(const stream *st, uint64_t fp);

/* a RECORD message as the read loop parsed it (everything borrowed for the call) */
typedef struct stream_record_view {
    const char *line; /* the input line */
    const jscan *js;  /* its tokens */
    int rec;          /* the "record" object token */
    int version_tok;  /* the message's "version" token, JSCAN_NOT_FOUND when absent */
    int te_tok;       /* its "time_extracted" token, JSCAN_NOT_FOUND when absent */
    int64_t line_no;  /* input line number */
    int64_t seq;      /* the record's sequence (state_tracker) */
} stream_record_view;

/*
 * stream_add_record: convert the record rv into one COPY row of st->cur. false with a message
 * naming the property in err (the row is not added). Nothing is allocated unless the batch
 * grows.
 */
bool stream_add_record(stream *st, conv_ctx *cx, const stream_record_view *rv, char *err,
                       size_t errlen);

/* stream_warn_unknown: the warning line about the properties of st's records that were not
   in its SCHEMA (ignored), when there were any. */
void stream_warn_unknown(const stream *st);

#endif
