#include "sync_full_table.h"

#include "exit_codes.h"
#include "log.h"
#include "state.h"
#include "sync_parallel.h"
#include "timefmt.h"

#include <stdio.h>
#include <string.h>

typedef struct ft_progress {
    tap_stream *s;
    cJSON *bm;
    long long limit; /* max_record_count, -1 for none */
} ft_progress;

/* every itersize rows: remember the key of the last record and write a STATE; at the limit
   (max_record_count), remember it for the next run */
static bool ft_row(tap_run *run, void *user, const copy_text_field *f, long long row_no)
{
    ft_progress *p = user;
    bool at_state = row_no % run->cfg->itersize == 0;
    if (!at_state && row_no != p->limit)
        return true;
    tap_stream *s = p->s;
    if (s->npk && !s->is_view) {
        cJSON *pk = cJSON_CreateObject();
        if (!pk) {
            log_error("out of memory");
            return tap_fail(run, EXIT_INTERNAL);
        }
        for (size_t k = 0; k < s->npk; k++) {
            const copy_text_field *kf = &f[s->pk_index[k]];
            state_bm_set_string(pk, s->columns[s->pk_index[k]].name, kf->p ? kf->p : "", kf->len);
        }
        state_bm_set_item(p->bm, "last_pk_fetched", pk);
    }
    return at_state ? tap_emit_state(run) : true;
}

/* the state's last_pk_fetched, when it names exactly the table's key columns */
static const cJSON *resume_key(const tap_stream *s, const cJSON *bm)
{
    const cJSON *pk = cJSON_GetObjectItemCaseSensitive(bm, "last_pk_fetched");
    if (!cJSON_IsObject(pk) || s->is_view || s->npk == 0)
        return NULL;
    if ((size_t)cJSON_GetArraySize(pk) != s->npk)
        return NULL;
    for (size_t k = 0; k < s->npk; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(pk, s->columns[s->pk_index[k]].name);
        if (!cJSON_IsString(v) && !cJSON_IsNumber(v))
            return NULL;
    }
    return pk;
}

bool sync_full_table_run(tap_run *run, pg_conn *c, tap_stream *s)
{
    bool ok = false, in_tx = false;
    buf sql = BUF_INIT;
    record_builder rb;
    memset(&rb, 0, sizeof(rb));
    cJSON *bm = state_bookmark(run->state, s->tap_stream_id);
    if (!bm) {
        log_error("out of memory");
        return tap_fail(run, EXIT_INTERNAL);
    }
    long long limit = tap_record_limit(run, s);
    if (limit > 0 && (s->npk == 0 || s->is_view)) {
        /* a part of the table followed by ACTIVATE_VERSION would make the target drop the
           rest, and without a key the next run cannot continue after the last row */
        log_error("stream \"%s\": max_record_count needs a primary key for FULL_TABLE (the next "
                  "run continues after the last key sent); this %s has none",
                  s->tap_stream_id, s->is_view ? "view" : "table");
        return tap_fail(run, EXIT_BAD_CONFIG);
    }
    if (tap_recopy_begin(run, s, bm)) {
        /* no position of an unfinished version: this run starts a new one from the first key,
           and its ACTIVATE_VERSION at the end removes the rows that are gone */
        state_bm_remove(bm, "last_pk_fetched");
        state_bm_remove(bm, "xmin");
        state_bm_remove(bm, SNAPSHOT_RANGES_KEY);
    }
    long long version = -1;
    bool have_version = state_bm_get_int(bm, "version", &version);
    bool first_run = !have_version;
    const cJSON *lpk = cJSON_GetObjectItemCaseSensitive(bm, "last_pk_fetched");
    bool interrupted = (lpk && !cJSON_IsNull(lpk)) ||
                       cJSON_GetObjectItemCaseSensitive(bm, "xmin") != NULL ||
                       cJSON_GetObjectItemCaseSensitive(bm, SNAPSHOT_RANGES_KEY) != NULL;
    if (!have_version || !interrupted)
        version = timefmt_now_ms();
    state_bm_set_int(bm, "version", version);

    if (!tap_emit_schema(run, s, NULL, NULL) || !tap_emit_boundary_state(run))
        goto done;
    if (first_run && !tap_emit_activate_version(run, s, version))
        goto done;

    if (sync_parallel_wanted(run, s, bm)) {
        if (!sync_parallel_copy(run, c, s, bm, version))
            goto done;
        state_bm_remove(bm, "last_pk_fetched");
        state_bm_remove(bm, "xmin");
        ok = tap_emit_activate_version(run, s, version);
        goto done;
    }
    /* the ranges of an interrupted parallel copy: this run resumes from its last_pk_fetched */
    state_bm_remove(bm, SNAPSHOT_RANGES_KEY);

    if (!tap_begin_read(run, c, s, &rb, version))
        goto done;
    in_tx = true;

    const cJSON *resume = interrupted ? resume_key(s, bm) : NULL;
    if (interrupted && !resume)
        log_warn("stream \"%s\": the previous run was interrupted but cannot be resumed (%s): "
                 "reading the whole table again with the same version",
                 s->tap_stream_id,
                 s->is_view    ? "a view"
                 : s->npk == 0 ? "no primary key"
                               : "no usable last_pk_fetched");
    if (resume) {
        /* the key values reach the server as parameters, through custom settings */
        const char *params[32];
        char tmp[32][40];
        size_t np = s->npk < 32 ? s->npk : 32;
        buf_append_lit(&sql, "SELECT ");
        for (size_t k = 0; k < np; k++) {
            const cJSON *v =
                cJSON_GetObjectItemCaseSensitive(resume, s->columns[s->pk_index[k]].name);
            params[k] = state_bm_value_text(v, tmp[k], sizeof(tmp[k]));
            buf_appendf(&sql, "%sset_config('tap_postgres.pk%zu', $%zu, true)", k ? ", " : "", k,
                        k + 1);
        }
        PGresult *r = pg_conn_query(c, sql.data, (int)np, params);
        if (!r) {
            tap_fail(run, EXIT_SOURCE_DB);
            goto done;
        }
        PQclear(r);
        log_info("stream \"%s\": resuming after the key of the last record sent (version %lld)",
                 s->tap_stream_id, version);
        buf_reset(&sql);
    }

    buf_append_lit(&sql, "COPY (SELECT ");
    tap_select_list(&sql, s);
    buf_append_lit(&sql, " FROM ");
    tap_quoted_table(&sql, s);
    bool have_where = resume != NULL;
    if (resume) {
        buf_append_lit(&sql, " WHERE (");
        for (size_t k = 0; k < s->npk; k++) {
            if (k)
                buf_putc(&sql, ',');
            pg_conn_quote_ident(&sql, s->columns[s->pk_index[k]].name);
        }
        buf_append_lit(&sql, ") > (");
        for (size_t k = 0; k < s->npk; k++)
            buf_appendf(&sql, "%scurrent_setting('tap_postgres.pk%zu')::%s", k ? "," : "", k,
                        s->columns[s->pk_index[k]].cast_type);
        buf_putc(&sql, ')');
    }
    tap_append_where(&sql, s, &have_where);
    if (s->npk && !s->is_view) {
        buf_append_lit(&sql, " ORDER BY ");
        for (size_t k = 0; k < s->npk; k++) {
            if (k)
                buf_putc(&sql, ',');
            pg_conn_quote_ident(&sql, s->columns[s->pk_index[k]].name);
        }
    }
    if (limit > 0)
        buf_appendf(&sql, " LIMIT %lld", limit);
    buf_append_lit(&sql, ") TO STDOUT");
    if (!buf_ok(&sql)) {
        log_error("out of memory");
        tap_fail(run, EXIT_INTERNAL);
        goto done;
    }
    log_debug("stream \"%s\": %s", s->tap_stream_id, sql.data);

    ft_progress prog = {s, bm, limit};
    long long rows = 0;
    if (!tap_copy_rows(run, c, sql.data, s, &rb, ft_row, &prog, &rows))
        goto done;
    if (!pg_conn_exec(c, "COMMIT")) {
        tap_fail(run, EXIT_SOURCE_DB);
        goto done;
    }
    in_tx = false;
    log_info("stream \"%s\": %lld rows", s->tap_stream_id, rows);
    if (limit > 0 && rows == limit) {
        /* the table is not done: this version continues with the next run, after the key of
           the last row sent (last_pk_fetched), and is activated when a run reaches the end */
        log_info("stream \"%s\": max_record_count (%lld) reached: the next run continues after "
                 "the last key sent, with the same table version",
                 s->tap_stream_id, limit);
        ok = true;
        goto done;
    }
    state_bm_remove(bm, "last_pk_fetched");
    state_bm_remove(bm, "xmin");
    ok = tap_emit_activate_version(run, s, version);
done:
    if (in_tx && c->conn && PQstatus(c->conn) == CONNECTION_OK)
        PQclear(PQexec(c->conn, "ROLLBACK"));
    record_builder_term(&rb);
    buf_term(&sql);
    return ok;
}
