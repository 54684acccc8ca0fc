#include "aws_credentials.h"
#include "aws_credentials_int.h"

#include "buf.h"
#include "http_client.h"
#include "json_util.h"
#include "log.h"
#include "timefmt.h"
#include "wipe.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

char *aws_credentials_strndup(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

char *aws_credentials_strdup(const char *s)
{
    return s ? aws_credentials_strndup(s, strlen(s)) : NULL;
}

/* aws_credentials_env: a variable's value, NULL when unset or empty */
const char *aws_credentials_env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

void aws_credentials_term(aws_credentials *c)
{
    if (!c)
        return;
    free(c->access_key);
    wipe_free_string(c->secret_key);
    wipe_free_string(c->token);
    c->access_key = c->secret_key = c->token = NULL;
    c->expires = 0;
    c->source = NULL;
}

/* aws_credentials_set: copies of the three values; false (logged) when out of memory */
bool aws_credentials_set(const char *what, aws_credentials *out, const char *ak, const char *sk,
                         const char *token, const char *source)
{
    aws_credentials_term(out);
    out->access_key = aws_credentials_strdup(ak);
    out->secret_key = aws_credentials_strdup(sk);
    out->token = token && *token ? aws_credentials_strdup(token) : NULL;
    out->source = source;
    if (!out->access_key || !out->secret_key || (token && *token && !out->token)) {
        log_error("%s: out of memory", what);
        aws_credentials_term(out);
        return false;
    }
    return true;
}
