/*
 * row_filter: a LOG_BASED stream's custom_where_clauses (stream_options of the config) applied
 * to its changes, as FULL_TABLE and INCREMENTAL apply them inside their query.
 *
 * The clauses are SQL on the table's columns, which only the server can evaluate: a row's
 * values (the text output form the decoders give) are sent as the parameters of one prepared
 * statement on the run's metadata connection,
 *
 *     SELECT coalesce((<clause 1>) AND (<clause 2>) ..., false)
 *       FROM (SELECT $1::<type of column 1> AS "col1", ...) AS "<table>"
 *
 * so a clause may name any column of the table, selected or not, bare or qualified with the
 * table's name. A value the change does not carry (an unchanged TOAST value, a column wal2json
 * left out) is NULL to the clauses. One round trip per row change of a filtered stream; the
 * streams without clauses cost nothing.
 *
 * The statement is prepared again when the columns change (the caller's generation) or the
 * connection is new (a reconnect loses prepared statements).
 *
 * Ownership: a row_filter is created and destroyed by its stream; it borrows the clauses
 * (the config's cJSON) and the column names and types it is given for each call.
 */
#ifndef TAP_LOGICAL_ROW_FILTER_H
#define TAP_LOGICAL_ROW_FILTER_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "change.h"
#include "pg_conn.h"

typedef struct row_filter row_filter;

/* row_filter_create: the filter of stream_id's clauses (a non-empty cJSON array of strings,
   borrowed) on table (its name, unquoted, the alias of the row). NULL when out of memory
   (logged). */
row_filter *row_filter_create(const cJSON *clauses, const char *stream_id, const char *table);
/* row_filter_destroy: free f (its statement dies with its connection); NULL is fine. */
void row_filter_destroy(row_filter *f);

/*
 * row_filter_match: do the clauses hold for the row vals[0..ncols) (vals[i] the value of the
 * column names[i] of SQL type types[i]; NULL or not text: NULL)? generation: the caller's count
 * of column changes (a new one prepares the statement again). *match gets the answer; false
 * after logging (the server refused a clause or the connection failed).
 */
bool row_filter_match(row_filter *f, pg_conn *c, unsigned generation, size_t ncols,
                      const char *const *names, const char *const *types,
                      const change_value *const *vals, bool *match);

/* row_filter_counts: the row changes kept and dropped so far (the summary) */
void row_filter_counts(const row_filter *f, long long *kept, long long *dropped);

#endif
