#include "typemap.h"

#include "json_writer.h"
#include "timefmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * The values half of typemap: a column's text (COPY or a decoder) written as its JSON value,
 * as the type was classified by typemap_resolve (typemap.c).
 */

void typemap_ctx_init(typemap_ctx *ctx)
{
    memset(ctx, 0, sizeof(*ctx));
    buf_init(&ctx->scratch);
    buf_init(&ctx->scratch2);
}

void typemap_ctx_term(typemap_ctx *ctx)
{
    if (!ctx)
        return;
    buf_term(&ctx->scratch);
    buf_term(&ctx->scratch2);
}

/* ---- values ---- */

static bool is_special_number(const char *s, size_t n)
{
    /* numeric and float text: NaN, Infinity, -Infinity (digits never start with I or N) */
    if (n == 0)
        return false;
    char c = s[0] == '-' || s[0] == '+' ? (n > 1 ? s[1] : '\0') : s[0];
    return c == 'N' || c == 'I' || c == 'n' || c == 'i';
}

/*
 * is_json_number: s[0..n) is a JSON number (-?(0|[1-9]d*)(.d+)?([eE][+-]?d+)?), integral only
 * when integer is set: what PostgreSQL prints for these types always is. Anything else would
 * be bare text in the RECORD line (a user-defined base type that shares a name, say).
 */
static bool is_json_number(const char *s, size_t n, bool integer)
{
    size_t i = 0;
    if (i < n && s[i] == '-')
        i++;
    if (i >= n || s[i] < '0' || s[i] > '9' ||
        (s[i] == '0' && i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '9'))
        return false;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    if (integer)
        return i == n;
    if (i < n && s[i] == '.') {
        size_t d = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return false;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t d = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return false;
    }
    return i == n;
}

static void put_json_text(buf *out, const char *s, size_t n)
{
    /* json keeps its input text: newlines outside strings would break the line */
    if (!memchr(s, '\n', n) && !memchr(s, '\r', n)) {
        buf_append(out, s, n);
        return;
    }
    if (!buf_reserve(out, n))
        return;
    char *d = out->data + out->len;
    for (size_t i = 0; i < n; i++)
        d[i] = (s[i] == '\n' || s[i] == '\r') ? ' ' : s[i];
    out->len += n;
    out->data[out->len] = '\0';
}

/* hstore: "k"=>"v", "k2"=>NULL ; keys and values quoted with \" and \\ escapes */
static size_t hstore_token(const char *s, size_t n, size_t i, buf *tmp, bool *null, bool *ok)
{
    *ok = false;
    *null = false;
    buf_reset(tmp);
    if (i < n && s[i] == '"') {
        i++;
        while (i < n && s[i] != '"') {
            if (s[i] == '\\' && i + 1 < n)
                i++;
            buf_putc(tmp, s[i]);
            i++;
        }
        if (i >= n)
            return i;
        *ok = true;
        return i + 1;
    }
    /* unquoted (hstore_out always quotes, but the input form allows it) */
    size_t start = i;
    while (i < n && s[i] != '=' && s[i] != ',' && s[i] != ' ')
        i++;
    if (i == start)
        return i;
    if (i - start == 4 && strncasecmp(s + start, "NULL", 4) == 0)
        *null = true;
    else
        buf_append(tmp, s + start, i - start);
    *ok = true;
    return i;
}

static bool put_hstore(typemap_ctx *ctx, buf *out, const char *s, size_t n)
{
    size_t mark = out->len;
    buf *tmp = &ctx->scratch2;
    buf_putc(out, '{');
    size_t i = 0;
    bool first = true;
    for (;;) {
        while (i < n && (s[i] == ' ' || s[i] == ','))
            i++;
        if (i >= n)
            break;
        bool null, ok;
        i = hstore_token(s, n, i, tmp, &null, &ok);
        if (!ok || null)
            goto bad;
        if (!first)
            buf_putc(out, ',');
        first = false;
        json_writer_string(out, tmp->data ? tmp->data : "", tmp->len);
        buf_putc(out, ':');
        while (i < n && s[i] == ' ')
            i++;
        if (i + 1 >= n || s[i] != '=' || s[i + 1] != '>')
            goto bad;
        i += 2;
        while (i < n && s[i] == ' ')
            i++;
        i = hstore_token(s, n, i, tmp, &null, &ok);
        if (!ok)
            goto bad;
        if (null)
            buf_append_lit(out, "null");
        else
            json_writer_string(out, tmp->data ? tmp->data : "", tmp->len);
    }
    buf_putc(out, '}');
    return true;
bad:
    out->len = mark;
    if (out->data)
        out->data[mark] = '\0';
    return false;
}

static void put_scalar(typemap_ctx *ctx, typemap_kind kind, buf *out, const char *s, size_t n);

/*
 * Arrays: [lo:hi]={a,"b c",NULL,{...}}. Quoted elements carry \" and \\
 * escapes; an unquoted NULL is null. Returns the position after the closing
 * brace, or 0 on a parse error.
 */
static size_t put_array_level(typemap_ctx *ctx, typemap_kind elem, char delim, buf *out,
                              const char *s, size_t n, size_t i, int depth)
{
    if (depth > 64 || i >= n || s[i] != '{')
        return 0;
    i++;
    buf_putc(out, '[');
    if (i < n && s[i] == '}') {
        buf_putc(out, ']');
        return i + 1;
    }
    bool first = true;
    for (;;) {
        if (i >= n)
            return 0;
        if (!first)
            buf_putc(out, ',');
        first = false;
        if (s[i] == '{') {
            i = put_array_level(ctx, elem, delim, out, s, n, i, depth + 1);
            if (!i)
                return 0;
        } else if (s[i] == '"') {
            buf *tmp = &ctx->scratch;
            buf_reset(tmp);
            i++;
            size_t run = i;
            while (i < n && s[i] != '"') {
                if (s[i] == '\\') {
                    buf_append(tmp, s + run, i - run);
                    i++;
                    if (i >= n)
                        return 0;
                    run = i;
                }
                i++;
            }
            if (i >= n)
                return 0;
            buf_append(tmp, s + run, i - run);
            i++;
            put_scalar(ctx, elem, out, tmp->data ? tmp->data : "", tmp->len);
        } else {
            size_t start = i;
            while (i < n && s[i] != delim && s[i] != '}')
                i++;
            size_t len = i - start;
            if (len == 4 && strncasecmp(s + start, "NULL", 4) == 0)
                buf_append_lit(out, "null");
            else
                put_scalar(ctx, elem, out, s + start, len);
        }
        if (i >= n)
            return 0;
        if (s[i] == delim) {
            i++;
            continue;
        }
        if (s[i] == '}') {
            buf_putc(out, ']');
            return i + 1;
        }
        return 0;
    }
}

static bool put_array(typemap_ctx *ctx, const typemap_type *t, buf *out, const char *s, size_t n)
{
    size_t i = 0;
    if (n && s[0] == '[') {
        /* explicit bounds: [1:2][3:4]={...} */
        const char *eq = memchr(s, '=', n);
        if (!eq)
            return false;
        i = (size_t)(eq - s) + 1;
    }
    size_t mark = out->len;
    size_t end = put_array_level(ctx, t->elem_kind, t->delim, out, s, n, i, 0);
    if (!end || end != n) {
        out->len = mark;
        if (out->data)
            out->data[mark] = '\0';
        return false;
    }
    return true;
}

static void put_bad(typemap_ctx *ctx, buf *out, const char *s, size_t n)
{
    ctx->bad_values++;
    json_writer_string(out, s, n);
}

static void put_special(typemap_ctx *ctx, buf *out, const char *s, size_t n)
{
    ctx->nan_count++;
    if (ctx->special_numbers_as_strings)
        json_writer_string(out, s, n);
    else
        buf_append_lit(out, "null");
}

/* drop the last byte (an opening quote) */
static void unput(buf *out)
{
    if (out->len && out->data) {
        out->len--;
        out->data[out->len] = '\0';
    }
}

static void put_scalar(typemap_ctx *ctx, typemap_kind kind, buf *out, const char *s, size_t n)
{
    int inf = 0;
    switch (kind) {
    case TM_INTEGER:
        if (!is_json_number(s, n, true)) {
            put_bad(ctx, out, s, n);
            return;
        }
        buf_append(out, s, n);
        return;
    case TM_NUMERIC:
    case TM_FLOAT:
        if (n == 0) {
            put_bad(ctx, out, s, n);
            return;
        }
        if (is_special_number(s, n)) {
            put_special(ctx, out, s, n);
            return;
        }
        if (!is_json_number(s, n, false)) {
            put_bad(ctx, out, s, n);
            return;
        }
        buf_append(out, s, n);
        return;
    case TM_BOOL:
        if (n == 1 && s[0] == 't')
            buf_append_lit(out, "true");
        else if (n == 1 && s[0] == 'f')
            buf_append_lit(out, "false");
        else
            put_bad(ctx, out, s, n);
        return;
    case TM_BIT1:
        if (n == 1 && s[0] == '1')
            buf_append_lit(out, "true");
        else if (n == 1 && s[0] == '0')
            buf_append_lit(out, "false");
        else
            json_writer_string(out, s, n);
        return;
    case TM_JSON_OBJ:
        if (n == 0) {
            put_bad(ctx, out, s, n);
            return;
        }
        {
            size_t i = 0;
            while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
                i++;
            if (i == n || s[i] != '{')
                ctx->json_not_object_count++; /* written as it is: the data is kept */
        }
        put_json_text(out, s, n);
        return;
    case TM_JSON:
        if (n == 0) {
            put_bad(ctx, out, s, n);
            return;
        }
        put_json_text(out, s, n);
        return;
    case TM_TIME: {
        /* timetz prints a whole-hour offset as +HH; RFC 3339 wants +HH:MM */
        bool short_offset = n >= 11 && (s[n - 3] == '+' || s[n - 3] == '-');
        buf_putc(out, '"');
        if (n >= 8 && memcmp(s, "24:00:00", 8) == 0) {
            /* RFC 3339 times end at 23:59:59: the end of the day becomes its last microsecond
               (the order of values is kept), counted in a warning; timetz keeps its offset */
            ctx->time_24_count++;
            buf_append_lit(out, "23:59:59.999999");
            json_writer_string_body(out, s + 8, n - 8);
        } else {
            json_writer_string_body(out, s, n);
        }
        if (short_offset)
            buf_append_lit(out, ":00");
        buf_putc(out, '"');
        return;
    }
    case TM_HSTORE:
        if (!put_hstore(ctx, out, s, n))
            put_bad(ctx, out, s, n);
        return;
    case TM_DATE:
        buf_putc(out, '"');
        if (!timefmt_date(out, s, n, &inf)) {
            unput(out);
            put_bad(ctx, out, s, n);
            return;
        }
        buf_putc(out, '"');
        break;
    case TM_TIMESTAMP:
        buf_putc(out, '"');
        if (!timefmt_timestamp(out, s, n, &inf)) {
            unput(out);
            put_bad(ctx, out, s, n);
            return;
        }
        buf_putc(out, '"');
        break;
    case TM_ARRAY: /* arrays of arrays do not exist: dimensions are handled by put_array */
    case TM_STRING:
        json_writer_string(out, s, n);
        return;
    }
    switch (inf) {
    case TIMEFMT_POS_INF:
        ctx->pos_infinity_count++;
        break;
    case TIMEFMT_NEG_INF:
        ctx->neg_infinity_count++;
        break;
    case TIMEFMT_CLAMPED_HIGH:
        ctx->clamped_high_count++;
        break;
    case TIMEFMT_CLAMPED_LOW:
        ctx->clamped_low_count++;
        break;
    default:
        break;
    }
}

void typemap_value(typemap_ctx *ctx, const typemap_type *t, buf *out, const char *text, size_t len)
{
    if (t->kind == TM_ARRAY) {
        if (!put_array(ctx, t, out, text, len))
            put_bad(ctx, out, text, len);
        return;
    }
    if (t->pg_text) {
        json_writer_string(out, text, len);
        return;
    }
    /* PostgreSQL's own int, numeric and float output is a JSON number unless NaN / Infinity:
       copied without the is_json_number scan (see typemap_set_oid) */
    if (t->pg_number && len > 0 && (t->kind == TM_INTEGER || !is_special_number(text, len))) {
        buf_append(out, text, len);
        return;
    }
    put_scalar(ctx, t->kind, out, text, len);
}
