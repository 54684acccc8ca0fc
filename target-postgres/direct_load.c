#include "direct_load.h"

#include "copy_binary.h"
#include "hash_index.h"
#include "log.h"
#include "merge_sql.h"

#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCRATCH_BYTES ((size_t)1 << 20)

static bool has_batched_at(const table_def *d)
{
    for (size_t i = 0; i < d->cs.ncols; i++)
        if (d->cs.cols[i].meta == META_BATCHED_AT)
            return true;
    return false;
}

/* field pos of the row [s, e) (no newline): its start and length */
static void field_at(const char *s, const char *e, size_t pos, const char **fs, size_t *fl)
{
    const char *p = s;
    for (size_t k = 0; k < pos && p < e; k++) {
        const char *t = memchr(p, '\t', (size_t)(e - p));
        p = t ? t + 1 : e;
    }
    const char *t = memchr(p, '\t', (size_t)(e - p));
    *fs = p;
    *fl = (size_t)((t ? t : e) - p);
}

typedef struct rows_view {
    const char *base;
    size_t *start; /* row i is [start[i], start[i + 1] - 1) (without its newline) */
} rows_view;

static uint64_t key_hash(const table_def *d, const size_t *pos, const rows_view *v, size_t i)
{
    uint64_t h = HASH_FNV1A64_BASIS;
    const char *s = v->base + v->start[i], *e = v->base + v->start[i + 1] - 1;
    for (size_t k = 0; k < d->cs.nkeys; k++) {
        const char *f;
        size_t n;
        field_at(s, e, pos[k], &f, &n);
        h = hash_fnv1a64(h, f, n);
        h = hash_fnv1a64(h, "\t", 1);
    }
    return h;
}

static bool same_key(const table_def *d, const size_t *pos, const rows_view *v, size_t a, size_t b)
{
    const char *sa = v->base + v->start[a], *ea = v->base + v->start[a + 1] - 1;
    const char *sb = v->base + v->start[b], *eb = v->base + v->start[b + 1] - 1;
    for (size_t k = 0; k < d->cs.nkeys; k++) {
        const char *fa, *fb;
        size_t na, nb;
        field_at(sa, ea, pos[k], &fa, &na);
        field_at(sb, eb, pos[k], &fb, &nb);
        if (na != nb || memcmp(fa, fb, na) != 0)
            return false;
    }
    return true;
}

/* the row (*row, at index position *at) stored under key hash h in ix, whose items are rows
   with their hashes in hs; false when there is none */
static bool last_row(const hash_index *ix, const uint64_t *hs, uint64_t h, size_t *at,
                     uint32_t *row)
{
    size_t pos = HASH_INDEX_START;
    while (hash_index_next(ix, hash_fold64(h), &pos, row)) {
        if (hs[*row] == h) {
            *at = pos;
            return true;
        }
    }
    return false;
}

long long direct_load_keep(const table_def *d, const batch *b, bool *keep)
{
    size_t n = b->rows;
    if (n == 0)
        return 0;
    rows_view v = {b->data.data, malloc((n + 1) * sizeof(size_t))};
    size_t *pos = malloc((d->cs.nkeys ? d->cs.nkeys : 1) * sizeof(size_t));
    uint64_t *hs = malloc(n * sizeof(uint64_t)); /* the key hash of each row */
    /* a key hash -> the last row with it */
    hash_index last_of = HASH_INDEX_INIT;
    long long kept = -1;
    if (!v.start || !pos || !hs || n >= UINT32_MAX || !hash_index_reserve(&last_of, n))
        goto done;
    for (size_t k = 0; k < d->cs.nkeys; k++)
        pos[k] = table_def_copy_pos(d, (size_t)d->cs.keys[k]);
    const char *p = b->data.data, *end = p + b->data.len;
    for (size_t i = 0; i < n; i++) {
        v.start[i] = (size_t)(p - b->data.data);
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        p = nl ? nl + 1 : end;
    }
    v.start[n] = (size_t)(p - b->data.data);
    for (size_t i = 0; i < n; i++) {
        uint64_t h = key_hash(d, pos, &v, i);
        hs[i] = h;
        size_t at;
        uint32_t last;
        if (last_row(&last_of, hs, h, &at, &last))
            hash_index_replace(&last_of, at, (uint32_t)i);
        else
            hash_index_add(&last_of, hash_fold64(h), (uint32_t)i); /* reserved: cannot fail */
    }
    kept = 0;
    for (size_t i = 0; i < n; i++) {
        size_t at;
        uint32_t last = (uint32_t)i;
        last_row(&last_of, hs, hs[i], &at, &last); /* found: every row's hash went in */
        /* a different key with the same hash is kept too: should it repeat a third row's key,
           the unique index stops the COPY and the merge takes over */
        keep[i] = last == i || !same_key(d, pos, &v, i, last);
        kept += keep[i];
    }
done:
    free(v.start);
    free(pos);
    free(hs);
    hash_index_term(&last_of);
    return kept;
}

bool direct_load_canonical_int(const char *text, size_t n, long long *v)
{
    const char *p = text, *e = text + n;
    bool neg = p < e && *p == '-';
    p += neg;
    size_t digits = (size_t)(e - p);
    if (digits == 0 || digits > 18 || (*p == '0' && (digits > 1 || neg)))
        return false;
    long long x = 0;
    for (; p < e; p++) {
        if (*p < '0' || *p > '9')
            return false;
        x = x * 10 + (*p - '0');
    }
    *v = neg ? -x : x;
    return true;
}

/* field [f, f + n) is COPY's NULL */
static bool is_null_field(const char *f, size_t n)
{
    return n == 2 && f[0] == '\\' && f[1] == 'N';
}

/* the last field of row [s, e), "_tgt_absent", is not NULL: some property is absent */
static bool row_has_absent(const char *s, const char *e)
{
    const char *t = e;
    while (t > s && t[-1] != '\t')
        t--;
    return !is_null_field(t, (size_t)(e - t));
}

long long direct_load_split(const table_def *d, const batch *b, int deleted_pos,
                            const uint8_t *fresh, char *side)
{
    size_t n = b->rows;
    if (!fresh)
        fresh = b->fresh;
    if (n == 0 || d->cs.nkeys != 1 || !fresh)
        return 0;
    size_t kpos = table_def_copy_pos(d, (size_t)d->cs.keys[0]);
    long long *ks = malloc(n * sizeof(*ks));
    uint32_t *rep = malloc(n * sizeof(*rep)); /* the first row of the row's key */
    uint32_t *last = malloc(n * sizeof(*last));
    bool *tainted = calloc(n, sizeof(*tainted));
    hash_index ix = HASH_INDEX_INIT; /* a key -> its first row */
    long long kept = -1;
    if (!ks || !rep || !last || !tainted || n >= UINT32_MAX || !hash_index_reserve(&ix, n))
        goto done;
    const char *p = b->data.data, *end = p + b->data.len;
    for (size_t i = 0; i < n; i++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        const char *f;
        size_t fl;
        field_at(p, e, kpos, &f, &fl);
        long long k;
        if (!direct_load_canonical_int(f, fl, &k)) {
            /* another text (7.0 where 7 is canonical) may be the same key in the table's
               type: this batch is merged whole */
            kept = 0;
            memset(side, DIRECT_SIDE_MERGE, n);
            goto done;
        }
        ks[i] = k;
        size_t pos = HASH_INDEX_START;
        uint32_t r = 0;
        bool found = false;
        while (!found && hash_index_next(&ix, hash_fold64((uint64_t)k), &pos, &r))
            found = ks[r] == k;
        if (!found) {
            r = (uint32_t)i;
            hash_index_add(&ix, hash_fold64((uint64_t)k), r); /* reserved: cannot fail */
        }
        rep[i] = r;
        last[r] = (uint32_t)i;
        if (deleted_pos >= 0) {
            field_at(p, e, (size_t)deleted_pos, &f, &fl);
            if (!is_null_field(f, fl))
                tainted[r] = true;
        }
        if (row_has_absent(p, e))
            tainted[r] = true;
        p = nl ? nl + 1 : end;
    }
    kept = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t r = rep[i];
        if (!fresh[r] || tainted[r])
            side[i] = DIRECT_SIDE_MERGE;
        else if (last[r] == i)
            side[i] = DIRECT_SIDE_COPY;
        else
            side[i] = DIRECT_SIDE_SKIP;
        kept += side[i] == DIRECT_SIDE_COPY;
    }
done:
    free(ks);
    free(rep);
    free(last);
    free(tainted);
    hash_index_term(&ix);
    return kept;
}

bool direct_load_key_type_ok(const char *type)
{
    return type && (strcmp(type, "bigint") == 0 || strcmp(type, "integer") == 0 ||
                    strcmp(type, "smallint") == 0);
}

bool direct_load_lookup(pg_conn *c, const table_def *d, const batch *b, uint8_t *fresh,
                        long long *distinct, long long *found)
{
    size_t n = b->rows;
    *distinct = *found = 0;
    memset(fresh, 0, n);
    if (n == 0 || d->cs.nkeys != 1)
        return true;
    size_t kpos = table_def_copy_pos(d, (size_t)d->cs.keys[0]);
    long long *ks = malloc(n * sizeof(*ks));
    bool *canon = malloc(n * sizeof(*canon));
    hash_index ix = HASH_INDEX_INIT; /* a distinct key -> its first row; then the found ones */
    buf arr = BUF_INIT, sql = BUF_INIT;
    PGresult *res = NULL;
    bool ok = false;
    if (!ks || !canon || n >= UINT32_MAX || !hash_index_reserve(&ix, n))
        goto done;
    /* the batch's distinct keys as an array literal: {1,2,3} */
    buf_putc(&arr, '{');
    const char *p = b->data.data, *end = p + b->data.len;
    for (size_t i = 0; i < n; i++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end, *f;
        size_t fl;
        field_at(p, e, kpos, &f, &fl);
        canon[i] = direct_load_canonical_int(f, fl, &ks[i]);
        if (canon[i]) {
            size_t pos = HASH_INDEX_START;
            uint32_t r = 0;
            bool seen = false;
            while (!seen && hash_index_next(&ix, hash_fold64((uint64_t)ks[i]), &pos, &r))
                seen = ks[r] == ks[i];
            if (!seen) {
                hash_index_add(&ix, hash_fold64((uint64_t)ks[i]), (uint32_t)i);
                if (*distinct)
                    buf_putc(&arr, ',');
                buf_append(&arr, f, fl);
                ++*distinct;
            }
        }
        p = nl ? nl + 1 : end;
    }
    buf_putc(&arr, '}');
    /* int4 = ANY(int8[]) and int2 = ANY(int8[]) use the key's index (one operator family) */
    buf_append_lit(&sql, "SELECT ");
    pg_conn_quote_ident(&sql, d->cs.cols[d->cs.keys[0]].name);
    buf_append_lit(&sql, "::text FROM ");
    buf_appends(&sql, d->qname);
    buf_append_lit(&sql, " WHERE ");
    pg_conn_quote_ident(&sql, d->cs.cols[d->cs.keys[0]].name);
    buf_append_lit(&sql, " = ANY($1::bigint[])");
    if (!buf_ok(&arr) || !buf_ok(&sql))
        goto done;
    const char *params[1] = {arr.data};
    res = pg_conn_query_quiet(c, sql.data, 1, params);
    if (!res)
        goto done;
    /* the found keys: a set of their values (the index now maps them to their rows) */
    hash_index_term(&ix);
    int nf = PQntuples(res);
    long long *fv = malloc((size_t)(nf ? nf : 1) * sizeof(*fv));
    if (!fv || !hash_index_reserve(&ix, (size_t)nf + 1)) {
        free(fv);
        goto done;
    }
    for (int r = 0; r < nf; r++) {
        const char *v = PQgetvalue(res, r, 0);
        if (!direct_load_canonical_int(v, strlen(v), &fv[r]))
            fv[r] = 0; /* cannot be: the table's integers print canonically */
        hash_index_add(&ix, hash_fold64((uint64_t)fv[r]), (uint32_t)r);
    }
    *found = nf;
    for (size_t i = 0; i < n; i++) {
        if (!canon[i])
            continue; /* the batch is merged whole (direct_load_split) */
        size_t pos = HASH_INDEX_START;
        uint32_t r = 0;
        bool there = false;
        while (!there && hash_index_next(&ix, hash_fold64((uint64_t)ks[i]), &pos, &r))
            there = fv[r] == ks[i];
        fresh[i] = !there;
    }
    free(fv);
    ok = true;
done:
    if (!ok && !res)
        log_debug("looking up the batch's keys in %s failed: %s", d->qname,
                  PQerrorMessage(c->conn));
    PQclear(res);
    free(ks);
    free(canon);
    hash_index_term(&ix);
    buf_term(&arr);
    buf_term(&sql);
    return ok;
}

static bool flush_scratch(pg_conn *c, buf *s)
{
    bool ok = pg_conn_put_copy_data(c, s->data, s->len);
    buf_reset(s);
    return ok;
}

unsigned char *direct_load_binary_types(const table_def *d, char *const *types, size_t ntypes,
                                        bool temp)
{
    if (!types || ntypes != d->cs.ncols)
        return NULL;
    unsigned char *bin = malloc(d->cs.ncols + 2);
    if (!bin)
        return NULL;
    size_t k = 0;
    for (int batched = 0; batched < (temp ? 1 : 2); batched++)
        for (size_t i = 0; i < d->cs.ncols; i++) {
            if ((d->cs.cols[i].meta == META_BATCHED_AT) != batched)
                continue;
            bin[k] = (unsigned char)copy_binary_type(
                temp ? merge_sql_temp_type(&d->cs.cols[i], types[i]) : types[i]);
            if (bin[k++] == BIN_NONE) {
                free(bin);
                return NULL;
            }
        }
    if (temp) {
        bin[k++] = BIN_INT8;   /* _tgt_seq */
        bin[k++] = BIN_VARBIT; /* _tgt_absent */
    }
    return bin;
}

bool direct_load_copy(pg_conn *c, const table_def *d, const batch *b, bool dedup, const char *only,
                      const char *batched_at, const unsigned char *bin, bool *bin_refused,
                      long long *rows)
{
    *rows = 0;
    if (bin_refused)
        *bin_refused = false;
    bool batched = has_batched_at(d);
    size_t nf = 0;
    for (size_t i = 0; i < d->cs.ncols; i++)
        nf += d->cs.cols[i].meta != META_BATCHED_AT;
    buf bat = BUF_INIT; /* batched_at's binary field, in its column's type (a text column gets
                           now()'s text, as COPY text sends it) */
    if (bin && batched &&
        !copy_binary_field(&bat, (bin_type)bin[nf], batched_at,
                           batched_at ? strlen(batched_at) : 0))
        bin = NULL;
    nf += batched;
    bool *keep = NULL;
    if (dedup && !only) {
        keep = malloc(b->rows ? b->rows * sizeof(bool) : 1);
        if (!keep || direct_load_keep(d, b, keep) < 0) {
            free(keep);
            snprintf(c->sqlstate, sizeof(c->sqlstate), "53200");
            log_debug("direct COPY: out of memory");
            return false;
        }
    }
    buf s = BUF_INIT;
    buf_append_lit(&s, "COPY ");
    buf_appends(&s, d->qname);
    buf_append_lit(&s, " (");
    bool first = true;
    for (size_t i = 0; i < d->cs.ncols; i++) {
        if (d->cs.cols[i].meta == META_BATCHED_AT)
            continue;
        if (!first)
            buf_append_lit(&s, ", ");
        first = false;
        pg_conn_quote_ident(&s, d->cs.cols[i].name);
    }
    for (size_t i = 0; batched && i < d->cs.ncols; i++)
        if (d->cs.cols[i].meta == META_BATCHED_AT) {
            buf_append_lit(&s, ", ");
            pg_conn_quote_ident(&s, d->cs.cols[i].name);
        }
    buf_appends(&s, bin ? ") FROM STDIN (FORMAT binary)" : ") FROM STDIN");
    bool ok = false;
    if (!buf_ok(&s)) {
        snprintf(c->sqlstate, sizeof(c->sqlstate), "53200");
        goto done;
    }
    c->sqlstate[0] = '\0';
    PGresult *res = pg_conn_exec_raw(c, s.data);
    if (PQresultStatus(res) != PGRES_COPY_IN) {
        const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        snprintf(c->sqlstate, sizeof(c->sqlstate), "%s", st ? st : "");
        log_debug("direct COPY into %s did not start: %s", d->qname, PQerrorMessage(c->conn));
        PQclear(res);
        goto done;
    }
    PQclear(res);
    buf_reset(&s);
    if (bin)
        copy_binary_header(&s);
    bool sent = true, refused = false;
    size_t blen = batched_at ? strlen(batched_at) : 0;
    const char *p = b->data.data, *end = p + b->data.len;
    for (size_t i = 0; p < end && sent; i++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            nl = end;
        /* drop "\t<_tgt_seq>\t<_tgt_absent>" at the end of the row */
        const char *t = nl;
        for (int k = 0; k < 2 && t > p; k++) {
            t--;
            while (t > p && *t != '\t')
                t--;
        }
        if (only ? only[i] == DIRECT_SIDE_COPY : !keep || keep[i]) {
            if (bin) {
                if (!copy_binary_row(&s, bin, nf - batched, p, t, batched ? bat.data : NULL,
                                     bat.len)) {
                    refused = true;
                    log_debug("direct COPY into %s: row %zu of the batch (input line %lld) is "
                              "not sent in binary; the stream's batches go as text",
                              d->qname, i + 1, (long long)batch_line_of_row(b, i));
                    break;
                }
            } else {
                buf_append(&s, p, (size_t)(t - p));
                if (batched) {
                    buf_putc(&s, '\t');
                    buf_append(&s, batched_at, blen);
                }
                buf_putc(&s, '\n');
            }
            (*rows)++;
            if (s.len >= SCRATCH_BYTES)
                sent = buf_ok(&s) && flush_scratch(c, &s);
        }
        p = nl + 1;
    }
    if (refused)
        sent = false;
    if (sent && bin)
        copy_binary_trailer(&s);
    if (sent)
        sent = buf_ok(&s) && flush_scratch(c, &s);
    res = pg_conn_copy_end(c, sent); /* the SQLSTATE of a failure is kept in c */
    ok = sent && PQresultStatus(res) == PGRES_COMMAND_OK;
    if (refused) {
        if (bin_refused)
            *bin_refused = true;
        c->sqlstate[0] = '\0';
    } else if (!ok)
        log_debug("direct COPY into %s failed (SQLSTATE %s): %s", d->qname,
                  c->sqlstate[0] ? c->sqlstate : "?", PQerrorMessage(c->conn));
    PQclear(res);
done:
    buf_term(&s);
    buf_term(&bat);
    free(keep);
    return ok;
}
