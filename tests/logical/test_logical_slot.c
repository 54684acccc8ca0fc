/* The slot and publication naming rules (pipelinewise's) and the LSN text forms. */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "logical_slot.h"
#include "lsn.h"

START_TEST(test_default_name)
{
    char out[LOGICAL_NAME_MAX];
    ck_assert(logical_slot_default_name("mydb", NULL, out));
    ck_assert_str_eq(out, "pipelinewise_mydb");
    ck_assert(logical_slot_default_name("My-DB.prod", "Tap 1", out));
    ck_assert_str_eq(out, "pipelinewise_my_db_prod_tap_1");
    ck_assert(logical_slot_default_name("db", "", out));
    ck_assert_str_eq(out, "pipelinewise_db");
    ck_assert(logical_slot_default_name("bäd", "x", out));
    ck_assert_str_eq(out, "pipelinewise_b_d_x"); /* one '_' per character, as Python's re.sub */
    log_set_level(LOG_FATAL);
    char longname[80];
    memset(longname, 'a', 60);
    longname[60] = '\0';
    ck_assert(!logical_slot_default_name(longname, NULL, out));
    log_set_level(LOG_INFO);
}
END_TEST

static bool names_of(const char *json, char *slot, char *pub)
{
    cJSON *cfg = cJSON_Parse(json);
    ck_assert(cfg != NULL);
    bool ok = logical_slot_names(cfg, slot, pub);
    cJSON_Delete(cfg);
    return ok;
}

START_TEST(test_names_from_config)
{
    char slot[LOGICAL_NAME_MAX], pub[LOGICAL_NAME_MAX];
    ck_assert(names_of("{\"dbname\":\"Sales\",\"tap_id\":\"eu\"}", slot, pub));
    ck_assert_str_eq(slot, "pipelinewise_sales_eu");
    ck_assert_str_eq(pub, "pipelinewise_sales_eu");
    ck_assert(names_of("{\"database\":\"d\"}", slot, pub));
    ck_assert_str_eq(slot, "pipelinewise_d");
    ck_assert(names_of("{\"dbname\":\"d\",\"slot_name\":\"s1\",\"publication_name\":\"My Pub\"}",
                       slot, pub));
    ck_assert_str_eq(slot, "s1");
    ck_assert_str_eq(pub, "My Pub");
    log_set_level(LOG_FATAL);
    ck_assert(!names_of("{\"dbname\":\"d\",\"slot_name\":\"Bad-Slot\"}", slot, pub));
    ck_assert(!names_of("{\"dbname\":\"d\",\"slot_name\":\"\"}", slot, pub));
    log_set_level(LOG_INFO);
    /* MeltanoLabs tap-postgres's replication_slot_name is slot_name; the publication keeps
       pipelinewise's default (their tap reads wal2json slots only) */
    ck_assert(
        names_of("{\"database\":\"d\",\"replication_slot_name\":\"custom_slot\"}", slot, pub));
    ck_assert_str_eq(slot, "custom_slot");
    ck_assert_str_eq(pub, "pipelinewise_d");
    ck_assert(names_of("{\"dbname\":\"d\",\"slot_name\":\"s1\",\"replication_slot_name\":\"s1\"}",
                       slot, pub));
    ck_assert_str_eq(slot, "s1");
    log_set_level(LOG_FATAL);
    ck_assert(!names_of("{\"dbname\":\"d\",\"replication_slot_name\":\"Custom_Slot\"}", slot, pub));
    log_set_level(LOG_INFO);
}
END_TEST

START_TEST(test_plugins)
{
    ck_assert(logical_slot_plugin_known("wal2json"));
    ck_assert(logical_slot_plugin_known("pgoutput"));
    ck_assert(!logical_slot_plugin_known("test_decoding"));
    ck_assert(!logical_slot_plugin_known(NULL));
}
END_TEST

START_TEST(test_repl_literal)
{
    buf b = BUF_INIT;
    logical_slot_repl_literal(&b, "it's \\ fine");
    ck_assert_str_eq(b.data, "'it''s \\ fine'");
    buf_term(&b);
}
END_TEST

START_TEST(test_lsn_text)
{
    uint64_t v;
    char t[LSN_TEXT_MAX];
    ck_assert(lsn_parse("16/B374D848", &v));
    ck_assert(v == ((uint64_t)0x16 << 32 | 0xB374D848));
    lsn_format(v, t);
    ck_assert_str_eq(t, "16/B374D848");
    lsn_format(0, t);
    ck_assert_str_eq(t, "0/0");
    ck_assert(!lsn_parse("16B374D848", &v));
    ck_assert(!lsn_parse("1/2/3", &v));
}
END_TEST

int main(void)
{
    log_init("unit_logical_slot");
    Suite *s = suite_create("logical_slot");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_default_name);
    tcase_add_test(tc, test_names_from_config);
    tcase_add_test(tc, test_plugins);
    tcase_add_test(tc, test_repl_literal);
    tcase_add_test(tc, test_lsn_text);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
