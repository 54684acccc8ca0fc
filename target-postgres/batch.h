/*
 * batch: one stream's pending rows as PostgreSQL COPY text (compact, one
 * buffer, no per-value allocation), with the bookkeeping a flush needs: the
 * input line of every row, the sequence of the first record, whether two rows
 * may share a key (a set of the key texts' 64-bit hashes, on hash_index) and
 * whether any row lacks a property.
 *
 * Ownership: create / destroy; every pointer field is owned by the batch. A batch belongs to
 * one stream (filling or spare) or to the flush job loading it.
 */
#ifndef TARGET_BATCH_H
#define TARGET_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "hash_index.h"

typedef struct batch {
    buf data; /* COPY text rows */
    size_t rows;
    int64_t first_seq; /* sequence of the first record or message in the batch, -1 when empty */
    int64_t *lines;    /* malloc'ed input line of each row */
    uint8_t *fresh;    /* malloc'ed, lines_cap: 1 when row i's key (one column, an integer) was
                          not a key of an earlier row of the stream (stream.h: seen_keys) */
    size_t lines_cap;
    uint64_t *keys; /* malloc'ed: the distinct key hashes, nkeys used of keys_cap */
    size_t nkeys, keys_cap;
    hash_index keyset; /* hash_fold64(key hash) -> its index in keys; empty while ascending */
    bool ascending;    /* every key so far after the one before (batch_note_key): distinct
                          without the key set, which is built when the run breaks */
    buf last_key;      /* the last key's text while ascending */
    bool has_dups;     /* two rows may share a key */
    bool has_absent;   /* some row lacks a property */
    bool has_deletes;  /* some row carries a non-null _sdc_deleted_at */
    size_t deletes;    /* rows that do (for the summary: tmetrics.h) */
    double started;    /* monotonic time of the first row */
} batch;

batch *batch_create(void);
void batch_destroy(batch *b);
/* batch_reset: empty it, keep the memory. */
void batch_reset(batch *b);
/* batch_row_done: account the row just appended to data (input line, sequence, whether its
   key is fresh). */
bool batch_row_done(batch *b, int64_t line, int64_t seq, bool fresh);
/* batch_note_key: remember a row's key hash h; sets has_dups when seen before. key[0 .. len):
   its text when the key is one field (NULL when it is not): while each row's key text comes
   after the one before (longer, or as long and greater byte by byte: ascending integers), the
   keys are distinct and the key set is not searched. False when out of memory. */
bool batch_note_key(batch *b, uint64_t h, const char *key, size_t len);
/* batch_line_of_row: the input line of row i (0-based), or 0. */
int64_t batch_line_of_row(const batch *b, size_t i);
/* batch_mem: the bytes the batch has allocated (COPY text, line numbers, key set); 0 for NULL. */
size_t batch_mem(const batch *b);
/* batch_mem_growth: how much batch_mem may grow when one more row of at most row_bytes bytes
   of COPY text is added (buffers double when full). */
size_t batch_mem_growth(const batch *b, size_t row_bytes);

#endif
