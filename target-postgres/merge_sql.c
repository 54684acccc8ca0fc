#include "merge_sql.h"

#include "pg_conn.h"

#include <string.h>

static void ident(buf *b, const char *alias, const char *name)
{
    if (alias) {
        buf_appends(b, alias);
        buf_putc(b, '.');
    }
    pg_conn_quote_ident(b, name);
}

static bool always_present(const tcolumn *c)
{
    return c->is_key || c->absent_is_null || (c->meta != META_NONE && c->meta != META_SEQUENCE);
}

static void key_list(buf *b, const table_def *d, const char *alias)
{
    for (size_t k = 0; k < d->cs.nkeys; k++) {
        if (k)
            buf_append_lit(b, ", ");
        ident(b, alias, d->cs.cols[d->cs.keys[k]].name);
    }
}

static void key_join(buf *b, const table_def *d, const char *l, const char *r)
{
    for (size_t k = 0; k < d->cs.nkeys; k++) {
        if (k)
            buf_append_lit(b, " AND ");
        ident(b, l, d->cs.cols[d->cs.keys[k]].name);
        buf_append_lit(b, " = ");
        ident(b, r, d->cs.cols[d->cs.keys[k]].name);
    }
}

static void present_expr(buf *b, const table_def *d, size_t i, const char *alias)
{
    buf_appendf(b, "(%s.\"_tgt_absent\" IS NULL OR get_bit(%s.\"_tgt_absent\", %d) = 0)", alias,
                alias, (int)table_def_copy_pos(d, i)); /* the absent mask bit */
}

/* the source rows: s, one per key when dups (with "_tgt_p<i>" presence flags when absent) */
static void source_sql(buf *b, const table_def *d, bool dups, bool absent)
{
    if (!dups) {
        buf_append_lit(b, MERGE_SQL_TMP_TABLE " s");
        return;
    }
    if (!absent) {
        buf_append_lit(b, "(SELECT DISTINCT ON (");
        key_list(b, d, NULL);
        buf_append_lit(b, ") * FROM " MERGE_SQL_TMP_TABLE " ORDER BY ");
        key_list(b, d, NULL);
        buf_append_lit(b, ", \"_tgt_seq\" DESC) s");
        return;
    }
    buf_append_lit(b, "(SELECT ");
    key_list(b, d, NULL);
    for (size_t i = 0; i < d->cs.ncols; i++) {
        const tcolumn *c = &d->cs.cols[i];
        if (c->is_key || c->meta == META_BATCHED_AT)
            continue;
        buf_append_lit(b, ", (array_agg(");
        ident(b, "t", c->name);
        buf_append_lit(b, " ORDER BY t.\"_tgt_seq\" DESC)");
        if (!always_present(c)) {
            buf_append_lit(b, " FILTER (WHERE ");
            present_expr(b, d, i, "t");
            buf_putc(b, ')');
        }
        buf_append_lit(b, ")[1] AS ");
        pg_conn_quote_ident(b, c->name);
        if (!always_present(c)) {
            buf_appendf(b, ", bool_or(");
            present_expr(b, d, i, "t");
            buf_appendf(b, ") AS \"_tgt_p%zu\"", i);
        }
    }
    buf_append_lit(b, " FROM " MERGE_SQL_TMP_TABLE " t GROUP BY ");
    key_list(b, d, "t");
    buf_append_lit(b, ") s");
}

/* the value of column i in the merged row */
static void value_expr(buf *b, const table_def *d, size_t i, bool dups, bool absent)
{
    const tcolumn *c = &d->cs.cols[i];
    if (c->meta == META_BATCHED_AT) {
        buf_append_lit(b, "now()");
        return;
    }
    if (!absent || always_present(c)) {
        ident(b, "s", c->name);
        return;
    }
    buf_append_lit(b, "CASE WHEN ");
    if (dups)
        buf_appendf(b, "s.\"_tgt_p%zu\"", i);
    else
        present_expr(b, d, i, "s");
    buf_append_lit(b, " THEN ");
    ident(b, "s", c->name);
    buf_append_lit(b, " ELSE ");
    ident(b, "o", c->name);
    buf_append_lit(b, " END");
}

/* value_list: the value expressions of every column of d, comma-separated (a select list) */
static void value_list(buf *sql, const table_def *d, bool dups, bool absent)
{
    for (size_t i = 0; i < d->cs.ncols; i++) {
        if (i)
            buf_append_lit(sql, ", ");
        value_expr(sql, d, i, dups, absent);
    }
}

static void all_columns(buf *b, const table_def *d)
{
    for (size_t i = 0; i < d->cs.ncols; i++) {
        if (i)
            buf_append_lit(b, ", ");
        pg_conn_quote_ident(b, d->cs.cols[i].name);
    }
}

void merge_sql_insert_all(buf *sql, const table_def *d, bool hard_delete)
{
    buf_appendf(sql, "INSERT INTO %s (", d->qname);
    all_columns(sql, d);
    buf_append_lit(sql, ") SELECT ");
    value_list(sql, d, false, false);
    buf_append_lit(sql, " FROM " MERGE_SQL_TMP_TABLE " s");
    if (hard_delete)
        buf_append_lit(sql, " WHERE s.\"_sdc_deleted_at\" IS NULL");
    buf_append_lit(sql, " ORDER BY s.\"_tgt_seq\"");
}

void merge_sql_merge(buf *sql, const table_def *d, bool dups, bool absent, bool unique,
                     bool hard_delete)
{
    if (d->cs.nkeys == 0) {
        merge_sql_insert_all(sql, d, hard_delete);
        return;
    }
    if (unique) {
        buf_appendf(sql, "INSERT INTO %s AS t (", d->qname);
        all_columns(sql, d);
        buf_append_lit(sql, ") SELECT ");
        value_list(sql, d, dups, absent);
        buf_append_lit(sql, " FROM ");
        source_sql(sql, d, dups, absent);
        if (absent) {
            buf_appendf(sql, " LEFT JOIN %s o ON ", d->qname);
            key_join(sql, d, "o", "s");
        }
        buf_append_lit(sql, " ON CONFLICT (");
        key_list(sql, d, NULL);
        buf_append_lit(sql, ") DO ");
        bool any = false;
        for (size_t i = 0; i < d->cs.ncols; i++) {
            if (d->cs.cols[i].is_key)
                continue;
            buf_appends(sql, any ? ", " : "UPDATE SET ");
            any = true;
            pg_conn_quote_ident(sql, d->cs.cols[i].name);
            buf_append_lit(sql, " = EXCLUDED.");
            pg_conn_quote_ident(sql, d->cs.cols[i].name);
        }
        if (!any)
            buf_append_lit(sql, "NOTHING");
        return;
    }
    /* no unique index on the keys (a table we did not create): update, then insert the rest */
    buf_append_lit(sql, "WITH m AS (SELECT ");
    for (size_t i = 0; i < d->cs.ncols; i++) {
        if (i)
            buf_append_lit(sql, ", ");
        value_expr(sql, d, i, dups, absent);
        buf_append_lit(sql, " AS ");
        pg_conn_quote_ident(sql, d->cs.cols[i].name);
    }
    buf_append_lit(sql, " FROM ");
    source_sql(sql, d, dups, absent);
    if (absent) {
        buf_appendf(sql, " LEFT JOIN %s o ON ", d->qname);
        key_join(sql, d, "o", "s");
    }
    buf_appendf(sql, "), u AS (UPDATE %s t SET ", d->qname);
    bool any = false;
    for (size_t i = 0; i < d->cs.ncols; i++) {
        if (d->cs.cols[i].is_key)
            continue;
        if (any)
            buf_append_lit(sql, ", ");
        any = true;
        pg_conn_quote_ident(sql, d->cs.cols[i].name);
        buf_append_lit(sql, " = ");
        ident(sql, "m", d->cs.cols[i].name);
    }
    if (!any) {
        /* only key columns: a no-op update finds the existing rows */
        pg_conn_quote_ident(sql, d->cs.cols[d->cs.keys[0]].name);
        buf_append_lit(sql, " = ");
        ident(sql, "m", d->cs.cols[d->cs.keys[0]].name);
    }
    buf_append_lit(sql, " FROM m WHERE ");
    key_join(sql, d, "t", "m");
    buf_append_lit(sql, " RETURNING ");
    key_list(sql, d, "t");
    buf_appendf(sql, ") INSERT INTO %s (", d->qname);
    all_columns(sql, d);
    buf_append_lit(sql, ") SELECT ");
    for (size_t i = 0; i < d->cs.ncols; i++) {
        if (i)
            buf_append_lit(sql, ", ");
        ident(sql, "m", d->cs.cols[i].name);
    }
    buf_append_lit(sql, " FROM m WHERE NOT EXISTS (SELECT 1 FROM u WHERE ");
    key_join(sql, d, "u", "m");
    buf_putc(sql, ')');
}

const char *merge_sql_temp_type(const tcolumn *col, const char *table_type)
{
    if (col->kind == CK_TIMESTAMPTZ && strncmp(table_type, "timestamp", 9) == 0 &&
        strstr(table_type, "without time zone"))
        return "timestamp with time zone";
    return table_type;
}

/* the columns a delete of a keyless stream compares: all but the metadata ones (_sdc_*, also
   those a SCHEMA declares, such as _sdc_lsn, which differ between a row's insert and delete) */
static bool match_column(const tcolumn *c)
{
    return c->meta == META_NONE && strncmp(c->name, "_sdc_", 5) != 0;
}

/* ROW(alias.<compared columns>)::text; with types, each cast to the table's type where the
   temp table's differs. NULL and '' differ in a row's text, so NULL matches only NULL. */
static void row_text(buf *b, const table_def *d, const char *alias, const char *const *types)
{
    buf_append_lit(b, "ROW(");
    bool first = true;
    for (size_t i = 0; i < d->cs.ncols; i++) {
        const tcolumn *c = &d->cs.cols[i];
        if (!match_column(c))
            continue;
        if (!first)
            buf_append_lit(b, ", ");
        first = false;
        ident(b, alias, c->name);
        if (types && strcmp(merge_sql_temp_type(c, types[i]), types[i]) != 0)
            buf_appendf(b, "::%s", types[i]);
    }
    buf_append_lit(b, ")::text");
}

void merge_sql_keyless_delete(buf *sql, const table_def *d, const char *const *types)
{
    const char *del = d->cs.cols[d->deleted_col].name;
    /* r: per group of equal rows, the running balance of inserts (+1) and deletes (-1) in
       arrival order; o: an insert is cancelled by a later delete of the batch when the balance
       drops below its level after it (each delete takes the latest insert before it); u: the
       deletes left over, per group, which remove rows already in the table */
    buf_append_lit(sql, "WITH r AS (SELECT s.*, ");
    row_text(sql, d, "s", types);
    buf_append_lit(sql, " AS \"_tgt_k\", sum(CASE WHEN ");
    ident(sql, "s", del);
    buf_append_lit(sql, " IS NULL THEN 1 ELSE -1 END) OVER (PARTITION BY ");
    row_text(sql, d, "s", types);
    buf_append_lit(
        sql,
        " ORDER BY s.\"_tgt_seq\" ROWS UNBOUNDED PRECEDING) AS \"_tgt_r\" FROM " MERGE_SQL_TMP_TABLE
        " s), o AS (SELECT r.*, min(r.\"_tgt_r\") OVER (PARTITION BY r.\"_tgt_k\" "
        "ORDER BY r.\"_tgt_seq\" ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) "
        "AS \"_tgt_after\" FROM r), u AS (SELECT \"_tgt_k\", -min(\"_tgt_r\") AS n "
        "FROM r GROUP BY \"_tgt_k\" HAVING min(\"_tgt_r\") < 0), x AS (SELECT "
        "t.ctid AS c, ");
    row_text(sql, d, "t", NULL);
    buf_append_lit(sql, " AS k, row_number() OVER (PARTITION BY ");
    row_text(sql, d, "t", NULL);
    buf_appendf(sql, ") AS rn FROM %s t WHERE EXISTS (SELECT 1 FROM u) AND ", d->qname);
    row_text(sql, d, "t", NULL);
    buf_appendf(sql,
                " IN (SELECT \"_tgt_k\" FROM u)), del AS (DELETE FROM %s t USING x JOIN u ON "
                "u.\"_tgt_k\" = x.k WHERE x.rn <= u.n AND t.ctid = x.c RETURNING 1), ins AS "
                "(INSERT INTO %s (",
                d->qname, d->qname);
    all_columns(sql, d);
    buf_append_lit(sql, ") SELECT ");
    value_list(sql, d, false, false);
    buf_append_lit(sql, " FROM o s WHERE ");
    ident(sql, "s", del);
    buf_append_lit(sql,
                   " IS NULL AND (s.\"_tgt_after\" IS NULL OR s.\"_tgt_after\" >= "
                   "s.\"_tgt_r\") ORDER BY s.\"_tgt_seq\" RETURNING 1) SELECT (SELECT count(*) "
                   "FROM ins), (SELECT count(*) FROM del), (SELECT coalesce(sum(n), 0) FROM u)");
}

void merge_sql_temp_table(buf *sql, const table_def *d, const char *const *types)
{
    buf_append_lit(sql, "CREATE TEMP TABLE " MERGE_SQL_TMP_TABLE " (");
    bool first = true;
    for (size_t i = 0; i < d->cs.ncols; i++) {
        if (d->cs.cols[i].meta == META_BATCHED_AT)
            continue;
        if (!first)
            buf_append_lit(sql, ", ");
        first = false;
        pg_conn_quote_ident(sql, d->cs.cols[i].name);
        buf_putc(sql, ' ');
        buf_appends(sql, merge_sql_temp_type(&d->cs.cols[i], types[i]));
    }
    buf_append_lit(sql, ", \"_tgt_seq\" bigint, \"_tgt_absent\" varbit) ON COMMIT DROP");
}

void merge_sql_hard_delete(buf *sql, const table_def *d)
{
    buf_appendf(sql, "DELETE FROM %s t USING " MERGE_SQL_TMP_TABLE " s WHERE ", d->qname);
    key_join(sql, d, "t", "s");
    /* the keys deleted in the batch (s), still deleted after the merge (t: a later row of the
       batch may have inserted the key again) */
    buf_append_lit(sql,
                   " AND s.\"_sdc_deleted_at\" IS NOT NULL AND t.\"_sdc_deleted_at\" IS NOT NULL");
}
