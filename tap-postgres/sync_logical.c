/*
 * sync_logical: every selected LOG_BASED stream in one pass over one slot.
 *
 * The run:
 *   1. names (slot, publication), a normal connection, the server checks
 *      (wal_level, REPLICATION, wal2json allowed), the slot looked up;
 *   2. pgoutput: the publication created or extended to the streams' tables;
 *   3. streams without an lsn bookmark are copied inside the snapshot
 *      exported by the slot's creation (a TEMPORARY slot when the main slot
 *      already exists); their bookmark becomes the slot's consistent point;
 *   4. START_REPLICATION at the smallest bookmark; the flush position
 *      confirmed to the server is the smallest lsn of the INPUT state (what
 *      the target committed), and moves during the run only with
 *      state_feedback_file (the target's new state lines, never past the
 *      tap's own last STATE: stream_changes.c);
 *   5. each transaction's changes become RECORDs for the streams whose
 *      bookmark it is not older than; STATE at transaction boundaries.
 *
 * LSN BOOKMARKS. A stream's "lsn" L means: every transaction whose commit
 * record starts before L is in the output. After a transaction is written it
 * is the end of its commit record (where a subscriber confirms and where
 * pipelinewise's bookmark points), after the initial copy the slot's
 * consistent point, and when the tables are idle the WAL position of the last
 * keepalive. A transaction is applied to a stream iff its commit LSN >= L.
 */
#include "sync_logical.h"

#include <stdlib.h>
#include <string.h>

#include "chunked_copy.h"
#include "exit_codes.h"
#include "initial_copy.h"
#include "log.h"
#include "lstream.h"
#include "setup.h"
#include "sl_run.h"
#include "state.h"
#include "stream_changes.h"

bool sync_logical_run(tap_run *run, tap_stream *const *streams, size_t n)
{
    sl_run L;
    memset(&L, 0, sizeof(L));
    L.run = run;
    /*
     * pipelinewise reads state["currently_syncing"] without a default when it
     * runs LOG_BASED streams: a state of ours must keep working with it.
     */
    if (!cJSON_GetObjectItemCaseSensitive(run->state, "currently_syncing"))
        state_set_currently_syncing(run->state, NULL);
    L.streams = calloc(n ? n : 1, sizeof(*L.streams));
    bool ok = L.streams != NULL;
    if (!ok) {
        log_error("out of memory");
        tap_fail(run, EXIT_INTERNAL);
    }
    for (size_t i = 0; ok && i < n; i++) {
        ok = lstream_init(&L, &L.streams[i], streams[i]);
        L.n = i + 1;
    }
    setup_positions at = {0};
    if (ok)
        ok = setup_run(&L, &at);
    if (ok && run->cfg->state_feedback_file) {
        L.ids = calloc(L.n ? L.n : 1, sizeof(*L.ids));
        if (!L.ids) {
            log_error("out of memory");
            ok = tap_fail(run, EXIT_INTERNAL);
        }
        for (size_t i = 0; ok && i < L.n; i++)
            if (!L.streams[i].copy_only)
                L.ids[L.nids++] = L.streams[i].src->tap_stream_id;
        if (ok &&
            !(L.feedback_on = state_feedback_init(&L.feedback, run->cfg->state_feedback_file)))
            ok = tap_fail(run, EXIT_INTERNAL);
    }
    if (ok && at.stream)
        ok = stream_changes(&L, at.start, at.confirm, at.end);
    /* the streams a TRUNCATE emptied in part are copied again (not after a signal: the last
       STATE has no lsn for them, so the next run copies them); a continuous run then streams
       on from the smallest bookmark */
    while (ok && at.stream && !tap_stop_requested) {
        bool resume = L.paused;
        ok = initial_copy_recopy(&L);
        if (!ok || !resume || tap_stop_requested)
            break;
        uint64_t start = UINT64_MAX;
        for (size_t i = 0; i < L.n; i++)
            if (!L.streams[i].copy_only && L.streams[i].lsn < start)
                start = L.streams[i].lsn;
        /* a new replication connection: a walsender does not always stream again after its
           stream ended (pgoutput's ends at once) */
        pg_conn_destroy(L.repl);
        L.repl = NULL;
        ok = stream_changes(&L, start, L.confirmed_lsn, at.end);
    }
    for (size_t i = 0; i < L.n; i++) {
        /* each stream's counters (see end_record) go out under its own name */
        lstream *ls = &L.streams[i];
        run->tm.nan_count += ls->nan_count;
        run->tm.pos_infinity_count += ls->pos_inf;
        run->tm.neg_infinity_count += ls->neg_inf;
        run->tm.bad_values += ls->bad_values;
        tap_log_counters(run, ls->src->tap_stream_id);
    }
    chunked_copy_destroy(L.chunks); /* before sl_run_term, which does not know the module */
    L.chunks = NULL;
    sl_run_term(&L);
    /* a signal is how a run without bounds ends, also before its stream (during a copy, done
       again by the next run: the last STATE has no lsn for the stream): exit 0 */
    if (!ok && run->fail_code == EXIT_INTERRUPTED && tap_config_continuous(run->cfg)) {
        log_info("LOG_BASED: stopped by a signal (a run without bounds: exit 0)");
        run->fail_code = 0;
        ok = true;
    }
    return ok;
}
