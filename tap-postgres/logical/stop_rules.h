/*
 * stop_rules: when the stream loop (stream_changes) ends the run, decided in
 * one place: stop_rules_check, between transactions.
 */
#ifndef TAP_LOGICAL_STOP_RULES_H
#define TAP_LOGICAL_STOP_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "repl_stream.h"
#include "sl_run.h"
#include "tap_config.h"

typedef enum stop_reason {
    STOP_NONE = 0,
    STOP_END_LSN,
    STOP_MAX_RUN,
    STOP_POLL,
    STOP_SIGNAL,
    STOP_CAUGHT_UP,
    STOP_RECOPY, /* a continuous run: streams to copy again (the caller copies, then streams on) */
} stop_reason;

/*
 * The stop rules of the stream (README "Run bounds").
 *
 * PROGRESS. While the server decodes WAL that holds nothing for the selected
 * tables (another database's writes, a large transaction on a table not
 * selected: the target's own load) it sends nothing, for as long as that
 * takes. So silence is not idleness: after probe_seconds without a message
 * the loop asks for a keepalive (a status update with reply requested),
 * which the walsender answers from its main loop between two WAL records
 * with its sent position, how far it has decoded. That position moving
 * forward is progress. Inside one record the walsender does not answer:
 * replaying a large transaction's changes (decoded from its commit record)
 * to the plugin, which filters them out. A probe that finds no progress
 * therefore asks pg_stat_activity what the walsender is doing: running (no
 * wait event, or I/O on its spill files or the WAL) is progress too. The
 * server is idle only when its position stands still and its walsender
 * waits (for new WAL, normally). logical_poll_total_seconds counts idle
 * time only. That holds for the WAL that was there when the run started,
 * up to the end position: past it the server follows the WAL as it is
 * written, and only changes for the selected tables count, or a server
 * that is never idle (other databases writing all the time) would hold a
 * run without break_at_end_lsn until max_run_seconds.
 *
 * break_at_end_lsn ends the run when every transaction up to the end
 * position (the insert position at the start) is written, which the sent
 * positions of the keepalives show even when nothing of it is ours, or when
 * the server is really idle short of it. The end position may never be
 * reached: WAL records of a transaction still open (or a record cut by a
 * page flush) may stay unflushed, so unread, for as long as nothing else
 * commits. So when a probe finds the walsender waiting for WAL to be flushed
 * it asks for a keepalive, and the arrival of one (after every message sent
 * before it) ends the run: every transaction committed and flushed before
 * the start has been written.
 *
 * CONTINUOUS. With break_at_end_lsn false and max_run_seconds and
 * logical_poll_total_seconds 0 (no bound) the run goes on until SIGINT or
 * SIGTERM, which end it after the current transaction with a final STATE
 * and exit 0: that is how a continuous run ends. A TRUNCATE of part of a
 * stream's rows pauses it at the next transaction boundary (STOP_RECOPY)
 * for the copy a bounded run does at its end; the stream then goes on.
 */
typedef struct stop_rules {
    double poll_seconds;  /* logical_poll_total_seconds */
    double run_deadline;  /* monotonic end of max_run_seconds, -1: none */
    double probe_seconds; /* silence before asking the server where it is */
    double last_progress; /* the last data, position move or busy walsender */
    double next_probe;
    bool moved;        /* progress since the last probe */
    uint64_t seen_lsn; /* the highest position the server reported (keepalives) */
    bool ping_out;     /* a reply request has not been answered yet */
    bool can_ask;      /* pg_stat_activity tells what the walsender does */
    bool break_at_end; /* break_at_end_lsn */
    uint64_t end_lsn;  /* its end position */
    bool idle_ping;    /* a reply request sent after the walsender was seen waiting for WAL */
    bool caught_up;    /* ... and answered */
    bool continuous;   /* no bound at all (README "Running continuously"): only a signal ends
                          the run, and that is its normal end (exit 0) */
} stop_rules;

/* stop_rules_init: the rules of cfg, starting at now, with end position end_lsn */
void stop_rules_init(stop_rules *st, const tap_config *cfg, double now, uint64_t end_lsn);
/* stop_rules_progress: the server showed progress at now */
void stop_rules_progress(stop_rules *st, double now);
/* stop_rules_data: a message of the stream arrived at now */
void stop_rules_data(stop_rules *st, double now);
/* stop_rules_check: why the run ends now (STOP_NONE: it goes on, always inside a
   transaction); the one place that decides */
stop_reason stop_rules_check(const stop_rules *st, const sl_run *L);
/* stop_rules_reason: the words of the log line for why */
const char *stop_rules_reason(stop_reason why);
/* stop_rules_deadline: how long repl_stream_next may wait (-1: no deadline, inside a transaction)
 */
double stop_rules_deadline(const stop_rules *st, const sl_run *L);
/* stop_rules_keepalive: a keepalive with the server's sent position arrived */
void stop_rules_keepalive(stop_rules *st, const repl_stream *rs, double now, bool in_txn);
/* stop_rules_probe: when due (between transactions, after probe_seconds of silence), ask
   where the server is. False after logging (fail code set). */
bool stop_rules_probe(stop_rules *st, sl_run *L, repl_stream *rs, double now);

#endif
