#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "copy_binary.h"
#include "stream.h"

static copy_nul_opts NUL_ERR = {NUL_ERROR, "", ""};
static copy_nul_opts NUL_REP = {NUL_REPLACE, "\xef\xbf\xbd", "\xef\xbf\xbd"};
static copy_nul_opts NUL_STR = {NUL_STRIP, "", ""};

static const char *enc(buf *b, const char *json_body, const copy_nul_opts *n, int *rc)
{
    buf_reset(b);
    *rc = copy_json_string(b, json_body, strlen(json_body), strchr(json_body, '\\') != NULL, n);
    buf_putc(b, '\0');
    return b->data;
}

START_TEST(string_escapes)
{
    buf b = BUF_INIT;
    int rc;
    ck_assert_str_eq(enc(&b, "plain text", &NUL_ERR, &rc), "plain text");
    ck_assert_str_eq(enc(&b, "a\\tb\\nc\\rd", &NUL_ERR, &rc), "a\\tb\\nc\\rd");
    ck_assert_str_eq(enc(&b, "back\\\\slash", &NUL_ERR, &rc), "back\\\\slash");
    ck_assert_str_eq(enc(&b, "q\\\"q\\/", &NUL_ERR, &rc), "q\"q/");
    ck_assert_str_eq(enc(&b, "\\u00e9\\u4e2d", &NUL_ERR, &rc), "é中");
    ck_assert_str_eq(enc(&b, "\\ud83d\\ude00", &NUL_ERR, &rc), "😀");
    ck_assert_str_eq(enc(&b, "raw é 中", &NUL_ERR, &rc), "raw é 中");
    ck_assert_str_eq(enc(&b, "\\u0009\\u005c\\u000a", &NUL_ERR, &rc), "\\t\\\\\\n");
    ck_assert_int_eq(rc, COPY_OK);
    enc(&b, "x\\ud83dy", &NUL_ERR, &rc);
    ck_assert_int_eq(rc, COPY_BAD_UNICODE);
    buf_term(&b);
}
END_TEST

START_TEST(nul_handling)
{
    buf b = BUF_INIT;
    int rc;
    enc(&b, "a\\u0000b", &NUL_ERR, &rc);
    ck_assert_int_eq(rc, COPY_NUL);
    ck_assert_str_eq(enc(&b, "a\\u0000b", &NUL_REP, &rc), "a\xef\xbf\xbd"
                                                          "b");
    ck_assert_int_eq(rc, COPY_OK);
    ck_assert_str_eq(enc(&b, "a\\u0000b", &NUL_STR, &rc), "ab");
    /* in a jsonb document */
    const char *doc = "{\"k\":\"a\\u0000b\",\"t\":\"x\\ty\"}";
    buf_reset(&b);
    ck_assert_int_eq(copy_json_raw(&b, doc, strlen(doc), &NUL_ERR), COPY_NUL);
    buf_reset(&b);
    ck_assert_int_eq(copy_json_raw(&b, doc, strlen(doc), &NUL_STR), COPY_OK);
    buf_putc(&b, '\0');
    ck_assert_str_eq(b.data, "{\"k\":\"ab\",\"t\":\"x\\\\ty\"}");
    buf_term(&b);
}
END_TEST

START_TEST(raw_json_and_text)
{
    buf b = BUF_INIT;
    const char *doc = "{\"a\":\t[1, \"x\\\\y\"]}";
    ck_assert_int_eq(copy_json_raw(&b, doc, strlen(doc), &NUL_ERR), COPY_OK);
    buf_putc(&b, '\0');
    ck_assert_str_eq(b.data, "{\"a\":\\t[1, \"x\\\\\\\\y\"]}");
    /* a surrogate pair (how Python taps write an emoji) stays a pair in a jsonb document;
       a lone surrogate is refused */
    const char *emoji = "[\"\\ud83d\\ude00\", \"\\u00e9\"]";
    buf_reset(&b);
    ck_assert_int_eq(copy_json_raw(&b, emoji, strlen(emoji), &NUL_ERR), COPY_OK);
    buf_putc(&b, '\0');
    ck_assert_str_eq(b.data, "[\"\\\\ud83d\\\\ude00\", \"\\\\u00e9\"]");
    const char *lone = "[\"\\ud83dx\"]", *lone_low = "[\"\\ude00\"]";
    buf_reset(&b);
    ck_assert_int_eq(copy_json_raw(&b, lone, strlen(lone), &NUL_ERR), COPY_BAD_UNICODE);
    buf_reset(&b);
    ck_assert_int_eq(copy_json_raw(&b, lone_low, strlen(lone_low), &NUL_ERR), COPY_BAD_UNICODE);
    buf_reset(&b);
    copy_text(&b, "a\tb\nc\\d\re", 9);
    buf_putc(&b, '\0');
    ck_assert_str_eq(b.data, "a\\tb\\nc\\\\d\\re");
    buf_term(&b);
}
END_TEST

START_TEST(integers)
{
    char out[96];
    size_t n;
    ck_assert(conv_integer("42", 2, CK_BIGINT, out, &n));
    ck_assert_str_eq(out, "42");
    ck_assert(conv_integer("1.0", 3, CK_BIGINT, out, &n));
    ck_assert_str_eq(out, "1");
    ck_assert(conv_integer("1e3", 3, CK_INTEGER, out, &n));
    ck_assert_str_eq(out, "1000");
    ck_assert(conv_integer("-0", 2, CK_SMALLINT, out, &n));
    ck_assert_str_eq(out, "0");
    ck_assert(!conv_integer("1.5", 3, CK_BIGINT, out, &n));
    ck_assert(conv_integer("32767", 5, CK_SMALLINT, out, &n));
    ck_assert(!conv_integer("32768", 5, CK_SMALLINT, out, &n));
    ck_assert(conv_integer("-32768", 6, CK_SMALLINT, out, &n));
    ck_assert(!conv_integer("2147483648", 10, CK_INTEGER, out, &n));
    ck_assert(conv_integer("9223372036854775807", 19, CK_BIGINT, out, &n));
    ck_assert(!conv_integer("9223372036854775808", 19, CK_BIGINT, out, &n));
    ck_assert(conv_integer("-9223372036854775808", 20, CK_BIGINT, out, &n));
    ck_assert(!conv_integer("abc", 3, CK_BIGINT, out, &n));
}
END_TEST

START_TEST(timestamps)
{
#define TS(s) conv_timestamp_ok(s, strlen(s), true, false)
    ck_assert(TS("2024-05-01T10:11:12.123456+00:00"));
    ck_assert(TS("2024-05-01T10:11:12Z"));
    ck_assert(TS("2024-05-01 10:11:12+0200"));
    ck_assert(TS("2024-05-01"));
    ck_assert(TS("2024-02-29T00:00:00"));
    ck_assert(TS("infinity"));
    ck_assert(!TS("2023-02-29T00:00:00"));
    ck_assert(!TS("2024-13-01"));
    ck_assert(!TS("not a date"));
    ck_assert(!TS("2024-05-01T25:00:00"));
    ck_assert(!TS(""));
    ck_assert(conv_timestamp_ok("10:11:12.5", 10, false, false));
    ck_assert(!conv_timestamp_ok("10:61", 5, false, false));
    /* leap days of BC years: 5 BC is astronomical year -4 */
    ck_assert(TS("0005-02-29 BC"));
    ck_assert(!TS("0004-02-29 BC"));
    ck_assert(TS("-0004-02-29"));
    ck_assert(!TS("-0001-01-01 BC"));
    ck_assert(!TS("0000-01-01 BC"));
    ck_assert(!TS("1234567-01-01"));
    /* as PostgreSQL takes them: 24:00:00 exactly, "." before a fraction, zones to 15:59:59 */
    ck_assert(TS("2024-05-01 24:00:00+00"));
    ck_assert(TS("2024-05-01 24:00:00.000+00"));
    ck_assert(!TS("2024-05-01 24:00:00.000001+00"));
    ck_assert(!TS("2024-05-01 10:00:00,5+00"));
    ck_assert(TS("2024-05-01 10:00:00+15:59"));
    ck_assert(!TS("2024-05-01 10:00:00+16:00"));
    ck_assert(conv_timestamp_ok("24:00:00", 8, false, false));
    ck_assert(!conv_timestamp_ok("24:00:00.5", 10, false, false));
    ck_assert(!conv_timestamp_ok("10:00:00+16:00", 14, false, false));
#undef TS
}
END_TEST

/* the COPY text of a value; "BAD" / "RANGE" when refused */
static const char *dt(buf *b, const char *s, col_kind kind)
{
    buf_reset(b);
    conv_dt_result r = conv_datetime(b, s, strlen(s), kind);
    if (r != CONV_DT_OK)
        return r == CONV_DT_RANGE ? "RANGE" : "BAD";
    buf_putc(b, '\0');
    return b->data;
}

START_TEST(datetime_text)
{
    buf b = BUF_INIT;
    /* years 0001-9999: the text as it is */
    ck_assert_str_eq(dt(&b, "2024-05-01T10:11:12.123456+02:00", CK_TIMESTAMPTZ),
                     "2024-05-01T10:11:12.123456+02:00");
    ck_assert_str_eq(dt(&b, "infinity", CK_TIMESTAMPTZ), "infinity");
    ck_assert_str_eq(dt(&b, "00:01:00-07:00", CK_TIME), "00:01:00-07:00");
    /* ISO 8601 astronomical years: 0 = 1 BC, -2039 = 2040 BC */
    ck_assert_str_eq(dt(&b, "-2039-04-10T00:00:00+00:00", CK_TIMESTAMPTZ),
                     "2040-04-10T00:00:00+00:00 BC");
    ck_assert_str_eq(dt(&b, "-2039-04-10", CK_DATE), "2040-04-10 BC");
    ck_assert_str_eq(dt(&b, "0000-01-01T00:00:00Z", CK_TIMESTAMPTZ), "0001-01-01T00:00:00Z BC");
    ck_assert_str_eq(dt(&b, "-000001-03-01", CK_DATE), "0002-03-01 BC");
    /* PostgreSQL's own BC text is kept */
    ck_assert_str_eq(dt(&b, "2040-04-10 00:00:00+00 BC", CK_TIMESTAMPTZ),
                     "2040-04-10 00:00:00+00 BC");
    ck_assert_str_eq(dt(&b, "2040-04-10 10:00:00 BC", CK_TIMESTAMPTZ), "2040-04-10 10:00:00 BC");
    /* years past 9999, signed or not */
    ck_assert_str_eq(dt(&b, "+10000-01-01T00:00:00Z", CK_TIMESTAMPTZ), "10000-01-01T00:00:00Z");
    ck_assert_str_eq(dt(&b, "+010000-01-01T00:00:00.000Z", CK_TIMESTAMPTZ),
                     "10000-01-01T00:00:00.000Z");
    ck_assert_str_eq(dt(&b, "294276-12-31T23:59:59.999999Z", CK_TIMESTAMPTZ),
                     "294276-12-31T23:59:59.999999Z");
    ck_assert_str_eq(dt(&b, "999999-12-31", CK_DATE), "999999-12-31");
    /* PostgreSQL's range: 4714-11-24 BC to 294276-12-31 UTC (timestamps) */
    ck_assert_str_eq(dt(&b, "294277-01-01T00:00:00Z", CK_TIMESTAMPTZ), "RANGE");
    ck_assert_str_eq(dt(&b, "294276-12-31T23:00:00-05:00", CK_TIMESTAMPTZ), "RANGE");
    ck_assert_str_eq(dt(&b, "294276-12-31T23:00:00+05:00", CK_TIMESTAMPTZ),
                     "294276-12-31T23:00:00+05:00");
    ck_assert_str_eq(dt(&b, "-4713-11-24T00:00:00Z", CK_TIMESTAMPTZ), "4714-11-24T00:00:00Z BC");
    ck_assert_str_eq(dt(&b, "-4713-11-23T23:59:59Z", CK_TIMESTAMPTZ), "RANGE");
    ck_assert_str_eq(dt(&b, "4714-11-24T00:00:00+01:00 BC", CK_TIMESTAMPTZ), "RANGE");
    ck_assert_str_eq(dt(&b, "-4713-11-24", CK_DATE), "4714-11-24 BC");
    ck_assert_str_eq(dt(&b, "4714-11-23 BC", CK_DATE), "RANGE");
    ck_assert_str_eq(dt(&b, "-9999-01-01", CK_DATE), "RANGE");
    ck_assert_str_eq(dt(&b, "+2024-05-01 BC", CK_DATE), "BAD");
    ck_assert_str_eq(dt(&b, "yesterday", CK_DATE), "BAD");
    ck_assert_uint_eq(dt(&b, "yesterday", CK_DATE)[0] == 'B' ? b.len : 1, 0);
    buf_term(&b);
}
END_TEST

/* the binary field of COPY text s as hex (its bytes after the length), "NULL", or "REFUSED" */
static const char *binf(buf *b, bin_type t, const char *s)
{
    static char hex[512];
    buf_reset(b);
    if (!copy_binary_field(b, t, s, strlen(s))) {
        ck_assert_uint_eq(b->len, 0);
        return "REFUSED";
    }
    const unsigned char *p = (const unsigned char *)b->data;
    long len = (long)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
    if (len == 0xffffffffL) {
        ck_assert_uint_eq(b->len, 4);
        return "NULL";
    }
    ck_assert_uint_eq(b->len, (size_t)len + 4);
    for (long i = 0; i < len && i < 250; i++)
        snprintf(hex + 2 * i, 3, "%02x", p[4 + i]);
    hex[2 * (len < 250 ? len : 250)] = '\0';
    return hex;
}

START_TEST(binary_types)
{
    ck_assert_int_eq(copy_binary_type("bigint"), BIN_INT8);
    ck_assert_int_eq(copy_binary_type("numeric(12,2)"), BIN_NUMERIC);
    ck_assert_int_eq(copy_binary_type("character varying(64)"), BIN_TEXT);
    ck_assert_int_eq(copy_binary_type("timestamp(3) with time zone"), BIN_TIMESTAMPTZ);
    ck_assert_int_eq(copy_binary_type("timestamp with time zone"), BIN_TIMESTAMPTZ);
    ck_assert_int_eq(copy_binary_type("double precision"), BIN_FLOAT8);
    ck_assert_int_eq(copy_binary_type("timestamp without time zone"), BIN_NONE);
    ck_assert_int_eq(copy_binary_type("time with time zone"), BIN_NONE);
    ck_assert_int_eq(copy_binary_type("integer[]"), BIN_NONE);
    ck_assert_int_eq(copy_binary_type("real"), BIN_NONE);
    ck_assert_int_eq(copy_binary_type("varbit"), BIN_VARBIT);
    ck_assert_int_eq(copy_binary_type("my_domain"), BIN_NONE);
    ck_assert_int_eq(copy_binary_type(NULL), BIN_NONE);
}
END_TEST

START_TEST(binary_fields)
{
    buf b = BUF_INIT;
    ck_assert_str_eq(binf(&b, BIN_INT8, "\\N"), "NULL");
    ck_assert_str_eq(binf(&b, BIN_TEXT, "\\N"), "NULL");
    /* integers */
    ck_assert_str_eq(binf(&b, BIN_INT8, "1"), "0000000000000001");
    ck_assert_str_eq(binf(&b, BIN_INT8, "-1"), "ffffffffffffffff");
    ck_assert_str_eq(binf(&b, BIN_INT8, "-0"), "0000000000000000");
    ck_assert_str_eq(binf(&b, BIN_INT8, "-9223372036854775808"), "8000000000000000");
    ck_assert_str_eq(binf(&b, BIN_INT8, "9223372036854775807"), "7fffffffffffffff");
    ck_assert_str_eq(binf(&b, BIN_INT8, "9223372036854775808"), "REFUSED");
    ck_assert_str_eq(binf(&b, BIN_INT8, "99999999999999999999"), "REFUSED");
    ck_assert_str_eq(binf(&b, BIN_INT2, "-32768"), "8000");
    ck_assert_str_eq(binf(&b, BIN_INT2, "32768"), "REFUSED");
    ck_assert_str_eq(binf(&b, BIN_INT4, "-2147483649"), "REFUSED");
    ck_assert_str_eq(binf(&b, BIN_INT4, "007"), "00000007");
    ck_assert_str_eq(binf(&b, BIN_INT4, "1.0"), "REFUSED");
    ck_assert_str_eq(binf(&b, BIN_INT4, "+1"), "REFUSED");
    ck_assert_str_eq(binf(&b, BIN_INT4, " 1"), "REFUSED");
    ck_assert_str_eq(binf(&b, BIN_INT4, ""), "REFUSED");
    ck_assert_str_eq(binf(&b, BIN_INT4, "-"), "REFUSED");
    /* numeric: ndigits, weight, sign, dscale, base-10000 digits */
    ck_assert_str_eq(binf(&b, BIN_NUMERIC, "123.45"), "0002000000000002007b1194");
    ck_assert_str_eq(binf(&b, BIN_NUMERIC, "-123.45"), "0002000040000002007b1194");
    ck_assert_str_eq(binf(&b, BIN_NUMERIC, "0.001"), "0001ffff00000003000a");
    ck_assert_str_eq(binf(&b, BIN_NUMERIC, "-0.00"), "0000000000000002");
    ck_assert_str_eq(binf(&b, BIN_NUMERIC, "1e3"), "000100000000000003e8");
    ck_assert_str_eq(binf(&b, BIN_NUMERIC, "10000"), "0001000100000000"
                                                     "0001");
    ck_assert_str_eq(binf(&b, BIN_NUMERIC, "1.5e-7"), "0001fffe00000008000f");
    ck_assert_str_eq(binf(&b, BIN_NUMERIC, "1.50"), "00020000000000020001"
                                                    "1388");
    ck_assert_str_eq(binf(&b, BIN_NUMERIC, ".5"), "0001ffff00000001"
                                                  "1388");
    ck_assert_str_eq(binf(&b, BIN_NUMERIC, "+5."), "00010000000000000005");
    ck_assert_str_eq(binf(&b, BIN_NUMERIC, "NaN"), "REFUSED");
    ck_assert_str_eq(binf(&b, BIN_NUMERIC, "Infinity"), "REFUSED");
    ck_assert_str_eq(binf(&b, BIN_NUMERIC, "1e1001"), "REFUSED");
    ck_assert_str_eq(binf(&b, BIN_NUMERIC, "1e"), "REFUSED");
    ck_assert_str_eq(binf(&b, BIN_NUMERIC, "."), "REFUSED");
    ck_assert_str_eq(binf(&b, BIN_NUMERIC, "1 "), "REFUSED");
    /* timestamptz: microseconds since 2000-01-01 UTC */
    ck_assert_str_eq(binf(&b, BIN_TIMESTAMPTZ, "2000-01-01T00:00:00Z"), "0000000000000000");
    ck_assert_str_eq(binf(&b, BIN_TIMESTAMPTZ, "2000-01-01"), "0000000000000000");
    ck_assert_str_eq(binf(&b, BIN_TIMESTAMPTZ, "2000-01-01 00:00"), "0000000000000000");
    ck_assert_str_eq(binf(&b, BIN_TIMESTAMPTZ, "2000-01-01 00:00:01+01"), "ffffffff297b9e40");
    ck_assert_str_eq(binf(&b, BIN_TIMESTAMPTZ, "2020-01-01T00:00:37.5+00:00"), "00023e0788fe9460");
    ck_assert_str_eq(binf(&b, BIN_TIMESTAMPTZ, "2024-05-01t10:11:12.123456 +0530"),
                     "0002ba5bdd5dcc40");
    ck_assert_str_eq(binf(&b, BIN_TIMESTAMPTZ, "2020-01-01T10:00:00.1234567Z"), "REFUSED");
    ck_assert_str_eq(binf(&b, BIN_TIMESTAMPTZ, "2020-01-01T24:00:00Z"), "REFUSED");
    ck_assert_str_eq(binf(&b, BIN_TIMESTAMPTZ, "2020-01-01T23:59:60Z"), "REFUSED");
    ck_assert_str_eq(binf(&b, BIN_TIMESTAMPTZ, "2020-02-30T00:00:00Z"), "REFUSED");
    ck_assert_str_eq(binf(&b, BIN_TIMESTAMPTZ, "2019-02-29"), "REFUSED");
    ck_assert_str_eq(binf(&b, BIN_TIMESTAMPTZ, "0000-01-01"), "REFUSED");
    ck_assert_str_eq(binf(&b, BIN_TIMESTAMPTZ, "10000-01-01"), "REFUSED");
    ck_assert_str_eq(binf(&b, BIN_TIMESTAMPTZ, "2040-04-10 10:00:00 BC"), "REFUSED");
    ck_assert_str_eq(binf(&b, BIN_TIMESTAMPTZ, "infinity"), "REFUSED");
    ck_assert_str_eq(binf(&b, BIN_TIMESTAMPTZ, "2020-01-01 10:00:00 Europe/Paris"), "REFUSED");
    ck_assert_str_eq(binf(&b, BIN_TIMESTAMPTZ, "2020-01-01T10:00:00+16:00"), "REFUSED");
    ck_assert_str_eq(binf(&b, BIN_TIMESTAMPTZ, "2020-01-01T10:00:00."), "REFUSED");
    /* date: days since 2000-01-01 */
    ck_assert_str_eq(binf(&b, BIN_DATE, "2000-01-02"), "00000001");
    ck_assert_str_eq(binf(&b, BIN_DATE, "1999-12-31"), "ffffffff");
    ck_assert_str_eq(binf(&b, BIN_DATE, "2020-01-01T00:00:00Z"), "REFUSED");
    /* the rest */
    ck_assert_str_eq(binf(&b, BIN_BOOL, "t"), "01");
    ck_assert_str_eq(binf(&b, BIN_BOOL, "f"), "00");
    ck_assert_str_eq(binf(&b, BIN_BOOL, "true"), "REFUSED");
    ck_assert_str_eq(binf(&b, BIN_FLOAT8, "1.5"), "3ff8000000000000");
    ck_assert_str_eq(binf(&b, BIN_FLOAT8, "0.1"), "3fb999999999999a");
    ck_assert_str_eq(binf(&b, BIN_FLOAT8, "1e999"), "REFUSED");
    ck_assert_str_eq(binf(&b, BIN_FLOAT8, "inf"), "REFUSED");
    ck_assert_str_eq(binf(&b, BIN_FLOAT8, "0x10"), "REFUSED");
    ck_assert_str_eq(binf(&b, BIN_TEXT, "a\\tb\\\\c"), "6109625c63");
    ck_assert_str_eq(binf(&b, BIN_TEXT, "\\x41\\101\\q\\N"), "4141714e");
    ck_assert_str_eq(binf(&b, BIN_TEXT, "\\b\\f\\n\\r\\v\\xg"), "080c0a0d0b7867");
    ck_assert_str_eq(binf(&b, BIN_TEXT, ""), "");
    ck_assert_str_eq(binf(&b, BIN_TEXT, "end\\"), "REFUSED");
    ck_assert_str_eq(binf(&b, BIN_JSONB, "{\"a\":\"\\\\n\"}"), "017b2261223a225c6e227d");
    ck_assert_str_eq(binf(&b, BIN_JSON, "[1]"), "5b315d");
    ck_assert_str_eq(binf(&b, BIN_UUID, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
                     "a0eebc999c0b4ef8bb6d6bb9bd380a11");
    ck_assert_str_eq(binf(&b, BIN_UUID, "A0EEBC999C0B4EF8BB6D6BB9BD380A11"),
                     "a0eebc999c0b4ef8bb6d6bb9bd380a11");
    ck_assert_str_eq(binf(&b, BIN_UUID, "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}"), "REFUSED");
    ck_assert_str_eq(binf(&b, BIN_UUID, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1g"), "REFUSED");
    ck_assert_str_eq(binf(&b, BIN_BYTEA, "\\\\x0aFF"), "0aff");
    ck_assert_str_eq(binf(&b, BIN_BYTEA, "\\\\x"), "");
    ck_assert_str_eq(binf(&b, BIN_BYTEA, "\\\\x0af"), "REFUSED");
    ck_assert_str_eq(binf(&b, BIN_BYTEA, "0aff"), "REFUSED");
    ck_assert_str_eq(binf(&b, BIN_VARBIT, "0101"), "0000000450");
    ck_assert_str_eq(binf(&b, BIN_VARBIT, "0110000011"), "0000000a60c0");
    ck_assert_str_eq(binf(&b, BIN_VARBIT, ""), "00000000");
    ck_assert_str_eq(binf(&b, BIN_VARBIT, "012"), "REFUSED");
    ck_assert_str_eq(binf(&b, BIN_NONE, "1"), "REFUSED");
    buf_term(&b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("copy");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, string_escapes);
    tcase_add_test(tc, nul_handling);
    tcase_add_test(tc, raw_json_and_text);
    tcase_add_test(tc, integers);
    tcase_add_test(tc, timestamps);
    tcase_add_test(tc, datetime_text);
    tcase_add_test(tc, binary_types);
    tcase_add_test(tc, binary_fields);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
