#include "field_transform.h"
#include "field_transform_config.h"
#include "sha256.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

/* a record of three columns: v (the transformed one), c (conditions), n (numeric) */
static typemap_ctx tm;
static buf out;
static cJSON *root;
static field_transform_set set;
static field_transform_binding *b;
static typemap_type types[3];
static const char *const names[3] = {"v", "c", "n"};

static void setup(void)
{
    typemap_ctx_init(&tm);
    buf_init(&out);
    typemap_resolve(&types[0], "text", 'b', false, -1);
    typemap_resolve(&types[1], "text", 'b', false, -1);
    typemap_resolve(&types[2], "numeric", 'b', false, -1);
    root = NULL;
    b = NULL;
    memset(&set, 0, sizeof(set));
}

static void teardown(void)
{
    field_transform_unbind(b);
    field_transform_config_term(&set);
    cJSON_Delete(root);
    typemap_ctx_term(&tm);
    buf_term(&out);
}

/* parse rules (a JSON array) for stream "s"; false when refused */
static bool rules(const char *json)
{
    field_transform_unbind(b);
    b = NULL;
    field_transform_config_term(&set);
    cJSON_Delete(root);
    root = cJSON_Parse(json);
    ck_assert_ptr_nonnull(root);
    if (!field_transform_config_parse(&set, root, "test"))
        return false;
    const typemap_type *tp[3] = {&types[0], &types[1], &types[2]};
    ck_assert(field_transform_bind(&b, &set, "s", names, tp, 3));
    ck_assert_ptr_nonnull(b);
    return true;
}

/* the JSON of v for the values v, c, n (NULL: a null value; "-": not in the record) */
static const char *row(const char *v, const char *c, const char *n)
{
    const char *vals[3] = {v, c, n};
    b->norder = 0;
    for (size_t i = 0; i < 3; i++) {
        b->slots[i].state = !vals[i] ? FX_NULL : strcmp(vals[i], "-") == 0 ? FX_UNSET : FX_TEXT;
        b->slots[i].text = vals[i];
        b->slots[i].len = vals[i] ? strlen(vals[i]) : 0;
    }
    buf_reset(&out);
    field_transform_value(b, &tm, 0, &out);
    buf_putc(&out, '\0');
    return out.data;
}

static const char *hex(const char *s)
{
    static char h[SHA256_HEX_LEN + 3];
    uint8_t d[SHA256_DIGEST_LEN];
    sha256(s, strlen(s), d);
    h[0] = '"';
    sha256_hex(d, h + 1);
    h[SHA256_HEX_LEN + 1] = '"';
    h[SHA256_HEX_LEN + 2] = '\0';
    return h;
}

START_TEST(equals_compares_json_values)
{
    ck_assert(rules("[{\"tap_stream_name\":\"s\",\"field_id\":\"v\",\"type\":\"MASK-HIDDEN\","
                    "\"when\":[{\"column\":\"n\",\"equals\":200}]}]"));
    ck_assert_str_eq(row("x", "a", "200.00"), "\"hidden\"");
    ck_assert_str_eq(row("x", "a", "200.5"), "\"x\"");
    ck_assert_str_eq(row("x", "a", NULL), "\"x\"");
    /* a string matches a string only */
    ck_assert(rules("[{\"tap_stream_name\":\"s\",\"field_id\":\"v\",\"type\":\"MASK-HIDDEN\","
                    "\"when\":[{\"column\":\"n\",\"equals\":\"200\"}]}]"));
    ck_assert_str_eq(row("x", "a", "200"), "\"x\"");
    /* 0 and "" are values like others (pipelinewise skips such a condition) */
    ck_assert(
        rules("[{\"tap_stream_name\":\"s\",\"field_id\":\"v\",\"type\":\"MASK-HIDDEN\","
              "\"when\":[{\"column\":\"n\",\"equals\":0},{\"column\":\"c\",\"equals\":\"\"}]}]"));
    ck_assert_str_eq(row("x", "", "0"), "\"hidden\"");
    ck_assert_str_eq(row("x", "a", "0"), "\"x\"");
    ck_assert(rules("[{\"tap_stream_name\":\"s\",\"field_id\":\"v\",\"type\":\"SET-NULL\","
                    "\"when\":[{\"column\":\"c\",\"equals\":null}]}]"));
    ck_assert_str_eq(row("x", NULL, "1"), "null");
    ck_assert_str_eq(row("x", "null", "1"), "\"x\"");
}
END_TEST

START_TEST(regex_conditions)
{
    ck_assert(rules("[{\"tap_stream_name\":\"s\",\"field_id\":\"v\",\"type\":\"HASH\","
                    "\"when\":[{\"column\":\"c\",\"regex_match\":\"[\\\\d]x\\\\d+.*?$\"}]}]"));
    ck_assert_str_eq(row("p", "ab1x22", "1"), hex("p"));
    ck_assert_str_eq(row("p", "abx22", "1"), "\"p\"");
    ck_assert_str_eq(row("p", NULL, "1"), "\"p\"");
    /* a number: its text */
    ck_assert(rules("[{\"tap_stream_name\":\"s\",\"field_id\":\"v\",\"type\":\"HASH\","
                    "\"when\":[{\"column\":\"n\",\"regex_match\":\"^12\\\\.5\"}]}]"));
    ck_assert_str_eq(row("p", "a", "12.50"), hex("p"));
    /* what POSIX cannot say is refused */
    ck_assert(!rules("[{\"tap_stream_name\":\"s\",\"field_id\":\"v\",\"type\":\"HASH\","
                     "\"when\":[{\"column\":\"c\",\"regex_match\":\"(?i)de\"}]}]"));
    ck_assert(!rules("[{\"tap_stream_name\":\"s\",\"field_id\":\"v\",\"type\":\"HASH\","
                     "\"when\":[{\"column\":\"c\",\"regex_match\":\"\\\\Ade\"}]}]"));
    ck_assert(!rules("[{\"tap_stream_name\":\"s\",\"field_id\":\"v\",\"type\":\"HASH\","
                     "\"when\":[{\"column\":\"c\",\"regex_match\":\"a++\"}]}]"));
}
END_TEST

START_TEST(missing_condition_column_applies)
{
    ck_assert(rules("[{\"tap_stream_name\":\"s\",\"field_id\":\"v\",\"type\":\"HASH\","
                    "\"when\":[{\"column\":\"c\",\"equals\":\"DE\"}]}]"));
    ck_assert_str_eq(row("p", "-", "1"), hex("p"));
    ck_assert_int_eq(b->bound[0].unknown_conditions, 1);
    ck_assert_str_eq(row("p", "FR", "1"), "\"p\"");
}
END_TEST

START_TEST(characters_not_bytes)
{
    ck_assert(rules("[{\"tap_stream_name\":\"s\",\"field_id\":\"v\",\"type\":\"MASK-STRING-SKIP-"
                    "ENDS-2\"}]"));
    ck_assert_str_eq(row("\xc3\x9cn\xc3\xaf"
                         "c\xc3\xb6"
                         "d\xc3\xa9",
                         "a", "1"),
                     "\"\xc3\x9cn***d\xc3\xa9\"");
    ck_assert_str_eq(row("\xc3\x9c\xc3\x9c\xc3\x9c\xc3\x9c", "a", "1"), "\"****\"");
    ck_assert_str_eq(row("", "a", "1"), "\"\"");
    ck_assert_str_eq(row(NULL, "a", "1"), "null");
    /* shorter than n: all of it, and the hash of nothing */
    ck_assert(
        rules("[{\"tap_stream_name\":\"s\",\"field_id\":\"v\",\"type\":\"HASH-SKIP-FIRST-3\"}]"));
    char want[80];
    snprintf(want, sizeof(want), "\"ab%s", hex("") + 1);
    ck_assert_str_eq(row("ab", "a", "1"), want);
}
END_TEST

START_TEST(chained_in_config_order)
{
    ck_assert(rules("[{\"tap_stream_name\":\"s\",\"field_id\":\"v\",\"type\":\"MASK-HIDDEN\"},"
                    "{\"tap_stream_name\":\"s\",\"field_id\":\"v\",\"type\":\"HASH\"}]"));
    ck_assert_str_eq(row(NULL, "a", "1"), hex("hidden"));
    ck_assert(rules("[{\"tap_stream_name\":\"s\",\"field_id\":\"v\",\"type\":\"HASH\"},"
                    "{\"tap_stream_name\":\"t\",\"field_id\":\"v\",\"type\":\"SET-NULL\"}]"));
    ck_assert_str_eq(row("p", "a", "1"), hex("p")); /* stream t's rule is not this stream's */
}
END_TEST

START_TEST(shapes_refused)
{
    ck_assert(!rules("{}"));
    ck_assert(!rules("[{\"tap_stream_name\":\"s\",\"field_id\":\"v\"}]"));
    ck_assert(
        !rules("[{\"tap_stream_name\":\"s\",\"field_id\":\"v\",\"type\":\"HASH-SKIP-FIRST-0\"}]"));
    ck_assert(!rules("[{\"tap_stream_name\":\"s\",\"field_id\":\"v\",\"type\":\"hash\"}]"));
    ck_assert(!rules("[{\"tap_stream_name\":\"s\",\"field_id\":\"v\",\"type\":\"HASH\","
                     "\"when\":[{\"column\":\"c\",\"equals\":[1]}]}]"));
    ck_assert(!rules("[{\"tap_stream_name\":\"s\",\"field_id\":\"v\",\"type\":\"HASH\","
                     "\"when\":[{\"column\":\"c\",\"field_path\":\"a\",\"equals\":1}]}]"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("field_transform");
    TCase *tc = tcase_create("rules");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, equals_compares_json_values);
    tcase_add_test(tc, regex_conditions);
    tcase_add_test(tc, missing_condition_column_applies);
    tcase_add_test(tc, characters_not_bytes);
    tcase_add_test(tc, chained_in_config_order);
    tcase_add_test(tc, shapes_refused);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
