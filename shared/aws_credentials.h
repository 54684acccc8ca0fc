/*
 * aws_credentials: AWS credentials and region found the way the AWS SDKs (botocore) find them,
 * for password_secret (aws) and aws_iam_auth. The chain, first match wins:
 *
 *   1. environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY [, AWS_SESSION_TOKEN]
 *      (skipped when a profile is named in the config, as botocore does for an explicit profile)
 *   2. web identity: AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN [, AWS_ROLE_SESSION_NAME]
 *      (or the profile's web_identity_token_file, role_arn, role_session_name): STS
 *      AssumeRoleWithWebIdentity, an unsigned POST, answered in XML
 *   3. shared credentials file (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials): [name]
 *   4. config file (AWS_CONFIG_FILE, else ~/.aws/config): [profile name] ([default])
 *   5. container: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI (ECS, EKS Pod Identity)
 *   6. instance metadata, IMDSv2 only: PUT /latest/api/token, then the role and its credentials
 *      (AWS_EC2_METADATA_SERVICE_ENDPOINT, AWS_EC2_METADATA_DISABLED=true turns it off)
 *
 * The profile is the config's, else AWS_PROFILE, else "default". A profile that needs what we
 * do not do (role_arn with source_profile, credential_process, sso_*) is an error naming it,
 * never a quiet fall-through to other credentials. Endpoints are overridable for tests
 * (AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, the IMDS variable). Nothing secret is logged.
 * The caller runs curl_global_init.
 */
#ifndef SINGER_AWS_CREDENTIALS_H
#define SINGER_AWS_CREDENTIALS_H

#include <stdbool.h>
#include <stddef.h>

/* AWS_CHAIN_VARIABLES: the environment variables the chain reads besides the keys (for tests) */
#define AWS_CHAIN_VARIABLES                                                                        \
    "AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE",                               \
        "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME",                    \
        "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",      \
        "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",                 \
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_EC2_METADATA_SERVICE_ENDPOINT",             \
        "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "AWS_EC2_METADATA_DISABLED"

typedef struct aws_credentials {
    char *access_key;   /* malloc'ed */
    char *secret_key;   /* malloc'ed, wiped by aws_credentials_term */
    char *token;        /* malloc'ed, wiped; NULL without a session token */
    long long expires;  /* Unix time they expire, 0 when they do not */
    const char *source; /* static text naming where they came from, for log lines */
} aws_credentials;

/*
 * aws_credentials_get: the first credentials of the chain for profile (NULL or "": AWS_PROFILE,
 * else "default") into out (release with aws_credentials_term). False after one log line
 * starting with what; out is then empty.
 */
bool aws_credentials_get(const char *what, const char *profile, aws_credentials *out);

/* aws_credentials_term: wipe and free; an empty or zeroed struct is fine. */
void aws_credentials_term(aws_credentials *c);

/*
 * aws_credentials_region: AWS_REGION, else AWS_DEFAULT_REGION, else the profile's "region" in
 * the config file, into *out (malloc'ed, the caller frees; NULL when none is set). False only
 * when a file cannot be read (logged).
 */
bool aws_credentials_region(const char *what, const char *profile, char **out);

/*
 * aws_credentials_ini_value: in the INI text of a credentials file (config_file false:
 * sections [name]) or a config file (true: [profile name], or [default] / [profile default]),
 * the value of key in profile's section: *out malloc'ed and trimmed, NULL when absent. Keys
 * compare without case; indented continuation lines (nested settings) are not keys; "#" and
 * ";" start comment lines. Returns whether the section exists.
 */
bool aws_credentials_ini_value(const char *text, const char *profile, bool config_file,
                               const char *key, char **out);

/*
 * aws_credentials_parse_sts: the credentials of an AssumeRoleWithWebIdentity answer (XML) into
 * out. False after a log line starting with what; an STS <Error> gives its Code and Message.
 */
bool aws_credentials_parse_sts(const char *what, const char *xml, size_t len, aws_credentials *out);

/*
 * aws_credentials_parse_json: the credentials of an instance metadata or container answer
 * (JSON: AccessKeyId, SecretAccessKey, Token, Expiration, Code) into out. False after a log line.
 */
bool aws_credentials_parse_json(const char *what, const char *json, size_t len,
                                aws_credentials *out);

/* aws_credentials_parse_time: an ISO 8601 UTC time ("2026-12-02T15:04:05Z") into *out. */
bool aws_credentials_parse_time(const char *s, long long *out);

#endif
