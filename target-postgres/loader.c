#include "loader.h"

#include "copy_binary.h"
#include "direct_load.h"
#include "log.h"
#include "merge_sql.h"
#include "table_sync.h"
#include "timefmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool has_meta(const table_def *d, int meta)
{
    for (size_t i = 0; i < d->cs.ncols; i++)
        if (d->cs.cols[i].meta == meta)
            return true;
    return false;
}

/* the COPY error's "line N" mapped to the input line */
static void copy_error(pg_conn *c, PGresult *res, flush_job *job)
{
    const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    const char *ctx = PQresultErrorField(res, PG_DIAG_CONTEXT);
    const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    snprintf(c->sqlstate, sizeof(c->sqlstate), "%s", st ? st : "");
    long long in_line = 0;
    const char *l = ctx ? strstr(ctx, ", line ") : NULL;
    if (l) {
        long row = strtol(l + 7, NULL, 10);
        /* the rows copied straight were not sent to the temporary table: the COPY's row N is
           the batch's N-th other row */
        size_t i = 0;
        for (long seen = 0; job->straight && row > 0 && i < job->b->rows; i++)
            if (job->straight[i] == DIRECT_SIDE_MERGE && ++seen == row)
                break;
        if (row > 0)
            in_line = batch_line_of_row(job->b, job->straight ? i : (size_t)row - 1);
    }
    char where[160] = "";
    const char *col = ctx ? strstr(ctx, ", column ") : NULL;
    if (col) {
        size_t n = strcspn(col + 9, ":\n");
        snprintf(where, sizeof(where), ", column %.*s", (int)(n > 100 ? 100 : n), col + 9);
    }
    if (in_line)
        log_error("stream \"%s\": batch %lld: input line %lld%s: %s (SQLSTATE %s)", job->st->name,
                  job->batch_no, in_line, where, msg ? msg : PQerrorMessage(c->conn),
                  st ? st : "?");
    else
        log_error("stream \"%s\": batch %lld: COPY failed: %s (SQLSTATE %s)", job->st->name,
                  job->batch_no, msg ? msg : PQerrorMessage(c->conn), st ? st : "?");
}

/* the rows of the batch to merge (all, or those job->straight leaves to the merge) into the
   temp table; bin: the fields' binary encoders (COPY's binary format), NULL for text.
   *refused: a value the binary encoder does not take (the COPY is given up, nothing logged) */
static bool copy_batch_as(pg_conn *c, flush_job *job, const unsigned char *bin, bool *refused)
{
    const table_def *d = job->def;
    *refused = false;
    buf sql = BUF_INIT;
    buf_append_lit(&sql, "COPY " MERGE_SQL_TMP_TABLE " (");
    table_def_copy_columns(d, &sql);
    buf_appends(&sql, bin ? ") FROM STDIN (FORMAT binary)" : ") FROM STDIN");
    PGresult *res = pg_conn_exec_raw(c, sql.data);
    buf_term(&sql);
    if (PQresultStatus(res) != PGRES_COPY_IN) {
        log_error("stream \"%s\": batch %lld: cannot start COPY: %s", job->st->name, job->batch_no,
                  PQerrorMessage(c->conn));
        PQclear(res);
        return false;
    }
    PQclear(res);
    bool ok = true;
    if (bin) {
        size_t nf = 2;
        for (size_t i = 0; i < d->cs.ncols; i++)
            nf += d->cs.cols[i].meta != META_BATCHED_AT;
        buf s = BUF_INIT;
        copy_binary_header(&s);
        const char *p = job->b->data.data, *end = p + job->b->data.len;
        for (size_t i = 0; p < end && ok; i++) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            if (!nl)
                nl = end;
            if (!job->straight || job->straight[i] == DIRECT_SIDE_MERGE) {
                if (!copy_binary_row(&s, bin, nf, p, nl, NULL, 0)) {
                    log_debug("stream \"%s\": batch %lld: row %zu (input line %lld) is not "
                              "sent in binary; the stream's merges go as text",
                              job->st->name, job->batch_no, i + 1,
                              (long long)batch_line_of_row(job->b, i));
                    *refused = true;
                    ok = false;
                } else if (s.len >= ((size_t)1 << 20)) {
                    ok = buf_ok(&s) && pg_conn_put_copy_data(c, s.data, s.len);
                    buf_reset(&s);
                }
            }
            p = nl + 1;
        }
        if (ok) {
            copy_binary_trailer(&s);
            ok = buf_ok(&s) && pg_conn_put_copy_data(c, s.data, s.len);
        }
        buf_term(&s);
    } else if (!job->straight) {
        ok = pg_conn_put_copy_data(c, job->b->data.data, job->b->data.len);
    } else {
        /* the rows to merge, in runs of consecutive ones */
        const char *p = job->b->data.data, *end = p + job->b->data.len, *run = NULL;
        for (size_t i = 0; p < end && ok; i++) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            bool merge = job->straight[i] == DIRECT_SIDE_MERGE;
            if (merge && !run)
                run = p;
            if (!merge && run) {
                ok = pg_conn_put_copy_data(c, run, (size_t)(p - run));
                run = NULL;
            }
            p = nl ? nl + 1 : end;
        }
        if (ok && run)
            ok = pg_conn_put_copy_data(c, run, (size_t)(end - run));
    }
    res = pg_conn_copy_end(c, ok);
    if (!*refused && PQresultStatus(res) != PGRES_COMMAND_OK) {
        copy_error(c, res, job);
        ok = false;
    }
    PQclear(res);
    return ok;
}

/* the batch into the temp table: in COPY's binary format where every field's type has an
   encoder and the stream met no value it refused, else (and then for the rest of the run) as
   text; a refused value rolls the binary COPY back to a savepoint */
static bool copy_batch(pg_conn *c, flush_job *job, bool *binary)
{
    stream *st = job->st;
    unsigned char *bin = NULL;
    if (!__atomic_load_n(&st->merge_text, __ATOMIC_RELAXED))
        bin = direct_load_binary_types(job->def, st->cache.types, st->cache.ntypes, true);
    bool refused = false;
    if (bin && !pg_conn_exec(c, "SAVEPOINT tgt_bin")) {
        free(bin);
        return false;
    }
    bool ok = copy_batch_as(c, job, bin, &refused);
    *binary = bin && !refused;
    free(bin);
    if (!ok && refused) {
        __atomic_store_n(&st->merge_text, true, __ATOMIC_RELAXED);
        if (!pg_conn_exec(c, "ROLLBACK TO SAVEPOINT tgt_bin"))
            return false;
        ok = copy_batch_as(c, job, NULL, &refused);
    }
    return ok;
}

static bool run_sql(pg_conn *c, flush_job *job, const char *what, const char *sql, int np,
                    const char *const *params, long long *rows)
{
    PGresult *res = pg_conn_query_quiet(c, sql, np, params);
    if (!res) {
        char msg[1024];
        const char *e = PQerrorMessage(c->conn);
        size_t n = strcspn(e, "\n");
        snprintf(msg, sizeof(msg), "%.*s", (int)(n > 1000 ? 1000 : n), e);
        log_error("stream \"%s\": batch %lld: %s failed: %s (SQLSTATE %s)", job->st->name,
                  job->batch_no, what, msg, pg_conn_sqlstate(c)[0] ? pg_conn_sqlstate(c) : "?");
        return false;
    }
    if (rows) {
        const char *t = PQcmdTuples(res);
        *rows = t && *t ? strtoll(t, NULL, 10) : 0;
    }
    PQclear(res);
    return true;
}

/* the merge of a keyless batch with deletes (merge_sql_keyless_delete) */
static bool keyless_deletes(pg_conn *c, flush_job *job, const char *sql)
{
    PGresult *res = pg_conn_query_quiet(c, sql, 0, NULL);
    if (!res || PQntuples(res) != 1) {
        char msg[1024];
        const char *e = PQerrorMessage(c->conn);
        size_t n = strcspn(e, "\n");
        snprintf(msg, sizeof(msg), "%.*s", (int)(n > 1000 ? 1000 : n), e);
        log_error("stream \"%s\": batch %lld: merge with deletes into %s failed: %s (SQLSTATE %s)",
                  job->st->name, job->batch_no, job->def->qname, msg,
                  pg_conn_sqlstate(c)[0] ? pg_conn_sqlstate(c) : "?");
        PQclear(res);
        return false;
    }
    job->inserted = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    long long deleted = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
    long long wanted = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
    PQclear(res);
    if (deleted)
        log_info("stream \"%s\": batch %lld: deleted %lld rows", job->st->name, job->batch_no,
                 deleted);
    if (wanted > deleted)
        log_warn("stream \"%s\": batch %lld: %lld deletes found no row equal in every column in "
                 "%s (a stream without key_properties deletes one such row per delete)",
                 job->st->name, job->batch_no, wanted - deleted, job->def->qname);
    return true;
}

/* an ACTIVATE_VERSION before the stream's SCHEMA (d->no_schema): it applies to a table of an
   earlier run when that has _sdc_table_version (and _sdc_deleted_at, to mark rows without
   hard_delete); *apply says whether to. false on a database error. */
static bool early_activation(pg_conn *c, flush_job *job, bool *apply)
{
    const char *p1[1] = {job->def->qname};
    PGresult *res =
        pg_conn_query(c,
                      "SELECT to_regclass($1) IS NOT NULL, count(*) FILTER (WHERE attname = "
                      "'_sdc_table_version'), count(*) FILTER (WHERE attname = "
                      "'_sdc_deleted_at') FROM pg_attribute WHERE attrelid = to_regclass($1) "
                      "AND attnum > 0 AND NOT attisdropped",
                      1, p1);
    if (!res)
        return false;
    bool exists = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    bool version = strcmp(PQgetvalue(res, 0, 1), "0") != 0;
    bool deleted = strcmp(PQgetvalue(res, 0, 2), "0") != 0;
    PQclear(res);
    *apply = false;
    if (!exists)
        log_info("stream \"%s\": ACTIVATE_VERSION %lld before its SCHEMA: table %s does not "
                 "exist, so no older rows to remove",
                 job->st->name, (long long)job->version, job->def->qname);
    else if (!version || (!job->hard_delete && !deleted))
        log_warn("stream \"%s\": ACTIVATE_VERSION %lld before its SCHEMA ignored: table %s has "
                 "no %s column",
                 job->st->name, (long long)job->version, job->def->qname,
                 !version ? "_sdc_table_version" : "_sdc_deleted_at");
    else
        *apply = true;
    return true;
}

/* run_merge: the merge statement (as run_sql: a failure logged naming stream and batch) */
static bool run_merge(pg_conn *c, flush_job *job, const char *sql)
{
    PGresult *res = pg_conn_query_quiet(c, sql, 0, NULL);
    if (!res) {
        char msg[1024];
        const char *e = PQerrorMessage(c->conn);
        size_t n = strcspn(e, "\n");
        snprintf(msg, sizeof(msg), "%.*s", (int)(n > 1000 ? 1000 : n), e);
        log_error("stream \"%s\": batch %lld: merge failed: %s (SQLSTATE %s)", job->st->name,
                  job->batch_no, msg, pg_conn_sqlstate(c)[0] ? pg_conn_sqlstate(c) : "?");
        return false;
    }
    const char *t = PQcmdTuples(res);
    job->inserted = t && *t ? strtoll(t, NULL, 10) : 0;
    PQclear(res);
    return true;
}

/*
 * table_counts: the rows inserted, updated and deleted in d's table so far in this transaction
 * (pg_stat_xact_user_tables' counters, documented as counting the current transaction's
 * actions), into out[3]. Read before and after the merge, they count what it did at no cost
 * per row: an ON CONFLICT DO UPDATE counts as an update, a new row as an insert.
 */
static bool table_counts(pg_conn *c, flush_job *job, long long out[3])
{
    const char *p1[1] = {job->def->qname};
    PGresult *res = pg_conn_query_quiet(
        c,
        "SELECT pg_stat_get_xact_tuples_inserted(o), pg_stat_get_xact_tuples_updated(o), "
        "pg_stat_get_xact_tuples_deleted(o) FROM (SELECT $1::regclass::oid AS o) r",
        1, p1);
    if (!res || PQntuples(res) != 1) {
        const char *e = PQerrorMessage(c->conn);
        log_error("stream \"%s\": batch %lld: reading the table's row counters failed: %.*s",
                  job->st->name, job->batch_no, (int)strcspn(e, "\n"), e);
        PQclear(res);
        return false;
    }
    for (int i = 0; i < 3; i++)
        out[i] = strtoll(PQgetvalue(res, 0, i), NULL, 10);
    PQclear(res);
    return true;
}

/*
 * try_direct: the batch COPYed straight into the table when that stores exactly what the merge
 * would (direct_load.h): no property absent (the merge would keep stored values), no delete
 * under hard_delete (it may remove a row of an earlier batch), no other stream loading the
 * table, every column read as the table's own type; and either the merge inserts every row
 * anyway (no keys, append-only) or the table has a unique index on the keys and was empty when
 * this run first looked. It waits for the stream's previous batch to commit first (it writes
 * into the table). *done: the batch is loaded. A COPY that fails is rolled back to a savepoint
 * and the caller merges as before; false only when that is impossible too.
 */
static bool try_direct(pg_conn *c, flush_job *job, bool *done)
{
    *done = false;
    const table_def *d = job->def;
    const batch *b = job->b;
    const stream_table_cache *cache = &job->st->cache;
    /* rows that lack a property or delete are merged: with a key of one column, key by key
       (direct_load_split), else the whole batch */
    bool sorted = b->has_absent || (job->hard_delete && b->has_deletes);
    if (d->no_schema || b->rows == 0 || job->lock_table ||
        (sorted && (d->cs.nkeys != 1 || job->load_method == LOAD_APPEND_ONLY)))
        return true;
    for (size_t i = 0; i < d->cs.ncols; i++)
        if (d->cs.cols[i].meta != META_BATCHED_AT && i < cache->ntypes &&
            strcmp(merge_sql_temp_type(&d->cs.cols[i], cache->types[i]), cache->types[i]) != 0)
            return true;
    bool append = d->cs.nkeys == 0 || job->load_method == LOAD_APPEND_ONLY;
    if (!append && (!cache->has_unique_key ||
                    __atomic_load_n(&job->st->direct, __ATOMIC_ACQUIRE) == DIRECT_NO))
        return true;
    if (job->wait_turn && !job->wait_turn(job)) {
        log_error("stream \"%s\": batch %lld: not loaded, the batch before it failed",
                  job->st->name, job->batch_no);
        return false;
    }
    /* the previous batch may have met a key already in the table meanwhile */
    if (!append && __atomic_load_n(&job->st->direct, __ATOMIC_ACQUIRE) == DIRECT_NO)
        return true;
    buf sql = BUF_INIT;
    PGresult *res = NULL;
    bool ok = false, split = false;
    char *side = NULL; /* direct_load_split */
    long long ncopy = 0;
    if (!append && job->st->direct == DIRECT_UNKNOWN) {
        buf_appendf(&sql, "SELECT NOT EXISTS (SELECT 1 FROM %s)", d->qname);
        res = buf_ok(&sql) ? pg_conn_query_quiet(c, sql.data, 0, NULL) : NULL;
        if (!res) {
            const char *e = PQerrorMessage(c->conn);
            log_error("stream \"%s\": batch %lld: checking whether %s is empty failed: %.*s "
                      "(SQLSTATE %s)",
                      job->st->name, job->batch_no, d->qname, (int)strcspn(e, "\n"), e,
                      pg_conn_sqlstate(c)[0] ? pg_conn_sqlstate(c) : "?");
            goto done;
        }
        bool empty = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
        /* a table with rows and a key of one integer column: each batch's keys are looked up */
        bool lookup = !empty && d->cs.nkeys == 1 && (size_t)d->cs.keys[0] < cache->ntypes &&
                      direct_load_key_type_ok(cache->types[d->cs.keys[0]]);
        __atomic_store_n(&job->st->direct,
                         empty    ? DIRECT_TRY
                         : lookup ? DIRECT_LOOKUP
                                  : DIRECT_NO,
                         __ATOMIC_RELEASE);
        if (empty)
            log_info("stream \"%s\": table %s is empty: batches of new keys are copied into it "
                     "without a merge",
                     job->st->name, d->qname);
        else if (lookup)
            log_info("stream \"%s\": table %s has rows: each batch's keys are looked up in it, "
                     "the rows of keys it does not hold are copied in without a merge",
                     job->st->name, d->qname);
        PQclear(res);
        res = NULL;
        if (!empty && !lookup) {
            ok = true;
            goto done;
        }
    }
    stream_direct_state now = __atomic_load_n(&job->st->direct, __ATOMIC_ACQUIRE);
    split = !append && (now == DIRECT_SPLIT || now == DIRECT_LOOKUP || sorted);
    if (split) {
        side = malloc(b->rows);
        int deleted_pos = job->hard_delete && d->deleted_col >= 0
                              ? (int)table_def_copy_pos(d, (size_t)d->deleted_col)
                              : -1;
        uint8_t *looked = NULL;
        if (side && now == DIRECT_LOOKUP && job->st->lookup_skip > 0) {
            job->st->lookup_skip--;
            ok = true; /* a batch after one that found most of its keys: merged whole */
            goto done;
        }
        if (side && now == DIRECT_LOOKUP) {
            long long distinct = 0, found = 0;
            looked = malloc(b->rows);
            if (!pg_conn_exec(c, "SAVEPOINT tgt_direct")) {
                free(looked);
                goto done;
            }
            if (!looked || !direct_load_lookup(c, d, b, looked, &distinct, &found)) {
                free(looked);
                __atomic_store_n(&job->st->direct, DIRECT_NO, __ATOMIC_RELEASE);
                log_info("stream \"%s\": batch %lld: looking up its keys in %s failed: merging "
                         "this batch and the next ones",
                         job->st->name, job->batch_no, d->qname);
                ok = pg_conn_exec(c, "ROLLBACK TO SAVEPOINT tgt_direct");
                goto done;
            }
            log_debug("stream \"%s\": batch %lld: %lld of its %lld keys are in %s", job->st->name,
                      job->batch_no, found, distinct, d->qname);
            if (found * 2 > distinct) {
                /* mostly changes of rows loaded before (a stream's changes, a re-sync, the
                   catch-up before a resumed copy): the lookups would not pay; the next ones
                   skip more batches each time (1, 2, 4 ... 64), and come back to every batch
                   once a lookup finds mostly new keys */
                int was = job->st->lookup_backoff;
                job->st->lookup_backoff = was ? (was < 64 ? was * 2 : 64) : 1;
                job->st->lookup_skip = job->st->lookup_backoff;
                if (was)
                    log_debug("stream \"%s\": batch %lld: %lld of its %lld keys are already in "
                              "%s: the next %d batches are merged without a lookup",
                              job->st->name, job->batch_no, found, distinct, d->qname,
                              job->st->lookup_backoff);
                else
                    log_info("stream \"%s\": batch %lld: %lld of its %lld keys are already in %s: "
                             "the next batch is merged without a lookup (then 2, 4 ... 64 while "
                             "lookups find mostly keys already there)",
                             job->st->name, job->batch_no, found, distinct, d->qname);
            } else {
                job->st->lookup_backoff = 0;
            }
        }
        ncopy = side ? direct_load_split(d, b, deleted_pos, looked, side) : -1;
        free(looked);
        if (ncopy <= 0) {
            ok = true; /* no key new to the table (or out of memory): merged, as any batch */
            goto done;
        }
    }
    res = pg_conn_query(c, "SELECT now()::text", 0, NULL);
    if (!res || !pg_conn_exec(c, "SAVEPOINT tgt_direct"))
        goto done;
    long long n = 0;
    double t0 = timefmt_monotonic();
    unsigned char *bin = NULL;
    if (!job->st->direct_text)
        bin = direct_load_binary_types(d, job->st->cache.types, job->st->cache.ntypes, false);
    bool refused = false;
    bool copied = direct_load_copy(c, d, b, !append && b->has_dups, side, PQgetvalue(res, 0, 0),
                                   bin, &refused, &n);
    if (!copied && refused) {
        /* a value the binary encoder does not take (copy_binary.h): the batch as text */
        job->st->direct_text = true;
        if (!pg_conn_exec(c, "ROLLBACK TO SAVEPOINT tgt_direct")) {
            free(bin);
            goto done;
        }
        copied = direct_load_copy(c, d, b, !append && b->has_dups, side, PQgetvalue(res, 0, 0),
                                  NULL, NULL, &n);
    }
    bool binary = bin && !refused;
    free(bin);
    if (copied) {
        log_debug("stream \"%s\": batch %lld: COPY (%s) of %lld rows straight into %s took %.3f s",
                  job->st->name, job->batch_no, binary ? "binary" : "text", n, d->qname,
                  timefmt_monotonic() - t0);
        ok = true;
        if (split && memchr(side, DIRECT_SIDE_MERGE, b->rows)) {
            /* the rest is merged (loader_run), which adds its counts to these */
            job->straight = side;
            job->straight_rows = n;
            side = NULL;
            goto done;
        }
        job->inserted = n; /* the summary's counts: every row new (tmetrics_committed) */
        job->updated = job->deleted = 0;
        job->counted = true;
        *done = true;
        goto done;
    }
    char state[sizeof(c->sqlstate)];
    snprintf(state, sizeof(state), "%s", c->sqlstate);
    if (PQstatus(c->conn) == CONNECTION_BAD) {
        const char *e = PQerrorMessage(c->conn);
        log_error("stream \"%s\": batch %lld: COPY into %s failed: %.*s (SQLSTATE %s)",
                  job->st->name, job->batch_no, d->qname, (int)strcspn(e, "\n"), e,
                  state[0] ? state : "?");
        goto done;
    }
    if (!pg_conn_exec(c, "ROLLBACK TO SAVEPOINT tgt_direct"))
        goto done;
    if (!append && strcmp(state, "23505") == 0 && !split && d->cs.nkeys == 1) {
        /* a change of a row loaded before (the stream during a LOG_BASED copy in chunks): the
           rows of keys the run has not loaded yet still go straight in */
        __atomic_store_n(&job->st->direct, DIRECT_SPLIT, __ATOMIC_RELEASE);
        log_info("stream \"%s\": batch %lld: a key of the batch is already in %s: merging this "
                 "batch; the next ones copy the rows of keys not loaded before straight in and "
                 "merge the rest",
                 job->st->name, job->batch_no, d->qname);
    } else if (!append && strcmp(state, "23505") == 0) {
        __atomic_store_n(&job->st->direct, DIRECT_NO, __ATOMIC_RELEASE);
        log_info("stream \"%s\": batch %lld: a key of the batch is already in %s: merging this "
                 "batch and the next ones",
                 job->st->name, job->batch_no, d->qname);
    }
    ok = true;
done:
    PQclear(res);
    buf_term(&sql);
    free(side);
    return ok;
}

bool loader_run(pg_conn *c, flush_job *job)
{
    double t0 = timefmt_monotonic();
    const table_def *d = job->def;
    stream_table_cache *cache = &job->st->cache;
    buf sql = BUF_INIT;
    bool ok = false;
    long long before[3] = {0, 0, 0}, after[3] = {0, 0, 0};
    job->counted = false;
    job->updated = job->deleted = 0;
    job->straight = NULL;
    job->straight_rows = 0;
    if (job->lock_table && job->wait_turn && !job->wait_turn(job)) {
        /* several streams load this table: their flushes take turns for the whole transaction
           (DDL, merge) under a table lock. The stream's previous batch holds that lock until it
           commits, so this one waits for that commit before it asks for the lock (asking first
           would deadlock: the previous batch would wait for the lock, this one for it). */
        log_error("stream \"%s\": batch %lld: not loaded, the batch before it failed",
                  job->st->name, job->batch_no);
        goto fail;
    }
    if (!pg_conn_exec(c, "BEGIN"))
        goto fail;
    if (job->lock_table) {
        /* the columns are read again since another stream may have changed them */
        const char *p1[1] = {d->qname};
        if (!run_sql(c, job, "locking the table",
                     "SELECT pg_advisory_xact_lock(7312, hashtext($1))", 1, p1, NULL))
            goto fail;
        cache->synced = false;
    }
    if (!d->no_schema &&
        !table_sync(c, d, cache, job->hard_delete, job->load_method != LOAD_APPEND_ONLY)) {
        log_error("stream \"%s\": batch %lld: cannot prepare table %s", job->st->name,
                  job->batch_no, d->qname);
        goto fail;
    }
    if (!d->no_schema)
        __atomic_store_n(&job->st->synced_fp, d->cs.fingerprint, __ATOMIC_RELEASE);
    if (job->load_method == LOAD_OVERWRITE && job->batch_no == 1 && !d->no_schema) {
        /* the run's first batch of the stream empties the table in its own transaction: the
           rows before this run disappear when the first new ones are committed */
        buf_appendf(&sql, "DELETE FROM %s", d->qname);
        long long n = 0;
        if (!run_sql(c, job, "overwrite (deleting the rows of earlier runs)", sql.data, 0, NULL,
                     &n))
            goto fail;
        log_info("stream \"%s\": load_method overwrite: %lld rows of earlier runs deleted from %s",
                 job->st->name, n, d->qname);
        buf_reset(&sql);
    }
    bool direct = false;
    if (!try_direct(c, job, &direct))
        goto fail;
    if (job->b->rows > 0 && !direct) {
        merge_sql_temp_table(&sql, d, (const char *const *)cache->types);
        if (!run_sql(c, job, "creating the temp table", sql.data, 0, NULL, NULL))
            goto fail;
        double tc = timefmt_monotonic();
        bool binary = false;
        if (!copy_batch(c, job, &binary))
            goto fail;
        double tm = timefmt_monotonic();
        log_debug("stream \"%s\": batch %lld: COPY (%s) into the temp table took %.3f s",
                  job->st->name, job->batch_no, binary ? "binary" : "text", tm - tc);
        if (job->wait_turn && !job->wait_turn(job)) {
            log_error("stream \"%s\": batch %lld: not merged, the batch before it failed",
                      job->st->name, job->batch_no);
            goto fail;
        }
        bool dups = job->b->has_dups, absent = job->b->has_absent;
        bool unique = cache->has_unique_key;
        /* hard_delete without keys (REPLICA IDENTITY FULL): a delete removes one equal row */
        bool keyless_del =
            d->cs.nkeys == 0 && job->hard_delete && job->b->has_deletes && d->deleted_col >= 0;
        buf_reset(&sql);
        bool append = job->load_method == LOAD_APPEND_ONLY;
        if (append)
            merge_sql_insert_all(&sql, d, job->hard_delete);
        else if (keyless_del)
            merge_sql_keyless_delete(&sql, d, (const char *const *)cache->types);
        else
            merge_sql_merge(&sql, d, dups, absent, unique, job->hard_delete);
        if (!buf_ok(&sql)) {
            log_error("out of memory");
            goto fail;
        }
        log_debug("merge: %s", sql.data);
        if (!table_counts(c, job, before))
            goto fail;
        if (keyless_del) {
            if (!keyless_deletes(c, job, sql.data))
                goto fail;
        } else if (d->cs.nkeys && !dups && !append) {
            /* the key hash said "no duplicates"; keys equal as values but not as text
               (1 and 1.0) would make the merge touch a row twice: retry with dedup */
            if (!run_sql(c, job, "savepoint", "SAVEPOINT tgt_merge", 0, NULL, NULL))
                goto fail;
            PGresult *res = pg_conn_query_quiet(c, sql.data, 0, NULL);
            if (!res && strcmp(pg_conn_sqlstate(c), "21000") == 0) {
                log_debug("stream \"%s\": batch %lld: keys repeat; merging with dedup",
                          job->st->name, job->batch_no);
                if (!run_sql(c, job, "rollback to savepoint", "ROLLBACK TO SAVEPOINT tgt_merge", 0,
                             NULL, NULL))
                    goto fail;
                buf_reset(&sql);
                merge_sql_merge(&sql, d, true, absent, unique, job->hard_delete);
                if (!run_merge(c, job, sql.data))
                    goto fail;
            } else if (!res) {
                char msg[1024];
                const char *e = PQerrorMessage(c->conn);
                size_t n = strcspn(e, "\n");
                snprintf(msg, sizeof(msg), "%.*s", (int)(n > 1000 ? 1000 : n), e);
                log_error("stream \"%s\": batch %lld: merge into %s failed: %s (SQLSTATE %s)",
                          job->st->name, job->batch_no, d->qname, msg,
                          pg_conn_sqlstate(c)[0] ? pg_conn_sqlstate(c) : "?");
                goto fail;
            } else {
                const char *t = PQcmdTuples(res);
                job->inserted = t && *t ? strtoll(t, NULL, 10) : 0;
                PQclear(res);
            }
        } else if (!run_merge(c, job, sql.data)) {
            goto fail;
        }
        log_debug("stream \"%s\": batch %lld: merge took %.3f s", job->st->name, job->batch_no,
                  timefmt_monotonic() - tm);
        /* only a batch with deletes leaves rows to remove: the merge wrote every key's
           _sdc_deleted_at (a metadata column is never absent), so without one it wrote NULL */
        if (job->hard_delete && d->cs.nkeys && has_meta(d, META_DELETED_AT) &&
            job->b->has_deletes) {
            buf_reset(&sql);
            merge_sql_hard_delete(&sql, d);
            long long deleted = 0;
            if (!run_sql(c, job, "hard delete", sql.data, 0, NULL, &deleted))
                goto fail;
            if (deleted)
                log_info("stream \"%s\": batch %lld: deleted %lld rows", job->st->name,
                         job->batch_no, deleted);
        }
        if (!table_counts(c, job, after))
            goto fail;
        job->counted = true;
        job->inserted = after[0] - before[0] + job->straight_rows;
        job->updated = after[1] - before[1];
        job->deleted = after[2] - before[2];
    }
    if (job->b->rows == 0 && job->wait_turn && !job->wait_turn(job))
        goto fail;
    bool activate = job->activate;
    if (activate && d->no_schema && !early_activation(c, job, &activate))
        goto fail;
    if (activate) {
        char ver[32];
        snprintf(ver, sizeof(ver), "%lld", (long long)job->version);
        const char *p1[1] = {ver};
        buf_reset(&sql);
        long long n = 0;
        if (job->hard_delete)
            buf_appendf(&sql,
                        "DELETE FROM %s WHERE \"_sdc_table_version\" IS NULL OR "
                        "\"_sdc_table_version\" < $1::bigint",
                        d->qname);
        else
            buf_appendf(
                &sql,
                "UPDATE %s SET \"_sdc_deleted_at\" = now() WHERE (\"_sdc_table_version\" IS "
                "NULL OR \"_sdc_table_version\" < $1::bigint) AND \"_sdc_deleted_at\" IS NULL",
                d->qname);
        if (!run_sql(c, job, "ACTIVATE_VERSION", sql.data, 1, p1, &n))
            goto fail;
        log_info("stream \"%s\": version %s activated: %lld older rows %s", job->st->name, ver, n,
                 job->hard_delete ? "deleted" : "marked deleted");
    }
    if (!run_sql(c, job, "COMMIT", "COMMIT", 0, NULL, NULL))
        goto fail;
    ok = true;
    job->seconds = timefmt_monotonic() - t0;
    if (d->no_schema)
        log_info("stream \"%s\": batch %lld: ACTIVATE_VERSION before its SCHEMA done in %.3f s",
                 job->st->name, job->batch_no, job->seconds);
    else if (job->straight)
        log_info("stream \"%s\": batch %lld: loaded %zu rows into %s in %.3f s (%lld copied "
                 "straight into the table, the rest merged)",
                 job->st->name, job->batch_no, job->b->rows, d->qname, job->seconds,
                 job->straight_rows);
    else
        log_info("stream \"%s\": batch %lld: loaded %zu rows into %s in %.3f s%s", job->st->name,
                 job->batch_no, job->b->rows, d->qname, job->seconds,
                 direct ? " (copied straight into the table)" : "");
fail:
    if (!ok) {
        if (PQtransactionStatus(c->conn) != PQTRANS_IDLE) {
            PGresult *r = pg_conn_exec_raw(c, "ROLLBACK"); /* bounded: the link may be frozen */
            PQclear(r);
        }
        log_error("stream \"%s\": batch %lld (%zu rows, input lines %lld-%lld) rolled back",
                  job->st->name, job->batch_no, job->b->rows,
                  (long long)batch_line_of_row(job->b, 0),
                  (long long)batch_line_of_row(job->b, job->b->rows ? job->b->rows - 1 : 0));
    }
    buf_term(&sql);
    free(job->straight);
    job->straight = NULL;
    return ok;
}
