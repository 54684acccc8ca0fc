#include "http_client.h"

#include "json_util.h"
#include "log.h"
#include "wipe.h"

#include <assert.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>

#define CONNECT_TIMEOUT_S 10L
#define TOTAL_TIMEOUT_S 30L

void http_client_call_term(http_client_call *c)
{
    wipe_buf_term(&c->response);
}

void http_client_headers_free(struct curl_slist *list)
{
    for (struct curl_slist *l = list; l; l = l->next)
        wipe_bytes(l->data, strlen(l->data));
    curl_slist_free_all(list);
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    http_client_call *c = userdata;
    size_t n = size * nmemb;
    if (c->response.len + n > HTTP_CLIENT_MAX_RESPONSE) {
        c->too_big = true;
        return 0;
    }
    buf_append(&c->response, ptr, n);
    return buf_ok(&c->response) ? n : 0;
}

bool http_client_perform(http_client_call *c)
{
    assert(c->what && c->url && (!c->post || c->body || !c->body_len));
    CURL *curl = curl_easy_init();
    if (!curl) {
        log_error("%s: cannot initialise libcurl", c->what);
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
    if (c->method)
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, c->method);
    long total = c->timeout_s > 0 ? c->timeout_s : TOTAL_TIMEOUT_S;
    long connect = c->timeout_s > 0 ? (c->timeout_s + 1) / 2 : CONNECT_TIMEOUT_S;
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, connect);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, total);
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
            log_error("%s: the response from %s is larger than %d bytes", c->what, c->url,
                      HTTP_CLIENT_MAX_RESPONSE);
        else
            log_error("%s: request to %s failed: %s", c->what, c->url,
                      errbuf[0] ? errbuf : curl_easy_strerror(rc));
    } else {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &c->status);
    }
    curl_easy_cleanup(curl);
    return ok;
}

void http_client_shorten(buf *out, const char *s, size_t n)
{
    size_t start = out->len;
    bool space = false, cut = false, mid_char = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch <= ' ' || ch == 0x7f) {
            space = out->len > start;
            continue;
        }
        if (out->len - start >= HTTP_CLIENT_SHOWN_MAX) {
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
    cJSON *root = len ? json_util_parse(body, len, NULL) : NULL;
    if (!root) {
        http_client_shorten(out, body ? body : "", len);
        return;
    }
    buf m = BUF_INIT;
    const char *type = json_util_string(root, "__type", NULL);
    const char *msg = json_util_string(root, "Message", json_util_string(root, "message", NULL));
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(root, "error");
    if (cJSON_IsObject(err)) {
        type = json_util_string(err, "code", type);
        msg = json_util_string(err, "message", msg);
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
    http_client_shorten(out, m.data ? m.data : "", m.len);
    buf_term(&m);
    cJSON_Delete(root);
}

bool http_client_status_ok(const http_client_call *c, const char *hint)
{
    if (c->status >= 200 && c->status < 300)
        return true;
    buf m = BUF_INIT;
    error_message(&m, c->response.data, c->response.len);
    if (c->status >= 300 && c->status < 400)
        log_error("%s: HTTP %ld from %s: redirects are not followed, use the "
                  "address that answers directly",
                  c->what, c->status, c->url);
    else
        log_error("%s: HTTP %ld from %s: %s%s%s", c->what, c->status, c->url,
                  m.len ? m.data : "(no error message)", hint ? "; " : "", hint ? hint : "");
    buf_term(&m);
    return false;
}

cJSON *http_client_parse_object(const http_client_call *c)
{
    size_t off = 0;
    cJSON *root = json_util_parse(c->response.data ? c->response.data : "", c->response.len, &off);
    if (!root) {
        log_error("%s: the response from %s is not JSON (error at byte %zu of "
                  "%zu)",
                  c->what, c->url, off, c->response.len);
        return NULL;
    }
    if (!cJSON_IsObject(root)) {
        log_error("%s: the response from %s is not a JSON object", c->what, c->url);
        wipe_json_delete(root);
        return NULL;
    }
    return root;
}

bool http_client_header_safe(const char *what, const char *label, const char *v)
{
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (*p < ' ' || *p == 0x7f) {
            log_error("%s: %s contains a control character", what, label);
            return false;
        }
    }
    return true;
}

bool http_client_add_header(const char *what, struct curl_slist **list, const char *name,
                            const char *value)
{
    buf line = BUF_INIT;
    buf_appendf(&line, "%s: %s", name, value);
    struct curl_slist *next = buf_ok(&line) ? curl_slist_append(*list, line.data) : NULL;
    wipe_buf_term(&line);
    if (!next) {
        log_error("%s: out of memory", what);
        return false;
    }
    *list = next;
    return true;
}

void http_client_append_escaped(buf *out, const char *s, bool keep_slash)
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

bool http_client_append_base_url(buf *out, const char *what, const char *key, const char *url)
{
    if (strncasecmp(url, "https://", 8) != 0 && strncasecmp(url, "http://", 7) != 0) {
        log_error("%s: \"%s\" must start with https:// (or http://), got "
                  "\"%.100s\"",
                  what, key, url);
        return false;
    }
    size_t n = strlen(url);
    while (n && url[n - 1] == '/')
        n--;
    buf_append(out, url, n);
    return true;
}

cJSON *http_client_fetch_object(http_client_call *c, long hint_status, const char *hint)
{
    if (!http_client_perform(c) ||
        !http_client_status_ok(c, hint_status && c->status == hint_status ? hint : NULL))
        return NULL;
    return http_client_parse_object(c);
}
