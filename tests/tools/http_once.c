#define _GNU_SOURCE /* strcasestr */
/*
 * http_once: a loopback HTTP server for scenarios that need a secret manager.
 *
 *   http_once STATUS BODY_FILE REQUEST_FILE
 *
 * Listens on 127.0.0.1 on a free port, prints the port on stdout, answers one request with
 * STATUS and the contents of BODY_FILE (application/json), writes the request it received
 * (head and body) to REQUEST_FILE, and exits. It gives up after 30 seconds without a request.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *data = malloc(cap);
    size_t got;
    while (data && (got = fread(data + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            cap *= 2;
            char *p = realloc(data, cap);
            if (!p) {
                free(data);
                data = NULL;
            }
            data = p;
        }
    }
    fclose(f);
    *len = n;
    return data;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s STATUS BODY_FILE REQUEST_FILE\n", argv[0]);
        return 2;
    }
    char *end = NULL;
    long status = strtol(argv[1], &end, 10);
    if (!end || *end || status < 100 || status > 599) {
        fprintf(stderr, "http_once: bad status %s\n", argv[1]);
        return 2;
    }
    size_t body_len = 0;
    char *body = read_file(argv[2], &body_len);
    if (!body) {
        fprintf(stderr, "http_once: cannot read %s\n", argv[2]);
        return 1;
    }
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof(addr);
    if (s < 0 || bind(s, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(s, 1) != 0 ||
        getsockname(s, (struct sockaddr *)&addr, &alen) != 0) {
        fprintf(stderr, "http_once: cannot listen: %s\n", strerror(errno));
        return 1;
    }
    printf("%d\n", ntohs(addr.sin_port));
    fflush(stdout);

    struct pollfd pfd = {s, POLLIN, 0};
    if (poll(&pfd, 1, 30000) <= 0) {
        fprintf(stderr, "http_once: no request within 30 s\n");
        return 1;
    }
    int c = accept(s, NULL, NULL);
    if (c < 0)
        return 1;
    /* read the head, then as much body as Content-Length says */
    char req[65536];
    size_t n = 0;
    size_t want = 0;
    for (;;) {
        struct pollfd cp = {c, POLLIN, 0};
        if (poll(&cp, 1, 5000) <= 0)
            break;
        ssize_t r = read(c, req + n, sizeof(req) - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
        req[n] = '\0';
        char *head_end = strstr(req, "\r\n\r\n");
        if (!head_end)
            continue;
        if (!want) {
            const char *cl = strcasestr(req, "\r\ncontent-length:");
            size_t body_bytes = cl ? strtoul(cl + 17, NULL, 10) : 0;
            want = (size_t)(head_end + 4 - req) + body_bytes;
        }
        if (n >= want || n == sizeof(req) - 1)
            break;
    }
    FILE *rf = fopen(argv[3], "wb");
    if (rf) {
        fwrite(req, 1, n, rf);
        fclose(rf);
    }
    char head[256];
    int hl = snprintf(head, sizeof(head),
                      "HTTP/1.1 %ld X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                      "Connection: close\r\n\r\n",
                      status, body_len);
    if (write(c, head, (size_t)hl) != hl || write(c, body, body_len) != (ssize_t)body_len)
        fprintf(stderr, "http_once: short write\n");
    close(c);
    close(s);
    free(body);
    return 0;
}
