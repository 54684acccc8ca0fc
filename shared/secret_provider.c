#include "secret_provider.h"

#include "config.h"
#include "http_client.h"
#include "json_util.h"
#include "log.h"
#include "wipe.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- picking the password out of a secret ---- */

static char *dup_or_log(const char *what, const char *s)
{
    char *p = strdup(s);
    if (!p)
        log_error("%s: out of memory", what);
    return p;
}

char *secret_provider_member_string(const char *what, const cJSON *obj, const char *key,
                                    const char *where)
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

char *secret_provider_text_value(const char *what, const char *text, const char *key,
                                 const char *where)
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
    char *value = secret_provider_member_string(what, obj, key, where);
    wipe_json_delete(obj);
    return value;
}

/* ---- the password_secret object ---- */

const char *secret_provider_opt(const cJSON *ps, const char *names)
{
    assert(names);
    const cJSON *v = config_get(ps, names);
    return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : NULL;
}

const char *secret_provider_env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

const char *secret_provider_opt_env(const cJSON *ps, const char *names, const char *env_name)
{
    const char *v = secret_provider_opt(ps, names);
    return v ? v : secret_provider_env(env_name);
}

bool secret_provider_ca_cert(const char *what, const cJSON *ps, const char *env_name,
                             const char **out)
{
    *out = env_name ? secret_provider_opt_env(ps, "ca_cert", env_name)
                    : secret_provider_opt(ps, "ca_cert");
    if (*out && access(*out, R_OK) != 0) {
        log_error("%s: ca_cert \"%.200s\" cannot be read: %m", what, *out);
        return false;
    }
    return true;
}

const char *secret_provider_required(const char *what, const cJSON *ps, const char *names,
                                     const char *env_name)
{
    const char *v =
        env_name ? secret_provider_opt_env(ps, names, env_name) : secret_provider_opt(ps, names);
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
