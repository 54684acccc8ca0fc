/*
 * json_unescape: the one decoder of JSON string escapes (\" \\ \/ \b \f \n \r \t \uXXXX with
 * UTF-16 surrogate pairs), shared by the wal2json decoder (tap), the target's tokenizer and its
 * COPY writer.
 *
 * Ownership: nothing is allocated or kept; json_unescape_one reads the caller's bytes and
 * json_unescape_buf appends to the caller's buffer.
 *
 * The decoder is inline because it sits in the per-value loops of both programs; the loops
 * themselves (scanning runs of plain bytes) stay with their callers, which know what ends a
 * run and where the output goes.
 */
#ifndef SINGER_JSON_UNESCAPE_H
#define SINGER_JSON_UNESCAPE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "json_writer.h"

typedef enum json_unescape_result {
    JSON_UNESCAPE_OK = 0,
    JSON_UNESCAPE_TRUNCATED,  /* the text ends after the backslash */
    JSON_UNESCAPE_BAD_ESCAPE, /* a letter JSON does not define follows the backslash */
    JSON_UNESCAPE_SHORT_HEX,  /* fewer than four bytes after \u */
    JSON_UNESCAPE_BAD_HEX,    /* \u not followed by four hex digits */
    JSON_UNESCAPE_SURROGATE,  /* a lone UTF-16 surrogate, or a high one without its low half */
} json_unescape_result;

/* json_unescape_simple: the byte an escape letter other than 'u' stands for, 0 for the rest */
extern const unsigned char json_unescape_simple[256];

/*
 * json_unescape_one: decode the escape at *p (a backslash with at least one byte after it: the
 * caller checks that, as a scanner does anyway for the end of the string) into *cp, a Unicode code
 * point (the character itself for \" \\ \/, the control character for \b \f \n \r \t), and
 * move *p past it. On failure *p is where the fault is: the backslash (BAD_ESCAPE),
 * the first hex digit of the faulty \u (SHORT_HEX, BAD_HEX), or just after the four digits of
 * the surrogate that is lone or unpaired (SURROGATE); *cp is then undefined. It never returns
 * TRUNCATED (the precondition), json_unescape_buf does.
 */
static inline json_unescape_result json_unescape_one(const unsigned char **p,
                                                     const unsigned char *end, unsigned *cp)
{
    const unsigned char *r = *p;
    unsigned char e = r[1];
    unsigned char simple = json_unescape_simple[e];
    if (simple) {
        *cp = simple;
        *p = r + 2;
        return JSON_UNESCAPE_OK;
    }
    if (e != 'u')
        return JSON_UNESCAPE_BAD_ESCAPE;
    r += 2;
    *p = r;
    if (end - r < 4)
        return JSON_UNESCAPE_SHORT_HEX;
    long hi = json_writer_hex4(r);
    if (hi < 0)
        return JSON_UNESCAPE_BAD_HEX;
    r += 4;
    unsigned c = (unsigned)hi;
    if (c >= 0xD800 && c <= 0xDBFF) {
        *p = r;
        if (end - r < 6 || r[0] != '\\' || r[1] != 'u')
            return JSON_UNESCAPE_SURROGATE;
        *p = r + 2;
        long lo = json_writer_hex4(r + 2);
        if (lo < 0)
            return JSON_UNESCAPE_BAD_HEX;
        *p = r;
        if (lo < 0xDC00 || lo > 0xDFFF)
            return JSON_UNESCAPE_SURROGATE;
        c = 0x10000 + ((c - 0xD800) << 10) + ((unsigned)lo - 0xDC00);
        r += 6;
    } else if (c >= 0xDC00 && c <= 0xDFFF) {
        *p = r;
        return JSON_UNESCAPE_SURROGATE;
    }
    *cp = c;
    *p = r;
    return JSON_UNESCAPE_OK;
}

/* json_unescape_put: append code point cp to out as UTF-8 */
static inline void json_unescape_put(buf *out, unsigned cp)
{
    if (cp < 0x80) {
        buf_putc(out, (char)cp);
    } else {
        char u[4];
        buf_append(out, u, json_writer_utf8_encode(u, cp));
    }
}

/*
 * json_unescape_buf: append the JSON string body s[0..n) (the bytes between the quotes)
 * decoded to UTF-8 to out; \u0000 becomes a NUL byte. Returns the first fault, with
 * *fault_at (when not NULL) its byte offset in s; what was decoded before it stays in out.
 */
json_unescape_result json_unescape_buf(buf *out, const char *s, size_t n, size_t *fault_at);

#endif
