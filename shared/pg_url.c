#include "pg_url.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * The query parameters passed on to libpq. Left out on purpose: "replication" and
 * "client_encoding" (the programs set them; client_encoding=utf8 is accepted as a no-op),
 * "options" (it sets any server setting for the session, which may change what is read or
 * loaded: set such settings on the role instead), "requiressl" (deprecated).
 */
static const char *const safe_keywords[] = {
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "passfile",
    "service",
    "connect_timeout",
    "application_name",
    "fallback_application_name",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "tcp_user_timeout",
    "target_session_attrs",
    "load_balance_hosts",
    "sslmode",
    "sslnegotiation",
    "sslcompression",
    "sslcert",
    "sslkey",
    "sslpassword",
    "sslcertmode",
    "sslrootcert",
    "sslcrl",
    "sslcrldir",
    "sslsni",
    "ssl_min_protocol_version",
    "ssl_max_protocol_version",
    "channel_binding",
    "require_auth",
    "requirepeer",
    "gssencmode",
    "krbsrvname",
    "gsslib",
    "gssdelegation",
};

static bool is_safe(const char *k)
{
    for (size_t i = 0; i < sizeof(safe_keywords) / sizeof(safe_keywords[0]); i++)
        if (strcmp(safe_keywords[i], k) == 0)
            return true;
    return false;
}

/* whether the linked libpq knows keyword k (a newer keyword fails on an older libpq) */
static bool libpq_knows(const char *k)
{
    PQconninfoOption *opts = PQconndefaults();
    bool found = false;
    for (PQconninfoOption *o = opts; o && o->keyword && !found; o++)
        found = strcmp(o->keyword, k) == 0;
    PQconninfoFree(opts);
    return found || !opts;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* percent-decode s[0..n) into a new string; NULL on bad encoding (*bad set) or no memory */
static char *decode(const char *s, size_t n, bool plus_is_space, bool *bad)
{
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            int hi = i + 1 < n ? hexval(s[i + 1]) : -1;
            int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
            /* %00 would cut the value short in libpq: refused like a bad escape */
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                *bad = true;
                free(out);
                return NULL;
            }
            out[k++] = (char)(hi * 16 + lo);
            i += 2;
        } else if (plus_is_space && s[i] == '+') {
            out[k++] = ' ';
        } else {
            out[k++] = s[i];
        }
    }
    out[k] = '\0';
    return out;
}

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        snprintf(err, errlen, __VA_ARGS__);                                                        \
        return false;                                                                              \
    } while (0)

/* decode s[0..n) into *out; false with err set */
static bool part(char **out, const char *s, size_t n, bool plus_is_space, const char *what,
                 char *err, size_t errlen)
{
    bool bad = false;
    *out = decode(s, n, plus_is_space, &bad);
    if (*out)
        return true;
    if (bad)
        FAIL("the %s holds a bad percent-encoding (a '%%' not followed by two hex digits, or %%00)",
             what);
    FAIL("out of memory");
}

static bool parse_query(const char *q, pg_url *out, char *err, size_t errlen)
{
    while (*q) {
        size_t n = strcspn(q, "&");
        if (n > 0) {
            const char *eq = memchr(q, '=', n);
            if (!eq)
                FAIL("a query parameter has no '=' (write key=value)");
            char *k = NULL, *v = NULL;
            if (!part(&k, q, (size_t)(eq - q), true, "name of a query parameter", err, errlen))
                return false;
            if (!part(&v, eq + 1, n - (size_t)(eq - q) - 1, true, "value of a query parameter", err,
                      errlen)) {
                free(k);
                return false;
            }
            bool ok = false;
            if (strcmp(k, "client_encoding") == 0) {
                /* the programs speak UTF8 whatever is asked; utf8 itself is fine */
                if (strcasecmp(v, "utf8") == 0 || strcasecmp(v, "utf-8") == 0) {
                    free(k);
                    free(v);
                    q += n;
                    if (*q)
                        q++;
                    continue;
                }
                snprintf(err, errlen,
                         "query parameter \"client_encoding\" must be utf8 (both "
                         "programs always read and write UTF-8)");
            } else if (!is_safe(k)) {
                snprintf(err, errlen,
                         "query parameter \"%.60s\" is not supported (accepted: libpq's TLS, "
                         "host, port, timeout, keepalive, application_name and authentication "
                         "keywords%s)",
                         k,
                         strcmp(k, "options") == 0
                             ? "; \"options\" sets server settings: set them on the role with "
                               "ALTER ROLE ... SET instead"
                             : "");
            } else if (!libpq_knows(k)) {
                snprintf(err, errlen,
                         "query parameter \"%.60s\" is not known to this libpq (version %d)", k,
                         PQlibVersion());
            } else if (out->nparams >= PG_URL_MAX_PARAMS) {
                snprintf(err, errlen, "more than %d query parameters", PG_URL_MAX_PARAMS);
            } else {
                for (size_t i = 0; i < out->nparams; i++)
                    if (strcmp(out->keys[i], k) == 0) {
                        snprintf(err, errlen, "query parameter \"%.60s\" is given twice", k);
                        goto bad;
                    }
                out->keys[out->nparams] = k;
                out->vals[out->nparams] = v;
                out->nparams++;
                ok = true;
            }
        bad:
            if (!ok) {
                free(k);
                free(v);
                return false;
            }
        }
        q += n;
        if (*q)
            q++;
    }
    return true;
}

bool pg_url_parse(const char *url, pg_url *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (!url || !*url)
        FAIL("is empty");
    /* the scheme: postgresql or postgres, with any +driver (psycopg2, psycopg, pg8000 ...) */
    const char *sep = strstr(url, "://");
    if (!sep)
        FAIL("must look like postgresql://user:password@host:port/database");
    size_t slen = (size_t)(sep - url);
    size_t dlen = strcspn(url, "+");
    if (dlen > slen)
        dlen = slen;
    if (!((dlen == 10 && strncasecmp(url, "postgresql", 10) == 0) ||
          (dlen == 8 && strncasecmp(url, "postgres", 8) == 0)))
        FAIL("must start with postgresql:// or postgresql+<driver>:// (another database's URL?)");
    for (const char *p = url; p < sep; p++)
        if (!(*p == '+' || *p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9')))
            FAIL("has a bad character in its scheme (before ://)");
    const char *r = sep + 3;

    /* user[:password]@ as SQLAlchemy reads it: the user ends at ':' or '@' (never past a '/'),
       the password at the next '@' */
    size_t ulen = strcspn(r, ":/@");
    if (r[ulen] == '@' || r[ulen] == ':') {
        const char *at = r[ulen] == '@' ? r + ulen : strchr(r + ulen + 1, '@');
        if (at) {
            if (!part(&out->user, r, ulen, false, "user name", err, errlen))
                return false;
            if (r[ulen] == ':' && !part(&out->password, r + ulen + 1, (size_t)(at - r - ulen - 1),
                                        false, "password", err, errlen))
                return false;
            r = at + 1;
        }
    }

    /* host: a name, an IPv4 address or [IPv6] */
    size_t hlen;
    if (*r == '[') {
        const char *close = strchr(r, ']');
        size_t stop = strcspn(r, "/?");
        if (!close || (size_t)(close - r) > stop)
            FAIL("has a '[' without its ']' (an IPv6 address is written [::1])");
        if (close == r + 1)
            FAIL("has an empty IPv6 address ([])");
        if (!part(&out->host, r + 1, (size_t)(close - r - 1), false, "host", err, errlen))
            return false;
        hlen = (size_t)(close - r) + 1;
        if (r[hlen] != '\0' && r[hlen] != ':' && r[hlen] != '/' && r[hlen] != '?')
            FAIL("has text right after the IPv6 address's ']'");
    } else {
        hlen = strcspn(r, ":/?");
        if (hlen && !part(&out->host, r, hlen, false, "host", err, errlen))
            return false;
        if (out->host && strchr(out->host, '@'))
            FAIL("has an '@' after the user name and password: percent-encode an '@' in the "
                 "password as %%40");
    }
    r += hlen;
    if (*r == ':') {
        r++;
        size_t plen = strcspn(r, "/?");
        if (plen) {
            long port = 0;
            for (size_t i = 0; i < plen; i++) {
                if (r[i] < '0' || r[i] > '9' || port > 65535)
                    FAIL("has a port that is not a number from 1 to 65535 (a ':' or '@' of the "
                         "password not percent-encoded?)");
                port = port * 10 + (r[i] - '0');
            }
            if (port < 1 || port > 65535)
                FAIL("has a port that is not a number from 1 to 65535");
            char digits[8];
            snprintf(digits, sizeof(digits), "%ld", port);
            out->port = strdup(digits);
            if (!out->port)
                FAIL("out of memory");
        }
        r += plen;
    }
    if (*r == '/') {
        r++;
        size_t dblen = strcspn(r, "?");
        if (dblen && !part(&out->dbname, r, dblen, false, "database name", err, errlen))
            return false;
        r += dblen;
    }
    if (*r == '?')
        return parse_query(r + 1, out, err, errlen);
    if (*r)
        FAIL("has unexpected text after the host");
    return true;
}

void pg_url_term(pg_url *u)
{
    if (!u)
        return;
    free(u->host);
    free(u->port);
    free(u->user);
    free(u->password);
    free(u->dbname);
    for (size_t i = 0; i < u->nparams; i++) {
        free(u->keys[i]);
        free(u->vals[i]);
    }
    memset(u, 0, sizeof(*u));
}
