#include "capture.h"
#include "log.h"
#include "tap_config.h"

#include <string.h>

static bool parse(const char *text, tap_config *c, const char **log)
{
    cJSON *root = cJSON_Parse(text);
    ck_assert_ptr_nonnull(root);
    capture_begin();
    bool ok = tap_config_parse(c, root, "config");
    *log = capture_end();
    return ok;
}

#define BASE "\"host\":\"h\",\"user\":\"u\",\"password\":\"secret\""

START_TEST(defaults)
{
    tap_config c;
    const char *log;
    ck_assert(parse("{" BASE ",\"dbname\":\"d\"}", &c, &log));
    ck_assert_str_eq(log, "");
    ck_assert_str_eq(c.dbname, "d");
    ck_assert_int_eq(c.itersize, 20000);
    ck_assert_int_eq(c.parallel_streams, 1);
    ck_assert_int_eq(c.limit, -1);
    ck_assert_str_eq(c.default_replication_method, "FULL_TABLE"); /* MeltanoLabs's default */
    ck_assert_int_eq(c.max_record_count, -1);
    ck_assert_ptr_null(c.stream_options);
    ck_assert_ptr_null(c.slot_name);
    ck_assert_uint_eq(c.n_filter_schemas, 0);
    ck_assert(!c.use_secondary);
    ck_assert(!c.special_numbers_as_strings);
    ck_assert(c.break_at_end_lsn);
    ck_assert_int_eq(c.logical_poll_total_seconds, 10800);
    ck_assert_int_eq(c.max_run_seconds, 43200);
    ck_assert_int_eq(c.wal_sender_timeout, 3600000);
    ck_assert_str_eq(c.logical_decoding_plugin, "pgoutput");
    ck_assert(c.state_interval_seconds == 5);
    ck_assert_ptr_null(c.state_feedback_file);
    ck_assert(c.heartbeat_seconds == 0);
    ck_assert_ptr_null(c.heartbeat_action_query);
    ck_assert_int_eq(c.snapshot_mode, TAP_SNAPSHOT_INITIAL);
    ck_assert(!c.lost_position_fail);
    ck_assert(!c.failover_slot);
    tap_config_term(&c);
}
END_TEST

/* the continuous-run keys (README "Running continuously") */
START_TEST(continuous_keys)
{
    tap_config c;
    const char *log;
    ck_assert(parse("{" BASE ",\"dbname\":\"d\",\"state_interval_seconds\":\"0.5\","
                    "\"state_feedback_file\":\"s.jsonl\",\"heartbeat_seconds\":2,"
                    "\"heartbeat_action_query\":\"SELECT 1\",\"snapshot_mode\":\"initial_only\","
                    "\"on_lost_position\":\"fail\",\"failover_slot\":\"true\"}",
                    &c, &log));
    ck_assert(c.state_interval_seconds == 0.5);
    ck_assert_str_eq(c.state_feedback_file, "s.jsonl");
    ck_assert(c.heartbeat_seconds == 2);
    ck_assert_str_eq(c.heartbeat_action_query, "SELECT 1");
    ck_assert_int_eq(c.snapshot_mode, TAP_SNAPSHOT_INITIAL_ONLY);
    ck_assert(c.lost_position_fail);
    ck_assert(c.failover_slot);
    tap_config_term(&c);
    ck_assert(!parse("{" BASE ",\"dbname\":\"d\",\"state_interval_seconds\":-1}", &c, &log));
    ck_assert(strstr(log, "key \"state_interval_seconds\" must be a number of seconds") != NULL);
    tap_config_term(&c);
    ck_assert(!parse("{" BASE ",\"dbname\":\"d\",\"heartbeat_seconds\":\"often\"}", &c, &log));
    ck_assert(strstr(log, "key \"heartbeat_seconds\" must be a number") != NULL);
    tap_config_term(&c);
    ck_assert(!parse("{" BASE ",\"dbname\":\"d\",\"snapshot_mode\":\"never ever\"}", &c, &log));
    ck_assert(strstr(log, "key \"snapshot_mode\" must be initial, never or initial_only") != NULL);
    tap_config_term(&c);
}
END_TEST

START_TEST(pipelinewise_spellings)
{
    tap_config c;
    const char *log;
    /* database alias, strings for numbers and booleans, comma-separated schemas */
    ck_assert(parse("{" BASE ",\"database\":\"d2\",\"port\":\"5433\",\"itersize\":\"500\","
                    "\"ssl\":\"true\",\"filter_schemas\":\"public, sales\",\"debug_lsn\":\"true\","
                    "\"limit\":\"10\",\"default_replication_method\":\"INCREMENTAL\","
                    "\"use_secondary\":true,\"secondary_host\":\"replica\",\"secondary_port\":5499,"
                    "\"break_at_end_lsn\":false,\"tap_id\":\"x\",\"parallel_streams\":\"4\"}",
                    &c, &log));
    ck_assert_str_eq(log, "");
    ck_assert_str_eq(c.dbname, "d2");
    ck_assert_int_eq(c.itersize, 500);
    ck_assert_int_eq(c.parallel_streams, 4);
    ck_assert_int_eq(c.limit, 10);
    ck_assert_uint_eq(c.n_filter_schemas, 2);
    ck_assert_str_eq(c.filter_schemas[0], "public");
    ck_assert_str_eq(c.filter_schemas[1], "sales");
    ck_assert_str_eq(c.default_replication_method, "INCREMENTAL");
    ck_assert(c.use_secondary);
    ck_assert_str_eq(c.secondary_host, "replica");
    ck_assert_str_eq(c.secondary_port, "5499");
    ck_assert(c.debug_lsn);
    ck_assert(!c.break_at_end_lsn);
    tap_config_term(&c);
}
END_TEST

START_TEST(filter_schemas_array)
{
    tap_config c;
    const char *log;
    ck_assert(parse("{" BASE ",\"dbname\":\"d\",\"filter_schemas\":[\"a\",\"b'c\"]}", &c, &log));
    ck_assert_uint_eq(c.n_filter_schemas, 2);
    ck_assert_str_eq(c.filter_schemas[1], "b'c");
    tap_config_term(&c);
}
END_TEST

/* a MeltanoLabs tap-postgres config: their keys with their meaning, no unknown-key warning */
START_TEST(meltanolabs_keys)
{
    tap_config c;
    const char *log;
    ck_assert(parse("{" BASE ",\"database\":\"d\",\"replication_slot_name\":\"custom_slot\","
                    "\"max_record_count\":1000,\"filter_schemas\":[\"public\"],"
                    "\"default_replication_method\":\"LOG_BASED\","
                    "\"replication_max_run_seconds\":600,\"replication_idle_exit_seconds\":60,"
                    "\"stream_options\":{\"public-t\":{\"custom_where_clauses\":[\"id % 2 = 0\","
                    "\"b IS NOT NULL\"]},\"public-u\":{}},"
                    "\"ssh_tunnel\":{\"enable\":false,\"host\":\"bastion\"},"
                    "\"flattening_enabled\":false,\"flattening_max_depth\":3,\"stream_maps\":{},"
                    "\"batch_config\":null}",
                    &c, &log));
    ck_assert_str_eq(log, "");
    ck_assert_str_eq(c.dbname, "d");
    ck_assert_str_eq(c.slot_name, "custom_slot");
    ck_assert_int_eq(c.max_record_count, 1000);
    ck_assert_str_eq(c.default_replication_method, "LOG_BASED");
    ck_assert_int_eq(c.max_run_seconds, 600);
    ck_assert_int_eq(c.logical_poll_total_seconds, 60);
    const cJSON *w = tap_config_where_clauses(&c, "public-t");
    ck_assert_ptr_nonnull(w);
    ck_assert_int_eq(cJSON_GetArraySize(w), 2);
    ck_assert_str_eq(cJSON_GetArrayItem(w, 0)->valuestring, "id % 2 = 0");
    ck_assert_ptr_null(tap_config_where_clauses(&c, "public-u"));
    ck_assert_ptr_null(tap_config_where_clauses(&c, "public-x"));
    tap_config_term(&c);
    /* slot_name and replication_slot_name naming the same slot are fine */
    ck_assert(parse("{" BASE
                    ",\"dbname\":\"d\",\"slot_name\":\"s\",\"replication_slot_name\":\"s\"}",
                    &c, &log));
    ck_assert_str_eq(c.slot_name, "s");
    tap_config_term(&c);
}
END_TEST

static void expect_error(const char *text, const char *needle)
{
    tap_config c;
    const char *log;
    ck_assert_msg(!parse(text, &c, &log), "accepted: %s", text);
    ck_assert_msg(strstr(log, needle) != NULL, "log \"%s\" lacks \"%s\"", log, needle);
    ck_assert_msg(strstr(log, "secret") == NULL, "password logged: %s", log);
    tap_config_term(&c);
}

START_TEST(errors_name_the_key)
{
    expect_error("{\"host\":\"h\",\"user\":\"u\",\"password\":\"secret\"}",
                 "required key \"dbname\" is missing");
    expect_error("{\"user\":\"u\",\"password\":\"secret\",\"dbname\":\"d\"}",
                 "required key \"host\" is missing");
    expect_error("{" BASE ",\"dbname\":\"d\",\"port\":\"abc\"}", "key \"port\" must be an integer");
    expect_error("{" BASE ",\"dbname\":\"d\",\"itersize\":0}",
                 "key \"itersize\" must be a positive");
    expect_error("{" BASE ",\"dbname\":\"d\",\"itersize\":[1]}",
                 "key \"itersize\" must be an integer");
    expect_error("{" BASE ",\"dbname\":\"d\",\"parallel_streams\":0}",
                 "key \"parallel_streams\" must be an integer from 1 to 64, got 0");
    expect_error("{" BASE ",\"dbname\":\"d\",\"parallel_streams\":65}",
                 "key \"parallel_streams\" must be an integer from 1 to 64, got 65");
    expect_error("{" BASE ",\"dbname\":\"d\",\"parallel_streams\":\"two\"}",
                 "key \"parallel_streams\" must be an integer");
    expect_error("{" BASE ",\"dbname\":\"d\",\"ssl\":\"maybe\"}",
                 "key \"ssl\" must be true or false");
    expect_error("{" BASE ",\"dbname\":\"d\",\"filter_schemas\":[1]}", "key \"filter_schemas\"");
    expect_error("{" BASE ",\"dbname\":\"d\",\"default_replication_method\":\"FULL\"}",
                 "key \"default_replication_method\" must be FULL_TABLE, INCREMENTAL or LOG_BASED");
    expect_error("{" BASE ",\"dbname\":\"d\",\"use_secondary\":true}", "key \"secondary_host\"");
    expect_error("{" BASE ",\"dbname\":\"d\",\"logical_decoding_plugin\":\"decoderbufs\"}",
                 "key \"logical_decoding_plugin\"");
    expect_error("{" BASE ",\"dbname\":\"\"}", "key \"dbname\" must be a non-empty string");
    expect_error("{\"host\":\"h\",\"user\":\"u\",\"dbname\":\"d\",\"password\":{\"secret\":1}}",
                 "key \"password\" must be a string, got a value");
}
END_TEST

/* Singer SDK settings we do not implement change what is loaded: errors, never warnings */
START_TEST(sdk_settings_not_implemented)
{
#define D BASE ",\"dbname\":\"d\""
    expect_error("{" D ",\"stream_maps\":{\"public-t\":{\"b\":null}}}",
                 "key \"stream_maps\" is set, but Singer SDK stream maps are not supported");
    expect_error("{" D ",\"stream_map_config\":{\"k\":1}}", "key \"stream_map_config\"");
    expect_error("{" D ",\"faker_config\":{\"seed\":1}}", "key \"faker_config\"");
    expect_error("{" D ",\"flattening_enabled\":true}",
                 "key \"flattening_enabled\" is true, but the tap does not flatten");
    expect_error("{" D ",\"flattening_enabled\":\"true\",\"flattening_max_depth\":1}",
                 "key \"flattening_enabled\"");
    expect_error("{" D ",\"batch_config\":{\"encoding\":{\"format\":\"jsonl\"}}}",
                 "key \"batch_config\": BATCH messages are not supported");
    expect_error("{" D
                 ",\"ssh_tunnel\":{\"enable\":true,\"host\":\"b\",\"private_key\":\"secret\"}}",
                 "key \"ssh_tunnel\": enable is true");
    expect_error("{" D ",\"stream_options\":{\"public-t\":{\"custom_where_clauses\":\"id > 1\"}}}",
                 "stream \"public-t\": custom_where_clauses must be an array of non-empty strings");
    expect_error("{" D ",\"stream_options\":{\"public-t\":{\"custom_where_clauses\":[\"\"]}}}",
                 "custom_where_clauses must be an array of non-empty strings");
    expect_error("{" D ",\"stream_options\":{\"public-t\":[\"id > 1\"]}}",
                 "key \"stream_options\": stream \"public-t\" must be an object");
    expect_error("{" D ",\"stream_options\":[1]}", "key \"stream_options\" must be");
    expect_error(
        "{" D ",\"slot_name\":\"a\",\"replication_slot_name\":\"b\"}",
        "keys \"slot_name\" (\"a\") and \"replication_slot_name\" (\"b\") name different slots");
    expect_error("{" D ",\"max_record_count\":0}",
                 "key \"max_record_count\" must be a positive integer");
#undef D
}
END_TEST

/* recopy_streams (README "Re-copying one stream"): a token per stream, a non-empty string */
START_TEST(recopy_streams)
{
    tap_config c;
    const char *log;
    ck_assert(parse("{" BASE ",\"dbname\":\"d\",\"recopy_streams\":{\"public-t\":\"2026-12-03\","
                    "\"s-u\":\"x\"}}",
                    &c, &log));
    ck_assert_str_eq(log, "");
    ck_assert_str_eq(tap_config_recopy_token(&c, "public-t"), "2026-12-03");
    ck_assert_str_eq(tap_config_recopy_token(&c, "s-u"), "x");
    ck_assert_ptr_null(tap_config_recopy_token(&c, "public-x"));
    tap_config_term(&c);
    ck_assert(parse("{" BASE ",\"dbname\":\"d\"}", &c, &log));
    ck_assert_ptr_null(c.recopy_streams);
    ck_assert_ptr_null(tap_config_recopy_token(&c, "public-t"));
    tap_config_term(&c);
#define D BASE ",\"dbname\":\"d\""
#define TOKEN_ERROR                                                                                \
    "config: key \"recopy_streams\": stream \"public-t\": the token must be a non-empty string"
    expect_error("{" D ",\"recopy_streams\":{\"public-t\":\"\"}}", TOKEN_ERROR);
    expect_error("{" D ",\"recopy_streams\":{\"public-t\":1}}", TOKEN_ERROR);
    expect_error("{" D ",\"recopy_streams\":{\"public-t\":true}}", TOKEN_ERROR);
    expect_error("{" D ",\"recopy_streams\":{\"public-u\":\"a\",\"public-t\":{}}}", TOKEN_ERROR);
    expect_error("{" D ",\"recopy_streams\":[\"public-t\"]}", "key \"recopy_streams\" must be");
#undef TOKEN_ERROR
#undef D
}
END_TEST

/* a MeltanoLabs tap-postgres config: sqlalchemy_url alone is a whole connection */
START_TEST(meltanolabs_config)
{
    tap_config c;
    const char *log;
    ck_assert(parse("{\"sqlalchemy_url\":\"postgresql+psycopg2://u:secret%40x@h:5433/src%2Ddb\","
                    "\"ssl_enable\":false,\"ssh_tunnel\":{\"enable\":false},\"stream_maps\":{},"
                    "\"flattening_enabled\":false,\"ssl_storage_directory\":\".secrets\"}",
                    &c, &log));
    ck_assert_str_eq(log, "");
    /* the URL's database is the dbname (slot names follow it) */
    ck_assert_str_eq(c.dbname, "src-db");
    tap_config_term(&c);
    /* the URL replaces dbname and database */
    ck_assert(
        parse("{\"sqlalchemy_url\":\"postgresql://h/url_db\",\"database\":\"old\"}", &c, &log));
    ck_assert_str_eq(c.dbname, "url_db");
    ck_assert_msg(strstr(log, "database is ignored") != NULL, "%s", log);
    tap_config_term(&c);
}
END_TEST

/* MeltanoLabs tap-postgres: dates_as_string and json_as_object, known keys, default false */
START_TEST(meltanolabs_mapping_keys)
{
    tap_config c;
    const char *log;
    ck_assert(parse("{" BASE ",\"database\":\"d\"}", &c, &log));
    ck_assert(!c.dates_as_string);
    ck_assert(!c.json_as_object);
    tap_config_term(&c);
    ck_assert(parse("{" BASE ",\"database\":\"d\",\"dates_as_string\":true,"
                    "\"json_as_object\":\"true\"}",
                    &c, &log));
    ck_assert_str_eq(log, "");
    ck_assert(c.dates_as_string);
    ck_assert(c.json_as_object);
    tap_config_term(&c);
}
END_TEST

START_TEST(meltanolabs_errors)
{
    expect_error("{\"sqlalchemy_url\":\"postgresql://u:secret@h:5x/d\"}",
                 "key \"sqlalchemy_url\" has a port");
    expect_error("{\"sqlalchemy_url\":\"postgresql://u:secret@h\"}",
                 "key \"sqlalchemy_url\" names no database");
    expect_error("{" BASE ",\"dbname\":\"d\",\"ssh_tunnel\":{\"enable\":true}}",
                 "key \"ssh_tunnel\": enable is true");
    expect_error("{" BASE ",\"dbname\":\"d\",\"stream_maps\":{\"s\":null}}",
                 "key \"stream_maps\" is set");
    expect_error("{" BASE ",\"dbname\":\"d\",\"flattening_enabled\":true}",
                 "key \"flattening_enabled\" is true");
    expect_error("{" BASE ",\"dbname\":\"d\",\"ssl_enable\":true,\"ssl_mode\":\"full\"}",
                 "key \"ssl_mode\" must be");
}
END_TEST

START_TEST(unknown_key_warned)
{
    tap_config c;
    const char *log;
    ck_assert(parse("{" BASE ",\"dbname\":\"d\",\"colour\":\"red\"}", &c, &log));
    ck_assert(strstr(log, "unknown key \"colour\"") != NULL);
    tap_config_term(&c);
}
END_TEST

START_TEST(every_compat_key_is_known)
{
    static const char *const keys[] = {
        "host", "port", "user", "password", "dbname", "database", "ssl", "sslmode", "sslrootcert",
        "sslcert", "sslkey", "sslpassword", "filter_schemas", "default_replication_method",
        "itersize", "logical_poll_total_seconds", "break_at_end_lsn", "max_run_seconds",
        "debug_lsn", "tap_id", "use_secondary", "secondary_host", "secondary_port", "limit",
        "wal_sender_timeout", "logical_decoding_plugin", "slot_name", "publication_name",
        "connect_timeout", "application_name",
        /* MeltanoLabs tap-postgres (other helpers add sqlalchemy_url, ssl_*, dates_as_string,
           json_as_object) */
        "replication_slot_name", "max_record_count", "stream_options", "stream_maps",
        "stream_map_config", "faker_config", "flattening_enabled", "flattening_max_depth",
        "batch_config", "ssh_tunnel", "replication_max_run_seconds",
        "replication_idle_exit_seconds"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        bool found = false;
        for (size_t k = 0; k < tap_config_nkeys && !found; k++) {
            const char *n = tap_config_keys[k].name;
            size_t len = strlen(keys[i]);
            const char *p = n;
            while (p && *p && !found) {
                if (strncmp(p, keys[i], len) == 0 && (p[len] == '\0' || p[len] == '|'))
                    found = true;
                p = strchr(p, '|');
                if (p)
                    p++;
            }
        }
        ck_assert_msg(found, "key %s missing from the table", keys[i]);
    }
}
END_TEST

/* "" is a setting left empty: the default (config_get_bool), also where the default is true */
START_TEST(empty_string_is_the_default)
{
    tap_config c;
    const char *log;
    ck_assert(parse("{" BASE ",\"dbname\":\"d\",\"use_secondary\":\"\",\"break_at_end_lsn\":\"\"}",
                    &c, &log));
    ck_assert(!c.use_secondary);
    ck_assert(c.break_at_end_lsn);
    tap_config_term(&c);
}
END_TEST

int main(void)
{
    log_init("unit");
    Suite *s = suite_create("tap_config");
    TCase *tc = tcase_create("config");
    tcase_add_test(tc, defaults);
    tcase_add_test(tc, pipelinewise_spellings);
    tcase_add_test(tc, filter_schemas_array);
    tcase_add_test(tc, errors_name_the_key);
    tcase_add_test(tc, meltanolabs_keys);
    tcase_add_test(tc, sdk_settings_not_implemented);
    tcase_add_test(tc, meltanolabs_config);
    tcase_add_test(tc, meltanolabs_errors);
    tcase_add_test(tc, unknown_key_warned);
    tcase_add_test(tc, meltanolabs_mapping_keys);
    tcase_add_test(tc, every_compat_key_is_known);
    tcase_add_test(tc, continuous_keys);
    tcase_add_test(tc, empty_string_is_the_default);
    tcase_add_test(tc, recopy_streams);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
