#include "discovery.h"

#include "json_writer.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

/*
 * The filter shared by the three queries: user relations of the kinds we
 * replicate; $1 limits the schemas, $2/$3 name relations (schema, name).
 */
#define REL_FILTER                                                                                 \
    " c.relkind IN ('r','p','v','m')"                                                              \
    " AND n.nspname NOT IN ('pg_catalog','information_schema')"                                    \
    " AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'"                                            \
    " AND ($1::text[] IS NULL OR n.nspname = ANY($1::text[]))"                                     \
    " AND ($2::text[] IS NULL OR (n.nspname, c.relname) IN "                                       \
    "      (SELECT * FROM unnest($2::text[], $3::text[])))"

static const char sql_tables[] =
    "SELECT c.oid, n.nspname, c.relname, c.relkind, c.reltuples::bigint,"
    " (SELECT i.indkey::text FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary LIMIT 1)"
    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE" REL_FILTER " ORDER BY n.nspname, c.relname";

static const char sql_columns[] =
    "SELECT a.attrelid, a.attname, a.attnum, a.atttypid, a.atttypmod, a.attnotnull,"
    " format_type(a.atttypid, NULL),"
    " has_column_privilege(a.attrelid, a.attnum, 'SELECT') AND has_schema_privilege(n.oid, "
    "'USAGE'),"
    " format_type(a.atttypid, a.atttypmod)"
    " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
    " JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE a.attnum > 0 AND NOT a.attisdropped AND" REL_FILTER " ORDER BY a.attrelid, a.attnum";

/* the column types, the base types of domains and the element types of arrays; typdelim
   separates the elements of an array of the type (',' mostly, ';' for box, ':' for PostGIS) */
static const char sql_types[] =
    "WITH RECURSIVE used(oid) AS ("
    "  SELECT DISTINCT a.atttypid FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
    "  JOIN pg_namespace n ON n.oid = c.relnamespace"
    "  WHERE a.attnum > 0 AND NOT a.attisdropped AND" REL_FILTER "  UNION"
    "  SELECT v.x FROM used u JOIN pg_type t ON t.oid = u.oid,"
    "  LATERAL (VALUES (t.typbasetype), (t.typelem)) AS v(x) WHERE v.x <> 0"
    ") SELECT t.oid, t.typname, t.typtype, t.typbasetype, t.typtypmod, t.typelem, t.typcategory,"
    " t.typdelim"
    " FROM pg_type t JOIN used USING (oid) ORDER BY t.oid";

typedef struct type_row {
    unsigned int oid;
    const char *name;
    char typtype;
    unsigned int base;
    int typmod;
    unsigned int elem;
    char category;
    char delim; /* typdelim */
} type_row;

static unsigned int parse_oid(const char *s)
{
    return (unsigned int)strtoul(s, NULL, 10);
}

static int parse_int(const char *s)
{
    return (int)strtol(s, NULL, 10);
}

static const type_row *find_type(const type_row *types, size_t n, unsigned int oid)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (types[mid].oid == oid)
            return &types[mid];
        if (types[mid].oid < oid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* follow domains down to their base type; the domain's typmod applies when the column has none */
static const type_row *base_type(const type_row *types, size_t n, const type_row *t, int *typmod)
{
    for (int depth = 0; t && t->typtype == 'd' && depth < 32; depth++) {
        if (*typmod < 0)
            *typmod = t->typmod;
        t = find_type(types, n, t->base);
    }
    return t;
}

static void resolve(typemap_type *out, const type_row *types, size_t n, unsigned int oid,
                    int typmod)
{
    const type_row *t = base_type(types, n, find_type(types, n, oid), &typmod);
    if (!t) {
        typemap_resolve(out, "", 'b', false, typmod);
        return;
    }
    /* int2vector and oidvector are in the array category but print "1 2", not {1,2} */
    if (t->category == 'A' && t->elem != 0 && strcmp(t->name, "int2vector") != 0 &&
        strcmp(t->name, "oidvector") != 0) {
        const type_row *e = base_type(types, n, find_type(types, n, t->elem), &typmod);
        if (!e) {
            typemap_resolve(out, "", 'b', true, typmod);
            return;
        }
        typemap_resolve(out, e->name, e->typtype, true, typmod);
        if (e->delim)
            out->delim = e->delim; /* array_out separates elements with the element's typdelim */
        return;
    }
    typemap_resolve(out, t->name, t->typtype, false, typmod);
    typemap_set_oid(out, t->oid);
}

/* a text[] parameter value: {"a","b"} with " and \ escaped */
static void text_array(buf *out, const char *const *v, size_t n)
{
    buf_putc(out, '{');
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_putc(out, ',');
        buf_putc(out, '"');
        for (const char *p = v[i]; *p; p++) {
            if (*p == '"' || *p == '\\')
                buf_putc(out, '\\');
            buf_putc(out, *p);
        }
        buf_putc(out, '"');
    }
    buf_putc(out, '}');
}

typedef struct oid_idx {
    unsigned int oid;
    size_t idx;
} oid_idx;

static int cmp_oid_idx(const void *a, const void *b)
{
    unsigned int x = ((const oid_idx *)a)->oid, y = ((const oid_idx *)b)->oid;
    return x < y ? -1 : x > y;
}

static int cmp_table_name(const void *a, const void *b)
{
    const discovery_table *x = *(const discovery_table *const *)a,
                          *y = *(const discovery_table *const *)b;
    int r = strcmp(x->schema, y->schema);
    return r ? r : strcmp(x->name, y->name);
}

bool discovery_load(pg_conn *c, const char *const *schemas, size_t nschemas,
                    const char *const *rel_schemas, const char *const *rel_names, size_t nrel,
                    discovery_db *out)
{
    memset(out, 0, sizeof(*out));
    bool ok = false;
    buf p1 = BUF_INIT, p2 = BUF_INIT, p3 = BUF_INIT;
    type_row *types = NULL;
    oid_idx *index = NULL;
    if (nschemas)
        text_array(&p1, schemas, nschemas);
    if (nrel) {
        text_array(&p2, rel_schemas, nrel);
        text_array(&p3, rel_names, nrel);
    }
    if (!buf_ok(&p1) || !buf_ok(&p2) || !buf_ok(&p3))
        goto oom;
    const char *params[3] = {nschemas ? p1.data : NULL, nrel ? p2.data : NULL,
                             nrel ? p3.data : NULL};

    PGresult *r = pg_conn_query(c, "SELECT current_database()", 0, NULL);
    if (!r)
        goto done;
    out->dbname = strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    if (!out->dbname)
        goto oom;

    out->res_tables = pg_conn_query(c, sql_tables, 3, params);
    if (!out->res_tables)
        goto done;
    out->res_cols = pg_conn_query(c, sql_columns, 3, params);
    if (!out->res_cols)
        goto done;
    out->res_types = pg_conn_query(c, sql_types, 3, params);
    if (!out->res_types)
        goto done;

    /* types, ordered by oid */
    PGresult *rt = out->res_types;
    size_t ntypes = (size_t)PQntuples(rt);
    types = calloc(ntypes ? ntypes : 1, sizeof(*types));
    if (!types)
        goto oom;
    for (size_t i = 0; i < ntypes; i++) {
        int row = (int)i;
        types[i].oid = parse_oid(PQgetvalue(rt, row, 0));
        types[i].name = PQgetvalue(rt, row, 1);
        types[i].typtype = PQgetvalue(rt, row, 2)[0];
        types[i].base = parse_oid(PQgetvalue(rt, row, 3));
        types[i].typmod = parse_int(PQgetvalue(rt, row, 4));
        types[i].elem = parse_oid(PQgetvalue(rt, row, 5));
        types[i].category = PQgetvalue(rt, row, 6)[0];
        types[i].delim = PQgetvalue(rt, row, 7)[0];
    }

    /* tables */
    PGresult *rs = out->res_tables;
    out->ntables = (size_t)PQntuples(rs);
    out->tables = calloc(out->ntables ? out->ntables : 1, sizeof(*out->tables));
    index = calloc(out->ntables ? out->ntables : 1, sizeof(*index));
    if (!out->tables || !index)
        goto oom;
    for (size_t i = 0; i < out->ntables; i++) {
        int row = (int)i;
        discovery_table *t = &out->tables[i];
        t->oid = parse_oid(PQgetvalue(rs, row, 0));
        t->schema = PQgetvalue(rs, row, 1);
        t->name = PQgetvalue(rs, row, 2);
        t->relkind = PQgetvalue(rs, row, 3)[0];
        t->reltuples = strtoll(PQgetvalue(rs, row, 4), NULL, 10);
        index[i].oid = t->oid;
        index[i].idx = i;
    }
    qsort(index, out->ntables, sizeof(*index), cmp_oid_idx);
    out->by_name = calloc(out->ntables ? out->ntables : 1, sizeof(*out->by_name));
    if (!out->by_name)
        goto oom;
    for (size_t i = 0; i < out->ntables; i++)
        out->by_name[i] = &out->tables[i];
    qsort(out->by_name, out->ntables, sizeof(*out->by_name), cmp_table_name);

    /* columns, ordered by table oid then attnum */
    PGresult *rc = out->res_cols;
    out->ncols = (size_t)PQntuples(rc);
    out->cols = calloc(out->ncols ? out->ncols : 1, sizeof(*out->cols));
    if (!out->cols)
        goto oom;
    discovery_table *cur = NULL;
    unsigned int cur_oid = 0;
    for (size_t i = 0; i < out->ncols; i++) {
        int row = (int)i;
        unsigned int rel = parse_oid(PQgetvalue(rc, row, 0));
        if (!cur || rel != cur_oid) {
            oid_idx key = {rel, 0};
            oid_idx *hit = bsearch(&key, index, out->ntables, sizeof(*index), cmp_oid_idx);
            cur = hit ? &out->tables[hit->idx] : NULL;
            cur_oid = rel;
            if (cur)
                cur->cols = &out->cols[i];
        }
        discovery_column *col = &out->cols[i];
        col->name = PQgetvalue(rc, row, 1);
        col->attnum = parse_int(PQgetvalue(rc, row, 2));
        unsigned int typid = parse_oid(PQgetvalue(rc, row, 3));
        int typmod = parse_int(PQgetvalue(rc, row, 4));
        col->not_null = PQgetvalue(rc, row, 5)[0] == 't';
        col->sql_type = PQgetvalue(rc, row, 6);
        col->can_select = PQgetvalue(rc, row, 7)[0] == 't';
        col->cast_type = PQgetvalue(rc, row, 8);
        resolve(&col->type, types, ntypes, typid, typmod);
        if (cur)
            cur->ncols++;
    }

    /* primary keys: indkey is "1 3" (attnums in key order) */
    for (size_t i = 0; i < out->ntables; i++) {
        discovery_table *t = &out->tables[i];
        const char *indkey = PQgetisnull(rs, (int)i, 5) ? "" : PQgetvalue(rs, (int)i, 5);
        size_t nk = 0;
        for (const char *p = indkey; *p; p++)
            if (*p != ' ' && (p == indkey || p[-1] == ' '))
                nk++;
        if (!nk)
            continue;
        t->pk = calloc(nk, sizeof(*t->pk));
        if (!t->pk)
            goto oom;
        const char *p = indkey;
        while (*p) {
            char *end = NULL;
            long attnum = strtol(p, &end, 10);
            if (end == p)
                break;
            p = end;
            while (*p == ' ')
                p++;
            for (size_t k = 0; k < t->ncols; k++) {
                if (t->cols[k].attnum == attnum) {
                    t->cols[k].is_pk = true;
                    t->pk[t->npk++] = &t->cols[k];
                }
            }
        }
    }
    ok = true;
    goto done;
oom:
    log_error("out of memory while reading the database catalog");
done:
    free(types);
    free(index);
    buf_term(&p1);
    buf_term(&p2);
    buf_term(&p3);
    if (!ok)
        discovery_term(out);
    return ok;
}

void discovery_term(discovery_db *db)
{
    if (!db)
        return;
    for (size_t i = 0; i < db->ntables; i++)
        free(db->tables[i].pk);
    free(db->tables);
    free(db->by_name);
    free(db->cols);
    free(db->dbname);
    PQclear(db->res_tables);
    PQclear(db->res_cols);
    PQclear(db->res_types);
    memset(db, 0, sizeof(*db));
}

const discovery_table *discovery_find(const discovery_db *db, const char *schema, const char *name)
{
    discovery_table key = {.schema = schema, .name = name};
    const discovery_table *kp = &key;
    const discovery_table **hit =
        bsearch(&kp, db->by_name, db->ntables, sizeof(*db->by_name), cmp_table_name);
    return hit ? *hit : NULL;
}

const discovery_column *discovery_column_find(const discovery_table *t, const char *name)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (strcmp(t->cols[i].name, name) == 0)
            return &t->cols[i];
    return NULL;
}

static void put_str(buf *out, const char *s)
{
    json_writer_string(out, s, strlen(s));
}

static void write_stream(buf *out, const discovery_db *db, const discovery_table *t)
{
    bool view = discovery_is_view(t);
    buf_append_lit(out, "{\"tap_stream_id\":\"");
    json_writer_string_body(out, t->schema, strlen(t->schema));
    buf_putc(out, '-');
    json_writer_string_body(out, t->name, strlen(t->name));
    buf_append_lit(out, "\",\"table_name\":");
    put_str(out, t->name);
    buf_append_lit(out, ",\"stream\":");
    put_str(out, t->name);
    buf_append_lit(out, ",\"schema\":{\"type\":\"object\",\"properties\":{");
    bool first = true;
    for (size_t i = 0; i < t->ncols; i++) {
        const discovery_column *c = &t->cols[i];
        if (!c->can_select)
            continue;
        if (!first)
            buf_putc(out, ',');
        first = false;
        put_str(out, c->name);
        buf_putc(out, ':');
        typemap_schema(out, &c->type, !c->is_pk);
    }
    /* every stream has the definitions, as pipelinewise's */
    buf_append_lit(out, "},\"definitions\":{");
    typemap_array_definitions(out);
    for (size_t i = 0; i < t->ncols; i++) {
        const discovery_column *c = &t->cols[i];
        bool seen = !c->can_select;
        for (size_t k = 0; k < i && !seen; k++)
            seen = t->cols[k].can_select && typemap_same_definition(&t->cols[k].type, &c->type);
        if (!seen)
            typemap_column_definition(out, &c->type);
    }
    buf_putc(out, '}');
    buf_append_lit(out,
                   "},\"metadata\":[{\"breadcrumb\":[],\"metadata\":{\"table-key-properties\":[");
    for (size_t k = 0; k < t->npk; k++) {
        if (k)
            buf_putc(out, ',');
        put_str(out, t->pk[k]->name);
    }
    buf_append_lit(out, "],\"schema-name\":");
    put_str(out, t->schema);
    buf_append_lit(out, ",\"database-name\":");
    put_str(out, db->dbname);
    buf_append_lit(out, ",\"row-count\":");
    json_writer_int(out, t->reltuples);
    buf_append_lit(out, ",\"is-view\":");
    buf_appends(out, view ? "true" : "false");
    buf_append_lit(out, "}}");
    for (size_t i = 0; i < t->ncols; i++) {
        const discovery_column *c = &t->cols[i];
        if (!c->can_select)
            continue;
        buf_append_lit(out, ",{\"breadcrumb\":[\"properties\",");
        put_str(out, c->name);
        buf_append_lit(out, "],\"metadata\":{\"sql-datatype\":");
        put_str(out, c->sql_type);
        buf_append_lit(out, ",\"inclusion\":");
        buf_appends(out, c->is_pk ? "\"automatic\"" : "\"available\"");
        buf_append_lit(out, ",\"selected-by-default\":true}}");
    }
    buf_append_lit(out, "]}");
}

void discovery_write(buf *out, const discovery_db *db)
{
    buf_append_lit(out, "{\"streams\":[");
    bool first = true;
    for (size_t i = 0; i < db->ntables; i++) {
        const discovery_table *t = &db->tables[i];
        bool any = false;
        for (size_t k = 0; k < t->ncols && !any; k++)
            any = t->cols[k].can_select;
        if (!any)
            continue;
        buf_appends(out, first ? "\n" : ",\n");
        first = false;
        write_stream(out, db, t);
    }
    buf_append_lit(out, "\n]}\n");
}
