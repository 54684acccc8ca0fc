#include "sync_parallel.h"

#include "exit_codes.h"
#include "json_util.h"
#include "log.h"
#include "snapshot_ranges.h"
#include "state.h"
#include "timefmt.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_BYTES ((size_t)256 * 1024)
#define RANGES_PER_WORKER 4
#define MAX_WORKERS 64
#define MAX_KEYS 32

/* whole RECORD lines of one range, handed from a worker to the writer */
typedef struct chunk {
    buf lines;
    size_t rows;
    size_t range;
    bool last; /* the range's final chunk */
    buf key;   /* the key texts of the last row, each ending in NUL (npk of them) */
    struct chunk *next;
} chunk;

typedef struct pshared {
    pthread_mutex_t mu;
    pthread_cond_t cv_put, cv_get; /* room in the queue / a chunk or a worker done */
    chunk *head, *tail, *spare;
    size_t queued, max_queued;
    size_t next_range;
    int running; /* workers not finished */
    bool abort;  /* a failure or a stop: workers stop after their current row */
    /* read-only while the workers run */
    const tap_stream *s;
    const tap_config *cfg;
    snapshot_range *ranges;
    size_t nranges;
    snapshot_range_kind kind;
    long long version;
    char time_extracted[40];
} pshared;

typedef struct pworker {
    pthread_t th;
    bool started;
    pshared *sh;
    pg_conn *c; /* owned */
    typemap_ctx tm;
    copy_text_decoder ct;
    record_builder rb;
    int fail_code;
    long long rows;
} pworker;

static long long workers_setting(const tap_config *cfg)
{
    return json_util_int(cfg->root, "snapshot_workers", 1);
}

bool sync_parallel_wanted(const tap_run *run, const tap_stream *s, const cJSON *bm)
{
    if (workers_setting(run->cfg) <= 1 || s->is_view || tap_record_limit(run, s) > 0)
        return false;
    const cJSON *lpk = cJSON_GetObjectItemCaseSensitive(bm, "last_pk_fetched");
    if (lpk && !cJSON_IsNull(lpk) && !cJSON_GetObjectItemCaseSensitive(bm, SNAPSHOT_RANGES_KEY)) {
        log_info("stream \"%s\": resuming the single-connection copy of an earlier run after its "
                 "last_pk_fetched (snapshot_workers applies from the next copy)",
                 s->tap_stream_id);
        return false;
    }
    return true;
}

/* ---- the queue */

static chunk *chunk_get(pshared *sh)
{
    pthread_mutex_lock(&sh->mu);
    chunk *c = sh->spare;
    if (c)
        sh->spare = c->next;
    pthread_mutex_unlock(&sh->mu);
    if (!c)
        c = calloc(1, sizeof(*c));
    if (c) {
        buf_reset(&c->lines);
        buf_reset(&c->key);
        c->rows = 0;
        c->last = false;
        c->next = NULL;
    }
    return c;
}

static void chunk_free(chunk *c)
{
    if (!c)
        return;
    buf_term(&c->lines);
    buf_term(&c->key);
    free(c);
}

/* hand c over to the writer (waiting for room); false (c freed) once the copy is aborted */
static bool chunk_put(pshared *sh, chunk *c)
{
    pthread_mutex_lock(&sh->mu);
    while (sh->queued >= sh->max_queued && !sh->abort)
        pthread_cond_wait(&sh->cv_put, &sh->mu);
    bool ok = !sh->abort;
    if (ok) {
        if (sh->tail)
            sh->tail->next = c;
        else
            sh->head = c;
        sh->tail = c;
        sh->queued++;
        pthread_cond_signal(&sh->cv_get);
    }
    pthread_mutex_unlock(&sh->mu);
    if (!ok)
        chunk_free(c);
    return ok;
}

static void set_abort(pshared *sh)
{
    pthread_mutex_lock(&sh->mu);
    sh->abort = true;
    pthread_cond_broadcast(&sh->cv_put);
    pthread_cond_broadcast(&sh->cv_get);
    pthread_mutex_unlock(&sh->mu);
}

static bool aborted(pshared *sh)
{
    pthread_mutex_lock(&sh->mu);
    bool a = sh->abort;
    pthread_mutex_unlock(&sh->mu);
    return a;
}

/* ---- a worker */

static void cancel_query(PGconn *conn)
{
    PGcancel *cancel = PQgetCancel(conn);
    char err[256];
    if (cancel) {
        if (!PQcancel(cancel, err, sizeof(err)))
            log_debug("cannot cancel the query: %s", err);
        PQfreeCancel(cancel);
    }
}

static bool copy_range(pworker *w, size_t ri)
{
    pshared *sh = w->sh;
    const tap_stream *s = sh->s;
    buf set = BUF_INIT, sql = BUF_INIT;
    const char *params[2 + MAX_KEYS];
    int np = 0;
    chunk *ch = NULL;
    bool ok = false;
    if (!snapshot_ranges_sql(s, sh->kind, &sh->ranges[ri], &set, &sql, params, &np)) {
        log_error("out of memory");
        w->fail_code = EXIT_INTERNAL;
        goto done;
    }
    PGresult *res = pg_conn_query(w->c, set.data, np, params);
    if (!res) {
        w->fail_code = EXIT_SOURCE_DB;
        goto done;
    }
    PQclear(res);
    log_debug("stream \"%s\": range %zu: %s", s->tap_stream_id, ri + 1, sql.data);
    res = pg_conn_exec_raw(w->c, sql.data);
    if (PQresultStatus(res) != PGRES_COPY_OUT) {
        const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        const char *m = PQresultErrorMessage(res);
        log_error("stream \"%s\": range %zu: the query failed%s%s: %.*s", s->tap_stream_id, ri + 1,
                  st ? " with SQLSTATE " : "", st ? st : "", (int)strcspn(m, "\n"), m);
        PQclear(res);
        w->fail_code = EXIT_SOURCE_DB;
        goto done;
    }
    PQclear(res);
    ch = chunk_get(sh);
    bool failed = ch == NULL, cancelled = false;
    if (!ch) {
        log_error("out of memory");
        w->fail_code = EXIT_INTERNAL;
    }
    long long n = 0;
    for (;;) {
        char *row = NULL;
        int len = pg_conn_get_copy_data(w->c, &row);
        if (len < 0)
            break;
        if (failed || tap_stop_requested || (n % 256 == 0 && aborted(sh))) {
            if (!cancelled)
                cancel_query(w->c->conn);
            cancelled = failed = true;
            PQfreemem(row);
            continue;
        }
        if (!copy_text_split(&w->ct, row, (size_t)len) || w->ct.n != s->ncolumns) {
            log_error("stream \"%s\": row %lld of range %zu has %zu fields, expected %zu",
                      s->tap_stream_id, n + 1, ri + 1, w->ct.n, s->ncolumns);
            w->fail_code = EXIT_SOURCE_DB;
            failed = true;
            PQfreemem(row);
            continue;
        }
        const copy_text_field *f = w->ct.fields;
        record_builder_begin(&w->rb, &ch->lines);
        for (size_t i = 0; i < s->ncolumns; i++) {
            if (f[i].null)
                record_builder_null(&w->rb, i);
            else
                record_builder_value(&w->rb, i, f[i].p, f[i].len);
        }
        record_builder_end(&w->rb);
        buf_putc(&ch->lines, '\n');
        ch->rows++;
        n++;
        if (ch->lines.len >= CHUNK_BYTES) {
            for (size_t k = 0; k < s->npk; k++) {
                const copy_text_field *kf = &f[s->pk_index[k]];
                buf_append(&ch->key, kf->p ? kf->p : "", kf->len);
                buf_putc(&ch->key, '\0');
            }
            ch->range = ri;
            if (!buf_ok(&ch->lines) || !buf_ok(&ch->key)) {
                log_error("out of memory");
                w->fail_code = EXIT_INTERNAL;
                failed = true;
            } else {
                bool put = chunk_put(sh, ch);
                ch = put ? chunk_get(sh) : NULL;
                if (!ch) {
                    failed = true;
                    if (put) {
                        log_error("out of memory");
                        w->fail_code = EXIT_INTERNAL;
                    }
                }
            }
        }
        PQfreemem(row);
    }
    w->rows += n;
    ok = !failed;
    while ((res = pg_conn_get_result(w->c)) != NULL) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK && ok) {
            const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
            const char *m = PQresultErrorMessage(res);
            log_error("stream \"%s\": reading range %zu failed after %lld rows%s%s: %.*s",
                      s->tap_stream_id, ri + 1, n, st ? " with SQLSTATE " : "", st ? st : "",
                      (int)strcspn(m, "\n"), m);
            w->fail_code = EXIT_SOURCE_DB;
            ok = false;
        }
        PQclear(res);
    }
    if (ok) {
        ch->range = ri;
        ch->last = true;
        ok = buf_ok(&ch->lines) && chunk_put(sh, ch);
        ch = NULL;
    }
done:
    chunk_free(ch);
    buf_term(&set);
    buf_term(&sql);
    return ok;
}

static void *worker_main(void *arg)
{
    pworker *w = arg;
    pshared *sh = w->sh;
    for (;;) {
        pthread_mutex_lock(&sh->mu);
        size_t ri = sh->next_range;
        bool stop = sh->abort || ri >= sh->nranges;
        if (!stop)
            sh->next_range++;
        pthread_mutex_unlock(&sh->mu);
        if (stop)
            break;
        if (sh->ranges[ri].from_state)
            continue;
        if (!copy_range(w, ri)) {
            set_abort(sh);
            break;
        }
    }
    pthread_mutex_lock(&sh->mu);
    sh->running--;
    pthread_cond_broadcast(&sh->cv_get);
    pthread_mutex_unlock(&sh->mu);
    return NULL;
}

/* ---- the writer (the calling thread) */

static void note_chunk(pshared *sh, const chunk *c)
{
    snapshot_range *r = &sh->ranges[c->range];
    if (c->last) {
        r->done = true;
        return;
    }
    if (sh->kind != SNAPSHOT_RANGE_KEY || c->rows == 0)
        return;
    cJSON *pk = cJSON_CreateObject();
    if (!pk)
        return;
    const char *k = c->key.data;
    for (size_t i = 0; i < sh->s->npk; i++) {
        size_t len = strlen(k);
        state_bm_set_string(pk, sh->s->columns[sh->s->pk_index[i]].name, k, len);
        k += len + 1;
    }
    cJSON_Delete(r->last_pk);
    r->last_pk = pk;
}

static bool write_chunks(tap_run *run, pshared *sh, cJSON *bm, bool track)
{
    bool ok = true;
    long long since_state = 0, copied = 0;
    for (;;) {
        pthread_mutex_lock(&sh->mu);
        while (!sh->head && sh->running > 0)
            pthread_cond_wait(&sh->cv_get, &sh->mu);
        chunk *c = sh->head;
        if (c) {
            sh->head = c->next;
            if (!sh->head)
                sh->tail = NULL;
            sh->queued--;
            pthread_cond_signal(&sh->cv_put);
        }
        pthread_mutex_unlock(&sh->mu);
        if (!c)
            break;
        if (ok && c->rows) {
            singer_writer *w = run->w;
            buf_append(singer_writer_buf(w), c->lines.data, c->lines.len - 1);
            w->lines += (long long)c->rows - 1;
            if (!singer_writer_end_line(w)) {
                ok = tap_fail(run, EXIT_OUTPUT);
                set_abort(sh);
            }
            run->records += (long long)c->rows;
            since_state += (long long)c->rows;
            copied += (long long)c->rows; /* the progress line's rows, checked once a chunk */
            run->progress.rows = copied;
            progress_check(&run->progress);
        }
        if (ok) {
            note_chunk(sh, c);
            if (track && since_state >= run->cfg->itersize) {
                snapshot_ranges_to_bookmark(bm, sh->ranges, sh->nranges);
                since_state = 0;
                if (!tap_emit_state(run)) {
                    ok = false;
                    set_abort(sh);
                }
            }
        }
        if (ok && tap_stop_requested)
            set_abort(sh);
        pthread_mutex_lock(&sh->mu);
        c->next = sh->spare;
        sh->spare = c;
        pthread_mutex_unlock(&sh->mu);
    }
    return ok;
}

/* the copy by snapshot_workers connections; own_tx: c opens (and commits) the transaction whose
   snapshot the workers share, and the ranges are kept in bm for a resume; else c is already in
   the transaction of the snapshot to read (the caller's) and nothing goes into the state */
static bool parallel_copy(tap_run *run, pg_conn *c, tap_stream *s, cJSON *bm, long long version,
                          bool own_tx, long long *rows_out)
{
    long long nw = workers_setting(run->cfg);
    if (nw > MAX_WORKERS)
        nw = MAX_WORKERS;
    if (s->npk > MAX_KEYS) {
        log_error("stream \"%s\": snapshot_workers: a key of %zu columns (at most %d)",
                  s->tap_stream_id, s->npk, MAX_KEYS);
        return tap_fail(run, EXIT_BAD_CONFIG);
    }
    pshared sh;
    memset(&sh, 0, sizeof(sh));
    pthread_mutex_init(&sh.mu, NULL);
    pthread_cond_init(&sh.cv_put, NULL);
    pthread_cond_init(&sh.cv_get, NULL);
    sh.s = s;
    sh.cfg = run->cfg;
    sh.version = version;
    timefmt_now_rfc3339(sh.time_extracted, sizeof(sh.time_extracted));
    pworker *ws = calloc((size_t)nw, sizeof(*ws));
    bool ok = false, in_tx = false;
    char snapshot[64] = "";
    buf sql = BUF_INIT;
    if (!ws) {
        log_error("out of memory");
        tap_fail(run, EXIT_INTERNAL);
        goto done;
    }
    if (own_tx && !pg_conn_exec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")) {
        tap_fail(run, EXIT_SOURCE_DB);
        goto done;
    }
    in_tx = own_tx;
    PGresult *res = pg_conn_query(c, "SELECT pg_export_snapshot()", 0, NULL);
    if (!res) {
        tap_fail(run, EXIT_SOURCE_DB);
        goto done;
    }
    snprintf(snapshot, sizeof(snapshot), "%s", PQgetvalue(res, 0, 0));
    PQclear(res);

    const char *how = "the ranges of the interrupted run";
    sh.ranges = own_tx ? snapshot_ranges_from_state(bm, s, &sh.nranges) : NULL;
    sh.kind = SNAPSHOT_RANGE_KEY;
    if (sh.ranges) {
        size_t left = 0;
        for (size_t i = 0; i < sh.nranges; i++)
            left += !sh.ranges[i].done;
        log_info("stream \"%s\": resuming %zu of %zu ranges after the key of the last record "
                 "written from each (version %lld)",
                 s->tap_stream_id, left, sh.nranges, version);
    } else {
        if (own_tx && cJSON_GetObjectItemCaseSensitive(bm, SNAPSHOT_RANGES_KEY))
            log_warn("stream \"%s\": the %s of the state are not usable: reading the whole table "
                     "again with the same version",
                     s->tap_stream_id, SNAPSHOT_RANGES_KEY);
        sh.ranges =
            snapshot_ranges_plan(c, s, (size_t)nw * RANGES_PER_WORKER, &sh.kind, &sh.nranges, &how);
        if (!sh.ranges) {
            tap_fail(run, EXIT_SOURCE_DB);
            goto done;
        }
    }
    size_t todo = 0;
    for (size_t i = 0; i < sh.nranges; i++)
        todo += !sh.ranges[i].from_state;
    if ((size_t)nw > todo)
        nw = todo ? (long long)todo : 1;
    log_info("stream \"%s\": %zu ranges (%s) read by %lld connections sharing snapshot %s",
             s->tap_stream_id, sh.nranges, how, nw, snapshot);
    /* resume by range needs a key: ctid ranges change with a new snapshot */
    bool track = own_tx && sh.kind == SNAPSHOT_RANGE_KEY;
    if (track) {
        snapshot_ranges_to_bookmark(bm, sh.ranges, sh.nranges);
        if (!tap_emit_state(run))
            goto done;
    }

    /* the workers' connections, each in a transaction of the exported snapshot */
    buf_append_lit(&sql, "SET TRANSACTION SNAPSHOT ");
    pg_conn_quote_literal(&sql, snapshot);
    for (long long i = 0; i < nw; i++) {
        pworker *w = &ws[i];
        w->sh = &sh;
        typemap_ctx_init(&w->tm);
        w->tm.special_numbers_as_strings = run->tm.special_numbers_as_strings;
        copy_text_init(&w->ct);
        w->c = tap_connect(run, true);
        if (!w->c)
            goto done;
        if (!pg_conn_exec(w->c, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY") ||
            !pg_conn_exec(w->c, sql.data)) {
            tap_fail(run, EXIT_SOURCE_DB);
            goto done;
        }
        const char **names = calloc(s->ncolumns ? s->ncolumns : 1, sizeof(*names));
        const typemap_type **types = calloc(s->ncolumns ? s->ncolumns : 1, sizeof(*types));
        bool built = names && types;
        for (size_t k = 0; built && k < s->ncolumns; k++) {
            names[k] = s->columns[k].name;
            types[k] = &s->columns[k].type;
        }
        built = built &&
                record_builder_init(&w->rb, &w->tm, s->tap_stream_id, names, types, s->ncolumns);
        /* each worker's builder applies the stream's transformations, as tap_stream_builder's */
        if (built && s->transforms)
            built = record_builder_set_transforms(&w->rb, s->transforms, s->tap_stream_id, names);
        free(names);
        free(types);
        if (!built) {
            log_error("out of memory");
            tap_fail(run, EXIT_INTERNAL);
            goto done;
        }
        record_builder_set_version(&w->rb, version, sh.time_extracted);
    }
    sh.max_queued = (size_t)nw * 2;
    for (long long i = 0; i < nw; i++) {
        pthread_mutex_lock(&sh.mu);
        sh.running++;
        pthread_mutex_unlock(&sh.mu);
        if (pthread_create(&ws[i].th, NULL, worker_main, &ws[i]) != 0) {
            pthread_mutex_lock(&sh.mu);
            sh.running--;
            pthread_mutex_unlock(&sh.mu);
            log_error("cannot start a snapshot worker thread");
            tap_fail(run, EXIT_INTERNAL);
            set_abort(&sh);
            break;
        }
        ws[i].started = true;
    }
    bool wrote = write_chunks(run, &sh, bm, track);
    long long rows = 0;
    int code = 0;
    for (long long i = 0; i < nw; i++) {
        if (ws[i].started)
            pthread_join(ws[i].th, NULL);
        ws[i].started = false;
        rows += ws[i].rows;
        if (!code)
            code = ws[i].fail_code;
        run->tm.nan_count += ws[i].tm.nan_count;
        run->tm.pos_infinity_count += ws[i].tm.pos_infinity_count;
        run->tm.neg_infinity_count += ws[i].tm.neg_infinity_count;
        run->tm.bad_values += ws[i].tm.bad_values;
        run->tm.clamped_high_count += ws[i].tm.clamped_high_count;
        run->tm.clamped_low_count += ws[i].tm.clamped_low_count;
        run->tm.time_24_count += ws[i].tm.time_24_count;
        run->tm.json_not_object_count += ws[i].tm.json_not_object_count;
    }
    progress_copy_done(&run->progress, rows);
    if (code)
        tap_fail(run, code);
    if (!wrote || code || run->fail_code)
        goto done;
    if (tap_stop_requested) {
        log_error("stream \"%s\": interrupted after %lld rows", s->tap_stream_id, rows);
        tap_fail(run, EXIT_INTERRUPTED);
        goto done;
    }
    for (size_t i = 0; i < sh.nranges; i++)
        if (!sh.ranges[i].done) {
            log_error("stream \"%s\": range %zu was not read to its end", s->tap_stream_id, i + 1);
            tap_fail(run, EXIT_INTERNAL);
            goto done;
        }
    if (own_tx && !pg_conn_exec(c, "COMMIT")) {
        tap_fail(run, EXIT_SOURCE_DB);
        goto done;
    }
    in_tx = false;
    log_info("stream \"%s\": %lld rows by %lld connections", s->tap_stream_id, rows, nw);
    if (own_tx)
        state_bm_remove(bm, SNAPSHOT_RANGES_KEY);
    if (rows_out)
        *rows_out = rows;
    ok = true;
done:
    if (!ok)
        set_abort(&sh);
    for (long long i = 0; ws && i < nw; i++) {
        if (ws[i].started)
            pthread_join(ws[i].th, NULL);
        pg_conn_destroy(ws[i].c);
        record_builder_term(&ws[i].rb);
        copy_text_term(&ws[i].ct);
        typemap_ctx_term(&ws[i].tm);
    }
    free(ws);
    for (chunk *ch = sh.head; ch;) {
        chunk *next = ch->next;
        chunk_free(ch);
        ch = next;
    }
    for (chunk *ch = sh.spare; ch;) {
        chunk *next = ch->next;
        chunk_free(ch);
        ch = next;
    }
    snapshot_ranges_free(sh.ranges, sh.nranges, s->npk);
    if (in_tx && c->conn && PQstatus(c->conn) == CONNECTION_OK)
        PQclear(PQexec(c->conn, "ROLLBACK"));
    pthread_mutex_destroy(&sh.mu);
    pthread_cond_destroy(&sh.cv_put);
    pthread_cond_destroy(&sh.cv_get);
    buf_term(&sql);
    return ok;
}

bool sync_parallel_copy(tap_run *run, pg_conn *c, tap_stream *s, cJSON *bm, long long version)
{
    return parallel_copy(run, c, s, bm, version, true, NULL);
}

bool sync_parallel_copy_in(tap_run *run, pg_conn *c, tap_stream *s, long long version,
                           long long *rows)
{
    *rows = 0;
    return parallel_copy(run, c, s, NULL, version, false, rows);
}
