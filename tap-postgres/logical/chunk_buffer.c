#include "chunk_buffer.h"

#include <stdlib.h>
#include <string.h>

#include "exit_codes.h"
#include "log.h"
#include "pg_conn.h"

static void put_u32(buf *b, uint32_t v)
{
    unsigned char c[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 8), (unsigned char)v};
    buf_append(b, c, 4);
}

static uint32_t get_u32(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | (uint32_t)u[3];
}

void chunk_buffer_put_field(buf *b, const char *text, size_t len, bool null)
{
    if (null) {
        put_u32(b, CHUNK_BUFFER_NULL);
        return;
    }
    put_u32(b, (uint32_t)len);
    buf_append(b, text, len);
}

const char *chunk_buffer_next_field(const char **p, uint32_t *len)
{
    *len = get_u32(*p);
    const char *text = *p + 4;
    *p = text + *len;
    return text;
}

static uint32_t key_hash(const char *p, size_t n)
{
    return hash_fnv1a32(p, n);
}

void chunk_buffer_init(chunk_buffer *cb)
{
    memset(cb, 0, sizeof(*cb));
    buf_init(&cb->rows);
    buf_init(&cb->key);
    hash_index_init(&cb->index);
}

void chunk_buffer_term(chunk_buffer *cb)
{
    buf_term(&cb->rows);
    buf_term(&cb->key);
    free(cb->row_off);
    free(cb->key_off);
    free(cb->gone);
    hash_index_term(&cb->index);
    chunk_buffer_init(cb);
}

bool chunk_buffer_alloc(chunk_buffer *cb, size_t cap)
{
    cb->row_off = calloc(cap + 1, sizeof(*cb->row_off));
    cb->key_off = calloc(cap, sizeof(*cb->key_off));
    cb->gone = calloc(cap, 1);
    if (!cb->row_off || !cb->key_off || !cb->gone || !hash_index_reserve(&cb->index, cap))
        return false;
    cb->cap = cap;
    return true;
}

void chunk_buffer_reset(chunk_buffer *cb, size_t ncols, size_t nkeys)
{
    buf_reset(&cb->rows);
    cb->nrows = 0;
    cb->ncols = ncols;
    cb->nkeys = nkeys;
}

bool chunk_buffer_add_row(chunk_buffer *cb, const PGresult *res)
{
    size_t nf = cb->ncols + cb->nkeys;
    if (cb->nrows >= cb->cap || (size_t)PQnfields(res) != nf)
        return false;
    size_t r = cb->nrows++;
    cb->row_off[r] = cb->rows.len;
    for (size_t f = 0; f < nf; f++) {
        if (f == cb->ncols)
            cb->key_off[r] = cb->rows.len;
        chunk_buffer_put_field(&cb->rows, PQgetvalue(res, 0, (int)f),
                               (size_t)PQgetlength(res, 0, (int)f), PQgetisnull(res, 0, (int)f));
    }
    cb->row_off[r + 1] = cb->rows.len;
    return true;
}

bool chunk_buffer_read(chunk_buffer *cb, PGconn *conn, const char *sql, int nparams,
                       const char *const *params, const char *stream_id, int *exit_code)
{
    if (!PQsendQueryParams(conn, sql, nparams, NULL, params, NULL, NULL, 0) ||
        !PQsetSingleRowMode(conn)) {
        char msg[300];
        pg_conn_first_line(PQerrorMessage(conn), msg, sizeof(msg));
        log_error("stream \"%s\": the chunk query could not be sent: %s", stream_id, msg);
        *exit_code = EXIT_SOURCE_DB;
        return false;
    }
    bool ok = true;
    PGresult *res;
    while ((res = PQgetResult(conn)) != NULL) {
        ExecStatusType st = PQresultStatus(res);
        if (st == PGRES_SINGLE_TUPLE && ok) {
            if (!chunk_buffer_add_row(cb, res)) {
                log_error("stream \"%s\": the chunk query returned more rows or fields than "
                          "asked",
                          stream_id);
                *exit_code = EXIT_INTERNAL;
                ok = false;
            }
        } else if (st != PGRES_SINGLE_TUPLE && st != PGRES_TUPLES_OK && ok) {
            const char *code = PQresultErrorField(res, PG_DIAG_SQLSTATE);
            char msg[300];
            pg_conn_first_line(PQresultErrorMessage(res), msg, sizeof(msg));
            log_error("stream \"%s\": the chunk query failed%s%s: %s", stream_id,
                      code ? " with SQLSTATE " : "", code ? code : "", msg);
            *exit_code = EXIT_SOURCE_DB;
            ok = false;
        }
        PQclear(res);
    }
    if (ok && !buf_ok(&cb->rows)) {
        log_error("out of memory (the chunk of stream \"%s\")", stream_id);
        *exit_code = EXIT_INTERNAL;
        ok = false;
    }
    return ok;
}

bool chunk_buffer_index(chunk_buffer *cb)
{
    hash_index_clear(&cb->index);
    memset(cb->gone, 0, cb->nrows ? cb->nrows : 1);
    cb->ngone = 0;
    /* reserved for cap rows by chunk_buffer_alloc: the index does not grow here */
    for (size_t r = 0; r < cb->nrows; r++) {
        const char *k = cb->rows.data + cb->key_off[r];
        size_t n = cb->row_off[r + 1] - cb->key_off[r];
        if (!hash_index_add(&cb->index, key_hash(k, n), (uint32_t)r))
            return false;
    }
    return true;
}

/* the key of tuple t into cb->key; false when the tuple lacks a key value */
static bool tuple_key(chunk_buffer *cb, const char *const *key_names, const change_tuple *t)
{
    buf_reset(&cb->key);
    for (size_t k = 0; k < cb->nkeys; k++) {
        const change_value *v = change_find_value(t, key_names[k]);
        if (!v || v->kind != CHANGE_VALUE_TEXT)
            return false;
        chunk_buffer_put_field(&cb->key, v->text, v->len, false);
    }
    return buf_ok(&cb->key);
}

long chunk_buffer_live_row(chunk_buffer *cb, const char *const *key_names, const change_tuple *t)
{
    if (!t->nvalues || !tuple_key(cb, key_names, t))
        return -1;
    size_t pos = HASH_INDEX_START;
    uint32_t r;
    while (hash_index_next(&cb->index, key_hash(cb->key.data, cb->key.len), &pos, &r)) {
        size_t n = cb->row_off[r + 1] - cb->key_off[r];
        if (n == cb->key.len && memcmp(cb->rows.data + cb->key_off[r], cb->key.data, n) == 0)
            return cb->gone[r] ? -1 : (long)r;
    }
    return -1;
}

void chunk_buffer_take_row(chunk_buffer *cb, size_t r)
{
    cb->gone[r] = 1;
    cb->ngone++;
}

void chunk_buffer_take_key(chunk_buffer *cb, const char *const *key_names, const change_tuple *t)
{
    long r = chunk_buffer_live_row(cb, key_names, t);
    if (r >= 0)
        chunk_buffer_take_row(cb, (size_t)r);
}

void chunk_buffer_take_all(chunk_buffer *cb)
{
    memset(cb->gone, 1, cb->nrows ? cb->nrows : 1);
    cb->ngone = cb->nrows;
}

static bool write_row(const chunk_buffer *cb, size_t r, record_builder *rb, singer_writer *w)
{
    const char *p = cb->rows.data + cb->row_off[r];
    record_builder_begin(rb, singer_writer_buf(w));
    for (size_t c = 0; c < cb->ncols; c++) {
        uint32_t n = get_u32(p);
        if (n == CHUNK_BUFFER_NULL) {
            record_builder_null(rb, c);
            p += 4;
        } else {
            record_builder_value(rb, c, p + 4, n);
            p += 4 + n;
        }
    }
    record_builder_end(rb);
    return singer_writer_end_line(w);
}

bool chunk_buffer_write_row(chunk_buffer *cb, size_t r, record_builder *rb, singer_writer *w)
{
    chunk_buffer_take_row(cb, r);
    return write_row(cb, r, rb, w);
}

bool chunk_buffer_write(const chunk_buffer *cb, record_builder *rb, singer_writer *w,
                        long long *written)
{
    for (size_t r = 0; r < cb->nrows; r++) {
        if (cb->gone[r])
            continue;
        if (!write_row(cb, r, rb, w))
            return false;
        (*written)++;
    }
    return true;
}

bool chunk_buffer_last_key(const chunk_buffer *cb, buf *out)
{
    if (!cb->nrows)
        return false;
    size_t last = cb->nrows - 1;
    buf_reset(out);
    buf_append(out, cb->rows.data + cb->key_off[last], cb->row_off[last + 1] - cb->key_off[last]);
    return buf_ok(out);
}
