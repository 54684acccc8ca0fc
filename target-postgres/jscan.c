#include "jscan.h"

#include "json_unescape.h"
#include "json_writer.h"

#include "buf.h"

#include <stdlib.h>
#include <string.h>

/* deeper documents are refused before anything recurses over them (cJSON, the validator,
   PostgreSQL's jsonb parser) */
#define JSCAN_MAX_DEPTH 512
#define JSCAN_DEPTH_TEXT "512"

void jscan_init(jscan *s)
{
    memset(s, 0, sizeof(*s));
}

void jscan_term(jscan *s)
{
    free(s->toks);
    memset(s, 0, sizeof(*s));
}

static bool grow(jscan *s)
{
    uint32_t ncap = s->cap ? s->cap * 2 : 256;
    jscan_tok *t = realloc(s->toks, (size_t)ncap * sizeof(*t));
    if (!t)
        return false;
    s->toks = t;
    s->cap = ncap;
    return true;
}

/* byte classes inside a string: 0 plain, 1 quote or backslash, 2 control, 3 non-ASCII */
static const uint8_t str_class[256] = {
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
};

/* length of a well-formed UTF-8 sequence at p (p < end, *p >= 0x80), 0 when malformed */
static size_t utf8_seq(const unsigned char *p, const unsigned char *end)
{
    unsigned char c = p[0];
    size_t len;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4;
    else
        return 0;
    if ((size_t)(end - p) < len)
        return 0;
    for (size_t k = 1; k < len; k++)
        if ((p[k] & 0xC0) != 0x80)
            return 0;
    if (len == 3) {
        if (c == 0xE0 && p[1] < 0xA0)
            return 0; /* overlong */
        if (c == 0xED && p[1] >= 0xA0)
            return 0; /* surrogate */
    } else if (len == 4) {
        if (c == 0xF0 && p[1] < 0x90)
            return 0;
        if (c == 0xF4 && p[1] >= 0x90)
            return 0;
    }
    return len;
}

/* scan a string starting after its opening quote; returns the closing quote, or NULL and
   sets the error text (err) and where the string went wrong (errp) */
static const unsigned char *scan_string(const unsigned char *p, const unsigned char *end,
                                        uint8_t *flags, const char **err,
                                        const unsigned char **errp)
{
    for (;;) {
        while (p < end && str_class[*p] == 0)
            p++;
        if (p >= end) {
            *err = "unterminated string";
            *errp = p;
            return NULL;
        }
        unsigned char c = *p;
        if (c == '"')
            return p;
        if (c == '\\') {
            *flags |= JF_ESCAPED;
            if (p + 1 >= end) {
                *err = "unterminated string";
                *errp = p;
                return NULL;
            }
            unsigned char e = p[1];
            if (e == 'u') {
                if (end - p < 6 || json_writer_hex4(p + 2) < 0) {
                    *err = "bad \\u escape";
                    *errp = p;
                    return NULL;
                }
                if (p[2] == '0' && p[3] == '0' && p[4] == '0' && p[5] == '0')
                    *flags |= JF_NUL;
                p += 6;
            } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' ||
                       e == 'r' || e == 't') {
                p += 2;
            } else {
                *err = "bad escape in string";
                *errp = p;
                return NULL;
            }
        } else if (c < 0x20) {
            *err = "control character in string";
            *errp = p;
            return NULL;
        } else {
            size_t l = utf8_seq(p, end);
            if (l == 0) {
                *flags |= JF_BAD_UTF8;
                p++;
            } else {
                p += l;
            }
        }
    }
}

static const unsigned char *scan_number(const unsigned char *p, const unsigned char *end,
                                        uint8_t *flags)
{
    bool integer = true;
    if (p < end && *p == '-')
        p++;
    if (p >= end)
        return NULL;
    if (*p == '0') {
        p++;
    } else if (*p >= '1' && *p <= '9') {
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    } else {
        return NULL;
    }
    if (p < end && *p == '.') {
        integer = false;
        p++;
        if (p >= end || *p < '0' || *p > '9')
            return NULL;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        integer = false;
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || *p < '0' || *p > '9')
            return NULL;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    if (integer)
        *flags |= JF_INTEGER;
    return p;
}

static inline const unsigned char *skip_ws(const unsigned char *p, const unsigned char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

bool jscan_parse(jscan *s, const char *text, size_t len)
{
    const unsigned char *base = (const unsigned char *)text;
    const unsigned char *p = base, *end = base + len;
    uint32_t stack[JSCAN_MAX_DEPTH];
    int depth = 0;
    s->n = 0;
    s->err = NULL;
    s->err_offset = 0;
    if (len > UINT32_MAX - 1) {
        s->err = "document too large";
        return false;
    }
    /* state: expecting a value (after '[', ',' in array, ':' in object, or at the top) */
    p = skip_ws(p, end);
    for (;;) {
        /* ---- parse one value at p ---- */
        if (p >= end) {
            s->err = "unexpected end of input";
            goto fail;
        }
        if (s->n == s->cap && !grow(s)) {
            s->err = "out of memory";
            goto fail;
        }
        uint32_t ti = s->n++;
        jscan_tok *t = &s->toks[ti];
        t->flags = 0;
        t->size = 0;
        unsigned char c = *p;
        if (c == '{' || c == '[') {
            t->type = c == '{' ? J_OBJECT : J_ARRAY;
            t->start = (uint32_t)(p - base);
            if (depth >= JSCAN_MAX_DEPTH) {
                s->err = "nested deeper than " JSCAN_DEPTH_TEXT " levels";
                goto fail;
            }
            stack[depth++] = ti;
            p = skip_ws(p + 1, end);
            if (p < end && *p == (c == '{' ? '}' : ']')) {
                depth--;
                t->end = (uint32_t)(p + 1 - base);
                t->next = s->n;
                p++;
                goto after_value;
            }
            if (c == '{') {
                /* a key must follow */
                goto parse_key;
            }
            continue; /* array: parse the first element */
        } else if (c == '"') {
            t->type = J_STRING;
            t->start = (uint32_t)(p + 1 - base);
            const unsigned char *q = scan_string(p + 1, end, &t->flags, &s->err, &p);
            if (!q)
                goto fail;
            t->end = (uint32_t)(q - base);
            t->next = s->n;
            p = q + 1;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            t->type = J_NUMBER;
            t->start = (uint32_t)(p - base);
            const unsigned char *q = scan_number(p, end, &t->flags);
            if (!q) {
                s->err = "bad number";
                goto fail;
            }
            t->end = (uint32_t)(q - base);
            t->next = s->n;
            p = q;
        } else if (c == 't' && end - p >= 4 && memcmp(p, "true", 4) == 0) {
            t->type = J_TRUE;
            t->start = (uint32_t)(p - base);
            p += 4;
            t->end = (uint32_t)(p - base);
            t->next = s->n;
        } else if (c == 'f' && end - p >= 5 && memcmp(p, "false", 5) == 0) {
            t->type = J_FALSE;
            t->start = (uint32_t)(p - base);
            p += 5;
            t->end = (uint32_t)(p - base);
            t->next = s->n;
        } else if (c == 'n' && end - p >= 4 && memcmp(p, "null", 4) == 0) {
            t->type = J_NULL;
            t->start = (uint32_t)(p - base);
            p += 4;
            t->end = (uint32_t)(p - base);
            t->next = s->n;
        } else {
            s->err = "unexpected character";
            goto fail;
        }
    after_value:
        /* ---- after a value: close containers or continue them ---- */
        for (;;) {
            p = skip_ws(p, end);
            if (depth == 0) {
                if (p != end) {
                    s->err = "unexpected data after the document";
                    goto fail;
                }
                return true;
            }
            jscan_tok *ct = &s->toks[stack[depth - 1]];
            ct->size++;
            if (p >= end) {
                s->err = "unexpected end of input";
                goto fail;
            }
            if (*p == ',') {
                p = skip_ws(p + 1, end);
                if (ct->type == J_OBJECT)
                    goto parse_key;
                goto next_value;
            }
            if ((ct->type == J_OBJECT && *p == '}') || (ct->type == J_ARRAY && *p == ']')) {
                ct->end = (uint32_t)(p + 1 - base);
                ct->next = s->n;
                depth--;
                p++;
                continue;
            }
            s->err = ct->type == J_OBJECT ? "expected ',' or '}'" : "expected ',' or ']'";
            goto fail;
        }
    parse_key:
        if (p >= end || *p != '"') {
            s->err = "expected a string key";
            goto fail;
        }
        if (s->n == s->cap && !grow(s)) {
            s->err = "out of memory";
            goto fail;
        }
        {
            jscan_tok *k = &s->toks[s->n++];
            k->type = J_STRING;
            k->flags = 0;
            k->size = 0;
            k->start = (uint32_t)(p + 1 - base);
            const unsigned char *q = scan_string(p + 1, end, &k->flags, &s->err, &p);
            if (!q)
                goto fail;
            k->end = (uint32_t)(q - base);
            k->next = s->n;
            p = skip_ws(q + 1, end);
            if (p >= end || *p != ':') {
                s->err = "expected ':'";
                goto fail;
            }
            p = skip_ws(p + 1, end);
        }
    next_value:
        continue;
    }
fail:
    s->err_offset = (size_t)(p - base);
    if (!s->err)
        s->err = "syntax error";
    return false;
}

int jscan_find(const jscan *s, const char *text, int obj, const char *key)
{
    if (obj < 0 || (uint32_t)obj >= s->n || s->toks[obj].type != J_OBJECT)
        return JSCAN_NOT_FOUND;
    size_t klen = strlen(key);
    uint32_t i = (uint32_t)obj + 1;
    for (uint32_t m = 0; m < s->toks[obj].size; m++) {
        const jscan_tok *k = &s->toks[i];
        if (k->end - k->start == klen && memcmp(text + k->start, key, klen) == 0)
            return (int)(i + 1);
        i = s->toks[i + 1].next;
    }
    return JSCAN_NOT_FOUND;
}

bool jscan_unescape(buf *out, const char *s, size_t n)
{
    return json_unescape_buf(out, s, n, NULL) == JSON_UNESCAPE_OK;
}
