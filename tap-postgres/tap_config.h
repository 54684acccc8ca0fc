/*
 * tap_config: the tap's config keys (one config_key table) and the parsed values.
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

extern const config_key tap_config_keys[];
extern const size_t tap_config_nkeys;

/* snapshot_mode of a LOG_BASED stream (README "Running continuously") */
typedef enum tap_snapshot_mode {
    TAP_SNAPSHOT_INITIAL = 0,  /* copy a stream without a bookmark, then stream (the default) */
    TAP_SNAPSHOT_NEVER,        /* no copy: a stream without a bookmark streams from now */
    TAP_SNAPSHOT_INITIAL_ONLY, /* copy, then no streaming */
} tap_snapshot_mode;

/* tap_config_snapshot_mode: the mode named text; false when it is none */
bool tap_config_snapshot_mode(const char *text, tap_snapshot_mode *out);

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
    long long parallel_streams; /* FULL_TABLE/INCREMENTAL streams synced at once (1..64) */
    const char *tap_id;         /* borrowed or NULL */
    long long logical_poll_total_seconds;
    bool break_at_end_lsn;
    long long max_run_seconds;
    long long wal_sender_timeout;        /* ms */
    double state_interval_seconds;       /* LOG_BASED: STATE at least this often (default 5) */
    const char *state_feedback_file;     /* borrowed or NULL: the target's output to follow */
    double heartbeat_seconds;            /* LOG_BASED: 0: no heartbeats */
    const char *heartbeat_action_query;  /* borrowed or NULL: pg_logical_emit_message */
    tap_snapshot_mode snapshot_mode;     /* LOG_BASED streams without snapshot-mode metadata */
    bool lost_position_fail;             /* on_lost_position: fail (else recopy) */
    bool failover_slot;                  /* LOG_BASED: the slot made with FAILOVER (17+) */
    const char *logical_decoding_plugin; /* borrowed: "pgoutput" (default) or "wal2json" */
    const char *slot_name;               /* borrowed: slot_name or replication_slot_name, or NULL */
    const char *publication_name;        /* borrowed or NULL */
    char *password;                      /* malloc'ed: fetched through password_secret, or NULL */
    /* MeltanoLabs tap-postgres (Singer SDK) keys */
    long long max_record_count;  /* records per stream and run, -1 for no bound */
    const cJSON *stream_options; /* borrowed from root: {"<stream>": {...}} or NULL */
    const cJSON *recopy_streams; /* borrowed from root: {"<stream>": "<token>"} or NULL */
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

/*
 * tap_config_recopy_token: the recopy_streams token of stream_id (a non-empty string, checked
 * by tap_config_parse), or NULL when the stream is not named. Borrowed.
 */
const char *tap_config_recopy_token(const tap_config *cfg, const char *stream_id);

/* tap_config_continuous: a LOG_BASED run without any bound (break_at_end_lsn false,
   max_run_seconds and logical_poll_total_seconds 0): only a signal ends it, with exit 0 */
static inline bool tap_config_continuous(const tap_config *c)
{
    return !c->break_at_end_lsn && c->max_run_seconds <= 0 && c->logical_poll_total_seconds <= 0;
}

/* tap_config_method_valid: true for FULL_TABLE, INCREMENTAL and LOG_BASED. */
bool tap_config_method_valid(const char *method);

#endif
