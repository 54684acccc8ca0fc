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

/* jw_utf8_valid: true when s[0..n) is well-formed UTF-8 (no overlongs, no surrogates). */
bool jw_utf8_valid(const char *s, size_t n);
/* jw_utf8_invalid_offset: offset of the first invalid byte, or n when valid. */
size_t jw_utf8_invalid_offset(const char *s, size_t n);

#endif
