#include "tconfig.h"

#include "copy.h"

#include "secrets.h"

#include "buf.h"
#include "json_util.h"
#include "json_writer.h"
#include "log.h"
#include "metrics.h"
#include "pg_conn.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

const config_key tconfig_keys[] = {
    {"host", CFG_STRING, false, "localhost", false, "PostgreSQL host"},
    {"port", CFG_INT, false, "5432", false, "PostgreSQL port"},
    {"user|username", CFG_STRING, false, NULL, false, "PostgreSQL user"},
    {"password", CFG_STRING, false, NULL, true, "PostgreSQL password"},
    {"password_secret", CFG_OBJECT, false, NULL, true,
     "fetch the password from AWS Secrets Manager, HashiCorp Vault or Azure Key Vault"},
    RDS_IAM_CONFIG_KEYS,
    METRICS_CONFIG_KEYS,
    {"dbname|database", CFG_STRING, false, NULL, false,
     "database to load into (required unless sqlalchemy_url is set)"},
    {"ssl", CFG_BOOL, false, "false", false, "true: sslmode=require (pipelinewise)"},
    {"sslmode", CFG_STRING, false, NULL, false,
     "libpq sslmode (disable, require, verify-ca, verify-full)"},
    {"sslrootcert", CFG_STRING, false, NULL, false, "CA certificate: a path or PEM text"},
    {"sslcert", CFG_STRING, false, NULL, false, "client certificate: a path or PEM text"},
    {"sslkey", CFG_STRING, false, NULL, true, "client key: a path or PEM text"},
    {"sslpassword", CFG_STRING, false, NULL, true, "password of the client key"},
    {"connect_timeout", CFG_INT, false, "10", false, "seconds to wait for a connection"},
    {"application_name", CFG_STRING, false, "target-postgres", false,
     "application_name of the connections"},
    {"default_target_schema", CFG_STRING, false, NULL, false,
     "schema for streams not in schema_mapping (one of the two is required)"},
    {"default_target_schema_select_permissions|default_target_schema_select_permission",
     CFG_STRING_LIST, false, NULL, false,
     "roles granted USAGE on the schema and SELECT on the tables"},
    {"schema_mapping", CFG_OBJECT, false, NULL, false,
     "per source schema: target_schema, target_schema_select_permissions, indices"},
    {"batch_size_rows", CFG_INT, false, "100000", false, "rows per stream before a flush"},
    {"early_flush_rows", CFG_INT, false, "10000", false,
     "a stream flushes its batch once it holds this many rows while it has room for another "
     "load (with async_flush; 0 = only full batches)"},
    {"batch_size_bytes", CFG_INT, false, "67108864", false,
     "bytes of COPY text per stream before a flush (the memory bound of a batch)"},
    {"max_batch_memory_bytes", CFG_INT, false, NULL, false,
     "bytes held by the batches of all streams together (filling, loading; default 4 x "
     "batch_size_bytes); past it the largest pending batches are loaded early and reading waits"},
    {"batch_wait_limit_seconds", CFG_NUMBER, false, NULL, false,
     "flush a stream whose oldest pending row is this old"},
    {"flush_all_streams", CFG_BOOL, false, "false", false,
     "flush every stream when one is flushed"},
    {"parallelism", CFG_INT, false, "0", false,
     "flush workers: 0 = one per stream, -1 = one per CPU"},
    {"max_parallelism|parallelism_max", CFG_INT, false, "16", false,
     "upper bound of flush workers"},
    {"add_metadata_columns", CFG_BOOL, false, "false", false, "add the _sdc_* metadata columns"},
    {"hard_delete", CFG_BOOL, false, "false", false,
     "delete rows whose record carries _sdc_deleted_at (turns metadata columns on)"},
    {"soft_delete", CFG_BOOL, false, "false", false,
     "Singer SDK: true keeps a deleted record's row, marked with _sdc_deleted_at (turns metadata "
     "columns on; the opposite of hard_delete, which must not be true with it)"},
    {"data_flattening_max_level", CFG_INT, false, "0", false,
     "levels of nested objects flattened into parent__child columns"},
    {"primary_key_required", CFG_BOOL, false, "true", false,
     "fail on a stream without key_properties"},
    {"validate_records", CFG_BOOL, false, "false", false,
     "validate every record against its JSON Schema"},
    {"temp_dir", CFG_STRING, false, NULL, false,
     "accepted for compatibility; unused (batches stay in memory)"},
    {"activate_version|process_activate_version_messages", CFG_BOOL, false, "true", false,
     "honour ACTIVATE_VERSION (needs metadata columns; set to true it turns them on): older "
     "versions deleted (hard_delete) or marked deleted"},
    {"async_flush", CFG_BOOL, false, "true", false,
     "keep reading stdin while batches load; false waits for every flush (deterministic STATE "
     "output)"},
    {"nul_character_policy", CFG_STRING, false, "error", false,
     "U+0000 in strings: error, replace (with nul_replacement) or strip"},
    {"nul_replacement", CFG_STRING, false, "\xef\xbf\xbd", false,
     "text that replaces U+0000 with nul_character_policy=replace"},
    {"sanitize_null_text_characters", CFG_BOOL, false, "false", false,
     "true: nul_character_policy=replace (Meltano spelling)"},
    {"max_line_bytes", CFG_INT, false, "134217728", false, "longest accepted input line"},
    /* MeltanoLabs target-postgres (Singer SDK): connection settings, then load settings */
    PGC_MELTANO_CONFIG_KEYS,
    PGC_SESSION_CONFIG_KEYS,
    CONFIG_SDK_KEYS,
    {"load_method", CFG_STRING, false, "upsert", false,
     "MeltanoLabs: upsert (merge by key, our default), append-only (insert every record, no "
     "merge, tables created without a primary key) or overwrite (this run's rows replace the "
     "table's)"},
    {"add_record_metadata", CFG_BOOL, false, "false", false,
     "MeltanoLabs spelling of add_metadata_columns (pipelinewise's default false wins when "
     "neither key is given)"},
    {"use_copy", CFG_BOOL, false, "true", false, "accepted; batches are always loaded with COPY"},
    {"flattening_enabled", CFG_BOOL, false, "false", false,
     "MeltanoLabs: flatten nested objects, flattening_max_depth levels (= "
     "data_flattening_max_level)"},
    {"flattening_max_depth", CFG_INT, false, NULL, false,
     "MeltanoLabs: levels flattened when flattening_enabled"},
    {"interpret_content_encoding", CFG_BOOL, false, "false", false,
     "a string property with contentEncoding base16 (hex) becomes a bytea column (MeltanoLabs)"},
};
const size_t tconfig_nkeys = sizeof(tconfig_keys) / sizeof(tconfig_keys[0]);

bool tconfig_from_json(tconfig *c, cJSON *root, const char *what)
{
    memset(c, 0, sizeof(*c));
    c->root = root;
    config_drop_repeated(root, what);
    if (!config_validate(root, tconfig_keys, tconfig_nkeys, what))
        return false;
    if (!pg_conn_config_check(root, what, NULL) || !config_sdk_check(root, what))
        return false;
    if (!config_is_set(root, "sqlalchemy_url") && !config_get(root, "dbname|database")) {
        log_error("%s: required key \"dbname\" is missing (or set sqlalchemy_url)", what);
        return false;
    }
    const cJSON *dts = config_get(root, "default_target_schema");
    if (dts && cJSON_IsString(dts) && dts->valuestring[0])
        c->default_target_schema = dts->valuestring;
    c->default_grants = config_get(
        root, "default_target_schema_select_permissions|default_target_schema_select_permission");
    c->schema_mapping = config_get(root, "schema_mapping");
    if (!c->default_target_schema && !c->schema_mapping) {
        log_error("%s: neither \"default_target_schema\" (string) nor \"schema_mapping\" (object) "
                  "is set (MeltanoLabs target-postgres used \"melty\" when unset: name it)",
                  what);
        return false;
    }
    if (c->schema_mapping) {
        const cJSON *m;
        cJSON_ArrayForEach(m, c->schema_mapping)
        {
            if (!cJSON_IsObject(m) ||
                !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(m, "target_schema"))) {
                log_error(
                    "%s: key \"schema_mapping\": entry \"%s\" must be an object with a string "
                    "\"target_schema\"",
                    what, m->string);
                return false;
            }
        }
    }
    c->batch_size_rows = config_get_int(root, "batch_size_rows", 100000);
    c->batch_size_bytes = config_get_int(root, "batch_size_bytes", 64LL * 1024 * 1024);
    if (c->batch_size_rows < 1 || c->batch_size_bytes < 1024) {
        log_error("%s: key \"%s\" is too small", what,
                  c->batch_size_rows < 1 ? "batch_size_rows" : "batch_size_bytes");
        return false;
    }
    c->early_flush_rows = config_get_int(root, "early_flush_rows", 10000);
    if (c->early_flush_rows < 0) {
        log_error("%s: key \"early_flush_rows\" must not be negative", what);
        return false;
    }
    c->max_batch_memory_bytes = config_get_int(root, "max_batch_memory_bytes", 0);
    if (!config_get(root, "max_batch_memory_bytes"))
        c->max_batch_memory_bytes =
            c->batch_size_bytes > LLONG_MAX / 4 ? LLONG_MAX : 4 * c->batch_size_bytes;
    if (c->max_batch_memory_bytes < 1024 * 1024) {
        log_error("%s: key \"max_batch_memory_bytes\" must be at least 1048576 (1 MiB)", what);
        return false;
    }
    const cJSON *bw = config_get(root, "batch_wait_limit_seconds");
    if (bw) {
        c->batch_wait_limit_seconds =
            cJSON_IsNumber(bw) ? bw->valuedouble : strtod(bw->valuestring, NULL);
        if (c->batch_wait_limit_seconds < 0) {
            log_error("%s: key \"batch_wait_limit_seconds\" must not be negative", what);
            return false;
        }
    }
    c->flush_all_streams = config_get_bool(root, "flush_all_streams", false);
    c->parallelism = (int)config_get_int(root, "parallelism", 0);
    c->max_parallelism = (int)config_get_int(root, "max_parallelism|parallelism_max", 16);
    if (c->max_parallelism < 1)
        c->max_parallelism = 1;
    if (c->parallelism == -1) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        c->parallelism = n > 0 ? (int)n : 1;
    } else if (c->parallelism < -1) {
        log_error("%s: key \"parallelism\" must be -1, 0 or a positive number", what);
        return false;
    }
    c->hard_delete = config_get_bool(root, "hard_delete", false);
    /* metadata columns: pipelinewise's default (off) wins over MeltanoLabs' (on) when no key
       says; either spelling set to true turns them on, and so do hard_delete and an explicit
       activate_version: true (MeltanoLabs requires add_record_metadata for it) */
    bool meta = config_get_bool(root, "add_metadata_columns", false) ||
                config_get_bool(root, "add_record_metadata", false);
    bool meta_off = (config_get(root, "add_metadata_columns") &&
                     !config_get_bool(root, "add_metadata_columns", false)) ||
                    (config_get(root, "add_record_metadata") &&
                     !config_get_bool(root, "add_record_metadata", false));
    const char *av_key = "activate_version";
    if (!config_get(root, av_key))
        av_key = "process_activate_version_messages";
    bool av_on = config_get(root, av_key) && config_get_bool(root, av_key, true);
    if (av_on && !meta && meta_off && !c->hard_delete) {
        log_error("%s: key \"%s\" is true but the metadata columns are turned off "
                  "(add_record_metadata / add_metadata_columns false): ACTIVATE_VERSION needs "
                  "_sdc_table_version; turn one of them on",
                  what, av_key);
        return false;
    }
    /* the SDK's soft_delete: deletes are marked, which needs the _sdc_deleted_at column */
    bool soft = config_get_bool(root, "soft_delete", false);
    if (soft && c->hard_delete) {
        log_error("%s: keys \"soft_delete\" and \"hard_delete\" are both true: a delete is either "
                  "marked (soft_delete) or removed (hard_delete); keep one",
                  what);
        return false;
    }
    c->add_metadata_columns = meta || c->hard_delete || av_on || soft;
    c->data_flattening_max_level = (int)config_get_int(root, "data_flattening_max_level", 0);
    if (c->data_flattening_max_level < 0)
        c->data_flattening_max_level = 0;
    if (config_get_bool(root, "flattening_enabled", false)) {
        if (!config_get(root, "flattening_max_depth")) {
            log_error("%s: key \"flattening_enabled\" is true but \"flattening_max_depth\" is "
                      "not set (the Singer SDK needs it too)",
                      what);
            return false;
        }
        int depth = (int)config_get_int(root, "flattening_max_depth", 0);
        if (depth < 0) {
            log_error("%s: key \"flattening_max_depth\" must not be negative", what);
            return false;
        }
        if (config_get(root, "data_flattening_max_level") &&
            depth != c->data_flattening_max_level) {
            log_error("%s: keys \"data_flattening_max_level\" and \"flattening_max_depth\" "
                      "disagree: keep one",
                      what);
            return false;
        }
        c->data_flattening_max_level = depth;
    } else if (config_get(root, "flattening_max_depth")) {
        log_warn("%s: key \"flattening_max_depth\" is ignored: flattening_enabled is not true",
                 what);
    }
    const char *lm = json_util_string(root, "load_method", "upsert");
    if (strcmp(lm, "upsert") == 0) {
        c->load_method = LOAD_UPSERT;
    } else if (strcmp(lm, "append-only") == 0) {
        c->load_method = LOAD_APPEND_ONLY;
    } else if (strcmp(lm, "overwrite") == 0) {
        c->load_method = LOAD_OVERWRITE;
    } else {
        log_error("%s: key \"load_method\" must be upsert, append-only or overwrite, got "
                  "\"%.40s\"",
                  what, lm);
        return false;
    }
    if (c->load_method == LOAD_APPEND_ONLY && c->hard_delete) {
        /* a delete would have to remove every earlier row of its key, rows append-only keeps */
        log_error("%s: load_method append-only with hard_delete true is not supported: a deleted "
                  "record would leave the earlier rows of its key; use upsert, or hard_delete "
                  "false (deletes are then kept as rows with _sdc_deleted_at)",
                  what);
        return false;
    }
    c->primary_key_required = config_get_bool(root, "primary_key_required", true);
    c->validate_records = config_get_bool(root, "validate_records", false);
    c->activate_version =
        config_get_bool(root, "activate_version|process_activate_version_messages", true);
    c->async_flush = config_get_bool(root, "async_flush", true);
    const char *pol = json_util_string(root, "nul_character_policy", NULL);
    if (config_get_bool(root, "sanitize_null_text_characters", false))
        c->nul = NUL_REPLACE;
    if (pol) {
        if (strcasecmp(pol, "error") == 0)
            c->nul = NUL_ERROR;
        else if (strcasecmp(pol, "replace") == 0)
            c->nul = NUL_REPLACE;
        else if (strcasecmp(pol, "strip") == 0)
            c->nul = NUL_STRIP;
        else {
            log_error(
                "%s: key \"nul_character_policy\" must be error, replace or strip, got \"%s\"",
                what, pol);
            return false;
        }
    }
    const char *rep = json_util_string(root, "nul_replacement", "\xef\xbf\xbd");
    if (c->nul == NUL_STRIP)
        rep = "";
    if (!json_writer_utf8_valid(rep, strlen(rep))) {
        log_error("%s: key \"nul_replacement\" is not valid UTF-8", what);
        return false;
    }
    buf b = BUF_INIT;
    copy_text(&b, rep, strlen(rep));
    buf_putc(&b, '\0');
    c->nul_copy = buf_detach(&b);
    json_writer_string_body(&b, rep, strlen(rep));
    buf_putc(&b, '\0');
    c->nul_json = buf_detach(&b);
    if (!c->nul_copy || !c->nul_json) {
        log_error("out of memory");
        return false;
    }
    long long ml = config_get_int(root, "max_line_bytes", 128LL * 1024 * 1024);
    c->max_line_bytes = ml > 1024 ? (size_t)ml : 1024;
    c->interpret_content_encoding = config_get_bool(root, "interpret_content_encoding", false);
    return metrics_configure(root, what, false);
}

bool tconfig_load(tconfig *c, const config_sources *sources)
{
    memset(c, 0, sizeof(*c));
    char what[1024];
    cJSON *root =
        config_read(sources, "TARGET_POSTGRES_", tconfig_keys, tconfig_nkeys, what, sizeof(what));
    if (!root)
        return false;
    if (!tconfig_from_json(c, root, what))
        return false;
    bool found = false;
    c->password = secrets_resolve(c->root, &found);
    return !found || c->password;
}

void tconfig_term(tconfig *c)
{
    secrets_free(c->password);
    cJSON_Delete(c->root);
    free(c->nul_copy);
    free(c->nul_json);
    memset(c, 0, sizeof(*c));
}
