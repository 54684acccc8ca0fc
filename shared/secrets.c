#include "secrets.h"

#include "config.h"
#include "http_client.h"
#include "json_util.h"
#include "log.h"
#include "secret_aws.h"
#include "secret_azure.h"
#include "secret_vault.h"
#include "wipe.h"

#include <assert.h>
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

void secrets_free(char *password)
{
    wipe_free_string(password);
}

/* ---- picking the password out of a secret ---- */

static char *dup_or_log(const char *what, const char *s)
{
    char *p = strdup(s);
    if (!p)
        log_error("%s: out of memory", what);
    return p;
}

char *secrets_member_string(const char *what, const cJSON *obj, const char *key, const char *where)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v) {
        buf names = BUF_INIT;
        const cJSON *item;
        cJSON_ArrayForEach(item, obj)
        {
            if (names.len)
                buf_append_lit(&names, ", ");
            buf_appends(&names, item->string ? item->string : "?");
        }
        buf shown = BUF_INIT;
        http_client_shorten(&shown, names.data ? names.data : "", names.len);
        log_error("%s: key \"%.100s\" not found in %s (it has: %s)", what, key, where,
                  shown.len ? shown.data : "no keys");
        buf_term(&shown);
        buf_term(&names);
        return NULL;
    }
    if (!cJSON_IsString(v)) {
        log_error("%s: key \"%.100s\" in %s is not a string", what, key, where);
        return NULL;
    }
    return dup_or_log(what, v->valuestring);
}

char *secrets_text_value(const char *what, const char *text, const char *key, const char *where)
{
    if (!key)
        return dup_or_log(what, text);
    cJSON *obj = json_util_parse(text, strlen(text), NULL);
    if (!cJSON_IsObject(obj)) {
        log_error("%s: %s is not a JSON object, so key \"%.100s\" cannot be "
                  "looked up (leave \"key\" out to use the whole value)",
                  what, where, key);
        wipe_json_delete(obj);
        return NULL;
    }
    char *value = secrets_member_string(what, obj, key, where);
    wipe_json_delete(obj);
    return value;
}

/* ---- the password_secret object ---- */

const char *secrets_opt(const cJSON *ps, const char *names)
{
    assert(names);
    const cJSON *v = config_get(ps, names);
    return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : NULL;
}

const char *secrets_env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

const char *secrets_opt_env(const cJSON *ps, const char *names, const char *env_name)
{
    const char *v = secrets_opt(ps, names);
    return v ? v : secrets_env(env_name);
}

bool secrets_ca_cert(const char *what, const cJSON *ps, const char *env_name, const char **out)
{
    *out = env_name ? secrets_opt_env(ps, "ca_cert", env_name) : secrets_opt(ps, "ca_cert");
    if (*out && access(*out, R_OK) != 0) {
        log_error("%s: ca_cert \"%.200s\" cannot be read: %m", what, *out);
        return false;
    }
    return true;
}

const char *secrets_required(const char *what, const cJSON *ps, const char *names,
                             const char *env_name)
{
    const char *v = env_name ? secrets_opt_env(ps, names, env_name) : secrets_opt(ps, names);
    if (!v) {
        const char *bar = strchr(names, '|');
        int n = bar ? (int)(bar - names) : (int)strlen(names);
        if (env_name)
            log_error("%s: \"%.*s\" is missing (set it in password_secret or "
                      "set %s)",
                      what, n, names, env_name);
        else
            log_error("%s: \"%.*s\" is missing or empty", what, n, names);
    }
    return v;
}

/* the providers by their "provider" name (any case) */
static const struct {
    const char *name;
    bool (*fetch)(const cJSON *ps, char **out);
} providers[] = {
    {"aws", secret_aws_fetch},
    {"vault", secret_vault_fetch},
    {"azure", secret_azure_fetch},
};

char *secrets_resolve(const cJSON *config, bool *found)
{
    *found = false;
    const cJSON *ps = cJSON_GetObjectItemCaseSensitive(config, "password_secret");
    if (!ps || cJSON_IsNull(ps))
        return NULL;
    *found = true;
    if (!cJSON_IsObject(ps)) {
        log_error("password_secret must be an object with a \"provider\" (aws, vault or azure)");
        return NULL;
    }
    const char *provider = json_util_string(ps, "provider", NULL);
    if (!provider) {
        log_error("password_secret: \"provider\" is missing (aws, vault or azure)");
        return NULL;
    }
    bool (*fetch)(const cJSON *, char **) = NULL;
    for (size_t i = 0; i < sizeof(providers) / sizeof(providers[0]); i++)
        if (strcasecmp(provider, providers[i].name) == 0)
            fetch = providers[i].fetch;
    if (!fetch) {
        log_error("password_secret: unknown provider \"%.60s\" (expected aws, vault or azure)",
                  provider);
        return NULL;
    }
    /* curl counts its initialisations: this pair leaves other users of curl alone */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        log_error("password_secret (%s): cannot initialise libcurl", provider);
        return NULL;
    }
    char *password = NULL;
    if (!fetch(ps, &password))
        password = NULL;
    curl_global_cleanup();
    return password;
}
