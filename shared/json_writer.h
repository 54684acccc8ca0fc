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

/* json_writer_string: append s[0..n) as a quoted JSON string. */
void json_writer_string(buf *b, const char *s, size_t n);
/* json_writer_string_body: append s[0..n) escaped, without the quotes. */
void json_writer_string_body(buf *b, const char *s, size_t n);
/* json_writer_key: append "key": (with a leading comma when !first). */
void json_writer_key(buf *b, const char *key, bool first);
/* json_writer_int: append a signed integer. */
void json_writer_int(buf *b, long long v);
/* json_writer_uint: append an unsigned integer. */
void json_writer_uint(buf *b, unsigned long long v);

/* json_writer_hex_value: the value of a hexadecimal digit, -1 for any other byte. */
static inline int json_writer_hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* json_writer_hex4: the value of the four hexadecimal digits at p, -1 when one is not a digit. */
static inline long json_writer_hex4(const unsigned char *p)
{
    int a = json_writer_hex_value(p[0]), b = json_writer_hex_value(p[1]),
        c = json_writer_hex_value(p[2]), d = json_writer_hex_value(p[3]);
    if ((a | b | c | d) < 0)
        return -1;
    return (long)(a << 12 | b << 8 | c << 4 | d);
}

/* json_writer_utf8_encode: the UTF-8 form of code point cp (<= 0x10FFFF) into out[0..4); its
 * length. */
size_t json_writer_utf8_encode(char *out, unsigned cp);

/* json_writer_utf8_valid: true when s[0..n) is well-formed UTF-8 (no overlongs, no surrogates). */
bool json_writer_utf8_valid(const char *s, size_t n);
/* json_writer_utf8_invalid_offset: offset of the first invalid byte, or n when valid. */
size_t json_writer_utf8_invalid_offset(const char *s, size_t n);

#endif
