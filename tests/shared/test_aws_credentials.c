/*
 * test_aws_credentials: the AWS credential chain's parsing (credentials and config files with
 * profiles, the STS AssumeRoleWithWebIdentity XML, the instance metadata JSON), the chain's
 * order over files and the environment (no network: instance metadata is off here; the
 * scenario shared_aws_chain runs web identity and IMDSv2 against loopback stubs), the RDS IAM
 * token against botocore's generate_db_auth_token for fixed inputs, and the config checks of
 * aws_iam_auth.
 */
#include "aws_credentials.h"
#include "buf.h"
#include "json_util.h"
#include "pg_conn.h"
#include "rds_iam.h"
#include "../tap/capture.h" /* capture_begin, capture_end */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static char tmpdir[64];

static void write_file(const char *name, const char *text, char *path, size_t n)
{
    snprintf(path, n, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* ---- INI ---- */

static const char cred_file[] = "# a comment\n"
                                "[default]\n"
                                "aws_access_key_id = AKIDDEFAULT\n"
                                "aws_secret_access_key=secretdefault\n"
                                "\n"
                                "[dev]\r\n"
                                "AWS_ACCESS_KEY_ID = AKIDDEV \r\n"
                                "aws_secret_access_key = dev/secret+key\r\n"
                                "aws_session_token = tok=en\r\n"
                                "; another comment\n"
                                "[profile dev]\n"
                                "aws_access_key_id = WRONG\n";

static const char conf_file[] = "[default]\n"
                                "region = eu-west-1\n"
                                "[profile dev]\n"
                                "region = us-west-2\n"
                                "s3 =\n"
                                "  region = nested-not-a-key\n"
                                "[dev]\n"
                                "region = not-a-profile-section\n"
                                "[profile  cfgonly ]\n"
                                "aws_access_key_id: AKIDCFG\n"
                                "aws_secret_access_key: cfgsecret\n";

/* one lookup in an INI text: whether the section exists, and the value (NULL: absent) */
static const struct {
    const char *text;
    const char *profile;
    bool config_file;
    const char *key;
    bool section;
    const char *value;
} ini_cases[] = {
    {cred_file, "default", false, "aws_access_key_id", true, "AKIDDEFAULT"},
    {cred_file, "default", false, "aws_secret_access_key", true, "secretdefault"},
    /* keys without case, values trimmed (CR too), '=' inside a value kept */
    {cred_file, "dev", false, "aws_access_key_id", true, "AKIDDEV"},
    {cred_file, "dev", false, "aws_session_token", true, "tok=en"},
    /* [profile dev] is not "dev" in a credentials file */
    {cred_file, "profile dev", false, "aws_access_key_id", true, "WRONG"},
    {cred_file, "prod", false, "aws_access_key_id", false, NULL},
    {cred_file, "default", false, "aws_session_token", true, NULL},
    {conf_file, "default", true, "region", true, "eu-west-1"},
    /* [profile dev], not [dev]; a nested setting is not the profile's region */
    {conf_file, "dev", true, "region", true, "us-west-2"},
    {conf_file, "cfgonly", true, "aws_access_key_id", true, "AKIDCFG"},
    {conf_file, "prod", true, "region", false, NULL},
};

START_TEST(ini_value)
{
    char *v = NULL;
    bool section = aws_credentials_ini_value(ini_cases[_i].text, ini_cases[_i].profile,
                                             ini_cases[_i].config_file, ini_cases[_i].key, &v);
    ck_assert_msg(section == ini_cases[_i].section, "case %d: section %d", _i, section);
    if (ini_cases[_i].value)
        ck_assert_msg(v && strcmp(v, ini_cases[_i].value) == 0, "case %d: %s", _i,
                      v ? v : "(absent)");
    else
        ck_assert_msg(v == NULL, "case %d: %s", _i, v);
    free(v);
}
END_TEST

/* ---- STS, IMDS answers ---- */

static const char sts_ok[] =
    "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
    "  <AssumeRoleWithWebIdentityResult>\n"
    "    <SubjectFromWebIdentityToken>system:serviceaccount:ns:sa</SubjectFromWebIdentityToken>\n"
    "    <Credentials>\n"
    "      <SessionToken>FwoGZX&amp;IvYXdz+/=</SessionToken>\n"
    "      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>\n"
    "      <Expiration>2026-12-02T16:04:05Z</Expiration>\n"
    "      <AccessKeyId>ASIAWEBIDENTITY</AccessKeyId>\n"
    "    </Credentials>\n"
    "  </AssumeRoleWithWebIdentityResult>\n"
    "</AssumeRoleWithWebIdentityResponse>\n";

START_TEST(sts_answer)
{
    aws_credentials c = {0};
    ck_assert(aws_credentials_parse_sts("t", sts_ok, strlen(sts_ok), &c));
    ck_assert_str_eq(c.access_key, "ASIAWEBIDENTITY");
    ck_assert_str_eq(c.secret_key, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY");
    ck_assert_str_eq(c.token, "FwoGZX&IvYXdz+/=");
    ck_assert_int_eq(c.expires, 1796223845LL + 3600);
    aws_credentials_term(&c);
}
END_TEST

START_TEST(sts_error)
{
    static const char err[] = "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
                              "<Message>Not authorized to perform "
                              "sts:AssumeRoleWithWebIdentity</Message></Error></ErrorResponse>";
    aws_credentials c = {0};
    capture_begin();
    ck_assert(!aws_credentials_parse_sts("t", err, strlen(err), &c));
    const char *log = capture_end();
    ck_assert_ptr_nonnull(strstr(log, "t: STS AssumeRoleWithWebIdentity failed: AccessDenied: Not "
                                      "authorized to perform sts:AssumeRoleWithWebIdentity\n"));
    ck_assert_ptr_null(c.access_key);
    capture_begin();
    ck_assert(!aws_credentials_parse_sts("t", "<x/>", 4, &c));
    log = capture_end();
    ck_assert_ptr_nonnull(strstr(log, "has no Credentials"));
}
END_TEST

START_TEST(imds_answer)
{
    static const char ok[] = "{\"Code\":\"Success\",\"LastUpdated\":\"2026-12-02T15:00:00Z\","
                             "\"Type\":\"AWS-HMAC\",\"AccessKeyId\":\"ASIAIMDS\","
                             "\"SecretAccessKey\":\"imdssecret\",\"Token\":\"imdstoken\","
                             "\"Expiration\":\"2026-12-02T21:04:05Z\"}";
    aws_credentials c = {0};
    ck_assert(aws_credentials_parse_json("t", ok, strlen(ok), &c));
    ck_assert_str_eq(c.access_key, "ASIAIMDS");
    ck_assert_str_eq(c.secret_key, "imdssecret");
    ck_assert_str_eq(c.token, "imdstoken");
    ck_assert_int_eq(c.expires, 1796223845LL + 6 * 3600);
    aws_credentials_term(&c);

    static const char bad[] = "{\"Code\":\"AssumeRoleUnauthorizedAccess\",\"Message\":\"denied\"}";
    capture_begin();
    ck_assert(!aws_credentials_parse_json("t", bad, strlen(bad), &c));
    const char *log = capture_end();
    ck_assert_ptr_nonnull(
        strstr(log, "t: the credentials answer says AssumeRoleUnauthorizedAccess: denied\n"));
    capture_begin();
    ck_assert(!aws_credentials_parse_json("t", "nope", 4, &c));
    log = capture_end();
    ck_assert_ptr_nonnull(strstr(log, "t: the credentials answer is not a JSON object\n"));
}
END_TEST

START_TEST(iso_time)
{
    long long t = 0;
    ck_assert(aws_credentials_parse_time("2026-12-02T15:04:05Z", &t));
    ck_assert_int_eq(t, 1796223845LL);
    ck_assert(aws_credentials_parse_time("2026-12-02T15:04:05.123Z", &t));
    ck_assert_int_eq(t, 1796223845LL);
    ck_assert(aws_credentials_parse_time("1970-01-01T00:00:00+00:00", &t));
    ck_assert_int_eq(t, 0);
    ck_assert(!aws_credentials_parse_time("2026-12-02 15:04:05", &t));
    ck_assert(!aws_credentials_parse_time("2026-12-02T15:04:05+01:00", &t));
}
END_TEST

/* ---- the chain over files and the environment ---- */

static void chain_files(void)
{
    char p[128];
    write_file("credentials", cred_file, p, sizeof(p));
    setenv("AWS_SHARED_CREDENTIALS_FILE", p, 1);
    write_file("config", conf_file, p, sizeof(p));
    setenv("AWS_CONFIG_FILE", p, 1);
}

START_TEST(chain_order)
{
    chain_files();
    aws_credentials c;
    /* no profile: default of the credentials file */
    ck_assert(aws_credentials_get("t", NULL, &c));
    ck_assert_str_eq(c.access_key, "AKIDDEFAULT");
    ck_assert_str_eq(c.source, "the shared credentials file");
    aws_credentials_term(&c);
    /* AWS_PROFILE */
    setenv("AWS_PROFILE", "dev", 1);
    ck_assert(aws_credentials_get("t", NULL, &c));
    ck_assert_str_eq(c.access_key, "AKIDDEV");
    ck_assert_str_eq(c.secret_key, "dev/secret+key");
    ck_assert_str_eq(c.token, "tok=en");
    aws_credentials_term(&c);
    /* the config's profile wins over AWS_PROFILE; keys from the config file */
    ck_assert(aws_credentials_get("t", "cfgonly", &c));
    ck_assert_str_eq(c.access_key, "AKIDCFG");
    ck_assert_str_eq(c.source, "the config file");
    ck_assert_ptr_null(c.token);
    aws_credentials_term(&c);
    /* the environment comes first, unless the config names a profile (as botocore) */
    setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
    ck_assert(aws_credentials_get("t", NULL, &c));
    ck_assert_str_eq(c.access_key, "AKIDENV");
    ck_assert_str_eq(c.source, "the environment");
    aws_credentials_term(&c);
    ck_assert(aws_credentials_get("t", "dev", &c));
    ck_assert_str_eq(c.access_key, "AKIDDEV");
    aws_credentials_term(&c);
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    unsetenv("AWS_PROFILE");
    /* the region: the environment, then the profile's */
    char *r = NULL;
    ck_assert(aws_credentials_region("t", "dev", &r));
    ck_assert_str_eq(r, "us-west-2");
    free(r);
    ck_assert(aws_credentials_region("t", NULL, &r));
    ck_assert_str_eq(r, "eu-west-1");
    free(r);
    setenv("AWS_DEFAULT_REGION", "ap-south-1", 1);
    ck_assert(aws_credentials_region("t", "dev", &r));
    ck_assert_str_eq(r, "ap-south-1");
    free(r);
    setenv("AWS_REGION", "ca-central-1", 1);
    ck_assert(aws_credentials_region("t", "dev", &r));
    ck_assert_str_eq(r, "ca-central-1");
    free(r);
    unsetenv("AWS_REGION");
    unsetenv("AWS_DEFAULT_REGION");
}
END_TEST

static const struct {
    const char *cred, *conf, *profile, *env_name, *env_value, *log;
} chain_failures[] = {
    {"", "", "prod", NULL, NULL, "t: AWS profile \"prod\" is not in "},
    {"[default]\naws_access_key_id = AK\n", "", NULL, NULL, NULL,
     "has aws_access_key_id without aws_secret_access_key"},
    {"", "[profile r]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = default\n", "r", NULL,
     NULL, "t: AWS profile \"r\" in " /* path */},
    {"", "[profile p]\ncredential_process = /bin/creds\n", "p", NULL, NULL,
     "uses credential_process, which is not supported"},
    {"", "[profile s]\nsso_start_url = https://x.awsapps.com/start\n", "s", NULL, NULL,
     "uses SSO (sso_start_url), which is not supported"},
    {"", "", NULL, "AWS_ACCESS_KEY_ID", "AKONLY",
     "t: AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not\n"},
    {"", "", NULL, "AWS_ROLE_ARN", "arn:aws:iam::1:role/x",
     "t: web identity needs both AWS_WEB_IDENTITY_TOKEN_FILE (or web_identity_token_file) and "
     "AWS_ROLE_ARN (or role_arn)\n"},
    {"", "", NULL, "AWS_WEB_IDENTITY_TOKEN_FILE", "/nonexistent/token",
     "t: web identity needs both"},
    {"", "", NULL, NULL, NULL,
     "t: no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
     "AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN, or profile \"default\" in "},
};

START_TEST(chain_failure)
{
    const int i = _i;
    char p[128];
    write_file("credentials", chain_failures[i].cred, p, sizeof(p));
    setenv("AWS_SHARED_CREDENTIALS_FILE", p, 1);
    write_file("config", chain_failures[i].conf, p, sizeof(p));
    setenv("AWS_CONFIG_FILE", p, 1);
    if (chain_failures[i].env_name)
        setenv(chain_failures[i].env_name, chain_failures[i].env_value, 1);
    aws_credentials c;
    capture_begin();
    bool ok = aws_credentials_get("t", chain_failures[i].profile, &c);
    const char *log = capture_end();
    if (chain_failures[i].env_name)
        unsetenv(chain_failures[i].env_name);
    ck_assert_msg(!ok, "case %d", i);
    ck_assert_msg(strstr(log, chain_failures[i].log), "case %d: log was: %s", i, log);
    ck_assert_ptr_null(c.access_key);
    ck_assert_ptr_null(c.secret_key);
}
END_TEST

/* ---- the RDS IAM token, against botocore ---- */

/* botocore 1.29 (python3-botocore), RDS client generate_db_auth_token with datetime frozen at
   2026-12-02T15:04:05Z; tests/shared/aws_iam.sh compares against botocore live as well */
START_TEST(rds_token_botocore)
{
    aws_credentials c = {
        .access_key = "AKIDEXAMPLE",
        .secret_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    };
    buf b = BUF_INIT;
    ck_assert(rds_iam_token(&b, "mydb.abc.us-east-1.rds.amazonaws.com", "5432", "iam_user",
                            "us-east-1", &c, 1796223845LL));
    ck_assert_str_eq(
        b.data,
        "mydb.abc.us-east-1.rds.amazonaws.com:5432/?Action=connect&DBUser=iam_user&X-Amz-"
        "Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20261202%2Fus-east-1%2Frds-db%"
        "2Faws4_request&X-Amz-Date=20261202T150405Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-"
        "Amz-Signature=4c09b1f780c95133cf50594b978f669369e4137f0decffe5c2aa8f740a2bfdb8");
    buf_reset(&b);
    c.token = "tok+/=en";
    ck_assert(rds_iam_token(&b, "localhost", "5433", "us er@x", "eu-west-1", &c, 1796223845LL));
    ck_assert_str_eq(
        b.data,
        "localhost:5433/?Action=connect&DBUser=us%20er%40x&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-"
        "Credential=AKIDEXAMPLE%2F20261202%2Feu-west-1%2Frds-db%2Faws4_request&X-Amz-Date="
        "20261202T150405Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Security-Token=tok%2B%"
        "2F%3Den&X-Amz-Signature="
        "dfe946b7798f78c6db6fe21620a1fbf9a87c8fbc4804a5e322ac941dc210428f");
    buf_term(&b);
}
END_TEST

/* ---- aws_iam_auth in a config ---- */

static const struct {
    const char *config, *log; /* log NULL: accepted */
} iam_configs[] = {
    {"{\"aws_iam_auth\":true,\"host\":\"h\"}", NULL},
    {"{\"aws_iam_auth\":true,\"sslmode\":\"verify-full\"}", NULL},
    {"{\"aws_iam_auth\":false,\"sslmode\":\"disable\",\"password\":\"x\"}", NULL},
    {"{\"aws_iam_auth\":true,\"sslmode\":\"prefer\"}",
     "c: key \"sslmode\" is prefer, but aws_iam_auth sends its token only over TLS: set sslmode "
     "to require, verify-ca or verify-full (or leave it unset: require)\n"},
    {"{\"aws_iam_auth\":\"true\",\"sslmode\":\"disable\"}", "c: key \"sslmode\" is disable"},
    {"{\"aws_iam_auth\":true,\"ssl_enable\":true,\"ssl_mode\":\"allow\"}",
     "c: key \"ssl_mode\" is allow"},
    {"{\"aws_iam_auth\":true,\"sqlalchemy_url\":\"postgresql://u@h/db?sslmode=prefer\"}",
     "c: key \"sqlalchemy_url's sslmode\" is prefer"},
    {"{\"aws_iam_auth\":true,\"sqlalchemy_url\":\"postgresql://u:pw@h/db\"}",
     "c: keys \"aws_iam_auth\" and \"sqlalchemy_url\" (with a password) are both set"},
    {"{\"aws_iam_auth\":true,\"password\":\"pw\"}",
     "c: keys \"aws_iam_auth\" and \"password\" are both set: the IAM token is the password, keep "
     "one\n"},
    {"{\"aws_iam_auth\":true,\"password_secret\":{\"provider\":\"aws\"}}",
     "c: keys \"aws_iam_auth\" and \"password_secret\" are both set"},
};

START_TEST(iam_config_check)
{
    const int i = _i;
    cJSON *cfg = json_util_parse(iam_configs[i].config, strlen(iam_configs[i].config), NULL);
    ck_assert_ptr_nonnull(cfg);
    char *db = NULL;
    capture_begin();
    bool ok = pg_conn_config_check(cfg, "c", &db);
    const char *log = capture_end();
    free(db);
    cJSON_Delete(cfg);
    if (!iam_configs[i].log) {
        ck_assert_msg(ok, "case %d: %s", i, log);
    } else {
        ck_assert_msg(!ok, "case %d", i);
        ck_assert_msg(strstr(log, iam_configs[i].log), "case %d: log was: %s", i, log);
    }
}
END_TEST

START_TEST(iam_password_needs)
{
    char *pw = NULL;
    cJSON *cfg = json_util_parse("{\"aws_iam_auth\":true}", 20, NULL);
    capture_begin();
    ck_assert(!rds_iam_password(cfg, "/var/run/postgresql", "5432", "u", &pw));
    ck_assert(!rds_iam_password(cfg, "db.example.com", "5432", "u", &pw));
    const char *log = capture_end();
    ck_assert_ptr_nonnull(strstr(log, "aws_iam_auth: needs the database's host name (\"host\"), "
                                      "got a socket folder\n"));
    ck_assert_ptr_nonnull(strstr(log, "aws_iam_auth: no AWS region: set \"aws_region\""));
    ck_assert_ptr_null(pw);
    cJSON_Delete(cfg);
    /* the region of an RDS host name, credentials from the environment */
    cfg = json_util_parse("{\"aws_iam_auth\":true}", 20, NULL);
    setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", 1);
    setenv("SINGER_POSTGRES_TEST_NOW", "1796223845", 1);
    capture_begin();
    ck_assert(rds_iam_password(cfg, "mydb.abc.us-east-1.rds.amazonaws.com", NULL, "iam_user", &pw));
    capture_end();
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    unsetenv("SINGER_POSTGRES_TEST_NOW");
    ck_assert_ptr_nonnull(pw);
    ck_assert_ptr_nonnull(strstr(pw, "X-Amz-Signature=4c09b1f780c95133cf50594b978f669369e4137f0"
                                     "decffe5c2aa8f740a2bfdb8"));
    free(pw);
    cJSON_Delete(cfg);
}
END_TEST

static Suite *aws_credentials_suite(void)
{
    Suite *s = suite_create("aws_credentials");
    TCase *t = tcase_create("core");
    tcase_add_loop_test(t, ini_value, 0, (int)NELEM(ini_cases));
    tcase_add_test(t, sts_answer);
    tcase_add_test(t, sts_error);
    tcase_add_test(t, imds_answer);
    tcase_add_test(t, iso_time);
    tcase_add_test(t, chain_order);
    tcase_add_loop_test(t, chain_failure, 0, (int)NELEM(chain_failures));
    tcase_add_test(t, rds_token_botocore);
    tcase_add_loop_test(t, iam_config_check, 0, (int)NELEM(iam_configs));
    tcase_add_test(t, iam_password_needs);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    static const char *clear[] = {
        "AWS_ACCESS_KEY_ID",  "AWS_SECRET_ACCESS_KEY",    "AWS_SESSION_TOKEN", "AWS_REGION",
        "AWS_DEFAULT_REGION", "SINGER_POSTGRES_TEST_NOW", AWS_CHAIN_VARIABLES,
    };
    for (size_t i = 0; i < NELEM(clear); i++)
        unsetenv(clear[i]);
    /* never 169.254.169.254 from a test */
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials", 1);
    setenv("AWS_CONFIG_FILE", "/nonexistent/config", 1);
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/unit_aws_XXXXXX");
    if (!mkdtemp(tmpdir))
        return EXIT_FAILURE;
    SRunner *sr = srunner_create(aws_credentials_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        failed++;
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
