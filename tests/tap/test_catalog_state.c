#include "capture.h"
#include "catalog.h"
#include "log.h"
#include "record_builder.h"
#include "state.h"

#include <string.h>

static tap_config cfg;

static void setup(void)
{
    memset(&cfg, 0, sizeof(cfg));
    cfg.itersize = 20000;
    cfg.limit = -1;
}

/* a catalog entry: id public-<t>, metadata [] with extra members, columns a, b, c */
static char *entry(const char *table, const char *md_extra, const char *col_md)
{
    static char bufs[8][2048];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, 2048,
             "{\"tap_stream_id\":\"public-%s\",\"table_name\":\"%s\",\"stream\":\"%s\","
             "\"schema\":{\"type\":\"object\",\"properties\":{\"a\":{},\"b\":{},\"c\":{}}},"
             "\"metadata\":[{\"breadcrumb\":[],\"metadata\":{\"schema-name\":\"public\"%s}}%s]}",
             table, table, table, md_extra, col_md ? col_md : "");
    return b;
}

static bool parse_catalog(tap_catalog *cat, const char *streams, const char **log)
{
    char text[16384];
    snprintf(text, sizeof(text), "{\"streams\":[%s]}", streams);
    cJSON *root = cJSON_Parse(text);
    ck_assert_ptr_nonnull(root);
    capture_begin();
    bool ok = catalog_parse(cat, root, "catalog", &cfg);
    *log = capture_end();
    return ok;
}

START_TEST(selection_and_order)
{
    char s[8192];
    snprintf(s, sizeof(s), "%s,%s,%s",
             entry("zeta", ",\"selected\":true,\"replication-method\":\"FULL_TABLE\"", NULL),
             entry("alpha",
                   ",\"selected\":\"true\",\"replication-method\":\"INCREMENTAL\",\"replication-"
                   "key\":\"b\"",
                   NULL),
             entry("skipped", ",\"selected\":false", NULL));
    tap_catalog cat;
    const char *log;
    ck_assert(parse_catalog(&cat, s, &log));
    ck_assert_uint_eq(cat.n, 2);
    ck_assert_str_eq(cat.streams[0].tap_stream_id, "public-alpha");
    ck_assert_int_eq(cat.streams[0].method, TAP_INCREMENTAL);
    ck_assert_str_eq(cat.streams[0].replication_key, "b");
    ck_assert_str_eq(cat.streams[1].tap_stream_id, "public-zeta");
    ck_assert_int_eq(cat.streams[1].method, TAP_FULL_TABLE);
    catalog_term(&cat);
}
END_TEST

static void catalog_error(const char *streams, const char *needle)
{
    tap_catalog cat;
    const char *log;
    ck_assert_msg(!parse_catalog(&cat, streams, &log), "accepted %s", streams);
    ck_assert_msg(strstr(log, needle) != NULL, "log \"%s\" lacks \"%s\"", log, needle);
    catalog_term(&cat);
}

START_TEST(catalog_errors)
{
    catalog_error(entry("t", ",\"selected\":true,\"replication-method\":\"FULL\"", NULL),
                  "stream \"public-t\": unknown replication method \"FULL\"");
    catalog_error(entry("t", ",\"selected\":true", NULL),
                  "stream \"public-t\" has no replication-method in its metadata");
    catalog_error(entry("t", ",\"selected\":true,\"replication-method\":\"INCREMENTAL\"", NULL),
                  "stream \"public-t\": INCREMENTAL replication needs a replication-key");
    catalog_error("{\"table_name\":\"x\"}", "stream #1 has no \"tap_stream_id\"");
    tap_catalog cat;
    const char *log;
    cJSON *root = cJSON_Parse("{\"streams\":{}}");
    capture_begin();
    ck_assert(!catalog_parse(&cat, root, "catalog", &cfg));
    log = capture_end();
    ck_assert(strstr(log, "\"streams\" array") != NULL);
    catalog_term(&cat);
}
END_TEST

START_TEST(default_method_from_config)
{
    cfg.default_replication_method = "FULL_TABLE";
    tap_catalog cat;
    const char *log;
    ck_assert(parse_catalog(&cat, entry("t", ",\"selected\":true", NULL), &log));
    ck_assert_uint_eq(cat.n, 1);
    ck_assert_str_eq(cat.streams[0].method_name, "FULL_TABLE");
    catalog_term(&cat);
}
END_TEST

/* a Singer SDK catalog (MeltanoLabs) carries replication_method / replication_key at the top
   of the entry; the metadata wins, then the top, then the config's default */
START_TEST(sdk_catalog_top_level_method)
{
    cfg.default_replication_method = "FULL_TABLE";
    char s[8192];
    char *a = entry("a", ",\"selected\":true", NULL), *b = entry("b", ",\"selected\":true", NULL),
         *c = entry("c", ",\"selected\":true,\"replication-method\":\"FULL_TABLE\"", NULL);
    /* insert the top-level members after the opening brace */
    snprintf(s, sizeof(s),
             "{\"replication_method\":\"LOG_BASED\",%s,"
             "{\"replication_method\":\"INCREMENTAL\",\"replication_key\":\"b\",%s,"
             "{\"replication_method\":\"LOG_BASED\",%s",
             a + 1, b + 1, c + 1);
    tap_catalog cat;
    const char *log;
    ck_assert(parse_catalog(&cat, s, &log));
    ck_assert_uint_eq(cat.n, 3);
    ck_assert_str_eq(cat.streams[0].method_name, "LOG_BASED");
    ck_assert_str_eq(cat.streams[1].method_name, "INCREMENTAL");
    ck_assert_str_eq(cat.streams[1].replication_key, "b");
    ck_assert_str_eq(cat.streams[2].method_name, "FULL_TABLE");
    catalog_term(&cat);
}
END_TEST

/* stream_options custom_where_clauses attach to their stream; LOG_BASED cannot be filtered */
START_TEST(stream_options_where_clauses)
{
    cJSON *so = cJSON_Parse("{\"public-t\":{\"custom_where_clauses\":[\"a > 1\"]},"
                            "\"public-typo\":{\"custom_where_clauses\":[\"a > 2\"]}}");
    cfg.stream_options = so;
    tap_catalog cat;
    const char *log;
    ck_assert(parse_catalog(
        &cat, entry("t", ",\"selected\":true,\"replication-method\":\"FULL_TABLE\"", NULL), &log));
    ck_assert_ptr_nonnull(cat.streams[0].where_clauses);
    ck_assert_str_eq(cJSON_GetArrayItem(cat.streams[0].where_clauses, 0)->valuestring, "a > 1");
    ck_assert_msg(strstr(log,
                         "stream_options names stream \"public-typo\", which is not a selected "
                         "stream") != NULL,
                  "log: %s", log);
    catalog_term(&cat);
    /* LOG_BASED takes them too (the copy and the changes are filtered: row_filter.h) */
    ck_assert(parse_catalog(
        &cat, entry("t", ",\"selected\":true,\"replication-method\":\"LOG_BASED\"", NULL), &log));
    ck_assert_ptr_nonnull(cat.streams[0].where_clauses);
    catalog_term(&cat);
    cfg.stream_options = NULL;
    cJSON_Delete(so);
}
END_TEST

/* a hand-made metadata of table public.t: id (pk), a, b, newcol */
static discovery_column cols[4];
static discovery_table table;
static const discovery_column *pk[1];
static const discovery_table *by_name[1];
static discovery_db db;

static void make_db(void)
{
    memset(cols, 0, sizeof(cols));
    const char *names[4] = {"id", "a", "b", "newcol"};
    for (int i = 0; i < 4; i++) {
        cols[i].name = names[i];
        cols[i].sql_type = "integer";
        cols[i].cast_type = "integer";
        cols[i].attnum = i + 1;
        cols[i].can_select = true;
        typemap_resolve(&cols[i].type, "int4", 'b', false, -1);
    }
    cols[0].is_pk = true;
    pk[0] = &cols[0];
    memset(&table, 0, sizeof(table));
    table.schema = "public";
    table.name = "t";
    table.relkind = 'r';
    table.cols = cols;
    table.ncols = 4;
    table.pk = pk;
    table.npk = 1;
    by_name[0] = &table;
    memset(&db, 0, sizeof(db));
    db.dbname = "d";
    db.tables = &table;
    db.ntables = 1;
    db.by_name = by_name;
}

static tap_catalog bound;

static bool bind(const char *streams, const char **log)
{
    make_db();
    ck_assert(parse_catalog(&bound, streams, log));
    capture_begin();
    bool ok = catalog_bind(&bound, &db);
    *log = capture_end();
    return ok;
}

START_TEST(bind_columns)
{
    /* catalog lists id? no: a, b, c; c does not exist but is deselected; b deselected */
    const char *log;
    char s[4096];
    snprintf(s, sizeof(s), "%s",
             entry("t", ",\"selected\":true,\"replication-method\":\"FULL_TABLE\"",
                   ",{\"breadcrumb\":[\"properties\",\"b\"],\"metadata\":{\"selected\":false}}"
                   ",{\"breadcrumb\":[\"properties\",\"c\"],\"metadata\":{\"selected\":false}}"));
    ck_assert(bind(s, &log));
    tap_stream *st = &bound.streams[0];
    /* id: primary key (always), a: selected, b: deselected, newcol: not in the catalog */
    ck_assert_uint_eq(st->ncolumns, 3);
    ck_assert_str_eq(st->columns[0].name, "id");
    ck_assert_str_eq(st->columns[1].name, "a");
    ck_assert_str_eq(st->columns[2].name, "newcol");
    ck_assert_uint_eq(st->nkeys, 1);
    ck_assert_str_eq(st->key_properties[0], "id");
    ck_assert_uint_eq(st->npk, 1);
    ck_assert_int_eq(st->pk_index[0], 0);
    ck_assert(strstr(log, "column \"newcol\" is not in the catalog") != NULL);
    catalog_term(&bound);
}
END_TEST

START_TEST(view_key_columns_always_synced)
{
    /* a view keyed by a through view-key-properties: a stays in the records even when the
       catalog deselects it (a key property missing from the records fails the target) */
    const char *log;
    char s[4096];
    snprintf(s, sizeof(s), "%s",
             entry("t",
                   ",\"selected\":true,\"replication-method\":\"FULL_TABLE\","
                   "\"view-key-properties\":[\"a\"]",
                   ",{\"breadcrumb\":[\"properties\",\"a\"],\"metadata\":{\"selected\":false}}"
                   ",{\"breadcrumb\":[\"properties\",\"c\"],\"metadata\":{\"selected\":false}}"));
    make_db();
    table.relkind = 'v';
    table.npk = 0;
    cols[0].is_pk = false;
    ck_assert(parse_catalog(&bound, s, &log));
    capture_begin();
    bool ok = catalog_bind(&bound, &db);
    log = capture_end();
    ck_assert_msg(ok, "%s", log);
    tap_stream *st = &bound.streams[0];
    ck_assert(st->is_view);
    ck_assert_uint_eq(st->nkeys, 1);
    ck_assert_str_eq(st->key_properties[0], "a");
    bool has_a = false;
    for (size_t i = 0; i < st->ncolumns; i++)
        has_a |= strcmp(st->columns[i].name, "a") == 0;
    ck_assert_msg(has_a, "the view key column a is synced");
    catalog_term(&bound);
}
END_TEST

START_TEST(bind_errors)
{
    const char *log;
    /* column c is selected but does not exist */
    ck_assert(
        !bind(entry("t", ",\"selected\":true,\"replication-method\":\"FULL_TABLE\"", NULL), &log));
    ck_assert_msg(
        strstr(log, "stream \"public-t\": column \"c\" does not exist in \"public\".\"t\"") != NULL,
        "%s", log);
    catalog_term(&bound);
    const char *deselect_c =
        ",{\"breadcrumb\":[\"properties\",\"c\"],\"metadata\":{\"selected\":false}}";
    ck_assert(!bind(entry("t",
                          ",\"selected\":true,\"replication-method\":\"INCREMENTAL\","
                          "\"replication-key\":\"zz\"",
                          deselect_c),
                    &log));
    ck_assert_msg(strstr(log, "stream \"public-t\": replication-key \"zz\" is not a column") !=
                      NULL,
                  "%s", log);
    catalog_term(&bound);
    ck_assert(!bind(
        entry("missing", ",\"selected\":true,\"replication-method\":\"FULL_TABLE\"", deselect_c),
        &log));
    ck_assert_msg(
        strstr(log, "stream \"public-missing\": table \"public\".\"missing\" does not exist") !=
            NULL,
        "%s", log);
    catalog_term(&bound);
}
END_TEST

static cJSON *parse_state(const char *text)
{
    cJSON *st = cJSON_Parse(text);
    ck_assert_ptr_nonnull(st);
    return st;
}

static const char *print(const cJSON *v)
{
    static char out[2048];
    char *p = cJSON_PrintUnformatted(v);
    snprintf(out, sizeof(out), "%s", p);
    cJSON_free(p);
    return out;
}

START_TEST(state_reset_rules)
{
    cJSON *st =
        parse_state("{\"bookmarks\":{\"s\":{\"last_replication_method\":\"INCREMENTAL\","
                    "\"replication_key\":\"u\",\"version\":1,\"replication_key_value\":\"5\"}}}");
    capture_begin();
    state_prepare_stream(st, "s", "INCREMENTAL", "u");
    capture_end();
    ck_assert_str_eq(print(st),
                     "{\"bookmarks\":{\"s\":{\"last_replication_method\":\"INCREMENTAL\","
                     "\"replication_key\":\"u\",\"version\":1,\"replication_key_value\":\"5\"}}}");
    /* key changed */
    capture_begin();
    state_prepare_stream(st, "s", "INCREMENTAL", "v");
    const char *log = capture_end();
    ck_assert(strstr(log, "replication key changed") != NULL);
    ck_assert_str_eq(print(st),
                     "{\"bookmarks\":{\"s\":{\"last_replication_method\":\"INCREMENTAL\"}}}");
    cJSON_Delete(st);
    /* method changed */
    st = parse_state(
        "{\"bookmarks\":{\"s\":{\"last_replication_method\":\"FULL_TABLE\",\"version\":7}}}");
    capture_begin();
    state_prepare_stream(st, "s", "LOG_BASED", NULL);
    log = capture_end();
    ck_assert(strstr(log, "replication method changed from FULL_TABLE to LOG_BASED") != NULL);
    ck_assert_str_eq(print(st),
                     "{\"bookmarks\":{\"s\":{\"last_replication_method\":\"LOG_BASED\"}}}");
    cJSON_Delete(st);
    /* same method: kept */
    st = parse_state(
        "{\"bookmarks\":{\"s\":{\"last_replication_method\":\"FULL_TABLE\",\"version\":7}}}");
    state_prepare_stream(st, "s", "FULL_TABLE", NULL);
    ck_assert_str_eq(
        print(st),
        "{\"bookmarks\":{\"s\":{\"last_replication_method\":\"FULL_TABLE\",\"version\":7}}}");
    state_set_currently_syncing(st, "s");
    ck_assert_str_eq(state_currently_syncing(st), "s");
    state_set_currently_syncing(st, NULL);
    ck_assert_ptr_null(state_currently_syncing(st));
    cJSON_Delete(st);
}
END_TEST

static void state_bad(const char *text, const char *needle)
{
    cJSON *st = cJSON_Parse(text);
    ck_assert_ptr_nonnull(st);
    capture_begin();
    ck_assert_msg(!state_check(st, "state"), "accepted %s", text);
    const char *log = capture_end();
    ck_assert_msg(strstr(log, needle) != NULL, "log \"%s\" lacks \"%s\"", log, needle);
    cJSON_Delete(st);
}

START_TEST(state_shape_checks)
{
    state_bad("[]", "expected a JSON object");
    state_bad("{\"bookmarks\":[]}", "\"bookmarks\" must be an object");
    state_bad("{\"bookmarks\":{\"s\":1}}", "the bookmark of stream \"s\" must be an object");
    state_bad("{\"currently_syncing\":5}", "\"currently_syncing\" must be a string or null");
    state_bad("{\"bookmarks\":{\"s\":{\"version\":\"x\"}}}",
              "bookmark \"s\": \"version\" must be an integer");
    /* a bookmark value that cannot be compared would silently mean "no bookmark": all rows again */
    state_bad("{\"bookmarks\":{\"s\":{\"replication_key_value\":{\"a\":1}}}}",
              "bookmark \"s\": \"replication_key_value\" must be a string or a number");
    state_bad("{\"bookmarks\":{\"s\":{\"replication_key_value\":[1]}}}",
              "bookmark \"s\": \"replication_key_value\" must be a string or a number");
    cJSON *ok = cJSON_Parse(
        "{\"currently_syncing\":null,\"bookmarks\":{\"s\":{\"version\":\"12\",\"lsn\":5,"
        "\"replication_key_value\":null},\"t\":{\"replication_key_value\":1.5}}}");
    ck_assert(state_check(ok, "state"));
    cJSON_Delete(ok);
}
END_TEST

START_TEST(bookmark_values)
{
    char tmp[40];
    cJSON *v = cJSON_CreateNumber(1700000000123.0);
    ck_assert_str_eq(state_bm_value_text(v, tmp, sizeof(tmp)), "1700000000123");
    cJSON_Delete(v);
    v = cJSON_CreateNumber(1.5);
    ck_assert_str_eq(state_bm_value_text(v, tmp, sizeof(tmp)), "1.5");
    cJSON_Delete(v);
    /* a pipelinewise numeric bookmark 0.1: "0.10000000000000001" compared as numeric would be
       > 0.1 and skip the rows whose key is exactly 0.1 */
    v = cJSON_Parse("0.1");
    ck_assert_str_eq(state_bm_value_text(v, tmp, sizeof(tmp)), "0.1");
    cJSON_Delete(v);
    v = cJSON_Parse("123.456");
    ck_assert_str_eq(state_bm_value_text(v, tmp, sizeof(tmp)), "123.456");
    cJSON_Delete(v);
    v = cJSON_Parse("0.30000000000000004");
    ck_assert_str_eq(state_bm_value_text(v, tmp, sizeof(tmp)), "0.30000000000000004");
    cJSON_Delete(v);
    v = cJSON_CreateString("2024-01-01 10:00:00.123456+00");
    ck_assert_str_eq(state_bm_value_text(v, tmp, sizeof(tmp)), "2024-01-01 10:00:00.123456+00");
    cJSON_Delete(v);
    ck_assert_ptr_null(state_bm_value_text(NULL, tmp, sizeof(tmp)));
    cJSON *bm = cJSON_CreateObject();
    state_bm_set_string(bm, "k", "12345678901234567890123", 23);
    state_bm_set_int(bm, "version", 1700000000123LL);
    state_bm_set_string(bm, "k", "x", 1); /* replaced in place */
    ck_assert_str_eq(print(bm), "{\"k\":\"x\",\"version\":1700000000123}");
    cJSON_Delete(bm);
}
END_TEST

/* MeltanoLabs tap-postgres LOG_BASED bookmarks: replication_key _sdc_lsn, the position as
   replication_key_value; taken as our lsn, the mark kept, the value removed */
START_TEST(sdk_lsn_bookmarks)
{
    cJSON *st = cJSON_Parse("{\"bookmarks\":{\"public-t\":{\"replication_key\":\"_sdc_lsn\","
                            "\"replication_key_value\":23456789},\"public-u\":{\"lsn\":5},"
                            "\"public-v\":{\"replication_key\":\"updated_at\","
                            "\"replication_key_value\":\"2024-01-01\"}}}");
    ck_assert(state_check(st, "state"));
    ck_assert(state_is_sdk_lsn(st, "public-t"));
    ck_assert(!state_is_sdk_lsn(st, "public-u"));
    ck_assert(!state_is_sdk_lsn(st, "public-v"));
    ck_assert(!state_is_sdk_lsn(st, "public-missing"));
    ck_assert_int_eq((long long)state_lsn_value(st, "public-t")->valuedouble, 23456789);
    ck_assert_int_eq((long long)state_lsn_value(st, "public-u")->valuedouble, 5);
    ck_assert_ptr_null(state_lsn_value(st, "public-v")); /* an INCREMENTAL key is no lsn */
    capture_begin();
    ck_assert(state_adopt_sdk_lsn(st, "public-t"));
    const char *log = capture_end();
    ck_assert_msg(strstr(log, "a MeltanoLabs tap-postgres bookmark (replication_key _sdc_lsn, "
                              "replication_key_value 23456789): taken as its lsn") != NULL,
                  "log: %s", log);
    ck_assert(!state_adopt_sdk_lsn(st, "public-u"));
    ck_assert(!state_adopt_sdk_lsn(st, "public-v"));
    ck_assert(!state_adopt_sdk_lsn(st, "public-t")); /* done once */
    ck_assert_str_eq(print(st), "{\"bookmarks\":{\"public-t\":{\"replication_key\":\"_sdc_lsn\","
                                "\"lsn\":23456789},\"public-u\":{\"lsn\":5},\"public-v\":{"
                                "\"replication_key\":\"updated_at\",\"replication_key_value\":"
                                "\"2024-01-01\"}}}");
    cJSON_Delete(st);
    /* their value written after ours (back to MeltanoLabs and again to us) is the newer one */
    st = cJSON_Parse("{\"bookmarks\":{\"public-t\":{\"replication_key\":\"_sdc_lsn\",\"lsn\":100,"
                     "\"replication_key_value\":900}}}");
    ck_assert(state_adopt_sdk_lsn(st, "public-t"));
    ck_assert_str_eq(print(st), "{\"bookmarks\":{\"public-t\":{\"replication_key\":\"_sdc_lsn\","
                                "\"lsn\":900}}}");
    cJSON_Delete(st);
}
END_TEST

START_TEST(record_builder_shapes)
{
    typemap_ctx tm;
    typemap_ctx_init(&tm);
    typemap_type ti, tt;
    typemap_resolve(&ti, "int8", 'b', false, -1);
    typemap_resolve(&tt, "text", 'b', false, -1);
    const char *names[] = {"id", "na\"me"};
    const typemap_type *types[] = {&ti, &tt};
    record_builder rb;
    ck_assert(record_builder_init(&rb, &tm, "public-t", names, types, 2));
    record_builder_set_version(&rb, 1700000000123LL, "2024-05-01T10:11:12.123456Z");
    buf out = BUF_INIT;
    record_builder_begin(&rb, &out);
    record_builder_value(&rb, 0, "42", 2);
    record_builder_null(&rb, 1);
    record_builder_end(&rb);
    ck_assert_str_eq(out.data, "{\"type\":\"RECORD\",\"stream\":\"public-t\",\"record\":{\"id\":42,"
                               "\"na\\\"me\":null},\"version\":1700000000123,"
                               "\"time_extracted\":\"2024-05-01T10:11:12.123456Z\"}");
    /* a column left out (unchanged TOAST) and extra properties */
    buf_reset(&out);
    record_builder_set_version(&rb, 5, NULL);
    record_builder_begin(&rb, &out);
    record_builder_value(&rb, 0, "7", 1);
    record_builder_raw(&rb, "_sdc_deleted_at", "\"2024-01-01T00:00:00+00:00\"", 27);
    record_builder_end(&rb);
    ck_assert_str_eq(out.data, "{\"type\":\"RECORD\",\"stream\":\"public-t\",\"record\":{\"id\":7,"
                               "\"_sdc_deleted_at\":\"2024-01-01T00:00:00+00:00\"},\"version\":5}");
    buf_reset(&out);
    record_builder_begin(&rb, &out);
    record_builder_raw(&rb, "_sdc_lsn", "123", 3);
    record_builder_end(&rb);
    ck_assert_str_eq(out.data, "{\"type\":\"RECORD\",\"stream\":\"public-t\",\"record\":{"
                               "\"_sdc_lsn\":123},\"version\":5}");
    buf_term(&out);
    record_builder_term(&rb);
    typemap_ctx_term(&tm);
}
END_TEST

int main(void)
{
    log_init("unit");
    Suite *s = suite_create("catalog_state");
    TCase *tc = tcase_create("catalog");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, selection_and_order);
    tcase_add_test(tc, catalog_errors);
    tcase_add_test(tc, default_method_from_config);
    tcase_add_test(tc, sdk_catalog_top_level_method);
    tcase_add_test(tc, stream_options_where_clauses);
    tcase_add_test(tc, bind_columns);
    tcase_add_test(tc, bind_errors);
    tcase_add_test(tc, view_key_columns_always_synced);
    suite_add_tcase(s, tc);
    TCase *ts = tcase_create("state");
    tcase_add_test(ts, state_reset_rules);
    tcase_add_test(ts, state_shape_checks);
    tcase_add_test(ts, bookmark_values);
    tcase_add_test(ts, sdk_lsn_bookmarks);
    tcase_add_test(ts, record_builder_shapes);
    suite_add_tcase(s, ts);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
