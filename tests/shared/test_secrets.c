/*
 * unit_secrets: the password_secret object, and each provider's request flow against a
 * one-request HTTP server on 127.0.0.1; main() also runs the suites of test_sha256.c and
 * test_aws_sigv4.c.
 */
#define _GNU_SOURCE /* strcasestr */
#include "aws_credentials.h"
#include "aws_sigv4.h"
#include "buf.h"
#include "secrets.h"
#include "../tap/capture.h" /* capture_begin, capture_end */

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- helpers ---- */

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* resolve: secrets_resolve on config text, with its log captured */
static char *resolve(const char *config_text, bool *found, const char **log)
{
    cJSON *config = cJSON_Parse(config_text);
    ck_assert_msg(config != NULL, "bad test config: %s", config_text);
    capture_begin();
    char *pw = secrets_resolve(config, found);
    *log = capture_end();
    cJSON_Delete(config);
    return pw;
}

/* ---- a one-request HTTP server on 127.0.0.1 ---- */

typedef struct fake_server {
    int fd;
    int port;
    pthread_t thread;
    int status;        /* the canned answer */
    const char *reply; /* the canned body */
    /* the recorded request */
    char method[16];
    char target[2048];
    char headers[8192]; /* the header lines, CRLF-separated */
    char body[8192];
    bool got_request;
} fake_server;

static void *serve_one(void *arg)
{
    fake_server *s = arg;
    struct pollfd p = {.fd = s->fd, .events = POLLIN};
    if (poll(&p, 1, 20000) != 1) /* the test fails on its own when no request comes */
        return NULL;
    int c = accept(s->fd, NULL, NULL);
    if (c < 0)
        return NULL;
    static char req[32768];
    size_t len = 0;
    char *end = NULL;
    while (!end && len < sizeof(req) - 1) {
        ssize_t n = read(c, req + len, sizeof(req) - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
        req[len] = '\0';
        end = strstr(req, "\r\n\r\n");
    }
    if (end) {
        size_t head_len = (size_t)(end - req);
        size_t want = 0;
        const char *cl = strcasestr(req, "\r\ncontent-length:");
        if (cl && cl < end)
            want = strtoul(cl + 17, NULL, 10);
        while (len < head_len + 4 + want && len < sizeof(req) - 1) {
            ssize_t n = read(c, req + len, sizeof(req) - 1 - len);
            if (n <= 0)
                break;
            len += (size_t)n;
        }
        req[len] = '\0';
        char *line_end = strstr(req, "\r\n");
        sscanf(req, "%15s %2047s", s->method, s->target);
        snprintf(s->headers, sizeof(s->headers), "%.*s", (int)(end - line_end - 2), line_end + 2);
        snprintf(s->body, sizeof(s->body), "%s", end + 4);
        s->got_request = true;
    }
    char head[256];
    int hn = snprintf(head, sizeof(head),
                      "HTTP/1.1 %d Canned\r\nContent-Type: application/json\r\nContent-Length: "
                      "%zu\r\nConnection: close\r\n\r\n",
                      s->status, strlen(s->reply));
    ssize_t w = write(c, head, (size_t)hn);
    w = write(c, s->reply, strlen(s->reply));
    (void)w;
    close(c);
    return NULL;
}

static void server_start(fake_server *s, int status, const char *reply)
{
    memset(s, 0, sizeof(*s));
    s->status = status;
    s->reply = reply;
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(s->fd, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(s->fd, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(listen(s->fd, 4), 0);
    socklen_t alen = sizeof(a);
    ck_assert_int_eq(getsockname(s->fd, (struct sockaddr *)&a, &alen), 0);
    s->port = ntohs(a.sin_port);
    ck_assert_int_eq(pthread_create(&s->thread, NULL, serve_one, s), 0);
}

static void server_join(fake_server *s)
{
    pthread_join(s->thread, NULL);
    close(s->fd);
}

/* server_header: the value of a recorded header (case-insensitive name), or NULL */
static const char *server_header(const fake_server *s, const char *name)
{
    static char value[2048];
    size_t n = strlen(name);
    const char *p = s->headers;
    while (*p) {
        const char *eol = strstr(p, "\r\n");
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if (len > n && strncasecmp(p, name, n) == 0 && p[n] == ':') {
            const char *v = p + n + 1;
            while (*v == ' ')
                v++;
            snprintf(value, sizeof(value), "%.*s", (int)(len - (size_t)(v - p)), v);
            return value;
        }
        if (!eol)
            break;
        p = eol + 2;
    }
    return NULL;
}

/* ---- secrets_resolve: the object itself ---- */

START_TEST(resolve_absent_or_null)
{
    bool found = true;
    const char *log;
    ck_assert_ptr_null(resolve("{\"password\":\"x\"}", &found, &log));
    ck_assert(!found);
    ck_assert_str_eq(log, "");
    found = true;
    ck_assert_ptr_null(resolve("{\"password_secret\":null}", &found, &log));
    ck_assert(!found);
    ck_assert_str_eq(log, "");
}
END_TEST

/* a password_secret refused before any request: the config, and what the log says */
static const struct {
    const char *config;
    const char *logged;
} bad_configs[] = {
    {"{\"password_secret\":\"aws\"}", "password_secret must be an object with a \"provider\""},
    {"{\"password_secret\":{\"secret_id\":\"x\"}}", "password_secret: \"provider\" is missing"},
    {"{\"password_secret\":{\"provider\":\"gcp\"}}",
     "password_secret: unknown provider \"gcp\" (expected aws, vault or azure)"},
    {"{\"password_secret\":{\"provider\":\"aws\",\"region\":\"eu-west-1\"}}",
     "password_secret (aws): required key \"secret_id\" is missing"},
    {"{\"password_secret\":{\"provider\":\"vault\",\"url\":\"vault:8200\","
     "\"path\":\"secret/data/db\",\"token\":\"t\"}}",
     "password_secret (vault): \"url\" must start with https:// (or http://), got "
     "\"vault:8200\""},
    {"{\"password_secret\":{\"provider\":\"azure\",\"vault_url\":"
     "\"https://x.vault.azure.net\",\"name\":\"n\"}}",
     "password_secret (azure): \"access_token\" is missing (set it in password_secret or set "
     "AZURE_ACCESS_TOKEN)"},
    /* missing credentials */
    {"{\"password_secret\":{\"provider\":\"aws\",\"secret_id\":\"x\",\"region\":\"eu-west-1\"}}",
     "password_secret (aws): no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"},
    {"{\"password_secret\":{\"provider\":\"aws\",\"secret_id\":\"x\","
     "\"aws_access_key_id\":\"AK\",\"aws_secret_access_key\":\"SK\"}}",
     "password_secret (aws): \"region\" is missing"},
    {"{\"password_secret\":{\"provider\":\"vault\",\"url\":\"http://127.0.0.1:1\","
     "\"path\":\"secret/data/db\"}}",
     "password_secret (vault): \"token\" is missing (set it in password_secret or set "
     "VAULT_TOKEN)"},
    /* a CR/LF in a token would split the header */
    {"{\"password_secret\":{\"provider\":\"vault\",\"url\":\"http://127.0.0.1:1\",\"path\":\"p\","
     "\"token\":\"a\\r\\nX-Evil: 1\"}}",
     "password_secret (vault): token contains a control character"},
    /* a CA bundle that cannot be read is reported before any request */
    {"{\"password_secret\":{\"provider\":\"vault\",\"url\":\"https://127.0.0.1:1\",\"path\":\"p\","
     "\"token\":\"t\",\"ca_cert\":\"/nonexistent/ca.pem\"}}",
     "password_secret (vault): ca_cert \"/nonexistent/ca.pem\" cannot be read: No such file or "
     "directory\n"},
};

START_TEST(resolve_bad_config)
{
    bool found = false;
    const char *log;
    ck_assert_ptr_null(resolve(bad_configs[_i].config, &found, &log));
    ck_assert(found);
    ck_assert_msg(strstr(log, bad_configs[_i].logged) != NULL, "case %d: log: %s", _i, log);
}
END_TEST

/* ---- through the one-request server ---- */

/* serve_resolve: answer one request with status and reply; resolve config_fmt (%d: the port) */
static char *serve_resolve(fake_server *s, int status, const char *reply, const char *config_fmt,
                           bool *found, const char **log)
{
    server_start(s, status, reply);
    char config[1024];
    snprintf(config, sizeof(config), config_fmt, s->port);
    char *pw = resolve(config, found, log);
    server_join(s);
    return pw;
}

#define AWS_CONFIG(extra)                                                                          \
    "{\"password_secret\":{\"provider\":\"aws\",\"secret_id\":\"prod/db\"," extra                  \
    "\"region\":\"eu-west-1\",\"endpoint_url\":\"http://127.0.0.1:%d\","                           \
    "\"aws_access_key_id\":\"AK\",\"aws_secret_access_key\":\"SK\"}}"
#define VAULT_CONFIG(path, token)                                                                  \
    "{\"password_secret\":{\"provider\":\"vault\",\"url\":\"http://127.0.0.1:%d\","                \
    "\"path\":\"" path "\",\"token\":\"" token "\"}}"
#define AZURE_CONFIG(token)                                                                        \
    "{\"password_secret\":{\"provider\":\"azure\",\"vault_url\":\"http://127.0.0.1:%d\","          \
    "\"name\":\"db\",\"access_token\":\"" token "\"}}"
#define Y10 "yyyyyyyyyy"
#define Y50 Y10 Y10 Y10 Y10 Y10
#define Y200 Y50 Y50 Y50 Y50

/* a fetch that fails on the server's answer: one line in the log, no secret in it */
static const struct {
    int status;
    const char *reply;
    const char *config; /* %d: the server's port */
    const char *logged; /* %d, where it appears: the port */
    const char *secret; /* in the reply, never in the log; NULL for none */
} served_failures[] = {
    {403,
     "{\"__type\":\"AccessDeniedException\",\"Message\":\"User: "
     "arn:aws:iam::123456789012:user/etl is not authorized to perform: "
     "secretsmanager:GetSecretValue on resource: prod/db\"}",
     AWS_CONFIG(""),
     "ERROR singer: password_secret (aws): HTTP 403 from http://127.0.0.1:%d: "
     "AccessDeniedException: User: arn:aws:iam::123456789012:user/etl is not authorized "
     "to perform: secretsmanager:GetSecretValue on resource: prod/db\n",
     NULL},
    {200, "{\"SecretString\":\"{\\\"user\\\":\\\"app\\\",\\\"pass\\\":\\\"topsecret\\\"}\"}",
     AWS_CONFIG("\"key\":\"password\","),
     "ERROR singer: password_secret (aws): key \"password\" not found in the SecretString (it "
     "has: user, pass)\n",
     "topsecret"},
    {200, "{\"SecretString\":\"hunter2\"}", AWS_CONFIG("\"key\":\"password\","),
     "password_secret (aws): the SecretString is not a JSON object, so key \"password\" cannot "
     "be looked up",
     "hunter2"},
    {403, "{\"errors\":[\"1 error occurred:\\n\\t* permission denied\\n\\n\"]}",
     VAULT_CONFIG("secret/data/db", "bad"),
     "ERROR singer: password_secret (vault): HTTP 403 from "
     "http://127.0.0.1:%d/v1/secret/data/db: 1 error occurred: * permission denied\n",
     NULL},
    {404, "{\"errors\":[]}", VAULT_CONFIG("secret/db", "t"),
     "/v1/secret/db: (no error message); check \"path\" (KV v2 paths look like "
     "secret/data/NAME)\n",
     NULL},
    {200, "{\"data\":{\"data\":{\"user\":\"app\",\"pw\":\"not-this-one\"},\"metadata\":{}}}",
     VAULT_CONFIG("secret/data/db", "t"),
     "ERROR singer: password_secret (vault): key \"password\" not found in data.data (it has: "
     "user, pw)\n",
     "not-this-one"},
    {401,
     "{\"error\":{\"code\":\"Unauthorized\",\"message\":\"AKV10000: Request is "
     "missing a Bearer or PoP token.\"}}",
     AZURE_CONFIG("expired"),
     "password_secret (azure): HTTP 401 from http://127.0.0.1:%d/secrets/db?api-version=7.4: "
     "Unauthorized: AKV10000: Request is missing a Bearer or PoP token.\n",
     NULL},
    {200, "<html>proxy says hi</html>", VAULT_CONFIG("secret/data/db", "t"),
     "password_secret (vault): the response from http://127.0.0.1:%d/v1/secret/data/db is not "
     "JSON (error at byte 0 of 26)\n",
     NULL},
    /* an error message of exactly the limit is not marked as shortened */
    {500, "{\"errors\":[\"" Y200 "\"]}", VAULT_CONFIG("p", "t"), ": " Y200 "\n", NULL},
};

START_TEST(served_failure)
{
    fake_server s;
    bool found;
    const char *log;
    char *pw = serve_resolve(&s, served_failures[_i].status, served_failures[_i].reply,
                             served_failures[_i].config, &found, &log);
    ck_assert_ptr_null(pw);
    char expect[512];
    snprintf(expect, sizeof(expect), served_failures[_i].logged, s.port);
    ck_assert_msg(strstr(log, expect) != NULL, "case %d: log: %s", _i, log);
    if (served_failures[_i].secret)
        ck_assert_ptr_null(strstr(log, served_failures[_i].secret));
}
END_TEST

/* ---- AWS Secrets Manager ---- */

/* check_aws_signature: the Authorization the server got signs exactly what it received */
static void check_aws_signature(const fake_server *s, const char *access_key,
                                const char *secret_key, const char *region)
{
    char auth[1024], date[32], names[256], expect_prefix[256];
    const char *a = server_header(s, "Authorization");
    ck_assert_ptr_nonnull(a);
    snprintf(auth, sizeof(auth), "%s", a);
    const char *d = server_header(s, "X-Amz-Date");
    ck_assert_ptr_nonnull(d);
    ck_assert_uint_eq(strlen(d), 16);
    snprintf(date, sizeof(date), "%s", d);
    snprintf(expect_prefix, sizeof(expect_prefix),
             "AWS4-HMAC-SHA256 Credential=%s/%.8s/%s/secretsmanager/aws4_request, SignedHeaders=",
             access_key, date, region);
    ck_assert_msg(strncmp(auth, expect_prefix, strlen(expect_prefix)) == 0, "Authorization: %s",
                  auth);
    const char *sh = auth + strlen(expect_prefix);
    const char *comma = strchr(sh, ',');
    ck_assert_ptr_nonnull(comma);
    snprintf(names, sizeof(names), "%.*s", (int)(comma - sh), sh);
    ck_assert_ptr_nonnull(strstr(comma, ", Signature="));
    ck_assert_uint_eq(strlen(strstr(comma, "Signature=") + 10), 64);

    /* recompute over the headers as received */
    static char values[8][512];
    static char hnames[8][256];
    aws_sigv4_header h[8];
    size_t n = 0;
    for (char *tok = names; *tok && n < 8; n++) {
        char *semi = strchr(tok, ';');
        if (semi)
            *semi = '\0';
        const char *v = server_header(s, tok);
        ck_assert_msg(v != NULL, "signed header %s was not sent", tok);
        snprintf(hnames[n], sizeof(hnames[n]), "%s", tok);
        snprintf(values[n], sizeof(values[n]), "%s", v);
        h[n].name = hnames[n];
        h[n].value = values[n];
        tok = semi ? semi + 1 : tok + strlen(tok);
    }
    aws_sigv4_request req = {
        .method = s->method,
        .path = s->target,
        .headers = h,
        .nheaders = n,
        .payload = s->body,
        .payload_len = strlen(s->body),
        .region = region,
        .service = "secretsmanager",
        .access_key = access_key,
        .secret_key = secret_key,
        .amz_date = date,
    };
    buf b = BUF_INIT;
    ck_assert(aws_sigv4_authorization(&b, &req));
    ck_assert_str_eq(b.data, auth);
    buf_term(&b);
}

/* a fetch that succeeds: the password, the request the server got, the log */
typedef struct {
    const char *name, *value; /* value NULL: the header is absent */
} header_case;

static const struct {
    const char *reply;        /* a 200 answer */
    const char *config;       /* %d: the server's port */
    const char *env[3][2];    /* variables set for the case (a value's %d: the port) */
    const char *password;     /* what resolve returns */
    const char *method;       /* of the request */
    const char *target;       /* of the request */
    const char *body;         /* of the request; NULL: not checked */
    header_case headers[6];   /* the request's headers (%d in a value: the port) */
    const char *signed_by[3]; /* AWS: access key, secret key, region of the signature */
    const char *logged;       /* in the log; NULL: not checked */
    const char *never[3];     /* never in the log */
} flows[] = {
    /* AWS: keys in the config, a session token, a member of a JSON SecretString */
    {"{\"ARN\":\"arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf\","
     "\"Name\":\"prod/db\",\"SecretString\":\"{\\\"username\\\":\\\"app\\\","
     "\\\"password\\\":\\\"s3cr\\\\\\\"et\\\"}\",\"VersionId\":\"v1\"}",
     "{\"password_secret\":{\"provider\":\"aws\",\"secret_id\":\"prod/db\","
     "\"region\":\"eu-west-1\",\"key\":\"password\","
     "\"endpoint_url\":\"http://127.0.0.1:%d\",\"aws_access_key_id\":\"AKIDEXAMPLE\","
     "\"aws_secret_access_key\":\"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\","
     "\"aws_session_token\":\"FwoGZXIvYXdzEXAMPLE\"}}",
     {{NULL}},
     "s3cr\"et",
     "POST",
     "/",
     "{\"SecretId\":\"prod/db\"}",
     {{"X-Amz-Target", "secretsmanager.GetSecretValue"},
      {"Content-Type", "application/x-amz-json-1.1"},
      {"X-Amz-Security-Token", "FwoGZXIvYXdzEXAMPLE"},
      {"Host", "127.0.0.1:%d"}},
     {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "eu-west-1"},
     "INFO singer: password_secret (aws): password read from secret \"prod/db\"",
     {"s3cr"}},
    /* AWS: keys and region from the environment, the whole SecretString */
    {"{\"Name\":\"db\",\"SecretString\":\"plain pass word\"}",
     "{\"password_secret\":{\"provider\":\"aws\",\"secret_id\":\"db\","
     "\"endpoint_url\":\"http://127.0.0.1:%d/\"}}",
     {{"AWS_ACCESS_KEY_ID", "AKIAENVEXAMPLE"},
      {"AWS_SECRET_ACCESS_KEY", "envsecretkeyEXAMPLE"},
      {"AWS_REGION", "us-west-2"}},
     "plain pass word",
     "POST",
     "/",
     NULL,
     {{"X-Amz-Security-Token", NULL}},
     {"AKIAENVEXAMPLE", "envsecretkeyEXAMPLE", "us-west-2"},
     NULL,
     {"plain pass"}},
    /* Vault KV v2 with a namespace */
    {"{\"request_id\":\"r\",\"data\":{\"data\":{\"password\":\"vault-pw\",\"user\":"
     "\"app\"},\"metadata\":{\"version\":3}}}",
     "{\"password_secret\":{\"provider\":\"vault\",\"url\":\"http://127.0.0.1:%d/\","
     "\"path\":\"secret/data/db\",\"token\":\"hvs.EXAMPLE\",\"namespace\":\"team-a\"}}",
     {{NULL}},
     "vault-pw",
     "GET",
     "/v1/secret/data/db",
     NULL,
     {{"X-Vault-Token", "hvs.EXAMPLE"}, {"X-Vault-Namespace", "team-a"}},
     {NULL},
     "password_secret (vault): password read from \"secret/data/db\"",
     {"vault-pw", "hvs."}},
    /* Vault KV v1 (no metadata beside data.data: the value is data.password), address and
       token from the environment, a path with a space */
    {"{\"data\":{\"password\":\"kv1-pw\",\"data\":{\"x\":1}}}",
     "{\"password_secret\":{\"provider\":\"vault\",\"path\":\"/kv/my db\"}}",
     {{"VAULT_ADDR", "http://127.0.0.1:%d"}, {"VAULT_TOKEN", "env-token"}},
     "kv1-pw",
     "GET",
     "/v1/kv/my%%20db",
     NULL,
     {{"X-Vault-Token", "env-token"}, {"X-Vault-Namespace", NULL}},
     {NULL},
     NULL,
     {"kv1-pw"}},
    /* Azure with a version */
    {"{\"value\":\"azure-pw\",\"id\":\"https://x.vault.azure.net/secrets/db-pw/abc123\","
     "\"attributes\":{\"enabled\":true}}",
     "{\"password_secret\":{\"provider\":\"azure\",\"vault_url\":\"http://127.0.0.1:%d/\","
     "\"name\":\"db-pw\",\"version\":\"abc123\",\"access_token\":\"eyJ0eXAiEXAMPLE\"}}",
     {{NULL}},
     "azure-pw",
     "GET",
     "/secrets/db-pw/abc123?api-version=7.4",
     NULL,
     {{"Authorization", "Bearer eyJ0eXAiEXAMPLE"}},
     {NULL},
     NULL,
     {"azure-pw", "eyJ0eXAi"}},
    /* Azure: the token from the environment, a member of a JSON secret value */
    {"{\"value\":\"{\\\"password\\\":\\\"inner-pw\\\"}\"}",
     "{\"password_secret\":{\"provider\":\"azure\",\"vault_url\":\"http://127.0.0.1:%d\","
     "\"name\":\"db\",\"key\":\"password\"}}",
     {{"AZURE_ACCESS_TOKEN", "env-bearer"}},
     "inner-pw",
     "GET",
     "/secrets/db?api-version=7.4",
     NULL,
     {{"Authorization", "Bearer env-bearer"}},
     {NULL},
     NULL,
     {"inner-pw", "env-bearer"}},
};

START_TEST(served_flow)
{
    fake_server s;
    server_start(&s, 200, flows[_i].reply);
    char text[1024];
    for (int e = 0; e < 3 && flows[_i].env[e][0]; e++) {
        snprintf(text, sizeof(text), flows[_i].env[e][1], s.port);
        setenv(flows[_i].env[e][0], text, 1);
    }
    snprintf(text, sizeof(text), flows[_i].config, s.port);
    bool found = false;
    const char *log;
    char *pw = resolve(text, &found, &log);
    server_join(&s);
    for (int e = 0; e < 3 && flows[_i].env[e][0]; e++)
        unsetenv(flows[_i].env[e][0]);
    ck_assert(s.got_request);
    ck_assert(found);
    ck_assert_msg(pw != NULL, "case %d: log: %s", _i, log);
    ck_assert_str_eq(pw, flows[_i].password);
    ck_assert_str_eq(s.method, flows[_i].method);
    snprintf(text, sizeof(text), flows[_i].target, s.port);
    ck_assert_str_eq(s.target, text);
    if (flows[_i].body)
        ck_assert_str_eq(s.body, flows[_i].body);
    for (int h = 0; h < 6 && flows[_i].headers[h].name; h++) {
        const char *got = server_header(&s, flows[_i].headers[h].name);
        if (!flows[_i].headers[h].value) {
            ck_assert_msg(got == NULL, "case %d: header %s is there", _i,
                          flows[_i].headers[h].name);
            continue;
        }
        snprintf(text, sizeof(text), flows[_i].headers[h].value, s.port);
        ck_assert_msg(got && strcmp(got, text) == 0, "case %d: header %s: %s", _i,
                      flows[_i].headers[h].name, got ? got : "(absent)");
    }
    if (flows[_i].signed_by[0]) {
        /* the signed headers: the session token's only when there is one */
        bool token = server_header(&s, "X-Amz-Security-Token") != NULL;
        ck_assert_ptr_nonnull(strstr(
            server_header(&s, "Authorization"),
            token ? "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, "
                    "Signature="
                  : "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature="));
        check_aws_signature(&s, flows[_i].signed_by[0], flows[_i].signed_by[1],
                            flows[_i].signed_by[2]);
    }
    if (flows[_i].logged)
        ck_assert_msg(strstr(log, flows[_i].logged) != NULL, "case %d: log: %s", _i, log);
    for (int k = 0; k < 3 && flows[_i].never[k]; k++)
        ck_assert_msg(strstr(log, flows[_i].never[k]) == NULL, "case %d: log: %s", _i, log);
    secrets_free(pw);
}
END_TEST

/* ---- transport and body errors ---- */

START_TEST(long_error_message_shortened)
{
    static char reply[4096];
    char msg[3000];
    memset(msg, 'x', sizeof(msg) - 1);
    msg[sizeof(msg) - 1] = '\0';
    snprintf(reply, sizeof(reply), "{\"errors\":[\"%s\"]}", msg);
    fake_server s;
    bool found;
    const char *log;
    char *pw = serve_resolve(
        &s, 500, reply,
        "{\"password_secret\":{\"provider\":\"vault\",\"url\":\"http://127.0.0.1:%d\","
        "\"path\":\"p\",\"token\":\"t\"}}",
        &found, &log);
    ck_assert_ptr_null(pw);
    const char *x = strstr(log, "HTTP 500 from");
    ck_assert_ptr_nonnull(x);
    x = strchr(x, 'x');
    ck_assert_ptr_nonnull(x);
    ck_assert_int_eq((int)strspn(x, "x"), 200);
    ck_assert_int_eq(strncmp(x + 200, "...\n", 4), 0);
}
END_TEST

START_TEST(error_message_cut_at_utf8_boundary)
{
    /* "a" then 150 two-byte characters: the cut at 200 bytes falls inside one, which goes */
    static char reply[1024];
    size_t o = (size_t)snprintf(reply, sizeof(reply), "{\"errors\":[\"a");
    for (int i = 0; i < 150; i++)
        o += (size_t)snprintf(reply + o, sizeof(reply) - o, "\xc3\xa9");
    snprintf(reply + o, sizeof(reply) - o, "\"]}");
    fake_server s;
    bool found;
    const char *log;
    char *pw = serve_resolve(
        &s, 500, reply,
        "{\"password_secret\":{\"provider\":\"vault\",\"url\":\"http://127.0.0.1:%d\","
        "\"path\":\"p\",\"token\":\"t\"}}",
        &found, &log);
    ck_assert_ptr_null(pw);
    const char *e = strstr(log, "\xc3\xa9");
    ck_assert_ptr_nonnull(e);
    size_t run = 0;
    while (e[run] == '\xc3' && e[run + 1] == '\xa9')
        run += 2;
    ck_assert_uint_eq(run, 198);
    ck_assert_int_eq(strncmp(e + run, "...\n", 4), 0);
}
END_TEST

START_TEST(connection_refused)
{
    /* a port that was free a moment ago: nothing listens there */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    socklen_t alen = sizeof(a);
    getsockname(fd, (struct sockaddr *)&a, &alen);
    close(fd);
    char config[512];
    snprintf(config, sizeof(config),
             "{\"password_secret\":{\"provider\":\"azure\",\"vault_url\":\"http://127.0.0.1:%d\","
             "\"name\":\"db\",\"access_token\":\"t\"}}",
             ntohs(a.sin_port));
    bool found;
    const char *log;
    char *pw = resolve(config, &found, &log);
    ck_assert_ptr_null(pw);
    char expect[256];
    snprintf(expect, sizeof(expect),
             "ERROR singer: password_secret (azure): request to "
             "http://127.0.0.1:%d/secrets/db?api-version=7.4 failed: ",
             ntohs(a.sin_port));
    ck_assert_msg(strstr(log, expect) != NULL, "log: %s", log);
    ck_assert_int_eq((int)(strchr(strstr(log, "ERROR"), '\n') - log + 1), (int)strlen(log));
}
END_TEST

Suite *sha256_suite(void);    /* test_sha256.c */
Suite *aws_sigv4_suite(void); /* test_aws_sigv4.c */

static Suite *secrets_suite(void)
{
    Suite *s = suite_create("secrets");
    TCase *t = tcase_create("resolve");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, resolve_absent_or_null);
    tcase_add_loop_test(t, resolve_bad_config, 0, (int)NELEM(bad_configs));
    tcase_add_loop_test(t, served_failure, 0, (int)NELEM(served_failures));
    tcase_add_loop_test(t, served_flow, 0, (int)NELEM(flows));
    tcase_add_test(t, long_error_message_shortened);
    tcase_add_test(t, error_message_cut_at_utf8_boundary);
    tcase_add_test(t, connection_refused);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    /* loopback only, and nothing from the caller's environment changes the requests */
    static const char *clear[] = {
        "http_proxy",        "HTTP_PROXY",      "https_proxy",        "HTTPS_PROXY",
        "all_proxy",         "ALL_PROXY",       "AWS_ACCESS_KEY_ID",  "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN", "AWS_REGION",      "AWS_DEFAULT_REGION", "VAULT_ADDR",
        "VAULT_TOKEN",       "VAULT_NAMESPACE", "AZURE_ACCESS_TOKEN", "LOG_FORMAT",
        "AWS_CA_BUNDLE",     "VAULT_CACERT",    AWS_CHAIN_VARIABLES,
    };
    for (size_t i = 0; i < sizeof(clear) / sizeof(clear[0]); i++)
        unsetenv(clear[i]);
    /* the credential chain finds nothing of this machine's, and never asks 169.254.169.254 */
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials", 1);
    setenv("AWS_CONFIG_FILE", "/nonexistent/config", 1);
    SRunner *sr = srunner_create(sha256_suite());
    srunner_add_suite(sr, aws_sigv4_suite());
    srunner_add_suite(sr, secrets_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
