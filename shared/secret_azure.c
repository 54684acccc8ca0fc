#include "secret_azure.h"

#include "config.h"
#include "http_client.h"
#include "log.h"
#include "secret_provider.h"
#include "wipe.h"

#include <string.h>

static const char what[] = "password_secret (azure)";

static const config_key azure_keys[] = {
    {"provider", CFG_STRING, true, NULL, false, "azure"},
    {"vault_url", CFG_STRING, true, NULL, false, "https://NAME.vault.azure.net"},
    {"name", CFG_STRING, true, NULL, false, "secret name"},
    {"version", CFG_STRING, false, NULL, false, "secret version"},
    {"key", CFG_STRING, false, NULL, false, "member of a JSON secret value"},
    {"access_token", CFG_STRING, false, NULL, true, "bearer token (else AZURE_ACCESS_TOKEN)"},
    {"ca_cert", CFG_STRING, false, NULL, false, "CA bundle path"},
};

char *secret_azure_value(const cJSON *root, const char *name, const char *key)
{
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(root, "value");
    if (!cJSON_IsString(value)) {
        log_error("password_secret (azure): the response for secret \"%.200s\" has no string "
                  "\"value\"",
                  name);
        return NULL;
    }
    return secret_provider_text_value(what, value->valuestring, key, "the secret value");
}

bool secret_azure_fetch(const cJSON *ps, char **out)
{
    *out = NULL;
    if (!config_validate(ps, azure_keys, sizeof(azure_keys) / sizeof(azure_keys[0]), what))
        return false;
    const char *base = secret_provider_required(what, ps, "vault_url", NULL);
    const char *name = base ? secret_provider_required(what, ps, "name", NULL) : NULL;
    const char *token =
        name ? secret_provider_required(what, ps, "access_token", "AZURE_ACCESS_TOKEN") : NULL;
    if (!token || !http_client_header_safe(what, "access_token", token))
        return false;
    const char *ca = NULL;
    if (!secret_provider_ca_cert(what, ps, NULL, &ca))
        return false;
    const char *version = secret_provider_opt(ps, "version");

    char *result = NULL;
    buf url = BUF_INIT, auth = BUF_INIT;
    struct curl_slist *headers = NULL;
    http_client_call call = {.what = what, .ca_cert = ca};
    cJSON *root = NULL;
    if (!http_client_append_base_url(&url, what, "vault_url", base))
        goto done;
    buf_append_lit(&url, "/secrets/");
    http_client_append_escaped(&url, name, false);
    if (version) {
        buf_putc(&url, '/');
        http_client_append_escaped(&url, version, false);
    }
    buf_append_lit(&url, "?api-version=7.4");
    buf_append_lit(&auth, "Bearer ");
    buf_appends(&auth, token);
    if (!buf_ok(&url) || !buf_ok(&auth)) {
        log_error("password_secret (azure): out of memory");
        goto done;
    }
    if (!http_client_add_header(what, &headers, "Authorization", auth.data) ||
        !http_client_add_header(what, &headers, "Accept", "application/json"))
        goto done;
    call.url = url.data;
    call.headers = headers;
    root = http_client_fetch_object(&call, 0, NULL);
    if (!root)
        goto done;
    result = secret_azure_value(root, name, secret_provider_opt(ps, "key"));
    if (result)
        log_info("password_secret (azure): password read from secret \"%.200s\"", name);
done:
    wipe_json_delete(root);
    http_client_call_term(&call);
    http_client_headers_free(headers);
    buf_term(&url);
    wipe_buf_term(&auth);
    *out = result;
    return result != NULL;
}
