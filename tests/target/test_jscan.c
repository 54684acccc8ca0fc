#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "jscan.h"

START_TEST(tokens_and_find)
{
    jscan s;
    jscan_init(&s);
    const char *line = "{\"type\":\"RECORD\",\"record\":{\"a\":1.50,\"b\":[1,{\"c\":null}],\"d\":"
                       "\"x\\ty\"},\"n\":-12}";
    ck_assert(jscan_parse(&s, line, strlen(line)));
    int rec = jscan_find(&s, line, 0, "record");
    ck_assert_int_gt(rec, 0);
    ck_assert_int_eq(s.toks[rec].type, J_OBJECT);
    ck_assert_uint_eq(s.toks[rec].size, 3);
    int a = jscan_find(&s, line, rec, "a");
    ck_assert_int_eq(s.toks[a].type, J_NUMBER);
    ck_assert_int_eq(strncmp(line + s.toks[a].start, "1.50", s.toks[a].end - s.toks[a].start), 0);
    ck_assert(!(s.toks[a].flags & JF_INTEGER));
    int d = jscan_find(&s, line, rec, "d");
    ck_assert(s.toks[d].flags & JF_ESCAPED);
    int n = jscan_find(&s, line, 0, "n");
    ck_assert(s.toks[n].flags & JF_INTEGER);
    ck_assert_int_eq(jscan_find(&s, line, 0, "missing"), JSCAN_NOT_FOUND);
    jscan_term(&s);
}
END_TEST

START_TEST(errors)
{
    jscan s;
    jscan_init(&s);
    const char *bad[] = {"{\"a\":}",    "{\"a\":1",         "{\"a\" 1}",       "[1,]", "{\"a\":01}",
                         "{\"a\":tru}", "{\"a\":\"x\ty\"}", "{\"a\":\"\\q\"}", "{} x", "",
                         "{\"a\":1,}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(!jscan_parse(&s, bad[i], strlen(bad[i])), "accepted: %s", bad[i]);
    const char *u = "{\"a\":\"\xff\"}";
    ck_assert(jscan_parse(&s, u, strlen(u)));
    ck_assert(s.toks[2].flags & JF_BAD_UTF8);
    const char *nul = "{\"a\":\"x\\u0000\"}";
    ck_assert(jscan_parse(&s, nul, strlen(nul)));
    ck_assert(s.toks[2].flags & JF_NUL);
    jscan_term(&s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("jscan");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, tokens_and_find);
    tcase_add_test(tc, errors);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
