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
 */
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

/* bookmark setters: replace the member in place (keeping its position) or add it */
void bm_set_int(cJSON *bm, const char *key, long long v);
void bm_set_string(cJSON *bm, const char *key, const char *s, size_t n);
void bm_set_item(cJSON *bm, const char *key, cJSON *item); /* takes item */
void bm_remove(cJSON *bm, const char *key);
/* bm_get_int: an integer member (a number or a numeric string); false when absent or not one. */
bool bm_get_int(const cJSON *bm, const char *key, long long *out);
/*
 * bm_value_text: the text of a bookmark value to bind as a parameter: strings
 * as they are, numbers as integers when integral (else the shortest text that
 * reads back as the same double: 0.1, not 0.10000000000000001), booleans as
 * true/false. tmp holds the formatted number. NULL for other JSON values.
 */
const char *bm_value_text(const cJSON *v, char *tmp, size_t n);

/* state_write: write {"type":"STATE","value":<state>} as one line; *bytes (may be NULL) gets
   the size of the state's text. */
bool state_write(const cJSON *state, singer_writer *w, size_t *bytes);

#endif
