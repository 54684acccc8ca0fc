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

/* ---- the tunnel's thread: every libssh2 call after ssh_tunnel_open is made here ---- */

static void fwd_close_local(ssh_tunnel_fwd *f)
{
    if (f->fd >= 0) {
        close(f->fd);
        f->fd = -1;
    }
    f->state = SSH_TUNNEL_FWD_CLOSING;
}

/* move bytes for one connection; returns 1 on progress, 0 on none, -1 when the session is lost
   (why filled) */
static int pump(ssh_tunnel *t, ssh_tunnel_fwd *f, char *why, size_t whylen)
{
    int progress = 0;
    int code;
    if (f->state == SSH_TUNNEL_FWD_WAITING) {
        if (t->opening && t->opening != f)
            return 0;
        t->opening = f;
        f->ch = libssh2_channel_direct_tcpip_ex(t->session, f->dest->host, f->dest->port,
                                                "127.0.0.1", f->peer_port);
        if (!f->ch) {
            const char *msg = ssh_tunnel_session_error(t->session, &code);
            if (code == LIBSSH2_ERROR_EAGAIN)
                return 0;
            t->opening = NULL;
            if (ssh_tunnel_session_fatal(code) && code != LIBSSH2_ERROR_CHANNEL_FAILURE) {
                snprintf(why, whylen, "%s", msg);
                return -1;
            }
            log_error("ssh tunnel %s: the bastion did not open a connection to %s:%d: %s", t->label,
                      f->dest->host, f->dest->port, msg);
            fwd_close_local(f);
            return 1;
        }
        t->opening = NULL;
        f->state = SSH_TUNNEL_FWD_OPEN;
        progress = 1;
    }
    if (f->state == SSH_TUNNEL_FWD_OPEN) {
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
                if (ssh_tunnel_session_fatal((int)w)) {
                    snprintf(why, whylen, "%s", ssh_tunnel_session_error(t->session, NULL));
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
            if (rc == 0 || (rc != LIBSSH2_ERROR_EAGAIN && !ssh_tunnel_session_fatal(rc))) {
                f->eof_sent = true;
                progress = 1;
            } else if (rc != LIBSSH2_ERROR_EAGAIN) {
                snprintf(why, whylen, "%s", ssh_tunnel_session_error(t->session, NULL));
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
                if (ssh_tunnel_session_fatal((int)r)) {
                    snprintf(why, whylen, "%s", ssh_tunnel_session_error(t->session, NULL));
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
    if (f->state == SSH_TUNNEL_FWD_CLOSING && f->ch) {
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
        ssh_tunnel_fwd *f = t->conns;
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
    for (ssh_tunnel_fwd *f = t->conns; f; f = f->next)
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
    for (ssh_tunnel_fwd *f = t->conns; f; f = f->next)
        if (f->fd >= 0) {
            close(f->fd);
            f->fd = -1;
        }
}

static bool accept_all(ssh_tunnel *t, const ssh_tunnel_listener *l)
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
        ssh_tunnel_fwd *f = malloc(sizeof(*f));
        if (!f) {
            log_error("ssh tunnel %s: out of memory for a new connection", t->label);
            close(fd);
            return any;
        }
        memset(f, 0, offsetof(ssh_tunnel_fwd, up));
        f->fd = fd;
        f->peer_port = ntohs(peer.sin_port);
        f->dest = l;
        f->state = SSH_TUNNEL_FWD_WAITING;
        ssh_tunnel_set_tcp_options(fd, false);
        /* appended: channels open in the order connections came */
        ssh_tunnel_fwd **pp = &t->conns;
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

void *ssh_tunnel_loop_main(void *arg)
{
    ssh_tunnel *t = arg;
    bool lost = false;
    bool progress = true;
    const ssh_tunnel_listener *polled[64];
    for (;;) {
        /* the poll set: wake pipe, SSH socket, listeners, then the local sockets */
        size_t n = 0;
        bool ok = add_pfd(t, &n, t->wake[0], POLLIN);
        bool want_read = false;
        for (ssh_tunnel_fwd *f = t->conns; f; f = f->next)
            if (f->state != SSH_TUNNEL_FWD_OPEN || (!f->remote_eof && f->down_len < IO_BUF))
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
        for (ssh_tunnel_fwd *f = t->conns; f; f = f->next) {
            short ev = 0;
            if (f->state == SSH_TUNNEL_FWD_OPEN && !f->local_eof && f->up_len < IO_BUF)
                ev |= POLLIN;
            if (f->state == SSH_TUNNEL_FWD_OPEN && f->down_off < f->down_len)
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
        for (ssh_tunnel_fwd **pp = &t->conns; *pp && !lost;) {
            ssh_tunnel_fwd *f = *pp;
            int r = pump(t, f, why, sizeof(why));
            if (r < 0) {
                lose(t, why);
                lost = true;
                break;
            }
            if (r > 0)
                progress = true;
            if (f->state == SSH_TUNNEL_FWD_CLOSING && !f->ch) {
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
        for (ssh_tunnel_fwd *f = t->conns; f && !progress && !lost; f = f->next)
            if (f->state == SSH_TUNNEL_FWD_OPEN &&
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
