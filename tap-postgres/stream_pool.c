#include "stream_pool.h"

#include "exit_codes.h"
#include "log.h"
#include "state.h"
#include "tap_retry.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_BYTES ((size_t)256 * 1024)

/* whole lines of one stream, handed from its thread to the writer */
typedef struct pool_chunk {
    buf lines; /* each line ends in '\n' */
    long long nlines;
    size_t stream;   /* index into order */
    cJSON *bookmark; /* owned or NULL: the stream's bookmark once these lines are written */
    bool boundary;   /* that STATE is a stream's start or end one (tap_emit_boundary_state) */
    bool done;       /* the stream's last chunk */
    struct pool_chunk *next;
} pool_chunk;

typedef struct pool {
    pthread_mutex_t mu;
    pthread_cond_t cv_put, cv_get; /* room in the queue / a chunk or a thread finished */
    pool_chunk *head, *tail, *spare;
    size_t queued, max_queued;
    size_t next; /* the next stream to start */
    int running; /* threads not finished */
    bool failed; /* the first failure is recorded */
    int fail_code;
    size_t fail_stream;
    atomic_bool abort; /* a failure or a stop: the threads stop, nothing more is written */
    /* read-only while the threads run */
    tap_stream **order;
    size_t n;
    cJSON **start_bm; /* owned: each stream's bookmark at the start, taken by its thread */
} pool;

typedef struct pool_worker {
    pthread_t th;
    bool started;
    pool *p;
    pg_conn *c; /* owned, except the first thread's (the run's) */
    bool own_c;
    singer_writer w;
    tap_run run;
    cJSON *state;            /* owned: {"currently_syncing":null,"bookmarks":{<stream>:..}} */
    size_t cur;              /* the stream in sync */
    long long flushed_lines; /* w.lines at the last hand-over */
    cJSON *next_bm;          /* owned or NULL: what the next chunk carries */
    bool next_boundary, next_done;
} pool_worker;

/* the first failure wins; every thread and the writer stop */
static void pool_fail(pool *p, size_t stream, int code)
{
    pthread_mutex_lock(&p->mu);
    if (!p->failed) {
        p->failed = true;
        p->fail_code = code ? code : EXIT_INTERNAL;
        p->fail_stream = stream;
    }
    atomic_store(&p->abort, true);
    pthread_cond_broadcast(&p->cv_put);
    pthread_cond_broadcast(&p->cv_get);
    pthread_mutex_unlock(&p->mu);
}

static pool_chunk *chunk_get(pool *p)
{
    pthread_mutex_lock(&p->mu);
    pool_chunk *ch = p->spare;
    if (ch)
        p->spare = ch->next;
    pthread_mutex_unlock(&p->mu);
    if (!ch)
        ch = calloc(1, sizeof(*ch));
    if (ch) {
        buf_reset(&ch->lines);
        ch->nlines = 0;
        ch->bookmark = NULL;
        ch->boundary = ch->done = false;
        ch->next = NULL;
    }
    return ch;
}

static void chunk_free(pool_chunk *ch)
{
    if (!ch)
        return;
    buf_term(&ch->lines);
    cJSON_Delete(ch->bookmark);
    free(ch);
}

static void chunks_free(pool_chunk *ch)
{
    while (ch) {
        pool_chunk *next = ch->next;
        chunk_free(ch);
        ch = next;
    }
}

/* the worker writer's sink: its pending lines (and what the chunk carries) into the queue,
   waiting for room; false once the run is aborted */
static bool pool_sink(void *user, singer_writer *w)
{
    pool_worker *pw = user;
    pool *p = pw->p;
    long long nl = w->lines - pw->flushed_lines;
    if (nl == 0 && !pw->next_bm && !pw->next_done)
        return true;
    if (atomic_load(&p->abort))
        return false;
    pool_chunk *ch = chunk_get(p);
    if (!ch) {
        log_error("out of memory");
        tap_fail(&pw->run, EXIT_INTERNAL);
        return false;
    }
    buf t = ch->lines; /* the lines go over as they are; the writer gets the spare buffer */
    ch->lines = w->out;
    w->out = t;
    ch->nlines = nl;
    pw->flushed_lines = w->lines;
    ch->stream = pw->cur;
    ch->bookmark = pw->next_bm;
    ch->boundary = pw->next_boundary;
    ch->done = pw->next_done;
    pw->next_bm = NULL;
    pw->next_boundary = pw->next_done = false;
    pthread_mutex_lock(&p->mu);
    while (p->queued >= p->max_queued && !atomic_load(&p->abort))
        pthread_cond_wait(&p->cv_put, &p->mu);
    bool ok = !atomic_load(&p->abort);
    if (ok) {
        if (p->tail)
            p->tail->next = ch;
        else
            p->head = ch;
        p->tail = ch;
        p->queued++;
        pthread_cond_signal(&p->cv_get);
    }
    pthread_mutex_unlock(&p->mu);
    if (!ok)
        chunk_free(ch);
    return ok;
}

/* tap_run.state_hook of a thread: the lines so far go out with a copy of the bookmark, which
   the writer puts into the run's state after them (see the header) */
static bool pool_state_hook(tap_run *run, bool boundary)
{
    pool_worker *pw = run->hook_user;
    const tap_stream *s = pw->p->order[pw->cur];
    cJSON *bm = state_bookmark(run->state, s->tap_stream_id);
    cJSON_Delete(pw->next_bm);
    pw->next_bm = bm ? cJSON_Duplicate(bm, true) : NULL;
    if (!pw->next_bm) {
        log_error("out of memory");
        return tap_fail(run, EXIT_INTERNAL);
    }
    pw->next_boundary = boundary;
    if (!singer_writer_flush(run->w))
        return tap_fail(run, EXIT_OUTPUT);
    return true;
}

/* a state of one stream: its bookmark bm (taken) */
static cJSON *one_stream_state(const char *stream_id, cJSON *bm)
{
    cJSON *st = cJSON_CreateObject();
    cJSON *bms = st ? cJSON_AddObjectToObject(st, "bookmarks") : NULL;
    if (!bms || !cJSON_AddNullToObject(st, "currently_syncing") || !bm) {
        cJSON_Delete(st);
        cJSON_Delete(bm);
        return NULL;
    }
    cJSON_AddItemToObject(bms, stream_id, bm);
    return st;
}

static void *worker_main(void *arg)
{
    pool_worker *pw = arg;
    pool *p = pw->p;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        size_t i = p->next;
        bool stop = atomic_load(&p->abort) || i >= p->n;
        if (!stop)
            p->next++;
        pthread_mutex_unlock(&p->mu);
        if (stop)
            break;
        tap_stream *s = p->order[i];
        if (tap_stop_requested) {
            pool_fail(p, i, EXIT_INTERRUPTED);
            break;
        }
        cJSON_Delete(pw->state);
        pw->state = one_stream_state(s->tap_stream_id, p->start_bm[i]);
        p->start_bm[i] = NULL;
        pw->run.state = pw->state;
        pw->cur = i;
        if (!pw->state) {
            log_error("out of memory");
            pool_fail(p, i, EXIT_INTERNAL);
            break;
        }
        log_info("stream \"%s\": %s sync of %zu columns", s->tap_stream_id, s->method_name,
                 s->ncolumns);
        progress_begin(&pw->run.progress, s->tap_stream_id, s->method_name,
                       s->method == TAP_FULL_TABLE && s->table ? s->table->reltuples : -1);
        bool ok;
        if (s->method == TAP_FULL_TABLE)
            ok = tap_retry_full_table(&pw->run, pw->c, s);
        else
            ok = tap_retry_incremental(&pw->run, pw->c, s);
        tap_log_counters(&pw->run, s->tap_stream_id);
        progress_end(&pw->run.progress, ok, "sync_duration");
        if (ok) {
            /* the end STATE, and the stream is no longer in flight */
            pw->next_done = true;
            ok = tap_emit_boundary_state(&pw->run);
        }
        if (!ok) {
            pool_fail(p, i, pw->run.fail_code);
            break;
        }
    }
    pthread_mutex_lock(&p->mu);
    p->running--;
    pthread_cond_broadcast(&p->cv_get);
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* the run's currently_syncing: the first stream of the order in flight, or null */
static void set_currently_syncing(tap_run *run, const pool *p, const bool *in_flight)
{
    for (size_t i = 0; i < p->n; i++)
        if (in_flight[i]) {
            state_set_currently_syncing(run->state, p->order[i]->tap_stream_id);
            return;
        }
    state_set_currently_syncing(run->state, NULL);
}

/* the calling thread: the chunks in queue order to stdout, each bookmark into the run's state
   after its lines, then the run's STATE */
static void write_chunks(tap_run *run, pool *p, bool *in_flight)
{
    singer_writer *w = run->w;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (!p->head && p->running > 0)
            pthread_cond_wait(&p->cv_get, &p->mu);
        pool_chunk *ch = p->head;
        if (ch) {
            p->head = ch->next;
            if (!p->head)
                p->tail = NULL;
            p->queued--;
            pthread_cond_signal(&p->cv_put);
        }
        pthread_mutex_unlock(&p->mu);
        if (!ch)
            break;
        if (!atomic_load(&p->abort)) {
            tap_stream *s = p->order[ch->stream];
            bool ok = true;
            if (ch->nlines) {
                buf_append(singer_writer_buf(w), ch->lines.data, ch->lines.len - 1);
                w->lines += ch->nlines - 1;
                ok = singer_writer_end_line(w);
            }
            in_flight[ch->stream] = !ch->done;
            if (ok && ch->bookmark) {
                ok = state_set_bookmark(run->state, s->tap_stream_id, ch->bookmark);
                ch->bookmark = NULL;
                set_currently_syncing(run, p, in_flight);
                if (ok)
                    ok = ch->boundary ? tap_emit_boundary_state(run) : tap_emit_state(run);
            }
            if (!ok)
                pool_fail(p, ch->stream, singer_writer_ok(w) ? EXIT_INTERNAL : EXIT_OUTPUT);
            else if (tap_stop_requested)
                pool_fail(p, ch->stream, EXIT_INTERRUPTED);
        }
        cJSON_Delete(ch->bookmark);
        ch->bookmark = NULL;
        pthread_mutex_lock(&p->mu);
        ch->next = p->spare;
        p->spare = ch;
        pthread_mutex_unlock(&p->mu);
    }
}

bool stream_pool_run(tap_run *run, pg_conn *c, tap_stream **order, size_t n)
{
    size_t nw = run->cfg->parallel_streams > 0 ? (size_t)run->cfg->parallel_streams : 1;
    if (nw > STREAM_POOL_MAX)
        nw = STREAM_POOL_MAX;
    if (nw > n)
        nw = n ? n : 1;
    pool p;
    memset(&p, 0, sizeof(p));
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.cv_put, NULL);
    pthread_cond_init(&p.cv_get, NULL);
    atomic_init(&p.abort, false);
    p.order = order;
    p.n = n;
    p.max_queued = nw * 2;
    pool_worker *ws = calloc(nw, sizeof(*ws));
    bool *in_flight = calloc(n ? n : 1, sizeof(*in_flight));
    p.start_bm = calloc(n ? n : 1, sizeof(*p.start_bm));
    bool ok = false;
    if (!ws || !in_flight || !p.start_bm) {
        log_error("out of memory");
        tap_fail(run, EXIT_INTERNAL);
        goto done;
    }
    /* the bookmarks are copied before any thread starts: the run's state is the writer's */
    for (size_t i = 0; i < n; i++) {
        cJSON *bm = state_bookmark(run->state, order[i]->tap_stream_id);
        p.start_bm[i] = bm ? cJSON_Duplicate(bm, true) : NULL;
        if (!p.start_bm[i]) {
            log_error("out of memory");
            tap_fail(run, EXIT_INTERNAL);
            goto done;
        }
    }
    log_info("syncing %zu FULL_TABLE/INCREMENTAL streams %zu at a time (parallel_streams), each "
             "on its own connection",
             n, nw);
    for (size_t i = 0; i < nw; i++) {
        pool_worker *pw = &ws[i];
        pw->p = &p;
        singer_writer_init(&pw->w, -1, CHUNK_BYTES);
        singer_writer_set_sink(&pw->w, pool_sink, pw);
        tap_run_init_worker(&pw->run, run, &pw->w, NULL);
        pw->run.state_hook = pool_state_hook;
        pw->run.hook_user = pw;
        pw->run.abort = &p.abort;
        if (i == 0) {
            pw->c = c;
        } else {
            pw->c = tap_connect(run, true);
            pw->own_c = true;
            if (!pw->c)
                goto done;
        }
    }
    for (size_t i = 0; i < nw; i++) {
        pthread_mutex_lock(&p.mu);
        p.running++;
        pthread_mutex_unlock(&p.mu);
        if (pthread_create(&ws[i].th, NULL, worker_main, &ws[i]) != 0) {
            pthread_mutex_lock(&p.mu);
            p.running--;
            pthread_mutex_unlock(&p.mu);
            log_error("cannot start a stream thread");
            pool_fail(&p, 0, EXIT_INTERNAL);
            break;
        }
        ws[i].started = true;
    }
    write_chunks(run, &p, in_flight);
    for (size_t i = 0; i < nw; i++) {
        if (ws[i].started)
            pthread_join(ws[i].th, NULL);
        ws[i].started = false;
        run->records += ws[i].run.records;
        progress_merge(&run->progress, &ws[i].run.progress);
    }
    if (p.failed) {
        tap_fail(run, p.fail_code);
        if (p.fail_code == EXIT_INTERRUPTED && tap_stop_requested) {
            log_error("interrupted");
            if (run->state_pending)
                tap_emit_state(run);
        } else {
            log_error("stream \"%s\" failed: the run stops, the other streams in flight were "
                      "stopped (parallel_streams)",
                      order[p.fail_stream]->tap_stream_id);
        }
        goto done;
    }
    state_set_currently_syncing(run->state, NULL);
    ok = true;
done:
    for (size_t i = 0; ws && i < nw; i++) {
        if (ws[i].started)
            pthread_join(ws[i].th, NULL);
        if (ws[i].own_c)
            pg_conn_destroy(ws[i].c);
        if (ws[i].p) {
            tap_run_term(&ws[i].run);
            buf_term(&ws[i].w.out);
        }
        cJSON_Delete(ws[i].state);
        cJSON_Delete(ws[i].next_bm);
    }
    for (size_t i = 0; p.start_bm && i < n; i++)
        cJSON_Delete(p.start_bm[i]);
    free(p.start_bm);
    free(ws);
    free(in_flight);
    chunks_free(p.head);
    chunks_free(p.spare);
    pthread_mutex_destroy(&p.mu);
    pthread_cond_destroy(&p.cv_put);
    pthread_cond_destroy(&p.cv_get);
    return ok;
}
