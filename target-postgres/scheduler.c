#include "scheduler.h"

#include "exit_codes.h"
#include "log.h"
#include "metrics.h"
#include "timefmt.h"
#include "tmetrics.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

bool scheduler_must_wait(const stream *st, const table_def *def)
{
    /* the second batch copies while the first merges; with DDL to do they would race */
    return st->ninflight >= 2 || (st->ninflight == 1 && !stream_synced_to(st, def->cs.fingerprint));
}

bool scheduler_batch_due(const tconfig *cfg, const stream *st)
{
    const batch *b = st->cur;
    if (b->rows >= (size_t)cfg->batch_size_rows || b->data.len >= (size_t)cfg->batch_size_bytes)
        return true;
    if (cfg->early_flush_rows <= 0 || !cfg->async_flush || b->rows < (size_t)cfg->early_flush_rows)
        return false;
    /* batches copied straight into an empty table load one after the other (each waits for
       the commit of the one before): past the first, smaller ones would only add commits */
    if (st->batches > 0 && __atomic_load_n(&st->direct, __ATOMIC_ACQUIRE) == DIRECT_TRY)
        return false;
    return !scheduler_must_wait(st, st->def);
}

bool scheduler_keep_spare(const stream *st, size_t mem, long long bound)
{
    return !st->spare && mem <= (size_t)bound / 2;
}

static int by_pending_desc(const void *a, const void *b)
{
    size_t x = batch_mem((*(stream *const *)a)->cur), y = batch_mem((*(stream *const *)b)->cur);
    return x < y ? 1 : x > y ? -1 : 0;
}

size_t scheduler_plan_early(stream *const *streams, size_t n, size_t limit, stream **order)
{
    size_t pending = 0, count = 0;
    for (size_t i = 0; i < n; i++)
        pending += batch_mem(streams[i]->cur);
    memcpy(order, streams, n * sizeof(*order));
    qsort(order, n, sizeof(*order), by_pending_desc);
    while (count < n && pending > limit / 2 && order[count]->cur->rows > 0)
        pending -= batch_mem(order[count++]->cur);
    return count;
}

int64_t scheduler_min_uncommitted(stream *const *streams, size_t n)
{
    int64_t m = INT64_MAX;
    for (size_t i = 0; i < n; i++) {
        const stream *st = streams[i];
        if (st->cur->first_seq >= 0 && st->cur->first_seq < m)
            m = st->cur->first_seq;
        for (int k = 0; k < st->ninflight; k++)
            if (st->inflight_seq[k] >= 0 && st->inflight_seq[k] < m)
                m = st->inflight_seq[k];
    }
    return m;
}

void scheduler_emit_states(target *t)
{
    if (t->failed || state_tracker_pending(&t->states) == 0)
        return;
    size_t len = 0;
    const char *text =
        state_tracker_take(&t->states, scheduler_min_uncommitted(t->reg.streams, t->reg.n), &len);
    if (!text)
        return;
    buf_append(singer_writer_buf(&t->out), text, len);
    if (!singer_writer_end_line(&t->out) || !singer_writer_flush(&t->out)) {
        target_fail(t, EXIT_OUTPUT);
        return;
    }
    log_debug("emitted state %.*s", (int)(len > 200 ? 200 : len), text);
}

void scheduler_mem_add(target *t, size_t before, size_t after)
{
    assert(before <= t->mem); /* before was counted */
    t->mem = t->mem - before + after;
    if (t->mem > t->mem_peak)
        t->mem_peak = t->mem;
}

void scheduler_take_done(target *t, bool wait)
{
    flush_job *job = flush_pool_take(t->pool, wait);
    if (!job)
        return;
    stream *st = job->st;
    /* forget this job's sequence (jobs of a stream usually finish in order) */
    for (int k = 0; k < st->ninflight; k++) {
        if (st->inflight_seq[k] == job->first_seq) {
            for (int j = k; j + 1 < st->ninflight; j++) {
                st->inflight_seq[j] = st->inflight_seq[j + 1];
                st->inflight_started[j] = st->inflight_started[j + 1];
            }
            break;
        }
    }
    st->ninflight--;
    t->in_flight--;
    if (job->skipped) {
        /* skipped only after a failure: a load failed (its job comes back with its error) or
           the target failed before, with its code */
        log_info("stream \"%s\": batch %lld (%zu rows) not loaded: the target stops after a "
                 "failure",
                 st->name, job->batch_no, job->b->rows);
        target_fail(t, EXIT_TARGET_DB);
    } else if (!job->ok) {
        target_fail(t, EXIT_TARGET_DB);
    } else {
        st->rows_total += (long long)job->b->rows;
        tmetrics_committed(&t->metrics, st, job);
        metrics_counter("record_count", (long long)job->b->rows, st->name);
    }
    size_t before = batch_mem(job->b);
    batch_reset(job->b);
    scheduler_mem_add(t, before, batch_mem(job->b));
    /* kept for the stream's next batch unless memory is short */
    if (scheduler_keep_spare(st, t->mem, t->cfg.max_batch_memory_bytes)) {
        st->spare = job->b;
    } else {
        scheduler_mem_add(t, batch_mem(job->b), 0);
        batch_destroy(job->b);
    }
    table_def_unref(job->def);
    free(job);
    scheduler_emit_states(t);
}

void scheduler_wait_all(target *t)
{
    while (t->in_flight > 0)
        scheduler_take_done(t, true);
}

/* load_method overwrite and no batch of the stream loaded yet: even a stream without records
   replaces the table's rows (with none) */
static bool overwrite_pending(const target *t, const stream *st)
{
    return t->cfg.load_method == LOAD_OVERWRITE && st->batches == 0 && st->def;
}

bool scheduler_submit(target *t, stream *st, table_def *def, const scheduler_activation *act,
                      bool empty_ok)
{
    while (!t->failed && scheduler_must_wait(st, def))
        scheduler_take_done(t, true);
    if (t->failed)
        return false;
    assert(st->ninflight < (int)(sizeof(st->inflight_seq) / sizeof(st->inflight_seq[0])));
    batch *b = st->cur;
    if (b->rows == 0 && !act && !empty_ok && !overwrite_pending(t, st))
        return true;
    batch *next = st->spare ? st->spare : batch_create();
    flush_job *job = calloc(1, sizeof(*job));
    if (!next || !job) {
        free(job);
        if (next != st->spare)
            batch_destroy(next);
        target_oom(t);
        return false;
    }
    st->spare = NULL;
    if (act && b->first_seq < 0)
        b->first_seq = act->seq;
    job->st = st;
    job->def = def;
    table_def_ref(job->def);
    job->b = b;
    job->activate = act != NULL;
    job->version = act ? act->version : 0;
    job->batch_no = ++st->batches;
    job->first_seq = b->first_seq;
    job->hard_delete = t->cfg.hard_delete;
    job->load_method = t->cfg.load_method;
    job->lock_table = st->shared_table;
    st->cur = next;
    st->inflight_started[st->ninflight] = b->rows ? b->started : 0;
    st->inflight_seq[st->ninflight++] = job->first_seq;
    t->in_flight++;
    log_debug("stream \"%s\": batch %lld: %zu rows, %zu bytes to load", st->name, job->batch_no,
              b->rows, b->data.len);
    flush_pool_submit(t->pool, job);
    return true;
}

bool scheduler_load(target *t, stream *st)
{
    return scheduler_submit(t, st, st->def, NULL, false);
}

/*
 * A stream whose SCHEMA came without records still gets its table, as pipelinewise and the
 * Singer SDK targets create it at the SCHEMA: at the end of input (and after a signal) every
 * stream whose table was not synced to its last SCHEMA (created, columns added) is, in a
 * transaction of its own.
 */
void scheduler_sync_tables(target *t)
{
    for (size_t i = 0; i < t->reg.n && !t->failed; i++) {
        stream *st = t->reg.streams[i];
        if (!st->def || st->cur->rows > 0 || stream_synced_to(st, st->def->cs.fingerprint))
            continue;
        log_debug("stream \"%s\": SCHEMA without records: syncing table %s", st->name,
                  st->def->qname);
        scheduler_submit(t, st, st->def, NULL, true);
    }
}

void scheduler_flush_all(target *t)
{
    for (size_t i = 0; i < t->reg.n && !t->failed; i++)
        if (t->reg.streams[i]->cur->rows > 0 || overwrite_pending(t, t->reg.streams[i]))
            scheduler_load(t, t->reg.streams[i]);
}

void scheduler_flush_stream(target *t, stream *st)
{
    if (t->cfg.flush_all_streams)
        scheduler_flush_all(t);
    else
        scheduler_load(t, st);
    if (!t->cfg.async_flush)
        scheduler_wait_all(t);
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
    for (size_t i = 0; i < t->reg.n; i++) {
        stream *st = t->reg.streams[i];
        if (st->spare && batch_mem(st->spare)) {
            scheduler_mem_add(t, batch_mem(st->spare), 0);
            batch_destroy(st->spare);
            st->spare = NULL;
        }
    }
    if (t->mem <= limit)
        return;
    size_t pending = 0, n = 0;
    for (size_t i = 0; i < t->reg.n; i++)
        pending += batch_mem(t->reg.streams[i]->cur);
    log_debug("max_batch_memory_bytes reached: %zu bytes in batches, %zu pending", t->mem, pending);
    if (t->cfg.flush_all_streams) {
        scheduler_flush_all(t);
    } else if (pending > limit / 2) {
        stream **order = malloc(t->reg.n * sizeof(*order));
        if (!order) {
            target_oom(t);
            return;
        }
        size_t count = scheduler_plan_early(t->reg.streams, t->reg.n, limit, order);
        for (; n < count && !t->failed; n++)
            if (!scheduler_load(t, order[n]))
                break;
        free(order);
    }
    if (!t->warned_memory) {
        log_info("max_batch_memory_bytes reached (%zu bytes in batches): loading %zu pending "
                 "batches early (said once)",
                 t->mem, n);
        t->warned_memory = true;
    }
    if (!t->cfg.async_flush)
        scheduler_wait_all(t);
    while (!t->failed && t->mem > limit && t->in_flight > 0)
        scheduler_take_done(t, true);
}

bool scheduler_reserve(target *t, stream *st, size_t rowmax)
{
    size_t grow = batch_mem_growth(st->cur, rowmax);
    for (int k = 0; k < 2 && t->mem + grow > (size_t)t->cfg.max_batch_memory_bytes; k++) {
        enforce_memory(t, grow);
        if (t->failed)
            return false;
        grow = batch_mem_growth(st->cur, rowmax); /* the stream's batch may be a new one */
    }
    return true;
}

void scheduler_check_age(target *t)
{
    if (t->cfg.batch_wait_limit_seconds <= 0)
        return;
    double now = timefmt_monotonic();
    for (size_t i = 0; i < t->reg.n && !t->failed; i++) {
        stream *st = t->reg.streams[i];
        if (st->cur->rows > 0 && now - st->cur->started >= t->cfg.batch_wait_limit_seconds) {
            log_debug("stream \"%s\": batch older than %.3f s", st->name,
                      t->cfg.batch_wait_limit_seconds);
            scheduler_flush_stream(t, st);
            if (t->cfg.flush_all_streams)
                break;
        }
    }
}
