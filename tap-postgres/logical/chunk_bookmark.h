/*
 * chunk_bookmark: the "chunked_copy" member of a stream's bookmark while its copy in chunks
 * (chunked_copy.c) is in progress: {"key": [the key properties], "after": [the texts of the
 * last completed chunk's last key] or null, "rows": rows copied so far}. A run that finds it
 * resumes the copy after "after"; one that cannot (key changed, bad "after") copies again.
 *
 * "after" travels as an encoded key (chunk_buffer.h: one length-prefixed field per key
 * column). Ownership: the state and the streams are borrowed; an "after" passed in is copied
 * into the state, one read goes into the caller's buffer.
 */
#ifndef TAP_LOGICAL_CHUNK_BOOKMARK_H
#define TAP_LOGICAL_CHUNK_BOOKMARK_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "buf.h"
#include "catalog.h"

#define CHUNK_BOOKMARK_KEY "chunked_copy"

/* chunk_bookmark_get: the member of stream_id's bookmark in state, NULL when absent (borrowed) */
const cJSON *chunk_bookmark_get(const cJSON *state, const char *stream_id);
/* chunk_bookmark_write: the member of stream s as it should show now: after (an encoded key,
   NULL: no chunk completed yet) and rows */
void chunk_bookmark_write(cJSON *state, const tap_stream *s, const buf *after, long long rows);
/* chunk_bookmark_remove: the member gone from stream_id's bookmark */
void chunk_bookmark_remove(cJSON *state, const char *stream_id);
/* chunk_bookmark_parse: member m of stream s read: *have_after and the encoded key into after
   (appended), *rows. False with *why (static text) when the copy cannot be resumed from it. */
bool chunk_bookmark_parse(const cJSON *m, const tap_stream *s, buf *after, bool *have_after,
                          long long *rows, const char **why);

#endif
