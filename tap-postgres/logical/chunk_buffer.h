/*
 * chunk_buffer: the rows of one chunk of a copy in chunks (chunked_copy.c) while they wait for
 * the chunk's high watermark, and the reconciliation with the stream: a row whose key a change
 * in the chunk's window touched is taken out (the change wins), the rest are written as
 * RECORDs at the high watermark.
 *
 * Rows are kept compact, without a JSON tree: each field as a big-endian u32 length
 * (CHUNK_BUFFER_NULL: NULL, no bytes) and its text; a row is the view's ncols fields, then its
 * nkeys key fields (the layout of the chunk's SELECT). A key alone (a bookmark's "after", a
 * change's key) is encoded the same way: chunk_buffer_put_field per key field. A hash_index
 * finds a row by its encoded key.
 *
 * Ownership: a chunk_buffer is embedded in its owner (init / term); every pointer field is
 * owned by it. Values passed in are copied.
 */
#ifndef TAP_LOGICAL_CHUNK_BUFFER_H
#define TAP_LOGICAL_CHUNK_BUFFER_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "change.h"
#include "hash_index.h"
#include "record_builder.h"
#include "singer.h"

#define CHUNK_BUFFER_NULL UINT32_MAX

typedef struct chunk_buffer {
    buf rows;         /* owned: the rows, field by field (see above) */
    size_t *row_off;  /* malloc'ed, cap + 1: where row i starts in rows */
    size_t *key_off;  /* malloc'ed, cap: where row i's key fields start */
    uint8_t *gone;    /* malloc'ed, cap: taken out by a change in the window */
    hash_index index; /* the hash of a row's encoded key -> the row (reserved for cap rows) */
    size_t cap;       /* the rows it holds at most (snapshot_chunk_rows); 0 before alloc */
    size_t nrows, ncols, nkeys;
    size_t ngone; /* rows taken out */
    buf key;      /* owned: scratch for a change's key */
} chunk_buffer;

/* chunk_buffer_init / chunk_buffer_term: an empty buffer without room; term frees it all */
void chunk_buffer_init(chunk_buffer *cb);
void chunk_buffer_term(chunk_buffer *cb);
/* chunk_buffer_alloc: room for cap rows (once, at the start); false when out of memory (not
   logged) */
bool chunk_buffer_alloc(chunk_buffer *cb, size_t cap);
/* chunk_buffer_reset: no rows, for a chunk of ncols view columns and nkeys key columns */
void chunk_buffer_reset(chunk_buffer *cb, size_t ncols, size_t nkeys);
/* chunk_buffer_add_row: row 0 of res (a result of the chunk's SELECT) appended; false when the
   buffer is full or res has not ncols + nkeys fields (nothing added then). Out of memory shows
   in buf_ok(&cb->rows). */
bool chunk_buffer_add_row(chunk_buffer *cb, const PGresult *res);
/* chunk_buffer_read: the rows of the chunk's SELECT sql (with its params, in the caller's open
   transaction on conn) appended, in single-row mode (never all of them in libpq's memory).
   False after logging (with stream_id), *exit_code then EXIT_SOURCE_DB or EXIT_INTERNAL (more
   rows or fields than the buffer takes, out of memory). */
bool chunk_buffer_read(chunk_buffer *cb, PGconn *conn, const char *sql, int nparams,
                       const char *const *params, const char *stream_id, int *exit_code);
/* chunk_buffer_index: after the last row: every row in the key index, none taken out. False
   when out of memory (not logged). */
bool chunk_buffer_index(chunk_buffer *cb);
/* chunk_buffer_live_row: the row whose key is that of tuple t (the fields key_names[0 ..
   nkeys)) and that no change took out yet, or -1 (none, or t lacks a key field) */
long chunk_buffer_live_row(chunk_buffer *cb, const char *const *key_names, const change_tuple *t);
/* chunk_buffer_take_row: row r (live) taken out */
void chunk_buffer_take_row(chunk_buffer *cb, size_t r);
/* chunk_buffer_take_key: the row whose key (the fields key_names[0 .. nkeys) of tuple t) is
   that of a change in the window is taken out; a tuple without them changes nothing */
void chunk_buffer_take_key(chunk_buffer *cb, const char *const *key_names, const change_tuple *t);
/* chunk_buffer_write_row: row r (live) taken out and written as a RECORD line through rb into
   w. False when the writer failed (the caller reports it). */
bool chunk_buffer_write_row(chunk_buffer *cb, size_t r, record_builder *rb, singer_writer *w);
/* chunk_buffer_take_all: every row taken out (a TRUNCATE in the window) */
void chunk_buffer_take_all(chunk_buffer *cb);
/* chunk_buffer_write: the rows not taken out as RECORD lines through rb into w; *written
   counts them. False when the writer failed (the caller reports it). */
bool chunk_buffer_write(const chunk_buffer *cb, record_builder *rb, singer_writer *w,
                        long long *written);
/* chunk_buffer_last_key: the encoded key of the last row into out (replacing it); false when
   there is no row or out of memory (buf_ok(out) tells which) */
bool chunk_buffer_last_key(const chunk_buffer *cb, buf *out);

/* chunk_buffer_put_field: one field (text[0 .. len), or NULL) appended to an encoding in b */
void chunk_buffer_put_field(buf *b, const char *text, size_t len, bool null);
/* chunk_buffer_next_field: the field at *p of an encoding (not NULL: a key's), its text
   (borrowed from the encoding) and *len; *p moves past it */
const char *chunk_buffer_next_field(const char **p, uint32_t *len);

#endif
