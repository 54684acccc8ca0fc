#include "pg_conn.h"

#include "config.h"
#include "json_util.h"
#include "log.h"
#include "pg_url.h"
#include "rds_iam.h"
#include "ssh_tunnel.h"
#include "wipe.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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

/* PEM text goes to a private temp file; a path is used as it is ("~/" is the home folder,
   as the MeltanoLabs defaults write it: libpq itself does not expand it) */
static const char *pem_or_path(pg_conn *c, int slot, const char *value, const char *key)
{
    const char *v = value;
    while (v && (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r'))
        v++;
    if (v && strncmp(v, "-----BEGIN", 10) == 0)
        value = v;
    else if (value && value[0] == '~' && value[1] == '/') {
        const char *home = getenv("HOME");
        char path[4096];
        int n = snprintf(path, sizeof(path), "%s%s", home ? home : "", value + 1);
        if (!home || n < 0 || (size_t)n >= sizeof(path))
            return value;
        c->paths[slot] = strdup(path);
        return c->paths[slot] ? c->paths[slot] : value;
    }
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
    c->tmp_files[slot] = strdup(path);
    return c->tmp_files[slot];
}

static bool transient_failure(const char *msg)
{
    static const char *const transient[] = {
        "Connection refused",
        "timeout expired",
        "the database system is starting up",
        "No route to host",
        "Network is unreachable",
        "server closed the connection unexpectedly",
        "not yet accepting connections",
        "the database system is shutting down",
        "the database system is in recovery mode",
    };
    for (size_t i = 0; i < sizeof(transient) / sizeof(transient[0]); i++)
        if (strstr(msg, transient[i]))
            return true;
    return false;
}

/* first line of a libpq message, without the trailing newline */
void pg_conn_first_line(const char *msg, char *out, size_t n)
{
    if (!msg)
        msg = "";
    size_t len = strcspn(msg, "\n");
    while (len > 0 && (msg[len - 1] == ' ' || msg[len - 1] == '\r'))
        len--;
    snprintf(out, n, "%.*s", (int)len, msg);
}

/* connect_error: the line of libpq's connection failure that tells why. A host name with several
   addresses ("localhost": ::1, then 127.0.0.1) gives one "connection to server at ..." line per
   address tried; the last one is the attempt that decided (an earlier "Connection refused" on
   an address the server does not listen on would hide a certificate failure) */
static void connect_error(const char *msg, char *out, size_t n)
{
    const char *last = msg;
    for (const char *p = msg; (p = strstr(p, "\nconnection to server")) != NULL; p++)
        last = p + 1;
    pg_conn_first_line(last, out, n);
}

/* the TLS keywords of the config: libpq's own names (pipelinewise) first, then the MeltanoLabs
   settings, which take effect only when their switch (ssl_enable,
   ssl_client_certificate_enable) is on, as in MeltanoLabs */
typedef struct tls_params {
    const char *sslmode, *rootcert, *cert, *key;
} tls_params;

static void tls_from_config(const cJSON *config, tls_params *out)
{
    memset(out, 0, sizeof(*out));
    bool ssl_enable = json_util_is_true(cJSON_GetObjectItemCaseSensitive(config, "ssl_enable"));
    bool client = json_util_is_true(
        cJSON_GetObjectItemCaseSensitive(config, "ssl_client_certificate_enable"));
    out->sslmode = json_util_string(config, "sslmode", NULL);
    if ((!out->sslmode || !*out->sslmode) && ssl_enable) {
        out->sslmode = json_util_string(config, "ssl_mode", NULL);
        if (!out->sslmode || !*out->sslmode)
            out->sslmode = "verify-full"; /* MeltanoLabs' default */
    }
    const cJSON *ssl = cJSON_GetObjectItemCaseSensitive(config, "ssl");
    if ((!out->sslmode || !*out->sslmode) && ssl && json_util_is_true(ssl))
        out->sslmode = "require";
    out->rootcert = json_util_string(config, "sslrootcert", NULL);
    if ((!out->rootcert || !*out->rootcert) && ssl_enable)
        out->rootcert = json_util_string(config, "ssl_certificate_authority", NULL);
    out->cert = json_util_string(config, "sslcert", NULL);
    if ((!out->cert || !*out->cert) && client)
        out->cert = json_util_string(config, "ssl_client_certificate", NULL);
    out->key = json_util_string(config, "sslkey", NULL);
    if ((!out->key || !*out->key) && client)
        out->key = json_util_string(config, "ssl_client_private_key", NULL);
}

/* an integer setting of the config as conninfo text (tmp holds 32 bytes), def when absent */
static const char *int_setting(const cJSON *config, const char *key, long long def, char *tmp)
{
    snprintf(tmp, 32, "%lld", json_util_int(config, key, def));
    return tmp;
}

/* "-c statement_timeout=0 -c idle_in_transaction_session_timeout=0", each unless set to -1 */
static void session_options(const cJSON *config, char *out, size_t n)
{
    static const char *const keys[] = {"statement_timeout", "idle_in_transaction_session_timeout"};
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < 2; i++) {
        long long v = json_util_int(config, keys[i], 0);
        if (v < 0)
            continue;
        int w = snprintf(out + len, n - len, "%s-c %s=%lld", len ? " " : "", keys[i], v);
        if (w < 0 || (size_t)w >= n - len)
            break;
        len += (size_t)w;
    }
}

/* the server's notices and asynchronous errors (a FATAL on an idle connection: a restart, a
   terminated backend) as log lines instead of libpq's bare stderr lines */
static void notice_to_log(void *arg, const char *msg)
{
    const pg_conn *c = arg;
    int len = (int)strcspn(msg, "\n");
    if (strncmp(msg, "FATAL", 5) == 0 || strncmp(msg, "WARNING", 7) == 0 ||
        strncmp(msg, "PANIC", 5) == 0)
        log_warn("server at %s: %.*s", c->label, len, msg);
    else
        log_info("server at %s: %.*s", c->label, len, msg);
}

/* sqlalchemy_url, when set (an empty string is unset, as in MeltanoLabs) */
static const char *sqlalchemy_url(const cJSON *config)
{
    const char *u = json_util_string(config, "sqlalchemy_url", NULL);
    return u && *u ? u : NULL;
}

/*
 * The process's SSH tunnel (config "ssh_tunnel"): opened by the first connection that needs it
 * and shared by all later ones, from any thread (the target's workers); closed at exit, so every
 * way out of main closes the session politely. A program has one config, so one tunnel.
 */
static pthread_mutex_t tunnel_mu = PTHREAD_MUTEX_INITIALIZER;
static ssh_tunnel *tunnel; /* owned; NULL until opened */
static bool tunnel_failed; /* opening failed (logged): later connections fail at once */

static void tunnel_close_at_exit(void)
{
    pthread_mutex_lock(&tunnel_mu);
    ssh_tunnel *t = tunnel;
    tunnel = NULL;
    pthread_mutex_unlock(&tunnel_mu);
    ssh_tunnel_destroy(t);
}

/* the local port that forwards to host:port through the process's tunnel (opened when it is not
   yet), into out; the tunnel through *t_out. False after logging. */
static bool tunnel_port(const cJSON *config, const pg_conn_options *opts, const char *host,
                        const char *port, char *out, size_t n, ssh_tunnel **t_out)
{
    if (!host || !*host || host[0] == '/' || strchr(host, ',')) {
        log_error("ssh tunnel: the database host must be one host name or address, as the "
                  "bastion sees it (got %s)",
                  host && *host ? host : "none");
        return false;
    }
    long long p = 5432;
    if (port && *port) {
        char *end;
        errno = 0;
        p = strtoll(port, &end, 10);
        if (errno || *end || p < 1 || p > 65535) {
            log_error("ssh tunnel: the database port must be one number, got \"%.20s\"", port);
            return false;
        }
    }
    pthread_mutex_lock(&tunnel_mu);
    if (!tunnel && !tunnel_failed) {
        const char *program = opts->application_name;
        char t_timeout[32];
        const char *timeout = cfg_text(config, "connect_timeout", t_timeout, sizeof(t_timeout));
        tunnel = ssh_tunnel_open(config, timeout ? (int)strtol(timeout, NULL, 10) : 10,
                                 program ? program : "singer");
        if (tunnel)
            atexit(tunnel_close_at_exit);
        else
            tunnel_failed = true;
    } else if (!tunnel) {
        log_error("ssh tunnel: not open (it failed earlier)");
    }
    ssh_tunnel *t = tunnel;
    pthread_mutex_unlock(&tunnel_mu);
    int local = 0;
    if (!t || !ssh_tunnel_forward(t, host, (int)p, &local))
        return false;
    snprintf(out, n, "%d", local);
    *t_out = t;
    return true;
}

pg_conn *pg_conn_connect(const cJSON *config, const pg_conn_options *opts)
{
    pg_conn_options none = {0};
    if (!opts)
        opts = &none;
    pg_conn *c = calloc(1, sizeof(*c));
    if (!c) {
        log_error("out of memory");
        return NULL;
    }
    char t_port[32], t_timeout[32], t_host[32], t_user[32], t_db[32], t_pw[32];
    const char *host, *port, *user, *dbname, *password;
    pg_url url;
    memset(&url, 0, sizeof(url));
    const char *sa = sqlalchemy_url(config);
    if (sa) {
        /* the URL replaces host, port, user, password and database (checked at config time) */
        char err[512];
        if (!pg_url_parse(sa, &url, err, sizeof(err))) {
            log_error("config key \"sqlalchemy_url\" %s", err);
            pg_url_term(&url);
            pg_conn_destroy(c);
            return NULL;
        }
        host = url.host;
        port = url.port;
        user = url.user;
        dbname = url.dbname;
        password = url.password ? url.password : opts->password;
    } else {
        host = cfg_text(config, "host", t_host, sizeof(t_host));
        port = cfg_text(config, "port", t_port, sizeof(t_port));
        user = cfg_text(config, "user|username", t_user, sizeof(t_user));
        dbname = cfg_text(config, "dbname|database", t_db, sizeof(t_db));
        password =
            opts->password ? opts->password : cfg_text(config, "password", t_pw, sizeof(t_pw));
    }
    if (opts->host_override)
        host = opts->host_override;
    if (opts->port_override)
        port = opts->port_override;
    tls_params tls;
    tls_from_config(config, &tls);
    /* aws_iam_auth: a fresh token for every connection; TLS at least "require" (the config
       check refused weaker modes) */
    char *iam_token = NULL;
    if (rds_iam_enabled(config)) {
        if (!rds_iam_password(config, host, port, user, &iam_token)) {
            pg_url_term(&url);
            pg_conn_destroy(c);
            return NULL;
        }
        password = iam_token;
        if (!tls.sslmode || !*tls.sslmode)
            tls.sslmode = "require";
    }
    const char *timeout = cfg_text(config, "connect_timeout", t_timeout, sizeof(t_timeout));
    if (!timeout)
        timeout = "10";
    const char *appname = json_util_string(config, "application_name", opts->application_name);
    /* through the tunnel: libpq connects to 127.0.0.1 (hostaddr) while host keeps the database's
       name, so TLS verify-full still checks it */
    char t_local[16];
    const char *hostaddr = NULL, *db_port = port;
    ssh_tunnel *via = NULL;
    if (ssh_tunnel_enabled(config)) {
        if (!tunnel_port(config, opts, host, port, t_local, sizeof(t_local), &via)) {
            wipe_free_string(iam_token);
            pg_url_term(&url);
            pg_conn_destroy(c);
            return NULL; /* logged */
        }
        hostaddr = "127.0.0.1";
        port = t_local;
    }

    const char *keys[24 + PG_URL_MAX_PARAMS];
    const char *vals[24 + PG_URL_MAX_PARAMS];
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
    ADD("hostaddr", hostaddr);
    ADD("port", port);
    ADD("user", user);
    ADD("password", password);
    ADD("dbname", dbname);
    ADD("sslmode", tls.sslmode);
    const char *rootcert = pem_or_path(c, 0, tls.rootcert, "sslrootcert");
    const char *cert = pem_or_path(c, 1, tls.cert, "sslcert");
    const char *key = pem_or_path(c, 2, tls.key, "sslkey");
    if ((tls.rootcert && !rootcert) || (tls.cert && !cert) || (tls.key && !key)) {
        wipe_free_string(iam_token);
        pg_url_term(&url);
        pg_conn_destroy(c);
        return NULL; /* logged */
    }
    ADD("sslrootcert", rootcert);
    ADD("sslcert", cert);
    ADD("sslkey", key);
    ADD("sslpassword", json_util_string(config, "sslpassword", NULL));
    ADD("connect_timeout", timeout);
    ADD("application_name", appname);
    /* a network partition must not block a load or a stream forever: TCP keepalives find a
       dead peer in about 90 s, tcp_user_timeout data that is never acknowledged (both ignored
       on Unix sockets); a server that is reachable but silent is read_timeout's (pg_wait.c) */
    char t_ka[4][32];
    ADD("keepalives", "1");
    ADD("keepalives_idle", int_setting(config, "keepalives_idle", 30, t_ka[0]));
    ADD("keepalives_interval", int_setting(config, "keepalives_interval", 10, t_ka[1]));
    ADD("keepalives_count", int_setting(config, "keepalives_count", 6, t_ka[2]));
    ADD("tcp_user_timeout", int_setting(config, "tcp_user_timeout", 60000, t_ka[3]));
    /* a role's statement_timeout or idle_in_transaction_session_timeout must not cancel a long
       copy: the startup packet's settings win over ALTER ROLE / ALTER DATABASE ones */
    char t_opt[160];
    session_options(config, t_opt, sizeof(t_opt));
    const char *session_opts = t_opt;
    ADD("options", session_opts);
    /* the URL's query parameters come after: libpq keeps the last value of a keyword, so they
       win over the settings above (sslmode=... in the URL beats ssl_enable's verify-full) */
    for (size_t i = 0; i < url.nparams; i++)
        ADD(url.keys[i], url.vals[i]);
    if (opts->replication)
        ADD("replication", "database");
    ADD("client_encoding", "UTF8");
#undef ADD
    keys[k] = NULL;
    vals[k] = NULL;

    char label[512];
    snprintf(label, sizeof(label), "%s:%s/%s%s%s", host ? host : "(default host)",
             db_port ? db_port : "5432", dbname ? dbname : "(default database)",
             via ? " through the ssh tunnel " : "", via ? ssh_tunnel_label(via) : "");
    c->label = strdup(label);

    c->config = config;
    c->opts = *opts;
    long long rt = json_util_int(config, "read_timeout", 60);
    c->read_timeout_s = rt > 0 && rt < INT32_MAX ? (int)rt : 0;
    int attempts = opts->attempts > 0 ? opts->attempts : 1;
    for (int attempt = 1;; attempt++) {
        c->conn = PQconnectdbParams(keys, vals, 0);
        if (c->conn && PQstatus(c->conn) == CONNECTION_OK)
            break;
        char msg[1024];
        connect_error(c->conn ? PQerrorMessage(c->conn) : "out of memory", msg, sizeof(msg));
        bool retry =
            attempt < attempts && transient_failure(msg) && (!via || ssh_tunnel_alive(via));
        if (!retry && opts->unreachable)
            *opts->unreachable = transient_failure(msg);
        if (!retry) {
            log_error("cannot connect to PostgreSQL at %s as %s: %s", c->label,
                      user ? user : "(default user)", msg);
            wipe_free_string(iam_token);
            pg_url_term(&url);
            pg_conn_destroy(c);
            return NULL;
        }
        log_warn("cannot connect to PostgreSQL at %s (attempt %d of %d): %s; retrying", c->label,
                 attempt, attempts, msg);
        PQfinish(c->conn);
        c->conn = NULL;
        struct timespec ts = {attempt, 0};
        nanosleep(&ts, NULL);
    }
    wipe_free_string(iam_token);
    PQsetNoticeProcessor(c->conn, notice_to_log, c);
    pg_url_term(&url);
    return c;
}

static bool nonempty_text(const cJSON *config, const char *key)
{
    const char *v = json_util_string(config, key, NULL);
    return v && *v;
}

/* key a (libpq's name) and key b (MeltanoLabs', in effect) both set to different values */
static bool disagree(const cJSON *config, const char *a, const char *b, bool b_on, const char *what)
{
    if (!b_on || !nonempty_text(config, a) || !nonempty_text(config, b))
        return false;
    if (strcmp(json_util_string(config, a, ""), json_util_string(config, b, "")) == 0)
        return false;
    log_error("%s: keys \"%s\" and \"%s\" are both set, to different values: keep one", what, a, b);
    return true;
}

/* with ssh_tunnel enabled: one database host, as the bastion sees it (the URL's host part or
   "host"), and no host, hostaddr or port among the URL's query parameters, which would win over
   the tunnel's address */
static bool tunnel_host_check(const cJSON *config, const char *what)
{
    char t_host[32];
    const char *host = cfg_text(config, "host", t_host, sizeof(t_host));
    const char *sa = sqlalchemy_url(config);
    pg_url url;
    memset(&url, 0, sizeof(url));
    char err[512];
    if (sa && pg_url_parse(sa, &url, err, sizeof(err))) {
        host = url.host;
        for (size_t i = 0; i < url.nparams; i++) {
            if (strcmp(url.keys[i], "host") == 0 || strcmp(url.keys[i], "hostaddr") == 0 ||
                strcmp(url.keys[i], "port") == 0) {
                log_error("%s: key \"sqlalchemy_url\" has the query parameter %s, which would "
                          "bypass ssh_tunnel: give the database host and port in the URL's host "
                          "part",
                          what, url.keys[i]);
                pg_url_term(&url);
                return false;
            }
        }
    }
    bool ok = host && *host && host[0] != '/' && !strchr(host, ',');
    if (!ok)
        log_error("%s: key \"ssh_tunnel\": enable is true, so the database host (key \"host\" or "
                  "the host of sqlalchemy_url) must be one host name or address as the bastion "
                  "sees it, e.g. localhost for a database on the bastion itself",
                  what);
    pg_url_term(&url);
    return ok;
}

static bool config_check(const cJSON *config, const char *what, char **dbname_out);

bool pg_conn_config_check(const cJSON *config, const char *what, char **dbname_out)
{
    if (dbname_out)
        *dbname_out = NULL;
    if (config_check(config, what, dbname_out))
        return true;
    /* a check after the URL failed: the caller gets no name to free */
    if (dbname_out) {
        free(*dbname_out);
        *dbname_out = NULL;
    }
    return false;
}

static bool config_check(const cJSON *config, const char *what, char **dbname_out)
{
    static const char *const modes[] = {"disable", "allow",     "prefer",
                                        "require", "verify-ca", "verify-full"};
    const char *sa = sqlalchemy_url(config);
    if (sa) {
        pg_url url;
        char err[512];
        if (!pg_url_parse(sa, &url, err, sizeof(err))) {
            log_error("%s: key \"sqlalchemy_url\" %s", what, err);
            pg_url_term(&url);
            return false;
        }
        if (dbname_out && url.dbname) {
            *dbname_out = url.dbname;
            url.dbname = NULL;
        }
        bool iam_ok = true;
        if (rds_iam_enabled(config) && url.password && *url.password) {
            log_error("%s: keys \"aws_iam_auth\" and \"sqlalchemy_url\" (with a password) are "
                      "both set: the IAM token is the password, keep one",
                      what);
            iam_ok = false;
        }
        for (size_t i = 0; iam_ok && i < url.nparams; i++)
            if (strcmp(url.keys[i], "sslmode") == 0)
                iam_ok =
                    rds_iam_config_check(config, what, url.vals[i], "sqlalchemy_url's sslmode");
        pg_url_term(&url);
        if (!iam_ok)
            return false;
        static const char *const replaced[] = {"host",     "port",   "user",    "username",
                                               "password", "dbname", "database"};
        char list[128] = "";
        for (size_t i = 0; i < sizeof(replaced) / sizeof(replaced[0]); i++)
            if (config_get(config, replaced[i])) {
                size_t n = strlen(list);
                snprintf(list + n, sizeof(list) - n, "%s%s", n ? ", " : "", replaced[i]);
            }
        if (*list)
            log_warn("%s: key \"sqlalchemy_url\" is set, so %s %s ignored (as in MeltanoLabs)",
                     what, list, strchr(list, ',') ? "are" : "is");
    }
    bool ssl_enable = json_util_is_true(cJSON_GetObjectItemCaseSensitive(config, "ssl_enable"));
    bool client = json_util_is_true(
        cJSON_GetObjectItemCaseSensitive(config, "ssl_client_certificate_enable"));
    const char *mode = json_util_string(config, "ssl_mode", NULL);
    if (mode && *mode) {
        bool known = false;
        for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
            known = known || strcmp(modes[i], mode) == 0;
        if (!known) {
            log_error("%s: key \"ssl_mode\" must be disable, allow, prefer, require, verify-ca or "
                      "verify-full, got \"%.40s\"",
                      what, mode);
            return false;
        }
    }
    if (ssl_enable && nonempty_text(config, "sslmode") &&
        strcmp(json_util_string(config, "sslmode", ""), mode && *mode ? mode : "verify-full") !=
            0) {
        log_error("%s: keys \"sslmode\" and \"ssl_enable\" (with ssl_mode %s) ask for different "
                  "TLS modes: keep one",
                  what, mode && *mode ? mode : "verify-full, its default");
        return false;
    }
    if (disagree(config, "sslrootcert", "ssl_certificate_authority", ssl_enable, what) ||
        disagree(config, "sslcert", "ssl_client_certificate", client, what) ||
        disagree(config, "sslkey", "ssl_client_private_key", client, what))
        return false;
    /* MeltanoLabs reads these only under their switch: say so rather than drop them quietly */
    static const char *const server_keys[] = {"ssl_mode", "ssl_certificate_authority"};
    static const char *const client_keys[] = {"ssl_client_certificate", "ssl_client_private_key"};
    for (size_t i = 0; i < 2; i++) {
        if (!ssl_enable && nonempty_text(config, server_keys[i]))
            log_warn("%s: key \"%s\" is ignored: ssl_enable is not true (MeltanoLabs' meaning); "
                     "set ssl_enable to verify the server",
                     what, server_keys[i]);
        if (!client && nonempty_text(config, client_keys[i]))
            log_warn("%s: key \"%s\" is ignored: ssl_client_certificate_enable is not true "
                     "(MeltanoLabs' meaning)",
                     what, client_keys[i]);
    }
    tls_params tls;
    tls_from_config(config, &tls);
    if (!rds_iam_config_check(config, what, tls.sslmode,
                              nonempty_text(config, "sslmode") ? "sslmode"
                              : ssl_enable                     ? "ssl_mode"
                                                               : "sslmode"))
        return false;
    if (!ssh_tunnel_config_check(config, what))
        return false;
    if (ssh_tunnel_enabled(config) && !tunnel_host_check(config, what))
        return false;
    const char *dialect = json_util_string(config, "dialect+driver", NULL);
    if (dialect && *dialect && strncmp(dialect, "postgresql", 10) != 0) {
        log_error("%s: key \"dialect+driver\" must be postgresql or postgresql+<driver>, got "
                  "\"%.40s\"",
                  what, dialect);
        return false;
    }
    return true;
}

bool pg_conn_reconnect(pg_conn *c, bool *transient)
{
    if (c->config && rds_iam_enabled(c->config)) {
        /* a new token: PQreset would send the old one, which expires after 15 minutes */
        pg_conn_options o = c->opts;
        bool unreachable = false;
        o.unreachable = &unreachable;
        pg_conn *n = pg_conn_connect(c->config, &o);
        if (transient)
            *transient = n ? false : unreachable;
        if (!n)
            return false;
        PQfinish(c->conn);
        c->conn = n->conn;
        n->conn = NULL;
        pg_conn_destroy(n);
        PQsetNoticeProcessor(c->conn, notice_to_log, c);
        c->gave_up = false;
        return true;
    }
    PQreset(c->conn);
    if (PQstatus(c->conn) == CONNECTION_OK) {
        c->gave_up = false;
        if (transient)
            *transient = false;
        return true;
    }
    char msg[1024];
    pg_conn_first_line(PQerrorMessage(c->conn), msg, sizeof(msg));
    bool t = transient_failure(msg);
    if (transient)
        *transient = t;
    log_warn("cannot connect to PostgreSQL at %s again: %s", c->label, msg);
    return false;
}

void pg_conn_destroy(pg_conn *c)
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
        free(c->paths[i]);
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
    pg_conn_first_line(res ? PQresultErrorMessage(res) : PQerrorMessage(c->conn), msg, sizeof(msg));
    if (!*msg)
        pg_conn_first_line(PQerrorMessage(c->conn), msg, sizeof(msg));
    const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
    const char *hint = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_HINT) : NULL;
    log_error("query failed on %s%s%s: %s%s%s%s%s (query: %.200s)", c->label,
              c->sqlstate[0] ? " with SQLSTATE " : "", c->sqlstate, msg, detail ? "; detail: " : "",
              detail ? detail : "", hint ? "; hint: " : "", hint ? hint : "", sql);
}

static PGresult *run_query(pg_conn *c, const char *sql, int nparams, const char *const *params,
                           bool log)
{
    c->sqlstate[0] = '\0';
    PGresult *res =
        nparams > 0 ? pg_conn_exec_params_raw(c, sql, nparams, params) : pg_conn_exec_raw(c, sql);
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

PGresult *pg_conn_query_quiet(pg_conn *c, const char *sql, int nparams, const char *const *params)
{
    return run_query(c, sql, nparams, params, false);
}

PGresult *pg_conn_query(pg_conn *c, const char *sql, int nparams, const char *const *params)
{
    return run_query(c, sql, nparams, params, true);
}

bool pg_conn_exec(pg_conn *c, const char *sql)
{
    PGresult *res = pg_conn_query(c, sql, 0, NULL);
    if (!res)
        return false;
    PQclear(res);
    return true;
}

const char *pg_conn_error(const pg_conn *c)
{
    return PQerrorMessage(c->conn);
}

const char *pg_conn_sqlstate(const pg_conn *c)
{
    return c->sqlstate;
}

int pg_conn_server_version(const pg_conn *c)
{
    return PQserverVersion(c->conn);
}

void pg_conn_quote_ident(buf *out, const char *s)
{
    buf_putc(out, '"');
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            buf_putc(out, '"');
        buf_putc(out, *p);
    }
    buf_putc(out, '"');
}

void pg_conn_quote_literal(buf *out, const char *s)
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

void pg_conn_array_elem(buf *out, const char *v, bool first)
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
