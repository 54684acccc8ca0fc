/*
 * sha256: SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), for request signing
 * (AWS SigV4 in aws_sigv4.c). No allocation; all buffers belong to the caller.
 */
#ifndef SINGER_SHA256_H
#define SINGER_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_LEN 32
#define SHA256_BLOCK_LEN 64
#define SHA256_HEX_LEN 64 /* hex digits, without the NUL */

typedef struct sha256_ctx {
    uint32_t state[8];
    uint64_t total; /* bytes hashed so far */
    uint8_t block[SHA256_BLOCK_LEN];
    size_t used; /* bytes waiting in block */
} sha256_ctx;

/* sha256_init: start a new digest in ctx. */
void sha256_init(sha256_ctx *ctx);
/* sha256_update: hash n more bytes from data (data may be NULL when n is 0). */
void sha256_update(sha256_ctx *ctx, const void *data, size_t n);
/* sha256_final: write the 32-byte digest to out and wipe ctx. */
void sha256_final(sha256_ctx *ctx, uint8_t out[SHA256_DIGEST_LEN]);
/* sha256: the digest of data[0..n) in one call. */
void sha256(const void *data, size_t n, uint8_t out[SHA256_DIGEST_LEN]);
/* sha256_hmac: HMAC-SHA256 of data[0..n) under key[0..key_len) (any key length). */
void sha256_hmac(const void *key, size_t key_len, const void *data, size_t n,
                 uint8_t out[SHA256_DIGEST_LEN]);
/* sha256_hex: lower-case hex of a digest into out (65 bytes: 64 digits and a NUL). */
void sha256_hex(const uint8_t digest[SHA256_DIGEST_LEN], char out[SHA256_HEX_LEN + 1]);

#endif
