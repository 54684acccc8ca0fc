/*
 * target-postgres: Singer messages on stdin -> PostgreSQL, STATE values on stdout.
 *
 * The read loop parses each line once with jscan (RECORD lines never become a
 * cJSON tree unless validate_records asks for one), appends the row to its
 * stream's batch as COPY text, and hands full batches to the flush pool. It
 * keeps reading while batches load; finished flushes come back through the
 * pool's queue, after which the state tracker writes the newest STATE whose
 * records are all committed. Only this file calls exit().
 */
#include "exit_codes.h"
#include "flush_pool.h"
#include "jscan.h"
#include "json_util.h"
#include "json_writer.h"
#include "log.h"
#include "singer.h"
#include "state_tracker.h"
#include "streams.h"
#include "tconfig.h"
#include "timefmt.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

typedef struct target {
    tconfig cfg;
    flush_pool *pool;
    state_tracker states;
    singer_writer out;
    conv_ctx cx;
    jscan js;
    line_reader in;
    stream **streams;    /* malloc'ed */
    size_t nstreams, cap;
    int32_t *index;      /* malloc'ed open-addressing table of stream indices */
    size_t icap;
    stream *last;
    int64_t seq;         /* sequence of the last RECORD / ACTIVATE_VERSION */
    int in_flight;
    bool failed;
    bool interrupted;    /* stopped by a signal */
    int exit_code;
    long long line_no;
    buf tmp;
    bool warned_activate;
    bool warned_memory;
    size_t mem;          /* bytes held by every batch (filling, spare, loading): see batch_mem */
    size_t mem_peak;
} target;

/* SIGINT / SIGTERM: stop reading, load what was read, write its STATE, exit 130. The handler
   is reset by its first run, so a second signal ends the process at once (open transactions
   roll back on the server; no STATE is written for them). */
static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

/* ------------------------------------------------------------------ errors */

static void bad_input(target *t, const char *sname, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void bad_input(target *t, const char *sname, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (sname)
        log_error("line %lld: stream \"%s\": %s", t->line_no, sname, msg);
    else
        log_error("line %lld: %s", t->line_no, msg);
    t->failed = true;
    if (!t->exit_code)
        t->exit_code = EXIT_BAD_INPUT;
}

/* ------------------------------------------------------------------ streams */

static uint32_t name_hash(const char *s, size_t n)
{
    return naming_hash32(s, n);
}

static stream *find_stream(target *t, const char *name, size_t n)
{
    if (t->last && t->last->namelen == n && memcmp(t->last->name, name, n) == 0)
        return t->last;
    if (!t->icap)
        return NULL;
    size_t h = name_hash(name, n) & (t->icap - 1);
    for (;;) {
        int32_t i = t->index[h];
        if (i < 0)
            return NULL;
        stream *st = t->streams[i];
        if (st->namelen == n && memcmp(st->name, name, n) == 0) {
            t->last = st;
            return st;
        }
        h = (h + 1) & (t->icap - 1);
    }
}

static bool reindex(target *t, size_t cap)
{
    int32_t *idx = malloc(cap * sizeof(int32_t));
    if (!idx)
        return false;
    for (size_t i = 0; i < cap; i++)
        idx[i] = -1;
    for (size_t i = 0; i < t->nstreams; i++) {
        size_t h = name_hash(t->streams[i]->name, t->streams[i]->namelen) & (cap - 1);
        while (idx[h] >= 0)
            h = (h + 1) & (cap - 1);
        idx[h] = (int32_t)i;
    }
    free(t->index);
    t->index = idx;
    t->icap = cap;
    return true;
}

static stream *add_stream(target *t, const char *name, size_t n)
{
    if (t->nstreams == t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 8;
        stream **v = realloc(t->streams, ncap * sizeof(*v));
        if (!v)
            return NULL;
        t->streams = v;
        t->cap = ncap;
    }
    stream *st = stream_create(name, n);
    if (!st)
        return NULL;
    t->streams[t->nstreams++] = st;
    if (t->nstreams * 2 > t->icap && !reindex(t, t->icap ? t->icap * 2 : 16))
        return NULL;
    if (t->icap && t->nstreams * 2 <= t->icap) {
        size_t h = name_hash(name, n) & (t->icap - 1);
        while (t->index[h] >= 0 && t->index[h] != (int32_t)(t->nstreams - 1))
            h = (h + 1) & (t->icap - 1);
        t->index[h] = (int32_t)(t->nstreams - 1);
    }
    return st;
}

/* ------------------------------------------------------------------ states */

static int64_t min_uncommitted(const target *t)
{
    int64_t m = INT64_MAX;
    for (size_t i = 0; i < t->nstreams; i++) {
        const stream *st = t->streams[i];
        if (st->cur->first_seq >= 0 && st->cur->first_seq < m)
            m = st->cur->first_seq;
        for (int k = 0; k < st->ninflight; k++)
            if (st->inflight_seq[k] >= 0 && st->inflight_seq[k] < m)
                m = st->inflight_seq[k];
    }
    return m;
}

static void emit_states(target *t)
{
    if (t->failed || st_pending(&t->states) == 0)
        return;
    size_t len = 0;
    const char *text = st_take(&t->states, min_uncommitted(t), &len);
    if (!text)
        return;
    buf_append(sw_buf(&t->out), text, len);
    if (!sw_end_line(&t->out) || !sw_flush(&t->out)) {
        t->failed = true;
        if (!t->exit_code)
            t->exit_code = EXIT_OUTPUT;
        return;
    }
    log_debug("emitted state %.*s", (int)(len > 200 ? 200 : len), text);
}

/* ------------------------------------------------------------------ flushing */

static void mem_add(target *t, size_t before, size_t after)
{
    t->mem = t->mem - before + after;
    if (t->mem > t->mem_peak)
        t->mem_peak = t->mem;
}

/* take one finished job (waiting for one when wait) and account for it */
static void take_done(target *t, bool wait)
{
    flush_job *job = flush_pool_take(t->pool, wait);
    if (!job)
        return;
    stream *st = job->st;
    /* forget this job's sequence (jobs of a stream usually finish in order) */
    for (int k = 0; k < st->ninflight; k++) {
        if (st->inflight_seq[k] == job->first_seq) {
            for (int j = k; j + 1 < st->ninflight; j++)
                st->inflight_seq[j] = st->inflight_seq[j + 1];
            break;
        }
    }
    st->ninflight--;
    t->in_flight--;
    if (job->skipped) {
        log_info("stream \"%s\": batch %lld (%zu rows) not loaded: the target stops after a "
                 "failure", st->name, job->batch_no, job->b->rows);
        t->failed = true;
    } else if (!job->ok) {
        t->failed = true;
        if (!t->exit_code)
            t->exit_code = EXIT_TARGET_DB;
    } else {
        st->rows_total += (long long)job->b->rows;
        log_metric_counter("record_count", (long long)job->b->rows, st->name);
    }
    size_t before = batch_mem(job->b);
    batch_reset(job->b);
    mem_add(t, before, batch_mem(job->b));
    /* kept for the stream's next batch unless memory is short (over half the bound) */
    if (!st->spare && t->mem <= (size_t)t->cfg.max_batch_memory_bytes / 2) {
        st->spare = job->b;
    } else {
        mem_add(t, batch_mem(job->b), 0);
        batch_destroy(job->b);
    }
    tdef_unref(job->def);
    free(job);
    emit_states(t);
}

static void wait_all(target *t)
{
    while (t->in_flight > 0)
        take_done(t, true);
}

/* load_method overwrite and no batch of the stream loaded yet: even a stream without records
   replaces the table's rows (with none) */
static bool overwrite_pending(const target *t, const stream *st)
{
    return t->cfg.load_method == LOAD_OVERWRITE && st->batches == 0 && st->def;
}

/* submit_def: hand st's pending batch to the pool, loaded with def (a reference is taken);
   activate: ACTIVATE_VERSION version after it; empty_ok: also when there is nothing to load
   (the table is created or synced to def) */
static bool submit_def(target *t, stream *st, table_def *def, bool activate, int64_t version,
                       int64_t act_seq, bool empty_ok)
{
    /* at most two batches of a stream in flight, and two only when the table needs no DDL:
       the second one copies while the first merges */
    while (!t->failed &&
           (st->ninflight >= 2 ||
            (st->ninflight == 1 &&
             __atomic_load_n(&st->synced_fp, __ATOMIC_ACQUIRE) != def->cs.fingerprint)))
        take_done(t, true);
    if (t->failed)
        return false;
    batch *b = st->cur;
    if (b->rows == 0 && !activate && !empty_ok && !overwrite_pending(t, st))
        return true;
    batch *next = st->spare ? st->spare : batch_create();
    flush_job *job = calloc(1, sizeof(*job));
    if (!next || !job) {
        free(job);
        if (next != st->spare)
            batch_destroy(next);
        log_error("out of memory");
        t->failed = true;
        t->exit_code = EXIT_INTERNAL;
        return false;
    }
    st->spare = NULL;
    if (activate && b->first_seq < 0)
        b->first_seq = act_seq;
    job->st = st;
    job->def = def;
    tdef_ref(job->def);
    job->b = b;
    job->activate = activate;
    job->version = version;
    job->batch_no = ++st->batches;
    job->first_seq = b->first_seq;
    job->hard_delete = t->cfg.hard_delete;
    job->load_method = t->cfg.load_method;
    job->lock_table = st->shared_table;
    st->cur = next;
    st->inflight_seq[st->ninflight++] = job->first_seq;
    t->in_flight++;
    log_debug("stream \"%s\": batch %lld: %zu rows, %zu bytes to load", st->name, job->batch_no,
              b->rows, b->data.len);
    flush_pool_submit(t->pool, job);
    return true;
}

static bool submit(target *t, stream *st, bool activate, int64_t version, int64_t act_seq)
{
    return submit_def(t, st, st->def, activate, version, act_seq, false);
}

/*
 * A stream whose SCHEMA came without records still gets its table, as pipelinewise and the
 * Singer SDK targets create it at the SCHEMA: at the end of input (and after a signal) every
 * stream whose table was not synced to its last SCHEMA (created, columns added) is, in a
 * transaction of its own. Called when no flush is in flight.
 */
static void sync_tables(target *t)
{
    for (size_t i = 0; i < t->nstreams && !t->failed; i++) {
        stream *st = t->streams[i];
        if (!st->def || st->cur->rows > 0 ||
            __atomic_load_n(&st->synced_fp, __ATOMIC_ACQUIRE) == st->def->cs.fingerprint)
            continue;
        log_debug("stream \"%s\": SCHEMA without records: syncing table %s", st->name,
                  st->def->qname);
        submit_def(t, st, st->def, false, 0, 0, true);
    }
}

static void flush_all(target *t)
{
    for (size_t i = 0; i < t->nstreams && !t->failed; i++)
        if (t->streams[i]->cur->rows > 0 || overwrite_pending(t, t->streams[i]))
            submit(t, t->streams[i], false, 0, 0);
}

static void flush_stream(target *t, stream *st)
{
    if (t->cfg.flush_all_streams)
        flush_all(t);
    else
        submit(t, st, false, 0, 0);
    if (!t->cfg.async_flush)
        wait_all(t);
}

static int by_pending_desc(const void *a, const void *b)
{
    size_t x = batch_mem((*(stream *const *)a)->cur), y = batch_mem((*(stream *const *)b)->cur);
    return x < y ? 1 : x > y ? -1 : 0;
}

/*
 * max_batch_memory_bytes: the batches of all streams together (filling, spare, loading) stay
 * under it. batch_size_bytes bounds one stream; with hundreds of streams each below it, this
 * bounds the whole. Called before a row that could take the total past the bound (extra: how
 * much it may allocate): spare buffers are freed, the largest pending batches are loaded
 * until at most half the bound is pending, and reading waits for loads to finish.
 */
static void enforce_memory(target *t, size_t extra)
{
    size_t limit = (size_t)t->cfg.max_batch_memory_bytes;
    limit = limit > extra ? limit - extra : 0;
    if (t->mem <= limit || t->failed)
        return;
    for (size_t i = 0; i < t->nstreams; i++) {
        stream *st = t->streams[i];
        if (st->spare && batch_mem(st->spare)) {
            mem_add(t, batch_mem(st->spare), 0);
            batch_destroy(st->spare);
            st->spare = NULL;
        }
    }
    if (t->mem <= limit)
        return;
    size_t pending = 0, n = 0;
    for (size_t i = 0; i < t->nstreams; i++)
        pending += batch_mem(t->streams[i]->cur);
    log_debug("max_batch_memory_bytes reached: %zu bytes in batches, %zu pending", t->mem, pending);
    if (t->cfg.flush_all_streams) {
        flush_all(t);
    } else if (pending > limit / 2) {
        stream **order = malloc(t->nstreams * sizeof(*order));
        if (!order) {
            log_error("out of memory");
            t->failed = true;
            t->exit_code = EXIT_INTERNAL;
            return;
        }
        memcpy(order, t->streams, t->nstreams * sizeof(*order));
        qsort(order, t->nstreams, sizeof(*order), by_pending_desc);
        for (size_t i = 0; i < t->nstreams && pending > limit / 2 && !t->failed; i++) {
            size_t len = batch_mem(order[i]->cur);
            if (order[i]->cur->rows == 0)
                break;
            if (!submit(t, order[i], false, 0, 0))
                break;
            pending -= len;
            n++;
        }
        free(order);
    }
    if (!t->warned_memory) {
        log_info("max_batch_memory_bytes reached (%zu bytes in batches): loading %zu pending "
                 "batches early (said once)",
                 t->mem, n);
        t->warned_memory = true;
    }
    if (!t->cfg.async_flush)
        wait_all(t);
    while (!t->failed && t->mem > limit && t->in_flight > 0)
        take_done(t, true);
}

static void check_age(target *t)
{
    if (t->cfg.batch_wait_limit_seconds <= 0)
        return;
    double now = timefmt_monotonic();
    for (size_t i = 0; i < t->nstreams && !t->failed; i++) {
        stream *st = t->streams[i];
        if (st->cur->rows > 0 && now - st->cur->started >= t->cfg.batch_wait_limit_seconds) {
            log_debug("stream \"%s\": batch older than %.3f s", st->name,
                      t->cfg.batch_wait_limit_seconds);
            flush_stream(t, st);
            if (t->cfg.flush_all_streams)
                break;
        }
    }
}

/* ------------------------------------------------------------------ messages */

/* the string token's text (decoded when escaped) into t->tmp; NULL on a bad string */
static const char *tok_string(target *t, const char *line, int tok, size_t *len)
{
    const jtok *k = &t->js.toks[tok];
    if (k->type != J_STRING || (k->flags & JF_BAD_UTF8))
        return NULL;
    buf_reset(&t->tmp);
    if (!jscan_unescape(&t->tmp, line + k->start, k->end - k->start))
        return NULL;
    buf_putc(&t->tmp, '\0');
    if (!buf_ok(&t->tmp))
        return NULL;
    *len = t->tmp.len - 1;
    return t->tmp.data;
}

/* the stream of a message; NULL after bad_input. *early (when not NULL): the stream has no
   SCHEMA yet, which is accepted (NULL returned without an error, *early set) */
static stream *record_stream(target *t, const char *line, int stok, const char *what, bool *early)
{
    if (stok < 0) {
        bad_input(t, NULL, "%s message without \"stream\"", what);
        return NULL;
    }
    const jtok *k = &t->js.toks[stok];
    if (k->type == J_STRING && !(k->flags & (JF_ESCAPED | JF_BAD_UTF8))) {
        stream *st = find_stream(t, line + k->start, k->end - k->start);
        if (st && st->def)
            return st;
    }
    size_t n;
    const char *name = tok_string(t, line, stok, &n);
    if (!name) {
        bad_input(t, NULL, "%s message: \"stream\" is not a valid string", what);
        return NULL;
    }
    stream *st = find_stream(t, name, n);
    if ((!st || !st->def) && early) {
        *early = true;
        return NULL;
    }
    if (!st || !st->def) {
        bad_input(t, name, "%s before its SCHEMA", what);
        return NULL;
    }
    return st;
}

static void handle_record(target *t, const char *line, size_t len)
{
    int stok = jscan_find(&t->js, line, 0, "stream");
    stream *st = record_stream(t, line, stok, "RECORD", NULL);
    if (!st)
        return;
    int rec = jscan_find(&t->js, line, 0, "record");
    if (rec < 0 || t->js.toks[rec].type != J_OBJECT) {
        bad_input(t, st->name, "RECORD without a \"record\" object");
        return;
    }
    if (st->def->val) {
        const jtok *r = &t->js.toks[rec];
        size_t off = 0;
        cJSON *tree = ju_parse(line + r->start, r->end - r->start, &off);
        char err[1024] = "";
        if (!tree) /* jscan read it: cJSON refuses lone surrogates (and nothing else we know) */
            snprintf(err, sizeof(err),
                     "it cannot be read at byte %zu (a \\u escape of a lone UTF-16 surrogate?)",
                     r->start + off);
        bool ok = tree && validator_check(st->def->val, tree, err, sizeof(err));
        cJSON_Delete(tree);
        if (!ok) {
            bad_input(t, st->name, "record does not match the schema: %s", err);
            return;
        }
    }
    int vtok = jscan_find(&t->js, line, 0, "version");
    int ttok = jscan_find(&t->js, line, 0, "time_extracted");
    char err[1024];
    int64_t seq = t->seq + 1;
    /* a COPY row is at most twice its JSON (backslashes doubled in jsonb) plus metadata */
    size_t rowmax = 2 * len + st->def->cs.ncols + 512;
    size_t grow = batch_mem_growth(st->cur, rowmax);
    for (int k = 0; k < 2 && t->mem + grow > (size_t)t->cfg.max_batch_memory_bytes; k++) {
        enforce_memory(t, grow);
        if (t->failed)
            return;
        grow = batch_mem_growth(st->cur, rowmax); /* the stream's batch may be a new one */
    }
    size_t before = batch_mem(st->cur);
    bool added = stream_add_record(st, &t->cx, line, &t->js, rec, vtok, ttok, t->line_no, seq,
                                   err, sizeof(err));
    mem_add(t, before, batch_mem(st->cur));
    if (!added) {
        bad_input(t, st->name, "%s", err);
        return;
    }
    t->seq = seq;
    const batch *b = st->cur;
    if (b->rows >= (size_t)t->cfg.batch_size_rows ||
        b->data.len >= (size_t)t->cfg.batch_size_bytes)
        flush_stream(t, st);
}

/*
 * Two streams that land on one table (schema_mapping of two source schemas to one target
 * schema, "a-t" and "b-t") must not flush at the same time: concurrent ADD COLUMN or CREATE
 * TABLE fail, and a merge that keeps absent values would overwrite the other's commit. From
 * now on their flushes lock the table; batches already loading without the lock finish first.
 */
static void mark_shared(target *t, stream *st)
{
    for (size_t i = 0; i < t->nstreams && !t->failed; i++) {
        stream *o = t->streams[i];
        if (o == st || !o->def || strcmp(o->def->qname, st->def->qname) != 0)
            continue;
        if (t->cfg.load_method == LOAD_OVERWRITE) {
            /* each stream's first batch would delete the other's rows */
            bad_input(t, st->name,
                      "load_method overwrite: streams \"%s\" and \"%s\" load the same table %s, "
                      "which overwrite cannot do (each would delete the other's rows)",
                      o->name, st->name, st->def->qname);
            return;
        }
        if (!o->shared_table)
            log_info("streams \"%s\" and \"%s\" load the same table %s: their flushes take turns",
                     o->name, st->name, st->def->qname);
        while (!t->failed && o->ninflight > 0)
            take_done(t, true);
        o->shared_table = true;
        st->shared_table = true;
        if (!o->shared_with)
            o->shared_with = st;
        if (!st->shared_with)
            st->shared_with = o;
    }
}

static void handle_schema(target *t, const char *line, size_t len)
{
    size_t off = 0;
    cJSON *msg = ju_parse(line, len, &off);
    if (!msg) {
        bad_input(t, NULL, "malformed JSON at byte %zu", off);
        return;
    }
    const char *name = ju_string(msg, "stream", NULL);
    if (!name) {
        bad_input(t, NULL, "SCHEMA message without \"stream\"");
        cJSON_Delete(msg);
        return;
    }
    char err[1024];
    table_def *d = tdef_create(name, msg, &t->cfg, err, sizeof(err));
    if (!d) {
        bad_input(t, name, "%s", err);
        cJSON_Delete(msg);
        return;
    }
    stream *st = find_stream(t, name, strlen(name));
    if (!st)
        st = add_stream(t, name, strlen(name));
    if (!st) {
        log_error("out of memory");
        t->failed = true;
        t->exit_code = EXIT_INTERNAL;
        tdef_unref(d);
        cJSON_Delete(msg);
        return;
    }
    if (st->def && st->def->cs.fingerprint != d->cs.fingerprint && st->cur->rows > 0) {
        /* rows of the old shape load with the old definition */
        log_info("stream \"%s\": schema changed; flushing %zu pending rows first", st->name,
                 st->cur->rows);
        submit(t, st, false, 0, 0);
        if (!t->cfg.async_flush)
            wait_all(t);
    }
    bool first = st->def == NULL;
    tdef_unref(st->def);
    st->def = d;
    log_debug("stream \"%s\": %zu columns -> %s", st->name, d->cs.ncols, d->qname);
    if (first)
        mark_shared(t, st); /* a stream's table never changes: its first SCHEMA decides */
    cJSON_Delete(msg);
}

/* compact JSON text (whitespace outside strings removed) of s[0..n) into out */
static void compact_json(buf *out, const char *s, size_t n)
{
    bool in_str = false, esc = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_str) {
            buf_putc(out, c);
            if (esc)
                esc = false;
            else if (c == '\\')
                esc = true;
            else if (c == '"')
                in_str = false;
        } else if (c == '"') {
            in_str = true;
            buf_putc(out, c);
        } else if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
            buf_putc(out, c);
        }
    }
}

static void handle_state(target *t, const char *line)
{
    int v = jscan_find(&t->js, line, 0, "value");
    if (v < 0) {
        bad_input(t, NULL, "STATE message without \"value\"");
        return;
    }
    const jtok *k = &t->js.toks[v];
    size_t start = k->start, end = k->end;
    if (k->type == J_STRING) {
        start--;
        end++;
    }
    buf_reset(&t->tmp);
    compact_json(&t->tmp, line + start, end - start);
    if (!buf_ok(&t->tmp) || !st_add(&t->states, t->seq, t->tmp.data ? t->tmp.data : "", t->tmp.len)) {
        log_error("out of memory");
        t->failed = true;
        t->exit_code = EXIT_INTERNAL;
        return;
    }
    emit_states(t);
}

static bool has_version_column(const table_def *d)
{
    for (size_t i = 0; i < d->cs.ncols; i++)
        if (d->cs.cols[i].meta == META_TABLE_VERSION)
            return true;
    return false;
}

/*
 * ACTIVATE_VERSION before the stream's SCHEMA (pipelinewise ignores ACTIVATE_VERSION, so such
 * inputs exist): with metadata columns and activate_version, it applies to the table of an
 * earlier run, in its turn among the stream's flushes (see early_activation in loader.c); else
 * it is ignored as after a SCHEMA.
 */
static void activate_early(target *t, const char *line, int stok, long long version)
{
    size_t n;
    const char *name = tok_string(t, line, stok, &n);
    if (!name) {
        bad_input(t, NULL, "ACTIVATE_VERSION message: \"stream\" is not a valid string");
        return;
    }
    if (!t->cfg.activate_version || !t->cfg.add_metadata_columns) {
        if (!t->warned_activate)
            log_info("ACTIVATE_VERSION ignored (%s)",
                     !t->cfg.activate_version ? "activate_version is false"
                                              : "needs add_metadata_columns or hard_delete");
        t->warned_activate = true;
        return;
    }
    char err[1024];
    table_def *stub = tdef_create_stub(name, &t->cfg, err, sizeof(err));
    if (!stub) {
        bad_input(t, name, "%s", err);
        return;
    }
    for (size_t i = 0; i < t->nstreams; i++) {
        const stream *o = t->streams[i];
        if (o->def && strcmp(o->def->qname, stub->qname) == 0 &&
            !(o->namelen == n && memcmp(o->name, name, n) == 0)) {
            log_warn(
                "ACTIVATE_VERSION of stream \"%s\" ignored: streams \"%s\" and \"%s\" load the "
                "same table %s, whose rows do not say which stream they came from",
                name, name, o->name, stub->qname);
            tdef_unref(stub);
            return;
        }
    }
    stream *st = find_stream(t, name, n);
    if (!st)
        st = add_stream(t, name, n);
    if (!st) {
        log_error("out of memory");
        t->failed = true;
        t->exit_code = EXIT_INTERNAL;
        tdef_unref(stub);
        return;
    }
    int64_t seq = ++t->seq;
    submit_def(t, st, stub, true, version, seq, false);
    tdef_unref(stub);
    if (!t->cfg.async_flush)
        wait_all(t);
}

static void handle_activate(target *t, const char *line)
{
    int stok = jscan_find(&t->js, line, 0, "stream");
    bool early = false;
    stream *st = record_stream(t, line, stok, "ACTIVATE_VERSION", &early);
    if (!st && !early)
        return;
    size_t namelen = 0;
    const char *sname = st ? st->name : tok_string(t, line, stok, &namelen);
    int vt = jscan_find(&t->js, line, 0, "version");
    if (vt < 0 || t->js.toks[vt].type != J_NUMBER || !(t->js.toks[vt].flags & JF_INTEGER)) {
        bad_input(t, sname, "ACTIVATE_VERSION without an integer \"version\"");
        return;
    }
    char tmp[32];
    size_t n = t->js.toks[vt].end - t->js.toks[vt].start;
    snprintf(tmp, sizeof(tmp), "%.*s", (int)(n < 31 ? n : 31), line + t->js.toks[vt].start);
    errno = 0;
    char *endp = NULL;
    long long version = strtoll(tmp, &endp, 10);
    if (errno || !endp || *endp) {
        bad_input(t, sname, "ACTIVATE_VERSION: version %s is out of range", tmp);
        return;
    }
    if (!st) {
        activate_early(t, line, stok, version);
        return;
    }
    if (!t->cfg.activate_version || !has_version_column(st->def)) {
        if (!t->warned_activate)
            log_info("ACTIVATE_VERSION ignored (%s)", !t->cfg.activate_version
                                                          ? "activate_version is false"
                                                          : "needs add_metadata_columns, "
                                                            "add_record_metadata or hard_delete");
        t->warned_activate = true;
        return;
    }
    if (st->shared_table) {
        /* its DELETE / UPDATE of older versions would take the other stream's rows too */
        if (!st->warned_activate)
            log_warn("ACTIVATE_VERSION of stream \"%s\" ignored: streams \"%s\" and \"%s\" load the "
                     "same table %s, whose rows do not say which stream they came from (said once)",
                     st->name, st->name, st->shared_with->name, st->def->qname);
        st->warned_activate = true;
        return;
    }
    int64_t seq = ++t->seq;
    submit(t, st, true, version, seq);
    if (!t->cfg.async_flush)
        wait_all(t);
}

/* a Singer SDK BATCH message: its records are in files. Ignored like an unknown type, they
   would be lost and the next STATE would claim them, so it is an error. */
static void handle_batch(target *t, const char *line)
{
    int stok = jscan_find(&t->js, line, 0, "stream");
    size_t n = 0;
    const char *name = stok >= 0 ? tok_string(t, line, stok, &n) : NULL;
    bad_input(t, name, "BATCH messages (records in files) are not supported: configure the tap "
                       "to send RECORD messages (no batch_config)");
}

static void handle_line(target *t, const char *line, size_t len)
{
    if (len == 0)
        return;
    if (!jscan_parse(&t->js, line, len)) {
        bad_input(t, NULL, "malformed JSON at byte %zu: %s", t->js.err_offset,
                  t->js.err ? t->js.err : "syntax error");
        return;
    }
    if (t->js.toks[0].type != J_OBJECT) {
        bad_input(t, NULL, "a message must be a JSON object");
        return;
    }
    int tt = jscan_find(&t->js, line, 0, "type");
    if (tt < 0 || t->js.toks[tt].type != J_STRING) {
        bad_input(t, NULL, "message without a string \"type\"");
        return;
    }
    const jtok *k = &t->js.toks[tt];
    const char *ty = line + k->start;
    size_t tn = k->end - k->start;
    if (tn == 6 && strncasecmp(ty, "RECORD", 6) == 0)
        handle_record(t, line, len);
    else if (tn == 5 && strncasecmp(ty, "STATE", 5) == 0)
        handle_state(t, line);
    else if (tn == 6 && strncasecmp(ty, "SCHEMA", 6) == 0)
        handle_schema(t, line, len);
    else if (tn == 16 && strncasecmp(ty, "ACTIVATE_VERSION", 16) == 0)
        handle_activate(t, line);
    else if (tn == 5 && strncasecmp(ty, "BATCH", 5) == 0)
        handle_batch(t, line);
    else
        log_debug("line %lld: message type \"%.*s\" ignored", t->line_no, (int)(tn > 40 ? 40 : tn), ty);
}

/* ------------------------------------------------------------------ the loop */

static bool line_buffered(const line_reader *r)
{
    return r->eof || (r->in.len > r->pos && memchr(r->in.data + r->pos, '\n', r->in.len - r->pos));
}

static void run(target *t)
{
    long long since_check = 0;
    while (!t->failed) {
        if (stop_signal) {
            size_t pending = 0;
            for (size_t i = 0; i < t->nstreams; i++)
                pending += t->streams[i]->cur->rows;
            log_info("stopping on signal %d after line %lld: loading the %zu pending rows, then "
                     "writing their STATE (a second signal stops at once)",
                     (int)stop_signal, t->line_no, pending);
            t->interrupted = true;
            break;
        }
        while (flush_pool_done_count(t->pool) > 0 && !t->failed)
            take_done(t, false);
        if (t->failed)
            break;
        if (!line_buffered(&t->in)) {
            struct pollfd fds[2] = {{t->in.fd, POLLIN, 0}, {flush_pool_wake_fd(t->pool), POLLIN, 0}};
            int timeout = -1;
            if (t->cfg.batch_wait_limit_seconds > 0)
                timeout = 100;
            int pr = poll(fds, 2, timeout);
            if (pr < 0 && errno != EINTR) {
                log_error("poll: %m");
                t->failed = true;
                t->exit_code = EXIT_INTERNAL;
                break;
            }
            if (pr <= 0 || !(fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
                check_age(t);
                continue;
            }
        }
        const char *line;
        size_t len;
        lr_status s = lr_next(&t->in, &line, &len);
        if (s == LR_EOF)
            break;
        t->line_no = t->in.line_no;
        if (s == LR_TOO_LONG) {
            bad_input(t, NULL, "the line is longer than max_line_bytes (%zu bytes)",
                      t->cfg.max_line_bytes);
            break;
        }
        if (s == LR_ERROR) {
            t->failed = true;
            t->exit_code = EXIT_BAD_INPUT;
            break;
        }
        handle_line(t, line, len);
        if (++since_check >= 1024) {
            since_check = 0;
            check_age(t);
        }
    }
    if (!t->failed) {
        flush_all(t);
        wait_all(t);
        emit_states(t); /* the STATE of the records does not wait for tables without records */
        sync_tables(t);
        wait_all(t);
        emit_states(t);
    }
    /* after a failure: loads not started are dropped, running ones finish (committed data
       stays; no STATE is written after a failure) */
    if (t->failed)
        flush_pool_stop_new(t->pool);
    wait_all(t);
}

/* ------------------------------------------------------------------ CLI */

static void usage(FILE *f)
{
    fprintf(f, "usage: target-postgres --config CONFIG [--log-level LEVEL] < singer-messages\n"
               "       target-postgres --about [--format json|markdown]\n"
               "       target-postgres --version | --help\n"
               "Loads Singer messages from stdin into PostgreSQL; writes each committed STATE\n"
               "value to stdout. Logs go to stderr.\n");
}

static int about(const char *format)
{
    buf b = BUF_INIT;
    if (format && strcmp(format, "markdown") == 0) {
        buf_appendf(&b, "# target-postgres\n\nVersion %s. A Singer target for PostgreSQL "
                        "(pipelinewise-target-postgres compatible).\n\n"
                        "Capabilities: about, activate-version, hard-delete, soft-delete, "
                        "schema-flattening, validate-records\n\n## Settings\n\n",
                    PROJECT_VERSION);
        config_settings_markdown(&b, tconfig_keys, tconfig_nkeys);
    } else if (!format || strcmp(format, "json") == 0) {
        buf_appendf(&b,
                    "{\"name\":\"target-postgres\",\"description\":\"Singer target for PostgreSQL "
                    "(pipelinewise-target-postgres compatible)\",\"version\":\"%s\","
                    "\"capabilities\":[\"about\",\"activate-version\",\"hard-delete\","
                    "\"soft-delete\",\"schema-flattening\",\"validate-records\"],\"settings\":",
                    PROJECT_VERSION);
        config_settings_schema(&b, tconfig_keys, tconfig_nkeys);
        buf_append_lit(&b, "}\n");
    } else {
        log_error("--format must be json or markdown");
        return EXIT_BAD_ARGS;
    }
    bool ok = buf_ok(&b) && fwrite(b.data, 1, b.len, stdout) == b.len && fflush(stdout) == 0;
    buf_term(&b);
    return ok ? EXIT_OK : EXIT_OUTPUT;
}

static void target_term(target *t)
{
    flush_pool_destroy(t->pool);
    for (size_t i = 0; i < t->nstreams; i++)
        stream_destroy(t->streams[i]);
    free(t->streams);
    free(t->index);
    st_term(&t->states);
    sw_term(&t->out);
    conv_term(&t->cx);
    jscan_term(&t->js);
    lr_term(&t->in);
    buf_term(&t->tmp);
    tconfig_term(&t->cfg);
}

int main(int argc, char **argv)
{
    log_init("target-postgres");
    const char *config = NULL, *format = NULL;
    bool want_about = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if ((strcmp(a, "--config") == 0 || strcmp(a, "-c") == 0) && i + 1 < argc) {
            config = argv[++i];
        } else if (strncmp(a, "--config=", 9) == 0) {
            config = a + 9;
        } else if (strcmp(a, "--about") == 0) {
            want_about = true;
        } else if (strcmp(a, "--format") == 0 && i + 1 < argc) {
            format = argv[++i];
        } else if (strncmp(a, "--format=", 9) == 0) {
            format = a + 9;
        } else if (strcmp(a, "--log-level") == 0 && i + 1 < argc) {
            if (!log_set_level_name(argv[++i])) {
                log_error("unknown log level \"%s\"", argv[i]);
                return EXIT_BAD_ARGS;
            }
        } else if (strcmp(a, "--version") == 0) {
            printf("target-postgres %s\n", PROJECT_VERSION);
            return EXIT_OK;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return EXIT_OK;
        } else {
            log_error("unknown argument \"%s\" (see --help)", a);
            return EXIT_BAD_ARGS;
        }
    }
    if (want_about)
        return about(format);
    if (!config) {
        log_error("missing --config (see --help)");
        return EXIT_BAD_ARGS;
    }
    target t;
    memset(&t, 0, sizeof(t));
    st_init(&t.states);
    sw_init(&t.out, STDOUT_FILENO, 0);
    jscan_init(&t.js);
    buf_init(&t.tmp);
    if (!tconfig_load(&t.cfg, config)) {
        conv_init(&t.cx, &t.cfg);
        lr_init(&t.in, STDIN_FILENO, 1024);
        target_term(&t);
        return EXIT_BAD_CONFIG;
    }
    conv_init(&t.cx, &t.cfg);
    lr_init(&t.in, STDIN_FILENO, t.cfg.max_line_bytes);
    int workers = t.cfg.parallelism > 0 ? t.cfg.parallelism : t.cfg.max_parallelism;
    if (workers > t.cfg.max_parallelism)
        workers = t.cfg.max_parallelism;
    t.pool = flush_pool_create(&t.cfg, workers);
    if (!t.pool) {
        target_term(&t);
        return EXIT_TARGET_DB;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND; /* no SA_RESTART: poll() returns at once */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    double t0 = timefmt_monotonic();
    run(&t);
    long long rows = 0;
    for (size_t i = 0; i < t.nstreams; i++)
        rows += t.streams[i]->rows_total;
    for (size_t i = 0; i < t.nstreams; i++)
        stream_warn_unknown(t.streams[i]);
    int code = t.exit_code;
    if (!code && !sw_flush(&t.out))
        code = EXIT_OUTPUT;
    if (!code && t.interrupted) {
        log_info("stopped by a signal: loaded %lld rows from %lld lines in %.3f s; the last "
                 "STATE written covers them",
                 rows, t.line_no, timefmt_monotonic() - t0);
        code = EXIT_INTERRUPTED;
    } else if (!code) {
        log_info("loaded %lld rows from %lld lines in %.3f s", rows, t.line_no,
                 timefmt_monotonic() - t0);
    } else {
        log_error("stopped: no STATE was written after the failure (exit code %d)", code);
    }
    log_info("batches held at most %zu bytes (max_batch_memory_bytes %lld)", t.mem_peak,
             t.cfg.max_batch_memory_bytes);
    target_term(&t);
    return code;
}
