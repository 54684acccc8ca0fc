#include "batch.h"

#include "timefmt.h"

#include <stdlib.h>
#include <string.h>

batch *batch_create(void)
{
    batch *b = calloc(1, sizeof(*b));
    if (b)
        b->first_seq = -1;
    return b;
}

void batch_destroy(batch *b)
{
    if (!b)
        return;
    buf_term(&b->data);
    free(b->lines);
    free(b->fresh);
    free(b->keys);
    hash_index_term(&b->keyset);
    buf_term(&b->last_key);
    free(b);
}

void batch_reset(batch *b)
{
    buf_reset(&b->data);
    b->rows = 0;
    b->first_seq = -1;
    hash_index_clear(&b->keyset);
    b->nkeys = 0;
    b->has_dups = false;
    b->has_absent = false;
    b->has_deletes = false;
    b->deletes = 0;
    b->started = 0;
    /* a buffer that grew far beyond a normal batch is given back */
    if (b->data.cap > ((size_t)256 << 20)) {
        buf_term(&b->data);
        buf_init(&b->data);
    }
}

bool batch_row_done(batch *b, int64_t line, int64_t seq, bool fresh)
{
    if (b->rows == b->lines_cap) {
        size_t ncap = b->lines_cap ? b->lines_cap * 2 : 256;
        int64_t *l = realloc(b->lines, ncap * sizeof(*l));
        if (!l)
            return false;
        b->lines = l;
        uint8_t *f = realloc(b->fresh, ncap);
        if (!f)
            return false;
        b->fresh = f;
        b->lines_cap = ncap;
    }
    b->fresh[b->rows] = fresh;
    if (b->rows == 0) {
        if (b->first_seq < 0)
            b->first_seq = seq;
        b->started = timefmt_monotonic();
    }
    b->lines[b->rows++] = line;
    return buf_ok(&b->data);
}

/* key[0 .. len) comes after the last key: longer, or as long and greater byte by byte (an
   order in which only equal texts are equal, so keys that keep coming after are distinct) */
static bool after_last(const batch *b, const char *key, size_t len)
{
    const buf *l = &b->last_key;
    return len > l->len || (len == l->len && memcmp(key, l->data, len) > 0);
}

bool batch_note_key(batch *b, uint64_t h, const char *key, size_t len)
{
    size_t n = b->nkeys;
    if (n == 0)
        b->ascending = key != NULL;
    if (b->ascending && key && (n == 0 || after_last(b, key, len))) {
        buf_reset(&b->last_key);
        buf_append(&b->last_key, key, len);
        if (!buf_ok(&b->last_key))
            return false;
    } else {
        uint32_t fold = hash_fold64(h), item;
        if (b->ascending) {
            /* the run breaks: the key set of the keys so far, then searched as any batch's */
            b->ascending = false;
            for (size_t i = 0; i < n; i++)
                if (!hash_index_add(&b->keyset, hash_fold64(b->keys[i]), (uint32_t)i))
                    return false;
        }
        size_t pos = HASH_INDEX_START;
        while (hash_index_next(&b->keyset, fold, &pos, &item)) {
            if (b->keys[item] == h) {
                b->has_dups = true;
                return true;
            }
        }
        if (!hash_index_add(&b->keyset, fold, (uint32_t)n))
            return false;
    }
    if (n == b->keys_cap) {
        size_t ncap = b->keys_cap ? b->keys_cap * 2 : 256;
        uint64_t *grown = ncap < UINT32_MAX ? realloc(b->keys, ncap * sizeof(*grown)) : NULL;
        if (!grown)
            return false;
        b->keys = grown;
        b->keys_cap = ncap;
    }
    b->keys[n] = h;
    b->nkeys = n + 1;
    return true;
}

int64_t batch_line_of_row(const batch *b, size_t i)
{
    return i < b->rows ? b->lines[i] : 0;
}

size_t batch_mem(const batch *b)
{
    return b ? b->data.cap + b->lines_cap * (sizeof(int64_t) + 1) + b->keys_cap * sizeof(uint64_t) +
                   b->keyset.cap * sizeof(hash_index_slot)
             : 0;
}

size_t batch_mem_growth(const batch *b, size_t row_bytes)
{
    size_t g = 0;
    size_t need = b->data.len + row_bytes + 2;
    if (need > b->data.cap) {
        size_t cap = b->data.cap ? b->data.cap : 256;
        while (cap < need)
            cap *= 2;
        g += cap - b->data.cap;
    }
    if (b->rows == b->lines_cap)
        g += (b->lines_cap ? b->lines_cap : 256) * (sizeof(int64_t) + 1);
    if (b->nkeys == b->keys_cap)
        g += (b->keys_cap ? b->keys_cap : 256) * sizeof(uint64_t);
    /* the index as hash_index_reserve makes it (a power of two from 16 slots, at most half
       full) for one key more: built whole when an ascending run breaks */
    size_t cap = 16;
    while (cap < (b->nkeys + 1) * 2)
        cap *= 2;
    if (cap > b->keyset.cap)
        g += (cap - b->keyset.cap) * sizeof(hash_index_slot);
    return g;
}
