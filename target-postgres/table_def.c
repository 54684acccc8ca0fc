#include "table_def.h"

#include "pg_conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const reserved[] = {"_tgt_seq", "_tgt_absent"};

static bool qualified_name(table_def *d, char *err, size_t errlen);

table_def *table_def_create(const char *stream_id, const cJSON *msg, const tconfig *cfg, char *err,
                            size_t errlen)
{
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(msg, "schema");
    if (!cJSON_IsObject(schema)) {
        snprintf(err, errlen, "SCHEMA message without a \"schema\" object");
        return NULL;
    }
    const cJSON *keys = cJSON_GetObjectItemCaseSensitive(msg, "key_properties");
    if (keys && !cJSON_IsArray(keys) && !cJSON_IsNull(keys)) {
        snprintf(err, errlen, "\"key_properties\" must be an array");
        return NULL;
    }
    if (cfg->primary_key_required && (!cJSON_IsArray(keys) || cJSON_GetArraySize(keys) == 0)) {
        snprintf(err, errlen,
                 "no key_properties, and primary_key_required is true (set it to false to "
                 "append rows without a key)");
        return NULL;
    }
    table_def *d = calloc(1, sizeof(*d));
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    d->refs = 1;
    d->stream = strdup(stream_id);
    if (!d->stream) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (!naming_stream(stream_id, cfg->default_target_schema, cfg->default_grants,
                       cfg->schema_mapping, &d->target, err, errlen))
        goto fail;
    if (!flatten_schema(&d->cs, schema, keys, cfg->data_flattening_max_level,
                        cfg->add_metadata_columns, cfg->interpret_content_encoding, err, errlen))
        goto fail;
    for (size_t i = 0; i < d->cs.ncols; i++) {
        for (size_t r = 0; r < sizeof(reserved) / sizeof(reserved[0]); r++) {
            if (strcmp(d->cs.cols[i].name, reserved[r]) == 0) {
                snprintf(err, errlen, "property \"%s\" uses the reserved column name \"%s\"",
                         d->cs.cols[i].path, reserved[r]);
                goto fail;
            }
        }
    }
    d->deleted_col = -1;
    for (size_t i = 0; i < d->cs.ncols; i++)
        if (d->cs.cols[i].meta == META_DELETED_AT)
            d->deleted_col = (int)i;
    if (cfg->validate_records) {
        d->val = validate_create(schema, err, errlen);
        if (!d->val)
            goto fail;
    }
    if (!qualified_name(d, err, errlen))
        goto fail;
    return d;
fail:
    table_def_unref(d);
    return NULL;
}

table_def *table_def_create_stub(const char *stream_id, const tconfig *cfg, char *err,
                                 size_t errlen)
{
    table_def *d = calloc(1, sizeof(*d));
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    d->refs = 1;
    d->deleted_col = -1;
    d->no_schema = true;
    d->stream = strdup(stream_id);
    if (!d->stream) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (!naming_stream(stream_id, cfg->default_target_schema, cfg->default_grants,
                       cfg->schema_mapping, &d->target, err, errlen))
        goto fail;
    if (!qualified_name(d, err, errlen))
        goto fail;
    return d;
fail:
    table_def_unref(d);
    return NULL;
}

static bool qualified_name(table_def *d, char *err, size_t errlen)
{
    buf q = BUF_INIT;
    pg_conn_quote_ident(&q, d->target.schema);
    buf_putc(&q, '.');
    pg_conn_quote_ident(&q, d->target.table);
    buf_putc(&q, '\0');
    d->qname = buf_detach(&q);
    if (!d->qname) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    return true;
}

void table_def_ref(table_def *d)
{
    __atomic_add_fetch(&d->refs, 1, __ATOMIC_ACQ_REL);
}

void table_def_unref(table_def *d)
{
    if (!d)
        return;
    if (__atomic_sub_fetch(&d->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    free(d->stream);
    flatten_free(&d->cs);
    validate_destroy(d->val);
    free(d->qname);
    free(d);
}

void table_def_copy_columns(const table_def *d, buf *out)
{
    bool first = true;
    for (size_t c = 0; c < d->cs.ncols; c++) {
        if (d->cs.cols[c].meta == META_BATCHED_AT)
            continue;
        if (!first)
            buf_append_lit(out, ", ");
        first = false;
        pg_conn_quote_ident(out, d->cs.cols[c].name);
    }
    buf_append_lit(out, ", \"_tgt_seq\", \"_tgt_absent\"");
}

size_t table_def_copy_pos(const table_def *d, size_t i)
{
    size_t p = 0;
    for (size_t k = 0; k < i; k++)
        if (d->cs.cols[k].meta != META_BATCHED_AT)
            p++;
    return p;
}
