/*
 * copy_unescape: the backslash escapes of PostgreSQL's COPY text format undone: \t \n \r \b
 * \f \v, octal \ooo (one to three digits), \xhh (one or two hex digits; \x without one is
 * x), and a backslash before any other character stands for that character. The tap reads
 * COPY TO's rows with it, the target turns its own COPY text into COPY's binary format.
 *
 * Ownership: nothing is kept; dst is the caller's.
 */
#ifndef SINGER_COPY_UNESCAPE_H
#define SINGER_COPY_UNESCAPE_H

#include <stddef.h>

/* copy_unescape: s[i ..] up to the next unescaped tab (or n) un-escaped into dst (room for
   n - i bytes: never longer); *dlen: the bytes written. Returns the index of that tab (or n),
   or (size_t)-1 for a backslash at the end. */
size_t copy_unescape(const char *s, size_t n, size_t i, char *dst, size_t *dlen);

#endif
