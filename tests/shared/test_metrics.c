/* metrics: the METRIC line shape (the Singer SDK's), the json format, the settings */
#include "log.h"
#include "metrics.h"

#include <cjson/cJSON.h>
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char captured[8192];

/* run fn with stderr going to a file, then keep what it wrote without the time stamp */
static void capture(void (*fn)(void))
{
    char path[] = "/tmp/test_metrics_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    fn();
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    lseek(fd, 0, SEEK_SET);
    ssize_t n = read(fd, captured, sizeof(captured) - 1);
    close(fd);
    unlink(path);
    captured[n > 0 ? n : 0] = '\0';
}

/* the line after its time stamp (text format: "<time> INFO program: ...") */
static const char *after_time(const char *line)
{
    const char *sp = strchr(line, ' ');
    return sp ? sp + 1 : line;
}

static void write_counter(void)
{
    metrics_counter("record_count", 12, "public-t");
}

static void write_timer(void)
{
    metrics_timer("sync_duration", 1.5, "public-t");
}

static void write_gauges(void)
{
    metrics_point p;
    metrics_point_begin(&p, "gauge", "replication_slot_wal_status");
    metrics_point_text(&p, "lost");
    metrics_point_tag(&p, "slot", "s\"1");
    metrics_point_emit(&p);
    metrics_point_begin(&p, "gauge", "replication_slot_safe_wal_size_bytes");
    metrics_point_text(&p, NULL);
    metrics_point_emit(&p);
    metrics_point_begin(&p, "gauge", "cdc_lag_seconds");
    metrics_point_double(&p, NAN, 3);
    metrics_point_tag_int(&p, "records", 3);
    metrics_point_emit(&p);
}

START_TEST(singer_shape)
{
    log_init("test");
    metrics_set(10, METRICS_SINGER, false);
    capture(write_counter);
    /* exactly what singer_sdk.metrics.log writes: logger.info("METRIC: %s", json.dumps(...)) */
    ck_assert_str_eq(after_time(captured), "INFO test: METRIC: {\"type\": \"counter\", \"metric\": "
                                           "\"record_count\", \"value\": 12, \"tags\": "
                                           "{\"stream\": \"public-t\"}}\n");
    capture(write_timer);
    ck_assert_str_eq(after_time(captured),
                     "INFO test: METRIC: {\"type\": \"timer\", \"metric\": \"sync_duration\", "
                     "\"value\": 1.500, \"tags\": {\"stream\": \"public-t\", \"status\": "
                     "\"succeeded\"}}\n");
    capture(write_gauges);
    const char *expected[] = {
        "INFO test: METRIC: {\"type\": \"gauge\", \"metric\": \"replication_slot_wal_status\", "
        "\"value\": \"lost\", \"tags\": {\"slot\": \"s\\\"1\"}}",
        "INFO test: METRIC: {\"type\": \"gauge\", \"metric\": "
        "\"replication_slot_safe_wal_size_bytes\", \"value\": null, \"tags\": {}}",
        "INFO test: METRIC: {\"type\": \"gauge\", \"metric\": \"cdc_lag_seconds\", \"value\": "
        "null, \"tags\": {\"records\": 3}}",
    };
    char *line = captured;
    for (size_t i = 0; i < 3; i++) {
        char *nl = strchr(line, '\n');
        ck_assert_ptr_nonnull(nl);
        *nl = '\0';
        ck_assert_str_eq(after_time(line), expected[i]);
        /* the part after "METRIC: " is JSON */
        cJSON *j = cJSON_Parse(strstr(line, "METRIC: ") + 8);
        ck_assert_ptr_nonnull(j);
        cJSON_Delete(j);
        line = nl + 1;
    }
}
END_TEST

START_TEST(json_format)
{
    log_init("test");
    metrics_set(10, METRICS_JSON, false);
    capture(write_counter);
    cJSON *j = cJSON_Parse(captured);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(cJSON_GetObjectItem(j, "level")->valuestring, "INFO");
    ck_assert_str_eq(cJSON_GetObjectItem(j, "program")->valuestring, "test");
    ck_assert_str_eq(cJSON_GetObjectItem(j, "type")->valuestring, "counter");
    ck_assert_str_eq(cJSON_GetObjectItem(j, "metric")->valuestring, "record_count");
    ck_assert_int_eq(cJSON_GetObjectItem(j, "value")->valueint, 12);
    ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "tags"), "stream")->valuestring,
                     "public-t");
    cJSON_Delete(j);
}
END_TEST

static void write_at_warning(void)
{
    log_set_level(LOG_WARN);
    metrics_counter("record_count", 1, NULL);
    log_set_level(LOG_INFO);
}

START_TEST(level_silences)
{
    log_init("test");
    metrics_set(10, METRICS_SINGER, false);
    capture(write_at_warning);
    ck_assert_str_eq(captured, "");
}
END_TEST

START_TEST(settings)
{
    cJSON *c = cJSON_Parse("{\"metrics_interval_seconds\": 2.5, \"metrics_format\": \"JSON\", "
                           "\"progress\": \"off\"}");
    ck_assert(metrics_configure(c, "config", true));
    ck_assert(metrics_interval() == 2.5);
    ck_assert(!metrics_live());
    cJSON_Delete(c);
    c = cJSON_Parse("{\"metrics_interval_seconds\": \"0\", \"progress\": \"on\"}");
    ck_assert(metrics_configure(c, "config", true));
    ck_assert(metrics_interval() == 0);
    ck_assert(metrics_live());
    cJSON_Delete(c);
    ck_assert(metrics_configure(NULL, "config", true));
    ck_assert(metrics_interval() == 10);
    const char *bad[] = {"{\"metrics_interval_seconds\": -1}",
                         "{\"metrics_interval_seconds\": \"x\"}", "{\"metrics_format\": \"xml\"}",
                         "{\"progress\": \"maybe\"}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        c = cJSON_Parse(bad[i]);
        ck_assert_msg(!metrics_configure(c, "config", true), "%s", bad[i]);
        cJSON_Delete(c);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, singer_shape);
    tcase_add_test(tc, json_format);
    tcase_add_test(tc, level_silences);
    tcase_add_test(tc, settings);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
