/*
 * tcp_proxy: a loopback TCP proxy for the fault scenarios (tests/reliability/faults.sh).
 *
 *   tcp_proxy PORT_FILE UPSTREAM_HOST UPSTREAM_PORT
 *
 * Listens on 127.0.0.1 on a free port, writes that port to PORT_FILE (once listening), and
 * forwards every accepted connection to UPSTREAM_HOST:UPSTREAM_PORT. Controlled by signals:
 *   SIGUSR1  drop: every open connection is reset (both sides, SO_LINGER 0), new ones are
 *            forwarded as before
 *   SIGUSR2  freeze: nothing is forwarded any more (in either direction) and nothing is closed;
 *            new connections are accepted and held, unforwarded. The peers see a connection
 *            that is open and silent (their kernel's keepalives are answered by ours).
 *   SIGHUP   thaw: forwarding resumes
 *   SIGTERM  exit
 * Each event is logged on stderr with the number of connections it touched.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_PAIRS 256
#define BUF_SIZE 65536

typedef struct half {
    char data[BUF_SIZE];
    size_t len, off; /* bytes read from one side, not yet written to the other */
} half;

typedef struct pair {
    int client, server; /* -1 when unused */
    half up, down;      /* up: client -> server; down: server -> client */
} pair;

static pair pairs[MAX_PAIRS];
static volatile sig_atomic_t want_drop, want_freeze, want_thaw, want_stop;

static void on_signal(int sig)
{
    if (sig == SIGUSR1)
        want_drop = 1;
    else if (sig == SIGUSR2)
        want_freeze = 1;
    else if (sig == SIGHUP)
        want_thaw = 1;
    else
        want_stop = 1;
}

static void reset_close(int fd)
{
    if (fd < 0)
        return;
    struct linger l = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
    close(fd);
}

static void close_pair(pair *p)
{
    reset_close(p->client);
    reset_close(p->server);
    p->client = p->server = -1;
    p->up.len = p->up.off = p->down.len = p->down.off = 0;
}

static void nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL, 0);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int connect_upstream(const struct addrinfo *ai)
{
    int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0)
        return -1;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* move bytes from fd `from` into h, and from h to fd `to`; false when the pair is done */
static bool pump(int from, int to, half *h, short rev_from, short rev_to)
{
    if ((rev_from & (POLLIN | POLLHUP | POLLERR)) && h->len == 0) {
        ssize_t n = read(from, h->data, sizeof(h->data));
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
            return false;
        if (n > 0) {
            h->len = (size_t)n;
            h->off = 0;
        }
    }
    (void)rev_to;
    if (h->len > h->off) {
        ssize_t n = write(to, h->data + h->off, h->len - h->off);
        if (n < 0 && errno != EINTR && errno != EAGAIN)
            return false;
        if (n > 0)
            h->off += (size_t)n;
        if (h->off == h->len)
            h->len = h->off = 0;
    }
    return true;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s PORT_FILE UPSTREAM_HOST UPSTREAM_PORT\n", argv[0]);
        return 2;
    }
    struct addrinfo hints, *up = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(argv[2], argv[3], &hints, &up) != 0 || !up) {
        fprintf(stderr, "tcp_proxy: cannot resolve %s:%s\n", argv[2], argv[3]);
        return 1;
    }
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t alen = sizeof(a);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(lfd, 64) != 0 ||
        getsockname(lfd, (struct sockaddr *)&a, &alen) != 0) {
        perror("tcp_proxy: listen");
        return 1;
    }
    for (int i = 0; i < MAX_PAIRS; i++)
        pairs[i].client = pairs[i].server = -1;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
    FILE *pf = fopen(tmp, "w");
    if (!pf || fprintf(pf, "%d\n", ntohs(a.sin_port)) < 0 || fclose(pf) != 0 ||
        rename(tmp, argv[1]) != 0) {
        perror("tcp_proxy: port file");
        return 1;
    }
    fprintf(stderr, "tcp_proxy: 127.0.0.1:%d -> %s:%s\n", ntohs(a.sin_port), argv[2], argv[3]);

    bool frozen = false;
    struct pollfd fds[1 + 2 * MAX_PAIRS];
    while (!want_stop) {
        if (want_drop) {
            want_drop = 0;
            int n = 0;
            for (int i = 0; i < MAX_PAIRS; i++)
                if (pairs[i].client >= 0) {
                    close_pair(&pairs[i]);
                    n++;
                }
            fprintf(stderr, "tcp_proxy: dropped %d connections\n", n);
        }
        if (want_freeze) {
            want_freeze = 0;
            frozen = true;
            int n = 0;
            for (int i = 0; i < MAX_PAIRS; i++)
                n += pairs[i].client >= 0;
            fprintf(stderr, "tcp_proxy: froze %d connections\n", n);
        }
        if (want_thaw) {
            want_thaw = 0;
            frozen = false;
            fprintf(stderr, "tcp_proxy: thawed\n");
        }
        int nf = 0;
        fds[nf].fd = lfd;
        fds[nf].events = POLLIN;
        nf++;
        for (int i = 0; i < MAX_PAIRS; i++) {
            pair *p = &pairs[i];
            fds[nf].fd = frozen || p->client < 0 ? -1 : p->client;
            fds[nf].events = (short)((p->up.len == 0 ? POLLIN : 0) | (p->down.len ? POLLOUT : 0));
            fds[nf].revents = 0;
            nf++;
            fds[nf].fd = frozen || p->server < 0 ? -1 : p->server;
            fds[nf].events = (short)((p->down.len == 0 ? POLLIN : 0) | (p->up.len ? POLLOUT : 0));
            fds[nf].revents = 0;
            nf++;
        }
        int r = poll(fds, (nfds_t)nf, 200);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            perror("tcp_proxy: poll");
            return 1;
        }
        if (fds[0].revents & POLLIN) {
            int cfd = accept(lfd, NULL, NULL);
            if (cfd >= 0) {
                int slot = -1;
                for (int i = 0; i < MAX_PAIRS && slot < 0; i++)
                    if (pairs[i].client < 0)
                        slot = i;
                int sfd = slot >= 0 ? connect_upstream(up) : -1;
                if (sfd < 0) {
                    reset_close(cfd);
                } else {
                    nonblocking(cfd);
                    nonblocking(sfd);
                    pairs[slot].client = cfd;
                    pairs[slot].server = sfd;
                }
            }
        }
        if (frozen)
            continue;
        for (int i = 0; i < MAX_PAIRS; i++) {
            pair *p = &pairs[i];
            if (p->client < 0)
                continue;
            short rc = fds[1 + 2 * i].revents, rs = fds[2 + 2 * i].revents;
            if (!rc && !rs)
                continue;
            bool ok = pump(p->client, p->server, &p->up, rc, rs) &&
                      pump(p->server, p->client, &p->down, rs, rc);
            if (!ok) {
                /* one side closed: pass on what is pending, then close both */
                close(p->client);
                close(p->server);
                p->client = p->server = -1;
                p->up.len = p->up.off = p->down.len = p->down.off = 0;
            }
        }
    }
    freeaddrinfo(up);
    return 0;
}
