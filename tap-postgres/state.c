#include "state.h"

#include "json_util.h"
#include "log.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool state_check(const cJSON *st, const char *what)
{
    if (!cJSON_IsObject(st)) {
        log_error("%s: expected a JSON object", what);
        return false;
    }
    const cJSON *cs = cJSON_GetObjectItemCaseSensitive(st, "currently_syncing");
    if (cs && !cJSON_IsNull(cs) && !cJSON_IsString(cs)) {
        log_error("%s: \"currently_syncing\" must be a string or null", what);
        return false;
    }
    const cJSON *bms = cJSON_GetObjectItemCaseSensitive(st, "bookmarks");
    if (bms && !cJSON_IsNull(bms) && !cJSON_IsObject(bms)) {
        log_error("%s: \"bookmarks\" must be an object", what);
        return false;
    }
    const cJSON *bm;
    cJSON_ArrayForEach(bm, bms)
    {
        if (!cJSON_IsObject(bm)) {
            log_error("%s: the bookmark of stream \"%s\" must be an object", what, bm->string);
            return false;
        }
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(bm, "version");
        long long x;
        if (v && !cJSON_IsNull(v) && !json_util_to_int(v, &x)) {
            log_error("%s: bookmark \"%s\": \"version\" must be an integer", what, bm->string);
            return false;
        }
        const cJSON *rkv = cJSON_GetObjectItemCaseSensitive(bm, "replication_key_value");
        if (rkv && !cJSON_IsNull(rkv) && !cJSON_IsString(rkv) && !cJSON_IsNumber(rkv) &&
            !cJSON_IsBool(rkv)) {
            log_error("%s: bookmark \"%s\": \"replication_key_value\" must be a string or a "
                      "number",
                      what, bm->string);
            return false;
        }
        const cJSON *pk = cJSON_GetObjectItemCaseSensitive(bm, "last_pk_fetched");
        if (pk && !cJSON_IsNull(pk) && !cJSON_IsObject(pk)) {
            log_error("%s: bookmark \"%s\": \"last_pk_fetched\" must be an object", what,
                      bm->string);
            return false;
        }
    }
    return true;
}

cJSON *state_load(const char *path)
{
    if (!path)
        return cJSON_CreateObject();
    FILE *f = fopen(path, "rb");
    if (!f) {
        log_error("cannot open state file \"%s\": %m", path);
        return NULL;
    }
    int c;
    bool blank = true;
    while ((c = fgetc(f)) != EOF)
        if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
            blank = false;
            break;
        }
    fclose(f);
    if (blank) {
        log_warn("state file \"%s\" is empty: starting without state", path);
        return cJSON_CreateObject();
    }
    cJSON *st = json_util_parse_file(path, "state");
    if (!st)
        return NULL;
    char what[512];
    snprintf(what, sizeof(what), "state file \"%s\"", path);
    if (!state_check(st, what)) {
        cJSON_Delete(st);
        return NULL;
    }
    return st;
}

static cJSON *obj_member(cJSON *parent, const char *key)
{
    cJSON *o = cJSON_GetObjectItemCaseSensitive(parent, key);
    if (cJSON_IsObject(o))
        return o;
    cJSON *n = cJSON_CreateObject();
    if (!n)
        return NULL;
    if (o)
        cJSON_ReplaceItemInObjectCaseSensitive(parent, key, n);
    else
        cJSON_AddItemToObject(parent, key, n);
    return n;
}

cJSON *state_bookmark(cJSON *state, const char *stream_id)
{
    cJSON *bms = obj_member(state, "bookmarks");
    return bms ? obj_member(bms, stream_id) : NULL;
}

bool state_set_bookmark(cJSON *state, const char *stream_id, cJSON *bm)
{
    cJSON *bms = bm ? obj_member(state, "bookmarks") : NULL;
    if (!bms) {
        cJSON_Delete(bm);
        return false;
    }
    state_bm_set_item(bms, stream_id, bm);
    return true;
}

const cJSON *state_get(const cJSON *state, const char *stream_id, const char *key)
{
    const cJSON *bm = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(state, "bookmarks"), stream_id);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(bm, key);
    return cJSON_IsNull(v) ? NULL : v;
}

void state_bm_set_item(cJSON *bm, const char *key, cJSON *item)
{
    if (!bm || !item) {
        cJSON_Delete(item);
        return;
    }
    if (cJSON_GetObjectItemCaseSensitive(bm, key))
        cJSON_ReplaceItemInObjectCaseSensitive(bm, key, item);
    else
        cJSON_AddItemToObject(bm, key, item);
}

void state_set_currently_syncing(cJSON *state, const char *stream_id)
{
    state_bm_set_item(state, "currently_syncing",
                      stream_id ? cJSON_CreateString(stream_id) : cJSON_CreateNull());
}

const char *state_currently_syncing(const cJSON *state)
{
    return json_util_string(state, "currently_syncing", NULL);
}

void state_bm_set_int(cJSON *bm, const char *key, long long v)
{
    /* exact for |v| < 2^53 (versions in ms, lsns) */
    state_bm_set_item(bm, key, cJSON_CreateNumber((double)v));
}

void state_bm_set_string(cJSON *bm, const char *key, const char *s, size_t n)
{
    char stack[256];
    char *tmp = n < sizeof(stack) ? stack : malloc(n + 1);
    if (!tmp)
        return;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    state_bm_set_item(bm, key, cJSON_CreateString(tmp));
    if (tmp != stack)
        free(tmp);
}

void state_bm_remove(cJSON *bm, const char *key)
{
    if (bm)
        cJSON_DeleteItemFromObjectCaseSensitive(bm, key);
}

bool state_bm_get_int(const cJSON *bm, const char *key, long long *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(bm, key);
    return v && !cJSON_IsNull(v) && json_util_to_int(v, out);
}

const char *state_bm_value_text(const cJSON *v, char *tmp, size_t n)
{
    if (cJSON_IsString(v))
        return v->valuestring;
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d == floor(d) && fabs(d) < 9.2e18) {
            snprintf(tmp, n, "%lld", (long long)d);
            return tmp;
        }
        /* the shortest text that reads back as the same double: 0.1, not 0.10000000000000001
           (compared as numeric, the longer one is greater than 0.1 and would skip rows) */
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(tmp, n, "%.*g", prec, d);
            if (strtod(tmp, NULL) == d)
                break;
        }
        return tmp;
    }
    if (cJSON_IsBool(v))
        return cJSON_IsTrue(v) ? "true" : "false";
    return NULL;
}

void state_prepare_stream(cJSON *state, const char *stream_id, const char *method,
                          const char *replication_key)
{
    cJSON *bm = state_bookmark(state, stream_id);
    if (!bm)
        return;
    const char *last = json_util_string(bm, "last_replication_method", NULL);
    bool reset = false;
    if (last && strcmp(last, method) != 0) {
        log_info("stream \"%s\": replication method changed from %s to %s: its bookmark is "
                 "reset",
                 stream_id, last, method);
        reset = true;
    }
    if (!reset && strcmp(method, "INCREMENTAL") == 0) {
        const char *key = json_util_string(bm, "replication_key", NULL);
        if (!key || strcmp(key, replication_key ? replication_key : "") != 0) {
            if (key)
                log_info("stream \"%s\": replication key changed from \"%s\" to \"%s\": its "
                         "bookmark is reset",
                         stream_id, key, replication_key ? replication_key : "");
            reset = true;
        }
    }
    if (reset) {
        cJSON *bms = cJSON_GetObjectItemCaseSensitive(state, "bookmarks");
        cJSON_ReplaceItemInObjectCaseSensitive(bms, stream_id, cJSON_CreateObject());
        bm = state_bookmark(state, stream_id);
    }
    state_bm_set_item(bm, "last_replication_method", cJSON_CreateString(method));
}

bool state_write(const cJSON *state, singer_writer *w, size_t *bytes)
{
    char *text = cJSON_PrintUnformatted(state);
    if (!text) {
        log_error("out of memory while writing the state");
        return false;
    }
    if (bytes)
        *bytes = strlen(text);
    buf *b = singer_writer_buf(w);
    buf_append_lit(b, "{\"type\":\"STATE\",\"value\":");
    buf_appends(b, text);
    buf_putc(b, '}');
    cJSON_free(text);
    return singer_writer_end_line(w);
}

static const cJSON *bookmark_of(const cJSON *state, const char *stream_id)
{
    return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(state, "bookmarks"),
                                            stream_id);
}

bool state_is_sdk_lsn(const cJSON *state, const char *stream_id)
{
    const char *rk = json_util_string(bookmark_of(state, stream_id), "replication_key", NULL);
    return rk && strcmp(rk, STATE_SDK_LSN_KEY) == 0;
}

const cJSON *state_lsn_value(const cJSON *state, const char *stream_id)
{
    const cJSON *bm = bookmark_of(state, stream_id);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(bm, "replication_key_value");
    if (state_is_sdk_lsn(state, stream_id) && v && !cJSON_IsNull(v))
        return v;
    v = cJSON_GetObjectItemCaseSensitive(bm, "lsn");
    return cJSON_IsNull(v) ? NULL : v;
}

bool state_adopt_sdk_lsn(cJSON *state, const char *stream_id)
{
    cJSON *bm = (cJSON *)bookmark_of(state, stream_id);
    if (!state_is_sdk_lsn(state, stream_id))
        return false;
    cJSON *v = cJSON_DetachItemFromObjectCaseSensitive(bm, "replication_key_value");
    if (!v)
        return false;
    if (cJSON_IsNull(v)) {
        cJSON_Delete(v);
        return false;
    }
    char text[64];
    const char *shown = state_bm_value_text(v, text, sizeof(text));
    log_info("stream \"%s\": a MeltanoLabs tap-postgres bookmark (replication_key _sdc_lsn, "
             "replication_key_value %.40s): taken as its lsn (the transaction holding that "
             "position is sent again)",
             stream_id, shown ? shown : "?");
    state_bm_set_item(bm, "lsn", v);
    return true;
}
