/*
 * progress: what the tap shows while it works, and the summary at the end.
 *
 * One stream is copied at a time per tap_progress (FULL_TABLE, INCREMENTAL, a LOG_BASED initial
 * copy; with parallel_streams each stream thread has its own, progress_init_worker); its rows
 * are counted by the COPY loop (progress_rows: a store and, every 64 rows, a clock check).
 *
 * - stderr is a terminal (metrics.h: progress auto/on): a live line redrawn in place, four
 *   times a second: stream, rows, rows/s, percent of the estimated row count (pg_class.reltuples
 *   as discovery read it; none for INCREMENTAL, which reads past its bookmark) and ETA. Log
 *   lines are written above it (log_set_live_hooks). LOG_BASED streaming sets its own line
 *   (progress_live_text).
 * - otherwise, every metrics_interval_seconds: a record_count counter with the rows since the
 *   previous one (the Singer SDK's Counter semantics: the points of a stream add up to its rows)
 *   and a sync_progress gauge (percent, null without an estimate; rows, estimated_rows,
 *   rows_per_second and eta_seconds as tags).
 *
 * At the end of a stream: the remaining record_count and a sync_duration timer (as before);
 * at the end of the run (progress_summary): one line per stream, rows, seconds, rows/s, and a
 * total, whatever the output.
 *
 * Ownership: a tap_progress is embedded in tap_run (init/term); stream ids are copied.
 */
#ifndef TAP_PROGRESS_H
#define TAP_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

typedef struct progress_stat {
    char *stream; /* malloc'ed */
    char what[24];
    long long rows;
    double seconds;
    bool listed; /* its own summary line (else counted in the total only) */
} progress_stat;

typedef struct tap_progress {
    bool live;       /* draw the live line */
    double interval; /* seconds between periodic points, 0 for none */
    double next;     /* monotonic time of the next draw or point */
    /* the stream being copied */
    bool active;
    char stream[256];
    char what[24];      /* FULL_TABLE, INCREMENTAL, initial copy */
    long long estimate; /* -1: unknown */
    long long rows;     /* rows of the current COPY (set by progress_rows) */
    long long base;     /* rows of earlier COPYs of this stream (a resumed FULL_TABLE) */
    long long reported; /* rows already counted in record_count points */
    double t0, last_t;
    long long last_rows;
    /* the live line */
    buf line;             /* owned: its text */
    bool drawn;           /* it is on the screen */
    progress_stat *stats; /* malloc'ed, nstats of cap */
    size_t nstats, cap;
    double run_t0;
} tap_progress;

/* progress_init: settings from metrics.h (metrics_configure ran); progress_term frees. */
void progress_init(tap_progress *p);
void progress_term(tap_progress *p);
/* progress_init_worker: the same for a thread that syncs streams beside others: never the live
   line (one terminal line cannot show several streams), the periodic points as configured. */
void progress_init_worker(tap_progress *p);
/* progress_merge: from's summary lines (those of a worker) into into's. */
void progress_merge(tap_progress *into, const tap_progress *from);

/* progress_begin: stream_id's copy starts (what: "FULL_TABLE", ...; estimate: rows expected,
   <= 0 for unknown). */
void progress_begin(tap_progress *p, const char *stream_id, const char *what, long long estimate);
/* progress_copy_done: a COPY of the current stream ended after rows rows (counted into it). */
void progress_copy_done(tap_progress *p, long long rows);
/* progress_end: the current stream is done (ok: whether it succeeded); its rows go into the
   summary, the last record_count and sync_duration (metric: its name) are written. */
void progress_end(tap_progress *p, bool ok, const char *metric);

/* progress_tick: the slow part of progress_rows: draw or write what is due at now. */
void progress_tick(tap_progress *p, double now);
/* progress_rows: rows of the current COPY so far (called per row: a store, and a clock check
   every 64 rows). */
void progress_check(tap_progress *p);
static inline void progress_rows(tap_progress *p, long long rows)
{
    p->rows = rows;
    if ((rows & 63) == 0)
        progress_check(p);
}

/* progress_live_text: replace the live line (a terminal only) by text and draw it. */
void progress_live_text(tap_progress *p, const char *text);
/* progress_live_clear: take the live line off the screen. */
void progress_live_clear(tap_progress *p);

/* progress_add: rows of the run that are not a copy (LOG_BASED streaming, which writes its own
   summary line): counted in the summary's total. */
void progress_add(tap_progress *p, const char *stream_id, const char *what, long long rows,
                  double seconds);
/* progress_add_copy: a copy made outside progress_begin/progress_end (the LOG_BASED copy in
   chunks, interleaved with the stream): a summary line of its own, counted in the total. */
void progress_add_copy(tap_progress *p, const char *stream_id, const char *what, long long rows,
                       double seconds);
/* progress_summary: the summary lines (INFO), once at the end of the run. */
void progress_summary(tap_progress *p);

#endif
