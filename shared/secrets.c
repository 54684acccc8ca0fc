#include "secrets.h"

#include "config.h"
#include "http_client.h"
#include "json_util.h"
#include "log.h"
#include "secret_aws.h"
#include "secret_azure.h"
#include "secret_provider.h"
#include "secret_vault.h"
#include "wipe.h"

#include <assert.h>
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

void secrets_free(char *password)
{
    wipe_free_string(password);
}

/* the providers by their "provider" name (any case) */
static const struct {
    const char *name;
    bool (*fetch)(const cJSON *ps, char **out);
} providers[] = {
    {"aws", secret_aws_fetch},
    {"vault", secret_vault_fetch},
    {"azure", secret_azure_fetch},
};

char *secrets_resolve(const cJSON *config, bool *found)
{
    *found = false;
    const cJSON *ps = cJSON_GetObjectItemCaseSensitive(config, "password_secret");
    if (!ps || cJSON_IsNull(ps))
        return NULL;
    *found = true;
    if (!cJSON_IsObject(ps)) {
        log_error("password_secret must be an object with a \"provider\" (aws, vault or azure)");
        return NULL;
    }
    const char *provider = json_util_string(ps, "provider", NULL);
    if (!provider) {
        log_error("password_secret: \"provider\" is missing (aws, vault or azure)");
        return NULL;
    }
    bool (*fetch)(const cJSON *, char **) = NULL;
    for (size_t i = 0; i < sizeof(providers) / sizeof(providers[0]); i++)
        if (strcasecmp(provider, providers[i].name) == 0)
            fetch = providers[i].fetch;
    if (!fetch) {
        log_error("password_secret: unknown provider \"%.60s\" (expected aws, vault or azure)",
                  provider);
        return NULL;
    }
    /* curl counts its initialisations: this pair leaves other users of curl alone */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        log_error("password_secret (%s): cannot initialise libcurl", provider);
        return NULL;
    }
    char *password = NULL;
    if (!fetch(ps, &password))
        password = NULL;
    curl_global_cleanup();
    return password;
}
