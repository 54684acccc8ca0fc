#include "batch.h"

#include "json_writer.h"

#include "timefmt.h"

#include <stdlib.h>
#include <string.h>

static void put_utf8(buf *out, unsigned cp)
{
    char u[4];
    buf_append(out, u, jw_utf8_encode(u, cp));
}

/* the caller has checked the four digits */
static unsigned hex4(const unsigned char *p)
{
    return (unsigned)jw_hex4(p);
}

int copy_json_string(buf *out, const char *s, size_t n, bool escaped, const nul_opts *nul)
{
    if (!escaped) {
        /* a JSON string without escapes holds no backslash, tab, newline or CR */
        buf_append(out, s, n);
        return COPY_OK;
    }
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        const unsigned char *run = p;
        while (p < end && *p != '\\')
            p++;
        if (p > run)
            buf_append(out, run, (size_t)(p - run));
        if (p >= end)
            break;
        unsigned char e = p[1];
        p += 2;
        switch (e) {
        case 'b': buf_append_lit(out, "\\b"); break;
        case 'f': buf_append_lit(out, "\\f"); break;
        case 'n': buf_append_lit(out, "\\n"); break;
        case 'r': buf_append_lit(out, "\\r"); break;
        case 't': buf_append_lit(out, "\\t"); break;
        case '\\': buf_append_lit(out, "\\\\"); break;
        case 'u': {
            unsigned cp = hex4(p);
            p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (end - p < 6 || p[0] != '\\' || p[1] != 'u')
                    return COPY_BAD_UNICODE;
                unsigned lo = hex4(p + 2);
                if (lo < 0xDC00 || lo > 0xDFFF)
                    return COPY_BAD_UNICODE;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                p += 6;
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                return COPY_BAD_UNICODE;
            }
            if (cp == 0) {
                if (nul->policy == NUL_ERROR)
                    return COPY_NUL;
                buf_appends(out, nul->policy == NUL_REPLACE ? nul->copy_repl : "");
            } else if (cp == '\\') {
                buf_append_lit(out, "\\\\");
            } else if (cp == '\t') {
                buf_append_lit(out, "\\t");
            } else if (cp == '\n') {
                buf_append_lit(out, "\\n");
            } else if (cp == '\r') {
                buf_append_lit(out, "\\r");
            } else {
                put_utf8(out, cp);
            }
            break;
        }
        default: buf_putc(out, (char)e); break; /* '"' and '/' */
        }
    }
    return COPY_OK;
}

int copy_json_raw(buf *out, const char *s, size_t n, const nul_opts *nul)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        const unsigned char *run = p;
        while (p < end && *p != '\\' && *p != '\t' && *p != '\n' && *p != '\r')
            p++;
        if (p > run)
            buf_append(out, run, (size_t)(p - run));
        if (p >= end)
            break;
        unsigned char c = *p;
        if (c == '\t') {
            buf_append_lit(out, "\\t");
            p++;
        } else if (c == '\n') {
            buf_append_lit(out, "\\n");
            p++;
        } else if (c == '\r') {
            buf_append_lit(out, "\\r");
            p++;
        } else {
            /* a JSON escape: keep it, doubling the backslash for COPY */
            if (p + 1 < end && p[1] == 'u' && end - p >= 6 && memcmp(p + 2, "0000", 4) == 0) {
                if (nul->policy == NUL_ERROR)
                    return COPY_NUL;
                if (nul->policy == NUL_REPLACE) {
                    /* the JSON body of the replacement, its backslashes doubled for COPY */
                    for (const char *r = nul->json_repl; *r; r++) {
                        if (*r == '\\')
                            buf_putc(out, '\\');
                        buf_putc(out, *r);
                    }
                }
                p += 6;
                continue;
            }
            if (p + 1 < end && p[1] == 'u' && end - p >= 6) {
                unsigned cp = hex4(p + 2);
                if (cp >= 0xDC00 && cp <= 0xDFFF)
                    return COPY_BAD_UNICODE;
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    if (end - p < 12 || p[6] != '\\' || p[7] != 'u')
                        return COPY_BAD_UNICODE;
                    unsigned lo = hex4(p + 8);
                    if (lo < 0xDC00 || lo > 0xDFFF)
                        return COPY_BAD_UNICODE;
                    /* the pair as it is, both backslashes doubled (the low half must not be
                       seen again on its own) */
                    buf_append_lit(out, "\\\\");
                    buf_append(out, p + 1, 5);
                    buf_append_lit(out, "\\\\");
                    buf_append(out, p + 7, 5);
                    p += 12;
                    continue;
                }
            }
            buf_append_lit(out, "\\\\");
            p++;
            if (p < end) {
                if (*p == '\\')
                    buf_append_lit(out, "\\\\");
                else
                    buf_putc(out, (char)*p);
                p++;
            }
        }
    }
    return COPY_OK;
}

void copy_text(buf *out, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        const unsigned char *run = p;
        while (p < end && *p != '\\' && *p != '\t' && *p != '\n' && *p != '\r')
            p++;
        if (p > run)
            buf_append(out, run, (size_t)(p - run));
        if (p >= end)
            break;
        switch (*p) {
        case '\\': buf_append_lit(out, "\\\\"); break;
        case '\t': buf_append_lit(out, "\\t"); break;
        case '\n': buf_append_lit(out, "\\n"); break;
        default: buf_append_lit(out, "\\r"); break;
        }
        p++;
    }
}

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
