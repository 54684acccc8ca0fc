/*
 * flatten: a stream's JSON Schema -> the table's columns.
 *
 * Nested objects with properties become parent__child columns up to
 * data_flattening_max_level levels; deeper objects, objects without
 * properties and arrays stay jsonb. Each column gets its PostgreSQL type from
 * the property's JSON Schema (see flatten_kind). A tree of property nodes maps
 * the keys of a RECORD (and of its flattened objects) to column indices.
 * Two properties that end on one column name (after lower-casing and the
 * 63-byte cut) are an error naming both.
 */
#ifndef TARGET_FLATTEN_H
#define TARGET_FLATTEN_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hash_index.h"
#include "naming.h"

typedef enum col_kind {
    CK_TEXT = 0,
    CK_SMALLINT,
    CK_INTEGER,
    CK_BIGINT,
    CK_NUMERIC,
    CK_BOOL,
    CK_TIMESTAMPTZ,
    CK_DATE,
    CK_TIME,
    CK_JSONB,
    CK_BYTEA, /* contentEncoding base16 with interpret_content_encoding */
} col_kind;

typedef enum meta_kind {
    META_NONE = 0,
    META_EXTRACTED_AT,
    META_RECEIVED_AT,
    META_BATCHED_AT,
    META_DELETED_AT,
    META_SEQUENCE,
    META_TABLE_VERSION,
} meta_kind;

typedef struct tcolumn {
    char name[NAMING_MAX + 1];
    char *path;            /* malloc'ed property path for messages ("a.b") */
    col_kind kind;         /* how values are checked and converted */
    char sql[40];          /* the column type from an x-sql-datatype hint, built by flatten_sql_hint
                              from its own table (never the hint's text); "" without a hint */
    char hint_typname[12]; /* pg_type.typname of that type ("int2"); "" without a hint */
    uint8_t meta;          /* meta_kind */
    bool absent_is_null;   /* _sdc_deleted_at: an absent value means NULL, not "keep" */
    bool is_key;
} tcolumn;

typedef struct prop_node prop_node;
typedef struct prop_child {
    char *key; /* malloc'ed property name as in the schema */
    size_t keylen;
    int col;        /* column index, or -1 when the child is a flattened object */
    prop_node *sub; /* owned; the flattened object's properties */
} prop_child;

struct prop_node {
    prop_child *children; /* malloc'ed */
    size_t n;
    hash_index index; /* the children by key (indices into children) */
};

typedef struct column_set {
    tcolumn *cols; /* malloc'ed */
    size_t ncols;
    int *keys; /* malloc'ed column indices of key_properties, in their order */
    size_t nkeys;
    prop_node root;
    uint64_t fingerprint; /* names, kinds and keys: equal fingerprints = same table shape */
} column_set;

/* flatten_kind: the column kind of a property schema (flattening aside). */
col_kind flatten_kind(const cJSON *prop);
/* flatten_kind_sql: the SQL type of a kind ("bigint", "timestamp with time zone"...). */
const char *flatten_kind_sql(col_kind k);
/* flatten_col_sql: the SQL type a new column c gets: its hint's type, else its kind's. */
const char *flatten_col_sql(const tcolumn *c);

/*
 * flatten_sql_hint: parse the Singer SDK's x-sql-datatype value hint ("smallint",
 * "varchar(20)", "numeric(12, 2)", "timestamp with time zone"): a built-in PostgreSQL type name
 * from our table (case and spacing free) with at most the type modifiers it takes. Writes the
 * canonical SQL text (made from the table and the parsed numbers) to sql (>= 40 bytes), its
 * pg_type.typname to typname (>= 12 bytes) and the kind whose value checks apply to *kind
 * (CK_TEXT for types PostgreSQL checks itself: uuid, inet, double precision...). false with the
 * reason in err for an unknown name, an array, or bad modifiers.
 */
bool flatten_sql_hint(const char *hint, col_kind *kind, char *sql, char *typname, char *err,
                      size_t errlen);

/*
 * flatten_schema: build the columns of schema (the SCHEMA message's "schema",
 * borrowed) with key_properties (array of strings, borrowed). metadata adds
 * the _sdc_* columns; content_encoding (interpret_content_encoding) makes a string property
 * with contentEncoding base16 a bytea column. false with a message in err on a bad schema, a
 * key property that is not a property, a name collision or a bad x-sql-datatype hint.
 */
bool flatten_schema(column_set *out, const cJSON *schema, const cJSON *key_properties,
                    int max_level, bool metadata, bool content_encoding, char *err, size_t errlen);
void flatten_free(column_set *cs);

/* flatten_lookup: whether node has a child named key[0..n), its index into *idx. hint: the
   expected index. */
bool flatten_lookup(const prop_node *node, const char *key, size_t n, size_t hint, size_t *idx);

#endif
