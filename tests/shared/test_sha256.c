/*
 * test_sha256: SHA-256 (FIPS 180-2 examples) and HMAC-SHA256 (RFC 4231) vectors; run by the
 * unit_secrets binary.
 */
#include "sha256.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

static void hex_of(const uint8_t *d, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 15];
    }
    out[2 * n] = '\0';
}

static const char *sha_hex(const void *data, size_t n)
{
    static char out[SHA256_HEX_LEN + 1];
    uint8_t d[SHA256_DIGEST_LEN];
    sha256(data, n, d);
    sha256_hex(d, out);
    return out;
}

/* ---- SHA-256 ---- */

START_TEST(sha256_vectors)
{
    ck_assert_str_eq(sha_hex("", 0),
                     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    ck_assert_str_eq(sha_hex("abc", 3),
                     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    ck_assert_str_eq(sha_hex(m448, strlen(m448)),
                     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    const char *m896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjk"
                       "lmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    ck_assert_str_eq(sha_hex(m896, strlen(m896)),
                     "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}
END_TEST

START_TEST(sha256_million_a_in_pieces)
{
    /* one million 'a' fed in uneven pieces crosses every block boundary case */
    static char chunk[997];
    memset(chunk, 'a', sizeof(chunk));
    sha256_ctx ctx;
    sha256_init(&ctx);
    size_t left = 1000000;
    for (size_t step = 1; left; step = (step + 61) % sizeof(chunk) + 1) {
        size_t n = step < left ? step : left;
        sha256_update(&ctx, chunk, n);
        left -= n;
    }
    uint8_t d[SHA256_DIGEST_LEN];
    char hex[SHA256_HEX_LEN + 1];
    sha256_final(&ctx, d);
    sha256_hex(d, hex);
    ck_assert_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}
END_TEST

START_TEST(sha256_split_equals_whole)
{
    char msg[200];
    for (size_t i = 0; i < sizeof(msg); i++)
        msg[i] = (char)(i * 7 + 3);
    for (size_t len = 0; len <= sizeof(msg); len += 13) {
        char whole[SHA256_HEX_LEN + 1];
        snprintf(whole, sizeof(whole), "%s", sha_hex(msg, len));
        for (size_t cut = 0; cut <= len; cut++) {
            sha256_ctx ctx;
            uint8_t d[SHA256_DIGEST_LEN];
            char hex[SHA256_HEX_LEN + 1];
            sha256_init(&ctx);
            sha256_update(&ctx, msg, cut);
            sha256_update(&ctx, NULL, 0);
            sha256_update(&ctx, msg + cut, len - cut);
            sha256_final(&ctx, d);
            sha256_hex(d, hex);
            ck_assert_msg(strcmp(hex, whole) == 0, "len %zu cut %zu", len, cut);
        }
    }
}
END_TEST

/* ---- HMAC-SHA256, RFC 4231 section 4 ---- */

static const char *hmac_hex(const void *key, size_t klen, const void *data, size_t n)
{
    static char out[SHA256_HEX_LEN + 1];
    uint8_t d[SHA256_DIGEST_LEN];
    sha256_hmac(key, klen, data, n, d);
    hex_of(d, sizeof(d), out);
    return out;
}

START_TEST(hmac_rfc4231)
{
    uint8_t key[131], data[50];

    memset(key, 0x0b, 20); /* test case 1 */
    ck_assert_str_eq(hmac_hex(key, 20, "Hi There", 8),
                     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    /* test case 2: a key shorter than the output */
    ck_assert_str_eq(hmac_hex("Jefe", 4, "what do ya want for nothing?", 28),
                     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    memset(key, 0xaa, 20); /* test case 3 */
    memset(data, 0xdd, 50);
    ck_assert_str_eq(hmac_hex(key, 20, data, 50),
                     "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
    for (int i = 0; i < 25; i++) /* test case 4 */
        key[i] = (uint8_t)(i + 1);
    memset(data, 0xcd, 50);
    ck_assert_str_eq(hmac_hex(key, 25, data, 50),
                     "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
    memset(key, 0x0c, 20); /* test case 5: output truncated to 128 bits */
    ck_assert_int_eq(strncmp(hmac_hex(key, 20, "Test With Truncation", 20),
                             "a3b6167473100ee06e0c796c2955552b", 32),
                     0);
    memset(key, 0xaa, 131); /* test case 6: a key larger than a block */
    const char *m6 = "Test Using Larger Than Block-Size Key - Hash Key First";
    ck_assert_str_eq(hmac_hex(key, 131, m6, strlen(m6)),
                     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    /* test case 7: key and data larger than a block */
    const char *m7 = "This is a test using a larger than block-size key and a larger than "
                     "block-size data. The key needs to be hashed before being used by the HMAC "
                     "algorithm.";
    ck_assert_str_eq(hmac_hex(key, 131, m7, strlen(m7)),
                     "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}
END_TEST

/* sha256_suite: run from unit_secrets (test_secrets.c) */
Suite *sha256_suite(void)
{
    Suite *s = suite_create("sha256");
    TCase *t = tcase_create("hash");
    tcase_add_test(t, sha256_vectors);
    tcase_add_test(t, sha256_million_a_in_pieces);
    tcase_add_test(t, sha256_split_equals_whole);
    tcase_add_test(t, hmac_rfc4231);
    suite_add_tcase(s, t);
    return s;
}
