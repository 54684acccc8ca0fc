#include "tap_test.h"

#include "exit_codes.h"
#include "log.h"

#include <string.h>

static const char *bookmark_of(const tap_stream *s)
{
    if (s->method == TAP_INCREMENTAL)
        return s->replication_key;
    if (s->method == TAP_LOG_BASED)
        return "lsn";
    return NULL;
}

/* one record of s: false after logging (fail code set) */
static bool read_one(tap_run *run, pg_conn *c, const tap_stream *s, long long *rows)
{
    record_builder rb;
    memset(&rb, 0, sizeof(rb));
    buf sql = BUF_INIT;
    bool ok = false, in_tx = false;
    /* no version: the record belongs to no table version (no ACTIVATE_VERSION follows) */
    if (!tap_begin_read(run, c, s, &rb, -1))
        goto done;
    in_tx = true;
    buf_append_lit(&sql, "COPY (SELECT ");
    tap_select_list(&sql, s);
    buf_append_lit(&sql, " FROM ");
    tap_quoted_table(&sql, s);
    bool have_where = false;
    tap_append_where(&sql, s, &have_where);
    buf_append_lit(&sql, " LIMIT 1) TO STDOUT");
    if (!buf_ok(&sql)) {
        log_error("out of memory");
        tap_fail(run, EXIT_INTERNAL);
        goto done;
    }
    log_debug("stream \"%s\": %s", s->tap_stream_id, sql.data);
    if (!tap_copy_rows(run, c, sql.data, s, &rb, NULL, NULL, rows))
        goto done;
    if (!pg_conn_exec(c, "COMMIT")) {
        tap_fail(run, EXIT_SOURCE_DB);
        goto done;
    }
    in_tx = false;
    ok = true;
done:
    if (in_tx && c->conn && PQstatus(c->conn) == CONNECTION_OK)
        PQclear(PQexec(c->conn, "ROLLBACK"));
    record_builder_term(&rb);
    buf_term(&sql);
    return ok;
}

bool tap_test_run(tap_run *run, pg_conn *c, const tap_catalog *cat, bool schema_only)
{
    long long total = 0;
    size_t empty = 0;
    for (size_t i = 0; i < cat->n; i++) {
        const tap_stream *s = &cat->streams[i];
        if (!tap_emit_schema(run, s, bookmark_of(s), NULL))
            return false;
        if (schema_only)
            continue;
        long long rows = 0;
        if (!read_one(run, c, s, &rows)) {
            log_error("--test failed: stream \"%s\" cannot be read (see above)", s->tap_stream_id);
            return false;
        }
        tap_log_counters(run, s->tap_stream_id);
        if (rows == 0) {
            empty++;
            log_info("--test: stream \"%s\": the table is empty (no record to send)",
                     s->tap_stream_id);
        }
        total += rows;
    }
    if (schema_only)
        log_info("--test=schema: SCHEMA of %zu streams written", cat->n);
    else
        log_info("--test: connected; read %lld records from %zu streams (%zu empty)", total, cat->n,
                 empty);
    return true;
}

static bool set_item(cJSON *obj, const char *key, cJSON *item)
{
    if (!item)
        return false;
    if (cJSON_GetObjectItemCaseSensitive(obj, key))
        return cJSON_ReplaceItemInObjectCaseSensitive(obj, key, item);
    return cJSON_AddItemToObject(obj, key, item);
}

bool tap_test_select_all(cJSON *root)
{
    cJSON *streams = cJSON_GetObjectItemCaseSensitive(root, "streams");
    cJSON *st;
    cJSON_ArrayForEach(st, streams)
    {
        cJSON *md = cJSON_GetObjectItemCaseSensitive(st, "metadata");
        cJSON *m;
        cJSON_ArrayForEach(m, md)
        {
            cJSON *bc = cJSON_GetObjectItemCaseSensitive(m, "breadcrumb");
            cJSON *mm = cJSON_GetObjectItemCaseSensitive(m, "metadata");
            if (!cJSON_IsArray(bc) || cJSON_GetArraySize(bc) != 0 || !cJSON_IsObject(mm))
                continue;
            if (!set_item(mm, "selected", cJSON_CreateTrue()))
                return false;
            if (!cJSON_GetObjectItemCaseSensitive(mm, "replication-method") &&
                !set_item(mm, "replication-method", cJSON_CreateString("FULL_TABLE")))
                return false;
        }
    }
    return true;
}
