#include "secret_vault.h"

#include "config.h"
#include "http_client.h"
#include "log.h"
#include "secret_provider.h"
#include "wipe.h"

#include <stdbool.h>
#include <string.h>

static const char what[] = "password_secret (vault)";

static const config_key vault_keys[] = {
    {"provider", CFG_STRING, true, NULL, false, "vault"},
    {"url", CFG_STRING, false, NULL, false, "Vault address (else VAULT_ADDR)"},
    {"path", CFG_STRING, true, NULL, false, "API path without /v1"},
    {"key", CFG_STRING, false, "password", false, "member of the secret's data"},
    {"token", CFG_STRING, false, NULL, true, "Vault token (else VAULT_TOKEN)"},
    {"namespace", CFG_STRING, false, NULL, false, "Vault namespace (else VAULT_NAMESPACE)"},
    {"ca_cert", CFG_STRING, false, NULL, false, "CA bundle path (else VAULT_CACERT)"},
};

char *secret_vault_value(const cJSON *root, const char *path, const char *key)
{
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data");
    if (!cJSON_IsObject(data)) {
        log_error("password_secret (vault): the response for \"%.200s\" has no \"data\" object",
                  path);
        return NULL;
    }
    /* KV v2 wraps the secret: data.data beside data.metadata; KV v1 is data itself */
    const cJSON *inner = cJSON_GetObjectItemCaseSensitive(data, "data");
    bool v2 = cJSON_IsObject(inner) && cJSON_GetObjectItemCaseSensitive(data, "metadata");
    return secret_provider_member_string(what, v2 ? inner : data, key, v2 ? "data.data" : "data");
}

bool secret_vault_fetch(const cJSON *ps, char **out)
{
    *out = NULL;
    if (!config_validate(ps, vault_keys, sizeof(vault_keys) / sizeof(vault_keys[0]), what))
        return false;
    const char *base = secret_provider_required(what, ps, "url", "VAULT_ADDR");
    const char *path = secret_provider_required(what, ps, "path", NULL);
    const char *token =
        base && path ? secret_provider_required(what, ps, "token", "VAULT_TOKEN") : NULL;
    if (!token)
        return false;
    const char *ns = secret_provider_opt_env(ps, "namespace", "VAULT_NAMESPACE");
    const char *key = secret_provider_opt(ps, "key");
    if (!key)
        key = "password";
    if (!http_client_header_safe(what, "token", token) ||
        (ns && !http_client_header_safe(what, "namespace", ns)))
        return false;
    const char *ca = NULL;
    if (!secret_provider_ca_cert(what, ps, "VAULT_CACERT", &ca))
        return false;

    char *result = NULL;
    buf url = BUF_INIT;
    struct curl_slist *headers = NULL;
    http_client_call call = {.what = what, .ca_cert = ca};
    cJSON *root = NULL;
    if (!http_client_append_base_url(&url, what, "url", base))
        goto done;
    buf_append_lit(&url, "/v1/");
    while (*path == '/')
        path++;
    http_client_append_escaped(&url, path, true);
    if (!buf_ok(&url)) {
        log_error("password_secret (vault): out of memory");
        goto done;
    }
    if (!http_client_add_header(what, &headers, "X-Vault-Token", token) ||
        (ns && !http_client_add_header(what, &headers, "X-Vault-Namespace", ns)) ||
        !http_client_add_header(what, &headers, "X-Vault-Request", "true") ||
        !http_client_add_header(what, &headers, "Accept", "application/json"))
        goto done;
    call.url = url.data;
    call.headers = headers;
    root = http_client_fetch_object(&call, 404,
                                    "check \"path\" (KV v2 paths look like secret/data/NAME)");
    if (!root)
        goto done;
    result = secret_vault_value(root, path, key);
    if (result)
        log_info("password_secret (vault): password read from \"%.200s\"", path);
done:
    wipe_json_delete(root);
    http_client_call_term(&call);
    http_client_headers_free(headers);
    buf_term(&url);
    *out = result;
    return result != NULL;
}
