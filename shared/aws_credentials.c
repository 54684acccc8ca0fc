#include "aws_credentials.h"

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

static char *xstrndup(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

static char *xstrdup(const char *s)
{
    return s ? xstrndup(s, strlen(s)) : NULL;
}

/* env: a variable's value, NULL when unset or empty */
static const char *env(const char *name)
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

/* set: copies of the three values; false (logged) when out of memory */
static bool set(const char *what, aws_credentials *out, const char *ak, const char *sk,
                const char *token, const char *source)
{
    aws_credentials_term(out);
    out->access_key = xstrdup(ak);
    out->secret_key = xstrdup(sk);
    out->token = token && *token ? xstrdup(token) : NULL;
    out->source = source;
    if (!out->access_key || !out->secret_key || (token && *token && !out->token)) {
        log_error("%s: out of memory", what);
        aws_credentials_term(out);
        return false;
    }
    return true;
}

/* ---- INI files (~/.aws/credentials, ~/.aws/config) ---- */

/* trimmed: [*s, *e) without surrounding spaces, tabs and CRs */
static void trim(const char **s, const char **e)
{
    while (*s < *e && (**s == ' ' || **s == '\t' || **s == '\r'))
        (*s)++;
    while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t' || (*e)[-1] == '\r'))
        (*e)--;
}

static bool span_is(const char *s, const char *e, const char *word)
{
    size_t n = strlen(word);
    return (size_t)(e - s) == n && memcmp(s, word, n) == 0;
}

/* section_matches: the header text [s, e) names profile */
static bool section_matches(const char *s, const char *e, const char *profile, bool config_file)
{
    if (!config_file)
        return span_is(s, e, profile);
    if (span_is(s, e, "default"))
        return strcmp(profile, "default") == 0;
    if ((size_t)(e - s) > 7 && memcmp(s, "profile", 7) == 0 && (s[7] == ' ' || s[7] == '\t')) {
        s += 7;
        trim(&s, &e);
        return span_is(s, e, profile);
    }
    return false;
}

bool aws_credentials_ini_value(const char *text, const char *profile, bool config_file,
                               const char *key, char **out)
{
    *out = NULL;
    bool found = false, in_section = false;
    size_t klen = strlen(key);
    for (const char *line = text; line && *line;) {
        const char *nl = strchr(line, '\n');
        const char *end = nl ? nl : line + strlen(line);
        const char *next = nl ? nl + 1 : NULL;
        bool indented = *line == ' ' || *line == '\t';
        const char *s = line, *e = end;
        trim(&s, &e);
        line = next;
        if (s == e || *s == '#' || *s == ';')
            continue;
        if (*s == '[' && !indented) {
            const char *close = e - 1;
            if (*close != ']')
                continue;
            const char *hs = s + 1, *he = close;
            trim(&hs, &he);
            in_section = section_matches(hs, he, profile, config_file);
            found = found || in_section;
            continue;
        }
        if (!in_section || indented) /* an indented line continues a nested setting */
            continue;
        const char *eq = s;
        while (eq < e && *eq != '=' && *eq != ':')
            eq++;
        if (eq == e)
            continue;
        const char *ks = s, *ke = eq, *vs = eq + 1, *ve = e;
        trim(&ks, &ke);
        trim(&vs, &ve);
        if ((size_t)(ke - ks) != klen || strncasecmp(ks, key, klen) != 0)
            continue;
        wipe_free_string(*out); /* a later line wins */
        *out = xstrndup(vs, (size_t)(ve - vs));
    }
    return found;
}

/* file_path: the variable's path, else ~/.aws/<name>; "~/" is the home folder */
static bool file_path(const char *var, const char *name, char *out, size_t n)
{
    const char *v = env(var);
    const char *home = getenv("HOME");
    int w;
    if (v && !(v[0] == '~' && v[1] == '/'))
        w = snprintf(out, n, "%s", v);
    else if (v)
        w = snprintf(out, n, "%s%s", home ? home : "", v + 1);
    else
        w = snprintf(out, n, "%s/.aws/%s", home ? home : "", name);
    return w >= 0 && (size_t)w < n && (v || home);
}

/* read_text: the whole file (malloc'ed, wipe_free_string it), NULL when it does not exist */
static bool read_text(const char *what, const char *path, char **out)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT || errno == ENOTDIR)
            return true;
        log_error("%s: cannot read %s: %m", what, path);
        return false;
    }
    buf b = BUF_INIT;
    buf_reserve(&b, 8192); /* credentials: no realloc leaving copies behind for usual files */
    char chunk[4096];
    size_t got;
    while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
        buf_append(&b, chunk, got);
    wipe_bytes(chunk, sizeof(chunk));
    bool err = ferror(f) != 0;
    fclose(f);
    if (err || !buf_ok(&b)) {
        log_error("%s: cannot read %s", what, path);
        wipe_buf_term(&b);
        return false;
    }
    buf_putc(&b, '\0');
    b.len--;
    *out = buf_ok(&b) ? buf_detach(&b) : NULL;
    if (!*out) {
        log_error("%s: out of memory", what);
        wipe_buf_term(&b);
    }
    return *out != NULL;
}

/* the profile's files and name, read once per lookup */
typedef struct profile_files {
    const char *name; /* borrowed */
    bool named;       /* given in the config or AWS_PROFILE */
    char cred_path[4096];
    char conf_path[4096];
    char *cred_text;       /* malloc'ed, wiped; NULL when the file does not exist */
    char *conf_text;       /* malloc'ed, wiped */
    bool in_cred, in_conf; /* the profile has a section there */
} profile_files;

static void profile_files_term(profile_files *p)
{
    wipe_free_string(p->cred_text);
    wipe_free_string(p->conf_text);
}

static bool profile_files_read(const char *what, const char *profile, profile_files *p)
{
    memset(p, 0, sizeof(*p));
    p->named = true;
    p->name = profile && *profile ? profile : env("AWS_PROFILE");
    if (!p->name) {
        p->name = "default";
        p->named = false;
    }
    char *unused = NULL;
    if (file_path("AWS_SHARED_CREDENTIALS_FILE", "credentials", p->cred_path,
                  sizeof(p->cred_path)) &&
        !read_text(what, p->cred_path, &p->cred_text))
        return false;
    if (file_path("AWS_CONFIG_FILE", "config", p->conf_path, sizeof(p->conf_path)) &&
        !read_text(what, p->conf_path, &p->conf_text)) {
        profile_files_term(p);
        return false;
    }
    p->in_cred =
        p->cred_text && aws_credentials_ini_value(p->cred_text, p->name, false, "x", &unused);
    p->in_conf =
        p->conf_text && aws_credentials_ini_value(p->conf_text, p->name, true, "x", &unused);
    free(unused);
    return true;
}

/* conf: a value of the profile in the config file (malloc'ed) or NULL */
static char *conf(const profile_files *p, const char *key)
{
    char *v = NULL;
    if (p->conf_text)
        aws_credentials_ini_value(p->conf_text, p->name, true, key, &v);
    if (v && !*v) {
        free(v);
        v = NULL;
    }
    return v;
}

static char *cred(const profile_files *p, const char *key)
{
    char *v = NULL;
    if (p->cred_text)
        aws_credentials_ini_value(p->cred_text, p->name, false, key, &v);
    if (v && !*v) {
        free(v);
        v = NULL;
    }
    return v;
}

bool aws_credentials_region(const char *what, const char *profile, char **out)
{
    *out = NULL;
    const char *r = env("AWS_REGION");
    if (!r)
        r = env("AWS_DEFAULT_REGION");
    if (r) {
        *out = xstrdup(r);
        return *out != NULL;
    }
    profile_files p;
    if (!profile_files_read(what, profile, &p))
        return false;
    *out = conf(&p, "region");
    profile_files_term(&p);
    return true;
}

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
        ok = set(what, out, ak, sk, tok, "web identity (STS AssumeRoleWithWebIdentity)");
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
        ok = set(what, out, ak, sk, tok, "instance metadata (IMDSv2)");
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

static bool web_identity(const char *what, const profile_files *p, aws_credentials *out,
                         const char *token_file, const char *role_arn, const char *session)
{
    bool ok = false;
    char *jwt = NULL;
    buf url = BUF_INIT, body = BUF_INIT;
    struct curl_slist *headers = NULL;
    http_client_call call = {.what = what, .post = true};
    if (!read_text(what, token_file, &jwt))
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
    const char *base = env("AWS_ENDPOINT_URL_STS");
    const char *var = "AWS_ENDPOINT_URL_STS";
    if (!base) {
        base = env("AWS_ENDPOINT_URL");
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

static bool container(const char *what, aws_credentials *out)
{
    const char *rel = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    const char *full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
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
    const char *tok = env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
    const char *tok_file = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    if (tok_file) {
        if (!read_text(what, tok_file, &auth))
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

static bool imds(const char *what, aws_credentials *out)
{
    const char *base = env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    const char *mode = env("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
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
    token = call.response.len ? xstrndup(call.response.data, call.response.len) : NULL;
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
    role = xstrndup(r, rl);
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

/* ---- the chain ---- */

static bool is_true(const char *v)
{
    return v && strcasecmp(v, "true") == 0;
}

/* static_keys: aws_access_key_id and aws_secret_access_key of a file's section, both or none */
static bool static_keys(const char *what, const char *path, char *ak, char *sk, char *tok,
                        const char *source, aws_credentials *out, bool *found)
{
    *found = ak || sk;
    if (!*found)
        return true;
    if (!ak || !sk) {
        log_error("%s: %s has %s without %s", what, path,
                  ak ? "aws_access_key_id" : "aws_secret_access_key",
                  ak ? "aws_secret_access_key" : "aws_access_key_id");
        return false;
    }
    return set(what, out, ak, sk, tok, source);
}

bool aws_credentials_get(const char *what, const char *profile, aws_credentials *out)
{
    memset(out, 0, sizeof(*out));
    bool explicit_profile = profile && *profile;

    /* 1. the environment (an explicit profile negates it, as in botocore) */
    const char *ak = env("AWS_ACCESS_KEY_ID"), *sk = env("AWS_SECRET_ACCESS_KEY");
    if (!explicit_profile && (ak || sk)) {
        if (!ak || !sk) {
            log_error("%s: %s is set but %s is not", what,
                      ak ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                      ak ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
            return false;
        }
        if (!set(what, out, ak, sk, env("AWS_SESSION_TOKEN"), "the environment"))
            return false;
        log_debug("%s: AWS credentials from the environment", what);
        return true;
    }

    profile_files p;
    if (!profile_files_read(what, profile, &p))
        return false;
    bool ok = false, found = false;
    char *role_arn = conf(&p, "role_arn"), *token_file = conf(&p, "web_identity_token_file");
    char *session = conf(&p, "role_session_name"), *source_profile = conf(&p, "source_profile");
    char *credential_source = conf(&p, "credential_source");
    char *process = conf(&p, "credential_process"), *sso = conf(&p, "sso_start_url");
    char *sso_session = conf(&p, "sso_session");
    char *c_ak = NULL, *c_sk = NULL, *c_tok = NULL;

    if (p.named && !p.in_cred && !p.in_conf && strcmp(p.name, "default") != 0) {
        log_error("%s: AWS profile \"%.100s\" is not in %s nor in %s", what, p.name, p.cred_path,
                  p.conf_path);
        goto done;
    }
    /* assume-role profiles come before web identity in botocore: we do not sign AssumeRole */
    if (role_arn && (source_profile || credential_source)) {
        log_error("%s: AWS profile \"%.100s\" in %s assumes role_arn with %s, which is not "
                  "supported: use web identity, a credentials profile, or the environment",
                  what, p.name, p.conf_path,
                  source_profile ? "source_profile" : "credential_source");
        goto done;
    }

    /* 2. web identity: the environment's variables, else the profile's */
    const char *w_file = env("AWS_WEB_IDENTITY_TOKEN_FILE");
    const char *w_role = env("AWS_ROLE_ARN");
    const char *w_session = env("AWS_ROLE_SESSION_NAME");
    if (!w_file)
        w_file = token_file;
    if (!w_role)
        w_role = role_arn;
    if (!w_session)
        w_session = session;
    if (w_file || (w_role && env("AWS_ROLE_ARN"))) {
        if (!w_file || !w_role) {
            log_error("%s: web identity needs both %s and %s", what,
                      "AWS_WEB_IDENTITY_TOKEN_FILE (or web_identity_token_file)",
                      "AWS_ROLE_ARN (or role_arn)");
            goto done;
        }
        ok = web_identity(what, &p, out, w_file, w_role, w_session);
        goto done;
    }
    if (sso || sso_session) {
        log_error("%s: AWS profile \"%.100s\" in %s uses SSO (%s), which is not supported: use "
                  "web identity, a credentials profile, or the environment",
                  what, p.name, p.conf_path, sso ? "sso_start_url" : "sso_session");
        goto done;
    }

    /* 3. the shared credentials file */
    c_ak = cred(&p, "aws_access_key_id");
    c_sk = cred(&p, "aws_secret_access_key");
    c_tok = cred(&p, "aws_session_token");
    if (!static_keys(what, p.cred_path, c_ak, c_sk, c_tok, "the shared credentials file", out,
                     &found) ||
        found) {
        ok = found && out->access_key;
        goto done;
    }
    if (process) {
        log_error("%s: AWS profile \"%.100s\" in %s uses credential_process, which is not "
                  "supported: use web identity, a credentials profile, or the environment",
                  what, p.name, p.conf_path);
        goto done;
    }

    /* 4. the config file */
    free(c_ak);
    wipe_free_string(c_sk);
    wipe_free_string(c_tok);
    c_ak = conf(&p, "aws_access_key_id");
    c_sk = conf(&p, "aws_secret_access_key");
    c_tok = conf(&p, "aws_session_token");
    if (!static_keys(what, p.conf_path, c_ak, c_sk, c_tok, "the config file", out, &found) ||
        found) {
        ok = found && out->access_key;
        goto done;
    }

    /* 5. the container's credentials */
    if (env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") ||
        env("AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
        ok = container(what, out);
        goto done;
    }

    /* 6. instance metadata */
    if (!is_true(env("AWS_EC2_METADATA_DISABLED"))) {
        ok = imds(what, out);
        if (!ok)
            log_error("%s: no AWS credentials: not in the environment (AWS_ACCESS_KEY_ID, "
                      "AWS_SECRET_ACCESS_KEY), no web identity, none for profile \"%.100s\" in "
                      "%s or %s, and instance metadata failed (above)",
                      what, p.name, p.cred_path, p.conf_path);
        goto done;
    }
    log_error("%s: no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
              "AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN, or profile \"%.100s\" in %s or %s "
              "(instance metadata is off: AWS_EC2_METADATA_DISABLED)",
              what, p.name, p.cred_path, p.conf_path);
done:
    if (ok)
        log_debug("%s: AWS credentials from %s (profile \"%.100s\")", what, out->source, p.name);
    else
        aws_credentials_term(out);
    free(role_arn);
    free(token_file);
    free(session);
    free(source_profile);
    free(credential_source);
    free(process);
    free(sso);
    free(sso_session);
    free(c_ak);
    wipe_free_string(c_sk);
    wipe_free_string(c_tok);
    profile_files_term(&p);
    return ok;
}
