/*
 * json_writer: streaming JSON into a buf. No trees: strings are escaped in one
 * scan, numbers are appended as their exact text.
 */
#ifndef SINGER_JSON_WRITER_H
#define SINGER_JSON_WRITER_H

#include "buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* jw_string: append s[0..n) as a quoted JSON string. */
void jw_string(buf *b, const char *s, size_t n);
/* jw_string_body: append s[0..n) escaped, without the quotes. */
void jw_string_body(buf *b, const char *s, size_t n);
/* jw_key: append "key": (with a leading comma when !first). */
void jw_key(buf *b, const char *key, bool first);
/* jw_int: append a signed integer. */
void jw_int(buf *b, long long v);
/* jw_uint: append an unsigned integer. */
void jw_uint(buf *b, unsigned long long v);

/* jw_hex_value: the value of a hexadecimal digit, -1 for any other byte. */
static inline int jw_hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* jw_hex4: the value of the four hexadecimal digits at p, -1 when one is not a digit. */
static inline long jw_hex4(const unsigned char *p)
{
    int a = jw_hex_value(p[0]), b = jw_hex_value(p[1]), c = jw_hex_value(p[2]),
        d = jw_hex_value(p[3]);
    if ((a | b | c | d) < 0)
        return -1;
    return (long)(a << 12 | b << 8 | c << 4 | d);
}

/* jw_utf8_encode: the UTF-8 form of code point cp (<= 0x10FFFF) into out[0..4); its length. */
size_t jw_utf8_encode(char *out, unsigned cp);

/* jw_utf8_valid: true when s[0..n) is well-formed UTF-8 (no overlongs, no surrogates). */
bool jw_utf8_valid(const char *s, size_t n);
/* jw_utf8_invalid_offset: offset of the first invalid byte, or n when valid. */
size_t jw_utf8_invalid_offset(const char *s, size_t n);

#endif
