/*
 * record_builder: builds a Singer RECORD line column by column straight into
 * an output buffer (the singer_writer's), converting each text value with the
 * typemap. No tree, no per-value allocation: the stream's constant parts (the
 * message head, each column's quoted key, the version/time tail) are
 * rendered once by record_builder_init / record_builder_set_version.
 *
 * Columns may be left out (an unchanged TOAST value in CDC: "missing is not
 * null") and extra properties added (_sdc_deleted_at, _sdc_lsn) with record_builder_raw.
 *
 *   record_builder_begin(&rb, singer_writer_buf(w));
 *   for each column: record_builder_value(&rb, i, text, len) or record_builder_null(&rb, i) (or
 * nothing) record_builder_raw(&rb, "_sdc_deleted_at", "\"2024-...\"", n);   (optional)
 *   record_builder_end(&rb);  singer_writer_end_line(w);
 */
#ifndef TAP_RECORD_BUILDER_H
#define TAP_RECORD_BUILDER_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "field_transform.h"
#include "typemap.h"

typedef struct record_builder_column {
    char *key; /* malloc'ed: "name": (quoted and escaped, with the colon) */
    size_t key_len;
    const typemap_type *type; /* borrowed: must outlive the builder */
} record_builder_column;

typedef struct record_builder {
    typemap_ctx *tm;             /* borrowed: conversion options, counters, scratch */
    record_builder_column *cols; /* malloc'ed */
    size_t ncols;
    buf head;   /* owned: {"type":"RECORD","stream":"<id>","record":{ */
    buf tail;   /* owned: },"version":V,"time_extracted":"T"} */
    buf *out;   /* borrowed: the buffer of the record being built */
    bool first; /* no property written yet */
    /* owned, NULL without transformations (the fast path): with them, the values are collected
       and written at record_builder_raw / record_builder_end, when conditions can see them all */
    field_transform_binding *xf;
} record_builder;

/*
 * record_builder_init: a builder for stream (the message's stream name) with columns
 * names[0..n) of types[0..n) (both borrowed during the call; types must
 * outlive the builder). False on out of memory (logged).
 */
bool record_builder_init(record_builder *rb, typemap_ctx *tm, const char *stream,
                         const char *const *names, const typemap_type *const *types, size_t n);
/*
 * record_builder_set_transforms: apply set's rules of stream to this builder's columns (names
 * borrowed during the call, in the builder's column order). False on out of memory (logged).
 */
bool record_builder_set_transforms(record_builder *rb, const field_transform_set *set,
                                   const char *stream, const char *const *names);
/* record_builder_flush_transformed: write the collected values (record_builder_raw and
   record_builder_end call it). */
void record_builder_flush_transformed(record_builder *rb);
/* record_builder_term: free; accepts a zeroed builder. */
void record_builder_term(record_builder *rb);
/*
 * record_builder_set_version: the tail of the records: version (left out when < 0) and
 * time_extracted (left out when NULL). Call before the first record and
 * whenever either changes.
 */
void record_builder_set_version(record_builder *rb, long long version, const char *time_extracted);

/* record_builder_begin_direct / record_builder_end_direct: begin and end for a builder without
   transformations (see record_builder_value_direct) */
static inline void record_builder_begin_direct(record_builder *rb, buf *out)
{
    rb->out = out;
    rb->first = true;
    buf_append(out, rb->head.data, rb->head.len);
}

static inline void record_builder_end_direct(record_builder *rb)
{
    buf_append(rb->out, rb->tail.data, rb->tail.len);
    rb->out = NULL;
}

/* record_builder_begin: start a record at the end of out (borrowed until record_builder_end). */
static inline void record_builder_begin(record_builder *rb, buf *out)
{
    record_builder_begin_direct(rb, out);
    if (rb->xf) { /* a record left unfinished (after a failure) leaves nothing behind */
        for (size_t i = 0; i < rb->xf->norder; i++)
            rb->xf->slots[rb->xf->order[i]].state = FX_UNSET;
        rb->xf->norder = 0;
    }
}

/* collect a value of a transformed stream */
static inline void record_builder_collect(record_builder *rb, size_t col, const char *text,
                                          size_t len, field_transform_slot_state st)
{
    field_transform_binding *x = rb->xf;
    if (x->slots[col].state == FX_UNSET)
        x->order[x->norder++] = col;
    x->slots[col].text = text;
    x->slots[col].len = len;
    x->slots[col].state = st;
}

static inline void record_builder_key(record_builder *rb, size_t col)
{
    if (!rb->first)
        buf_putc(rb->out, ',');
    rb->first = false;
    buf_append(rb->out, rb->cols[col].key, rb->cols[col].key_len);
}

/* record_builder_value_direct / record_builder_null_direct: as record_builder_value / _null for a
   builder without transformations (rb->xf NULL), for loops that check that once per copy */
static inline void record_builder_value_direct(record_builder *rb, size_t col, const char *text,
                                               size_t len)
{
    record_builder_key(rb, col);
    typemap_value(rb->tm, rb->cols[col].type, rb->out, text, len);
}

static inline void record_builder_null_direct(record_builder *rb, size_t col)
{
    record_builder_key(rb, col);
    buf_append_lit(rb->out, "null");
}

/* record_builder_value: column col with the value text[0..len) in its type's text output form. */
static inline void record_builder_value(record_builder *rb, size_t col, const char *text,
                                        size_t len)
{
    if (rb->xf)
        record_builder_collect(rb, col, text, len, FX_TEXT);
    else
        record_builder_value_direct(rb, col, text, len);
}

/* record_builder_null: column col is NULL. */
static inline void record_builder_null(record_builder *rb, size_t col)
{
    if (rb->xf)
        record_builder_collect(rb, col, NULL, 0, FX_NULL);
    else
        record_builder_null_direct(rb, col);
}

/* record_builder_raw: an extra property name with an already rendered JSON value. */
void record_builder_raw(record_builder *rb, const char *name, const char *json, size_t len);

/* record_builder_end: close the record (the caller ends the line, e.g. singer_writer_end_line). */
static inline void record_builder_end(record_builder *rb)
{
    if (rb->xf)
        record_builder_flush_transformed(rb);
    record_builder_end_direct(rb);
}

#endif
