/*
 * fuzz_secrets: what the secret providers make of a server's answer, without a server. The
 * first input byte picks the HTTP status, the provider and whether "key" is set; the rest is
 * the response body. As http_client_fetch_object and the providers do: a non-2xx status
 * makes http_client_status_ok quote the server's error (AWS, Vault, Azure shapes), a 2xx
 * body goes through http_client_parse_object and the provider's secret_*_value. The
 * password_secret object itself is a config (fuzz_config covers config_validate).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzz_util.h"
#include "http_client.h"
#include "secret_aws.h"
#include "secret_azure.h"
#include "secret_vault.h"
#include "secrets.h"
#include "wipe.h"

static const long statuses[] = {200, 204, 301, 400, 403, 404, 500, 503};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_log_init();
    if (size < 1)
        return 0;
    unsigned pick = data[0];
    int provider = (int)((pick >> 3) % 3);
    bool with_key = (pick & 0x20) != 0;
    http_client_call call = {
        .what = "password_secret (fuzz)",
        .url = "https://secrets.example/v1/x",
        .status = statuses[pick & 7],
    };
    buf_append(&call.response, data + 1, size - 1);
    if (!buf_ok(&call.response))
        abort();
    buf shown = BUF_INIT;
    http_client_shorten(&shown, call.response.data, call.response.len);
    buf_term(&shown);
    if (http_client_status_ok(&call, (pick & 0x40) ? "a hint" : NULL)) {
        cJSON *root = http_client_parse_object(&call);
        if (root) {
            char *v = NULL;
            const char *key = with_key ? "password" : NULL;
            if (provider == 0)
                v = secret_aws_value(root, "prod/db", key);
            else if (provider == 1)
                v = secret_vault_value(root, "secret/data/db", key ? key : "password");
            else
                v = secret_azure_value(root, "db-password", key);
            if (v)
                FUZZ_CHECK(strlen(v) < call.response.len, "a value longer than the answer");
            secrets_free(v);
            wipe_json_delete(root);
        }
    }
    http_client_call_term(&call);
    return 0;
}
