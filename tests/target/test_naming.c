#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "naming.h"

START_TEST(lower_and_short)
{
    char out[NAMING_MAX + 1];
    naming_column("CamelCase", 9, out);
    ck_assert_str_eq(out, "camelcase");
    naming_column("Spécial Ü-x", strlen("Spécial Ü-x"), out);
    ck_assert_str_eq(out, "spécial Ü-x"); /* only ASCII letters are folded */
}
END_TEST

START_TEST(cut_at_63_with_stable_hash)
{
    const char *a = "a_very_long_property_name_that_goes_on_and_on_and_on_beyond_the_limit_1";
    const char *b = "a_very_long_property_name_that_goes_on_and_on_and_on_beyond_the_limit_2";
    char oa[NAMING_MAX + 1], ob[NAMING_MAX + 1], oa2[NAMING_MAX + 1];
    naming_column(a, strlen(a), oa);
    naming_column(b, strlen(b), ob);
    naming_column(a, strlen(a), oa2);
    ck_assert_uint_eq(strlen(oa), 63);
    ck_assert_str_eq(oa, oa2);
    ck_assert_str_ne(oa, ob);
    ck_assert_int_eq(strncmp(oa, a, 54), 0);
    ck_assert_int_eq(oa[54], '_');
    /* exactly 63 bytes stays as it is */
    char s63[64];
    memset(s63, 'x', 63);
    s63[63] = '\0';
    naming_column(s63, 63, oa);
    ck_assert_str_eq(oa, s63);
    /* upper case folds before hashing: same column */
    naming_column("A_VERY_LONG_PROPERTY_NAME_THAT_GOES_ON_AND_ON_AND_ON_BEYOND_THE_LIMIT_1",
                  strlen(a), ob);
    ck_assert_str_eq(oa2, ob);
}
END_TEST

START_TEST(cut_keeps_utf8_whole)
{
    /* 53 ASCII bytes then 2-byte characters: the cut must not split one */
    char s[200];
    memset(s, 'a', 53);
    const char *e = "ééééééééééééééééé";
    memcpy(s + 53, e, strlen(e) + 1);
    char out[NAMING_MAX + 1];
    naming_column(s, strlen(s), out);
    ck_assert_uint_le(strlen(out), 63);
    ck_assert_int_eq(out[53], '_');
}
END_TEST

START_TEST(stream_to_table)
{
    naming_target t;
    char err[256];
    ck_assert(naming_stream("public-Users", "tgt", NULL, NULL, &t, err, sizeof(err)));
    ck_assert_str_eq(t.schema, "tgt");
    ck_assert_str_eq(t.table, "users");
    ck_assert_str_eq(t.source_schema, "public");
    ck_assert(naming_stream("db-sales-order-lines", "tgt", NULL, NULL, &t, err, sizeof(err)));
    ck_assert_str_eq(t.table, "order_lines");
    ck_assert_str_eq(t.source_schema, "sales");
    ck_assert(naming_stream("plain.table", "tgt", NULL, NULL, &t, err, sizeof(err)));
    ck_assert_str_eq(t.table, "plain_table");
    cJSON *m = cJSON_Parse(
        "{\"sales\":{\"target_schema\":\"Analytics\",\"target_schema_select_permissions\":[\"r1\"],"
        "\"indices\":{\"orders\":[\"a,b\"]}}}");
    ck_assert(naming_stream("sales-orders", NULL, NULL, m, &t, err, sizeof(err)));
    ck_assert_str_eq(t.schema, "analytics");
    ck_assert_ptr_nonnull(t.grants);
    ck_assert_ptr_nonnull(t.indices);
    ck_assert(!naming_stream("other-orders", NULL, NULL, m, &t, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "no target schema"));
    cJSON_Delete(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("naming");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, lower_and_short);
    tcase_add_test(tc, cut_at_63_with_stable_hash);
    tcase_add_test(tc, cut_keeps_utf8_whole);
    tcase_add_test(tc, stream_to_table);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
