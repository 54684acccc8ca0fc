/*
 * secrets: the database password from a secret manager, over libcurl.
 *
 * A config may hold "password_secret" (an object) instead of "password":
 *
 *   AWS Secrets Manager
 *     {"provider": "aws", "secret_id": "prod/db", "region": "eu-west-1",
 *      "key": "password",         optional: a member of a JSON SecretString;
 *                                 absent -> the whole SecretString
 *      "endpoint_url": "...",     optional; default https://secretsmanager.REGION.amazonaws.com
 *                                 (.amazonaws.com.cn for cn-* regions)
 *      "aws_access_key_id": "...", "aws_secret_access_key": "...", "aws_session_token": "..."}
 *                                 optional (also spelled AWS_ACCESS_KEY_ID, ...); when absent,
 *                                 the environment's AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
 *                                 and AWS_SESSION_TOKEN are used (never a mix of the two)
 *     region falls back to AWS_REGION, then AWS_DEFAULT_REGION. The request is
 *     POST / with X-Amz-Target: secretsmanager.GetSecretValue, signed with SigV4.
 *
 *   HashiCorp Vault
 *     {"provider": "vault", "url": "https://vault:8200" (or VAULT_ADDR),
 *      "path": "secret/data/db",     the API path without /v1 (KV v2 paths contain /data/)
 *      "key": "password",            optional, default "password"
 *      "token": "..." (or VAULT_TOKEN), "namespace": "..." (optional, or VAULT_NAMESPACE)}
 *     GET {url}/v1/{path}; the value is data.data.<key> (KV v2) or data.<key> (KV v1).
 *
 *   Azure Key Vault
 *     {"provider": "azure", "vault_url": "https://NAME.vault.azure.net", "name": "db-password",
 *      "version": "...",             optional
 *      "key": "...",                 optional: a member of a JSON secret value
 *      "access_token": "..." (or AZURE_ACCESS_TOKEN)}
 *     GET {vault_url}/secrets/{name}[/{version}]?api-version=7.4 with a Bearer token; the
 *     value is "value".
 *
 * Every provider also takes "ca_cert": the path of a PEM CA bundle to verify the server with
 * (for a private CA; default: the system's; falls back to AWS_CA_BUNDLE / VAULT_CACERT).
 *
 * Requests: connect timeout 10 s, total 30 s, TLS certificates and host names verified,
 * redirects not followed, responses over 1 MiB refused. Proxies follow the usual curl
 * environment variables (https_proxy, no_proxy).
 *
 * Secret values never reach a log line; the buffers that held them are wiped.
 *
 * The requests go through http_client.c; each provider is a module of its own
 * (secret_aws.c, secret_vault.c, secret_azure.c); this one reads the object, picks the
 * provider and holds what the providers share.
 */
#ifndef SINGER_SECRETS_H
#define SINGER_SECRETS_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * secrets_resolve: when config has "password_secret" (an object), fetch the
 * password and return it (malloc'ed: the caller releases it with
 * secrets_free). Returns NULL after logging one line that names the provider
 * and what failed (never a secret value). *found is false, and NULL is
 * returned without a log line, when the key is absent or null.
 */
char *secrets_resolve(const cJSON *config, bool *found);

/* secrets_free: wipe and free a password returned by secrets_resolve. NULL is fine. */
void secrets_free(char *password);

/*
 * ---- for the provider modules (secret_*.c) ----
 * ps is the password_secret object; what starts every log line ("password_secret (aws)").
 * Strings returned as const are borrowed from ps or the environment.
 */

/* secrets_opt: a non-empty string member (the first present spelling of "a|b"), else NULL. */
const char *secrets_opt(const cJSON *ps, const char *names);

/* secrets_env: the environment variable when set and non-empty, else NULL. */
const char *secrets_env(const char *name);

/* secrets_opt_env: secrets_opt, else the environment variable env_name when set and non-empty. */
const char *secrets_opt_env(const cJSON *ps, const char *names, const char *env_name);

/*
 * secrets_required: secrets_opt (or secrets_opt_env when env_name is given); NULL after a
 * log line naming the member (and the variable) when it is missing.
 */
const char *secrets_required(const char *what, const cJSON *ps, const char *names,
                             const char *env_name);

/*
 * secrets_ca_cert: the "ca_cert" member (else env_name when given) into *out, NULL for the
 * system's bundle; false (logged) when the file cannot be read.
 */
bool secrets_ca_cert(const char *what, const cJSON *ps, const char *env_name, const char **out);

/*
 * secrets_member_string: a copy of obj[key], which must be a string (malloc'ed: release it
 * with secrets_free); NULL after a log line that names where and the keys obj has, never
 * a value.
 */
char *secrets_member_string(const char *what, const cJSON *obj, const char *key, const char *where);

/*
 * secrets_text_value: a copy of text itself, or, when key is set, of member key of text
 * parsed as a JSON object (malloc'ed: release it with secrets_free); NULL (logged) when
 * text is not such an object or has no such string member.
 */
char *secrets_text_value(const char *what, const char *text, const char *key, const char *where);

#endif
