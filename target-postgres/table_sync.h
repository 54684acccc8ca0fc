/*
 * table_sync: make the table match a stream's columns, inside the caller's
 * transaction: CREATE SCHEMA (with USAGE grants) and CREATE TABLE (primary key
 * from key_properties, SELECT grants, indices) when missing; ADD COLUMN for new
 * properties; a column whose new type is wider is altered in place (integer ->
 * bigint -> numeric -> text, date -> timestamptz, time -> timetz, anything -> text). Columns
 * are never renamed or dropped; compatible existing types are kept (double
 * precision for numbers, timestamp without time zone, varchar...).
 */
#ifndef TARGET_TABLE_SYNC_H
#define TARGET_TABLE_SYNC_H

#include <stdbool.h>

#include "pg_conn.h"
#include "stream.h"

/* table_sync: sync d's table; fills cache (types as in the table, unique key index).
   Skips the catalog when cache already holds d's shape. A table it creates gets a primary key
   on the key columns unless primary_key is false (load_method append-only). false after
   logging. */
bool table_sync(pg_conn *c, const table_def *d, stream_table_cache *cache, bool hard_delete,
                bool primary_key);

/* table_sync_widen: the type to alter an existing column of type typname to for kind, or
   NULL to keep it. Exposed for the unit tests. */
const char *table_sync_widen(const char *typname, col_kind kind);
/* table_sync_widen_col: the same for column col (borrowed), whose x-sql-datatype hint, if any,
   is the type it is kept at or widened to. */
const char *table_sync_widen_col(const char *typname, const tcolumn *col);

#endif
