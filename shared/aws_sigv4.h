/*
 * aws_sigv4: AWS Signature Version 4 (the "Authorization: AWS4-HMAC-SHA256 ..." header), over
 * sha256.c. The request description is borrowed for the length of a call; results are appended
 * to the caller's buf or written to the caller's arrays. Intermediate buffers that held key
 * material are wiped.
 *
 * The steps are public so each can be checked against the examples AWS publishes: the
 * canonical request, the signing key, and the Authorization value that combines them.
 */
#ifndef SINGER_AWS_SIGV4_H
#define SINGER_AWS_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "sha256.h"

typedef struct aws_sigv4_header {
    const char *name; /* any case; lower-cased for signing */
    const char *value;
} aws_sigv4_header;

typedef struct aws_sigv4_request {
    const char *method;              /* "GET", "POST" */
    const char *path;                /* canonical URI, already URI-encoded: "/" */
    const char *query;               /* canonical query string (sorted, encoded); NULL for none */
    const aws_sigv4_header *headers; /* the headers to sign; must include host and x-amz-date */
    size_t nheaders;
    const void *payload; /* request body; NULL when len is 0 */
    size_t payload_len;
    const char *region;     /* "us-east-1" */
    const char *service;    /* "secretsmanager" */
    const char *access_key; /* AKIA... */
    const char *secret_key;
    const char *amz_date; /* the x-amz-date value, YYYYMMDDTHHMMSSZ */
} aws_sigv4_request;

/*
 * aws_sigv4_canonical_request: append to out the canonical request of req (method, URI,
 * query, "name:value" header lines, signed header names, payload hash, one per line), and
 * to signed_names the signed header names ("host;x-amz-date"). Header names are lower-cased
 * and sorted, values trimmed and inner runs of spaces folded. False (logged) when a header is
 * unusable or memory runs out; out and signed_names are then unusable.
 */
bool aws_sigv4_canonical_request(buf *out, buf *signed_names, const aws_sigv4_request *req);

/*
 * aws_sigv4_signing_key: the HMAC chain "AWS4"+secret_key -> date (YYYYMMDD) -> region ->
 * service -> "aws4_request" into out. False (logged) when memory runs out.
 */
bool aws_sigv4_signing_key(const char *secret_key, const char *date, const char *region,
                           const char *service, uint8_t out[SHA256_DIGEST_LEN]);

/*
 * aws_sigv4_authorization: append to out the value of the Authorization header for req:
 * "AWS4-HMAC-SHA256 Credential=AK/DATE/REGION/SERVICE/aws4_request,
 * SignedHeaders=a;b, Signature=<64 hex>". False (logged) when amz_date is malformed or a
 * header is unusable; out is then unchanged.
 */
bool aws_sigv4_authorization(buf *out, const aws_sigv4_request *req);

/* aws_sigv4_amz_date: format t (UTC) as YYYYMMDDTHHMMSSZ into out (17 bytes with the NUL). */
void aws_sigv4_amz_date(long long t, char out[17]);

#endif
