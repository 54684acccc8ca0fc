#include "json_writer.h"

#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>

static char *esc(const char *s, size_t n)
{
    static buf b = BUF_INIT;
    buf_reset(&b);
    json_writer_string(&b, s, n);
    return b.data;
}

START_TEST(plain_and_quotes)
{
    ck_assert_str_eq(esc("abc", 3), "\"abc\"");
    ck_assert_str_eq(esc("", 0), "\"\"");
    ck_assert_str_eq(esc("a\"b\\c/", 6), "\"a\\\"b\\\\c/\"");
}
END_TEST

START_TEST(every_control_character)
{
    for (int c = 0; c < 0x20; c++) {
        char in[1] = {(char)c};
        char expect[16];
        switch (c) {
        case '\b':
            snprintf(expect, sizeof(expect), "\"\\b\"");
            break;
        case '\t':
            snprintf(expect, sizeof(expect), "\"\\t\"");
            break;
        case '\n':
            snprintf(expect, sizeof(expect), "\"\\n\"");
            break;
        case '\f':
            snprintf(expect, sizeof(expect), "\"\\f\"");
            break;
        case '\r':
            snprintf(expect, sizeof(expect), "\"\\r\"");
            break;
        default:
            snprintf(expect, sizeof(expect), "\"\\u%04x\"", c);
        }
        ck_assert_str_eq(esc(in, 1), expect);
        /* and cJSON reads it back to the same byte */
        cJSON *j = cJSON_Parse(esc(in, 1));
        if (c != 0) {
            ck_assert_ptr_nonnull(j);
            ck_assert_int_eq((unsigned char)j->valuestring[0], c);
        }
        cJSON_Delete(j);
    }
    ck_assert_str_eq(esc("\x7f", 1), "\"\x7f\"");
}
END_TEST

START_TEST(unicode_passes_through)
{
    const char *s = "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80 \xe4\xb8\xad";
    buf b = BUF_INIT;
    json_writer_string(&b, s, strlen(s));
    cJSON *j = cJSON_Parse(b.data);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(j->valuestring, s);
    cJSON_Delete(j);
    buf_term(&b);
}
END_TEST

START_TEST(integers)
{
    buf b = BUF_INIT;
    json_writer_int(&b, 0);
    buf_putc(&b, ' ');
    json_writer_int(&b, -9223372036854775807LL - 1);
    buf_putc(&b, ' ');
    json_writer_uint(&b, 18446744073709551615ULL);
    ck_assert_str_eq(b.data, "0 -9223372036854775808 18446744073709551615");
    buf_term(&b);
}
END_TEST

START_TEST(keys)
{
    buf b = BUF_INIT;
    buf_putc(&b, '{');
    json_writer_key(&b, "a", true);
    json_writer_int(&b, 1);
    json_writer_key(&b, "b\"", false);
    json_writer_int(&b, 2);
    buf_putc(&b, '}');
    ck_assert_str_eq(b.data, "{\"a\":1,\"b\\\"\":2}");
    buf_term(&b);
}
END_TEST

START_TEST(utf8_validation)
{
    ck_assert(json_writer_utf8_valid("plain", 5));
    ck_assert(json_writer_utf8_valid("\xc3\xa9", 2));
    ck_assert(json_writer_utf8_valid("\xf0\x9f\x98\x80", 4));
    ck_assert(!json_writer_utf8_valid("\xc3", 1));             /* truncated */
    ck_assert(!json_writer_utf8_valid("\xc0\xaf", 2));         /* overlong */
    ck_assert(!json_writer_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    ck_assert(!json_writer_utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
    ck_assert_uint_eq(json_writer_utf8_invalid_offset("ab\xff", 3), 2);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("json_writer");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, plain_and_quotes);
    tcase_add_test(tc, every_control_character);
    tcase_add_test(tc, unicode_passes_through);
    tcase_add_test(tc, integers);
    tcase_add_test(tc, keys);
    tcase_add_test(tc, utf8_validation);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
