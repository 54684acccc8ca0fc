/*
 * catalog: the streams a run replicates, from a Singer catalog (--catalog or
 * --properties) in the pipelinewise shape, bound to the database's metadata.
 *
 * A stream is selected by `selected: true` on its breadcrumb []. Its
 * replication method is its `replication-method` metadata or the config's
 * default_replication_method. A column is synced unless its metadata says
 * `selected: false` or `inclusion: unsupported`; key columns (inclusion
 * automatic, a view's view-key-properties) and the replication key are always
 * synced. Columns that the
 * database has but the catalog does not list (added since discovery) are
 * synced too, as pipelinewise does after refreshing the schema.
 */
#ifndef TAP_CATALOG_H
#define TAP_CATALOG_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "discovery.h"
#include "tap_config.h"
#include "typemap.h"

typedef enum tap_method { TAP_FULL_TABLE = 0, TAP_INCREMENTAL, TAP_LOG_BASED } tap_method;

typedef struct tap_column {
    const char *name;      /* borrowed from the database metadata (discovery_db) */
    const char *sql_type;  /* borrowed: format_type without typmod (sql-datatype, messages) */
    const char *cast_type; /* borrowed: format_type with typmod: casts of bookmark values (without
                              the typmod, "character" would mean char(1) and "bit" bit(1)) */
    bool is_pk;
    typemap_type type;
} tap_column;

typedef struct tap_stream {
    const char *tap_stream_id; /* borrowed from the catalog tree: "<schema>-<table>" */
    const char *schema_name;   /* borrowed */
    const char *table_name;    /* borrowed */
    const char *method_name;   /* borrowed: "FULL_TABLE", "INCREMENTAL" or "LOG_BASED" */
    tap_method method;
    const char *replication_key; /* borrowed, NULL unless INCREMENTAL */
    bool is_view;                /* from the database after catalog_bind */
    const cJSON *entry;          /* borrowed: the catalog entry */
    /* filled by catalog_bind: */
    const discovery_table *table; /* borrowed from the discovery_db */
    tap_column *columns;          /* malloc'ed: synced columns in table order */
    size_t ncolumns;
    const char **key_properties; /* malloc'ed array of borrowed names (table pk or view keys) */
    size_t nkeys;
    int *pk_index; /* malloc'ed: indexes into columns of the primary key (tables) */
    size_t npk;
    int rk_index;                    /* index into columns of the replication key, or -1 */
    const cJSON *where_clauses;      /* borrowed from the config: stream_options.<id>.
                                        custom_where_clauses (strings), or NULL */
    tap_snapshot_mode snapshot_mode; /* LOG_BASED: snapshot-mode metadata, else the config's */
    /* borrowed: the run's transformations when one names this stream (field_transform_check),
       else NULL */
    const struct field_transform_set *transforms;
} tap_stream;

typedef struct tap_catalog {
    cJSON *root;         /* owned: the catalog document */
    tap_stream *streams; /* malloc'ed: the selected streams, sorted by tap_stream_id */
    size_t n;
} tap_catalog;

/*
 * catalog_load: read the catalog at path and collect the selected streams.
 * Errors (no replication method, an unknown one, INCREMENTAL without a key,
 * a malformed entry) are logged naming the stream. The caller terms out.
 */
bool catalog_load(tap_catalog *out, const char *path, const tap_config *cfg);
/* catalog_parse: the same from a tree that out takes over (even on failure). */
bool catalog_parse(tap_catalog *out, cJSON *root, const char *what, const tap_config *cfg);
/*
 * catalog_bind: match the selected streams with the database metadata (which
 * must outlive the catalog's use): a missing table, column, replication key or
 * view key property is an error naming the stream and the thing.
 */
bool catalog_bind(tap_catalog *cat, const discovery_db *db);
/* catalog_term: free what cat holds; accepts a zeroed catalog. */
void catalog_term(tap_catalog *cat);

#endif
