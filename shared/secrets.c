#include "secrets.h"

#include "config.h"
#include "json_util.h"
#include "json_writer.h"
#include "log.h"
#include "sha256.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define MAX_RESPONSE (1024 * 1024)
#define CONNECT_TIMEOUT_S 10L
#define TOTAL_TIMEOUT_S 30L
#define SHOWN_MAX 200 /* longest provider error message quoted in a log line */

/* ---- wiping: every buffer that held a secret or a credential ---- */

static void wipe(void *p, size_t n)
{
    if (p && n)
        explicit_bzero(p, n);
}

static void buf_wipe_term(buf *b)
{
    wipe(b->data, b->cap);
    buf_term(b);
}

/* wipe_tree: zero every string value of a cJSON tree (keys are names, not secrets). */
static void wipe_tree(cJSON *node)
{
    for (; node; node = node->next) {
        if (node->valuestring)
            wipe(node->valuestring, strlen(node->valuestring));
        wipe_tree(node->child);
    }
}

static void delete_wiped(cJSON *root)
{
    if (root) {
        wipe_tree(root);
        cJSON_Delete(root);
    }
}

static void slist_wipe_free(struct curl_slist *list)
{
    for (struct curl_slist *l = list; l; l = l->next)
        wipe(l->data, strlen(l->data));
    curl_slist_free_all(list);
}

void secrets_free(char *password)
{
    if (!password)
        return;
    wipe(password, strlen(password));
    free(password);
}

/* ---- AWS Signature Version 4 ---- */

void secrets_amz_date(long long t, char out[17])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

typedef struct canon_header {
    char *name;  /* malloc'ed, lower case */
    char *value; /* malloc'ed, trimmed, inner runs of spaces folded */
} canon_header;

static int cmp_canon_header(const void *a, const void *b)
{
    return strcmp(((const canon_header *)a)->name, ((const canon_header *)b)->name);
}

static bool amz_date_ok(const char *d)
{
    if (!d || strlen(d) != 16 || d[8] != 'T' || d[15] != 'Z')
        return false;
    for (int i = 0; i < 15; i++)
        if (i != 8 && !isdigit((unsigned char)d[i]))
            return false;
    return true;
}

/* canon_value: the header value trimmed, runs of spaces and tabs folded to one space */
static char *canon_value(const char *v)
{
    size_t n = strlen(v);
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    bool space = false;
    for (const char *p = v; *p; p++) {
        if (*p == ' ' || *p == '\t') {
            space = o > 0;
            continue;
        }
        if (space)
            out[o++] = ' ';
        space = false;
        out[o++] = *p;
    }
    out[o] = '\0';
    return out;
}

static void hmac_str(const uint8_t *key, size_t key_len, const char *msg,
                     uint8_t out[SHA256_DIGEST_LEN])
{
    hmac_sha256(key, key_len, msg, strlen(msg), out);
}

bool secrets_sigv4_authorization(buf *out, const secrets_sigv4 *req)
{
    if (!amz_date_ok(req->amz_date)) {
        log_error("sigv4: x-amz-date \"%.40s\" is not YYYYMMDDTHHMMSSZ",
                  req->amz_date ? req->amz_date : "");
        return false;
    }
    bool ok = false;
    buf canon = BUF_INIT, names = BUF_INIT, to_sign = BUF_INIT, key0 = BUF_INIT;
    canon_header *h = calloc(req->nheaders ? req->nheaders : 1, sizeof(*h));
    if (!h)
        goto oom;
    for (size_t i = 0; i < req->nheaders; i++) {
        const char *name = req->headers[i].name;
        if (!name || !*name || strpbrk(name, ": \t\r\n") || !req->headers[i].value ||
            strpbrk(req->headers[i].value, "\r\n")) {
            log_error("sigv4: header \"%.60s\" cannot be signed", name ? name : "");
            goto done;
        }
        h[i].name = strdup(name);
        h[i].value = canon_value(req->headers[i].value);
        if (!h[i].name || !h[i].value)
            goto oom;
        for (char *p = h[i].name; *p; p++)
            *p = (char)tolower((unsigned char)*p);
    }
    qsort(h, req->nheaders, sizeof(*h), cmp_canon_header);

    /* the canonical request: method, URI, query, headers, signed header names, payload hash */
    uint8_t digest[SHA256_DIGEST_LEN];
    char hex[SHA256_HEX_LEN + 1];
    buf_appendf(&canon, "%s\n%s\n%s\n", req->method, req->path, req->query ? req->query : "");
    for (size_t i = 0; i < req->nheaders; i++) {
        buf_appendf(&canon, "%s:%s\n", h[i].name, h[i].value);
        if (i)
            buf_putc(&names, ';');
        buf_appends(&names, h[i].name);
    }
    sha256(req->payload, req->payload_len, digest);
    sha256_hex(digest, hex);
    buf_appendf(&canon, "\n%s\n%s", names.data ? names.data : "", hex);
    if (!buf_ok(&canon) || !buf_ok(&names))
        goto oom;

    /* the string to sign: algorithm, date, scope, hash of the canonical request */
    char date[9];
    memcpy(date, req->amz_date, 8);
    date[8] = '\0';
    sha256(canon.data, canon.len, digest);
    sha256_hex(digest, hex);
    buf_appendf(&to_sign, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s", req->amz_date, date,
                req->region, req->service, hex);

    /* the signing key: HMAC chain over date, region, service, "aws4_request" */
    uint8_t k[SHA256_DIGEST_LEN];
    buf_append_lit(&key0, "AWS4");
    buf_appends(&key0, req->secret_key);
    if (!buf_ok(&to_sign) || !buf_ok(&key0))
        goto oom;
    hmac_str((const uint8_t *)key0.data, key0.len, date, k);
    hmac_str(k, sizeof(k), req->region, k);
    hmac_str(k, sizeof(k), req->service, k);
    hmac_str(k, sizeof(k), "aws4_request", k);
    hmac_sha256(k, sizeof(k), to_sign.data, to_sign.len, digest);
    wipe(k, sizeof(k));
    sha256_hex(digest, hex);

    size_t before = out->len;
    buf_appendf(
        out, "AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request, SignedHeaders=%s, Signature=%s",
        req->access_key, date, req->region, req->service, names.data ? names.data : "", hex);
    if (!buf_ok(out)) {
        out->len = before;
        goto oom;
    }
    ok = true;
    goto done;
oom:
    log_error("sigv4: out of memory");
done:
    if (h) {
        for (size_t i = 0; i < req->nheaders; i++) {
            free(h[i].name);
            if (h[i].value)
                wipe(h[i].value, strlen(h[i].value));
            free(h[i].value);
        }
        free(h);
    }
    buf_wipe_term(&canon);
    buf_term(&names);
    buf_term(&to_sign);
    buf_wipe_term(&key0);
    return ok;
}

/* ---- HTTP over libcurl ---- */

typedef struct http_call {
    const char *provider;       /* for messages */
    bool post;                  /* POST body, else GET */
    const char *url;            /* borrowed */
    struct curl_slist *headers; /* borrowed */
    const char *body;           /* borrowed; POST only */
    size_t body_len;
    const char *ca_cert; /* borrowed; a PEM bundle path, or NULL for the system's */
    long status;         /* out: HTTP status */
    buf response;        /* out: the body; wiped by http_call_term */
    bool too_big;        /* the response passed MAX_RESPONSE */
} http_call;

static void http_call_term(http_call *c)
{
    buf_wipe_term(&c->response);
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    http_call *c = userdata;
    size_t n = size * nmemb;
    if (c->response.len + n > MAX_RESPONSE) {
        c->too_big = true;
        return 0;
    }
    buf_append(&c->response, ptr, n);
    return buf_ok(&c->response) ? n : 0;
}

/* http_perform: run the request; false (logged) when no HTTP answer came back. */
static bool http_perform(http_call *c)
{
    CURL *curl = curl_easy_init();
    if (!curl) {
        log_error("password_secret (%s): cannot initialise libcurl", c->provider);
        return false;
    }
    char errbuf[CURL_ERROR_SIZE] = "";
    /* room for any usual answer up front: a realloc would leave the secret in freed memory */
    buf_reserve(&c->response, 16384);
    curl_easy_setopt(curl, CURLOPT_URL, c->url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, c->headers);
    if (c->post) {
        curl_easy_setopt(curl, CURLOPT_POST, 1L);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, c->body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)c->body_len);
    } else {
        curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    }
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, TOTAL_TIMEOUT_S);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    if (c->ca_cert)
        curl_easy_setopt(curl, CURLOPT_CAINFO, c->ca_cert);
    /* a redirect could carry the token to another host: never follow */
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "singer-postgres/" PROJECT_VERSION);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif

    CURLcode rc = curl_easy_perform(curl);
    bool ok = rc == CURLE_OK;
    if (!ok) {
        if (c->too_big)
            log_error("password_secret (%s): the response from %s is larger than %d bytes",
                      c->provider, c->url, MAX_RESPONSE);
        else
            log_error("password_secret (%s): request to %s failed: %s", c->provider, c->url,
                      errbuf[0] ? errbuf : curl_easy_strerror(rc));
    } else {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &c->status);
    }
    curl_easy_cleanup(curl);
    return ok;
}

/*
 * shorten_text: s[0..n) with whitespace and control bytes folded to single spaces, cut after
 * SHOWN_MAX bytes (at a UTF-8 character boundary) with "..." when something was left out.
 */
static void shorten_text(buf *out, const char *s, size_t n)
{
    size_t start = out->len;
    bool space = false, cut = false, mid_char = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch <= ' ' || ch == 0x7f) {
            space = out->len > start;
            continue;
        }
        if (out->len - start >= SHOWN_MAX) {
            cut = true;
            mid_char = (ch & 0xC0) == 0x80; /* the cut falls inside a UTF-8 character */
            break;
        }
        if (space)
            buf_putc(out, ' ');
        space = false;
        buf_putc(out, (char)ch);
    }
    if (mid_char && buf_ok(out)) {
        /* drop the incomplete character */
        size_t len = out->len;
        while (len > start && ((unsigned char)out->data[len - 1] & 0xC0) == 0x80)
            len--;
        if (len > start && (unsigned char)out->data[len - 1] >= 0xC0)
            len--;
        out->len = len;
        out->data[len] = '\0';
    }
    if (cut)
        buf_append_lit(out, "...");
}

/*
 * error_message: the provider's own words from an error body: AWS {"__type", "Message"},
 * Vault {"errors": [...]}, Azure {"error": {"code", "message"}}; else the body text.
 */
static void error_message(buf *out, const char *body, size_t len)
{
    cJSON *root = len ? ju_parse(body, len, NULL) : NULL;
    if (!root) {
        shorten_text(out, body ? body : "", len);
        return;
    }
    buf m = BUF_INIT;
    const char *type = ju_string(root, "__type", NULL);
    const char *msg = ju_string(root, "Message", ju_string(root, "message", NULL));
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(root, "error");
    if (cJSON_IsObject(err)) {
        type = ju_string(err, "code", type);
        msg = ju_string(err, "message", msg);
    } else if (cJSON_IsString(err) && !msg) {
        msg = err->valuestring;
    }
    if (type) {
        const char *hash = strrchr(type, '#'); /* "com.amazonaws...#AccessDeniedException" */
        buf_appends(&m, hash ? hash + 1 : type);
    }
    if (msg) {
        if (m.len)
            buf_append_lit(&m, ": ");
        buf_appends(&m, msg);
    }
    const cJSON *errors = cJSON_GetObjectItemCaseSensitive(root, "errors");
    const cJSON *e;
    cJSON_ArrayForEach(e, errors)
    {
        if (cJSON_IsString(e)) {
            if (m.len)
                buf_append_lit(&m, "; ");
            buf_appends(&m, e->valuestring);
        }
    }
    if (!type && !msg && !cJSON_IsArray(errors))
        buf_append(&m, body, len); /* a JSON body in an unknown shape: show it as is */
    shorten_text(out, m.data ? m.data : "", m.len);
    buf_term(&m);
    cJSON_Delete(root);
}

/* http_status_ok: true for 2xx; otherwise log the status and the provider's message. */
static bool http_status_ok(const http_call *c, const char *hint)
{
    if (c->status >= 200 && c->status < 300)
        return true;
    buf m = BUF_INIT;
    error_message(&m, c->response.data, c->response.len);
    if (c->status >= 300 && c->status < 400)
        log_error("password_secret (%s): HTTP %ld from %s: redirects are not followed, use the "
                  "address that answers directly",
                  c->provider, c->status, c->url);
    else
        log_error("password_secret (%s): HTTP %ld from %s: %s%s%s", c->provider, c->status, c->url,
                  m.len ? m.data : "(no error message)", hint ? "; " : "", hint ? hint : "");
    buf_term(&m);
    return false;
}

/* parse_body: the response as a JSON object, or NULL after logging (the body is not shown). */
static cJSON *parse_body(const http_call *c)
{
    size_t off = 0;
    cJSON *root = ju_parse(c->response.data ? c->response.data : "", c->response.len, &off);
    if (!root) {
        log_error("password_secret (%s): the response from %s is not JSON (error at byte %zu of "
                  "%zu)",
                  c->provider, c->url, off, c->response.len);
        return NULL;
    }
    if (!cJSON_IsObject(root)) {
        log_error("password_secret (%s): the response from %s is not a JSON object", c->provider,
                  c->url);
        delete_wiped(root);
        return NULL;
    }
    return root;
}

/* ---- picking the password out of a secret ---- */

static char *dup_or_log(const char *provider, const char *s)
{
    char *p = strdup(s);
    if (!p)
        log_error("password_secret (%s): out of memory", provider);
    return p;
}

/* member_string: a copy of obj[key], which must be a string; else log (naming keys only). */
static char *member_string(const char *provider, const cJSON *obj, const char *key,
                           const char *where)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v) {
        buf names = BUF_INIT;
        const cJSON *item;
        cJSON_ArrayForEach(item, obj)
        {
            if (names.len)
                buf_append_lit(&names, ", ");
            buf_appends(&names, item->string ? item->string : "?");
        }
        buf shown = BUF_INIT;
        shorten_text(&shown, names.data ? names.data : "", names.len);
        log_error("password_secret (%s): key \"%.100s\" not found in %s (it has: %s)", provider,
                  key, where, shown.len ? shown.data : "no keys");
        buf_term(&shown);
        buf_term(&names);
        return NULL;
    }
    if (!cJSON_IsString(v)) {
        log_error("password_secret (%s): key \"%.100s\" in %s is not a string", provider, key,
                  where);
        return NULL;
    }
    return dup_or_log(provider, v->valuestring);
}

/* secret_text_value: text itself, or, when key is set, text parsed as a JSON object -> [key]. */
static char *secret_text_value(const char *provider, const char *text, const char *key,
                               const char *where)
{
    if (!key)
        return dup_or_log(provider, text);
    cJSON *obj = ju_parse(text, strlen(text), NULL);
    if (!cJSON_IsObject(obj)) {
        log_error("password_secret (%s): %s is not a JSON object, so key \"%.100s\" cannot be "
                  "looked up (leave \"key\" out to use the whole value)",
                  provider, where, key);
        delete_wiped(obj);
        return NULL;
    }
    char *value = member_string(provider, obj, key, where);
    delete_wiped(obj);
    return value;
}

/* ---- the password_secret object ---- */

/* opt: a non-empty string member (first present spelling of "a|b"), else NULL. Borrowed. */
static const char *opt(const cJSON *ps, const char *names)
{
    const cJSON *v = config_get(ps, names);
    return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : NULL;
}

/* env: the environment variable when set and non-empty, else NULL. */
static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* opt_env: the member, else the environment variable when set and non-empty. */
static const char *opt_env(const cJSON *ps, const char *names, const char *env_name)
{
    const char *v = opt(ps, names);
    return v ? v : env(env_name);
}

/* ca_cert: the "ca_cert" member (else env_name when given); false (logged) when unreadable */
static bool ca_cert(const char *provider, const cJSON *ps, const char *env_name, const char **out)
{
    *out = env_name ? opt_env(ps, "ca_cert", env_name) : opt(ps, "ca_cert");
    if (*out && access(*out, R_OK) != 0) {
        log_error("password_secret (%s): ca_cert \"%.200s\" cannot be read: %m", provider, *out);
        return false;
    }
    return true;
}

/* header_safe: a value that can go into a header line (no CR, LF or other control bytes) */
static bool header_safe(const char *provider, const char *what, const char *v)
{
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (*p < ' ' || *p == 0x7f) {
            log_error("password_secret (%s): %s contains a control character", provider, what);
            return false;
        }
    }
    return true;
}

/* add_header: append "Name: value" to *list; false (logged) when out of memory. */
static bool add_header(const char *provider, struct curl_slist **list, const char *name,
                       const char *value)
{
    buf line = BUF_INIT;
    buf_appendf(&line, "%s: %s", name, value);
    struct curl_slist *next = buf_ok(&line) ? curl_slist_append(*list, line.data) : NULL;
    buf_wipe_term(&line);
    if (!next) {
        log_error("password_secret (%s): out of memory", provider);
        return false;
    }
    *list = next;
    return true;
}

/* append_escaped: percent-encode s into out, keeping unreserved bytes (and '/' when asked) */
static void append_escaped(buf *out, const char *s, bool keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~' ||
            (keep_slash && *p == '/')) {
            buf_putc(out, (char)*p);
        } else {
            buf_putc(out, '%');
            buf_putc(out, hex[*p >> 4]);
            buf_putc(out, hex[*p & 15]);
        }
    }
}

/* append_base_url: url without its trailing slashes; false (logged) unless http(s) */
static bool append_base_url(buf *out, const char *provider, const char *key, const char *url)
{
    if (strncasecmp(url, "https://", 8) != 0 && strncasecmp(url, "http://", 7) != 0) {
        log_error("password_secret (%s): \"%s\" must start with https:// (or http://), got "
                  "\"%.100s\"",
                  provider, key, url);
        return false;
    }
    size_t n = strlen(url);
    while (n && url[n - 1] == '/')
        n--;
    buf_append(out, url, n);
    return true;
}

static const cfg_key aws_keys[] = {
    {"provider", CFG_STRING, true, NULL, false, "aws"},
    {"secret_id", CFG_STRING, true, NULL, false, "the secret's name or ARN"},
    {"region", CFG_STRING, false, NULL, false, "AWS region (else AWS_REGION)"},
    {"key", CFG_STRING, false, NULL, false, "member of a JSON SecretString"},
    {"endpoint_url", CFG_STRING, false, NULL, false, "Secrets Manager endpoint"},
    {"aws_access_key_id|AWS_ACCESS_KEY_ID", CFG_STRING, false, NULL, false, "access key"},
    {"aws_secret_access_key|AWS_SECRET_ACCESS_KEY", CFG_STRING, false, NULL, true, "secret key"},
    {"aws_session_token|AWS_SESSION_TOKEN", CFG_STRING, false, NULL, true, "session token"},
    {"ca_cert", CFG_STRING, false, NULL, false, "CA bundle path (else AWS_CA_BUNDLE)"},
};

static const cfg_key vault_keys[] = {
    {"provider", CFG_STRING, true, NULL, false, "vault"},
    {"url", CFG_STRING, false, NULL, false, "Vault address (else VAULT_ADDR)"},
    {"path", CFG_STRING, true, NULL, false, "API path without /v1"},
    {"key", CFG_STRING, false, "password", false, "member of the secret's data"},
    {"token", CFG_STRING, false, NULL, true, "Vault token (else VAULT_TOKEN)"},
    {"namespace", CFG_STRING, false, NULL, false, "Vault namespace (else VAULT_NAMESPACE)"},
    {"ca_cert", CFG_STRING, false, NULL, false, "CA bundle path (else VAULT_CACERT)"},
};

static const cfg_key azure_keys[] = {
    {"provider", CFG_STRING, true, NULL, false, "azure"},
    {"vault_url", CFG_STRING, true, NULL, false, "https://NAME.vault.azure.net"},
    {"name", CFG_STRING, true, NULL, false, "secret name"},
    {"version", CFG_STRING, false, NULL, false, "secret version"},
    {"key", CFG_STRING, false, NULL, false, "member of a JSON secret value"},
    {"access_token", CFG_STRING, false, NULL, true, "bearer token (else AZURE_ACCESS_TOKEN)"},
    {"ca_cert", CFG_STRING, false, NULL, false, "CA bundle path"},
};

#define NKEYS(a) (sizeof(a) / sizeof((a)[0]))

/* required: the string member names (or env), else log what is missing and return NULL */
static const char *required(const char *provider, const cJSON *ps, const char *names,
                            const char *env_name)
{
    const char *v = env_name ? opt_env(ps, names, env_name) : opt(ps, names);
    if (!v) {
        const char *bar = strchr(names, '|');
        int n = bar ? (int)(bar - names) : (int)strlen(names);
        if (env_name)
            log_error("password_secret (%s): \"%.*s\" is missing (set it in password_secret or "
                      "set %s)",
                      provider, n, names, env_name);
        else
            log_error("password_secret (%s): \"%.*s\" is missing or empty", provider, n, names);
    }
    return v;
}

static char *fetch_aws(const cJSON *ps)
{
    const char *prov = "aws";
    if (!config_validate(ps, aws_keys, NKEYS(aws_keys), "password_secret (aws)"))
        return NULL;
    const char *secret_id = required(prov, ps, "secret_id", NULL);
    if (!secret_id)
        return NULL;
    const char *region = opt_env(ps, "region", "AWS_REGION");
    if (!region)
        region = opt_env(ps, "region", "AWS_DEFAULT_REGION");
    if (!region) {
        log_error("password_secret (aws): \"region\" is missing (set it in password_secret or "
                  "set AWS_REGION)");
        return NULL;
    }
    /* credentials come as a set: all from the object, or all from the environment */
    const char *access_key, *secret_key, *token;
    if (opt(ps, "aws_access_key_id|AWS_ACCESS_KEY_ID")) {
        access_key = opt(ps, "aws_access_key_id|AWS_ACCESS_KEY_ID");
        secret_key = opt(ps, "aws_secret_access_key|AWS_SECRET_ACCESS_KEY");
        token = opt(ps, "aws_session_token|AWS_SESSION_TOKEN");
    } else {
        access_key = env("AWS_ACCESS_KEY_ID");
        secret_key = env("AWS_SECRET_ACCESS_KEY");
        token = env("AWS_SESSION_TOKEN");
    }
    if (!access_key || !secret_key) {
        log_error("password_secret (aws): no credentials: set AWS_ACCESS_KEY_ID and "
                  "AWS_SECRET_ACCESS_KEY (or aws_access_key_id and aws_secret_access_key in "
                  "password_secret)");
        return NULL;
    }
    if (!header_safe(prov, "region", region) ||
        !header_safe(prov, "aws_access_key_id", access_key) ||
        (token && !header_safe(prov, "aws_session_token", token)))
        return NULL;
    const char *ca = NULL;
    if (!ca_cert(prov, ps, "AWS_CA_BUNDLE", &ca))
        return NULL;

    char *result = NULL;
    buf url = BUF_INIT, host = BUF_INIT, body = BUF_INIT, auth = BUF_INIT;
    CURLU *u = NULL;
    char *u_host = NULL, *u_port = NULL, *u_path = NULL;
    struct curl_slist *headers = NULL;
    http_call call = {.provider = prov, .post = true, .ca_cert = ca};
    cJSON *root = NULL;

    const char *endpoint = opt(ps, "endpoint_url");
    if (endpoint) {
        if (!append_base_url(&url, prov, "endpoint_url", endpoint))
            goto done;
    } else {
        buf_append_lit(&url, "https://secretsmanager.");
        append_escaped(&url, region, false);
        buf_append_lit(&url, ".amazonaws.com");
        if (strncmp(region, "cn-", 3) == 0) /* the China partition */
            buf_append_lit(&url, ".cn");
    }
    if (!buf_ok(&url))
        goto oom;
    /* sign exactly the Host we send, and the path curl will request */
    u = curl_url();
    if (!u)
        goto oom;
    if (curl_url_set(u, CURLUPART_URL, url.data, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &u_host, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PATH, &u_path, 0) != CURLUE_OK) {
        log_error("password_secret (aws): cannot parse the endpoint URL \"%.200s\"", url.data);
        goto done;
    }
    (void)curl_url_get(u, CURLUPART_PORT, &u_port, 0); /* only when written in the URL */
    buf_appends(&host, u_host);
    if (u_port)
        buf_appendf(&host, ":%s", u_port);

    char amz_date[17];
    secrets_amz_date((long long)time(NULL), amz_date);
    buf_append_lit(&body, "{\"SecretId\":");
    jw_string(&body, secret_id, strlen(secret_id));
    buf_putc(&body, '}');
    if (!buf_ok(&host) || !buf_ok(&body))
        goto oom;

    const char *content_type = "application/x-amz-json-1.1";
    const char *target = "secretsmanager.GetSecretValue";
    secrets_header signed_headers[] = {
        {"content-type", content_type},  {"host", host.data},
        {"x-amz-date", amz_date},        {"x-amz-target", target},
        {"x-amz-security-token", token},
    };
    secrets_sigv4 req = {
        .method = "POST",
        .path = u_path[0] ? u_path : "/",
        .query = NULL,
        .headers = signed_headers,
        .nheaders = token ? 5 : 4,
        .payload = body.data,
        .payload_len = body.len,
        .region = region,
        .service = "secretsmanager",
        .access_key = access_key,
        .secret_key = secret_key,
        .amz_date = amz_date,
    };
    if (!secrets_sigv4_authorization(&auth, &req))
        goto done;
    if (!add_header(prov, &headers, "Host", host.data) ||
        !add_header(prov, &headers, "Content-Type", content_type) ||
        !add_header(prov, &headers, "X-Amz-Target", target) ||
        !add_header(prov, &headers, "X-Amz-Date", amz_date) ||
        (token && !add_header(prov, &headers, "X-Amz-Security-Token", token)) ||
        !add_header(prov, &headers, "Authorization", auth.data) ||
        !add_header(prov, &headers, "Expect", ""))
        goto done;

    call.url = url.data;
    call.headers = headers;
    call.body = body.data;
    call.body_len = body.len;
    if (!http_perform(&call) || !http_status_ok(&call, NULL))
        goto done;
    root = parse_body(&call);
    if (!root)
        goto done;
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(root, "SecretString");
    if (!cJSON_IsString(s)) {
        if (cJSON_GetObjectItemCaseSensitive(root, "SecretBinary"))
            log_error("password_secret (aws): secret \"%.200s\" is binary (SecretBinary); store "
                      "the password as a SecretString",
                      secret_id);
        else
            log_error("password_secret (aws): the response for \"%.200s\" has no SecretString",
                      secret_id);
        goto done;
    }
    result = secret_text_value(prov, s->valuestring, opt(ps, "key"), "the SecretString");
    if (result)
        log_info("password_secret (aws): password read from secret \"%.200s\"", secret_id);
    goto done;
oom:
    log_error("password_secret (aws): out of memory");
done:
    delete_wiped(root);
    http_call_term(&call);
    slist_wipe_free(headers);
    curl_free(u_host);
    curl_free(u_port);
    curl_free(u_path);
    curl_url_cleanup(u);
    buf_term(&url);
    buf_term(&host);
    buf_term(&body);
    buf_wipe_term(&auth);
    return result;
}

static char *fetch_vault(const cJSON *ps)
{
    const char *prov = "vault";
    if (!config_validate(ps, vault_keys, NKEYS(vault_keys), "password_secret (vault)"))
        return NULL;
    const char *base = required(prov, ps, "url", "VAULT_ADDR");
    const char *path = required(prov, ps, "path", NULL);
    const char *token = base && path ? required(prov, ps, "token", "VAULT_TOKEN") : NULL;
    if (!token)
        return NULL;
    const char *ns = opt_env(ps, "namespace", "VAULT_NAMESPACE");
    const char *key = opt(ps, "key");
    if (!key)
        key = "password";
    if (!header_safe(prov, "token", token) || (ns && !header_safe(prov, "namespace", ns)))
        return NULL;
    const char *ca = NULL;
    if (!ca_cert(prov, ps, "VAULT_CACERT", &ca))
        return NULL;

    char *result = NULL;
    buf url = BUF_INIT;
    struct curl_slist *headers = NULL;
    http_call call = {.provider = prov, .ca_cert = ca};
    cJSON *root = NULL;
    if (!append_base_url(&url, prov, "url", base))
        goto done;
    buf_append_lit(&url, "/v1/");
    while (*path == '/')
        path++;
    append_escaped(&url, path, true);
    if (!buf_ok(&url)) {
        log_error("password_secret (vault): out of memory");
        goto done;
    }
    if (!add_header(prov, &headers, "X-Vault-Token", token) ||
        (ns && !add_header(prov, &headers, "X-Vault-Namespace", ns)) ||
        !add_header(prov, &headers, "X-Vault-Request", "true") ||
        !add_header(prov, &headers, "Accept", "application/json"))
        goto done;
    call.url = url.data;
    call.headers = headers;
    if (!http_perform(&call) ||
        !http_status_ok(&call, call.status == 404
                                   ? "check \"path\" (KV v2 paths look like secret/data/NAME)"
                                   : NULL))
        goto done;
    root = parse_body(&call);
    if (!root)
        goto done;
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data");
    if (!cJSON_IsObject(data)) {
        log_error("password_secret (vault): the response for \"%.200s\" has no \"data\" object",
                  path);
        goto done;
    }
    /* KV v2 wraps the secret: data.data beside data.metadata; KV v1 is data itself */
    const cJSON *inner = cJSON_GetObjectItemCaseSensitive(data, "data");
    bool v2 = cJSON_IsObject(inner) && cJSON_GetObjectItemCaseSensitive(data, "metadata");
    result = member_string(prov, v2 ? inner : data, key, v2 ? "data.data" : "data");
    if (result)
        log_info("password_secret (vault): password read from \"%.200s\"", path);
done:
    delete_wiped(root);
    http_call_term(&call);
    slist_wipe_free(headers);
    buf_term(&url);
    return result;
}

static char *fetch_azure(const cJSON *ps)
{
    const char *prov = "azure";
    if (!config_validate(ps, azure_keys, NKEYS(azure_keys), "password_secret (azure)"))
        return NULL;
    const char *base = required(prov, ps, "vault_url", NULL);
    const char *name = base ? required(prov, ps, "name", NULL) : NULL;
    const char *token = name ? required(prov, ps, "access_token", "AZURE_ACCESS_TOKEN") : NULL;
    if (!token || !header_safe(prov, "access_token", token))
        return NULL;
    const char *ca = NULL;
    if (!ca_cert(prov, ps, NULL, &ca))
        return NULL;
    const char *version = opt(ps, "version");

    char *result = NULL;
    buf url = BUF_INIT, auth = BUF_INIT;
    struct curl_slist *headers = NULL;
    http_call call = {.provider = prov, .ca_cert = ca};
    cJSON *root = NULL;
    if (!append_base_url(&url, prov, "vault_url", base))
        goto done;
    buf_append_lit(&url, "/secrets/");
    append_escaped(&url, name, false);
    if (version) {
        buf_putc(&url, '/');
        append_escaped(&url, version, false);
    }
    buf_append_lit(&url, "?api-version=7.4");
    buf_append_lit(&auth, "Bearer ");
    buf_appends(&auth, token);
    if (!buf_ok(&url) || !buf_ok(&auth)) {
        log_error("password_secret (azure): out of memory");
        goto done;
    }
    if (!add_header(prov, &headers, "Authorization", auth.data) ||
        !add_header(prov, &headers, "Accept", "application/json"))
        goto done;
    call.url = url.data;
    call.headers = headers;
    if (!http_perform(&call) || !http_status_ok(&call, NULL))
        goto done;
    root = parse_body(&call);
    if (!root)
        goto done;
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(root, "value");
    if (!cJSON_IsString(value)) {
        log_error("password_secret (azure): the response for secret \"%.200s\" has no string "
                  "\"value\"",
                  name);
        goto done;
    }
    result = secret_text_value(prov, value->valuestring, opt(ps, "key"), "the secret value");
    if (result)
        log_info("password_secret (azure): password read from secret \"%.200s\"", name);
done:
    delete_wiped(root);
    http_call_term(&call);
    slist_wipe_free(headers);
    buf_term(&url);
    buf_wipe_term(&auth);
    return result;
}

char *secrets_resolve(const cJSON *config, bool *found)
{
    *found = false;
    const cJSON *ps = cJSON_GetObjectItemCaseSensitive(config, "password_secret");
    if (!ps || cJSON_IsNull(ps))
        return NULL;
    *found = true;
    if (!cJSON_IsObject(ps)) {
        log_error("password_secret must be an object with a \"provider\" (aws, vault or azure)");
        return NULL;
    }
    const char *provider = ju_string(ps, "provider", NULL);
    if (!provider) {
        log_error("password_secret: \"provider\" is missing (aws, vault or azure)");
        return NULL;
    }
    char *(*fetch)(const cJSON *) = NULL;
    if (strcasecmp(provider, "aws") == 0)
        fetch = fetch_aws;
    else if (strcasecmp(provider, "vault") == 0)
        fetch = fetch_vault;
    else if (strcasecmp(provider, "azure") == 0)
        fetch = fetch_azure;
    if (!fetch) {
        log_error("password_secret: unknown provider \"%.60s\" (expected aws, vault or azure)",
                  provider);
        return NULL;
    }
    /* curl counts its initialisations: this pair leaves other users of curl alone */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        log_error("password_secret (%s): cannot initialise libcurl", provider);
        return NULL;
    }
    char *password = fetch(ps);
    curl_global_cleanup();
    return password;
}
