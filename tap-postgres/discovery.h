/*
 * discovery: read the database's tables, views, materialized views and
 * partitioned tables with their columns, keys and types in a handful of
 * catalog queries (not one per table), and write the catalog.
 *
 * The same metadata (discovery_db) serves the sync: the selected streams' tables
 * are looked up again at the start of a run, so that the types come from the
 * database and a missing table or column is found before anything is read.
 */
#ifndef TAP_DISCOVERY_H
#define TAP_DISCOVERY_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "pg_conn.h"
#include "typemap.h"

typedef struct discovery_column {
    const char *name;      /* borrowed from the columns result */
    const char *sql_type;  /* borrowed: format_type(atttypid, NULL), e.g. "character varying" */
    const char *cast_type; /* borrowed: format_type(atttypid, atttypmod), e.g. "character(3)":
                              the column's exact type, for casting a bookmark back to it */
    int attnum;
    bool not_null;
    bool is_pk;
    bool can_select;   /* the user holds SELECT on the column and USAGE on its schema */
    typemap_type type; /* resolved through domains to the base (and element) type */
} discovery_column;

typedef struct discovery_table {
    unsigned int oid;
    const char *schema; /* borrowed from the tables result */
    const char *name;   /* borrowed */
    char relkind;       /* r, p (partitioned), v (view), m (materialized view) */
    long long reltuples;
    discovery_column *cols; /* points into discovery_db.cols, in attnum order */
    size_t ncols;
    const discovery_column **pk; /* malloc'ed: primary key columns in key order */
    size_t npk;
} discovery_table;

typedef struct discovery_db {
    char *dbname;            /* malloc'ed current_database() */
    discovery_table *tables; /* malloc'ed, ordered by schema then name */
    size_t ntables;
    const discovery_table **by_name; /* malloc'ed: tables sorted by (schema, name) in byte order */
    discovery_column *cols;          /* malloc'ed, all columns of all tables */
    size_t ncols;
    PGresult *res_tables; /* owned: the strings above point into these results */
    PGresult *res_cols;
    PGresult *res_types;
} discovery_db;

/*
 * discovery_load: read the metadata. schemas[0..nschemas) limits it to those
 * schemas (all user schemas when nschemas is 0). When nrel > 0, only the
 * relations rel_schemas[i].rel_names[i] are read (for the sync). All values
 * are bound as parameters. False after logging.
 */
bool discovery_load(pg_conn *c, const char *const *schemas, size_t nschemas,
                    const char *const *rel_schemas, const char *const *rel_names, size_t nrel,
                    discovery_db *out);
/* discovery_term: free what db holds; accepts a zeroed db. */
void discovery_term(discovery_db *db);
/* discovery_find: the table schema.name, or NULL. */
const discovery_table *discovery_find(const discovery_db *db, const char *schema, const char *name);
/* discovery_column_find: the column of t named name, or NULL. */
const discovery_column *discovery_column_find(const discovery_table *t, const char *name);
/* discovery_is_view: views and materialized views (no primary key, is-view true). */
static inline bool discovery_is_view(const discovery_table *t)
{
    return t->relkind == 'v' || t->relkind == 'm';
}

/*
 * discovery_write: append the catalog of db ({"streams":[...]}, one stream
 * per line) to out. Tables whose columns the user may not SELECT are left out.
 */
void discovery_write(buf *out, const discovery_db *db);

#endif
