/*
 * naming: PostgreSQL names for streams and properties.
 *
 * Names are lower-cased (ASCII letters; other bytes kept) and always quoted
 * when used in SQL. A name longer than 63 bytes (NAMEDATALEN - 1) is cut at a
 * UTF-8 boundary and ends with "_" and 8 hex digits of a hash of the whole
 * lower-cased name, so the cut is stable from run to run and two long names
 * that share a prefix stay apart.
 */
#ifndef TARGET_NAMING_H
#define TARGET_NAMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define NAMING_MAX 63

/* naming_hash32: FNV-1a of s[0..n). */
uint32_t naming_hash32(const char *s, size_t n);
/* naming_column: the column name of s[0..n) into out (>= NAMING_MAX + 1 bytes). */
void naming_column(const char *s, size_t n, char *out);

typedef struct naming_target {
    char schema[NAMING_MAX + 1]; /* target schema */
    char table[NAMING_MAX + 1];  /* target table */
    char source_schema[256];     /* schema part of the stream id ("" when none) */
    char source_table[256];      /* table part of the stream id, as given */
    const cJSON *grants;         /* borrowed from the config: string or array; NULL */
    const cJSON *indices;        /* borrowed: array of column lists for this table; NULL */
} naming_target;

/*
 * naming_stream: map a stream id to schema and table as pipelinewise does:
 * "t" -> table t; "s-t" -> schema s, table t; "c-s-t-u" -> schema s, table t_u.
 * The target schema is schema_mapping[s].target_schema, else
 * default_target_schema. '.' and '-' in the table become '_'. false (with
 * why in err) when no target schema is configured for the stream.
 */
bool naming_stream(const char *stream, const char *default_schema, const cJSON *default_grants,
                   const cJSON *schema_mapping, naming_target *out, char *err, size_t errlen);

#endif
