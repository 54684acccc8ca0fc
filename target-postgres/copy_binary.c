#include "copy_binary.h"

#include "conv.h"
#include "copy_unescape.h"
#include "json_writer.h"
#include "timefmt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- types */

/* the type's name without its modifiers: "numeric(12,2)" -> "numeric", "timestamp(3) with time
   zone" -> "timestamp with time zone" */
static void base_name(const char *sql, char *out, size_t outlen)
{
    size_t o = 0;
    int depth = 0;
    for (const char *p = sql; *p && o + 1 < outlen; p++) {
        if (*p == '(')
            depth++;
        else if (*p == ')')
            depth--;
        else if (depth == 0)
            out[o++] = *p;
    }
    out[o] = '\0';
}

bin_type copy_binary_type(const char *sql)
{
    static const struct {
        const char *name;
        bin_type t;
    } types[] = {
        {"smallint", BIN_INT2},
        {"integer", BIN_INT4},
        {"bigint", BIN_INT8},
        {"numeric", BIN_NUMERIC},
        {"double precision", BIN_FLOAT8},
        {"boolean", BIN_BOOL},
        {"text", BIN_TEXT},
        {"character varying", BIN_TEXT},
        {"varchar", BIN_TEXT},
        {"character", BIN_TEXT},
        {"char", BIN_TEXT},
        {"bpchar", BIN_TEXT},
        {"timestamp with time zone", BIN_TIMESTAMPTZ},
        {"date", BIN_DATE},
        {"jsonb", BIN_JSONB},
        {"json", BIN_JSON},
        {"uuid", BIN_UUID},
        {"bytea", BIN_BYTEA},
        {"bit varying", BIN_VARBIT},
        {"varbit", BIN_VARBIT},
    };
    if (!sql)
        return BIN_NONE;
    char name[64];
    base_name(sql, name, sizeof(name));
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(name, types[i].name) == 0)
            return types[i].t;
    return BIN_NONE;
}

/* ---------------------------------------------------------------- framing */

static inline void put16(unsigned char *w, unsigned v)
{
    w[0] = (unsigned char)(v >> 8);
    w[1] = (unsigned char)v;
}

static inline void put32(unsigned char *w, uint32_t v)
{
    w[0] = (unsigned char)(v >> 24);
    w[1] = (unsigned char)(v >> 16);
    w[2] = (unsigned char)(v >> 8);
    w[3] = (unsigned char)v;
}

static inline void put64(unsigned char *w, uint64_t v)
{
    put32(w, (uint32_t)(v >> 32));
    put32(w + 4, (uint32_t)v);
}

void copy_binary_header(buf *out)
{
    /* the signature, flags 0, no header extension */
    static const char head[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";
    buf_append(out, head, sizeof(head));
}

void copy_binary_trailer(buf *out)
{
    buf_append(out, "\377\377", 2);
}

void copy_binary_row_start(buf *out, int nfields)
{
    unsigned char w[2];
    put16(w, (unsigned)nfields);
    buf_append(out, w, 2);
}

/* ---------------------------------------------------------------- value parsers */

static inline bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static inline int hexval(char c)
{
    return json_writer_hex_value((unsigned char)c);
}

/* [-]digits, in [lo, hi] */
static bool parse_int(const char *s, size_t n, int64_t lo, int64_t hi, int64_t *v)
{
    size_t i = 0;
    bool neg = n > 0 && s[0] == '-';
    if (neg)
        i++;
    if (i == n || n - i > 19)
        return false;
    uint64_t u = 0;
    for (; i < n; i++) {
        if (!is_digit(s[i]))
            return false;
        u = u * 10 + (uint64_t)(s[i] - '0'); /* 19 digits fit a uint64 */
    }
    if (neg) {
        if (u > (uint64_t)INT64_MAX + 1 || (u > 0 && -(int64_t)(u - 1) - 1 < lo))
            return false;
        *v = u == 0 ? 0 : -(int64_t)(u - 1) - 1;
    } else {
        if (u > (uint64_t)hi)
            return false;
        *v = (int64_t)u;
    }
    return true;
}

static inline int num2(const char *s)
{
    return (s[0] - '0') * 10 + (s[1] - '0');
}

static bool digits_at(const char *s, size_t n, size_t i, size_t count)
{
    if (i + count > n)
        return false;
    for (size_t k = 0; k < count; k++)
        if (!is_digit(s[i + k]))
            return false;
    return true;
}

/* YYYY-MM-DD, year 0001-9999, a real date (conv's scan and calendar check): days since
   2000-01-01 */
static bool parse_date(const char *s, size_t n, size_t *i, int64_t *days)
{
    conv_date d;
    size_t p = *i;
    if (!conv_scan_date(s, n, &p, &d) || d.sign || d.year_end != *i + 4 || d.year < 1 ||
        !conv_date_valid(d.year, d.month, d.day))
        return false;
    *days = timefmt_days_from_civil(d.year, (unsigned)d.month, (unsigned)d.day) - 10957;
    *i = p;
    return true;
}

/* Z, +HH, +HH:MM, +HHMM, +HH:MM:SS (or -), hours at most 15: seconds east of UTC. Stricter than
   conv_parse_zone, which also passes mixed forms ("+05:3015") on to PostgreSQL to judge: a
   value encoded here must be one PostgreSQL takes */
static bool parse_zone(const char *s, size_t n, size_t *i, int *offset)
{
    size_t p = *i;
    if (p < n && (s[p] == 'Z' || s[p] == 'z')) {
        *offset = 0;
        *i = p + 1;
        return true;
    }
    if (p >= n || (s[p] != '+' && s[p] != '-') || !digits_at(s, n, p + 1, 2))
        return false;
    int sign = s[p] == '-' ? -1 : 1, hh = num2(s + p + 1), mm = 0, ss = 0;
    p += 3;
    if (p < n && s[p] == ':') {
        if (!digits_at(s, n, p + 1, 2))
            return false;
        mm = num2(s + p + 1);
        p += 3;
        if (p < n && s[p] == ':') {
            if (!digits_at(s, n, p + 1, 2))
                return false;
            ss = num2(s + p + 1);
            p += 3;
        }
    } else if (digits_at(s, n, p, 2)) {
        mm = num2(s + p);
        p += 2;
    }
    if (hh > 15 || mm > 59 || ss > 59)
        return false;
    *offset = sign * (hh * 3600 + mm * 60 + ss);
    *i = p;
    return true;
}

/* YYYY-MM-DD[(T|t| )HH:MM[:SS[.f{1,6}]][ ][zone]]: microseconds since 2000-01-01 UTC (no zone:
   UTC, the session's TimeZone) */
static bool parse_timestamptz(const char *s, size_t n, int64_t *us)
{
    size_t i = 0;
    int64_t days;
    if (!parse_date(s, n, &i, &days))
        return false;
    int64_t secs = 0, frac = 0;
    int offset = 0;
    if (i < n) {
        if ((s[i] != 'T' && s[i] != 't' && s[i] != ' ') || !digits_at(s, n, i + 1, 2) ||
            i + 3 >= n || s[i + 3] != ':' || !digits_at(s, n, i + 4, 2))
            return false;
        int hh = num2(s + i + 1), mi = num2(s + i + 4), ss = 0;
        i += 6;
        if (i < n && s[i] == ':') {
            if (!digits_at(s, n, i + 1, 2))
                return false;
            ss = num2(s + i + 1);
            i += 3;
            if (i < n && s[i] == '.') {
                i++;
                size_t f0 = i;
                while (i < n && is_digit(s[i]) && i - f0 < 7)
                    frac = frac * 10 + (s[i++] - '0');
                size_t nf = i - f0;
                if (nf == 0 || nf > 6)
                    return false; /* 7 digits and more: rounding left to the server */
                for (; nf < 6; nf++)
                    frac *= 10;
            }
        }
        if (hh > 23 || mi > 59 || ss > 59)
            return false;
        secs = hh * 3600 + mi * 60 + ss;
        if (i < n && s[i] == ' ')
            i++;
        if (i < n && !parse_zone(s, n, &i, &offset))
            return false;
        if (i != n)
            return false;
    }
    *us = ((days * 86400) + secs - offset) * 1000000 + frac;
    return true;
}

/* text of the form [-+]digits[.digits][e[-+]digits] (either digit run may be empty, not both)
   into base-10000 digits. Small enough numbers only: at most 1000 digits and exponent 1000. */
typedef struct num_bin {
    bool neg;
    int weight, dscale, ndigits;
    uint16_t digits[260];
} num_bin;

static bool parse_numeric(const char *s, size_t n, num_bin *out)
{
    size_t i = 0;
    out->neg = false;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        out->neg = s[i++] == '-';
    size_t int0 = i;
    while (i < n && is_digit(s[i]))
        i++;
    size_t nint = i - int0, frac0 = i, nfrac = 0;
    if (i < n && s[i] == '.') {
        frac0 = ++i;
        while (i < n && is_digit(s[i]))
            i++;
        nfrac = i - frac0;
    }
    if (nint + nfrac == 0 || nint + nfrac > 1000)
        return false;
    long ex = 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < n && (s[i] == '-' || s[i] == '+'))
            eneg = s[i++] == '-';
        size_t e0 = i;
        while (i < n && is_digit(s[i])) {
            ex = ex * 10 + (s[i++] - '0');
            if (ex > 1000)
                return false;
        }
        if (i == e0)
            return false;
        if (eneg)
            ex = -ex;
    }
    if (i != n)
        return false;
    long dscale = (long)nfrac - ex;
    out->dscale = dscale < 0 ? 0 : (int)dscale;
    /* the digit string D = int digits then frac digits, without leading zeros; the value is
       D * 10^(ex - nfrac) */
    char d[1000];
    size_t nd = 0;
    for (size_t k = int0; k < int0 + nint; k++)
        if (nd || s[k] != '0')
            d[nd++] = s[k];
    for (size_t k = frac0; k < frac0 + nfrac; k++)
        if (nd || s[k] != '0')
            d[nd++] = s[k];
    while (nd && d[nd - 1] == '0') {
        nd--;
        ex++; /* a trailing zero moved into the exponent (the value is the same) */
    }
    if (nd == 0) {
        out->neg = false;
        out->weight = 0;
        out->ndigits = 0;
        return true;
    }
    /* digits before the decimal point (may be <= 0 or > nd) */
    long intlen = (long)nd + ex - (long)nfrac;
    /* pad on the left so that the decimal point falls on a group boundary */
    long padl = ((intlen % 4) + 4) % 4;
    padl = padl ? 4 - padl : 0;
    long total = padl + (long)nd;
    long groups = (total + 3) / 4;
    if (groups > (long)(sizeof(out->digits) / sizeof(out->digits[0])))
        return false;
    out->weight = (int)((intlen + padl) / 4 - 1);
    if ((intlen + padl) % 4 != 0 || out->weight < -32768 || out->weight > 32767)
        return false; /* cannot be: the padding aligns it */
    for (long g = 0; g < groups; g++) {
        unsigned v = 0;
        for (long k = g * 4; k < g * 4 + 4; k++) {
            long di = k - padl;
            v = v * 10 + (di >= 0 && di < (long)nd ? (unsigned)(d[di] - '0') : 0);
        }
        out->digits[g] = (uint16_t)v;
    }
    out->ndigits = (int)groups;
    while (out->ndigits && out->digits[out->ndigits - 1] == 0)
        out->ndigits--;
    return true;
}

/* [-+]digits[.digits][e[-+]digits] or [-+].digits[...] */
static bool float_syntax(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        i++;
    size_t d0 = i;
    while (i < n && is_digit(s[i]))
        i++;
    size_t nd = i - d0;
    if (i < n && s[i] == '.') {
        size_t f0 = ++i;
        while (i < n && is_digit(s[i]))
            i++;
        nd += i - f0;
    }
    if (nd == 0)
        return false;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '-' || s[i] == '+'))
            i++;
        size_t e0 = i;
        while (i < n && is_digit(s[i]))
            i++;
        if (i == e0)
            return false;
    }
    return i == n;
}

/* COPY text's escapes undone into w (room for n bytes); the length, or -1 for a backslash at
   the end */
static long unescape(const char *s, size_t n, unsigned char *w)
{
    if (!memchr(s, '\\', n)) {
        memcpy(w, s, n);
        return (long)n;
    }
    size_t len = 0;
    return copy_unescape(s, n, 0, (char *)w, &len) == (size_t)-1 ? -1 : (long)len;
}

/* ---------------------------------------------------------------- fields */

bool copy_binary_field(buf *out, bin_type t, const char *s, size_t n)
{
    if (n == 2 && s[0] == '\\' && s[1] == 'N') {
        buf_append(out, "\377\377\377\377", 4);
        return true;
    }
    /* the largest field: 4 bytes of length, then at most the text's bytes plus a numeric's
       8-byte header and padding, 16 bytes of a uuid, 8 of a timestamp */
    if (!buf_reserve(out, n + 32))
        return false;
    unsigned char *w = (unsigned char *)out->data + out->len;
    size_t len;
    switch (t) {
    case BIN_INT2:
    case BIN_INT4:
    case BIN_INT8: {
        int64_t v;
        int64_t lim = t == BIN_INT2 ? 32767 : t == BIN_INT4 ? 2147483647 : INT64_MAX;
        if (!parse_int(s, n, -lim - 1, lim, &v))
            return false;
        len = t == BIN_INT2 ? 2 : t == BIN_INT4 ? 4 : 8;
        if (t == BIN_INT2)
            put16(w + 4, (unsigned)(uint16_t)v);
        else if (t == BIN_INT4)
            put32(w + 4, (uint32_t)v);
        else
            put64(w + 4, (uint64_t)v);
        break;
    }
    case BIN_NUMERIC: {
        num_bin nb;
        if (!parse_numeric(s, n, &nb))
            return false;
        len = 8 + 2 * (size_t)nb.ndigits;
        if (!buf_reserve(out, len + 4))
            return false;
        w = (unsigned char *)out->data + out->len;
        put16(w + 4, (unsigned)nb.ndigits);
        put16(w + 6, (unsigned)(uint16_t)(int16_t)nb.weight);
        put16(w + 8, nb.neg ? 0x4000 : 0);
        put16(w + 10, (unsigned)nb.dscale);
        for (int k = 0; k < nb.ndigits; k++)
            put16(w + 12 + 2 * k, nb.digits[k]);
        break;
    }
    case BIN_FLOAT8: {
        char tmp[64];
        if (n >= sizeof(tmp) || !float_syntax(s, n))
            return false;
        memcpy(tmp, s, n);
        tmp[n] = '\0';
        errno = 0;
        double d = strtod(tmp, NULL);
        if (errno == ERANGE)
            return false; /* out of range, or a subnormal: as the server decides */
        uint64_t bits;
        memcpy(&bits, &d, sizeof(bits));
        len = 8;
        put64(w + 4, bits);
        break;
    }
    case BIN_BOOL:
        if (n != 1 || (s[0] != 't' && s[0] != 'f'))
            return false;
        len = 1;
        w[4] = s[0] == 't';
        break;
    case BIN_TIMESTAMPTZ: {
        int64_t us;
        if (!parse_timestamptz(s, n, &us))
            return false;
        len = 8;
        put64(w + 4, (uint64_t)us);
        break;
    }
    case BIN_DATE: {
        size_t i = 0;
        int64_t days;
        if (!parse_date(s, n, &i, &days) || i != n)
            return false;
        len = 4;
        put32(w + 4, (uint32_t)(int32_t)days);
        break;
    }
    case BIN_UUID: {
        static const unsigned char dash_at[36] = {[8] = 1, [13] = 1, [18] = 1, [23] = 1};
        if (n != 36 && n != 32)
            return false;
        size_t o = 0;
        for (size_t i = 0; i < n; i++) {
            if (n == 36 && dash_at[i]) {
                if (s[i] != '-')
                    return false;
                continue;
            }
            int hi = hexval(s[i]), lo = i + 1 < n ? hexval(s[i + 1]) : -1;
            if (hi < 0 || lo < 0)
                return false;
            w[4 + o++] = (unsigned char)(hi * 16 + lo);
            i++;
        }
        if (o != 16)
            return false;
        len = 16;
        break;
    }
    case BIN_BYTEA: {
        /* "\\x<hex>" in COPY text is "\x<hex>" */
        if (n < 3 || s[0] != '\\' || s[1] != '\\' || s[2] != 'x' || (n - 3) % 2)
            return false;
        size_t o = 0;
        for (size_t i = 3; i < n; i += 2) {
            int hi = hexval(s[i]), lo = hexval(s[i + 1]);
            if (hi < 0 || lo < 0)
                return false;
            w[4 + o++] = (unsigned char)(hi * 16 + lo);
        }
        len = o;
        break;
    }
    case BIN_VARBIT: {
        /* the bit count, then the bits from the first, the last byte padded with zeros */
        if (!buf_reserve(out, 8 + n / 8 + 1))
            return false;
        w = (unsigned char *)out->data + out->len;
        memset(w + 8, 0, n / 8 + 1);
        for (size_t i = 0; i < n; i++) {
            if (s[i] != '0' && s[i] != '1')
                return false;
            if (s[i] == '1')
                w[8 + i / 8] |= (unsigned char)(0x80 >> (i % 8));
        }
        put32(w + 4, (uint32_t)n);
        len = 4 + (n + 7) / 8;
        break;
    }
    case BIN_JSONB: {
        w[4] = 1; /* the jsonb binary format's version */
        long l = unescape(s, n, w + 5);
        if (l < 0)
            return false;
        len = (size_t)l + 1;
        break;
    }
    case BIN_TEXT:
    case BIN_JSON: {
        long l = unescape(s, n, w + 4);
        if (l < 0)
            return false;
        len = (size_t)l;
        break;
    }
    default:
        return false;
    }
    put32(w, (uint32_t)len);
    out->len += 4 + len;
    out->data[out->len] = '\0';
    return true;
}

bool copy_binary_row(buf *out, const unsigned char *bin, size_t nfields, const char *p,
                     const char *end, const char *tail, size_t tail_len)
{
    size_t had = out->len;
    copy_binary_row_start(out, (int)(nfields + (tail ? 1 : 0)));
    size_t k = 0;
    for (; k < nfields && p <= end; k++) {
        const char *tab = memchr(p, '\t', (size_t)(end - p));
        const char *fe = tab ? tab : end;
        if (!copy_binary_field(out, (bin_type)bin[k], p, (size_t)(fe - p)))
            break;
        p = fe + 1;
    }
    if (k != nfields || p != end + 1) {
        out->len = had;
        if (out->data)
            out->data[had] = '\0';
        return false;
    }
    if (tail)
        buf_append(out, tail, tail_len);
    return true;
}
