#include "tap_config.h"

#include "secrets.h"

#include "json_util.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const cfg_key tap_config_keys[] = {
    {"host", CFG_STRING, true, NULL, false, "PostgreSQL host name or address"},
    {"port", CFG_INT, false, "5432", false, "PostgreSQL port"},
    {"user|username", CFG_STRING, true, NULL, false, "user name"},
    {"password", CFG_STRING, false, NULL, true,
     "password (may be empty with trust, peer or .pgpass authentication)"},
    {"password_secret", CFG_OBJECT, false, NULL, true,
     "fetch the password from AWS Secrets Manager, HashiCorp Vault or Azure Key Vault"},
    {"dbname|database", CFG_STRING, true, NULL, false, "database to extract"},
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
    {"default_replication_method", CFG_STRING, false, NULL, false,
     "FULL_TABLE, INCREMENTAL or LOG_BASED for streams whose metadata names none"},
    {"itersize", CFG_INT, false, "20000", false,
     "rows between STATE messages in FULL_TABLE and INCREMENTAL"},
    {"limit", CFG_INT, false, NULL, false, "LIMIT of each INCREMENTAL query (default: none)"},
    {"use_secondary", CFG_BOOL, false, "false", false,
     "read FULL_TABLE and INCREMENTAL streams from secondary_host"},
    {"secondary_host", CFG_STRING, false, NULL, false, "replica host (with use_secondary)"},
    {"secondary_port", CFG_INT, false, NULL, false, "replica port (default: port)"},
    {"special_numbers_as_strings", CFG_BOOL, false, "false", false,
     "emit numeric/float NaN and Infinity as strings instead of null"},
    {"logical_poll_total_seconds", CFG_INT, false, "10800", false,
     "LOG_BASED: stop after this long with the server idle (not decoding)"},
    {"break_at_end_lsn", CFG_BOOL, false, "true", false,
     "LOG_BASED: stop at the WAL position seen at start"},
    {"max_run_seconds", CFG_INT, false, "43200", false, "LOG_BASED: upper bound of a run"},
    {"debug_lsn", CFG_BOOL, false, "false", false, "LOG_BASED: add _sdc_lsn to records"},
    {"tap_id", CFG_STRING, false, NULL, false, "LOG_BASED: suffix of the slot name"},
    {"wal_sender_timeout", CFG_INT, false, "3600000", false,
     "LOG_BASED: wal_sender_timeout of the replication connection (ms)"},
    {"logical_decoding_plugin", CFG_STRING, false, "pgoutput", false,
     "LOG_BASED: pgoutput or wal2json (for a new slot)"},
    {"slot_name", CFG_STRING, false, NULL, false,
     "LOG_BASED: slot name (default pipelinewise_<dbname>[_<tap_id>])"},
    {"publication_name", CFG_STRING, false, NULL, false, "LOG_BASED: pgoutput publication"},
};
const size_t tap_config_nkeys = sizeof(tap_config_keys) / sizeof(tap_config_keys[0]);

bool tap_method_valid(const char *m)
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

static long long get_int(const cJSON *root, const char *key, long long def)
{
    const cJSON *v = config_get(root, key);
    long long x;
    if (!v)
        return def;
    if (ju_to_int(v, &x))
        return x;
    if (cJSON_IsString(v)) {
        char *end = NULL;
        x = strtoll(v->valuestring, &end, 10);
        if (end && *end == '\0' && end != v->valuestring)
            return x;
    }
    return def;
}

static bool get_bool(const cJSON *root, const char *key, bool def)
{
    const cJSON *v = config_get(root, key);
    if (!v)
        return def;
    if (cJSON_IsString(v) && v->valuestring[0] == '\0')
        return false;
    return ju_is_true(v);
}

bool tap_config_parse(tap_config *c, cJSON *root, const char *what)
{
    memset(c, 0, sizeof(*c));
    c->root = root;
    if (!config_validate(root, tap_config_keys, tap_config_nkeys, what))
        return false;
    const cJSON *db = config_get(root, "dbname|database");
    c->dbname = cJSON_IsString(db) ? db->valuestring : NULL;
    if (!c->dbname || !*c->dbname) {
        log_error("%s: key \"dbname\" must be a non-empty string", what);
        return false;
    }
    c->default_replication_method = ju_string(root, "default_replication_method", NULL);
    if (c->default_replication_method && !*c->default_replication_method)
        c->default_replication_method = NULL;
    if (c->default_replication_method && !tap_method_valid(c->default_replication_method)) {
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
    c->itersize = get_int(root, "itersize", 20000);
    if (c->itersize <= 0) {
        log_error("%s: key \"itersize\" must be a positive integer, got %lld", what, c->itersize);
        return false;
    }
    c->limit = get_int(root, "limit", -1);
    if (config_get(root, "limit") && c->limit < 0) {
        log_error("%s: key \"limit\" must be zero or a positive integer", what);
        return false;
    }
    c->use_secondary = get_bool(root, "use_secondary", false);
    c->secondary_host = ju_string(root, "secondary_host", NULL);
    if (c->use_secondary && (!c->secondary_host || !*c->secondary_host)) {
        log_error("%s: key \"secondary_host\" is required when use_secondary is true", what);
        return false;
    }
    long long sp = get_int(root, "secondary_port", -1);
    if (sp >= 0)
        snprintf(c->secondary_port, sizeof(c->secondary_port), "%lld", sp);
    c->special_numbers_as_strings = get_bool(root, "special_numbers_as_strings", false);
    c->debug_lsn = get_bool(root, "debug_lsn", false);
    c->tap_id = ju_string(root, "tap_id", NULL);
    c->logical_poll_total_seconds = get_int(root, "logical_poll_total_seconds", 10800);
    c->break_at_end_lsn = get_bool(root, "break_at_end_lsn", true);
    c->max_run_seconds = get_int(root, "max_run_seconds", 43200);
    c->wal_sender_timeout = get_int(root, "wal_sender_timeout", 3600000);
    c->logical_decoding_plugin = ju_string(root, "logical_decoding_plugin", "pgoutput");
    if (strcmp(c->logical_decoding_plugin, "pgoutput") != 0 &&
        strcmp(c->logical_decoding_plugin, "wal2json") != 0) {
        log_error("%s: key \"logical_decoding_plugin\" must be pgoutput or wal2json, got \"%.60s\"",
                  what, c->logical_decoding_plugin);
        return false;
    }
    c->slot_name = ju_string(root, "slot_name", NULL);
    c->publication_name = ju_string(root, "publication_name", NULL);
    return true;
oom:
    log_error("out of memory");
    return false;
}

bool tap_config_load(tap_config *out, const char *path)
{
    memset(out, 0, sizeof(*out));
    cJSON *root = ju_parse_file(path, "config");
    if (!root)
        return false;
    char what[512];
    snprintf(what, sizeof(what), "config \"%s\"", path);
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
