/*
 * pg_wait: the waits of pg_conn.h bounded by read_timeout (see pg_conn_exec_raw there).
 *
 * Why a second connection: TCP keepalives only prove that the peer's kernel is alive, and a
 * middlebox (or our test's proxy) that stops forwarding keeps answering them; a plain timeout on
 * the socket would cancel a legitimately long query (a merge into a big table, a sort before the
 * first COPY row). So after read_timeout seconds of silence we ask the server, from a fresh
 * connection, what our session is doing: still working (active, waiting for anything but the
 * client) is fine and the wait goes on; gone, idle, or blocked on the network (ClientRead,
 * ClientWrite) means what it sent us or we sent it is stuck on the way. A fresh connection that
 * cannot be made within connect_timeout means the path to the server is down.
 */
#include "log.h"
#include "pg_conn.h"
#include "timefmt.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* the most PQputCopyData is given at once (it takes an int) */
#define COPY_PIECE ((size_t)1 << 20)

/* what a look at our session from a second connection found */
typedef enum probe_result {
    PROBE_BUSY,  /* the session works on our command, or cannot be checked: keep waiting */
    PROBE_STUCK, /* the session is gone or waits on the network, or the server is unreachable */
} probe_result;

static probe_result probe(pg_conn *c, char *why, size_t n)
{
    pg_conn_options o = c->opts;
    bool unreachable = false;
    o.replication = false;
    o.attempts = 1;
    o.unreachable = &unreachable;
    pg_conn *p = pg_conn_connect(c->config, &o);
    if (!p && !unreachable) {
        /* the server answered (too many connections, ...): it is there, so is our session */
        snprintf(why, n, "a second connection to check it was refused (logged above)");
        return PROBE_BUSY;
    }
    if (!p) {
        snprintf(why, n, "a second connection to check it failed (logged above)");
        return PROBE_STUCK;
    }
    p->is_probe = true;
    char pid[16];
    snprintf(pid, sizeof(pid), "%d", PQbackendPID(c->conn));
    const char *params[1] = {pid};
    PGresult *r = pg_conn_query(p,
                                "SELECT coalesce(state, ''), coalesce(wait_event, '') FROM "
                                "pg_stat_activity WHERE pid = $1",
                                1, params);
    probe_result res = PROBE_STUCK;
    if (!r) {
        snprintf(why, n, "a second connection could not check it (logged above)");
    } else if (PQntuples(r) == 0) {
        snprintf(why, n, "the server has no session with pid %s any more", pid);
    } else {
        const char *state = PQgetvalue(r, 0, 0), *wait = PQgetvalue(r, 0, 1);
        if (strcmp(state, "active") == 0 && strcmp(wait, "ClientWrite") != 0 &&
            strcmp(wait, "ClientRead") != 0) {
            snprintf(why, n, "its session (pid %s) is still working%s%s", pid,
                     *wait ? ", wait event " : "", wait);
            res = PROBE_BUSY;
        } else {
            snprintf(why, n, "its session (pid %s) is %s%s%s", pid, *state ? state : "(no state)",
                     *wait ? ", waiting for " : "", wait);
        }
    }
    PQclear(r);
    pg_conn_destroy(p);
    return res;
}

/* give up on the connection: libpq's next read sees it closed and fails the call */
static void give_up(pg_conn *c)
{
    c->gave_up = true;
    int sock = PQsocket(c->conn);
    if (sock >= 0)
        shutdown(sock, SHUT_RDWR);
    (void)PQconsumeInput(c->conn);
}

bool pg_conn_wait_readable(pg_conn *c)
{
    int sock = PQsocket(c->conn);
    if (sock < 0)
        return false;
    double start = timefmt_monotonic();
    for (;;) {
        int ms = -1;
        if (c->read_timeout_s > 0) {
            double left = start + c->read_timeout_s - timefmt_monotonic();
            ms = left <= 0 ? 0 : (int)(left * 1000) + 1;
        }
        struct pollfd pfd = {sock, POLLIN, 0};
        int r = poll(&pfd, 1, ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            log_error("poll() failed on the connection to %s: %m", c->label);
            give_up(c);
            return false;
        }
        if (r > 0)
            return PQconsumeInput(c->conn) == 1;
        char why[256];
        if (c->is_probe) {
            log_error("no answer from the server at %s for %d s (read_timeout) to a check of "
                      "another connection",
                      c->label, c->read_timeout_s);
            give_up(c);
            return false;
        }
        if (probe(c, why, sizeof(why)) == PROBE_BUSY) {
            log_info("no data from the server at %s for %d s: %s; waiting on", c->label,
                     c->read_timeout_s, why);
            start = timefmt_monotonic();
            continue;
        }
        log_error("no data from the server at %s for %d s (read_timeout) and %s: the connection "
                  "is frozen or dead; closing it",
                  c->label, c->read_timeout_s, why);
        give_up(c);
        return false;
    }
}

/* the results of the command sent last, as PQexec keeps them: the first error, else the last
   result; a COPY result ends the collection (the caller goes on with the COPY) */
static PGresult *collect(pg_conn *c)
{
    PGresult *keep = NULL;
    for (;;) {
        while (PQisBusy(c->conn))
            if (!pg_conn_wait_readable(c))
                break;
        PGresult *r = PQgetResult(c->conn);
        if (!r)
            break;
        ExecStatusType st = PQresultStatus(r);
        if (keep && PQresultStatus(keep) == PGRES_FATAL_ERROR) {
            PQclear(r);
        } else {
            PQclear(keep);
            keep = r;
        }
        if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH)
            break;
        if (PQstatus(c->conn) == CONNECTION_BAD && st == PGRES_FATAL_ERROR)
            break;
    }
    if (!keep)
        keep = PQmakeEmptyPGresult(c->conn, PGRES_FATAL_ERROR);
    return keep;
}

PGresult *pg_conn_exec_raw(pg_conn *c, const char *sql)
{
    if (!PQsendQuery(c->conn, sql))
        return PQmakeEmptyPGresult(c->conn, PGRES_FATAL_ERROR);
    return collect(c);
}

PGresult *pg_conn_exec_params_raw(pg_conn *c, const char *sql, int nparams,
                                  const char *const *params)
{
    if (!PQsendQueryParams(c->conn, sql, nparams, NULL, params, NULL, NULL, 0))
        return PQmakeEmptyPGresult(c->conn, PGRES_FATAL_ERROR);
    return collect(c);
}

PGresult *pg_conn_get_result(pg_conn *c)
{
    while (PQisBusy(c->conn))
        if (!pg_conn_wait_readable(c))
            break;
    return PQgetResult(c->conn);
}

int pg_conn_get_copy_data(pg_conn *c, char **row)
{
    for (;;) {
        int r = PQgetCopyData(c->conn, row, 1);
        if (r != 0)
            return r;
        if (!pg_conn_wait_readable(c)) {
            r = PQgetCopyData(c->conn, row, 1);
            return r == 0 ? -2 : r;
        }
    }
}

bool pg_conn_put_copy_data(pg_conn *c, const char *data, size_t len)
{
    while (len > 0) {
        size_t piece = len > COPY_PIECE ? COPY_PIECE : len;
        if (PQputCopyData(c->conn, data, (int)piece) != 1)
            return false;
        data += piece;
        len -= piece;
    }
    return true;
}

PGresult *pg_conn_copy_end(pg_conn *c, bool sent)
{
    (void)PQputCopyEnd(c->conn, sent ? NULL : "aborted"); /* a failure shows in the result */
    PGresult *res = pg_conn_get_result(c);
    const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    snprintf(c->sqlstate, sizeof(c->sqlstate), "%s", st ? st : "");
    if (!c->sqlstate[0] && PQstatus(c->conn) == CONNECTION_BAD)
        snprintf(c->sqlstate, sizeof(c->sqlstate), "08006");
    PGresult *more;
    while ((more = pg_conn_get_result(c)) != NULL)
        PQclear(more);
    return res;
}
