/*
 * relmap: a hash map from a relation name (schema, table) to the streams that
 * read its rows, kept as a range [first, first + count) of the run's
 * relmap_target array (sl_run.targets, filled by relations.c). The entries are an
 * array in the order they were added (walk entries[0 .. n) to visit them all),
 * found by name through a hash_index. Keys are malloc'ed "schema\x1ftable"
 * strings owned by the map.
 */
#ifndef TAP_LOGICAL_RELMAP_H
#define TAP_LOGICAL_RELMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hash_index.h"

/*
 * A stream that reads a relation's rows: its own table, or an ancestor
 * (partitioned table, intermediate partition, inheritance parent) whose
 * copy (a plain SELECT FROM it) holds the relation's rows.
 */
typedef struct relmap_target {
    int stream;
    bool own; /* the relation is the stream's own table */
} relmap_target;

/* a relation name -> the streams its changes go to (none: not ours) */
typedef struct relmap_entry {
    char *key;    /* malloc'ed "schema\x1ftable" */
    size_t first; /* its targets: sl_run.targets[first .. first + count) */
    int count;
    char relkind;   /* pg_class.relkind as found at the start ('\0': resolved later) */
    bool inherited; /* not a partition (an inheritance child, or a stream's own table) */
} relmap_entry;

/* all zero is an empty map */
typedef struct relmap {
    relmap_entry *entries; /* malloc'ed, n used of cap, in the order they were added */
    size_t n, cap;
    hash_index ix; /* hash of the name -> index in entries */
} relmap;

/* relmap_find: the entry of schema.table, NULL when not in m (borrowed from m, valid until the
   next relmap_put). */
relmap_entry *relmap_find(const relmap *m, const char *schema, const char *table);
/* relmap_put: set (or add) schema.table -> targets [first, first + count); false on out of
   memory (not logged). */
bool relmap_put(relmap *m, const char *schema, const char *table, size_t first, int count);
/* relmap_term: free the keys, the entries and the index; m is empty afterwards. */
void relmap_term(relmap *m);
/* relmap_key_schema: the schema part of a relmap key, into out (size n) */
void relmap_key_schema(const char *key, char *out, size_t n);

#endif
