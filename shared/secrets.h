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
 */
#ifndef SINGER_SECRETS_H
#define SINGER_SECRETS_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

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

/* ---- internal, exposed for the unit tests ---- */

typedef struct secrets_header {
    const char *name; /* any case; lower-cased for signing */
    const char *value;
} secrets_header;

typedef struct secrets_sigv4 {
    const char *method;            /* "GET", "POST" */
    const char *path;              /* canonical URI, already URI-encoded: "/" */
    const char *query;             /* canonical query string (sorted, encoded); NULL for none */
    const secrets_header *headers; /* the headers to sign; must include host and x-amz-date */
    size_t nheaders;
    const void *payload; /* request body; NULL when len is 0 */
    size_t payload_len;
    const char *region;     /* "us-east-1" */
    const char *service;    /* "secretsmanager" */
    const char *access_key; /* AKIA... */
    const char *secret_key;
    const char *amz_date; /* the x-amz-date value, YYYYMMDDTHHMMSSZ */
} secrets_sigv4;

/*
 * secrets_sigv4_authorization: append to out the value of the Authorization
 * header for req (AWS Signature Version 4):
 * "AWS4-HMAC-SHA256 Credential=AK/DATE/REGION/SERVICE/aws4_request,
 * SignedHeaders=a;b, Signature=<64 hex>". Header names are lower-cased and
 * sorted, values trimmed and inner runs of spaces folded. False (logged) when
 * amz_date is malformed or a header is unusable; out is then unchanged.
 */
bool secrets_sigv4_authorization(buf *out, const secrets_sigv4 *req);

/* secrets_amz_date: format t (UTC) as YYYYMMDDTHHMMSSZ into out (17 bytes with the NUL). */
void secrets_amz_date(long long t, char out[17]);

#endif
