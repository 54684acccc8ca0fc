#include "logical_slot.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>

#include "json_util.h"
#include "log.h"
#include "lsn.h"
#include "timefmt.h"

bool logical_slot_default_name(const char *dbname, const char *tap_id, char *out)
{
    char raw[512];
    int n = snprintf(raw, sizeof(raw), "pipelinewise_%s%s%s", dbname ? dbname : "",
                     tap_id && *tap_id ? "_" : "", tap_id && *tap_id ? tap_id : "");
    if (n < 0 || (size_t)n >= sizeof(raw))
        n = (int)sizeof(raw) - 1;
    /* as Python's re.sub on characters: one '_' per UTF-8 character, not per byte */
    char name[sizeof(raw)];
    int k = 0;
    for (int i = 0; i < n; i++) {
        unsigned char c = (unsigned char)raw[i];
        if ((c & 0xC0) == 0x80)
            continue; /* a continuation byte of a multi-byte character */
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        name[k++] =
            (char)(((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_') ? c : '_');
    }
    name[k] = '\0';
    if (k >= LOGICAL_NAME_MAX) {
        log_error("the default slot name \"%.80s\" is longer than 63 bytes: set slot_name (and "
                  "publication_name) in the config",
                  name);
        return false;
    }
    memcpy(out, name, (size_t)k + 1);
    return true;
}

static bool valid_name(const char *what, const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n >= LOGICAL_NAME_MAX) {
        log_error("config key %s: \"%.80s\" must be 1 to 63 bytes long", what, name);
        return false;
    }
    return true;
}

bool logical_slot_names(const cJSON *config, char *slot_out, char *publication_out)
{
    const char *dbname = json_util_string(config, "dbname", NULL);
    if (!dbname)
        dbname = json_util_string(config, "database", "");
    const char *tap_id = json_util_string(config, "tap_id", NULL);
    char def[LOGICAL_NAME_MAX] = "";
    const char *slot = json_util_string(config, "slot_name", NULL);
    const char *slot_key = "slot_name";
    if (!slot && (slot = json_util_string(config, "replication_slot_name", NULL)) != NULL)
        slot_key = "replication_slot_name"; /* MeltanoLabs tap-postgres's spelling */
    const char *pub = json_util_string(config, "publication_name", NULL);
    if ((!slot || !pub) && !logical_slot_default_name(dbname, tap_id, def))
        return false;
    if (!slot)
        slot = def;
    if (!pub)
        pub = def;
    if (!valid_name(slot_key, slot) || !valid_name("publication_name", pub))
        return false;
    /* slot names may only hold lower-case letters, digits and underscores */
    for (const char *p = slot; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_')) {
            log_error("config key %s: \"%s\" may only contain lower-case letters, digits "
                      "and underscores",
                      slot_key, slot);
            return false;
        }
    }
    snprintf(slot_out, LOGICAL_NAME_MAX, "%s", slot);
    snprintf(publication_out, LOGICAL_NAME_MAX, "%s", pub);
    return true;
}

bool logical_slot_plugin_known(const char *plugin)
{
    return plugin && (strcmp(plugin, "wal2json") == 0 || strcmp(plugin, "pgoutput") == 0);
}

/* does a comma-separated library list name wal2json? */
static bool list_has_wal2json(const char *list)
{
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == ',' || *p == '"' || *p == '\t')
            p++;
        const char *b = p;
        while (*p && *p != ',')
            p++;
        const char *e = p;
        while (e > b && (e[-1] == ' ' || e[-1] == '"' || e[-1] == '\t'))
            e--;
        const char *slash = b;
        for (const char *q = b; q < e; q++)
            if (*q == '/')
                slash = q + 1;
        if (e - slash == 8 && memcmp(slash, "wal2json", 8) == 0)
            return true;
    }
    return false;
}

/* the elements of a GUC list ("a, b" or "\"a\", b") as a quoted list: 'a', 'b' */
static void quoted_list(buf *out, const char *list)
{
    const char *p = list;
    bool first = true;
    while (*p) {
        while (*p == ' ' || *p == ',' || *p == '\t')
            p++;
        if (!*p)
            break;
        const char *b = p;
        size_t n;
        if (*p == '"') {
            b = ++p;
            while (*p && *p != '"')
                p++;
            n = (size_t)(p - b);
            if (*p)
                p++;
        } else {
            while (*p && *p != ',')
                p++;
            n = (size_t)(p - b);
            while (n > 0 && (b[n - 1] == ' ' || b[n - 1] == '\t'))
                n--;
        }
        if (!first)
            buf_append_lit(out, ", ");
        first = false;
        buf_putc(out, '\'');
        for (size_t i = 0; i < n; i++) {
            if (b[i] == '\'')
                buf_putc(out, '\'');
            buf_putc(out, b[i]);
        }
        buf_putc(out, '\'');
    }
}

static void log_wal2json_refused(const char *libs)
{
    if (libs) {
        buf fix = BUF_INIT;
        quoted_list(&fix, libs);
        if (fix.len)
            buf_append_lit(&fix, ", ");
        buf_append_lit(&fix, "'wal2json'");
        log_error("the server does not allow wal2json as an output plugin (output_plugin_libraries "
                  "= '%s'): a superuser must add it and reload: ALTER SYSTEM SET "
                  "output_plugin_libraries = %s; SELECT pg_reload_conf(); or use "
                  "logical_decoding_plugin = pgoutput for a new slot",
                  libs, fix.data ? fix.data : "'wal2json'");
        buf_term(&fix);
    } else {
        log_error("the server does not allow wal2json as an output plugin: a superuser must add "
                  "wal2json to output_plugin_libraries and reload (ALTER SYSTEM SET "
                  "output_plugin_libraries = '<each current entry>', 'wal2json'; SELECT "
                  "pg_reload_conf();), or use logical_decoding_plugin = pgoutput for a new slot");
    }
}

bool logical_slot_check_server(pg_conn *c, const char *plugin)
{
    PGresult *res = pg_conn_query(
        c,
        "SELECT current_setting('wal_level'), "
        "(SELECT rolreplication OR rolsuper FROM pg_roles WHERE rolname = current_user), "
        "current_user, "
        "(SELECT setting FROM pg_settings WHERE name = 'output_plugin_libraries')",
        0, NULL);
    if (!res)
        return false;
    bool ok = true;
    const char *wal_level = PQgetvalue(res, 0, 0);
    const char *user = PQgetvalue(res, 0, 2);
    if (strcmp(wal_level, "logical") != 0) {
        log_error("LOG_BASED replication needs wal_level = logical, and the server has wal_level "
                  "= %s: a superuser must run ALTER SYSTEM SET wal_level = logical; and restart "
                  "PostgreSQL",
                  wal_level);
        ok = false;
    }
    if (ok && strcmp(PQgetvalue(res, 0, 1), "t") != 0) {
        log_error("role \"%s\" lacks the REPLICATION privilege that LOG_BASED replication needs: "
                  "a superuser must run ALTER ROLE \"%s\" REPLICATION; (and pg_hba.conf must "
                  "allow its replication connections)",
                  user, user);
        ok = false;
    }
    if (ok && plugin && strcmp(plugin, "wal2json") == 0 && !PQgetisnull(res, 0, 3) &&
        !list_has_wal2json(PQgetvalue(res, 0, 3))) {
        log_wal2json_refused(PQgetvalue(res, 0, 3));
        ok = false;
    }
    PQclear(res);
    return ok;
}

bool logical_slot_lookup(pg_conn *c, const char *slot, logical_slot_info *out)
{
    memset(out, 0, sizeof(*out));
    const char *params[1] = {slot};
    int v = pg_conn_server_version(c);
    PGresult *res =
        pg_conn_query(c,
                      v >= 170000   ? "SELECT plugin, slot_type, database, active, "
                                      "active_pid, temporary, restart_lsn, "
                                      "confirmed_flush_lsn, wal_status, failover "
                                      "FROM pg_replication_slots WHERE slot_name = $1"
                      : v >= 130000 ? "SELECT plugin, slot_type, database, active, active_pid, "
                                      "temporary, restart_lsn, confirmed_flush_lsn, wal_status, "
                                      "false FROM pg_replication_slots WHERE slot_name = $1"
                                    : "SELECT plugin, slot_type, database, active, active_pid, "
                                      "temporary, restart_lsn, confirmed_flush_lsn, '', false "
                                      "FROM pg_replication_slots WHERE slot_name = $1",
                      1, params);
    if (!res)
        return false;
    if (PQntuples(res) == 1) {
        out->exists = true;
        snprintf(out->plugin, sizeof(out->plugin), "%s", PQgetvalue(res, 0, 0));
        out->logical = strcmp(PQgetvalue(res, 0, 1), "logical") == 0;
        snprintf(out->database, sizeof(out->database), "%s", PQgetvalue(res, 0, 2));
        out->active = strcmp(PQgetvalue(res, 0, 3), "t") == 0;
        out->active_pid = PQgetisnull(res, 0, 4) ? 0 : (int)strtol(PQgetvalue(res, 0, 4), NULL, 10);
        out->temporary = strcmp(PQgetvalue(res, 0, 5), "t") == 0;
        if (!PQgetisnull(res, 0, 6))
            lsn_parse(PQgetvalue(res, 0, 6), &out->restart_lsn);
        if (!PQgetisnull(res, 0, 7))
            lsn_parse(PQgetvalue(res, 0, 7), &out->confirmed_flush_lsn);
        snprintf(out->wal_status, sizeof(out->wal_status), "%s",
                 PQgetisnull(res, 0, 8) ? "" : PQgetvalue(res, 0, 8));
        out->failover = strcmp(PQgetvalue(res, 0, 9), "t") == 0;
    }
    PQclear(res);
    return true;
}

bool logical_slot_drop(pg_conn *c, const char *slot)
{
    const char *params[1] = {slot};
    PGresult *res = pg_conn_query(c, "SELECT pg_drop_replication_slot($1)", 1, params);
    if (!res)
        return false;
    PQclear(res);
    log_info("replication slot \"%s\" dropped", slot);
    return true;
}

/*
 * holder_creating: whether pid is a walsender still running CREATE_REPLICATION_SLOT (a run
 * stopped while creating the slot leaves it so until the transactions it waits for end); the
 * pids it waits for go to blockers ("" when none). A holder whose command cannot be read
 * (another role, without pg_read_all_stats) counts as not creating.
 */
static bool holder_creating(pg_conn *c, int pid, bool *creating, char *blockers, size_t n)
{
    char p[16];
    snprintf(p, sizeof(p), "%d", pid);
    const char *params[1] = {p};
    PGresult *res = pg_conn_query(c,
                                  "SELECT query LIKE 'CREATE\\_REPLICATION\\_SLOT%', "
                                  "array_to_string(pg_blocking_pids(pid), ', ') "
                                  "FROM pg_stat_activity WHERE pid = $1::int "
                                  "AND backend_type = 'walsender'",
                                  1, params);
    if (!res)
        return false;
    *creating = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    snprintf(blockers, n, "%s", *creating ? PQgetvalue(res, 0, 1) : "");
    PQclear(res);
    return true;
}

bool logical_slot_await_release(pg_conn *c, const char *slot, logical_slot_info *info, int seconds,
                                volatile sig_atomic_t *stop)
{
    if (!info->exists || !info->active || seconds <= 0)
        return true;
    log_info("replication slot \"%s\" is in use by pid %d: waiting up to %d s for it to be "
             "released (the server's process for a run that just ended can hold it a moment)",
             slot, info->active_pid, seconds);
    double started = timefmt_monotonic(), next_note = 0;
    for (int i = 0; info->exists && info->active && !(stop && *stop); i++) {
        if (i >= seconds * 5) {
            /*
             * past the wait: a holder still creating the slot is waited for as long as a
             * creation of ours would wait (the same transactions hold both back)
             */
            bool creating;
            char blockers[512];
            if (!holder_creating(c, info->active_pid, &creating, blockers, sizeof(blockers)))
                return false;
            if (!creating)
                break;
            double now = timefmt_monotonic();
            if (now >= next_note) {
                log_info("replication slot \"%s\" is still being created by pid %d (a run "
                         "stopped while creating it leaves the server's process to finish): "
                         "waiting for it after %.0f s; like any creation of a slot it waits "
                         "for the transactions running on the server to end (%s%s)",
                         slot, info->active_pid, now - started,
                         *blockers ? "now those of pids " : "none blocks it at this moment",
                         blockers);
                next_note = now + 30;
            }
        }
        struct timespec ts = {0, 200 * 1000 * 1000};
        nanosleep(&ts, NULL);
        if (!logical_slot_lookup(c, slot, info))
            return false;
    }
    if (info->exists && !info->active)
        log_info("replication slot \"%s\" was released", slot);
    else if (!info->exists)
        log_info("replication slot \"%s\" is gone (its creation did not finish, or it was "
                 "dropped)",
                 slot);
    return true;
}

bool logical_slot_usable(const logical_slot_info *info, const char *slot, const char *dbname)
{
    if (!info->logical) {
        log_error("replication slot \"%s\" is a physical slot: set slot_name to another name",
                  slot);
        return false;
    }
    if (strcmp(info->database, dbname) != 0) {
        log_error("replication slot \"%s\" belongs to database \"%s\", not \"%s\": set slot_name "
                  "(or tap_id) to another name",
                  slot, info->database, dbname);
        return false;
    }
    if (!logical_slot_plugin_known(info->plugin)) {
        log_error("replication slot \"%s\" uses the output plugin \"%s\"; only wal2json and "
                  "pgoutput are supported: set slot_name to another name",
                  slot, info->plugin);
        return false;
    }
    if (info->active) {
        log_error("replication slot \"%s\" is in use by another process (pid %d): is another run "
                  "of this tap still going? (SELECT pg_terminate_backend(%d); ends it)",
                  slot, info->active_pid, info->active_pid);
        return false;
    }
    return true;
}

bool logical_slot_check_capacity(pg_conn *c, int needed)
{
    PGresult *res = pg_conn_query(c,
                                  "SELECT current_setting('max_replication_slots')::int, "
                                  "(SELECT count(*) FROM pg_replication_slots)::int",
                                  0, NULL);
    if (!res)
        return false;
    long max = strtol(PQgetvalue(res, 0, 0), NULL, 10);
    long used = strtol(PQgetvalue(res, 0, 1), NULL, 10);
    PQclear(res);
    if (used + needed > max) {
        log_error("all replication slots are in use (%ld of max_replication_slots = %ld) and "
                  "LOG_BASED replication needs %d more: drop unused slots (SELECT "
                  "pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE NOT "
                  "active AND slot_name = '...';) or raise max_replication_slots and restart "
                  "PostgreSQL",
                  used, max, needed);
        return false;
    }
    return true;
}

void logical_slot_repl_literal(buf *out, const char *s)
{
    buf_putc(out, '\'');
    for (const char *p = s; *p; p++) {
        if (*p == '\'')
            buf_putc(out, '\'');
        buf_putc(out, *p);
    }
    buf_putc(out, '\'');
}

void logical_slot_explain_failure(pg_conn *c, const char *plugin)
{
    const char *msg = PQerrorMessage(c->conn);
    const char *state = pg_conn_sqlstate(c);
    if (!msg)
        msg = "";
    if (strstr(msg, "may not be used as an output plugin")) {
        log_wal2json_refused(NULL);
    } else if (strstr(msg, "could not access file") && plugin) {
        log_error("the output plugin %s is not installed on the server: install it (Debian: "
                  "apt-get install postgresql-<version>-%s) or use pgoutput",
                  plugin, plugin);
    } else if (strcmp(state, "53400") == 0 || strstr(msg, "all replication slots are in use")) {
        log_error("no free replication slot: drop unused slots (SELECT "
                  "pg_drop_replication_slot('<name>');) or raise max_replication_slots and "
                  "restart PostgreSQL");
    } else if (strstr(msg, "max_wal_senders")) {
        log_error("no free WAL sender for the replication connection: raise max_wal_senders and "
                  "restart PostgreSQL, or end other replication connections");
    } else if (strstr(msg, "wal_level")) {
        log_error("LOG_BASED replication needs wal_level = logical: a superuser must run ALTER "
                  "SYSTEM SET wal_level = logical; and restart PostgreSQL");
    } else if (strcmp(state, "42501") == 0 || strstr(msg, "must be superuser or replication")) {
        log_error("the role lacks the REPLICATION privilege: a superuser must run ALTER ROLE "
                  "<user> REPLICATION;");
    } else if (strcmp(state, "55006") == 0 || strstr(msg, "is active for PID")) {
        log_error("the replication slot is in use by another process: is another run of this "
                  "tap still going?");
    } else if (strstr(msg, "cannot read from logical replication slot") ||
               strstr(msg, "can no longer get changes from replication slot")) {
        log_error("the replication slot was invalidated by the server (it held more WAL than "
                  "max_slot_wal_keep_size allows): the next run drops it, creates it again and "
                  "copies the LOG_BASED tables anew");
    } else if (strcmp(state, "42704") == 0 || strstr(msg, "does not exist")) {
        log_error("the replication slot is gone (dropped while we ran?): the next run creates "
                  "it again and copies the LOG_BASED tables anew");
    }
}

/*
 * exec_waiting: run a command that may wait a long time on the server,
 * cancelling it when *stop becomes non-zero (then *interrupted is set) and
 * saying every 30 s that it still waits (for waits_for). Returns the last result (NULL when
 * the command could not be sent or the connection broke); the SQLSTATE of a
 * failure is kept on c.
 */
static PGresult *exec_waiting(pg_conn *c, const char *sql, const char *what, const char *waits_for,
                              const volatile sig_atomic_t *stop, bool *interrupted)
{
    c->sqlstate[0] = '\0';
    if (!PQsendQuery(c->conn, sql))
        return NULL;
    double started = timefmt_monotonic(), next_note = started + 30;
    bool cancelled = false;
    while (PQconsumeInput(c->conn) && PQisBusy(c->conn)) {
        if (!cancelled && stop && *stop) {
            PGcancel *cancel = PQgetCancel(c->conn);
            char err[256];
            if (cancel) {
                PQcancel(cancel, err, (int)sizeof(err));
                PQfreeCancel(cancel);
            }
            cancelled = true;
            *interrupted = true;
        }
        double now = timefmt_monotonic();
        if (now >= next_note) {
            log_info("%s: still waiting after %.0f s for %s", what, now - started, waits_for);
            next_note += 30;
        }
        int sock = PQsocket(c->conn);
        if (sock < 0)
            break;
        fd_set fds;
        FD_ZERO(&fds);
        FD_SET(sock, &fds);
        struct timeval tv = {0, 200000}; /* the stop flag is looked at 5 times a second */
        if (select(sock + 1, &fds, NULL, NULL, &tv) < 0 && errno != EINTR)
            break;
    }
    PGresult *last = NULL, *res;
    while ((res = PQgetResult(c->conn)) != NULL) {
        PQclear(last);
        last = res;
    }
    if (last && PQresultStatus(last) == PGRES_FATAL_ERROR) {
        const char *st = PQresultErrorField(last, PG_DIAG_SQLSTATE);
        snprintf(c->sqlstate, sizeof(c->sqlstate), "%s", st ? st : "");
    }
    return last;
}

bool logical_slot_set_failover(pg_conn *repl, const char *slot)
{
    buf cmd = BUF_INIT;
    buf_append_lit(&cmd, "ALTER_REPLICATION_SLOT ");
    pg_conn_quote_ident(&cmd, slot);
    buf_append_lit(&cmd, " (FAILOVER true)");
    PGresult *res = buf_ok(&cmd) ? PQexec(repl->conn, cmd.data) : NULL;
    bool ok = res && PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok) {
        char line[1024];
        pg_conn_first_line(res ? PQresultErrorMessage(res) : PQerrorMessage(repl->conn), line,
                           sizeof(line));
        log_error("failover_slot: could not make replication slot \"%s\" a failover slot: %s", slot,
                  line);
    } else {
        log_info("replication slot \"%s\" is now a failover slot (failover_slot)", slot);
    }
    PQclear(res);
    buf_term(&cmd);
    return ok;
}

bool logical_slot_create(pg_conn *repl, const char *slot, const char *plugin, bool temporary,
                         bool failover, const volatile sig_atomic_t *stop,
                         logical_slot_created *out)
{
    memset(out, 0, sizeof(*out));
    buf cmd = BUF_INIT;
    buf_append_lit(&cmd, "CREATE_REPLICATION_SLOT ");
    pg_conn_quote_ident(&cmd, slot);
    if (temporary)
        buf_append_lit(&cmd, " TEMPORARY");
    buf_append_lit(&cmd, " LOGICAL ");
    pg_conn_quote_ident(&cmd, plugin);
    if (failover)
        buf_append_lit(&cmd, " (SNAPSHOT 'export', FAILOVER true)");
    else
        buf_append_lit(&cmd, " EXPORT_SNAPSHOT");
    log_info("creating %sreplication slot \"%s\" with %s (this waits for the transactions "
             "running on the server to end)",
             temporary ? "temporary " : "", slot, plugin);
    /*
     * A standby (PostgreSQL 16+) builds the slot's starting point from a
     * running-xacts record replayed from the primary, which the primary's
     * bgwriter writes every 15 s, and only when it has written other WAL.
     * Simple query protocol: a replication connection takes no other.
     */
    const char *waits_for = "the transactions running on the server to end (a session idle in a "
                            "transaction? see pg_stat_activity)";
    PGresult *rec = PQexec(repl->conn, "SELECT pg_is_in_recovery()");
    if (PQresultStatus(rec) == PGRES_TUPLES_OK && PQntuples(rec) == 1 &&
        strcmp(PQgetvalue(rec, 0, 0), "t") == 0) {
        waits_for = "a running-xacts record from the primary (SELECT pg_log_standby_snapshot(); "
                    "on the primary writes one)";
        log_info("the server is a standby: creating replication slot \"%s\" waits for a "
                 "running-xacts record from the primary (the primary writes one every 15 s while "
                 "it writes other WAL); running SELECT pg_log_standby_snapshot(); on the primary "
                 "writes one at once",
                 slot);
    }
    PQclear(rec);
    char what[128];
    snprintf(what, sizeof(what), "creating replication slot \"%s\"", slot);
    PGresult *res = exec_waiting(repl, cmd.data, what, waits_for, stop, &out->interrupted);
    if (res && PQresultStatus(res) != PGRES_TUPLES_OK) {
        PQclear(res);
        res = NULL;
    }
    bool ok = res != NULL && PQntuples(res) == 1 && PQnfields(res) >= 4;
    if (ok) {
        snprintf(out->name, sizeof(out->name), "%s", PQgetvalue(res, 0, 0));
        ok = lsn_parse(PQgetvalue(res, 0, 1), &out->consistent_point);
        snprintf(out->snapshot, sizeof(out->snapshot), "%s",
                 PQgetisnull(res, 0, 2) ? "" : PQgetvalue(res, 0, 2));
        snprintf(out->plugin, sizeof(out->plugin), "%s", PQgetvalue(res, 0, 3));
        if (!ok)
            log_error("unexpected answer to CREATE_REPLICATION_SLOT: consistent point \"%s\"",
                      PQgetvalue(res, 0, 1));
    } else if (!res && out->interrupted) {
        log_error("interrupted while creating replication slot \"%s\" (the server drops it)", slot);
    } else if (!res) {
        char line[1024];
        const char *m = PQerrorMessage(repl->conn);
        snprintf(line, sizeof(line), "%.*s", (int)strcspn(m, "\n"), m);
        log_error("could not create replication slot \"%s\" with %s: %s", slot, plugin, line);
        logical_slot_explain_failure(repl, plugin);
    }
    if (ok) {
        char lsn[LSN_TEXT_MAX];
        lsn_format(out->consistent_point, lsn);
        log_info("replication slot \"%s\" created: consistent point %s, snapshot %s", out->name,
                 lsn, out->snapshot);
    }
    PQclear(res);
    buf_term(&cmd);
    return ok;
}

static void table_list(buf *out, const logical_slot_table *tables, const bool *pick, int n)
{
    bool first = true;
    for (int i = 0; i < n; i++) {
        if (pick && !pick[i])
            continue;
        if (!first)
            buf_append_lit(out, ", ");
        first = false;
        pg_conn_quote_ident(out, tables[i].schema);
        buf_putc(out, '.');
        pg_conn_quote_ident(out, tables[i].table);
    }
}

bool logical_slot_publication_ensure(pg_conn *c, const char *pub, const logical_slot_table *tables,
                                     int n, bool *added)
{
    for (int i = 0; added && i < n; i++)
        added[i] = false;
    bool ok = false;
    PGresult *res = NULL;
    buf schemas = BUF_INIT, names = BUF_INIT, sql = BUF_INIT;
    bool *missing = calloc((size_t)(n ? n : 1), sizeof(*missing));
    if (!missing) {
        log_error("out of memory");
        goto done;
    }

    const char *p1[1] = {pub};
    res = pg_conn_query(c,
                        pg_conn_server_version(c) >= 130000
                            ? "SELECT puballtables, pubinsert, pubupdate, pubdelete, pubtruncate, "
                              "pubviaroot FROM pg_publication WHERE pubname = $1"
                            : "SELECT puballtables, pubinsert, pubupdate, pubdelete, pubtruncate, "
                              "false FROM pg_publication WHERE pubname = $1",
                        1, p1);
    if (!res)
        goto done;
    bool exists = PQntuples(res) == 1;
    bool all_tables = exists && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    bool via_root = exists && strcmp(PQgetvalue(res, 0, 5), "t") == 0;
    if (exists) {
        static const char *const actions[4] = {"insert", "update", "delete", "truncate"};
        for (int a = 0; a < 4; a++) {
            if (strcmp(PQgetvalue(res, 0, 1 + a), "t") != 0)
                log_warn("publication \"%s\" does not publish %s: those changes will not reach "
                         "the target; the owner can run ALTER PUBLICATION \"%s\" SET (publish = "
                         "'insert, update, delete, truncate');",
                         pub, actions[a], pub);
        }
    }
    PQclear(res);
    res = NULL;

    /* the state of each table: found, replica identity, already published */
    buf_putc(&schemas, '{');
    buf_putc(&names, '{');
    for (int i = 0; i < n; i++) {
        pg_conn_array_elem(&schemas, tables[i].schema, i == 0);
        pg_conn_array_elem(&names, tables[i].table, i == 0);
    }
    buf_putc(&schemas, '}');
    buf_putc(&names, '}');
    bool has_pubns = pg_conn_server_version(c) >= 150000;
    buf_appendf(
        &sql,
        "SELECT t.i, c.relkind, c.relreplident, "
        "EXISTS (SELECT 1 FROM pg_index x WHERE x.indrelid = c.oid AND x.indisprimary), "
        "EXISTS (SELECT 1 FROM pg_index x WHERE x.indrelid = c.oid AND x.indisreplident), "
        "EXISTS (SELECT 1 FROM pg_publication p JOIN pg_publication_rel pr ON pr.prpubid "
        "= p.oid WHERE p.pubname = $3 AND (pr.prrelid = c.oid OR pr.prrelid IN (SELECT relid "
        "FROM pg_partition_ancestors(c.oid))))%s "
        "FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(s, r, i) "
        "LEFT JOIN pg_namespace n ON n.nspname = t.s "
        "LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = t.r "
        "ORDER BY t.i",
        has_pubns ? " OR EXISTS (SELECT 1 FROM pg_publication p JOIN "
                    "pg_publication_namespace pn ON pn.pnpubid = p.oid WHERE p.pubname "
                    "= $3 AND pn.pnnspid = n.oid)"
                  : "");
    const char *p3[3] = {schemas.data, names.data, pub};
    if (!buf_ok(&sql) || !buf_ok(&schemas) || !buf_ok(&names)) {
        log_error("out of memory");
        goto done;
    }
    res = pg_conn_query(c, sql.data, 3, p3);
    if (!res)
        goto done;
    int nmissing = 0;
    bool refused = false;
    for (int row = 0; row < PQntuples(res) && row < n; row++) {
        const logical_slot_table *t = &tables[row];
        if (PQgetisnull(res, row, 1)) {
            log_error("table \"%s\".\"%s\" does not exist (LOG_BASED stream %s-%s)", t->schema,
                      t->table, t->schema, t->table);
            refused = true;
            continue;
        }
        char kind = PQgetvalue(res, row, 1)[0];
        char ident = PQgetvalue(res, row, 2)[0];
        bool pk = strcmp(PQgetvalue(res, row, 3), "t") == 0;
        bool ident_index = strcmp(PQgetvalue(res, row, 4), "t") == 0;
        bool published = all_tables || strcmp(PQgetvalue(res, row, 5), "t") == 0;
        if (kind != 'r' && kind != 'p') {
            log_error("\"%s\".\"%s\" is not a table (a view?): it cannot be replicated with "
                      "LOG_BASED; use FULL_TABLE or INCREMENTAL for it",
                      t->schema, t->table);
            refused = true;
            continue;
        }
        if (kind == 'p' && via_root)
            log_warn("publication \"%s\" has publish_via_partition_root = true: a TRUNCATE of a "
                     "single partition of \"%s\".\"%s\" is not published, and the target would "
                     "keep that partition's rows; the owner can run ALTER PUBLICATION \"%s\" SET "
                     "(publish_via_partition_root = false);",
                     pub, t->schema, t->table, pub);
        bool has_identity =
            kind == 'p' || ident == 'f' || (ident == 'd' && pk) || (ident == 'i' && ident_index);
        if (!published && !has_identity) {
            log_error("table \"%s\".\"%s\" has no replica identity (no primary key and REPLICA "
                      "IDENTITY %s): once published, UPDATE and DELETE on it would fail on the "
                      "source; add a primary key or run ALTER TABLE \"%s\".\"%s\" REPLICA "
                      "IDENTITY FULL; first",
                      t->schema, t->table,
                      ident == 'n'   ? "NOTHING"
                      : ident == 'i' ? "USING INDEX"
                                     : "DEFAULT",
                      t->schema, t->table);
            refused = true;
            continue;
        }
        if (!published) {
            missing[row] = true;
            nmissing++;
        }
    }
    PQclear(res);
    res = NULL;
    if (refused)
        goto done;
    if (exists && nmissing == 0) {
        ok = true;
        goto done;
    }

    buf_reset(&sql);
    if (!exists) {
        buf_append_lit(&sql, "CREATE PUBLICATION ");
        pg_conn_quote_ident(&sql, pub);
        buf_append_lit(&sql, " FOR TABLE ");
        table_list(&sql, tables, missing, n);
        /*
         * publish_via_partition_root stays false: partitions are published
         * under their own names (the tap maps them to their root), because
         * with true a TRUNCATE of a single partition is not published at all.
         */
    } else {
        buf_append_lit(&sql, "ALTER PUBLICATION ");
        pg_conn_quote_ident(&sql, pub);
        buf_append_lit(&sql, " ADD TABLE ");
        table_list(&sql, tables, missing, n);
    }
    if (!buf_ok(&sql)) {
        log_error("out of memory");
        goto done;
    }
    log_info("%s publication \"%s\" for %d table(s)", exists ? "extending" : "creating", pub,
             nmissing);
    res = pg_conn_query_quiet(c, sql.data, 0, NULL);
    if (res || strcmp(pg_conn_sqlstate(c), "42710") == 0) {
        ok = true; /* 42710: already a member (a partition's root was added meanwhile) */
        for (int i = 0; added && i < n; i++)
            added[i] = missing[i];
        goto done;
    }
    {
        const char *m = PQerrorMessage(c->conn);
        log_error("could not %s publication \"%s\": %.*s; the owner of the tables (or a "
                  "superuser) must run: %s;",
                  exists ? "extend" : "create", pub, (int)strcspn(m, "\n"), m, sql.data);
    }

done:
    PQclear(res);
    free(missing);
    buf_term(&schemas);
    buf_term(&names);
    buf_term(&sql);
    return ok;
}
