/*
 * change: the one change model both logical decoding plugins are decoded into.
 *
 * A decoder (decode_wal2json, decode_pgoutput) turns one plugin message into
 * one `change`: a transaction boundary (B, C), a row change (I, U, D), a
 * TRUNCATE (T) or a relation description (R, pgoutput only). Everything a
 * change points to is BORROWED: either from the message buffer itself (which
 * the decoder may rewrite in place, e.g. to un-escape JSON strings), from the
 * decoder's per-message arena, or from the decoder's relation cache. It stays
 * valid until the next call of the same decoder (or until the message buffer
 * is freed, whichever comes first). No value is ever malloc'ed on its own.
 *
 * Values are the type's TEXT OUTPUT FORM: exactly what the type's output
 * function prints (what COPY TO prints before escaping, what pgoutput sends
 * as a 't' column). So the FULL_TABLE conversions apply unchanged. A value is
 * either NULL, text, or "unchanged TOAST" (the server did not send it because
 * an UPDATE left an out-of-line value untouched).
 */
#ifndef TAP_CHANGE_H
#define TAP_CHANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

typedef enum change_kind {
    CHANGE_NONE = 0,
    CHANGE_BEGIN = 'B',
    CHANGE_COMMIT = 'C',
    CHANGE_INSERT = 'I',
    CHANGE_UPDATE = 'U',
    CHANGE_DELETE = 'D',
    CHANGE_TRUNCATE = 'T',
    CHANGE_RELATION = 'R',
    /* a logical message (pg_logical_emit_message): heartbeats (only the position counts) and
       the chunked copy's watermarks; pgoutput sends them with the "messages" option */
    CHANGE_MESSAGE = 'M',
    /* understood and carrying nothing for a tap: origin, type */
    CHANGE_SKIP = '-',
} change_kind;

typedef enum change_value_kind {
    CHANGE_VALUE_NULL = 'n',
    CHANGE_VALUE_TEXT = 't',
    CHANGE_VALUE_UNCHANGED = 'u', /* unchanged TOAST: not sent, keep what the target has */
} change_value_kind;

/* change_column: one column as the plugin describes it. */
typedef struct change_column {
    const char *name;      /* borrowed, NUL-terminated */
    const char *type_name; /* borrowed; NULL when the plugin gave only the oid */
    uint32_t type_oid;     /* 0 when unknown */
    int32_t typmod;        /* -1 when unknown */
    bool key;              /* part of the replica identity (pgoutput flag: every column under
                              REPLICA IDENTITY FULL); false if unknown */
} change_column;

/* change_value: one value; text is borrowed and NOT necessarily NUL-terminated. */
typedef struct change_value {
    const char *text; /* CHANGE_VALUE_TEXT only: len bytes of the text output form */
    size_t len;
    change_value_kind kind;
} change_value;

/*
 * change_tuple: a row as sent: nvalues values, values[i] belonging to
 * columns[i]. A wal2json row lists only the columns it carries (unchanged
 * TOAST columns are left out); a pgoutput row lists every column of the
 * relation and marks unchanged TOAST with CHANGE_VALUE_UNCHANGED.
 */
typedef struct change_tuple {
    int nvalues;
    const change_column *columns; /* borrowed, nvalues entries */
    const change_value *values;   /* borrowed, nvalues entries */
} change_tuple;

/* change_relation: a table as the plugin names it. */
typedef struct change_relation {
    uint32_t oid;                 /* pgoutput relation id; 0 for wal2json */
    const char *schema;           /* borrowed */
    const char *table;            /* borrowed */
    char replica_identity;        /* 'd' default, 'n' nothing, 'f' full, 'i' index; 0 unknown */
    int ncolumns;                 /* pgoutput: the relation's columns; wal2json: 0 */
    const change_column *columns; /* borrowed */
    bool is_new;                  /* R: first description of this oid seen by the decoder */
    bool changed;                 /* R: differs from the previous description of this oid */
} change_relation;

/* the "unknown commit time" marker */
#define CHANGE_TIME_UNKNOWN INT64_MIN

typedef struct change {
    change_kind kind;
    uint32_t xid;        /* transaction id; 0 when the plugin did not send it */
    uint64_t lsn;        /* I U D T: the change's WAL position when sent (wal2json), else 0 */
    uint64_t commit_lsn; /* B C: WAL position of the commit record (txn final LSN) */
    uint64_t end_lsn;    /* C (and wal2json B): end of the commit record, where a restart
                            resumes after this transaction; 0 when not sent */
    int64_t commit_time; /* B C (wal2json: every change): microseconds since 1970-01-01 UTC */

    const change_relation *rel; /* I U D R */
    change_tuple new_tuple;     /* I U: the new row */
    change_tuple old_tuple;     /* U D: the old key or old row (nvalues 0 when none) */
    char old_kind;              /* 'K' only the replica identity columns, 'O' the whole old row
                                   (REPLICA IDENTITY FULL), 0 none (an update that kept its key) */

    int nrelations;                          /* T */
    const change_relation *const *relations; /* T: borrowed */
    uint8_t truncate_flags;                  /* T: CHANGE_TRUNCATE_CASCADE | ..._RESTART_IDENTITY */

    const char *msg_prefix;  /* M: borrowed, NUL-terminated */
    const char *msg_content; /* M: borrowed, msg_len bytes, NOT NUL-terminated */
    size_t msg_len;
    bool msg_transactional; /* M: written inside a transaction (false: at its WAL position) */
} change;

#define CHANGE_TRUNCATE_CASCADE 1
#define CHANGE_TRUNCATE_RESTART_IDENTITY 2

/* change_reset: make c an empty change (kind CHANGE_NONE). */
void change_reset(change *c);

/* change_kind_name: "begin", "commit", "insert"... for messages. */
const char *change_kind_name(change_kind k);

/*
 * change_find_value: the value of column `name` in tuple t, or NULL when the
 * tuple does not carry that column. Borrowed.
 */
const change_value *change_find_value(const change_tuple *t, const char *name);

/*
 * change_time_text: the PostgreSQL ISO text of a commit time in UTC
 * ("2024-05-01 10:11:12.123456+00", fraction only when non-zero), the form
 * timefmt_timestamp() reads, so a commit time looks like a timestamptz value.
 * out must hold CHANGE_TIME_TEXT_MAX bytes. Returns the length.
 */
#define CHANGE_TIME_TEXT_MAX 48
size_t change_time_text(int64_t unix_us, char *out);

/*
 * change_parse_time: parse the ISO text of a timestamptz ("2024-05-01
 * 12:24:40.651877+00", any offset, optional fraction) into microseconds since
 * 1970-01-01 UTC. False when it is not such a text.
 */
bool change_parse_time(const char *s, size_t n, int64_t *unix_us);

/* microseconds between 1970-01-01 and 2000-01-01 (the PostgreSQL epoch) */
#define CHANGE_PG_EPOCH_US INT64_C(946684800000000)

/*
 * change_debug_line: a one-line, stable text form of a change for golden
 * files and debug logs (values shown escaped as JSON strings), appended to out.
 */
void change_debug_line(buf *out, const change *c);

/*
 * change_arena: a bump allocator for per-message arrays. Memory is reused:
 * after a reset the arena keeps one chunk as large as everything the last
 * message needed, so steady streaming allocates nothing.
 */
typedef struct change_arena_chunk change_arena_chunk;
typedef struct change_arena {
    change_arena_chunk *head; /* malloc'ed chunks, newest first */
    size_t used_total;        /* bytes handed out since the last reset */
} change_arena;

/* change_arena_init / change_arena_term: init/term of an embedded arena; term frees all. */
void change_arena_init(change_arena *a);
void change_arena_term(change_arena *a);
/* change_arena_reset: forget everything handed out (pointers become invalid). */
void change_arena_reset(change_arena *a);
/* change_arena_alloc: n bytes aligned for any type, zeroed; NULL when out of memory. */
void *change_arena_alloc(change_arena *a, size_t n);

#endif
