/*
 * tap_config: the tap's config keys (one cfg_key table) and the parsed values.
 *
 * Every pipelinewise-tap-postgres key is accepted (COMPAT.md), with `database`
 * as an alias of `dbname`. The table drives validation (errors name the key),
 * defaults, the unknown-key warning, secret masking, --about and the README.
 */
#ifndef TAP_TAP_CONFIG_H
#define TAP_TAP_CONFIG_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"

extern const cfg_key tap_config_keys[];
extern const size_t tap_config_nkeys;

typedef struct tap_config {
    cJSON *root;        /* owned: the config document (given to pg_conn_connect) */
    const char *dbname; /* borrowed from root */
    const char *default_replication_method; /* borrowed: FULL_TABLE (the default), ... */
    char **filter_schemas;                  /* malloc'ed array of malloc'ed names; NULL when all */
    size_t n_filter_schemas;
    long long itersize; /* rows between STATE messages (> 0) */
    long long limit;    /* INCREMENTAL LIMIT, -1 for none */
    bool use_secondary;
    const char *secondary_host;      /* borrowed; set when use_secondary */
    char secondary_port[24];         /* "" when not given */
    bool special_numbers_as_strings; /* NaN/Infinity as strings instead of null */
    bool dates_as_string;            /* MeltanoLabs: dates/timestamps as PostgreSQL's text */
    bool json_as_object;             /* MeltanoLabs: json/jsonb typed as object */
    bool inline_array_schemas;       /* SCHEMA: arrays' items inline, no definitions / $ref */
    bool debug_lsn;
    const char *tap_id; /* borrowed or NULL */
    long long logical_poll_total_seconds;
    bool break_at_end_lsn;
    long long max_run_seconds;
    long long wal_sender_timeout;        /* ms */
    const char *logical_decoding_plugin; /* borrowed: "pgoutput" (default) or "wal2json" */
    const char *slot_name;               /* borrowed: slot_name or replication_slot_name, or NULL */
    const char *publication_name;        /* borrowed or NULL */
    char *password;                      /* malloc'ed: fetched through password_secret, or NULL */
    /* MeltanoLabs tap-postgres (Singer SDK) keys */
    long long max_record_count;  /* records per stream and run, -1 for no bound */
    const cJSON *stream_options; /* borrowed from root: {"<stream>": {...}} or NULL */
} tap_config;

/*
 * tap_config_load: read (the --config files and ENV, merged in order: config_read), validate
 * and parse into out
 * (which the caller terms). False after logging one line naming the key.
 */
bool tap_config_load(tap_config *out, const config_sources *sources);
/* tap_config_parse: the same from a parsed tree, which out takes over (even on failure). */
bool tap_config_parse(tap_config *out, cJSON *root, const char *what);
/* tap_config_term: free what out holds; accepts a zeroed or terminated config. */
void tap_config_term(tap_config *c);

/*
 * tap_config_where_clauses: the stream_options.<stream_id>.custom_where_clauses array of cfg
 * (checked by tap_config_parse: strings, not empty), or NULL when there is none. Borrowed.
 */
const cJSON *tap_config_where_clauses(const tap_config *cfg, const char *stream_id);

/* tap_config_method_valid: true for FULL_TABLE, INCREMENTAL and LOG_BASED. */
bool tap_config_method_valid(const char *method);

#endif
