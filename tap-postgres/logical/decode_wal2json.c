#include "decode_wal2json.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json_unescape.h"
#include "json_writer.h"
#include "log.h"
#include "lsn.h"

#define BYTEA_OID 17

/* a growable row: columns and values side by side, reused across messages */
typedef struct row_vec {
    change_column *columns; /* malloc'ed, cap entries */
    change_value *values;   /* malloc'ed, cap entries */
    int n;
    int cap;
} row_vec;

struct wal2json_decoder {
    change_arena arena;  /* per message: bytea copies, truncate relation lists */
    row_vec new_row;     /* "columns" */
    row_vec old_row;     /* "identity" */
    change_relation rel; /* the relation of the current message */
};

/* the scanner over one message; strings are un-escaped in place */
typedef struct scan {
    char *p;
    char *end;
    char *start;
    const char *err; /* first error, NULL when fine */
    char *err_at;
} scan;

wal2json_decoder *decode_wal2json_create(void)
{
    wal2json_decoder *d = calloc(1, sizeof(*d));
    if (!d) {
        log_error("out of memory creating the wal2json decoder");
        return NULL;
    }
    change_arena_init(&d->arena);
    return d;
}

static void row_free(row_vec *r)
{
    free(r->columns);
    free(r->values);
    r->columns = NULL;
    r->values = NULL;
    r->n = r->cap = 0;
}

void decode_wal2json_destroy(wal2json_decoder *d)
{
    if (!d)
        return;
    change_arena_term(&d->arena);
    row_free(&d->new_row);
    row_free(&d->old_row);
    free(d);
}

static bool fail(scan *s, const char *why)
{
    if (!s->err) {
        s->err = why;
        s->err_at = s->p;
    }
    return false;
}

static void skip_ws(scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static bool expect(scan *s, char c)
{
    skip_ws(s);
    if (s->p >= s->end || *s->p != c)
        return fail(s, c == ':'   ? "expected ':'"
                       : c == '{' ? "expected '{'"
                       : c == '[' ? "expected '['"
                                  : "unexpected character");
    s->p++;
    return true;
}

/* the bytes that end a run of plain string bytes: '"', '\\' and the control characters */
static const unsigned char special[256] = {
    [0] = 1,  [1] = 1,  [2] = 1,  [3] = 1,  [4] = 1,  [5] = 1,   [6] = 1,    [7] = 1,  [8] = 1,
    [9] = 1,  [10] = 1, [11] = 1, [12] = 1, [13] = 1, [14] = 1,  [15] = 1,   [16] = 1, [17] = 1,
    [18] = 1, [19] = 1, [20] = 1, [21] = 1, [22] = 1, [23] = 1,  [24] = 1,   [25] = 1, [26] = 1,
    [27] = 1, [28] = 1, [29] = 1, [30] = 1, [31] = 1, ['"'] = 1, ['\\'] = 1,
};

/*
 * special8: does any of the 8 bytes at p need a look (a control character, '"' or '\\')?
 * Word-at-a-time tests (a byte is flagged when it is below 0x20 or equals the pattern);
 * a false alarm only sends the caller to the byte loop.
 */
static inline bool special8(const char *p)
{
    const uint64_t ones = UINT64_C(0x0101010101010101), highs = UINT64_C(0x8080808080808080);
    uint64_t v;
    memcpy(&v, p, 8);
    uint64_t ctl = (v - ones * 0x20) & ~v & highs;
    uint64_t q = v ^ (ones * '"');
    uint64_t bs = v ^ (ones * '\\');
    uint64_t hit = ctl | ((q - ones) & ~q & highs) | ((bs - ones) & ~bs & highs);
    return hit != 0;
}

/*
 * parse_string: at a '"', un-escape the string in place; *out points at its
 * first byte, *len is its length, and a NUL follows it (written over the
 * closing quote or earlier).
 */
static bool parse_string(scan *s, char **out, size_t *len)
{
    skip_ws(s);
    if (s->p >= s->end || *s->p != '"')
        return fail(s, "expected a string");
    char *r = ++s->p; /* read */
    char *w = r;      /* write */
    char *begin = r;
    for (;;) {
        /* fast path: a run of plain bytes, moved only once an escape shifted them */
        char *run = r;
        while (s->end - r >= 8 && !special8(r))
            r += 8;
        while (r < s->end && !special[(unsigned char)*r])
            r++;
        if (w != run)
            memmove(w, run, (size_t)(r - run));
        w += r - run;
        if (r >= s->end) {
            s->p = r;
            return fail(s, "unterminated string");
        }
        if ((unsigned char)*r < 0x20) {
            s->p = r;
            return fail(s, "control character in a string");
        }
        if (*r == '"')
            break;
        /* escape */
        if (r + 1 >= s->end) {
            s->p = r;
            return fail(s, "unterminated escape");
        }
        const unsigned char *q = (const unsigned char *)r;
        unsigned cp;
        json_unescape_result ur = json_unescape_one(&q, (const unsigned char *)s->end, &cp);
        if (ur != JSON_UNESCAPE_OK) {
            s->p = r + ((const char *)q - r);
            return fail(s, ur == JSON_UNESCAPE_SHORT_HEX   ? "truncated \\u escape"
                           : ur == JSON_UNESCAPE_BAD_HEX   ? "bad \\u escape"
                           : ur == JSON_UNESCAPE_SURROGATE ? "unpaired surrogate in \\u escape"
                                                           : "bad escape in a string");
        }
        r += (const char *)q - r;
        /* the UTF-8 form is never longer than the escape it replaces */
        if (cp < 0x80)
            *w++ = (char)cp;
        else
            w += json_writer_utf8_encode(w, cp);
    }
    s->p = r + 1; /* after the closing quote */
    *w = '\0';    /* w <= r, so this stays inside the string's bytes */
    *out = begin;
    *len = (size_t)(w - begin);
    return true;
}

static bool is_number_char(char c)
{
    return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

/* parse_number: a bare JSON number, kept as its text (not NUL-terminated) */
static bool parse_number(scan *s, char **out, size_t *len)
{
    skip_ws(s);
    char *b = s->p;
    while (s->p < s->end && is_number_char(*s->p))
        s->p++;
    if (s->p == b)
        return fail(s, "expected a number");
    *out = b;
    *len = (size_t)(s->p - b);
    return true;
}

static bool match_word(scan *s, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
        return fail(s, "unexpected word");
    s->p += n;
    return true;
}

static bool skip_value(scan *s, int depth);

static bool skip_container(scan *s, char close, int depth)
{
    s->p++; /* the opener */
    skip_ws(s);
    if (s->p < s->end && *s->p == close) {
        s->p++;
        return true;
    }
    for (;;) {
        if (close == '}') {
            char *k;
            size_t kl;
            if (!parse_string(s, &k, &kl) || !expect(s, ':'))
                return false;
        }
        if (!skip_value(s, depth + 1))
            return false;
        skip_ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            continue;
        }
        if (s->p < s->end && *s->p == close) {
            s->p++;
            return true;
        }
        return fail(s, "expected ',' or the end of a container");
    }
}

static bool skip_value(scan *s, int depth)
{
    if (depth > 64)
        return fail(s, "nested too deep");
    skip_ws(s);
    if (s->p >= s->end)
        return fail(s, "unexpected end of message");
    char c = *s->p;
    char *t;
    size_t tl;
    switch (c) {
    case '"':
        return parse_string(s, &t, &tl);
    case '{':
        return skip_container(s, '}', depth);
    case '[':
        return skip_container(s, ']', depth);
    case 't':
        return match_word(s, "true");
    case 'f':
        return match_word(s, "false");
    case 'n':
        return match_word(s, "null");
    default:
        return parse_number(s, &t, &tl);
    }
}

/* parse_u64: a bare number or a string holding one */
/* take_null: the value is null (consumed) */
static bool take_null(scan *s)
{
    skip_ws(s);
    if (s->end - s->p >= 4 && memcmp(s->p, "null", 4) == 0) {
        s->p += 4;
        return true;
    }
    return false;
}

static bool parse_u64(scan *s, uint64_t *out)
{
    skip_ws(s);
    char *t;
    size_t tl;
    if (s->p < s->end && *s->p == '"') {
        if (!parse_string(s, &t, &tl))
            return false;
    } else if (!parse_number(s, &t, &tl)) {
        return false;
    }
    uint64_t v = 0;
    if (tl == 0 || tl > 20)
        return fail(s, "bad integer");
    for (size_t i = 0; i < tl; i++) {
        if (t[i] < '0' || t[i] > '9')
            return fail(s, "bad integer");
        v = v * 10 + (uint64_t)(t[i] - '0');
    }
    *out = v;
    return true;
}

static bool parse_lsn(scan *s, uint64_t *out)
{
    char *t;
    size_t tl;
    if (!parse_string(s, &t, &tl))
        return false;
    if (!lsn_parse(t, out))
        return fail(s, "bad LSN");
    return true;
}

static bool row_push(scan *s, row_vec *r, change_column **col, change_value **val)
{
    if (r->n == r->cap) {
        int cap = r->cap ? r->cap * 2 : 16;
        change_column *c = realloc(r->columns, (size_t)cap * sizeof(*c));
        if (!c)
            return fail(s, "out of memory");
        r->columns = c;
        change_value *v = realloc(r->values, (size_t)cap * sizeof(*v));
        if (!v)
            return fail(s, "out of memory");
        r->values = v;
        r->cap = cap;
    }
    *col = &r->columns[r->n];
    *val = &r->values[r->n];
    r->n++;
    memset(*col, 0, sizeof(**col));
    (*col)->typmod = -1;
    memset(*val, 0, sizeof(**val));
    return true;
}

/* one {"name":..,"type":..,"typeoid":..,"value":..} */
static bool parse_column(wal2json_decoder *d, scan *s, row_vec *r)
{
    change_column *col;
    change_value *val;
    if (!row_push(s, r, &col, &val) || !expect(s, '{'))
        return false;
    bool have_value = false;
    skip_ws(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        return fail(s, "empty column object");
    }
    for (;;) {
        char *key;
        size_t kl;
        if (!parse_string(s, &key, &kl) || !expect(s, ':'))
            return false;
        if (kl == 4 && memcmp(key, "name", 4) == 0) {
            char *t;
            size_t tl;
            if (!parse_string(s, &t, &tl))
                return false;
            col->name = t;
        } else if (kl == 4 && memcmp(key, "type", 4) == 0) {
            char *t;
            size_t tl;
            if (!parse_string(s, &t, &tl))
                return false;
            col->type_name = t;
        } else if (kl == 7 && memcmp(key, "typeoid", 7) == 0) {
            uint64_t oid;
            if (!parse_u64(s, &oid))
                return false;
            if (oid > UINT32_MAX)
                return fail(s, "bad type oid");
            col->type_oid = (uint32_t)oid;
        } else if (kl == 5 && memcmp(key, "value", 5) == 0) {
            skip_ws(s);
            if (s->p >= s->end)
                return fail(s, "unexpected end of message");
            char c = *s->p;
            char *t;
            size_t tl;
            have_value = true;
            if (c == '"') {
                if (!parse_string(s, &t, &tl))
                    return false;
                val->kind = CHANGE_VALUE_TEXT;
                val->text = t;
                val->len = tl;
            } else if (c == 'n') {
                if (!match_word(s, "null"))
                    return false;
                val->kind = CHANGE_VALUE_NULL;
            } else if (c == 't') {
                if (!match_word(s, "true"))
                    return false;
                val->kind = CHANGE_VALUE_TEXT;
                val->text = "t";
                val->len = 1;
            } else if (c == 'f') {
                if (!match_word(s, "false"))
                    return false;
                val->kind = CHANGE_VALUE_TEXT;
                val->text = "f";
                val->len = 1;
            } else if (c == '-' || (c >= '0' && c <= '9')) {
                if (!parse_number(s, &t, &tl))
                    return false;
                val->kind = CHANGE_VALUE_TEXT;
                val->text = t;
                val->len = tl;
            } else {
                return fail(s, "unexpected value");
            }
        } else {
            if (!skip_value(s, 1))
                return false;
        }
        skip_ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            continue;
        }
        if (s->p < s->end && *s->p == '}') {
            s->p++;
            break;
        }
        return fail(s, "expected ',' or '}' in a column");
    }
    if (!col->name)
        return fail(s, "column without a name");
    if (!have_value) {
        /* "pk" entries carry no value; treat as unchanged (never sent as such by us) */
        val->kind = CHANGE_VALUE_UNCHANGED;
    }
    /* wal2json prints bytea without its "\x" prefix: put it back */
    bool is_bytea = col->type_oid == BYTEA_OID ||
                    (col->type_oid == 0 && col->type_name && strcmp(col->type_name, "bytea") == 0);
    if (is_bytea && val->kind == CHANGE_VALUE_TEXT) {
        char *copy = change_arena_alloc(&d->arena, val->len + 3);
        if (!copy)
            return fail(s, "out of memory");
        copy[0] = '\\';
        copy[1] = 'x';
        memcpy(copy + 2, val->text, val->len);
        copy[val->len + 2] = '\0';
        val->text = copy;
        val->len += 2;
    }
    return true;
}

static bool parse_columns(wal2json_decoder *d, scan *s, row_vec *r)
{
    r->n = 0;
    if (!expect(s, '['))
        return false;
    skip_ws(s);
    if (s->p < s->end && *s->p == ']') {
        s->p++;
        return true;
    }
    for (;;) {
        if (!parse_column(d, s, r))
            return false;
        skip_ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            continue;
        }
        if (s->p < s->end && *s->p == ']') {
            s->p++;
            return true;
        }
        return fail(s, "expected ',' or ']' in a column list");
    }
}

static void log_bad(const scan *s, size_t len)
{
    size_t off = (size_t)((s->err_at ? s->err_at : s->p) - s->start);
    size_t from = off > 40 ? off - 40 : 0;
    size_t to = off + 40 < len ? off + 40 : len;
    buf excerpt = BUF_INIT;
    json_writer_string(&excerpt, s->start + from, to - from);
    log_error("malformed wal2json message at byte %zu of %zu: %s; near %s", off, len,
              s->err ? s->err : "?", excerpt.data ? excerpt.data : "\"\"");
    buf_term(&excerpt);
}

bool decode_wal2json_decode(wal2json_decoder *d, char *msg, size_t len, change *out)
{
    change_reset(out);
    change_arena_reset(&d->arena);
    d->new_row.n = 0;
    d->old_row.n = 0;
    memset(&d->rel, 0, sizeof(d->rel));

    scan s = {msg, msg + len, msg, NULL, NULL};
    char action = 0;
    bool have_columns = false, have_identity = false;
    uint64_t lsn = 0, nextlsn = 0;
    bool have_lsn = false;

    if (!expect(&s, '{'))
        goto bad;
    skip_ws(&s);
    if (s.p < s.end && *s.p == '}') {
        fail(&s, "empty object");
        goto bad;
    }
    for (;;) {
        char *key;
        size_t kl;
        if (!parse_string(&s, &key, &kl) || !expect(&s, ':'))
            goto bad;
        if (kl == 6 && memcmp(key, "action", 6) == 0) {
            char *t;
            size_t tl;
            if (!parse_string(&s, &t, &tl))
                goto bad;
            if (tl != 1) {
                fail(&s, "unknown action");
                goto bad;
            }
            action = t[0];
        } else if (((kl == 3 && memcmp(key, "xid", 3) == 0) ||
                    (kl == 9 && memcmp(key, "timestamp", 9) == 0)) &&
                   take_null(&s)) {
            /* a non-transactional message has "xid":null and "timestamp":null */
        } else if (kl == 3 && memcmp(key, "xid", 3) == 0) {
            uint64_t xid;
            if (!parse_u64(&s, &xid))
                goto bad;
            out->xid = (uint32_t)xid;
        } else if (kl == 9 && memcmp(key, "timestamp", 9) == 0) {
            char *t;
            size_t tl;
            if (!parse_string(&s, &t, &tl))
                goto bad;
            if (!change_parse_time(t, tl, &out->commit_time)) {
                fail(&s, "bad timestamp");
                goto bad;
            }
        } else if (kl == 3 && memcmp(key, "lsn", 3) == 0) {
            if (!parse_lsn(&s, &lsn))
                goto bad;
            have_lsn = true;
        } else if (kl == 7 && memcmp(key, "nextlsn", 7) == 0) {
            if (!parse_lsn(&s, &nextlsn))
                goto bad;
        } else if (kl == 6 && memcmp(key, "schema", 6) == 0) {
            char *t;
            size_t tl;
            if (!parse_string(&s, &t, &tl))
                goto bad;
            d->rel.schema = t;
        } else if (kl == 5 && memcmp(key, "table", 5) == 0) {
            char *t;
            size_t tl;
            if (!parse_string(&s, &t, &tl))
                goto bad;
            d->rel.table = t;
        } else if (kl == 6 && memcmp(key, "prefix", 6) == 0 && action == 'M') {
            char *t;
            size_t tl;
            if (!parse_string(&s, &t, &tl))
                goto bad;
            out->msg_prefix = t;
        } else if (kl == 7 && memcmp(key, "content", 7) == 0 && action == 'M') {
            char *t;
            size_t tl;
            if (!parse_string(&s, &t, &tl))
                goto bad;
            out->msg_content = t;
            out->msg_len = tl;
        } else if (kl == 13 && memcmp(key, "transactional", 13) == 0 && action == 'M') {
            skip_ws(&s);
            out->msg_transactional = s.p < s.end && *s.p == 't';
            if (!skip_value(&s, 1))
                goto bad;
        } else if (kl == 7 && memcmp(key, "columns", 7) == 0) {
            if (!parse_columns(d, &s, &d->new_row))
                goto bad;
            have_columns = true;
        } else if (kl == 8 && memcmp(key, "identity", 8) == 0) {
            if (!parse_columns(d, &s, &d->old_row))
                goto bad;
            have_identity = true;
        } else {
            if (!skip_value(&s, 1))
                goto bad;
        }
        skip_ws(&s);
        if (s.p < s.end && *s.p == ',') {
            s.p++;
            continue;
        }
        if (s.p < s.end && *s.p == '}') {
            s.p++;
            break;
        }
        fail(&s, "expected ',' or '}'");
        goto bad;
    }
    skip_ws(&s);
    if (s.p != s.end) {
        fail(&s, "trailing bytes after the object");
        goto bad;
    }

    switch (action) {
    case 'B':
    case 'C':
        out->kind = action == 'B' ? CHANGE_BEGIN : CHANGE_COMMIT;
        out->commit_lsn = lsn;
        out->end_lsn = nextlsn;
        if (!have_lsn) {
            fail(&s, "begin/commit without \"lsn\" (include-lsn is required)");
            goto bad;
        }
        return true;
    case 'I':
    case 'U':
    case 'D':
    case 'T':
        if (!d->rel.schema || !d->rel.table) {
            fail(&s, "change without schema and table");
            goto bad;
        }
        out->lsn = lsn;
        break;
    case 'M':
        out->kind = CHANGE_MESSAGE;
        out->lsn = lsn;
        if (!out->msg_prefix)
            out->msg_prefix = "";
        if (!out->msg_content)
            out->msg_content = "";
        return true;
    default:
        fail(&s, "unknown action");
        goto bad;
    }

    if (action == 'T') {
        const change_relation **list = change_arena_alloc(&d->arena, sizeof(*list));
        if (!list) {
            fail(&s, "out of memory");
            goto bad;
        }
        list[0] = &d->rel;
        out->kind = CHANGE_TRUNCATE;
        out->nrelations = 1;
        out->relations = list;
        return true;
    }

    out->kind = (change_kind)action;
    out->rel = &d->rel;
    if (action != 'D') {
        if (!have_columns) {
            fail(&s, "insert/update without \"columns\"");
            goto bad;
        }
        out->new_tuple.nvalues = d->new_row.n;
        out->new_tuple.columns = d->new_row.columns;
        out->new_tuple.values = d->new_row.values;
    }
    if (action != 'I' && have_identity) {
        out->old_tuple.nvalues = d->old_row.n;
        out->old_tuple.columns = d->old_row.columns;
        out->old_tuple.values = d->old_row.values;
        /*
         * The identity is the whole old row under REPLICA IDENTITY FULL: it
         * then names every column the new row names (and the unchanged
         * TOAST ones the new row leaves out). A delete cannot tell: it is
         * marked 'K' and carries whatever identity the server sent.
         */
        bool whole = action == 'U' && d->old_row.n >= d->new_row.n;
        if (whole) {
            for (int i = 0; i < d->new_row.n && whole; i++)
                whole = change_find_value(&out->old_tuple, d->new_row.columns[i].name) != NULL;
        }
        out->old_kind = whole ? 'O' : 'K';
    } else if (action == 'D') {
        fail(&s, "delete without \"identity\"");
        goto bad;
    }
    return true;

bad:
    log_bad(&s, len);
    change_reset(out);
    return false;
}

void decode_wal2json_table_pattern(buf *out, const char *schema, const char *table)
{
    const char *parts[2] = {schema, table};
    for (int i = 0; i < 2; i++) {
        if (i)
            buf_putc(out, '.');
        for (const char *p = parts[i]; *p; p++) {
            if (*p == '.' || *p == ',' || *p == '*' || *p == '\\' || isspace((unsigned char)*p))
                buf_putc(out, '\\');
            buf_putc(out, *p);
        }
    }
}

/* a literal of the replication command grammar: '...' with '' for a quote, nothing else */
static void repl_literal(buf *out, const char *s)
{
    buf_putc(out, '\'');
    for (const char *p = s; *p; p++) {
        if (*p == '\'')
            buf_putc(out, '\'');
        buf_putc(out, *p);
    }
    buf_putc(out, '\'');
}

void decode_wal2json_start_options(buf *out, const char *add_tables, bool numeric_as_string)
{
    buf_append_lit(out, "(\"format-version\" '2', \"include-xids\" '1', \"include-timestamp\" '1', "
                        "\"include-lsn\" '1', \"include-type-oids\" '1', "
                        "\"include-transaction\" '1'");
    if (numeric_as_string)
        buf_append_lit(out, ", \"numeric-data-types-as-string\" '1'");
    if (add_tables && *add_tables) {
        buf_append_lit(out, ", \"add-tables\" ");
        repl_literal(out, add_tables);
    }
    buf_putc(out, ')');
}
