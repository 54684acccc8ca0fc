#include "streams.h"

#include "log.h"
#include "pg_conn.h"
#include "timefmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---------------------------------------------------------------- table_def */

static const char *const reserved[] = {"_tgt_seq", "_tgt_absent"};

static bool tdef_qname(table_def *d, char *err, size_t errlen);

table_def *tdef_create(const char *stream_id, const cJSON *msg, const tconfig *cfg, char *err,
                       size_t errlen)
{
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(msg, "schema");
    if (!cJSON_IsObject(schema)) {
        snprintf(err, errlen, "SCHEMA message without a \"schema\" object");
        return NULL;
    }
    const cJSON *keys = cJSON_GetObjectItemCaseSensitive(msg, "key_properties");
    if (keys && !cJSON_IsArray(keys) && !cJSON_IsNull(keys)) {
        snprintf(err, errlen, "\"key_properties\" must be an array");
        return NULL;
    }
    if (cfg->primary_key_required && (!cJSON_IsArray(keys) || cJSON_GetArraySize(keys) == 0)) {
        snprintf(err, errlen,
                 "no key_properties, and primary_key_required is true (set it to false to "
                 "append rows without a key)");
        return NULL;
    }
    table_def *d = calloc(1, sizeof(*d));
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    d->refs = 1;
    d->stream = strdup(stream_id);
    if (!d->stream) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (!naming_stream(stream_id, cfg->default_target_schema, cfg->default_grants, cfg->schema_mapping,
                       &d->target, err, errlen))
        goto fail;
    if (!flatten_schema(&d->cs, schema, keys, cfg->data_flattening_max_level,
                        cfg->add_metadata_columns, cfg->interpret_content_encoding, err, errlen))
        goto fail;
    for (size_t i = 0; i < d->cs.ncols; i++) {
        for (size_t r = 0; r < sizeof(reserved) / sizeof(reserved[0]); r++) {
            if (strcmp(d->cs.cols[i].name, reserved[r]) == 0) {
                snprintf(err, errlen, "property \"%s\" uses the reserved column name \"%s\"",
                         d->cs.cols[i].path, reserved[r]);
                goto fail;
            }
        }
    }
    d->deleted_col = -1;
    for (size_t i = 0; i < d->cs.ncols; i++)
        if (d->cs.cols[i].meta == META_DELETED_AT)
            d->deleted_col = (int)i;
    if (cfg->validate_records) {
        d->val = validator_create(schema, err, errlen);
        if (!d->val)
            goto fail;
    }
    if (!tdef_qname(d, err, errlen))
        goto fail;
    return d;
fail:
    tdef_unref(d);
    return NULL;
}

table_def *tdef_create_stub(const char *stream_id, const tconfig *cfg, char *err, size_t errlen)
{
    table_def *d = calloc(1, sizeof(*d));
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    d->refs = 1;
    d->deleted_col = -1;
    d->no_schema = true;
    d->stream = strdup(stream_id);
    if (!d->stream) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (!naming_stream(stream_id, cfg->default_target_schema, cfg->default_grants,
                       cfg->schema_mapping, &d->target, err, errlen))
        goto fail;
    if (!tdef_qname(d, err, errlen))
        goto fail;
    return d;
fail:
    tdef_unref(d);
    return NULL;
}

static bool tdef_qname(table_def *d, char *err, size_t errlen)
{
    buf q = BUF_INIT;
    pg_quote_ident(&q, d->target.schema);
    buf_putc(&q, '.');
    pg_quote_ident(&q, d->target.table);
    buf_putc(&q, '\0');
    d->qname = buf_detach(&q);
    if (!d->qname) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    return true;
}

void tdef_ref(table_def *d)
{
    __atomic_add_fetch(&d->refs, 1, __ATOMIC_ACQ_REL);
}

void tdef_unref(table_def *d)
{
    if (!d)
        return;
    if (__atomic_sub_fetch(&d->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    free(d->stream);
    flatten_free(&d->cs);
    validator_destroy(d->val);
    free(d->qname);
    free(d);
}

/* ---------------------------------------------------------------- streams */

void conv_init(conv_ctx *cx, const tconfig *cfg)
{
    memset(cx, 0, sizeof(*cx));
    cx->nul.policy = cfg->nul;
    cx->nul.copy_repl = cfg->nul_copy ? cfg->nul_copy : "";
    cx->nul.json_repl = cfg->nul_json ? cfg->nul_json : "";
    /* milliseconds since the epoch times a million leaves room for a million records per ms */
    cx->seq_base = timefmt_now_ms() * 1000000LL;
    cx->recv_sec = -1;
    buf_init(&cx->scratch);
}

void conv_term(conv_ctx *cx)
{
    buf_term(&cx->scratch);
}

stream *stream_create(const char *name, size_t len)
{
    stream *st = calloc(1, sizeof(*st));
    if (!st)
        return NULL;
    st->name = malloc(len + 1);
    st->cur = batch_create();
    st->spare = batch_create();
    if (!st->name || !st->cur || !st->spare) {
        stream_destroy(st);
        return NULL;
    }
    memcpy(st->name, name, len);
    st->name[len] = '\0';
    st->namelen = len;
    return st;
}

void table_cache_clear(table_cache *c)
{
    for (size_t i = 0; i < c->ntypes; i++)
        free(c->types[i]);
    free(c->types);
    memset(c, 0, sizeof(*c));
}

void stream_destroy(stream *st)
{
    if (!st)
        return;
    free(st->name);
    tdef_unref(st->def);
    batch_destroy(st->cur);
    batch_destroy(st->spare);
    table_cache_clear(&st->cache);
    free(st->slots);
    free(st->mask);
    free(st);
}

/* ---------------------------------------------------------------- value checks */

static bool digits(const char *s, size_t n, size_t i, size_t count)
{
    if (i + count > n)
        return false;
    for (size_t k = 0; k < count; k++)
        if (s[i + k] < '0' || s[i + k] > '9')
            return false;
    return true;
}

static int num2(const char *s)
{
    return (s[0] - '0') * 10 + (s[1] - '0');
}

/* HH:MM[:SS[.f]] at s[*i]; advances *i */
static bool parse_time(const char *s, size_t n, size_t *i)
{
    size_t p = *i;
    if (!digits(s, n, p, 2) || p + 2 >= n || s[p + 2] != ':' || !digits(s, n, p + 3, 2))
        return false;
    int hh = num2(s + p), mm = num2(s + p + 3);
    p += 5;
    int ss = 0;
    if (p < n && s[p] == ':') {
        if (!digits(s, n, p + 1, 2))
            return false;
        ss = num2(s + p + 1);
        p += 3;
        if (p < n && (s[p] == '.' || s[p] == ',')) {
            p++;
            size_t f = p;
            while (p < n && s[p] >= '0' && s[p] <= '9')
                p++;
            if (p == f)
                return false;
        }
    }
    if (hh > 24 || mm > 59 || ss > 60 || (hh == 24 && (mm || ss)))
        return false;
    *i = p;
    return true;
}

/* Z | +HH | +HH:MM | +HHMM | +HH:MM:SS; *offset: seconds east of UTC */
static bool parse_zone(const char *s, size_t n, size_t *i, int *offset)
{
    size_t p = *i;
    if (p < n && (s[p] == 'Z' || s[p] == 'z')) {
        *i = p + 1;
        *offset = 0;
        return true;
    }
    if (p >= n || (s[p] != '+' && s[p] != '-'))
        return false;
    int sign = s[p] == '-' ? -1 : 1;
    p++;
    if (!digits(s, n, p, 2) || num2(s + p) > 15)
        return false;
    int secs = num2(s + p) * 3600;
    p += 2;
    for (int part = 0; part < 2; part++) {
        int v;
        if (p < n && s[p] == ':' && digits(s, n, p + 1, 2)) {
            v = num2(s + p + 1);
            p += 3;
        } else if (digits(s, n, p, 2)) {
            v = num2(s + p);
            p += 2;
        } else {
            break;
        }
        if (v > 59)
            return false;
        secs += part == 0 ? v * 60 : v;
    }
    *i = p;
    *offset = sign * secs;
    return true;
}

/* a date, date-time or time value taken apart (what the range check and the rewrite need) */
typedef struct dt_value {
    int64_t year; /* astronomical: 0 = 1 BC, -2039 = 2040 BC */
    int month, day;
    int hh, mi, ss;  /* 0 without a time */
    int offset;      /* seconds east of UTC; 0 without a zone */
    size_t rest;     /* index of the "-MM-DD..." after the year digits */
    size_t core_end; /* end of the value before a " BC" suffix */
    bool plain;      /* four unsigned year digits, no BC: PostgreSQL takes the text as it is */
    bool infinite;
} dt_value;

static bool leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/*
 * The accepted forms: RFC 3339 and PostgreSQL's own text. A year is 4 to 6 digits, signed
 * ("-2039", "+10000": ISO 8601 astronomical years, as JavaScript and our tap write them) or
 * followed by PostgreSQL's " BC"; "T", "t" or " " before the time; the zone as parse_zone.
 */
static bool parse_dt(const char *s, size_t n, bool need_date, bool need_time, dt_value *v)
{
    memset(v, 0, sizeof(*v));
    size_t i = 0;
    if (!need_date) {
        /* time [zone] */
        if (!parse_time(s, n, &i))
            return false;
        if (i < n && !parse_zone(s, n, &i, &v->offset))
            return false;
        v->plain = true;
        v->core_end = n;
        return i == n;
    }
    if ((n == 8 && strncasecmp(s, "infinity", 8) == 0) ||
        (n == 9 && strncasecmp(s, "-infinity", 9) == 0) ||
        (n == 9 && strncasecmp(s, "+infinity", 9) == 0)) {
        v->plain = v->infinite = true;
        v->core_end = n;
        return true;
    }
    size_t y0 = n > 0 && (s[0] == '-' || s[0] == '+') ? 1 : 0;
    size_t y = y0;
    while (y < n && s[y] >= '0' && s[y] <= '9')
        y++;
    if (y - y0 < 4 || y - y0 > 6 || y + 6 > n || s[y] != '-' || !digits(s, n, y + 1, 2) ||
        s[y + 3] != '-' || !digits(s, n, y + 4, 2))
        return false;
    int64_t year = 0;
    for (size_t k = y0; k < y; k++)
        year = year * 10 + (s[k] - '0');
    v->month = num2(s + y + 1);
    v->day = num2(s + y + 4);
    v->rest = y;
    i = y + 6;
    if (i < n && (s[i] == 'T' || s[i] == 't' || s[i] == ' ') && i + 1 < n && s[i + 1] != 'B') {
        i++;
        size_t t0 = i;
        if (!parse_time(s, n, &i))
            return false;
        v->hh = num2(s + t0);
        v->mi = num2(s + t0 + 3);
        v->ss = i > t0 + 5 && s[t0 + 5] == ':' ? num2(s + t0 + 6) : 0;
        if (i < n && s[i] == ' ')
            i++;
        if (i < n && s[i] != 'B' && !parse_zone(s, n, &i, &v->offset))
            return false;
    } else if (need_time) {
        return false;
    }
    bool bc = false;
    v->core_end = n;
    if (i + 3 == n && memcmp(s + i, " BC", 3) == 0) {
        bc = true;
        v->core_end = i;
    } else if (i + 2 == n && memcmp(s + i, "BC", 2) == 0) {
        bc = true;
        v->core_end = i;
    } else if (i != n) {
        return false;
    }
    if (bc && v->core_end > y + 6 && s[v->core_end - 1] == ' ')
        v->core_end--; /* "10:00:00 BC" */
    if (bc && (y0 || year == 0))
        return false; /* "-0001-01-01 BC", "0000-01-01 BC" */
    v->year = bc ? 1 - year : y0 && s[0] == '-' ? -year : year;
    v->plain = !bc && !y0 && y == 4 && year > 0;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (v->month < 1 || v->month > 12 || v->day < 1 || v->day > mdays[v->month - 1])
        return false;
    if (v->month == 2 && v->day == 29 && !leap(v->year))
        return false;
    return true;
}

bool conv_timestamp_ok(const char *s, size_t n, bool need_date, bool need_time)
{
    dt_value v;
    return parse_dt(s, n, need_date, need_time, &v);
}

/* PostgreSQL's range: 4714-11-24 BC (Julian day 0) to 294276-12-31 UTC for timestamps and
   to 5874897-12-31 for dates (out of reach of six year digits) */
static bool dt_in_range(const dt_value *v, col_kind kind)
{
    if (v->plain)
        return true; /* years 0001-9999: an offset moves them a day at most */
    if (kind == CK_DATE)
        return v->year > -4713 ||
               (v->year == -4713 && (v->month > 11 || (v->month == 11 && v->day >= 24)));
    static const int64_t lo = -210866803200LL; /* 4714-11-24 00:00:00 BC UTC, epoch seconds */
    static const int64_t hi = 9224318016000LL; /* 294277-01-01 00:00:00 UTC */
    int64_t secs = timefmt_days_from_civil(v->year, (unsigned)v->month, (unsigned)v->day) * 86400 +
                   v->hh * 3600 + v->mi * 60 + v->ss - v->offset;
    return secs >= lo && secs < hi;
}

enum {
    F_OK = 0,
    F_TYPE,
    F_NUL,
    F_UNICODE,
    F_UTF8,
    F_RANGE,
    F_OOM,
    F_DATE_RANGE,
    F_HEX,
    F_NUMERIC_RANGE, /* a number numeric cannot hold */
    F_JSONB_NUMERIC, /* the same inside a jsonb value */
};

conv_dt_result conv_datetime(buf *o, const char *s, size_t n, col_kind kind)
{
    dt_value v;
    if (!parse_dt(s, n, kind != CK_TIME, false, &v))
        return CONV_DT_BAD;
    if (v.plain) {
        buf_append(o, s, n);
        return CONV_DT_OK;
    }
    if (!dt_in_range(&v, kind))
        return CONV_DT_RANGE;
    char yt[24];
    int yl = snprintf(yt, sizeof(yt), "%04lld", (long long)(v.year > 0 ? v.year : 1 - v.year));
    buf_append(o, yt, (size_t)yl);
    buf_append(o, s + v.rest, v.core_end - v.rest);
    if (v.year <= 0)
        buf_append_lit(o, " BC");
    return CONV_DT_OK;
}

bool conv_integer(const char *s, size_t n, col_kind kind, char *out, size_t *outlen)
{
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '-' || s[i] == '+')) {
        neg = s[i] == '-';
        i++;
    }
    char d[80];
    size_t nd = 0;
    size_t il = 0, fl = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
        if (nd < sizeof(d) - 1)
            d[nd++] = s[i];
        else
            return false;
        i++;
        il++;
    }
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            if (nd < sizeof(d) - 1)
                d[nd++] = s[i];
            else
                return false;
            i++;
            fl++;
        }
    }
    long ex = 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < n && (s[i] == '+' || s[i] == '-')) {
            eneg = s[i] == '-';
            i++;
        }
        size_t e0 = i;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            if (ex < 100000)
                ex = ex * 10 + (s[i] - '0');
            i++;
        }
        if (i == e0)
            return false;
        if (eneg)
            ex = -ex;
    }
    if (i != n || il + fl == 0)
        return false;
    long shift = ex - (long)fl;
    /* strip leading zeros */
    size_t lead = 0;
    while (lead < nd && d[lead] == '0')
        lead++;
    memmove(d, d + lead, nd - lead);
    nd -= lead;
    if (shift < 0) {
        size_t drop = (size_t)(-shift);
        if (drop > nd)
            drop = nd;
        for (size_t k = nd - drop; k < nd; k++)
            if (d[k] != '0')
                return false;
        nd -= drop;
    } else if (nd > 0) {
        if (nd + (size_t)shift > 30)
            return false;
        for (long k = 0; k < shift; k++)
            d[nd++] = '0';
    }
    if (nd == 0) {
        d[0] = '0';
        nd = 1;
        neg = false;
    }
    const char *lim;
    switch (kind) {
    case CK_SMALLINT: lim = neg ? "32768" : "32767"; break;
    case CK_INTEGER: lim = neg ? "2147483648" : "2147483647"; break;
    default: lim = neg ? "9223372036854775808" : "9223372036854775807"; break;
    }
    size_t ll = strlen(lim);
    if (nd > ll || (nd == ll && memcmp(d, lim, ll) > 0))
        return false;
    size_t o = 0;
    if (neg)
        out[o++] = '-';
    memcpy(out + o, d, nd);
    o += nd;
    out[o] = '\0';
    *outlen = o;
    return true;
}

static bool numeric_text_ok(const char *s, size_t n)
{
    if ((n == 3 && strncasecmp(s, "NaN", 3) == 0) || (n == 8 && strncasecmp(s, "Infinity", 8) == 0) ||
        (n == 9 && (strncasecmp(s, "-Infinity", 9) == 0 || strncasecmp(s, "+Infinity", 9) == 0)))
        return true;
    size_t i = 0;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        i++;
    size_t d0 = i;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    size_t id = i - d0;
    size_t fd = 0;
    if (i < n && s[i] == '.') {
        i++;
        size_t f0 = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        fd = i - f0;
    }
    if (id + fd == 0)
        return false;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t e0 = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == e0)
            return false;
    }
    return i == n;
}

/*
 * numeric_fits: whether PostgreSQL's numeric can hold the number text s[0..n) (JSON number
 * syntax, or what numeric_text_ok accepts): at most 131072 digits before the decimal point
 * (the leading digit's weight at most 131071) and 16383 after it, counted as numeric_in
 * counts them (fraction digits minus the exponent). Beyond, numeric_in fails in the COPY
 * ("value overflows numeric format"): a whole batch rolled back as a database failure
 * (exit 5), where it is one bad value (exit 6, the property named).
 */
static bool numeric_fits(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        i++;
    if (i < n && (s[i] == 'N' || s[i] == 'n' || s[i] == 'I' || s[i] == 'i'))
        return true; /* NaN, Infinity */
    /* w: the weight (power of ten) of the first non-zero digit before the exponent */
    long fdig = 0, w = 0;
    bool nonzero = false;
    size_t i0 = i;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    for (size_t k = i0; k < i && !nonzero; k++) {
        if (s[k] != '0') {
            nonzero = true;
            w = (long)(i - k) - 1;
        }
    }
    if (i < n && s[i] == '.') {
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
            fdig++;
            if (!nonzero && s[i] != '0') {
                nonzero = true;
                w = -fdig;
            }
        }
    }
    long e = 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool neg = i < n && s[i] == '-';
        if (i < n && (s[i] == '-' || s[i] == '+'))
            i++;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            if (e < 1000000000L)
                e = e * 10 + (s[i] - '0');
        if (e >= 1000000000L)
            return false; /* numeric_in refuses exponents past INT_MAX / 2 */
        if (neg)
            e = -e;
    }
    if (fdig - e > 16383)
        return false; /* decimal places */
    return !nonzero || w + e <= 131071;
}

/* numeric_token_fits: numeric_fits for a number token, without a scan for the usual ones */
static bool numeric_token_fits(const char *line, const jtok *t)
{
    size_t n = t->end - t->start;
    if ((t->flags & JF_INTEGER) && n <= 16384)
        return true;
    return numeric_fits(line + t->start, n);
}

/* ---------------------------------------------------------------- conversion */

static const char *type_name(uint8_t t)
{
    switch (t) {
    case J_OBJECT: return "an object";
    case J_ARRAY: return "an array";
    case J_STRING: return "a string";
    case J_NUMBER: return "a number";
    case J_TRUE:
    case J_FALSE: return "a boolean";
    default: return "null";
    }
}

/* the string token's content, decoded when it holds escapes (into cx->scratch) */
static bool string_content(conv_ctx *cx, const char *line, const jtok *t, const char **s, size_t *n)
{
    if (!(t->flags & JF_ESCAPED)) {
        *s = line + t->start;
        *n = t->end - t->start;
        return true;
    }
    buf_reset(&cx->scratch);
    if (!jscan_unescape(&cx->scratch, line + t->start, t->end - t->start))
        return false;
    *s = cx->scratch.data ? cx->scratch.data : "";
    *n = cx->scratch.len;
    return true;
}

static int put_field(buf *o, conv_ctx *cx, const tcolumn *c, const char *line, const jtok *toks,
                     int32_t ti)
{
    const jtok *t = &toks[ti];
    if (t->type == J_OBJECT || t->type == J_ARRAY) {
        for (uint32_t k = (uint32_t)ti + 1; k < t->next; k++) {
            if (toks[k].flags & JF_BAD_UTF8)
                return F_UTF8;
            if (toks[k].type == J_NUMBER && c->kind == CK_JSONB &&
                !numeric_token_fits(line, &toks[k]))
                return F_JSONB_NUMERIC;
        }
    }
    if (t->type == J_NULL) {
        buf_append_lit(o, "\\N");
        return F_OK;
    }
    if (t->type == J_STRING && (t->flags & JF_BAD_UTF8))
        return F_UTF8;
    const char *s;
    size_t n;
    switch (c->kind) {
    case CK_TEXT:
        switch (t->type) {
        case J_STRING: {
            int r = copy_json_string(o, line + t->start, t->end - t->start,
                                     (t->flags & JF_ESCAPED) != 0, &cx->nul);
            return r == COPY_OK ? F_OK : r == COPY_NUL ? F_NUL : F_UNICODE;
        }
        case J_NUMBER: buf_append(o, line + t->start, t->end - t->start); return F_OK;
        case J_TRUE: buf_append_lit(o, "true"); return F_OK;
        case J_FALSE: buf_append_lit(o, "false"); return F_OK;
        default: {
            int r = copy_json_raw(o, line + t->start, t->end - t->start, &cx->nul);
            return r == COPY_OK ? F_OK : r == COPY_NUL ? F_NUL : F_UNICODE;
        }
        }
    case CK_SMALLINT:
    case CK_INTEGER:
    case CK_BIGINT: {
        if (t->type == J_NUMBER && (t->flags & JF_INTEGER) && t->end - t->start <= 18 &&
            c->kind == CK_BIGINT) {
            /* the common case: fits a bigint for sure; "-0" is fine for PostgreSQL */
            buf_append(o, line + t->start, t->end - t->start);
            return F_OK;
        }
        if (t->type == J_NUMBER) {
            s = line + t->start;
            n = t->end - t->start;
        } else if (t->type == J_STRING) {
            if (!string_content(cx, line, t, &s, &n))
                return F_UNICODE;
        } else {
            return F_TYPE;
        }
        char tmp[96];
        size_t tl;
        if (!conv_integer(s, n, c->kind, tmp, &tl)) {
            return (t->type == J_NUMBER || numeric_text_ok(s, n)) ? F_RANGE : F_TYPE;
        }
        buf_append(o, tmp, tl);
        return F_OK;
    }
    case CK_NUMERIC:
        if (t->type == J_NUMBER) {
            if (!numeric_token_fits(line, t))
                return F_NUMERIC_RANGE;
            buf_append(o, line + t->start, t->end - t->start);
            return F_OK;
        }
        if (t->type != J_STRING)
            return F_TYPE;
        if (!string_content(cx, line, t, &s, &n))
            return F_UNICODE;
        if (!numeric_text_ok(s, n))
            return F_TYPE;
        if (!numeric_fits(s, n))
            return F_NUMERIC_RANGE;
        buf_append(o, s, n);
        return F_OK;
    case CK_BOOL:
        if (t->type == J_TRUE) {
            buf_putc(o, 't');
            return F_OK;
        }
        if (t->type == J_FALSE) {
            buf_putc(o, 'f');
            return F_OK;
        }
        if (t->type == J_NUMBER) {
            size_t len = t->end - t->start;
            if (len == 1 && (line[t->start] == '0' || line[t->start] == '1')) {
                buf_putc(o, line[t->start] == '1' ? 't' : 'f');
                return F_OK;
            }
            return F_TYPE;
        }
        if (t->type == J_STRING) {
            if (!string_content(cx, line, t, &s, &n))
                return F_UNICODE;
            if (n == 4 && strncasecmp(s, "true", 4) == 0) {
                buf_putc(o, 't');
                return F_OK;
            }
            if (n == 5 && strncasecmp(s, "false", 5) == 0) {
                buf_putc(o, 'f');
                return F_OK;
            }
        }
        return F_TYPE;
    case CK_TIMESTAMPTZ:
    case CK_DATE:
    case CK_TIME:
        if (t->type != J_STRING)
            return F_TYPE;
        if (!string_content(cx, line, t, &s, &n))
            return F_UNICODE;
        switch (conv_datetime(o, s, n, c->kind)) {
        case CONV_DT_OK:
            return F_OK;
        case CONV_DT_RANGE:
            return F_DATE_RANGE;
        default:
            return F_TYPE;
        }
    case CK_BYTEA:
        /* MeltanoLabs' base16: hex digits of either case, an optional "0x" or "\\x" before
           them, an odd count read with a leading 0; into COPY text as "\\x<hex>" */
        if (t->type != J_STRING)
            return F_TYPE;
        if (!string_content(cx, line, t, &s, &n))
            return F_UNICODE;
        if (n >= 2 && (s[0] == '0' || s[0] == '\\') && s[1] == 'x') {
            s += 2;
            n -= 2;
        }
        for (size_t k = 0; k < n; k++)
            if (!((s[k] >= '0' && s[k] <= '9') || (s[k] >= 'a' && s[k] <= 'f') ||
                  (s[k] >= 'A' && s[k] <= 'F')))
                return F_HEX;
        buf_append_lit(o, "\\\\x");
        if (n % 2)
            buf_putc(o, '0');
        buf_append(o, s, n);
        return F_OK;
    case CK_JSONB: {
        if (t->type == J_NUMBER && !numeric_token_fits(line, t))
            return F_NUMERIC_RANGE;
        const char *p = line + t->start;
        size_t len = t->end - t->start;
        if (t->type == J_STRING) {
            p--;
            len += 2; /* with its quotes */
        }
        int r = copy_json_raw(o, p, len, &cx->nul);
        return r == COPY_OK ? F_OK : r == COPY_NUL ? F_NUL : F_UNICODE;
    }
    }
    return F_TYPE;
}

#define SLOT_ABSENT (-1)
#define SLOT_NULL (-2)

static void set_null_below(const prop_node *node, int32_t *slots)
{
    for (size_t i = 0; i < node->n; i++) {
        if (node->children[i].col >= 0)
            slots[node->children[i].col] = SLOT_NULL;
        else
            set_null_below(node->children[i].sub, slots);
    }
}

/*
 * a property that the SCHEMA does not declare: the record's _sdc_deleted_at goes to the
 * metadata column (pipelinewise takes it from every record, whatever its SCHEMA says); any
 * other is ignored, as pipelinewise does, and counted for the warning at the end (off the hot
 * path: records that match their SCHEMA never come here)
 */
static void not_in_schema(stream *st, const char *parent, const char *key, size_t keylen,
                          const jtok *toks, uint32_t v)
{
    static const char del[] = "_sdc_deleted_at";
    bool is_del = !*parent && keylen == sizeof(del) - 1 && memcmp(key, del, keylen) == 0;
    if (is_del && st->def->deleted_col >= 0) {
        st->slots[st->def->deleted_col] = (int32_t)v;
        return;
    }
    if (is_del && toks[v].type != J_NULL)
        st->deletes_nowhere++;
    char name[64];
    size_t n;
    if (*parent) {
        int w = snprintf(name, sizeof(name), "%s.%.*s", parent, (int)keylen, key);
        n = w < 0 ? 0 : (size_t)w < sizeof(name) ? (size_t)w : sizeof(name) - 1;
    } else {
        n = keylen < sizeof(name) ? keylen : sizeof(name) - 1;
        memcpy(name, key, n);
    }
    if (n == sizeof(name) - 1) {
        /* cut: not inside a UTF-8 sequence */
        size_t p = n;
        while (p > 0 && ((unsigned char)name[p - 1] & 0xC0) == 0x80)
            p--;
        if (p > 0) {
            unsigned char lead = (unsigned char)name[p - 1];
            size_t len = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
            if (p - 1 + len > n)
                n = p - 1;
        }
    }
    name[n] = '\0';
    for (size_t i = 0; i < st->nunknown; i++) {
        if (memcmp(st->unknown[i].name, name, n + 1) == 0) {
            st->unknown[i].records++;
            return;
        }
    }
    if (st->nunknown < sizeof(st->unknown) / sizeof(st->unknown[0])) {
        memcpy(st->unknown[st->nunknown].name, name, n + 1);
        st->unknown[st->nunknown++].records = 1;
        return;
    }
    st->unknown_other++;
}

/* whether a column below node already has a value (the flattened object came before) */
static bool any_slot_set(const prop_node *node, const int32_t *slots)
{
    for (size_t i = 0; i < node->n; i++) {
        const prop_child *ch = &node->children[i];
        if (ch->col >= 0 ? slots[ch->col] != SLOT_ABSENT : any_slot_set(ch->sub, slots))
            return true;
    }
    return false;
}

/* map the members of object token obj to columns; false with err on a non-object value for a
   flattened property */
static bool fill_slots(stream *st, conv_ctx *cx, const prop_node *node, const char *line,
                       const jscan *js, int obj, char *err, size_t errlen, const char *parent)
{
    const jtok *toks = js->toks;
    uint32_t i = (uint32_t)obj + 1;
    uint32_t members = toks[obj].size;
    for (uint32_t m = 0; m < members; m++) {
        const jtok *k = &toks[i];
        uint32_t v = i + 1;
        int idx;
        const char *key = line + k->start;
        size_t keylen = k->end - k->start;
        if (k->flags & JF_ESCAPED) {
            buf_reset(&cx->scratch);
            if (!jscan_unescape(&cx->scratch, key, keylen)) {
                key = "(a key with a bad escape)";
                keylen = strlen(key);
            } else {
                key = cx->scratch.data ? cx->scratch.data : "";
                keylen = cx->scratch.len;
            }
        }
        idx = flatten_lookup(node, key, keylen, m);
        if (idx < 0)
            not_in_schema(st, parent, key, keylen, toks, v);
        if (idx >= 0) {
            const prop_child *ch = &node->children[idx];
            /* a property given twice: cJSON's lookup finds the first, Python's json and jsonb
               keep the last; which one was meant is not ours to guess */
            if (ch->col >= 0 ? st->slots[ch->col] != SLOT_ABSENT
                             : any_slot_set(ch->sub, st->slots)) {
                snprintf(err, errlen, "property \"%s%s%s\" is given twice in the record", parent,
                         *parent ? "." : "", ch->key);
                return false;
            }
            if (ch->col >= 0) {
                st->slots[ch->col] = (int32_t)v;
            } else if (toks[v].type == J_OBJECT) {
                char path[512];
                snprintf(path, sizeof(path), "%s%s%s", parent, *parent ? "." : "", ch->key);
                if (!fill_slots(st, cx, ch->sub, line, js, (int)v, err, errlen, path))
                    return false;
            } else if (toks[v].type == J_NULL) {
                set_null_below(ch->sub, st->slots);
            } else {
                snprintf(err, errlen, "property \"%s%s%s\": expected an object, got %s", parent,
                         *parent ? "." : "", ch->key, type_name(toks[v].type));
                return false;
            }
        }
        i = toks[v].next;
    }
    return true;
}

static void received_now(conv_ctx *cx)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    int ms = (int)(ts.tv_nsec / 1000000);
    if (ts.tv_sec == cx->recv_sec && ms == cx->recv_ms)
        return;
    cx->recv_sec = ts.tv_sec;
    cx->recv_ms = ms;
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(cx->recv_text, sizeof(cx->recv_text), "%04d-%02d-%02dT%02d:%02d:%02d.%03d+00:00",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

static uint64_t hash_bytes(uint64_t h, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static void shorten(const char *s, size_t n, char *out, size_t outlen)
{
    if (n + 1 <= outlen) {
        memcpy(out, s, n);
        out[n] = '\0';
    } else {
        snprintf(out, outlen, "%.*s...", (int)(outlen - 4), s);
    }
    for (char *p = out; *p; p++)
        if ((unsigned char)*p < 0x20)
            *p = ' ';
}

bool stream_add_record(stream *st, conv_ctx *cx, const char *line, const jscan *js, int rec,
                       int version_tok, int te_tok, int64_t line_no, int64_t seq, char *err,
                       size_t errlen)
{
    const table_def *d = st->def;
    const column_set *cs = &d->cs;
    size_t ncols = cs->ncols;
    if (st->scratch_cap < ncols) {
        int32_t *sl = realloc(st->slots, ncols * sizeof(int32_t));
        if (sl)
            st->slots = sl;
        char *mk = realloc(st->mask, ncols + 1);
        if (mk)
            st->mask = mk;
        if (!sl || !mk) {
            snprintf(err, errlen, "out of memory");
            return false;
        }
        st->scratch_cap = ncols;
    }
    for (size_t c = 0; c < ncols; c++)
        st->slots[c] = SLOT_ABSENT;
    if (!fill_slots(st, cx, &cs->root, line, js, rec, err, errlen, ""))
        return false;

    batch *b = st->cur;
    buf *o = &b->data;
    size_t row_start = o->len;
    bool any_absent = false;
    uint64_t keyhash = 1469598103934665603ULL;
    const jtok *toks = js->toks;
    bool first = true;
    for (size_t c = 0; c < ncols; c++) {
        const tcolumn *col = &cs->cols[c];
        if (col->meta == META_BATCHED_AT)
            continue;
        if (!first)
            buf_putc(o, '\t');
        first = false;
        int32_t slot = st->slots[c];
        st->mask[c] = '0';
        switch (col->meta) {
        case META_EXTRACTED_AT: {
            size_t at = o->len;
            if (!(te_tok >= 0 && toks[te_tok].type == J_STRING &&
                  !(toks[te_tok].flags & (JF_ESCAPED | JF_BAD_UTF8)) &&
                  conv_datetime(o, line + toks[te_tok].start, toks[te_tok].end - toks[te_tok].start,
                                CK_TIMESTAMPTZ) == CONV_DT_OK)) {
                o->len = at;
                buf_append_lit(o, "\\N");
            }
            continue;
        }
        case META_RECEIVED_AT:
            received_now(cx);
            buf_appends(o, cx->recv_text);
            continue;
        case META_TABLE_VERSION:
            if (version_tok >= 0 && toks[version_tok].type == J_NUMBER &&
                (toks[version_tok].flags & JF_INTEGER))
                buf_append(o, line + toks[version_tok].start,
                           toks[version_tok].end - toks[version_tok].start);
            else
                buf_append_lit(o, "\\N");
            continue;
        case META_SEQUENCE:
            if (slot < 0) {
                char tmp[32];
                int l = snprintf(tmp, sizeof(tmp), "%lld", (long long)(cx->seq_base + seq));
                buf_append(o, tmp, (size_t)l);
                continue;
            }
            break;
        default: break;
        }
        size_t field_start = o->len;
        if (slot == SLOT_ABSENT) {
            if (col->is_key) {
                o->len = row_start;
                snprintf(err, errlen, "key property \"%s\" is missing", col->path);
                return false;
            }
            buf_append_lit(o, "\\N");
            if (!col->absent_is_null) {
                st->mask[c] = '1';
                any_absent = true;
            }
        } else if (slot == SLOT_NULL) {
            if (col->is_key) {
                o->len = row_start;
                snprintf(err, errlen, "key property \"%s\" is null", col->path);
                return false;
            }
            buf_append_lit(o, "\\N");
        } else {
            const jtok *t = &toks[slot];
            if (col->is_key && t->type == J_NULL) {
                o->len = row_start;
                snprintf(err, errlen, "key property \"%s\" is null", col->path);
                return false;
            }
            int r = put_field(o, cx, col, line, toks, slot);
            if (r != F_OK) {
                o->len = row_start;
                char shown[80];
                const char *vs = line + t->start - (t->type == J_STRING ? 1 : 0);
                size_t vn = t->end - t->start + (t->type == J_STRING ? 2 : 0);
                shorten(vs, vn, shown, sizeof(shown));
                switch (r) {
                case F_NUL:
                    snprintf(err, errlen,
                             "property \"%s\": the string holds a NUL character (\\u0000), which "
                             "PostgreSQL cannot store (set nul_character_policy to replace or strip)",
                             col->path);
                    break;
                case F_UNICODE:
                    snprintf(err, errlen, "property \"%s\": invalid \\u escape (lone surrogate) in %s",
                             col->path, shown);
                    break;
                case F_UTF8:
                    snprintf(err, errlen, "property \"%s\": the string is not valid UTF-8", col->path);
                    break;
                case F_RANGE:
                    snprintf(err, errlen, "property \"%s\": value %s does not fit column type %s",
                             col->path, shown, flatten_col_sql(col));
                    break;
                case F_DATE_RANGE:
                    snprintf(err, errlen,
                             "property \"%s\": value %s is outside the range of PostgreSQL's %s "
                             "(4714-11-24 BC to %s)",
                             col->path, shown, col->kind == CK_DATE ? "date" : "timestamp",
                             col->kind == CK_DATE ? "5874897-12-31" : "294276-12-31 23:59:59 UTC");
                    break;
                case F_NUMERIC_RANGE:
                    snprintf(err, errlen,
                             "property \"%s\": value %s is outside the range of PostgreSQL's "
                             "numeric (131072 digits before the decimal point, 16383 after)",
                             col->path, shown);
                    break;
                case F_JSONB_NUMERIC:
                    snprintf(err, errlen,
                             "property \"%s\": a number in %s is outside the range of "
                             "PostgreSQL's numeric, which jsonb numbers are (131072 digits before "
                             "the decimal point, 16383 after)",
                             col->path, shown);
                    break;
                case F_HEX:
                    snprintf(err, errlen,
                             "property \"%s\": %s is not hexadecimal text (contentEncoding base16, "
                             "interpret_content_encoding is true)",
                             col->path, shown);
                    break;
                default:
                    snprintf(err, errlen, "property \"%s\": %s %s does not fit column type %s",
                             col->path, type_name(t->type), shown, flatten_col_sql(col));
                    break;
                }
                return false;
            }
            if (col->meta == META_DELETED_AT && t->type != J_NULL)
                b->has_deletes = true;
        }
        if (col->is_key)
            keyhash = hash_bytes(keyhash, o->data + field_start, o->len - field_start + 1);
    }
    /* the sequence and the absent mask, for the merge */
    char tmp[32];
    int l = snprintf(tmp, sizeof(tmp), "\t%lld\t", (long long)seq);
    buf_append(o, tmp, (size_t)l);
    if (any_absent) {
        for (size_t c = 0; c < ncols; c++)
            if (cs->cols[c].meta != META_BATCHED_AT)
                buf_putc(o, st->mask[c]);
        b->has_absent = true;
    } else {
        buf_append_lit(o, "\\N");
    }
    buf_putc(o, '\n');
    if (cs->nkeys > 0 && !batch_note_key(b, keyhash)) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    if (!batch_row_done(b, line_no, seq)) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    return true;
}

void stream_warn_unknown(const stream *st)
{
    if (st->nunknown == 0)
        return;
    buf b = BUF_INIT;
    for (size_t i = 0; i < st->nunknown; i++)
        buf_appendf(&b, "%s\"%s\" in %lld record%s", i ? ", " : "", st->unknown[i].name,
                    st->unknown[i].records, st->unknown[i].records == 1 ? "" : "s");
    if (st->unknown_other)
        buf_appendf(&b, ", and %lld more of other names", st->unknown_other);
    buf_putc(&b, '\0');
    log_warn("stream \"%s\": properties not in its SCHEMA were ignored (not loaded): %s", st->name,
             buf_ok(&b) ? b.data : "(out of memory)");
    if (st->deletes_nowhere)
        log_warn(
            "stream \"%s\": %lld records carry _sdc_deleted_at, which its SCHEMA does not "
            "declare: without add_metadata_columns or hard_delete the table has no column "
            "for it, so these deletes were not applied (each was loaded like any other record)",
            st->name, st->deletes_nowhere);
    buf_term(&b);
}

void stream_copy_columns(const table_def *d, buf *out)
{
    bool first = true;
    for (size_t c = 0; c < d->cs.ncols; c++) {
        if (d->cs.cols[c].meta == META_BATCHED_AT)
            continue;
        if (!first)
            buf_append_lit(out, ", ");
        first = false;
        pg_quote_ident(out, d->cs.cols[c].name);
    }
    buf_append_lit(out, ", \"_tgt_seq\", \"_tgt_absent\"");
}
