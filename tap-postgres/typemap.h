/*
 * typemap: PostgreSQL types -> JSON Schema, and text values -> JSON values.
 *
 * One table (tm_table in typemap.c) drives both directions: each entry names a
 * base type (pg_type.typname), the conversion kind of its values and the JSON
 * Schema written for its columns. Domains are resolved to their base type by
 * the caller (discovery), enums and ranges are recognised by their typtype,
 * arrays by their element type.
 *
 * The value conversion takes a value in its *text output form* -- what the
 * type's output function prints, as found in a COPY text field after
 * un-escaping, a pgoutput text column or a wal2json string -- and appends the
 * JSON value to a buf. It does not allocate per value: the scratch buffers it
 * needs live in a typemap_ctx that the caller keeps for the whole run. The session
 * that produced the text must use DateStyle=ISO, IntervalStyle=iso_8601,
 * TimeZone=UTC and extra_float_digits=3 (sync_full_table sets them).
 *
 * Files: typemap.c classifies types (the table, typemap_resolve) and writes their schemas;
 * typemap_value.c converts values (typemap_ctx, typemap_value).
 */
#ifndef TAP_TYPEMAP_H
#define TAP_TYPEMAP_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

typedef enum typemap_kind {
    TM_STRING = 0, /* the text as a JSON string */
    TM_INTEGER,    /* int2/int4/int8: the text as a JSON number */
    TM_NUMERIC,    /* numeric: exact text; NaN/Infinity -> null (or a string) */
    TM_FLOAT,      /* real/double: text; NaN/Infinity -> null (or a string) */
    TM_BOOL,       /* "t"/"f" -> true/false */
    TM_BIT1,       /* bit(1): "1"/"0" -> true/false */
    TM_JSON,       /* json/jsonb: the JSON text itself, on one line */
    TM_HSTORE,     /* hstore text -> a JSON object of strings (or null) */
    TM_DATE,       /* "2024-05-01" -> "2024-05-01T00:00:00+00:00" */
    TM_TIMESTAMP,  /* timestamp / timestamptz -> RFC 3339 UTC */
    TM_ARRAY,      /* an array (any dimensions) of elem kind */
    TM_TIME,       /* time / timetz: the text, 24:00:00 -> 23:59:59.999999 */
    TM_JSON_OBJ,   /* json/jsonb with json_as_object: as TM_JSON, non-objects counted */
} typemap_kind;

/* The JSON Schema family of a type; arrays refer to sdc_recursive_<family>_array. */
typedef enum typemap_family {
    TMF_STRING = 0,
    TMF_INTEGER,
    TMF_NUMBER,
    TMF_BOOLEAN,
    TMF_TIMESTAMP, /* string, format date-time */
    TMF_TIME,      /* string, format time */
    TMF_OBJECT,    /* json, jsonb (any JSON value), hstore (object) */
} typemap_family;

/* The resolved type of one column: what the conversion and the schema need. */
typedef struct typemap_type {
    typemap_kind kind;      /* TM_ARRAY for arrays */
    typemap_kind elem_kind; /* for arrays: the kind of the elements */
    typemap_family family;  /* of the scalar (or of the elements of an array) */
    char delim;             /* array element delimiter: pg_type.typdelim of the element type, set
                               by discovery; typemap_resolve's default is ',' (';' for box) */
    bool pg_text;           /* dates_as_string: a date/timestamp value is PostgreSQL's own text */
    bool pg_number;         /* an integer, numeric or float type of PostgreSQL's own (by OID, see
                               typemap_set_oid): its text is a JSON number or NaN / Infinity, not
                               checked again; false from typemap_resolve (the text is checked) */
    int typmod;             /* atttypmod of the column (of the base type for domains), -1 if none */
    const char *typname;    /* static: the type name of the table entry; NULL when the type is
                               not in the table (a string of its text form) */
} typemap_type;

/*
 * typemap_set_oid: the OID of the (base) type t was resolved from. A built-in type (below
 * FirstNormalObjectId, 16384: made by initdb, never by a user or an extension) of integer,
 * numeric or float kind prints JSON number text (or NaN / Infinity): its values are copied as
 * they are. Any other (a user-defined base type sharing a name, say) is checked value by value
 * and a text that is not a JSON number is counted as a bad value.
 */
void typemap_set_oid(typemap_type *t, unsigned int oid);

/*
 * The mapping settings of the run (MeltanoLabs' tap settings), applied by
 * typemap_resolve, so the catalog, the SCHEMA messages and the values agree.
 */
typedef struct typemap_options {
    bool dates_as_string; /* date, timestamp, timestamptz (and arrays): text, schema string */
    bool json_as_object;  /* json, jsonb: schema ["null","object"] */
} typemap_options;

/* typemap_set_options: the settings typemap_resolve applies from now on (the config's; call it once
 * at start, before any typemap_resolve). The default is all false. */
void typemap_set_options(const typemap_options *o);

/* The per-run conversion context: options, counters, scratch buffers. */
typedef struct typemap_ctx {
    bool special_numbers_as_strings; /* emit NaN/Infinity as strings instead of null */
    long long nan_count;             /* numeric/float NaN or +-Infinity seen */
    long long pos_infinity_count;    /* date/timestamp +infinity seen */
    long long neg_infinity_count;    /* date/timestamp -infinity seen */
    long long bad_values;            /* values whose text did not parse (written as strings) */
    long long clamped_high_count;    /* dates/timestamps after 9999-12-31 (UTC), clamped */
    long long clamped_low_count;     /* dates/timestamps before 0001-01-01 (UTC), clamped */
    long long time_24_count;         /* time/timetz 24:00:00 written as 23:59:59.999999 */
    long long json_not_object_count; /* json_as_object: json values that are not objects */
    buf scratch;                     /* owned: array element un-escaping */
    buf scratch2;                    /* owned: hstore key/value un-escaping */
} typemap_ctx;

/* typemap_ctx_init / typemap_ctx_term: set up and free a context (term accepts NULL). */
void typemap_ctx_init(typemap_ctx *ctx);
void typemap_ctx_term(typemap_ctx *ctx);

/*
 * typemap_resolve: the conversion of a column whose scalar type (the element type
 * for arrays, the base type for domains) is typname with pg_type.typtype
 * typtype ('b' base, 'e' enum, 'r' range, 'm' multirange, ...); typname is
 * not kept. is_array: the column is an array
 * of that type. typmod: the column's atttypmod.
 */
void typemap_resolve(typemap_type *out, const char *typname, char typtype, bool is_array,
                     int typmod);

/*
 * typemap_value: append the JSON value of text[0..len) (the type's text output
 * form) to out. Never fails: a value that does not parse as its type is
 * written as a JSON string and counted in ctx->bad_values.
 */
void typemap_value(typemap_ctx *ctx, const typemap_type *t, buf *out, const char *text, size_t len);

/*
 * typemap_schema: append the JSON Schema of a column of type t. nullable adds
 * "null" to the type list (every column except primary key columns).
 */
void typemap_schema(buf *out, const typemap_type *t, bool nullable);

/*
 * typemap_schema_inline: typemap_schema without "$ref" (inline_array_schemas): an array column
 * is {"type":["null","array"],"items":{"type":["null",T,"array"],...}}, its items the element's
 * schema (format, numeric bounds) one level deep, the type list still admitting the nested
 * arrays of a multi-dimensional value (whose own items are then unconstrained). Other types as
 * typemap_schema.
 */
void typemap_schema_inline(buf *out, const typemap_type *t, bool nullable);

/* typemap_array_definitions: append the "definitions" members (without braces) the array
 * schemas refer to: pipelinewise's six sdc_recursive_<family>_array (every SCHEMA and
 * catalog stream has them, as pipelinewise's), and sdc_recursive_json_array for json[]. */
void typemap_array_definitions(buf *out);

/*
 * typemap_column_definition: the definition a column of type t needs beyond
 * typemap_array_definitions' (pipelinewise's sdc_recursive_decimal_<p>_<s>_array of
 * a numeric(p,s)[] column): appends ",\"name\":{...}" and returns true, or
 * appends nothing and returns false. Write it once per name: skip a column
 * when typemap_same_definition is true for an earlier one.
 */
bool typemap_column_definition(buf *out, const typemap_type *t);
/* typemap_same_definition: a and b need the same typemap_column_definition (false when neither
 * needs one). */
bool typemap_same_definition(const typemap_type *a, const typemap_type *b);

/* typemap_kind_name: a short name of a kind for messages and docs. */
const char *typemap_kind_name(typemap_kind kind);

/* typemap_table_markdown: the mapping table as Markdown (for the README / --about). */
void typemap_table_markdown(buf *out);

#endif
