#include "batch.h"

#include "timefmt.h"

#include <stdlib.h>

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
    free(b->keys);
    hash_index_term(&b->keyset);
    free(b);
}

void batch_reset(batch *b)
{
    buf_reset(&b->data);
    b->rows = 0;
    b->first_seq = -1;
    hash_index_clear(&b->keyset);
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

bool batch_row_done(batch *b, int64_t line, int64_t seq)
{
    if (b->rows == b->lines_cap) {
        size_t ncap = b->lines_cap ? b->lines_cap * 2 : 256;
        int64_t *l = realloc(b->lines, ncap * sizeof(*l));
        if (!l)
            return false;
        b->lines = l;
        b->lines_cap = ncap;
    }
    if (b->rows == 0) {
        if (b->first_seq < 0)
            b->first_seq = seq;
        b->started = timefmt_monotonic();
    }
    b->lines[b->rows++] = line;
    return buf_ok(&b->data);
}

bool batch_note_key(batch *b, uint64_t h)
{
    uint32_t fold = hash_fold64(h), item;
    size_t pos = HASH_INDEX_START;
    while (hash_index_next(&b->keyset, fold, &pos, &item)) {
        if (b->keys[item] == h) {
            b->has_dups = true;
            return true;
        }
    }
    size_t n = b->keyset.count;
    if (n == b->keys_cap) {
        size_t ncap = b->keys_cap ? b->keys_cap * 2 : 256;
        uint64_t *grown = ncap < UINT32_MAX ? realloc(b->keys, ncap * sizeof(*grown)) : NULL;
        if (!grown)
            return false;
        b->keys = grown;
        b->keys_cap = ncap;
    }
    if (!hash_index_add(&b->keyset, fold, (uint32_t)n))
        return false;
    b->keys[n] = h;
    return true;
}

int64_t batch_line_of_row(const batch *b, size_t i)
{
    return i < b->rows ? b->lines[i] : 0;
}

size_t batch_mem(const batch *b)
{
    return b ? b->data.cap + b->lines_cap * sizeof(int64_t) + b->keys_cap * sizeof(uint64_t) +
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
        g += (b->lines_cap ? b->lines_cap : 256) * sizeof(int64_t);
    if (b->keyset.count == b->keys_cap)
        g += (b->keys_cap ? b->keys_cap : 256) * sizeof(uint64_t);
    /* the index grows as hash_index_reserve does: doubled (16 slots first) past half full */
    if ((b->keyset.count + 1) * 2 > b->keyset.cap)
        g += (b->keyset.cap ? b->keyset.cap * 2 : 16) * sizeof(hash_index_slot);
    return g;
}
