/*
 * rds_iam: RDS / Aurora IAM database authentication. The password is a token: a SigV4 presigned
 * URL "host:port/?Action=connect&DBUser=user&X-Amz-...&X-Amz-Signature=..." (no scheme) for
 * the service rds-db, valid 15 minutes (X-Amz-Expires=900), made the way botocore's
 * generate_db_auth_token makes it. A token is made for every connection attempt.
 *
 * Config keys: aws_iam_auth (bool), aws_region, aws_profile (see RDS_IAM_CONFIG_KEYS).
 */
#ifndef SINGER_RDS_IAM_H
#define SINGER_RDS_IAM_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "aws_credentials.h"
#include "buf.h"

/* RDS_IAM_CONFIG_KEYS: the settings of both programs' key tables */
/* clang-format off */
#define RDS_IAM_CONFIG_KEYS                                                                        \
    {"aws_iam_auth", CFG_BOOL, false, "false", false,                                              \
     "RDS/Aurora IAM database authentication: the password is a token made for every "             \
     "connection from the AWS credential chain; needs TLS (sslmode require or stronger)"},         \
        {"aws_region", CFG_STRING, false, NULL, false,                                             \
         "the region of the IAM token (else AWS_REGION, AWS_DEFAULT_REGION, the profile's "        \
         "region, or the region in an RDS host name)"},                                            \
        {"aws_profile", CFG_STRING, false, NULL, false,                                            \
         "the AWS profile of ~/.aws/credentials and ~/.aws/config for aws_iam_auth (else "         \
         "AWS_PROFILE, else default)"}
/* clang-format on */

/*
 * rds_iam_token: append to out the IAM token for user at host:port in region, signed with cred
 * at Unix time now. False (logged) when signing fails; out is then unusable.
 */
bool rds_iam_token(buf *out, const char *host, const char *port, const char *user,
                   const char *region, const aws_credentials *cred, long long now);

/*
 * rds_iam_password: a fresh token for a connection to host:port as user, with the config's
 * aws_region and aws_profile and the credential chain: *out malloc'ed (release it with
 * wipe_free_string). False after one log line naming what is missing.
 */
bool rds_iam_password(const cJSON *config, const char *host, const char *port, const char *user,
                      char **out);

/*
 * rds_iam_config_check: with aws_iam_auth true, the TLS mode in effect (sslmode as pg_conn
 * works it out, named by key) must be require or stronger, no password may be given, and a
 * host name is needed. False after one log line starting with what.
 */
bool rds_iam_config_check(const cJSON *config, const char *what, const char *sslmode,
                          const char *sslmode_key);

/* rds_iam_enabled: aws_iam_auth is true in config */
bool rds_iam_enabled(const cJSON *config);

#endif
