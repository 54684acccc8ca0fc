#include "chunk_bookmark.h"

#include <string.h>

#include "chunk_buffer.h"
#include "state.h"

const cJSON *chunk_bookmark_get(const cJSON *state, const char *stream_id)
{
    return state_get(state, stream_id, CHUNK_BOOKMARK_KEY);
}

void chunk_bookmark_write(cJSON *state, const tap_stream *s, const buf *after, long long rows)
{
    cJSON *bm = state_bookmark(state, s->tap_stream_id);
    if (!bm)
        return;
    cJSON *o = cJSON_CreateObject();
    cJSON *keys = cJSON_AddArrayToObject(o, "key");
    for (size_t k = 0; k < s->nkeys; k++)
        cJSON_AddItemToArray(keys, cJSON_CreateString(s->key_properties[k]));
    if (after) {
        cJSON *texts = cJSON_AddArrayToObject(o, "after");
        const char *p = after->data;
        buf tmp = BUF_INIT;
        for (size_t k = 0; k < s->nkeys; k++) {
            uint32_t n;
            const char *text = chunk_buffer_next_field(&p, &n);
            buf_reset(&tmp);
            buf_append(&tmp, text, n);
            buf_putc(&tmp, '\0');
            cJSON_AddItemToArray(texts, cJSON_CreateString(tmp.data ? tmp.data : ""));
        }
        buf_term(&tmp);
    } else {
        cJSON_AddNullToObject(o, "after");
    }
    cJSON_AddNumberToObject(o, "rows", (double)rows);
    state_bm_set_item(bm, CHUNK_BOOKMARK_KEY, o);
}

void chunk_bookmark_remove(cJSON *state, const char *stream_id)
{
    cJSON *bm = state_bookmark(state, stream_id);
    if (bm)
        state_bm_remove(bm, CHUNK_BOOKMARK_KEY);
}

bool chunk_bookmark_parse(const cJSON *m, const tap_stream *s, buf *after, bool *have_after,
                          long long *rows, const char **why)
{
    const cJSON *keys = cJSON_GetObjectItemCaseSensitive(m, "key");
    const cJSON *texts = cJSON_GetObjectItemCaseSensitive(m, "after");
    bool same = cJSON_IsArray(keys) && (size_t)cJSON_GetArraySize(keys) == s->nkeys;
    for (size_t k = 0; same && k < s->nkeys; k++) {
        const cJSON *e = cJSON_GetArrayItem(keys, (int)k);
        same = cJSON_IsString(e) && strcmp(e->valuestring, s->key_properties[k]) == 0;
    }
    if (!same) {
        *why = "the key properties changed";
        return false;
    }
    *have_after = false;
    if (cJSON_IsArray(texts)) {
        bool good = (size_t)cJSON_GetArraySize(texts) == s->nkeys;
        for (size_t k = 0; good && k < s->nkeys; k++) {
            const cJSON *e = cJSON_GetArrayItem(texts, (int)k);
            good = cJSON_IsString(e);
            if (good)
                chunk_buffer_put_field(after, e->valuestring, strlen(e->valuestring), false);
        }
        if (!good) {
            *why = "its \"after\" is not a list of key texts";
            return false;
        }
        *have_after = true;
    } else if (!cJSON_IsNull(texts)) {
        *why = "its \"after\" is not a list of key texts";
        return false;
    }
    *rows = 0;
    state_bm_get_int(m, "rows", rows);
    return true;
}
