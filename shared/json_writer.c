#include "json_writer.h"

#include <stdio.h>

/* 0 = copy as is; 'u' = \u00XX; other = the letter after the backslash */
static const char escape_table[256] = {
    'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'b', 't', 'n', 'u', 'f',  'r', 'u', 'u',
    'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u',  'u', 'u', 'u',
    0,   0,   '"', 0,   0,   0,   0,   0,   0,   0,   0,   0,   0,    0,   0,   0,
    0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,    0,   0,   0,
    0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,    0,   0,   0,
    0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   '\\', 0,   0,   0,
};

static const char hexdigits[] = "0123456789abcdef";

void json_writer_string_body(buf *b, const char *s, size_t n)
{
    /* worst case every byte becomes \u00XX */
    if (!buf_reserve(b, n + 16))
        return;
    const unsigned char *p = (const unsigned char *)s;
    const unsigned char *end = p + n;
    while (p < end) {
        const unsigned char *run = p;
        while (p < end && escape_table[*p] == 0)
            p++;
        if (p > run)
            buf_append(b, run, (size_t)(p - run));
        if (p == end)
            break;
        char e = escape_table[*p];
        if (e == 'u') {
            char u[6] = {'\\', 'u', '0', '0', hexdigits[*p >> 4], hexdigits[*p & 15]};
            buf_append(b, u, 6);
        } else {
            char u[2] = {'\\', e};
            buf_append(b, u, 2);
        }
        p++;
    }
}

void json_writer_string(buf *b, const char *s, size_t n)
{
    buf_putc(b, '"');
    json_writer_string_body(b, s, n);
    buf_putc(b, '"');
}

void json_writer_key(buf *b, const char *key, bool first)
{
    if (!first)
        buf_putc(b, ',');
    json_writer_string(b, key, strlen(key));
    buf_putc(b, ':');
}

void json_writer_uint(buf *b, unsigned long long v)
{
    char tmp[24];
    int i = (int)sizeof(tmp);
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    buf_append(b, tmp + i, sizeof(tmp) - (size_t)i);
}

void json_writer_int(buf *b, long long v)
{
    if (v < 0) {
        buf_putc(b, '-');
        json_writer_uint(b, 0ULL - (unsigned long long)v);
    } else {
        json_writer_uint(b, (unsigned long long)v);
    }
}

size_t json_writer_utf8_encode(char *out, unsigned cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

size_t json_writer_utf8_invalid_offset(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        unsigned int cp;
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return i;
        }
        if (i + len > n)
            return i;
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return i;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += len;
    }
    return n;
}

bool json_writer_utf8_valid(const char *s, size_t n)
{
    return json_writer_utf8_invalid_offset(s, n) == n;
}
