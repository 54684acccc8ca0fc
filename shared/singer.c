#define _GNU_SOURCE /* F_SETPIPE_SZ */
#include "singer.h"

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* a pipe between tap and target holds 64 KiB by default: each 256 KiB the writer flushes
   then wakes the reader four times or more. Asked for 1 MiB (Linux's pipe-max-size for any
   user), writes and reads go in one step; where that is refused the pipe stays as it is. */
static void widen_pipe(int fd)
{
#ifdef F_SETPIPE_SZ
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) && fcntl(fd, F_GETPIPE_SZ) < (1 << 20) &&
        fcntl(fd, F_SETPIPE_SZ, 1 << 20) < 0)
        log_debug("the pipe on fd %d keeps its size: %s", fd, strerror(errno));
#else
    (void)fd;
#endif
}

void singer_writer_init(singer_writer *w, int fd, size_t flush_at)
{
    w->fd = fd;
    buf_init(&w->out);
    w->flush_at = flush_at ? flush_at : 256 * 1024;
    w->failed = false;
    w->lines = 0;
    w->sink = NULL;
    w->sink_user = NULL;
    signal(SIGPIPE, SIG_IGN);
    widen_pipe(fd);
}

void singer_writer_set_sink(singer_writer *w, singer_sink sink, void *user)
{
    w->sink = sink;
    w->sink_user = user;
}

bool singer_writer_flush(singer_writer *w)
{
    if (w->failed)
        return false;
    if (!buf_ok(&w->out)) {
        log_error("out of memory while building output");
        w->failed = true;
        return false;
    }
    if (w->sink) {
        bool ok = w->sink(w->sink_user, w);
        buf_reset(&w->out);
        if (!ok)
            w->failed = true;
        return ok;
    }
    size_t off = 0;
    while (off < w->out.len) {
        ssize_t n = write(w->fd, w->out.data + off, w->out.len - off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EPIPE)
                log_error("cannot write to standard output: the reading side closed the pipe");
            else
                log_error("cannot write to standard output: %m");
            w->failed = true;
            return false;
        }
        off += (size_t)n;
    }
    buf_reset(&w->out);
    return true;
}

bool singer_writer_end_line(singer_writer *w)
{
    buf_putc(&w->out, '\n');
    w->lines++;
    if (w->out.len >= w->flush_at || !buf_ok(&w->out))
        return singer_writer_flush(w);
    return !w->failed;
}

bool singer_writer_term(singer_writer *w)
{
    bool ok = singer_writer_flush(w);
    buf_term(&w->out);
    return ok;
}

void singer_reader_init(singer_reader *r, int fd, size_t max_line)
{
    r->fd = fd;
    buf_init(&r->in);
    r->pos = 0;
    r->max_line = max_line ? max_line : (size_t)256 * 1024 * 1024;
    r->line_no = 0;
    r->eof = false;
    widen_pipe(fd);
}

void singer_reader_term(singer_reader *r)
{
    buf_term(&r->in);
}

singer_reader_status singer_reader_next(singer_reader *r, const char **line, size_t *len)
{
    size_t scan_from = r->pos;
    for (;;) {
        char *start = r->in.data ? r->in.data + r->pos : NULL;
        size_t avail = r->in.len - r->pos;
        char *nl = avail ? memchr(r->in.data + scan_from, '\n', r->in.len - scan_from) : NULL;
        if (nl) {
            size_t n = (size_t)(nl - start);
            r->pos += n + 1;
            if (n > 0 && start[n - 1] == '\r')
                n--;
            start[n] = '\0';
            r->line_no++;
            if (n > r->max_line)
                return LR_TOO_LONG;
            *line = start;
            *len = n;
            return LR_LINE;
        }
        if (avail > r->max_line) {
            r->line_no++;
            return LR_TOO_LONG;
        }
        if (r->eof) {
            if (avail == 0)
                return LR_EOF;
            r->pos = r->in.len;
            r->line_no++;
            if (avail > 0 && start[avail - 1] == '\r')
                avail--;
            start[avail] = '\0';
            *line = start;
            *len = avail;
            return LR_LINE;
        }
        /* move the partial line to the front, then read more */
        if (r->pos > 0) {
            buf_consume(&r->in, r->pos);
            r->pos = 0;
        }
        scan_from = r->in.len;
        size_t chunk = 1024 * 1024;
        if (!buf_reserve(&r->in, chunk)) {
            log_error("out of memory reading standard input");
            return LR_ERROR;
        }
        ssize_t n = read(r->fd, r->in.data + r->in.len, chunk);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            log_error("cannot read standard input: %m");
            return LR_ERROR;
        }
        if (n == 0) {
            r->eof = true;
            continue;
        }
        r->in.len += (size_t)n;
        r->in.data[r->in.len] = '\0';
    }
}
