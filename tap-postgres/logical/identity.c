#include "identity.h"

#include <stdlib.h>
#include <string.h>

#include "exit_codes.h"
#include "log.h"

/* stream_tables: the streams' schema and table names as two text[] literals, in stream order
   (the queries below unnest them WITH ORDINALITY); false after logging (out of memory) */
static bool stream_tables(sl_run *L, buf *schemas, buf *names)
{
    buf_putc(schemas, '{');
    buf_putc(names, '{');
    for (size_t i = 0; i < L->n; i++) {
        pg_conn_array_elem(schemas, L->streams[i].src->schema_name, i == 0);
        pg_conn_array_elem(names, L->streams[i].src->table_name, i == 0);
    }
    buf_putc(schemas, '}');
    buf_putc(names, '}');
    if (buf_ok(schemas) && buf_ok(names))
        return true;
    buf_term(schemas);
    buf_term(names);
    log_error("out of memory");
    return false;
}

/*
 * identity_check: warn about replica identities that lose changes: none at
 * all with wal2json (it sends no UPDATE and no DELETE of such a table;
 * pgoutput refuses to publish it, see logical_slot_publication_ensure), and an
 * identity index that does not hold the stream's key (a DELETE cannot name
 * its row, a key change is not seen). Partitioned tables are left alone (each
 * partition has its own identity).
 */
bool identity_check(sl_run *L)
{
    buf schemas = BUF_INIT, names = BUF_INIT;
    if (!stream_tables(L, &schemas, &names))
        return fail(L, EXIT_INTERNAL);
    const char *params[2] = {schemas.data, names.data};
    PGresult *res = pg_conn_query(
        L->c,
        "SELECT t.i::int - 1, c.relreplident, "
        "EXISTS (SELECT 1 FROM pg_index x WHERE x.indrelid = c.oid AND x.indisprimary), "
        "ri.indexname, ri.attname "
        "FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(s, r, i) "
        "JOIN pg_namespace n ON n.nspname = t.s "
        "JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = t.r AND c.relkind = 'r' "
        "LEFT JOIN LATERAL (SELECT x.indexrelid::regclass::text AS indexname, a.attname "
        "  FROM pg_index x LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid "
        "  AND a.attnum = ANY (x.indkey) WHERE x.indrelid = c.oid AND x.indisreplident) ri "
        "ON c.relreplident = 'i' "
        "ORDER BY 1",
        2, params);
    buf_term(&schemas);
    buf_term(&names);
    if (!res)
        return fail(L, EXIT_SOURCE_DB);
    int rows = PQntuples(res);
    for (int r = 0; r < rows;) {
        int si = (int)strtol(PQgetvalue(res, r, 0), NULL, 10);
        int end = r;
        while (end < rows && strcmp(PQgetvalue(res, end, 0), PQgetvalue(res, r, 0)) == 0)
            end++;
        if (si < 0 || (size_t)si >= L->n) {
            r = end;
            continue;
        }
        const tap_stream *src = L->streams[si].src;
        char ident = PQgetvalue(res, r, 1)[0];
        bool pk = strcmp(PQgetvalue(res, r, 2), "t") == 0;
        bool index = !PQgetisnull(res, r, 3);
        if (ident == 'n' || (ident == 'd' && !pk) || (ident == 'i' && !index)) {
            if (L->w2j)
                log_warn("table \"%s\".\"%s\" has no replica identity: wal2json sends none of "
                         "its UPDATEs and DELETEs (they are lost for stream \"%s\"); add a "
                         "primary key or run ALTER TABLE \"%s\".\"%s\" REPLICA IDENTITY FULL;",
                         src->schema_name, src->table_name, src->tap_stream_id, src->schema_name,
                         src->table_name);
        } else if (ident == 'i') {
            for (size_t k = 0; k < src->nkeys; k++) {
                bool held = false;
                for (int j = r; j < end && !held; j++)
                    held = !PQgetisnull(res, j, 4) &&
                           strcmp(PQgetvalue(res, j, 4), src->key_properties[k]) == 0;
                if (held)
                    continue;
                log_warn("the replica identity of table \"%s\".\"%s\" (index %s) does not hold "
                         "its key column \"%s\": its DELETEs cannot name their row and are "
                         "skipped, and a change of its key is not seen; run ALTER TABLE "
                         "\"%s\".\"%s\" REPLICA IDENTITY DEFAULT; (or FULL)",
                         src->schema_name, src->table_name, PQgetvalue(res, r, 3),
                         src->key_properties[k], src->schema_name, src->table_name);
                break;
            }
        }
        r = end;
    }
    PQclear(res);
    return true;
}

/*
 * identity_check_descendants: a partition's or inheritance child's UPDATE
 * and DELETE reach an ancestor's stream only when the server logs the
 * ancestor stream's key with them: the child's replica identity must be FULL
 * or hold every key column of the stream (inheritance does not carry primary
 * keys to children). Else that stream's deletes could not name their rows
 * and it would diverge from its table: the combination is refused (exit 3)
 * with the fix.
 */
bool identity_check_descendants(sl_run *L)
{
    buf schemas = BUF_INIT, names = BUF_INIT, idx = BUF_INIT;
    buf_putc(&schemas, '{');
    buf_putc(&names, '{');
    buf_putc(&idx, '{');
    size_t npairs = 0;
    for (size_t i = 0; i < L->names.n; i++) {
        const relmap_entry *e = &L->names.entries[i];
        if (e->relkind != 'r')
            continue;
        for (int k = 0; k < e->count; k++) {
            const relmap_target *t = &L->targets[e->first + (size_t)k];
            if (t->own)
                continue;
            char schema[256];
            relmap_key_schema(e->key, schema, sizeof(schema));
            pg_conn_array_elem(&schemas, schema, npairs == 0);
            pg_conn_array_elem(&names, e->key + strcspn(e->key, "\x1f") + 1, npairs == 0);
            buf_appendf(&idx, "%s%d", npairs ? "," : "", t->stream);
            npairs++;
        }
    }
    buf_putc(&schemas, '}');
    buf_putc(&names, '}');
    buf_putc(&idx, '}');
    bool ok = buf_ok(&schemas) && buf_ok(&names) && buf_ok(&idx);
    PGresult *res = NULL;
    if (!ok) {
        log_error("out of memory");
        fail(L, EXIT_INTERNAL);
    } else if (npairs) {
        const char *params[3] = {schemas.data, names.data, idx.data};
        res = pg_conn_query(L->c,
                            "SELECT t.i, n.nspname, c.relname, c.relreplident, "
                            "(SELECT string_agg(a.attname::text, E'\\x1f') FROM pg_index x "
                            "JOIN pg_attribute a ON a.attrelid = x.indrelid "
                            "AND a.attnum = ANY (x.indkey) WHERE x.indrelid = c.oid AND "
                            "CASE c.relreplident WHEN 'd' THEN x.indisprimary "
                            "WHEN 'i' THEN x.indisreplident ELSE false END) "
                            "FROM unnest($1::text[], $2::text[], $3::int[]) AS t(s, r, i) "
                            "JOIN pg_namespace n ON n.nspname = t.s "
                            "JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = t.r "
                            "ORDER BY 1, 2, 3",
                            3, params);
        if (!res)
            ok = fail(L, EXIT_SOURCE_DB);
    }
    buf_term(&schemas);
    buf_term(&names);
    buf_term(&idx);
    bool refused = false;
    for (int r = 0; ok && res && r < PQntuples(res); r++) {
        long si = strtol(PQgetvalue(res, r, 0), NULL, 10);
        if (si < 0 || (size_t)si >= L->n)
            continue;
        const tap_stream *src = L->streams[si].src;
        const char *sch = PQgetvalue(res, r, 1), *tab = PQgetvalue(res, r, 2);
        if (PQgetvalue(res, r, 3)[0] == 'f')
            continue;
        const char *cols = PQgetisnull(res, r, 4) ? NULL : PQgetvalue(res, r, 4);
        const char *missing = NULL;
        for (size_t k = 0; k < src->nkeys && cols && !missing; k++) {
            const char *key = src->key_properties[k];
            size_t kl = strlen(key);
            bool held = false;
            for (const char *p = cols; *p && !held;) {
                size_t l = strcspn(p, "\x1f");
                held = l == kl && memcmp(p, key, kl) == 0;
                p += l + (p[l] ? 1 : 0);
            }
            if (!held)
                missing = key;
        }
        if (cols && !missing)
            continue;
        if (!cols && !src->nkeys) {
            /* a stream without a key: as for its own table (identity_check), a warning */
            if (strcmp(L->plugin, "wal2json") == 0)
                log_warn("table \"%s\".\"%s\" has no replica identity: wal2json sends none of "
                         "its UPDATEs and DELETEs (they are lost for stream \"%s\"); add a "
                         "primary key or run ALTER TABLE \"%s\".\"%s\" REPLICA IDENTITY FULL;",
                         sch, tab, src->tap_stream_id, sch, tab);
            continue;
        }
        if (!cols)
            log_error("stream \"%s\" reads the rows of \"%s\".\"%s\" (a partition or "
                      "inheritance child of its table), which has no replica identity: its "
                      "UPDATEs and DELETEs could not reach the stream, which would diverge from "
                      "its table; run ALTER TABLE \"%s\".\"%s\" REPLICA IDENTITY FULL; (or give "
                      "it a primary key on the stream's key), or do not select the stream",
                      src->tap_stream_id, sch, tab, sch, tab);
        else
            log_error("stream \"%s\" reads the rows of \"%s\".\"%s\" (a partition or "
                      "inheritance child of its table), whose replica identity does not hold "
                      "the stream's key column \"%s\": its DELETEs could not name their row in "
                      "the stream, which would diverge from its table; run ALTER TABLE "
                      "\"%s\".\"%s\" REPLICA IDENTITY FULL; (or give it a primary key on the "
                      "stream's key), or do not select the stream",
                      src->tap_stream_id, sch, tab, missing, sch, tab);
        refused = true;
    }
    PQclear(res);
    if (ok && refused)
        ok = fail(L, EXIT_BAD_CONFIG);
    return ok;
}

/*
 * identity_warn_generated: logical decoding carries no value of a virtual generated
 * column (PostgreSQL 18: wal2json writes null, pgoutput leaves it out), and
 * pgoutput publishes no stored generated column unless the publication has
 * publish_generated_columns = stored (PostgreSQL 18; none before). The
 * initial copy has their values; the records of changes do not: say so per
 * stream and synced column.
 */
bool identity_warn_generated(sl_run *L)
{
    buf schemas = BUF_INIT, names = BUF_INIT;
    if (!stream_tables(L, &schemas, &names))
        return fail(L, EXIT_INTERNAL);
    bool pg18 = pg_conn_server_version(L->c) >= 180000;
    const char *params[3] = {schemas.data, names.data, L->publication};
    PGresult *res = pg_conn_query(
        L->c,
        pg18 ? "SELECT t.i::int - 1, a.attname, a.attgenerated, COALESCE((SELECT p.pubgencols = "
               "'s' FROM pg_publication p WHERE p.pubname = $3), false) "
               "FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(s, r, i) "
               "JOIN pg_namespace n ON n.nspname = t.s "
               "JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = t.r "
               "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 "
               "AND NOT a.attisdropped AND a.attgenerated <> '' ORDER BY 1, a.attnum"
             : "SELECT t.i::int - 1, a.attname, a.attgenerated, $3::text IS NULL "
               "FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(s, r, i) "
               "JOIN pg_namespace n ON n.nspname = t.s "
               "JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = t.r "
               "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 "
               "AND NOT a.attisdropped AND a.attgenerated <> '' ORDER BY 1, a.attnum",
        3, params);
    buf_term(&schemas);
    buf_term(&names);
    if (!res)
        return fail(L, EXIT_SOURCE_DB);
    for (int r = 0; r < PQntuples(res); r++) {
        int si = (int)strtol(PQgetvalue(res, r, 0), NULL, 10);
        if (si < 0 || (size_t)si >= L->n)
            continue;
        const tap_stream *src = L->streams[si].src;
        const char *col = PQgetvalue(res, r, 1);
        bool synced = false;
        for (size_t k = 0; k < src->ncolumns && !synced; k++)
            synced = strcmp(src->columns[k].name, col) == 0;
        if (!synced)
            continue;
        if (PQgetvalue(res, r, 2)[0] == 'v')
            log_warn("stream \"%s\": column \"%s\" is a virtual generated column, whose values "
                     "logical decoding does not carry: the records of changes %s (the initial "
                     "copy has its values)",
                     src->tap_stream_id, col,
                     L->w2j ? "have null for it (wal2json)" : "leave it out (pgoutput)");
        else if (L->pgo && strcmp(PQgetvalue(res, r, 3), "t") != 0)
            log_warn("stream \"%s\": column \"%s\" is a stored generated column, which pgoutput "
                     "does not publish%s: the records of changes leave it out (the initial copy "
                     "has its values; wal2json sends them)",
                     src->tap_stream_id, col,
                     pg18 ? " unless the publication has publish_generated_columns = stored"
                          : " before PostgreSQL 18");
    }
    PQclear(res);
    return true;
}
