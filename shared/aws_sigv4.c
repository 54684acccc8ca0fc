#include "aws_sigv4.h"

#include "log.h"
#include "wipe.h"

#include <assert.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void aws_sigv4_amz_date(long long t, char out[17])
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

static void canon_headers_free(canon_header *h, size_t n)
{
    if (!h)
        return;
    for (size_t i = 0; i < n; i++) {
        free(h[i].name);
        wipe_free_string(h[i].value);
    }
    free(h);
}

bool aws_sigv4_canonical_request(buf *out, buf *signed_names, const aws_sigv4_request *req)
{
    assert(req->method && req->path && (req->headers || !req->nheaders));
    bool ok = false;
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

    uint8_t digest[SHA256_DIGEST_LEN];
    char hex[SHA256_HEX_LEN + 1];
    buf_appendf(out, "%s\n%s\n%s\n", req->method, req->path, req->query ? req->query : "");
    for (size_t i = 0; i < req->nheaders; i++) {
        buf_appendf(out, "%s:%s\n", h[i].name, h[i].value);
        if (i)
            buf_putc(signed_names, ';');
        buf_appends(signed_names, h[i].name);
    }
    sha256(req->payload, req->payload_len, digest);
    sha256_hex(digest, hex);
    buf_appendf(out, "\n%s\n%s", signed_names->data ? signed_names->data : "", hex);
    if (!buf_ok(out) || !buf_ok(signed_names))
        goto oom;
    ok = true;
    goto done;
oom:
    log_error("sigv4: out of memory");
done:
    canon_headers_free(h, req->nheaders);
    return ok;
}

static void hmac_str(const uint8_t *key, size_t key_len, const char *msg,
                     uint8_t out[SHA256_DIGEST_LEN])
{
    sha256_hmac(key, key_len, msg, strlen(msg), out);
}

bool aws_sigv4_signing_key(const char *secret_key, const char *date, const char *region,
                           const char *service, uint8_t out[SHA256_DIGEST_LEN])
{
    assert(secret_key && date && region && service);
    buf key0 = BUF_INIT;
    buf_append_lit(&key0, "AWS4");
    buf_appends(&key0, secret_key);
    bool ok = buf_ok(&key0);
    if (ok) {
        hmac_str((const uint8_t *)key0.data, key0.len, date, out);
        hmac_str(out, SHA256_DIGEST_LEN, region, out);
        hmac_str(out, SHA256_DIGEST_LEN, service, out);
        hmac_str(out, SHA256_DIGEST_LEN, "aws4_request", out);
    } else {
        log_error("sigv4: out of memory");
    }
    wipe_buf_term(&key0);
    return ok;
}

bool aws_sigv4_signature(const aws_sigv4_request *req, buf *signed_names,
                         char out[SHA256_HEX_LEN + 1])
{
    if (!amz_date_ok(req->amz_date)) {
        log_error("sigv4: x-amz-date \"%.40s\" is not YYYYMMDDTHHMMSSZ",
                  req->amz_date ? req->amz_date : "");
        return false;
    }
    bool ok = false;
    buf canon = BUF_INIT, to_sign = BUF_INIT;
    if (!aws_sigv4_canonical_request(&canon, signed_names, req))
        goto done;

    /* the string to sign: algorithm, date, scope, hash of the canonical request */
    uint8_t digest[SHA256_DIGEST_LEN];
    char hex[SHA256_HEX_LEN + 1];
    char date[9];
    memcpy(date, req->amz_date, 8);
    date[8] = '\0';
    sha256(canon.data, canon.len, digest);
    sha256_hex(digest, hex);
    buf_appendf(&to_sign, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s", req->amz_date, date,
                req->region, req->service, hex);
    if (!buf_ok(&to_sign)) {
        log_error("sigv4: out of memory");
        goto done;
    }

    uint8_t k[SHA256_DIGEST_LEN];
    if (!aws_sigv4_signing_key(req->secret_key, date, req->region, req->service, k))
        goto done;
    sha256_hmac(k, sizeof(k), to_sign.data, to_sign.len, digest);
    wipe_bytes(k, sizeof(k));
    sha256_hex(digest, out);
    ok = true;
done:
    wipe_buf_term(&canon);
    buf_term(&to_sign);
    return ok;
}

bool aws_sigv4_authorization(buf *out, const aws_sigv4_request *req)
{
    buf names = BUF_INIT;
    char hex[SHA256_HEX_LEN + 1];
    bool ok = aws_sigv4_signature(req, &names, hex);
    if (ok) {
        size_t before = out->len;
        buf_appendf(out,
                    "AWS4-HMAC-SHA256 Credential=%s/%.8s/%s/%s/aws4_request, SignedHeaders=%s, "
                    "Signature=%s",
                    req->access_key, req->amz_date, req->region, req->service,
                    names.data ? names.data : "", hex);
        if (!buf_ok(out)) {
            out->len = before;
            log_error("sigv4: out of memory");
            ok = false;
        }
    }
    buf_term(&names);
    return ok;
}
