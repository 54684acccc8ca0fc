/*
 * copy: the COPY text encoders of JSON values. A JSON string is decoded and escaped for COPY in
 * one pass, a JSON document (jsonb) is escaped as it is, plain text escaped (backslash, tab,
 * newline, CR: the one escaping of the target). U+0000 cannot be stored in text or jsonb:
 * copy_nul_opts says whether it is an error, replaced or stripped.
 *
 * Ownership: the encoders append to a caller's buffer and keep nothing; copy_nul_opts' strings are
 * borrowed (the config's).
 */
#ifndef TARGET_COPY_H
#define TARGET_COPY_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* what a \u0000 in a string becomes (set by the target config, tconfig.h) */
typedef enum nul_policy { NUL_ERROR = 0, NUL_REPLACE, NUL_STRIP } nul_policy;

typedef struct copy_nul_opts {
    nul_policy policy;
    const char *copy_repl; /* replacement, escaped for COPY text */
    const char *json_repl; /* replacement, escaped for a JSON string body */
} copy_nul_opts;

/* what an encoder made of a value */
typedef enum copy_result {
    COPY_OK = 0,
    COPY_NUL = 1,        /* \u0000 with the error policy */
    COPY_BAD_UNICODE = 2 /* a lone surrogate */
} copy_result;

/* copy_json_string: append the JSON string body s[0..n) decoded and COPY-escaped. escaped:
   whether s holds backslash escapes (the fast path copies it as it is). Returns COPY_OK, or
   COPY_NUL (\u0000 with the error policy) / COPY_BAD_UNICODE (a lone surrogate). */
copy_result copy_json_string(buf *out, const char *s, size_t n, bool escaped,
                             const copy_nul_opts *nul);
/* copy_json_raw: append the JSON text s[0..n) (a document for jsonb) COPY-escaped, with
   \u0000 handled by the policy. */
copy_result copy_json_raw(buf *out, const char *s, size_t n, const copy_nul_opts *nul);
/* copy_text: append UTF-8 text COPY-escaped (backslash, tab, newline, CR). */
void copy_text(buf *out, const char *s, size_t n);

#endif
