#include "config.h"

#include "json_util.h"
#include "json_writer.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* true when name equals one of the '|' separated spellings in names */
static bool name_matches(const char *names, const char *name)
{
    size_t len = strlen(name);
    const char *p = names;
    while (*p) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        if (n == len && strncmp(p, name, n) == 0)
            return true;
        if (!bar)
            break;
        p = bar + 1;
    }
    return false;
}

const cJSON *config_get(const cJSON *root, const char *names)
{
    char one[128];
    const char *p = names;
    while (*p) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        if (n < sizeof(one)) {
            memcpy(one, p, n);
            one[n] = '\0';
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, one);
            if (v && !cJSON_IsNull(v))
                return v;
        }
        if (!bar)
            break;
        p = bar + 1;
    }
    return NULL;
}

long long config_get_int(const cJSON *root, const char *names, long long def)
{
    const cJSON *v = config_get(root, names);
    long long x;
    if (!v)
        return def;
    if (json_util_to_int(v, &x))
        return x;
    if (cJSON_IsString(v)) {
        char *end = NULL;
        errno = 0;
        x = strtoll(v->valuestring, &end, 10);
        if (end && *end == '\0' && end != v->valuestring)
            return x;
    }
    return def;
}

bool config_get_bool(const cJSON *root, const char *names, bool def)
{
    const cJSON *v = config_get(root, names);
    if (!v || (cJSON_IsString(v) && v->valuestring[0] == '\0'))
        return def;
    return json_util_is_true(v);
}

bool config_is_set(const cJSON *root, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!v || cJSON_IsNull(v) || cJSON_IsFalse(v))
        return false;
    if (cJSON_IsString(v))
        return v->valuestring[0] != '\0';
    if (cJSON_IsObject(v) || cJSON_IsArray(v))
        return v->child != NULL;
    return true;
}

bool config_sdk_check(const cJSON *root, const char *what)
{
    static const char *const keys[] = {"stream_maps", "stream_map_config", "faker_config"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (config_is_set(root, keys[i])) {
            log_error("%s: key \"%s\" is set, but Singer SDK stream maps are not supported (they "
                      "change what is loaded): remove it, or run the maps in a separate mapper "
                      "between tap and target",
                      what, keys[i]);
            return false;
        }
    }
    return true;
}

static void shorten(const cJSON *v, char *out, size_t n)
{
    char *s = cJSON_PrintUnformatted(v);
    if (!s) {
        snprintf(out, n, "?");
        return;
    }
    if (strlen(s) >= n && n > 4)
        snprintf(out, n, "%.*s...", (int)(n - 4), s);
    else
        snprintf(out, n, "%s", s);
    cJSON_free(s);
}

static bool is_int_text(const char *s)
{
    if (!s || !*s)
        return false;
    errno = 0;
    char *end = NULL;
    (void)strtoll(s, &end, 10);
    return errno == 0 && end && *end == '\0';
}

static bool is_number_text(const char *s)
{
    if (!s || !*s)
        return false;
    char *end = NULL;
    (void)strtod(s, &end);
    return end && *end == '\0';
}

static bool check_type(const cJSON *v, config_type type, const char **expected)
{
    switch (type) {
    case CFG_STRING:
        *expected = "a string";
        return cJSON_IsString(v) || cJSON_IsNumber(v);
    case CFG_INT: {
        *expected = "an integer";
        long long x;
        return json_util_to_int(v, &x) || (cJSON_IsString(v) && is_int_text(v->valuestring));
    }
    case CFG_NUMBER:
        *expected = "a number";
        return cJSON_IsNumber(v) || (cJSON_IsString(v) && is_number_text(v->valuestring));
    case CFG_BOOL:
        *expected = "true or false";
        if (cJSON_IsBool(v))
            return true;
        if (cJSON_IsString(v))
            return strcasecmp(v->valuestring, "true") == 0 ||
                   strcasecmp(v->valuestring, "false") == 0 || strcmp(v->valuestring, "1") == 0 ||
                   strcmp(v->valuestring, "0") == 0 || strcasecmp(v->valuestring, "yes") == 0 ||
                   strcasecmp(v->valuestring, "no") == 0 || v->valuestring[0] == '\0';
        if (cJSON_IsNumber(v))
            return v->valuedouble == 0 || v->valuedouble == 1;
        return false;
    case CFG_STRING_LIST:
        *expected = "a comma-separated string or an array of strings";
        if (cJSON_IsString(v))
            return true;
        if (cJSON_IsArray(v)) {
            const cJSON *e;
            cJSON_ArrayForEach(e, v)
            {
                if (!cJSON_IsString(e))
                    return false;
            }
            return true;
        }
        return false;
    case CFG_OBJECT:
        *expected = "an object";
        return cJSON_IsObject(v);
    case CFG_ANY:
        *expected = "a value";
        return true;
    }
    return false;
}

bool config_validate(const cJSON *root, const config_key *keys, size_t n, const char *what)
{
    if (!cJSON_IsObject(root)) {
        log_error("%s must be a JSON object", what);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        const cJSON *v = config_get(root, keys[i].name);
        if (!v) {
            if (keys[i].required) {
                const char *bar = strchr(keys[i].name, '|');
                if (bar)
                    log_error("%s: required key \"%.*s\" is missing", what,
                              (int)(bar - keys[i].name), keys[i].name);
                else
                    log_error("%s: required key \"%s\" is missing", what, keys[i].name);
                return false;
            }
            continue;
        }
        const char *expected = "";
        if (!check_type(v, keys[i].type, &expected)) {
            char shown[80];
            if (keys[i].secret)
                snprintf(shown, sizeof(shown), "a %s", cJSON_IsString(v) ? "string" : "value");
            else
                shorten(v, shown, sizeof(shown));
            log_error("%s: key \"%s\" must be %s, got %s", what, v->string ? v->string : "?",
                      expected, shown);
            return false;
        }
    }
    const cJSON *item;
    cJSON_ArrayForEach(item, root)
    {
        bool known = false;
        for (size_t i = 0; i < n && !known; i++)
            known = name_matches(keys[i].name, item->string);
        if (!known)
            log_warn("%s: unknown key \"%s\" is ignored", what, item->string);
    }
    return true;
}

void config_drop_repeated(cJSON *root, const char *what)
{
    if (!cJSON_IsObject(root))
        return;
    cJSON *k = root->child;
    while (k) {
        cJSON *next = k->next;
        for (const cJSON *o = next; o && k->string; o = o->next) {
            if (o->string && strcmp(k->string, o->string) == 0) {
                log_warn("%s: key \"%s\" is given twice: the last value is used (as Python's "
                         "json reads it)",
                         what, k->string);
                cJSON_Delete(cJSON_DetachItemViaPointer(root, k));
                break;
            }
        }
        k = next;
    }
}

cJSON *config_load(const char *path, const config_key *keys, size_t n)
{
    cJSON *root = json_util_parse_file(path, "config");
    if (!root)
        return NULL;
    char what[512];
    snprintf(what, sizeof(what), "config \"%s\"", path);
    config_drop_repeated(root, what);
    if (!config_validate(root, keys, n, what)) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

void config_masked(buf *out, const cJSON *root, const config_key *keys, size_t n)
{
    cJSON *copy = cJSON_Duplicate(root, true);
    if (!copy)
        return;
    /* only an object has keys (an array's items have no name) */
    cJSON *item = cJSON_IsObject(copy) ? copy->child : NULL;
    while (item) {
        cJSON *next = item->next; /* item may be replaced (freed) below */
        bool secret = false;
        for (size_t i = 0; i < n; i++)
            if (keys[i].secret && name_matches(keys[i].name, item->string))
                secret = true;
        if (secret) {
            cJSON *masked = cJSON_CreateString("***");
            if (masked) {
                /* the replacement keeps the key name: hand the old name over */
                masked->string = item->string;
                item->string = NULL;
                cJSON_ReplaceItemViaPointer(copy, item, masked);
            }
        }
        item = next;
    }
    json_util_print(out, copy);
    cJSON_Delete(copy);
}

static const char *type_schema(config_type t)
{
    switch (t) {
    case CFG_STRING:
        return "{\"type\":\"string\"";
    case CFG_INT:
        return "{\"type\":[\"integer\",\"string\"]";
    case CFG_NUMBER:
        return "{\"type\":[\"number\",\"string\"]";
    case CFG_BOOL:
        return "{\"type\":[\"boolean\",\"string\"]";
    case CFG_STRING_LIST:
        return "{\"type\":[\"string\",\"array\"]";
    case CFG_OBJECT:
        return "{\"type\":\"object\"";
    case CFG_ANY:
        return "{";
    }
    return "{";
}

/* a default as JSON of its key's type: 5432, false, 0.5; NULL when the text is not one (it is
   then written as a string for string keys, and left out for the others) */
static bool default_literal(config_type t, const char *text)
{
    if (t == CFG_BOOL)
        return strcmp(text, "true") == 0 || strcmp(text, "false") == 0;
    if (t != CFG_INT && t != CFG_NUMBER)
        return false;
    char *end = NULL;
    errno = 0;
    if (t == CFG_INT)
        (void)strtoll(text, &end, 10);
    else
        (void)strtod(text, &end);
    return *text && errno == 0 && end && *end == '\0';
}

/*
 * The members of the object settings, as JSON Schema properties: Meltano and the SDK read
 * their defaults and secret flags from --about. Secrets carry "secret": true and
 * "writeOnly": true, as the SDK's Property(secret=True) writes them.
 */
#define SECRET_FLAGS ",\"secret\":true,\"writeOnly\":true"
static const struct {
    const char *key;
    const char *properties;
} object_properties[] = {
    {"ssh_tunnel",
     "{\"enable\":{\"type\":[\"boolean\",\"string\"],\"default\":false},"
     "\"host\":{\"type\":\"string\"},"
     "\"port\":{\"type\":[\"integer\",\"string\"],\"default\":22},"
     "\"username\":{\"type\":\"string\"},"
     "\"private_key\":{\"type\":\"string\",\"description\":\"PEM text or a path\"" SECRET_FLAGS "},"
     "\"private_key_password\":{\"type\":\"string\"" SECRET_FLAGS "},"
     "\"host_key\":{\"type\":\"string\",\"description\":\"the bastion's host key (known_hosts "
     "line, or type and SHA256 fingerprint)\"},"
     "\"known_hosts\":{\"type\":\"string\",\"default\":\"~/.ssh/known_hosts\"},"
     "\"host_key_check\":{\"type\":[\"boolean\",\"string\"],\"default\":true}}"},
    {"password_secret",
     "{\"provider\":{\"type\":\"string\",\"enum\":[\"aws\",\"vault\",\"azure\"]},"
     "\"secret_id\":{\"type\":\"string\"},\"region\":{\"type\":\"string\"},"
     "\"key\":{\"type\":\"string\"},\"endpoint_url\":{\"type\":\"string\"},"
     "\"aws_access_key_id\":{\"type\":\"string\"" SECRET_FLAGS "},"
     "\"aws_secret_access_key\":{\"type\":\"string\"" SECRET_FLAGS "},"
     "\"aws_session_token\":{\"type\":\"string\"" SECRET_FLAGS "},"
     "\"url\":{\"type\":\"string\"},\"path\":{\"type\":\"string\"},"
     "\"token\":{\"type\":\"string\"" SECRET_FLAGS "},\"namespace\":{\"type\":\"string\"},"
     "\"vault_url\":{\"type\":\"string\"},\"name\":{\"type\":\"string\"},"
     "\"version\":{\"type\":\"string\"},"
     "\"access_token\":{\"type\":\"string\"" SECRET_FLAGS "},"
     "\"ca_cert\":{\"type\":\"string\"}}"},
};

void config_settings_schema(buf *out, const config_key *keys, size_t n)
{
    buf_append_lit(out, "{\"type\":\"object\",\"properties\":{");
    for (size_t i = 0; i < n; i++) {
        const char *bar = strchr(keys[i].name, '|');
        size_t len = bar ? (size_t)(bar - keys[i].name) : strlen(keys[i].name);
        if (i)
            buf_putc(out, ',');
        json_writer_string(out, keys[i].name, len);
        buf_putc(out, ':');
        const char *ts = type_schema(keys[i].type);
        buf_appends(out, ts);
        bool need_comma = ts[1] != '\0';
        if (keys[i].description) {
            if (need_comma)
                buf_putc(out, ',');
            buf_append_lit(out, "\"description\":");
            json_writer_string(out, keys[i].description, strlen(keys[i].description));
            need_comma = true;
        }
        const char *dt = keys[i].default_text;
        if (dt && (default_literal(keys[i].type, dt) || keys[i].type == CFG_STRING)) {
            if (need_comma)
                buf_putc(out, ',');
            buf_append_lit(out, "\"default\":");
            if (keys[i].type == CFG_STRING)
                json_writer_string(out, dt, strlen(dt));
            else
                buf_appends(out, dt);
            need_comma = true;
        }
        const char *props = NULL;
        for (size_t k = 0; k < sizeof(object_properties) / sizeof(object_properties[0]); k++)
            if (keys[i].type == CFG_OBJECT && strlen(object_properties[k].key) == len &&
                memcmp(object_properties[k].key, keys[i].name, len) == 0)
                props = object_properties[k].properties;
        if (props) {
            /* the secrets are its members, marked each (the whole object is masked in logs) */
            if (need_comma)
                buf_putc(out, ',');
            buf_append_lit(out, "\"properties\":");
            buf_appends(out, props);
            need_comma = true;
        } else if (keys[i].secret) {
            buf_appends(out, need_comma ? SECRET_FLAGS : SECRET_FLAGS + 1);
            need_comma = true;
        }
        if (bar) {
            if (need_comma)
                buf_putc(out, ',');
            buf_append_lit(out, "\"aliases\":[");
            const char *p = bar + 1;
            bool first = true;
            while (*p) {
                const char *nb = strchr(p, '|');
                size_t l = nb ? (size_t)(nb - p) : strlen(p);
                if (!first)
                    buf_putc(out, ',');
                json_writer_string(out, p, l);
                first = false;
                if (!nb)
                    break;
                p = nb + 1;
            }
            buf_putc(out, ']');
        }
        buf_putc(out, '}');
    }
    buf_append_lit(out, "},\"required\":[");
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        if (!keys[i].required)
            continue;
        const char *bar = strchr(keys[i].name, '|');
        size_t len = bar ? (size_t)(bar - keys[i].name) : strlen(keys[i].name);
        if (!first)
            buf_putc(out, ',');
        json_writer_string(out, keys[i].name, len);
        first = false;
    }
    buf_append_lit(out, "]}");
}

static const char *type_name(config_type t)
{
    switch (t) {
    case CFG_STRING:
        return "string";
    case CFG_INT:
        return "integer";
    case CFG_NUMBER:
        return "number";
    case CFG_BOOL:
        return "boolean";
    case CFG_STRING_LIST:
        return "string or array";
    case CFG_OBJECT:
        return "object";
    case CFG_ANY:
        return "any";
    }
    return "any";
}

void config_settings_markdown(buf *out, const config_key *keys, size_t n)
{
    buf_append_lit(out, "| key | type | required | default | description |\n");
    buf_append_lit(out, "|---|---|---|---|---|\n");
    for (size_t i = 0; i < n; i++) {
        buf_append_lit(out, "| `");
        for (const char *p = keys[i].name; *p; p++) {
            if (*p == '|')
                buf_append_lit(out, "` or `");
            else
                buf_putc(out, *p);
        }
        buf_appendf(
            out, "` | %s | %s | %s | %s%s |\n", type_name(keys[i].type),
            keys[i].required ? "yes" : "no", keys[i].default_text ? keys[i].default_text : "",
            keys[i].secret ? "(secret) " : "", keys[i].description ? keys[i].description : "");
    }
}

/* ---------------------------------------------------------------- sources: files and ENV */

bool config_sources_add(config_sources *s, const char *item)
{
    if (s->n >= CONFIG_MAX_SOURCES) {
        log_error("at most %d --config arguments", CONFIG_MAX_SOURCES);
        return false;
    }
    s->items[s->n++] = item;
    return true;
}

/* env_value: the value of variable prefix + NAME (name upper-cased, '-' as '_'); NULL when unset
   or when the name cannot be a variable's */
static const char *env_value(const char *prefix, const char *name, size_t len, char *var,
                             size_t varlen)
{
    size_t p = strlen(prefix);
    if (p + len + 1 > varlen)
        return NULL;
    memcpy(var, prefix, p);
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (c == '-')
            c = '_';
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return NULL; /* dialect+driver */
        var[p + i] = (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
    }
    var[p + len] = '\0';
    return getenv(var);
}

/* env_item: the JSON value of text v for a key of type t; NULL after logging */
static cJSON *env_item(const char *var, const char *v, config_type t)
{
    switch (t) {
    case CFG_INT:
        if (is_int_text(v))
            return cJSON_CreateNumber(strtod(v, NULL));
        break;
    case CFG_NUMBER:
        if (is_number_text(v))
            return cJSON_CreateNumber(strtod(v, NULL));
        break;
    case CFG_BOOL:
        if (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0)
            return cJSON_CreateTrue();
        if (strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0 || *v == '\0')
            return cJSON_CreateFalse();
        log_error("environment variable %s: \"%.40s\" is not a boolean (true or false)", var, v);
        return NULL;
    case CFG_STRING_LIST:
        if (*v != '[') {
            cJSON *arr = cJSON_CreateArray();
            const char *p = v;
            while (arr && *p) {
                const char *comma = strchr(p, ',');
                size_t len = comma ? (size_t)(comma - p) : strlen(p);
                char *item = strndup(p, len);
                cJSON *s = item ? cJSON_CreateString(item) : NULL;
                free(item);
                if (!s) {
                    cJSON_Delete(arr);
                    return NULL;
                }
                cJSON_AddItemToArray(arr, s);
                if (!comma)
                    break;
                p = comma + 1;
            }
            return arr;
        }
        __attribute__((fallthrough)); /* a JSON array */
    case CFG_OBJECT:
    case CFG_ANY:
        if (*v == '[' || *v == '{') {
            size_t off = 0;
            cJSON *j = json_util_parse(v, strlen(v), &off);
            if (!j)
                log_error("environment variable %s: malformed JSON at byte %zu", var, off);
            return j;
        }
        if (t != CFG_ANY) {
            log_error("environment variable %s: expected JSON (an %s)", var,
                      t == CFG_OBJECT ? "object" : "array");
            return NULL;
        }
        break;
    default:
        break;
    }
    return cJSON_CreateString(v); /* config_validate names what it should have been */
}

/* env_config: the settings of keys[] found in the environment, as an object */
static cJSON *env_config(const char *prefix, const config_key *keys, size_t n)
{
    cJSON *out = cJSON_CreateObject();
    for (size_t i = 0; out && i < n; i++) {
        const char *names = keys[i].name;
        while (*names) {
            const char *bar = strchr(names, '|');
            size_t len = bar ? (size_t)(bar - names) : strlen(names);
            char var[160];
            const char *v = env_value(prefix, names, len, var, sizeof(var));
            if (v) {
                cJSON *item = env_item(var, v, keys[i].type);
                if (!item) {
                    cJSON_Delete(out);
                    return NULL;
                }
                char key[128];
                snprintf(key, sizeof(key), "%.*s", (int)len, names);
                cJSON_DeleteItemFromObjectCaseSensitive(out, key);
                cJSON_AddItemToObject(out, key, item);
                log_debug("config: %s from environment variable %s", key, var);
            }
            if (!bar)
                break;
            names = bar + 1;
        }
    }
    return out;
}

cJSON *config_read(const config_sources *s, const char *env_prefix, const config_key *keys,
                   size_t n, char *what, size_t whatlen)
{
    buf w = BUF_INIT;
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->items[i], "ENV") == 0)
            buf_appendf(&w, "%s%s* environment", i ? " + " : "", env_prefix);
        else
            buf_appendf(&w, "%s\"%s\"", i ? " + " : "", s->items[i]);
    }
    snprintf(what, whatlen, "config %s", w.data ? w.data : "");
    buf_term(&w);
    cJSON *root = NULL;
    for (size_t i = 0; i < s->n; i++) {
        cJSON *part;
        if (strcmp(s->items[i], "ENV") == 0) {
            part = env_config(env_prefix, keys, n);
        } else {
            part = json_util_parse_file(s->items[i], "config");
            if (part && !cJSON_IsObject(part)) {
                log_error("config \"%s\" must be a JSON object", s->items[i]);
                cJSON_Delete(part);
                part = NULL;
            }
            if (part) {
                char one[512];
                snprintf(one, sizeof(one), "config \"%s\"", s->items[i]);
                config_drop_repeated(part, one);
            }
        }
        if (!part) {
            cJSON_Delete(root);
            return NULL;
        }
        if (!root) {
            root = part;
            continue;
        }
        /* a later source's key replaces the earlier one's */
        while (part->child) {
            cJSON *item = cJSON_DetachItemViaPointer(part, part->child);
            cJSON_DeleteItemFromObjectCaseSensitive(root, item->string);
            cJSON_AddItemToObject(root, item->string, item);
        }
        cJSON_Delete(part);
    }
    return root;
}
