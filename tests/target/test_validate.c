#include "validate.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* compile schema text; the test fails when it does not compile */
static validator *mk(const char *schema_text)
{
    cJSON *schema = cJSON_Parse(schema_text);
    ck_assert_msg(schema != NULL, "bad test schema JSON: %s", schema_text);
    char err[256];
    validator *v = validate_create(schema, err, sizeof(err));
    cJSON_Delete(schema);
    ck_assert_msg(v != NULL, "schema rejected: %s (%s)", err, schema_text);
    return v;
}

/* the message of a schema that must not compile */
static const char *bad_schema(const char *schema_text)
{
    static char err[256];
    cJSON *schema = cJSON_Parse(schema_text);
    ck_assert_msg(schema != NULL, "bad test schema JSON: %s", schema_text);
    snprintf(err, sizeof(err), "(unset)");
    validator *v = validate_create(schema, err, sizeof(err));
    cJSON_Delete(schema);
    ck_assert_msg(v == NULL, "schema accepted: %s", schema_text);
    return err;
}

/* "ok" when the record conforms, else the validator's message */
static const char *why(const validator *v, const char *record_text)
{
    static char err[512];
    cJSON *rec = cJSON_Parse(record_text);
    ck_assert_msg(rec != NULL, "bad test record JSON: %s", record_text);
    snprintf(err, sizeof(err), "(unset)");
    bool ok = validate_check(v, rec, err, sizeof(err));
    cJSON_Delete(rec);
    if (ok)
        return "ok";
    ck_assert_msg(err[0] != '\0', "no message for %s", record_text);
    return err;
}

#define OK(v, rec) ck_assert_str_eq(why((v), (rec)), "ok")
#define BAD(v, rec, msg) ck_assert_str_eq(why((v), (rec)), (msg))
/* rejected, message not checked (format and bound tables) */
#define NO(v, rec) ck_assert_str_ne(why((v), (rec)), "ok")

/* one case of a table: the record {"<prop>":<value>} (value as JSON text) gives expect: "ok",
   the validator's message, or REJECTED (any message) */
typedef struct vcase {
    const char *prop, *value, *expect;
} vcase;
#define REJECTED NULL

static void check_cases(const validator *v, const vcase *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char rec[256];
        snprintf(rec, sizeof(rec), "{\"%s\":%s}", cases[i].prop, cases[i].value);
        const char *got = why(v, rec);
        if (cases[i].expect)
            ck_assert_msg(strcmp(got, cases[i].expect) == 0, "%s: got \"%s\", expected \"%s\"", rec,
                          got, cases[i].expect);
        else
            ck_assert_msg(strcmp(got, "ok") != 0, "%s: accepted, expected a rejection", rec);
    }
}
#define CHECK_CASES(v, cases) check_cases((v), (cases), sizeof(cases) / sizeof((cases)[0]))

START_TEST(types)
{
    validator *v = mk("{\"type\":\"object\",\"properties\":{"
                      "\"s\":{\"type\":\"string\"},\"i\":{\"type\":\"integer\"},"
                      "\"n\":{\"type\":\"number\"},\"b\":{\"type\":\"boolean\"},"
                      "\"o\":{\"type\":\"object\"},\"a\":{\"type\":\"array\"},"
                      "\"z\":{\"type\":\"null\"},\"ns\":{\"type\":[\"null\",\"string\"]}}}");
    OK(v, "{\"s\":\"x\",\"i\":3,\"n\":2.5,\"b\":true,\"o\":{},\"a\":[],\"z\":null,\"ns\":null}");
    OK(v, "{\"ns\":\"y\",\"b\":false}");
    OK(v, "{\"i\":1.0}"); /* a whole number is an integer in JSON Schema */
    OK(v, "{\"i\":-1e3}");
    OK(v, "{\"i\":9007199254740993}");
    OK(v, "{\"n\":7}"); /* integers are numbers */
    OK(v, "{}");
    BAD(v, "{\"i\":1.5}", "i: expected integer, got number 1.5");
    BAD(v, "{\"i\":\"12\"}", "i: expected integer, got string \"12\"");
    BAD(v, "{\"s\":12}", "s: expected string, got number 12");
    BAD(v, "{\"n\":\"1.5\"}", "n: expected number, got string \"1.5\"");
    BAD(v, "{\"b\":1}", "b: expected boolean, got number 1");
    BAD(v, "{\"b\":\"true\"}", "b: expected boolean, got string \"true\"");
    BAD(v, "{\"o\":[]}", "o: expected object, got array");
    BAD(v, "{\"a\":{}}", "a: expected array, got object");
    BAD(v, "{\"z\":false}", "z: expected null, got boolean false");
    BAD(v, "{\"ns\":1}", "ns: expected string or null, got number 1");
    BAD(v, "[1]", "(root): expected object, got array");
    BAD(v, "{\"s\":\"ok\",\"b\":true,\"a\":[1],\"i\":0.5}", "i: expected integer, got number 0.5");
    validate_destroy(v);
}
END_TEST

/* Singer SDK target cases: unknown properties are fine, null needs "null" in the type */
START_TEST(singer_sdk_cases)
{
    validator *v = mk("{\"type\":\"object\",\"properties\":{"
                      "\"id\":{\"type\":\"integer\"},\"name\":{\"type\":\"string\"},"
                      "\"note\":{\"type\":[\"string\",\"null\"]}}}");
    OK(v, "{\"id\":1,\"name\":\"a\",\"not_in_schema\":{\"x\":[1,2]},\"other\":null}");
    OK(v, "{\"id\":1,\"note\":null}");
    BAD(v, "{\"id\":1,\"name\":null}", "name: null is not allowed (expected string)");
    BAD(v, "{\"id\":null}", "id: null is not allowed (expected integer)");
    validate_destroy(v);
}
END_TEST

START_TEST(null_or_object_without_properties)
{
    validator *v = mk("{\"type\":[\"null\",\"object\"]}");
    OK(v, "{}");
    OK(v, "{\"a\":1,\"b\":{\"c\":[true]}}");
    OK(v, "null");
    BAD(v, "5", "(root): expected object or null, got number 5");
    BAD(v, "\"x\"", "(root): expected object or null, got string \"x\"");
    validate_destroy(v);

    /* the same as a property */
    v = mk("{\"type\":\"object\",\"properties\":{\"extra\":{\"type\":[\"null\",\"object\"]}}}");
    OK(v, "{\"extra\":{\"k\":\"v\"}}");
    OK(v, "{\"extra\":null}");
    BAD(v, "{\"extra\":[]}", "extra: expected object or null, got array");
    validate_destroy(v);
}
END_TEST

START_TEST(nested_paths)
{
    validator *v =
        mk("{\"type\":\"object\",\"properties\":{"
           "\"address\":{\"type\":\"object\",\"properties\":{"
           "\"zip\":{\"type\":\"string\",\"maxLength\":5},"
           "\"geo\":{\"type\":\"object\",\"properties\":{\"lat\":{\"type\":\"number\","
           "\"minimum\":-90,\"maximum\":90}}}},\"required\":[\"zip\"]},"
           "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\",\"minLength\":1}},"
           "\"matrix\":{\"type\":\"array\",\"items\":{\"type\":\"array\",\"items\":{\"type\":"
           "\"integer\"}}},"
           "\"people\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{"
           "\"name\":{\"type\":\"string\"}},\"required\":[\"name\"]}}}}");
    OK(v, "{\"address\":{\"zip\":\"12345\",\"geo\":{\"lat\":45.5}},\"tags\":[\"a\",\"b\"],"
          "\"matrix\":[[1,2],[3]],\"people\":[{\"name\":\"x\"}]}");
    BAD(v, "{\"address\":{\"zip\":\"1234567\"}}",
        "address.zip: longer than maxLength 5 (7 characters)");
    BAD(v, "{\"address\":{\"zip\":\"1\",\"geo\":{\"lat\":91}}}",
        "address.geo.lat: 91 is greater than maximum 90");
    BAD(v, "{\"address\":{}}", "address.zip: required property is missing");
    BAD(v, "{\"tags\":[\"a\",\"b\",\"c\",\"\"]}",
        "tags[3]: shorter than minLength 1 (0 characters)");
    BAD(v, "{\"tags\":[\"a\",7]}", "tags[1]: expected string, got number 7");
    BAD(v, "{\"matrix\":[[1],[2,3.5]]}", "matrix[1][1]: expected integer, got number 3.5");
    BAD(v, "{\"people\":[{\"name\":\"a\"},{}]}", "people[1].name: required property is missing");
    validate_destroy(v);

    /* arrays at the root */
    v = mk("{\"type\":\"array\",\"items\":{\"type\":\"integer\"}}");
    BAD(v, "[1,2,\"x\"]", "[2]: expected integer, got string \"x\"");
    validate_destroy(v);
}
END_TEST

START_TEST(required)
{
    validator *v = mk("{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"integer\"},"
                      "\"b\":{}},\"required\":[\"id\",\"not_a_property\",\"id\"]}");
    OK(v, "{\"id\":1,\"not_a_property\":null}");
    BAD(v, "{\"not_a_property\":1}", "id: required property is missing");
    BAD(v, "{\"id\":1}", "not_a_property: required property is missing");
    BAD(v, "{\"id\":1,\"id\":2}", "not_a_property: required property is missing");
    validate_destroy(v);

    /* more required properties than the 64 tracked in a bit mask */
    char schema[8192], rec[4096];
    size_t sl = 0, rl = 0;
    sl += (size_t)snprintf(schema + sl, sizeof(schema) - sl, "{\"properties\":{");
    for (int i = 0; i < 70; i++)
        sl += (size_t)snprintf(schema + sl, sizeof(schema) - sl, "%s\"p%d\":{\"type\":\"integer\"}",
                               i ? "," : "", i);
    sl += (size_t)snprintf(schema + sl, sizeof(schema) - sl, "},\"required\":[");
    for (int i = 69; i >= 0; i--)
        sl += (size_t)snprintf(schema + sl, sizeof(schema) - sl, "%s\"p%d\"", i < 69 ? "," : "", i);
    snprintf(schema + sl, sizeof(schema) - sl, "]}");
    v = mk(schema);
    rl += (size_t)snprintf(rec + rl, sizeof(rec) - rl, "{");
    for (int i = 0; i < 70; i++)
        rl += (size_t)snprintf(rec + rl, sizeof(rec) - rl, "%s\"p%d\":%d", i ? "," : "", i, i);
    snprintf(rec + rl, sizeof(rec) - rl, "}");
    OK(v, rec);
    BAD(v, "{\"p1\":1}", "p69: required property is missing");
    char *p = strstr(rec, "\"p3\":3,");
    memcpy(p, "\"q3\"", 4); /* drop p3 (one of the bit-tracked) */
    BAD(v, rec, "p3: required property is missing");
    memcpy(p, "\"p3\"", 4);
    p = strstr(rec, "\"p2\":2,");
    memcpy(p, "\"q2\"", 4); /* the 68th required name: looked up */
    BAD(v, rec, "p2: required property is missing");
    validate_destroy(v);
}
END_TEST

START_TEST(lengths_in_code_points)
{
    validator *v = mk("{\"properties\":{\"s\":{\"type\":\"string\",\"maxLength\":5,"
                      "\"minLength\":3}}}");
    OK(v, "{\"s\":\"abc\"}");
    OK(v, "{\"s\":\"abcde\"}");
    OK(v, "{\"s\":\"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\"}");        /* 5 characters, 10 bytes */
    OK(v, "{\"s\":\"日本語\"}");                                     /* 3 characters, 9 bytes */
    OK(v, "{\"s\":\"\\ud83d\\ude00\\ud83d\\ude00\\ud83d\\ude00\"}"); /* 3 emoji, 12 bytes */
    BAD(v, "{\"s\":\"abcdef\"}", "s: longer than maxLength 5 (6 characters)");
    BAD(v, "{\"s\":\"ééééé\\u00e9\"}", "s: longer than maxLength 5 (6 characters)");
    BAD(v, "{\"s\":\"ab\"}", "s: shorter than minLength 3 (2 characters)");
    BAD(v, "{\"s\":\"日本\"}", "s: shorter than minLength 3 (2 characters)");
    validate_destroy(v);
    v = mk("{\"properties\":{\"s\":{\"maxLength\":1,\"minLength\":1}}}");
    OK(v, "{\"s\":500}"); /* length keywords apply to strings only */
    OK(v, "{\"s\":[]}");
    validate_destroy(v);
}
END_TEST

START_TEST(format_date_time)
{
    validator *v = mk("{\"properties\":{\"t\":{\"type\":[\"null\",\"string\"],"
                      "\"format\":\"date-time\"}}}");
    static const vcase cases[] = {
        {"t", "\"2024-05-01T10:11:12+00:00\"", "ok"},
        {"t", "\"2024-05-01T10:11:12Z\"", "ok"},
        {"t", "\"2024-05-01t10:11:12z\"", "ok"},
        {"t", "\"2024-05-01T10:11:12.123456+02:00\"", "ok"},
        {"t", "\"2024-05-01T10:11:12.1-05:30\"", "ok"},
        {"t", "\"2024-02-29T00:00:00+00:00\"", "ok"},
        {"t", "\"2000-02-29T23:59:59+00:00\"", "ok"},
        {"t", "\"2016-12-31T23:59:60Z\"", "ok"},
        {"t", "\"9999-12-31T23:59:59.999999+00:00\"", "ok"},
        {"t", "\"0001-01-01T00:00:00+00:00\"", "ok"},
        {"t", "\"-0043-03-15T12:00:00+00:00\"", "ok"},
        {"t", "\"10000-01-01T00:00:00+00:00\"", "ok"},
        {"t", "\"+010000-01-01T00:00:00.000Z\"", "ok"}, /* JavaScript's toISOString past 9999 */
        {"t", "\"-002039-04-10T00:00:00.000Z\"", "ok"},
        /* PostgreSQL's BC, as the target loads it */
        {"t", "\"2040-04-10T00:00:00+00:00 BC\"", "ok"},
        {"t", "\"2024-05-01T10:11:12\"", "ok"}, /* no offset: taken as UTC, as pipelinewise does */
        {"t", "\"2024-05-01 10:11:12+00:00\"", "ok"}, /* a space for the T, as PostgreSQL prints */
        {"t", "\"2024-05-01T10:11:12+15:59\"", "ok"}, /* PostgreSQL's largest offset */
        {"t", "\"2024-05-01T10:11:12-15:59\"", "ok"},
        /* no offset and PostgreSQL's BC: loaded as such */
        {"t", "\"2040-04-10T00:00:00 BC\"", "ok"},
        /* beyond 9999 (the range is the loader's check) */
        {"t", "\"+275000-01-01T00:00:00Z\"", "ok"},
        {"t", "\"not a date\"", "t: \"not a date\" is not a valid date-time"},
        {"t", "\"\"", REJECTED},
        {"t", "\"2024-13-01T00:00:00Z\"", REJECTED},
        {"t", "\"2024-00-01T00:00:00Z\"", REJECTED},
        {"t", "\"2024-04-31T00:00:00Z\"", REJECTED},
        {"t", "\"2023-02-29T00:00:00Z\"", REJECTED},
        {"t", "\"1900-02-29T00:00:00Z\"", REJECTED},
        {"t", "\"2024-05-01\"", REJECTED},
        {"t", "\"2024-05-01T24:00:00Z\"", REJECTED},
        {"t", "\"2024-05-01T10:60:00Z\"", REJECTED},
        {"t", "\"2024-05-01T10:11:61Z\"", REJECTED},
        {"t", "\"2024-05-01T10:11Z\"", REJECTED},
        {"t", "\"2024-05-01T10:11:12.Z\"", REJECTED},
        {"t", "\"2024-05-01T10:11:12+0000\"", REJECTED},
        {"t", "\"2024-05-01T10:11:12+00\"", REJECTED},
        {"t", "\"2024-05-01T10:11:12+24:00\"", REJECTED},
        /* PostgreSQL refuses offsets past 15:59 */
        {"t", "\"2024-05-01T10:11:12+16:00\"", REJECTED},
        /* a comma before the fraction: PostgreSQL refuses it */
        {"t", "\"2024-05-01T10:11:12,5Z\"", REJECTED},
        {"t", "\"2024-05-01T24:00:00.5Z\"", REJECTED},
        {"t", "\"2024-05-01T10:11:12+00:00 \"", REJECTED},
        {"t", "\"24-05-01T10:11:12Z\"", REJECTED},
        {"t", "\"2024-5-01T10:11:12Z\"", REJECTED},
        {"t", "\"1234567-01-01T00:00:00Z\"", REJECTED},
        {"t", "\"+-2024-05-01T00:00:00Z\"", REJECTED},
        {"t", "\"-2040-04-10T00:00:00+00:00 BC\"", REJECTED},
        {"t", "\"2040-04-10T00:00:00+00:00BC\"", REJECTED},
        {"t", "\"2024-13-01\"", "t: \"2024-13-01\" is not a valid date-time"},
        {"t", "null", "ok"},
    };
    CHECK_CASES(v, cases);
    validate_destroy(v);
}
END_TEST

START_TEST(format_date_and_time)
{
    validator *v = mk("{\"properties\":{\"d\":{\"type\":\"string\",\"format\":\"date\"},"
                      "\"t\":{\"type\":\"string\",\"format\":\"time\"},"
                      "\"u\":{\"format\":\"uri\"},\"n\":{\"format\":\"date\"}}}");
    static const vcase cases[] = {
        {"d", "\"2024-05-01\"", "ok"},
        {"d", "\"2024-02-29\"", "ok"},
        {"d", "\"0000-02-29\"", "ok"},
        {"d", "\"2040-04-10 BC\"", "ok"},
        {"d", "\"2040-04-10 AD\"", REJECTED},
        {"d", "\"2024-13-01\"", "d: \"2024-13-01\" is not a valid date"},
        {"d", "\"not a date\"", "d: \"not a date\" is not a valid date"},
        {"d", "\"2023-02-29\"", REJECTED},
        {"d", "\"2024-05-01T00:00:00Z\"", REJECTED},
        {"d", "\"2024-05-32\"", REJECTED},
        {"d", "\"2024-05-1\"", REJECTED},

        {"t", "\"10:11:12\"", "ok"},
        {"t", "\"10:11:12.123456\"", "ok"},
        {"t", "\"10:11:12Z\"", "ok"},
        {"t", "\"10:11:12+02\"", "ok"},
        {"t", "\"10:11:12.5-05:30\"", "ok"},
        {"t", "\"10:11:12+00:00:30\"", "ok"},
        {"t", "\"00:00:00\"", "ok"},
        {"t", "\"24:00:00\"", "ok"}, /* PostgreSQL's end of day */
        {"t", "\"25:00:00\"", "t: \"25:00:00\" is not a valid time"},
        {"t", "\"24:00:01\"", REJECTED},
        {"t", "\"24:00:00.1\"", REJECTED},
        {"t", "\"24:00:00.000\"", "ok"},
        {"t", "\"10:11:12+15:59:59\"", "ok"},
        {"t", "\"10:11:12+16:00\"", REJECTED}, /* PostgreSQL's limit is 15:59:59 */
        {"t", "\"10:11:12+0530\"", REJECTED},  /* the target would take it; the format does not */
        {"t", "\"10:11:12,5\"", REJECTED},
        {"t", "\"10:11\"", REJECTED},
        {"t", "\"10:61:00\"", REJECTED},
        {"t", "\"10:11:12+\"", REJECTED},
        {"t", "\"10:11:12 \"", REJECTED},
        {"t", "\"noon\"", REJECTED},

        {"u", "\"not checked\"", "ok"}, /* other formats are ignored */
        {"n", "5", "ok"},               /* formats apply to strings only */
    };
    CHECK_CASES(v, cases);
    validate_destroy(v);
}
END_TEST

START_TEST(bounds)
{
    validator *v = mk("{\"properties\":{"
                      "\"a\":{\"type\":\"number\",\"minimum\":0,\"maximum\":10},"
                      "\"b\":{\"type\":\"number\",\"minimum\":0,\"maximum\":10,"
                      "\"exclusiveMinimum\":true,\"exclusiveMaximum\":true},"
                      "\"c\":{\"type\":\"number\",\"exclusiveMinimum\":0,\"exclusiveMaximum\":10},"
                      "\"d\":{\"type\":\"number\",\"minimum\":0,\"exclusiveMinimum\":false},"
                      "\"e\":{\"type\":\"number\",\"maximum\":100,\"exclusiveMaximum\":5}}}");
    OK(v, "{\"a\":0,\"b\":0.001,\"c\":9.999,\"d\":0}");
    static const vcase cases[] = {
        {"a", "10", "ok"},
        {"a", "-0.5", "a: -0.5 is less than minimum 0"},
        {"a", "10.000001", "a: 10.000001 is greater than maximum 10"},
        {"b", "0", "b: 0 is not greater than minimum 0"},
        {"b", "10", "b: 10 is not less than maximum 10"},
        {"b", "9.99999999", "ok"},
        {"c", "0", "c: 0 is not greater than exclusiveMinimum 0"},
        {"c", "10", "c: 10 is not less than exclusiveMaximum 10"},
        {"c", "1e300", "c: 1e+300 is not less than exclusiveMaximum 10"},
        {"e", "4", "ok"},
        {"e", "5", "e: 5 is not less than exclusiveMaximum 5"},
    };
    CHECK_CASES(v, cases);
    validate_destroy(v);
}
END_TEST

/* the pipelinewise tap's numeric(12,2) schema */
START_TEST(multiple_of_decimal)
{
    validator *v = mk("{\"properties\":{\"m\":{\"type\":[\"null\",\"number\"],"
                      "\"exclusiveMaximum\":true,\"maximum\":10000000000,\"multipleOf\":0.01,"
                      "\"exclusiveMinimum\":true,\"minimum\":-10000000000}}}");
    OK(v, "{\"m\":12.34}");
    BAD(v, "{\"m\":12.345}", "m: 12.345 is not a multiple of 0.01 (multipleOf)");
    const char *good[] = {"0",     "0.07",          "0.29",   "1.1",        "-12.34",
                          "10",    "9999999999.99", "0.01",   "4.35",       "1.15",
                          "123.1", "1e2",           "1.23E1", "-0.0",       "5.10",
                          "0.57",  "0.58",          "8.2",    "1234567.89", "-9999999999.99"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        char rec[64];
        snprintf(rec, sizeof(rec), "{\"m\":%s}", good[i]);
        OK(v, rec);
    }
    const char *bad[] = {"0.001", "12.345", "-0.005", "1e-3", "9999999999.991", "0.123456789"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char rec[64];
        snprintf(rec, sizeof(rec), "{\"m\":%s}", bad[i]);
        NO(v, rec);
    }
    BAD(v, "{\"m\":10000000000}", "m: 10000000000 is not less than maximum 10000000000");
    validate_destroy(v);

    v = mk("{\"properties\":{\"a\":{\"multipleOf\":0.1},\"b\":{\"multipleOf\":5},"
           "\"c\":{\"multipleOf\":2.5},\"d\":{\"multipleOf\":1e-38},\"e\":{\"multipleOf\":1},"
           "\"f\":{\"multipleOf\":0.0001},\"g\":{\"multipleOf\":1e20},\"h\":{\"multipleOf\":3}}}");
    OK(v, "{\"a\":0.3,\"b\":15,\"c\":7.5,\"d\":12.345678,\"e\":1e300,\"f\":1.2345,\"g\":3e22}");
    OK(v, "{\"a\":-0.7,\"b\":-25,\"c\":-2.5,\"e\":-4,\"f\":0.0001,\"g\":0}");
    OK(v, "{\"h\":9007199254740990,\"b\":1e17,\"f\":1e-4}");
    BAD(v, "{\"a\":0.35}", "a: 0.35 is not a multiple of 0.1 (multipleOf)");
    BAD(v, "{\"b\":12}", "b: 12 is not a multiple of 5 (multipleOf)");
    BAD(v, "{\"b\":12.5}", "b: 12.5 is not a multiple of 5 (multipleOf)");
    BAD(v, "{\"c\":7}", "c: 7 is not a multiple of 2.5 (multipleOf)");
    BAD(v, "{\"e\":1.5}", "e: 1.5 is not a multiple of 1 (multipleOf)");
    BAD(v, "{\"f\":0.00011}", "f: 0.00011 is not a multiple of 0.0001 (multipleOf)");
    BAD(v, "{\"g\":1e19}",
        "g: 10000000000000000000 is not a multiple of 100000000000000000000 (multipleOf)");
    BAD(v, "{\"h\":9007199254740991}", "h: 9007199254740991 is not a multiple of 3 (multipleOf)");
    /* integers beyond 2^53 written with at most 15 digits are checked on their text */
    OK(v, "{\"h\":3e20,\"b\":9.12345678901234e18}");
    BAD(v, "{\"h\":9.12345678901234e18}",
        "h: 9123456789012340000 is not a multiple of 3 (multipleOf)");
    BAD(v, "{\"h\":1e17}", "h: 100000000000000000 is not a multiple of 3 (multipleOf)");
    BAD(v, "{\"d\":1e-39}", "d: 1e-39 is not a multiple of 1e-38 (multipleOf)");
    validate_destroy(v);
}
END_TEST

START_TEST(any_of)
{
    /* the shape taps give to a timestamp that may also be an arbitrary string */
    validator *v = mk("{\"properties\":{\"t\":{\"anyOf\":[{\"type\":\"string\",\"format\":"
                      "\"date-time\"},{\"type\":[\"null\",\"integer\"]}]}}}");
    OK(v, "{\"t\":\"2024-05-01T00:00:00Z\"}");
    OK(v, "{\"t\":null}");
    OK(v, "{\"t\":3}");
    BAD(v, "{\"t\":\"2024-13-01\"}",
        "t: matches none of the 2 anyOf alternatives (t: \"2024-13-01\" is not a valid date-time)");
    BAD(v, "{\"t\":1.5}",
        "t: matches none of the 2 anyOf alternatives "
        "(t: expected integer or null, got number 1.5)");
    BAD(v, "{\"t\":true}",
        "t: matches none of the 2 anyOf alternatives (t: expected string, got boolean true)");
    validate_destroy(v);

    v = mk("{\"properties\":{\"x\":{\"type\":\"object\",\"anyOf\":[{\"required\":[\"a\"]},"
           "{\"required\":[\"b\"]}]}}}");
    OK(v, "{\"x\":{\"b\":1}}");
    BAD(v, "{\"x\":{\"c\":1}}",
        "x: matches none of the 2 anyOf alternatives (x.a: required property is missing)");
    validate_destroy(v);
}
END_TEST

START_TEST(combinators)
{
    validator *v = mk("{\"properties\":{"
                      "\"all\":{\"allOf\":[{\"type\":\"integer\"},{\"minimum\":3}]},"
                      "\"one\":{\"oneOf\":[{\"type\":\"integer\"},{\"minimum\":3}]},"
                      "\"not\":{\"not\":{\"type\":\"string\"}}}}");
    OK(v, "{\"all\":4,\"one\":2,\"not\":1}");
    OK(v, "{\"one\":3.5}");
    BAD(v, "{\"all\":2}", "all: 2 is less than minimum 3");
    BAD(v, "{\"all\":3.5}", "all: expected integer, got number 3.5");
    BAD(v, "{\"one\":4}", "one: matches more than one oneOf alternative");
    BAD(v, "{\"one\":2.5}",
        "one: matches none of the 2 oneOf alternatives (one: expected integer, got number 2.5)");
    BAD(v, "{\"not\":\"s\"}", "not: matches the schema under \"not\"");
    validate_destroy(v);
}
END_TEST

START_TEST(enum_and_const)
{
    validator *v = mk("{\"properties\":{\"e\":{\"enum\":[\"red\",\"green\",null,2,"
                      "{\"k\":[1,true]}]},\"c\":{\"const\":\"v1\"},\"o\":{\"const\":{\"a\":1,"
                      "\"b\":[1,2]}}}}");
    OK(v, "{\"e\":\"red\",\"c\":\"v1\"}");
    OK(v, "{\"e\":null}");
    OK(v, "{\"e\":2.0}");
    OK(v, "{\"e\":{\"k\":[1,true]}}");
    OK(v, "{\"o\":{\"b\":[1,2],\"a\":1}}");
    BAD(v, "{\"e\":\"blue\"}", "e: string \"blue\" is not one of the enum values");
    BAD(v, "{\"e\":\"Red\"}", "e: string \"Red\" is not one of the enum values");
    BAD(v, "{\"e\":3}", "e: number 3 is not one of the enum values");
    BAD(v, "{\"e\":{\"k\":[1,false]}}", "e: object is not one of the enum values");
    BAD(v, "{\"e\":{\"k\":[1,true],\"x\":1}}", "e: object is not one of the enum values");
    BAD(v, "{\"c\":\"v2\"}", "c: string \"v2\" is not the const value");
    BAD(v, "{\"o\":{\"a\":1,\"b\":[2,1]}}", "o: object is not the const value");
    BAD(v, "{\"o\":{\"a\":1}}", "o: object is not the const value");
    validate_destroy(v);
}
END_TEST

START_TEST(additional_properties)
{
    validator *v = mk("{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{"
                      "\"id\":{},\"inner\":{\"properties\":{\"k\":{}},"
                      "\"additionalProperties\":{\"type\":\"integer\"}}}}");
    OK(v, "{\"id\":1}");
    OK(v, "{\"inner\":{\"k\":\"x\",\"n\":1,\"m\":2}}");
    BAD(v, "{\"id\":1,\"extra\":2}",
        "extra: property is not allowed (additionalProperties is false)");
    BAD(v, "{\"inner\":{\"n\":\"x\"}}", "inner.n: expected integer, got string \"x\"");
    validate_destroy(v);

    /* patternProperties is not supported: additionalProperties must then not reject */
    v = mk("{\"additionalProperties\":false,\"patternProperties\":{\"^x_\":{}},"
           "\"properties\":{\"id\":{}}}");
    OK(v, "{\"id\":1,\"x_a\":2}");
    validate_destroy(v);

    v = mk("{\"additionalProperties\":true,\"properties\":{\"id\":{}}}");
    OK(v, "{\"id\":1,\"x_a\":2}");
    validate_destroy(v);
}
END_TEST

START_TEST(property_given_twice)
{
    /* as most JSON readers do, the later definition wins */
    validator *v = mk("{\"properties\":{\"a\":{\"type\":\"string\"},\"a\":{\"type\":"
                      "\"integer\"}},\"required\":[\"a\"]}");
    OK(v, "{\"a\":1}");
    BAD(v, "{\"a\":\"x\"}", "a: expected integer, got string \"x\"");
    BAD(v, "{}", "a: required property is missing");
    validate_destroy(v);
}
END_TEST

START_TEST(arrays)
{
    validator *v = mk("{\"properties\":{\"a\":{\"type\":\"array\",\"minItems\":1,\"maxItems\":3},"
                      "\"t\":{\"items\":[{\"type\":\"string\"},{\"type\":\"integer\"}]}}}");
    OK(v, "{\"a\":[1],\"t\":[\"x\",1,{},null]}");
    OK(v, "{\"t\":[]}");
    BAD(v, "{\"a\":[]}", "a: fewer than minItems 1 (0 items)");
    BAD(v, "{\"a\":[1,2,3,4]}", "a: more than maxItems 3 (4 items)");
    BAD(v, "{\"t\":[\"x\",\"y\"]}", "t[1]: expected integer, got string \"y\"");
    validate_destroy(v);
}
END_TEST

START_TEST(boolean_schemas_and_unknown_keywords)
{
    validator *v = mk("{\"properties\":{\"any\":true,\"none\":false,\"u\":{\"x-custom\":5,"
                      "\"description\":\"d\",\"pattern\":\"^a$\",\"$ref\":\"#/x\","
                      "\"format\":\"singer.decimal\"}},\"title\":\"t\",\"inclusion\":\"x\"}");
    OK(v, "{\"any\":[1],\"u\":\"zzz\"}");
    BAD(v, "{\"none\":1}", "none: number 1 is not allowed (schema false)");
    validate_destroy(v);

    v = mk("{}");
    OK(v, "{\"a\":1}");
    OK(v, "[]");
    OK(v, "null");
    validate_destroy(v);

    v = mk("{\"type\":\"object\",\"properties\":{},\"required\":true}"); /* draft-3 required */
    OK(v, "{}");
    validate_destroy(v);
}
END_TEST

START_TEST(invalid_schemas)
{
    static const char *const schemas[][2] = {
        /* {schema, its message} */
        {"{\"type\":5}", "schema type: must be a type name or an array of type names"},
        {"{\"properties\":{\"age\":{\"type\":\"int\"}}}",
         "schema properties.age.type: unknown type \"int\""},
        {"{\"type\":[\"null\",7]}", "schema type: must be a type name or an array of type names"},
        {"{\"type\":[]}", "schema type: must not be an empty array"},
        {"{\"properties\":[]}", "schema properties: must be an object"},
        {"{\"properties\":{\"a\":5}}",
         "schema properties.a: a schema must be an object (or true / false)"},
        {"5", "schema: a schema must be an object (or true / false)"},
        {"{\"properties\":{\"a\":{\"maxLength\":-1}}}",
         "schema properties.a.maxLength: must be a non-negative integer"},
        {"{\"minLength\":\"3\"}", "schema minLength: must be a non-negative integer"},
        {"{\"maxItems\":1.5}", "schema maxItems: must be a non-negative integer"},
        {"{\"multipleOf\":0}", "schema multipleOf: must be a number greater than 0"},
        {"{\"multipleOf\":-1}", "schema multipleOf: must be a number greater than 0"},
        {"{\"minimum\":\"0\"}", "schema minimum: must be a finite number"},
        {"{\"maximum\":1e999}", "schema maximum: must be a finite number"},
        {"{\"exclusiveMaximum\":null}", "schema exclusiveMaximum: must be a finite number"},
        {"{\"required\":[\"a\",1]}", "schema required: must be an array of property names"},
        {"{\"required\":\"a\"}", "schema required: must be an array of property names"},
        {"{\"items\":5}", "schema items: a schema must be an object (or true / false)"},
        {"{\"items\":[{},3]}", "schema items[1]: a schema must be an object (or true / false)"},
        {"{\"anyOf\":[]}", "schema anyOf: must be a non-empty array of schemas"},
        {"{\"anyOf\":{}}", "schema anyOf: must be a non-empty array of schemas"},
        {"{\"properties\":{\"x\":{\"anyOf\":[{\"type\":\"date\"}]}}}",
         "schema properties.x.anyOf[0].type: unknown type \"date\""},
        {"{\"enum\":\"a\"}", "schema enum: must be an array"},
        {"{\"format\":5}", "schema format: must be a string"},
        {"{\"additionalProperties\":5}",
         "schema additionalProperties: must be true, false or a schema"},
        {"{\"properties\":{\"a\":{\"type\":\"string\",\"maxLength\":1,\"description\":\"x\","
         "\"description\":\"y\",\"maxLength\":2}}}",
         "schema properties.a.maxLength: given twice"},
        {"{\"properties\":{},\"properties\":{}}", "schema properties: given twice"},
        {"{\"not\":[]}", "schema not: a schema must be an object (or true / false)"},
    };
    for (size_t i = 0; i < sizeof(schemas) / sizeof(schemas[0]); i++)
        ck_assert_str_eq(bad_schema(schemas[i][0]), schemas[i][1]);

    /* NULL schema, and err may be NULL with errlen 0 */
    char err[64];
    ck_assert_ptr_null(validate_create(NULL, err, sizeof(err)));
    ck_assert_str_eq(err, "schema: no schema given");
    cJSON *s = cJSON_Parse("{\"type\":5}");
    ck_assert_ptr_null(validate_create(s, NULL, 0));
    cJSON_Delete(s);
    validate_destroy(NULL);

    /* too deep */
    char deep[4096];
    size_t n = 0;
    for (int i = 0; i < 150; i++)
        n += (size_t)snprintf(deep + n, sizeof(deep) - n, "{\"items\":");
    n += (size_t)snprintf(deep + n, sizeof(deep) - n, "{}");
    for (int i = 0; i < 150; i++)
        n += (size_t)snprintf(deep + n, sizeof(deep) - n, "}");
    ck_assert_ptr_nonnull(strstr(bad_schema(deep), "nested more than 100 levels deep"));
}
END_TEST

/* the schema is borrowed: the validator works after the schema is freed (mk frees it), and a
   validator checks many records without state */
START_TEST(schema_not_kept_and_reusable)
{
    validator *v = mk("{\"properties\":{\"e\":{\"enum\":[\"a\",\"b\"]},\"n\":{\"type\":"
                      "\"integer\",\"maximum\":5}}}");
    for (int i = 0; i < 3; i++) {
        OK(v, "{\"e\":\"a\",\"n\":5}");
        BAD(v, "{\"e\":\"c\"}", "e: string \"c\" is not one of the enum values");
        BAD(v, "{\"n\":6}", "n: 6 is greater than maximum 5");
    }
    validate_destroy(v);
}
END_TEST

START_TEST(messages_stay_short_and_one_line)
{
    validator *v = mk("{\"properties\":{\"s\":{\"type\":\"integer\"}},"
                      "\"additionalProperties\":{\"type\":\"string\"}}");
    BAD(v, "{\"s\":\"line1\\nline2\\tend\"}",
        "s: expected integer, got string \"line1?line2?end\"");
    BAD(v, "{\"s\":\"éééééééééééééééééééééééééééééééééééééééé\"}",
        "s: expected integer, got string \"éééééééééééééééééééé\"...");
    /* 40 bytes would cut the 20th é in half */
    BAD(v, "{\"s\":\"aéééééééééééééééééééééééééééééééééééééééé\"}",
        "s: expected integer, got string \"aééééééééééééééééééé\"...");
    char rec[1024], name[400];
    memset(name, 'k', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    snprintf(rec, sizeof(rec), "{\"%s\":1}", name);
    ck_assert_str_eq(why(v, rec) + 398, "k: expected string, got number 1"); /* whole path */
    /* a message longer than err keeps the end of the path and the rule */
    cJSON *r = cJSON_Parse(rec);
    char msg[64];
    ck_assert(!validate_check(v, r, msg, sizeof(msg)));
    cJSON_Delete(r);
    ck_assert_str_eq(msg, "...kkkkkkkkkkkkkkkkkkkkkkkkkkkkk: expected string, got number 1");
    /* a small err buffer is truncated, never overrun */
    r = cJSON_Parse("{\"s\":\"x\"}");
    char small[8];
    ck_assert(!validate_check(v, r, small, sizeof(small)));
    ck_assert_str_eq(small, "s: expe");
    ck_assert(!validate_check(v, r, NULL, 0));
    cJSON_Delete(r);
    validate_destroy(v);
}
END_TEST

/* a lookup of the numbers' original text, as a target that keeps the raw line could give */
typedef struct text_map {
    const cJSON *node;
    const char *text;
} text_map;

static const char *lookup(void *ctx, const cJSON *num, size_t *len)
{
    const text_map *m = ctx;
    if (m->node != num)
        return NULL;
    *len = strlen(m->text);
    return m->text;
}

/* the record {"<key>":<value>}, its number's original text num_text: "ok" or the message */
static const char *why_text(const validator *v, const char *key, const char *value,
                            const char *num_text)
{
    static char err[256];
    char record_text[256];
    snprintf(record_text, sizeof(record_text), "{\"%s\":%s}", key, value);
    cJSON *rec = cJSON_Parse(record_text);
    ck_assert_ptr_nonnull(rec);
    text_map m = {cJSON_GetObjectItemCaseSensitive(rec, key), num_text};
    bool ok = validate_check_numtext(v, rec, lookup, &m, err, sizeof(err));
    cJSON_Delete(rec);
    return ok ? "ok" : err;
}

START_TEST(exact_numbers_with_text)
{
    validator *v = mk("{\"properties\":{\"big\":{\"type\":\"integer\",\"maximum\":"
                      "9007199254740992},\"m\":{\"multipleOf\":0.01},"
                      "\"i\":{\"type\":\"integer\"}}}");
    /* as doubles 9007199254740993 equals the maximum 2^53 */
    OK(v, "{\"big\":9007199254740993}");
    /* 18 significant digits: the double reads 1234567890123456.75, a multiple of 0.01 */
    OK(v, "{\"m\":1234567890123456.785}");
    static const char *const cases[][4] = {
        /* {key, value, its original text, result} */
        {"big", "9007199254740993", "9007199254740993",
         "big: 9007199254740993 is greater than maximum 9007199254740992"},
        {"big", "9007199254740992", "9007199254740992", "ok"},
        {"big", "9007199254740992", "9.007199254740992e15", "ok"},
        {"m", "1234567890123456.785", "1234567890123456.785",
         "m: 1234567890123456.785 is not a multiple of 0.01 (multipleOf)"},
        {"m", "1234567890123456.78", "1234567890123456.78", "ok"},
        /* a 30-digit numeric */
        {"m", "1", "123456789012345678901234567.89", "ok"},
        {"m", "1", "123456789012345678901234567.891",
         "m: 123456789012345678901234567.891 is not a multiple of 0.01 (multipleOf)"},
        /* integer decided on the text */
        {"i", "1", "1.000", "ok"},
        {"i", "1", "10.5e1", "ok"},
        {"i", "1", "1.0000000000000000001",
         "i: expected integer, got number 1.0000000000000000001"},
        /* text the lookup cannot give, or too long, falls back to the double */
        {"i", "1", "garbage", "ok"},
        {"i", "1", "1.00000000000000000000000000000000000000000000000000001", "ok"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        ck_assert_str_eq(why_text(v, cases[i][0], cases[i][1], cases[i][2]), cases[i][3]);
    validate_destroy(v);

    /* bounds compared on the text: signs, magnitudes, digits */
    v = mk("{\"properties\":{\"lo\":{\"minimum\":-5},\"hi\":{\"maximum\":1e20},"
           "\"z\":{\"exclusiveMinimum\":0},\"p\":{\"minimum\":-1,\"maximum\":1}}}");
    static const char *const on_text[][4] = {
        {"lo", "-5", "-5.000000000000000001", "lo: -5.000000000000000001 is less than minimum -5"},
        {"lo", "-5", "-4.99999999999999999999", "ok"},
        {"lo", "-5", "-50e-1", "ok"},
        {"lo", "-5", "-6", "lo: -6 is less than minimum -5"},
        {"hi", "1e20", "100000000000000000000.0000001",
         "hi: 100000000000000000000.0000001 is greater than maximum 100000000000000000000"},
        {"hi", "1e20", "99999999999999999999.9999", "ok"},
        {"hi", "1e20", "1000000000000000000000",
         "hi: 1e+21 is greater than maximum 100000000000000000000"},
        {"z", "0", "0.000", "z: 0 is not greater than exclusiveMinimum 0"},
        {"z", "0", "1e-400", "ok"}, /* the double is 0 */
        {"z", "0", "-1e-400", "z: -1e-400 is not greater than exclusiveMinimum 0"},
        {"p", "0", "0", "ok"},
        {"p", "0", "-0.5", "ok"},
        {"p", "0", "0.5", "ok"},
        /* not number text, or an exponent too large to hold: the double decides */
        {"p", "0", "1e", "ok"},
        {"p", "0", "1.e5", "ok"},
        {"p", "0", "1e99999999", "ok"},
        {"p", "0", "0x10", "ok"},
    };
    for (size_t i = 0; i < sizeof(on_text) / sizeof(on_text[0]); i++)
        ck_assert_str_eq(why_text(v, on_text[i][0], on_text[i][1], on_text[i][2]), on_text[i][3]);
    validate_destroy(v);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("validate");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, types);
    tcase_add_test(tc, singer_sdk_cases);
    tcase_add_test(tc, null_or_object_without_properties);
    tcase_add_test(tc, nested_paths);
    tcase_add_test(tc, required);
    tcase_add_test(tc, lengths_in_code_points);
    tcase_add_test(tc, format_date_time);
    tcase_add_test(tc, format_date_and_time);
    tcase_add_test(tc, bounds);
    tcase_add_test(tc, multiple_of_decimal);
    tcase_add_test(tc, any_of);
    tcase_add_test(tc, combinators);
    tcase_add_test(tc, enum_and_const);
    tcase_add_test(tc, additional_properties);
    tcase_add_test(tc, property_given_twice);
    tcase_add_test(tc, arrays);
    tcase_add_test(tc, boolean_schemas_and_unknown_keywords);
    tcase_add_test(tc, invalid_schemas);
    tcase_add_test(tc, schema_not_kept_and_reusable);
    tcase_add_test(tc, messages_stay_short_and_one_line);
    tcase_add_test(tc, exact_numbers_with_text);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
