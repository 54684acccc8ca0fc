/*
 * sync_logical: every selected LOG_BASED stream in one pass over one slot.
 *
 * The run:
 *   1. names (slot, publication), a normal connection, the server checks
 *      (wal_level, REPLICATION, wal2json allowed), the slot looked up;
 *   2. pgoutput: the publication created or extended to the streams' tables;
 *   3. streams without an lsn bookmark are copied inside the snapshot
 *      exported by the slot's creation (a TEMPORARY slot when the main slot
 *      already exists); their bookmark becomes the slot's consistent point;
 *   4. START_REPLICATION at the smallest bookmark; the flush position
 *      confirmed to the server is the smallest lsn of the INPUT state (what
 *      the target committed), and never moves during the run;
 *   5. each transaction's changes become RECORDs for the streams whose
 *      bookmark it is not older than; STATE at transaction boundaries.
 *
 * LSN BOOKMARKS. A stream's "lsn" L means: every transaction whose commit
 * record starts before L is in the output. After a transaction is written it
 * is the end of its commit record (where a subscriber confirms and where
 * pipelinewise's bookmark points), after the initial copy the slot's
 * consistent point, and when the tables are idle the WAL position of the last
 * keepalive. A transaction is applied to a stream iff its commit LSN >= L.
 */
#include "sync_logical.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "change.h"
#include "decode_pgoutput.h"
#include "decode_wal2json.h"
#include "discovery.h"
#include "exit_codes.h"
#include "json_util.h"
#include "json_writer.h"
#include "log.h"
#include "logical_slot.h"
#include "lsn.h"
#include "repl_stream.h"
#include "state.h"
#include "timefmt.h"

#define DELETED_AT_SCHEMA                                                                          \
    "\"_sdc_deleted_at\":{\"type\":[\"null\",\"string\"],\"format\":\"date-time\"}"
#define LSN_SCHEMA "\"_sdc_lsn\":{\"type\":[\"null\",\"string\"]}"
#define XLOG_SHORT_PHD 24 /* SizeOfXLogShortPHD: the header of every WAL page */
#define XLOG_LONG_PHD 40  /* SizeOfXLogLongPHD: the header of a segment's first page */
/* how long the stream may be silent before the server is asked where it is (at most) */
#define PROBE_SECONDS 1.0

/* one column of a stream's table as this run knows it */
typedef struct lcol {
    tap_column col;    /* name and type (borrowed strings: catalog or a kept pgm_db) */
    bool synced;       /* false: left out by the catalog */
    int rb_index;      /* index in the record builder, -1 when not synced */
    uint64_t wire_sig; /* the type as last seen on the wire, 0 before */
    uint32_t stamp;    /* == the run's stamp when already written in the current record */
    bool foreign;      /* not a column of the stream's table (a partition's or child's own
                          column, or one dropped since): never synced */
    char *owned_name;  /* malloc'ed copy of a foreign column's name (col.name points to it) */
} lcol;

typedef struct lstream {
    tap_stream *src; /* borrowed: the catalog's stream */
    tap_stream view; /* src with columns = synced (what SCHEMA and RECORDs show) */
    lcol *cols;      /* malloc'ed, ncols (all known columns, table order, new ones last) */
    size_t ncols;
    tap_column *synced;        /* malloc'ed: the view's columns */
    const change_value **vals; /* malloc'ed, ncols: the values of the record being built */
    record_builder rb;         /* owned */
    bool rb_ready;
    size_t hint;        /* where the next column lookup starts */
    uint64_t lsn;       /* the bookmark */
    uint64_t input_lsn; /* the bookmark of the input state, 0 when none */
    long long version;
    bool need_copy;      /* no usable lsn bookmark: copied inside the exported snapshot */
    bool need_schema;    /* SCHEMA due before the next RECORD */
    bool warned_unknown; /* a column we could not find was reported */
    bool warned_keyless; /* a delete without the key was reported */
    bool recopy;         /* a TRUNCATE of part of its rows (one partition or child): no more
                            changes; copied again at the end of the run (until then its lsn
                            bookmark is left out of the STATE) */
    bool has_descendants; /* its table has partitions or inheritance children */
    long long nan_count, pos_inf, neg_inf, bad_values; /* value counters of its CDC records */
    char tail_time[40];  /* the time_extracted in the builder's tail */
    long long records;
} lstream;

/* one (relation, stream) pair of the TRUNCATE statement being collected */
typedef struct trunc_rel {
    int stream;
    bool own;    /* the stream's own table (not one of its partitions or children) */
    size_t name; /* offset in sl_run.trunc_names of "schema\0table\0" */
} trunc_rel;

/*
 * A stream that reads a relation's rows: its own table, or an ancestor
 * (partitioned table, intermediate partition, inheritance parent) whose
 * copy (a plain SELECT FROM it) holds the relation's rows.
 */
typedef struct rel_target {
    int stream;
    bool own; /* the relation is the stream's own table */
} rel_target;

/* a relation name -> the streams its changes go to (none: not ours) */
typedef struct relmap_entry {
    char *key;    /* malloc'ed "schema\x1ftable" */
    size_t first; /* its targets: sl_run.targets[first .. first + count) */
    int count;
    char relkind;   /* pg_class.relkind as found at the start ('\0': resolved later) */
    bool inherited; /* not a partition (an inheritance child, or a stream's own table) */
} relmap_entry;

typedef struct relmap {
    relmap_entry *slots; /* malloc'ed, cap (power of two) */
    size_t n, cap;
} relmap;

typedef struct sl_run {
    tap_run *run;
    lstream *streams; /* malloc'ed, n */
    size_t n;
    pg_conn *c;    /* normal connection: metadata, copies */
    pg_conn *repl; /* replication connection */
    char slot[LOGICAL_NAME_MAX];
    char publication[LOGICAL_NAME_MAX];
    char plugin[64];
    bool slot_exists;
    bool has_descendants; /* a stream's table has partitions or inheritance children */
    bool standby;
    relmap names;
    rel_target *targets; /* malloc'ed, ntargets of cap_targets: the relmap entries' targets */
    size_t ntargets, cap_targets;
    pgm_db *dbs; /* malloc'ed: metadata loaded during the run (column names point into it) */
    size_t ndbs;
    wal2json_decoder *w2j;
    pgoutput_decoder *pgo;
    /* the transaction being read */
    bool in_txn;
    uint64_t txn_commit_lsn;
    int64_t txn_commit_time;
    char deleted_at[64]; /* "\"<RFC 3339 commit time>\"" */
    char extracted[40];  /* time_extracted of the transaction's records */
    uint64_t processed;  /* every transaction committed before this is written */
    long long changes_since_state;
    /*
     * The relations of the TRUNCATE statement being read: pgoutput sends one
     * message for them all, wal2json one message per relation, so they are
     * collected until the next message of another kind, then acted upon.
     */
    trunc_rel *trunc; /* malloc'ed, ntrunc of cap_trunc */
    size_t ntrunc, cap_trunc;
    buf trunc_names;
    uint32_t stamp;
    buf scratch;
    long long txns, records;
} sl_run;

/* ---- relation name map ---- */

static uint64_t fnv(const char *s, size_t n, uint64_t h)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= UINT64_C(1099511628211);
    }
    return h;
}

static uint64_t relkey_hash(const char *schema, const char *table)
{
    uint64_t h = fnv(schema, strlen(schema), UINT64_C(14695981039346656037));
    h = fnv("\x1f", 1, h);
    return fnv(table, strlen(table), h);
}

static bool relkey_eq(const char *key, const char *schema, const char *table)
{
    size_t ls = strlen(schema);
    return strncmp(key, schema, ls) == 0 && key[ls] == '\x1f' && strcmp(key + ls + 1, table) == 0;
}

static relmap_entry *relmap_find(const relmap *m, const char *schema, const char *table)
{
    if (!m->cap)
        return NULL;
    for (size_t i = relkey_hash(schema, table) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (!m->slots[i].key)
            return NULL;
        if (relkey_eq(m->slots[i].key, schema, table))
            return &m->slots[i];
    }
}

static bool relmap_put(relmap *m, const char *schema, const char *table, size_t first, int count)
{
    relmap_entry *e = relmap_find(m, schema, table);
    if (e) {
        e->first = first;
        e->count = count;
        return true;
    }
    if ((m->n + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        relmap_entry *fresh = calloc(cap, sizeof(*fresh));
        if (!fresh)
            return false;
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->slots[i].key)
                continue;
            const char *k = m->slots[i].key;
            size_t ls = strcspn(k, "\x1f");
            uint64_t h = fnv(k, ls, UINT64_C(14695981039346656037));
            h = fnv("\x1f", 1, h);
            h = fnv(k + ls + 1, strlen(k + ls + 1), h);
            size_t j = h & (cap - 1);
            while (fresh[j].key)
                j = (j + 1) & (cap - 1);
            fresh[j] = m->slots[i];
        }
        free(m->slots);
        m->slots = fresh;
        m->cap = cap;
    }
    size_t ls = strlen(schema), lt = strlen(table);
    char *key = malloc(ls + lt + 2);
    if (!key)
        return false;
    memcpy(key, schema, ls);
    key[ls] = '\x1f';
    memcpy(key + ls + 1, table, lt + 1);
    size_t i = relkey_hash(schema, table) & (m->cap - 1);
    while (m->slots[i].key)
        i = (i + 1) & (m->cap - 1);
    m->slots[i].key = key;
    m->slots[i].first = first;
    m->slots[i].count = count;
    m->slots[i].relkind = '\0';
    m->slots[i].inherited = false;
    m->n++;
    return true;
}

static void relmap_term(relmap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->slots[i].key);
    free(m->slots);
    memset(m, 0, sizeof(*m));
}

/* ---- failures ---- */

static bool fail(sl_run *L, int code)
{
    return tap_fail(L->run, code);
}

/* ---- stream columns, view and builder ---- */

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
        rb_term(&ls->rb);
    ls->rb_ready = false;
    if (!tap_stream_builder(L->run, &ls->view, &ls->rb))
        return false;
    ls->rb_ready = true;
    ls->tail_time[0] = '\0';
    rb_set_version(&ls->rb, ls->version, NULL);
    return true;
}

static bool init_stream(sl_run *L, lstream *ls, tap_stream *s)
{
    ls->src = s;
    const pgm_table *t = s->table;
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

static bool same_type(const tm_type *a, const tm_type *b)
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
    pgm_db *dbs = realloc(L->dbs, (L->ndbs + 1) * sizeof(*dbs));
    if (!dbs) {
        log_error("out of memory");
        return fail(L, EXIT_INTERNAL);
    }
    L->dbs = dbs;
    pgm_db *db = &L->dbs[L->ndbs];
    memset(db, 0, sizeof(*db));
    const char *sch = ls->src->schema_name, *tab = ls->src->table_name;
    if (!pgm_load(L->c, NULL, 0, &sch, &tab, 1, db)) {
        pgm_term(db);
        return fail(L, EXIT_SOURCE_DB);
    }
    L->ndbs++;
    const pgm_table *t = pgm_find(db, sch, tab);
    if (!t) {
        log_warn("stream \"%s\": the table is gone from the database; its later changes are "
                 "still read from the WAL",
                 ls->src->tap_stream_id);
        return true;
    }
    bool changed = false;
    for (size_t i = 0; i < t->ncols; i++) {
        const pgm_column *pc = &t->cols[i];
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
    uint64_t h = UINT64_C(14695981039346656037);
    h = fnv((const char *)&c->type_oid, sizeof(c->type_oid), h);
    h = fnv((const char *)&c->typmod, sizeof(c->typmod), h);
    if (c->type_name)
        h = fnv(c->type_name, strlen(c->type_name), h);
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
 * check_wire_columns: the columns of a relation or a wal2json row against
 * what the stream knows; a column never seen or a changed type reloads the
 * table's columns. own: the relation is the stream's own table (else a
 * partition or child of it, whose extra columns are not the stream's).
 */
static bool check_wire_columns(sl_run *L, lstream *ls, const change_column *cols, int n, bool own)
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

/* ---- messages ---- */

static bool emit_schema(sl_run *L, lstream *ls)
{
    const char *extra =
        L->run->cfg->debug_lsn ? DELETED_AT_SCHEMA "," LSN_SCHEMA : DELETED_AT_SCHEMA;
    if (!tap_emit_schema(L->run, &ls->view, "lsn", extra))
        return false;
    ls->need_schema = false;
    return true;
}

static void set_bookmarks(sl_run *L)
{
    for (size_t i = 0; i < L->n; i++) {
        lstream *ls = &L->streams[i];
        if (L->processed > ls->lsn)
            ls->lsn = L->processed;
        cJSON *bm = state_bookmark(L->run->state, ls->src->tap_stream_id);
        if (!bm)
            continue;
        if (ls->recopy)
            bm_remove(bm, "lsn"); /* the next run copies it again */
        else
            bm_set_int(bm, "lsn", (long long)ls->lsn);
        bm_set_int(bm, "version", ls->version);
    }
}

static bool emit_state(sl_run *L)
{
    set_bookmarks(L);
    L->changes_since_state = 0;
    return tap_emit_state(L->run);
}

/* the tail (version, time_extracted) of a stream's records for this transaction */
static void stream_tail(sl_run *L, lstream *ls)
{
    if (strcmp(ls->tail_time, L->extracted) != 0) {
        rb_set_version(&ls->rb, ls->version, L->extracted);
        snprintf(ls->tail_time, sizeof(ls->tail_time), "%s", L->extracted);
    }
}

static void put_value(record_builder *rb, int idx, const change_value *v)
{
    if (v->kind == CHANGE_VALUE_NULL)
        rb_null(rb, (size_t)idx);
    else
        rb_value(rb, (size_t)idx, v->text, v->len);
}

static bool end_record(sl_run *L, lstream *ls, uint64_t wal_start)
{
    if (L->run->cfg->debug_lsn) {
        char num[32];
        int n = snprintf(num, sizeof(num), "\"%" PRIu64 "\"", wal_start);
        rb_raw(&ls->rb, "_sdc_lsn", num, (size_t)n);
    }
    rb_end(&ls->rb);
    /*
     * The run's conversion counters now hold this record's values only: they
     * are the stream's, warned about under its name at the end of the run.
     */
    tm_ctx *tm = &L->run->tm;
    ls->nan_count += tm->nan_count;
    ls->pos_inf += tm->pos_infinity_count;
    ls->neg_inf += tm->neg_infinity_count;
    ls->bad_values += tm->bad_values;
    tm->nan_count = tm->pos_infinity_count = tm->neg_infinity_count = tm->bad_values = 0;
    if (!sw_end_line(L->run->w))
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
    if (ls->need_schema && !emit_schema(L, ls))
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
    rb_begin(rb, sw_buf(L->run->w));
    for (size_t k = 0; k < ls->ncols; k++) {
        const lcol *lc = &ls->cols[k];
        if (lc->stamp != stamp || ls->vals[k]->kind == CHANGE_VALUE_UNCHANGED)
            continue; /* missing is not null: the target keeps what it has */
        put_value(rb, lc->rb_index, ls->vals[k]);
    }
    rb_raw(rb, "_sdc_deleted_at", "null", 4);
    return end_record(L, ls, wal_start);
}

/*
 * write_delete: a RECORD of a deleted row: its key (the stream's key
 * properties; every identity column when it has none) and _sdc_deleted_at =
 * the commit time.
 */
static bool write_delete(sl_run *L, lstream *ls, const change_tuple *old, uint64_t wal_start)
{
    if (ls->need_schema && !emit_schema(L, ls))
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
    rb_begin(rb, sw_buf(L->run->w));
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
    rb_raw(rb, "_sdc_deleted_at", L->deleted_at, strlen(L->deleted_at));
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
        pg_quote_ident(&sql, lc->col.name);
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
        pg_quote_ident(&sql, name);
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
    res = pgc_query(L->c, sql.data, (int)nkeys, params);
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

/* ---- relations -> streams ---- */

/* add_target: append a target to L->targets. False on out of memory (logged, fail code set). */
static bool add_target(sl_run *L, int stream, bool own)
{
    if (L->ntargets == L->cap_targets) {
        size_t cap = L->cap_targets ? L->cap_targets * 2 : 64;
        rel_target *grown = realloc(L->targets, cap * sizeof(*grown));
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
 * resolve_relation: the streams a relation's changes go to, as
 * L->targets[*first .. *first + *count) (*count 0: none of ours). False after a
 * failed query (logged, fail code set). A relation not in the map may be a
 * partition or inheritance child created since the start: every selected
 * ancestor of it (pg_inherits, which holds both) reads its rows. The answer
 * is cached.
 */
static bool resolve_relation(sl_run *L, const char *schema, const char *table, size_t *first,
                             int *count)
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
        PGresult *res = pgc_query(L->c,
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
                const rel_target *t = &L->targets[anc->first + (size_t)k];
                if (t->own)
                    ok = add_target(L, t->stream, false);
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

/* is this transaction's change to be written for stream ls? */
static bool applies(const sl_run *L, const lstream *ls)
{
    return !ls->recopy && L->txn_commit_lsn >= ls->lsn;
}

/* ---- the change dispatcher ---- */

static bool on_begin(sl_run *L, const change *c)
{
    L->in_txn = true;
    L->txn_commit_lsn = c->commit_lsn;
    L->txn_commit_time = c->commit_time;
    char text[CHANGE_TIME_TEXT_MAX];
    size_t n = change_time_text(
        c->commit_time == CHANGE_TIME_UNKNOWN ? timefmt_now_ms() * 1000 : c->commit_time, text);
    buf_reset(&L->scratch);
    buf_putc(&L->scratch, '"');
    int inf;
    if (!timefmt_timestamp(&L->scratch, text, n, &inf))
        buf_appends(&L->scratch, text);
    buf_putc(&L->scratch, '"');
    snprintf(L->deleted_at, sizeof(L->deleted_at), "%s", L->scratch.data);
    timefmt_now_rfc3339(L->extracted, sizeof(L->extracted));
    return true;
}

static bool on_commit(sl_run *L, const change *c)
{
    L->in_txn = false;
    L->txns++;
    uint64_t end = c->end_lsn ? c->end_lsn : c->commit_lsn + 1;
    if (end > L->processed)
        L->processed = end;
    if (L->changes_since_state >= L->run->cfg->itersize)
        return emit_state(L);
    return true;
}

/* row_change_to: one row change for one of the streams that read the relation */
static bool row_change_to(sl_run *L, lstream *ls, bool own, const change *c, uint64_t wal_start)
{
    if (!applies(L, ls))
        return true;
    if (L->w2j) {
        /* wal2json describes the columns in every row: new columns and type changes show here */
        const change_tuple *t = c->kind == CHANGE_DELETE ? &c->old_tuple : &c->new_tuple;
        if (!check_wire_columns(L, ls, t->columns, t->nvalues, own))
            return false;
    }
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

/*
 * on_row_change: a change of a relation goes to every stream that reads its
 * rows (its own, and each selected partitioned table or inheritance parent
 * above it), each projected onto that stream's columns by name and under
 * that stream's bookmark.
 */
static bool on_row_change(sl_run *L, const change *c, uint64_t wal_start)
{
    size_t first;
    int count;
    if (!resolve_relation(L, c->rel->schema, c->rel->table, &first, &count))
        return false;
    for (int k = 0; k < count; k++) {
        rel_target t = L->targets[first + (size_t)k];
        if (!row_change_to(L, &L->streams[t.stream], t.own, c, wal_start))
            return false;
    }
    return true;
}

/* collect_truncate: remember that relation rel of the TRUNCATE is one of stream si's */
static bool collect_truncate(sl_run *L, int si, bool own, const change_relation *rel)
{
    if (L->ntrunc == L->cap_trunc) {
        size_t cap = L->cap_trunc ? L->cap_trunc * 2 : 8;
        trunc_rel *grown = realloc(L->trunc, cap * sizeof(*grown));
        if (!grown) {
            log_error("out of memory");
            return fail(L, EXIT_INTERNAL);
        }
        L->trunc = grown;
        L->cap_trunc = cap;
    }
    trunc_rel *t = &L->trunc[L->ntrunc++];
    t->stream = si;
    t->own = own;
    t->name = L->trunc_names.len;
    buf_append(&L->trunc_names, rel->schema, strlen(rel->schema) + 1);
    buf_append(&L->trunc_names, rel->table, strlen(rel->table) + 1);
    if (!buf_ok(&L->trunc_names)) {
        log_error("out of memory");
        return fail(L, EXIT_INTERNAL);
    }
    return true;
}

/* on_truncate: collect the relations of a TRUNCATE (acted upon by flush_truncate) */
static bool on_truncate(sl_run *L, const change *c)
{
    for (int i = 0; i < c->nrelations; i++) {
        const change_relation *rel = c->relations[i];
        size_t first;
        int count;
        if (!resolve_relation(L, rel->schema, rel->table, &first, &count))
            return false;
        for (int k = 0; k < count; k++) {
            rel_target tg = L->targets[first + (size_t)k];
            if (!collect_truncate(L, tg.stream, tg.own, rel))
                return false;
        }
    }
    return true;
}

/* was relation schema.table of stream si among the collected TRUNCATE relations? */
static bool truncated(const sl_run *L, int si, const char *schema, const char *table)
{
    for (size_t k = 0; k < L->ntrunc; k++) {
        const char *n = L->trunc_names.data + L->trunc[k].name;
        if (L->trunc[k].stream == si && strcmp(n, schema) == 0 &&
            strcmp(n + strlen(n) + 1, table) == 0)
            return true;
    }
    return false;
}

/*
 * whole_table_truncated: did the collected TRUNCATE empty every table that
 * holds rows of stream si (its own table unless partitioned, and every
 * partition or inheritance child below it)? -1 after a failed query
 * (logged). A TRUNCATE of a partitioned table arrives as its partitions with
 * pgoutput (publish_via_partition_root false), and TRUNCATE ONLY of an
 * inheritance parent leaves its children's rows.
 */
static int whole_table_truncated(sl_run *L, int si)
{
    const tap_stream *src = L->streams[si].src;
    const char *params[2] = {src->schema_name, src->table_name};
    PGresult *res = pgc_query(L->c,
                              "WITH RECURSIVE d(relid) AS ("
                              "SELECT c2.oid FROM pg_class c2 JOIN pg_namespace n2 ON n2.oid "
                              "= c2.relnamespace WHERE n2.nspname = $1 AND c2.relname = $2 "
                              "UNION SELECT h.inhrelid FROM d "
                              "JOIN pg_inherits h ON h.inhparent = d.relid) "
                              "SELECT n.nspname, c.relname FROM d "
                              "JOIN pg_class c ON c.oid = d.relid "
                              "JOIN pg_namespace n ON n.oid = c.relnamespace "
                              "WHERE c.relkind = 'r'",
                              2, params);
    if (!res) {
        fail(L, EXIT_SOURCE_DB);
        return -1;
    }
    int all = 1;
    for (int r = 0; r < PQntuples(res) && all; r++)
        all = truncated(L, si, PQgetvalue(res, r, 0), PQgetvalue(res, r, 1));
    PQclear(res);
    return all;
}

/*
 * flush_truncate: act upon the collected TRUNCATE, once per stream. Every
 * table holding the stream's rows emptied: a new table version and
 * ACTIVATE_VERSION (the target drops the older rows). Only part of them (a
 * partition, an inheritance child, TRUNCATE ONLY of a parent): the target
 * cannot be told which rows went, so the stream takes no more changes and is
 * copied again at the end of the run as a new table version (its lsn
 * bookmark is left out of the STATE until then).
 */
static bool flush_truncate(sl_run *L)
{
    bool ok = true;
    for (size_t k = 0; k < L->ntrunc && ok; k++) {
        int si = L->trunc[k].stream;
        bool seen = false, own = false;
        for (size_t j = 0; j < L->ntrunc; j++) {
            if (L->trunc[j].stream != si)
                continue;
            if (j < k)
                seen = true;
            own = own || L->trunc[j].own;
        }
        lstream *ls = &L->streams[si];
        if (seen || !applies(L, ls))
            continue;
        bool partitioned = ls->src->table && ls->src->table->relkind == 'p';
        bool whole;
        if (partitioned && own)
            whole = true; /* the partitioned table itself: all of it */
        else if (!ls->has_descendants)
            whole = own;
        else if (!partitioned && !own)
            whole = false; /* the stream's own table keeps its rows */
        else {
            int w = whole_table_truncated(L, si);
            if (w < 0) {
                ok = false;
                break;
            }
            whole = w == 1;
        }
        if (!whole) {
            const char *n = L->trunc_names.data + L->trunc[k].name;
            log_warn("stream \"%s\": TRUNCATE of \"%s\".\"%s\"%s empties only part of the "
                     "stream's rows: the stream takes no more changes and is copied again at "
                     "the end of the run (as a new table version)",
                     ls->src->tap_stream_id, n, n + strlen(n) + 1,
                     L->trunc[k].own ? " alone (ONLY)" : "");
            ls->recopy = true;
            L->changes_since_state++;
            continue;
        }
        /* a new table version: ACTIVATE_VERSION makes the target drop the older rows */
        long long v = timefmt_now_ms();
        if (v <= ls->version)
            v = ls->version + 1;
        ls->version = v;
        ls->tail_time[0] = '\0';
        log_info("stream \"%s\": TRUNCATE, new table version %lld", ls->src->tap_stream_id, v);
        if (ls->need_schema && !emit_schema(L, ls)) {
            ok = false;
            break;
        }
        if (!tap_emit_activate_version(L->run, &ls->view, v)) {
            ok = false;
            break;
        }
        L->changes_since_state++;
    }
    L->ntrunc = 0;
    buf_reset(&L->trunc_names);
    return ok;
}

static bool on_relation(sl_run *L, const change *c)
{
    size_t first;
    int count;
    if (!resolve_relation(L, c->rel->schema, c->rel->table, &first, &count))
        return false;
    for (int k = 0; k < count; k++) {
        rel_target t = L->targets[first + (size_t)k];
        if (!check_wire_columns(L, &L->streams[t.stream], c->rel->columns, c->rel->ncolumns, t.own))
            return false;
    }
    return true;
}

static bool on_message(sl_run *L, char *msg, size_t len, uint64_t wal_start)
{
    change c;
    bool ok =
        L->w2j ? wal2json_decode(L->w2j, msg, len, &c) : pgoutput_decode(L->pgo, msg, len, &c);
    if (!ok) {
        char at[LSN_TEXT_MAX];
        lsn_format(wal_start, at);
        log_error("could not decode the %s message at %s", L->plugin, at);
        return fail(L, EXIT_SOURCE_DB);
    }
    if (L->ntrunc && c.kind != CHANGE_TRUNCATE && !flush_truncate(L))
        return false;
    switch (c.kind) {
    case CHANGE_BEGIN:
        return on_begin(L, &c);
    case CHANGE_COMMIT:
        return on_commit(L, &c);
    case CHANGE_INSERT:
    case CHANGE_UPDATE:
    case CHANGE_DELETE:
        return on_row_change(L, &c, wal_start);
    case CHANGE_TRUNCATE:
        return on_truncate(L, &c);
    case CHANGE_RELATION:
        return on_relation(L, &c);
    default:
        return true;
    }
}

/* ---- setup ---- */

static long long new_version(void)
{
    return timefmt_now_ms();
}

/* an lsn bookmark as found in a state: a number, a "X/Y" text or a decimal text */
static bool bookmark_lsn(const cJSON *v, uint64_t *out)
{
    if (cJSON_IsNumber(v) && v->valuedouble >= 1 && v->valuedouble < 9.0e15) {
        *out = (uint64_t)v->valuedouble;
        return true;
    }
    if (!cJSON_IsString(v))
        return false;
    if (lsn_parse(v->valuestring, out) && *out)
        return true;
    char *end = NULL;
    errno = 0;
    unsigned long long u = strtoull(v->valuestring, &end, 10);
    if (errno || !end || *end || !u)
        return false;
    *out = u;
    return true;
}

static bool read_bookmarks(sl_run *L)
{
    for (size_t i = 0; i < L->n; i++) {
        lstream *ls = &L->streams[i];
        const char *id = ls->src->tap_stream_id;
        state_adopt_sdk_lsn(L->run->state, id); /* a MeltanoLabs bookmark becomes an lsn */
        const cJSON *lsn = state_get(L->run->state, id, "lsn");
        ls->need_copy = !lsn || !bookmark_lsn(lsn, &ls->lsn);
        if (lsn && ls->need_copy)
            log_warn("stream \"%s\": the lsn bookmark of the state is not an LSN: the table "
                     "is copied again",
                     id);
        /*
         * pipelinewise writes "xmin" during the initial copy of a LOG_BASED
         * stream and sets it to null when the copy is done: an lsn with an
         * xmin means the copy was interrupted, and the rows it did not reach
         * are not in the target.
         */
        const cJSON *xmin = state_get(L->run->state, id, "xmin");
        if (!ls->need_copy && xmin && !cJSON_IsNull(xmin)) {
            log_warn("stream \"%s\": the state says its initial copy was interrupted (an xmin "
                     "bookmark next to the lsn): the table is copied again as a new table version",
                     id);
            ls->need_copy = true;
        }
        /* what the target committed: the input state's bookmark, when it is still ours */
        uint64_t in;
        const cJSON *in_lsn = state_lsn_value(L->run->input_state, id);
        if (!ls->need_copy && in_lsn && bookmark_lsn(in_lsn, &in) && in == ls->lsn)
            ls->input_lsn = in;
        long long v;
        const cJSON *bm = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(L->run->state, "bookmarks"), id);
        ls->version = bm_get_int(bm, "version", &v) && v > 0 ? v : -1;
    }
    return true;
}

/* stream_array_params: the streams' schemas and tables as two text[] literals */
static bool stream_array_params(sl_run *L, buf *schemas, buf *names)
{
    buf_putc(schemas, '{');
    buf_putc(names, '{');
    for (size_t i = 0; i < L->n; i++) {
        pg_array_elem(schemas, L->streams[i].src->schema_name, i == 0);
        pg_array_elem(names, L->streams[i].src->table_name, i == 0);
    }
    buf_putc(schemas, '}');
    buf_putc(names, '}');
    if (!buf_ok(schemas) || !buf_ok(names)) {
        log_error("out of memory");
        return fail(L, EXIT_INTERNAL);
    }
    return true;
}

/*
 * build_name_map: every relation whose rows a stream reads, with the streams
 * that read it: each stream's own table, and every partition and inheritance
 * child below it (pg_inherits holds both, at every level): a plain SELECT
 * FROM a parent or partitioned table returns their rows, so the stream gets
 * their changes too. One relation may so feed several streams (a partition
 * selected with its root, an inheritance parent with its child). Relations
 * created later are resolved when they appear (resolve_relation).
 */
static bool build_name_map(sl_run *L)
{
    buf schemas = BUF_INIT, names = BUF_INIT;
    if (!stream_array_params(L, &schemas, &names)) {
        buf_term(&schemas);
        buf_term(&names);
        return false;
    }
    const char *params[2] = {schemas.data, names.data};
    PGresult *res = pgc_query(L->c,
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
        return fail(L, EXIT_SOURCE_DB);
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
            ok = add_target(L, (int)si, own);
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
        ok = add_target(L, (int)i, true);
        if (ok && !relmap_put(&L->names, s->schema_name, s->table_name, first, 1)) {
            log_error("out of memory");
            ok = fail(L, EXIT_INTERNAL);
        }
    }
    return ok;
}

/*
 * check_identities: warn about replica identities that lose changes: none at
 * all with wal2json (it sends no UPDATE and no DELETE of such a table;
 * pgoutput refuses to publish it, see logical_publication_ensure), and an
 * identity index that does not hold the stream's key (a DELETE cannot name
 * its row, a key change is not seen). Partitioned tables are left alone (each
 * partition has its own identity).
 */
static bool check_identities(sl_run *L)
{
    buf schemas = BUF_INIT, names = BUF_INIT;
    buf_putc(&schemas, '{');
    buf_putc(&names, '{');
    for (size_t i = 0; i < L->n; i++) {
        pg_array_elem(&schemas, L->streams[i].src->schema_name, i == 0);
        pg_array_elem(&names, L->streams[i].src->table_name, i == 0);
    }
    buf_putc(&schemas, '}');
    buf_putc(&names, '}');
    if (!buf_ok(&schemas) || !buf_ok(&names)) {
        buf_term(&schemas);
        buf_term(&names);
        log_error("out of memory");
        return fail(L, EXIT_INTERNAL);
    }
    const char *params[2] = {schemas.data, names.data};
    PGresult *res = pgc_query(
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
 * warn_generated: logical decoding carries no value of a virtual generated
 * column (PostgreSQL 18: wal2json writes null, pgoutput leaves it out), and
 * pgoutput publishes no stored generated column unless the publication has
 * publish_generated_columns = stored (PostgreSQL 18; none before). The
 * initial copy has their values; the records of changes do not: say so per
 * stream and synced column.
 */
static bool warn_generated(sl_run *L)
{
    buf schemas = BUF_INIT, names = BUF_INIT;
    buf_putc(&schemas, '{');
    buf_putc(&names, '{');
    for (size_t i = 0; i < L->n; i++) {
        pg_array_elem(&schemas, L->streams[i].src->schema_name, i == 0);
        pg_array_elem(&names, L->streams[i].src->table_name, i == 0);
    }
    buf_putc(&schemas, '}');
    buf_putc(&names, '}');
    if (!buf_ok(&schemas) || !buf_ok(&names)) {
        buf_term(&schemas);
        buf_term(&names);
        log_error("out of memory");
        return fail(L, EXIT_INTERNAL);
    }
    bool pg18 = pgc_server_version(L->c) >= 180000;
    const char *params[3] = {schemas.data, names.data, L->publication};
    PGresult *res = pgc_query(
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

/* key_schema: the schema part of a relmap key, into out (size n) */
static void key_schema(const char *key, char *out, size_t n)
{
    snprintf(out, n, "%.*s", (int)strcspn(key, "\x1f"), key);
}

/*
 * check_descendant_identities: a partition's or inheritance child's UPDATE
 * and DELETE reach an ancestor's stream only when the server logs the
 * ancestor stream's key with them: the child's replica identity must be FULL
 * or hold every key column of the stream (inheritance does not carry primary
 * keys to children). Else that stream's deletes could not name their rows
 * and it would diverge from its table: the combination is refused (exit 3)
 * with the fix.
 */
static bool check_descendant_identities(sl_run *L)
{
    buf schemas = BUF_INIT, names = BUF_INIT, idx = BUF_INIT;
    buf_putc(&schemas, '{');
    buf_putc(&names, '{');
    buf_putc(&idx, '{');
    size_t npairs = 0;
    for (size_t i = 0; i < L->names.cap; i++) {
        const relmap_entry *e = &L->names.slots[i];
        if (!e->key || e->relkind != 'r')
            continue;
        for (int k = 0; k < e->count; k++) {
            const rel_target *t = &L->targets[e->first + (size_t)k];
            if (t->own)
                continue;
            char schema[256];
            key_schema(e->key, schema, sizeof(schema));
            pg_array_elem(&schemas, schema, npairs == 0);
            pg_array_elem(&names, e->key + strcspn(e->key, "\x1f") + 1, npairs == 0);
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
        res = pgc_query(L->c,
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
            /* a stream without a key: as for its own table (check_identities), a warning */
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
 * the add-tables list of wal2json: every relation a stream reads (its table,
 * its partitions and inheritance children), and the whole schema of a table
 * that has some, so that partitions and children created during the run are
 * not missed
 */
static void wal2json_tables(sl_run *L, buf *out)
{
    bool first = true;
    for (size_t i = 0; i < L->names.cap; i++) {
        const relmap_entry *e = &L->names.slots[i];
        if (!e->key || e->count == 0)
            continue;
        char schema[256];
        key_schema(e->key, schema, sizeof(schema));
        /* a partition or child in the schema of a stream that reads it: that schema's wildcard */
        bool covered = true;
        for (int k = 0; k < e->count && covered; k++) {
            const rel_target *t = &L->targets[e->first + (size_t)k];
            covered = !t->own && strcmp(L->streams[t->stream].src->schema_name, schema) == 0;
        }
        if (covered)
            continue;
        if (!first)
            buf_putc(out, ',');
        first = false;
        wal2json_table_pattern(out, schema, e->key + strcspn(e->key, "\x1f") + 1);
    }
    for (size_t i = 0; i < L->n; i++) {
        const tap_stream *src = L->streams[i].src;
        if (!L->streams[i].has_descendants && !(src->table && src->table->relkind == 'p'))
            continue;
        if (!first)
            buf_putc(out, ',');
        first = false;
        wal2json_table_pattern(out, src->schema_name, "");
        buf_putc(out, '*');
    }
}

/* the initial copy of the streams that need one, inside snapshot */
static bool copy_streams(sl_run *L, const char *snapshot, uint64_t consistent_point)
{
    bool ok = true;
    buf sql = BUF_INIT;
    buf_append_lit(&sql, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET TRANSACTION "
                         "SNAPSHOT ");
    pg_quote_literal(&sql, snapshot);
    if (!pgc_exec(L->c, sql.data)) {
        buf_term(&sql);
        return fail(L, EXIT_SOURCE_DB);
    }
    for (size_t i = 0; i < L->n && ok; i++) {
        lstream *ls = &L->streams[i];
        if (!ls->need_copy)
            continue;
        bool first_version = ls->version < 0;
        long long old_version = ls->version;
        ls->version = new_version();
        if (i > 0 && ls->version <= L->streams[i - 1].version)
            ls->version = L->streams[i - 1].version + 1;
        if (ls->version <= old_version)
            ls->version = old_version + 1; /* a copy again in the same run (recopy_streams) */
        if (ls->need_schema && !emit_schema(L, ls)) {
            ok = false;
            break;
        }
        rb_set_version(&ls->rb, ls->version, NULL);
        log_info("stream \"%s\": initial copy inside the snapshot of the slot",
                 ls->src->tap_stream_id);
        double t0 = timefmt_monotonic();
        if (first_version && !tap_emit_activate_version(L->run, &ls->view, ls->version)) {
            ok = false;
            break;
        }
        char now[40];
        timefmt_now_rfc3339(now, sizeof(now));
        rb_set_version(&ls->rb, ls->version, now);
        ls->tail_time[0] = '\0';
        buf_reset(&sql);
        buf_append_lit(&sql, "COPY (SELECT ");
        tap_select_list(&sql, &ls->view);
        buf_append_lit(&sql, " FROM ");
        tap_quoted_table(&sql, &ls->view);
        buf_append_lit(&sql, ") TO STDOUT");
        long long rows = 0;
        ok = tap_copy_rows(L->run, L->c, sql.data, &ls->view, &ls->rb, NULL, NULL, &rows);
        tap_log_counters(L->run, ls->src->tap_stream_id);
        if (!ok)
            break;
        if (!tap_emit_activate_version(L->run, &ls->view, ls->version)) {
            ok = false;
            break;
        }
        ls->lsn = consistent_point;
        ls->need_copy = false;
        ls->records += rows;
        cJSON *bm = state_bookmark(L->run->state, ls->src->tap_stream_id);
        if (bm) {
            bm_set_int(bm, "lsn", (long long)ls->lsn);
            bm_set_int(bm, "version", ls->version);
            bm_remove(bm, "xmin");
        }
        ok = tap_emit_state(L->run);
        log_metric_counter("record_count", rows, ls->src->tap_stream_id);
        log_metric_timer("copy_duration", timefmt_monotonic() - t0, ls->src->tap_stream_id);
    }
    if (!pgc_exec(L->c, ok ? "COMMIT" : "ROLLBACK") && ok)
        ok = fail(L, EXIT_SOURCE_DB);
    buf_term(&sql);
    return ok;
}

static pg_conn *repl_connect(sl_run *L);

/*
 * copy_in_temporary_slot: copy the streams that need it inside the snapshot
 * of a TEMPORARY slot (the main slot exists and streams what follows); the
 * slot is dropped with its connection after the copies.
 */
static bool copy_in_temporary_slot(sl_run *L)
{
    pg_conn *tmp = repl_connect(L);
    if (!tmp)
        return false;
    char name[LOGICAL_NAME_MAX];
    snprintf(name, sizeof(name), "%.40s_tmp_%ld", L->slot, (long)getpid());
    logical_created_slot created;
    bool ok = logical_slot_create(tmp, name, "pgoutput", true, &tap_stop_requested, &created);
    if (!ok)
        fail(L, created.interrupted ? EXIT_INTERRUPTED : EXIT_SOURCE_DB);
    else
        ok = copy_streams(L, created.snapshot, created.consistent_point);
    pgc_destroy(tmp); /* drops the temporary slot */
    return ok;
}

/*
 * recopy_streams: after the stream, copy again each stream a TRUNCATE
 * emptied only in part (flush_truncate), as a new table version inside the
 * snapshot of a temporary slot: its bookmark becomes that slot's consistent
 * point, so the next run applies exactly the transactions the copy does not
 * see. The STATE written at the end of the stream has no lsn for these
 * streams: a run interrupted before the copy ends leaves them to the next
 * run's copy.
 */
static bool recopy_streams(sl_run *L)
{
    size_t n = 0;
    for (size_t i = 0; i < L->n; i++) {
        lstream *ls = &L->streams[i];
        if (!ls->recopy)
            continue;
        ls->recopy = false;
        ls->need_copy = true;
        ls->input_lsn = 0;
        n++;
    }
    if (!n)
        return true;
    log_info("LOG_BASED: copying again %zu stream(s) that a TRUNCATE emptied in part", n);
    if (!logical_check_capacity(L->c, 1))
        return fail(L, EXIT_SOURCE_DB);
    return copy_in_temporary_slot(L);
}

/*
 * check_via_root: with publish_via_partition_root = true the server sends a
 * partition's changes under the name of its topmost published ancestor
 * only: a partition selected together with an ancestor would get none of
 * them and go stale. Refused (exit 3) with the fix.
 */
static bool check_via_root(sl_run *L)
{
    if (pgc_server_version(L->c) < 130000)
        return true;
    const char *params[1] = {L->publication};
    PGresult *res =
        pgc_query(L->c, "SELECT pubviaroot FROM pg_publication WHERE pubname = $1", 1, params);
    if (!res)
        return fail(L, EXIT_SOURCE_DB);
    bool via_root = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    bool refused = false;
    for (size_t i = 0; via_root && i < L->n; i++) {
        const tap_stream *src = L->streams[i].src;
        const relmap_entry *e = relmap_find(&L->names, src->schema_name, src->table_name);
        if (!e || e->inherited)
            continue;
        for (int k = 0; k < e->count; k++) {
            const rel_target *t = &L->targets[e->first + (size_t)k];
            if (t->own)
                continue;
            log_error("publication \"%s\" has publish_via_partition_root = true: the changes of "
                      "partition \"%s\".\"%s\" reach the slot under the name of its root only, "
                      "so stream \"%s\" (selected with stream \"%s\" of an ancestor) would get "
                      "none of them; the owner can run ALTER PUBLICATION \"%s\" SET "
                      "(publish_via_partition_root = false); or select only one of the two",
                      L->publication, src->schema_name, src->table_name, src->tap_stream_id,
                      L->streams[t->stream].src->tap_stream_id, L->publication);
            refused = true;
            break;
        }
    }
    return refused ? fail(L, EXIT_BAD_CONFIG) : true;
}

/*
 * ensure_publication: the publication publishes every stream's table and
 * every inheritance child below one (partitions come with their partitioned
 * table). A table that was not published before this run never had its
 * changes in the slot: each stream that reads its rows and has a bookmark is
 * copied again (a child created since the last run, a publication dropped
 * and made again).
 */
static bool ensure_publication(sl_run *L)
{
    size_t cap = L->n;
    for (size_t i = 0; i < L->names.cap; i++)
        cap += L->names.slots[i].key != NULL;
    logical_table *tables = calloc(cap ? cap : 1, sizeof(*tables));
    size_t *entry = calloc(cap ? cap : 1, sizeof(*entry)); /* relmap slot of tables[n..] */
    bool *added = calloc(cap ? cap : 1, sizeof(*added));
    char *schemas = calloc(cap ? cap : 1, 256);
    bool ok = tables && entry && added && schemas;
    if (!ok) {
        log_error("out of memory");
        fail(L, EXIT_INTERNAL);
        goto done;
    }
    size_t n = 0;
    for (size_t i = 0; i < L->n; i++, n++) {
        tables[n].schema = L->streams[i].src->schema_name;
        tables[n].table = L->streams[i].src->table_name;
    }
    for (size_t i = 0; i < L->names.cap; i++) {
        const relmap_entry *e = &L->names.slots[i];
        if (!e->key || e->relkind != 'r' || !e->inherited)
            continue;
        bool own = false;
        for (int k = 0; k < e->count && !own; k++)
            own = L->targets[e->first + (size_t)k].own;
        if (own || !e->count)
            continue;
        key_schema(e->key, schemas + n * 256, 256);
        tables[n].schema = schemas + n * 256;
        tables[n].table = e->key + strcspn(e->key, "\x1f") + 1;
        entry[n++] = i;
    }
    if (!logical_publication_ensure(L->c, L->publication, tables, (int)n, added)) {
        ok = fail(L, EXIT_SOURCE_DB);
        goto done;
    }
    if (!(ok = check_via_root(L)))
        goto done;
    for (size_t t = 0; t < n; t++) {
        if (!added[t])
            continue;
        const relmap_entry *e = t < L->n ? relmap_find(&L->names, tables[t].schema, tables[t].table)
                                         : &L->names.slots[entry[t]];
        for (int k = 0; e && k < e->count; k++) {
            lstream *ls = &L->streams[L->targets[e->first + (size_t)k].stream];
            if (ls->need_copy)
                continue;
            log_warn("stream \"%s\": table \"%s\".\"%s\" was not in publication \"%s\" "
                     "(created or made a child since the last run?): its changes until now never "
                     "reached the slot, so the stream is copied again as a new table version",
                     ls->src->tap_stream_id, tables[t].schema, tables[t].table, L->publication);
            ls->need_copy = true;
            ls->input_lsn = 0;
            cJSON *bm = state_bookmark(L->run->state, ls->src->tap_stream_id);
            if (bm) {
                bm_remove(bm, "lsn");
                bm_remove(bm, "xmin");
            }
        }
    }
done:
    free(tables);
    free(entry);
    free(added);
    free(schemas);
    return ok;
}

/* a replication connection with the session settings the value texts rely on */
static pg_conn *repl_connect(sl_run *L)
{
    pgc_options o = {0};
    o.application_name = "tap-postgres";
    o.attempts = 3;
    o.replication = true;
    o.password = L->run->cfg->password;
    pg_conn *r = pgc_connect(L->run->cfg->root, &o);
    if (!r) {
        fail(L, EXIT_SOURCE_DB);
        return NULL;
    }
    buf sql = BUF_INIT;
    buf_appendf(&sql,
                "SET TimeZone = 'UTC'; SET DateStyle = 'ISO'; SET IntervalStyle = 'iso_8601'; "
                "SET extra_float_digits = 3; SET bytea_output = 'hex'; "
                "SET wal_sender_timeout = %lld",
                L->run->cfg->wal_sender_timeout > 0 ? L->run->cfg->wal_sender_timeout : 0LL);
    bool ok = pgc_exec(r, sql.data);
    buf_term(&sql);
    if (!ok) {
        logical_explain_failure(r, L->plugin);
        pgc_destroy(r);
        fail(L, EXIT_SOURCE_DB);
        return NULL;
    }
    return r;
}

/* ---- the stream loop ---- */

typedef enum stop_reason {
    STOP_NONE = 0,
    STOP_END_LSN,
    STOP_MAX_RUN,
    STOP_POLL,
    STOP_SIGNAL,
    STOP_CAUGHT_UP,
} stop_reason;

/* what the server process of the replication connection is doing (pg_stat_activity) */
typedef enum walsender_activity {
    WS_UNKNOWN = -1,        /* cannot be told (logged once by the caller) */
    WS_BUSY = 0,            /* running: reading WAL, decoding, replaying a transaction */
    WS_WAITING_FOR_WAL = 1, /* it has read and decoded all flushed WAL */
    WS_WAITING = 2,         /* waiting for something else (our socket, a standby) */
} walsender_activity;

/*
 * walsender_activity_now: the wait event of the server process of the
 * replication connection. A process that waits for nothing, or only for I/O
 * or a lock, is working; WalSenderWaitForWAL means it has sent everything
 * flushed.
 */
static walsender_activity walsender_activity_now(sl_run *L)
{
    char pid[16];
    snprintf(pid, sizeof(pid), "%d", PQbackendPID(L->repl->conn));
    const char *params[1] = {pid};
    PGresult *res = pgc_query_quiet(
        L->c,
        "SELECT wait_event_type IS NULL OR wait_event_type IN ('IO', 'LWLock', 'Lock', "
        "'BufferPin'), wait_event IS NOT DISTINCT FROM 'WalSenderWaitForWAL' "
        "FROM pg_stat_activity WHERE pid = $1::int",
        1, params);
    if (!res)
        return WS_UNKNOWN;
    walsender_activity a = WS_UNKNOWN;
    if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
        a = strcmp(PQgetvalue(res, 0, 0), "t") == 0   ? WS_BUSY
            : strcmp(PQgetvalue(res, 0, 1), "t") == 0 ? WS_WAITING_FOR_WAL
                                                      : WS_WAITING;
    PQclear(res);
    return a;
}

/*
 * The stop rules of the stream (README "Run bounds").
 *
 * PROGRESS. While the server decodes WAL that holds nothing for the selected
 * tables (another database's writes, a large transaction on a table not
 * selected: the target's own load) it sends nothing, for as long as that
 * takes. So silence is not idleness: after probe_seconds without a message
 * the loop asks for a keepalive (a status update with reply requested),
 * which the walsender answers from its main loop between two WAL records
 * with its sent position, how far it has decoded. That position moving
 * forward is progress. Inside one record the walsender does not answer:
 * replaying a large transaction's changes (decoded from its commit record)
 * to the plugin, which filters them out. A probe that finds no progress
 * therefore asks pg_stat_activity what the walsender is doing: running (no
 * wait event, or I/O on its spill files or the WAL) is progress too. The
 * server is idle only when its position stands still and its walsender
 * waits (for new WAL, normally). logical_poll_total_seconds counts idle
 * time only. That holds for the WAL that was there when the run started,
 * up to the end position: past it the server follows the WAL as it is
 * written, and only changes for the selected tables count, or a server
 * that is never idle (other databases writing all the time) would hold a
 * run without break_at_end_lsn until max_run_seconds.
 *
 * break_at_end_lsn ends the run when every transaction up to the end
 * position (the insert position at the start) is written, which the sent
 * positions of the keepalives show even when nothing of it is ours, or when
 * the server is really idle short of it. The end position may never be
 * reached: WAL records of a transaction still open (or a record cut by a
 * page flush) may stay unflushed, so unread, for as long as nothing else
 * commits. So when a probe finds the walsender waiting for WAL to be flushed
 * it asks for a keepalive, and the arrival of one (after every message sent
 * before it) ends the run: every transaction committed and flushed before
 * the start has been written.
 */
typedef struct stop_rules {
    double poll_seconds;  /* logical_poll_total_seconds */
    double run_deadline;  /* monotonic end of max_run_seconds, -1: none */
    double probe_seconds; /* silence before asking the server where it is */
    double last_progress; /* the last data, position move or busy walsender */
    double next_probe;
    bool moved;        /* progress since the last probe */
    uint64_t seen_lsn; /* the highest position the server reported (keepalives) */
    bool ping_out;     /* a reply request has not been answered yet */
    bool can_ask;      /* pg_stat_activity tells what the walsender does */
    bool break_at_end; /* break_at_end_lsn */
    uint64_t end_lsn;  /* its end position */
    bool idle_ping;    /* a reply request sent after the walsender was seen waiting for WAL */
    bool caught_up;    /* ... and answered */
} stop_rules;

static void stop_init(stop_rules *st, const tap_config *cfg, double now, uint64_t end_lsn)
{
    memset(st, 0, sizeof(*st));
    st->poll_seconds =
        cfg->logical_poll_total_seconds > 0 ? (double)cfg->logical_poll_total_seconds : 10800;
    st->run_deadline = cfg->max_run_seconds > 0 ? now + (double)cfg->max_run_seconds : -1;
    st->probe_seconds = st->poll_seconds / 4 < PROBE_SECONDS ? st->poll_seconds / 4 : PROBE_SECONDS;
    st->last_progress = now;
    st->next_probe = now + st->probe_seconds;
    st->can_ask = true;
    st->break_at_end = cfg->break_at_end_lsn;
    st->end_lsn = end_lsn;
}

/* the server showed progress at now */
static void stop_progress(stop_rules *st, double now)
{
    st->last_progress = now;
    st->moved = true;
    if (st->next_probe < now + st->probe_seconds)
        st->next_probe = now + st->probe_seconds;
}

/* why the run ends now, between transactions (STOP_NONE: it goes on) */
static stop_reason stop_check(const stop_rules *st, const sl_run *L, double now)
{
    if (tap_stop_requested)
        return STOP_SIGNAL;
    if (st->break_at_end && L->processed >= st->end_lsn)
        return STOP_END_LSN;
    if (st->caught_up)
        return STOP_CAUGHT_UP;
    if (st->run_deadline >= 0 && now >= st->run_deadline)
        return STOP_MAX_RUN;
    if (now - st->last_progress >= st->poll_seconds)
        return STOP_POLL;
    return STOP_NONE;
}

/* how long repl_next may wait between transactions */
static double stop_deadline(const stop_rules *st)
{
    double d = st->last_progress + st->poll_seconds;
    if (st->run_deadline >= 0 && st->run_deadline < d)
        d = st->run_deadline;
    return st->next_probe < d ? st->next_probe : d;
}

/*
 * stop_keepalive: a keepalive with the server's sent position arrived (the
 * caller has moved L->processed to it).
 */
static void stop_keepalive(stop_rules *st, const repl_stream *rs, double now, bool in_txn)
{
    st->ping_out = false;
    if (rs->server_wal_end > st->seen_lsn) {
        if (st->seen_lsn < st->end_lsn)
            stop_progress(st, now);
        st->seen_lsn = rs->server_wal_end;
    }
    if (st->idle_ping && !in_txn)
        st->caught_up = true;
}

/*
 * stop_probe: nothing for probe_seconds. Without progress since the last
 * probe, ask what the walsender does; then ask for a keepalive unless one is
 * still awaited (a walsender inside a record answers when it is done). False
 * after logging.
 */
static bool stop_probe(stop_rules *st, sl_run *L, repl_stream *rs, double now)
{
    st->next_probe = now + st->probe_seconds;
    bool ask = false;
    if (!st->moved && st->can_ask && st->seen_lsn < st->end_lsn) {
        walsender_activity a = walsender_activity_now(L);
        if (a == WS_UNKNOWN) {
            log_warn("cannot tell from pg_stat_activity what the server process of the "
                     "replication connection is doing: logical_poll_total_seconds counts the "
                     "time in which the server's position does not move, and break_at_end_lsn "
                     "waits for the end position");
            st->can_ask = false;
        } else if (a == WS_BUSY) {
            stop_progress(st, now);
            if (log_enabled(LOG_DEBUG)) {
                char at[LSN_TEXT_MAX];
                lsn_format(st->seen_lsn, at);
                log_debug("the server is decoding (sent position %s)", at);
            }
        } else if (a == WS_WAITING_FOR_WAL && st->break_at_end && !st->idle_ping) {
            st->idle_ping = true;
            ask = true;
        }
    }
    st->moved = false;
    if (st->ping_out && !ask)
        return true;
    if (!repl_send_status(rs, true))
        return fail(L, EXIT_SOURCE_DB);
    st->ping_out = true;
    return true;
}

static bool stream_changes(sl_run *L, uint64_t start, uint64_t confirm, uint64_t end_lsn)
{
    const tap_config *cfg = L->run->cfg;
    buf opts = BUF_INIT;
    bool numeric_as_string = true;
    repl_stream rs;
    bool started = false;
    for (int attempt = 0; attempt < 2 && !started; attempt++) {
        buf_reset(&opts);
        if (L->w2j) {
            buf tables = BUF_INIT;
            wal2json_tables(L, &tables);
            wal2json_start_options(&opts, tables.data, numeric_as_string);
            buf_term(&tables);
        } else {
            pgoutput_start_options(&opts, L->publication);
        }
        int interval = 10000;
        if (cfg->wal_sender_timeout > 0 && cfg->wal_sender_timeout / 3 < interval)
            interval = (int)(cfg->wal_sender_timeout / 3 > 100 ? cfg->wal_sender_timeout / 3 : 100);
        if (!L->repl && !(L->repl = repl_connect(L)))
            break;
        bool probe = L->w2j && numeric_as_string;
        started = repl_start(&rs, L->repl, L->slot, start, opts.data, interval, &tap_stop_requested,
                             probe);
        if (!started && probe &&
            strstr(PQerrorMessage(L->repl->conn), "numeric-data-types-as-string")) {
            /* wal2json before 2.6 does not know this option: values stay exact anyway */
            log_info("wal2json has no numeric-data-types-as-string (before 2.6): NaN and Infinity "
                     "of number types arrive as null");
            numeric_as_string = false;
            pgc_destroy(L->repl);
            L->repl = NULL;
            continue;
        }
        if (!started && probe) {
            /* the probe failed for another reason: say it as repl_start would have */
            const char *m = PQerrorMessage(L->repl->conn);
            char at[LSN_TEXT_MAX];
            lsn_format(start, at);
            log_error("could not start logical replication on slot \"%s\" at %s: %.*s", L->slot, at,
                      (int)strcspn(m, "\n"), m);
        }
        if (!started) {
            logical_explain_failure(L->repl, L->plugin);
            break;
        }
    }
    buf_term(&opts);
    if (!started)
        return fail(L, EXIT_SOURCE_DB);

    /* confirm what the input state proves, once, and never more */
    repl_confirm(&rs, confirm);
    if (!repl_send_status(&rs, false)) {
        repl_term(&rs);
        return fail(L, EXIT_SOURCE_DB);
    }

    double t_start = timefmt_monotonic();
    stop_rules st;
    stop_init(&st, cfg, t_start, end_lsn);
    stop_reason why = STOP_NONE;
    bool ok = true;
    char *msg;
    size_t len;
    uint64_t wal_start;
    L->processed = start;
    while (ok) {
        if (!L->in_txn && (why = stop_check(&st, L, timefmt_monotonic())) != STOP_NONE)
            break;
        /* inside a transaction a signal waits for its end: no wake-up, no deadline */
        rs.wake = L->in_txn ? NULL : &tap_stop_requested;
        repl_result r = repl_next(&rs, L->in_txn ? -1 : stop_deadline(&st), &msg, &len, &wal_start);
        double now = timefmt_monotonic();
        switch (r) {
        case REPL_DATA:
            stop_progress(&st, now);
            st.idle_ping = false;
            ok = on_message(L, msg, len, wal_start);
            break;
        case REPL_KEEPALIVE:
        case REPL_TIMEOUT:
            if (r == REPL_KEEPALIVE) {
                /*
                 * The bookmark may move to the keepalive's position because
                 * every transaction that committed before it has been
                 * received before this keepalive, whether it was ours or
                 * not. The walsender (walsender.c, XLogSendLogical) moves
                 * its sent position to the end of a WAL record only after
                 * decoding that record, and a committed transaction's
                 * messages are queued while its commit record is decoded,
                 * on the same connection, ahead of any later keepalive. A
                 * keepalive sent from inside a commit record's decoding (a
                 * reply while a large transaction is replayed) still carries
                 * the end of the record before it, which is not past that
                 * transaction's commit: the transaction still applies from
                 * there. Inside a transaction the bookmark does not move.
                 */
                if (!L->in_txn && rs.server_wal_end > L->processed)
                    L->processed = rs.server_wal_end;
                stop_keepalive(&st, &rs, now, L->in_txn);
            }
            if (!L->in_txn && now >= st.next_probe && !stop_probe(&st, L, &rs, now)) {
                ok = false;
                break;
            }
            /* idle: what was written goes out now, with a STATE when records were written */
            if (!L->in_txn && L->changes_since_state > 0)
                ok = emit_state(L);
            if (ok && !sw_flush(L->run->w))
                ok = fail(L, EXIT_OUTPUT);
            break;
        case REPL_END:
        case REPL_ERROR:
            log_error("the replication stream ended unexpectedly%s",
                      L->in_txn ? " inside a transaction (no STATE past the last one written)"
                                : "");
            ok = fail(L, EXIT_SOURCE_DB);
            break;
        }
    }
    if (ok) {
        static const char *const reasons[] = {
            "",
            "reached the WAL position of the start",
            "max_run_seconds reached",
            "no new data for logical_poll_total_seconds",
            "stopped by a signal",
            "caught up with the server's flushed WAL (the rest up to the start's insert "
            "position is not flushed: an open transaction's changes)"};
        char a[LSN_TEXT_MAX];
        lsn_format(L->processed, a);
        log_info("LOG_BASED: %s; %lld transactions, %lld records, position %s", reasons[why],
                 L->txns, L->records, a);
        ok = emit_state(L);
        if (ok && sw_flush(L->run->w) == false)
            ok = fail(L, EXIT_OUTPUT);
        if (!repl_finish(&rs))
            log_warn("the replication stream did not end cleanly (the state is written)");
        /* a signal ends the run as cleanly as a bound, but the caller learns it was one */
        if (ok && why == STOP_SIGNAL)
            ok = fail(L, EXIT_INTERRUPTED);
    }
    repl_term(&rs);
    return ok;
}

/* ---- entry point ---- */

static void sl_term(sl_run *L)
{
    for (size_t i = 0; i < L->n; i++) {
        lstream *ls = &L->streams[i];
        if (ls->rb_ready)
            rb_term(&ls->rb);
        for (size_t k = 0; k < ls->ncols; k++)
            free(ls->cols[k].owned_name);
        free(ls->cols);
        free(ls->synced);
        free(ls->vals);
    }
    free(L->streams);
    free(L->trunc);
    buf_term(&L->trunc_names);
    relmap_term(&L->names);
    free(L->targets);
    for (size_t i = 0; i < L->ndbs; i++)
        pgm_term(&L->dbs[i]);
    free(L->dbs);
    wal2json_destroy(L->w2j);
    pgoutput_destroy(L->pgo);
    pgc_destroy(L->repl);
    pgc_destroy(L->c);
    buf_term(&L->scratch);
}

static bool setup_and_run(sl_run *L)
{
    tap_run *run = L->run;
    const tap_config *cfg = run->cfg;
    if (!logical_names(cfg->root, L->slot, L->publication))
        return fail(L, EXIT_BAD_CONFIG);
    /* no slot named: a state of MeltanoLabs tap-postgres means its default slot, which holds
       the changes since that state (see state.h) */
    bool sdk_slot = false;
    for (size_t i = 0; !cfg->slot_name && !sdk_slot && i < L->n; i++)
        sdk_slot = state_is_sdk_lsn(run->state, L->streams[i].src->tap_stream_id);
    if (sdk_slot) {
        snprintf(L->slot, sizeof(L->slot), "%s", STATE_SDK_SLOT);
        log_info("using replication slot \"%s\", MeltanoLabs tap-postgres's default: the state "
                 "holds its LOG_BASED bookmarks (replication_key _sdc_lsn)",
                 L->slot);
    }
    const char *wanted = cfg->logical_decoding_plugin ? cfg->logical_decoding_plugin : "pgoutput";
    if (!logical_plugin_known(wanted)) {
        log_error("config key logical_decoding_plugin: \"%s\" is not wal2json or pgoutput", wanted);
        return fail(L, EXIT_BAD_CONFIG);
    }
    if (!(L->c = tap_connect(run, false)))
        return false;

    PGresult *res = pgc_query(L->c, "SELECT pg_is_in_recovery(), current_database()", 0, NULL);
    if (!res)
        return fail(L, EXIT_SOURCE_DB);
    L->standby = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    char dbname[128];
    snprintf(dbname, sizeof(dbname), "%s", PQgetvalue(res, 0, 1));
    PQclear(res);
    if (L->standby && pgc_server_version(L->c) < 160000) {
        log_error("the source is a standby: logical decoding on a standby needs PostgreSQL 16 or "
                  "later (this is %d); point LOG_BASED at the primary",
                  pgc_server_version(L->c) / 10000);
        return fail(L, EXIT_SOURCE_DB);
    }
    if (L->standby)
        log_info("the source is a standby (in recovery): positions are its replay positions");

    logical_slot_info info;
    if (!logical_slot_lookup(L->c, L->slot, &info))
        return fail(L, EXIT_SOURCE_DB);
    const char *tap_id = ju_string(cfg->root, "tap_id", NULL);
    if (!info.exists && tap_id && *tap_id && !cfg->slot_name && !sdk_slot) {
        /*
         * pipelinewise looks for its older slot name first, the one without
         * tap_id, and uses it when it exists: so do we, or a slot that still
         * holds WAL would be left behind and the tables copied again.
         */
        const char *db = ju_string(cfg->root, "dbname", NULL);
        char legacy[LOGICAL_NAME_MAX];
        logical_slot_info old;
        if (logical_default_name(db ? db : ju_string(cfg->root, "database", ""), NULL, legacy) &&
            logical_slot_lookup(L->c, legacy, &old) && old.exists && old.logical &&
            strcmp(old.database, dbname) == 0) {
            log_info("using replication slot \"%s\", pipelinewise's name without tap_id, which "
                     "exists (as pipelinewise does)",
                     legacy);
            snprintf(L->slot, sizeof(L->slot), "%s", legacy);
            info = old;
        }
    }
    if (info.exists && strcmp(info.wal_status, "lost") == 0 && !info.active) {
        /*
         * max_slot_wal_keep_size made the server invalidate the slot: it can
         * never be read again, and keeping it would fail every run. It is
         * replaced, and the streams are copied again (below).
         */
        log_warn("replication slot \"%s\" was invalidated by the server (wal_status = lost: it "
                 "held more WAL than max_slot_wal_keep_size allows): it is dropped and created "
                 "again, and the LOG_BASED tables are copied again",
                 L->slot);
        if (!logical_slot_drop(L->c, L->slot))
            return fail(L, EXIT_SOURCE_DB);
        info.exists = false;
    } else if (info.exists && strcmp(info.wal_status, "unreserved") == 0) {
        log_warn("replication slot \"%s\" holds more WAL than max_slot_wal_keep_size allows "
                 "(wal_status = unreserved): the server may invalidate it at the next "
                 "checkpoint, and the tables would then be copied again; run the tap more often",
                 L->slot);
    }
    L->slot_exists = info.exists;
    if (info.exists) {
        if (!logical_slot_usable(&info, L->slot, dbname))
            return fail(L, EXIT_SOURCE_DB);
        snprintf(L->plugin, sizeof(L->plugin), "%s", info.plugin);
        if (strcmp(info.plugin, wanted) != 0 && cfg->logical_decoding_plugin)
            log_info("slot \"%s\" uses %s and keeps it (logical_decoding_plugin = %s applies to "
                     "new slots)",
                     L->slot, info.plugin, wanted);
    } else {
        snprintf(L->plugin, sizeof(L->plugin), "%s", wanted);
    }
    if (!logical_check_server(L->c, L->plugin))
        return fail(L, EXIT_SOURCE_DB);

    if (!read_bookmarks(L) || !build_name_map(L) || !check_descendant_identities(L))
        return false;
    if (!info.exists) {
        for (size_t i = 0; i < L->n; i++) {
            if (!L->streams[i].need_copy) {
                log_warn("stream \"%s\": its lsn bookmark cannot be honoured because replication "
                         "slot \"%s\" does not exist (dropped?): the table is copied again as a "
                         "new table version",
                         L->streams[i].src->tap_stream_id, L->slot);
                L->streams[i].need_copy = true;
            }
        }
    } else {
        for (size_t i = 0; i < L->n; i++) {
            lstream *ls = &L->streams[i];
            if (!ls->need_copy && ls->lsn < info.confirmed_flush_lsn) {
                /*
                 * The slot no longer holds the transactions between the two
                 * positions (an older state file, a stream selected again
                 * after a pause, another consumer of the slot): streaming
                 * from the bookmark would silently skip them.
                 */
                char a[LSN_TEXT_MAX], b[LSN_TEXT_MAX];
                lsn_format(ls->lsn, a);
                lsn_format(info.confirmed_flush_lsn, b);
                log_warn("stream \"%s\": the state's lsn %s is behind the slot's confirmed "
                         "position %s (an older state file, or the stream was not selected for "
                         "a while): the changes in between are gone from the slot, so the table "
                         "is copied again as a new table version",
                         ls->src->tap_stream_id, a, b);
                ls->need_copy = true;
            }
        }
    }
    /*
     * A stream to be copied has no usable bookmark: drop the old one from the
     * output state now, so that no STATE written before its copy is complete
     * (e.g. after another stream's copy, then an interruption) still carries
     * it and makes the next run skip the copy.
     */
    for (size_t i = 0; i < L->n; i++) {
        lstream *ls = &L->streams[i];
        if (!ls->need_copy)
            continue;
        ls->input_lsn = 0;
        cJSON *bm = state_bookmark(L->run->state, ls->src->tap_stream_id);
        if (bm) {
            bm_remove(bm, "lsn");
            bm_remove(bm, "xmin");
        }
    }

    /* check, before changing anything, that the slots we need can be created */
    size_t ncopy = 0;
    for (size_t i = 0; i < L->n; i++)
        ncopy += L->streams[i].need_copy;
    if ((!info.exists || ncopy) && !logical_check_capacity(L->c, 1))
        return fail(L, EXIT_SOURCE_DB);

    if (strcmp(L->plugin, "pgoutput") == 0) {
        if (!ensure_publication(L))
            return false;
        size_t now = 0;
        for (size_t i = 0; i < L->n; i++)
            now += L->streams[i].need_copy;
        if (info.exists && !ncopy && now && !logical_check_capacity(L->c, 1))
            return fail(L, EXIT_SOURCE_DB);
        ncopy = now;
        L->pgo = pgoutput_create();
    } else {
        L->w2j = wal2json_create();
    }
    if (!L->pgo && !L->w2j)
        return fail(L, EXIT_INTERNAL);
    if (!check_identities(L) || !warn_generated(L))
        return false;

    /* SCHEMA of every stream first (pipelinewise sends them at the start) */
    for (size_t i = 0; i < L->n; i++) {
        lstream *ls = &L->streams[i];
        if (!ls->need_copy && ls->version < 0) {
            ls->version = new_version();
            rb_set_version(&ls->rb, ls->version, NULL);
        }
        if (!emit_schema(L, ls))
            return false;
    }

    if (!info.exists) {
        /* the slot itself exports the snapshot of the copies */
        if (!(L->repl = repl_connect(L)))
            return false;
        logical_created_slot created;
        if (!logical_slot_create(L->repl, L->slot, L->plugin, false, &tap_stop_requested, &created))
            return fail(L, created.interrupted ? EXIT_INTERRUPTED : EXIT_SOURCE_DB);
        if (!copy_streams(L, created.snapshot, created.consistent_point))
            return false;
    } else if (ncopy && !copy_in_temporary_slot(L)) {
        return false;
    }
    if (tap_stop_requested) {
        log_error("interrupted after the initial copy");
        return fail(L, EXIT_INTERRUPTED);
    }

    /* where to start, what to confirm, where to stop */
    uint64_t start = UINT64_MAX, confirm = UINT64_MAX;
    for (size_t i = 0; i < L->n; i++) {
        lstream *ls = &L->streams[i];
        if (ls->lsn < start)
            start = ls->lsn;
        if (ls->input_lsn && ls->input_lsn < confirm)
            confirm = ls->input_lsn;
    }
    if (confirm == UINT64_MAX || !info.exists)
        confirm = 0;
    if (!L->repl && !(L->repl = repl_connect(L)))
        return false;
    repl_identity id;
    if (!repl_identify(L->repl, &id))
        return fail(L, EXIT_SOURCE_DB);
    /*
     * break_at_end_lsn stops at the server's WAL position seen now: the insert
     * position, which holds every commit so far even when it is not flushed
     * yet (synchronous_commit = off); a standby's replay position.
     */
    uint64_t end_lsn = id.xlogpos;
    res = pgc_query(L->c,
                    L->standby ? "SELECT pg_last_wal_replay_lsn(), 0, 0"
                               : "SELECT pg_current_wal_insert_lsn(), "
                                 "current_setting('wal_block_size')::bigint, "
                                 "(SELECT setting::bigint FROM pg_settings "
                                 "WHERE name = 'wal_segment_size')",
                    0, NULL);
    if (!res)
        return fail(L, EXIT_SOURCE_DB);
    if (!PQgetisnull(res, 0, 0) && lsn_parse(PQgetvalue(res, 0, 0), &end_lsn)) {
        /*
         * The insert position is where the next record goes: right after the
         * page header when the last record filled its page. Decoding reports
         * the end of the last record, before that header.
         */
        uint64_t page = strtoull(PQgetvalue(res, 0, 1), NULL, 10);
        uint64_t seg = PQgetisnull(res, 0, 2) ? 0 : strtoull(PQgetvalue(res, 0, 2), NULL, 10);
        if (seg && end_lsn % seg == XLOG_LONG_PHD)
            end_lsn -= XLOG_LONG_PHD;
        else if (page && end_lsn % page == XLOG_SHORT_PHD)
            end_lsn -= XLOG_SHORT_PHD;
    }
    PQclear(res);
    char a[LSN_TEXT_MAX], b[LSN_TEXT_MAX], e[LSN_TEXT_MAX];
    lsn_format(start, a);
    lsn_format(confirm, b);
    lsn_format(end_lsn, e);
    log_info("LOG_BASED: %zu stream(s) on slot \"%s\" (%s) from %s, confirming %s, server at %s",
             L->n, L->slot, L->plugin, a, b, e);
    if (!stream_changes(L, start, confirm, end_lsn))
        return false;
    return recopy_streams(L);
}

bool sync_logical_run(tap_run *run, tap_stream *const *streams, size_t n)
{
    sl_run L;
    memset(&L, 0, sizeof(L));
    L.run = run;
    /*
     * pipelinewise reads state["currently_syncing"] without a default when it
     * runs LOG_BASED streams: a state of ours must keep working with it.
     */
    if (!cJSON_GetObjectItemCaseSensitive(run->state, "currently_syncing"))
        state_set_currently_syncing(run->state, NULL);
    L.streams = calloc(n ? n : 1, sizeof(*L.streams));
    bool ok = L.streams != NULL;
    if (!ok) {
        log_error("out of memory");
        tap_fail(run, EXIT_INTERNAL);
    }
    for (size_t i = 0; ok && i < n; i++) {
        ok = init_stream(&L, &L.streams[i], streams[i]);
        L.n = i + 1;
    }
    if (ok)
        ok = setup_and_run(&L);
    for (size_t i = 0; i < L.n; i++) {
        /* each stream's counters (see end_record) go out under its own name */
        lstream *ls = &L.streams[i];
        run->tm.nan_count += ls->nan_count;
        run->tm.pos_infinity_count += ls->pos_inf;
        run->tm.neg_infinity_count += ls->neg_inf;
        run->tm.bad_values += ls->bad_values;
        tap_log_counters(run, ls->src->tap_stream_id);
    }
    sl_term(&L);
    return ok;
}
