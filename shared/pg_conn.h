/*
 * pg_conn: the libpq wrapper shared by the tap and the target.
 *
 * Connection parameters come from the program's config (host, port, user,
 * password, dbname|database, ssl, sslmode, sslrootcert, sslcert, sslkey,
 * sslpassword, connect_timeout, application_name). TLS files may be given as
 * paths or as PEM text; PEM text is written to private temporary files that
 * live as long as the connection.
 *
 * Errors are logged once here, with the server's message and SQLSTATE; the
 * caller only learns success or failure (and can read pgc_sqlstate()).
 * Passwords never reach a log line.
 */
#ifndef SINGER_PG_CONN_H
#define SINGER_PG_CONN_H

#include <cjson/cJSON.h>
#include <libpq-fe.h>
#include <stdbool.h>

#include "buf.h"

typedef struct pgc_options {
    const char *host_override; /* e.g. secondary_host; NULL to use config "host" */
    const char *port_override; /* e.g. secondary_port */
    const char *password;      /* resolved password (from a secret); NULL: config "password" */
    const char *application_name; /* default when the config has none */
    bool replication;          /* open a replication=database connection */
    int attempts;              /* connection attempts for transient failures (>= 1) */
} pgc_options;

typedef struct pg_conn {
    PGconn *conn;         /* owned */
    char sqlstate[6];     /* of the last failed command, "" when none */
    char *tmp_files[3];   /* malloc'ed paths of PEM temp files, unlinked on destroy */
    char *label;          /* malloc'ed "host:port/dbname" for messages */
} pg_conn;

/*
 * pgc_connect: connect with the config's parameters. Returns a connection the
 * caller destroys, or NULL after logging why (host, port and database named,
 * never the password). Transient failures (refused, unreachable, timeout) are
 * retried with backoff up to opts->attempts times; authentication failures not.
 */
pg_conn *pgc_connect(const cJSON *config, const pgc_options *opts);
/* pgc_destroy: close and free; NULL is fine. */
void pgc_destroy(pg_conn *c);

/* pgc_exec: run a command (or several separated by ';'); false after logging. */
bool pgc_exec(pg_conn *c, const char *sql);
/*
 * pgc_query: run sql with text parameters; returns the result (caller
 * PQclear's) when it is TUPLES_OK or COMMAND_OK, else NULL after logging.
 */
PGresult *pgc_query(pg_conn *c, const char *sql, int nparams, const char *const *params);
/* pgc_query_quiet: as pgc_query but does not log failures (check pgc_sqlstate / pgc_error). */
PGresult *pgc_query_quiet(pg_conn *c, const char *sql, int nparams, const char *const *params);
/* pgc_error: the last error message of the connection (libpq's text, borrowed). */
const char *pgc_error(const pg_conn *c);
/* pgc_sqlstate: SQLSTATE of the last failure, "" if none. */
const char *pgc_sqlstate(const pg_conn *c);
/* pgc_server_version: e.g. 150020. */
int pgc_server_version(const pg_conn *c);

/* pg_quote_ident: append s as a double-quoted identifier (internal quotes doubled). */
void pg_quote_ident(buf *out, const char *s);
/* pg_quote_literal: append s as a single-quoted literal (E'' when it holds a backslash). */
void pg_quote_literal(buf *out, const char *s);

/*
 * pg_array_elem: append v as a double-quoted element of a PostgreSQL array literal being built
 * in out ("{...}"), with a comma before it unless first. The literal is then passed as a
 * parameter (text[]), never spliced into SQL.
 */
void pg_array_elem(buf *out, const char *v, bool first);

#endif
