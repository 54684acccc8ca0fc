/*
 * http_client: one HTTPS request over libcurl, with the limits the README states for secret
 * managers: connect timeout 10 s, total 30 s, TLS certificates and host names verified, an
 * optional CA bundle, redirects never followed, http/https only, responses over 1 MiB refused.
 * Proxies follow the usual curl environment variables. The caller runs curl_global_init.
 *
 * Every log line starts with the caller's "what" ("password_secret (vault)"). Responses and
 * header lines may hold secrets: they are wiped when released.
 */
#ifndef SINGER_HTTP_CLIENT_H
#define SINGER_HTTP_CLIENT_H

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define HTTP_CLIENT_MAX_RESPONSE (1024 * 1024)
#define HTTP_CLIENT_SHOWN_MAX 200 /* longest server text quoted in a log line */

typedef struct http_client_call {
    const char *what;           /* borrowed; the start of every log line */
    bool post;                  /* POST body, else GET */
    const char *url;            /* borrowed */
    struct curl_slist *headers; /* borrowed */
    const char *body;           /* borrowed; POST only */
    size_t body_len;
    const char *ca_cert; /* borrowed; a PEM bundle path, or NULL for the system's */
    long status;         /* out: HTTP status */
    buf response;        /* out: the body (owned); wiped by http_client_call_term */
    bool too_big;        /* the response passed HTTP_CLIENT_MAX_RESPONSE */
} http_client_call;

/* http_client_perform: run the request c describes; false (logged) when no HTTP answer came. */
bool http_client_perform(http_client_call *c);

/*
 * http_client_status_ok: true for a 2xx status; otherwise log the status and the server's own
 * message (AWS, Vault and Azure error shapes, else the body shortened), then hint when given.
 */
bool http_client_status_ok(const http_client_call *c, const char *hint);

/*
 * http_client_parse_object: the response body as a JSON object (the caller releases it with
 * wipe_json_delete), or NULL after logging where it stopped (the body is not shown).
 */
cJSON *http_client_parse_object(const http_client_call *c);

/*
 * http_client_fetch_object: http_client_perform, then http_client_status_ok (with hint when
 * the status is hint_status; 0 for none), then http_client_parse_object: the JSON object of a
 * 2xx answer (release it with wipe_json_delete), or NULL after one log line.
 */
cJSON *http_client_fetch_object(http_client_call *c, long hint_status, const char *hint);

/* http_client_call_term: wipe and free the response. */
void http_client_call_term(http_client_call *c);

/* http_client_header_safe: false (logged, naming label) when v has a control character. */
bool http_client_header_safe(const char *what, const char *label, const char *v);

/* http_client_add_header: append "Name: value" to *list; false (logged) when out of memory. */
bool http_client_add_header(const char *what, struct curl_slist **list, const char *name,
                            const char *value);

/* http_client_headers_free: wipe and free a list built by http_client_add_header. NULL is fine. */
void http_client_headers_free(struct curl_slist *list);

/* http_client_append_escaped: percent-encode s into out, keeping unreserved bytes (and '/'). */
void http_client_append_escaped(buf *out, const char *s, bool keep_slash);

/*
 * http_client_append_base_url: append url without its trailing slashes; false (logged,
 * naming key) unless it starts with https:// or http://.
 */
bool http_client_append_base_url(buf *out, const char *what, const char *key, const char *url);

/*
 * http_client_shorten: append s[0..n) with whitespace and control bytes folded to single
 * spaces, cut after HTTP_CLIENT_SHOWN_MAX bytes (at a UTF-8 character boundary) with "..."
 * when something was left out: server text made fit for one log line.
 */
void http_client_shorten(buf *out, const char *s, size_t n);

#endif
