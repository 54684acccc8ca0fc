#define _GNU_SOURCE /* POLLRDHUP, accept4, pipe2 */
#include "ssh_tunnel.h"
#include "ssh_tunnel_int.h"

#include "json_util.h"
#include "log.h"
#include "wipe.h"

#include <errno.h>
#include <fcntl.h>
#include <libssh2.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- settings ---- */

static const char *const known_keys[] = {
    "enable",   "host",        "port",           "username", "private_key", "private_key_password",
    "host_key", "known_hosts", "host_key_check",
};

const cJSON *ssh_tunnel_config_object(const cJSON *config)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(config, "ssh_tunnel");
    return cJSON_IsObject(t) ? t : NULL;
}

bool ssh_tunnel_enabled(const cJSON *config)
{
    const cJSON *t = ssh_tunnel_config_object(config);
    return t && json_util_is_true(cJSON_GetObjectItemCaseSensitive(t, "enable"));
}

const char *ssh_tunnel_config_nonempty(const cJSON *t, const char *key)
{
    const char *v = json_util_string(t, key, NULL);
    return v && *v ? v : NULL;
}

bool ssh_tunnel_config_is_pem(const char *v)
{
    while (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r')
        v++;
    return strncmp(v, "-----BEGIN", 10) == 0;
}

/* "~/x" with the home folder put in, into out; false when it does not fit */
bool ssh_tunnel_config_expand_path(const char *path, char *out, size_t n)
{
    int len;
    if (path[0] == '~' && path[1] == '/') {
        const char *home = getenv("HOME");
        len = snprintf(out, n, "%s%s", home ? home : "", path + 1);
    } else {
        len = snprintf(out, n, "%s", path);
    }
    return len >= 0 && (size_t)len < n;
}

/* ---- base64 (OpenSSH's keys and fingerprints) ---- */

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int ssh_tunnel_config_b64val(char c)
{
    const char *p = c ? strchr(b64chars, c) : NULL;
    return p ? (int)(p - b64chars) : -1;
}

/* decode s[0..len) (padding optional) into out; false on a bad character or no room */
bool ssh_tunnel_config_b64_decode(const char *s, size_t len, unsigned char *out, size_t cap,
                                  size_t *outlen)
{
    while (len > 0 && s[len - 1] == '=')
        len--;
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = ssh_tunnel_config_b64val(s[i]);
        if (v < 0)
            return false;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o >= cap)
                return false;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    *outlen = o;
    return true;
}

void ssh_tunnel_fingerprint(const unsigned char sha256[32], char *out, size_t n)
{
    char b64[48];
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (int i = 0; i < 32; i++) {
        acc = (acc << 8) | sha256[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            b64[o++] = b64chars[(acc >> bits) & 63];
        }
    }
    if (bits > 0)
        b64[o++] = b64chars[(acc << (6 - bits)) & 63];
    b64[o] = '\0';
    snprintf(out, n, "SHA256:%s", b64);
}

static bool is_key_type(const char *s, size_t len)
{
    return (len > 4 && strncmp(s, "ssh-", 4) == 0) ||
           (len > 11 && strncmp(s, "ecdsa-sha2-", 11) == 0) ||
           (len > 3 && strncmp(s, "sk-", 3) == 0);
}

/* split line[0..len) into kl; false when it is neither form. Empty lines and comments give
   true with nothing set. */
bool ssh_tunnel_config_parse_key_line(const char *line, size_t len, ssh_tunnel_key_line *kl)
{
    memset(kl, 0, sizeof(*kl));
    const char *tok[4];
    size_t toklen[4];
    int ntok = 0;
    size_t i = 0;
    while (i < len && ntok < 4) {
        while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
            i++;
        if (i >= len)
            break;
        size_t start = i;
        while (i < len && line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
            i++;
        tok[ntok] = line + start;
        toklen[ntok] = i - start;
        ntok++;
    }
    if (ntok == 0 || tok[0][0] == '#')
        return true;
    if (toklen[0] > 7 && strncmp(tok[0], "SHA256:", 7) == 0) {
        kl->fp = tok[0] + 7;
        kl->fplen = toklen[0] - 7;
        unsigned char raw[40];
        size_t rawlen;
        return ssh_tunnel_config_b64_decode(kl->fp, kl->fplen, raw, sizeof(raw), &rawlen) &&
               rawlen == 32;
    }
    /* "type blob [comment]", or a known_hosts line "host type blob [comment]" */
    for (int k = 0; k + 1 < ntok && k < 2; k++) {
        if (is_key_type(tok[k], toklen[k])) {
            kl->type = tok[k];
            kl->typelen = toklen[k];
            kl->blob = tok[k + 1];
            kl->bloblen = toklen[k + 1];
            return ssh_tunnel_config_b64val(kl->blob[0]) >= 0;
        }
    }
    return false;
}

/* calls fn for each line of setting; stops at the first true return */
bool ssh_tunnel_config_each_line(const char *setting, bool (*fn)(const char *, size_t, void *),
                                 void *arg)
{
    const char *p = setting;
    while (*p) {
        size_t len = strcspn(p, "\n");
        if (fn(p, len, arg))
            return true;
        p += len;
        if (*p == '\n')
            p++;
    }
    return false;
}

typedef struct match_arg {
    const unsigned char *key;
    size_t len;
    const unsigned char *sha256;
} match_arg;

static bool line_matches(const char *line, size_t len, void *arg)
{
    match_arg *m = arg;
    ssh_tunnel_key_line kl;
    if (!ssh_tunnel_config_parse_key_line(line, len, &kl))
        return false;
    if (kl.fp) {
        char fp[64];
        ssh_tunnel_fingerprint(m->sha256, fp, sizeof(fp));
        size_t n = kl.fplen;
        while (n > 0 && kl.fp[n - 1] == '=')
            n--;
        return strlen(fp + 7) == n && memcmp(fp + 7, kl.fp, n) == 0;
    }
    if (!kl.blob)
        return false;
    unsigned char *raw = malloc(kl.bloblen);
    size_t rawlen = 0;
    bool ok = raw && ssh_tunnel_config_b64_decode(kl.blob, kl.bloblen, raw, kl.bloblen, &rawlen) &&
              rawlen == m->len && memcmp(raw, m->key, rawlen) == 0;
    free(raw);
    return ok;
}

bool ssh_tunnel_host_key_matches(const char *setting, const unsigned char *key, size_t len,
                                 const unsigned char sha256[32])
{
    match_arg m = {key, len, sha256};
    return setting && ssh_tunnel_config_each_line(setting, line_matches, &m);
}

typedef struct check_arg {
    int lineno;
    int bad;
} check_arg;

static bool line_bad(const char *line, size_t len, void *arg)
{
    check_arg *c = arg;
    c->lineno++;
    ssh_tunnel_key_line kl;
    if (ssh_tunnel_config_parse_key_line(line, len, &kl)) {
        if (!kl.blob)
            return false;
        unsigned char *raw = malloc(kl.bloblen);
        size_t rawlen = 0;
        bool ok = raw &&
                  ssh_tunnel_config_b64_decode(kl.blob, kl.bloblen, raw, kl.bloblen, &rawlen) &&
                  rawlen > 0;
        free(raw);
        if (ok)
            return false;
    }
    c->bad = c->lineno;
    return true;
}

bool ssh_tunnel_config_check(const cJSON *config, const char *what)
{
    if (!ssh_tunnel_enabled(config))
        return true;
    const cJSON *t = ssh_tunnel_config_object(config);
    const cJSON *item;
    cJSON_ArrayForEach(item, t)
    {
        bool known = false;
        for (size_t i = 0; i < sizeof(known_keys) / sizeof(known_keys[0]); i++)
            known = known || strcmp(item->string, known_keys[i]) == 0;
        if (!known)
            log_warn("%s: key \"ssh_tunnel\": unknown setting \"%.40s\" is ignored", what,
                     item->string);
    }
    static const char *const required[] = {"host", "username", "private_key"};
    static const char *const meaning[] = {"the SSH bastion to connect to",
                                          "the user to log in as on the bastion",
                                          "PEM text or the path of the key file"};
    for (int i = 0; i < 3; i++) {
        if (!ssh_tunnel_config_nonempty(t, required[i])) {
            log_error("%s: key \"ssh_tunnel\": enable is true, but %s is not set (%s)", what,
                      required[i], meaning[i]);
            return false;
        }
    }
    const cJSON *port = cJSON_GetObjectItemCaseSensitive(t, "port");
    long long p = 22;
    if (port && !cJSON_IsNull(port) && (!json_util_to_int(port, &p) || p < 1 || p > 65535)) {
        log_error("%s: key \"ssh_tunnel\": port must be an integer from 1 to 65535", what);
        return false;
    }
    const char *key = ssh_tunnel_config_nonempty(t, "private_key");
    if (!ssh_tunnel_config_is_pem(key)) {
        char path[4096];
        struct stat st;
        if (strchr(key, '\n') || !ssh_tunnel_config_expand_path(key, path, sizeof(path)) ||
            access(path, R_OK) != 0 || stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
            log_error("%s: key \"ssh_tunnel\": private_key is neither PEM text "
                      "(\"-----BEGIN ...\") nor the path of a readable key file",
                      what);
            return false;
        }
    }
    const cJSON *pw = cJSON_GetObjectItemCaseSensitive(t, "private_key_password");
    if (pw && !cJSON_IsNull(pw) && !cJSON_IsString(pw)) {
        log_error("%s: key \"ssh_tunnel\": private_key_password must be a string", what);
        return false;
    }
    const char *host_key = ssh_tunnel_config_nonempty(t, "host_key");
    const char *known_hosts = ssh_tunnel_config_nonempty(t, "known_hosts");
    const cJSON *check = cJSON_GetObjectItemCaseSensitive(t, "host_key_check");
    if (check && !cJSON_IsNull(check) && !cJSON_IsBool(check)) {
        log_error("%s: key \"ssh_tunnel\": host_key_check must be true or false", what);
        return false;
    }
    bool unchecked = cJSON_IsFalse(check);
    if (unchecked && (host_key || known_hosts)) {
        log_error("%s: key \"ssh_tunnel\": host_key_check is false, but %s is set: keep one", what,
                  host_key ? "host_key" : "known_hosts");
        return false;
    }
    if (host_key && known_hosts) {
        log_error("%s: key \"ssh_tunnel\": host_key and known_hosts are both set: keep one", what);
        return false;
    }
    if (host_key) {
        check_arg c = {0, 0};
        ssh_tunnel_config_each_line(host_key, line_bad, &c);
        if (c.bad) {
            log_error("%s: key \"ssh_tunnel\": line %d of host_key is neither an OpenSSH public "
                      "key (\"ssh-ed25519 AAAA...\") nor a fingerprint (\"SHA256:...\")",
                      what, c.bad);
            return false;
        }
    }
    return true;
}
