#include "stream_changes.h"

#include <string.h>

#include "cdc_metrics.h"
#include "chunked_copy.h"
#include "exit_codes.h"
#include "heartbeat.h"
#include "log.h"
#include "lsn.h"
#include "lstream.h"
#include "relations.h"
#include "repl_retry.h"
#include "stop_rules.h"
#include "timefmt.h"
#include "truncate.h"

/*
 * the add-tables list of wal2json: every relation a stream reads (its table,
 * its partitions and inheritance children), and the whole schema of a table
 * that has some, so that partitions and children created during the run are
 * not missed
 */
static void wal2json_tables(sl_run *L, buf *out)
{
    bool first = true;
    for (size_t i = 0; i < L->names.n; i++) {
        const relmap_entry *e = &L->names.entries[i];
        if (e->count == 0)
            continue;
        char schema[256];
        relmap_key_schema(e->key, schema, sizeof(schema));
        /* a partition or child in the schema of a stream that reads it: that schema's wildcard */
        bool covered = true;
        for (int k = 0; k < e->count && covered; k++) {
            const relmap_target *t = &L->targets[e->first + (size_t)k];
            covered = !t->own && strcmp(L->streams[t->stream].src->schema_name, schema) == 0;
        }
        if (covered)
            continue;
        if (!first)
            buf_putc(out, ',');
        first = false;
        decode_wal2json_table_pattern(out, schema, e->key + strcspn(e->key, "\x1f") + 1);
    }
    for (size_t i = 0; i < L->n; i++) {
        const tap_stream *src = L->streams[i].src;
        if (!L->streams[i].has_descendants && !(src->table && src->table->relkind == 'p'))
            continue;
        if (!first)
            buf_putc(out, ',');
        first = false;
        decode_wal2json_table_pattern(out, src->schema_name, "");
        buf_putc(out, '*');
    }
    const char *wm_schema, *wm_table;
    if (chunked_copy_watermark_table(L, &wm_schema, &wm_table)) {
        if (!first)
            buf_putc(out, ',');
        decode_wal2json_table_pattern(out, wm_schema, wm_table);
    }
}

static bool on_begin(sl_run *L, const change *c)
{
    L->in_txn = true;
    chunked_copy_on_begin(L, c);
    L->txn_commit_lsn = c->commit_lsn;
    L->txn_commit_time = c->commit_time;
    char text[CHANGE_TIME_TEXT_MAX];
    size_t n = change_time_text(
        c->commit_time == CHANGE_TIME_UNKNOWN ? timefmt_now_ms() * 1000 : c->commit_time, text);
    buf_reset(&L->scratch);
    buf_putc(&L->scratch, '"');
    int inf;
    if (!timefmt_timestamp(&L->scratch, text, n, &inf))
        buf_appends(&L->scratch, text);
    buf_putc(&L->scratch, '"');
    snprintf(L->deleted_at, sizeof(L->deleted_at), "%s", L->scratch.data);
    timefmt_now_rfc3339(L->extracted, sizeof(L->extracted));
    return true;
}

static bool on_commit(sl_run *L, const change *c)
{
    L->in_txn = false;
    L->txns++;
    uint64_t end = c->end_lsn ? c->end_lsn : c->commit_lsn + 1;
    if (end > L->processed)
        L->processed = end;
    if (L->changes_since_state >= L->run->cfg->itersize)
        return sl_run_emit_state(L);
    /* while changes flow, a STATE (sent at once) at least every state_interval_seconds */
    if (L->changes_since_state > 0 &&
        timefmt_monotonic() - L->run->last_state_time >= L->run->cfg->state_interval_seconds) {
        if (!sl_run_emit_state(L))
            return false;
        if (!singer_writer_flush(L->run->w))
            return fail(L, EXIT_OUTPUT);
    }
    return true;
}

/*
 * on_row_change: a change of a relation goes to every stream that reads its
 * rows (its own, and each selected partitioned table or inheritance parent
 * above it), each projected onto that stream's columns by name and under
 * that stream's bookmark.
 */
static bool on_row_change(sl_run *L, const change *c, uint64_t wal_start)
{
    size_t first;
    int count;
    bool ok;
    if (chunked_copy_watermark_row(L, c, &ok))
        return ok;
    if (!relations_resolve(L, c->rel->schema, c->rel->table, &first, &count))
        return false;
    for (int k = 0; k < count; k++) {
        relmap_target t = L->targets[first + (size_t)k];
        /* the change wins over a chunk's copy */
        if (!chunked_copy_on_change(L, t.stream, c) ||
            !lstream_row_change(L, &L->streams[t.stream], t.own, c, wal_start))
            return false;
    }
    return true;
}

static bool on_relation(sl_run *L, const change *c)
{
    size_t first;
    int count;
    if (!relations_resolve(L, c->rel->schema, c->rel->table, &first, &count))
        return false;
    for (int k = 0; k < count; k++) {
        relmap_target t = L->targets[first + (size_t)k];
        if (!lstream_check_wire_columns(L, &L->streams[t.stream], c->rel->columns, c->rel->ncolumns,
                                        t.own))
            return false;
    }
    return true;
}

static bool on_message(sl_run *L, char *msg, size_t len, uint64_t wal_start)
{
    change c;
    bool ok = L->w2j ? decode_wal2json_decode(L->w2j, msg, len, &c)
                     : decode_pgoutput_decode(L->pgo, msg, len, &c);
    if (!ok) {
        char at[LSN_TEXT_MAX];
        lsn_format(wal_start, at);
        log_error("could not decode the %s message at %s", L->plugin, at);
        return fail(L, EXIT_SOURCE_DB);
    }
    if (L->ntrunc && c.kind != CHANGE_TRUNCATE && !truncate_flush(L))
        return false;
    L->last_kind = c.kind;
    switch (c.kind) {
    case CHANGE_BEGIN:
        return on_begin(L, &c);
    case CHANGE_COMMIT:
        return on_commit(L, &c);
    case CHANGE_INSERT:
    case CHANGE_UPDATE:
    case CHANGE_DELETE:
        return on_row_change(L, &c, wal_start);
    case CHANGE_TRUNCATE:
        return chunked_copy_on_truncate(L, &c) && truncate_collect(L, &c);
    case CHANGE_RELATION:
        return on_relation(L, &c);
    case CHANGE_MESSAGE:
        /*
         * A logical message outside a transaction (a heartbeat) is sent when its record is
         * decoded, after every transaction whose commit record comes before it: the
         * bookmark may move to its position, as to a keepalive's.
         */
        if (!L->in_txn) {
            L->messages++;
            if (wal_start > L->processed)
                L->processed = wal_start;
        }
        return chunked_copy_on_message(L, &c);
    default:
        return true;
    }
}

/* how often the stream loop does its periodic work (stream_tick) */
#define TICK_SECONDS 0.5
#define META_RETRY_SECONDS 5.0 /* between attempts to make a lost metadata connection again */

/*
 * feedback_confirm: the new whole lines of state_feedback_file (the target's output: what it
 * has committed) move the flush position reported to the server, to at most the smallest lsn
 * of the last STATE this run wrote: never a position the tap's own output has not reached
 * (a line of another run, or one written by hand, cannot make the slot skip changes). The
 * invariant of repl_stream.h holds: what is confirmed is proven committed by the target.
 */
static bool feedback_confirm(sl_run *L, repl_stream *rs)
{
    uint64_t proven = L->feedback_lsn;
    if (!state_feedback_poll(&L->feedback, L->ids, L->nids, &proven))
        return true;
    L->feedback_lsn = proven;
    uint64_t to = proven < L->state_lsn ? proven : L->state_lsn;
    if (to <= rs->confirmed_lsn)
        return true;
    repl_stream_confirm(rs, to);
    L->confirmed_lsn = rs->confirmed_lsn;
    if (log_enabled(LOG_DEBUG)) {
        char a[LSN_TEXT_MAX], b[LSN_TEXT_MAX];
        lsn_format(to, a);
        lsn_format(proven, b);
        log_debug("state_feedback_file: confirming %s (the target wrote %s)", a, b);
    }
    if (!repl_stream_send_status(rs, false))
        return fail(L, EXIT_SOURCE_DB);
    return true;
}

/*
 * stream_tick: what the stream loop does every TICK_SECONDS, between messages (inside a
 * transaction too): the feedback file's new lines confirmed, the heartbeat when due, and
 * between transactions, with nothing written since the last STATE, a STATE every
 * state_interval_seconds when the position moved (keepalives, heartbeats of an idle stream),
 * so that the target writes it and the next run (or state_feedback_file) confirms it; then
 * what was written goes out (the target sees changes within a tick). The one place for
 * periodic work. False after logging (fail code set).
 */
static bool stream_tick(sl_run *L, repl_stream *rs, double now)
{
    const tap_config *cfg = L->run->cfg;
    if (L->feedback_on && !feedback_confirm(L, rs))
        return false;
    if (!heartbeat_tick(L, now))
        return false;
    if (!L->in_txn && L->changes_since_state == 0 && L->processed > L->state_processed &&
        now - L->run->last_state_time >= cfg->state_interval_seconds && !sl_run_emit_state(L))
        return false;
    if (L->run->w->out.len && !singer_writer_flush(L->run->w))
        return fail(L, EXIT_OUTPUT);
    return true;
}

bool stream_changes(sl_run *L, uint64_t start, uint64_t confirm, uint64_t end_lsn)
{
    const tap_config *cfg = L->run->cfg;
    buf opts = BUF_INIT;
    bool numeric_as_string = true;
    repl_stream rs;
    bool started = false;
    int interval = 10000; /* ms between status updates */
    for (int attempt = 0; attempt < 2 && !started; attempt++) {
        buf_reset(&opts);
        if (L->w2j) {
            buf tables = BUF_INIT;
            wal2json_tables(L, &tables);
            decode_wal2json_start_options(&opts, tables.data, numeric_as_string);
            buf_term(&tables);
        } else {
            /* logical messages (PostgreSQL 14+): heartbeats, the chunked copy's watermarks */
            decode_pgoutput_start_options(&opts, L->publication,
                                          (cfg->heartbeat_seconds > 0 &&
                                           !cfg->heartbeat_action_query &&
                                           pg_conn_server_version(L->c) >= 140000) ||
                                              chunked_copy_wants_messages(L));
        }
        if (cfg->wal_sender_timeout > 0 && cfg->wal_sender_timeout / 3 < interval)
            interval = (int)(cfg->wal_sender_timeout / 3 > 100 ? cfg->wal_sender_timeout / 3 : 100);
        if (!L->repl && !(L->repl = sl_run_repl_connect(L)))
            break;
        bool probe = L->w2j && numeric_as_string;
        started = repl_stream_start(&rs, L->repl, L->slot, start, opts.data, interval,
                                    &tap_stop_requested, probe);
        if (!started && probe &&
            strstr(PQerrorMessage(L->repl->conn), "numeric-data-types-as-string")) {
            /* wal2json before 2.6 does not know this option: values stay exact anyway */
            log_info("wal2json has no numeric-data-types-as-string (before 2.6): NaN and Infinity "
                     "of number types arrive as null");
            numeric_as_string = false;
            pg_conn_destroy(L->repl);
            L->repl = NULL;
            continue;
        }
        if (!started && probe) {
            /* the probe failed for another reason: say it as repl_stream_start would have */
            const char *m = PQerrorMessage(L->repl->conn);
            char at[LSN_TEXT_MAX];
            lsn_format(start, at);
            log_error("could not start logical replication on slot \"%s\" at %s: %.*s", L->slot, at,
                      (int)strcspn(m, "\n"), m);
        }
        if (!started) {
            logical_slot_explain_failure(L->repl, L->plugin);
            break;
        }
    }
    if (!started) {
        buf_term(&opts);
        return fail(L, EXIT_SOURCE_DB);
    }

    /* confirm what the input state proves, once, and never more */
    if (L->confirmed_lsn > confirm)
        confirm = L->confirmed_lsn; /* streaming again after a pause (STOP_RECOPY) */
    repl_stream_confirm(&rs, confirm);
    L->confirmed_lsn = rs.confirmed_lsn;
    if (!repl_stream_send_status(&rs, false)) {
        repl_stream_term(&rs);
        buf_term(&opts);
        return fail(L, EXIT_SOURCE_DB);
    }

    double t_start = timefmt_monotonic();
    stop_rules st;
    stop_rules_init(&st, cfg, t_start, end_lsn);
    cdc_metrics cm;
    cdc_metrics_init(&cm, L, start, cfg->break_at_end_lsn ? end_lsn : 0);
    stop_reason why = STOP_NONE;
    bool ok = true;
    char *msg;
    size_t len;
    uint64_t wal_start;
    int reconnects = 0;
    if (start > L->processed)
        L->processed = start;
    L->state_processed = L->processed; /* an idle STATE only once the position moves */
    L->paused = false;
    double next_tick = t_start + TICK_SECONDS;
    double next_meta_try = t_start; /* a lost metadata connection: the next attempt */
    while (ok) {
        if ((why = stop_rules_check(&st, L)) != STOP_NONE)
            break;
        /* between transactions: the next chunk of a copy in chunks, when none is pending */
        if (!L->in_txn && !(ok = chunked_copy_step(L)))
            break;
        double now = timefmt_monotonic();
        if (now >= next_tick) {
            next_tick = now + TICK_SECONDS;
            if (!(ok = stream_tick(L, &rs, now)))
                break;
        }
        /* inside a transaction a signal waits for its end: no wake-up, no deadline but the
           tick's */
        rs.wake = L->in_txn ? NULL : &tap_stop_requested;
        double deadline = stop_rules_deadline(&st, L);
        if (deadline < 0 || next_tick < deadline)
            deadline = next_tick;
        repl_stream_result r = repl_stream_next(&rs, deadline, &msg, &len, &wal_start);
        now = timefmt_monotonic();
        switch (r) {
        case REPL_DATA:
            ok = on_message(L, msg, len, wal_start);
            /* a heartbeat is not data: it must not hold a bounded run */
            if (L->last_kind != CHANGE_MESSAGE)
                stop_rules_data(&st, now);
            break;
        case REPL_KEEPALIVE:
        case REPL_TIMEOUT:
            if (r == REPL_KEEPALIVE) {
                /*
                 * The bookmark may move to the keepalive's position because
                 * every transaction that committed before it has been
                 * received before this keepalive, whether it was ours or
                 * not. The walsender (walsender.c, XLogSendLogical) moves
                 * its sent position to the end of a WAL record only after
                 * decoding that record, and a committed transaction's
                 * messages are queued while its commit record is decoded,
                 * on the same connection, ahead of any later keepalive. A
                 * keepalive sent from inside a commit record's decoding (a
                 * reply while a large transaction is replayed) still carries
                 * the end of the record before it, which is not past that
                 * transaction's commit: the transaction still applies from
                 * there. Inside a transaction the bookmark does not move.
                 */
                if (!L->in_txn && rs.server_wal_end > L->processed)
                    L->processed = rs.server_wal_end;
                stop_rules_keepalive(&st, &rs, now, L->in_txn);
            }
            if (!stop_rules_probe(&st, L, &rs, now)) {
                ok = false;
                break;
            }
            /* idle: what was written goes out now, with a STATE when records were written */
            if (!L->in_txn && L->changes_since_state > 0)
                ok = sl_run_emit_state(L);
            if (ok && !singer_writer_flush(L->run->w))
                ok = fail(L, EXIT_OUTPUT);
            break;
        case REPL_END:
        case REPL_ERROR:
            /* a lost connection: made again, streaming from L->processed (repl_retry.h) */
            if (r == REPL_ERROR &&
                repl_retry_reconnect(L, &rs, opts.data, interval, confirm, &reconnects))
                break;
            log_error("the replication stream ended unexpectedly%s",
                      L->in_txn ? " inside a transaction (no STATE past the last one written)"
                                : "");
            ok = fail(L, EXIT_SOURCE_DB);
            break;
        }
        cdc_metrics_tick(&cm, L, &rs, now);
        /* the other connection (the probe, the metrics, relation metadata): frozen (given up
           after read_timeout), the server cannot be reached and the time spent waiting on it
           is not the server's idle time: the run fails; lost (a terminated backend, a
           restart), it is made again, tried every few seconds (a restart is also met by the
           replication connection, whose reconnect makes it again with backoff) */
        if (ok && L->c && PQstatus(L->c->conn) == CONNECTION_BAD) {
            if (L->c->gave_up) {
                log_error("LOG_BASED: the connection for queries to the source server froze; "
                          "the run stops (no STATE past the last one written)");
                ok = fail(L, EXIT_SOURCE_DB);
            } else if (now >= next_meta_try) {
                next_meta_try = now + META_RETRY_SECONDS;
                (void)repl_retry_metadata_connection(L); /* logged when it fails */
            }
        }
    }
    cdc_metrics_final(&cm, L, &rs);
    cdc_metrics_term(&cm);
    if (ok) {
        char a[LSN_TEXT_MAX];
        lsn_format(L->processed, a);
        log_info("LOG_BASED: %s; %lld transactions, %lld records, position %s",
                 stop_rules_reason(why), L->txns, L->records, a);
        if (L->heartbeats || L->messages)
            log_info("LOG_BASED: %lld heartbeats written, %lld logical messages received",
                     L->heartbeats, L->messages);
        ok = sl_run_emit_state(L);
        if (ok && singer_writer_flush(L->run->w) == false)
            ok = fail(L, EXIT_OUTPUT);
        if (!repl_stream_finish(&rs)) {
            /* the run had ended by a rule when the connection was found frozen or lost (a
               freeze can look like an idle server until read_timeout runs out): the state
               written is true, but the run did not end as it says; exit 4 */
            if (L->repl->gave_up || PQstatus(L->repl->conn) == CONNECTION_BAD ||
                (L->c && L->c->gave_up)) {
                log_error("LOG_BASED: the connection to the source server was lost or froze as "
                          "the run ended (%s); the state written covers what was sent",
                          stop_rules_reason(why));
                ok = fail(L, EXIT_SOURCE_DB);
            } else {
                log_warn("the replication stream did not end cleanly (the state is written)");
            }
        }
        /* a signal ends the run as cleanly as a bound, but the caller learns it was one;
           it is how a continuous run ends (exit 0) */
        if (ok && why == STOP_SIGNAL && !st.continuous)
            ok = fail(L, EXIT_INTERRUPTED);
        L->paused = why == STOP_RECOPY;
    }
    repl_stream_term(&rs);
    buf_term(&opts);
    return ok;
}
