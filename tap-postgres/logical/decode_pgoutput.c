#include "decode_pgoutput.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash_index.h"
#include "log.h"
#include "lsn.h"

/* one cached relation: the description plus the storage it points into */
typedef struct rel_entry {
    change_relation rel; /* rel.columns points at cols */
    change_column *cols; /* malloc'ed, rel.ncolumns entries */
    char *strings;       /* malloc'ed: schema, table, column names, type names */
} rel_entry;

/* a user-defined type described by a Type message */
typedef struct type_entry {
    uint32_t oid;
    char *name; /* malloc'ed "schema.name" (or "name" in pg_catalog) */
} type_entry;

struct pgoutput_decoder {
    rel_entry **rels; /* malloc'ed, nrels used of cap: each entry malloc'ed (rel_free) */
    size_t nrels;
    size_t cap;
    hash_index by_oid; /* hash_fold64(oid) -> index in rels */
    type_entry *types; /* malloc'ed, ntypes entries (few: user types only) */
    size_t ntypes;
    change_arena arena; /* per message: tuple arrays, truncate lists */
};

/* ---- bounds-checked reader ---- */

typedef struct reader {
    const unsigned char *p;
    const unsigned char *end;
    const unsigned char *start;
    const char *err;
} reader;

static bool rd_fail(reader *r, const char *why)
{
    if (!r->err)
        r->err = why;
    return false;
}

static bool rd_u8(reader *r, uint8_t *out)
{
    if (r->end - r->p < 1)
        return rd_fail(r, "truncated message");
    *out = *r->p++;
    return true;
}

static bool rd_u16(reader *r, uint16_t *out)
{
    if (r->end - r->p < 2)
        return rd_fail(r, "truncated message");
    *out = (uint16_t)(r->p[0] << 8 | r->p[1]);
    r->p += 2;
    return true;
}

static bool rd_u32(reader *r, uint32_t *out)
{
    if (r->end - r->p < 4)
        return rd_fail(r, "truncated message");
    *out = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 | (uint32_t)r->p[2] << 8 | r->p[3];
    r->p += 4;
    return true;
}

static bool rd_u64(reader *r, uint64_t *out)
{
    uint32_t hi, lo;
    if (!rd_u32(r, &hi) || !rd_u32(r, &lo))
        return false;
    *out = (uint64_t)hi << 32 | lo;
    return true;
}

/*
 * rd_time_ok: a commit timestamp (microseconds since 2000-01-01, signed on the
 * server) that moves to the Unix epoch without overflowing int64
 */
static bool rd_time_ok(reader *r, uint64_t ts)
{
    if ((int64_t)ts > INT64_MAX - CHANGE_PG_EPOCH_US)
        return rd_fail(r, "commit timestamp out of range");
    return true;
}

/* rd_str: a NUL-terminated string inside the message (borrowed) */
static bool rd_str(reader *r, const char **out)
{
    if (r->p >= r->end)
        return rd_fail(r, "unterminated string");
    const unsigned char *nul = memchr(r->p, '\0', (size_t)(r->end - r->p));
    if (!nul)
        return rd_fail(r, "unterminated string");
    *out = (const char *)r->p;
    r->p = nul + 1;
    return true;
}

static bool rd_bytes(reader *r, uint32_t n, const char **out)
{
    if ((uint64_t)(r->end - r->p) < n)
        return rd_fail(r, "value longer than the message");
    *out = (const char *)r->p;
    r->p += n;
    return true;
}

/* ---- caches ---- */

pgoutput_decoder *decode_pgoutput_create(void)
{
    pgoutput_decoder *d = calloc(1, sizeof(*d));
    if (!d) {
        log_error("out of memory creating the pgoutput decoder");
        return NULL;
    }
    change_arena_init(&d->arena);
    return d;
}

static void rel_free(rel_entry *e)
{
    if (!e)
        return;
    free(e->cols);
    free(e->strings);
    free(e);
}

void decode_pgoutput_destroy(pgoutput_decoder *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->nrels; i++)
        rel_free(d->rels[i]);
    free(d->rels);
    hash_index_term(&d->by_oid);
    for (size_t i = 0; i < d->ntypes; i++)
        free(d->types[i].name);
    free(d->types);
    change_arena_term(&d->arena);
    free(d);
}

/* the place in d->rels of relation oid, NULL when it is not cached */
static rel_entry **rel_find(const pgoutput_decoder *d, uint32_t oid)
{
    size_t pos = HASH_INDEX_START;
    uint32_t item;
    while (hash_index_next(&d->by_oid, hash_fold64(oid), &pos, &item))
        if (d->rels[item]->rel.oid == oid)
            return &d->rels[item];
    return NULL;
}

const change_relation *decode_pgoutput_relation(const pgoutput_decoder *d, uint32_t oid)
{
    rel_entry **s = rel_find(d, oid);
    return s ? &(*s)->rel : NULL;
}

/* add e (a relation not cached yet) to d; false when out of memory (e is then not d's) */
static bool rel_add(pgoutput_decoder *d, rel_entry *e)
{
    if (d->nrels == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 32;
        rel_entry **grown = realloc(d->rels, cap * sizeof(*grown));
        if (!grown)
            return false;
        d->rels = grown;
        d->cap = cap;
    }
    if (!hash_index_add(&d->by_oid, hash_fold64(e->rel.oid), (uint32_t)d->nrels))
        return false;
    d->rels[d->nrels++] = e;
    return true;
}

static const char *type_name_of(const pgoutput_decoder *d, uint32_t oid)
{
    for (size_t i = 0; i < d->ntypes; i++)
        if (d->types[i].oid == oid)
            return d->types[i].name;
    return NULL;
}

static bool same_text(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

static bool same_relation(const change_relation *a, const change_relation *b)
{
    if (!same_text(a->schema, b->schema) || !same_text(a->table, b->table) ||
        a->replica_identity != b->replica_identity || a->ncolumns != b->ncolumns)
        return false;
    for (int i = 0; i < a->ncolumns; i++) {
        const change_column *x = &a->columns[i], *y = &b->columns[i];
        if (!same_text(x->name, y->name) || x->type_oid != y->type_oid || x->typmod != y->typmod ||
            x->key != y->key)
            return false;
    }
    return true;
}

/*
 * Relation
 *   Byte1  'R'
 *   Int32  relation OID
 *   String namespace ("" for pg_catalog)
 *   String relation name
 *   Int8   replica identity setting ('d', 'n', 'f', 'i')
 *   Int16  number of columns
 *   per column:
 *     Int8   flags (1 = part of the replica identity key)
 *     String name
 *     Int32  type OID
 *     Int32  type modifier
 */
static bool parse_relation(pgoutput_decoder *d, reader *r, change *out)
{
    uint32_t oid;
    const char *nsp, *name;
    uint8_t ident;
    uint16_t ncols;
    if (!rd_u32(r, &oid) || !rd_str(r, &nsp) || !rd_str(r, &name) || !rd_u8(r, &ident) ||
        !rd_u16(r, &ncols))
        return false;
    if (ncols > 1664)
        return rd_fail(r, "too many columns");

    /* first pass: measure the strings, check the layout */
    const unsigned char *cols_at = r->p;
    size_t strings = strlen(nsp) + 1 + strlen(name) + 1;
    for (uint16_t i = 0; i < ncols; i++) {
        uint8_t flags;
        const char *cname;
        uint32_t typ, mod;
        if (!rd_u8(r, &flags) || !rd_str(r, &cname) || !rd_u32(r, &typ) || !rd_u32(r, &mod))
            return false;
        strings += strlen(cname) + 1;
        const char *tn = type_name_of(d, typ);
        if (tn)
            strings += strlen(tn) + 1;
    }
    if (r->p != r->end)
        return rd_fail(r, "trailing bytes after a relation");

    rel_entry *e = calloc(1, sizeof(*e));
    if (!e)
        return rd_fail(r, "out of memory");
    e->strings = malloc(strings);
    e->cols = calloc(ncols ? ncols : 1, sizeof(*e->cols));
    if (!e->strings || !e->cols) {
        rel_free(e);
        return rd_fail(r, "out of memory");
    }
    char *w = e->strings;
#define KEEP(dst, src)                                                                             \
    do {                                                                                           \
        size_t n_ = strlen(src) + 1;                                                               \
        memcpy(w, (src), n_);                                                                      \
        (dst) = w;                                                                                 \
        w += n_;                                                                                   \
    } while (0)
    KEEP(e->rel.schema, nsp);
    KEEP(e->rel.table, name);
    reader again = {cols_at, r->end, r->start, NULL};
    for (uint16_t i = 0; i < ncols; i++) {
        uint8_t flags = 0;
        const char *cname = "";
        uint32_t typ = 0, mod = 0;
        rd_u8(&again, &flags);
        rd_str(&again, &cname);
        rd_u32(&again, &typ);
        rd_u32(&again, &mod);
        change_column *c = &e->cols[i];
        KEEP(c->name, cname);
        c->type_oid = typ;
        c->typmod = (int32_t)mod;
        c->key = (flags & 1) != 0;
        const char *tn = type_name_of(d, typ);
        if (tn)
            KEEP(c->type_name, tn);
    }
#undef KEEP
    e->rel.oid = oid;
    e->rel.replica_identity = (char)ident;
    e->rel.ncolumns = ncols;
    e->rel.columns = e->cols;

    rel_entry **slot = rel_find(d, oid);
    rel_entry *old = slot ? *slot : NULL;
    e->rel.is_new = old == NULL;
    e->rel.changed = old != NULL && !same_relation(&old->rel, &e->rel);
    if (slot) {
        *slot = e;
        rel_free(old);
    } else if (!rel_add(d, e)) {
        rel_free(e);
        return rd_fail(r, "out of memory");
    }

    out->kind = CHANGE_RELATION;
    out->rel = &e->rel;
    return true;
}

/*
 * Type
 *   Byte1  'Y'
 *   Int32  type OID
 *   String namespace ("" for pg_catalog)
 *   String type name
 */
static bool parse_type(pgoutput_decoder *d, reader *r, change *out)
{
    uint32_t oid;
    const char *nsp, *name;
    if (!rd_u32(r, &oid) || !rd_str(r, &nsp) || !rd_str(r, &name))
        return false;
    size_t n = strlen(nsp) + strlen(name) + 2;
    char *full = malloc(n);
    if (!full)
        return rd_fail(r, "out of memory");
    if (*nsp)
        snprintf(full, n, "%s.%s", nsp, name);
    else
        snprintf(full, n, "%s", name);
    for (size_t i = 0; i < d->ntypes; i++) {
        if (d->types[i].oid == oid) {
            free(d->types[i].name);
            d->types[i].name = full;
            out->kind = CHANGE_SKIP;
            return true;
        }
    }
    type_entry *t = realloc(d->types, (d->ntypes + 1) * sizeof(*t));
    if (!t) {
        free(full);
        return rd_fail(r, "out of memory");
    }
    d->types = t;
    d->types[d->ntypes].oid = oid;
    d->types[d->ntypes].name = full;
    d->ntypes++;
    out->kind = CHANGE_SKIP;
    return true;
}

/*
 * TupleData
 *   Int16  number of columns
 *   per column, Byte1 kind:
 *     'n'  NULL
 *     'u'  unchanged TOAST value (not sent)
 *     't'  text: Int32 length, then length bytes of the text output form
 *     ('b' binary only exists when the "binary" option is asked for: never here)
 */
static bool parse_tuple(pgoutput_decoder *d, reader *r, const change_relation *rel,
                        change_tuple *out)
{
    uint16_t n;
    if (!rd_u16(r, &n))
        return false;
    if (n != rel->ncolumns)
        return rd_fail(r, "tuple column count differs from its relation");
    change_value *vals = change_arena_alloc(&d->arena, (n ? n : 1) * sizeof(*vals));
    if (!vals)
        return rd_fail(r, "out of memory");
    for (uint16_t i = 0; i < n; i++) {
        uint8_t kind;
        if (!rd_u8(r, &kind))
            return false;
        switch (kind) {
        case 'n':
            vals[i].kind = CHANGE_VALUE_NULL;
            break;
        case 'u':
            vals[i].kind = CHANGE_VALUE_UNCHANGED;
            break;
        case 't': {
            uint32_t len;
            if (!rd_u32(r, &len) || !rd_bytes(r, len, &vals[i].text))
                return false;
            vals[i].len = len;
            vals[i].kind = CHANGE_VALUE_TEXT;
            break;
        }
        default:
            return rd_fail(r, "unknown tuple value kind");
        }
    }
    out->nvalues = n;
    out->columns = rel->columns;
    out->values = vals;
    return true;
}

/*
 * key_only: an old key tuple ('K') lists every column, the non-key ones as
 * NULL; keep only the key columns so it reads like wal2json's identity.
 */
static bool key_only(pgoutput_decoder *d, reader *r, change_tuple *t)
{
    int k = 0;
    for (int i = 0; i < t->nvalues; i++)
        k += t->columns[i].key;
    change_column *cols = change_arena_alloc(&d->arena, (size_t)(k ? k : 1) * sizeof(*cols));
    change_value *vals = change_arena_alloc(&d->arena, (size_t)(k ? k : 1) * sizeof(*vals));
    if (!cols || !vals)
        return rd_fail(r, "out of memory");
    int j = 0;
    for (int i = 0; i < t->nvalues; i++) {
        if (!t->columns[i].key)
            continue;
        cols[j] = t->columns[i];
        vals[j] = t->values[i];
        j++;
    }
    t->nvalues = k;
    t->columns = cols;
    t->values = vals;
    return true;
}

static bool lookup(pgoutput_decoder *d, reader *r, uint32_t oid, const change_relation **out)
{
    *out = decode_pgoutput_relation(d, oid);
    if (!*out)
        return rd_fail(r, "change for a relation never described by a Relation message");
    return true;
}

static void log_bad(const reader *r, char type, size_t len)
{
    log_error("malformed pgoutput message '%c' at byte %zu of %zu: %s", type >= 32 ? type : '?',
              (size_t)(r->p - r->start), len, r->err ? r->err : "?");
}

bool decode_pgoutput_decode(pgoutput_decoder *d, const char *msg, size_t len, change *out)
{
    change_reset(out);
    change_arena_reset(&d->arena);
    reader r = {(const unsigned char *)msg, (const unsigned char *)msg + len,
                (const unsigned char *)msg, NULL};
    uint8_t type = 0;
    if (!rd_u8(&r, &type))
        goto bad;

    switch (type) {
    case 'B': {
        /*
         * Begin
         *   Byte1 'B'
         *   Int64 final LSN of the transaction (its commit record)
         *   Int64 commit timestamp (microseconds since 2000-01-01)
         *   Int32 xid
         */
        uint64_t final_lsn, ts;
        uint32_t xid;
        if (!rd_u64(&r, &final_lsn) || !rd_u64(&r, &ts) || !rd_u32(&r, &xid) || !rd_time_ok(&r, ts))
            goto bad;
        out->kind = CHANGE_BEGIN;
        out->commit_lsn = final_lsn;
        out->commit_time = (int64_t)ts + CHANGE_PG_EPOCH_US;
        out->xid = xid;
        break;
    }
    case 'C': {
        /*
         * Commit
         *   Byte1 'C'
         *   Int8  flags (unused, 0)
         *   Int64 LSN of the commit record
         *   Int64 end LSN of the transaction (after the commit record)
         *   Int64 commit timestamp (microseconds since 2000-01-01)
         */
        uint8_t flags;
        uint64_t commit_lsn, end_lsn, ts;
        if (!rd_u8(&r, &flags) || !rd_u64(&r, &commit_lsn) || !rd_u64(&r, &end_lsn) ||
            !rd_u64(&r, &ts) || !rd_time_ok(&r, ts))
            goto bad;
        out->kind = CHANGE_COMMIT;
        out->commit_lsn = commit_lsn;
        out->end_lsn = end_lsn;
        out->commit_time = (int64_t)ts + CHANGE_PG_EPOCH_US;
        break;
    }
    case 'O': {
        /*
         * Origin
         *   Byte1  'O'
         *   Int64  commit LSN on the origin server
         *   String origin name
         */
        uint64_t origin_lsn;
        const char *name;
        if (!rd_u64(&r, &origin_lsn) || !rd_str(&r, &name))
            goto bad;
        out->kind = CHANGE_SKIP;
        break;
    }
    case 'R':
        if (!parse_relation(d, &r, out))
            goto bad;
        break;
    case 'Y':
        if (!parse_type(d, &r, out))
            goto bad;
        break;
    case 'I': {
        /*
         * Insert
         *   Byte1 'I'
         *   Int32 relation OID
         *   Byte1 'N'
         *   TupleData new row
         */
        uint32_t oid;
        uint8_t n;
        if (!rd_u32(&r, &oid) || !lookup(d, &r, oid, &out->rel) || !rd_u8(&r, &n))
            goto bad;
        if (n != 'N') {
            rd_fail(&r, "expected 'N' in an insert");
            goto bad;
        }
        if (!parse_tuple(d, &r, out->rel, &out->new_tuple))
            goto bad;
        out->kind = CHANGE_INSERT;
        break;
    }
    case 'U': {
        /*
         * Update
         *   Byte1 'U'
         *   Int32 relation OID
         *   optional: Byte1 'K' (old key; the key changed) or 'O' (old row; REPLICA
         *             IDENTITY FULL), then TupleData
         *   Byte1 'N'
         *   TupleData new row
         */
        uint32_t oid;
        uint8_t n;
        if (!rd_u32(&r, &oid) || !lookup(d, &r, oid, &out->rel) || !rd_u8(&r, &n))
            goto bad;
        if (n == 'K' || n == 'O') {
            out->old_kind = (char)n;
            if (!parse_tuple(d, &r, out->rel, &out->old_tuple) ||
                (n == 'K' && !key_only(d, &r, &out->old_tuple)) || !rd_u8(&r, &n))
                goto bad;
        }
        if (n != 'N') {
            rd_fail(&r, "expected 'N' in an update");
            goto bad;
        }
        if (!parse_tuple(d, &r, out->rel, &out->new_tuple))
            goto bad;
        out->kind = CHANGE_UPDATE;
        break;
    }
    case 'D': {
        /*
         * Delete
         *   Byte1 'D'
         *   Int32 relation OID
         *   Byte1 'K' (old key) or 'O' (old row; REPLICA IDENTITY FULL)
         *   TupleData
         */
        uint32_t oid;
        uint8_t n;
        if (!rd_u32(&r, &oid) || !lookup(d, &r, oid, &out->rel) || !rd_u8(&r, &n))
            goto bad;
        if (n != 'K' && n != 'O') {
            rd_fail(&r, "expected 'K' or 'O' in a delete");
            goto bad;
        }
        out->old_kind = (char)n;
        if (!parse_tuple(d, &r, out->rel, &out->old_tuple) ||
            (n == 'K' && !key_only(d, &r, &out->old_tuple)))
            goto bad;
        out->kind = CHANGE_DELETE;
        break;
    }
    case 'T': {
        /*
         * Truncate
         *   Byte1 'T'
         *   Int32 number of relations
         *   Int8  options (1 = CASCADE, 2 = RESTART IDENTITY)
         *   Int32 relation OID, for each relation
         */
        uint32_t nrels;
        uint8_t opts;
        if (!rd_u32(&r, &nrels) || !rd_u8(&r, &opts))
            goto bad;
        if ((uint64_t)nrels * 4 > (uint64_t)(r.end - r.p)) {
            rd_fail(&r, "truncated relation list");
            goto bad;
        }
        const change_relation **list =
            change_arena_alloc(&d->arena, (nrels ? nrels : 1) * sizeof(*list));
        if (!list) {
            rd_fail(&r, "out of memory");
            goto bad;
        }
        for (uint32_t i = 0; i < nrels; i++) {
            uint32_t oid;
            if (!rd_u32(&r, &oid) || !lookup(d, &r, oid, &list[i]))
                goto bad;
        }
        out->kind = CHANGE_TRUNCATE;
        out->nrelations = (int)nrels;
        out->relations = list;
        out->truncate_flags = opts;
        break;
    }
    case 'M': {
        /*
         * Message (with the "messages" option: heartbeats, the chunked copy's watermarks)
         *   Byte1 'M'
         *   Int8  flags (1 = transactional)
         *   Int64 LSN of the message
         *   String prefix
         *   Int32 length
         *   Byte[length] content
         */
        uint8_t flags;
        uint64_t at;
        uint32_t n;
        if (!rd_u8(&r, &flags) || !rd_u64(&r, &at) || !rd_str(&r, &out->msg_prefix) ||
            !rd_u32(&r, &n) || !rd_bytes(&r, n, &out->msg_content))
            goto bad;
        out->kind = CHANGE_MESSAGE;
        out->lsn = at;
        out->msg_len = n;
        out->msg_transactional = (flags & 1) != 0;
        break;
    }
    default:
        rd_fail(&r, "unknown message type");
        goto bad;
    }
    if (r.p != r.end && type != 'R') {
        rd_fail(&r, "trailing bytes after the message");
        goto bad;
    }
    return true;

bad:
    log_bad(&r, (char)type, len);
    change_reset(out);
    return false;
}

void decode_pgoutput_start_options(buf *out, const char *publication, bool messages)
{
    /* publication_names is a list of identifiers inside a literal: '"a""b"' */
    buf_append_lit(out, "(\"proto_version\" '1', \"publication_names\" '\"");
    for (const char *p = publication; *p; p++) {
        if (*p == '"')
            buf_putc(out, '"');
        if (*p == '\'')
            buf_putc(out, '\'');
        buf_putc(out, *p);
    }
    buf_append_lit(out, "\"'");
    if (messages)
        buf_append_lit(out, ", \"messages\" 'true'");
    buf_putc(out, ')');
}
