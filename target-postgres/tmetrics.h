/*
 * tmetrics: what the target reports while it loads, and its summary at the end.
 *
 * Every metrics_interval_seconds (metrics.h; checked by the read loop every 1024 lines and
 * when it waits for input), METRIC points:
 *   target_oldest_uncommitted_seconds  gauge: the age of the oldest record read and not yet
 *       committed (pending in a batch or loading), 0 when everything read is committed; tags
 *       records (how many are uncommitted)
 *   target_commits_per_second          gauge: batches committed per second since the last
 *       point; tags records_per_second
 * besides the record_count counter of each committed batch (scheduler.c).
 *
 * The summary (tmetrics_summary, at the end of a run, whatever the output): per stream the
 * records committed, then the rows the merges inserted, updated and deleted in the table --
 * read from pg_stat_xact_user_tables' counters before and after each merge (loader.c), so they
 * cost two small queries per batch and nothing per row -- and, without hard_delete, the
 * records marked deleted (counted by the batch as it is filled).
 *
 * Main thread only. Ownership: a tmetrics is embedded in the target; nothing to free.
 */
#ifndef TARGET_TMETRICS_H
#define TARGET_TMETRICS_H

#include <stdbool.h>

struct registry;
struct stream;
struct flush_job;

typedef struct tmetrics {
    double t0, next, last_t; /* monotonic seconds */
    long long commits, rows; /* batches and records committed */
    long long last_commits, last_rows;
} tmetrics;

/* tmetrics_init: start the clocks (after metrics_configure). */
void tmetrics_init(tmetrics *m);
/* tmetrics_committed: account a batch of st that committed (job: its counts). */
void tmetrics_committed(tmetrics *m, struct stream *st, const struct flush_job *job);
/* tmetrics_tick: the periodic points when they are due (a clock check otherwise); reg: the
   streams, for the oldest record not committed. */
void tmetrics_tick(tmetrics *m, const struct registry *reg);
/* tmetrics_summary: the summary lines (INFO), per stream of reg, then in all. */
void tmetrics_summary(const tmetrics *m, const struct registry *reg);

#endif
