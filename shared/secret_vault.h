/*
 * secret_vault: the password from HashiCorp Vault (a KV v1 or v2 read), for password_secret
 * {"provider": "vault", ...} (secrets.h has the object).
 */
#ifndef SINGER_SECRET_VAULT_H
#define SINGER_SECRET_VAULT_H

#include <cjson/cJSON.h>
#include <stdbool.h>

/*
 * secret_vault_fetch: read the password the password_secret object ps names into *out
 * (malloc'ed: the caller releases it with secrets_free). False after one log line naming
 * what failed (never a secret value); *out is then NULL. The caller runs curl_global_init.
 */
bool secret_vault_fetch(const cJSON *ps, char **out);

/*
 * secret_vault_value: a copy of member key of the secret in a Vault read answer root
 * (data.data of KV v2, data of KV v1), malloc'ed: release it with secrets_free. NULL after
 * one log line naming path (never a value).
 */
char *secret_vault_value(const cJSON *root, const char *path, const char *key);

#endif
