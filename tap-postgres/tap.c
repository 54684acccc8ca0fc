#include "tap.h"

#include "exit_codes.h"
#include "json_writer.h"
#include "log.h"
#include "state.h"
#include "timefmt.h"

#include <stdlib.h>
#include <string.h>

volatile sig_atomic_t tap_stop_requested = 0;

void tap_run_init(tap_run *run, const tap_config *cfg, singer_writer *w, cJSON *state,
                  const cJSON *input_state)
{
    memset(run, 0, sizeof(*run));
    run->cfg = cfg;
    run->w = w;
    run->state = state;
    run->input_state = input_state;
    typemap_ctx_init(&run->tm);
    run->tm.special_numbers_as_strings = cfg ? cfg->special_numbers_as_strings : false;
    copy_text_init(&run->ct);
    progress_init(&run->progress);
}

void tap_run_init_worker(tap_run *run, const tap_run *parent, singer_writer *w, cJSON *state)
{
    memset(run, 0, sizeof(*run));
    run->cfg = parent->cfg;
    run->w = w;
    run->state = state;
    run->input_state = parent->input_state;
    typemap_ctx_init(&run->tm);
    run->tm.special_numbers_as_strings = parent->tm.special_numbers_as_strings;
    copy_text_init(&run->ct);
    progress_init_worker(&run->progress);
}

void tap_run_term(tap_run *run)
{
    if (!run)
        return;
    typemap_ctx_term(&run->tm);
    copy_text_term(&run->ct);
    progress_term(&run->progress);
}

bool tap_fail(tap_run *run, int code)
{
    if (!run->fail_code)
        run->fail_code = code;
    return false;
}

pg_conn *tap_connect(tap_run *run, bool secondary)
{
    pg_conn_options o = {0};
    o.application_name = "tap-postgres";
    o.attempts = 3;
    o.password = run->cfg->password;
    if (secondary && run->cfg->use_secondary) {
        o.host_override = run->cfg->secondary_host;
        if (run->cfg->secondary_port[0])
            o.port_override = run->cfg->secondary_port;
    }
    pg_conn *c = pg_conn_connect(run->cfg->root, &o);
    if (!c) {
        tap_fail(run, EXIT_SOURCE_DB);
        return NULL;
    }
    if (!pg_conn_exec(c, TAP_SESSION_SETTINGS)) {
        pg_conn_destroy(c);
        tap_fail(run, EXIT_SOURCE_DB);
        return NULL;
    }
    return c;
}

void tap_quoted_table(buf *sql, const tap_stream *s)
{
    pg_conn_quote_ident(sql, s->schema_name);
    buf_putc(sql, '.');
    pg_conn_quote_ident(sql, s->table_name);
}

void tap_select_list(buf *sql, const tap_stream *s)
{
    for (size_t i = 0; i < s->ncolumns; i++) {
        if (i)
            buf_putc(sql, ',');
        pg_conn_quote_ident(sql, s->columns[i].name);
    }
}

void tap_append_where(buf *sql, const tap_stream *s, bool *have_where)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, s->where_clauses)
    {
        buf_appends(sql, *have_where ? " AND (" : " WHERE (");
        buf_appends(sql, c->valuestring);
        buf_putc(sql, ')');
        *have_where = true;
    }
}

long long tap_record_limit(const tap_run *run, const tap_stream *s)
{
    long long lim = run->cfg->max_record_count > 0 ? run->cfg->max_record_count : -1;
    if (s->method == TAP_INCREMENTAL && run->cfg->limit >= 0 && (lim < 0 || run->cfg->limit < lim))
        lim = run->cfg->limit;
    return lim;
}

static void put_str(buf *b, const char *s)
{
    json_writer_string(b, s, strlen(s));
}

bool tap_emit_schema(tap_run *run, const tap_stream *s, const char *bookmark_property,
                     const char *extra_props)
{
    buf *b = singer_writer_buf(run->w);
    buf_append_lit(b, "{\"type\":\"SCHEMA\",\"stream\":");
    put_str(b, s->tap_stream_id);
    buf_append_lit(b, ",\"schema\":{\"type\":\"object\",\"properties\":{");
    for (size_t i = 0; i < s->ncolumns; i++) {
        const tap_column *c = &s->columns[i];
        if (i)
            buf_putc(b, ',');
        put_str(b, c->name);
        buf_putc(b, ':');
        typemap_type t = c->type;
        if (s->transforms)
            field_transform_schema_type(s->transforms, s->tap_stream_id, c->name, &t);
        if (run->cfg->inline_array_schemas)
            typemap_schema_inline(b, &t, !c->is_pk);
        else
            typemap_schema(b, &t, !c->is_pk);
    }
    if (extra_props && *extra_props) {
        if (s->ncolumns)
            buf_putc(b, ',');
        buf_appends(b, extra_props);
    }
    if (run->cfg->inline_array_schemas) {
        /* nothing refers to definitions: none are written */
        buf_append_lit(b, "}},\"key_properties\":[");
    } else {
        /* every SCHEMA has the definitions, as pipelinewise's */
        buf_append_lit(b, "},\"definitions\":{");
        typemap_array_definitions(b);
        for (size_t i = 0; i < s->ncolumns; i++) {
            bool seen = false;
            for (size_t k = 0; k < i && !seen; k++)
                seen = typemap_same_definition(&s->columns[k].type, &s->columns[i].type);
            if (!seen)
                typemap_column_definition(b, &s->columns[i].type);
        }
        buf_append_lit(b, "}},\"key_properties\":[");
    }
    for (size_t k = 0; k < s->nkeys; k++) {
        if (k)
            buf_putc(b, ',');
        put_str(b, s->key_properties[k]);
    }
    buf_append_lit(b, "],\"bookmark_properties\":[");
    if (bookmark_property)
        put_str(b, bookmark_property);
    buf_append_lit(b, "]}");
    if (!singer_writer_end_line(run->w))
        return tap_fail(run, EXIT_OUTPUT);
    return true;
}

bool tap_emit_state(tap_run *run)
{
    if (run->state_hook)
        return run->state_hook(run, false);
    if (!state_write(run->state, run->w, &run->last_state_bytes))
        return tap_fail(run, singer_writer_ok(run->w) ? EXIT_INTERNAL : EXIT_OUTPUT);
    run->last_state_time = timefmt_monotonic();
    run->state_pending = false;
    return true;
}

bool tap_emit_boundary_state(tap_run *run)
{
    if (run->state_hook)
        return run->state_hook(run, true);
    if (run->last_state_bytes > TAP_STATE_THROTTLE_BYTES &&
        timefmt_monotonic() - run->last_state_time < 1.0) {
        run->state_pending = true;
        return true;
    }
    return tap_emit_state(run);
}

bool tap_recopy_begin(tap_run *run, const tap_stream *s, cJSON *bm)
{
    const char *token = tap_config_recopy_token(run->cfg, s->tap_stream_id);
    if (!token || !bm)
        return false;
    const cJSON *had = cJSON_GetObjectItemCaseSensitive(bm, STATE_RECOPY_TOKEN);
    if (cJSON_IsString(had) && strcmp(had->valuestring, token) == 0)
        return false;
    if (cJSON_IsString(had))
        log_info("stream \"%s\": recopy_streams asks for a re-copy (token \"%.100s\", the "
                 "bookmark's is \"%.100s\"): copied again from the start as a new table version",
                 s->tap_stream_id, token, had->valuestring);
    else
        log_info("stream \"%s\": recopy_streams asks for a re-copy (token \"%.100s\", the "
                 "bookmark has none): copied again from the start as a new table version",
                 s->tap_stream_id, token);
    state_bm_set_item(bm, STATE_RECOPY_TOKEN, cJSON_CreateString(token));
    return true;
}

bool tap_emit_activate_version(tap_run *run, const tap_stream *s, long long version)
{
    buf *b = singer_writer_buf(run->w);
    buf_append_lit(b, "{\"type\":\"ACTIVATE_VERSION\",\"stream\":");
    put_str(b, s->tap_stream_id);
    buf_append_lit(b, ",\"version\":");
    json_writer_int(b, version);
    buf_putc(b, '}');
    if (!singer_writer_end_line(run->w))
        return tap_fail(run, EXIT_OUTPUT);
    return true;
}

bool tap_begin_read(tap_run *run, pg_conn *c, const tap_stream *s, record_builder *rb,
                    long long version)
{
    char time_extracted[40];
    timefmt_now_rfc3339(time_extracted, sizeof(time_extracted));
    if (!tap_stream_builder(run, s, rb))
        return false;
    record_builder_set_version(rb, version, time_extracted);
    if (!pg_conn_exec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
        return tap_fail(run, EXIT_SOURCE_DB);
    return true;
}

bool tap_stream_builder(tap_run *run, const tap_stream *s, record_builder *rb)
{
    const char **names = calloc(s->ncolumns ? s->ncolumns : 1, sizeof(*names));
    const typemap_type **types = calloc(s->ncolumns ? s->ncolumns : 1, sizeof(*types));
    bool ok = names && types;
    if (ok) {
        for (size_t i = 0; i < s->ncolumns; i++) {
            names[i] = s->columns[i].name;
            types[i] = &s->columns[i].type;
        }
        ok = record_builder_init(rb, &run->tm, s->tap_stream_id, names, types, s->ncolumns);
        if (ok && s->transforms)
            ok = record_builder_set_transforms(rb, s->transforms, s->tap_stream_id, names);
    } else {
        log_error("out of memory");
    }
    free(names);
    free(types);
    if (!ok)
        tap_fail(run, EXIT_INTERNAL);
    return ok;
}

/* a stop request, or another stream of the run failed (stream_pool) */
static bool stopping(const tap_run *run)
{
    return tap_stop_requested ||
           (run->abort && atomic_load_explicit(run->abort, memory_order_relaxed));
}

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

bool tap_copy_rows(tap_run *run, pg_conn *c, const char *sql, const tap_stream *s,
                   record_builder *rb, tap_row_fn fn, void *user, long long *rows)
{
    *rows = 0;
    PGconn *conn = c->conn;
    PGresult *res = pg_conn_exec_raw(c, sql);
    if (PQresultStatus(res) != PGRES_COPY_OUT) {
        const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        char msg[512];
        snprintf(msg, sizeof(msg), "%s", PQresultErrorMessage(res));
        msg[strcspn(msg, "\n")] = '\0';
        log_error("stream \"%s\": the query failed%s%s: %s", s->tap_stream_id,
                  st ? " with SQLSTATE " : "", st ? st : "", msg);
        log_debug("query: %s", sql);
        PQclear(res);
        return tap_fail(run, EXIT_SOURCE_DB);
    }
    PQclear(res);
    bool ok = true, cancelled = false;
    long long n = 0;
    singer_writer *w = run->w;
    const bool direct = rb->xf == NULL; /* no transformations: the values go straight out */
    for (;;) {
        char *row = NULL;
        int len = pg_conn_get_copy_data(c, &row);
        if (len < 0)
            break;
        if (!ok || stopping(run)) {
            /* after a failure or a stop: cancel the query, then drain what is in flight so
               the connection comes back to idle */
            if (!cancelled)
                cancel_query(conn);
            cancelled = true;
            PQfreemem(row);
            continue;
        }
        if (!copy_text_split(&run->ct, row, (size_t)len) || run->ct.n != s->ncolumns) {
            log_error("stream \"%s\": row %lld of the COPY output has %zu fields, expected %zu",
                      s->tap_stream_id, n + 1, run->ct.n, s->ncolumns);
            PQfreemem(row);
            ok = tap_fail(run, EXIT_SOURCE_DB);
            continue;
        }
        const copy_text_field *f = run->ct.fields;
        if (direct) {
            record_builder_begin_direct(rb, singer_writer_buf(w));
            for (size_t i = 0; i < s->ncolumns; i++) {
                if (f[i].null)
                    record_builder_null_direct(rb, i);
                else
                    record_builder_value_direct(rb, i, f[i].p, f[i].len);
            }
            record_builder_end_direct(rb);
        } else {
            record_builder_begin(rb, singer_writer_buf(w));
            for (size_t i = 0; i < s->ncolumns; i++) {
                if (f[i].null)
                    record_builder_null(rb, i);
                else
                    record_builder_value(rb, i, f[i].p, f[i].len);
            }
            record_builder_end(rb);
        }
        n++;
        progress_rows(&run->progress, n);
        if (!singer_writer_end_line(w)) {
            ok = tap_fail(run, EXIT_OUTPUT);
        } else if (fn && !fn(run, user, f, n)) {
            ok = false;
        }
        PQfreemem(row);
    }
    run->records += n;
    *rows = n;
    progress_copy_done(&run->progress, n);
    /* -1: done, the final result follows; -2: error */
    while ((res = pg_conn_get_result(c)) != NULL) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK && ok && !stopping(run)) {
            const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
            char msg[512];
            snprintf(msg, sizeof(msg), "%s", PQresultErrorMessage(res));
            msg[strcspn(msg, "\n")] = '\0';
            log_error("stream \"%s\": reading the table failed after %lld rows%s%s: %s",
                      s->tap_stream_id, n, st ? " with SQLSTATE " : "", st ? st : "", msg);
            ok = tap_fail(run, EXIT_SOURCE_DB);
        }
        PQclear(res);
    }
    if (ok && tap_stop_requested) {
        log_error("stream \"%s\": interrupted after %lld rows", s->tap_stream_id, n);
        ok = tap_fail(run, EXIT_INTERRUPTED);
    } else if (ok && stopping(run)) {
        log_info("stream \"%s\": stopped after %lld rows (another stream failed)", s->tap_stream_id,
                 n);
        ok = tap_fail(run, EXIT_INTERRUPTED);
    }
    return ok;
}

void tap_log_counters(tap_run *run, const char *stream_id)
{
    typemap_ctx *t = &run->tm;
    if (t->nan_count)
        log_warn("stream \"%s\": %lld NaN or Infinity numeric/float values were written as %s",
                 stream_id, t->nan_count, t->special_numbers_as_strings ? "strings" : "null");
    if (t->pos_infinity_count || t->neg_infinity_count)
        log_warn("stream \"%s\": %lld +infinity and %lld -infinity dates/timestamps were written "
                 "as %s and %s",
                 stream_id, t->pos_infinity_count, t->neg_infinity_count, TIMEFMT_POS_INFINITY,
                 TIMEFMT_NEG_INFINITY);
    if (t->bad_values)
        log_warn("stream \"%s\": %lld values did not parse as their type and were written as "
                 "strings",
                 stream_id, t->bad_values);
    if (t->clamped_high_count || t->clamped_low_count)
        log_warn("stream \"%s\": %lld dates/timestamps after 9999-12-31 and %lld before "
                 "0001-01-01 (in UTC) were written as %s and %s (dates_as_string keeps "
                 "PostgreSQL's text)",
                 stream_id, t->clamped_high_count, t->clamped_low_count, TIMEFMT_POS_INFINITY,
                 TIMEFMT_NEG_INFINITY);
    if (t->time_24_count)
        log_warn("stream \"%s\": %lld times of 24:00:00 were written as 23:59:59.999999", stream_id,
                 t->time_24_count);
    if (t->json_not_object_count)
        log_warn("stream \"%s\": %lld json values that are not objects were written as they "
                 "are although json_as_object types them as objects",
                 stream_id, t->json_not_object_count);
    t->nan_count = t->pos_infinity_count = t->neg_infinity_count = t->bad_values = 0;
    t->clamped_high_count = t->clamped_low_count = t->time_24_count = 0;
    t->json_not_object_count = 0;
}
