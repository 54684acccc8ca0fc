/*
 * fuzz_config: both programs' config parsers on one JSON document: the tap's
 * tap_config_parse and the target's tconfig_from_json (each on its own copy of the tree, as
 * tap_config_load and tconfig_load parse the file), config_masked for the log line, and the
 * password_secret object against each provider's key table (config_validate, as each
 * provider's fetch starts; no request is made).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "fuzz_util.h"
#include "json_util.h"
#include "tap_config.h"
#include "tconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_log_init();
    cJSON *root = json_util_parse((const char *)data, size, NULL);
    if (!root)
        return 0;
    buf out = BUF_INIT;
    config_masked(&out, root, tap_config_keys, tap_config_nkeys);
    config_masked(&out, root, tconfig_keys, tconfig_nkeys);
    buf_term(&out);

    tap_config tc;
    memset(&tc, 0, sizeof(tc));
    cJSON *copy = cJSON_Duplicate(root, true);
    if (copy) {
        if (tap_config_parse(&tc, copy, "config"))
            (void)tap_config_where_clauses(&tc, "public-t");
        tap_config_term(&tc);
    }

    tconfig t;
    memset(&t, 0, sizeof(t));
    copy = cJSON_Duplicate(root, true);
    if (copy) {
        (void)tconfig_from_json(&t, copy, "config");
        tconfig_term(&t);
    }
    cJSON_Delete(root);
    return 0;
}
