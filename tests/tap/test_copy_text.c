#include "copy_text.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

static copy_text_decoder d;

static void setup(void)
{
    copy_text_init(&d);
}

static void teardown(void)
{
    copy_text_term(&d);
}

static void field_is(size_t i, const char *expected, size_t len)
{
    ck_assert_uint_lt(i, d.n);
    ck_assert(!d.fields[i].null);
    ck_assert_uint_eq(d.fields[i].len, len);
    ck_assert(memcmp(d.fields[i].p, expected, len) == 0);
}

#define FIELD_IS(i, lit) field_is((i), (lit), sizeof(lit) - 1)

START_TEST(plain_fields)
{
    const char row[] = "1\tabc\t\t2024-01-01\n";
    ck_assert(copy_text_split(&d, row, sizeof(row) - 1));
    ck_assert_uint_eq(d.n, 4);
    FIELD_IS(0, "1");
    FIELD_IS(1, "abc");
    FIELD_IS(2, "");
    FIELD_IS(3, "2024-01-01");
    /* unescaped fields point into the row: no copy */
    ck_assert_ptr_eq(d.fields[1].p, row + 2);
}
END_TEST

START_TEST(nulls)
{
    const char row[] = "\\N\tx\t\\N\n";
    ck_assert(copy_text_split(&d, row, sizeof(row) - 1));
    ck_assert_uint_eq(d.n, 3);
    ck_assert(d.fields[0].null);
    FIELD_IS(1, "x");
    ck_assert(d.fields[2].null);
    /* the text "\N" (escaped backslash + N) is not NULL */
    const char row2[] = "\\\\N";
    ck_assert(copy_text_split(&d, row2, sizeof(row2) - 1));
    FIELD_IS(0, "\\N");
}
END_TEST

START_TEST(escapes)
{
    const char row[] = "a\\tb\\nc\\\\d\\re\\bf\\fg\\vh\tX\n";
    ck_assert(copy_text_split(&d, row, sizeof(row) - 1));
    ck_assert_uint_eq(d.n, 2);
    FIELD_IS(0, "a\tb\nc\\d\re\bf\fg\vh");
    FIELD_IS(1, "X");
}
END_TEST

START_TEST(octal_and_hex)
{
    const char row[] = "\\101\\0102\\7\t\\x41\\x4a\\x4\\xzz\n";
    ck_assert(copy_text_split(&d, row, sizeof(row) - 1));
    ck_assert_uint_eq(d.n, 2);
    FIELD_IS(0, "A\b2\a");
    FIELD_IS(1, "AJ\004xzz");
}
END_TEST

START_TEST(other_escaped_characters)
{
    const char row[] = "\\.\\q\n";
    ck_assert(copy_text_split(&d, row, sizeof(row) - 1));
    FIELD_IS(0, ".q");
}
END_TEST

START_TEST(many_escaped_fields_reuse_scratch)
{
    /* several escaped fields in one row keep their own bytes */
    const char row[] = "\\ta\t\\tb\t\\tc\tplain\t\\\\";
    ck_assert(copy_text_split(&d, row, sizeof(row) - 1));
    ck_assert_uint_eq(d.n, 5);
    FIELD_IS(0, "\ta");
    FIELD_IS(1, "\tb");
    FIELD_IS(2, "\tc");
    FIELD_IS(3, "plain");
    FIELD_IS(4, "\\");
    /* the next row reuses the buffers */
    const char row2[] = "\\n";
    ck_assert(copy_text_split(&d, row2, sizeof(row2) - 1));
    ck_assert_uint_eq(d.n, 1);
    FIELD_IS(0, "\n");
}
END_TEST

START_TEST(utf8_and_many_fields)
{
    char row[4096];
    size_t len = 0;
    for (int i = 0; i < 100; i++)
        len += (size_t)snprintf(row + len, sizeof(row) - len, "%sé%d", i ? "\t" : "", i);
    ck_assert(copy_text_split(&d, row, len));
    ck_assert_uint_eq(d.n, 100);
    FIELD_IS(0, "é0");
    FIELD_IS(99, "é99");
}
END_TEST

START_TEST(malformed)
{
    const char row[] = "abc\\";
    ck_assert(!copy_text_split(&d, row, sizeof(row) - 1));
}
END_TEST

START_TEST(empty_row)
{
    ck_assert(copy_text_split(&d, "\n", 1));
    ck_assert_uint_eq(d.n, 1);
    FIELD_IS(0, "");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("copy_text");
    TCase *tc = tcase_create("split");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, plain_fields);
    tcase_add_test(tc, nulls);
    tcase_add_test(tc, escapes);
    tcase_add_test(tc, octal_and_hex);
    tcase_add_test(tc, other_escaped_characters);
    tcase_add_test(tc, many_escaped_fields_reuse_scratch);
    tcase_add_test(tc, utf8_and_many_fields);
    tcase_add_test(tc, malformed);
    tcase_add_test(tc, empty_row);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
