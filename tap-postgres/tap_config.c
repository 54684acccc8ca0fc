#include "tap_config.h"

#include "secrets.h"

#include "json_util.h"
#include "log.h"
#include "metrics.h"
#include "pg_conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const config_key tap_config_keys[] = {
    {"host", CFG_STRING, false, NULL, false,
     "PostgreSQL host name or address (required unless sqlalchemy_url is set)"},
    {"port", CFG_INT, false, "5432", false, "PostgreSQL port"},
    {"user|username", CFG_STRING, false, NULL, false,
     "user name (required unless sqlalchemy_url is set)"},
    {"password", CFG_STRING, false, NULL, true,
     "password (may be empty with trust, peer or .pgpass authentication)"},
    {"password_secret", CFG_OBJECT, false, NULL, true,
     "fetch the password from AWS Secrets Manager, HashiCorp Vault or Azure Key Vault"},
    RDS_IAM_CONFIG_KEYS,
    METRICS_CONFIG_KEYS,
    METRICS_PROGRESS_KEY,
    {"dbname|database", CFG_STRING, false, NULL, false,
     "database to extract (required unless sqlalchemy_url is set)"},
    {"ssl", CFG_BOOL, false, "false", false, "true: sslmode=require (pipelinewise's \"true\")"},
    {"sslmode", CFG_STRING, false, NULL, false,
     "libpq sslmode (disable, allow, prefer, require, verify-ca, verify-full)"},
    {"sslrootcert", CFG_STRING, false, NULL, false, "CA certificate: a path or PEM text"},
    {"sslcert", CFG_STRING, false, NULL, false, "client certificate: a path or PEM text"},
    {"sslkey", CFG_STRING, false, NULL, true, "client key: a path or PEM text"},
    {"sslpassword", CFG_STRING, false, NULL, true, "password of the client key"},
    {"connect_timeout", CFG_INT, false, "10", false, "seconds to wait for a connection"},
    {"application_name", CFG_STRING, false, "tap-postgres", false,
     "application_name of the connections"},
    {"filter_schemas", CFG_STRING_LIST, false, NULL, false,
     "schemas to discover: a comma-separated string or an array (default: all)"},
    {"default_replication_method", CFG_STRING, false, "FULL_TABLE", false,
     "FULL_TABLE, INCREMENTAL or LOG_BASED for streams whose metadata names none"},
    {"reconnect_attempts", CFG_INT, false, "3", false,
     "FULL_TABLE: reconnects after a lost source connection within a run, each resuming after "
     "the last key of the last STATE (0: fail the run)"},
    {"snapshot_workers", CFG_INT, false, "1", false,
     "FULL_TABLE and the LOG_BASED copy in one snapshot: connections sharing one exported "
     "snapshot that read a table in ranges of its key (or of ctid blocks without a key), "
     "resumable per range in FULL_TABLE (1: one connection)"},
    {"parallel_streams", CFG_INT, false, "1", false,
     "FULL_TABLE and INCREMENTAL streams synced at once, each on its own connection, their "
     "lines interleaved on stdout (1: one after another)"},
    {"itersize", CFG_INT, false, "20000", false,
     "rows between STATE messages in FULL_TABLE and INCREMENTAL"},
    {"limit", CFG_INT, false, NULL, false, "LIMIT of each INCREMENTAL query (default: none)"},
    {"use_secondary", CFG_BOOL, false, "false", false,
     "read FULL_TABLE and INCREMENTAL streams from secondary_host"},
    {"secondary_host", CFG_STRING, false, NULL, false, "replica host (with use_secondary)"},
    {"secondary_port", CFG_INT, false, NULL, false, "replica port (default: port)"},
    {"special_numbers_as_strings", CFG_BOOL, false, "false", false,
     "emit numeric/float NaN and Infinity as strings instead of null"},
    /* MeltanoLabs tap-postgres: value and schema mapping */
    {"dates_as_string", CFG_BOOL, false, "false", false,
     "date, timestamp and timestamptz values as PostgreSQL's text, typed as plain strings"},
    {"json_as_object", CFG_BOOL, false, "false", false,
     "type json and jsonb columns as objects (default: any JSON value)"},
    {"inline_array_schemas", CFG_BOOL, false, "false", false,
     "SCHEMA messages describe array columns inline (items: the element's type) instead of "
     "$ref to pipelinewise's definitions, for targets that mis-resolve $ref"},
    {"logical_poll_total_seconds|replication_idle_exit_seconds", CFG_INT, false, "10800", false,
     "LOG_BASED: stop after this long with the server idle (not decoding); 0: no bound"},
    {"break_at_end_lsn", CFG_BOOL, false, "true", false,
     "LOG_BASED: stop at the WAL position seen at start"},
    {"max_run_seconds|replication_max_run_seconds", CFG_INT, false, "43200", false,
     "LOG_BASED: upper bound of a run; 0: no bound"},
    {"state_interval_seconds", CFG_NUMBER, false, "5", false,
     "LOG_BASED: a STATE at a transaction boundary at least this often while changes flow (and "
     "while idle when the server's position moved)"},
    {"state_feedback_file", CFG_STRING, false, NULL, false,
     "LOG_BASED: the file the target's stdout is appended to; its new state lines are "
     "confirmed to the slot while the run goes on"},
    {"heartbeat_seconds", CFG_NUMBER, false, "0", false,
     "LOG_BASED: write a heartbeat this often, so that the slot's position moves on a database "
     "without writes (0: none)"},
    {"heartbeat_action_query", CFG_STRING, false, NULL, false,
     "LOG_BASED: the heartbeat statement (default: SELECT pg_logical_emit_message(...))"},
    {"snapshot_mode", CFG_STRING, false, "initial", false,
     "LOG_BASED: initial (copy a stream without a bookmark, then stream), never (no copy: "
     "stream from now), initial_only (copy, no streaming); a stream's snapshot-mode metadata "
     "wins"},
    {"on_lost_position", CFG_STRING, false, "recopy", false,
     "LOG_BASED: when a state's position cannot be honoured (slot gone or invalidated, state "
     "behind the slot): recopy the stream, or fail the run"},
    {"failover_slot", CFG_BOOL, false, "false", false,
     "LOG_BASED: create the slot with FAILOVER (PostgreSQL 17+), so that a standby with "
     "sync_replication_slots keeps it"},
    {"debug_lsn", CFG_BOOL, false, "false", false, "LOG_BASED: add _sdc_lsn to records"},
    {"tap_id", CFG_STRING, false, NULL, false, "LOG_BASED: suffix of the slot name"},
    {"wal_sender_timeout", CFG_INT, false, "3600000", false,
     "LOG_BASED: wal_sender_timeout of the replication connection (ms)"},
    {"logical_decoding_plugin", CFG_STRING, false, "pgoutput", false,
     "LOG_BASED: pgoutput or wal2json (for a new slot)"},
    {"slot_name", CFG_STRING, false, NULL, false,
     "LOG_BASED: slot name (default pipelinewise_<dbname>[_<tap_id>])"},
    {"publication_name", CFG_STRING, false, NULL, false, "LOG_BASED: pgoutput publication"},
    {"snapshot_chunk_rows", CFG_INT, false, "100000", false,
     "LOG_BASED: the initial copy of a table with a primary key in chunks of this many rows, "
     "interleaved with the stream (0: one copy inside the slot's snapshot)"},
    {"snapshot_watermark_table", CFG_STRING, false, NULL, false,
     "LOG_BASED: \"schema.table\" the chunked copy writes its watermarks to (default: logical "
     "messages)"},
    /* MeltanoLabs tap-postgres (Singer SDK): accepted with their meaning, or an error */
    {"replication_slot_name", CFG_STRING, false, NULL, false,
     "LOG_BASED: MeltanoLabs's spelling of slot_name (their default tappostgres: see the README)"},
    {"max_record_count", CFG_INT, false, NULL, false,
     "at most this many records per stream and run (INCREMENTAL: a LIMIT in key order; "
     "FULL_TABLE: the next run continues after the last key)"},
    {"stream_options", CFG_OBJECT, false, NULL, false,
     "{\"<stream>\": {\"custom_where_clauses\": [\"<SQL>\", ...]}}: the rows must "
     "match every clause (trusted SQL text); LOG_BASED: the copy and every change"},
    {"recopy_streams", CFG_OBJECT, false, NULL, false,
     "{\"<stream>\": \"<token>\"}: copy each stream again from the start as a new table "
     "version (the others go on from their bookmarks), once per token: the token goes into the "
     "stream's bookmark (recopy_token), and a new token asks for another re-copy"},
    /* pipelinewise-transform-field, applied in the tap */
    {"transformations", CFG_ANY, false, NULL, false,
     "[{\"tap_stream_name\", \"field_id\", \"type\", \"when\"}]: pipelinewise-transform-field's "
     "PII transformations (SET-NULL, HASH, HASH-SKIP-FIRST-n, MASK-DATE, MASK-NUMBER, "
     "MASK-HIDDEN, MASK-STRING-SKIP-ENDS-n), applied before a record leaves the tap"},
    {"batch_config", CFG_ANY, false, NULL, false,
     "Singer SDK BATCH messages: not supported (an error)"},
    /* MeltanoLabs tap-postgres: connection settings, SDK settings */
    PGC_MELTANO_CONFIG_KEYS,
    PGC_SESSION_CONFIG_KEYS,
    CONFIG_SDK_KEYS,
    {"flattening_enabled", CFG_BOOL, false, "false", false,
     "Singer SDK flattening of the tap's output: not supported, an error when true (flatten in "
     "the target: data_flattening_max_level)"},
    {"flattening_max_depth", CFG_INT, false, NULL, false,
     "Singer SDK flattening depth (with flattening_enabled)"},
};
const size_t tap_config_nkeys = sizeof(tap_config_keys) / sizeof(tap_config_keys[0]);

const cJSON *tap_config_where_clauses(const tap_config *cfg, const char *stream_id)
{
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(cfg->stream_options, stream_id);
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(o, "custom_where_clauses");
    return cJSON_IsArray(w) && cJSON_GetArraySize(w) > 0 ? w : NULL;
}

/*
 * BATCH messages (Singer SDK batch_config) change the messages we write: an error naming the key,
 * never a warning. Stream maps (config_sdk_check) and flattening_enabled (tap_config_parse) are
 * refused where both programs check them; ssh_tunnel is checked by pg_conn_config_check.
 */
static bool check_sdk_keys(const cJSON *root, const char *what)
{
    if (config_is_set(root, "batch_config")) {
        log_error("%s: key \"batch_config\": BATCH messages are not supported: the tap writes "
                  "RECORD messages; remove the key",
                  what);
        return false;
    }
    return true;
}

bool tap_config_snapshot_mode(const char *text, tap_snapshot_mode *out)
{
    if (strcmp(text, "initial") == 0)
        *out = TAP_SNAPSHOT_INITIAL;
    else if (strcmp(text, "never") == 0)
        *out = TAP_SNAPSHOT_NEVER;
    else if (strcmp(text, "initial_only") == 0)
        *out = TAP_SNAPSHOT_INITIAL_ONLY;
    else
        return false;
    return true;
}

/* get_seconds: a number of seconds (a number or a string holding one, >= 0), def when absent */
static bool get_seconds(const cJSON *root, const char *key, double def, const char *what,
                        double *out)
{
    const cJSON *v = config_get(root, key);
    *out = def;
    if (!v || cJSON_IsNull(v) || (cJSON_IsString(v) && !*v->valuestring))
        return true;
    char *end = NULL;
    double d = cJSON_IsNumber(v) ? v->valuedouble : strtod(v->valuestring, &end);
    if ((end && *end) || !(d >= 0) || d > 1e9) {
        log_error("%s: key \"%s\" must be a number of seconds, zero or more", what, key);
        return false;
    }
    *out = d;
    return true;
}

static bool check_stream_options(const cJSON *so, const char *what)
{
    const cJSON *st;
    cJSON_ArrayForEach(st, so)
    {
        if (cJSON_IsNull(st))
            continue;
        if (!cJSON_IsObject(st)) {
            log_error("%s: key \"stream_options\": stream \"%.100s\" must be an object", what,
                      st->string);
            return false;
        }
        const cJSON *opt;
        cJSON_ArrayForEach(opt, st)
        {
            if (strcmp(opt->string, "custom_where_clauses") != 0) {
                log_warn("%s: key \"stream_options\": stream \"%.100s\": unknown option "
                         "\"%.60s\" (ignored)",
                         what, st->string, opt->string);
                continue;
            }
            if (cJSON_IsNull(opt))
                continue;
            bool good = cJSON_IsArray(opt);
            const cJSON *e;
            cJSON_ArrayForEach(e, opt) good = good && cJSON_IsString(e) && e->valuestring[0];
            if (!good) {
                log_error("%s: key \"stream_options\": stream \"%.100s\": "
                          "custom_where_clauses must be an array of non-empty strings (SQL "
                          "conditions)",
                          what, st->string);
                return false;
            }
        }
    }
    return true;
}

/* recopy_streams: every token a non-empty string (the streams are checked against the catalog:
   catalog_parse) */
static bool check_recopy_streams(const cJSON *rs, const char *what)
{
    const cJSON *t;
    cJSON_ArrayForEach(t, rs)
    {
        if (!cJSON_IsString(t) || !t->valuestring[0]) {
            log_error("%s: key \"recopy_streams\": stream \"%.100s\": the token must be a "
                      "non-empty string (any text, e.g. the date of the request; a new token "
                      "asks for another re-copy)",
                      what, t->string);
            return false;
        }
    }
    return true;
}

const char *tap_config_recopy_token(const tap_config *cfg, const char *stream_id)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(cfg->recopy_streams, stream_id);
    return cJSON_IsString(t) && t->valuestring[0] ? t->valuestring : NULL;
}

bool tap_config_method_valid(const char *m)
{
    return m && (strcmp(m, "FULL_TABLE") == 0 || strcmp(m, "INCREMENTAL") == 0 ||
                 strcmp(m, "LOG_BASED") == 0);
}

static char *xstrndup(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

static bool add_schema(tap_config *c, const char *s, size_t n)
{
    while (n && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n == 0)
        return true;
    char **a = realloc(c->filter_schemas, (c->n_filter_schemas + 1) * sizeof(*a));
    if (!a)
        return false;
    c->filter_schemas = a;
    a[c->n_filter_schemas] = xstrndup(s, n);
    if (!a[c->n_filter_schemas])
        return false;
    c->n_filter_schemas++;
    return true;
}

bool tap_config_parse(tap_config *c, cJSON *root, const char *what)
{
    memset(c, 0, sizeof(*c));
    c->root = root;
    config_drop_repeated(root, what);
    if (!config_validate(root, tap_config_keys, tap_config_nkeys, what))
        return false;
    char *url_db = NULL;
    if (!pg_conn_config_check(root, what, &url_db))
        return false;
    if (!config_sdk_check(root, what)) {
        free(url_db);
        return false;
    }
    if (config_get_bool(root, "flattening_enabled", false)) {
        log_error("%s: key \"flattening_enabled\" is true, but the tap does not flatten its "
                  "records (it would change what is loaded): flatten in the target with "
                  "data_flattening_max_level (or flattening_enabled there)",
                  what);
        free(url_db);
        return false;
    }
    if (config_is_set(root, "sqlalchemy_url")) {
        /* the URL's database is the one read: dbname for everything else (slot names) */
        if (!url_db) {
            log_error("%s: key \"sqlalchemy_url\" names no database (write "
                      "postgresql://user:password@host:port/<database>)",
                      what);
            return false;
        }
        cJSON_DeleteItemFromObjectCaseSensitive(root, "database");
        cJSON *v = cJSON_CreateString(url_db);
        free(url_db);
        if (!v || (cJSON_GetObjectItemCaseSensitive(root, "dbname")
                       ? !cJSON_ReplaceItemInObjectCaseSensitive(root, "dbname", v)
                       : !cJSON_AddItemToObject(root, "dbname", v))) {
            cJSON_Delete(v);
            goto oom;
        }
    } else {
        static const char *const required[] = {"host", "user|username", "dbname|database"};
        for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
            if (!config_get(root, required[i])) {
                log_error("%s: required key \"%.*s\" is missing (or set sqlalchemy_url)", what,
                          (int)strcspn(required[i], "|"), required[i]);
                return false;
            }
        }
    }
    const cJSON *db = config_get(root, "dbname|database");
    c->dbname = cJSON_IsString(db) ? db->valuestring : NULL;
    if (!c->dbname || !*c->dbname) {
        log_error("%s: key \"dbname\" must be a non-empty string", what);
        return false;
    }
    /* MeltanoLabs's default; pipelinewise has none (it stops at such a stream) */
    c->default_replication_method =
        json_util_string(root, "default_replication_method", "FULL_TABLE");
    if (!*c->default_replication_method)
        c->default_replication_method = "FULL_TABLE";
    if (c->default_replication_method && !tap_config_method_valid(c->default_replication_method)) {
        log_error("%s: key \"default_replication_method\" must be FULL_TABLE, INCREMENTAL or "
                  "LOG_BASED, got \"%.60s\"",
                  what, c->default_replication_method);
        return false;
    }
    const cJSON *fs = config_get(root, "filter_schemas");
    if (cJSON_IsString(fs)) {
        const char *p = fs->valuestring;
        for (;;) {
            const char *comma = strchr(p, ',');
            size_t n = comma ? (size_t)(comma - p) : strlen(p);
            if (!add_schema(c, p, n))
                goto oom;
            if (!comma)
                break;
            p = comma + 1;
        }
    } else if (cJSON_IsArray(fs)) {
        const cJSON *e;
        cJSON_ArrayForEach(e, fs)
        {
            if (!add_schema(c, e->valuestring, strlen(e->valuestring)))
                goto oom;
        }
    }
    c->itersize = config_get_int(root, "itersize", 20000);
    if (c->itersize <= 0) {
        log_error("%s: key \"itersize\" must be a positive integer, got %lld", what, c->itersize);
        return false;
    }
    long long sw = config_get_int(root, "snapshot_workers", 1);
    if (sw < 1 || sw > 64) {
        log_error("%s: key \"snapshot_workers\" must be an integer from 1 to 64, got %lld", what,
                  sw);
        return false;
    }
    c->parallel_streams = config_get_int(root, "parallel_streams", 1);
    if (c->parallel_streams < 1 || c->parallel_streams > 64) {
        log_error("%s: key \"parallel_streams\" must be an integer from 1 to 64, got %lld", what,
                  c->parallel_streams);
        return false;
    }
    c->limit = config_get_int(root, "limit", -1);
    if (config_get(root, "limit") && c->limit < 0) {
        log_error("%s: key \"limit\" must be zero or a positive integer", what);
        return false;
    }
    c->use_secondary = config_get_bool(root, "use_secondary", false);
    c->secondary_host = json_util_string(root, "secondary_host", NULL);
    if (c->use_secondary && (!c->secondary_host || !*c->secondary_host)) {
        log_error("%s: key \"secondary_host\" is required when use_secondary is true", what);
        return false;
    }
    long long sp = config_get_int(root, "secondary_port", -1);
    if (sp >= 0)
        snprintf(c->secondary_port, sizeof(c->secondary_port), "%lld", sp);
    c->special_numbers_as_strings = config_get_bool(root, "special_numbers_as_strings", false);
    c->dates_as_string = config_get_bool(root, "dates_as_string", false);
    c->json_as_object = config_get_bool(root, "json_as_object", false);
    c->inline_array_schemas = config_get_bool(root, "inline_array_schemas", false);
    c->debug_lsn = config_get_bool(root, "debug_lsn", false);
    c->tap_id = json_util_string(root, "tap_id", NULL);
    c->logical_poll_total_seconds =
        config_get_int(root, "logical_poll_total_seconds|replication_idle_exit_seconds", 10800);
    c->break_at_end_lsn = config_get_bool(root, "break_at_end_lsn", true);
    c->max_run_seconds = config_get_int(root, "max_run_seconds|replication_max_run_seconds", 43200);
    c->wal_sender_timeout = config_get_int(root, "wal_sender_timeout", 3600000);
    if (!get_seconds(root, "state_interval_seconds", 5, what, &c->state_interval_seconds))
        return false;
    if (!get_seconds(root, "heartbeat_seconds", 0, what, &c->heartbeat_seconds))
        return false;
    c->heartbeat_action_query = json_util_string(root, "heartbeat_action_query", NULL);
    if (c->heartbeat_action_query && !*c->heartbeat_action_query)
        c->heartbeat_action_query = NULL;
    if (c->heartbeat_action_query && c->heartbeat_seconds <= 0) {
        log_error("%s: key \"heartbeat_action_query\" needs heartbeat_seconds (how often)", what);
        return false;
    }
    const char *sm = json_util_string(root, "snapshot_mode", "initial");
    if (*sm && !tap_config_snapshot_mode(sm, &c->snapshot_mode)) {
        log_error("%s: key \"snapshot_mode\" must be initial, never or initial_only, got "
                  "\"%.60s\"",
                  what, sm);
        return false;
    }
    const char *lp = json_util_string(root, "on_lost_position", "recopy");
    if (*lp && strcmp(lp, "recopy") != 0 && strcmp(lp, "fail") != 0) {
        log_error("%s: key \"on_lost_position\" must be recopy or fail, got \"%.60s\"", what, lp);
        return false;
    }
    c->lost_position_fail = strcmp(lp, "fail") == 0;
    c->failover_slot = config_get_bool(root, "failover_slot", false);
    c->state_feedback_file = json_util_string(root, "state_feedback_file", NULL);
    if (c->state_feedback_file && !*c->state_feedback_file)
        c->state_feedback_file = NULL;
    c->logical_decoding_plugin = json_util_string(root, "logical_decoding_plugin", "pgoutput");
    if (strcmp(c->logical_decoding_plugin, "pgoutput") != 0 &&
        strcmp(c->logical_decoding_plugin, "wal2json") != 0) {
        log_error("%s: key \"logical_decoding_plugin\" must be pgoutput or wal2json, got \"%.60s\"",
                  what, c->logical_decoding_plugin);
        return false;
    }
    c->slot_name = json_util_string(root, "slot_name", NULL);
    const char *rsn = json_util_string(root, "replication_slot_name", NULL);
    if (c->slot_name && rsn && strcmp(c->slot_name, rsn) != 0) {
        log_error("%s: keys \"slot_name\" (\"%.63s\") and \"replication_slot_name\" (\"%.63s\") "
                  "name different slots: keep one",
                  what, c->slot_name, rsn);
        return false;
    }
    if (!c->slot_name)
        c->slot_name = rsn;
    c->publication_name = json_util_string(root, "publication_name", NULL);

    /* MeltanoLabs tap-postgres keys */
    c->max_record_count = config_get_int(root, "max_record_count", -1);
    if (config_get(root, "max_record_count") && c->max_record_count <= 0) {
        log_error("%s: key \"max_record_count\" must be a positive integer", what);
        return false;
    }
    c->stream_options = config_get(root, "stream_options");
    if (!check_stream_options(c->stream_options, what) || !check_sdk_keys(root, what))
        return false;
    c->recopy_streams = config_get(root, "recopy_streams");
    if (!check_recopy_streams(c->recopy_streams, what))
        return false;
    return metrics_configure(root, what, true);
oom:
    log_error("out of memory");
    return false;
}

bool tap_config_load(tap_config *out, const config_sources *sources)
{
    memset(out, 0, sizeof(*out));
    char what[1024];
    cJSON *root = config_read(sources, "TAP_POSTGRES_", tap_config_keys, tap_config_nkeys, what,
                              sizeof(what));
    if (!root)
        return false;
    if (!tap_config_parse(out, root, what))
        return false;
    bool found = false;
    out->password = secrets_resolve(out->root, &found);
    return !found || out->password;
}

void tap_config_term(tap_config *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_filter_schemas; i++)
        free(c->filter_schemas[i]);
    free(c->filter_schemas);
    secrets_free(c->password);
    cJSON_Delete(c->root);
    memset(c, 0, sizeof(*c));
}
