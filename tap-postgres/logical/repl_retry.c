#include "repl_retry.h"

#include <string.h>

#include "log.h"
#include "lsn.h"
#include "tap_retry.h"

/* the connection itself was lost (not an error the server sent on a connection still up) */
static bool connection_lost(const sl_run *L)
{
    if (!L->repl || !L->repl->conn)
        return false;
    /* a frozen connection given up after read_timeout is not retried (README: Faults) */
    if (L->repl->gave_up || (L->c && L->c->gave_up))
        return false;
    if (PQstatus(L->repl->conn) == CONNECTION_BAD)
        return true;
    /* admin_shutdown, crash_shutdown, cannot_connect_now; connection exceptions */
    const char *st = L->repl->sqlstate;
    return strncmp(st, "57P", 3) == 0 || strncmp(st, "08", 2) == 0;
}

bool repl_retry_metadata_connection(sl_run *L)
{
    if (!L->c || !L->c->conn)
        return true;
    if (PQstatus(L->c->conn) == CONNECTION_OK) {
        PGresult *r = PQexec(L->c->conn, "SELECT 1");
        bool up = PQresultStatus(r) == PGRES_TUPLES_OK;
        PQclear(r);
        if (up)
            return true;
    }
    if (PQstatus(L->c->conn) != CONNECTION_BAD)
        return true; /* an error on a live connection: what uses it next reports it */
    if (L->c->gave_up)
        return false; /* frozen: logged when it was given up, not made again */
    bool transient = false;
    if (!pg_conn_reconnect(L->c, &transient) || !pg_conn_exec(L->c, TAP_SESSION_SETTINGS))
        return false;
    log_info("LOG_BASED: the metadata connection was lost too and is made again");
    return true;
}

bool repl_retry_reconnect(sl_run *L, repl_stream *rs, const char *options, int status_interval_ms,
                          uint64_t confirm, int *attempts)
{
    long long max = tap_retry_attempts(L->run);
    if (!connection_lost(L) || tap_stop_requested || !singer_writer_ok(L->run->w) ||
        L->run->fail_code != 0 || *attempts >= max)
        return false;
    char at[LSN_TEXT_MAX];
    lsn_format(L->processed, at);
    if (L->in_txn) {
        char txn[LSN_TEXT_MAX];
        lsn_format(L->txn_commit_lsn, txn);
        log_warn("LOG_BASED: the replication connection was lost inside the transaction that "
                 "commits at %s: after a reconnect it is sent again from its start, so its records "
                 "written so far are written twice (the target merges them by key; a stream "
                 "without a key gets them twice)",
                 txn);
    }
    repl_stream_term(rs);
    while (*attempts < max && !tap_stop_requested) {
        (*attempts)++;
        int wait = tap_retry_wait(*attempts);
        log_warn("LOG_BASED: lost the replication connection; reconnecting in %d s (attempt %d of "
                 "%lld, reconnect_attempts), then streaming again from %s",
                 wait, *attempts, max, at);
        tap_retry_sleep(wait);
        if (tap_stop_requested)
            break;
        pg_conn_destroy(L->repl);
        L->repl = sl_run_repl_connect(L);
        if (L->repl && repl_stream_start(rs, L->repl, L->slot, L->processed, options,
                                         status_interval_ms, &tap_stop_requested, false)) {
            repl_stream_confirm(rs, confirm);
            if (repl_stream_send_status(rs, false) && repl_retry_metadata_connection(L)) {
                L->run->fail_code = 0;
                /* the transaction being read comes again from its BEGIN */
                L->in_txn = false;
                L->ntrunc = 0;
                buf_reset(&L->trunc_names);
                log_info("LOG_BASED: reconnected; streaming again from %s (the transactions "
                         "written before it are not sent again)",
                         at);
                return true;
            }
            repl_stream_term(rs);
        }
        L->run->fail_code = 0; /* sl_run_repl_connect's; the caller fails the run at the end */
    }
    return false;
}
