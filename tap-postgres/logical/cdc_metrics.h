/*
 * cdc_metrics: what a LOG_BASED run reports while it streams.
 *
 * The stream loop calls cdc_metrics_tick once per iteration (a comparison with the time it
 * already has); when a report is due:
 *
 * - every metrics_interval_seconds (stderr not a terminal): METRIC points (metrics.h)
 *     record_count                      counter, records since the last point, per stream
 *     cdc_changes_per_second            gauge, records written per second since the last point
 *     cdc_transactions_per_second       gauge, transactions read per second
 *     cdc_lag_bytes                     gauge, the server's WAL position minus the position
 *                                       written (tags: position, server_position, end_position)
 *     cdc_lag_seconds                   gauge, now minus the commit time of the last
 *                                       transaction read; 0 once caught up with the server
 *     replication_slot_confirmed_lag_bytes  gauge, the server's WAL position minus the slot's
 *                                       confirmed_flush_lsn: the WAL the slot pins
 *     replication_slot_wal_status       gauge with a text value (reserved, extended,
 *                                       unreserved, lost; PostgreSQL 13+)
 *     replication_slot_safe_wal_size_bytes  gauge, WAL that may still be written before the
 *                                       slot is lost (null: no max_slot_wal_keep_size)
 *     replication_slot_spill_bytes      gauge, pg_stat_replication_slots.spill_bytes
 *                                       (tags spill_txns, spill_count; PostgreSQL 14+)
 * - on a terminal: the live line (progress.h) four times a second: records, records/s,
 *   transactions/s, the position against the end position (break_at_end_lsn), lag.
 *
 * The server figures come from one query on the run's normal connection (L->c) per interval
 * (every 5 s for the live line when there are no periodic points); a failure is warned about
 * once and the run goes on: metrics never stop a run.
 *
 * cdc_metrics_final writes the last points and adds the streaming line to the summary.
 * Ownership: a cdc_metrics lives on the stream loop's stack; init/term.
 */
#ifndef TAP_LOGICAL_CDC_METRICS_H
#define TAP_LOGICAL_CDC_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "repl_stream.h"
#include "sl_run.h"

typedef struct cdc_metrics {
    bool on;     /* periodic points or the live line */
    double next; /* monotonic time of the next report */
    double next_query;
    double t0, last_t;
    long long last_records, last_txns;
    long long *stream_reported; /* malloc'ed, one per stream: records already counted */
    uint64_t start, end_lsn;    /* end_lsn: 0 without break_at_end_lsn */
    /* from the last server query */
    bool have_server;
    uint64_t server_lsn;
    bool have_slot;
    uint64_t confirmed;
    char wal_status[16];
    bool have_safe;
    long long safe_wal_size;
    bool have_spill;
    long long spill_txns, spill_count, spill_bytes;
    bool warned;
    double rate_changes, rate_txns; /* of the last report */
} cdc_metrics;

void cdc_metrics_init(cdc_metrics *m, const sl_run *L, uint64_t start, uint64_t end_lsn);
void cdc_metrics_term(cdc_metrics *m);

/* cdc_metrics_report: the slow part of cdc_metrics_tick */
void cdc_metrics_report(cdc_metrics *m, sl_run *L, const repl_stream *rs, double now);
/* cdc_metrics_tick: called once per stream loop iteration with the loop's monotonic time */
static inline void cdc_metrics_tick(cdc_metrics *m, sl_run *L, const repl_stream *rs, double now)
{
    if (m->on && now >= m->next)
        cdc_metrics_report(m, L, rs, now);
}
/* cdc_metrics_final: the last points and the summary line, at the end of the stream. */
void cdc_metrics_final(cdc_metrics *m, sl_run *L, const repl_stream *rs);

#endif
