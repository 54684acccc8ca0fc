#include "secret_aws.h"

#include "aws_credentials.h"
#include "aws_sigv4.h"
#include "config.h"
#include "http_client.h"
#include "json_writer.h"
#include "log.h"
#include "secret_provider.h"
#include "wipe.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char what[] = "password_secret (aws)";

static const config_key aws_keys[] = {
    {"provider", CFG_STRING, true, NULL, false, "aws"},
    {"secret_id", CFG_STRING, true, NULL, false, "the secret's name or ARN"},
    {"region", CFG_STRING, false, NULL, false,
     "AWS region (else AWS_REGION, AWS_DEFAULT_REGION, the profile's region)"},
    {"profile", CFG_STRING, false, NULL, false,
     "AWS profile of ~/.aws/credentials and ~/.aws/config (else AWS_PROFILE, else default)"},
    {"key", CFG_STRING, false, NULL, false, "member of a JSON SecretString"},
    {"endpoint_url", CFG_STRING, false, NULL, false, "Secrets Manager endpoint"},
    {"aws_access_key_id|AWS_ACCESS_KEY_ID", CFG_STRING, false, NULL, false, "access key"},
    {"aws_secret_access_key|AWS_SECRET_ACCESS_KEY", CFG_STRING, false, NULL, true, "secret key"},
    {"aws_session_token|AWS_SESSION_TOKEN", CFG_STRING, false, NULL, true, "session token"},
    {"ca_cert", CFG_STRING, false, NULL, false, "CA bundle path (else AWS_CA_BUNDLE)"},
};

/*
 * read_credentials: all from the password_secret object when it names an access key, else from
 * the AWS credential chain (aws_credentials.h: environment, web identity, profiles, container,
 * instance metadata) with the object's "profile"; false (logged) when none are found.
 */
static bool read_credentials(const cJSON *ps, aws_credentials *out)
{
    memset(out, 0, sizeof(*out));
    if (!secret_provider_opt(ps, "aws_access_key_id|AWS_ACCESS_KEY_ID"))
        return aws_credentials_get(what, secret_provider_opt(ps, "profile"), out);
    const char *ak = secret_provider_opt(ps, "aws_access_key_id|AWS_ACCESS_KEY_ID");
    const char *sk = secret_provider_opt(ps, "aws_secret_access_key|AWS_SECRET_ACCESS_KEY");
    const char *tok = secret_provider_opt(ps, "aws_session_token|AWS_SESSION_TOKEN");
    if (!sk) {
        log_error("password_secret (aws): aws_access_key_id is set but aws_secret_access_key is "
                  "not");
        return false;
    }
    out->access_key = strdup(ak);
    out->secret_key = strdup(sk);
    out->token = tok ? strdup(tok) : NULL;
    out->source = "password_secret";
    if (!out->access_key || !out->secret_key || (tok && !out->token)) {
        log_error("password_secret (aws): out of memory");
        aws_credentials_term(out);
        return false;
    }
    return true;
}

/*
 * endpoint: the request URL into url ("endpoint_url", else the region's regional endpoint),
 * the Host header value into host and the path curl will request into *path (curl_free it):
 * what is signed must be exactly what is sent. False after a log line.
 */
static bool endpoint(const cJSON *ps, const char *region, buf *url, buf *host, char **path)
{
    const char *endpoint_url = secret_provider_opt(ps, "endpoint_url");
    if (endpoint_url) {
        if (!http_client_append_base_url(url, what, "endpoint_url", endpoint_url))
            return false;
    } else {
        buf_append_lit(url, "https://secretsmanager.");
        http_client_append_escaped(url, region, false);
        buf_append_lit(url, ".amazonaws.com");
        if (strncmp(region, "cn-", 3) == 0) /* the China partition */
            buf_append_lit(url, ".cn");
    }
    bool ok = false;
    char *u_host = NULL, *u_port = NULL;
    CURLU *u = buf_ok(url) ? curl_url() : NULL;
    if (!u)
        goto oom;
    if (curl_url_set(u, CURLUPART_URL, url->data, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &u_host, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PATH, path, 0) != CURLUE_OK) {
        log_error("password_secret (aws): cannot parse the endpoint URL \"%.200s\"", url->data);
        goto done;
    }
    (void)curl_url_get(u, CURLUPART_PORT, &u_port, 0); /* only when written in the URL */
    buf_appends(host, u_host);
    if (u_port)
        buf_appendf(host, ":%s", u_port);
    ok = buf_ok(host);
    if (ok)
        goto done;
oom:
    log_error("password_secret (aws): out of memory");
done:
    curl_free(u_host);
    curl_free(u_port);
    curl_url_cleanup(u);
    return ok;
}

char *secret_aws_value(const cJSON *root, const char *secret_id, const char *key)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(root, "SecretString");
    if (!cJSON_IsString(s)) {
        if (cJSON_GetObjectItemCaseSensitive(root, "SecretBinary"))
            log_error("password_secret (aws): secret \"%.200s\" is binary (SecretBinary); store "
                      "the password as a SecretString",
                      secret_id);
        else
            log_error("password_secret (aws): the response for \"%.200s\" has no SecretString",
                      secret_id);
        return NULL;
    }
    return secret_provider_text_value(what, s->valuestring, key, "the SecretString");
}

bool secret_aws_fetch(const cJSON *ps, char **out)
{
    *out = NULL;
    if (!config_validate(ps, aws_keys, sizeof(aws_keys) / sizeof(aws_keys[0]), what))
        return false;
    const char *secret_id = secret_provider_required(what, ps, "secret_id", NULL);
    if (!secret_id)
        return false;
    char *profile_region = NULL;
    const char *region = secret_provider_opt_env(ps, "region", "AWS_REGION");
    if (!region)
        region = secret_provider_opt_env(ps, "region", "AWS_DEFAULT_REGION");
    if (!region) {
        if (!aws_credentials_region(what, secret_provider_opt(ps, "profile"), &profile_region))
            return false;
        region = profile_region;
    }
    if (!region) {
        log_error("password_secret (aws): \"region\" is missing (set it in password_secret, "
                  "set AWS_REGION, or region in the AWS profile)");
        return false;
    }
    char *result = NULL;
    aws_credentials cred;
    const char *ca = NULL;
    if (!read_credentials(ps, &cred)) {
        free(profile_region);
        return false;
    }
    const char *token = cred.token;
    if (!http_client_header_safe(what, "region", region) ||
        !http_client_header_safe(what, "aws_access_key_id", cred.access_key) ||
        (token && !http_client_header_safe(what, "aws_session_token", token)) ||
        !secret_provider_ca_cert(what, ps, "AWS_CA_BUNDLE", &ca)) {
        aws_credentials_term(&cred);
        free(profile_region);
        return false;
    }

    buf url = BUF_INIT, host = BUF_INIT, body = BUF_INIT, auth = BUF_INIT;
    char *u_path = NULL;
    struct curl_slist *headers = NULL;
    http_client_call call = {.what = what, .post = true, .ca_cert = ca};
    cJSON *root = NULL;
    if (!endpoint(ps, region, &url, &host, &u_path))
        goto done;

    char amz_date[17];
    aws_sigv4_amz_date((long long)time(NULL), amz_date);
    buf_append_lit(&body, "{\"SecretId\":");
    json_writer_string(&body, secret_id, strlen(secret_id));
    buf_putc(&body, '}');
    if (!buf_ok(&body)) {
        log_error("password_secret (aws): out of memory");
        goto done;
    }

    const char *content_type = "application/x-amz-json-1.1";
    const char *target = "secretsmanager.GetSecretValue";
    aws_sigv4_header signed_headers[] = {
        {"content-type", content_type},  {"host", host.data},
        {"x-amz-date", amz_date},        {"x-amz-target", target},
        {"x-amz-security-token", token},
    };
    aws_sigv4_request req = {
        .method = "POST",
        .path = u_path[0] ? u_path : "/",
        .query = NULL,
        .headers = signed_headers,
        .nheaders = token ? 5 : 4,
        .payload = body.data,
        .payload_len = body.len,
        .region = region,
        .service = "secretsmanager",
        .access_key = cred.access_key,
        .secret_key = cred.secret_key,
        .amz_date = amz_date,
    };
    if (!aws_sigv4_authorization(&auth, &req))
        goto done;
    if (!http_client_add_header(what, &headers, "Host", host.data) ||
        !http_client_add_header(what, &headers, "Content-Type", content_type) ||
        !http_client_add_header(what, &headers, "X-Amz-Target", target) ||
        !http_client_add_header(what, &headers, "X-Amz-Date", amz_date) ||
        (token && !http_client_add_header(what, &headers, "X-Amz-Security-Token", token)) ||
        !http_client_add_header(what, &headers, "Authorization", auth.data) ||
        !http_client_add_header(what, &headers, "Expect", ""))
        goto done;

    call.url = url.data;
    call.headers = headers;
    call.body = body.data;
    call.body_len = body.len;
    root = http_client_fetch_object(&call, 0, NULL);
    if (!root)
        goto done;
    result = secret_aws_value(root, secret_id, secret_provider_opt(ps, "key"));
    if (result)
        log_info("password_secret (aws): password read from secret \"%.200s\" (credentials "
                 "from %s)",
                 secret_id, cred.source);
done:
    aws_credentials_term(&cred);
    free(profile_region);
    wipe_json_delete(root);
    http_client_call_term(&call);
    http_client_headers_free(headers);
    curl_free(u_path);
    buf_term(&url);
    buf_term(&host);
    buf_term(&body);
    wipe_buf_term(&auth);
    *out = result;
    return result != NULL;
}
