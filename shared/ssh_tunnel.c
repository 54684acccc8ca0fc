#define _GNU_SOURCE /* POLLRDHUP, accept4, pipe2 */
#include "ssh_tunnel.h"

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

/* bytes kept per direction and forwarded connection: PostgreSQL's COPY chunks and libpq's
   8 KB reads fit many times */
#define IO_BUF 65536
/* seconds between SSH keepalives; with TCP_USER_TIMEOUT, a dead bastion is found in about
   two minutes even when no connection sends anything */
#define KEEPALIVE_S 30

/* ---- settings ---- */

static const char *const known_keys[] = {
    "enable",   "host",        "port",           "username", "private_key", "private_key_password",
    "host_key", "known_hosts", "host_key_check",
};

static const cJSON *tunnel_object(const cJSON *config)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(config, "ssh_tunnel");
    return cJSON_IsObject(t) ? t : NULL;
}

bool ssh_tunnel_enabled(const cJSON *config)
{
    const cJSON *t = tunnel_object(config);
    return t && json_util_is_true(cJSON_GetObjectItemCaseSensitive(t, "enable"));
}

static const char *nonempty(const cJSON *t, const char *key)
{
    const char *v = json_util_string(t, key, NULL);
    return v && *v ? v : NULL;
}

static bool is_pem(const char *v)
{
    while (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r')
        v++;
    return strncmp(v, "-----BEGIN", 10) == 0;
}

/* "~/x" with the home folder put in, into out; false when it does not fit */
static bool expand_path(const char *path, char *out, size_t n)
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

static int b64val(char c)
{
    const char *p = c ? strchr(b64chars, c) : NULL;
    return p ? (int)(p - b64chars) : -1;
}

/* decode s[0..len) (padding optional) into out; false on a bad character or no room */
static bool b64_decode(const char *s, size_t len, unsigned char *out, size_t cap, size_t *outlen)
{
    while (len > 0 && s[len - 1] == '=')
        len--;
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64val(s[i]);
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

/* one line of host_key, split: a fingerprint (fp, fplen) or a key (type, blob) */
typedef struct key_line {
    const char *fp;
    size_t fplen;
    const char *type;
    size_t typelen;
    const char *blob;
    size_t bloblen;
} key_line;

static bool is_key_type(const char *s, size_t len)
{
    return (len > 4 && strncmp(s, "ssh-", 4) == 0) ||
           (len > 11 && strncmp(s, "ecdsa-sha2-", 11) == 0) ||
           (len > 3 && strncmp(s, "sk-", 3) == 0);
}

/* split line[0..len) into kl; false when it is neither form. Empty lines and comments give
   true with nothing set. */
static bool parse_key_line(const char *line, size_t len, key_line *kl)
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
        return b64_decode(kl->fp, kl->fplen, raw, sizeof(raw), &rawlen) && rawlen == 32;
    }
    /* "type blob [comment]", or a known_hosts line "host type blob [comment]" */
    for (int k = 0; k + 1 < ntok && k < 2; k++) {
        if (is_key_type(tok[k], toklen[k])) {
            kl->type = tok[k];
            kl->typelen = toklen[k];
            kl->blob = tok[k + 1];
            kl->bloblen = toklen[k + 1];
            return b64val(kl->blob[0]) >= 0;
        }
    }
    return false;
}

/* calls fn for each line of setting; stops at the first true return */
static bool each_line(const char *setting, bool (*fn)(const char *, size_t, void *), void *arg)
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
    key_line kl;
    if (!parse_key_line(line, len, &kl))
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
    bool ok = raw && b64_decode(kl.blob, kl.bloblen, raw, kl.bloblen, &rawlen) &&
              rawlen == m->len && memcmp(raw, m->key, rawlen) == 0;
    free(raw);
    return ok;
}

bool ssh_tunnel_host_key_matches(const char *setting, const unsigned char *key, size_t len,
                                 const unsigned char sha256[32])
{
    match_arg m = {key, len, sha256};
    return setting && each_line(setting, line_matches, &m);
}

typedef struct check_arg {
    int lineno;
    int bad;
} check_arg;

static bool line_bad(const char *line, size_t len, void *arg)
{
    check_arg *c = arg;
    c->lineno++;
    key_line kl;
    if (parse_key_line(line, len, &kl)) {
        if (!kl.blob)
            return false;
        unsigned char *raw = malloc(kl.bloblen);
        size_t rawlen = 0;
        bool ok = raw && b64_decode(kl.blob, kl.bloblen, raw, kl.bloblen, &rawlen) && rawlen > 0;
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
    const cJSON *t = tunnel_object(config);
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
        if (!nonempty(t, required[i])) {
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
    const char *key = nonempty(t, "private_key");
    if (!is_pem(key)) {
        char path[4096];
        struct stat st;
        if (strchr(key, '\n') || !expand_path(key, path, sizeof(path)) || access(path, R_OK) != 0 ||
            stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
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
    const char *host_key = nonempty(t, "host_key");
    const char *known_hosts = nonempty(t, "known_hosts");
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
        each_line(host_key, line_bad, &c);
        if (c.bad) {
            log_error("%s: key \"ssh_tunnel\": line %d of host_key is neither an OpenSSH public "
                      "key (\"ssh-ed25519 AAAA...\") nor a fingerprint (\"SHA256:...\")",
                      what, c.bad);
            return false;
        }
    }
    return true;
}

/* ---- the tunnel ---- */

typedef struct listener {
    int fd;     /* listening on 127.0.0.1:local_port; -1 once closed */
    char *host; /* malloc'ed: the database host as the bastion sees it */
    int port;
    int local_port;
} listener;

typedef enum fwd_state {
    FWD_WAITING, /* accepted; its channel not open yet */
    FWD_OPEN,    /* bytes flow both ways */
    FWD_CLOSING, /* the local socket is closed; the channel is being freed */
} fwd_state;

/* one forwarded connection: a local socket and its direct-tcpip channel */
typedef struct fwd {
    struct fwd *next;
    int fd;               /* accepted local socket; -1 once closed */
    int peer_port;        /* of the local client, told to the bastion as the originator */
    LIBSSH2_CHANNEL *ch;  /* owned; NULL until opened and after freed */
    const listener *dest; /* borrowed from the tunnel */
    fwd_state state;
    bool local_eof;        /* the local client closed (or its socket failed) */
    bool eof_sent;         /* the channel was told */
    bool remote_eof;       /* the database side closed */
    size_t up_off, up_len; /* up[up_off..up_len): read locally, not yet written to the channel */
    size_t down_off, down_len; /* down[down_off..down_len): from the channel, not yet sent */
    char up[IO_BUF];
    char down[IO_BUF];
} fwd;

struct ssh_tunnel {
    char *label;   /* malloc'ed "user@host:port" */
    char *program; /* malloc'ed, for the disconnect message */
    int sock;      /* the TCP connection to the bastion */
    LIBSSH2_SESSION *session;
    pthread_t thread;
    bool thread_started;
    int wake[2]; /* a byte on wake[1] makes the thread look at listeners and stop again */

    pthread_mutex_t mu;   /* guards the fields below */
    listener **listeners; /* malloc'ed array of malloc'ed listeners (stable addresses) */
    size_t nlisteners, listeners_cap;
    bool dead; /* the session was lost */
    bool stop; /* ssh_tunnel_destroy asked the thread to finish */

    /* the thread's own */
    fwd *conns;
    fwd *opening; /* libssh2 opens one channel at a time in non-blocking mode */
    struct pollfd *pfds;
    size_t pfds_cap;
};

static pthread_once_t libssh2_once = PTHREAD_ONCE_INIT;
static int libssh2_init_rc;

static void init_libssh2(void)
{
    libssh2_init_rc = libssh2_init(0);
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

static const char *session_error(LIBSSH2_SESSION *s, int *code)
{
    char *msg = NULL;
    int rc = libssh2_session_last_error(s, &msg, NULL, 0);
    if (code)
        *code = rc;
    return msg && *msg ? msg : "unknown error";
}

/* a libssh2 error that ends the whole session, not only one channel */
static bool session_fatal(int rc)
{
    return rc != LIBSSH2_ERROR_EAGAIN &&
           !(rc <= LIBSSH2_ERROR_CHANNEL_OUTOFORDER && rc >= LIBSSH2_ERROR_CHANNEL_EOF_SENT);
}

static void set_tcp_options(int fd, bool keepalive)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (!keepalive)
        return;
    int idle = 30, intvl = 10, cnt = 6;
    unsigned user_timeout = 120000;
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
    setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout, sizeof(user_timeout));
}

/* a non-blocking TCP connection to host:port within timeout_s; -1 after logging */
static int connect_bastion(const char *label, const char *host, int port, int timeout_s)
{
    char service[16];
    snprintf(service, sizeof(service), "%d", port);
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int gai = getaddrinfo(host, service, &hints, &res);
    if (gai != 0) {
        log_error("ssh tunnel %s: cannot resolve the bastion host: %s", label, gai_strerror(gai));
        return -1;
    }
    int fd = -1, err = 0;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            if (errno == EINPROGRESS) {
                struct pollfd p = {fd, POLLOUT, 0};
                int n = poll(&p, 1, timeout_s * 1000);
                socklen_t len = sizeof(err);
                if (n == 0)
                    err = ETIMEDOUT;
                else if (n < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
                    err = errno;
            } else {
                err = errno;
            }
            if (err != 0) {
                close(fd);
                fd = -1;
            }
        }
    }
    freeaddrinfo(res);
    if (fd < 0) {
        log_error("ssh tunnel %s: cannot connect to the bastion: %s", label, strerror(err));
        return -1;
    }
    set_tcp_options(fd, true);
    return fd;
}

static const char *host_key_type_name(int type)
{
    switch (type) {
    case LIBSSH2_HOSTKEY_TYPE_RSA:
        return "ssh-rsa";
    case LIBSSH2_HOSTKEY_TYPE_DSS:
        return "ssh-dss";
#ifdef LIBSSH2_HOSTKEY_TYPE_ECDSA_256
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_256:
        return "ecdsa-sha2-nistp256";
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_384:
        return "ecdsa-sha2-nistp384";
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_521:
        return "ecdsa-sha2-nistp521";
#endif
#ifdef LIBSSH2_HOSTKEY_TYPE_ED25519
    case LIBSSH2_HOSTKEY_TYPE_ED25519:
        return "ssh-ed25519";
#endif
    default:
        return "unknown";
    }
}

/* the host key kinds, in libssh2's order of preference: the known_hosts type bit and the
   libssh2 method names for each */
static const struct {
    int knownhost_bit;
    const char *methods;
} key_kinds[] = {
    {LIBSSH2_KNOWNHOST_KEY_ECDSA_256, "ecdsa-sha2-nistp256"},
    {LIBSSH2_KNOWNHOST_KEY_ECDSA_384, "ecdsa-sha2-nistp384"},
    {LIBSSH2_KNOWNHOST_KEY_ECDSA_521, "ecdsa-sha2-nistp521"},
    {LIBSSH2_KNOWNHOST_KEY_ED25519, "ssh-ed25519"},
    {LIBSSH2_KNOWNHOST_KEY_SSHRSA, "rsa-sha2-512,rsa-sha2-256,ssh-rsa"},
    {LIBSSH2_KNOWNHOST_KEY_SSHDSS, "ssh-dss"},
};

static int knownhost_bit(int hostkey_type)
{
    switch (hostkey_type) {
    case LIBSSH2_HOSTKEY_TYPE_RSA:
        return LIBSSH2_KNOWNHOST_KEY_SSHRSA;
    case LIBSSH2_HOSTKEY_TYPE_DSS:
        return LIBSSH2_KNOWNHOST_KEY_SSHDSS;
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_256:
        return LIBSSH2_KNOWNHOST_KEY_ECDSA_256;
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_384:
        return LIBSSH2_KNOWNHOST_KEY_ECDSA_384;
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_521:
        return LIBSSH2_KNOWNHOST_KEY_ECDSA_521;
    case LIBSSH2_HOSTKEY_TYPE_ED25519:
        return LIBSSH2_KNOWNHOST_KEY_ED25519;
    default:
        return LIBSSH2_KNOWNHOST_KEY_UNKNOWN;
    }
}

/* read a known_hosts file line by line: a line libssh2 cannot read (a key type it does not
   know, @cert-authority) is skipped, where libssh2_knownhost_readfile would give up on the whole
   file. False when the file cannot be read (errno kept). */
static bool read_known_hosts(LIBSSH2_KNOWNHOSTS *kh, const char *path, int *entries)
{
    FILE *f = fopen(path, "r");
    *entries = 0;
    if (!f)
        return false;
    char line[16384];
    while (fgets(line, sizeof(line), f)) {
        const char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '#' || *p == '\n' || *p == '\0')
            continue;
        if (libssh2_knownhost_readline(kh, line, strlen(line), LIBSSH2_KNOWNHOST_FILE_OPENSSH) == 0)
            (*entries)++;
        else
            log_debug("ssh tunnel: a line of %s is skipped (libssh2 cannot read it)", path);
    }
    fclose(f);
    return true;
}

/* which host key kinds known_hosts holds for host:port: a probe with a dummy key is a
   mismatch for each kind it has, not-found for the others (this sees hashed names too) */
static void known_kinds(LIBSSH2_KNOWNHOSTS *kh, const char *host, int port, char *pref, size_t n)
{
    pref[0] = '\0';
    for (size_t i = 0; i < sizeof(key_kinds) / sizeof(key_kinds[0]); i++) {
        struct libssh2_knownhost *entry = NULL;
        int rc =
            libssh2_knownhost_checkp(kh, host, port, "\0", 1,
                                     LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW |
                                         key_kinds[i].knownhost_bit,
                                     &entry);
        if (rc == LIBSSH2_KNOWNHOST_CHECK_MISMATCH) {
            size_t len = strlen(pref);
            snprintf(pref + len, n - len, "%s%s", len ? "," : "", key_kinds[i].methods);
        }
    }
}

/* the key kinds of the host_key lines (none when a fingerprint is among them: it could be of
   any kind) */
typedef struct pref_arg {
    char *pref;
    size_t n;
    bool any;
} pref_arg;

static bool line_pref(const char *line, size_t len, void *arg)
{
    pref_arg *a = arg;
    key_line kl;
    if (!parse_key_line(line, len, &kl))
        return false;
    if (kl.fp) {
        a->any = true;
        return true;
    }
    if (!kl.type)
        return false;
    const char *methods = NULL;
    char one[64];
    snprintf(one, sizeof(one), "%.*s", (int)kl.typelen, kl.type);
    if (strcmp(one, "ssh-rsa") == 0)
        methods = "rsa-sha2-512,rsa-sha2-256,ssh-rsa";
    else
        methods = one;
    size_t cur = strlen(a->pref);
    if (strstr(a->pref, methods))
        return false;
    snprintf(a->pref + cur, a->n - cur, "%s%s", cur ? "," : "", methods);
    return false;
}

typedef struct open_params {
    const char *host;
    int port;
    const char *user;
    const char *key;
    const char *key_password;
    const char *host_key;
    const char *known_hosts;
    bool unchecked;
} open_params;

/* known_hosts, before the handshake: read it, and prefer the key kinds it knows for the host */
static LIBSSH2_KNOWNHOSTS *prepare_known_hosts(ssh_tunnel *t, const open_params *o,
                                               const char *path, bool *readable)
{
    LIBSSH2_KNOWNHOSTS *kh = libssh2_knownhost_init(t->session);
    int entries = 0;
    *readable = kh && read_known_hosts(kh, path, &entries);
    if (!kh)
        return NULL;
    char pref[256];
    known_kinds(kh, o->host, o->port, pref, sizeof(pref));
    if (*pref && libssh2_session_method_pref(t->session, LIBSSH2_METHOD_HOSTKEY, pref) != 0)
        log_debug("ssh tunnel %s: libssh2 takes none of the host key kinds %s", t->label, pref);
    return kh;
}

/* check the host key the server offered; false after logging */
static bool check_host_key(ssh_tunnel *t, const open_params *o, LIBSSH2_KNOWNHOSTS *kh,
                           const char *kh_path, bool kh_readable)
{
    size_t len = 0;
    int type = 0;
    const char *key = libssh2_session_hostkey(t->session, &len, &type);
    const char *hash = libssh2_hostkey_hash(t->session, LIBSSH2_HOSTKEY_HASH_SHA256);
    if (!key || !hash) {
        log_error("ssh tunnel %s: the bastion offered no host key libssh2 can read", t->label);
        return false;
    }
    char fp[64];
    ssh_tunnel_fingerprint((const unsigned char *)hash, fp, sizeof(fp));
    const char *tname = host_key_type_name(type);
    if (o->unchecked) {
        log_warn("ssh tunnel %s: ssh_tunnel.host_key_check is false: the bastion's host key (%s "
                 "%s) is not checked, so whoever can intercept the connection can pose as the "
                 "bastion and read the database traffic; set host_key or known_hosts",
                 t->label, tname, fp);
        return true;
    }
    if (o->host_key) {
        if (ssh_tunnel_host_key_matches(o->host_key, (const unsigned char *)key, len,
                                        (const unsigned char *)hash)) {
            log_info("ssh tunnel %s: host key %s %s matches ssh_tunnel.host_key", t->label, tname,
                     fp);
            return true;
        }
        log_error("ssh tunnel %s: the bastion's host key (%s %s) is not the one in "
                  "ssh_tunnel.host_key: refusing to connect (someone may be intercepting the "
                  "connection, or the bastion's key changed)",
                  t->label, tname, fp);
        return false;
    }
    int rc = LIBSSH2_KNOWNHOST_CHECK_NOTFOUND;
    if (kh) {
        struct libssh2_knownhost *entry = NULL;
        rc = libssh2_knownhost_checkp(kh, o->host, o->port, key, len,
                                      LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW |
                                          knownhost_bit(type),
                                      &entry);
    }
    if (rc == LIBSSH2_KNOWNHOST_CHECK_MATCH) {
        log_info("ssh tunnel %s: host key %s %s matches %s", t->label, tname, fp, kh_path);
        return true;
    }
    if (rc == LIBSSH2_KNOWNHOST_CHECK_MISMATCH) {
        log_error("ssh tunnel %s: the bastion's host key (%s %s) does NOT match the one in %s: "
                  "refusing to connect (someone may be intercepting the connection, or the "
                  "bastion's key changed)",
                  t->label, tname, fp, kh_path);
        return false;
    }
    char portopt[24] = "";
    if (o->port != 22)
        snprintf(portopt, sizeof(portopt), "-p %d ", o->port);
    log_error("ssh tunnel %s: the bastion is not in the known_hosts file %s%s (it offered %s %s): "
              "after checking that fingerprint, add its key (ssh-keyscan %s%s >> %s) or set "
              "ssh_tunnel.host_key to it",
              t->label, kh_path, kh_readable ? "" : " (which cannot be read)", tname, fp, portopt,
              o->host, kh_path);
    return false;
}

/* the private key's text: the setting itself (PEM), or the file it names, read into a malloc'ed
   area returned through owned as well, which the caller wipes and frees */
static const char *key_text(const ssh_tunnel *t, const char *setting, char **owned, size_t *len)
{
    *owned = NULL;
    if (is_pem(setting)) {
        *len = strlen(setting);
        return setting;
    }
    char path[4096];
    if (!expand_path(setting, path, sizeof(path))) {
        log_error("ssh tunnel %s: the path of ssh_tunnel.private_key is too long", t->label);
        return NULL;
    }
    FILE *f = fopen(path, "r");
    if (!f) {
        log_error("ssh tunnel %s: cannot read ssh_tunnel.private_key %s: %s", t->label, path,
                  strerror(errno));
        return NULL;
    }
    size_t cap = 65536, n = 0;
    char *data = malloc(cap + 1);
    if (data)
        n = fread(data, 1, cap, f);
    bool too_long = data && n == cap && fgetc(f) != EOF;
    fclose(f);
    if (!data || too_long) {
        log_error("ssh tunnel %s: ssh_tunnel.private_key %s is %s", t->label, path,
                  data ? "longer than 64 KB: not a private key" : "not readable: out of memory");
        if (data)
            wipe_bytes(data, cap);
        free(data);
        return NULL;
    }
    data[n] = '\0';
    *owned = data;
    *len = n;
    return data;
}

/* whether a private key's text holds an RSA key: the old PEM header, or the public key inside
   an OpenSSH-format key ("openssh-key-v1", then the cipher, KDF and its options, the key count
   and the public key, which starts with its type) */
static bool key_is_rsa(const char *text, size_t len)
{
    if (memmem(text, len, "BEGIN RSA PRIVATE KEY", 21))
        return true;
    const char *begin = memmem(text, len, "-----BEGIN OPENSSH PRIVATE KEY-----", 35);
    if (!begin)
        return false;
    const char *p = begin + 35;
    const char *end = text + len;
    char b64[400];
    size_t n = 0;
    for (; p < end && *p != '-' && n < sizeof(b64); p++)
        if (b64val(*p) >= 0)
            b64[n++] = *p;
    n -= n % 4;
    unsigned char raw[300];
    size_t rawlen = 0;
    return b64_decode(b64, n, raw, sizeof(raw), &rawlen) && memmem(raw, rawlen, "ssh-rsa", 7);
}

static bool authenticate(ssh_tunnel *t, const open_params *o)
{
    char *owned = NULL;
    size_t len = 0;
    const char *key = key_text(t, o->key, &owned, &len);
    if (!key)
        return false;
    bool rsa = key_is_rsa(key, len);
    int rc = libssh2_userauth_publickey_frommemory(
        t->session, o->user, strlen(o->user), NULL, 0, key, len,
        o->key_password && *o->key_password ? o->key_password : NULL);
    if (owned) {
        wipe_bytes(owned, len);
        free(owned);
    }
    if (rc == 0)
        return true;
    const char *msg = session_error(t->session, NULL);
    if (rc == LIBSSH2_ERROR_AUTHENTICATION_FAILED || rc == LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED) {
        log_error(
            "ssh tunnel %s: the bastion refused the private key for user \"%s\" (%s): is "
            "its public key in that user's authorized_keys?%s",
            t->label, o->user, msg,
            rsa ? " (an RSA key signs with ssh-rsa, SHA-1, in this libssh2, which OpenSSH 8.8 "
                  "and later refuse by default: use an Ed25519 or ECDSA key)"
                : "");
    } else if (rc == LIBSSH2_ERROR_SOCKET_SEND || rc == LIBSSH2_ERROR_SOCKET_RECV ||
               rc == LIBSSH2_ERROR_SOCKET_DISCONNECT || rc == LIBSSH2_ERROR_TIMEOUT ||
               rc == LIBSSH2_ERROR_SOCKET_TIMEOUT) {
        log_error("ssh tunnel %s: authentication failed: %s", t->label, msg);
    } else {
        log_error("ssh tunnel %s: cannot use ssh_tunnel.private_key: %s (a wrong or missing "
                  "private_key_password, or a key format libssh2 cannot read)",
                  t->label, strcmp(msg, "unknown error") == 0 ? "it cannot be read" : msg);
    }
    return false;
}

static void *tunnel_main(void *arg);

ssh_tunnel *ssh_tunnel_open(const cJSON *config, int timeout_s, const char *program)
{
    const cJSON *tc = tunnel_object(config);
    if (!tc)
        return NULL;
    open_params o;
    memset(&o, 0, sizeof(o));
    o.host = nonempty(tc, "host");
    o.user = nonempty(tc, "username");
    o.key = nonempty(tc, "private_key");
    o.key_password = json_util_string(tc, "private_key_password", NULL);
    o.host_key = nonempty(tc, "host_key");
    o.known_hosts = nonempty(tc, "known_hosts");
    o.unchecked = cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(tc, "host_key_check"));
    long long port = 22;
    const cJSON *pv = cJSON_GetObjectItemCaseSensitive(tc, "port");
    if (pv && !cJSON_IsNull(pv) && !json_util_to_int(pv, &port))
        port = 0;
    o.port = (int)port;
    if (!o.host || !o.user || !o.key || o.port < 1 || o.port > 65535) {
        log_error("ssh tunnel: the ssh_tunnel settings are incomplete"); /* checked earlier */
        return NULL;
    }
    if (timeout_s <= 0)
        timeout_s = 10;

    ssh_tunnel *t = calloc(1, sizeof(*t));
    if (!t) {
        log_error("out of memory");
        return NULL;
    }
    t->sock = -1;
    t->wake[0] = t->wake[1] = -1;
    pthread_mutex_init(&t->mu, NULL);
    char label[512];
    snprintf(label, sizeof(label), "%s@%s:%d", o.user, o.host, o.port);
    t->label = xstrdup(label);
    t->program = xstrdup(program ? program : "singer");
    LIBSSH2_KNOWNHOSTS *kh = NULL;
    char kh_path[4096] = "";
    bool kh_readable = false;
    if (!t->label || !t->program) {
        log_error("out of memory");
        goto fail;
    }
    pthread_once(&libssh2_once, init_libssh2);
    if (libssh2_init_rc != 0) {
        log_error("ssh tunnel %s: libssh2 failed to initialize", t->label);
        goto fail;
    }
    t->sock = connect_bastion(t->label, o.host, o.port, timeout_s);
    if (t->sock < 0)
        goto fail;
    t->session = libssh2_session_init();
    if (!t->session) {
        log_error("ssh tunnel %s: cannot create an SSH session", t->label);
        goto fail;
    }
    libssh2_session_set_blocking(t->session, 1);
    libssh2_session_set_timeout(t->session, (long)timeout_s * 1000);
    if (o.host_key) {
        char pref[256] = "";
        pref_arg a = {pref, sizeof(pref), false};
        each_line(o.host_key, line_pref, &a);
        if (!a.any && *pref &&
            libssh2_session_method_pref(t->session, LIBSSH2_METHOD_HOSTKEY, pref) != 0)
            log_debug("ssh tunnel %s: libssh2 takes none of the host key kinds %s", t->label, pref);
    } else if (!o.unchecked) {
        if (!expand_path(o.known_hosts ? o.known_hosts : "~/.ssh/known_hosts", kh_path,
                         sizeof(kh_path))) {
            log_error("ssh tunnel %s: the known_hosts path is too long", t->label);
            goto fail;
        }
        kh = prepare_known_hosts(t, &o, kh_path, &kh_readable);
    }
    if (libssh2_session_handshake(t->session, t->sock) != 0) {
        log_error("ssh tunnel %s: the SSH handshake failed: %s", t->label,
                  session_error(t->session, NULL));
        goto fail;
    }
    if (!check_host_key(t, &o, kh, kh_path, kh_readable))
        goto fail;
    if (kh) {
        libssh2_knownhost_free(kh);
        kh = NULL;
    }
    if (!authenticate(t, &o))
        goto fail;
    libssh2_keepalive_config(t->session, 0, KEEPALIVE_S);
    libssh2_session_set_blocking(t->session, 0);
    if (pipe2(t->wake, O_NONBLOCK | O_CLOEXEC) != 0) {
        log_error("ssh tunnel %s: cannot create a pipe: %s", t->label, strerror(errno));
        goto fail;
    }
    /* the thread blocks every signal: the program's handlers run in its own threads, whose
       blocking calls they interrupt */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int prc = pthread_create(&t->thread, NULL, tunnel_main, t);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (prc != 0) {
        log_error("ssh tunnel %s: cannot start its thread: %s", t->label, strerror(prc));
        goto fail;
    }
    t->thread_started = true;
    log_info("ssh tunnel %s: connected", t->label);
    return t;

fail:
    if (kh)
        libssh2_knownhost_free(kh);
    ssh_tunnel_destroy(t);
    return NULL;
}

bool ssh_tunnel_alive(ssh_tunnel *t)
{
    pthread_mutex_lock(&t->mu);
    bool alive = !t->dead;
    pthread_mutex_unlock(&t->mu);
    return alive;
}

const char *ssh_tunnel_label(const ssh_tunnel *t)
{
    return t->label;
}

static void wake(ssh_tunnel *t)
{
    char c = 1;
    if (t->wake[1] >= 0 && write(t->wake[1], &c, 1) < 0 && errno != EAGAIN)
        log_debug("ssh tunnel: cannot wake its thread: %s", strerror(errno));
}

bool ssh_tunnel_forward(ssh_tunnel *t, const char *host, int port, int *local_port)
{
    pthread_mutex_lock(&t->mu);
    bool ok = false;
    if (t->dead) {
        log_error("ssh tunnel %s: the SSH connection was lost earlier: no new connection through "
                  "it",
                  t->label);
        goto done;
    }
    for (size_t i = 0; i < t->nlisteners; i++) {
        listener *l = t->listeners[i];
        if (l->port == port && strcmp(l->host, host) == 0) {
            *local_port = l->local_port;
            ok = true;
            goto done;
        }
    }
    if (t->nlisteners == t->listeners_cap) {
        size_t cap = t->listeners_cap ? t->listeners_cap * 2 : 4;
        listener **a = realloc(t->listeners, cap * sizeof(*a));
        if (!a) {
            log_error("out of memory");
            goto done;
        }
        t->listeners = a;
        t->listeners_cap = cap;
    }
    listener *l = calloc(1, sizeof(*l));
    char *h = xstrdup(host);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t salen = sizeof(sa);
    if (!l || !h || fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        listen(fd, 64) != 0 || getsockname(fd, (struct sockaddr *)&sa, &salen) != 0) {
        log_error("ssh tunnel %s: cannot listen on 127.0.0.1 for %s:%d: %s", t->label, host, port,
                  l && h ? strerror(errno) : "out of memory");
        if (fd >= 0)
            close(fd);
        free(h);
        free(l);
        goto done;
    }
    l->fd = fd;
    l->host = h;
    l->port = port;
    l->local_port = ntohs(sa.sin_port);
    t->listeners[t->nlisteners++] = l;
    *local_port = l->local_port;
    ok = true;
    log_debug("ssh tunnel %s: 127.0.0.1:%d forwards to %s:%d", t->label, l->local_port, host, port);
    wake(t);
done:
    pthread_mutex_unlock(&t->mu);
    return ok;
}

/* ---- the tunnel's thread: every libssh2 call after ssh_tunnel_open is made here ---- */

static void fwd_close_local(fwd *f)
{
    if (f->fd >= 0) {
        close(f->fd);
        f->fd = -1;
    }
    f->state = FWD_CLOSING;
}

/* move bytes for one connection; returns 1 on progress, 0 on none, -1 when the session is lost
   (why filled) */
static int pump(ssh_tunnel *t, fwd *f, char *why, size_t whylen)
{
    int progress = 0;
    int code;
    if (f->state == FWD_WAITING) {
        if (t->opening && t->opening != f)
            return 0;
        t->opening = f;
        f->ch = libssh2_channel_direct_tcpip_ex(t->session, f->dest->host, f->dest->port,
                                                "127.0.0.1", f->peer_port);
        if (!f->ch) {
            const char *msg = session_error(t->session, &code);
            if (code == LIBSSH2_ERROR_EAGAIN)
                return 0;
            t->opening = NULL;
            if (session_fatal(code) && code != LIBSSH2_ERROR_CHANNEL_FAILURE) {
                snprintf(why, whylen, "%s", msg);
                return -1;
            }
            log_error("ssh tunnel %s: the bastion did not open a connection to %s:%d: %s", t->label,
                      f->dest->host, f->dest->port, msg);
            fwd_close_local(f);
            return 1;
        }
        t->opening = NULL;
        f->state = FWD_OPEN;
        progress = 1;
    }
    if (f->state == FWD_OPEN) {
        /* local -> channel */
        if (f->up_off == f->up_len)
            f->up_off = f->up_len = 0;
        if (!f->local_eof && f->up_len < IO_BUF) {
            ssize_t r = recv(f->fd, f->up + f->up_len, IO_BUF - f->up_len, 0);
            if (r > 0) {
                f->up_len += (size_t)r;
                progress = 1;
            } else if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
                f->local_eof = true;
                progress = 1;
            }
        }
        while (f->up_off < f->up_len) {
            ssize_t w = libssh2_channel_write(f->ch, f->up + f->up_off, f->up_len - f->up_off);
            if (w == LIBSSH2_ERROR_EAGAIN || w == 0)
                break;
            if (w < 0) {
                if (session_fatal((int)w)) {
                    snprintf(why, whylen, "%s", session_error(t->session, NULL));
                    return -1;
                }
                fwd_close_local(f);
                return 1;
            }
            f->up_off += (size_t)w;
            progress = 1;
        }
        if (f->local_eof && f->up_off == f->up_len && !f->eof_sent) {
            int rc = libssh2_channel_send_eof(f->ch);
            if (rc == 0 || (rc != LIBSSH2_ERROR_EAGAIN && !session_fatal(rc))) {
                f->eof_sent = true;
                progress = 1;
            } else if (rc != LIBSSH2_ERROR_EAGAIN) {
                snprintf(why, whylen, "%s", session_error(t->session, NULL));
                return -1;
            }
        }
        /* channel -> local */
        if (f->down_off == f->down_len)
            f->down_off = f->down_len = 0;
        while (!f->remote_eof && f->down_len < IO_BUF) {
            ssize_t r = libssh2_channel_read(f->ch, f->down + f->down_len, IO_BUF - f->down_len);
            if (r == LIBSSH2_ERROR_EAGAIN)
                break;
            if (r < 0) {
                if (session_fatal((int)r)) {
                    snprintf(why, whylen, "%s", session_error(t->session, NULL));
                    return -1;
                }
                f->remote_eof = true;
                progress = 1;
                break;
            }
            if (r == 0) {
                if (libssh2_channel_eof(f->ch)) {
                    f->remote_eof = true;
                    progress = 1;
                }
                break;
            }
            f->down_len += (size_t)r;
            progress = 1;
        }
        while (f->down_off < f->down_len) {
            ssize_t w = send(f->fd, f->down + f->down_off, f->down_len - f->down_off, MSG_NOSIGNAL);
            if (w < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                    break;
                f->local_eof = true; /* the client is gone: what it did not read is dropped */
                f->down_off = f->down_len;
                break;
            }
            f->down_off += (size_t)w;
            progress = 1;
        }
        /* done when the database side closed and everything reached the client, or the
           client closed and everything reached the channel */
        if ((f->remote_eof && f->down_off == f->down_len) || (f->local_eof && f->eof_sent)) {
            fwd_close_local(f);
            progress = 1;
        }
    }
    if (f->state == FWD_CLOSING && f->ch) {
        int rc = libssh2_channel_free(f->ch);
        if (rc == LIBSSH2_ERROR_EAGAIN)
            return progress;
        f->ch = NULL;
        progress = 1;
    }
    return progress;
}

static void free_conns(ssh_tunnel *t)
{
    while (t->conns) {
        fwd *f = t->conns;
        t->conns = f->next;
        if (f->fd >= 0)
            close(f->fd);
        /* blocking by now (with the session's timeout) when the session still works; on a
           lost one it fails fast and frees the memory */
        if (f->ch)
            libssh2_channel_free(f->ch);
        free(f);
    }
    t->opening = NULL;
}

/* the session is gone: say so once, close every local connection and the listeners */
static void lose(ssh_tunnel *t, const char *why)
{
    size_t n = 0;
    for (fwd *f = t->conns; f; f = f->next)
        n++;
    log_error("ssh tunnel %s: the SSH connection to the bastion was lost (%s); %zu database "
              "connection%s through it %s closed",
              t->label, why, n, n == 1 ? "" : "s", n == 1 ? "is" : "are");
    pthread_mutex_lock(&t->mu);
    t->dead = true;
    for (size_t i = 0; i < t->nlisteners; i++)
        if (t->listeners[i]->fd >= 0) {
            close(t->listeners[i]->fd);
            t->listeners[i]->fd = -1;
        }
    pthread_mutex_unlock(&t->mu);
    for (fwd *f = t->conns; f; f = f->next)
        if (f->fd >= 0) {
            close(f->fd);
            f->fd = -1;
        }
}

static bool accept_all(ssh_tunnel *t, const listener *l)
{
    bool any = false;
    for (;;) {
        struct sockaddr_in peer;
        socklen_t plen = sizeof(peer);
        int fd = accept4(l->fd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                log_warn("ssh tunnel %s: accept failed: %s", t->label, strerror(errno));
            return any;
        }
        fwd *f = malloc(sizeof(*f));
        if (!f) {
            log_error("ssh tunnel %s: out of memory for a new connection", t->label);
            close(fd);
            return any;
        }
        memset(f, 0, offsetof(fwd, up));
        f->fd = fd;
        f->peer_port = ntohs(peer.sin_port);
        f->dest = l;
        f->state = FWD_WAITING;
        set_tcp_options(fd, false);
        /* appended: channels open in the order connections came */
        fwd **pp = &t->conns;
        while (*pp)
            pp = &(*pp)->next;
        *pp = f;
        any = true;
    }
}

static bool add_pfd(ssh_tunnel *t, size_t *n, int fd, short events)
{
    if (*n == t->pfds_cap) {
        size_t cap = t->pfds_cap ? t->pfds_cap * 2 : 16;
        struct pollfd *p = realloc(t->pfds, cap * sizeof(*p));
        if (!p)
            return false;
        t->pfds = p;
        t->pfds_cap = cap;
    }
    t->pfds[*n].fd = fd;
    t->pfds[*n].events = events;
    t->pfds[*n].revents = 0;
    (*n)++;
    return true;
}

static void *tunnel_main(void *arg)
{
    ssh_tunnel *t = arg;
    bool lost = false;
    bool progress = true;
    const listener *polled[64];
    for (;;) {
        /* the poll set: wake pipe, SSH socket, listeners, then the local sockets */
        size_t n = 0;
        bool ok = add_pfd(t, &n, t->wake[0], POLLIN);
        bool want_read = false;
        for (fwd *f = t->conns; f; f = f->next)
            if (f->state != FWD_OPEN || (!f->remote_eof && f->down_len < IO_BUF))
                want_read = true;
        short ssh_events = 0;
        if (!lost) {
            int dir = libssh2_session_block_directions(t->session);
            ssh_events = POLLRDHUP;
            if (want_read || (dir & LIBSSH2_SESSION_BLOCK_INBOUND))
                ssh_events |= POLLIN;
            if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND)
                ssh_events |= POLLOUT;
        }
        ok = ok && add_pfd(t, &n, lost ? -1 : t->sock, ssh_events);
        size_t npolled = 0;
        pthread_mutex_lock(&t->mu);
        bool stop = t->stop;
        for (size_t i = 0; i < t->nlisteners && npolled < 64; i++)
            if (t->listeners[i]->fd >= 0) {
                polled[npolled++] = t->listeners[i];
                ok = ok && add_pfd(t, &n, t->listeners[i]->fd, POLLIN);
            }
        pthread_mutex_unlock(&t->mu);
        if (stop)
            break;
        for (fwd *f = t->conns; f; f = f->next) {
            short ev = 0;
            if (f->state == FWD_OPEN && !f->local_eof && f->up_len < IO_BUF)
                ev |= POLLIN;
            if (f->state == FWD_OPEN && f->down_off < f->down_len)
                ev |= POLLOUT;
            ok = ok && add_pfd(t, &n, f->fd, ev);
        }
        if (!ok) {
            log_error("ssh tunnel %s: out of memory", t->label);
            lose(t, "out of memory");
            lost = true;
            continue;
        }
        int timeout = progress ? 0 : KEEPALIVE_S * 1000;
        if (!lost) {
            int next = 0;
            if (libssh2_keepalive_send(t->session, &next) == 0 && next > 0 && !progress)
                timeout = next * 1000;
        }
        if (poll(t->pfds, n, timeout) < 0 && errno != EINTR) {
            lose(t, strerror(errno));
            lost = true;
            continue;
        }
        if (t->pfds[0].revents & POLLIN) {
            char drain[64];
            while (read(t->wake[0], drain, sizeof(drain)) > 0) {
            }
        }
        if (lost) {
            progress = false;
            continue;
        }
        if (t->pfds[1].revents & (POLLERR | POLLHUP | POLLRDHUP)) {
            lose(t, "the bastion closed the connection");
            lost = true;
            continue;
        }
        progress = false;
        for (size_t i = 0; i < npolled; i++)
            if (t->pfds[2 + i].revents & POLLIN)
                progress = accept_all(t, polled[i]) || progress;
        char why[512] = "";
        for (fwd **pp = &t->conns; *pp && !lost;) {
            fwd *f = *pp;
            int r = pump(t, f, why, sizeof(why));
            if (r < 0) {
                lose(t, why);
                lost = true;
                break;
            }
            if (r > 0)
                progress = true;
            if (f->state == FWD_CLOSING && !f->ch) {
                *pp = f->next;
                if (f->fd >= 0)
                    close(f->fd);
                free(f);
            } else {
                pp = &f->next;
            }
        }
        /* a read of one channel makes libssh2 take in whatever the socket holds, so packets of
           another channel (data, its EOF, a window adjust its writes wait for) may now be queued
           with the socket empty: look again at once rather than wait in poll */
        bool can_send = !lost && !(libssh2_session_block_directions(t->session) &
                                   LIBSSH2_SESSION_BLOCK_OUTBOUND);
        for (fwd *f = t->conns; f && !progress && !lost; f = f->next)
            if (f->state == FWD_OPEN &&
                ((!f->remote_eof && f->down_len < IO_BUF &&
                  (libssh2_poll_channel_read(f->ch, 0) || libssh2_channel_eof(f->ch))) ||
                 (can_send && f->up_off < f->up_len && libssh2_channel_window_write(f->ch) > 0)))
                progress = true;
    }
    /* stopping: close politely when the session still works */
    if (!lost) {
        libssh2_session_set_blocking(t->session, 1);
        libssh2_session_set_timeout(t->session, 2000);
    }
    free_conns(t);
    if (!lost) {
        char msg[128];
        snprintf(msg, sizeof(msg), "%s: done", t->program);
        libssh2_session_disconnect(t->session, msg);
    }
    return NULL;
}

void ssh_tunnel_destroy(ssh_tunnel *t)
{
    if (!t)
        return;
    if (t->thread_started) {
        pthread_mutex_lock(&t->mu);
        t->stop = true;
        pthread_mutex_unlock(&t->mu);
        wake(t);
        pthread_join(t->thread, NULL);
    }
    if (t->session)
        libssh2_session_free(t->session);
    if (t->sock >= 0)
        close(t->sock);
    for (size_t i = 0; i < t->nlisteners; i++) {
        if (t->listeners[i]->fd >= 0)
            close(t->listeners[i]->fd);
        free(t->listeners[i]->host);
        free(t->listeners[i]);
    }
    free(t->listeners);
    free(t->pfds);
    for (int i = 0; i < 2; i++)
        if (t->wake[i] >= 0)
            close(t->wake[i]);
    pthread_mutex_destroy(&t->mu);
    free(t->label);
    free(t->program);
    free(t);
}
