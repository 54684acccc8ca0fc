#include "lstream.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exit_codes.h"
#include "hash_index.h"
#include "log.h"
#include "row_filter.h"

#define DELETED_AT_SCHEMA                                                                          \
    "\"_sdc_deleted_at\":{\"type\":[\"null\",\"string\"],\"format\":\"date-time\"}"
#define LSN_SCHEMA "\"_sdc_lsn\":{\"type\":[\"null\",\"string\"]}"

static bool rebuild_view(sl_run *L, lstream *ls)
{
    free(ls->synced);
    free(ls->vals);
    ls->synced = calloc(ls->ncols ? ls->ncols : 1, sizeof(*ls->synced));
    ls->vals = calloc(ls->ncols ? ls->ncols : 1, sizeof(*ls->vals));
    if (!ls->synced || !ls->vals) {
        log_error("out of memory");
        return fail(L, EXIT_INTERNAL);
    }
    size_t k = 0;
    for (size_t i = 0; i < ls->ncols; i++) {
        if (ls->cols[i].synced) {
            ls->cols[i].rb_index = (int)k;
            ls->synced[k++] = ls->cols[i].col;
        } else {
            ls->cols[i].rb_index = -1;
        }
    }
    ls->view = *ls->src;
    ls->view.columns = ls->synced;
    ls->view.ncolumns = k;
    if (ls->rb_ready)
        record_builder_term(&ls->rb);
    ls->rb_ready = false;
    if (!tap_stream_builder(L->run, &ls->view, &ls->rb))
        return false;
    ls->rb_ready = true;
    ls->tail_time[0] = '\0';
    record_builder_set_version(&ls->rb, ls->version, NULL);
    return true;
}

bool lstream_init(sl_run *L, lstream *ls, tap_stream *s)
{
    ls->src = s;
    if (s->where_clauses) {
        ls->filter = row_filter_create(s->where_clauses, s->tap_stream_id, s->table_name);
        if (!ls->filter)
            return fail(L, EXIT_INTERNAL);
    }
    const discovery_table *t = s->table;
    size_t total = t ? t->ncols : s->ncolumns;
    ls->cols = calloc(total ? total : 1, sizeof(*ls->cols));
    if (!ls->cols) {
        log_error("out of memory");
        return fail(L, EXIT_INTERNAL);
    }
    if (t) {
        /* every column of the table; the catalog's selection decides which are synced */
        for (size_t i = 0; i < t->ncols; i++) {
            lcol *lc = &ls->cols[ls->ncols++];
            lc->col.name = t->cols[i].name;
            lc->col.sql_type = t->cols[i].sql_type;
            lc->col.is_pk = t->cols[i].is_pk;
            lc->col.type = t->cols[i].type;
            lc->synced = false;
            for (size_t j = 0; j < s->ncolumns; j++) {
                if (strcmp(s->columns[j].name, lc->col.name) == 0) {
                    lc->col = s->columns[j];
                    lc->synced = true;
                    break;
                }
            }
        }
    } else {
        for (size_t i = 0; i < s->ncolumns; i++) {
            ls->cols[ls->ncols].col = s->columns[i];
            ls->cols[ls->ncols++].synced = true;
        }
    }
    return rebuild_view(L, ls);
}

static lcol *find_col(lstream *ls, const char *name)
{
    size_t n = ls->ncols;
    if (!n)
        return NULL;
    size_t h = ls->hint < n ? ls->hint : 0;
    for (size_t k = 0; k < n; k++) {
        size_t i = h + k < n ? h + k : h + k - n;
        if (strcmp(ls->cols[i].col.name, name) == 0) {
            ls->hint = i + 1;
            return &ls->cols[i];
        }
    }
    return NULL;
}

static bool same_type(const typemap_type *a, const typemap_type *b)
{
    return a->kind == b->kind && a->elem_kind == b->elem_kind && a->family == b->family &&
           a->typmod == b->typmod && a->delim == b->delim &&
           ((!a->typname && !b->typname) ||
            (a->typname && b->typname && strcmp(a->typname, b->typname) == 0));
}

/*
 * reload_columns: read the table's columns from the database again (after a
 * new column or a type change arrived on the wire): new columns are synced,
 * types are refreshed, and a SCHEMA is due when anything the schema shows
 * changed. The metadata is kept for the run (the names point into it).
 */
static bool reload_columns(sl_run *L, lstream *ls)
{
    discovery_db *dbs = realloc(L->dbs, (L->ndbs + 1) * sizeof(*dbs));
    if (!dbs) {
        log_error("out of memory");
        return fail(L, EXIT_INTERNAL);
    }
    L->dbs = dbs;
    discovery_db *db = &L->dbs[L->ndbs];
    memset(db, 0, sizeof(*db));
    const char *sch = ls->src->schema_name, *tab = ls->src->table_name;
    if (!discovery_load(L->c, NULL, 0, &sch, &tab, 1, db)) {
        discovery_term(db);
        return fail(L, EXIT_SOURCE_DB);
    }
    L->ndbs++;
    const discovery_table *t = discovery_find(db, sch, tab);
    if (!t) {
        log_warn("stream \"%s\": the table is gone from the database; its later changes are "
                 "still read from the WAL",
                 ls->src->tap_stream_id);
        return true;
    }
    bool changed = false;
    ls->cols_gen++; /* names or types may move: the row filter's view is made again */
    for (size_t i = 0; i < t->ncols; i++) {
        const discovery_column *pc = &t->cols[i];
        lcol *lc = NULL;
        for (size_t j = 0; j < ls->ncols; j++)
            if (strcmp(ls->cols[j].col.name, pc->name) == 0)
                lc = &ls->cols[j];
        if (lc && lc->foreign) {
            /* a column seen on a child's or partition's row is now the table's own too */
            lc->foreign = false;
            lc->col.name = pc->name;
            free(lc->owned_name);
            lc->owned_name = NULL;
            lc->col.sql_type = pc->sql_type;
            lc->col.is_pk = pc->is_pk;
            lc->col.type = pc->type;
            lc->synced = true;
            changed = true;
            log_info("stream \"%s\": new column \"%s\" (%s)", ls->src->tap_stream_id, pc->name,
                     pc->sql_type);
            continue;
        }
        if (!lc) {
            lcol *grown = realloc(ls->cols, (ls->ncols + 1) * sizeof(*grown));
            if (!grown) {
                log_error("out of memory");
                return fail(L, EXIT_INTERNAL);
            }
            ls->cols = grown;
            lc = &ls->cols[ls->ncols++];
            memset(lc, 0, sizeof(*lc));
            lc->col.name = pc->name;
            lc->col.sql_type = pc->sql_type;
            lc->col.is_pk = pc->is_pk;
            lc->col.type = pc->type;
            lc->synced = true;
            changed = true;
            log_info("stream \"%s\": new column \"%s\" (%s)", ls->src->tap_stream_id, pc->name,
                     pc->sql_type);
            continue;
        }
        if (!same_type(&lc->col.type, &pc->type)) {
            if (lc->synced) {
                changed = true;
                log_info("stream \"%s\": column \"%s\" is now %s", ls->src->tap_stream_id, pc->name,
                         pc->sql_type);
            }
            lc->col.type = pc->type;
            lc->col.sql_type = pc->sql_type;
        }
    }
    if (changed) {
        ls->need_schema = true;
        return rebuild_view(L, ls);
    }
    return true;
}

/* a type signature of a wire column: oid, type name and typmod */
static uint64_t wire_sig(const change_column *c)
{
    uint64_t h = HASH_FNV1A64_BASIS;
    h = hash_fnv1a64(h, &c->type_oid, sizeof(c->type_oid));
    h = hash_fnv1a64(h, &c->typmod, sizeof(c->typmod));
    if (c->type_name)
        h = hash_fnv1a64(h, c->type_name, strlen(c->type_name));
    return h | 1; /* never 0 */
}

/*
 * add_foreign_column: remember a column of the wire that the stream's table
 * does not have (a partition's or inheritance child's own column, or one
 * dropped since), so that its values are skipped without reading the
 * table's columns again on every row.
 */
static bool add_foreign_column(sl_run *L, lstream *ls, const change_column *wc)
{
    lcol *grown = realloc(ls->cols, (ls->ncols + 1) * sizeof(*grown));
    if (!grown) {
        log_error("out of memory");
        return fail(L, EXIT_INTERNAL);
    }
    ls->cols = grown;
    ls->cols_gen++;
    lcol *lc = &ls->cols[ls->ncols];
    memset(lc, 0, sizeof(*lc));
    size_t n = strlen(wc->name);
    lc->owned_name = malloc(n + 1);
    if (!lc->owned_name) {
        log_error("out of memory");
        return fail(L, EXIT_INTERNAL);
    }
    memcpy(lc->owned_name, wc->name, n + 1);
    lc->col.name = lc->owned_name;
    lc->col.sql_type = "";
    lc->foreign = true;
    lc->rb_index = -1;
    lc->wire_sig = wire_sig(wc);
    ls->ncols++;
    return rebuild_view(L, ls);
}

/*
 * lstream_check_wire_columns: the columns of a relation or a wal2json row against
 * what the stream knows; a column never seen or a changed type reloads the
 * table's columns. own: the relation is the stream's own table (else a
 * partition or child of it, whose extra columns are not the stream's).
 */
bool lstream_check_wire_columns(sl_run *L, lstream *ls, const change_column *cols, int n, bool own)
{
    bool reload = false;
    for (int i = 0; i < n; i++) {
        lcol *lc = find_col(ls, cols[i].name);
        uint64_t sig = wire_sig(&cols[i]);
        if (!lc || (lc->wire_sig && lc->wire_sig != sig))
            reload = true;
        if (lc)
            lc->wire_sig = sig;
    }
    if (!reload)
        return true;
    if (!reload_columns(L, ls))
        return false;
    for (int i = 0; i < n; i++) {
        lcol *lc = find_col(ls, cols[i].name);
        if (lc) {
            lc->wire_sig = wire_sig(&cols[i]);
            continue;
        }
        if (own && !ls->warned_unknown) {
            ls->warned_unknown = true;
            log_warn("stream \"%s\": column \"%s\" of the change is not in the table any more "
                     "(dropped since): its values are left out",
                     ls->src->tap_stream_id, cols[i].name);
        }
        if (!add_foreign_column(L, ls, &cols[i]))
            return false;
    }
    return true;
}

bool lstream_emit_schema(sl_run *L, lstream *ls)
{
    const char *extra =
        L->run->cfg->debug_lsn ? DELETED_AT_SCHEMA "," LSN_SCHEMA : DELETED_AT_SCHEMA;
    if (!tap_emit_schema(L->run, &ls->view, "lsn", extra))
        return false;
    ls->need_schema = false;
    return true;
}

/* the tail (version, time_extracted) of a stream's records for this transaction */
static void stream_tail(sl_run *L, lstream *ls)
{
    if (strcmp(ls->tail_time, L->extracted) != 0) {
        record_builder_set_version(&ls->rb, ls->version, L->extracted);
        snprintf(ls->tail_time, sizeof(ls->tail_time), "%s", L->extracted);
    }
}

static void put_value(record_builder *rb, int idx, const change_value *v)
{
    if (v->kind == CHANGE_VALUE_NULL)
        record_builder_null(rb, (size_t)idx);
    else
        record_builder_value(rb, (size_t)idx, v->text, v->len);
}

static bool end_record(sl_run *L, lstream *ls, uint64_t wal_start)
{
    if (L->run->cfg->debug_lsn) {
        char num[32];
        int n = snprintf(num, sizeof(num), "\"%" PRIu64 "\"", wal_start);
        record_builder_raw(&ls->rb, "_sdc_lsn", num, (size_t)n);
    }
    record_builder_end(&ls->rb);
    /*
     * The run's conversion counters now hold this record's values only: they
     * are the stream's, warned about under its name at the end of the run.
     */
    lstream_take_counters(L, ls);
    if (!singer_writer_end_line(L->run->w))
        return fail(L, EXIT_OUTPUT);
    ls->records++;
    L->records++;
    L->run->records++;
    L->changes_since_state++;
    return true;
}

/*
 * write_row: a RECORD of an inserted or updated row. Unchanged TOAST values
 * are left out, or taken from the old row when the change carries it
 * (REPLICA IDENTITY FULL).
 */
static bool write_row(sl_run *L, lstream *ls, const change *c, uint64_t wal_start)
{
    if (ls->need_schema && !lstream_emit_schema(L, ls))
        return false;
    stream_tail(L, ls);
    uint32_t stamp = ++L->stamp;
    const change_tuple *t = &c->new_tuple;
    for (int i = 0; i < t->nvalues; i++) {
        lcol *lc = find_col(ls, t->columns[i].name);
        if (!lc || lc->rb_index < 0)
            continue;
        ls->vals[lc - ls->cols] = &t->values[i];
        lc->stamp = stamp;
    }
    if (c->old_kind == 'O') {
        /*
         * REPLICA IDENTITY FULL: the old row fills what the new one did not
         * send (pgoutput marks it unchanged, wal2json leaves it out)
         */
        const change_tuple *old = &c->old_tuple;
        for (int i = 0; i < old->nvalues; i++) {
            lcol *lc = find_col(ls, old->columns[i].name);
            if (!lc || lc->rb_index < 0 || old->values[i].kind == CHANGE_VALUE_UNCHANGED)
                continue;
            size_t k = (size_t)(lc - ls->cols);
            if (lc->stamp == stamp && ls->vals[k]->kind != CHANGE_VALUE_UNCHANGED)
                continue;
            ls->vals[k] = &old->values[i];
            lc->stamp = stamp;
        }
    }
    /* in table order, whichever way the values came */
    record_builder *rb = &ls->rb;
    record_builder_begin(rb, singer_writer_buf(L->run->w));
    for (size_t k = 0; k < ls->ncols; k++) {
        const lcol *lc = &ls->cols[k];
        if (lc->stamp != stamp || ls->vals[k]->kind == CHANGE_VALUE_UNCHANGED)
            continue; /* missing is not null: the target keeps what it has */
        put_value(rb, lc->rb_index, ls->vals[k]);
    }
    record_builder_raw(rb, "_sdc_deleted_at", "null", 4);
    return end_record(L, ls, wal_start);
}

/*
 * write_delete: a RECORD of a deleted row: its key (the stream's key
 * properties; every identity column when it has none) and _sdc_deleted_at =
 * the commit time.
 */
static bool write_delete(sl_run *L, lstream *ls, const change_tuple *old, uint64_t wal_start)
{
    if (ls->need_schema && !lstream_emit_schema(L, ls))
        return false;
    stream_tail(L, ls);
    size_t nkeys = ls->src->nkeys;
    for (size_t k = 0; k < nkeys; k++) {
        const change_value *v = change_find_value(old, ls->src->key_properties[k]);
        if (v && v->kind != CHANGE_VALUE_UNCHANGED)
            continue;
        /*
         * REPLICA IDENTITY USING INDEX on other columns than the key: the
         * target could not find the row (and a record without its key is bad
         * input for it). Warned about at the start of the run too.
         */
        if (!ls->warned_keyless)
            log_warn("stream \"%s\": a DELETE without the key properties was skipped (the "
                     "table's replica identity does not hold key column \"%s\"); further ones "
                     "are skipped silently",
                     ls->src->tap_stream_id, ls->src->key_properties[k]);
        ls->warned_keyless = true;
        return true;
    }
    record_builder *rb = &ls->rb;
    record_builder_begin(rb, singer_writer_buf(L->run->w));
    for (int i = 0; i < old->nvalues; i++) {
        const char *name = old->columns[i].name;
        if (old->values[i].kind == CHANGE_VALUE_UNCHANGED)
            continue;
        if (nkeys) {
            bool is_key = false;
            for (size_t k = 0; k < nkeys && !is_key; k++)
                is_key = strcmp(ls->src->key_properties[k], name) == 0;
            if (!is_key)
                continue;
        }
        lcol *lc = find_col(ls, name);
        if (!lc || lc->rb_index < 0)
            continue;
        put_value(rb, lc->rb_index, &old->values[i]);
    }
    record_builder_raw(rb, "_sdc_deleted_at", L->deleted_at, strlen(L->deleted_at));
    return end_record(L, ls, wal_start);
}

/* did an update change the stream's key? (only knowable when the old key was sent) */
static bool key_changed(const lstream *ls, const change *c)
{
    if (!c->old_kind || !ls->src->nkeys)
        return false;
    for (size_t k = 0; k < ls->src->nkeys; k++) {
        const char *name = ls->src->key_properties[k];
        const change_value *o = change_find_value(&c->old_tuple, name);
        const change_value *n = change_find_value(&c->new_tuple, name);
        if (!o || !n || o->kind == CHANGE_VALUE_UNCHANGED || n->kind == CHANGE_VALUE_UNCHANGED)
            continue;
        if (o->kind != n->kind || o->len != n->len ||
            (o->kind == CHANGE_VALUE_TEXT && memcmp(o->text, n->text, o->len) != 0))
            return true;
    }
    return false;
}

/*
 * write_moved_row: the new row of an update that changed the key. The target
 * has no row under the new key yet, so a column left out (unchanged TOAST,
 * not sent by the server unless REPLICA IDENTITY FULL) would be stored as
 * NULL there: such columns are read from the source by the new key. The
 * value read may be newer than this change; any later change of the row
 * follows in the stream, so the target ends up right. A row gone meanwhile
 * is deleted later in the stream.
 */
static bool write_moved_row(sl_run *L, lstream *ls, const change *c, uint64_t wal_start)
{
    if (c->old_kind == 'O')
        return write_row(L, ls, c, wal_start); /* the old row fills them */
    size_t nmiss = 0;
    for (size_t k = 0; k < ls->ncols; k++) {
        const lcol *lc = &ls->cols[k];
        const change_value *v = change_find_value(&c->new_tuple, lc->col.name);
        if (lc->rb_index >= 0 && (!v || v->kind == CHANGE_VALUE_UNCHANGED))
            nmiss++;
    }
    if (!nmiss || !ls->src->nkeys)
        return write_row(L, ls, c, wal_start);

    bool ok = false;
    PGresult *res = NULL;
    buf sql = BUF_INIT, keys = BUF_INIT;
    size_t nkeys = ls->src->nkeys;
    const char **params = calloc(nkeys, sizeof(*params));
    size_t *offsets = calloc(nkeys, sizeof(*offsets));
    change_column *cols = calloc(nmiss, sizeof(*cols));
    change_value *vals = calloc(nmiss, sizeof(*vals));
    if (!params || !offsets || !cols || !vals) {
        log_error("out of memory");
        fail(L, EXIT_INTERNAL);
        goto done;
    }
    buf_append_lit(&sql, "SELECT ");
    size_t m = 0;
    for (size_t k = 0; k < ls->ncols; k++) {
        const lcol *lc = &ls->cols[k];
        const change_value *v = change_find_value(&c->new_tuple, lc->col.name);
        if (lc->rb_index < 0 || (v && v->kind != CHANGE_VALUE_UNCHANGED))
            continue;
        if (m)
            buf_append_lit(&sql, ", ");
        pg_conn_quote_ident(&sql, lc->col.name);
        cols[m++].name = lc->col.name;
    }
    buf_append_lit(&sql, " FROM ");
    tap_quoted_table(&sql, ls->src);
    for (size_t k = 0; k < nkeys; k++) {
        const char *name = ls->src->key_properties[k];
        const change_value *v = change_find_value(&c->new_tuple, name);
        if (!v || v->kind != CHANGE_VALUE_TEXT) {
            /* no usable key value: the record goes out as it came */
            ok = write_row(L, ls, c, wal_start);
            goto done;
        }
        buf_append_lit(&sql, k ? " AND " : " WHERE ");
        pg_conn_quote_ident(&sql, name);
        buf_appendf(&sql, " = $%zu", k + 1);
        offsets[k] = keys.len;
        buf_append(&keys, v->text, v->len);
        buf_putc(&keys, '\0');
    }
    if (!buf_ok(&sql) || !buf_ok(&keys)) {
        log_error("out of memory");
        fail(L, EXIT_INTERNAL);
        goto done;
    }
    for (size_t k = 0; k < nkeys; k++)
        params[k] = keys.data + offsets[k];
    res = pg_conn_query(L->c, sql.data, (int)nkeys, params);
    if (!res) {
        fail(L, EXIT_SOURCE_DB);
        goto done;
    }
    change moved = *c;
    if (PQntuples(res) == 1) {
        for (size_t i = 0; i < m; i++) {
            if (PQgetisnull(res, 0, (int)i)) {
                vals[i].kind = CHANGE_VALUE_NULL;
            } else {
                vals[i].kind = CHANGE_VALUE_TEXT;
                vals[i].text = PQgetvalue(res, 0, (int)i);
                vals[i].len = (size_t)PQgetlength(res, 0, (int)i);
            }
        }
        moved.old_kind = 'O';
        moved.old_tuple.nvalues = (int)m;
        moved.old_tuple.columns = cols;
        moved.old_tuple.values = vals;
    }
    ok = write_row(L, ls, &moved, wal_start);

done:
    PQclear(res);
    free(params);
    free(offsets);
    free(cols);
    free(vals);
    buf_term(&sql);
    buf_term(&keys);
    return ok;
}

/* lstream_row_change: one row change for one of the streams that read the relation */
/*
 * in_filter: do the stream's custom_where_clauses hold for the row t (the values of old, the
 * whole old row under REPLICA IDENTITY FULL, fill what t did not carry)? True without clauses.
 * False after logging (fail code set).
 */
static bool in_filter(sl_run *L, lstream *ls, const change_tuple *t, const change_tuple *old,
                      bool *match)
{
    *match = true;
    if (!ls->filter)
        return true;
    if (ls->fgen != ls->cols_gen || !ls->fnames || ls->fn != ls->ncols) {
        if (ls->ncols > ls->fcap) {
            size_t cap = ls->ncols;
            const char **n = realloc(ls->fnames, cap * sizeof(*n));
            if (n)
                ls->fnames = n;
            const char **ty = realloc(ls->ftypes, cap * sizeof(*ty));
            if (ty)
                ls->ftypes = ty;
            const change_value **v = realloc(ls->fvals, cap * sizeof(*v));
            if (v)
                ls->fvals = v;
            if (!n || !ty || !v) {
                log_error("out of memory");
                return fail(L, EXIT_INTERNAL);
            }
            ls->fcap = cap;
        }
        for (size_t k = 0; k < ls->ncols; k++) {
            ls->fnames[k] = ls->cols[k].col.name;
            ls->ftypes[k] = ls->cols[k].foreign ? NULL : ls->cols[k].col.sql_type;
        }
        ls->fn = ls->ncols;
        ls->fgen = ls->cols_gen;
    }
    for (size_t k = 0; k < ls->ncols; k++)
        ls->fvals[k] = NULL;
    for (int i = 0; i < t->nvalues; i++) {
        lcol *lc = find_col(ls, t->columns[i].name);
        if (lc)
            ls->fvals[lc - ls->cols] = &t->values[i];
    }
    for (int i = 0; old && i < old->nvalues; i++) {
        lcol *lc = find_col(ls, old->columns[i].name);
        if (!lc || old->values[i].kind == CHANGE_VALUE_UNCHANGED)
            continue;
        size_t k = (size_t)(lc - ls->cols);
        if (!ls->fvals[k] || ls->fvals[k]->kind == CHANGE_VALUE_UNCHANGED)
            ls->fvals[k] = &old->values[i];
    }
    if (!row_filter_match(ls->filter, L->c, ls->cols_gen, ls->ncols, ls->fnames, ls->ftypes,
                          ls->fvals, match))
        return fail(L, EXIT_SOURCE_DB);
    return true;
}

/* whole_row: t names every column of the table (the whole old row, not only its key) */
static bool whole_row(lstream *ls, const change_tuple *t)
{
    for (size_t k = 0; k < ls->ncols; k++)
        if (!ls->cols[k].foreign && !change_find_value(t, ls->cols[k].col.name))
            return false;
    return true;
}

/*
 * filtered_change: a row change of a stream with custom_where_clauses, by where the row is
 * before and after it: an insert or update whose new row holds the clauses is written as
 * always; an update that leaves them (or whose old row is unknown: only the key is sent) is
 * a delete of the row in the target, a no-op there when it never held them; a delete is
 * written unless the whole old row is known not to hold them (REPLICA IDENTITY FULL). Rows
 * outside the clauses before and after are not written.
 */
static bool filtered_change(sl_run *L, lstream *ls, const change *c, uint64_t wal_start,
                            bool *handled)
{
    *handled = false;
    if (!ls->filter)
        return true;
    /* the whole old row: pgoutput says so; a wal2json delete names every column */
    const change_tuple *full_old =
        c->old_kind == 'O' || (c->kind == CHANGE_DELETE && whole_row(ls, &c->old_tuple))
            ? &c->old_tuple
            : NULL;
    bool now = true, before = true;
    if (c->kind == CHANGE_DELETE) {
        if (full_old && !in_filter(L, ls, full_old, NULL, &before))
            return false;
        *handled = !before; /* a row the target never had */
        return true;
    }
    if (!in_filter(L, ls, &c->new_tuple, full_old, &now))
        return false;
    if (now)
        return true; /* written as without clauses */
    if (c->kind == CHANGE_UPDATE && full_old && !in_filter(L, ls, full_old, NULL, &before))
        return false;
    *handled = true;
    if (c->kind == CHANGE_INSERT || !before)
        return true; /* outside the clauses before and after: nothing for the target */
    /* it left the clauses (or may have): the target's row, under the old key, goes */
    const change_tuple *key = c->old_tuple.nvalues ? &c->old_tuple : &c->new_tuple;
    return write_delete(L, ls, key, wal_start);
}

bool lstream_row_change(sl_run *L, lstream *ls, bool own, const change *c, uint64_t wal_start)
{
    if (!sl_run_applies(L, ls))
        return true;
    if (L->w2j) {
        /* wal2json describes the columns in every row: new columns and type changes show here */
        const change_tuple *t = c->kind == CHANGE_DELETE ? &c->old_tuple : &c->new_tuple;
        if (!lstream_check_wire_columns(L, ls, t->columns, t->nvalues, own))
            return false;
    }
    bool handled = false;
    if (!filtered_change(L, ls, c, wal_start, &handled))
        return false;
    if (handled)
        return true;
    switch (c->kind) {
    case CHANGE_INSERT:
        return write_row(L, ls, c, wal_start);
    case CHANGE_UPDATE:
        if (key_changed(ls, c)) {
            if (!write_delete(L, ls, &c->old_tuple, wal_start))
                return false;
            return write_moved_row(L, ls, c, wal_start);
        }
        return write_row(L, ls, c, wal_start);
    case CHANGE_DELETE:
        if (!c->old_tuple.nvalues) {
            log_warn("stream \"%s\": a delete without its key was skipped (the table has no "
                     "replica identity)",
                     ls->src->tap_stream_id);
            return true;
        }
        return write_delete(L, ls, &c->old_tuple, wal_start);
    default:
        return true;
    }
}

void lstream_take_counters(sl_run *L, lstream *ls)
{
    typemap_ctx *tm = &L->run->tm;
    ls->nan_count += tm->nan_count;
    ls->pos_inf += tm->pos_infinity_count;
    ls->neg_inf += tm->neg_infinity_count;
    ls->bad_values += tm->bad_values;
    tm->nan_count = tm->pos_infinity_count = tm->neg_infinity_count = tm->bad_values = 0;
}
