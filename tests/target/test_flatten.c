#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "flatten.h"
#include "table_sync.h"

static cJSON *J(const char *s)
{
    cJSON *j = cJSON_Parse(s);
    ck_assert_ptr_nonnull(j);
    return j;
}

static col_kind kind_of(const char *schema)
{
    cJSON *j = J(schema);
    col_kind k = flatten_kind(j);
    cJSON_Delete(j);
    return k;
}

START_TEST(type_mapping)
{
    ck_assert_int_eq(kind_of("{\"type\":[\"null\",\"integer\"]}"), CK_BIGINT);
    ck_assert_int_eq(kind_of("{\"type\":\"integer\",\"minimum\":-32768,\"maximum\":32767}"), CK_SMALLINT);
    ck_assert_int_eq(kind_of("{\"type\":\"integer\",\"minimum\":-2147483648,\"maximum\":2147483647}"), CK_INTEGER);
    ck_assert_int_eq(kind_of("{\"type\":\"integer\",\"minimum\":-9223372036854775808,\"maximum\":9223372036854775807}"), CK_BIGINT);
    ck_assert_int_eq(kind_of("{\"type\":\"integer\",\"minimum\":0,\"maximum\":1e30}"), CK_NUMERIC);
    ck_assert_int_eq(kind_of("{\"type\":[\"null\",\"number\"]}"), CK_NUMERIC);
    ck_assert_int_eq(kind_of("{\"type\":[\"integer\",\"number\"]}"), CK_NUMERIC);
    ck_assert_int_eq(kind_of("{\"type\":\"string\",\"format\":\"date-time\"}"), CK_TIMESTAMPTZ);
    ck_assert_int_eq(kind_of("{\"type\":\"string\",\"format\":\"date\"}"), CK_DATE);
    ck_assert_int_eq(kind_of("{\"type\":\"string\",\"format\":\"time\"}"), CK_TIME);
    ck_assert_int_eq(kind_of("{\"type\":\"string\"}"), CK_TEXT);
    ck_assert_int_eq(kind_of("{\"type\":\"boolean\"}"), CK_BOOL);
    ck_assert_int_eq(kind_of("{\"type\":[\"null\",\"object\",\"array\"]}"), CK_JSONB);
    ck_assert_int_eq(kind_of("{\"type\":\"array\",\"items\":{\"type\":\"integer\"}}"), CK_JSONB);
    ck_assert_int_eq(kind_of("{}"), CK_JSONB);
    ck_assert_int_eq(kind_of("{\"type\":[\"string\",\"integer\"]}"), CK_TEXT);
    ck_assert_int_eq(kind_of("{\"anyOf\":[{\"type\":\"string\",\"format\":\"date-time\"},{\"type\":\"null\"}]}"), CK_TIMESTAMPTZ);
}
END_TEST

START_TEST(flatten_levels)
{
    cJSON *s = J("{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"integer\"},"
                 "\"a\":{\"type\":[\"null\",\"object\"],\"properties\":{\"b\":{\"type\":\"string\"},"
                 "\"c\":{\"type\":\"object\",\"properties\":{\"d\":{\"type\":\"integer\"}}}}},"
                 "\"e\":{\"type\":\"object\"},\"f\":{\"type\":\"array\"}}}");
    cJSON *keys = J("[\"id\"]");
    char err[256];
    column_set cs;
    ck_assert(flatten_schema(&cs, s, keys, 0, false, false, err, sizeof(err)));
    ck_assert_uint_eq(cs.ncols, 4);
    ck_assert_str_eq(cs.cols[1].name, "a");
    ck_assert_int_eq(cs.cols[1].kind, CK_JSONB);
    flatten_free(&cs);

    ck_assert(flatten_schema(&cs, s, keys, 1, false, false, err, sizeof(err)));
    ck_assert_uint_eq(cs.ncols, 5);
    ck_assert_str_eq(cs.cols[1].name, "a__b");
    ck_assert_str_eq(cs.cols[1].path, "a.b");
    ck_assert_str_eq(cs.cols[2].name, "a__c");
    ck_assert_int_eq(cs.cols[2].kind, CK_JSONB);
    ck_assert_str_eq(cs.cols[3].name, "e"); /* an object without properties stays jsonb */
    ck_assert_int_eq(cs.cols[3].kind, CK_JSONB);
    flatten_free(&cs);

    ck_assert(flatten_schema(&cs, s, keys, 2, true, false, err, sizeof(err)));
    ck_assert_str_eq(cs.cols[2].name, "a__c__d");
    ck_assert_int_eq(cs.cols[2].kind, CK_BIGINT);
    ck_assert_uint_eq(cs.ncols, 5 + 6); /* plus the metadata columns */
    ck_assert_uint_eq(cs.nkeys, 1);
    ck_assert(cs.cols[cs.keys[0]].is_key);
    /* the property tree maps record keys to columns */
    int a = flatten_lookup(&cs.root, "a", 1, 0);
    ck_assert_int_ge(a, 0);
    ck_assert_ptr_nonnull(cs.root.children[a].sub);
    ck_assert_int_eq(flatten_lookup(&cs.root, "zz", 2, 0), -1);
    flatten_free(&cs);
    cJSON_Delete(s);
    cJSON_Delete(keys);
}
END_TEST

START_TEST(collisions)
{
    char err[256];
    column_set cs;
    cJSON *s = J("{\"properties\":{\"Name\":{\"type\":\"string\"},\"name\":{\"type\":\"string\"}}}");
    ck_assert(!flatten_schema(&cs, s, NULL, 0, false, false, err, sizeof(err)));
    ck_assert_str_eq(err, "properties \"Name\" and \"name\" both become column \"name\"");
    cJSON_Delete(s);
    s = J("{\"properties\":{\"a__b\":{\"type\":\"string\"},\"a\":{\"type\":\"object\",\"properties\":{\"b\":{\"type\":\"string\"}}}}}");
    ck_assert(!flatten_schema(&cs, s, NULL, 1, false, false, err, sizeof(err)));
    ck_assert_str_eq(err, "properties \"a__b\" and \"a.b\" both become column \"a__b\"");
    cJSON_Delete(s);
    s = J("{\"type\":\"object\"}");
    ck_assert(!flatten_schema(&cs, s, NULL, 0, false, false, err, sizeof(err)));
    ck_assert_str_eq(err, "the schema has no properties");
    cJSON_Delete(s);
    s = J("{\"properties\":{\"a\":{\"type\":\"string\"}}}");
    cJSON *k = J("[\"id\"]");
    ck_assert(!flatten_schema(&cs, s, k, 0, false, false, err, sizeof(err)));
    ck_assert_str_eq(err, "key property \"id\" is not in the schema properties");
    cJSON_Delete(s);
    cJSON_Delete(k);
}
END_TEST

START_TEST(widening)
{
    ck_assert_ptr_null(table_sync_widen("int8", CK_INTEGER));
    ck_assert_str_eq(table_sync_widen("int4", CK_BIGINT), "bigint");
    ck_assert_str_eq(table_sync_widen("int8", CK_NUMERIC), "numeric");
    ck_assert_str_eq(table_sync_widen("numeric", CK_TEXT), "text");
    ck_assert_ptr_null(table_sync_widen("float8", CK_NUMERIC));
    ck_assert_ptr_null(table_sync_widen("timestamp", CK_TIMESTAMPTZ));
    ck_assert_str_eq(table_sync_widen("date", CK_TIMESTAMPTZ), "timestamp with time zone");
    ck_assert_str_eq(table_sync_widen("bool", CK_BIGINT), "text");
    ck_assert_ptr_null(table_sync_widen("varchar", CK_JSONB));
    ck_assert_ptr_null(table_sync_widen("uuid", CK_TEXT));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("flatten");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, type_mapping);
    tcase_add_test(tc, flatten_levels);
    tcase_add_test(tc, collisions);
    tcase_add_test(tc, widening);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
