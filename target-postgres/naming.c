#include "naming.h"

#include "hash_index.h"

#include <stdio.h>
#include <string.h>

uint32_t naming_hash32(const char *s, size_t n)
{
    return hash_fnv1a32(s, n);
}

void naming_column(const char *s, size_t n, char *out)
{
    char low[1024];
    size_t m = n < sizeof(low) ? n : sizeof(low);
    for (size_t i = 0; i < m; i++) {
        char c = s[i];
        low[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    if (m <= NAMING_MAX) {
        memcpy(out, low, m);
        out[m] = '\0';
        return;
    }
    /* keep 54 bytes (fewer to stay on a UTF-8 boundary), then _xxxxxxxx */
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        c = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
        h ^= (unsigned char)c;
        h *= 16777619u;
    }
    size_t keep = NAMING_MAX - 9;
    while (keep > 0 && ((unsigned char)low[keep] & 0xC0) == 0x80)
        keep--;
    memcpy(out, low, keep);
    snprintf(out + keep, NAMING_MAX + 1 - keep, "_%08x", h);
}

static void lower_into(char *out, size_t outlen, const char *s, size_t n)
{
    char tmp[1024];
    size_t m = n < sizeof(tmp) - 1 ? n : sizeof(tmp) - 1;
    for (size_t i = 0; i < m; i++) {
        char c = s[i];
        if (c == '.' || c == '-')
            c = '_';
        tmp[i] = c;
    }
    naming_column(tmp, m, out);
    (void)outlen;
}

bool naming_stream(const char *stream, const char *default_schema, const cJSON *default_grants,
                   const cJSON *schema_mapping, naming_target *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    /* split on '-' */
    const char *parts[3] = {NULL, NULL, NULL};
    size_t lens[3] = {0, 0, 0};
    int nparts = 0;
    const char *p = stream;
    const char *dash;
    while ((dash = strchr(p, '-')) != NULL && nparts < 2) {
        parts[nparts] = p;
        lens[nparts] = (size_t)(dash - p);
        nparts++;
        p = dash + 1;
    }
    parts[nparts] = p;
    lens[nparts] = strlen(p);
    nparts++;
    const char *schema = NULL, *table;
    size_t schema_len = 0, table_len;
    char joined[512];
    if (nparts == 1) {
        table = parts[0];
        table_len = lens[0];
    } else if (nparts == 2) {
        schema = parts[0];
        schema_len = lens[0];
        table = parts[1];
        table_len = lens[1];
    } else {
        /* catalog-schema-rest: the rest joined with '_' (its '-' become '_' below) */
        schema = parts[1];
        schema_len = lens[1];
        snprintf(joined, sizeof(joined), "%s", parts[2]);
        table = joined;
        table_len = strlen(joined);
    }
    if (table_len == 0) {
        snprintf(err, errlen, "the stream id gives an empty table name");
        return false;
    }
    snprintf(out->source_schema, sizeof(out->source_schema), "%.*s", (int)schema_len,
             schema ? schema : "");
    snprintf(out->source_table, sizeof(out->source_table), "%.*s", (int)table_len, table);
    lower_into(out->table, sizeof(out->table), table, table_len);

    const char *target_schema = NULL;
    out->grants = default_grants;
    const cJSON *m = schema_mapping && schema
                         ? cJSON_GetObjectItemCaseSensitive(schema_mapping, out->source_schema)
                         : NULL;
    if (m) {
        const cJSON *ts = cJSON_GetObjectItemCaseSensitive(m, "target_schema");
        if (cJSON_IsString(ts) && ts->valuestring[0])
            target_schema = ts->valuestring;
        const cJSON *g = cJSON_GetObjectItemCaseSensitive(m, "target_schema_select_permissions");
        if (g && !cJSON_IsNull(g))
            out->grants = g;
        const cJSON *idx = cJSON_GetObjectItemCaseSensitive(m, "indices");
        if (cJSON_IsObject(idx)) {
            const cJSON *t = cJSON_GetObjectItemCaseSensitive(idx, out->source_table);
            if (cJSON_IsArray(t))
                out->indices = t;
        }
    }
    if (!target_schema)
        target_schema = default_schema;
    if (!target_schema) {
        snprintf(err, errlen,
                 "no target schema: neither schema_mapping[\"%s\"].target_schema nor "
                 "default_target_schema is set",
                 out->source_schema);
        return false;
    }
    naming_column(target_schema, strlen(target_schema), out->schema);
    return true;
}
