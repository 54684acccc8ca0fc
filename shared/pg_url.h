/*
 * pg_url: the SQLAlchemy connection URL of the MeltanoLabs tap and target
 * ("sqlalchemy_url"), read into libpq connection parameters.
 *
 *     postgresql[+driver]://[user[:password]@][host|[ipv6]][:port][/database][?k=v&...]
 *
 * As SQLAlchemy reads it: the user ends at the first ':' or '@', the password
 * at the next '@' (so an '@' in a password must be written %40); user,
 * password, host, database and query values are percent-decoded ('+' is a
 * space in query values only). Every part may be missing: libpq's defaults
 * apply. Query parameters are passed to libpq as keywords, but only the ones
 * known to be safe (TLS, timeouts, host lists, application_name ...) and
 * known to the linked libpq; any other is an error naming it. Error texts
 * never hold any part of the URL (a misplaced '@' would put a piece of the
 * password into it).
 */
#ifndef SINGER_PG_URL_H
#define SINGER_PG_URL_H

#include <stdbool.h>
#include <stddef.h>

#define PG_URL_MAX_PARAMS 24

typedef struct pg_url {
    char *host;     /* malloc'ed; NULL when the URL has none (libpq's default) */
    char *port;     /* malloc'ed digits; NULL when none */
    char *user;     /* malloc'ed; NULL when none */
    char *password; /* malloc'ed; NULL when none */
    char *dbname;   /* malloc'ed; NULL when none */
    size_t nparams;
    char *keys[PG_URL_MAX_PARAMS]; /* malloc'ed libpq keywords of the query, in order */
    char *vals[PG_URL_MAX_PARAMS]; /* malloc'ed decoded values */
} pg_url;

/*
 * pg_url_parse: read url into out (zeroed first; pg_url_term frees it, also
 * after a failure). False with the reason in err (no part of the URL in it).
 */
bool pg_url_parse(const char *url, pg_url *out, char *err, size_t errlen);
/* pg_url_term: free what pg_url_parse allocated; a zeroed pg_url is fine. */
void pg_url_term(pg_url *u);

#endif
