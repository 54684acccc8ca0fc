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

/* ---- the tunnel ---- */

static pthread_once_t libssh2_once = PTHREAD_ONCE_INIT;
static int libssh2_init_rc;

static void init_libssh2(void)
{
    libssh2_init_rc = libssh2_init(0);
}

const char *ssh_tunnel_session_error(LIBSSH2_SESSION *s, int *code)
{
    char *msg = NULL;
    int rc = libssh2_session_last_error(s, &msg, NULL, 0);
    if (code)
        *code = rc;
    return msg && *msg ? msg : "unknown error";
}

/* a libssh2 error that ends the whole session, not only one channel */
bool ssh_tunnel_session_fatal(int rc)
{
    return rc != LIBSSH2_ERROR_EAGAIN &&
           !(rc <= LIBSSH2_ERROR_CHANNEL_OUTOFORDER && rc >= LIBSSH2_ERROR_CHANNEL_EOF_SENT);
}

void ssh_tunnel_set_tcp_options(int fd, bool keepalive)
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
    ssh_tunnel_set_tcp_options(fd, true);
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
    ssh_tunnel_key_line kl;
    if (!ssh_tunnel_config_parse_key_line(line, len, &kl))
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
    if (ssh_tunnel_config_is_pem(setting)) {
        *len = strlen(setting);
        return setting;
    }
    char path[4096];
    if (!ssh_tunnel_config_expand_path(setting, path, sizeof(path))) {
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
        if (ssh_tunnel_config_b64val(*p) >= 0)
            b64[n++] = *p;
    n -= n % 4;
    unsigned char raw[300];
    size_t rawlen = 0;
    return ssh_tunnel_config_b64_decode(b64, n, raw, sizeof(raw), &rawlen) &&
           memmem(raw, rawlen, "ssh-rsa", 7);
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
    const char *msg = ssh_tunnel_session_error(t->session, NULL);
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

ssh_tunnel *ssh_tunnel_open(const cJSON *config, int timeout_s, const char *program)
{
    const cJSON *tc = ssh_tunnel_config_object(config);
    if (!tc)
        return NULL;
    open_params o;
    memset(&o, 0, sizeof(o));
    o.host = ssh_tunnel_config_nonempty(tc, "host");
    o.user = ssh_tunnel_config_nonempty(tc, "username");
    o.key = ssh_tunnel_config_nonempty(tc, "private_key");
    o.key_password = json_util_string(tc, "private_key_password", NULL);
    o.host_key = ssh_tunnel_config_nonempty(tc, "host_key");
    o.known_hosts = ssh_tunnel_config_nonempty(tc, "known_hosts");
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
    t->label = strdup(label);
    t->program = strdup(program ? program : "singer");
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
        ssh_tunnel_config_each_line(o.host_key, line_pref, &a);
        if (!a.any && *pref &&
            libssh2_session_method_pref(t->session, LIBSSH2_METHOD_HOSTKEY, pref) != 0)
            log_debug("ssh tunnel %s: libssh2 takes none of the host key kinds %s", t->label, pref);
    } else if (!o.unchecked) {
        if (!ssh_tunnel_config_expand_path(o.known_hosts ? o.known_hosts : "~/.ssh/known_hosts",
                                           kh_path, sizeof(kh_path))) {
            log_error("ssh tunnel %s: the known_hosts path is too long", t->label);
            goto fail;
        }
        kh = prepare_known_hosts(t, &o, kh_path, &kh_readable);
    }
    if (libssh2_session_handshake(t->session, t->sock) != 0) {
        log_error("ssh tunnel %s: the SSH handshake failed: %s", t->label,
                  ssh_tunnel_session_error(t->session, NULL));
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
    int prc = pthread_create(&t->thread, NULL, ssh_tunnel_loop_main, t);
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
        ssh_tunnel_listener *l = t->listeners[i];
        if (l->port == port && strcmp(l->host, host) == 0) {
            *local_port = l->local_port;
            ok = true;
            goto done;
        }
    }
    if (t->nlisteners == t->listeners_cap) {
        size_t cap = t->listeners_cap ? t->listeners_cap * 2 : 4;
        ssh_tunnel_listener **a = realloc(t->listeners, cap * sizeof(*a));
        if (!a) {
            log_error("out of memory");
            goto done;
        }
        t->listeners = a;
        t->listeners_cap = cap;
    }
    ssh_tunnel_listener *l = calloc(1, sizeof(*l));
    char *h = strdup(host);
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
