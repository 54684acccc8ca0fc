/*
 * secret_provider: what the secret manager modules (secret_aws.c, secret_vault.c,
 * secret_azure.c) share: reading members of the password_secret object and picking the
 * password out of an answer. secrets.c picks the provider; the providers depend on this
 * header only, not on secrets.h.
 *
 * Ownership: strings returned as const are borrowed from the object or the environment;
 * strings returned as char * are malloc'ed copies of a secret value, released (wiped) with
 * secrets_free or wipe_free_string.
 */
#ifndef SINGER_SECRET_PROVIDER_H
#define SINGER_SECRET_PROVIDER_H

#include <cjson/cJSON.h>
#include <stdbool.h>

/*
 * ps is the password_secret object; what starts every log line ("password_secret (aws)").
 * Strings returned as const are borrowed from ps or the environment.
 */

/* secret_provider_opt: a non-empty string member (the first present spelling of "a|b"), else
   NULL. */
const char *secret_provider_opt(const cJSON *ps, const char *names);

/* secret_provider_env: the environment variable when set and non-empty, else NULL. */
const char *secret_provider_env(const char *name);

/* secret_provider_opt_env: secret_provider_opt, else the environment variable env_name when
   set and non-empty. */
const char *secret_provider_opt_env(const cJSON *ps, const char *names, const char *env_name);

/*
 * secret_provider_required: secret_provider_opt (or secret_provider_opt_env when env_name is
 * given); NULL after a log line naming the member (and the variable) when it is missing.
 */
const char *secret_provider_required(const char *what, const cJSON *ps, const char *names,
                                     const char *env_name);

/*
 * secret_provider_ca_cert: the "ca_cert" member (else env_name when given) into *out, NULL for the
 * system's bundle; false (logged) when the file cannot be read.
 */
bool secret_provider_ca_cert(const char *what, const cJSON *ps, const char *env_name,
                             const char **out);

/*
 * secret_provider_member_string: a copy of obj[key], which must be a string (malloc'ed: release it
 * with secrets_free); NULL after a log line that names where and the keys obj has, never
 * a value.
 */
char *secret_provider_member_string(const char *what, const cJSON *obj, const char *key,
                                    const char *where);

/*
 * secret_provider_text_value: a copy of text itself, or, when key is set, of member key of text
 * parsed as a JSON object (malloc'ed: release it with secrets_free); NULL (logged) when
 * text is not such an object or has no such string member.
 */
char *secret_provider_text_value(const char *what, const char *text, const char *key,
                                 const char *where);

#endif
