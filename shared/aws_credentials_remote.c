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

#define IMDS_DEFAULT "http://169.254.169.254"
#define IMDS_IPV6 "http://[fd00:ec2::254]"
#define CONTAINER_HOST "http://169.254.170.2"
#define METADATA_TIMEOUT_S 2L /* botocore waits 1 s; a metadata service answers at once */

/* ---- answers ---- */

bool aws_credentials_parse_time(const char *s, long long *out)
{
    int y, mo, d, h, mi, sec, n = 0;
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 ||
        mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return false;
    const char *p = s + n;
    if (*p == '.')
        for (p++; isdigit((unsigned char)*p); p++)
            ;
    if (strcmp(p, "Z") != 0 && strcmp(p, "+00:00") != 0 && strcmp(p, "z") != 0)
        return false;
    *out = ((long long)timefmt_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400LL) +
           h * 3600LL + mi * 60LL + sec;
    return true;
}

/* xml_text: the decoded text of the first <tag>...</tag> in [xml, xml+len), malloc'ed, or NULL */
static char *xml_text(const char *xml, size_t len, const char *tag)
{
    char open[64], close[64];
    snprintf(open, sizeof(open), "<%s>", tag);
    snprintf(close, sizeof(close), "</%s>", tag);
    const char *end = xml + len;
    const char *s = NULL;
    size_t ol = strlen(open);
    for (const char *p = xml; p + ol <= end; p++)
        if (memcmp(p, open, ol) == 0) {
            s = p + ol;
            break;
        }
    if (!s)
        return NULL;
    size_t cl = strlen(close);
    const char *e = NULL;
    for (const char *p = s; p + cl <= end; p++)
        if (memcmp(p, close, cl) == 0) {
            e = p;
            break;
        }
    if (!e)
        return NULL;
    static const struct {
        const char *ent;
        char ch;
    } ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    char *out = malloc((size_t)(e - s) + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (const char *p = s; p < e;) {
        bool done = false;
        for (size_t i = 0; i < sizeof(ents) / sizeof(ents[0]) && *p == '&'; i++) {
            size_t n = strlen(ents[i].ent);
            if ((size_t)(e - p) >= n && memcmp(p, ents[i].ent, n) == 0) {
                out[o++] = ents[i].ch;
                p += n;
                done = true;
                break;
            }
        }
        if (!done)
            out[o++] = *p++;
    }
    out[o] = '\0';
    /* trim: the SDKs' XML parsers drop surrounding whitespace */
    size_t st = 0;
    while (out[st] && isspace((unsigned char)out[st]))
        st++;
    while (o > st && isspace((unsigned char)out[o - 1]))
        o--;
    memmove(out, out + st, o - st);
    out[o - st] = '\0';
    return out;
}

bool aws_credentials_parse_sts(const char *what, const char *xml, size_t len, aws_credentials *out)
{
    aws_credentials_term(out);
    char *code = xml_text(xml, len, "Code"), *msg = xml_text(xml, len, "Message");
    char *ak = xml_text(xml, len, "AccessKeyId"), *sk = xml_text(xml, len, "SecretAccessKey");
    char *tok = xml_text(xml, len, "SessionToken"), *exp = xml_text(xml, len, "Expiration");
    bool ok = false;
    if (code || msg) {
        log_error("%s: STS AssumeRoleWithWebIdentity failed: %.100s%s%.300s", what,
                  code ? code : "error", msg ? ": " : "", msg ? msg : "");
    } else if (!ak || !sk || !tok || !*ak || !*sk) {
        log_error("%s: the STS AssumeRoleWithWebIdentity answer has no Credentials "
                  "(AccessKeyId, SecretAccessKey, SessionToken)",
                  what);
    } else if (exp && !aws_credentials_parse_time(exp, &out->expires)) {
        log_error("%s: the STS answer's Expiration \"%.40s\" is not an ISO 8601 UTC time", what,
                  exp);
    } else {
        long long e = out->expires;
        ok = aws_credentials_set(what, out, ak, sk, tok,
                                 "web identity (STS AssumeRoleWithWebIdentity)");
        out->expires = ok ? e : 0;
    }
    if (!ok)
        out->expires = 0;
    free(code);
    free(msg);
    free(ak);
    wipe_free_string(sk);
    wipe_free_string(tok);
    free(exp);
    return ok;
}

bool aws_credentials_parse_json(const char *what, const char *json, size_t len,
                                aws_credentials *out)
{
    aws_credentials_term(out);
    cJSON *root = json_util_parse(json ? json : "", len, NULL);
    if (!cJSON_IsObject(root)) {
        log_error("%s: the credentials answer is not a JSON object", what);
        wipe_json_delete(root);
        return false;
    }
    bool ok = false;
    const char *code = json_util_string(root, "Code", NULL);
    const char *ak = json_util_string(root, "AccessKeyId", NULL);
    const char *sk = json_util_string(root, "SecretAccessKey", NULL);
    const char *tok = json_util_string(root, "Token", NULL);
    const char *exp = json_util_string(root, "Expiration", NULL);
    long long e = 0;
    if (code && strcmp(code, "Success") != 0) {
        const char *m = json_util_string(root, "Message", NULL);
        log_error("%s: the credentials answer says %.60s%s%.200s", what, code, m ? ": " : "",
                  m ? m : "");
    } else if (!ak || !sk || !*ak || !*sk) {
        log_error("%s: the credentials answer has no AccessKeyId and SecretAccessKey", what);
    } else if (exp && !aws_credentials_parse_time(exp, &e)) {
        log_error("%s: the credentials answer's Expiration \"%.40s\" is not an ISO 8601 UTC time",
                  what, exp);
    } else {
        ok = aws_credentials_set(what, out, ak, sk, tok, "instance metadata (IMDSv2)");
        out->expires = ok ? e : 0;
    }
    wipe_json_delete(root);
    return ok;
}

/* ---- the providers that ask a service ---- */

/* fetch: one request; the body of a 2xx answer stays in c->response. False after a log line. */
static bool fetch(http_client_call *c)
{
    if (!http_client_perform(c))
        return false;
    return http_client_status_ok(c, NULL);
}

/* endpoint_base: url (no trailing slash) checked to be http(s) */
static bool endpoint_base(const char *what, const char *var, const char *url, buf *out)
{
    return http_client_append_base_url(out, what, var, url);
}

bool aws_credentials_web_identity(const char *what, const aws_credentials_files *p,
                                  aws_credentials *out, const char *token_file,
                                  const char *role_arn, const char *session)
{
    bool ok = false;
    char *jwt = NULL;
    buf url = BUF_INIT, body = BUF_INIT;
    struct curl_slist *headers = NULL;
    http_client_call call = {.what = what, .post = true};
    if (!aws_credentials_read_text(what, token_file, &jwt))
        goto done;
    if (!jwt) {
        log_error("%s: the web identity token file %s does not exist", what, token_file);
        goto done;
    }
    size_t n = strlen(jwt);
    while (n && isspace((unsigned char)jwt[n - 1]))
        jwt[--n] = '\0';
    if (!n) {
        log_error("%s: the web identity token file %s is empty", what, token_file);
        goto done;
    }
    const char *base = aws_credentials_env("AWS_ENDPOINT_URL_STS");
    const char *var = "AWS_ENDPOINT_URL_STS";
    if (!base) {
        base = aws_credentials_env("AWS_ENDPOINT_URL");
        var = "AWS_ENDPOINT_URL";
    }
    if (base) {
        if (!endpoint_base(what, var, base, &url))
            goto done;
        buf_putc(&url, '/');
    } else {
        char *region = NULL;
        if (!aws_credentials_region(what, p->named ? p->name : NULL, &region))
            goto done;
        if (region) {
            buf_append_lit(&url, "https://sts.");
            http_client_append_escaped(&url, region, false);
            buf_append_lit(&url, strncmp(region, "cn-", 3) == 0 ? ".amazonaws.com.cn/"
                                                                : ".amazonaws.com/");
        } else {
            buf_append_lit(&url, "https://sts.amazonaws.com/");
        }
        free(region);
    }
    char session_buf[64];
    if (!session) {
        snprintf(session_buf, sizeof(session_buf), "singer-postgres-%lld", (long long)time(NULL));
        session = session_buf;
    }
    buf_reserve(&body, n * 3 + 512);
    buf_append_lit(&body, "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=");
    http_client_append_escaped(&body, role_arn, false);
    buf_append_lit(&body, "&RoleSessionName=");
    http_client_append_escaped(&body, session, false);
    buf_append_lit(&body, "&WebIdentityToken=");
    http_client_append_escaped(&body, jwt, false);
    if (!buf_ok(&url) || !buf_ok(&body)) {
        log_error("%s: out of memory", what);
        goto done;
    }
    if (!http_client_add_header(what, &headers, "Content-Type",
                                "application/x-www-form-urlencoded; charset=utf-8") ||
        !http_client_add_header(what, &headers, "Accept", "application/xml") ||
        !http_client_add_header(what, &headers, "Expect", ""))
        goto done;
    call.url = url.data;
    call.headers = headers;
    call.body = body.data;
    call.body_len = body.len;
    if (!http_client_perform(&call))
        goto done;
    if (call.status < 200 || call.status >= 300) {
        char *code =
            xml_text(call.response.data ? call.response.data : "", call.response.len, "Code");
        char *msg =
            xml_text(call.response.data ? call.response.data : "", call.response.len, "Message");
        log_error("%s: STS AssumeRoleWithWebIdentity for role %.200s: HTTP %ld from %s: "
                  "%.100s%s%.300s",
                  what, role_arn, call.status, call.url, code ? code : "(no error code)",
                  msg ? ": " : "", msg ? msg : "");
        free(code);
        free(msg);
        goto done;
    }
    ok = aws_credentials_parse_sts(what, call.response.data ? call.response.data : "",
                                   call.response.len, out);
done:
    http_client_call_term(&call);
    http_client_headers_free(headers);
    wipe_free_string(jwt);
    buf_term(&url);
    wipe_buf_term(&body);
    return ok;
}

/* container_host_ok: https, or the URL's host is loopback or a container credentials address */
static bool container_host_ok(const char *url)
{
    if (strncmp(url, "https://", 8) == 0)
        return true;
    CURLU *u = curl_url();
    char *host = NULL;
    bool ok = false;
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK)
        ok = strncmp(host, "127.", 4) == 0 || strcmp(host, "localhost") == 0 ||
             strcmp(host, "[::1]") == 0 || strcmp(host, "169.254.170.2") == 0 ||
             strcmp(host, "169.254.170.23") == 0 || strcmp(host, "[fd00:ec2::23]") == 0;
    curl_free(host);
    curl_url_cleanup(u);
    return ok;
}

bool aws_credentials_container(const char *what, aws_credentials *out)
{
    const char *rel = aws_credentials_env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    const char *full = aws_credentials_env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    bool ok = false;
    buf url = BUF_INIT;
    char *auth = NULL;
    struct curl_slist *headers = NULL;
    http_client_call call = {.what = what, .timeout_s = METADATA_TIMEOUT_S};
    if (rel) {
        buf_append_lit(&url, CONTAINER_HOST);
        if (rel[0] != '/')
            buf_putc(&url, '/');
        buf_appends(&url, rel);
    } else {
        if (!container_host_ok(full)) {
            log_error("%s: AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, or http to a "
                      "loopback or container credentials address, got \"%.200s\"",
                      what, full);
            goto done;
        }
        buf_appends(&url, full);
    }
    const char *tok = aws_credentials_env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
    const char *tok_file = aws_credentials_env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    if (tok_file) {
        if (!aws_credentials_read_text(what, tok_file, &auth))
            goto done;
        if (!auth) {
            log_error("%s: AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE %s does not exist", what,
                      tok_file);
            goto done;
        }
        size_t n = strlen(auth);
        while (n && isspace((unsigned char)auth[n - 1]))
            auth[--n] = '\0';
        tok = auth;
    }
    if (!buf_ok(&url) || (tok && (!http_client_header_safe(what, "the container token", tok) ||
                                  !http_client_add_header(what, &headers, "Authorization", tok))))
        goto done;
    call.url = url.data;
    call.headers = headers;
    if (!fetch(&call))
        goto done;
    ok = aws_credentials_parse_json(what, call.response.data, call.response.len, out);
    if (ok)
        out->source = "container credentials";
done:
    http_client_call_term(&call);
    http_client_headers_free(headers);
    wipe_free_string(auth);
    buf_term(&url);
    return ok;
}

bool aws_credentials_imds(const char *what, aws_credentials *out)
{
    const char *base = aws_credentials_env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    const char *mode = aws_credentials_env("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
    if (!base)
        base = mode && strcasecmp(mode, "IPv6") == 0 ? IMDS_IPV6 : IMDS_DEFAULT;
    bool ok = false;
    buf url = BUF_INIT;
    struct curl_slist *headers = NULL;
    char *token = NULL, *role = NULL;
    http_client_call call = {.what = what, .timeout_s = METADATA_TIMEOUT_S};

    /* IMDSv2: a session token first (PUT), sent with every read; no IMDSv1 fallback */
    if (!endpoint_base(what, "AWS_EC2_METADATA_SERVICE_ENDPOINT", base, &url))
        goto done;
    size_t base_len = url.len;
    buf_append_lit(&url, "/latest/api/token");
    if (!buf_ok(&url) ||
        !http_client_add_header(what, &headers, "X-aws-ec2-metadata-token-ttl-seconds", "21600"))
        goto done;
    call.post = true;
    call.method = "PUT";
    call.body = "";
    call.url = url.data;
    call.headers = headers;
    if (!fetch(&call))
        goto done;
    token =
        call.response.len ? aws_credentials_strndup(call.response.data, call.response.len) : NULL;
    http_client_call_term(&call);
    http_client_headers_free(headers);
    headers = NULL;
    if (!token || !http_client_header_safe(what, "the metadata token", token)) {
        log_error("%s: instance metadata at %s gave no usable session token", what, base);
        goto done;
    }
    if (!http_client_add_header(what, &headers, "X-aws-ec2-metadata-token", token))
        goto done;

    /* the role name, then its credentials */
    url.len = base_len;
    buf_append_lit(&url, "/latest/meta-data/iam/security-credentials/");
    memset(&call, 0, sizeof(call));
    call.what = what;
    call.timeout_s = METADATA_TIMEOUT_S;
    call.url = url.data;
    call.headers = headers;
    if (!buf_ok(&url) || !fetch(&call))
        goto done;
    const char *r = call.response.data ? call.response.data : "";
    size_t rl = strcspn(r, "\r\n");
    while (rl && isspace((unsigned char)r[rl - 1]))
        rl--;
    if (!rl) {
        log_error("%s: instance metadata at %s names no IAM role: attach an instance profile", what,
                  base);
        goto done;
    }
    role = aws_credentials_strndup(r, rl);
    http_client_call_term(&call);
    if (!role)
        goto done;
    http_client_append_escaped(&url, role, false);
    memset(&call, 0, sizeof(call));
    call.what = what;
    call.timeout_s = METADATA_TIMEOUT_S;
    call.url = url.data;
    call.headers = headers;
    if (!buf_ok(&url) || !fetch(&call))
        goto done;
    ok = aws_credentials_parse_json(what, call.response.data, call.response.len, out);
done:
    http_client_call_term(&call);
    http_client_headers_free(headers);
    wipe_free_string(token);
    free(role);
    buf_term(&url);
    return ok;
}
