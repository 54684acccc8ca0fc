/*
 * aws_credentials_int: what the files of the aws_credentials module share, for them only
 * (other modules use aws_credentials.h): aws_credentials.c (the chain, in order),
 * aws_credentials_common.c (the string helpers, aws_credentials_set / _term, which the others
 * use: the files call one way, chain -> remote -> files -> common),
 * aws_credentials_files.c (the shared credentials and config files, INI, the region) and
 * aws_credentials_remote.c (the answers of STS and the metadata services, and the providers
 * that ask them: web identity, container, instance metadata).
 *
 * It does not include aws_credentials.h (the files include both), so the module's headers do
 * not include each other.
 *
 * Ownership: char * results are malloc'ed (the caller frees; secrets wiped with
 * wipe_free_string); const char * results are borrowed from the environment or the files.
 */
#ifndef SINGER_AWS_CREDENTIALS_INT_H
#define SINGER_AWS_CREDENTIALS_INT_H

#include <stdbool.h>
#include <stddef.h>

struct aws_credentials; /* aws_credentials.h */

/* ---- aws_credentials_common.c (with aws_credentials_term) ---- */

/* aws_credentials_strndup: a NUL-terminated copy of s[0..n), NULL when out of memory */
char *aws_credentials_strndup(const char *s, size_t n);
/* aws_credentials_strdup: a copy of s (NULL for NULL or when out of memory) */
char *aws_credentials_strdup(const char *s);
/* aws_credentials_env: a variable's value, NULL when unset or empty */
const char *aws_credentials_env(const char *name);
/* aws_credentials_set: copies of the three values into out (token may be NULL or ""), source
   borrowed (static text); false (logged, starting with what) when out of memory */
bool aws_credentials_set(const char *what, struct aws_credentials *out, const char *ak,
                         const char *sk, const char *token, const char *source);

/* ---- aws_credentials_files.c ---- */

/* the profile's two files, read once per lookup of the chain */
typedef struct aws_credentials_files {
    const char *name; /* borrowed */
    bool named;       /* given in the config or AWS_PROFILE */
    char cred_path[4096];
    char conf_path[4096];
    char *cred_text;       /* malloc'ed, wiped; NULL when the file does not exist */
    char *conf_text;       /* malloc'ed, wiped */
    bool in_cred, in_conf; /* the profile has a section there */
} aws_credentials_files;

/* aws_credentials_trim: move *s and *e inward past blanks */
void aws_credentials_trim(const char **s, const char **e);
/* aws_credentials_read_text: a whole file into *out (malloc'ed; NULL when it does not exist);
   false (logged) when it cannot be read */
bool aws_credentials_read_text(const char *what, const char *path, char **out);
/* aws_credentials_files_read: find profile's name (profile, AWS_PROFILE, "default") and read
   both files into p (release with aws_credentials_files_term); false (logged) on a read error */
bool aws_credentials_files_read(const char *what, const char *profile, aws_credentials_files *p);
/* aws_credentials_files_term: wipe and free what p read */
void aws_credentials_files_term(aws_credentials_files *p);
/* aws_credentials_files_conf / _cred: a value of the profile in the config / credentials file
   (malloc'ed), NULL when absent or empty */
char *aws_credentials_files_conf(const aws_credentials_files *p, const char *key);
char *aws_credentials_files_cred(const aws_credentials_files *p, const char *key);

/* ---- aws_credentials_remote.c: the providers that ask a service ---- */

/*
 * aws_credentials_web_identity: STS AssumeRoleWithWebIdentity with the token in token_file for
 * role_arn (session: the role session name, NULL for the default) into out; p gives the
 * profile's settings. False after one log line starting with what.
 */
bool aws_credentials_web_identity(const char *what, const aws_credentials_files *p,
                                  struct aws_credentials *out, const char *token_file,
                                  const char *role_arn, const char *session);
/* aws_credentials_container: the container credentials endpoint (ECS, EKS Pod Identity) into
   out; false after one log line */
bool aws_credentials_container(const char *what, struct aws_credentials *out);
/* aws_credentials_imds: the instance metadata service (IMDSv2) into out; false after one log
   line */
bool aws_credentials_imds(const char *what, struct aws_credentials *out);

#endif
