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

#endif
