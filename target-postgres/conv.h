/*
 * conv: one JSON value of a RECORD (a jscan token) into the COPY text of its column, and the
 * value checks behind it (dates and times, integers, numeric text), which validate.c uses too.
 *
 * Nothing here allocates per value: the only buffer is the context's scratch (reused).
 * Ownership: a conv_ctx is embedded (conv_init / conv_term); the tokens and line a function
 * takes are borrowed for the call.
 */
#ifndef TARGET_CONV_H
#define TARGET_CONV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <strings.h>
#include <time.h>

#include "batch.h"
#include "copy.h"
#include "buf.h"
#include "flatten.h"
#include "jscan.h"
#include "tconfig.h"

typedef struct conv_ctx {
    copy_nul_opts nul; /* borrowed strings of the config */
    int64_t seq_base;  /* _sdc_sequence = seq_base + sequence when the record has none */
    time_t recv_sec;
    int recv_ms;
    char recv_text[64]; /* _sdc_received_at, refreshed every millisecond */
    buf scratch;        /* owned: a decoded string value */
} conv_ctx;

/* conv_init: the context of a run with cfg (borrowed for life: the NUL replacement). */
void conv_init(conv_ctx *cx, const tconfig *cfg);
/* conv_term: free the scratch buffer. */
void conv_term(conv_ctx *cx);
/* conv_received_now: refresh cx->recv_text (the _sdc_received_at text) to the current
   millisecond. */
void conv_received_now(conv_ctx *cx);

/* what conv_field made of a value */
typedef enum conv_result {
    CONV_OK = 0,
    CONV_TYPE,          /* a JSON type or text the column type cannot take */
    CONV_NUL,           /* \u0000 with nul_character_policy error */
    CONV_UNICODE,       /* a lone surrogate escape */
    CONV_UTF8,          /* invalid UTF-8 */
    CONV_RANGE,         /* a number outside the integer column type */
    CONV_DATE_RANGE,    /* a date outside PostgreSQL's range */
    CONV_HEX,           /* bytea text that is not hexadecimal */
    CONV_NUMERIC_RANGE, /* a number numeric cannot hold */
    CONV_JSONB_NUMERIC, /* the same inside a jsonb value */
} conv_result;

/* conv_error: the message for r (not CONV_OK) on token t of line, naming column col's
   property, into err. */
void conv_error(conv_result r, const tcolumn *col, const char *line, const jscan_tok *t, char *err,
                size_t errlen);
/* conv_type_name: "a string", "an object", ... for a jscan token type. */
const char *conv_type_name(uint8_t t);

/* conv_timestamp_ok: whether s[0..n) is a date (need_date), a time (need_time) or a date-time
   that conv_datetime takes. */
bool conv_timestamp_ok(const char *s, size_t n, bool need_date, bool need_time);

typedef enum conv_dt_result { CONV_DT_OK = 0, CONV_DT_BAD, CONV_DT_RANGE } conv_dt_result;
/* conv_datetime: append the value s[0..n) of a column of kind CK_TIMESTAMPTZ, CK_DATE or
   CK_TIME to out as PostgreSQL input: as it is for years 0001-9999; else with the year
   rewritten ("-2039-04-10T..." -> "2040-04-10T... BC", "+10000-..." -> "10000-..."), after a
   check against PostgreSQL's range (CONV_DT_RANGE). Nothing is appended unless CONV_DT_OK. */
conv_dt_result conv_datetime(buf *out, const char *s, size_t n, col_kind kind);
/* conv_integer: the canonical integer text of a JSON number or numeric string s[0..n) into out
   (>= 24 bytes); false when it is not an integer or does not fit kind. */
bool conv_integer(const char *s, size_t n, col_kind kind, char *out, size_t *outlen);
/* a number's text taken apart by conv_scan_number (indices into the text) */
typedef struct conv_number {
    char sign;        /* '-', '+' or 0 */
    size_t int_start; /* the integer digits */
    size_t nint;
    bool dot;          /* a '.' after them */
    size_t frac_start; /* the fraction digits */
    size_t nfrac;
    bool exp;         /* an 'e' or 'E' after them */
    char exp_sign;    /* '-', '+' or 0 */
    size_t exp_start; /* the exponent digits */
    size_t nexp;
    size_t end; /* where the scan stopped (n when everything was read) */
} conv_number;
/* conv_scan_number: [sign] digits [. digits] [e [sign] digits] at the start of s[0..n), each part
   possibly empty: the callers decide which forms they take (conv_numeric_ok, decimal_parse). */
void conv_scan_number(const char *s, size_t n, conv_number *out);

/* a calendar date as written: [+-]YYYY[YY]-MM-DD */
typedef struct conv_date {
    char sign;       /* '-', '+' or 0 before the year */
    int64_t year;    /* the year digits' value (unsigned) */
    size_t year_end; /* index after the year digits */
    int month, day;  /* as written, not checked */
} conv_date;
/* conv_scan_date: the date syntax at s[*i] (4 to 6 year digits); advances *i past the day. false
   when it is not there. The calendar is not checked (conv_date_valid). */
bool conv_scan_date(const char *s, size_t n, size_t *i, conv_date *out);
/* conv_parse_time: HH:MM[:SS[.fraction]] at s[*i], as PostgreSQL takes a time of day (hours
   00-23 or 24:00:00 exactly, seconds up to 60, "." before the fraction); advances *i. */
bool conv_parse_time(const char *s, size_t n, size_t *i);
/* conv_parse_zone: Z, +HH, +HH:MM, +HHMM or +HH:MM:SS (or -) at s[*i], at most 15:59:59 as
   PostgreSQL takes it; *offset in seconds east of UTC; advances *i. */
bool conv_parse_zone(const char *s, size_t n, size_t *i, int *offset);
/* conv_date_valid: month 1-12 and a day of that month, February 29 only in leap years of the
   astronomical year (0 = 1 BC). */
bool conv_date_valid(int64_t year, int month, int day);

/* conv_numeric_ok: whether s[0..n) is text PostgreSQL's numeric takes: a decimal with an
   optional sign and exponent, NaN or [+-]Infinity (any case). */
bool conv_numeric_ok(const char *s, size_t n);

/* ---------------------------------------------------------------- the per-value conversion
   conv_field and its helper are defined here, static inline, so that the per-record loop
   (stream.c) has them inlined: they run once per value (PERF.md) */

/* conv_string_content: the string token's content, decoded when it holds escapes (into
   cx->scratch); false on a bad escape */
static inline bool conv_string_content(conv_ctx *cx, const char *line, const jscan_tok *t,
                                       const char **s, size_t *n)
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

/*
 * conv_numeric_fits: whether PostgreSQL's numeric can hold the number text s[0..n) (JSON number
 * syntax, or what conv_numeric_ok accepts): at most 131072 digits before the decimal point and
 * 16383 after it, counted as numeric_in counts them. Beyond, numeric_in fails in the COPY
 * ("value overflows numeric format"): a whole batch rolled back as a database failure (exit 5),
 * where it is one bad value (exit 6, the property named).
 */
bool conv_numeric_fits(const char *s, size_t n);
/* conv_numeric_token_fits: conv_numeric_fits for a number token, without a scan for the usual
   ones */
static inline bool conv_numeric_token_fits(const char *line, const jscan_tok *t)
{
    size_t n = t->end - t->start;
    if ((t->flags & JF_INTEGER) && n <= 16384)
        return true;
    return conv_numeric_fits(line + t->start, n);
}

/* conv_field: append the value token toks[ti] of line (a non-null value) as the COPY text of
   column c to o. Anything else than CONV_OK may leave a partial field in o (the caller
   truncates the row). */
static inline conv_result conv_field(buf *o, conv_ctx *cx, const tcolumn *c, const char *line,
                                     const jscan_tok *toks, int32_t ti)
{
    const jscan_tok *t = &toks[ti];
    if (t->type == J_OBJECT || t->type == J_ARRAY) {
        for (uint32_t k = (uint32_t)ti + 1; k < t->next; k++) {
            if (toks[k].flags & JF_BAD_UTF8)
                return CONV_UTF8;
            if (toks[k].type == J_NUMBER && c->kind == CK_JSONB &&
                !conv_numeric_token_fits(line, &toks[k]))
                return CONV_JSONB_NUMERIC;
        }
    }
    if (t->type == J_NULL) {
        buf_append_lit(o, "\\N");
        return CONV_OK;
    }
    if (t->type == J_STRING && (t->flags & JF_BAD_UTF8))
        return CONV_UTF8;
    const char *s;
    size_t n;
    switch (c->kind) {
    case CK_TEXT:
        switch (t->type) {
        case J_STRING: {
            int r = copy_json_string(o, line + t->start, t->end - t->start,
                                     (t->flags & JF_ESCAPED) != 0, &cx->nul);
            return r == COPY_OK ? CONV_OK : r == COPY_NUL ? CONV_NUL : CONV_UNICODE;
        }
        case J_NUMBER:
            buf_append(o, line + t->start, t->end - t->start);
            return CONV_OK;
        case J_TRUE:
            buf_append_lit(o, "true");
            return CONV_OK;
        case J_FALSE:
            buf_append_lit(o, "false");
            return CONV_OK;
        default: {
            int r = copy_json_raw(o, line + t->start, t->end - t->start, &cx->nul);
            return r == COPY_OK ? CONV_OK : r == COPY_NUL ? CONV_NUL : CONV_UNICODE;
        }
        }
    case CK_SMALLINT:
    case CK_INTEGER:
    case CK_BIGINT: {
        if (t->type == J_NUMBER && (t->flags & JF_INTEGER) && t->end - t->start <= 18 &&
            c->kind == CK_BIGINT) {
            /* the common case: fits a bigint for sure; "-0" is fine for PostgreSQL */
            buf_append(o, line + t->start, t->end - t->start);
            return CONV_OK;
        }
        if (t->type == J_NUMBER) {
            s = line + t->start;
            n = t->end - t->start;
        } else if (t->type == J_STRING) {
            if (!conv_string_content(cx, line, t, &s, &n))
                return CONV_UNICODE;
        } else {
            return CONV_TYPE;
        }
        char tmp[96];
        size_t tl;
        if (!conv_integer(s, n, c->kind, tmp, &tl)) {
            return (t->type == J_NUMBER || conv_numeric_ok(s, n)) ? CONV_RANGE : CONV_TYPE;
        }
        buf_append(o, tmp, tl);
        return CONV_OK;
    }
    case CK_NUMERIC:
        if (t->type == J_NUMBER) {
            if (!conv_numeric_token_fits(line, t))
                return CONV_NUMERIC_RANGE;
            buf_append(o, line + t->start, t->end - t->start);
            return CONV_OK;
        }
        if (t->type != J_STRING)
            return CONV_TYPE;
        if (!conv_string_content(cx, line, t, &s, &n))
            return CONV_UNICODE;
        if (!conv_numeric_ok(s, n))
            return CONV_TYPE;
        if (!conv_numeric_fits(s, n))
            return CONV_NUMERIC_RANGE;
        buf_append(o, s, n);
        return CONV_OK;
    case CK_BOOL:
        if (t->type == J_TRUE) {
            buf_putc(o, 't');
            return CONV_OK;
        }
        if (t->type == J_FALSE) {
            buf_putc(o, 'f');
            return CONV_OK;
        }
        if (t->type == J_NUMBER) {
            size_t len = t->end - t->start;
            if (len == 1 && (line[t->start] == '0' || line[t->start] == '1')) {
                buf_putc(o, line[t->start] == '1' ? 't' : 'f');
                return CONV_OK;
            }
            return CONV_TYPE;
        }
        if (t->type == J_STRING) {
            if (!conv_string_content(cx, line, t, &s, &n))
                return CONV_UNICODE;
            if (n == 4 && strncasecmp(s, "true", 4) == 0) {
                buf_putc(o, 't');
                return CONV_OK;
            }
            if (n == 5 && strncasecmp(s, "false", 5) == 0) {
                buf_putc(o, 'f');
                return CONV_OK;
            }
        }
        return CONV_TYPE;
    case CK_TIMESTAMPTZ:
    case CK_DATE:
    case CK_TIME:
        if (t->type != J_STRING)
            return CONV_TYPE;
        if (!conv_string_content(cx, line, t, &s, &n))
            return CONV_UNICODE;
        switch (conv_datetime(o, s, n, c->kind)) {
        case CONV_DT_OK:
            return CONV_OK;
        case CONV_DT_RANGE:
            return CONV_DATE_RANGE;
        default:
            return CONV_TYPE;
        }
    case CK_BYTEA:
        /* MeltanoLabs' base16: hex digits of either case, an optional "0x" or "\\x" before
           them, an odd count read with a leading 0; into COPY text as "\\x<hex>" */
        if (t->type != J_STRING)
            return CONV_TYPE;
        if (!conv_string_content(cx, line, t, &s, &n))
            return CONV_UNICODE;
        if (n >= 2 && (s[0] == '0' || s[0] == '\\') && s[1] == 'x') {
            s += 2;
            n -= 2;
        }
        for (size_t k = 0; k < n; k++)
            if (!((s[k] >= '0' && s[k] <= '9') || (s[k] >= 'a' && s[k] <= 'f') ||
                  (s[k] >= 'A' && s[k] <= 'F')))
                return CONV_HEX;
        buf_append_lit(o, "\\\\x");
        if (n % 2)
            buf_putc(o, '0');
        buf_append(o, s, n);
        return CONV_OK;
    case CK_JSONB: {
        if (t->type == J_NUMBER && !conv_numeric_token_fits(line, t))
            return CONV_NUMERIC_RANGE;
        const char *p = line + t->start;
        size_t len = t->end - t->start;
        if (t->type == J_STRING) {
            p--;
            len += 2; /* with its quotes */
        }
        int r = copy_json_raw(o, p, len, &cx->nul);
        return r == COPY_OK ? CONV_OK : r == COPY_NUL ? CONV_NUL : CONV_UNICODE;
    }
    }
    return CONV_TYPE;
}

#endif
