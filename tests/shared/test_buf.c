#include "buf.h"

#include <check.h>
#include <stdlib.h>

START_TEST(append_and_reset)
{
    buf b = BUF_INIT;
    buf_append_lit(&b, "abc");
    buf_putc(&b, 'd');
    buf_appendf(&b, "%d-%s", 42, "x");
    ck_assert_str_eq(b.data, "abcd42-x");
    ck_assert_uint_eq(b.len, 8);
    buf_reset(&b);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_str_eq(b.data, "");
    buf_term(&b);
    ck_assert_ptr_null(b.data);
}
END_TEST

START_TEST(grows_past_initial_capacity)
{
    buf b = BUF_INIT;
    for (int i = 0; i < 100000; i++)
        buf_putc(&b, (char)('a' + i % 26));
    ck_assert_uint_eq(b.len, 100000);
    ck_assert_int_eq(b.data[99999], 'a' + 99999 % 26);
    ck_assert_int_eq(b.data[100000], '\0');
    ck_assert(buf_ok(&b));
    buf_term(&b);
}
END_TEST

START_TEST(appendf_long_output)
{
    buf b = BUF_INIT;
    char big[5000];
    memset(big, 'z', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    buf_appendf(&b, "<%s>", big);
    ck_assert_uint_eq(b.len, 5001);
    ck_assert_int_eq(b.data[0], '<');
    ck_assert_int_eq(b.data[5000], '>');
    buf_term(&b);
}
END_TEST

START_TEST(consume_and_detach)
{
    buf b = BUF_INIT;
    buf_appends(&b, "hello world");
    buf_consume(&b, 6);
    ck_assert_str_eq(b.data, "world");
    buf_consume(&b, 100);
    ck_assert_uint_eq(b.len, 0);
    buf_appends(&b, "x");
    char *p = buf_detach(&b);
    ck_assert_str_eq(p, "x");
    ck_assert_ptr_null(b.data);
    free(p);
    buf_term(NULL);
}
END_TEST

START_TEST(embedded_nul)
{
    buf b = BUF_INIT;
    buf_append(&b, "a\0b", 3);
    ck_assert_uint_eq(b.len, 3);
    ck_assert_int_eq(b.data[1], '\0');
    ck_assert_int_eq(b.data[2], 'b');
    buf_term(&b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("buf");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, append_and_reset);
    tcase_add_test(tc, grows_past_initial_capacity);
    tcase_add_test(tc, appendf_long_output);
    tcase_add_test(tc, consume_and_detach);
    tcase_add_test(tc, embedded_nul);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
