#include "field_transform.h"

#include "catalog.h"
#include "json_writer.h"
#include "log.h"
#include "sha256.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- checked against the catalog ---- */

static bool is_string_rule(field_transform_type t)
{
    return t == FX_HASH || t == FX_HASH_SKIP_FIRST || t == FX_MASK_HIDDEN ||
           t == FX_MASK_STRING_SKIP_ENDS;
}

/* the rule's type fits the column's type (pipelinewise-transform-field's validation) */
static const char *type_misfit(const field_transform_rule *r, const typemap_type *t)
{
    bool scalar = t->kind != TM_ARRAY;
    if (is_string_rule(r->type))
        return scalar && t->family == TMF_STRING && (t->kind == TM_STRING || t->pg_text)
                   ? NULL
                   : "a string column (a schema of type string without a format)";
    if (r->type == FX_MASK_DATE)
        return scalar && !t->pg_text && (t->kind == TM_DATE || t->kind == TM_TIMESTAMP)
                   ? NULL
                   : "a date, timestamp or timestamptz column";
    if (r->type == FX_MASK_NUMBER)
        return scalar && (t->family == TMF_INTEGER || t->family == TMF_NUMBER)
                   ? NULL
                   : "an integer or number column";
    return NULL;
}

static int find_column(const tap_stream *s, const char *name)
{
    for (size_t i = 0; i < s->ncolumns; i++)
        if (strcmp(s->columns[i].name, name) == 0)
            return (int)i;
    return -1;
}

static bool table_has(const tap_stream *s, const char *name)
{
    for (size_t i = 0; s->table && i < s->table->ncols; i++)
        if (strcmp(s->table->cols[i].name, name) == 0)
            return true;
    return false;
}

static bool in_catalog(const tap_catalog *cat, const char *id)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(cat->root, "streams"))
    {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, "tap_stream_id");
        if (cJSON_IsString(v) && strcmp(v->valuestring, id) == 0)
            return true;
    }
    return false;
}

static bool is_key(const tap_stream *s, const char *name)
{
    for (size_t k = 0; k < s->nkeys; k++)
        if (strcmp(s->key_properties[k], name) == 0)
            return true;
    return false;
}

bool field_transform_check(const field_transform_set *set, tap_catalog *cat)
{
    for (size_t i = 0; i < set->n; i++) {
        const field_transform_rule *r = &set->rules[i];
        tap_stream *s = NULL;
        for (size_t k = 0; k < cat->n && !s; k++)
            if (strcmp(cat->streams[k].tap_stream_id, r->stream) == 0)
                s = &cat->streams[k];
        if (!s) {
            if (in_catalog(cat, r->stream)) {
                log_info("transformations: stream \"%s\" is not selected: its %s of \"%s\" has "
                         "nothing to do",
                         r->stream, r->type_name, r->field);
                continue;
            }
            log_error("config key transformations: entry %zu names stream \"%.100s\", which the "
                      "catalog does not have (stream ids are \"<schema>-<table>\", as the tap "
                      "sends them)",
                      i, r->stream);
            return false;
        }
        int col = find_column(s, r->field);
        if (col < 0) {
            if (!table_has(s, r->field)) {
                log_error("config key transformations: entry %zu: stream \"%s\" has no column "
                          "\"%.60s\" (%s)",
                          i, s->tap_stream_id, r->field, r->type_name);
                return false;
            }
            log_info("transformations: column \"%s\" of stream \"%s\" is not selected: its %s "
                     "has nothing to do",
                     r->field, s->tap_stream_id, r->type_name);
        } else {
            const tap_column *c = &s->columns[col];
            const char *need = type_misfit(r, &c->type);
            if (need) {
                log_error("config key transformations: entry %zu: %s needs %s, but column "
                          "\"%s\" of stream \"%s\" is %s",
                          i, r->type_name, need, c->name, s->tap_stream_id, c->sql_type);
                return false;
            }
            if (c->is_pk || is_key(s, c->name)) {
                if (!(r->type == FX_HASH || r->type == FX_HASH_SKIP_FIRST) || r->nconds) {
                    log_error("config key transformations: entry %zu: %s%s of key column \"%s\" "
                              "of stream \"%s\": a key may only be hashed (HASH or "
                              "HASH-SKIP-FIRST-n) without conditions, so that every record of a "
                              "row, deletes too, carries the same key",
                              i, r->type_name, r->nconds ? " with conditions" : "", c->name,
                              s->tap_stream_id);
                    return false;
                }
            }
            if (s->rk_index == col) {
                log_error("config key transformations: entry %zu: %s of column \"%s\" of stream "
                          "\"%s\": it is the replication key, whose values the bookmarks hold",
                          i, r->type_name, c->name, s->tap_stream_id);
                return false;
            }
        }
        for (size_t k = 0; k < r->nconds; k++) {
            const char *cn = r->conds[k].column;
            if (find_column(s, cn) >= 0)
                continue;
            log_error("config key transformations: entry %zu: the condition on column \"%.60s\" "
                      "of stream \"%s\": %s",
                      i, cn, s->tap_stream_id,
                      table_has(s, cn) ? "the column is not selected (select it: a condition "
                                         "needs its value)"
                                       : "the table has no such column");
            return false;
        }
        s->transforms = set;
    }
    return true;
}

void field_transform_schema_type(const field_transform_set *set, const char *stream_id,
                                 const char *column, typemap_type *t)
{
    for (size_t i = 0; set && i < set->n; i++) {
        const field_transform_rule *r = &set->rules[i];
        if (is_string_rule(r->type) && strcmp(r->stream, stream_id) == 0 &&
            strcmp(r->field, column) == 0)
            t->typmod = -1;
    }
}

/* ---- binding ---- */

void field_transform_unbind(field_transform_binding *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->nbound; i++) {
        const field_transform_bound *fb = &b->bound[i];
        if (fb->unknown_conditions)
            log_warn("stream \"%s\": column \"%s\": %lld records did not carry a column the "
                     "conditions of %s look at (an unchanged TOAST value): %s was applied",
                     b->stream, fb->rule->field, fb->unknown_conditions, fb->rule->type_name,
                     fb->rule->type_name);
        if (fb->unmaskable_dates)
            log_warn("stream \"%s\": column \"%s\": %lld values were no date MASK-DATE could "
                     "mask and were written as null",
                     b->stream, fb->rule->field, fb->unmaskable_dates);
        free(fb->cond_col);
    }
    free(b->bound);
    free(b->first);
    free(b->count);
    free(b->slots);
    free(b->order);
    free(b->types);
    free(b->stream);
    buf_term(&b->work[0]);
    buf_term(&b->work[1]);
    buf_term(&b->cond);
    buf_term(&b->subject);
    free(b);
}

bool field_transform_bind(field_transform_binding **out, const field_transform_set *set,
                          const char *stream_id, const char *const *names,
                          const typemap_type *const *types, size_t n)
{
    *out = NULL;
    size_t nb = 0;
    for (size_t i = 0; set && i < set->n; i++)
        if (strcmp(set->rules[i].stream, stream_id) == 0)
            for (size_t c = 0; c < n; c++)
                if (strcmp(names[c], set->rules[i].field) == 0)
                    nb++;
    if (nb == 0)
        return true;
    field_transform_binding *b = calloc(1, sizeof(*b));
    if (!b)
        goto oom;
    b->ncols = n;
    b->first = calloc(n, sizeof(*b->first));
    b->count = calloc(n, sizeof(*b->count));
    b->slots = calloc(n, sizeof(*b->slots));
    b->order = calloc(n, sizeof(*b->order));
    b->types = calloc(n, sizeof(*b->types));
    b->bound = calloc(nb, sizeof(*b->bound));
    b->stream = strdup(stream_id);
    buf_init(&b->work[0]);
    buf_init(&b->work[1]);
    buf_init(&b->cond);
    buf_init(&b->subject);
    if (!b->first || !b->count || !b->slots || !b->order || !b->types || !b->bound || !b->stream)
        goto oom;
    for (size_t c = 0; c < n; c++) {
        b->types[c] = types[c];
        b->first[c] = b->nbound;
        for (size_t i = 0; i < set->n; i++) {
            const field_transform_rule *r = &set->rules[i];
            if (strcmp(r->stream, stream_id) != 0 || strcmp(r->field, names[c]) != 0)
                continue;
            field_transform_bound *fb = &b->bound[b->nbound++];
            fb->rule = r;
            fb->cond_col = calloc(r->nconds ? r->nconds : 1, sizeof(*fb->cond_col));
            if (!fb->cond_col)
                goto oom;
            for (size_t k = 0; k < r->nconds; k++) {
                fb->cond_col[k] = -1;
                for (size_t j = 0; j < n; j++)
                    if (strcmp(names[j], r->conds[k].column) == 0)
                        fb->cond_col[k] = (int)j;
            }
            b->count[c]++;
        }
    }
    *out = b;
    return true;
oom:
    log_error("out of memory");
    field_transform_unbind(b);
    return false;
}

/* ---- one record ---- */

/* the JSON of column c's source value into b->cond, the conversion counters left as they were
   (the value is counted when it is written) */
static void render_source(field_transform_binding *b, typemap_ctx *tm, size_t c)
{
    buf_reset(&b->cond);
    const field_transform_slot *s = &b->slots[c];
    if (s->state != FX_TEXT) {
        buf_appends(&b->cond, "null");
        return;
    }
    long long saved[9] = {tm->nan_count,     tm->pos_infinity_count,    tm->neg_infinity_count,
                          tm->bad_values,    tm->clamped_high_count,    tm->clamped_low_count,
                          tm->time_24_count, tm->json_not_object_count, 0};
    typemap_value(tm, b->types[c], &b->cond, s->text, s->len);
    tm->nan_count = saved[0];
    tm->pos_infinity_count = saved[1];
    tm->neg_infinity_count = saved[2];
    tm->bad_values = saved[3];
    tm->clamped_high_count = saved[4];
    tm->clamped_low_count = saved[5];
    tm->time_24_count = saved[6];
    tm->json_not_object_count = saved[7];
}

static bool cond_holds(field_transform_binding *b, typemap_ctx *tm, const field_transform_cond *cd,
                       size_t c)
{
    const field_transform_slot *s = &b->slots[c];
    if (cd->is_regex) {
        if (s->state != FX_TEXT)
            return false; /* pipelinewise: no match on null */
        const typemap_type *t = b->types[c];
        buf_reset(&b->subject);
        if (t->kind == TM_STRING || t->pg_text) {
            buf_append(&b->subject, s->text, s->len);
        } else {
            render_source(b, tm, c);
            const char *p = b->cond.data;
            size_t n = b->cond.len;
            if (n >= 2 && p[0] == '"' && p[n - 1] == '"') {
                p++;
                n -= 2;
            }
            buf_append(&b->subject, p, n);
        }
        buf_putc(&b->subject, '\0');
        return buf_ok(&b->subject) && regexec(&cd->re, b->subject.data, 0, NULL, 0) == 0;
    }
    render_source(b, tm, c);
    if (!buf_ok(&b->cond))
        return false;
    if (cd->equals_number) {
        const char *p = b->cond.data;
        if (!b->cond.len || !(p[0] == '-' || (p[0] >= '0' && p[0] <= '9')))
            return false;
        buf_putc(&b->cond, '\0');
        if (!buf_ok(&b->cond))
            return false;
        char *end = NULL;
        errno = 0;
        double v = strtod(b->cond.data, &end);
        return end && *end == '\0' && v == cd->equals_num;
    }
    return b->cond.len == cd->equals_len && memcmp(b->cond.data, cd->equals_json, b->cond.len) == 0;
}

/* all conditions hold; a condition column the record does not carry counts as holding */
static bool when_holds(field_transform_binding *b, typemap_ctx *tm, field_transform_bound *fb)
{
    bool unknown = false;
    for (size_t k = 0; k < fb->rule->nconds; k++) {
        int c = fb->cond_col[k];
        if (c < 0 || b->slots[c].state == FX_UNSET) {
            unknown = true;
            continue;
        }
        if (!cond_holds(b, tm, &fb->rule->conds[k], (size_t)c))
            return false;
    }
    if (unknown)
        fb->unknown_conditions++;
    return true;
}

/* the byte length of the UTF-8 sequence at s[i] (1 for a stray byte), not past len */
static size_t utf8_step(const char *s, size_t len, size_t i)
{
    unsigned char c = (unsigned char)s[i];
    size_t k = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    return i + k > len ? len - i : k;
}

/* the byte offset of character number chars (or len) */
static size_t utf8_offset(const char *s, size_t len, size_t chars)
{
    size_t i = 0;
    while (i < len && chars--)
        i += utf8_step(s, len, i);
    return i;
}

static size_t utf8_count(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i += utf8_step(s, len, i))
        n++;
    return n;
}

static void put_hash(buf *out, const char *p, size_t n)
{
    uint8_t d[SHA256_DIGEST_LEN];
    char hex[SHA256_HEX_LEN + 1];
    sha256(p, n, d);
    sha256_hex(d, hex);
    buf_append(out, hex, SHA256_HEX_LEN);
}

typedef enum { V_NULL, V_SRC, V_STR, V_JSON } vkind;

void field_transform_value(field_transform_binding *b, typemap_ctx *tm, size_t col, buf *out)
{
    const field_transform_slot *s = &b->slots[col];
    const typemap_type *t = b->types[col];
    vkind k = s->state == FX_TEXT ? V_SRC : V_NULL;
    const char *p = s->text;
    size_t len = s->len;
    int w = 0;
    for (size_t i = 0; i < b->count[col]; i++) {
        field_transform_bound *fb = &b->bound[b->first[col] + i];
        const field_transform_rule *r = fb->rule;
        if (r->nconds && !when_holds(b, tm, fb))
            continue;
        buf *o = &b->work[w];
        switch (r->type) {
        case FX_SET_NULL:
            k = V_NULL;
            continue;
        case FX_MASK_NUMBER:
            k = V_JSON;
            p = "0";
            len = 1;
            continue;
        case FX_MASK_HIDDEN:
            k = V_STR;
            p = "hidden";
            len = 6;
            continue;
        case FX_HASH:
        case FX_HASH_SKIP_FIRST:
        case FX_MASK_STRING_SKIP_ENDS:
            if (k == V_NULL)
                continue; /* pipelinewise: null stays null */
            buf_reset(o);
            if (r->type == FX_HASH) {
                put_hash(o, p, len);
            } else if (r->type == FX_HASH_SKIP_FIRST) {
                /* the first n characters, then the hash of the bytes after the first n bytes
                   (pipelinewise slices the string by characters, its UTF-8 by bytes) */
                size_t n = (size_t)r->n;
                buf_append(o, p, utf8_offset(p, len, n));
                put_hash(o, p + (n < len ? n : len), n < len ? len - n : 0);
            } else {
                size_t n = (size_t)r->n, chars = utf8_count(p, len);
                if (chars <= 2 * n) {
                    for (size_t c = 0; c < chars; c++)
                        buf_putc(o, '*');
                } else {
                    size_t head = utf8_offset(p, len, n);
                    size_t tail = utf8_offset(p, len, chars - n);
                    buf_append(o, p, head);
                    for (size_t c = 0; c < chars - 2 * n; c++)
                        buf_putc(o, '*');
                    buf_append(o, p + tail, len - tail);
                }
            }
            k = V_STR;
            break;
        case FX_MASK_DATE:
            if (k == V_NULL)
                continue;
            buf_reset(o);
            if (k == V_SRC)
                typemap_value(tm, t, o, p, len);
            else
                buf_append(o, p, len);
            /* "YYYY-MM-DD...: month and day become 01-01, the rest (time, offset) stays */
            if (!buf_ok(o) || o->len < 11 || o->data[0] != '"' || o->data[5] != '-' ||
                o->data[8] != '-' || !isdigit((unsigned char)o->data[1]) ||
                !isdigit((unsigned char)o->data[6]) || !isdigit((unsigned char)o->data[9]) ||
                k == V_STR) {
                fb->unmaskable_dates++;
                k = V_NULL;
                continue;
            }
            memcpy(o->data + 6, "01", 2);
            memcpy(o->data + 9, "01", 2);
            k = V_JSON;
            break;
        }
        p = o->data;
        len = o->len;
        w ^= 1;
    }
    switch (k) {
    case V_NULL:
        buf_append_lit(out, "null");
        break;
    case V_SRC:
        typemap_value(tm, t, out, p, len);
        break;
    case V_STR:
        json_writer_string(out, p, len);
        break;
    case V_JSON:
        buf_append(out, p, len);
        break;
    }
}
