#include "cdc_metrics.h"

#include "log.h"
#include "lsn.h"
#include "metrics.h"
#include "timefmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIVE_REDRAW_SECONDS 0.25
#define LIVE_QUERY_SECONDS 5.0

void cdc_metrics_init(cdc_metrics *m, const sl_run *L, uint64_t start, uint64_t end_lsn)
{
    memset(m, 0, sizeof(*m));
    const tap_progress *p = &L->run->progress;
    m->on = p->live || p->interval > 0;
    m->t0 = m->last_t = timefmt_monotonic();
    /* the live line shows at the first iteration; points after the first interval */
    m->next = p->live ? m->t0 : m->t0 + p->interval;
    m->next_query = m->t0; /* at the first report */
    m->start = start;
    m->end_lsn = end_lsn;
    m->last_records = L->records;
    m->last_txns = L->txns;
    m->stream_reported = calloc(L->n ? L->n : 1, sizeof(*m->stream_reported));
    for (size_t i = 0; m->stream_reported && i < L->n; i++)
        m->stream_reported[i] = L->streams[i].records;
}

void cdc_metrics_term(cdc_metrics *m)
{
    if (!m)
        return;
    free(m->stream_reported);
    m->stream_reported = NULL;
}

static bool get_lsn(PGresult *r, int col, uint64_t *out)
{
    return !PQgetisnull(r, 0, col) && lsn_parse(PQgetvalue(r, 0, col), out);
}

static long long get_ll(PGresult *r, int col, bool *have)
{
    *have = !PQgetisnull(r, 0, col);
    return *have ? strtoll(PQgetvalue(r, 0, col), NULL, 10) : 0;
}

/* the server's WAL position and the slot's figures, in one query on the normal connection */
static void query_server(cdc_metrics *m, sl_run *L)
{
    if (!L->c || PQstatus(L->c->conn) != CONNECTION_OK)
        return;
    int v = pg_conn_server_version(L->c);
    char sql[1024];
    snprintf(sql, sizeof(sql),
             "SELECT w.lsn::text, s.confirmed_flush_lsn::text, %s, %s FROM (SELECT CASE WHEN "
             "pg_is_in_recovery() THEN pg_last_wal_receive_lsn() ELSE pg_current_wal_lsn() END "
             "AS lsn) w LEFT JOIN pg_replication_slots s ON s.slot_name = $1%s",
             v >= 130000 ? "s.wal_status, s.safe_wal_size" : "NULL, NULL",
             v >= 140000 ? "st.spill_txns, st.spill_count, st.spill_bytes" : "NULL, NULL, NULL",
             v >= 140000 ? " LEFT JOIN pg_stat_replication_slots st ON st.slot_name = s.slot_name"
                         : "");
    const char *params[1] = {L->slot};
    PGresult *r = pg_conn_query_quiet(L->c, sql, 1, params);
    if (!r || PQntuples(r) != 1) {
        if (!m->warned) {
            const char *e = PQerrorMessage(L->c->conn);
            log_warn("LOG_BASED metrics: cannot read the slot's figures (said once): %.*s",
                     (int)strcspn(e, "\n"), e);
            m->warned = true;
        }
        PQclear(r);
        return;
    }
    m->have_server = get_lsn(r, 0, &m->server_lsn);
    m->have_slot = get_lsn(r, 1, &m->confirmed);
    snprintf(m->wal_status, sizeof(m->wal_status), "%s",
             PQgetisnull(r, 0, 2) ? "" : PQgetvalue(r, 0, 2));
    m->safe_wal_size = get_ll(r, 3, &m->have_safe);
    bool a, b, c;
    m->spill_txns = get_ll(r, 4, &a);
    m->spill_count = get_ll(r, 5, &b);
    m->spill_bytes = get_ll(r, 6, &c);
    m->have_spill = a && b && c;
    PQclear(r);
}

/* the newest server position known: the last query's, or a later keepalive's */
static uint64_t server_position(const cdc_metrics *m, const repl_stream *rs)
{
    uint64_t s = m->have_server ? m->server_lsn : 0;
    return rs && rs->server_wal_end > s ? rs->server_wal_end : s;
}

static double lag_seconds(const sl_run *L, uint64_t server)
{
    if (!L->in_txn && server && L->processed >= server)
        return 0; /* caught up: nothing committed is waiting */
    if (L->txn_commit_time == CHANGE_TIME_UNKNOWN || L->txn_commit_time == 0)
        return -1;
    double lag = (double)(timefmt_now_ms() * 1000 - L->txn_commit_time) / 1e6;
    return lag > 0 ? lag : 0;
}

static void gauge_lsn_tags(metrics_point *p, const char *key, uint64_t lsn)
{
    char t[LSN_TEXT_MAX];
    lsn_format(lsn, t);
    metrics_point_tag(p, key, t);
}

static void points(cdc_metrics *m, sl_run *L, const repl_stream *rs)
{
    for (size_t i = 0; m->stream_reported && i < L->n; i++) {
        const lstream *ls = &L->streams[i];
        long long d = ls->records - m->stream_reported[i];
        if (d <= 0)
            continue;
        m->stream_reported[i] = ls->records;
        metrics_counter("record_count", d, ls->src->tap_stream_id);
    }
    metrics_point p;
    metrics_point_begin(&p, "gauge", "cdc_changes_per_second");
    metrics_point_double(&p, m->rate_changes, 1);
    metrics_point_tag(&p, "slot", L->slot);
    metrics_point_emit(&p);
    metrics_point_begin(&p, "gauge", "cdc_transactions_per_second");
    metrics_point_double(&p, m->rate_txns, 1);
    metrics_point_tag(&p, "slot", L->slot);
    metrics_point_emit(&p);
    uint64_t server = server_position(m, rs);
    metrics_point_begin(&p, "gauge", "cdc_lag_bytes");
    if (server)
        metrics_point_int(&p, server > L->processed ? (long long)(server - L->processed) : 0);
    else
        metrics_point_text(&p, NULL);
    metrics_point_tag(&p, "slot", L->slot);
    gauge_lsn_tags(&p, "position", L->processed);
    if (server)
        gauge_lsn_tags(&p, "server_position", server);
    if (m->end_lsn)
        gauge_lsn_tags(&p, "end_position", m->end_lsn);
    metrics_point_emit(&p);
    double lag = lag_seconds(L, server);
    metrics_point_begin(&p, "gauge", "cdc_lag_seconds");
    metrics_point_double(&p, lag >= 0 ? lag : NAN, 3);
    metrics_point_tag(&p, "slot", L->slot);
    metrics_point_emit(&p);
    if (!m->have_slot)
        return;
    metrics_point_begin(&p, "gauge", "replication_slot_confirmed_lag_bytes");
    uint64_t ref = m->have_server ? m->server_lsn : server;
    metrics_point_int(&p, ref > m->confirmed ? (long long)(ref - m->confirmed) : 0);
    metrics_point_tag(&p, "slot", L->slot);
    gauge_lsn_tags(&p, "confirmed_flush_lsn", m->confirmed);
    metrics_point_emit(&p);
    if (m->wal_status[0]) {
        metrics_point_begin(&p, "gauge", "replication_slot_wal_status");
        metrics_point_text(&p, m->wal_status);
        metrics_point_tag(&p, "slot", L->slot);
        metrics_point_emit(&p);
        metrics_point_begin(&p, "gauge", "replication_slot_safe_wal_size_bytes");
        if (m->have_safe)
            metrics_point_int(&p, m->safe_wal_size);
        else
            metrics_point_text(&p, NULL);
        metrics_point_tag(&p, "slot", L->slot);
        metrics_point_emit(&p);
    }
    if (m->have_spill) {
        metrics_point_begin(&p, "gauge", "replication_slot_spill_bytes");
        metrics_point_int(&p, m->spill_bytes);
        metrics_point_tag(&p, "slot", L->slot);
        metrics_point_tag_int(&p, "spill_txns", m->spill_txns);
        metrics_point_tag_int(&p, "spill_count", m->spill_count);
        metrics_point_emit(&p);
    }
}

/* 1.5 MB, 12 kB, 300 B */
static void fmt_bytes(char *out, size_t n, unsigned long long b)
{
    if (b >= 1024ULL * 1024 * 1024)
        snprintf(out, n, "%.1f GB", (double)b / (1024.0 * 1024 * 1024));
    else if (b >= 1024 * 1024)
        snprintf(out, n, "%.1f MB", (double)b / (1024.0 * 1024));
    else if (b >= 1024)
        snprintf(out, n, "%.1f kB", (double)b / 1024.0);
    else
        snprintf(out, n, "%llu B", b);
}

static void live_line(cdc_metrics *m, sl_run *L, const repl_stream *rs)
{
    char pos[LSN_TEXT_MAX], line[512];
    lsn_format(L->processed, pos);
    int k = snprintf(line, sizeof(line), "LOG_BASED: %lld records (%.0f/s), %.0f tx/s, at %s",
                     L->records, m->rate_changes, m->rate_txns, pos);
    if (m->end_lsn && k > 0 && (size_t)k < sizeof(line)) {
        char end[LSN_TEXT_MAX];
        lsn_format(m->end_lsn, end);
        double pct = m->end_lsn > m->start
                         ? 100.0 * (double)(L->processed > m->start ? L->processed - m->start : 0) /
                               (double)(m->end_lsn - m->start)
                         : 100.0;
        k += snprintf(line + k, sizeof(line) - (size_t)k, " of %s (%.1f%%)", end,
                      pct > 100 ? 100 : pct);
    }
    uint64_t server = server_position(m, rs);
    if (server && k > 0 && (size_t)k < sizeof(line)) {
        char b[32];
        fmt_bytes(b, sizeof(b), server > L->processed ? server - L->processed : 0);
        double lag = lag_seconds(L, server);
        k += snprintf(line + k, sizeof(line) - (size_t)k, ", lag %s", b);
        if (lag >= 0 && (size_t)k < sizeof(line))
            k += snprintf(line + k, sizeof(line) - (size_t)k, " / %.1f s", lag);
    }
    if (m->have_slot && k > 0 && (size_t)k < sizeof(line)) {
        char b[32];
        uint64_t ref = m->have_server ? m->server_lsn : server;
        fmt_bytes(b, sizeof(b), ref > m->confirmed ? ref - m->confirmed : 0);
        snprintf(line + k, sizeof(line) - (size_t)k, ", slot %s behind%s%s", b,
                 m->wal_status[0] ? ", wal " : "", m->wal_status);
    }
    progress_live_text(&L->run->progress, line);
}

void cdc_metrics_report(cdc_metrics *m, sl_run *L, const repl_stream *rs, double now)
{
    tap_progress *p = &L->run->progress;
    double dt = now - m->last_t;
    if (dt > 0) {
        m->rate_changes = (double)(L->records - m->last_records) / dt;
        m->rate_txns = (double)(L->txns - m->last_txns) / dt;
    }
    m->last_t = now;
    m->last_records = L->records;
    m->last_txns = L->txns;
    if (now >= m->next_query) {
        query_server(m, L);
        m->next_query = now + (p->interval > 0 && !p->live ? p->interval : LIVE_QUERY_SECONDS);
    }
    if (p->live) {
        live_line(m, L, rs);
        m->next = now + LIVE_REDRAW_SECONDS;
    } else {
        points(m, L, rs);
        m->next = now + p->interval;
    }
}

void cdc_metrics_final(cdc_metrics *m, sl_run *L, const repl_stream *rs)
{
    tap_progress *p = &L->run->progress;
    double now = timefmt_monotonic();
    progress_live_clear(p);
    if (p->interval > 0 || p->live) {
        double dt = now - m->last_t;
        if (dt > 0) {
            m->rate_changes = (double)(L->records - m->last_records) / dt;
            m->rate_txns = (double)(L->txns - m->last_txns) / dt;
        }
        query_server(m, L);
        points(m, L, rs);
    } else {
        /* no periodic points: the records of each stream in one point at the end */
        for (size_t i = 0; m->stream_reported && i < L->n; i++) {
            long long d = L->streams[i].records - m->stream_reported[i];
            if (d > 0)
                metrics_counter("record_count", d, L->streams[i].src->tap_stream_id);
        }
    }
    double secs = now - m->t0;
    char pos[LSN_TEXT_MAX];
    lsn_format(L->processed, pos);
    log_info("summary: LOG_BASED streaming: %lld transactions, %lld records in %.3f s (%.0f "
             "records/s), position %s",
             L->txns, L->records, secs, secs > 0 ? (double)L->records / secs : 0, pos);
    progress_add(p, "LOG_BASED", "streaming", L->records, secs);
}
