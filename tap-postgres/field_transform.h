/*
 * field_transform: pipelinewise-transform-field's `transformations` applied inside the tap, so
 * a PII value never leaves it.
 *
 *   "transformations": [{"tap_stream_name": "public-users", "field_id": "email",
 *                        "type": "HASH", "when": [{"column": "country", "equals": "DE"}]}]
 *
 * Types: SET-NULL, HASH (SHA-256 hex of the string), HASH-SKIP-FIRST-n (the first n characters
 * kept, the SHA-256 hex of the bytes after the first n bytes appended, as pipelinewise),
 * MASK-DATE (month and day become 01-01, the time part is kept), MASK-NUMBER (0), MASK-HIDDEN
 * ("hidden"), MASK-STRING-SKIP-ENDS-n (all but the first and last n characters become '*'; a
 * value of at most 2n characters is all '*'); n is 1 to 9. A `when` list holds conditions on
 * other columns of the same record, all of which must hold: {"column", "equals": <JSON value>}
 * or {"column", "regex_match": "<pattern>"} (a search, POSIX extended syntax with \d \D \w \W
 * \s \S; lazy quantifiers are accepted, they do not change whether a pattern matches).
 *
 * Lifecycle: field_transform_config_parse (config, before connecting: field_transform_config.h)
 * -> field_transform_check (after catalog_bind: every rule's stream, column and type checked,
 * each stream's `transforms` set) -> record builders bind the rules of their stream by column
 * name (field_transform_bind) and write a record through field_transform_value.
 *
 * Ownership: the rules (a field_transform_set) belong to field_transform_config's caller and
 * are only read here; a binding belongs to its record builder.
 *
 * Values are worked on as text (the column's text output form or the JSON the typemap writes):
 * no tree, no allocation per value once the scratch buffers have grown.
 */
#ifndef TAP_FIELD_TRANSFORM_H
#define TAP_FIELD_TRANSFORM_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "field_transform_config.h"
#include "typemap.h"

struct tap_catalog;
struct discovery_db;

/*
 * field_transform_check: bind the rules to the bound catalog's streams (and the database
 * metadata db for columns that are not synced): sets each selected stream's transforms. A
 * stream that is not in the catalog, a column that the table does not have, a type that does
 * not fit the column (as pipelinewise validates it), a condition on a column that is not
 * synced, a rule on a key or replication-key column other than an unconditional HASH /
 * HASH-SKIP-FIRST-n: false after logging one line naming the rule.
 */
bool field_transform_check(const field_transform_set *set, struct tap_catalog *cat);

/*
 * field_transform_schema_type: the type whose schema column gets in the SCHEMA message: a
 * string rule drops varchar's maxLength (a hash is 64 characters, "hidden" 6). Keys stay keys
 * (no rule may make one null), other columns are nullable already: nothing else changes.
 */
void field_transform_schema_type(const field_transform_set *set, const char *stream_id,
                                 const char *column, typemap_type *t);

/* One column of the record being written: its source value, and where it stands. */
typedef enum field_transform_slot_state {
    FX_UNSET = 0,
    FX_NULL,
    FX_TEXT
} field_transform_slot_state;
typedef struct field_transform_slot {
    const char *text; /* borrowed from the caller until field_transform_write */
    size_t len;
    field_transform_slot_state state;
} field_transform_slot;

/* A rule bound to a record builder's columns. */
typedef struct field_transform_bound {
    const field_transform_rule *rule; /* borrowed from the set */
    int *cond_col; /* malloc'ed: per condition, the builder column, -1 when not there */
    long long unknown_conditions; /* records whose condition column was not there (applied) */
    long long unmaskable_dates;   /* MASK-DATE values that were no date (written as null) */
} field_transform_bound;

/*
 * field_transform_binding: a record builder's view of its stream's rules, and the record being
 * collected. Owned by the builder (record_builder_init binds it, record_builder_term frees).
 */
typedef struct field_transform_binding {
    size_t ncols;
    size_t *first;                /* malloc'ed, ncols: the column's first rule in bound */
    size_t *count;                /* malloc'ed, ncols: its number of rules */
    field_transform_bound *bound; /* malloc'ed: the rules grouped by column, in config order */
    size_t nbound;
    field_transform_slot *slots; /* malloc'ed, ncols: the record's values */
    size_t *order;               /* malloc'ed, ncols: columns in the order they were given */
    size_t norder;
    buf work[2];                /* owned: chained results */
    buf cond;                   /* owned: a condition column's JSON */
    buf subject;                /* owned: a regex subject (NUL-terminated) */
    const typemap_type **types; /* malloc'ed array of borrowed: the columns' types */
    char *stream;               /* malloc'ed: the stream id, for the warnings of unbind */
} field_transform_binding;

/*
 * field_transform_bind: the rules of set for stream_id over columns names[0..n) (borrowed during
 * the call) of types[0..n) (borrowed: must outlive the binding). *out is NULL when none applies
 * (the fast path); else malloc'ed, freed with field_transform_unbind. False on out of memory
 * (logged).
 */
bool field_transform_bind(field_transform_binding **out, const field_transform_set *set,
                          const char *stream_id, const char *const *names,
                          const typemap_type *const *types, size_t n);
/* field_transform_unbind: warn about what the counters hold (naming stream and column), free (NULL
   does nothing). */
void field_transform_unbind(field_transform_binding *b);

/*
 * field_transform_value: the JSON of column col of the collected record into out, after its
 * rules (conditions see the source values of the record). Called by the record builder.
 */
void field_transform_value(field_transform_binding *b, typemap_ctx *tm, size_t col, buf *out);

#endif
