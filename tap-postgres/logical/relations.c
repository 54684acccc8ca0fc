#include "relations.h"

#include <stdlib.h>
#include <string.h>

#include "exit_codes.h"
#include "log.h"

bool relations_add_target(sl_run *L, int stream, bool own)
{
    if (L->ntargets == L->cap_targets) {
        size_t cap = L->cap_targets ? L->cap_targets * 2 : 64;
        relmap_target *grown = realloc(L->targets, cap * sizeof(*grown));
        if (!grown) {
            log_error("out of memory");
            return fail(L, EXIT_INTERNAL);
        }
        L->targets = grown;
        L->cap_targets = cap;
    }
    L->targets[L->ntargets].stream = stream;
    L->targets[L->ntargets].own = own;
    L->ntargets++;
    return true;
}

/*
 * relations_resolve: the streams a relation's changes go to, as
 * L->targets[*first .. *first + *count) (*count 0: none of ours). False after a
 * failed query (logged, fail code set). A relation not in the map may be a
 * partition or inheritance child created since the start: every selected
 * ancestor of it (pg_inherits, which holds both) reads its rows. The answer
 * is cached.
 */
bool relations_resolve(sl_run *L, const char *schema, const char *table, size_t *first, int *count)
{
    relmap_entry *e = relmap_find(&L->names, schema, table);
    if (e) {
        *first = e->first;
        *count = e->count;
        return true;
    }
    *first = L->ntargets;
    *count = 0;
    if (L->has_descendants) {
        const char *params[2] = {schema, table};
        PGresult *res = pg_conn_query(L->c,
                                      "WITH RECURSIVE a(relid) AS ("
                                      "SELECT h.inhparent FROM pg_inherits h "
                                      "JOIN pg_class c ON c.oid = h.inhrelid "
                                      "JOIN pg_namespace n ON n.oid = c.relnamespace "
                                      "WHERE n.nspname = $1 AND c.relname = $2 "
                                      "UNION SELECT h.inhparent FROM a "
                                      "JOIN pg_inherits h ON h.inhrelid = a.relid) "
                                      "SELECT n.nspname, c.relname FROM a "
                                      "JOIN pg_class c ON c.oid = a.relid "
                                      "JOIN pg_namespace n ON n.oid = c.relnamespace",
                                      2, params);
        if (!res)
            return fail(L, EXIT_SOURCE_DB);
        bool ok = true;
        for (int r = 0; r < PQntuples(res) && ok; r++) {
            const relmap_entry *anc =
                relmap_find(&L->names, PQgetvalue(res, r, 0), PQgetvalue(res, r, 1));
            for (int k = 0; anc && k < anc->count && ok; k++) {
                const relmap_target *t = &L->targets[anc->first + (size_t)k];
                if (t->own)
                    ok = relations_add_target(L, t->stream, false);
            }
        }
        PQclear(res);
        if (!ok)
            return false;
        *count = (int)(L->ntargets - *first);
    }
    if (!relmap_put(&L->names, schema, table, *first, *count)) {
        log_error("out of memory");
        return fail(L, EXIT_INTERNAL);
    }
    return true;
}

PGresult *relations_descendants(sl_run *L, size_t first, size_t count)
{
    buf schemas = BUF_INIT, names = BUF_INIT;
    buf_putc(&schemas, '{');
    buf_putc(&names, '{');
    for (size_t i = first; i < first + count && i < L->n; i++) {
        pg_conn_array_elem(&schemas, L->streams[i].src->schema_name, i == first);
        pg_conn_array_elem(&names, L->streams[i].src->table_name, i == first);
    }
    buf_putc(&schemas, '}');
    buf_putc(&names, '}');
    if (!buf_ok(&schemas) || !buf_ok(&names)) {
        buf_term(&schemas);
        buf_term(&names);
        log_error("out of memory");
        fail(L, EXIT_INTERNAL);
        return NULL;
    }
    const char *params[2] = {schemas.data, names.data};
    PGresult *res = pg_conn_query(L->c,
                                  "WITH RECURSIVE d(i, relid) AS ("
                                  "SELECT t.i, c.oid FROM unnest($1::text[], $2::text[]) "
                                  "WITH ORDINALITY AS t(s, r, i) "
                                  "JOIN pg_namespace n ON n.nspname = t.s "
                                  "JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = t.r "
                                  "UNION SELECT d.i, h.inhrelid FROM d "
                                  "JOIN pg_inherits h ON h.inhparent = d.relid) "
                                  "SELECT d.i::int - 1, n.nspname, c.relname, c.relkind, "
                                  "c.relispartition FROM d JOIN pg_class c ON c.oid = d.relid "
                                  "JOIN pg_namespace n ON n.oid = c.relnamespace "
                                  "ORDER BY 2, 3, 1",
                                  2, params);
    buf_term(&schemas);
    buf_term(&names);
    if (!res)
        fail(L, EXIT_SOURCE_DB);
    return res;
}

/*
 * relations_build_map: every relation whose rows a stream reads, with the streams
 * that read it: each stream's own table, and every partition and inheritance
 * child below it (pg_inherits holds both, at every level): a plain SELECT
 * FROM a parent or partitioned table returns their rows, so the stream gets
 * their changes too. One relation may so feed several streams (a partition
 * selected with its root, an inheritance parent with its child). Relations
 * created later are resolved when they appear (relations_resolve).
 */
bool relations_build_map(sl_run *L)
{
    PGresult *res = relations_descendants(L, 0, L->n);
    if (!res)
        return false;
    bool ok = true;
    int rows = PQntuples(res);
    for (int r = 0; r < rows && ok;) {
        const char *sch = PQgetvalue(res, r, 1), *tab = PQgetvalue(res, r, 2);
        size_t first = L->ntargets;
        int end = r;
        for (; end < rows && ok && strcmp(PQgetvalue(res, end, 1), sch) == 0 &&
               strcmp(PQgetvalue(res, end, 2), tab) == 0;
             end++) {
            long si = strtol(PQgetvalue(res, end, 0), NULL, 10);
            if (si < 0 || (size_t)si >= L->n)
                continue;
            const tap_stream *src = L->streams[si].src;
            bool own = strcmp(src->schema_name, sch) == 0 && strcmp(src->table_name, tab) == 0;
            /* a partitioned table without partitions yet gets some later */
            if (!own || PQgetvalue(res, end, 3)[0] == 'p') {
                L->streams[si].has_descendants = true;
                L->has_descendants = true;
            }
            ok = relations_add_target(L, (int)si, own);
        }
        if (ok && !relmap_put(&L->names, sch, tab, first, (int)(L->ntargets - first))) {
            log_error("out of memory");
            ok = fail(L, EXIT_INTERNAL);
        }
        if (ok) {
            relmap_entry *e = relmap_find(&L->names, sch, tab);
            e->relkind = PQgetvalue(res, r, 3)[0];
            e->inherited = strcmp(PQgetvalue(res, r, 4), "t") != 0;
        }
        r = end;
    }
    PQclear(res);
    /* a stream whose table was not found still owns its name (its changes are its own) */
    for (size_t i = 0; i < L->n && ok; i++) {
        const tap_stream *s = L->streams[i].src;
        if (relmap_find(&L->names, s->schema_name, s->table_name))
            continue;
        size_t first = L->ntargets;
        ok = relations_add_target(L, (int)i, true);
        if (ok && !relmap_put(&L->names, s->schema_name, s->table_name, first, 1)) {
            log_error("out of memory");
            ok = fail(L, EXIT_INTERNAL);
        }
    }
    return ok;
}
