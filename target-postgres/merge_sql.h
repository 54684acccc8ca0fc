/*
 * merge_sql: the SQL text of one flush (loader.c runs it): the temporary table the batch is
 * COPYed into, the merge of its rows into the table (last record per key wins by arrival
 * order; a property absent from a record keeps the stored value), the insert of every row
 * (no keys, append-only), the merge of a keyless batch with deletes, and the hard delete of
 * the batch's deleted keys.
 *
 * Ownership: every function appends to sql, which the caller owns (check buf_ok once at the
 * end); d and types are borrowed for the call. Identifiers are quoted here; no record value
 * reaches the text (the values travel in the temporary table).
 */
#ifndef TARGET_MERGE_SQL_H
#define TARGET_MERGE_SQL_H

#include <stdbool.h>

#include "buf.h"
#include "table_def.h"

/* the temporary table of a flush (ON COMMIT DROP): the batch's columns but _sdc_batched_at,
   "_tgt_seq" (arrival order) and "_tgt_absent" (the mask of properties absent from a record) */
#define MERGE_SQL_TMP_TABLE "\"_tgt_tmp\""

/*
 * merge_sql_temp_type: the type of column col in the temporary table: table_type (the table's
 * own, so that COPY reports a value the column rejects with its input line); but a date-time
 * read as timestamp without time zone (a pipelinewise table) would lose its offset, so it is
 * read as timestamptz and the merge's cast turns it into UTC time (the session's TimeZone).
 * Returns table_type or a static text.
 */
const char *merge_sql_temp_type(const tcolumn *col, const char *table_type);

/* merge_sql_temp_table: CREATE TEMP TABLE of MERGE_SQL_TMP_TABLE for d; types: each column's
   type in the table. */
void merge_sql_temp_table(buf *sql, const table_def *d, const char *const *types);

/* merge_sql_insert_all: every row of the batch inserted, in arrival order (no keys, or
   load_method append-only); with hard_delete, the deletes are left out. */
void merge_sql_insert_all(buf *sql, const table_def *d, bool hard_delete);

/* merge_sql_merge: the merge statement. dups: the batch may hold a key twice; absent: some row
   lacks a property; unique: the table has a unique index on the keys (else an update, then an
   insert of the rest). Without keys: merge_sql_insert_all. */
void merge_sql_merge(buf *sql, const table_def *d, bool dups, bool absent, bool unique,
                     bool hard_delete);

/* merge_sql_keyless_delete: the merge of a batch of a stream without keys that holds deletes
   (hard_delete): each delete removes one row equal in every column but the _sdc_* ones, the
   latest such insert of the batch before it, else one of the table; the other rows are
   appended. types: each column's type in the table. One result row: inserted, deleted, deletes
   that looked for a row in the table. */
void merge_sql_keyless_delete(buf *sql, const table_def *d, const char *const *types);

/* merge_sql_hard_delete: the delete of the table's rows whose key the batch holds and that are
   marked deleted (_sdc_deleted_at), after the merge (hard_delete with keys). */
void merge_sql_hard_delete(buf *sql, const table_def *d);

#endif
