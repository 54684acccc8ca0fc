/*
 * tap: what every replication method shares -- the run context (tap_run, the
 * first failure wins through tap_fail), the source connection and its session
 * settings, SCHEMA / STATE / ACTIVATE_VERSION messages, and the COPY row loop
 * that turns each row into a RECORD line. The methods (sync_full_table,
 * sync_incremental, sync_logical) use it; tap_sync dispatches to them.
 */
#ifndef TAP_TAP_H
#define TAP_TAP_H

#include <cjson/cJSON.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "buf.h"
#include "catalog.h"
#include "copy_text.h"
#include "pg_conn.h"
#include "progress.h"
#include "record_builder.h"
#include "singer.h"
#include "tap_config.h"
#include "typemap.h"

/* set by SIGINT/SIGTERM; every loop checks it and stops after whole lines */
extern volatile sig_atomic_t tap_stop_requested;

typedef struct tap_run {
    const tap_config *cfg;    /* borrowed */
    singer_writer *w;         /* borrowed: the Singer stream (stdout) */
    cJSON *state;             /* borrowed: the output state, updated as streams sync */
    const cJSON *input_state; /* borrowed: the state as it was read (never modified) */
    typemap_ctx tm;           /* owned: value conversion options, counters, scratch */
    copy_text_decoder ct;     /* owned: COPY row splitting */
    int fail_code;            /* EXIT_* of the first failure, 0 while none */
    long long records;        /* RECORD messages written */
    double last_state_time;   /* monotonic time of the last STATE written */
    size_t last_state_bytes;  /* size of that STATE's value */
    bool state_pending;       /* a boundary STATE was skipped since (see tap_emit_boundary_state) */
    tap_progress progress;    /* owned: live line, periodic points, summary (progress.h) */
    /* a stream synced beside others (stream_pool.h, parallel_streams > 1): each STATE is handed
       to state_hook (boundary: the STATE at a stream's start or end) instead of being written,
       and abort (borrowed, NULL otherwise) turns true when another stream failed: the COPY
       loop then stops as it does for a stop request */
    bool (*state_hook)(struct tap_run *run, bool boundary);
    void *hook_user;          /* borrowed: state_hook's */
    const atomic_bool *abort; /* borrowed */
} tap_run;

/* tap_run_init / tap_run_term: the run context (term accepts NULL). */
void tap_run_init(tap_run *run, const tap_config *cfg, singer_writer *w, cJSON *state,
                  const cJSON *input_state);
void tap_run_term(tap_run *run);
/* tap_run_init_worker: a run context for a thread that syncs streams beside others (stream_pool):
   parent's config, input state and conversion options, its own counters and a progress that
   never draws the live line; w and state are the thread's (borrowed). */
void tap_run_init_worker(tap_run *run, const tap_run *parent, singer_writer *w, cJSON *state);
/* tap_fail: remember code as the run's exit code (the first one wins); returns false. */
bool tap_fail(tap_run *run, int code);

/*
 * tap_connect: a connection to the source (to secondary_host when
 * use_secondary and secondary is true) with the session settings the
 * conversions rely on (TimeZone UTC, DateStyle ISO, IntervalStyle iso_8601,
 * extra_float_digits 3, bytea_output hex). Caller destroys; NULL after
 * logging (fail code EXIT_SOURCE_DB).
 */
pg_conn *tap_connect(tap_run *run, bool secondary);
/* TAP_SESSION_SETTINGS: the SET commands tap_connect runs (again after a reconnect), and the
   replication connection (sl_run) with its wal_sender_timeout */
#define TAP_SESSION_SETTINGS                                                                       \
    "SET TimeZone = 'UTC'; SET DateStyle = 'ISO'; SET IntervalStyle = 'iso_8601'; "                \
    "SET extra_float_digits = 3; SET bytea_output = 'hex'"

/* tap_quoted_table: append "schema"."table". */
void tap_quoted_table(buf *sql, const tap_stream *s);
/* tap_select_list: append the stream's columns, quoted, comma-separated. */
void tap_select_list(buf *sql, const tap_stream *s);
/*
 * tap_append_where: append s's custom_where_clauses (stream_options of the config), each in
 * parentheses, joined by AND, after " WHERE " when *have_where is false (then set), else after
 * " AND ". The clauses are SQL text from the config's owner, trusted as the config itself:
 * they reach the query as given.
 */
void tap_append_where(buf *sql, const tap_stream *s, bool *have_where);
/* tap_record_limit: the LIMIT of s's query for this run (max_record_count, and limit for
   INCREMENTAL: the smaller one), -1 for none. */
long long tap_record_limit(const tap_run *run, const tap_stream *s);

/*
 * tap_emit_schema: the SCHEMA message of s (its synced columns), with
 * bookmark_properties [bookmark_property] (or [] when NULL); extra_props is
 * appended inside "properties" (e.g. "\"_sdc_deleted_at\":{...}") or NULL.
 */
bool tap_emit_schema(tap_run *run, const tap_stream *s, const char *bookmark_property,
                     const char *extra_props);
/* tap_emit_state: the current state as a STATE message. */
bool tap_emit_state(tap_run *run);
/*
 * tap_emit_boundary_state: the STATE at the start or end of a stream. Every STATE carries the
 * whole state, so over thousands of streams these alone would grow with the square of the
 * number of streams (10,000 empty tables: 14 GB). When the state is large (over
 * TAP_STATE_THROTTLE_BYTES) and the last STATE went out less than a second ago, it is held back
 * (state_pending) and written with the next STATE: an interrupted run then repeats a few
 * streams, it never skips one. Small states go out every time, as pipelinewise does.
 */
bool tap_emit_boundary_state(tap_run *run);
#define TAP_STATE_THROTTLE_BYTES (64 * 1024)
/* tap_emit_activate_version: ACTIVATE_VERSION for s. */
bool tap_emit_activate_version(tap_run *run, const tap_stream *s, long long version);

/*
 * tap_recopy_begin: does config key recopy_streams ask for a re-copy of s now (its token differs
 * from the recopy_token of bm, s's bookmark in the output state)? Then the token is put into bm
 * and the re-copy logged, and true is returned: the caller drops the method's position from bm
 * before the next STATE, so that one STATE holds both. False when the token is recorded already
 * (a re-copy done or going on) or s is not named.
 */
bool tap_recopy_begin(tap_run *run, const tap_stream *s, cJSON *bm);

/* tap_stream_builder: a record builder for s's columns (caller record_builder_term's). */
bool tap_stream_builder(tap_run *run, const tap_stream *s, record_builder *rb);

/*
 * tap_begin_read: prepare rb for s's records of this version (time_extracted = now) and open
 * the REPEATABLE READ, READ ONLY transaction the rows are read in. False after logging (fail
 * code set); on success the caller ends the transaction and record_builder_term's rb.
 */
bool tap_begin_read(tap_run *run, pg_conn *c, const tap_stream *s, record_builder *rb,
                    long long version);

/*
 * tap_row_fn: called after each row's RECORD line is written; fields are the
 * row's COPY fields (valid during the call), row_no counts from 1. Return
 * false to stop (after setting the fail code).
 */
typedef bool (*tap_row_fn)(tap_run *run, void *user, const copy_text_field *fields,
                           long long row_no);

/*
 * tap_copy_rows: run sql (a COPY ... TO STDOUT whose columns are s's columns
 * in order) on c and write a RECORD per row with rb. *rows gets the number of
 * rows. False after logging (fail code set).
 */
bool tap_copy_rows(tap_run *run, pg_conn *c, const char *sql, const tap_stream *s,
                   record_builder *rb, tap_row_fn fn, void *user, long long *rows);

/* tap_log_counters: warn about NaN/Infinity and infinite timestamps seen in stream, reset them. */
void tap_log_counters(tap_run *run, const char *stream_id);

#endif
