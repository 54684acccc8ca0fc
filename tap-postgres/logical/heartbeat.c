#include "heartbeat.h"

#include <string.h>

#include "exit_codes.h"
#include "log.h"

bool heartbeat_check(const sl_run *L)
{
    const tap_config *cfg = L->run->cfg;
    if (cfg->heartbeat_seconds <= 0)
        return true;
    if (L->standby) {
        log_error("heartbeat_seconds: the source is a standby, where nothing can be written: "
                  "remove heartbeat_seconds, or write heartbeats on the primary yourself");
        return tap_fail(L->run, EXIT_BAD_CONFIG);
    }
    return true;
}

bool heartbeat_tick(sl_run *L, double now)
{
    const tap_config *cfg = L->run->cfg;
    if (cfg->heartbeat_seconds <= 0 || now < L->next_heartbeat)
        return true;
    L->next_heartbeat = now + cfg->heartbeat_seconds;
    const char *sql = cfg->heartbeat_action_query;
    if (!sql)
        /* PostgreSQL 17 flushes the message at once when asked (else the WAL writer does,
           within wal_writer_delay) */
        sql = pg_conn_server_version(L->c) >= 170000
                  ? "SELECT pg_logical_emit_message(false, '" HEARTBEAT_PREFIX "', '', true)"
                  : "SELECT pg_logical_emit_message(false, '" HEARTBEAT_PREFIX "', '')";
    PGresult *res = pg_conn_query_quiet(L->c, sql, 0, NULL);
    if (!res) {
        char msg[512];
        const char *e = pg_conn_error(L->c);
        if (strncmp(e, "ERROR:  ", 8) == 0)
            e += 8;
        pg_conn_first_line(e, msg, sizeof(msg));
        if (cfg->heartbeat_action_query)
            log_error("heartbeat_action_query failed: %s (the tap's role needs the privileges "
                      "the statement uses, e.g. INSERT and UPDATE on its table)",
                      msg);
        else
            log_error("heartbeat_seconds: pg_logical_emit_message failed: %s (the tap's role "
                      "needs EXECUTE on pg_logical_emit_message, which PUBLIC has unless it "
                      "was revoked; or set heartbeat_action_query)",
                      msg);
        return tap_fail(L->run, EXIT_SOURCE_DB);
    }
    PQclear(res);
    L->heartbeats++;
    return true;
}
