#include "stream.h"

#include "direct_load.h"

#include "hash_index.h"
#include "json_writer.h"
#include "log.h"
#include "pg_conn.h"
#include "timefmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---------------------------------------------------------------- streams */

/* the bytes of every stream's seen_keys (main thread) */
static size_t seen_total;

stream *stream_create(const char *name, size_t len)
{
    stream *st = calloc(1, sizeof(*st));
    if (!st)
        return NULL;
    st->name = malloc(len + 1);
    st->cur = batch_create();
    st->spare = batch_create();
    if (!st->name || !st->cur || !st->spare) {
        stream_destroy(st);
        return NULL;
    }
    memcpy(st->name, name, len);
    st->name[len] = '\0';
    st->namelen = len;
    return st;
}

bool stream_synced_to(const stream *st, uint64_t fp)
{
    return __atomic_load_n(&st->synced_fp, __ATOMIC_ACQUIRE) == fp;
}

void stream_cache_clear(stream_table_cache *c)
{
    for (size_t i = 0; i < c->ntypes; i++)
        free(c->types[i]);
    free(c->types);
    memset(c, 0, sizeof(*c));
}

void stream_destroy(stream *st)
{
    if (!st)
        return;
    free(st->name);
    table_def_unref(st->def);
    batch_destroy(st->cur);
    batch_destroy(st->spare);
    stream_cache_clear(&st->cache);
    free(st->slots);
    free(st->mask);
    seen_total -= st->seen_bytes;
    free(st->seen_keys);
    free(st);
}

/*
 * key_fresh: key[0 .. len) (a key of one column) as no earlier row of st had it, and now it
 * has: a canonical decimal integer from 0 up whose bit in st->seen_keys was clear. The bitmap
 * grows (doubling) up to what STREAM_SEEN_KEYS_BYTES leaves; a key beyond it, any other text,
 * or a failed allocation counts as seen (the row is merged, never copied straight wrongly).
 */
static bool key_fresh(stream *st, const char *key, size_t len)
{
    if (__atomic_load_n(&st->direct, __ATOMIC_ACQUIRE) == DIRECT_NO) {
        /* no batch of this run goes straight in any more: the room goes to other streams */
        seen_total -= st->seen_bytes;
        free(st->seen_keys);
        st->seen_keys = NULL;
        st->seen_bytes = 0;
        return false;
    }
    long long k;
    if (!direct_load_canonical_int(key, len, &k) || k < 0)
        return false;
    size_t byte = (size_t)(k >> 3);
    if (byte >= st->seen_bytes) {
        size_t n = st->seen_bytes ? st->seen_bytes : 4096;
        while (n <= byte)
            n *= 2;
        if (seen_total - st->seen_bytes + n > STREAM_SEEN_KEYS_BYTES)
            return false;
        uint8_t *g = realloc(st->seen_keys, n);
        if (!g)
            return false;
        memset(g + st->seen_bytes, 0, n - st->seen_bytes);
        seen_total += n - st->seen_bytes;
        st->seen_keys = g;
        st->seen_bytes = n;
    }
    uint8_t bit = (uint8_t)(1u << (k & 7));
    bool fresh = !(st->seen_keys[byte] & bit);
    st->seen_keys[byte] |= bit;
    return fresh;
}

#define SLOT_ABSENT (-1)
#define SLOT_NULL (-2)

static void set_null_below(const prop_node *node, int32_t *slots)
{
    for (size_t i = 0; i < node->n; i++) {
        if (node->children[i].col >= 0)
            slots[node->children[i].col] = SLOT_NULL;
        else
            set_null_below(node->children[i].sub, slots);
    }
}

/*
 * a property that the SCHEMA does not declare: the record's _sdc_deleted_at goes to the
 * metadata column (pipelinewise takes it from every record, whatever its SCHEMA says); any
 * other is ignored, as pipelinewise does, and counted for the warning at the end (off the hot
 * path: records that match their SCHEMA never come here)
 */
static void not_in_schema(stream *st, const char *parent, const char *key, size_t keylen,
                          const jscan_tok *toks, uint32_t v)
{
    static const char del[] = "_sdc_deleted_at";
    bool is_del = !*parent && keylen == sizeof(del) - 1 && memcmp(key, del, keylen) == 0;
    if (is_del && st->def->deleted_col >= 0) {
        st->slots[st->def->deleted_col] = (int32_t)v;
        return;
    }
    if (is_del && toks[v].type != J_NULL)
        st->deletes_nowhere++;
    char name[64];
    size_t n;
    if (*parent) {
        int w = snprintf(name, sizeof(name), "%s.%.*s", parent, (int)keylen, key);
        n = w < 0 ? 0 : (size_t)w < sizeof(name) ? (size_t)w : sizeof(name) - 1;
    } else {
        n = keylen < sizeof(name) ? keylen : sizeof(name) - 1;
        memcpy(name, key, n);
    }
    if (n == sizeof(name) - 1) {
        /* cut: not inside a UTF-8 sequence */
        size_t p = n;
        while (p > 0 && ((unsigned char)name[p - 1] & 0xC0) == 0x80)
            p--;
        if (p > 0) {
            unsigned char lead = (unsigned char)name[p - 1];
            size_t len = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
            if (p - 1 + len > n)
                n = p - 1;
        }
    }
    name[n] = '\0';
    for (size_t i = 0; i < st->nunknown; i++) {
        if (memcmp(st->unknown[i].name, name, n + 1) == 0) {
            st->unknown[i].records++;
            return;
        }
    }
    if (st->nunknown < sizeof(st->unknown) / sizeof(st->unknown[0])) {
        memcpy(st->unknown[st->nunknown].name, name, n + 1);
        st->unknown[st->nunknown++].records = 1;
        return;
    }
    st->unknown_other++;
}

/* whether a column below node already has a value (the flattened object came before) */
static bool any_slot_set(const prop_node *node, const int32_t *slots)
{
    for (size_t i = 0; i < node->n; i++) {
        const prop_child *ch = &node->children[i];
        if (ch->col >= 0 ? slots[ch->col] != SLOT_ABSENT : any_slot_set(ch->sub, slots))
            return true;
    }
    return false;
}

/* map the members of object token obj to columns; false with err on a non-object value for a
   flattened property */
static bool fill_slots(stream *st, conv_ctx *cx, const prop_node *node, const char *line,
                       const jscan *js, int obj, char *err, size_t errlen, const char *parent)
{
    const jscan_tok *toks = js->toks;
    uint32_t i = (uint32_t)obj + 1;
    uint32_t members = toks[obj].size;
    for (uint32_t m = 0; m < members; m++) {
        const jscan_tok *k = &toks[i];
        uint32_t v = i + 1;
        size_t idx;
        const char *key = line + k->start;
        size_t keylen = k->end - k->start;
        if (k->flags & JF_ESCAPED) {
            buf_reset(&cx->scratch);
            if (!jscan_unescape(&cx->scratch, key, keylen)) {
                key = "(a key with a bad escape)";
                keylen = strlen(key);
            } else {
                key = cx->scratch.data ? cx->scratch.data : "";
                keylen = cx->scratch.len;
            }
        }
        if (!flatten_lookup(node, key, keylen, m, &idx)) {
            not_in_schema(st, parent, key, keylen, toks, v);
        } else {
            const prop_child *ch = &node->children[idx];
            /* a property given twice: cJSON's lookup finds the first, Python's json and jsonb
               keep the last; which one was meant is not ours to guess */
            if (ch->col >= 0 ? st->slots[ch->col] != SLOT_ABSENT
                             : any_slot_set(ch->sub, st->slots)) {
                snprintf(err, errlen, "property \"%s%s%s\" is given twice in the record", parent,
                         *parent ? "." : "", ch->key);
                return false;
            }
            if (ch->col >= 0) {
                st->slots[ch->col] = (int32_t)v;
            } else if (toks[v].type == J_OBJECT) {
                char path[512];
                snprintf(path, sizeof(path), "%s%s%s", parent, *parent ? "." : "", ch->key);
                if (!fill_slots(st, cx, ch->sub, line, js, (int)v, err, errlen, path))
                    return false;
            } else if (toks[v].type == J_NULL) {
                set_null_below(ch->sub, st->slots);
            } else {
                snprintf(err, errlen, "property \"%s%s%s\": expected an object, got %s", parent,
                         *parent ? "." : "", ch->key, conv_type_name(toks[v].type));
                return false;
            }
        }
        i = toks[v].next;
    }
    return true;
}

bool stream_add_record(stream *st, conv_ctx *cx, const stream_record_view *rv, char *err,
                       size_t errlen)
{
    const char *line = rv->line;
    const jscan *js = rv->js;
    int version_tok = rv->version_tok, te_tok = rv->te_tok;
    int64_t seq = rv->seq;
    const table_def *d = st->def;
    const column_set *cs = &d->cs;
    size_t ncols = cs->ncols;
    if (st->scratch_cap < ncols) {
        int32_t *sl = realloc(st->slots, ncols * sizeof(int32_t));
        if (sl)
            st->slots = sl;
        char *mk = realloc(st->mask, ncols + 1);
        if (mk)
            st->mask = mk;
        if (!sl || !mk) {
            snprintf(err, errlen, "out of memory");
            return false;
        }
        st->scratch_cap = ncols;
    }
    for (size_t c = 0; c < ncols; c++)
        st->slots[c] = SLOT_ABSENT;
    if (!fill_slots(st, cx, &cs->root, line, js, rv->rec, err, errlen, ""))
        return false;

    batch *b = st->cur;
    buf *o = &b->data;
    size_t row_start = o->len;
    bool any_absent = false;
    uint64_t keyhash = HASH_FNV1A64_BASIS;
    size_t key_at = 0, key_len = 0; /* a key of one column: its COPY text */
    const jscan_tok *toks = js->toks;
    bool first = true;
    for (size_t c = 0; c < ncols; c++) {
        const tcolumn *col = &cs->cols[c];
        if (col->meta == META_BATCHED_AT)
            continue;
        if (!first)
            buf_putc(o, '\t');
        first = false;
        int32_t slot = st->slots[c];
        st->mask[c] = '0';
        switch (col->meta) {
        case META_EXTRACTED_AT: {
            size_t at = o->len;
            if (!(te_tok != JSCAN_NOT_FOUND && toks[te_tok].type == J_STRING &&
                  !(toks[te_tok].flags & (JF_ESCAPED | JF_BAD_UTF8)) &&
                  conv_datetime(o, line + toks[te_tok].start, toks[te_tok].end - toks[te_tok].start,
                                CK_TIMESTAMPTZ) == CONV_DT_OK)) {
                o->len = at;
                buf_append_lit(o, "\\N");
            }
            continue;
        }
        case META_RECEIVED_AT:
            conv_received_now(cx);
            buf_appends(o, cx->recv_text);
            continue;
        case META_TABLE_VERSION:
            if (version_tok != JSCAN_NOT_FOUND && toks[version_tok].type == J_NUMBER &&
                (toks[version_tok].flags & JF_INTEGER))
                buf_append(o, line + toks[version_tok].start,
                           toks[version_tok].end - toks[version_tok].start);
            else
                buf_append_lit(o, "\\N");
            continue;
        case META_SEQUENCE:
            if (slot < 0) {
                json_writer_int(o, (long long)(cx->seq_base + seq));
                continue;
            }
            break;
        default:
            break;
        }
        size_t field_start = o->len;
        if (slot == SLOT_ABSENT) {
            if (col->is_key) {
                o->len = row_start;
                snprintf(err, errlen, "key property \"%s\" is missing", col->path);
                return false;
            }
            buf_append_lit(o, "\\N");
            if (!col->absent_is_null) {
                st->mask[c] = '1';
                any_absent = true;
            }
        } else if (slot == SLOT_NULL) {
            if (col->is_key) {
                o->len = row_start;
                snprintf(err, errlen, "key property \"%s\" is null", col->path);
                return false;
            }
            buf_append_lit(o, "\\N");
        } else {
            const jscan_tok *t = &toks[slot];
            if (col->is_key && t->type == J_NULL) {
                o->len = row_start;
                snprintf(err, errlen, "key property \"%s\" is null", col->path);
                return false;
            }
            conv_result r = conv_field(o, cx, col, line, toks, slot);
            if (r != CONV_OK) {
                o->len = row_start;
                conv_error(r, col, line, t, err, errlen);
                return false;
            }
            if (col->meta == META_DELETED_AT && t->type != J_NULL) {
                b->has_deletes = true;
                b->deletes++;
            }
        }
        if (col->is_key) {
            keyhash = hash_fnv1a64(keyhash, o->data + field_start, o->len - field_start + 1);
            key_at = field_start;
            key_len = o->len - field_start;
        }
    }
    /* the sequence and the absent mask, for the merge */
    buf_putc(o, '\t');
    json_writer_int(o, (long long)seq);
    buf_putc(o, '\t');
    if (any_absent) {
        for (size_t c = 0; c < ncols; c++)
            if (cs->cols[c].meta != META_BATCHED_AT)
                buf_putc(o, st->mask[c]);
        b->has_absent = true;
    } else {
        buf_append_lit(o, "\\N");
    }
    buf_putc(o, '\n');
    if (cs->nkeys > 0 &&
        !batch_note_key(b, keyhash, cs->nkeys == 1 ? o->data + key_at : NULL, key_len)) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    bool fresh = cs->nkeys == 1 && key_fresh(st, o->data + key_at, key_len);
    if (!batch_row_done(b, rv->line_no, seq, fresh)) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    return true;
}

void stream_warn_unknown(const stream *st)
{
    if (st->nunknown == 0)
        return;
    buf b = BUF_INIT;
    for (size_t i = 0; i < st->nunknown; i++)
        buf_appendf(&b, "%s\"%s\" in %lld record%s", i ? ", " : "", st->unknown[i].name,
                    st->unknown[i].records, st->unknown[i].records == 1 ? "" : "s");
    if (st->unknown_other)
        buf_appendf(&b, ", and %lld more of other names", st->unknown_other);
    buf_putc(&b, '\0');
    log_warn("stream \"%s\": properties not in its SCHEMA were ignored (not loaded): %s", st->name,
             buf_ok(&b) ? b.data : "(out of memory)");
    if (st->deletes_nowhere)
        log_warn(
            "stream \"%s\": %lld records carry _sdc_deleted_at, which its SCHEMA does not "
            "declare: without add_metadata_columns or hard_delete the table has no column "
            "for it, so these deletes were not applied (each was loaded like any other record)",
            st->name, st->deletes_nowhere);
    buf_term(&b);
}
