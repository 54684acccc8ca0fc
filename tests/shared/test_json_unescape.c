#include "json_unescape.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

/* one case: a JSON string body, what it decodes to (len bytes) or the fault and its offset */
static const struct {
    const char *in;
    const char *out;
    size_t out_len;
    json_unescape_result r;
    size_t at;
} cases[] = {
    {"plain", "plain", 5, JSON_UNESCAPE_OK, 0},
    {"", "", 0, JSON_UNESCAPE_OK, 0},
    {"a\\\"b\\\\c\\/d", "a\"b\\c/d", 7, JSON_UNESCAPE_OK, 0},
    {"\\b\\f\\n\\r\\t", "\b\f\n\r\t", 5, JSON_UNESCAPE_OK, 0},
    {"\\u0041\\u00e9\\u20AC", "A\xc3\xa9\xe2\x82\xac", 6, JSON_UNESCAPE_OK, 0},
    {"x\\u0000y", "x\0y", 3, JSON_UNESCAPE_OK, 0},
    {"\\ud83d\\ude00", "\xf0\x9f\x98\x80", 4, JSON_UNESCAPE_OK, 0},
    {"\\uDBFF\\uDFFF", "\xf4\x8f\xbf\xbf", 4, JSON_UNESCAPE_OK, 0},
    {"ab\\", "ab", 2, JSON_UNESCAPE_TRUNCATED, 2},
    {"ab\\x", "ab", 2, JSON_UNESCAPE_BAD_ESCAPE, 2},
    {"\\u12", "", 0, JSON_UNESCAPE_SHORT_HEX, 2},
    {"\\u12g4", "", 0, JSON_UNESCAPE_BAD_HEX, 2},
    {"\\ude00", "", 0, JSON_UNESCAPE_SURROGATE, 6},
    {"\\ud83d", "", 0, JSON_UNESCAPE_SURROGATE, 6},
    {"\\ud83dx\\ude00", "", 0, JSON_UNESCAPE_SURROGATE, 6},
    {"\\ud83d\\u0041", "", 0, JSON_UNESCAPE_SURROGATE, 6},
    {"\\ud83d\\uzz00", "", 0, JSON_UNESCAPE_BAD_HEX, 8},
};

START_TEST(table)
{
    buf b;
    buf_init(&b);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        buf_reset(&b);
        size_t at = 999;
        json_unescape_result r = json_unescape_buf(&b, cases[i].in, strlen(cases[i].in), &at);
        ck_assert_msg(r == cases[i].r, "case %zu (%s): result %d, expected %d", i, cases[i].in,
                      (int)r, (int)cases[i].r);
        if (r != JSON_UNESCAPE_OK)
            ck_assert_msg(at == cases[i].at, "case %zu (%s): fault at %zu, expected %zu", i,
                          cases[i].in, at, cases[i].at);
        ck_assert_msg(b.len == cases[i].out_len && memcmp(b.data, cases[i].out, b.len) == 0,
                      "case %zu (%s): wrong bytes", i, cases[i].in);
    }
    buf_term(&b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("json_unescape");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, table);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
