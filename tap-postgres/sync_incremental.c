#include "sync_incremental.h"

#include "exit_codes.h"
#include "log.h"
#include "state.h"
#include "timefmt.h"

#include <string.h>

typedef struct inc_progress {
    tap_stream *s;
    cJSON *bm;
    buf last; /* text of the newest key seen that may become the bookmark */
    bool have_last;
    long long unbounded; /* rows whose key is +infinity or NaN */
} inc_progress;

/*
 * A key of +infinity (dates, timestamps) or NaN / Infinity (numeric, float) sorts after every
 * other value: as the bookmark it would hide every row added later (key >= infinity), so such
 * rows are sent but, as NULL keys, never become the bookmark. -infinity sorts first: harmless.
 */
static bool unbounded_key(const typemap_type *t, const char *p, size_t n)
{
    switch (t->kind) {
    case TM_DATE:
    case TM_TIMESTAMP:
        return n == 8 && memcmp(p, "infinity", 8) == 0;
    case TM_NUMERIC:
    case TM_FLOAT:
        return (n == 3 && memcmp(p, "NaN", 3) == 0) || (n == 8 && memcmp(p, "Infinity", 8) == 0);
    default:
        return false;
    }
}

static void save_bookmark(inc_progress *p)
{
    if (p->have_last)
        state_bm_set_string(p->bm, "replication_key_value", p->last.data ? p->last.data : "",
                            p->last.len);
}

static bool inc_row(tap_run *run, void *user, const copy_text_field *f, long long row_no)
{
    inc_progress *p = user;
    const copy_text_field *k = &f[p->s->rk_index];
    if (!k->null && unbounded_key(&p->s->columns[p->s->rk_index].type, k->p, k->len)) {
        p->unbounded++;
    } else if (!k->null) {
        buf_reset(&p->last);
        buf_append(&p->last, k->p, k->len);
        p->have_last = true;
    }
    if (row_no % run->cfg->itersize != 0)
        return true;
    save_bookmark(p);
    return tap_emit_state(run);
}

bool sync_incremental_run(tap_run *run, pg_conn *c, tap_stream *s)
{
    bool ok = false, in_tx = false;
    buf sql = BUF_INIT, start = BUF_INIT; /* start: the bookmark at the start (value may not
                                              outlive the first STATE) */
    record_builder rb;
    memset(&rb, 0, sizeof(rb));
    inc_progress prog = {s, NULL, BUF_INIT, false, 0};
    cJSON *bm = state_bookmark(run->state, s->tap_stream_id);
    if (!bm || s->rk_index < 0) {
        log_error("stream \"%s\": internal error preparing the INCREMENTAL sync", s->tap_stream_id);
        return tap_fail(run, EXIT_INTERNAL);
    }
    prog.bm = bm;
    const tap_column *key = &s->columns[s->rk_index];
    state_bm_set_item(bm, "replication_key", cJSON_CreateString(key->name));
    /*
     * A re-copy (recopy_streams) reads the table from its first key as a new table version,
     * over as many runs as max_record_count / limit make it take (recopy_in_progress until it
     * reaches the end, its replication_key_value its position); only then does ACTIVATE_VERSION
     * make the target remove the rows of older versions, so the rows stay in the target until
     * the new version has them all.
     */
    bool recopy = tap_recopy_begin(run, s, bm);
    if (recopy) {
        state_bm_remove(bm, "replication_key_value");
        state_bm_set_item(bm, STATE_RECOPY_IN_PROGRESS, cJSON_CreateTrue());
    }
    bool in_recopy = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(bm, STATE_RECOPY_IN_PROGRESS));
    long long version;
    bool have_version = state_bm_get_int(bm, "version", &version);
    if (!have_version || recopy) {
        long long v = timefmt_now_ms();
        version = have_version && v <= version ? version + 1 : v;
    }
    state_bm_set_int(bm, "version", version);

    if (!tap_emit_schema(run, s, key->name, NULL) || !tap_emit_boundary_state(run) ||
        (!in_recopy && !tap_emit_activate_version(run, s, version)))
        goto done;

    if (!tap_begin_read(run, c, s, &rb, version))
        goto done;
    in_tx = true;
    char tmp[40];
    const char *value = state_bm_value_text(
        cJSON_GetObjectItemCaseSensitive(bm, "replication_key_value"), tmp, sizeof(tmp));
    if (value)
        buf_appends(&start, value);
    if (value) {
        const char *params[1] = {value};
        PGresult *r =
            pg_conn_query(c, "SELECT set_config('tap_postgres.rkv', $1, true)", 1, params);
        if (!r) {
            tap_fail(run, EXIT_SOURCE_DB);
            goto done;
        }
        PQclear(r);
        log_info("stream \"%s\": rows with %s >= %.100s%s", s->tap_stream_id, key->name, value,
                 in_recopy ? " or null (the re-copy goes on)" : "");
    }
    buf_append_lit(&sql, "COPY (SELECT ");
    tap_select_list(&sql, s);
    buf_append_lit(&sql, " FROM ");
    tap_quoted_table(&sql, s);
    bool have_where = value != NULL;
    if (value) {
        /* a re-copy must not leave out the rows without a key value (the first query of the
           copy has them, last in key order): the new version holds every row; parenthesized,
           as custom_where_clauses follow with AND */
        buf_append_lit(&sql, " WHERE (");
        pg_conn_quote_ident(&sql, key->name);
        buf_appendf(&sql, " >= current_setting('tap_postgres.rkv')::%s", key->cast_type);
        if (in_recopy) {
            buf_append_lit(&sql, " OR ");
            pg_conn_quote_ident(&sql, key->name);
            buf_append_lit(&sql, " IS NULL");
        }
        buf_putc(&sql, ')');
    }
    tap_append_where(&sql, s, &have_where);
    /* in key order, so that a LIMIT leaves the bookmark at the last row sent */
    buf_append_lit(&sql, " ORDER BY ");
    pg_conn_quote_ident(&sql, key->name);
    long long lim = tap_record_limit(run, s);
    if (lim >= 0)
        buf_appendf(&sql, " LIMIT %lld", lim);
    buf_append_lit(&sql, ") TO STDOUT");
    if (!buf_ok(&sql)) {
        log_error("out of memory");
        tap_fail(run, EXIT_INTERNAL);
        goto done;
    }
    log_debug("stream \"%s\": %s", s->tap_stream_id, sql.data);
    long long rows = 0;
    if (!tap_copy_rows(run, c, sql.data, s, &rb, inc_row, &prog, &rows))
        goto done;
    if (!pg_conn_exec(c, "COMMIT")) {
        tap_fail(run, EXIT_SOURCE_DB);
        goto done;
    }
    in_tx = false;
    save_bookmark(&prog);
    log_info("stream \"%s\": %lld rows", s->tap_stream_id, rows);
    if (in_recopy && lim >= 0 && rows == lim) {
        log_info("stream \"%s\": the re-copy stops at the limit (%lld rows): the next run goes "
                 "on with it (version %lld)",
                 s->tap_stream_id, lim, version);
    } else if (in_recopy) {
        state_bm_remove(bm, STATE_RECOPY_IN_PROGRESS);
        if (!tap_emit_activate_version(run, s, version))
            goto done;
        log_info("stream \"%s\": re-copy done: version %lld is active (the target removes the "
                 "rows of older versions)",
                 s->tap_stream_id, version);
    }
    if (lim > 0 && rows == lim && value && prog.have_last && start.len == prog.last.len &&
        memcmp(start.data, prog.last.data, start.len) == 0)
        log_warn("stream \"%s\": all %lld rows of the LIMIT (max_record_count / limit) have %s "
                 "= %.100s, the bookmark: the next run reads the same rows again and cannot move "
                 "past them; raise the limit above the number of rows sharing one key value",
                 s->tap_stream_id, rows, key->name, start.data);
    if (prog.unbounded)
        log_warn("stream \"%s\": %lld rows have %s = infinity or NaN: they are sent, but such "
                 "keys never become the bookmark (every later row would be skipped), so every run "
                 "sends them again",
                 s->tap_stream_id, prog.unbounded, key->name);
    ok = true;
done:
    if (in_tx && c->conn && PQstatus(c->conn) == CONNECTION_OK)
        PQclear(PQexec(c->conn, "ROLLBACK"));
    record_builder_term(&rb);
    buf_term(&sql);
    buf_term(&start);
    buf_term(&prog.last);
    return ok;
}
