#include "lsn.h"

#include <check.h>
#include <stdlib.h>

START_TEST(parse_and_format)
{
    uint64_t v = 0;
    ck_assert(lsn_parse("16/B374D848", &v));
    ck_assert_uint_eq(v, 0x16B374D848ULL);
    char out[LSN_TEXT_MAX];
    lsn_format(v, out);
    ck_assert_str_eq(out, "16/B374D848");
    lsn_format(0, out);
    ck_assert_str_eq(out, "0/0");
    ck_assert(lsn_parse("FFFFFFFF/FFFFFFFF", &v));
    ck_assert_uint_eq(v, UINT64_MAX);
    ck_assert(!lsn_parse("", &v));
    ck_assert(!lsn_parse("16B374D848", &v));
    ck_assert(!lsn_parse("1/", &v));
    ck_assert(!lsn_parse("1/2x", &v));
    ck_assert(!lsn_parse("100000000/0", &v));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("lsn");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, parse_and_format);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
