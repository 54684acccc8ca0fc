#include "pg_conn.h"

#include "json_util.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

/* a config value as text: strings as they are, numbers printed, NULL otherwise */
static const char *cfg_text(const cJSON *config, const char *names, char *tmp, size_t n)
{
    const cJSON *v = NULL;
    char one[64];
    const char *p = names;
    while (*p && !v) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len < sizeof(one)) {
            memcpy(one, p, len);
            one[len] = '\0';
            v = cJSON_GetObjectItemCaseSensitive(config, one);
            if (cJSON_IsNull(v))
                v = NULL;
        }
        if (!bar)
            break;
        p = bar + 1;
    }
    if (cJSON_IsString(v))
        return v->valuestring;
    if (cJSON_IsNumber(v)) {
        snprintf(tmp, n, "%lld", (long long)v->valuedouble);
        return tmp;
    }
    if (cJSON_IsBool(v))
        return cJSON_IsTrue(v) ? "true" : "false";
    return NULL;
}

/* PEM text goes to a private temp file; a path is used as it is */
static const char *pem_or_path(pg_conn *c, int slot, const char *value, const char *key)
{
    if (!value || strncmp(value, "-----BEGIN", 10) != 0)
        return value;
    const char *dir = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof(path), "%s/singer-pg-%s-XXXXXX", dir && *dir ? dir : "/tmp", key);
    int fd = mkstemp(path);
    if (fd < 0) {
        log_error("cannot create a temporary file for %s: %m", key);
        return NULL;
    }
    fchmod(fd, 0600);
    size_t len = strlen(value);
    bool ok = write(fd, value, len) == (ssize_t)len;
    if (ok && value[len - 1] != '\n')
        ok = write(fd, "\n", 1) == 1;
    close(fd);
    if (!ok) {
        log_error("cannot write the temporary file for %s: %m", key);
        unlink(path);
        return NULL;
    }
    c->tmp_files[slot] = xstrdup(path);
    return c->tmp_files[slot];
}

static bool transient_failure(const char *msg)
{
    static const char *const transient[] = {
        "Connection refused", "timeout expired", "the database system is starting up",
        "No route to host", "Network is unreachable", "server closed the connection unexpectedly",
    };
    for (size_t i = 0; i < sizeof(transient) / sizeof(transient[0]); i++)
        if (strstr(msg, transient[i]))
            return true;
    return false;
}

/* first line of a libpq message, without the trailing newline */
static void first_line(const char *msg, char *out, size_t n)
{
    size_t len = strcspn(msg, "\n");
    while (len > 0 && (msg[len - 1] == ' ' || msg[len - 1] == '\r'))
        len--;
    snprintf(out, n, "%.*s", (int)len, msg);
}

pg_conn *pgc_connect(const cJSON *config, const pgc_options *opts)
{
    pgc_options none = {0};
    if (!opts)
        opts = &none;
    pg_conn *c = calloc(1, sizeof(*c));
    if (!c) {
        log_error("out of memory");
        return NULL;
    }
    char t_port[32], t_timeout[32], t_host[32], t_user[32], t_db[32], t_ssl[32], t_pw[32];
    const char *host = opts->host_override ? opts->host_override
                                           : cfg_text(config, "host", t_host, sizeof(t_host));
    const char *port = opts->port_override ? opts->port_override
                                           : cfg_text(config, "port", t_port, sizeof(t_port));
    const char *user = cfg_text(config, "user|username", t_user, sizeof(t_user));
    const char *dbname = cfg_text(config, "dbname|database", t_db, sizeof(t_db));
    const char *password =
        opts->password ? opts->password : cfg_text(config, "password", t_pw, sizeof(t_pw));
    const char *sslmode = cfg_text(config, "sslmode", t_ssl, sizeof(t_ssl));
    const cJSON *ssl = cJSON_GetObjectItemCaseSensitive(config, "ssl");
    if (!sslmode && ssl && ju_is_true(ssl))
        sslmode = "require";
    const char *timeout = cfg_text(config, "connect_timeout", t_timeout, sizeof(t_timeout));
    if (!timeout)
        timeout = "10";
    const char *appname = ju_string(config, "application_name", opts->application_name);

    const char *keys[24];
    const char *vals[24];
    int k = 0;
#define ADD(key, val)                                                                              \
    do {                                                                                           \
        if ((val) && *(val)) {                                                                     \
            keys[k] = (key);                                                                       \
            vals[k] = (val);                                                                       \
            k++;                                                                                   \
        }                                                                                          \
    } while (0)
    ADD("host", host);
    ADD("port", port);
    ADD("user", user);
    ADD("password", password);
    ADD("dbname", dbname);
    ADD("sslmode", sslmode);
    const char *rootcert = pem_or_path(c, 0, ju_string(config, "sslrootcert", NULL), "sslrootcert");
    const char *cert = pem_or_path(c, 1, ju_string(config, "sslcert", NULL), "sslcert");
    const char *key = pem_or_path(c, 2, ju_string(config, "sslkey", NULL), "sslkey");
    ADD("sslrootcert", rootcert);
    ADD("sslcert", cert);
    ADD("sslkey", key);
    ADD("sslpassword", ju_string(config, "sslpassword", NULL));
    ADD("connect_timeout", timeout);
    ADD("application_name", appname);
    /* a network partition must not block a load or a stream forever: TCP keepalives find a
       dead peer in about 90 s (ignored on Unix sockets) */
    ADD("keepalives", "1");
    ADD("keepalives_idle", "30");
    ADD("keepalives_interval", "10");
    ADD("keepalives_count", "6");
    if (opts->replication)
        ADD("replication", "database");
    ADD("client_encoding", "UTF8");
#undef ADD
    keys[k] = NULL;
    vals[k] = NULL;

    char label[512];
    snprintf(label, sizeof(label), "%s:%s/%s", host ? host : "(default host)",
             port ? port : "5432", dbname ? dbname : "(default database)");
    c->label = xstrdup(label);

    int attempts = opts->attempts > 0 ? opts->attempts : 1;
    for (int attempt = 1;; attempt++) {
        c->conn = PQconnectdbParams(keys, vals, 0);
        if (c->conn && PQstatus(c->conn) == CONNECTION_OK)
            break;
        char msg[1024];
        first_line(c->conn ? PQerrorMessage(c->conn) : "out of memory", msg, sizeof(msg));
        bool retry = attempt < attempts && transient_failure(msg);
        if (!retry) {
            log_error("cannot connect to PostgreSQL at %s as %s: %s", c->label,
                      user ? user : "(default user)", msg);
            pgc_destroy(c);
            return NULL;
        }
        log_warn("cannot connect to PostgreSQL at %s (attempt %d of %d): %s; retrying", c->label,
                 attempt, attempts, msg);
        PQfinish(c->conn);
        c->conn = NULL;
        struct timespec ts = {attempt, 0};
        nanosleep(&ts, NULL);
    }
    return c;
}

void pgc_destroy(pg_conn *c)
{
    if (!c)
        return;
    if (c->conn)
        PQfinish(c->conn);
    for (int i = 0; i < 3; i++) {
        if (c->tmp_files[i]) {
            unlink(c->tmp_files[i]);
            free(c->tmp_files[i]);
        }
    }
    free(c->label);
    free(c);
}

static void keep_error(pg_conn *c, const PGresult *res)
{
    const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    snprintf(c->sqlstate, sizeof(c->sqlstate), "%s", st ? st : "");
}

static void log_failure(pg_conn *c, const char *sql, const PGresult *res)
{
    char msg[1024];
    first_line(res ? PQresultErrorMessage(res) : PQerrorMessage(c->conn), msg, sizeof(msg));
    if (!*msg)
        first_line(PQerrorMessage(c->conn), msg, sizeof(msg));
    const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
    const char *hint = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_HINT) : NULL;
    log_error("query failed on %s%s%s: %s%s%s%s%s (query: %.200s)", c->label,
              c->sqlstate[0] ? " with SQLSTATE " : "", c->sqlstate, msg,
              detail ? "; detail: " : "", detail ? detail : "", hint ? "; hint: " : "",
              hint ? hint : "", sql);
}

static PGresult *run_query(pg_conn *c, const char *sql, int nparams, const char *const *params,
                           bool log)
{
    c->sqlstate[0] = '\0';
    PGresult *res = nparams > 0 ? PQexecParams(c->conn, sql, nparams, NULL, params, NULL, NULL, 0)
                                : PQexec(c->conn, sql);
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
        return res;
    keep_error(c, res);
    if (!c->sqlstate[0] && PQstatus(c->conn) == CONNECTION_BAD)
        snprintf(c->sqlstate, sizeof(c->sqlstate), "08006");
    if (log)
        log_failure(c, sql, res);
    PQclear(res);
    return NULL;
}

PGresult *pgc_query_quiet(pg_conn *c, const char *sql, int nparams, const char *const *params)
{
    return run_query(c, sql, nparams, params, false);
}

PGresult *pgc_query(pg_conn *c, const char *sql, int nparams, const char *const *params)
{
    return run_query(c, sql, nparams, params, true);
}

bool pgc_exec(pg_conn *c, const char *sql)
{
    PGresult *res = pgc_query(c, sql, 0, NULL);
    if (!res)
        return false;
    PQclear(res);
    return true;
}

const char *pgc_error(const pg_conn *c)
{
    return PQerrorMessage(c->conn);
}

const char *pgc_sqlstate(const pg_conn *c)
{
    return c->sqlstate;
}

int pgc_server_version(const pg_conn *c)
{
    return PQserverVersion(c->conn);
}

void pg_quote_ident(buf *out, const char *s)
{
    buf_putc(out, '"');
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            buf_putc(out, '"');
        buf_putc(out, *p);
    }
    buf_putc(out, '"');
}

void pg_quote_literal(buf *out, const char *s)
{
    if (strchr(s, '\\'))
        buf_putc(out, 'E');
    buf_putc(out, '\'');
    for (const char *p = s; *p; p++) {
        if (*p == '\'' || *p == '\\')
            buf_putc(out, *p);
        buf_putc(out, *p);
    }
    buf_putc(out, '\'');
}

void pg_array_elem(buf *out, const char *v, bool first)
{
    if (!first)
        buf_putc(out, ',');
    buf_putc(out, '"');
    for (const char *p = v; *p; p++) {
        if (*p == '"' || *p == '\\')
            buf_putc(out, '\\');
        buf_putc(out, *p);
    }
    buf_putc(out, '"');
}
