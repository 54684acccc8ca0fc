/*
 * direct_load: a batch COPYed straight into its table, without the temporary table and the
 * merge, where that stores exactly the rows the merge would:
 *
 * - "append" (a stream without keys, or load_method append-only): the merge inserts every
 *   row anyway;
 * - "new keys" (a table with a unique index on exactly the key columns that was empty when
 *   the run first looked): the batch's rows, with only the last row of each key when keys
 *   repeat inside the batch (the merge's "last one wins"). A key already in the table makes
 *   the COPY fail on the unique index (23505); the loader then rolls back to its savepoint,
 *   merges the batch as before and stops trying for the rest of the run. So the emptiness
 *   check only says when to try: exactness rests on the unique index, also if another writer
 *   inserts into the table meanwhile.
 *
 * The loader decides per batch (loader.c: which batches qualify). The COPY text is the
 * batch's rows without the merge's _tgt_seq and _tgt_absent fields, plus the transaction's
 * now() for _sdc_batched_at, written through one bounded scratch buffer.
 *
 * Ownership: nothing is kept; the batch and table definition are borrowed for the call.
 */
#ifndef TARGET_DIRECT_LOAD_H
#define TARGET_DIRECT_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "pg_conn.h"
#include "table_def.h"

/* direct_load_keep: which rows of b to load when only the last row of each key is kept (keys:
   d's key columns, compared as COPY text). keep[i] is set for the rows to load; returns how
   many, or -1 when out of memory. keep has b->rows entries (caller's). Keys equal as values but
   not as text (1 and 1.0) are both kept: the unique index then makes the COPY fail and the
   loader merges instead. Exposed for the unit tests. */
long long direct_load_keep(const table_def *d, const batch *b, bool *keep);

/* direct_load_canonical_int: text[0 .. n) is an integer written the one way (an optional '-',
   no leading zero, at most 18 digits), into *v. Such texts are equal exactly when their values
   are. */
bool direct_load_canonical_int(const char *text, size_t n, long long *v);

/* direct_load_split: after a direct COPY met a key already in the table (DIRECT_SPLIT), which
   rows of b still go straight in: those of keys (d has one key column) whose first row in b is
   fresh (fresh[row], or when fresh is NULL b->fresh: no earlier row of the run had the key,
   batch.h) and none of whose rows is a delete
   (deleted_pos: the COPY position of _sdc_deleted_at under hard_delete, else -1) or lacks a
   property. side[i] (b->rows entries, caller's): DIRECT_SIDE_MERGE, DIRECT_SIDE_COPY (the last
   row of such a key) or DIRECT_SIDE_SKIP (an earlier row of such a key: neither copied nor
   merged), so that every row of a key is on one side. Returns how many to copy, or -1 when out
   of memory. The unique index still checks: a key another writer put in the table makes the
   COPY fail, and the loader merges the batch. */
#define DIRECT_SIDE_MERGE 0
#define DIRECT_SIDE_COPY 1
#define DIRECT_SIDE_SKIP 2
long long direct_load_split(const table_def *d, const batch *b, int deleted_pos,
                            const uint8_t *fresh, char *side);
/* direct_load_key_type_ok: a key column of SQL type type can be looked up by
   direct_load_lookup (smallint, integer, bigint). */
bool direct_load_key_type_ok(const char *type);
/* direct_load_lookup: for a table that had rows when the run first looked (DIRECT_LOOKUP),
   which rows of b have a key (one integer column) the table does not hold: one query on c,
   SELECT key FROM t WHERE key = ANY('{...}'), inside the caller's transaction after the
   stream's earlier batches committed. fresh[i] (b->rows entries, caller's) is set for them:
   the fresh argument of direct_load_split. *distinct: the batch's distinct keys, *found: how
   many of them the table holds. false when the query failed (the caller rolls back to its
   savepoint) or out of memory. */
bool direct_load_lookup(pg_conn *c, const table_def *d, const batch *b, uint8_t *fresh,
                        long long *distinct, long long *found);

/* direct_load_copy: COPY b's rows into d's table on c, inside the caller's transaction.
   only: the rows to send, those whose entry is DIRECT_SIDE_COPY (NULL: every row, or with
   dedup only the last row of each key, direct_load_keep). batched_at: the text of _sdc_batched_at
   when d has that column, else ignored. bin: NULL for COPY text, else the copy_binary encoder
   (bin_type) of each COPY field (d's columns but _sdc_batched_at in order, then that one): the
   rows go in COPY's binary format, and when a value is not in a form the encoder takes, the
   COPY is given up with *bin_refused set (the caller rolls back to its savepoint and sends the
   batch as text). *rows: rows sent. false when the COPY failed, with its SQLSTATE in
   pg_conn_sqlstate(c) and its message (borrowed by the caller until the next call on c) in
   pg_conn_error(c); nothing is logged but at debug level. */
bool direct_load_copy(pg_conn *c, const table_def *d, const batch *b, bool dedup, const char *only,
                      const char *batched_at, const unsigned char *bin, bool *bin_refused,
                      long long *rows);
/* direct_load_binary_types: the bin argument of direct_load_copy for d's table whose columns
   have the SQL types types[0 .. d->cs.ncols) (stream_table_cache); with temp, the encoders of
   the fields of a COPY into the merge's temp table instead (its column types, then _tgt_seq
   and _tgt_absent). malloc'ed, or NULL when a type has no binary encoder (or out of memory). */
unsigned char *direct_load_binary_types(const table_def *d, char *const *types, size_t ntypes,
                                        bool temp);

#endif
