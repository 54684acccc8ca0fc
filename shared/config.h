/*
 * config: load a JSON config file and check it against a table of known keys.
 *
 * Each program describes its keys once (name, type, required, default,
 * secret, description); the same table drives validation, defaults, the
 * unknown-key warning, secret masking and the settings list of --about.
 */
#ifndef SINGER_CONFIG_H
#define SINGER_CONFIG_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

typedef enum config_type {
    CFG_STRING,      /* a string (numbers are accepted and kept as text) */
    CFG_INT,         /* an integer, or a string holding one */
    CFG_BOOL,        /* true/false, or the strings "true"/"false" */
    CFG_NUMBER,      /* a number, or a string holding one */
    CFG_STRING_LIST, /* a comma-separated string or an array of strings */
    CFG_OBJECT,      /* a JSON object */
    CFG_ANY,         /* anything */
} config_type;

typedef struct config_key {
    const char *name;
    config_type type;
    bool required;
    const char *default_text; /* shown in --about and the README; NULL for none */
    bool secret;              /* masked in logs */
    const char *description;
} config_key;

/*
 * CONFIG_SDK_KEYS: the Singer SDK's stream map settings (MeltanoLabs tap and target), accepted
 * only when empty (config_sdk_check): stream maps change what is loaded and we do not run them.
 */
/* clang-format off */
#define CONFIG_SDK_KEYS                                                                            \
    {"stream_maps", CFG_ANY, false, NULL, false,                                                   \
     "Singer SDK stream maps: not supported, an error unless empty"},                              \
        {"stream_map_config", CFG_ANY, false, NULL, true,                                          \
         "Singer SDK stream maps: not supported, an error unless empty"},                          \
        {"faker_config", CFG_ANY, false, NULL, false,                                              \
         "Singer SDK stream maps: not supported, an error unless empty"}
/* clang-format on */

/*
 * config_load: parse the file at path and validate it against keys[0..n).
 * Returns the tree (caller frees with cJSON_Delete) or NULL after logging one
 * line naming the file and the key at fault. Unknown keys are warned about.
 * A required key may be satisfied by any key in its "a|b" alternatives list:
 * name "dbname|database" means either spelling is accepted.
 */
cJSON *config_load(const char *path, const config_key *keys, size_t n);
/* config_drop_repeated: a top-level key given more than once keeps its last value, as Python's
   json (pipelinewise, Meltano) reads the file; the earlier ones are removed from root, each
   with a warning naming the key. */
void config_drop_repeated(cJSON *root, const char *what);
/*
 * config_sources: the --config arguments of a run, in their order: file paths, or "ENV" for
 * the settings in environment variables (the Singer SDK's convention).
 */
#define CONFIG_MAX_SOURCES 16
typedef struct config_sources {
    const char *items[CONFIG_MAX_SOURCES];
    size_t n;
} config_sources;
/* config_sources_add: false after logging when there are too many. */
bool config_sources_add(config_sources *s, const char *item);
/*
 * config_read: the sources merged in order into one tree, a later source's key replacing an
 * earlier one's (a shallow merge, as the Singer SDK does). "ENV" reads, for every key of
 * keys[0..n) and each of its spellings, the variable env_prefix + the name in upper case
 * (TAP_POSTGRES_HOST); integers, booleans and numbers are read from their text, lists from a
 * JSON array or a comma-separated string, objects from JSON. what (a description of the
 * sources, for messages) is written to what[0..whatlen). NULL after logging one line naming
 * the source at fault. Not validated: the caller runs config_validate on the result.
 */
cJSON *config_read(const config_sources *s, const char *env_prefix, const config_key *keys,
                   size_t n, char *what, size_t whatlen);
/* config_validate: the checks of config_load on a tree already parsed (after
   config_drop_repeated). */
bool config_validate(const cJSON *root, const config_key *keys, size_t n, const char *what);
/*
 * config_is_set: the key is present with a value that says something: not null, false, "", {}
 * or [].
 */
bool config_is_set(const cJSON *root, const char *key);
/* config_sdk_check: false after logging when a CONFIG_SDK_KEYS key is set (what: the file). */
bool config_sdk_check(const cJSON *root, const char *what);
/* config_get: the node of the first present spelling of "a|b". Borrowed. */
const cJSON *config_get(const cJSON *root, const char *names);
/*
 * config_get_int: the integer of the first present spelling of "a|b" (a JSON integer, or a
 * string holding one: taps and orchestrators pass settings as strings); def when absent, null,
 * "" or not an integer (config_validate has already refused a wrong type).
 */
long long config_get_int(const cJSON *root, const char *names, long long def);
/*
 * config_get_bool: the boolean of the first present spelling of "a|b" (true / false or the
 * strings "true" / "false"); def when absent, null or "". The empty string is a setting left
 * empty (Meltano and environment variables write unset settings so), not false: both programs
 * use this rule (the tap's settings read with it all default to false, so nothing changed
 * there).
 */
bool config_get_bool(const cJSON *root, const char *names, bool def);
/* config_masked: compact JSON text of the config with secret keys replaced by "***". */
void config_masked(buf *out, const cJSON *root, const config_key *keys, size_t n);
/* config_settings_schema: the JSON Schema of the keys (for --about), appended to out. */
void config_settings_schema(buf *out, const config_key *keys, size_t n);
/* config_settings_markdown: a Markdown table of the keys, appended to out. */
void config_settings_markdown(buf *out, const config_key *keys, size_t n);

#endif
