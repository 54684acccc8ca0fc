/*
 * json_util: cJSON helpers. Trees returned here belong to the caller
 * (cJSON_Delete). Getters return borrowed pointers into the tree.
 *
 * Remember: cJSON keeps every number as a double. Never route an exact value
 * (numeric, bigint beyond 2^53) through valuedouble; use json_util_number_text.
 */
#ifndef SINGER_JSON_UTIL_H
#define SINGER_JSON_UTIL_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/*
 * json_util_parse: parse text[0..len). On failure returns NULL and sets *err_offset
 * to the byte offset of the error (when err_offset is not NULL).
 */
cJSON *json_util_parse(const char *text, size_t len, size_t *err_offset);
/* json_util_parse_file: read and parse a file; logs a one-line error naming the file and position.
 */
cJSON *json_util_parse_file(const char *path, const char *what);

/* json_util_string: the string member key, or def when absent/null/not a string. */
const char *json_util_string(const cJSON *obj, const char *key, const char *def);
/* json_util_bool: a boolean member; "true"/"false" strings are accepted too. */
bool json_util_bool(const cJSON *obj, const char *key, bool def);
/* json_util_int: an integer member; numeric strings are accepted too. */
long long json_util_int(const cJSON *obj, const char *key, long long def);
/* json_util_is_true: true for JSON true, a non-zero number or the strings "true"/"yes"/"1". */
bool json_util_is_true(const cJSON *v);

/*
 * json_util_to_int: convert a number or numeric string to an integer; false if it
 * is neither or not integral.
 */
bool json_util_to_int(const cJSON *v, long long *out);

/* json_util_print: compact text of a node into b (appended). */
void json_util_print(buf *b, const cJSON *v);

#endif
