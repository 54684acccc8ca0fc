/*
 * chunked_copy: the LOG_BASED initial copy in primary-key chunks, reconciled with the stream by
 * watermarks (DBLog). See chunked_copy.h for the shape; here is why it is exact.
 *
 * The stream is read by this process alone, so while a chunk is read nothing of the stream is:
 * call P the stream position at that moment (the last message read). The chunk's SELECT runs
 * in a snapshot S taken after P, and the high watermark H is written into the WAL after S.
 * The chunk's rows are written when H is read; the stream's row changes read between P and H
 * (the "window") remove their keys from the chunk first. For a key k of the chunk:
 *
 *   - no transaction that commits between P and H touched k: the value of k is the same at P,
 *     in S and at H, so the chunk's row is k as of H, and every change of k after H follows it
 *     in the stream. Exact.
 *   - some did: the last of them leaves k as it is at H (a row or a delete), the stream writes
 *     it, and the chunk's row (older or equal) is dropped. Exact, and k is written once by the
 *     chunk at most.
 *
 * A transaction visible in S committed before S, so before H: it is either before P (already
 * written, and in S) or in the window. One committed before P but NOT visible in S would break
 * the first case: PostgreSQL writes a commit record before it makes the transaction visible,
 * so for a moment a transaction whose commit we have read can still be running for a new
 * snapshot. The chunk's transaction therefore reads its snapshot (txid_current_snapshot) and
 * reads again when one of the last transactions the stream delivered is still in progress in
 * it (the xids of the last XID_RING transactions begun are kept). The low watermark is written
 * before P's snapshot as DBLog does; the window opens at P, which is no later, so more changes
 * win than DBLog lets win, never fewer.
 *
 * Keys not yet copied may get stream changes before their chunk: those records come first, the
 * chunk's row (newer) later. Deletes of such keys are written as deletes. The table version:
 * the copy's records and the stream's records of the stream carry the new version; the last
 * chunk is followed by ACTIVATE_VERSION, as the single-snapshot copy is.
 */
#include "chunked_copy.h"
#include "chunk_bookmark.h"
#include "chunk_buffer.h"
#include "progress.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exit_codes.h"
#include "json_util.h"
#include "log.h"
#include "lstream.h"
#include "metrics.h"
#include "relations.h"
#include "state.h"
#include "tap_retry.h"
#include "timefmt.h"

#define XID_RING 4096

typedef struct cc_stream {
    bool active;      /* a copy in chunks in progress */
    bool fresh;       /* started in this run: its lsn comes from the slot */
    buf after;        /* owned: the key of the last completed chunk's last row (encoded) */
    bool have_after;  /* false: no chunk completed yet */
    long long rows;   /* rows written by chunks (over all runs) */
    long long chunks; /* chunks written in this run */
    long long taken;  /* rows of those chunks that a change in the window replaced */
    double t0;
} cc_stream;

struct chunked_copy {
    long long chunk_rows;
    const char *wm_schema, *wm_table; /* borrowed (wm_name): snapshot_watermark_table, or NULL */
    char wm_name[256];
    cc_stream *s; /* malloc'ed, one per stream of the run */
    size_t n;
    size_t nactive; /* streams with a copy in chunks in progress (checked on every message) */
    long long seq;
    int reconnects; /* reconnects of the connection that reads the chunks, in this run */
    /* the chunk waiting for its high watermark */
    int pending; /* stream index, -1: none */
    char low[128], high[128];
    chunk_buffer chunk; /* owned: its rows (room for chunk_rows made by chunked_copy_start) */
    const char **names; /* malloc'ed, chunk.ncols: the view's column names at the SELECT
                           (borrowed) */
    bool last;          /* fewer rows than asked: the table's last chunk */
    /* the xids of the last transactions begun in the stream */
    uint32_t ring[XID_RING];
    size_t ring_n, ring_pos;
};

void chunked_copy_destroy(struct chunked_copy *cc)
{
    if (!cc)
        return;
    for (size_t i = 0; i < cc->n; i++)
        buf_term(&cc->s[i].after);
    free(cc->s);
    chunk_buffer_term(&cc->chunk);
    free(cc->names);
    free(cc);
}

/*
 * eligible: the stream's key properties are exactly its table's primary key (unique and not
 * null, so "> last key" pages through every row once), and no inheritance child shares the
 * table (a parent's key does not hold over its children; partitions of a partitioned table
 * are fine: their key includes the partition key and is unique over the whole table)
 */
static bool eligible(const lstream *ls, const char **why)
{
    const tap_stream *s = ls->src;
    if (ls->copy_only) {
        /* the chunks' windows drop copied rows whose changes the stream writes instead: a stream
           that takes no changes would lose them */
        *why = "its snapshot_mode is initial_only";
        return false;
    }
    if (!s->nkeys) {
        *why = "it has no primary key";
        return false;
    }
    size_t npk = 0;
    for (size_t i = 0; i < ls->ncols; i++)
        npk += ls->cols[i].col.is_pk && !ls->cols[i].foreign;
    if (npk != s->nkeys) {
        *why = "its key properties are not its primary key";
        return false;
    }
    for (size_t k = 0; k < s->nkeys; k++) {
        bool found = false;
        for (size_t i = 0; i < ls->ncols && !found; i++)
            found =
                ls->cols[i].col.is_pk && strcmp(ls->cols[i].col.name, s->key_properties[k]) == 0;
        if (!found) {
            *why = "its key properties are not its primary key";
            return false;
        }
    }
    if (ls->has_descendants && !(s->table && s->table->relkind == 'p')) {
        *why = "it has inheritance children";
        return false;
    }
    return true;
}

/* the bookmark's chunked_copy member for stream i, as the state should show it now */
static void write_marker(sl_run *L, size_t i)
{
    const cc_stream *cs = &L->chunks->s[i];
    chunk_bookmark_write(L->run->state, L->streams[i].src, cs->have_after ? &cs->after : NULL,
                         cs->rows);
}

static void remove_marker(sl_run *L, size_t i)
{
    chunk_bookmark_remove(L->run->state, L->streams[i].src->tap_stream_id);
}

/* copy stream i again from the start: its bookmark dropped, its marker too */
static void start_over(sl_run *L, size_t i, const char *why)
{
    lstream *ls = &L->streams[i];
    log_warn("stream \"%s\": its chunked copy cannot be resumed (%s): the table is copied again "
             "as a new table version",
             ls->src->tap_stream_id, why);
    ls->need_copy = true;
    ls->input_lsn = 0;
    cJSON *bm = state_bookmark(L->run->state, ls->src->tap_stream_id);
    if (bm) {
        state_bm_remove(bm, "lsn");
        state_bm_remove(bm, CHUNK_BOOKMARK_KEY);
    }
}

bool chunked_copy_read(sl_run *L)
{
    const cJSON *root = L->run->cfg->root;
    struct chunked_copy *cc = calloc(1, sizeof(*cc));
    if (!cc || !(cc->s = calloc(L->n ? L->n : 1, sizeof(*cc->s)))) {
        free(cc);
        log_error("out of memory");
        return fail(L, EXIT_INTERNAL);
    }
    L->chunks = cc;
    cc->n = L->n;
    cc->pending = -1;
    for (size_t i = 0; i < L->n; i++)
        buf_init(&cc->s[i].after);
    chunk_buffer_init(&cc->chunk);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "snapshot_chunk_rows");
    long long n = 100000;
    if (v && (!json_util_to_int(v, &n) || n < 0 || n > 100000000)) {
        log_error("config key snapshot_chunk_rows: expected an integer from 0 (one snapshot) to "
                  "100000000");
        return fail(L, EXIT_BAD_CONFIG);
    }
    cc->chunk_rows = n;
    const char *wm = json_util_string(root, "snapshot_watermark_table", NULL);
    if (wm && *wm) {
        /* "schema.table" or "table" (public): plain names, as the README says */
        const char *dot = strchr(wm, '.');
        size_t sl = dot ? (size_t)(dot - wm) : 0;
        if ((dot && (sl == 0 || !dot[1] || strchr(dot + 1, '.'))) || strlen(wm) >= 200) {
            log_error("config key snapshot_watermark_table: \"%s\" is not \"schema.table\"", wm);
            return fail(L, EXIT_BAD_CONFIG);
        }
        if (dot) {
            snprintf(cc->wm_name, sizeof(cc->wm_name), "%.*s", (int)sl, wm);
            cc->wm_table = dot + 1;
        } else {
            snprintf(cc->wm_name, sizeof(cc->wm_name), "public");
            cc->wm_table = wm;
        }
        cc->wm_schema = cc->wm_name;
    }
    for (size_t i = 0; i < L->n; i++) {
        lstream *ls = &L->streams[i];
        const cJSON *m = chunk_bookmark_get(L->run->state, ls->src->tap_stream_id);
        if (!m)
            continue;
        if (ls->need_copy) {
            remove_marker(L, i); /* copied again anyway (chunked_copy_start decides how) */
            continue;
        }
        const char *why = NULL;
        if (!cc->chunk_rows) {
            start_over(L, i, "snapshot_chunk_rows is 0");
            continue;
        }
        if (!eligible(ls, &why)) {
            start_over(L, i, why);
            continue;
        }
        cc_stream *cs = &cc->s[i];
        long long rows = 0;
        if (!chunk_bookmark_parse(m, ls->src, &cs->after, &cs->have_after, &rows, &why)) {
            start_over(L, i, why);
            continue;
        }
        cs->rows = rows;
        cs->active = true;
        cc->nactive++;
        cs->t0 = timefmt_monotonic();
        log_info("stream \"%s\": resuming its copy in chunks after %lld rows (%s)",
                 ls->src->tap_stream_id, rows,
                 cs->have_after ? "after the last key of the state" : "from the first key");
    }
    return true;
}

/* run sql (no result wanted) with params; false after logging */
static bool exec_params(sl_run *L, const char *sql, int n, const char *const *params,
                        const char *what)
{
    PGresult *res = pg_conn_query_quiet(L->c, sql, n, params);
    if (!res) {
        char msg[300];
        pg_conn_first_line(PQerrorMessage(L->c->conn), msg, sizeof(msg));
        bool lost = PQstatus(L->c->conn) == CONNECTION_BAD;
        log_error("could not write the %s of the chunked copy: %s%s", what, msg,
                  L->chunks->wm_table || lost
                      ? ""
                      : " (a role that may not call pg_logical_emit_message can use a watermark "
                        "table: snapshot_watermark_table)");
        return fail(L, EXIT_SOURCE_DB);
    }
    PQclear(res);
    return true;
}

/*
 * emit_watermark: write a watermark with content mark into the WAL. The stream reads WAL only
 * once it is flushed, and a non-transactional message is not flushed by itself: PostgreSQL 17
 * flushes it when asked; before, a high watermark is followed by the commit of a transaction
 * with an xid and nothing else (flushed with synchronous_commit on), so that the chunk does
 * not wait for the WAL writer (wal_writer_delay). A watermark table's upsert commits anyway.
 */
static bool emit_watermark(sl_run *L, const char *mark, const char *what, bool flush)
{
    struct chunked_copy *cc = L->chunks;
    if (cc->wm_table) {
        buf sql = BUF_INIT;
        buf_append_lit(&sql, "INSERT INTO ");
        pg_conn_quote_ident(&sql, cc->wm_schema);
        buf_putc(&sql, '.');
        pg_conn_quote_ident(&sql, cc->wm_table);
        buf_append_lit(&sql, " (slot_name, watermark) VALUES ($1, $2) ON CONFLICT (slot_name) DO "
                             "UPDATE SET watermark = EXCLUDED.watermark");
        const char *p[2] = {L->slot, mark};
        bool ok = buf_ok(&sql) && exec_params(L, sql.data, 2, p, what);
        buf_term(&sql);
        return ok;
    }
    const char *p[2] = {CHUNKED_COPY_PREFIX, mark};
    if (pg_conn_server_version(L->c) >= 170000)
        return exec_params(L, "SELECT pg_logical_emit_message(false, $1, $2, true)", 2, p, what);
    if (!flush)
        return exec_params(L, "SELECT pg_logical_emit_message(false, $1, $2)", 2, p, what);
    if (!pg_conn_exec(L->c, "BEGIN; SET LOCAL synchronous_commit = on"))
        return fail(L, EXIT_SOURCE_DB);
    bool ok =
        exec_params(L, "SELECT pg_logical_emit_message(false, $1, $2), txid_current()", 2, p, what);
    if (!pg_conn_exec(L->c, ok ? "COMMIT" : "ROLLBACK") && ok)
        ok = fail(L, EXIT_SOURCE_DB);
    return ok;
}

bool chunked_copy_start(sl_run *L)
{
    struct chunked_copy *cc = L->chunks;
    if (!cc || !cc->chunk_rows)
        return true;
    if (L->standby) {
        /* a standby takes no writes: no watermark can be written there */
        size_t ncopy = 0;
        for (size_t i = 0; i < L->n; i++)
            ncopy += L->streams[i].need_copy;
        if (ncopy && !chunked_copy_active(L))
            log_info("the initial copies are made in one snapshot, not in chunks: a standby takes "
                     "no writes, so the chunks' watermarks cannot be written");
        if (!chunked_copy_active(L))
            return true;
        log_error("a copy in chunks is in progress, but the source is now a standby, where its "
                  "watermarks cannot be written: point the tap at the primary, or set "
                  "snapshot_chunk_rows = 0 to copy again in one snapshot");
        return fail(L, EXIT_SOURCE_DB);
    }
    bool no_messages = !cc->wm_table && L->pgo && pg_conn_server_version(L->c) < 140000;
    if (no_messages) {
        /* pgoutput sends logical messages from PostgreSQL 14 on: without a watermark table the
           copies stay in one snapshot (a copy in chunks already begun cannot go on: below) */
        size_t ncopy = 0;
        for (size_t i = 0; i < L->n; i++)
            ncopy += L->streams[i].need_copy;
        if (ncopy && !chunked_copy_active(L)) {
            log_info("the initial copies are made in one snapshot, not in chunks: pgoutput sends "
                     "the chunks' watermarks (logical messages) from PostgreSQL 14 on (this is "
                     "%d); set snapshot_watermark_table for chunks",
                     pg_conn_server_version(L->c) / 10000);
            return true;
        }
    }
    size_t started = 0, active = 0;
    for (size_t i = 0; i < L->n; i++) {
        lstream *ls = &L->streams[i];
        cc_stream *cs = &cc->s[i];
        if (!ls->need_copy) {
            active += cs->active;
            continue;
        }
        const char *why = NULL;
        if (!eligible(ls, &why)) {
            log_info("stream \"%s\": copied inside the exported snapshot of the slot in one "
                     "transaction, not in chunks: %s",
                     ls->src->tap_stream_id, why);
            continue;
        }
        bool first_version = ls->version < 0;
        long long old_version = ls->version;
        ls->version = sl_run_new_version();
        if (ls->version <= old_version)
            ls->version = old_version + 1;
        for (size_t j = 0; j < i; j++)
            if (ls->version <= L->streams[j].version)
                ls->version = L->streams[j].version + 1;
        record_builder_set_version(&ls->rb, ls->version, NULL);
        ls->tail_time[0] = '\0';
        ls->need_copy = false;
        ls->lsn = 0;
        if (!cs->active)
            cc->nactive++;
        cs->active = true;
        cs->fresh = true;
        cs->have_after = false;
        buf_reset(&cs->after);
        cs->rows = 0;
        cs->t0 = timefmt_monotonic();
        write_marker(L, i);
        if (first_version && !tap_emit_activate_version(L->run, &ls->view, ls->version))
            return false;
        log_info("stream \"%s\": initial copy in chunks of %lld rows, interleaved with the stream",
                 ls->src->tap_stream_id, cc->chunk_rows);
        started++;
    }
    if (!started && !active)
        return true;
    if (no_messages) {
        log_error("a copy in chunks is in progress, but pgoutput sends its watermarks (logical "
                  "messages) from PostgreSQL 14 on only (this is %d): set "
                  "snapshot_watermark_table, or snapshot_chunk_rows = 0 to copy again in one "
                  "snapshot",
                  pg_conn_server_version(L->c) / 10000);
        return fail(L, EXIT_BAD_CONFIG);
    }
    if (!chunk_buffer_alloc(&cc->chunk, (size_t)cc->chunk_rows)) {
        log_error("out of memory (snapshot_chunk_rows = %lld)", cc->chunk_rows);
        return fail(L, EXIT_INTERNAL);
    }
    return true;
}

void chunked_copy_positions(sl_run *L, uint64_t from)
{
    struct chunked_copy *cc = L->chunks;
    for (size_t i = 0; cc && i < L->n; i++) {
        if (cc->s[i].active && cc->s[i].fresh) {
            L->streams[i].lsn = from;
            cc->s[i].fresh = false;
        }
    }
}

bool chunked_copy_active(const sl_run *L)
{
    return L->chunks && L->chunks->nactive > 0;
}

bool chunked_copy_wants_messages(const sl_run *L)
{
    return L->chunks && !L->chunks->wm_table && chunked_copy_active(L);
}

bool chunked_copy_watermark_table(const sl_run *L, const char **schema, const char **table)
{
    if (!L->chunks || !L->chunks->wm_table || !L->chunks->chunk_rows)
        return false;
    *schema = L->chunks->wm_schema;
    *table = L->chunks->wm_table;
    return true;
}

bool chunked_copy_publish(sl_run *L)
{
    logical_slot_table t;
    if (!chunked_copy_watermark_table(L, &t.schema, &t.table))
        return true;
    if (!logical_slot_publication_ensure(L->c, L->publication, &t, 1, NULL))
        return fail(L, EXIT_SOURCE_DB);
    return true;
}

void chunked_copy_on_begin(sl_run *L, const change *c)
{
    struct chunked_copy *cc = L->chunks;
    if (!cc || !cc->nactive || !c->xid)
        return;
    cc->ring[cc->ring_pos] = c->xid;
    cc->ring_pos = (cc->ring_pos + 1) % XID_RING;
    if (cc->ring_n < XID_RING)
        cc->ring_n++;
}

static bool in_ring(const struct chunked_copy *cc, uint32_t xid)
{
    for (size_t i = 0; i < cc->ring_n; i++)
        if (cc->ring[i] == xid)
            return true;
    return false;
}

/*
 * snapshot_lags: does snapshot text "xmin:xmax:xip,..." (txid_current_snapshot: 64-bit ids
 * with the epoch) still see as running a transaction the stream has delivered?
 */
static bool snapshot_lags(const struct chunked_copy *cc, const char *snap)
{
    const char *p = strchr(snap, ':');
    p = p ? strchr(p + 1, ':') : NULL;
    if (!p)
        return false;
    p++;
    while (*p) {
        char *end = NULL;
        errno = 0;
        unsigned long long x = strtoull(p, &end, 10);
        if (errno || end == p)
            return false;
        if (in_ring(cc, (uint32_t)(x & 0xffffffffu)))
            return true;
        p = *end == ',' ? end + 1 : end;
        if (*end != ',')
            break;
    }
    return false;
}

static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* the chunk's SELECT text (view columns, then the key columns) */
static void chunk_sql(buf *sql, const lstream *ls, bool after, long long limit)
{
    const tap_stream *s = ls->src;
    buf_append_lit(sql, "SELECT ");
    tap_select_list(sql, &ls->view);
    for (size_t k = 0; k < s->nkeys; k++) {
        buf_append_lit(sql, ", ");
        pg_conn_quote_ident(sql, s->key_properties[k]);
    }
    buf_append_lit(sql, " FROM ");
    tap_quoted_table(sql, s);
    if (after) {
        buf_append_lit(sql, " WHERE (");
        for (size_t k = 0; k < s->nkeys; k++) {
            if (k)
                buf_append_lit(sql, ", ");
            pg_conn_quote_ident(sql, s->key_properties[k]);
        }
        buf_append_lit(sql, ") > (");
        for (size_t k = 0; k < s->nkeys; k++)
            buf_appendf(sql, "%s$%zu", k ? ", " : "", k + 1);
        buf_putc(sql, ')');
    }
    bool have_where = after;
    tap_append_where(sql, s, &have_where); /* custom_where_clauses (row_filter.h) */
    buf_append_lit(sql, " ORDER BY ");
    for (size_t k = 0; k < s->nkeys; k++) {
        if (k)
            buf_append_lit(sql, ", ");
        pg_conn_quote_ident(sql, s->key_properties[k]);
    }
    buf_appendf(sql, " LIMIT %lld", limit);
}

/* read the next chunk of stream i between its watermarks (once: read_chunk retries) */
static bool read_chunk_once(sl_run *L, size_t i)
{
    struct chunked_copy *cc = L->chunks;
    lstream *ls = &L->streams[i];
    cc_stream *cs = &cc->s[i];
    const tap_stream *s = ls->src;
    cc->seq++;
    snprintf(cc->low, sizeof(cc->low), "%.63s/%ld/%lld/%lld/low", L->slot, (long)getpid(),
             ls->version, cc->seq);
    snprintf(cc->high, sizeof(cc->high), "%.63s/%ld/%lld/%lld/high", L->slot, (long)getpid(),
             ls->version, cc->seq);
    if (!emit_watermark(L, cc->low, "low watermark", false))
        return false;

    size_t ncols = ls->view.ncolumns;
    free(cc->names);
    cc->names = calloc(ncols ? ncols : 1, sizeof(*cc->names));
    const char **params = calloc(s->nkeys, sizeof(*params));
    buf sql = BUF_INIT, pbuf = BUF_INIT;
    bool ok = cc->names && params;
    if (!ok) {
        log_error("out of memory");
        ok = fail(L, EXIT_INTERNAL);
        goto done;
    }
    for (size_t c = 0; c < ncols; c++)
        cc->names[c] = ls->view.columns[c].name;
    chunk_sql(&sql, ls, cs->have_after, cc->chunk_rows);
    if (cs->have_after) {
        /* the key texts, each NUL-terminated, as parameters */
        const char *p = cs->after.data;
        size_t offs[64];
        for (size_t k = 0; k < s->nkeys && k < 64; k++) {
            uint32_t n;
            const char *text = chunk_buffer_next_field(&p, &n);
            offs[k] = pbuf.len;
            buf_append(&pbuf, text, n);
            buf_putc(&pbuf, '\0');
        }
        for (size_t k = 0; k < s->nkeys && k < 64; k++)
            params[k] = pbuf.data + offs[k];
    }
    if (!buf_ok(&sql) || !buf_ok(&pbuf) || s->nkeys > 64) {
        log_error("out of memory (or a key of more than 64 columns)");
        ok = fail(L, EXIT_INTERNAL);
        goto done;
    }
    for (int attempt = 0;; attempt++) {
        chunk_buffer_reset(&cc->chunk, ncols, s->nkeys);
        /* REPEATABLE READ for one statement and the snapshot's text: the same snapshot */
        if (!pg_conn_exec(L->c, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")) {
            ok = fail(L, EXIT_SOURCE_DB);
            goto done;
        }
        PGresult *res = pg_conn_query(L->c, "SELECT txid_current_snapshot()::text", 0, NULL);
        if (!res) {
            ok = fail(L, EXIT_SOURCE_DB);
            goto done;
        }
        bool lags = snapshot_lags(cc, PQgetvalue(res, 0, 0));
        PQclear(res);
        if (lags && attempt < 200 && !tap_stop_requested) {
            /* a transaction we have read is not visible yet: read the chunk a moment later */
            pg_conn_exec(L->c, "ROLLBACK");
            pause_ms(5);
            continue;
        }
        if (lags)
            log_warn("stream \"%s\": a transaction delivered by the stream stayed invisible to "
                     "new snapshots for over a second; the chunk is read anyway",
                     s->tap_stream_id);
        int code = 0;
        ok = chunk_buffer_read(&cc->chunk, L->c->conn, sql.data, cs->have_after ? (int)s->nkeys : 0,
                               params, s->tap_stream_id, &code);
        if (!ok)
            fail(L, code);
        if (!pg_conn_exec(L->c, ok ? "COMMIT" : "ROLLBACK") && ok)
            ok = fail(L, EXIT_SOURCE_DB);
        break;
    }
    if (!ok)
        goto done;
    cc->last = cc->chunk.nrows < (size_t)cc->chunk_rows;
    if (!chunk_buffer_index(&cc->chunk)) {
        log_error("out of memory (the key index of a chunk of stream \"%s\")", s->tap_stream_id);
        ok = fail(L, EXIT_INTERNAL);
        goto done;
    }
    if (!(ok = emit_watermark(L, cc->high, "high watermark", true)))
        goto done;
    cc->pending = (int)i;
    log_debug("stream \"%s\": chunk %lld read (%zu rows, %zu bytes), waiting for its high "
              "watermark",
              s->tap_stream_id, cs->chunks + 1, cc->chunk.nrows, cc->chunk.rows.len);
done:
    free(params);
    buf_term(&sql);
    buf_term(&pbuf);
    return ok;
}

/*
 * chunk_connection_lost: the chunk could not be read (or its watermarks not written) because the
 * connection that reads the chunks was lost: the server restarted, our backend was terminated,
 * the network reset it. Not a frozen connection (given up after read_timeout), not after a stop
 * request or a failed write to stdout.
 */
static bool chunk_connection_lost(const sl_run *L)
{
    return L->c && L->c->conn && PQstatus(L->c->conn) == CONNECTION_BAD && !L->c->gave_up &&
           !tap_stop_requested && singer_writer_ok(L->run->w);
}

/*
 * read_chunk: read_chunk_once, and again on a new connection when the one reading the chunks was
 * lost (up to reconnect_attempts in the run, waiting as tap_retry does). Nothing of a chunk is
 * written before its high watermark comes through the stream, so a chunk read again is exact:
 * new watermarks (a new sequence number) bound a new window, and a watermark of the lost attempt
 * that reaches the stream later matches none. The stream is not read while waiting; its
 * connection, when it was lost too, is made again by repl_retry when the stream meets the loss.
 */
static bool read_chunk(sl_run *L, size_t i)
{
    struct chunked_copy *cc = L->chunks;
    const char *id = L->streams[i].src->tap_stream_id;
    for (;;) {
        if (read_chunk_once(L, i))
            return true;
        cc->pending = -1;
        if (!chunk_connection_lost(L))
            return false;
        if (!tap_retry_reconnect(L->run, L->c, id, "the connection that reads the chunks",
                                 &cc->reconnects))
            return false;
        L->run->fail_code = 0;
        log_info("stream \"%s\": reconnected; reading the chunk again (after %lld rows)", id,
                 cc->s[i].rows);
    }
}

bool chunked_copy_step(sl_run *L)
{
    struct chunked_copy *cc = L->chunks;
    if (!cc || !cc->nactive || cc->pending >= 0)
        return true;
    for (size_t i = 0; i < L->n; i++) {
        if (!cc->s[i].active)
            continue;
        if (L->streams[i].recopy) {
            /* a TRUNCATE of part of its rows: copied again at the end of the run, in one go */
            cc->s[i].active = false;
            cc->nactive--;
            remove_marker(L, i);
            continue;
        }
        return read_chunk(L, i);
    }
    return true;
}

/* the stream's columns are still those of the chunk's SELECT */
static bool same_columns(const struct chunked_copy *cc, const lstream *ls)
{
    bool same = ls->view.ncolumns == cc->chunk.ncols;
    for (size_t c = 0; same && c < cc->chunk.ncols; c++)
        same = strcmp(ls->view.columns[c].name, cc->names[c]) == 0;
    return same;
}

/* before RECORDs of the chunk go out: the stream's SCHEMA when due, the version and the time */
static bool begin_records(sl_run *L, lstream *ls)
{
    if (ls->need_schema && !lstream_emit_schema(L, ls))
        return false;
    char now[40];
    timefmt_now_rfc3339(now, sizeof(now));
    record_builder_set_version(&ls->rb, ls->version, now);
    ls->tail_time[0] = '\0'; /* the stream's next record sets its own time_extracted */
    return true;
}

/* after `written` RECORDs of the chunk went out: the counters */
static void count_records(sl_run *L, lstream *ls, cc_stream *cs, long long written)
{
    lstream_take_counters(L, ls);
    ls->records += written;
    L->run->records += written;
    cs->rows += written;
}

/* update c leaves out a value of a column of the stream: an unchanged TOAST value (pgoutput's
   'u', left out by wal2json) that no old row (REPLICA IDENTITY FULL) fills in */
static bool leaves_out(const lstream *ls, const change *c)
{
    for (size_t i = 0; i < ls->view.ncolumns; i++) {
        const char *name = ls->view.columns[i].name;
        const change_value *v = change_find_value(&c->new_tuple, name);
        if (v && v->kind != CHANGE_VALUE_UNCHANGED)
            continue;
        v = c->old_kind == 'O' ? change_find_value(&c->old_tuple, name) : NULL;
        if (!v || v->kind == CHANGE_VALUE_UNCHANGED)
            return true;
    }
    return false;
}

bool chunked_copy_on_change(sl_run *L, int stream, const change *c)
{
    struct chunked_copy *cc = L->chunks;
    if (!cc || cc->pending != stream || !cc->chunk.nrows)
        return true;
    lstream *ls = &L->streams[stream];
    const char *const *key_names = ls->src->key_properties;
    long r = c->kind == CHANGE_INSERT || c->kind == CHANGE_UPDATE
                 ? chunk_buffer_live_row(&cc->chunk, key_names, &c->new_tuple)
                 : -1;
    if (r >= 0 && c->kind == CHANGE_UPDATE && same_columns(cc, ls) && leaves_out(ls, c)) {
        /*
         * Dropped, the chunk's row would take with it the value the update does not carry,
         * which the target lacks for a key it has no row of yet: the row goes out first, as of
         * the chunk's SELECT, then the update, whose values win over it.
         */
        if (!begin_records(L, ls))
            return false;
        if (!chunk_buffer_write_row(&cc->chunk, (size_t)r, &ls->rb, L->run->w))
            return fail(L, EXIT_OUTPUT);
        count_records(L, ls, &cc->s[stream], 1);
    } else if (r >= 0) {
        chunk_buffer_take_row(&cc->chunk, (size_t)r);
    }
    if (c->kind == CHANGE_UPDATE || c->kind == CHANGE_DELETE)
        chunk_buffer_take_key(&cc->chunk, key_names, &c->old_tuple);
    return true;
}

bool chunked_copy_on_truncate(sl_run *L, const change *c)
{
    struct chunked_copy *cc = L->chunks;
    if (!cc || cc->pending < 0)
        return true;
    for (int r = 0; r < c->nrelations; r++) {
        size_t first;
        int count;
        if (!relations_resolve(L, c->relations[r]->schema, c->relations[r]->table, &first, &count))
            return false;
        for (int k = 0; k < count; k++) {
            if (L->targets[first + (size_t)k].stream != cc->pending)
                continue;
            /* the rows read before the TRUNCATE may be gone: none of the chunk is written, and
               the chunk's last key still counts as copied (the stream carries what follows) */
            chunk_buffer_take_all(&cc->chunk);
        }
    }
    return true;
}

/* write the rows of the pending chunk that no change removed, then a STATE */
static bool finish_chunk(sl_run *L)
{
    struct chunked_copy *cc = L->chunks;
    size_t i = (size_t)cc->pending;
    lstream *ls = &L->streams[i];
    cc_stream *cs = &cc->s[i];
    cc->pending = -1;
    if (ls->recopy) {
        /* a TRUNCATE of part of its rows: copied again in one go at the end of the run */
        cs->active = false;
        cc->nactive--;
        remove_marker(L, i);
        return true;
    }
    if (!same_columns(cc, ls)) {
        /* the stream's columns changed meanwhile: read the chunk again with the new ones */
        log_info("stream \"%s\": its columns changed during a chunk: the chunk is read again",
                 ls->src->tap_stream_id);
        return true;
    }
    if (!begin_records(L, ls))
        return false;
    long long written = 0;
    if (!chunk_buffer_write(&cc->chunk, &ls->rb, L->run->w, &written))
        return fail(L, EXIT_OUTPUT);
    count_records(L, ls, cs, written);
    cs->chunks++;
    cs->taken += (long long)cc->chunk.ngone;
    if (cc->chunk.nrows) {
        /* the chunk's last key, whether a change took its row or not */
        if (!chunk_buffer_last_key(&cc->chunk, &cs->after)) {
            log_error("out of memory");
            return fail(L, EXIT_INTERNAL);
        }
        cs->have_after = true;
    }
    log_debug("stream \"%s\": chunk %lld: %lld rows written, %zu taken by changes in its window",
              ls->src->tap_stream_id, cs->chunks, written, cc->chunk.ngone);
    if (cc->last) {
        cs->active = false;
        cc->nactive--;
        remove_marker(L, i);
        if (!tap_emit_activate_version(L->run, &ls->view, ls->version))
            return false;
        log_info("stream \"%s\": initial copy in chunks done: %lld rows; %lld chunks in this run, "
                 "%lld of their rows replaced by changes in the chunk's window",
                 ls->src->tap_stream_id, cs->rows, cs->chunks, cs->taken);
        /* its records are in the stream's record_count points (cdc_metrics: ls->records) */
        double secs = timefmt_monotonic() - cs->t0;
        metrics_timer("copy_duration", secs, ls->src->tap_stream_id);
        progress_add_copy(&L->run->progress, ls->src->tap_stream_id, "initial copy", cs->rows,
                          secs);
    } else {
        write_marker(L, i);
    }
    return sl_run_emit_state(L);
}

static bool on_mark(sl_run *L, const char *content, size_t len)
{
    struct chunked_copy *cc = L->chunks;
    if (cc->pending < 0)
        return true;
    if (len == strlen(cc->high) && memcmp(content, cc->high, len) == 0)
        return finish_chunk(L);
    if (len == strlen(cc->low) && memcmp(content, cc->low, len) == 0)
        log_debug("low watermark %s read", cc->low);
    /* anything else: another run's or another tap's watermark */
    return true;
}

bool chunked_copy_on_message(sl_run *L, const change *c)
{
    if (!L->chunks || !c->msg_prefix || strcmp(c->msg_prefix, CHUNKED_COPY_PREFIX) != 0)
        return true;
    return on_mark(L, c->msg_content, c->msg_len);
}

bool chunked_copy_watermark_row(sl_run *L, const change *c, bool *ok)
{
    struct chunked_copy *cc = L->chunks;
    *ok = true;
    if (!cc || !cc->wm_table || !c->rel || !c->rel->schema || !c->rel->table ||
        strcmp(c->rel->schema, cc->wm_schema) != 0 || strcmp(c->rel->table, cc->wm_table) != 0)
        return false;
    if (c->kind != CHANGE_INSERT && c->kind != CHANGE_UPDATE)
        return true;
    const change_value *slot = change_find_value(&c->new_tuple, "slot_name");
    const change_value *mark = change_find_value(&c->new_tuple, "watermark");
    if (!slot || !mark || slot->kind != CHANGE_VALUE_TEXT || mark->kind != CHANGE_VALUE_TEXT ||
        slot->len != strlen(L->slot) || memcmp(slot->text, L->slot, slot->len) != 0)
        return true;
    *ok = on_mark(L, mark->text, mark->len);
    return true;
}
