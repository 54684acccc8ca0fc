/*
 * secret_azure: the password from Azure Key Vault (Get Secret with a bearer token), for
 * password_secret {"provider": "azure", ...} (secrets.h has the object).
 */
#ifndef SINGER_SECRET_AZURE_H
#define SINGER_SECRET_AZURE_H

#include <cjson/cJSON.h>
#include <stdbool.h>

/*
 * secret_azure_fetch: read the password the password_secret object ps names into *out
 * (malloc'ed: the caller releases it with secrets_free). False after one log line naming
 * what failed (never a secret value); *out is then NULL. The caller runs curl_global_init.
 */
bool secret_azure_fetch(const cJSON *ps, char **out);

/*
 * secret_azure_value: a copy of "value" of a Get Secret answer root (or of its member key,
 * when key is not NULL, the value being a JSON object), malloc'ed: release it with
 * secrets_free. NULL after one log line naming the secret (never a value).
 */
char *secret_azure_value(const cJSON *root, const char *name, const char *key);

#endif
