#include "table_sync.h"

#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_textlike(const char *t)
{
    return strcmp(t, "text") == 0 || strcmp(t, "varchar") == 0 || strcmp(t, "bpchar") == 0 ||
           strcmp(t, "citext") == 0;
}

static int int_rank(const char *t)
{
    if (strcmp(t, "int2") == 0)
        return 1;
    if (strcmp(t, "int4") == 0)
        return 2;
    if (strcmp(t, "int8") == 0)
        return 3;
    if (strcmp(t, "numeric") == 0)
        return 4;
    return 0;
}

static bool is_known(const char *t)
{
    static const char *const known[] = {
        "text", "varchar",     "bpchar",    "int2", "int4", "int8",   "numeric", "float4", "float8",
        "bool", "timestamptz", "timestamp", "date", "time", "timetz", "jsonb",   "json",   "bytea"};
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (strcmp(t, known[i]) == 0)
            return true;
    return false;
}

const char *table_sync_widen_col(const char *t, const tcolumn *col)
{
    if (!col->hint_typname[0])
        return table_sync_widen(t, col->kind);
    /* an x-sql-datatype column: its type is kept; another is widened by the kind's rules, to
       the hint's type unless only text holds both */
    if (strcmp(t, col->hint_typname) == 0)
        return NULL;
    if (col->kind == CK_TEXT)
        return NULL; /* a type PostgreSQL checks itself: the existing column is the user's */
    const char *w = table_sync_widen(t, col->kind);
    return !w || strcmp(w, "text") == 0 ? w : col->sql;
}

const char *table_sync_widen(const char *t, col_kind kind)
{
    if (is_textlike(t) || !is_known(t))
        return NULL; /* text takes anything; a type we do not know is the user's choice */
    switch (kind) {
    case CK_TEXT:
        return "text";
    case CK_SMALLINT:
    case CK_INTEGER:
    case CK_BIGINT:
    case CK_NUMERIC: {
        int want = kind == CK_SMALLINT ? 1 : kind == CK_INTEGER ? 2 : kind == CK_BIGINT ? 3 : 4;
        int have = int_rank(t);
        if (have)
            return have < want ? flatten_kind_sql(kind) : NULL;
        if (strcmp(t, "float4") == 0 || strcmp(t, "float8") == 0)
            return NULL; /* a pipelinewise double precision column is kept */
        return "text";
    }
    case CK_BOOL:
        return strcmp(t, "bool") == 0 ? NULL : "text";
    case CK_TIMESTAMPTZ:
        if (strcmp(t, "timestamptz") == 0 || strcmp(t, "timestamp") == 0)
            return NULL;
        if (strcmp(t, "date") == 0)
            return "timestamp with time zone";
        return "text";
    case CK_DATE:
        if (strcmp(t, "date") == 0 || strcmp(t, "timestamptz") == 0 || strcmp(t, "timestamp") == 0)
            return NULL;
        return "text";
    case CK_TIME:
        /* time -> timetz keeps every value: the cast reads it in the session's TimeZone (UTC),
           as a date column widened to timestamptz gets midnight UTC */
        if (strcmp(t, "time") == 0)
            return "time with time zone";
        if (strcmp(t, "timetz") == 0)
            return NULL;
        return "text";
    case CK_BYTEA:
        return strcmp(t, "bytea") == 0 ? NULL : "text";
    case CK_JSONB:
        if (strcmp(t, "jsonb") == 0 || strcmp(t, "json") == 0)
            return NULL;
        return "text";
    }
    return NULL;
}

static bool exec_sql(pg_conn *c, buf *sql)
{
    if (!buf_ok(sql)) {
        log_error("out of memory");
        return false;
    }
    log_debug("%s", sql->data);
    return pg_conn_exec(c, sql->data);
}

/* grants: a string (comma-separated) or an array of strings */
static bool each_grant(pg_conn *c, const cJSON *grants, const char *fmt_prefix, const char *object)
{
    if (!grants)
        return true;
    char one[256];
    const cJSON *items[64];
    size_t n = 0;
    if (cJSON_IsArray(grants)) {
        const cJSON *e;
        cJSON_ArrayForEach(e, grants)
        {
            if (cJSON_IsString(e) && n < 64)
                items[n++] = e;
        }
    }
    buf sql = BUF_INIT;
    bool ok = true;
    if (cJSON_IsString(grants)) {
        const char *p = grants->valuestring;
        while (ok && *p) {
            const char *comma = strchr(p, ',');
            size_t len = comma ? (size_t)(comma - p) : strlen(p);
            while (len && (*p == ' ')) {
                p++;
                len--;
            }
            while (len && p[len - 1] == ' ')
                len--;
            if (len && len < sizeof(one)) {
                memcpy(one, p, len);
                one[len] = '\0';
                buf_reset(&sql);
                buf_appendf(&sql, "%s %s TO ", fmt_prefix, object);
                pg_conn_quote_ident(&sql, one);
                ok = exec_sql(c, &sql);
            }
            if (!comma)
                break;
            p = comma + 1;
        }
    }
    for (size_t i = 0; ok && i < n; i++) {
        buf_reset(&sql);
        buf_appendf(&sql, "%s %s TO ", fmt_prefix, object);
        pg_conn_quote_ident(&sql, items[i]->valuestring);
        ok = exec_sql(c, &sql);
    }
    buf_term(&sql);
    return ok;
}

/* create_index: CREATE INDEX IF NOT EXISTS i_<table>_<columns> on cols_csv (comma-separated
   column names), partial WHERE predicate when not NULL */
static bool create_index(pg_conn *c, const table_def *d, const char *cols_csv,
                         const char *predicate)
{
    char raw[512];
    snprintf(raw, sizeof(raw), "i_%s_%s", d->target.table, cols_csv);
    for (char *p = raw; *p; p++)
        if (*p == ',' || *p == ' ')
            *p = '_';
    char iname[NAMING_MAX + 1];
    naming_column(raw, strlen(raw), iname);
    buf sql = BUF_INIT;
    buf_append_lit(&sql, "CREATE INDEX IF NOT EXISTS ");
    pg_conn_quote_ident(&sql, iname);
    buf_appendf(&sql, " ON %s (", d->qname);
    const char *p = cols_csv;
    bool first = true;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        while (len && *p == ' ') {
            p++;
            len--;
        }
        while (len && p[len - 1] == ' ')
            len--;
        if (len) {
            char col[NAMING_MAX + 1];
            naming_column(p, len, col);
            if (!first)
                buf_append_lit(&sql, ", ");
            first = false;
            pg_conn_quote_ident(&sql, col);
        }
        if (!comma)
            break;
        p = comma + 1;
    }
    buf_putc(&sql, ')');
    if (predicate)
        buf_appendf(&sql, " WHERE %s", predicate);
    bool ok = first ? true : exec_sql(c, &sql);
    buf_term(&sql);
    return ok;
}

static bool set_types_from_kinds(const table_def *d, stream_table_cache *cache)
{
    stream_cache_clear(cache);
    cache->types = calloc(d->cs.ncols ? d->cs.ncols : 1, sizeof(char *));
    if (!cache->types)
        return false;
    cache->ntypes = d->cs.ncols;
    for (size_t i = 0; i < d->cs.ncols; i++) {
        cache->types[i] = strdup(flatten_col_sql(&d->cs.cols[i]));
        if (!cache->types[i])
            return false;
    }
    return true;
}

bool table_sync(pg_conn *c, const table_def *d, stream_table_cache *cache, bool hard_delete,
                bool primary_key)
{
    if (cache->synced && cache->fingerprint == d->cs.fingerprint)
        return true;
    cache->synced = false;
    const char *params[2] = {d->target.schema, d->target.table};
    buf sql = BUF_INIT;
    bool ok = false;
    PGresult *res = NULL;

    /* the schema */
    res = pg_conn_query(c, "SELECT 1 FROM pg_namespace WHERE nspname = $1", 1, params);
    if (!res)
        goto done;
    bool have_schema = PQntuples(res) > 0;
    PQclear(res);
    res = NULL;
    if (!have_schema) {
        /* two workers may create the same schema: serialise them */
        res = pg_conn_query(c, "SELECT pg_advisory_xact_lock(7311, hashtext($1))", 1, params);
        if (!res)
            goto done;
        PQclear(res);
        res = NULL;
        buf_append_lit(&sql, "CREATE SCHEMA IF NOT EXISTS ");
        pg_conn_quote_ident(&sql, d->target.schema);
        if (!exec_sql(c, &sql))
            goto done;
        buf_reset(&sql);
        pg_conn_quote_ident(&sql, d->target.schema);
        buf_putc(&sql, '\0');
        if (!each_grant(c, d->target.grants, "GRANT USAGE ON SCHEMA", sql.data))
            goto done;
        log_info("created schema %s", sql.data);
        buf_reset(&sql);
    }

    /* the table */
    res = pg_conn_query(
        c,
        "SELECT a.attnum, a.attname, format_type(a.atttypid, a.atttypmod), t.typname, "
        "c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
        "JOIN pg_type t ON t.oid = a.atttypid "
        "WHERE n.nspname = $1 AND c.relname = $2 ORDER BY a.attnum",
        2, params);
    if (!res)
        goto done;
    int nrows = PQntuples(res);
    if (nrows == 0) {
        PQclear(res);
        res = NULL;
        buf_appendf(&sql, "CREATE TABLE IF NOT EXISTS %s (", d->qname);
        for (size_t i = 0; i < d->cs.ncols; i++) {
            if (i)
                buf_append_lit(&sql, ", ");
            pg_conn_quote_ident(&sql, d->cs.cols[i].name);
            buf_putc(&sql, ' ');
            buf_appends(&sql, flatten_col_sql(&d->cs.cols[i]));
        }
        if (d->cs.nkeys && primary_key) {
            buf_append_lit(&sql, ", PRIMARY KEY (");
            for (size_t k = 0; k < d->cs.nkeys; k++) {
                if (k)
                    buf_append_lit(&sql, ", ");
                pg_conn_quote_ident(&sql, d->cs.cols[d->cs.keys[k]].name);
            }
            buf_putc(&sql, ')');
        }
        buf_putc(&sql, ')');
        if (!exec_sql(c, &sql))
            goto done;
        if (!each_grant(c, d->target.grants, "GRANT SELECT ON", d->qname))
            goto done;
        if (d->target.indices) {
            const cJSON *e;
            cJSON_ArrayForEach(e, d->target.indices)
            {
                if (cJSON_IsString(e) && !create_index(c, d, e->valuestring, NULL))
                    goto done;
            }
        }
        /* pipelinewise's index on _sdc_deleted_at, partial: with hard_delete the table keeps no
           deleted row, so a full index would hold every row (one more entry written by each
           insert and each update that is not HOT) for no query; this one stays empty */
        if (hard_delete &&
            !create_index(c, d, "_sdc_deleted_at", "\"_sdc_deleted_at\" IS NOT NULL"))
            goto done;
        log_info("created table %s (%zu columns)", d->qname, d->cs.ncols);
        if (!set_types_from_kinds(d, cache))
            goto done;
        cache->has_unique_key = d->cs.nkeys > 0 && primary_key;
    } else {
        char oid[24];
        snprintf(oid, sizeof(oid), "%s", PQgetvalue(res, 0, 4));
        stream_cache_clear(cache);
        cache->types = calloc(d->cs.ncols ? d->cs.ncols : 1, sizeof(char *));
        if (!cache->types)
            goto done;
        cache->ntypes = d->cs.ncols;
        int *keynums = calloc(d->cs.nkeys ? d->cs.nkeys : 1, sizeof(int));
        if (!keynums)
            goto done;
        for (size_t i = 0; i < d->cs.ncols; i++) {
            const tcolumn *col = &d->cs.cols[i];
            int r;
            for (r = 0; r < nrows; r++)
                if (strcmp(PQgetvalue(res, r, 1), col->name) == 0)
                    break;
            buf_reset(&sql);
            const char *type_now;
            if (r == nrows) {
                buf_appendf(&sql, "ALTER TABLE %s ADD COLUMN ", d->qname);
                pg_conn_quote_ident(&sql, col->name);
                buf_putc(&sql, ' ');
                buf_appends(&sql, flatten_col_sql(col));
                if (!exec_sql(c, &sql)) {
                    free(keynums);
                    goto done;
                }
                log_info("added column %s to %s", col->name, d->qname);
                type_now = flatten_col_sql(col);
            } else {
                const char *widen = table_sync_widen_col(PQgetvalue(res, r, 3), col);
                if (widen) {
                    buf_appendf(&sql, "ALTER TABLE %s ALTER COLUMN ", d->qname);
                    pg_conn_quote_ident(&sql, col->name);
                    buf_appendf(&sql, " TYPE %s USING ", widen);
                    pg_conn_quote_ident(&sql, col->name);
                    buf_appendf(&sql, "::%s", widen);
                    if (!exec_sql(c, &sql)) {
                        free(keynums);
                        goto done;
                    }
                    log_info("widened column %s of %s from %s to %s", col->name, d->qname,
                             PQgetvalue(res, r, 2), widen);
                    type_now = widen;
                } else {
                    type_now = PQgetvalue(res, r, 2);
                }
                for (size_t k = 0; k < d->cs.nkeys; k++)
                    if (d->cs.keys[k] == (int)i)
                        keynums[k] = (int)strtol(PQgetvalue(res, r, 0), NULL, 10);
            }
            cache->types[i] = strdup(type_now);
            if (!cache->types[i]) {
                free(keynums);
                goto done;
            }
        }
        PQclear(res);
        res = NULL;
        cache->has_unique_key = false;
        if (d->cs.nkeys) {
            const char *p1[1] = {oid};
            res = pg_conn_query(c,
                                "SELECT indkey::text FROM pg_index WHERE indrelid = $1::oid AND "
                                "indisunique AND indpred IS NULL AND indexprs IS NULL",
                                1, p1);
            if (!res) {
                free(keynums);
                goto done;
            }
            for (int r = 0; r < PQntuples(res) && !cache->has_unique_key; r++) {
                /* "2 1": attnums of the index; the same set as the keys? */
                const char *s = PQgetvalue(res, r, 0);
                size_t count = 0;
                bool all = true;
                char *end;
                while (*s) {
                    long v = strtol(s, &end, 10);
                    if (end == s)
                        break;
                    s = end;
                    count++;
                    bool found = false;
                    for (size_t k = 0; k < d->cs.nkeys; k++)
                        if (keynums[k] == v)
                            found = true;
                    all = all && found;
                }
                cache->has_unique_key = all && count == d->cs.nkeys;
            }
            PQclear(res);
            res = NULL;
        }
        free(keynums);
    }
    cache->synced = true;
    cache->fingerprint = d->cs.fingerprint;
    ok = true;
done:
    PQclear(res);
    buf_term(&sql);
    return ok;
}
