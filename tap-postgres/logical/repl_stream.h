/*
 * repl_stream: the streaming replication loop, in the shape of PostgreSQL's
 * pg_recvlogical.
 *
 * On a replication=database connection: IDENTIFY_SYSTEM, then
 * START_REPLICATION SLOT s LOGICAL lsn (options), then a CopyBoth stream
 * read with PQgetCopyData(conn, &buf, 1) and select() until the next
 * status deadline. The server sends
 *
 *   'w' XLogData:   Byte1 'w', Int64 data start, Int64 server WAL end,
 *                   Int64 send time, then the plugin's message (25-byte header)
 *   'k' keepalive:  Byte1 'k', Int64 server WAL end, Int64 send time,
 *                   Byte1 reply requested
 *
 * and we answer with
 *
 *   'r' status:     Byte1 'r', Int64 written, Int64 flushed, Int64 applied,
 *                   Int64 send time (microseconds since 2000-01-01), Byte1 reply requested
 *
 * on a timer below wal_sender_timeout, and at once when a keepalive asks.
 *
 * THE FLUSH POSITION: the slot's confirmed_flush_lsn moves to the flushed
 * position we report, and the server may then recycle the WAL before it. So
 * the flushed (and applied) position sent here is ONLY what the caller set
 * with repl_stream_confirm(): what the input state proves the target committed
 * (or, with state_feedback_file, a line the target wrote since: stream_changes.c).
 * It is never derived from what was read. Until repl_stream_confirm() is called it
 * is 0 (InvalidXLogRecPtr), which the server ignores.
 */
#ifndef TAP_REPL_STREAM_H
#define TAP_REPL_STREAM_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pg_conn.h"

/* repl_stream_identity: what IDENTIFY_SYSTEM says */
typedef struct repl_stream_identity {
    char systemid[32];
    int timeline;
    uint64_t xlogpos; /* current WAL flush position (a standby: its replay/flush position) */
    char dbname[128];
} repl_stream_identity;

/*
 * repl_stream_identify: run IDENTIFY_SYSTEM on a replication connection. False after
 * logging (e.g. a connection without replication=database).
 */
bool repl_stream_identify(pg_conn *c, repl_stream_identity *out);

typedef struct repl_stream {
    pg_conn *conn;           /* borrowed; must outlive the stream */
    char *copybuf;           /* PQfreemem'd at the top of every repl_stream_next */
    uint64_t received_lsn;   /* highest position seen ('w' data start, keepalive WAL end) */
    uint64_t server_wal_end; /* WAL end of the last keepalive: every transaction that
                                committed before it has been sent */
    uint64_t confirmed_lsn;  /* what status updates report as flushed; set by repl_stream_confirm */
    int64_t status_interval_us;        /* time between status updates */
    double next_status;                /* monotonic seconds of the next status update */
    const volatile sig_atomic_t *wake; /* optional: when non-zero, repl_stream_next stops waiting */
    bool streaming;                    /* inside COPY BOTH */
    long long messages;                /* 'w' messages received */
    long long bytes;                   /* payload bytes received */
    double last_recv;                  /* monotonic seconds of the last message from the server */
    bool ping_sent;                    /* a keepalive was asked for since then (read_timeout) */
} repl_stream;

/*
 * repl_stream_start: START_REPLICATION SLOT slot LOGICAL start_lsn options on c
 * (options: the plugin's parenthesised option list, or NULL).
 * status_interval_ms: how often to send a status update (> 0).
 * wake: a flag the signal handlers set (may be NULL).
 * False after logging the server's message (unless quiet: a probe whose
 * failure the caller handles; PQerrorMessage(c->conn) keeps it) with its
 * SQLSTATE kept on c.
 */
bool repl_stream_start(repl_stream *s, pg_conn *c, const char *slot, uint64_t start_lsn,
                       const char *options, int status_interval_ms,
                       const volatile sig_atomic_t *wake, bool quiet);

typedef enum repl_stream_result {
    REPL_DATA = 1,      /* *msg, *len: one plugin message; *wal_start: its WAL position */
    REPL_KEEPALIVE = 2, /* a keepalive arrived; s->server_wal_end is up to date */
    REPL_TIMEOUT = 0,   /* the deadline passed, or *wake was set, with nothing to read */
    REPL_END = -1,      /* the server ended the stream (logged when it was an error) */
    REPL_ERROR = -2,    /* connection lost or protocol violation (logged) */
} repl_stream_result;

/*
 * repl_stream_next: wait for the next message until deadline (monotonic seconds,
 * see timefmt_monotonic; a negative deadline waits forever), sending status
 * updates when they are due. A message is returned as soon as one is
 * buffered, even past the deadline. *msg is writable and stays valid until
 * the next call of repl_stream_next or repl_stream_term.
 */
repl_stream_result repl_stream_next(repl_stream *s, double deadline, char **msg, size_t *len,
                                    uint64_t *wal_start);

/*
 * repl_stream_confirm: the position to report as flushed from now on. Call it with
 * what the input state proves committed, never with a position merely read.
 * It never moves backwards.
 */
void repl_stream_confirm(repl_stream *s, uint64_t lsn);

/* repl_stream_send_status: send a status update now; false after logging. */
bool repl_stream_send_status(repl_stream *s, bool reply_requested);

/*
 * repl_stream_finish: end the stream cleanly (a last status update, CopyDone, and
 * the server's closing results). False after logging.
 */
bool repl_stream_finish(repl_stream *s);

/* repl_stream_term: free what the stream holds (not the connection). */
void repl_stream_term(repl_stream *s);

#endif
