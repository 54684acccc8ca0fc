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
    ck_assert_int_eq(kind_of("{\"type\":\"integer\",\"minimum\":-32768,\"maximum\":32767}"),
                     CK_SMALLINT);
    ck_assert_int_eq(
        kind_of("{\"type\":\"integer\",\"minimum\":-2147483648,\"maximum\":2147483647}"),
        CK_INTEGER);
    ck_assert_int_eq(kind_of("{\"type\":\"integer\",\"minimum\":-9223372036854775808,\"maximum\":"
                             "9223372036854775807}"),
                     CK_BIGINT);
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
    ck_assert_int_eq(
        kind_of("{\"anyOf\":[{\"type\":\"string\",\"format\":\"date-time\"},{\"type\":\"null\"}]}"),
        CK_TIMESTAMPTZ);
}
END_TEST

START_TEST(flatten_levels)
{
    cJSON *s =
        J("{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"integer\"},"
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
    size_t a, zz = 99;
    ck_assert(flatten_lookup(&cs.root, "a", 1, 0, &a));
    ck_assert_ptr_nonnull(cs.root.children[a].sub);
    ck_assert(!flatten_lookup(&cs.root, "zz", 2, 0, &zz));
    ck_assert_uint_eq(zz, 99); /* not written */
    flatten_free(&cs);
    cJSON_Delete(s);
    cJSON_Delete(keys);
}
END_TEST

START_TEST(collisions)
{
    char err[256];
    column_set cs;
    cJSON *s =
        J("{\"properties\":{\"Name\":{\"type\":\"string\"},\"name\":{\"type\":\"string\"}}}");
    ck_assert(!flatten_schema(&cs, s, NULL, 0, false, false, err, sizeof(err)));
    ck_assert_str_eq(err, "properties \"Name\" and \"name\" both become column \"name\"");
    cJSON_Delete(s);
    s = J("{\"properties\":{\"a__b\":{\"type\":\"string\"},\"a\":{\"type\":\"object\","
          "\"properties\":{\"b\":{\"type\":\"string\"}}}}}");
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
    /* time -> timetz keeps every value (read as UTC, the session's TimeZone) */
    ck_assert_str_eq(table_sync_widen("time", CK_TIME), "time with time zone");
    ck_assert_ptr_null(table_sync_widen("timetz", CK_TIME));
    ck_assert_ptr_null(table_sync_widen("bytea", CK_BYTEA));
    ck_assert_ptr_null(table_sync_widen("text", CK_BYTEA));
    ck_assert_str_eq(table_sync_widen("bytea", CK_TEXT), "text");
}
END_TEST

/* the hint's SQL text, typname and kind; "" and the error text when it is refused */
static const char *hint(const char *h, col_kind *kind, char *typname)
{
    static char sql[64], err[256];
    char tn[16];
    col_kind k = CK_TEXT;
    if (!flatten_sql_hint(h, &k, sql, tn, err, sizeof(err)))
        return err;
    if (kind)
        *kind = k;
    if (typname)
        memcpy(typname, tn, sizeof(tn));
    return sql;
}

START_TEST(sql_hints)
{
    col_kind k;
    char tn[16];
    ck_assert_str_eq(hint("smallint", &k, tn), "smallint");
    ck_assert_int_eq(k, CK_SMALLINT);
    ck_assert_str_eq(tn, "int2");
    ck_assert_str_eq(hint(" INT4 ", &k, tn), "integer");
    ck_assert_int_eq(k, CK_INTEGER);
    ck_assert_str_eq(hint("numeric( 12 , 2 )", &k, tn), "numeric(12,2)");
    ck_assert_int_eq(k, CK_NUMERIC);
    ck_assert_str_eq(hint("Character  Varying(20)", &k, tn), "varchar(20)");
    ck_assert_int_eq(k, CK_TEXT);
    ck_assert_str_eq(tn, "varchar");
    ck_assert_str_eq(hint("timestamp(3) with time zone", &k, tn), "timestamp(3) with time zone");
    ck_assert_str_eq(hint("timestamptz", &k, tn), "timestamp with time zone");
    ck_assert_str_eq(hint("TIMESTAMP(6)", &k, tn), "timestamp(6) without time zone");
    ck_assert_str_eq(tn, "timestamp");
    ck_assert_int_eq(k, CK_TIMESTAMPTZ);
    ck_assert_str_eq(hint("time without time zone", &k, tn), "time without time zone");
    ck_assert_str_eq(hint("timetz(2)", &k, tn), "time(2) with time zone");
    ck_assert_int_eq(k, CK_TIME);
    ck_assert_str_eq(hint("double precision", &k, tn), "double precision");
    ck_assert_str_eq(hint("uuid", &k, tn), "uuid");
    ck_assert_int_eq(k, CK_TEXT);
    ck_assert_str_eq(hint("json", &k, tn), "json");
    ck_assert_int_eq(k, CK_JSONB);
    ck_assert_str_eq(hint("smallnt", NULL, NULL),
                     "x-sql-datatype \"smallnt\" is not a PostgreSQL built-in type name this "
                     "target knows (e.g. smallint, varchar(20), numeric(12,2), uuid, timestamp)");
    ck_assert_str_eq(hint("integer[]", NULL, NULL),
                     "x-sql-datatype \"integer[]\": array types are not supported");
    ck_assert_str_eq(hint("varchar(0)", NULL, NULL),
                     "x-sql-datatype \"varchar(0)\": invalid type modifier for varchar");
    ck_assert_str_eq(hint("smallint(3)", NULL, NULL),
                     "x-sql-datatype \"smallint(3)\": invalid type modifier for smallint");
    ck_assert_str_eq(hint("numeric(5,6)", NULL, NULL),
                     "x-sql-datatype \"numeric(5,6)\": invalid type modifier for numeric");
    /* nothing of the hint's own text reaches SQL: anything but a known name is refused */
    ck_assert_ptr_nonnull(strstr(hint("int); DROP TABLE t; --", NULL, NULL), "is not"));
    ck_assert_ptr_nonnull(strstr(hint("\"int4\"", NULL, NULL), "is not"));
    ck_assert_ptr_nonnull(strstr(hint("public.int4", NULL, NULL), "is not"));
    ck_assert_ptr_nonnull(strstr(hint("varchar(1)(2)", NULL, NULL), "is not"));
    ck_assert_ptr_nonnull(strstr(hint("(3)", NULL, NULL), "is not"));
    ck_assert_ptr_nonnull(strstr(hint("", NULL, NULL), "is not"));
}
END_TEST

START_TEST(hinted_columns)
{
    char err[256];
    column_set cs;
    cJSON *s = J("{\"properties\":{\"a\":{\"type\":\"integer\",\"x-sql-datatype\":\"smallint\"},"
                 "\"b\":{\"x-sql-datatype\":\"uuid\"},"
                 "\"c\":{\"anyOf\":[{\"type\":\"string\",\"x-sql-datatype\":\"varchar(3)\"},"
                 "{\"type\":\"null\"}]},"
                 "\"d\":{\"type\":\"string\",\"contentEncoding\":\"base16\"},"
                 "\"e\":{\"type\":[\"string\",\"null\"],\"contentEncoding\":\"base16\"},"
                 "\"f\":{\"type\":\"string\",\"format\":\"date\",\"contentEncoding\":\"base16\"},"
                 "\"g\":{\"type\":\"string\",\"format\":\"time\"}}}");
    ck_assert(flatten_schema(&cs, s, NULL, 0, false, false, err, sizeof(err)));
    ck_assert_int_eq(cs.cols[0].kind, CK_SMALLINT);
    ck_assert_str_eq(flatten_col_sql(&cs.cols[0]), "smallint");
    ck_assert_int_eq(cs.cols[1].kind, CK_TEXT); /* PostgreSQL checks a uuid's text itself */
    ck_assert_str_eq(flatten_col_sql(&cs.cols[1]), "uuid");
    ck_assert_str_eq(flatten_col_sql(&cs.cols[2]), "varchar(3)");
    ck_assert_int_eq(cs.cols[3].kind, CK_TEXT); /* interpret_content_encoding is off */
    ck_assert_str_eq(flatten_col_sql(&cs.cols[6]), "time with time zone");
    uint64_t fp = cs.fingerprint;
    flatten_free(&cs);
    ck_assert(flatten_schema(&cs, s, NULL, 0, false, true, err, sizeof(err)));
    ck_assert_int_eq(cs.cols[3].kind, CK_BYTEA);
    ck_assert_str_eq(flatten_col_sql(&cs.cols[3]), "bytea");
    ck_assert_int_eq(cs.cols[4].kind, CK_BYTEA);
    ck_assert_int_eq(cs.cols[5].kind, CK_DATE); /* a format wins, as in MeltanoLabs */
    ck_assert(cs.fingerprint != fp);
    flatten_free(&cs);
    cJSON_Delete(s);
    s = J("{\"properties\":{\"id\":{\"type\":\"integer\"},\"x\":{\"type\":\"object\","
          "\"properties\":{\"y\":{\"x-sql-datatype\":\"bigserial\"}}}}}");
    ck_assert(!flatten_schema(&cs, s, NULL, 1, false, false, err, sizeof(err)));
    ck_assert_str_eq(err, "property \"x.y\": x-sql-datatype \"bigserial\" is not a PostgreSQL "
                          "built-in type name this target knows (e.g. smallint, varchar(20), "
                          "numeric(12,2), uuid, timestamp)");
    cJSON_Delete(s);
    s = J("{\"properties\":{\"x\":{\"x-sql-datatype\":[\"int\"]}}}");
    ck_assert(!flatten_schema(&cs, s, NULL, 0, false, false, err, sizeof(err)));
    ck_assert_str_eq(err, "property \"x\": x-sql-datatype must be a string");
    cJSON_Delete(s);
}
END_TEST

START_TEST(hinted_widening)
{
    tcolumn c;
    memset(&c, 0, sizeof(c));
    char err[256];
    ck_assert(flatten_sql_hint("bigint", &c.kind, c.sql, c.hint_typname, err, sizeof(err)));
    ck_assert_str_eq(table_sync_widen_col("int4", &c), "bigint");
    ck_assert_ptr_null(table_sync_widen_col("int8", &c));
    ck_assert_str_eq(table_sync_widen_col("bool", &c), "text");
    ck_assert(flatten_sql_hint("numeric(12,2)", &c.kind, c.sql, c.hint_typname, err, sizeof(err)));
    ck_assert_str_eq(table_sync_widen_col("int4", &c), "numeric(12,2)");
    ck_assert(flatten_sql_hint("time", &c.kind, c.sql, c.hint_typname, err, sizeof(err)));
    ck_assert_ptr_null(table_sync_widen_col("time", &c)); /* asked for: not widened to timetz */
    ck_assert_ptr_null(table_sync_widen_col("timetz", &c));
    ck_assert(flatten_sql_hint("uuid", &c.kind, c.sql, c.hint_typname, err, sizeof(err)));
    ck_assert_ptr_null(table_sync_widen_col("text", &c)); /* an existing column is kept */
    ck_assert_ptr_null(table_sync_widen_col("int4", &c));
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
    tcase_add_test(tc, sql_hints);
    tcase_add_test(tc, hinted_columns);
    tcase_add_test(tc, hinted_widening);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
