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
 * (secret_aws.c, secret_vault.c, secret_azure.c) that depends on secret_provider.h (what the
 * providers share), never on this header; this one reads the object and picks the provider.
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

#endif
