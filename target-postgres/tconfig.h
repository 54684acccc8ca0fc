/*
 * tconfig: the target's config keys (one config_key table drives validation,
 * defaults, --about and the README) and the parsed, read-only settings.
 */
#ifndef TARGET_TCONFIG_H
#define TARGET_TCONFIG_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "copy.h" /* nul_policy */

/* MeltanoLabs' load_method: upsert is the merge by key (pipelinewise's behaviour, our default);
   append-only inserts every record; overwrite replaces the table's rows by this run's */
typedef enum load_method { LOAD_UPSERT = 0, LOAD_APPEND_ONLY, LOAD_OVERWRITE } load_method;

typedef struct tconfig {
    cJSON *root; /* the whole config (owned); pg_conn reads connection keys from it */
    const char *default_target_schema; /* borrowed from root; NULL when unset */
    const cJSON *default_grants;       /* borrowed: string or array; NULL when unset */
    const cJSON *schema_mapping;       /* borrowed object; NULL when unset */
    long long batch_size_rows;
    long long early_flush_rows; /* flushed at this many when the stream may load one more; 0: off */
    long long batch_size_bytes;
    long long max_batch_memory_bytes; /* all batches together (filling and loading) */
    double batch_wait_limit_seconds;  /* 0: no time limit */
    bool flush_all_streams;
    int parallelism; /* 0 = one per stream, -1 = one per CPU, n */
    int max_parallelism;
    bool add_metadata_columns; /* true also when hard_delete or activate_version set true */
    load_method load_method;
    bool hard_delete;
    int data_flattening_max_level;
    bool primary_key_required;
    bool validate_records;
    bool activate_version;
    bool async_flush;
    nul_policy nul;
    char *nul_copy; /* malloc'ed: the replacement as COPY text (escaped) */
    char *nul_json; /* malloc'ed: the replacement as JSON string body (escaped) */
    size_t max_line_bytes;
    char *password; /* malloc'ed: fetched through password_secret; NULL: config "password" */
    bool interpret_content_encoding; /* contentEncoding base16 -> bytea */
} tconfig;

extern const config_key tconfig_keys[];
extern const size_t tconfig_nkeys;

/* tconfig_load: read (the --config files and ENV, merged in order: config_read) and validate;
   false after logging one line naming the key. */
bool tconfig_load(tconfig *c, const config_sources *sources);
/* tconfig_from_json: the same on a tree (taken over: freed by tconfig_term). */
bool tconfig_from_json(tconfig *c, cJSON *root, const char *what);
void tconfig_term(tconfig *c);

#endif
