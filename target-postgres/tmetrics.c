#include "tmetrics.h"

#include "loader.h"
#include "log.h"
#include "metrics.h"
#include "registry.h"
#include "stream.h"
#include "timefmt.h"

#include <math.h>
#include <stdio.h>

void tmetrics_init(tmetrics *m)
{
    m->t0 = m->last_t = timefmt_monotonic();
    m->next = m->t0 + metrics_interval();
    m->commits = m->rows = m->last_commits = m->last_rows = 0;
}

void tmetrics_committed(tmetrics *m, stream *st, const flush_job *job)
{
    m->commits++;
    m->rows += (long long)job->b->rows;
    if (job->counted) {
        st->inserted_total += job->inserted;
        st->updated_total += job->updated;
        st->deleted_total += job->deleted;
    }
    if (!job->hard_delete)
        st->marked_total += (long long)job->b->deletes;
}

/* the oldest record read and not committed: its age (seconds) and the records pending */
static double oldest_uncommitted(const registry *reg, double now, long long *records)
{
    double oldest = now;
    *records = 0;
    for (size_t i = 0; i < reg->n; i++) {
        const stream *st = reg->streams[i];
        if (st->cur->rows > 0) {
            *records += (long long)st->cur->rows;
            if (st->cur->started > 0 && st->cur->started < oldest)
                oldest = st->cur->started;
        }
        for (int k = 0; k < st->ninflight; k++)
            if (st->inflight_started[k] > 0 && st->inflight_started[k] < oldest)
                oldest = st->inflight_started[k];
    }
    return now - oldest;
}

void tmetrics_tick(tmetrics *m, const registry *reg)
{
    double interval = metrics_interval();
    if (interval <= 0)
        return;
    double now = timefmt_monotonic();
    if (now < m->next)
        return;
    double dt = now - m->last_t;
    long long pending = 0;
    double age = oldest_uncommitted(reg, now, &pending);
    metrics_point p;
    metrics_point_begin(&p, "gauge", "target_oldest_uncommitted_seconds");
    metrics_point_double(&p, age, 3);
    metrics_point_tag_int(&p, "records", pending);
    metrics_point_emit(&p);
    metrics_point_begin(&p, "gauge", "target_commits_per_second");
    metrics_point_double(&p, dt > 0 ? (double)(m->commits - m->last_commits) / dt : NAN, 2);
    metrics_point_tag_int(&p, "records_per_second",
                          dt > 0 ? (long long)((double)(m->rows - m->last_rows) / dt + 0.5) : 0);
    metrics_point_emit(&p);
    m->last_t = now;
    m->last_commits = m->commits;
    m->last_rows = m->rows;
    m->next = now + interval;
}

void tmetrics_summary(const tmetrics *m, const registry *reg)
{
    for (size_t i = 0; i < reg->n; i++) {
        const stream *st = reg->streams[i];
        if (st->batches == 0 && st->rows_total == 0)
            continue;
        char marked[64] = "";
        if (st->marked_total)
            snprintf(marked, sizeof(marked), ", %lld records marked deleted", st->marked_total);
        log_info("summary: stream \"%s\": %lld records committed: %lld rows inserted, %lld "
                 "updated, %lld deleted%s (%lld batches)",
                 st->name, st->rows_total, st->inserted_total, st->updated_total, st->deleted_total,
                 marked, st->batches);
    }
    double all = timefmt_monotonic() - m->t0;
    log_info("summary: %lld records in %lld commits in %.3f s (%.0f records/s)", m->rows,
             m->commits, all, all > 0 ? (double)m->rows / all : 0);
}
