#include "config.h"
#include "json_util.h"
#include "log.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const config_key keys[] = {
    {"host", CFG_STRING, true, NULL, false, "server host"},
    {"port", CFG_INT, false, "5432", false, "server port"},
    {"password", CFG_STRING, false, NULL, true, "password"},
    {"dbname|database", CFG_STRING, true, NULL, false, "database"},
    {"ssl", CFG_BOOL, false, "false", false, "use TLS"},
    {"filter_schemas", CFG_STRING_LIST, false, NULL, false, "schemas"},
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/* run config_validate on text and return what it logged */
static const char *validate(const char *text, bool *ok)
{
    static char logged[4096];
    char path[] = "/tmp/unit_config_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    cJSON *root = cJSON_Parse(text);
    ck_assert_ptr_nonnull(root);
    *ok = config_validate(root, keys, NKEYS, "config");
    cJSON_Delete(root);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    lseek(fd, 0, SEEK_SET);
    ssize_t n = read(fd, logged, sizeof(logged) - 1);
    logged[n > 0 ? n : 0] = '\0';
    close(fd);
    unlink(path);
    return logged;
}

START_TEST(valid_config)
{
    bool ok;
    const char *log =
        validate("{\"host\":\"h\",\"port\":\"5433\",\"database\":\"d\",\"ssl\":\"true\","
                 "\"filter_schemas\":[\"a\",\"b\"]}",
                 &ok);
    ck_assert(ok);
    ck_assert_str_eq(log, "");
}
END_TEST

START_TEST(missing_required_key)
{
    bool ok;
    const char *log = validate("{\"host\":\"h\"}", &ok);
    ck_assert(!ok);
    ck_assert_ptr_nonnull(strstr(log, "required key \"dbname\" is missing"));
}
END_TEST

START_TEST(wrong_type_names_key)
{
    bool ok;
    const char *log = validate("{\"host\":\"h\",\"dbname\":\"d\",\"port\":\"abc\"}", &ok);
    ck_assert(!ok);
    ck_assert_ptr_nonnull(strstr(log, "key \"port\" must be an integer, got \"abc\""));
    log = validate("{\"host\":\"h\",\"dbname\":\"d\",\"ssl\":[1]}", &ok);
    ck_assert(!ok);
    ck_assert_ptr_nonnull(strstr(log, "key \"ssl\" must be true or false"));
    log = validate("{\"host\":\"h\",\"dbname\":\"d\",\"filter_schemas\":[1]}", &ok);
    ck_assert(!ok);
    ck_assert_ptr_nonnull(strstr(log, "filter_schemas"));
}
END_TEST

START_TEST(secret_value_not_shown)
{
    bool ok;
    const char *log =
        validate("{\"host\":\"h\",\"dbname\":\"d\",\"password\":{\"s3cr3t\":1}}", &ok);
    ck_assert(!ok);
    ck_assert_ptr_null(strstr(log, "s3cr3t"));
}
END_TEST

START_TEST(unknown_key_warned)
{
    bool ok;
    const char *log = validate("{\"host\":\"h\",\"dbname\":\"d\",\"hots\":1}", &ok);
    ck_assert(ok);
    ck_assert_ptr_nonnull(strstr(log, "unknown key \"hots\""));
}
END_TEST

START_TEST(masking)
{
    cJSON *root = cJSON_Parse("{\"host\":\"h\",\"password\":\"s3cr3t\"}");
    buf b = BUF_INIT;
    config_masked(&b, root, keys, NKEYS);
    ck_assert_str_eq(b.data, "{\"host\":\"h\",\"password\":\"***\"}");
    buf_term(&b);
    cJSON_Delete(root);
    /* a document that is not an object has no keys to mask (it crashed: found by
       tests/fuzz/fuzz_config) */
    root = cJSON_Parse("[\"password\",{\"password\":\"x\"}]");
    buf_init(&b);
    config_masked(&b, root, keys, NKEYS);
    ck_assert_str_eq(b.data, "[\"password\",{\"password\":\"x\"}]");
    buf_term(&b);
    cJSON_Delete(root);
}
END_TEST

START_TEST(settings_schema_is_json)
{
    buf b = BUF_INIT;
    config_settings_schema(&b, keys, NKEYS);
    cJSON *j = cJSON_Parse(b.data);
    ck_assert_ptr_nonnull(j);
    cJSON *props = cJSON_GetObjectItem(j, "properties");
    ck_assert_ptr_nonnull(cJSON_GetObjectItem(props, "dbname"));
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "required")), 2);
    cJSON_Delete(j);
    buf_term(&b);
}
END_TEST

START_TEST(parse_error_offset)
{
    size_t off = 0;
    ck_assert_ptr_null(json_util_parse("{\"a\":1,}", 8, &off));
    ck_assert_uint_eq(off, 7);
    ck_assert_ptr_null(json_util_parse("{} x", 4, &off));
    ck_assert_uint_eq(off, 3);
    cJSON *j = json_util_parse("{\"a\":\"5\"}  \n", 12, &off);
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq(json_util_int(j, "a", 0), 5);
    cJSON_Delete(j);
}
END_TEST

/* the one reading of integers and booleans both programs use: "" and null are the default */
START_TEST(get_int_and_bool)
{
    static const struct {
        const char *json;
        long long i; /* config_get_int(root, "a|b", 7) */
        int b_false; /* config_get_bool(root, "a|b", false) */
        int b_true;  /* config_get_bool(root, "a|b", true) */
    } cases[] = {
        {"{}", 7, 0, 1},
        {"{\"a\":null}", 7, 0, 1},
        {"{\"a\":\"\"}", 7, 0, 1},
        {"{\"a\":5}", 5, 1, 1},
        {"{\"a\":\"-12\"}", -12, 0, 0},
        {"{\"a\":\"12x\"}", 7, 0, 0},
        {"{\"a\":true}", 7, 1, 1},
        {"{\"a\":false}", 7, 0, 0},
        {"{\"a\":\"true\"}", 7, 1, 1},
        {"{\"a\":\"false\"}", 7, 0, 0},
        {"{\"b\":\"9\"}", 9, 0, 0},
        {"{\"a\":null,\"b\":\"true\"}", 7, 1, 1},
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        cJSON *root = cJSON_Parse(cases[k].json);
        ck_assert_ptr_nonnull(root);
        ck_assert_msg(config_get_int(root, "a|b", 7) == cases[k].i, "int of %s", cases[k].json);
        ck_assert_msg(config_get_bool(root, "a|b", false) == (cases[k].b_false != 0),
                      "bool (default false) of %s", cases[k].json);
        ck_assert_msg(config_get_bool(root, "a|b", true) == (cases[k].b_true != 0),
                      "bool (default true) of %s", cases[k].json);
        cJSON_Delete(root);
    }
}
END_TEST

int main(void)
{
    log_init("unit_config");
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, valid_config);
    tcase_add_test(tc, missing_required_key);
    tcase_add_test(tc, wrong_type_names_key);
    tcase_add_test(tc, secret_value_not_shown);
    tcase_add_test(tc, unknown_key_warned);
    tcase_add_test(tc, masking);
    tcase_add_test(tc, settings_schema_is_json);
    tcase_add_test(tc, parse_error_offset);
    tcase_add_test(tc, get_int_and_bool);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
