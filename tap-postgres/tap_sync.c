#include "tap_sync.h"

#include "exit_codes.h"
#include "log.h"
#include "state.h"
#include "stream_pool.h"
#include "sync_full_table.h"
#include "sync_incremental.h"
#include "sync_logical.h"
#include "tap_retry.h"
#include "timefmt.h"

#include <stdlib.h>
#include <string.h>

bool tap_sync_run(tap_run *run, pg_conn *c, tap_catalog *cat)
{
    /* a changed method or key resets a bookmark before anything is sent (as pipelinewise) */
    for (size_t i = 0; i < cat->n; i++) {
        tap_stream *s = &cat->streams[i];
        state_prepare_stream(run->state, s->tap_stream_id, s->method_name, s->replication_key);
    }
    size_t ntrad = 0, nlog = 0;
    tap_stream **order = calloc(cat->n ? cat->n : 1, sizeof(*order));
    tap_stream **logical = calloc(cat->n ? cat->n : 1, sizeof(*logical));
    bool ok = order && logical;
    if (!ok) {
        log_error("out of memory");
        tap_fail(run, EXIT_INTERNAL);
        goto done;
    }
    const char *cs = state_currently_syncing(run->input_state);
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < cat->n; i++) {
            tap_stream *s = &cat->streams[i];
            if (s->method == TAP_LOG_BASED) {
                if (pass == 0)
                    logical[nlog++] = s;
                continue;
            }
            bool is_cs = cs && strcmp(cs, s->tap_stream_id) == 0;
            if ((pass == 0) == is_cs)
                order[ntrad++] = s;
        }
    }
    if (cs && (ntrad == 0 || strcmp(order[0]->tap_stream_id, cs) != 0))
        log_warn("currently_syncing stream \"%s\" of the state is not a selected FULL_TABLE or "
                 "INCREMENTAL stream: ignored",
                 cs);
    for (size_t i = 0; i < nlog; i++)
        if (logical[i]->is_view) {
            log_error("stream \"%s\": LOG_BASED replication is not possible for views",
                      logical[i]->tap_stream_id);
            ok = tap_fail(run, EXIT_BAD_CONFIG);
            goto done;
        }
    if (run->cfg->parallel_streams > 1 && ntrad > 1) {
        ok = stream_pool_run(run, c, order, ntrad);
        ntrad = 0; /* synced: the loop below is the one-at-a-time sync */
    }
    for (size_t i = 0; i < ntrad && ok; i++) {
        tap_stream *s = order[i];
        log_info("stream \"%s\": %s sync of %zu columns", s->tap_stream_id, s->method_name,
                 s->ncolumns);
        progress_begin(&run->progress, s->tap_stream_id, s->method_name,
                       s->method == TAP_FULL_TABLE && s->table ? s->table->reltuples : -1);
        state_set_currently_syncing(run->state, s->tap_stream_id);
        if (s->method == TAP_FULL_TABLE)
            ok = tap_retry_full_table(run, c, s);
        else
            ok = tap_retry_incremental(run, c, s);
        tap_log_counters(run, s->tap_stream_id);
        progress_end(&run->progress, ok, "sync_duration");
        if (!ok)
            break;
        state_set_currently_syncing(run->state, NULL);
        ok = tap_emit_boundary_state(run);
        if (tap_stop_requested) {
            log_error("interrupted");
            if (run->state_pending)
                tap_emit_state(run);
            ok = tap_fail(run, EXIT_INTERRUPTED);
        }
    }
    if (ok && run->state_pending)
        ok = tap_emit_state(run);
    if (ok && nlog)
        ok = sync_logical_run(run, logical, nlog);
    progress_summary(&run->progress);
done:
    free(order);
    free(logical);
    return ok;
}
