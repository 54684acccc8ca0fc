/*
 * test_aws_sigv4 (run by the unit_secrets binary): the SigV4 signer against AWS's published
 * examples (the SigV4 test suite and documentation) and botocore, each step (canonical request,
 * signing key, Authorization), and the input it refuses.
 */
#include "aws_sigv4.h"
#include "buf.h"
#include "sha256.h"
#include "../tap/capture.h" /* capture_begin, capture_end */

#include <check.h>
#include <stdio.h>
#include <string.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- SigV4 against AWS's published examples ---- */

static const char *sign(const aws_sigv4_request *req)
{
    static char out[512];
    buf b = BUF_INIT;
    bool ok = aws_sigv4_authorization(&b, req);
    ck_assert(ok);
    snprintf(out, sizeof(out), "%s", b.data);
    buf_term(&b);
    return out;
}

#define DOC_AK "AKIDEXAMPLE" /* the access and secret key of the SigV4 test suite */
#define DOC_SK "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define HEADERS(h) .headers = (h), .nheaders = sizeof(h) / sizeof((h)[0])

static const aws_sigv4_header s3_headers[] = {
    {"Host", "examplebucket.s3.amazonaws.com"},
    {"Range", "bytes=0-9"},
    {"x-amz-content-sha256", EMPTY_SHA256},
    {"x-amz-date", "20130524T000000Z"},
};
/* header order, name case and surrounding/inner blanks do not change the signature */
static const aws_sigv4_header s3_messy_headers[] = {
    {"X-Amz-Date", "20130524T000000Z"},
    {"RANGE", "  bytes=0-9 "},
    {"x-amz-content-sha256", EMPTY_SHA256},
    {"host", "\texamplebucket.s3.amazonaws.com"},
};
static const aws_sigv4_header vanilla_headers[] = {
    {"Host", "example.amazonaws.com"},
    {"X-Amz-Date", "20150830T123600Z"},
};
static const aws_sigv4_header iam_headers[] = {
    {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
    {"Host", "iam.amazonaws.com"},
    {"X-Amz-Date", "20150830T123600Z"},
};
static const aws_sigv4_header botocore_headers[] = {
    {"Content-Type", "application/x-amz-json-1.1"},
    {"X-Amz-Target", "secretsmanager.GetSecretValue"},
    {"Host", "secretsmanager.us-east-1.amazonaws.com"},
    {"X-Amz-Date", "20150830T123600Z"},
    {"X-Amz-Security-Token", "FwoGZXIvYXdzEXAMPLE"},
};
#define BOTOCORE_BODY "{\"SecretId\":\"prod/db\"}"

#define S3_REQUEST(h)                                                                              \
    {                                                                                              \
        .method = "GET", .path = "/test.txt", HEADERS(h), .region = "us-east-1", .service = "s3",  \
        .access_key = "AKIAIOSFODNN7EXAMPLE",                                                      \
        .secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", .amz_date = "20130524T000000Z"   \
    }
#define S3_AUTHORIZATION                                                                           \
    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "        \
    "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "                                   \
    "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
#define VANILLA_REQUEST(m)                                                                         \
    {                                                                                              \
        .method = (m), .path = "/", HEADERS(vanilla_headers), .region = "us-east-1",               \
        .service = "service", .access_key = DOC_AK, .secret_key = DOC_SK,                          \
        .amz_date = "20150830T123600Z"                                                             \
    }
#define VANILLA_AUTHORIZATION(sig)                                                                 \
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "            \
    "SignedHeaders=host;x-amz-date, Signature=" sig

typedef struct sigv4_case {
    const char *source; /* where the example is published */
    aws_sigv4_request req;
    const char *authorization; /* the Authorization value it gives */
} sigv4_case;

static const sigv4_case sigv4_cases[] = {
    {"SigV4 documentation, S3 GetObject (\"Signature Calculations ... Header\")",
     S3_REQUEST(s3_headers), S3_AUTHORIZATION},
    {"the same, headers reordered, names in other case, values with blanks",
     S3_REQUEST(s3_messy_headers), S3_AUTHORIZATION},
    {"SigV4 test suite, get-vanilla", VANILLA_REQUEST("GET"),
     VANILLA_AUTHORIZATION("5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")},
    {"SigV4 test suite, post-vanilla", VANILLA_REQUEST("POST"),
     VANILLA_AUTHORIZATION("5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b")},
    {"SigV4 documentation, IAM ListUsers: a query string and a content-type",
     {.method = "GET",
      .path = "/",
      .query = "Action=ListUsers&Version=2010-05-08",
      HEADERS(iam_headers),
      .region = "us-east-1",
      .service = "iam",
      .access_key = DOC_AK,
      .secret_key = DOC_SK,
      .amz_date = "20150830T123600Z"},
     "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
     "SignedHeaders=content-type;host;x-amz-date, "
     "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"},
    {"GetSecretValue as botocore's SigV4Auth signs it (an independent implementation)",
     {.method = "POST",
      .path = "/",
      HEADERS(botocore_headers),
      .payload = BOTOCORE_BODY,
      .payload_len = sizeof(BOTOCORE_BODY) - 1,
      .region = "us-east-1",
      .service = "secretsmanager",
      .access_key = DOC_AK,
      .secret_key = DOC_SK,
      .amz_date = "20150830T123600Z"},
     "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/secretsmanager/aws4_request, "
     "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, "
     "Signature=666464ba1b39b2594bada10638d802724b5fccededd3a1efee2d944b1abd9c06"},
};

START_TEST(sigv4_known_answers)
{
    const sigv4_case *c = &sigv4_cases[_i];
    const char *got = sign(&c->req);
    ck_assert_msg(strcmp(got, c->authorization) == 0, "%s: got %s", c->source, got);
}
END_TEST

/* the get-vanilla canonical request of the test suite, and the hash its string to sign holds */
START_TEST(sigv4_canonical_request_vanilla)
{
    const aws_sigv4_request req = VANILLA_REQUEST("GET");
    buf canon = BUF_INIT, names = BUF_INIT;
    ck_assert(aws_sigv4_canonical_request(&canon, &names, &req));
    ck_assert_str_eq(canon.data,
                     "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n"
                     "\nhost;x-amz-date\n" EMPTY_SHA256);
    ck_assert_str_eq(names.data, "host;x-amz-date");
    uint8_t digest[SHA256_DIGEST_LEN];
    char hex[SHA256_HEX_LEN + 1];
    sha256(canon.data, canon.len, digest);
    sha256_hex(digest, hex);
    ck_assert_str_eq(hex, "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
    buf_term(&canon);
    buf_term(&names);
}
END_TEST

/* the derived signing keys of the SigV4 documentation ("Examples of how to derive a signing key")
 */
START_TEST(sigv4_signing_key_documented)
{
    uint8_t k[SHA256_DIGEST_LEN];
    char hex[SHA256_HEX_LEN + 1];
    ck_assert(aws_sigv4_signing_key(DOC_SK, "20150830", "us-east-1", "iam", k));
    sha256_hex(k, hex);
    ck_assert_str_eq(hex, "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
    ck_assert(aws_sigv4_signing_key(DOC_SK, "20120215", "us-east-1", "iam", k));
    sha256_hex(k, hex);
    ck_assert_str_eq(hex, "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}
END_TEST

START_TEST(sigv4_rejects_bad_input)
{
    aws_sigv4_header h[] = {{"Host", "example.amazonaws.com"}};
    aws_sigv4_request req = {
        .method = "GET",
        .path = "/",
        .headers = h,
        .nheaders = 1,
        .region = "us-east-1",
        .service = "service",
        .access_key = "AK",
        .secret_key = "SK",
        .amz_date = "2015-08-30",
    };
    buf b = BUF_INIT;
    capture_begin();
    bool ok = aws_sigv4_authorization(&b, &req);
    const char *log = capture_end();
    ck_assert(!ok);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_ptr_nonnull(strstr(log, "sigv4: x-amz-date \"2015-08-30\" is not YYYYMMDDTHHMMSSZ"));

    aws_sigv4_header bad[] = {{"Host", "example.amazonaws.com\r\nX-Evil: 1"}};
    req.headers = bad;
    req.amz_date = "20150830T123600Z";
    capture_begin();
    ok = aws_sigv4_authorization(&b, &req);
    log = capture_end();
    ck_assert(!ok);
    ck_assert_ptr_nonnull(strstr(log, "sigv4: header \"Host\" cannot be signed"));
    buf_term(&b);
}
END_TEST

START_TEST(amz_date_format)
{
    char d[17];
    aws_sigv4_amz_date(1369353600LL, d); /* 2013-05-24 00:00:00 UTC */
    ck_assert_str_eq(d, "20130524T000000Z");
    aws_sigv4_amz_date(1440938160LL, d);
    ck_assert_str_eq(d, "20150830T123600Z");
}
END_TEST

/* aws_sigv4_suite: run from unit_secrets (test_secrets.c) */
Suite *aws_sigv4_suite(void)
{
    Suite *s = suite_create("aws_sigv4");
    TCase *t = tcase_create("sigv4");
    tcase_add_loop_test(t, sigv4_known_answers, 0, (int)NELEM(sigv4_cases));
    tcase_add_test(t, sigv4_canonical_request_vanilla);
    tcase_add_test(t, sigv4_signing_key_documented);
    tcase_add_test(t, sigv4_rejects_bad_input);
    tcase_add_test(t, amz_date_format);
    suite_add_tcase(s, t);
    return s;
}
