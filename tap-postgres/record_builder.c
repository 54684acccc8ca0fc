#include "record_builder.h"

#include "json_writer.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

bool record_builder_init(record_builder *rb, typemap_ctx *tm, const char *stream,
                         const char *const *names, const typemap_type *const *types, size_t n)
{
    memset(rb, 0, sizeof(*rb));
    rb->tm = tm;
    buf_init(&rb->head);
    buf_init(&rb->tail);
    buf_append_lit(&rb->head, "{\"type\":\"RECORD\",\"stream\":");
    json_writer_string(&rb->head, stream, strlen(stream));
    buf_append_lit(&rb->head, ",\"record\":{");
    rb->cols = calloc(n ? n : 1, sizeof(*rb->cols));
    if (!rb->cols)
        goto oom;
    rb->ncols = n;
    buf k = BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        buf_reset(&k);
        json_writer_string(&k, names[i], strlen(names[i]));
        buf_putc(&k, ':');
        if (!buf_ok(&k)) {
            buf_term(&k);
            goto oom;
        }
        rb->cols[i].key_len = k.len;
        rb->cols[i].key = buf_detach(&k);
        rb->cols[i].type = types[i];
        if (!rb->cols[i].key)
            goto oom;
    }
    buf_term(&k);
    record_builder_set_version(rb, -1, NULL);
    if (!buf_ok(&rb->head) || !buf_ok(&rb->tail))
        goto oom;
    return true;
oom:
    log_error("out of memory");
    return false;
}

void record_builder_term(record_builder *rb)
{
    if (!rb)
        return;
    for (size_t i = 0; rb->cols && i < rb->ncols; i++)
        free(rb->cols[i].key);
    field_transform_unbind(rb->xf);
    free(rb->cols);
    buf_term(&rb->head);
    buf_term(&rb->tail);
    memset(rb, 0, sizeof(*rb));
}

void record_builder_set_version(record_builder *rb, long long version, const char *time_extracted)
{
    buf_reset(&rb->tail);
    buf_putc(&rb->tail, '}');
    if (version >= 0) {
        buf_append_lit(&rb->tail, ",\"version\":");
        json_writer_int(&rb->tail, version);
    }
    if (time_extracted) {
        buf_append_lit(&rb->tail, ",\"time_extracted\":");
        json_writer_string(&rb->tail, time_extracted, strlen(time_extracted));
    }
    buf_putc(&rb->tail, '}');
}

bool record_builder_set_transforms(record_builder *rb, const field_transform_set *set,
                                   const char *stream, const char *const *names)
{
    const typemap_type **types = calloc(rb->ncols ? rb->ncols : 1, sizeof(*types));
    if (!types) {
        log_error("out of memory");
        return false;
    }
    for (size_t i = 0; i < rb->ncols; i++)
        types[i] = rb->cols[i].type;
    field_transform_unbind(rb->xf);
    bool ok = field_transform_bind(&rb->xf, set, stream, names, types, rb->ncols);
    free(types);
    return ok;
}

void record_builder_flush_transformed(record_builder *rb)
{
    field_transform_binding *x = rb->xf;
    for (size_t i = 0; i < x->norder; i++) {
        size_t col = x->order[i];
        record_builder_key(rb, col);
        field_transform_value(x, rb->tm, col, rb->out);
    }
    for (size_t i = 0; i < x->norder; i++)
        x->slots[x->order[i]].state = FX_UNSET;
    x->norder = 0;
}

void record_builder_raw(record_builder *rb, const char *name, const char *json, size_t len)
{
    if (rb->xf)
        record_builder_flush_transformed(rb);
    if (!rb->first)
        buf_putc(rb->out, ',');
    rb->first = false;
    json_writer_string(rb->out, name, strlen(name));
    buf_putc(rb->out, ':');
    buf_append(rb->out, json, len);
}
