/*
 * streams: per stream, its current SCHEMA turned into a table definition,
 * its pending batch, and the conversion of a RECORD into one COPY text row.
 *
 * A table_def is immutable once built and shared by reference (the stream and
 * every flush job that loads with it); a new SCHEMA builds a new one.
 */
#ifndef TARGET_STREAMS_H
#define TARGET_STREAMS_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "batch.h"
#include "flatten.h"
#include "jscan.h"
#include "naming.h"
#include "tconfig.h"
#include "validate.h"

typedef struct table_def {
    int refs;             /* atomic reference count */
    char *stream;         /* malloc'ed stream id */
    stream_target target; /* schema, table, grants, indices */
    column_set cs;
    validator *val;       /* owned; NULL unless validate_records */
    char *qname;          /* malloc'ed "schema"."table" */
    int deleted_col;      /* the _sdc_deleted_at metadata column, -1 when none; it takes the
                             record's _sdc_deleted_at whether the SCHEMA declares it or not */
    bool no_schema;       /* built by tdef_create_stub: names only, no columns */
} table_def;

/* tdef_create: build from a SCHEMA message (borrowed). NULL with a message in err. */
table_def *tdef_create(const char *stream_id, const cJSON *msg, const tconfig *cfg, char *err,
                       size_t errlen);
/* tdef_create_stub: the table of a stream whose SCHEMA has not arrived yet (names, no
   columns), for an ACTIVATE_VERSION before the SCHEMA. NULL with a message in err. */
table_def *tdef_create_stub(const char *stream_id, const tconfig *cfg, char *err, size_t errlen);
void tdef_ref(table_def *d);
/* tdef_unref: drop a reference; the last one frees. NULL is fine. */
void tdef_unref(table_def *d);

/* what a flush worker learnt about the table (touched only by the job holding the stream) */
typedef struct table_cache {
    bool synced;
    uint64_t fingerprint; /* of the column_set synced */
    bool has_unique_key;  /* a unique index on exactly the key columns */
    char **types;         /* malloc'ed SQL type of each column as it is in the table */
    size_t ntypes;
} table_cache;

typedef struct stream {
    char *name;          /* malloc'ed stream id */
    size_t namelen;
    table_def *def;      /* current definition (a reference) */
    batch *cur;          /* filling (owned) */
    batch *spare;        /* an empty batch to reuse (owned) */
    int ninflight;       /* flush jobs holding a batch of this stream (at most 2) */
    int64_t inflight_seq[2]; /* their first sequences */
    uint64_t synced_fp;  /* atomic: fingerprint of the columns the table was last synced to */
    long long committed_no; /* last committed batch (guarded by the pool's lock) */
    bool load_failed;    /* a batch of this stream failed (guarded by the pool's lock) */
    bool shared_table;   /* another stream loads the same table: flushes lock it (main thread) */
    const struct stream *shared_with; /* borrowed: one such stream, for messages */
    bool warned_activate; /* ACTIVATE_VERSION ignored on the shared table, said once */
    long long batches;   /* batches handed to the pool so far */
    long long rows_total;
    table_cache cache;
    /* properties of records that are not in the SCHEMA (ignored, counted for one warning at
       the end): the first few names with the records carrying each, then the rest */
    struct {
        char name[64];
        long long records;
    } unknown[8];
    size_t nunknown;
    long long unknown_other;   /* occurrences of further names */
    long long deletes_nowhere; /* non-null _sdc_deleted_at with no column to take it */
    int32_t *slots;      /* malloc'ed per-row scratch: value token per column */
    char *mask;          /* malloc'ed per-row scratch: '1' per absent column */
    size_t scratch_cap;
} stream;

typedef struct conv_ctx {
    nul_opts nul;
    int64_t seq_base;    /* _sdc_sequence = seq_base + sequence when the record has none */
    time_t recv_sec;
    int recv_ms;
    char recv_text[64];  /* _sdc_received_at, refreshed every millisecond */
    buf scratch;
} conv_ctx;

void conv_init(conv_ctx *cx, const tconfig *cfg);
void conv_term(conv_ctx *cx);

stream *stream_create(const char *name, size_t len);
void stream_destroy(stream *st);
void table_cache_clear(table_cache *c);
/* stream_synced_to: whether st's table was last synced to the columns of fingerprint fp (an
   atomic read: a flush worker writes synced_fp). */
bool stream_synced_to(const stream *st, uint64_t fp);

/*
 * stream_add_record: convert the record (token rec of js over line) into one COPY row of
 * st->cur. version_tok / te_tok: the message's "version" and "time_extracted" tokens
 * (-1 when absent). false with a message naming the property in err (the row is not added).
 */
bool stream_add_record(stream *st, conv_ctx *cx, const char *line, const jscan *js, int rec,
                       int version_tok, int te_tok, int64_t line_no, int64_t seq, char *err,
                       size_t errlen);

/* stream_warn_unknown: the warning line about the properties of st's records that were not
   in its SCHEMA (ignored), when there were any. */
void stream_warn_unknown(const stream *st);

/* stream_copy_columns: the quoted column list of the COPY into the temp table. */
void stream_copy_columns(const table_def *d, buf *out);

/* value checks, exposed for the unit tests */
bool conv_timestamp_ok(const char *s, size_t n, bool need_date, bool need_time);

typedef enum conv_dt_result { CONV_DT_OK = 0, CONV_DT_BAD, CONV_DT_RANGE } conv_dt_result;
/* conv_datetime: append the value s[0..n) of a column of kind CK_TIMESTAMPTZ, CK_DATE or
   CK_TIME to out as PostgreSQL input: as it is for years 0001-9999; else with the year
   rewritten ("-2039-04-10T..." -> "2040-04-10T... BC", "+10000-..." -> "10000-..."), after a
   check against PostgreSQL's range (CONV_DT_RANGE). Nothing is appended unless CONV_DT_OK. */
conv_dt_result conv_datetime(buf *out, const char *s, size_t n, col_kind kind);
/* conv_integer: the canonical integer text of a JSON number or numeric string s[0..n) into out
   (>= 24 bytes); false when it is not an integer or does not fit kind. */
bool conv_integer(const char *s, size_t n, col_kind kind, char *out, size_t *outlen);

#endif
