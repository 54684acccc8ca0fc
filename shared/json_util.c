#include "json_util.h"

#include "log.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

cJSON *json_util_parse(const char *text, size_t len, size_t *err_offset)
{
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, false);
    if (!root && err_offset) {
        const char *ep = end ? end : cJSON_GetErrorPtr();
        *err_offset = (ep && ep >= text && ep <= text + len) ? (size_t)(ep - text) : 0;
    }
    if (root && end) {
        /* only whitespace may follow the document */
        const char *p = end;
        while (p < text + len && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
            p++;
        if (p < text + len && *p != '\0') {
            if (err_offset)
                *err_offset = (size_t)(p - text);
            cJSON_Delete(root);
            return NULL;
        }
    }
    return root;
}

cJSON *json_util_parse_file(const char *path, const char *what)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        log_error("cannot open %s file \"%s\": %m", what, path);
        return NULL;
    }
    buf b = BUF_INIT;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        buf_append(&b, chunk, n);
    bool read_error = ferror(f);
    fclose(f);
    if (read_error || !buf_ok(&b)) {
        log_error("cannot read %s file \"%s\"", what, path);
        buf_term(&b);
        return NULL;
    }
    size_t off = 0;
    cJSON *root = json_util_parse(b.data ? b.data : "", b.len, &off);
    if (!root) {
        int line = 1, col = 1;
        for (size_t i = 0; i < off && i < b.len; i++) {
            if (b.data[i] == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        if (b.len == 0)
            log_error("%s file \"%s\" is empty: expected a JSON object", what, path);
        else
            log_error("%s file \"%s\" is not valid JSON: error at line %d, column %d", what, path,
                      line, col);
    }
    buf_term(&b);
    return root;
}

const char *json_util_string(const cJSON *obj, const char *key, const char *def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (cJSON_IsString(v) && v->valuestring)
        return v->valuestring;
    return def;
}

bool json_util_is_true(const cJSON *v)
{
    if (cJSON_IsBool(v))
        return cJSON_IsTrue(v);
    if (cJSON_IsNumber(v))
        return v->valuedouble != 0;
    if (cJSON_IsString(v) && v->valuestring)
        return strcasecmp(v->valuestring, "true") == 0 || strcasecmp(v->valuestring, "yes") == 0 ||
               strcmp(v->valuestring, "1") == 0 || strcasecmp(v->valuestring, "on") == 0;
    return false;
}

bool json_util_bool(const cJSON *obj, const char *key, bool def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v || cJSON_IsNull(v))
        return def;
    return json_util_is_true(v);
}

bool json_util_to_int(const cJSON *v, long long *out)
{
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (!isfinite(d) || d != floor(d) || d < -9.2e18 || d > 9.2e18)
            return false;
        *out = (long long)d;
        return true;
    }
    if (cJSON_IsString(v) && v->valuestring && *v->valuestring) {
        errno = 0;
        char *end = NULL;
        long long x = strtoll(v->valuestring, &end, 10);
        if (errno || !end || *end != '\0')
            return false;
        *out = x;
        return true;
    }
    return false;
}

long long json_util_int(const cJSON *obj, const char *key, long long def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    long long x;
    if (v && json_util_to_int(v, &x))
        return x;
    return def;
}

void json_util_print(buf *b, const cJSON *v)
{
    char *s = cJSON_PrintUnformatted(v);
    if (!s) {
        b->broken = true;
        return;
    }
    buf_appends(b, s);
    cJSON_free(s);
}
