/*
 * state: the Singer state (bookmarks in and out), kept as a cJSON tree.
 *
 * Shape (pipelinewise): {"currently_syncing": "<stream>"|null,
 *   "bookmarks": {"<stream>": {"last_replication_method": .., "version": ..,
 *   "replication_key": .., "replication_key_value": .., "lsn": .., ...}}}
 *
 * Values that must stay exact (replication_key_value, last_pk_fetched) are
 * written as strings holding PostgreSQL's text form; the tree never carries
 * them as doubles. The state is small and written every `itersize` rows, so a
 * tree is fine here (never per row).
 *
 * FULL_TABLE resume bookmark (ours): "last_pk_fetched": {"<pk column>":
 * "<text>", ...} is the primary key of the last record emitted before the
 * STATE; it is removed when the table is done. A run that finds it resumes
 * after that key with the same table version.
 *
 * Re-copy bookmarks (ours, README "Re-copying one stream"): "recopy_token": "<token>" is the
 * token of config key recopy_streams that the stream was last copied again for; a token in the
 * config that differs from it (or a bookmark without one) asks for a re-copy, and the token is
 * recorded in the same STATE that drops the old position. "recopy_in_progress": true
 * (INCREMENTAL only) says a re-copy has begun and not reached the end of the table: the next
 * run goes on with it (from its replication_key_value) instead of a normal sync.
 */
#define STATE_RECOPY_TOKEN "recopy_token"
#define STATE_RECOPY_IN_PROGRESS "recopy_in_progress"
#ifndef TAP_STATE_H
#define TAP_STATE_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "singer.h"

/*
 * state_load: read and check the state file at path (NULL: an empty state).
 * An empty file is an empty state (with a warning). Returns the tree (caller
 * frees) or NULL after logging what is wrong and where.
 */
cJSON *state_load(const char *path);
/* state_check: the shape checks of state_load on a parsed tree. */
bool state_check(const cJSON *state, const char *what);

/* state_bookmark: the bookmark object of a stream, created when absent (NULL on OOM). */
cJSON *state_bookmark(cJSON *state, const char *stream_id);
/* state_set_bookmark: bm (taken) becomes the bookmark of stream_id, in the place of the one
   there; false (bm freed) on OOM. */
bool state_set_bookmark(cJSON *state, const char *stream_id, cJSON *bm);
/* state_get: the bookmark member key of a stream, or NULL. Borrowed. */
const cJSON *state_get(const cJSON *state, const char *stream_id, const char *key);
/* state_set_currently_syncing: the stream id, or NULL for null. */
void state_set_currently_syncing(cJSON *state, const char *stream_id);
/* state_currently_syncing: the currently_syncing stream of the state, or NULL. */
const char *state_currently_syncing(const cJSON *state);
/*
 * state_prepare_stream: pipelinewise's clear_state_on_replication_change: a
 * change of replication method, or of replication key for INCREMENTAL,
 * empties the stream's bookmark; then last_replication_method is recorded.
 */
void state_prepare_stream(cJSON *state, const char *stream_id, const char *method,
                          const char *replication_key);

/*
 * MeltanoLabs tap-postgres (Singer SDK) LOG_BASED bookmarks: {"replication_key": "_sdc_lsn",
 * "replication_key_value": <integer>}, no last_replication_method. Their value is the WAL
 * position of the last change they sent (a wal2json message's data_start, inside its
 * transaction), or the server's WAL position after an idle run. Ours is an "lsn" (see
 * sync_logical.c): a transaction is sent when its commit record starts at or after it. Taken
 * as an lsn, their value sends again the transaction holding that change (never skips one).
 */
#define STATE_SDK_LSN_KEY "_sdc_lsn"
#define STATE_SDK_SLOT "tappostgres" /* their default replication_slot_name */
/* state_is_sdk_lsn: the stream's bookmark has replication_key "_sdc_lsn" (theirs, or ours
   after state_adopt_sdk_lsn: the key is kept as the mark of their slot). */
bool state_is_sdk_lsn(const cJSON *state, const char *stream_id);
/* state_lsn_value: the stream's LOG_BASED position in state: their replication_key_value
   (when the replication_key is "_sdc_lsn"), else "lsn"; NULL when neither. Borrowed. */
const cJSON *state_lsn_value(const cJSON *state, const char *stream_id);
/*
 * state_adopt_sdk_lsn: turn a MeltanoLabs LOG_BASED bookmark of stream_id into ours: its
 * replication_key_value becomes "lsn" (it is newer than an "lsn" beside it: we never write
 * replication_key_value for LOG_BASED) and is removed, so that a bookmark we drop later (a
 * stream to copy again) cannot come back; replication_key stays. True when it did (logged).
 */
bool state_adopt_sdk_lsn(cJSON *state, const char *stream_id);

/* bookmark setters: replace the member in place (keeping its position) or add it */
void state_bm_set_int(cJSON *bm, const char *key, long long v);
void state_bm_set_string(cJSON *bm, const char *key, const char *s, size_t n);
void state_bm_set_item(cJSON *bm, const char *key, cJSON *item); /* takes item */
void state_bm_remove(cJSON *bm, const char *key);
/* state_bm_get_int: an integer member (a number or a numeric string); false when absent or not one.
 */
bool state_bm_get_int(const cJSON *bm, const char *key, long long *out);
/*
 * state_bm_value_text: the text of a bookmark value to bind as a parameter: strings
 * as they are, numbers as integers when integral (else the shortest text that
 * reads back as the same double: 0.1, not 0.10000000000000001), booleans as
 * true/false. tmp holds the formatted number. NULL for other JSON values.
 */
const char *state_bm_value_text(const cJSON *v, char *tmp, size_t n);

/* state_write: write {"type":"STATE","value":<state>} as one line; *bytes (may be NULL) gets
   the size of the state's text. */
bool state_write(const cJSON *state, singer_writer *w, size_t *bytes);

#endif
