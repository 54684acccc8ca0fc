/*
 * singer: the Singer stream on stdout (writer) and stdin (line reader).
 *
 * The writer owns one output buffer; callers append a whole message to
 * singer_writer_buf() and end it with singer_writer_end_line(), which writes once the buffer is
 * large enough. Only whole lines are ever written, so a reader never sees
 * half a message. Short writes are resumed; EPIPE and other errors make the
 * writer fail (checked with singer_writer_ok) after one log line.
 */
#ifndef SINGER_SINGER_H
#define SINGER_SINGER_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

typedef struct singer_writer singer_writer;
/* singer_sink: takes the pending whole lines of w (w->out, possibly empty) instead of a write to
   fd: it may swap w->out for an empty buffer; what is left in w->out is dropped after the call.
   False makes the writer fail (the sink logs when it should). */
typedef bool (*singer_sink)(void *user, singer_writer *w);

struct singer_writer {
    int fd;
    buf out;         /* pending whole lines */
    size_t flush_at; /* write when out reaches this many bytes */
    bool failed;
    long long lines;
    singer_sink sink; /* NULL: write to fd */
    void *sink_user;  /* borrowed: the sink's argument */
};

/* singer_writer_init: writer on fd; flush_at 0 means 256 KiB. Ignores SIGPIPE (errors come back as
 * EPIPE). */
void singer_writer_init(singer_writer *w, int fd, size_t flush_at);
/* singer_writer_set_sink: whole lines go to sink(user, w) instead of fd (a writer of a thread
   whose lines another thread writes: tap-postgres/stream_pool.c); flush_at still applies. */
void singer_writer_set_sink(singer_writer *w, singer_sink sink, void *user);
/* singer_writer_term: flush and free. */
bool singer_writer_term(singer_writer *w);
/* singer_writer_buf: the buffer to append the current line to (without the newline). */
static inline buf *singer_writer_buf(singer_writer *w)
{
    return &w->out;
}
/* singer_writer_end_line: end the current line; writes when the buffer is full. */
bool singer_writer_end_line(singer_writer *w);
/* singer_writer_flush: write everything pending. */
bool singer_writer_flush(singer_writer *w);
static inline bool singer_writer_ok(const singer_writer *w)
{
    return !w->failed;
}

/*
 * singer_reader: reads lines of any length (up to max_line bytes) from fd.
 * The returned pointer stays valid until the next call.
 */
typedef struct singer_reader {
    int fd;
    buf in;     /* malloc'ed window of input */
    size_t pos; /* start of the next line in in */
    size_t max_line;
    long long line_no; /* number of the line last returned, 1-based */
    bool eof;
} singer_reader;

typedef enum singer_reader_status {
    LR_LINE = 1,
    LR_EOF = 0,
    LR_TOO_LONG = -1,
    LR_ERROR = -2
} singer_reader_status;

void singer_reader_init(singer_reader *r, int fd, size_t max_line);
void singer_reader_term(singer_reader *r);
/* singer_reader_next: the next line without its '\n' (and '\r'); LR_EOF at the end. */
singer_reader_status singer_reader_next(singer_reader *r, const char **line, size_t *len);

#endif
