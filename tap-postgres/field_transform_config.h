/*
 * field_transform_config: the config's `transformations` (the format is described in
 * field_transform.h) parsed into rules, before the tap connects: each entry's keys, its type
 * (with n) and its `when` conditions, a regex_match translated from Python's syntax to POSIX
 * extended and compiled.
 *
 * Ownership: a field_transform_set and everything in it belong to whoever called
 * field_transform_config_parse, freed by field_transform_config_term; the strings of the rules
 * (stream, field, type name, condition column) are borrowed from the config's cJSON tree, which
 * must outlive the set. field_transform (check, bind, apply) only reads a set.
 */
#ifndef TAP_FIELD_TRANSFORM_CONFIG_H
#define TAP_FIELD_TRANSFORM_CONFIG_H

#include <cjson/cJSON.h>
#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum field_transform_type {
    FX_SET_NULL = 0,
    FX_HASH,
    FX_HASH_SKIP_FIRST,
    FX_MASK_DATE,
    FX_MASK_NUMBER,
    FX_MASK_HIDDEN,
    FX_MASK_STRING_SKIP_ENDS,
} field_transform_type;

typedef struct field_transform_cond {
    const char *column; /* borrowed from the config */
    bool is_regex;
    regex_t re;        /* is_regex: compiled (regfree'd by field_transform_config_term) */
    char *equals_json; /* malloc'ed: !is_regex and not a number: the JSON the value must be */
    size_t equals_len;
    bool equals_number; /* equals is a JSON number: compared as numbers */
    double equals_num;
} field_transform_cond;

typedef struct field_transform_rule {
    const char *stream;    /* borrowed from the config: tap_stream_name */
    const char *field;     /* borrowed: field_id */
    const char *type_name; /* borrowed: type as written */
    field_transform_type type;
    int n;                       /* HASH-SKIP-FIRST-n, MASK-STRING-SKIP-ENDS-n */
    field_transform_cond *conds; /* malloc'ed */
    size_t nconds;
} field_transform_rule;

typedef struct field_transform_set {
    field_transform_rule *rules; /* malloc'ed, in config order */
    size_t n;
} field_transform_set;

/*
 * field_transform_config_parse: read the config's transformations array (NULL or empty: none) into
 * out (which the caller field_transform_config_term's, also on failure). A malformed entry, an
 * unknown type or key, a regex that does not compile: false after logging the entry and the key.
 * Strings stay borrowed from the config tree.
 */
bool field_transform_config_parse(field_transform_set *out, const cJSON *list, const char *what);
/* field_transform_config_term: free; accepts a zeroed set. */
void field_transform_config_term(field_transform_set *set);

#endif
