#include "progress.h"

#include "log.h"
#include "metrics.h"
#include "timefmt.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define LIVE_REDRAW_SECONDS 0.25

/* the progress whose live line is on the screen, for the log hooks (one per process), and the
   thread that draws it: a line logged by another thread (the SSH tunnel's) leaves it alone */
static tap_progress *g_live;
static pthread_t g_live_thread;

static bool live_here(void)
{
    return g_live && g_live->drawn && pthread_equal(pthread_self(), g_live_thread);
}

static void live_erase(void)
{
    if (live_here())
        fputs("\r\033[K", stderr);
}

static void live_redraw(void)
{
    if (live_here() && g_live->line.len) {
        fwrite(g_live->line.data, 1, g_live->line.len, stderr);
        fflush(stderr);
    }
}

static size_t term_width(void)
{
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10)
        return ws.ws_col;
    return 120;
}

void progress_init(tap_progress *p)
{
    memset(p, 0, sizeof(*p));
    buf_init(&p->line);
    p->live = metrics_live();
    p->interval = metrics_interval();
    p->run_t0 = timefmt_monotonic();
    p->estimate = -1;
    if (p->live) {
        g_live = p;
        g_live_thread = pthread_self();
        log_set_live_hooks(live_erase, live_redraw);
    }
}

void progress_init_worker(tap_progress *p)
{
    memset(p, 0, sizeof(*p));
    buf_init(&p->line);
    p->live = false;
    p->interval = metrics_live() ? 0 : metrics_interval();
    p->run_t0 = timefmt_monotonic();
    p->estimate = -1;
}

void progress_term(tap_progress *p)
{
    if (!p)
        return;
    progress_live_clear(p);
    if (g_live == p) {
        log_set_live_hooks(NULL, NULL);
        g_live = NULL;
    }
    for (size_t i = 0; i < p->nstats; i++)
        free(p->stats[i].stream);
    free(p->stats);
    buf_term(&p->line);
    memset(p, 0, sizeof(*p));
}

void progress_begin(tap_progress *p, const char *stream_id, const char *what, long long estimate)
{
    p->active = true;
    snprintf(p->stream, sizeof(p->stream), "%s", stream_id);
    snprintf(p->what, sizeof(p->what), "%s", what);
    p->estimate = estimate > 0 ? estimate : -1;
    p->rows = p->base = p->reported = p->last_rows = 0;
    p->t0 = p->last_t = timefmt_monotonic();
    p->next = p->t0 + (p->live ? LIVE_REDRAW_SECONDS : p->interval);
    if (p->live)
        progress_tick(p, p->t0); /* the line shows at once, before the first rows */
}

void progress_copy_done(tap_progress *p, long long rows)
{
    if (!p->active)
        return;
    p->base += rows;
    p->rows = 0;
}

/* "1h02m", "3m05s", "42s" */
static void fmt_duration(char *out, size_t n, double s)
{
    long long t = (long long)(s + 0.5);
    if (t >= 3600)
        snprintf(out, n, "%lldh%02lldm", t / 3600, (t / 60) % 60);
    else if (t >= 60)
        snprintf(out, n, "%lldm%02llds", t / 60, t % 60);
    else
        snprintf(out, n, "%llds", t);
}

static void draw(tap_progress *p)
{
    size_t w = term_width();
    if (p->line.len > w - 1)
        p->line.len = w - 1; /* one terminal line, or the \r redraw breaks */
    fputs("\r\033[K", stderr);
    fwrite(p->line.data, 1, p->line.len, stderr);
    fflush(stderr);
    p->drawn = true;
}

void progress_live_text(tap_progress *p, const char *text)
{
    if (!p->live)
        return;
    buf_reset(&p->line);
    buf_appends(&p->line, text);
    if (buf_ok(&p->line))
        draw(p);
}

void progress_live_clear(tap_progress *p)
{
    if (p->live && p->drawn) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    p->drawn = false;
    buf_reset(&p->line);
}

static void record_count_point(tap_progress *p, long long total)
{
    long long delta = total - p->reported;
    p->reported = total;
    metrics_point m;
    metrics_point_begin(&m, "counter", "record_count");
    metrics_point_int(&m, delta);
    metrics_point_tag(&m, "stream", p->stream);
    metrics_point_emit(&m);
}

void progress_tick(tap_progress *p, double now)
{
    long long total = p->base + p->rows;
    double dt = now - p->last_t;
    double rate = dt > 0 ? (double)(total - p->last_rows) / dt : 0;
    double elapsed = now - p->t0;
    double avg = elapsed > 0 ? (double)total / elapsed : 0;
    double pct = -1, eta = -1;
    if (p->estimate > 0) {
        pct = 100.0 * (double)total / (double)p->estimate;
        if (pct > 100)
            pct = 100; /* the estimate was low */
        if (avg > 0 && total < p->estimate)
            eta = (double)(p->estimate - total) / avg;
    }
    if (p->live) {
        /* the live rate is smoothed over the last few draws */
        buf_reset(&p->line);
        buf_appendf(&p->line, "%s %s: %lld rows, %.0f rows/s", p->stream, p->what, total,
                    elapsed > 0 ? avg : rate);
        if (pct >= 0)
            buf_appendf(&p->line, ", %.1f%% of ~%lld", pct, p->estimate);
        if (eta >= 0) {
            char e[32];
            fmt_duration(e, sizeof(e), eta);
            buf_appendf(&p->line, ", ETA %s", e);
        }
        if (buf_ok(&p->line))
            draw(p);
        p->next = now + LIVE_REDRAW_SECONDS;
    } else {
        record_count_point(p, total);
        metrics_point m;
        metrics_point_begin(&m, "gauge", "sync_progress");
        metrics_point_double(&m, pct, 1);
        metrics_point_tag(&m, "stream", p->stream);
        metrics_point_tag(&m, "replication_method", p->what);
        metrics_point_tag_int(&m, "rows", total);
        if (p->estimate > 0)
            metrics_point_tag_int(&m, "estimated_rows", p->estimate);
        metrics_point_tag_int(&m, "rows_per_second", (long long)(rate + 0.5));
        if (eta >= 0)
            metrics_point_tag_int(&m, "eta_seconds", (long long)(eta + 0.5));
        metrics_point_emit(&m);
        p->next = now + p->interval;
    }
    p->last_t = now;
    p->last_rows = total;
}

void progress_check(tap_progress *p)
{
    if (!p->active || (!p->live && p->interval <= 0))
        return;
    double now = timefmt_monotonic();
    if (now >= p->next)
        progress_tick(p, now);
}

static void add_stat(tap_progress *p, const char *stream_id, const char *what, long long rows,
                     double seconds, bool listed)
{
    if (p->nstats == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        progress_stat *n = realloc(p->stats, cap * sizeof(*n));
        if (!n)
            return; /* the summary misses a line; nothing else depends on it */
        p->stats = n;
        p->cap = cap;
    }
    progress_stat *s = &p->stats[p->nstats];
    s->stream = strdup(stream_id);
    if (!s->stream)
        return;
    snprintf(s->what, sizeof(s->what), "%s", what);
    s->rows = rows;
    s->seconds = seconds;
    s->listed = listed;
    p->nstats++;
}

void progress_add(tap_progress *p, const char *stream_id, const char *what, long long rows,
                  double seconds)
{
    add_stat(p, stream_id, what, rows, seconds, false);
}

void progress_add_copy(tap_progress *p, const char *stream_id, const char *what, long long rows,
                       double seconds)
{
    add_stat(p, stream_id, what, rows, seconds, true);
}

void progress_merge(tap_progress *into, const tap_progress *from)
{
    for (size_t i = 0; i < from->nstats; i++) {
        const progress_stat *s = &from->stats[i];
        add_stat(into, s->stream, s->what, s->rows, s->seconds, s->listed);
    }
}

void progress_end(tap_progress *p, bool ok, const char *metric)
{
    if (!p->active)
        return;
    double now = timefmt_monotonic();
    long long total = p->base + p->rows;
    progress_live_clear(p);
    p->active = false;
    record_count_point(p, total);
    metrics_point m;
    metrics_point_begin(&m, "timer", metric);
    metrics_point_double(&m, now - p->t0, 3);
    metrics_point_tag(&m, "stream", p->stream);
    metrics_point_tag(&m, "status", ok ? "succeeded" : "failed");
    metrics_point_emit(&m);
    add_stat(p, p->stream, p->what, total, now - p->t0, true);
}

void progress_summary(tap_progress *p)
{
    progress_live_clear(p);
    long long rows = 0;
    for (size_t i = 0; i < p->nstats; i++) {
        const progress_stat *s = &p->stats[i];
        rows += s->rows;
        if (!s->listed)
            continue;
        log_info("summary: stream \"%s\" %s: %lld rows in %.3f s (%.0f rows/s)", s->stream, s->what,
                 s->rows, s->seconds, s->seconds > 0 ? (double)s->rows / s->seconds : 0);
    }
    double all = timefmt_monotonic() - p->run_t0;
    log_info("summary: %lld records in %.3f s (%.0f records/s)", rows, all,
             all > 0 ? (double)rows / all : 0);
}
