#include "conv.h"

#include "timefmt.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

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

/* HH:MM[:SS[.f]] at s[*i]; advances *i. 24:00:00 only with a zero fraction, and "." the only
   decimal mark, as PostgreSQL takes them */
static inline bool parse_time(const char *s, size_t n, size_t *i)
{
    size_t p = *i;
    if (!digits(s, n, p, 2) || p + 2 >= n || s[p + 2] != ':' || !digits(s, n, p + 3, 2))
        return false;
    int hh = num2(s + p), mm = num2(s + p + 3);
    p += 5;
    int ss = 0;
    bool frac = false; /* a non-zero fraction of a second */
    if (p < n && s[p] == ':') {
        if (!digits(s, n, p + 1, 2))
            return false;
        ss = num2(s + p + 1);
        p += 3;
        if (p < n && s[p] == '.') {
            p++;
            size_t f = p;
            while (p < n && s[p] >= '0' && s[p] <= '9') {
                if (s[p] != '0')
                    frac = true;
                p++;
            }
            if (p == f)
                return false;
        }
    }
    if (hh > 24 || mm > 59 || ss > 60 || (hh == 24 && (mm || ss || frac)))
        return false;
    *i = p;
    return true;
}

/* Z | +HH | +HH:MM | +HHMM | +HH:MM:SS, up to 15:59:59 (PostgreSQL's limit); *offset: seconds
   east of UTC */
static inline bool parse_zone(const char *s, size_t n, size_t *i, int *offset)
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

/* scan_date, date_valid: conv_scan_date and conv_date_valid, inlined into parse_dt (run per
   value) */
static inline __attribute__((always_inline)) bool scan_date(const char *s, size_t n, size_t *i,
                                                            conv_date *out)
{
    size_t p = *i;
    out->sign = p < n && (s[p] == '-' || s[p] == '+') ? s[p] : 0;
    size_t y0 = out->sign ? p + 1 : p, y = y0;
    while (y < n && s[y] >= '0' && s[y] <= '9')
        y++;
    if (y - y0 < 4 || y - y0 > 6 || y + 6 > n || s[y] != '-' || !digits(s, n, y + 1, 2) ||
        s[y + 3] != '-' || !digits(s, n, y + 4, 2))
        return false;
    out->year = 0;
    for (size_t k = y0; k < y; k++)
        out->year = out->year * 10 + (s[k] - '0');
    out->year_end = y;
    out->month = num2(s + y + 1);
    out->day = num2(s + y + 4);
    *i = y + 6;
    return true;
}

static inline __attribute__((always_inline)) bool date_valid(int64_t year, int month, int day)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12 || day < 1 || day > mdays[month - 1])
        return false;
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return !(month == 2 && day == 29 && !leap);
}

bool conv_parse_time(const char *s, size_t n, size_t *i)
{
    return parse_time(s, n, i);
}

bool conv_parse_zone(const char *s, size_t n, size_t *i, int *offset)
{
    return parse_zone(s, n, i, offset);
}

bool conv_scan_date(const char *s, size_t n, size_t *i, conv_date *out)
{
    return scan_date(s, n, i, out);
}

bool conv_date_valid(int64_t year, int month, int day)
{
    return date_valid(year, month, day);
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
    conv_date dt;
    if (!scan_date(s, n, &i, &dt))
        return false;
    size_t y0 = dt.sign ? 1 : 0, y = dt.year_end;
    int64_t year = dt.year;
    v->month = dt.month;
    v->day = dt.day;
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
    return date_valid(v->year, v->month, v->day);
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
    case CK_SMALLINT:
        lim = neg ? "32768" : "32767";
        break;
    case CK_INTEGER:
        lim = neg ? "2147483648" : "2147483647";
        break;
    default:
        lim = neg ? "9223372036854775808" : "9223372036854775807";
        break;
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

void conv_scan_number(const char *s, size_t n, conv_number *out)
{
    memset(out, 0, sizeof(*out));
    size_t i = 0;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        out->sign = s[i++];
    out->int_start = i;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    out->nint = i - out->int_start;
    out->frac_start = i;
    if (i < n && s[i] == '.') {
        out->dot = true;
        out->frac_start = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        out->nfrac = i - out->frac_start;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        out->exp = true;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            out->exp_sign = s[i++];
        out->exp_start = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        out->nexp = i - out->exp_start;
    }
    out->end = i;
}

bool conv_numeric_ok(const char *s, size_t n)
{
    if ((n == 3 && strncasecmp(s, "NaN", 3) == 0) ||
        (n == 8 && strncasecmp(s, "Infinity", 8) == 0) ||
        (n == 9 && (strncasecmp(s, "-Infinity", 9) == 0 || strncasecmp(s, "+Infinity", 9) == 0)))
        return true;
    conv_number num;
    conv_scan_number(s, n, &num);
    return num.nint + num.nfrac > 0 && (!num.exp || num.nexp > 0) && num.end == n;
}

/* ---------------------------------------------------------------- conversion */

const char *conv_type_name(uint8_t t)
{
    switch (t) {
    case J_OBJECT:
        return "an object";
    case J_ARRAY:
        return "an array";
    case J_STRING:
        return "a string";
    case J_NUMBER:
        return "a number";
    case J_TRUE:
    case J_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

void conv_received_now(conv_ctx *cx)
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

bool conv_numeric_fits(const char *s, size_t n)
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

void conv_error(conv_result r, const tcolumn *col, const char *line, const jscan_tok *t, char *err,
                size_t errlen)
{
    char shown[80];
    const char *vs = line + t->start - (t->type == J_STRING ? 1 : 0);
    size_t vn = t->end - t->start + (t->type == J_STRING ? 2 : 0);
    shorten(vs, vn, shown, sizeof(shown));
    switch (r) {
    case CONV_NUL:
        snprintf(err, errlen,
                 "property \"%s\": the string holds a NUL character (\\u0000), which "
                 "PostgreSQL cannot store (set nul_character_policy to replace or strip)",
                 col->path);
        break;
    case CONV_UNICODE:
        snprintf(err, errlen, "property \"%s\": invalid \\u escape (lone surrogate) in %s",
                 col->path, shown);
        break;
    case CONV_UTF8:
        snprintf(err, errlen, "property \"%s\": the string is not valid UTF-8", col->path);
        break;
    case CONV_RANGE:
        snprintf(err, errlen, "property \"%s\": value %s does not fit column type %s", col->path,
                 shown, flatten_col_sql(col));
        break;
    case CONV_DATE_RANGE:
        snprintf(err, errlen,
                 "property \"%s\": value %s is outside the range of PostgreSQL's %s "
                 "(4714-11-24 BC to %s)",
                 col->path, shown, col->kind == CK_DATE ? "date" : "timestamp",
                 col->kind == CK_DATE ? "5874897-12-31" : "294276-12-31 23:59:59 UTC");
        break;
    case CONV_NUMERIC_RANGE:
        snprintf(err, errlen,
                 "property \"%s\": value %s is outside the range of PostgreSQL's numeric "
                 "(131072 digits before the decimal point, 16383 after)",
                 col->path, shown);
        break;
    case CONV_JSONB_NUMERIC:
        snprintf(err, errlen,
                 "property \"%s\": a number in %s is outside the range of PostgreSQL's "
                 "numeric, which jsonb numbers are (131072 digits before the decimal point, "
                 "16383 after)",
                 col->path, shown);
        break;
    case CONV_HEX:
        snprintf(err, errlen,
                 "property \"%s\": %s is not hexadecimal text (contentEncoding base16, "
                 "interpret_content_encoding is true)",
                 col->path, shown);
        break;
    default:
        snprintf(err, errlen, "property \"%s\": %s %s does not fit column type %s", col->path,
                 conv_type_name(t->type), shown, flatten_col_sql(col));
        break;
    }
}
