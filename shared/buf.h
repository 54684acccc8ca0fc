/*
 * buf: the one growable byte buffer of the project.
 *
 * A buf owns its data (malloc'ed area). The data is always NUL-terminated
 * after len bytes so it can be handed to C string functions, but it may hold
 * NUL bytes inside. After an allocation failure the buffer is "broken": every
 * later append is a no-op and callers check buf_ok() once at the end.
 */
#ifndef SINGER_BUF_H
#define SINGER_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

typedef struct buf {
    char *data; /* malloc'ed area, cap bytes, NUL after len */
    size_t len;
    size_t cap;
    bool broken;
} buf;

#define BUF_INIT                                                                                   \
    {                                                                                              \
        NULL, 0, 0, false                                                                          \
    }

/* buf_init: make an empty buffer (no allocation yet). */
void buf_init(buf *b);
/* buf_term: free the data; the buffer may be used again after buf_init. NULL is fine. */
void buf_term(buf *b);
/* buf_grow_slow: the out-of-line part of buf_reserve: room for need bytes in all. */
bool buf_grow_slow(buf *b, size_t need);
/* buf_reserve: make room for extra more bytes (plus the NUL); false when broken. Inline, as
   buf_append: both run several times per value on the hot paths (PERF.md). */
static inline bool buf_reserve(buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need < b->len) {
        b->broken = true;
        return false;
    }
    if (need <= b->cap)
        return !b->broken;
    return buf_grow_slow(b, need);
}
/* buf_append: append n bytes from p. */
static inline void buf_append(buf *b, const void *p, size_t n)
{
    if (!buf_reserve(b, n))
        return;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}
/* buf_appends: append a NUL-terminated string. */
void buf_appends(buf *b, const char *s);
/* buf_appendf: printf-style append. */
void buf_appendf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vappendf(buf *b, const char *fmt, va_list ap);
/* buf_consume: drop the first n bytes (after a partial write). */
void buf_consume(buf *b, size_t n);
/* buf_detach: hand the data to the caller (who frees it) and leave b empty. */
char *buf_detach(buf *b);

/* buf_reset: empty the buffer, keep its memory. */
static inline void buf_reset(buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static inline bool buf_ok(const buf *b)
{
    return !b->broken;
}

/* buf_putc: append one byte. */
static inline void buf_putc(buf *b, char c)
{
    if (b->len + 2 > b->cap && !buf_grow_slow(b, b->len + 2))
        return;
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

/* buf_append_lit: append a string literal. */
#define buf_append_lit(b, lit) buf_append((b), (lit), sizeof(lit) - 1)

#endif
