#include "stop_rules.h"

#include <stdio.h>
#include <string.h>

#include "chunked_copy.h"
#include "exit_codes.h"
#include "log.h"
#include "lsn.h"
#include "timefmt.h"

/* how long the stream may be silent before the server is asked where it is (at most) */
#define PROBE_SECONDS 1.0

/* what the server process of the replication connection is doing (pg_stat_activity) */
typedef enum walsender_activity {
    WS_UNKNOWN = -1,        /* cannot be told (logged once by the caller) */
    WS_BUSY = 0,            /* running: reading WAL, decoding, replaying a transaction */
    WS_WAITING_FOR_WAL = 1, /* it has read and decoded all flushed WAL */
    WS_WAITING = 2,         /* waiting for something else (our socket, a standby) */
} walsender_activity;

/*
 * walsender_activity_now: the wait event of the server process of the
 * replication connection. A process that waits for nothing, or only for I/O
 * or a lock, is working; WalSenderWaitForWAL means it has sent everything
 * flushed.
 */
static walsender_activity walsender_activity_now(sl_run *L)
{
    char pid[16];
    snprintf(pid, sizeof(pid), "%d", PQbackendPID(L->repl->conn));
    const char *params[1] = {pid};
    PGresult *res = pg_conn_query_quiet(
        L->c,
        "SELECT wait_event_type IS NULL OR wait_event_type IN ('IO', 'LWLock', 'Lock', "
        "'BufferPin'), wait_event IS NOT DISTINCT FROM 'WalSenderWaitForWAL' "
        "FROM pg_stat_activity WHERE pid = $1::int",
        1, params);
    if (!res)
        return WS_UNKNOWN;
    walsender_activity a = WS_UNKNOWN;
    if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
        a = strcmp(PQgetvalue(res, 0, 0), "t") == 0   ? WS_BUSY
            : strcmp(PQgetvalue(res, 0, 1), "t") == 0 ? WS_WAITING_FOR_WAL
                                                      : WS_WAITING;
    PQclear(res);
    return a;
}

void stop_rules_init(stop_rules *st, const tap_config *cfg, double now, uint64_t end_lsn)
{
    memset(st, 0, sizeof(*st));
    /* 0 (or less): no bound */
    st->poll_seconds =
        cfg->logical_poll_total_seconds > 0 ? (double)cfg->logical_poll_total_seconds : -1;
    st->run_deadline = cfg->max_run_seconds > 0 ? now + (double)cfg->max_run_seconds : -1;
    st->probe_seconds = st->poll_seconds >= 0 && st->poll_seconds / 4 < PROBE_SECONDS
                            ? st->poll_seconds / 4
                            : PROBE_SECONDS;
    st->last_progress = now;
    st->next_probe = now + st->probe_seconds;
    st->can_ask = true;
    st->break_at_end = cfg->break_at_end_lsn;
    st->end_lsn = end_lsn;
    st->continuous = tap_config_continuous(cfg);
}

/* the server showed progress at now */
void stop_rules_progress(stop_rules *st, double now)
{
    st->last_progress = now;
    st->moved = true;
    if (st->next_probe < now + st->probe_seconds)
        st->next_probe = now + st->probe_seconds;
}

/* a message of the stream arrived at now: progress, and a keepalive asked for before it no
   longer shows that the flushed WAL was all read */
void stop_rules_data(stop_rules *st, double now)
{
    stop_rules_progress(st, now);
    st->idle_ping = false;
}

/*
 * why the run ends now (STOP_NONE: it goes on): only between transactions,
 * a transaction is always read to its end (a signal waits for it too)
 */
stop_reason stop_rules_check(const stop_rules *st, const sl_run *L)
{
    if (L->in_txn)
        return STOP_NONE;
    double now = timefmt_monotonic();
    if (tap_stop_requested)
        return STOP_SIGNAL;
    if (chunked_copy_active(L)) {
        /* a copy in chunks goes on past the end position and through idle time, to its end
           or max_run_seconds (it resumes from the state) */
        if (st->run_deadline >= 0 && now >= st->run_deadline)
            return STOP_MAX_RUN;
        return STOP_NONE;
    }
    if (st->break_at_end && L->processed >= st->end_lsn)
        return STOP_END_LSN;
    if (st->caught_up)
        return STOP_CAUGHT_UP;
    if (st->run_deadline >= 0 && now >= st->run_deadline)
        return STOP_MAX_RUN;
    if (st->poll_seconds >= 0 && now - st->last_progress >= st->poll_seconds)
        return STOP_POLL;
    if (st->continuous && sl_run_recopy_due(L))
        return STOP_RECOPY;
    return STOP_NONE;
}

/* how long repl_stream_next may wait: until the next rule is due; inside a transaction -1 (no
   deadline) */
double stop_rules_deadline(const stop_rules *st, const sl_run *L)
{
    if (L->in_txn)
        return -1;
    double d = st->poll_seconds >= 0 ? st->last_progress + st->poll_seconds : st->next_probe;
    if (st->run_deadline >= 0 && st->run_deadline < d)
        d = st->run_deadline;
    return st->next_probe < d ? st->next_probe : d;
}

/*
 * stop_rules_keepalive: a keepalive with the server's sent position arrived (the
 * caller has moved L->processed to it).
 */
void stop_rules_keepalive(stop_rules *st, const repl_stream *rs, double now, bool in_txn)
{
    st->ping_out = false;
    if (rs->server_wal_end > st->seen_lsn) {
        if (st->seen_lsn < st->end_lsn)
            stop_rules_progress(st, now);
        st->seen_lsn = rs->server_wal_end;
    }
    if (st->idle_ping && !in_txn)
        st->caught_up = true;
}

/*
 * stop_rules_probe: nothing for probe_seconds. Without progress since the last
 * probe, ask what the walsender does; then ask for a keepalive unless one is
 * still awaited (a walsender inside a record answers when it is done). False
 * after logging.
 */
bool stop_rules_probe(stop_rules *st, sl_run *L, repl_stream *rs, double now)
{
    if (L->in_txn || now < st->next_probe)
        return true;
    st->next_probe = now + st->probe_seconds;
    bool ask = false;
    if (!st->moved && st->can_ask && st->seen_lsn < st->end_lsn) {
        walsender_activity a = walsender_activity_now(L);
        if (a == WS_UNKNOWN && PQstatus(L->c->conn) == CONNECTION_BAD) {
            /* the connection was lost or froze, not the permission: the stream loop fails the
               run or makes it again (repl_retry_metadata_connection) */
        } else if (a == WS_UNKNOWN) {
            log_warn("cannot tell from pg_stat_activity what the server process of the "
                     "replication connection is doing: logical_poll_total_seconds counts the "
                     "time in which the server's position does not move, and break_at_end_lsn "
                     "waits for the end position");
            st->can_ask = false;
        } else if (a == WS_BUSY) {
            stop_rules_progress(st, now);
            if (log_enabled(LOG_DEBUG)) {
                char at[LSN_TEXT_MAX];
                lsn_format(st->seen_lsn, at);
                log_debug("the server is decoding (sent position %s)", at);
            }
        } else if (a == WS_WAITING_FOR_WAL && st->break_at_end && !st->idle_ping) {
            st->idle_ping = true;
            ask = true;
        }
    }
    st->moved = false;
    if (st->ping_out && !ask)
        return true;
    if (!repl_stream_send_status(rs, true))
        return fail(L, EXIT_SOURCE_DB);
    st->ping_out = true;
    return true;
}

const char *stop_rules_reason(stop_reason why)
{
    static const char *const reasons[] = {
        "",
        "reached the WAL position of the start",
        "max_run_seconds reached",
        "no new data for logical_poll_total_seconds",
        "stopped by a signal",
        "caught up with the server's flushed WAL (the rest up to the start's insert "
        "position is not flushed: an open transaction's changes)",
        "a stream is to be copied again (a TRUNCATE of part of its rows): the stream pauses "
        "for the copy"};
    return reasons[why];
}
