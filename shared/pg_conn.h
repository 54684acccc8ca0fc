/*
 * pg_conn: the libpq wrapper shared by the tap and the target.
 *
 * Connection parameters come from the program's config (host, port, user,
 * password, dbname|database, ssl, sslmode, sslrootcert, sslcert, sslkey,
 * sslpassword, connect_timeout, application_name), or from the MeltanoLabs
 * settings: sqlalchemy_url (see pg_url.h; it replaces host, port, user,
 * password and database, and its query parameters win over every other TLS
 * setting), ssl_enable with ssl_mode (default verify-full) and
 * ssl_certificate_authority, ssl_client_certificate_enable with
 * ssl_client_certificate and ssl_client_private_key. libpq's own names win
 * over the MeltanoLabs ones (pg_conn_config_check refuses the two disagreeing).
 * TLS files may be given as paths or as PEM text; PEM text is written to
 * private temporary files that live as long as the connection.
 *
 * With ssh_tunnel enabled, every connection goes through the process's one
 * SSH tunnel (ssh_tunnel.h): opened by the first pg_conn_connect that needs it
 * (from any thread), closed at exit (atexit), so that every way out of main
 * disconnects politely. libpq then gets hostaddr=127.0.0.1 and the tunnel's
 * local port, while host keeps the database's name (TLS verify-full, .pgpass).
 *
 * Errors are logged once here, with the server's message and SQLSTATE; the
 * caller only learns success or failure (and can read pg_conn_sqlstate()).
 * Passwords never reach a log line.
 */
#ifndef SINGER_PG_CONN_H
#define SINGER_PG_CONN_H

#include <cjson/cJSON.h>
#include <libpq-fe.h>
#include <stdbool.h>

#include "buf.h"
#include "config.h"
#include "rds_iam.h" /* RDS_IAM_CONFIG_KEYS */

/*
 * PGC_MELTANO_CONFIG_KEYS: the connection settings of the MeltanoLabs tap and target, one block
 * for both programs' key tables (their meaning is pg_conn_connect's and pg_conn_config_check's).
 */
/* clang-format off */
#define PGC_MELTANO_CONFIG_KEYS                                                                    \
    {"sqlalchemy_url", CFG_STRING, false, NULL, true,                                              \
     "MeltanoLabs: postgresql[+driver]://user:password@host:port/database?libpq-keyword=value; "   \
     "replaces host, port, user, password and database; its query parameters win over the TLS "    \
     "keys"},                                                                                      \
        {"dialect+driver", CFG_STRING, false, "postgresql+psycopg2", false,                        \
         "MeltanoLabs: accepted when it is postgresql[+driver] (the driver does not matter)"},     \
        {"ssl_enable", CFG_BOOL, false, "false", false,                                            \
         "MeltanoLabs: verify the server: sslmode = ssl_mode, sslrootcert = "                      \
         "ssl_certificate_authority"},                                                             \
        {"ssl_mode", CFG_STRING, false, "verify-full", false,                                      \
         "MeltanoLabs: the sslmode used when ssl_enable is true"},                                 \
        {"ssl_certificate_authority", CFG_STRING, false, "~/.postgresql/root.crt", false,          \
         "MeltanoLabs: CA certificate (path or PEM text) used when ssl_enable is true"},           \
        {"ssl_client_certificate_enable", CFG_BOOL, false, "false", false,                         \
         "MeltanoLabs: send ssl_client_certificate and ssl_client_private_key"},                   \
        {"ssl_client_certificate", CFG_STRING, false, "~/.postgresql/postgresql.crt", false,       \
         "MeltanoLabs: client certificate (path or PEM text)"},                                    \
        {"ssl_client_private_key", CFG_STRING, false, "~/.postgresql/postgresql.key", true,        \
         "MeltanoLabs: client key (path or PEM text)"},                                            \
        {"ssl_storage_directory", CFG_STRING, false, NULL, false,                                  \
         "MeltanoLabs: accepted; PEM text is written to private temporary files instead"},         \
        {"ssh_tunnel", CFG_OBJECT, false, NULL, true,                                              \
         "MeltanoLabs: {enable, host, port, username, private_key, private_key_password}: every "  \
         "connection goes through the SSH bastion; ours: host_key, known_hosts, host_key_check"}
/* clang-format on */

/*
 * PGC_SESSION_CONFIG_KEYS: the session and network-fault settings of both programs (README
 * "Faults and recovery"): server timeouts our sessions override, TCP keepalives and
 * tcp_user_timeout in the conninfo, and read_timeout, our own bound on a silent server.
 */
/* clang-format off */
#define PGC_SESSION_CONFIG_KEYS                                                                    \
    {"statement_timeout", CFG_INT, false, "0", false,                                              \
     "statement_timeout of our sessions (ms; 0: none, so long copies are not cancelled; -1: keep " \
     "the role's or server's)"},                                                                   \
        {"idle_in_transaction_session_timeout", CFG_INT, false, "0", false,                        \
         "idle_in_transaction_session_timeout of our sessions (ms; 0: none; -1: keep the role's "  \
         "or server's)"},                                                                          \
        {"keepalives_idle", CFG_INT, false, "30", false,                                           \
         "seconds of silence before the first TCP keepalive probe"},                               \
        {"keepalives_interval", CFG_INT, false, "10", false,                                       \
         "seconds between TCP keepalive probes"},                                                  \
        {"keepalives_count", CFG_INT, false, "6", false,                                           \
         "unanswered TCP keepalive probes before the connection is dead"},                         \
        {"tcp_user_timeout", CFG_INT, false, "60000", false,                                       \
         "ms that sent data may stay unacknowledged before the connection is dead (0: the "        \
         "system's)"},                                                                             \
        {"read_timeout", CFG_INT, false, "60", false,                                              \
         "seconds without a byte from the server before we check the connection: a query's "      \
         "session is looked up from a second connection, a replication stream asks for a "        \
         "keepalive and ends when none comes (0: wait forever)"}
/* clang-format on */

typedef struct pg_conn_options {
    const char *host_override;    /* e.g. secondary_host; NULL to use config "host" */
    const char *port_override;    /* e.g. secondary_port */
    const char *password;         /* resolved password (from a secret); NULL: config "password" */
    const char *application_name; /* default when the config has none */
    bool replication;             /* open a replication=database connection */
    int attempts;                 /* connection attempts for transient failures (>= 1) */
    bool *unreachable;            /* optional: set on failure to whether it was transient */
} pg_conn_options;

typedef struct pg_conn {
    PGconn *conn;         /* owned */
    char sqlstate[6];     /* of the last failed command, "" when none */
    char *tmp_files[3];   /* malloc'ed paths of PEM temp files, unlinked on destroy */
    char *paths[3];       /* malloc'ed "~/..." TLS paths with the home folder put in */
    char *label;          /* malloc'ed "host:port/dbname" for messages */
    const cJSON *config;  /* borrowed: the config connected with (outlives the connection) */
    pg_conn_options opts; /* as given to pg_conn_connect (its strings borrowed likewise) */
    int read_timeout_s;   /* read_timeout: 0 waits forever */
    bool is_probe;        /* a connection of pgc's own to check another: never probed itself */
    bool gave_up;         /* closed by us after read_timeout (frozen or dead); false again after
                             pg_conn_reconnect */
} pg_conn;

/*
 * pg_conn_connect: connect with the config's parameters. Returns a connection the
 * caller destroys, or NULL after logging why (host, port and database named,
 * never the password). Transient failures (refused, unreachable, timeout) are
 * retried with backoff up to opts->attempts times; authentication failures not.
 */
pg_conn *pg_conn_connect(const cJSON *config, const pg_conn_options *opts);
/*
 * pg_conn_config_check: the connection settings of a config, checked when it is loaded (what names
 * the file in messages): sqlalchemy_url parsed, ssl_mode known, libpq-named and MeltanoLabs TLS
 * keys not contradicting each other, ssh_tunnel complete (ssh_tunnel_config_check), dialect+driver
 * postgresql. False after logging one line naming the key. dbname_out (may be NULL) receives the
 * URL's database (malloc'ed, the caller frees; NULL when there is no URL or it names none).
 */
bool pg_conn_config_check(const cJSON *config, const char *what, char **dbname_out);
/*
 * pg_conn_reconnect: after a lost connection, connect again with the same parameters (PQreset;
 * session settings made with SET are gone, the startup options stay). False after logging a
 * warning; *transient (may be NULL) says whether trying again later may help (refused,
 * unreachable, timeout, starting up) or not (authentication, a missing database ...).
 */
bool pg_conn_reconnect(pg_conn *c, bool *transient);
/* pg_conn_destroy: close and free; NULL is fine. */
void pg_conn_destroy(pg_conn *c);

/* pg_conn_exec: run a command (or several separated by ';'); false after logging. */
bool pg_conn_exec(pg_conn *c, const char *sql);
/*
 * pg_conn_query: run sql with text parameters; returns the result (caller
 * PQclear's) when it is TUPLES_OK or COMMAND_OK, else NULL after logging.
 */
PGresult *pg_conn_query(pg_conn *c, const char *sql, int nparams, const char *const *params);
/* pg_conn_query_quiet: as pg_conn_query but does not log failures (check pg_conn_sqlstate /
 * pg_conn_error). */
PGresult *pg_conn_query_quiet(pg_conn *c, const char *sql, int nparams, const char *const *params);
/*
 * pg_conn_exec_raw, pg_conn_get_result, pg_conn_get_copy_data: PQexec, PQgetResult and
 * PQgetCopyData(conn, buf, 0) with read_timeout: while the server sends nothing for
 * read_timeout seconds, a second connection looks the session up in pg_stat_activity; a
 * session still working goes on waiting, one that is gone, idle or waiting on the network (or
 * a server that cannot be reached) is logged once, here, as a frozen or dead connection, and
 * the connection is shut down so the call returns libpq's own failure. Results and rows
 * belong to the caller, as libpq's.
 */
PGresult *pg_conn_exec_raw(pg_conn *c, const char *sql);
/* pg_conn_exec_params_raw: PQexecParams (text parameters, text results) likewise. */
PGresult *pg_conn_exec_params_raw(pg_conn *c, const char *sql, int nparams,
                                  const char *const *params);
PGresult *pg_conn_get_result(pg_conn *c);
int pg_conn_get_copy_data(pg_conn *c, char **row);
/*
 * pg_conn_put_copy_data: data[0..len) to a COPY FROM STDIN under way (in pieces of at most
 * 1 MB, as PQputCopyData takes an int). False when libpq could not send it (the connection
 * failed: pg_conn_copy_end's result says why). Not logged.
 */
bool pg_conn_put_copy_data(pg_conn *c, const char *data, size_t len);
/*
 * pg_conn_copy_end: end the COPY FROM STDIN (sent false: abort it, nothing is loaded) and
 * return its result, the caller's to PQclear and to report (COMMAND_OK when the rows are in);
 * the SQLSTATE of a failure is kept (pg_conn_sqlstate), the results after it are drained.
 */
PGresult *pg_conn_copy_end(pg_conn *c, bool sent);
/*
 * pg_conn_wait_readable: wait until the socket is readable and consume input, checking the
 * connection as above after read_timeout; false when it was found dead (logged) or libpq
 * failed (not logged: the next libpq call reports it).
 */
bool pg_conn_wait_readable(pg_conn *c);

/* pg_conn_error: the last error message of the connection (libpq's text, borrowed). */
const char *pg_conn_error(const pg_conn *c);
/* pg_conn_sqlstate: SQLSTATE of the last failure, "" if none. */
const char *pg_conn_sqlstate(const pg_conn *c);
/* pg_conn_server_version: e.g. 150020. */
int pg_conn_server_version(const pg_conn *c);

/* pg_conn_quote_ident: append s as a double-quoted identifier (internal quotes doubled). */
void pg_conn_quote_ident(buf *out, const char *s);
/* pg_conn_quote_literal: append s as a single-quoted literal (E'' when it holds a backslash). */
void pg_conn_quote_literal(buf *out, const char *s);

/*
 * pg_conn_array_elem: append v as a double-quoted element of a PostgreSQL array literal being built
 * in out ("{...}"), with a comma before it unless first. The literal is then passed as a
 * parameter (text[]), never spliced into SQL.
 */
void pg_conn_array_elem(buf *out, const char *v, bool first);

/* pg_conn_first_line: the first line of a libpq message (NULL: empty), trailing blanks cut,
   into out[0..n). */
void pg_conn_first_line(const char *msg, char *out, size_t n);

#endif
