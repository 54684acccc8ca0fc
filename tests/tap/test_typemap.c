#include "typemap.h"

#include <check.h>
#include <string.h>

static typemap_ctx ctx;
static buf out;

static void setup(void)
{
    typemap_ctx_init(&ctx);
    buf_init(&out);
}

static void teardown(void)
{
    typemap_ctx_term(&ctx);
    buf_term(&out);
    typemap_options none = {0};
    typemap_set_options(&none);
}

/* the JSON value of text for a column of type typname (typtype 'b' unless given) */
static const char *conv_t(const char *typname, char typtype, bool is_array, int typmod,
                          const char *text)
{
    typemap_type t;
    typemap_resolve(&t, typname, typtype, is_array, typmod);
    buf_reset(&out);
    typemap_value(&ctx, &t, &out, text, strlen(text));
    return out.data ? out.data : "";
}

static const char *conv(const char *typname, const char *text)
{
    return conv_t(typname, 'b', false, -1, text);
}

static const char *arr(const char *elem, const char *text)
{
    return conv_t(elem, 'b', true, -1, text);
}

static const char *schema(const char *typname, char typtype, bool is_array, int typmod,
                          bool nullable)
{
    typemap_type t;
    typemap_resolve(&t, typname, typtype, is_array, typmod);
    buf_reset(&out);
    typemap_schema(&out, &t, nullable);
    return out.data;
}

START_TEST(integers)
{
    ck_assert_str_eq(conv("int2", "-32768"), "-32768");
    ck_assert_str_eq(conv("int4", "2147483647"), "2147483647");
    ck_assert_str_eq(conv("int8", "-9223372036854775808"), "-9223372036854775808");
    ck_assert_str_eq(conv("int8", "9223372036854775807"), "9223372036854775807");
}
END_TEST

START_TEST(numerics_exact)
{
    ck_assert_str_eq(conv("numeric", "12345678901234567890.123456789012345678"),
                     "12345678901234567890.123456789012345678");
    ck_assert_str_eq(conv("numeric", "-0.10"), "-0.10");
    ck_assert_str_eq(conv("numeric", "1.50"), "1.50");
    ck_assert_int_eq(ctx.nan_count, 0);
    ck_assert_str_eq(conv("numeric", "NaN"), "null");
    ck_assert_str_eq(conv("numeric", "Infinity"), "null");
    ck_assert_str_eq(conv("numeric", "-Infinity"), "null");
    ck_assert_int_eq(ctx.nan_count, 3);
    ctx.special_numbers_as_strings = true;
    ck_assert_str_eq(conv("numeric", "NaN"), "\"NaN\"");
    ck_assert_str_eq(conv("float8", "-Infinity"), "\"-Infinity\"");
    ck_assert_int_eq(ctx.nan_count, 5);
}
END_TEST

START_TEST(floats)
{
    ck_assert_str_eq(conv("float8", "0.1"), "0.1");
    ck_assert_str_eq(conv("float8", "1e+300"), "1e+300");
    ck_assert_str_eq(conv("float8", "-1.7976931348623157e+308"), "-1.7976931348623157e+308");
    ck_assert_str_eq(conv("float4", "3.4028235e+38"), "3.4028235e+38");
    ck_assert_str_eq(conv("float4", "NaN"), "null");
    ck_assert_str_eq(conv("float4", "Infinity"), "null");
    ck_assert_str_eq(conv("float8", "-0"), "-0");
}
END_TEST

/* text that is not a number (never printed by PostgreSQL for these types) is a string, counted,
   never bare text that breaks the RECORD line (found by tests/fuzz/fuzz_copy_text) */
START_TEST(numbers_not_numbers)
{
    ck_assert_str_eq(conv("int4", "-infinity"), "\"-infinity\"");
    ck_assert_str_eq(conv("int8", "12a"), "\"12a\"");
    ck_assert_str_eq(conv("int2", "-"), "\"-\"");
    ck_assert_str_eq(conv("int4", "1.5"), "\"1.5\"");
    ck_assert_str_eq(conv("numeric", "1e"), "\"1e\"");
    ck_assert_str_eq(conv("numeric", "\"1\",2"), "\"\\\"1\\\",2\"");
    ck_assert_str_eq(conv("float8", "1.5e-07x"), "\"1.5e-07x\"");
    ck_assert_str_eq(conv("float8", ".5"), "\".5\"");
    ck_assert_str_eq(arr("int4", "{1,x}"), "[1,\"x\"]");
    ck_assert_int_eq(ctx.bad_values, 9);
    /* what PostgreSQL prints stays a number */
    ck_assert_str_eq(conv("numeric", "0.000"), "0.000");
    ck_assert_str_eq(conv("float8", "-1.5e-07"), "-1.5e-07");
    ck_assert_str_eq(conv("float4", "1e+38"), "1e+38");
    ck_assert_str_eq(conv("int4", "0"), "0");
    ck_assert_int_eq(ctx.bad_values, 9);
}
END_TEST

/* the value of text for a column of type typname whose (base) type has OID oid */
static const char *conv_oid(const char *typname, unsigned int oid, const char *text)
{
    typemap_type t;
    typemap_resolve(&t, typname, 'b', false, -1);
    typemap_set_oid(&t, oid);
    buf_reset(&out);
    typemap_value(&ctx, &t, &out, text, strlen(text));
    return out.data ? out.data : "";
}

START_TEST(builtin_numbers_unchecked)
{
    /* PostgreSQL's own int4 (23), numeric (1700), float8 (701): copied as printed */
    ck_assert_str_eq(conv_oid("int4", 23, "-2147483648"), "-2147483648");
    ck_assert_str_eq(conv_oid("numeric", 1700, "12.50"), "12.50");
    ck_assert_str_eq(conv_oid("float8", 701, "1.5e-07"), "1.5e-07");
    ck_assert_int_eq(ctx.bad_values, 0);
    /* NaN / Infinity of a built-in type: still the special numbers (null, counted) */
    ck_assert_str_eq(conv_oid("numeric", 1700, "NaN"), "null");
    ck_assert_str_eq(conv_oid("float8", 701, "-Infinity"), "null");
    ck_assert_int_eq(ctx.nan_count, 2);
    /* a user-defined type of the same name (OID >= 16384), or no OID: checked */
    ck_assert_str_eq(conv_oid("int4", 16385, "12a"), "\"12a\"");
    ck_assert_str_eq(conv_oid("numeric", 0, "1e"), "\"1e\"");
    ck_assert_int_eq(ctx.bad_values, 2);
    /* a built-in type of another kind is not marked */
    typemap_type t;
    typemap_resolve(&t, "text", 'b', false, -1);
    typemap_set_oid(&t, 25);
    ck_assert(!t.pg_number);
}
END_TEST

START_TEST(booleans_and_bits)
{
    ck_assert_str_eq(conv("bool", "t"), "true");
    ck_assert_str_eq(conv("bool", "f"), "false");
    ck_assert_str_eq(conv_t("bit", 'b', false, 1, "1"), "true");
    ck_assert_str_eq(conv_t("bit", 'b', false, 1, "0"), "false");
    ck_assert_str_eq(conv_t("bit", 'b', false, 3, "101"), "\"101\"");
    ck_assert_str_eq(conv_t("varbit", 'b', false, -1, "10110"), "\"10110\"");
}
END_TEST

START_TEST(strings)
{
    ck_assert_str_eq(conv("text", "plain"), "\"plain\"");
    ck_assert_str_eq(conv("text", "q\"b\\s/"), "\"q\\\"b\\\\s/\"");
    ck_assert_str_eq(conv("text", "tab\tnl\ncr\r\x01"), "\"tab\\tnl\\ncr\\r\\u0001\"");
    ck_assert_str_eq(conv("varchar", "héllo ✓ 😀"), "\"héllo ✓ 😀\"");
    ck_assert_str_eq(conv("bpchar", "ab  "), "\"ab  \"");
    ck_assert_str_eq(conv("uuid", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
                     "\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"");
    ck_assert_str_eq(conv("citext", "MiXed"), "\"MiXed\"");
    ck_assert_str_eq(conv_t("mood", 'e', false, -1, "happy"), "\"happy\"");
}
END_TEST

START_TEST(pipelinewise_dropped_types_are_strings)
{
    ck_assert_str_eq(conv("interval", "P1Y2M3DT4H5M6.5S"), "\"P1Y2M3DT4H5M6.5S\"");
    ck_assert_str_eq(conv("bytea", "\\x0102ff"), "\"\\\\x0102ff\"");
    ck_assert_str_eq(conv("xml", "<a x=\"1\">t</a>"), "\"<a x=\\\"1\\\">t</a>\"");
    ck_assert_str_eq(conv_t("int4range", 'r', false, -1, "[1,5)"), "\"[1,5)\"");
    ck_assert_str_eq(conv("point", "(1,2)"), "\"(1,2)\"");
    ck_assert_str_eq(conv("tsvector", "'a':1 'b':2"), "\"'a':1 'b':2\"");
    ck_assert_str_eq(conv("money", "$1,000.50"), "\"$1,000.50\"");
    ck_assert_str_eq(conv("oid", "12345"), "\"12345\"");
    ck_assert_str_eq(conv("inet", "192.168.0.1/24"), "\"192.168.0.1/24\"");
    ck_assert_str_eq(conv("some_extension_type", "x"), "\"x\"");
}
END_TEST

START_TEST(json_values)
{
    ck_assert_str_eq(conv("jsonb", "{\"a\": [1, 2.50, null]}"), "{\"a\": [1, 2.50, null]}");
    ck_assert_str_eq(conv("json", "{\"a\":\n  1,\r\n \"b\": \"x\"}"),
                     "{\"a\":   1,   \"b\": \"x\"}");
    ck_assert_str_eq(conv("jsonb", "[]"), "[]");
    ck_assert_str_eq(conv("jsonb", "\"s\""), "\"s\"");
    /* scalars are JSON values too: written as they are (and the schema admits them) */
    ck_assert_str_eq(conv("json", "3.14"), "3.14");
    ck_assert_str_eq(conv("jsonb", "22"), "22");
    ck_assert_str_eq(conv("jsonb", "true"), "true");
    ck_assert_str_eq(conv("jsonb", "null"), "null");
    ck_assert_int_eq(ctx.bad_values, 0);
    ck_assert_int_eq(ctx.json_not_object_count, 0);
}
END_TEST

START_TEST(hstore_values)
{
    ck_assert_str_eq(conv("hstore", "\"a\"=>\"1\", \"b c\"=>NULL, \"q\\\"\"=>\"\\\\x\""),
                     "{\"a\":\"1\",\"b c\":null,\"q\\\"\":\"\\\\x\"}");
    ck_assert_str_eq(conv("hstore", ""), "{}");
    ck_assert_int_eq(ctx.bad_values, 0);
    ck_assert_str_eq(conv("hstore", "\"a\"=>"), "\"\\\"a\\\"=>\"");
    ck_assert_int_eq(ctx.bad_values, 1);
}
END_TEST

START_TEST(dates_and_times)
{
    ck_assert_str_eq(conv("date", "2024-02-29"), "\"2024-02-29T00:00:00+00:00\"");
    ck_assert_str_eq(conv("timestamp", "2024-05-01 10:11:12.5"),
                     "\"2024-05-01T10:11:12.500000+00:00\"");
    ck_assert_str_eq(conv("timestamptz", "2024-05-01 10:11:12.123456+00"),
                     "\"2024-05-01T10:11:12.123456+00:00\"");
    ck_assert_str_eq(conv("timestamptz", "2024-05-01 01:00:00+02"),
                     "\"2024-04-30T23:00:00+00:00\"");
    ck_assert_str_eq(conv("time", "10:11:12.000123"), "\"10:11:12.000123\"");
    ck_assert_str_eq(conv("timetz", "10:11:12.5+02"), "\"10:11:12.5+02:00\"");
    ck_assert_int_eq(ctx.pos_infinity_count + ctx.neg_infinity_count, 0);
    ck_assert_str_eq(conv("timestamptz", "infinity"), "\"9999-12-31T23:59:59.999999+00:00\"");
    ck_assert_str_eq(conv("timestamp", "-infinity"), "\"0001-01-01T00:00:00+00:00\"");
    ck_assert_str_eq(conv("date", "infinity"), "\"9999-12-31T23:59:59.999999+00:00\"");
    ck_assert_int_eq(ctx.pos_infinity_count, 2);
    ck_assert_int_eq(ctx.neg_infinity_count, 1);
    ck_assert_str_eq(conv("timestamptz", "not a time"), "\"not a time\"");
    ck_assert_int_eq(ctx.bad_values, 1);
}
END_TEST

/* never an invalid date-time: years outside 0001-9999 (in UTC) are clamped and counted */
START_TEST(dates_out_of_range)
{
    ck_assert_str_eq(conv("date", "0044-03-15 BC"), "\"0001-01-01T00:00:00+00:00\"");
    ck_assert_str_eq(conv("date", "4713-04-03 BC"), "\"0001-01-01T00:00:00+00:00\"");
    ck_assert_str_eq(conv("timestamp", "10000-09-01 20:10:56"),
                     "\"9999-12-31T23:59:59.999999+00:00\"");
    ck_assert_str_eq(conv("timestamptz", "9999-12-31 23:59:59.999999-03"),
                     "\"9999-12-31T23:59:59.999999+00:00\"");
    ck_assert_str_eq(conv("timestamptz", "0001-01-01 00:00:00.000123+04"),
                     "\"0001-01-01T00:00:00+00:00\"");
    ck_assert_str_eq(arr("date", "{\"4713-01-01 BC\",2024-01-01,10000-01-01}"),
                     "[\"0001-01-01T00:00:00+00:00\",\"2024-01-01T00:00:00+00:00\","
                     "\"9999-12-31T23:59:59.999999+00:00\"]");
    ck_assert_int_eq(ctx.clamped_low_count, 4);
    ck_assert_int_eq(ctx.clamped_high_count, 3);
    ck_assert_int_eq(ctx.pos_infinity_count + ctx.neg_infinity_count + ctx.bad_values, 0);
}
END_TEST

/* RFC 3339 times end at 23:59:59: 24:00:00 is the day's last microsecond, counted */
START_TEST(time_24)
{
    ck_assert_str_eq(conv("time", "24:00:00"), "\"23:59:59.999999\"");
    ck_assert_str_eq(conv("timetz", "24:00:00+02"), "\"23:59:59.999999+02:00\"");
    ck_assert_str_eq(conv("timetz", "24:00:00-05:30"), "\"23:59:59.999999-05:30\"");
    ck_assert_str_eq(arr("time", "{00:00:00,24:00:00}"), "[\"00:00:00\",\"23:59:59.999999\"]");
    ck_assert_int_eq(ctx.time_24_count, 4);
    ck_assert_str_eq(conv("time", "23:59:59.999999"), "\"23:59:59.999999\"");
    ck_assert_int_eq(ctx.time_24_count, 4);
}
END_TEST

START_TEST(arrays)
{
    ck_assert_str_eq(arr("int4", "{1,2,3}"), "[1,2,3]");
    ck_assert_str_eq(arr("int4", "{}"), "[]");
    ck_assert_str_eq(arr("int4", "{1,NULL,3}"), "[1,null,3]");
    ck_assert_str_eq(arr("int4", "{{1,2},{3,4}}"), "[[1,2],[3,4]]");
    ck_assert_str_eq(arr("int4", "{{{1},{2}},{{3},{4}}}"), "[[[1],[2]],[[3],[4]]]");
    ck_assert_str_eq(arr("int4", "[0:1]={7,8}"), "[7,8]");
    ck_assert_str_eq(arr("text", "{a,\"b c\",\"q\\\"x\",\"back\\\\slash\",NULL,\"NULL\"}"),
                     "[\"a\",\"b c\",\"q\\\"x\",\"back\\\\slash\",null,\"NULL\"]");
    ck_assert_str_eq(arr("text", "{\"{braces}\",\"a,b\",\"\"}"), "[\"{braces}\",\"a,b\",\"\"]");
    ck_assert_str_eq(arr("numeric", "{1.50,NaN}"), "[1.50,null]");
    ck_assert_str_eq(arr("bool", "{t,f}"), "[true,false]");
    ck_assert_str_eq(arr("timestamptz", "{\"2024-01-01 00:00:00+00\",infinity}"),
                     "[\"2024-01-01T00:00:00+00:00\",\"9999-12-31T23:59:59.999999+00:00\"]");
    ck_assert_str_eq(arr("jsonb", "{\"{\\\"a\\\": 1}\",NULL}"), "[{\"a\": 1},null]");
    ck_assert_str_eq(arr("box", "{(1,1),(0,0);(2,2),(1,1)}"), "[\"(1,1),(0,0)\",\"(2,2),(1,1)\"]");
    ck_assert_str_eq(arr("text", "{é,\"✓ x\"}"), "[\"é\",\"✓ x\"]");
    ck_assert_int_eq(ctx.bad_values, 0);
    ck_assert_str_eq(arr("int4", "{1,2"), "\"{1,2\"");
    ck_assert_int_eq(ctx.bad_values, 1);
}
END_TEST

/* the element delimiter is the element type's typdelim, as discovery reads it */
START_TEST(array_delimiters)
{
    typemap_type t;
    typemap_resolve(&t, "geometry", 'b', true, -1);
    t.delim = ':'; /* PostGIS geometry's typdelim */
    const char *v = "{0101000000000000000000F03F0000000000000040:NULL:"
                    "01020000000200000000000000000000000000000000000000}";
    buf_reset(&out);
    typemap_value(&ctx, &t, &out, v, strlen(v));
    ck_assert_str_eq(out.data, "[\"0101000000000000000000F03F0000000000000040\",null,"
                               "\"01020000000200000000000000000000000000000000000000\"]");
    v = "{{a:\"b:c\"}:{NULL:d}}";
    buf_reset(&out);
    typemap_value(&ctx, &t, &out, v, strlen(v));
    ck_assert_str_eq(out.data, "[[\"a\",\"b:c\"],[null,\"d\"]]");
    /* with ':' as the delimiter a comma is part of the element */
    v = "{a,b:c}";
    buf_reset(&out);
    typemap_value(&ctx, &t, &out, v, strlen(v));
    ck_assert_str_eq(out.data, "[\"a,b\",\"c\"]");
    ck_assert_int_eq(ctx.bad_values, 0);
}
END_TEST

/* MeltanoLabs' dates_as_string: PostgreSQL's text, a plain string schema (time unchanged) */
START_TEST(dates_as_string)
{
    typemap_options o = {.dates_as_string = true};
    typemap_set_options(&o);
    ck_assert_str_eq(conv("date", "4713-04-03 BC"), "\"4713-04-03 BC\"");
    ck_assert_str_eq(conv("timestamp", "10000-09-01 20:10:56"), "\"10000-09-01 20:10:56\"");
    ck_assert_str_eq(conv("timestamptz", "infinity"), "\"infinity\"");
    ck_assert_str_eq(arr("timestamptz", "{\"2024-01-01 00:00:00+00\",-infinity}"),
                     "[\"2024-01-01 00:00:00+00\",\"-infinity\"]");
    ck_assert_int_eq(ctx.clamped_low_count + ctx.clamped_high_count, 0);
    ck_assert_int_eq(ctx.pos_infinity_count + ctx.neg_infinity_count, 0);
    ck_assert_str_eq(schema("date", 'b', false, -1, true), "{\"type\":[\"null\",\"string\"]}");
    ck_assert_str_eq(schema("timestamptz", 'b', false, -1, false), "{\"type\":[\"string\"]}");
    ck_assert_str_eq(schema("timestamp", 'b', true, -1, true),
                     "{\"type\":[\"null\",\"array\"],\"items\":{\"$ref\":\"#/definitions/"
                     "sdc_recursive_string_array\"}}");
    ck_assert_str_eq(
        schema("time", 'b', false, -1, true),
        "{\"type\":[\"null\",\"string\"],\"format\":\"time\",\"x-sql-datatype\":\"time\"}");
    /* a scalar keeps its kind: an INCREMENTAL key at infinity is still recognised */
    typemap_type t;
    typemap_resolve(&t, "timestamptz", 'b', false, -1);
    ck_assert_int_eq(t.kind, TM_TIMESTAMP);
}
END_TEST

/* MeltanoLabs' json_as_object: typed as object; other values kept, counted */
START_TEST(json_as_object)
{
    typemap_options o = {.json_as_object = true};
    typemap_set_options(&o);
    ck_assert_str_eq(schema("jsonb", 'b', false, -1, true), "{\"type\":[\"null\",\"object\"]}");
    ck_assert_str_eq(schema("json", 'b', true, -1, true),
                     "{\"type\":[\"null\",\"array\"],\"items\":{\"$ref\":\"#/definitions/"
                     "sdc_recursive_object_array\"}}");
    ck_assert_str_eq(conv("jsonb", "{\"a\": 1}"), "{\"a\": 1}");
    ck_assert_str_eq(conv("json", " \n{}"), "  {}");
    ck_assert_int_eq(ctx.json_not_object_count, 0);
    ck_assert_str_eq(conv("jsonb", "[1]"), "[1]");
    ck_assert_str_eq(conv("jsonb", "3.14"), "3.14");
    ck_assert_int_eq(ctx.json_not_object_count, 2);
}
END_TEST

START_TEST(schemas)
{
    ck_assert_str_eq(schema("int2", 'b', false, -1, false),
                     "{\"type\":[\"integer\"],\"minimum\":-32768,\"maximum\":32767}");
    ck_assert_str_eq(schema("int8", 'b', false, -1, true),
                     "{\"type\":[\"null\",\"integer\"],\"minimum\":-9223372036854775808,"
                     "\"maximum\":9223372036854775807}");
    /* numeric(10,2): typmod = (10 << 16 | 2) + 4 */
    ck_assert_str_eq(schema("numeric", 'b', false, ((10 << 16) | 2) + 4, true),
                     "{\"type\":[\"null\",\"number\"],\"exclusiveMaximum\":true,\"maximum\":1e8,"
                     "\"multipleOf\":1e-2,\"exclusiveMinimum\":true,\"minimum\":-1e8}");
    ck_assert_str_eq(schema("numeric", 'b', false, -1, true), "{\"type\":[\"null\",\"number\"]}");
    ck_assert_str_eq(schema("varchar", 'b', false, 24, true),
                     "{\"type\":[\"null\",\"string\"],\"maxLength\":20}");
    ck_assert_str_eq(schema("text", 'b', false, -1, true), "{\"type\":[\"null\",\"string\"]}");
    ck_assert_str_eq(schema("timestamptz", 'b', false, -1, true),
                     "{\"type\":[\"null\",\"string\"],\"format\":\"date-time\"}");
    ck_assert_str_eq(schema("date", 'b', false, -1, false),
                     "{\"type\":[\"string\"],\"format\":\"date-time\"}");
    ck_assert_str_eq(schema("timetz", 'b', false, -1, true),
                     "{\"type\":[\"null\",\"string\"],\"format\":\"time\"}");
    /* a time column says so (format time alone may become timetz in a target) */
    ck_assert_str_eq(
        schema("time", 'b', false, -1, true),
        "{\"type\":[\"null\",\"string\"],\"format\":\"time\",\"x-sql-datatype\":\"time\"}");
    ck_assert_str_eq(
        schema("jsonb", 'b', false, -1, true),
        "{\"type\":[\"null\",\"object\",\"array\",\"string\",\"number\",\"boolean\"]}");
    ck_assert_str_eq(schema("json", 'b', false, -1, false),
                     "{\"type\":[\"object\",\"array\",\"string\",\"number\",\"boolean\"]}");
    ck_assert_str_eq(schema("jsonb", 'b', true, -1, true),
                     "{\"type\":[\"null\",\"array\"],\"items\":{\"$ref\":\"#/definitions/"
                     "sdc_recursive_json_array\"}}");
    ck_assert_str_eq(schema("hstore", 'b', false, -1, true),
                     "{\"type\":[\"null\",\"object\"],\"properties\":{}}");
    ck_assert_str_eq(schema("bit", 'b', false, 1, true), "{\"type\":[\"null\",\"boolean\"]}");
    ck_assert_str_eq(schema("bit", 'b', false, 8, true), "{\"type\":[\"null\",\"string\"]}");
    ck_assert_str_eq(schema("interval", 'b', false, -1, true), "{\"type\":[\"null\",\"string\"]}");
    ck_assert_str_eq(schema("mood", 'e', false, -1, true), "{\"type\":[\"null\",\"string\"]}");
    ck_assert_str_eq(schema("int4", 'b', true, -1, true),
                     "{\"type\":[\"null\",\"array\"],\"items\":{\"$ref\":\"#/definitions/"
                     "sdc_recursive_integer_array\"}}");
    ck_assert_str_eq(schema("timestamptz", 'b', true, -1, true),
                     "{\"type\":[\"null\",\"array\"],\"items\":{\"$ref\":\"#/definitions/"
                     "sdc_recursive_timestamp_array\"}}");
}
END_TEST

START_TEST(definitions)
{
    buf_reset(&out);
    typemap_array_definitions(&out);
    ck_assert_ptr_nonnull(strstr(out.data, "\"sdc_recursive_timestamp_array\":{\"type\":[\"null\","
                                           "\"string\",\"array\"],\"format\":\"date-time\","));
    ck_assert_ptr_nonnull(
        strstr(out.data, "\"sdc_recursive_json_array\":{\"type\":[\"null\",\"object\",\"array\","
                         "\"string\",\"number\",\"boolean\"],\"items\":{\"$ref\":\"#/"
                         "definitions/sdc_recursive_json_array\"}}"));
}
END_TEST

/* numeric(p,s)[]: pipelinewise's sdc_recursive_decimal_<p>_<s>_array */
START_TEST(decimal_array_definitions)
{
    int typmod = ((5 << 16) | 2) + 4;
    ck_assert_str_eq(schema("numeric", 'b', true, typmod, true),
                     "{\"type\":[\"null\",\"array\"],\"items\":{\"$ref\":\"#/definitions/"
                     "sdc_recursive_decimal_5_2_array\"}}");
    typemap_type a, b, c, u, i;
    typemap_resolve(&a, "numeric", 'b', true, typmod);
    typemap_resolve(&b, "numeric", 'b', true, typmod);
    typemap_resolve(&c, "numeric", 'b', true, ((7 << 16) | 0) + 4);
    typemap_resolve(&u, "numeric", 'b', true, -1);
    typemap_resolve(&i, "int4", 'b', true, -1);
    buf_reset(&out);
    ck_assert(typemap_column_definition(&out, &a));
    ck_assert_str_eq(out.data,
                     ",\"sdc_recursive_decimal_5_2_array\":{\"type\":[\"null\",\"number\","
                     "\"array\"],\"exclusiveMaximum\":true,\"maximum\":1e3,\"multipleOf\":"
                     "1e-2,\"exclusiveMinimum\":true,\"minimum\":-1e3,\"items\":{\"$ref\":"
                     "\"#/definitions/sdc_recursive_decimal_5_2_array\"}}");
    buf_reset(&out);
    ck_assert(!typemap_column_definition(&out, &u));
    ck_assert(!typemap_column_definition(&out, &i));
    ck_assert_uint_eq(out.len, 0);
    ck_assert(typemap_same_definition(&a, &b));
    ck_assert(!typemap_same_definition(&a, &c));
    ck_assert(!typemap_same_definition(&u, &u));
    ck_assert_str_eq(schema("numeric", 'b', true, -1, true),
                     "{\"type\":[\"null\",\"array\"],\"items\":{\"$ref\":\"#/definitions/"
                     "sdc_recursive_number_array\"}}");
}
END_TEST

START_TEST(no_allocation_per_value)
{
    /* after warm-up, converting many values keeps the same scratch buffers */
    typemap_type t;
    typemap_resolve(&t, "text", 'b', true, -1);
    const char *v = "{\"a b\",\"c\\\"d\",NULL}";
    typemap_value(&ctx, &t, &out, v, strlen(v));
    char *scratch = ctx.scratch.data;
    for (int i = 0; i < 1000; i++) {
        buf_reset(&out);
        typemap_value(&ctx, &t, &out, v, strlen(v));
    }
    ck_assert_ptr_eq(ctx.scratch.data, scratch);
    ck_assert_str_eq(out.data, "[\"a b\",\"c\\\"d\",null]");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("typemap");
    TCase *tc = tcase_create("values");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, integers);
    tcase_add_test(tc, numerics_exact);
    tcase_add_test(tc, floats);
    tcase_add_test(tc, numbers_not_numbers);
    tcase_add_test(tc, builtin_numbers_unchecked);
    tcase_add_test(tc, booleans_and_bits);
    tcase_add_test(tc, strings);
    tcase_add_test(tc, pipelinewise_dropped_types_are_strings);
    tcase_add_test(tc, json_values);
    tcase_add_test(tc, hstore_values);
    tcase_add_test(tc, dates_and_times);
    tcase_add_test(tc, arrays);
    tcase_add_test(tc, dates_out_of_range);
    tcase_add_test(tc, time_24);
    tcase_add_test(tc, array_delimiters);
    tcase_add_test(tc, dates_as_string);
    tcase_add_test(tc, json_as_object);
    tcase_add_test(tc, definitions);
    tcase_add_test(tc, decimal_array_definitions);
    tcase_add_test(tc, schemas);
    tcase_add_test(tc, no_allocation_per_value);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
