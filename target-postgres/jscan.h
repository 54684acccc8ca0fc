/*
 * jscan: a one-pass JSON tokenizer for the hot path (one RECORD line).
 *
 * The whole line is validated and cut into a flat array of tokens (reused
 * from line to line: no allocation once the array has grown). Strings are
 * not unescaped here: a token points into the line and says whether it holds
 * escapes; numbers keep their exact text (never a double). Object members are
 * laid out as key token, value token; `next` skips a whole subtree.
 *
 * Invalid UTF-8 inside a string does not stop the scan: the string token is
 * flagged JF_BAD_UTF8 so the caller can name the property that holds it.
 */
#ifndef TARGET_JSCAN_H
#define TARGET_JSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum jtype { J_OBJECT = 1, J_ARRAY, J_STRING, J_NUMBER, J_TRUE, J_FALSE, J_NULL } jtype;

#define JF_ESCAPED 1u  /* string holds backslash escapes */
#define JF_BAD_UTF8 2u /* string holds bytes that are not well-formed UTF-8 */
#define JF_INTEGER 4u  /* number without fraction or exponent */
#define JF_NUL 8u      /* string holds the escape \u0000 */

typedef struct jscan_tok {
    uint8_t type;
    uint8_t flags;
    uint32_t start; /* strings: first byte after the quote; others: first byte */
    uint32_t end;   /* strings: the closing quote; others: one past the last byte */
    uint32_t next;  /* index of the token after this subtree */
    uint32_t size;  /* objects: members; arrays: elements */
} jscan_tok;

typedef struct jscan {
    jscan_tok *toks; /* malloc'ed, cap entries */
    uint32_t n;
    uint32_t cap;
    size_t err_offset; /* byte offset of a syntax error */
    const char *err;   /* static text of the last syntax error */
} jscan;

void jscan_init(jscan *s);
void jscan_term(jscan *s);
/* jscan_parse: tokenize text[0..len) (one JSON document, whitespace around it allowed).
   false on a syntax error (err, err_offset set) or out of memory. */
bool jscan_parse(jscan *s, const char *text, size_t len);

/* the token index that stands for "no such token" (jscan_find's not-found, an absent member) */
#define JSCAN_NOT_FOUND (-1)

/* jscan_find: the value token of member key in object token obj, JSCAN_NOT_FOUND when obj has
   no such member (or obj is JSCAN_NOT_FOUND or not an object). Keys compared as raw bytes (a
   key written with escapes does not match). */
int jscan_find(const jscan *s, const char *text, int obj, const char *key);

/* jscan_unescape: decode a JSON string body into out (UTF-8; json_unescape_buf). \u0000 is kept as
   a NUL byte. false on a lone surrogate. The caller resets out. */
struct buf;
bool jscan_unescape(struct buf *out, const char *p, size_t n);

#endif
