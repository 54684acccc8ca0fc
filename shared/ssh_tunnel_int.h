/*
 * ssh_tunnel_int: what the three files of the ssh_tunnel module share, for them only (other
 * modules use ssh_tunnel.h): ssh_tunnel_config.c (the settings, host_key lines, the config
 * check), ssh_tunnel.c (the session: connect, host key, authentication, open, forward,
 * destroy) and ssh_tunnel_loop.c (the tunnel's thread, the only caller of libssh2 once the
 * tunnel is open).
 *
 * It does not include ssh_tunnel.h (the files include both), so the module's headers do not
 * include each other.
 *
 * Ownership: the structs below say who owns each pointer; strings returned as const are
 * borrowed from the config.
 */
#ifndef SINGER_SSH_TUNNEL_INT_H
#define SINGER_SSH_TUNNEL_INT_H

#include <cjson/cJSON.h>
#include <libssh2.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

/* bytes kept per direction and forwarded connection: PostgreSQL's COPY chunks and libpq's
   8 KB reads fit many times */
#define IO_BUF 65536
/* seconds between SSH keepalives; with TCP_USER_TIMEOUT, a dead bastion is found in about
   two minutes even when no connection sends anything */
#define KEEPALIVE_S 30

/* ---- ssh_tunnel_config.c ---- */

/* ssh_tunnel_config_object: config's "ssh_tunnel" object, NULL when absent or not an object */
const cJSON *ssh_tunnel_config_object(const cJSON *config);
/* ssh_tunnel_config_nonempty: the non-empty string member key of t, else NULL */
const char *ssh_tunnel_config_nonempty(const cJSON *t, const char *key);
/* ssh_tunnel_config_is_pem: v is PEM text (a key given inline, not a path) */
bool ssh_tunnel_config_is_pem(const char *v);
/* ssh_tunnel_config_expand_path: path with a leading ~/ expanded (HOME) into out; false when it
   does not fit */
bool ssh_tunnel_config_expand_path(const char *path, char *out, size_t n);
/* ssh_tunnel_config_b64val: the value of a base64 digit, -1 for any other character */
int ssh_tunnel_config_b64val(char c);
/* ssh_tunnel_config_b64_decode: base64 s[0..len) into out (cap bytes); false when malformed or
   too long */
bool ssh_tunnel_config_b64_decode(const char *s, size_t len, unsigned char *out, size_t cap,
                                  size_t *outlen);

/* one line of host_key, split: a fingerprint (fp, fplen) or a key (type, blob) */
typedef struct ssh_tunnel_key_line {
    const char *fp;
    size_t fplen;
    const char *type;
    size_t typelen;
    const char *blob;
    size_t bloblen;
} ssh_tunnel_key_line;

/* ssh_tunnel_config_parse_key_line: split one host_key line; false when it is neither form */
bool ssh_tunnel_config_parse_key_line(const char *line, size_t len, ssh_tunnel_key_line *kl);
/* ssh_tunnel_config_each_line: fn on each line of setting (split at newlines) until it returns
   true; true when one did */
bool ssh_tunnel_config_each_line(const char *setting, bool (*fn)(const char *, size_t, void *),
                                 void *arg);

/* ---- ssh_tunnel.c (the session) ---- */

typedef struct ssh_tunnel_listener {
    int fd;     /* listening on 127.0.0.1:local_port; -1 once closed */
    char *host; /* malloc'ed: the database host as the bastion sees it */
    int port;
    int local_port;
} ssh_tunnel_listener;

typedef enum ssh_tunnel_fwd_state {
    SSH_TUNNEL_FWD_WAITING, /* accepted; its channel not open yet */
    SSH_TUNNEL_FWD_OPEN,    /* bytes flow both ways */
    SSH_TUNNEL_FWD_CLOSING, /* the local socket is closed; the channel is being freed */
} ssh_tunnel_fwd_state;

/* one forwarded connection: a local socket and its direct-tcpip channel */
typedef struct ssh_tunnel_fwd {
    struct ssh_tunnel_fwd *next;
    int fd;              /* accepted local socket; -1 once closed */
    int peer_port;       /* of the local client, told to the bastion as the originator */
    LIBSSH2_CHANNEL *ch; /* owned; NULL until opened and after freed */
    const ssh_tunnel_listener *dest; /* borrowed from the tunnel */
    ssh_tunnel_fwd_state state;
    bool local_eof;        /* the local client closed (or its socket failed) */
    bool eof_sent;         /* the channel was told */
    bool remote_eof;       /* the database side closed */
    size_t up_off, up_len; /* up[up_off..up_len): read locally, not yet written to the channel */
    size_t down_off, down_len; /* down[down_off..down_len): from the channel, not yet sent */
    char up[IO_BUF];
    char down[IO_BUF];
} ssh_tunnel_fwd;

struct ssh_tunnel {
    char *label;   /* malloc'ed "user@host:port" */
    char *program; /* malloc'ed, for the disconnect message */
    int sock;      /* the TCP connection to the bastion */
    LIBSSH2_SESSION *session;
    pthread_t thread;
    bool thread_started;
    int wake[2]; /* a byte on wake[1] makes the thread look at listeners and stop again */

    pthread_mutex_t mu;              /* guards the fields below */
    ssh_tunnel_listener **listeners; /* malloc'ed array of malloc'ed listeners (stable addresses) */
    size_t nlisteners, listeners_cap;
    bool dead; /* the session was lost */
    bool stop; /* ssh_tunnel_destroy asked the thread to finish */

    /* the thread's own */
    ssh_tunnel_fwd *conns;
    ssh_tunnel_fwd *opening; /* libssh2 opens one channel at a time in non-blocking mode */
    struct pollfd *pfds;
    size_t pfds_cap;
};

/* ssh_tunnel_session_error: libssh2's last error of s (static text), its code in *code */
const char *ssh_tunnel_session_error(LIBSSH2_SESSION *s, int *code);
/* ssh_tunnel_session_fatal: rc (a libssh2 error) ends the whole session, not only one channel
   (EAGAIN does not) */
bool ssh_tunnel_session_fatal(int rc);
/* ssh_tunnel_set_tcp_options: TCP_NODELAY (and keepalives with a user timeout when keepalive) */
void ssh_tunnel_set_tcp_options(int fd, bool keepalive);

/* ---- ssh_tunnel_loop.c ---- */

/* ssh_tunnel_loop_main: the tunnel's thread (arg is the ssh_tunnel); returns when the tunnel
   is told to stop (t->stop) */
void *ssh_tunnel_loop_main(void *arg);

#endif
