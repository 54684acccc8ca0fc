/*
 * secret_aws: the password from AWS Secrets Manager (GetSecretValue, signed with SigV4 by
 * aws_sigv4.c), for password_secret {"provider": "aws", ...} (secrets.h has the object).
 */
#ifndef SINGER_SECRET_AWS_H
#define SINGER_SECRET_AWS_H

#include <cjson/cJSON.h>
#include <stdbool.h>

/*
 * secret_aws_fetch: read the password the password_secret object ps names into *out
 * (malloc'ed: the caller releases it with secrets_free). False after one log line naming
 * what failed (never a secret value); *out is then NULL. The caller runs curl_global_init.
 */
bool secret_aws_fetch(const cJSON *ps, char **out);

/*
 * secret_aws_value: a copy of the SecretString of a GetSecretValue answer root (or of its
 * member key when key is not NULL), malloc'ed: release it with secrets_free. NULL after one
 * log line naming secret_id (never a value).
 */
char *secret_aws_value(const cJSON *root, const char *secret_id, const char *key);

#endif
