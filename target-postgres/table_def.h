/*
 * table_def: a stream's SCHEMA turned into a table definition (schema, table, columns, the
 * validator when validate_records).
 *
 * Ownership: a table_def is immutable once built and shared by reference (the stream and every
 * flush job that loads with it: table_def_ref / table_def_unref, atomic); a new SCHEMA builds
 * a new one. Every pointer field is owned by it.
 */
#ifndef TARGET_TABLE_DEF_H
#define TARGET_TABLE_DEF_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "flatten.h"
#include "naming.h"
#include "tconfig.h"
#include "validate.h"

typedef struct table_def {
    int refs;             /* atomic reference count */
    char *stream;         /* malloc'ed stream id */
    naming_target target; /* schema, table, grants, indices */
    column_set cs;
    validator *val;  /* owned; NULL unless validate_records */
    char *qname;     /* malloc'ed "schema"."table" */
    int deleted_col; /* the _sdc_deleted_at metadata column, -1 when none; it takes the
                        record's _sdc_deleted_at whether the SCHEMA declares it or not */
    bool no_schema;  /* built by table_def_create_stub: names only, no columns */
} table_def;

/* table_def_create: build from a SCHEMA message (borrowed). NULL with a message in err. */
table_def *table_def_create(const char *stream_id, const cJSON *msg, const tconfig *cfg, char *err,
                            size_t errlen);
/* table_def_create_stub: the table of a stream whose SCHEMA has not arrived yet (names, no
   columns), for an ACTIVATE_VERSION before the SCHEMA. NULL with a message in err. */
table_def *table_def_create_stub(const char *stream_id, const tconfig *cfg, char *err,
                                 size_t errlen);
/* table_def_ref: take a reference (atomic). */
void table_def_ref(table_def *d);
/* table_def_unref: drop a reference; the last one frees. NULL is fine. */
void table_def_unref(table_def *d);

/* table_def_copy_columns: the quoted column list of the COPY into the temp table. */
void table_def_copy_columns(const table_def *d, buf *out);
/* table_def_copy_pos: the position of column i among the COPY fields of a batch (columns
   before it, _sdc_batched_at aside: the loads set that one, the rows do not carry it). */
size_t table_def_copy_pos(const table_def *d, size_t i);

#endif
