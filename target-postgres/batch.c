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
    free(b->keyset);
    free(b);
}

void batch_reset(batch *b)
{
    buf_reset(&b->data);
    b->rows = 0;
    b->first_seq = -1;
    if (b->keyset_n)
        memset(b->keyset, 0, b->keyset_cap * sizeof(uint64_t));
    b->keyset_n = 0;
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
    if (h == 0)
        h = 1;
    if ((b->keyset_n + 1) * 2 > b->keyset_cap) {
        size_t ncap = b->keyset_cap ? b->keyset_cap * 2 : 256;
        uint64_t *ns = calloc(ncap, sizeof(uint64_t));
        if (!ns)
            return false;
        for (size_t i = 0; i < b->keyset_cap; i++) {
            uint64_t v = b->keyset[i];
            if (!v)
                continue;
            size_t j = (size_t)(v * 0x9E3779B97F4A7C15ULL >> 20) & (ncap - 1);
            while (ns[j])
                j = (j + 1) & (ncap - 1);
            ns[j] = v;
        }
        free(b->keyset);
        b->keyset = ns;
        b->keyset_cap = ncap;
    }
    size_t j = (size_t)(h * 0x9E3779B97F4A7C15ULL >> 20) & (b->keyset_cap - 1);
    while (b->keyset[j]) {
        if (b->keyset[j] == h) {
            b->has_dups = true;
            return true;
        }
        j = (j + 1) & (b->keyset_cap - 1);
    }
    b->keyset[j] = h;
    b->keyset_n++;
    return true;
}

int64_t batch_line_of_row(const batch *b, size_t i)
{
    return i < b->rows ? b->lines[i] : 0;
}

size_t batch_mem(const batch *b)
{
    return b ? b->data.cap + b->lines_cap * sizeof(int64_t) + b->keyset_cap * sizeof(uint64_t) : 0;
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
    if ((b->keyset_n + 1) * 2 > b->keyset_cap)
        g += (b->keyset_cap ? b->keyset_cap * 2 : 256) * sizeof(uint64_t);
    return g;
}
