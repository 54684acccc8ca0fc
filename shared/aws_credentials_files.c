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

/* ---- INI files (~/.aws/credentials, ~/.aws/config) ---- */

/* aws_credentials_trim: [*s, *e) without surrounding spaces, tabs and CRs */
void aws_credentials_trim(const char **s, const char **e)
{
    while (*s < *e && (**s == ' ' || **s == '\t' || **s == '\r'))
        (*s)++;
    while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t' || (*e)[-1] == '\r'))
        (*e)--;
}

static bool span_is(const char *s, const char *e, const char *word)
{
    size_t n = strlen(word);
    return (size_t)(e - s) == n && memcmp(s, word, n) == 0;
}

/* section_matches: the header text [s, e) names profile */
static bool section_matches(const char *s, const char *e, const char *profile, bool config_file)
{
    if (!config_file)
        return span_is(s, e, profile);
    if (span_is(s, e, "default"))
        return strcmp(profile, "default") == 0;
    if ((size_t)(e - s) > 7 && memcmp(s, "profile", 7) == 0 && (s[7] == ' ' || s[7] == '\t')) {
        s += 7;
        aws_credentials_trim(&s, &e);
        return span_is(s, e, profile);
    }
    return false;
}

bool aws_credentials_ini_value(const char *text, const char *profile, bool config_file,
                               const char *key, char **out)
{
    *out = NULL;
    bool found = false, in_section = false;
    size_t klen = strlen(key);
    for (const char *line = text; line && *line;) {
        const char *nl = strchr(line, '\n');
        const char *end = nl ? nl : line + strlen(line);
        const char *next = nl ? nl + 1 : NULL;
        bool indented = *line == ' ' || *line == '\t';
        const char *s = line, *e = end;
        aws_credentials_trim(&s, &e);
        line = next;
        if (s == e || *s == '#' || *s == ';')
            continue;
        if (*s == '[' && !indented) {
            const char *close = e - 1;
            if (*close != ']')
                continue;
            const char *hs = s + 1, *he = close;
            aws_credentials_trim(&hs, &he);
            in_section = section_matches(hs, he, profile, config_file);
            found = found || in_section;
            continue;
        }
        if (!in_section || indented) /* an indented line continues a nested setting */
            continue;
        const char *eq = s;
        while (eq < e && *eq != '=' && *eq != ':')
            eq++;
        if (eq == e)
            continue;
        const char *ks = s, *ke = eq, *vs = eq + 1, *ve = e;
        aws_credentials_trim(&ks, &ke);
        aws_credentials_trim(&vs, &ve);
        if ((size_t)(ke - ks) != klen || strncasecmp(ks, key, klen) != 0)
            continue;
        wipe_free_string(*out); /* a later line wins */
        *out = aws_credentials_strndup(vs, (size_t)(ve - vs));
    }
    return found;
}

/* file_path: the variable's path, else ~/.aws/<name>; "~/" is the home folder */
static bool file_path(const char *var, const char *name, char *out, size_t n)
{
    const char *v = aws_credentials_env(var);
    const char *home = getenv("HOME");
    int w;
    if (v && !(v[0] == '~' && v[1] == '/'))
        w = snprintf(out, n, "%s", v);
    else if (v)
        w = snprintf(out, n, "%s%s", home ? home : "", v + 1);
    else
        w = snprintf(out, n, "%s/.aws/%s", home ? home : "", name);
    return w >= 0 && (size_t)w < n && (v || home);
}

/* aws_credentials_read_text: the whole file (malloc'ed, wipe_free_string it), NULL when it does not
 * exist */
bool aws_credentials_read_text(const char *what, const char *path, char **out)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT || errno == ENOTDIR)
            return true;
        log_error("%s: cannot read %s: %m", what, path);
        return false;
    }
    buf b = BUF_INIT;
    buf_reserve(&b, 8192); /* credentials: no realloc leaving copies behind for usual files */
    char chunk[4096];
    size_t got;
    while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
        buf_append(&b, chunk, got);
    wipe_bytes(chunk, sizeof(chunk));
    bool err = ferror(f) != 0;
    fclose(f);
    if (err || !buf_ok(&b)) {
        log_error("%s: cannot read %s", what, path);
        wipe_buf_term(&b);
        return false;
    }
    buf_putc(&b, '\0');
    b.len--;
    *out = buf_ok(&b) ? buf_detach(&b) : NULL;
    if (!*out) {
        log_error("%s: out of memory", what);
        wipe_buf_term(&b);
    }
    return *out != NULL;
}

/* the profile's files and name, read once per lookup */

void aws_credentials_files_term(aws_credentials_files *p)
{
    wipe_free_string(p->cred_text);
    wipe_free_string(p->conf_text);
}

bool aws_credentials_files_read(const char *what, const char *profile, aws_credentials_files *p)
{
    memset(p, 0, sizeof(*p));
    p->named = true;
    p->name = profile && *profile ? profile : aws_credentials_env("AWS_PROFILE");
    if (!p->name) {
        p->name = "default";
        p->named = false;
    }
    char *unused = NULL;
    if (file_path("AWS_SHARED_CREDENTIALS_FILE", "credentials", p->cred_path,
                  sizeof(p->cred_path)) &&
        !aws_credentials_read_text(what, p->cred_path, &p->cred_text))
        return false;
    if (file_path("AWS_CONFIG_FILE", "config", p->conf_path, sizeof(p->conf_path)) &&
        !aws_credentials_read_text(what, p->conf_path, &p->conf_text)) {
        aws_credentials_files_term(p);
        return false;
    }
    p->in_cred =
        p->cred_text && aws_credentials_ini_value(p->cred_text, p->name, false, "x", &unused);
    p->in_conf =
        p->conf_text && aws_credentials_ini_value(p->conf_text, p->name, true, "x", &unused);
    free(unused);
    return true;
}

/* aws_credentials_files_conf: a value of the profile in the config file (malloc'ed) or NULL */
char *aws_credentials_files_conf(const aws_credentials_files *p, const char *key)
{
    char *v = NULL;
    if (p->conf_text)
        aws_credentials_ini_value(p->conf_text, p->name, true, key, &v);
    if (v && !*v) {
        free(v);
        v = NULL;
    }
    return v;
}

char *aws_credentials_files_cred(const aws_credentials_files *p, const char *key)
{
    char *v = NULL;
    if (p->cred_text)
        aws_credentials_ini_value(p->cred_text, p->name, false, key, &v);
    if (v && !*v) {
        free(v);
        v = NULL;
    }
    return v;
}

bool aws_credentials_region(const char *what, const char *profile, char **out)
{
    *out = NULL;
    const char *r = aws_credentials_env("AWS_REGION");
    if (!r)
        r = aws_credentials_env("AWS_DEFAULT_REGION");
    if (r) {
        *out = aws_credentials_strdup(r);
        return *out != NULL;
    }
    aws_credentials_files p;
    if (!aws_credentials_files_read(what, profile, &p))
        return false;
    *out = aws_credentials_files_conf(&p, "region");
    aws_credentials_files_term(&p);
    return true;
}
