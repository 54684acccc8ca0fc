/*
 * snapshot_ranges: the ranges a parallel FULL_TABLE copy (sync_parallel) splits a table into:
 * planned in the exported snapshot, kept in the bookmark's "snapshot_ranges" and read back from
 * it, and the COPY that reads one of them.
 *
 * A range is of the first key column, [lo, hi) compared as the column's type, or of ctid blocks
 * [lo, hi) for a table without a key. The plan: for a single integer key its min and max split
 * evenly; for other keys the pg_stats histogram and most common values of the first key column
 * (one range without statistics); for no key the table's size in blocks (one range for a
 * partitioned table, which has no blocks of its own). The bookmark layout is described in
 * sync_parallel.h; the key name is SNAPSHOT_RANGES_KEY, here.
 *
 * Ownership: an array returned by snapshot_ranges_plan or snapshot_ranges_from_state belongs to
 * the caller and is freed by snapshot_ranges_free; each range owns its texts, resume keys and
 * last_pk. Streams, connections and bookmarks passed in are borrowed. In sync_parallel the
 * workers only read lo, hi and resume; last_pk and done belong to the writer thread.
 */
#ifndef TAP_SNAPSHOT_RANGES_H
#define TAP_SNAPSHOT_RANGES_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "catalog.h"
#include "pg_conn.h"

/* the bookmark member that holds the ranges */
#define SNAPSHOT_RANGES_KEY "snapshot_ranges"

typedef enum snapshot_range_kind { SNAPSHOT_RANGE_KEY, SNAPSHOT_RANGE_CTID } snapshot_range_kind;

/* one range of the table: the first key column in [lo, hi), or ctid blocks [lo, hi) */
typedef struct snapshot_range {
    char *lo, *hi;   /* malloc'ed text, NULL for an open end */
    char **resume;   /* malloc'ed: key texts (npk) to continue after, from the state; or NULL */
    cJSON *last_pk;  /* owned: the key of the last row written from it (writer thread) */
    bool done;       /* every row of it written (writer thread) */
    bool from_state; /* done in the state: not read again */
} snapshot_range;

/* snapshot_ranges_free: frees the n ranges of r (npk: the stream's key columns, for the resume
   keys); r NULL does nothing. */
void snapshot_ranges_free(snapshot_range *r, size_t n, size_t npk);

/*
 * snapshot_ranges_plan: the ranges of a new copy of s, about want of them, computed on c (in
 * the exported snapshot); *kind says of what, *n how many, *how (a static text) from what.
 * Returns a malloc'ed array, or NULL (a failed query, logged by pg_conn, or out of memory).
 */
snapshot_range *snapshot_ranges_plan(pg_conn *c, const tap_stream *s, size_t want,
                                     snapshot_range_kind *kind, size_t *n, const char **how);

/*
 * snapshot_ranges_from_state: the key ranges of an interrupted copy, read from bm's
 * snapshot_ranges (each resumed after its last_pk_fetched, those done not read again); *n how
 * many. NULL when bm holds none usable (absent, malformed, or s has no key).
 */
snapshot_range *snapshot_ranges_from_state(const cJSON *bm, const tap_stream *s, size_t *n);

/*
 * snapshot_ranges_to_bookmark: writes the n ranges into bm: snapshot_ranges, and the
 * single-connection last_pk_fetched (a key such that every row up to it was written; removed
 * when there is none).
 */
void snapshot_ranges_to_bookmark(cJSON *bm, const snapshot_range *ranges, size_t n);

/*
 * snapshot_ranges_sql: the COPY of range r of s into sql, and into set the query of set_config
 * calls that carries its values (user values never reach the COPY text); params (room for
 * 2 + s->npk) gets the texts of set's parameters, borrowed from r, *np how many. False when out
 * of memory.
 */
bool snapshot_ranges_sql(const tap_stream *s, snapshot_range_kind kind, const snapshot_range *r,
                         buf *set, buf *sql, const char **params, int *np);

#endif
