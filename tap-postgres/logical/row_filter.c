#include "row_filter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"

struct row_filter {
    const cJSON *clauses; /* borrowed: the config's array */
    char stream_id[256];
    char table[128];
    char stmt[48]; /* the prepared statement's name */
    bool prepared; /* on backend pid, for generation and ncols */
    int pid;
    unsigned generation;
    size_t ncols;
    buf sql;             /* owned: the statement's text */
    buf values;          /* owned: the parameters, each NUL-terminated */
    size_t *offsets;     /* malloc'ed, cap: where each parameter starts in values */
    const char **params; /* malloc'ed, cap */
    size_t cap;
    long long kept, dropped;
};

row_filter *row_filter_create(const cJSON *clauses, const char *stream_id, const char *table)
{
    static unsigned serial;
    row_filter *f = calloc(1, sizeof(*f));
    if (!f) {
        log_error("out of memory");
        return NULL;
    }
    f->clauses = clauses;
    snprintf(f->stream_id, sizeof(f->stream_id), "%s", stream_id);
    snprintf(f->table, sizeof(f->table), "%s", table);
    snprintf(f->stmt, sizeof(f->stmt), "tap_row_filter_%u", ++serial);
    buf_init(&f->sql);
    buf_init(&f->values);
    return f;
}

void row_filter_destroy(row_filter *f)
{
    if (!f)
        return;
    buf_term(&f->sql);
    buf_term(&f->values);
    free(f->offsets);
    free(f->params);
    free(f);
}

void row_filter_counts(const row_filter *f, long long *kept, long long *dropped)
{
    *kept = f ? f->kept : 0;
    *dropped = f ? f->dropped : 0;
}

/* the statement for these columns, prepared on c */
static bool prepare(row_filter *f, pg_conn *c, size_t ncols, const char *const *names,
                    const char *const *types)
{
    buf *s = &f->sql;
    buf_reset(s);
    buf_append_lit(s, "SELECT coalesce(");
    const cJSON *cl;
    bool first = true;
    cJSON_ArrayForEach(cl, f->clauses)
    {
        buf_appends(s, first ? "(" : " AND (");
        buf_appends(s, cl->valuestring);
        buf_putc(s, ')');
        first = false;
    }
    buf_append_lit(s, ", false) FROM (SELECT ");
    int n = 0;
    for (size_t i = 0; i < ncols; i++) {
        if (!names[i] || !types[i] || !*types[i])
            continue; /* not a column of the table (a partition's own, one dropped since) */
        if (n > 0)
            buf_append_lit(s, ", ");
        buf_appendf(s, "$%d::", ++n);
        buf_appends(s, types[i]);
        buf_append_lit(s, " AS ");
        pg_conn_quote_ident(s, names[i]);
    }
    if (n == 0)
        buf_append_lit(s, "1 AS \"?column?\"");
    buf_append_lit(s, ") AS ");
    pg_conn_quote_ident(s, f->table);
    if (!buf_ok(s)) {
        log_error("out of memory");
        return false;
    }
    if (f->prepared && f->pid == PQbackendPID(c->conn)) {
        char dealloc[80];
        snprintf(dealloc, sizeof(dealloc), "DEALLOCATE %s", f->stmt);
        PGresult *r = pg_conn_exec_raw(c, dealloc);
        PQclear(r);
    }
    f->prepared = false;
    if (!PQsendPrepare(c->conn, f->stmt, s->data, 0, NULL)) {
        log_error("stream \"%s\": custom_where_clauses: cannot prepare the filter: %s",
                  f->stream_id, PQerrorMessage(c->conn));
        return false;
    }
    PGresult *r = pg_conn_get_result(c);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) {
        char line[512];
        pg_conn_first_line(r ? PQresultErrorMessage(r) : PQerrorMessage(c->conn), line,
                           sizeof(line));
        log_error("stream \"%s\": custom_where_clauses do not apply to the table's columns as "
                  "the changes carry them: %s",
                  f->stream_id, line);
    }
    PQclear(r);
    while ((r = pg_conn_get_result(c)) != NULL)
        PQclear(r);
    if (!ok)
        return false;
    f->prepared = true;
    f->pid = PQbackendPID(c->conn);
    return true;
}

bool row_filter_match(row_filter *f, pg_conn *c, unsigned generation, size_t ncols,
                      const char *const *names, const char *const *types,
                      const change_value *const *vals, bool *match)
{
    if (!f->prepared || f->pid != PQbackendPID(c->conn) || f->generation != generation ||
        f->ncols != ncols) {
        if (!prepare(f, c, ncols, names, types))
            return false;
        f->generation = generation;
        f->ncols = ncols;
    }
    if (ncols > f->cap) {
        size_t *o = realloc(f->offsets, ncols * sizeof(*o));
        if (o)
            f->offsets = o;
        const char **p = realloc(f->params, ncols * sizeof(*p));
        if (p)
            f->params = p;
        if (!o || !p) {
            log_error("out of memory");
            return false;
        }
        f->cap = ncols;
    }
    /* the values first (the buffer may move), then the pointers into it */
    buf_reset(&f->values);
    int n = 0;
    for (size_t i = 0; i < ncols; i++) {
        if (!names[i] || !types[i] || !*types[i])
            continue;
        const change_value *v = vals[i];
        if (v && v->kind == CHANGE_VALUE_TEXT) {
            f->offsets[n] = f->values.len;
            buf_append(&f->values, v->text, v->len);
            buf_putc(&f->values, '\0');
        } else {
            f->offsets[n] = (size_t)-1; /* NULL */
        }
        n++;
    }
    if (!buf_ok(&f->values)) {
        log_error("out of memory");
        return false;
    }
    for (int i = 0; i < n; i++)
        f->params[i] = f->offsets[i] == (size_t)-1 ? NULL : f->values.data + f->offsets[i];
    if (!PQsendQueryPrepared(c->conn, f->stmt, n, f->params, NULL, NULL, 0)) {
        log_error("stream \"%s\": custom_where_clauses: cannot evaluate: %s", f->stream_id,
                  PQerrorMessage(c->conn));
        return false;
    }
    PGresult *r = pg_conn_get_result(c);
    bool ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
    if (ok) {
        *match = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
        if (*match)
            f->kept++;
        else
            f->dropped++;
    } else {
        char line[512];
        pg_conn_first_line(r ? PQresultErrorMessage(r) : PQerrorMessage(c->conn), line,
                           sizeof(line));
        log_error("stream \"%s\": custom_where_clauses: evaluating a change failed: %s",
                  f->stream_id, line);
    }
    PQclear(r);
    while ((r = pg_conn_get_result(c)) != NULL)
        PQclear(r);
    return ok;
}
