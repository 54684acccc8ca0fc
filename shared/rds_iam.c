#include "rds_iam.h"

#include "aws_sigv4.h"
#include "http_client.h"
#include "json_util.h"
#include "log.h"
#include "wipe.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char what[] = "aws_iam_auth";

bool rds_iam_enabled(const cJSON *config)
{
    return json_util_is_true(cJSON_GetObjectItemCaseSensitive(config, "aws_iam_auth"));
}

bool rds_iam_token(buf *out, const char *host, const char *port, const char *user,
                   const char *region, const aws_credentials *cred, long long now)
{
    char amz_date[17];
    aws_sigv4_amz_date(now, amz_date);
    bool ok = false;
    buf host_port = BUF_INIT, scope = BUF_INIT, ops = BUF_INIT, canon_q = BUF_INIT,
        names = BUF_INIT;
    buf_appendf(&host_port, "%s:%s", host, port);
    buf_appendf(&scope, "%s/%.8s/%s/rds-db/aws4_request", cred->access_key, amz_date, region);

    /* the query: operation parameters, then the signing ones (botocore's order in the URL);
       the canonical query is the same pairs sorted by name, which only moves the token */
    buf_append_lit(&ops, "Action=connect&DBUser=");
    http_client_append_escaped(&ops, user, false);
    buf_append_lit(&ops, "&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=");
    http_client_append_escaped(&ops, scope.data ? scope.data : "", false);
    buf_appendf(&ops, "&X-Amz-Date=%s&X-Amz-Expires=900", amz_date);
    buf_append(&canon_q, ops.data, ops.len);
    if (cred->token) {
        buf_append_lit(&canon_q, "&X-Amz-Security-Token=");
        http_client_append_escaped(&canon_q, cred->token, false);
    }
    buf_append_lit(&canon_q, "&X-Amz-SignedHeaders=host");
    if (!buf_ok(&host_port) || !buf_ok(&scope) || !buf_ok(&ops) || !buf_ok(&canon_q)) {
        log_error("%s: out of memory", what);
        goto done;
    }
    aws_sigv4_header headers[] = {{"host", host_port.data}};
    aws_sigv4_request req = {
        .method = "GET",
        .path = "/",
        .query = canon_q.data,
        .headers = headers,
        .nheaders = 1,
        .payload = NULL,
        .payload_len = 0,
        .region = region,
        .service = "rds-db",
        .access_key = cred->access_key,
        .secret_key = cred->secret_key,
        .amz_date = amz_date,
    };
    char sig[SHA256_HEX_LEN + 1];
    if (!aws_sigv4_signature(&req, &names, sig))
        goto done;
    buf_appendf(out, "%s/?%s&X-Amz-SignedHeaders=host", host_port.data, ops.data);
    if (cred->token) {
        buf_append_lit(out, "&X-Amz-Security-Token=");
        http_client_append_escaped(out, cred->token, false);
    }
    buf_appendf(out, "&X-Amz-Signature=%s", sig);
    ok = buf_ok(out);
    if (!ok)
        log_error("%s: out of memory", what);
done:
    buf_term(&host_port);
    buf_term(&scope);
    buf_term(&ops);
    wipe_buf_term(&canon_q);
    buf_term(&names);
    return ok;
}

/* host_region: the region of an RDS endpoint name, "<id>.<hash>.<region>.rds.amazonaws.com" */
static char *host_region(const char *host)
{
    const char *suffixes[] = {".rds.amazonaws.com", ".rds.amazonaws.com.cn"};
    size_t hl = strlen(host);
    for (size_t i = 0; i < 2; i++) {
        size_t sl = strlen(suffixes[i]);
        if (hl <= sl || strcmp(host + hl - sl, suffixes[i]) != 0)
            continue;
        const char *end = host + hl - sl, *start = end;
        while (start > host && start[-1] != '.')
            start--;
        if (start == end || start == host)
            return NULL;
        char *r = malloc((size_t)(end - start) + 1);
        if (r) {
            memcpy(r, start, (size_t)(end - start));
            r[end - start] = '\0';
        }
        return r;
    }
    return NULL;
}

/* now: the clock, or SINGER_POSTGRES_TEST_NOW (Unix seconds) for the tests that compare the
   token with botocore's: a token for another time is only one AWS refuses */
static long long now_for_token(void)
{
    const char *t = getenv("SINGER_POSTGRES_TEST_NOW");
    if (t && *t) {
        char *end = NULL;
        errno = 0;
        long long v = strtoll(t, &end, 10);
        if (errno == 0 && end && !*end && v > 0) {
            log_warn("%s: SINGER_POSTGRES_TEST_NOW is set: the token is signed for %lld, not "
                     "for now",
                     what, v);
            return v;
        }
    }
    return (long long)time(NULL);
}

bool rds_iam_password(const cJSON *config, const char *host, const char *port, const char *user,
                      char **out)
{
    *out = NULL;
    if (!host || !*host || host[0] == '/') {
        log_error("%s: needs the database's host name (\"host\"), got %s", what,
                  host && *host ? "a socket folder" : "none");
        return false;
    }
    if (!user || !*user) {
        log_error("%s: needs the database user (\"user\")", what);
        return false;
    }
    if (!port || !*port)
        port = "5432";
    const char *profile = json_util_string(config, "aws_profile", NULL);
    char *region = NULL;
    const char *r = json_util_string(config, "aws_region", NULL);
    if (r && *r)
        region = strdup(r);
    else if (!aws_credentials_region(what, profile, &region))
        return false;
    if (!region)
        region = host_region(host);
    if (!region) {
        log_error("%s: no AWS region: set \"aws_region\" (or AWS_REGION, or region in the AWS "
                  "profile)",
                  what);
        return false;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        log_error("%s: cannot initialise libcurl", what);
        free(region);
        return false;
    }
    aws_credentials cred;
    bool ok = aws_credentials_get(what, profile, &cred);
    curl_global_cleanup();
    buf tok = BUF_INIT;
    buf_reserve(&tok, 2048); /* one allocation: nothing of the token left in freed memory */
    if (ok)
        ok = rds_iam_token(&tok, host, port, user, region, &cred, now_for_token());
    if (ok) {
        *out = buf_detach(&tok);
        ok = *out != NULL;
        log_debug("%s: token made for %s at %s:%s in %s (credentials from %s)", what, user, host,
                  port, region, cred.source);
    }
    wipe_buf_term(&tok);
    aws_credentials_term(&cred);
    free(region);
    return ok;
}

bool rds_iam_config_check(const cJSON *config, const char *what_file, const char *sslmode,
                          const char *sslmode_key)
{
    if (!rds_iam_enabled(config))
        return true;
    static const char *const weak[] = {"disable", "allow", "prefer"};
    for (size_t i = 0; sslmode && i < sizeof(weak) / sizeof(weak[0]); i++)
        if (strcmp(sslmode, weak[i]) == 0) {
            log_error("%s: key \"%s\" is %s, but aws_iam_auth sends its token only over TLS: set "
                      "%s to require, verify-ca or verify-full (or leave it unset: require)",
                      what_file, sslmode_key, sslmode, sslmode_key);
            return false;
        }
    const char *pw = json_util_string(config, "password", NULL);
    const cJSON *ps = cJSON_GetObjectItemCaseSensitive(config, "password_secret");
    if ((pw && *pw) || (ps && !cJSON_IsNull(ps))) {
        log_error("%s: keys \"aws_iam_auth\" and \"%s\" are both set: the IAM token is the "
                  "password, keep one",
                  what_file, pw && *pw ? "password" : "password_secret");
        return false;
    }
    const char *r = json_util_string(config, "aws_region", NULL);
    if (r && !http_client_header_safe(what_file, "aws_region", r))
        return false;
    return true;
}
