#include "repl_stream.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/time.h>

#include "buf.h"
#include "log.h"
#include "lsn.h"
#include "timefmt.h"

static uint64_t get_u64(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | u[i];
    return v;
}

static void put_u64(char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (char)(v & 0xFF);
        v >>= 8;
    }
}

/* first line of a libpq message, without the trailing newline */
bool repl_stream_identify(pg_conn *c, repl_stream_identity *out)
{
    memset(out, 0, sizeof(*out));
    PGresult *res = pg_conn_query(c, "IDENTIFY_SYSTEM", 0, NULL);
    if (!res)
        return false;
    bool ok = PQntuples(res) == 1 && PQnfields(res) >= 4;
    if (ok) {
        snprintf(out->systemid, sizeof(out->systemid), "%s", PQgetvalue(res, 0, 0));
        char *end = NULL;
        errno = 0;
        long tl = strtol(PQgetvalue(res, 0, 1), &end, 10);
        ok = errno == 0 && end && *end == '\0' && tl > 0 && tl < INT32_MAX &&
             lsn_parse(PQgetvalue(res, 0, 2), &out->xlogpos);
        out->timeline = (int)tl;
        snprintf(out->dbname, sizeof(out->dbname), "%s", PQgetvalue(res, 0, 3));
    }
    if (!ok)
        log_error("unexpected IDENTIFY_SYSTEM answer from the server (%d rows, %d columns)",
                  PQntuples(res), PQnfields(res));
    PQclear(res);
    return ok;
}

bool repl_stream_start(repl_stream *s, pg_conn *c, const char *slot, uint64_t start_lsn,
                       const char *options, int status_interval_ms,
                       const volatile sig_atomic_t *wake, bool quiet)
{
    memset(s, 0, sizeof(*s));
    s->conn = c;
    s->wake = wake;
    s->status_interval_us = (int64_t)(status_interval_ms > 0 ? status_interval_ms : 10000) * 1000;

    char lsn[LSN_TEXT_MAX];
    lsn_format(start_lsn, lsn);
    buf cmd = BUF_INIT;
    buf_append_lit(&cmd, "START_REPLICATION SLOT ");
    pg_conn_quote_ident(&cmd, slot);
    buf_appendf(&cmd, " LOGICAL %s", lsn);
    if (options && *options) {
        buf_putc(&cmd, ' ');
        buf_appends(&cmd, options);
    }
    if (!buf_ok(&cmd)) {
        log_error("out of memory building START_REPLICATION");
        buf_term(&cmd);
        return false;
    }
    log_debug("%s", cmd.data);
    PGresult *res = pg_conn_exec_raw(c, cmd.data);
    bool ok = res && PQresultStatus(res) == PGRES_COPY_BOTH;
    if (!ok && !quiet) {
        const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
        snprintf(c->sqlstate, sizeof(c->sqlstate), "%s", st ? st : "");
        char msg[1024];
        pg_conn_first_line(res ? PQresultErrorMessage(res) : PQerrorMessage(c->conn), msg,
                           sizeof(msg));
        if (!*msg)
            pg_conn_first_line(PQerrorMessage(c->conn), msg, sizeof(msg));
        log_error("could not start logical replication on slot \"%s\" at %s: %s", slot, lsn, msg);
    } else if (!ok) {
        const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
        snprintf(c->sqlstate, sizeof(c->sqlstate), "%s", st ? st : "");
    }
    PQclear(res);
    buf_term(&cmd);
    if (!ok)
        return false;
    s->streaming = true;
    s->next_status = timefmt_monotonic(); /* an immediate first status update */
    s->last_recv = s->next_status;
    log_info("logical replication started on slot \"%s\" at %s", slot, lsn);
    return true;
}

void repl_stream_confirm(repl_stream *s, uint64_t lsn)
{
    if (lsn > s->confirmed_lsn)
        s->confirmed_lsn = lsn;
}

bool repl_stream_send_status(repl_stream *s, bool reply_requested)
{
    char msg[1 + 8 + 8 + 8 + 8 + 1];
    int64_t now_pg = timefmt_now_ms() * 1000 - INT64_C(946684800000000);
    msg[0] = 'r';
    put_u64(msg + 1, s->received_lsn);  /* written: what we have read */
    put_u64(msg + 9, s->confirmed_lsn); /* flushed: only what the input state proves */
    put_u64(msg + 17, s->confirmed_lsn);
    put_u64(msg + 25, (uint64_t)now_pg);
    msg[33] = reply_requested ? 1 : 0;
    if (PQputCopyData(s->conn->conn, msg, (int)sizeof(msg)) <= 0 || PQflush(s->conn->conn) != 0) {
        char line[512];
        pg_conn_first_line(PQerrorMessage(s->conn->conn), line, sizeof(line));
        log_error("could not send a replication status update: %s", line);
        return false;
    }
    s->next_status = timefmt_monotonic() + (double)s->status_interval_us / 1e6;
    if (log_enabled(LOG_DEBUG)) {
        char a[LSN_TEXT_MAX], b[LSN_TEXT_MAX];
        lsn_format(s->received_lsn, a);
        lsn_format(s->confirmed_lsn, b);
        log_debug("status update: written %s, flushed %s", a, b);
    }
    return true;
}

/* the stream ended: collect the server's results and say why */
static repl_stream_result stream_ended(repl_stream *s)
{
    s->streaming = false;
    repl_stream_result rc = REPL_END;
    PGresult *res;
    while ((res = PQgetResult(s->conn->conn)) != NULL) {
        ExecStatusType st = PQresultStatus(res);
        if (st == PGRES_FATAL_ERROR) {
            const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
            snprintf(s->conn->sqlstate, sizeof(s->conn->sqlstate), "%s", state ? state : "");
            char line[1024];
            pg_conn_first_line(PQresultErrorMessage(res), line, sizeof(line));
            log_error("the server ended logical replication: %s", line);
            rc = REPL_ERROR;
        }
        PQclear(res);
        if (PQstatus(s->conn->conn) == CONNECTION_BAD)
            break;
    }
    return rc;
}

repl_stream_result repl_stream_next(repl_stream *s, double deadline, char **msg, size_t *len,
                                    uint64_t *wal_start)
{
    PGconn *conn = s->conn->conn;
    for (;;) {
        if (s->copybuf) {
            PQfreemem(s->copybuf);
            s->copybuf = NULL;
        }
        if (!s->streaming)
            return REPL_END;
        double now = timefmt_monotonic();
        if (now >= s->next_status && !repl_stream_send_status(s, false))
            return REPL_ERROR;

        int r = PQgetCopyData(conn, &s->copybuf, 1);
        if (r == 0) {
            if (deadline >= 0 && now >= deadline)
                return REPL_TIMEOUT;
            if (s->wake && *s->wake)
                return REPL_TIMEOUT;
            double until = s->next_status;
            if (deadline >= 0 && deadline < until)
                until = deadline;
            /* read_timeout: a server that sends nothing is asked for a keepalive at half of
               it (as PostgreSQL's wal_receiver_timeout does); none by the end: frozen or dead */
            int rt = s->conn->read_timeout_s;
            if (rt > 0) {
                if (now - s->last_recv >= rt) {
                    log_error("no message from the server at %s for %d s on the replication "
                              "connection (read_timeout), not even the keepalive asked for: the "
                              "connection is frozen or dead",
                              s->conn->label, rt);
                    s->streaming = false;
                    return REPL_ERROR;
                }
                if (!s->ping_sent && now - s->last_recv >= rt / 2.0) {
                    if (!repl_stream_send_status(s, true))
                        return REPL_ERROR;
                    s->ping_sent = true;
                }
                double at = s->last_recv + (s->ping_sent ? rt : rt / 2.0);
                if (at < until)
                    until = at;
            }
            double wait = until - now;
            if (wait < 0)
                wait = 0;
            int sock = PQsocket(conn);
            if (sock < 0) {
                log_error("the replication connection has no socket");
                return REPL_ERROR;
            }
            fd_set fds;
            FD_ZERO(&fds);
            FD_SET(sock, &fds);
            struct timeval tv;
            tv.tv_sec = (time_t)wait;
            tv.tv_usec = (suseconds_t)((wait - (double)tv.tv_sec) * 1e6);
            int sel = select(sock + 1, &fds, NULL, NULL, &tv);
            if (sel < 0) {
                if (errno == EINTR)
                    continue; /* a signal: loop, the wake flag is checked above */
                log_error("select() failed on the replication connection: %m");
                return REPL_ERROR;
            }
            if (sel > 0 && PQconsumeInput(conn) == 0) {
                char line[512];
                pg_conn_first_line(PQerrorMessage(conn), line, sizeof(line));
                log_error("lost the replication connection: %s", line);
                s->streaming = false;
                return REPL_ERROR;
            }
            continue;
        }
        if (r > 0) {
            s->last_recv = now;
            s->ping_sent = false;
        }
        if (r == -1)
            return stream_ended(s);
        if (r == -2) {
            char line[512];
            pg_conn_first_line(PQerrorMessage(conn), line, sizeof(line));
            log_error("lost the replication connection: %s", line);
            s->streaming = false;
            return REPL_ERROR;
        }

        if (s->copybuf[0] == 'k') {
            if (r < 18) {
                log_error("malformed keepalive message (%d bytes)", r);
                return REPL_ERROR;
            }
            uint64_t wal_end = get_u64(s->copybuf + 1);
            bool reply = s->copybuf[17] != 0;
            if (wal_end > s->server_wal_end)
                s->server_wal_end = wal_end;
            /*
             * Caught up: report the server's position as written (as
             * pg_recvlogical does), or the server keeps pinging us.
             */
            if (wal_end > s->received_lsn)
                s->received_lsn = wal_end;
            if (reply && !repl_stream_send_status(s, false))
                return REPL_ERROR;
            return REPL_KEEPALIVE;
        }
        if (s->copybuf[0] == 'w') {
            if (r < 25) {
                log_error("malformed XLogData message (%d bytes)", r);
                return REPL_ERROR;
            }
            /* the header's WAL end is the message's own position in logical replication */
            uint64_t start = get_u64(s->copybuf + 1);
            if (start > s->received_lsn)
                s->received_lsn = start;
            s->messages++;
            s->bytes += r - 25;
            *msg = s->copybuf + 25;
            *len = (size_t)(r - 25);
            *wal_start = start;
            return REPL_DATA;
        }
        log_error("unexpected replication message type '%c' (%d bytes)",
                  s->copybuf[0] >= 32 ? s->copybuf[0] : '?', r);
        return REPL_ERROR;
    }
}

bool repl_stream_finish(repl_stream *s)
{
    if (s->copybuf) {
        PQfreemem(s->copybuf);
        s->copybuf = NULL;
    }
    if (!s->streaming)
        return true;
    PGconn *conn = s->conn->conn;
    bool ok = repl_stream_send_status(s, false);
    if (PQputCopyEnd(conn, NULL) <= 0 || PQflush(conn) != 0) {
        char line[512];
        pg_conn_first_line(PQerrorMessage(conn), line, sizeof(line));
        log_error("could not end the replication stream: %s", line);
        ok = false;
    }
    /* drain what the server still sends until it acknowledges the end */
    for (;;) {
        char *rest = NULL;
        int r = pg_conn_get_copy_data(s->conn, &rest);
        if (rest)
            PQfreemem(rest);
        if (r >= 0)
            continue;
        if (r == -2) {
            char line[512];
            pg_conn_first_line(PQerrorMessage(conn), line, sizeof(line));
            log_error("error while ending the replication stream: %s", line);
            ok = false;
        }
        break;
    }
    if (stream_ended(s) != REPL_END)
        ok = false;
    return ok;
}

void repl_stream_term(repl_stream *s)
{
    if (s->copybuf) {
        PQfreemem(s->copybuf);
        s->copybuf = NULL;
    }
    s->streaming = false;
}
