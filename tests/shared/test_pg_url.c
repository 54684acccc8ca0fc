/* pg_url (sqlalchemy_url) and pg_conn_config_check: the MeltanoLabs connection settings */
#include "config.h"
#include "log.h"
#include "pg_conn.h"
#include "pg_url.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *param(const pg_url *u, const char *k)
{
    for (size_t i = 0; i < u->nparams; i++)
        if (strcmp(u->keys[i], k) == 0)
            return u->vals[i];
    return NULL;
}

/* parse url, which must succeed */
static void ok_url(const char *url, pg_url *u)
{
    char err[512] = "";
    bool ok = pg_url_parse(url, u, err, sizeof(err));
    ck_assert_msg(ok, "%s: %s", url, err);
}

/* parse url, which must fail with an error holding needle and no trace of "s3cr" */
static void bad_url(const char *url, const char *needle)
{
    pg_url u;
    char err[512] = "";
    ck_assert_msg(!pg_url_parse(url, &u, err, sizeof(err)), "%s was accepted", url);
    ck_assert_msg(strstr(err, needle) != NULL, "%s: error \"%s\" lacks \"%s\"", url, err, needle);
    ck_assert_msg(strstr(err, "s3cr") == NULL, "%s: the error shows the password: %s", url, err);
    pg_url_term(&u);
}

START_TEST(full_url)
{
    pg_url u;
    ok_url("postgresql+psycopg2://loader:s3cr%40t%3Apw%2F@db.example.com:6543/warehouse"
           "?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&application_name=my+app",
           &u);
    ck_assert_str_eq(u.user, "loader");
    ck_assert_str_eq(u.password, "s3cr@t:pw/");
    ck_assert_str_eq(u.host, "db.example.com");
    ck_assert_str_eq(u.port, "6543");
    ck_assert_str_eq(u.dbname, "warehouse");
    ck_assert_uint_eq(u.nparams, 3);
    ck_assert_str_eq(param(&u, "sslmode"), "verify-full");
    ck_assert_str_eq(param(&u, "sslrootcert"), "/etc/ca.pem");
    ck_assert_str_eq(param(&u, "application_name"), "my app");
    pg_url_term(&u);
}
END_TEST

START_TEST(schemes)
{
    pg_url u;
    ok_url("postgresql://h/d", &u);
    ck_assert_str_eq(u.host, "h");
    ck_assert_str_eq(u.dbname, "d");
    ck_assert_ptr_null(u.user);
    ck_assert_ptr_null(u.password);
    ck_assert_ptr_null(u.port);
    pg_url_term(&u);
    ok_url("postgres://h/d", &u);
    pg_url_term(&u);
    ok_url("postgresql+psycopg://h/d", &u);
    pg_url_term(&u);
    ok_url("POSTGRESQL+pg8000://h/d", &u);
    pg_url_term(&u);
    bad_url("mysql://u:s3cr@h/d", "must start with postgresql");
    bad_url("postgresqlx://h/d", "must start with postgresql");
    bad_url("h:5432/d", "must look like postgresql://");
    bad_url("", "is empty");
}
END_TEST

START_TEST(missing_parts)
{
    pg_url u;
    /* everything missing: libpq's defaults */
    ok_url("postgresql://", &u);
    ck_assert_ptr_null(u.host);
    ck_assert_ptr_null(u.dbname);
    ck_assert_uint_eq(u.nparams, 0);
    pg_url_term(&u);
    /* a Unix socket folder through the query, no host in the authority */
    ok_url("postgresql+psycopg2://me@/db?host=/var/run/postgresql", &u);
    ck_assert_str_eq(u.user, "me");
    ck_assert_ptr_null(u.password);
    ck_assert_ptr_null(u.host);
    ck_assert_str_eq(u.dbname, "db");
    ck_assert_str_eq(param(&u, "host"), "/var/run/postgresql");
    pg_url_term(&u);
    /* an empty password is a password */
    ok_url("postgresql://me:@h:5432", &u);
    ck_assert_str_eq(u.user, "me");
    ck_assert_str_eq(u.password, "");
    ck_assert_str_eq(u.port, "5432");
    ck_assert_ptr_null(u.dbname);
    pg_url_term(&u);
    /* host and port, no user: the ':' is the port's */
    ok_url("postgresql://h:5433/d", &u);
    ck_assert_ptr_null(u.user);
    ck_assert_str_eq(u.host, "h");
    ck_assert_str_eq(u.port, "5433");
    pg_url_term(&u);
    /* a trailing ':' (no port) and a trailing '/' (no database) */
    ok_url("postgresql://h:/", &u);
    ck_assert_str_eq(u.host, "h");
    ck_assert_ptr_null(u.port);
    ck_assert_ptr_null(u.dbname);
    pg_url_term(&u);
}
END_TEST

START_TEST(ipv6)
{
    pg_url u;
    ok_url("postgresql://u:p@[::1]:5432/d", &u);
    ck_assert_str_eq(u.host, "::1");
    ck_assert_str_eq(u.port, "5432");
    pg_url_term(&u);
    ok_url("postgresql://[fe80::1%25eth0]/d", &u);
    ck_assert_str_eq(u.host, "fe80::1%eth0");
    ck_assert_ptr_null(u.port);
    pg_url_term(&u);
    bad_url("postgresql://u:s3cr@[::1/d", "without its ']'");
    bad_url("postgresql://[]/d", "empty IPv6");
    bad_url("postgresql://[::1]x/d", "right after");
}
END_TEST

START_TEST(encodings_and_errors)
{
    pg_url u;
    /* '+' is a space only in query values; percent-encoded database */
    ok_url("postgresql://a+b:c+d@h/my%20db?application_name=a+b%2Bc", &u);
    ck_assert_str_eq(u.user, "a+b");
    ck_assert_str_eq(u.password, "c+d");
    ck_assert_str_eq(u.dbname, "my db");
    ck_assert_str_eq(param(&u, "application_name"), "a b+c");
    pg_url_term(&u);
    /* a password with '/' and '?' (SQLAlchemy reads it up to the '@') */
    ok_url("postgresql://u:s/3?c@h/d", &u);
    ck_assert_str_eq(u.password, "s/3?c");
    ck_assert_str_eq(u.host, "h");
    pg_url_term(&u);
    /* client_encoding=utf8 is what we use anyway */
    ok_url("postgresql://h/d?client_encoding=utf8", &u);
    ck_assert_uint_eq(u.nparams, 0);
    pg_url_term(&u);
    bad_url("postgresql://u:s3cr%zzt@h/d", "bad percent-encoding");
    bad_url("postgresql://u:s3cr%4@h/d", "bad percent-encoding");
    bad_url("postgresql://u:s3cr%00t@h/d", "bad percent-encoding");
    bad_url("postgresql://u:s3cr@t@h/d", "percent-encode an '@'");
    bad_url("postgresql://u:s3cr@h:54x/d", "port");
    bad_url("postgresql://u:s3cr@h:99999/d", "port");
    bad_url("postgresql://u:s3cr@h:0/d", "port");
    /* a password with ':' but no '@': the port would be the password, never shown */
    bad_url("postgresql://u:s3cret/d", "port");
    bad_url("postgresql://u:s3cr@h/d?sslmode", "no '='");
    bad_url("postgresql://u:s3cr@h/d?options=-c%20x%3D1", "\"options\" is not supported");
    bad_url("postgresql://u:s3cr@h/d?replication=database", "\"replication\" is not supported");
    bad_url("postgresql://u:s3cr@h/d?client_encoding=latin1", "client_encoding");
    bad_url("postgresql://u:s3cr@h/d?sslmode=require&sslmode=disable", "given twice");
    bad_url("postgresql://u:s3cr@h/d?bogus=1", "\"bogus\" is not supported");
}
END_TEST

/* pg_conn_config_check on text: its result and what it logged */
static const char *check(const char *text, bool *ok, char **db)
{
    static char logged[4096];
    char path[] = "/tmp/unit_pg_url_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    unlink(path);
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    cJSON *root = cJSON_Parse(text);
    ck_assert_ptr_nonnull(root);
    *ok = pg_conn_config_check(root, "config", db);
    cJSON_Delete(root);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    lseek(fd, 0, SEEK_SET);
    ssize_t n = read(fd, logged, sizeof(logged) - 1);
    logged[n > 0 ? n : 0] = '\0';
    close(fd);
    return logged;
}

static void check_fails(const char *text, const char *needle)
{
    bool ok = true;
    const char *log = check(text, &ok, NULL);
    ck_assert_msg(!ok, "%s was accepted", text);
    ck_assert_msg(strstr(log, needle) != NULL, "%s: log \"%s\" lacks \"%s\"", text, log, needle);
    ck_assert_msg(strstr(log, "s3cr") == NULL, "%s: the log shows the password: %s", text, log);
}

START_TEST(config_check)
{
    bool ok = false;
    char *db = NULL;
    const char *log = check(
        "{\"sqlalchemy_url\":\"postgresql://u:s3cr@h/wh\",\"host\":\"x\",\"port\":1}", &ok, &db);
    ck_assert(ok);
    ck_assert_str_eq(db, "wh");
    free(db);
    ck_assert_msg(strstr(log, "host, port are ignored") != NULL, "%s", log);
    ck_assert_msg(strstr(log, "s3cr") == NULL, "%s", log);
    log = check("{\"ssl_enable\":true,\"ssl_mode\":\"verify-ca\",\"sslmode\":\"verify-ca\"}", &ok,
                NULL);
    ck_assert(ok);
    ck_assert_str_eq(log, "");
    /* MeltanoLabs reads ssl_mode only under ssl_enable: a warning says so */
    log = check("{\"ssl_mode\":\"verify-full\"}", &ok, NULL);
    ck_assert(ok);
    ck_assert_msg(strstr(log, "\"ssl_mode\" is ignored: ssl_enable is not true") != NULL, "%s",
                  log);
    check_fails("{\"sqlalchemy_url\":\"postgresql://u:s3cr@h:x/d\"}",
                "key \"sqlalchemy_url\" has a port");
    check_fails("{\"ssl_enable\":true,\"ssl_mode\":\"verify_full\"}", "key \"ssl_mode\" must be");
    check_fails("{\"ssl_enable\":true,\"sslmode\":\"require\"}",
                "\"sslmode\" and \"ssl_enable\" (with ssl_mode verify-full, its default)");
    check_fails("{\"ssl_enable\":true,\"sslrootcert\":\"/a\",\"ssl_certificate_authority\":\"/b\"}",
                "keys \"sslrootcert\" and \"ssl_certificate_authority\"");
    check_fails("{\"ssh_tunnel\":{\"enable\":true,\"host\":\"b\"}}",
                "key \"ssh_tunnel\": enable is true");
    log = check("{\"ssh_tunnel\":{\"enable\":false,\"host\":\"b\"}}", &ok, NULL);
    ck_assert(ok);
    check_fails("{\"dialect+driver\":\"mysql+pymysql\"}", "key \"dialect+driver\"");
    /* a failure after the URL was read hands back no database name (it leaked: found by
       tests/fuzz/fuzz_config) */
    db = NULL;
    check("{\"sqlalchemy_url\":\"postgresql://u@h/wh\",\"dialect+driver\":\"mysql\"}", &ok, &db);
    ck_assert(!ok);
    ck_assert_ptr_null(db);
}
END_TEST

START_TEST(sdk_keys)
{
    static const config_key keys[] = {CONFIG_SDK_KEYS};
    const char *accepted[] = {"{\"stream_maps\":{}}", "{\"stream_maps\":null}",
                              "{\"stream_map_config\":{},\"faker_config\":{}}"};
    for (size_t i = 0; i < 3; i++) {
        cJSON *root = cJSON_Parse(accepted[i]);
        ck_assert(config_validate(root, keys, 3, "config"));
        ck_assert_msg(config_sdk_check(root, "config"), "%s", accepted[i]);
        cJSON_Delete(root);
    }
    const char *refused[] = {"{\"stream_maps\":{\"s\":{\"c\":\"__NULL__\"}}}",
                             "{\"stream_map_config\":{\"k\":1}}",
                             "{\"faker_config\":{\"seed\":1}}"};
    for (size_t i = 0; i < 3; i++) {
        cJSON *root = cJSON_Parse(refused[i]);
        ck_assert_msg(!config_sdk_check(root, "config"), "%s", refused[i]);
        cJSON_Delete(root);
    }
}
END_TEST

int main(void)
{
    log_init("unit_pg_url");
    Suite *s = suite_create("pg_url");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, full_url);
    tcase_add_test(tc, schemes);
    tcase_add_test(tc, missing_parts);
    tcase_add_test(tc, ipv6);
    tcase_add_test(tc, encodings_and_errors);
    tcase_add_test(tc, config_check);
    tcase_add_test(tc, sdk_keys);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
