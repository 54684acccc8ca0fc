#include "aws_credentials.h"
#include "aws_credentials_int.h"

#include "buf.h"
#include "http_client.h"
#include "json_util.h"
#include "log.h"
#include "timefmt.h"
#include "wipe.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---- the chain ---- */

static bool is_true(const char *v)
{
    return v && strcasecmp(v, "true") == 0;
}

/* static_keys: aws_access_key_id and aws_secret_access_key of a file's section, both or none */
static bool static_keys(const char *what, const char *path, char *ak, char *sk, char *tok,
                        const char *source, aws_credentials *out, bool *found)
{
    *found = ak || sk;
    if (!*found)
        return true;
    if (!ak || !sk) {
        log_error("%s: %s has %s without %s", what, path,
                  ak ? "aws_access_key_id" : "aws_secret_access_key",
                  ak ? "aws_secret_access_key" : "aws_access_key_id");
        return false;
    }
    return aws_credentials_set(what, out, ak, sk, tok, source);
}

bool aws_credentials_get(const char *what, const char *profile, aws_credentials *out)
{
    memset(out, 0, sizeof(*out));
    bool explicit_profile = profile && *profile;

    /* 1. the environment (an explicit profile negates it, as in botocore) */
    const char *ak = aws_credentials_env("AWS_ACCESS_KEY_ID"),
               *sk = aws_credentials_env("AWS_SECRET_ACCESS_KEY");
    if (!explicit_profile && (ak || sk)) {
        if (!ak || !sk) {
            log_error("%s: %s is set but %s is not", what,
                      ak ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                      ak ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
            return false;
        }
        if (!aws_credentials_set(what, out, ak, sk, aws_credentials_env("AWS_SESSION_TOKEN"),
                                 "the environment"))
            return false;
        log_debug("%s: AWS credentials from the environment", what);
        return true;
    }

    aws_credentials_files p;
    if (!aws_credentials_files_read(what, profile, &p))
        return false;
    bool ok = false, found = false;
    char *role_arn = aws_credentials_files_conf(&p, "role_arn"),
         *token_file = aws_credentials_files_conf(&p, "web_identity_token_file");
    char *session = aws_credentials_files_conf(&p, "role_session_name"),
         *source_profile = aws_credentials_files_conf(&p, "source_profile");
    char *credential_source = aws_credentials_files_conf(&p, "credential_source");
    char *process = aws_credentials_files_conf(&p, "credential_process"),
         *sso = aws_credentials_files_conf(&p, "sso_start_url");
    char *sso_session = aws_credentials_files_conf(&p, "sso_session");
    char *c_ak = NULL, *c_sk = NULL, *c_tok = NULL;

    if (p.named && !p.in_cred && !p.in_conf && strcmp(p.name, "default") != 0) {
        log_error("%s: AWS profile \"%.100s\" is not in %s nor in %s", what, p.name, p.cred_path,
                  p.conf_path);
        goto done;
    }
    /* assume-role profiles come before web identity in botocore: we do not sign AssumeRole */
    if (role_arn && (source_profile || credential_source)) {
        log_error("%s: AWS profile \"%.100s\" in %s assumes role_arn with %s, which is not "
                  "supported: use web identity, a credentials profile, or the environment",
                  what, p.name, p.conf_path,
                  source_profile ? "source_profile" : "credential_source");
        goto done;
    }

    /* 2. web identity: the environment's variables, else the profile's */
    const char *w_file = aws_credentials_env("AWS_WEB_IDENTITY_TOKEN_FILE");
    const char *w_role = aws_credentials_env("AWS_ROLE_ARN");
    const char *w_session = aws_credentials_env("AWS_ROLE_SESSION_NAME");
    if (!w_file)
        w_file = token_file;
    if (!w_role)
        w_role = role_arn;
    if (!w_session)
        w_session = session;
    if (w_file || (w_role && aws_credentials_env("AWS_ROLE_ARN"))) {
        if (!w_file || !w_role) {
            log_error("%s: web identity needs both %s and %s", what,
                      "AWS_WEB_IDENTITY_TOKEN_FILE (or web_identity_token_file)",
                      "AWS_ROLE_ARN (or role_arn)");
            goto done;
        }
        ok = aws_credentials_web_identity(what, &p, out, w_file, w_role, w_session);
        goto done;
    }
    if (sso || sso_session) {
        log_error("%s: AWS profile \"%.100s\" in %s uses SSO (%s), which is not supported: use "
                  "web identity, a credentials profile, or the environment",
                  what, p.name, p.conf_path, sso ? "sso_start_url" : "sso_session");
        goto done;
    }

    /* 3. the shared credentials file */
    c_ak = aws_credentials_files_cred(&p, "aws_access_key_id");
    c_sk = aws_credentials_files_cred(&p, "aws_secret_access_key");
    c_tok = aws_credentials_files_cred(&p, "aws_session_token");
    if (!static_keys(what, p.cred_path, c_ak, c_sk, c_tok, "the shared credentials file", out,
                     &found) ||
        found) {
        ok = found && out->access_key;
        goto done;
    }
    if (process) {
        log_error("%s: AWS profile \"%.100s\" in %s uses credential_process, which is not "
                  "supported: use web identity, a credentials profile, or the environment",
                  what, p.name, p.conf_path);
        goto done;
    }

    /* 4. the config file */
    free(c_ak);
    wipe_free_string(c_sk);
    wipe_free_string(c_tok);
    c_ak = aws_credentials_files_conf(&p, "aws_access_key_id");
    c_sk = aws_credentials_files_conf(&p, "aws_secret_access_key");
    c_tok = aws_credentials_files_conf(&p, "aws_session_token");
    if (!static_keys(what, p.conf_path, c_ak, c_sk, c_tok, "the config file", out, &found) ||
        found) {
        ok = found && out->access_key;
        goto done;
    }

    /* 5. the container's credentials */
    if (aws_credentials_env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") ||
        aws_credentials_env("AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
        ok = aws_credentials_container(what, out);
        goto done;
    }

    /* 6. instance metadata */
    if (!is_true(aws_credentials_env("AWS_EC2_METADATA_DISABLED"))) {
        ok = aws_credentials_imds(what, out);
        if (!ok)
            log_error("%s: no AWS credentials: not in the environment (AWS_ACCESS_KEY_ID, "
                      "AWS_SECRET_ACCESS_KEY), no web identity, none for profile \"%.100s\" in "
                      "%s or %s, and instance metadata failed (above)",
                      what, p.name, p.cred_path, p.conf_path);
        goto done;
    }
    log_error("%s: no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
              "AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN, or profile \"%.100s\" in %s or %s "
              "(instance metadata is off: AWS_EC2_METADATA_DISABLED)",
              what, p.name, p.cred_path, p.conf_path);
done:
    if (ok)
        log_debug("%s: AWS credentials from %s (profile \"%.100s\")", what, out->source, p.name);
    else
        aws_credentials_term(out);
    free(role_arn);
    free(token_file);
    free(session);
    free(source_profile);
    free(credential_source);
    free(process);
    free(sso);
    free(sso_session);
    free(c_ak);
    wipe_free_string(c_sk);
    wipe_free_string(c_tok);
    aws_credentials_files_term(&p);
    return ok;
}
