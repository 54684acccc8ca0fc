#include "initial_copy.h"

#include <stdio.h>
#include <unistd.h>

#include "exit_codes.h"
#include "log.h"
#include "lstream.h"
#include "state.h"
#include "sync_parallel.h"
#include "timefmt.h"

/* the initial copy of the streams that need one, inside snapshot */
bool initial_copy_streams(sl_run *L, const char *snapshot, uint64_t consistent_point)
{
    bool ok = true;
    buf sql = BUF_INIT;
    buf_append_lit(&sql, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET TRANSACTION "
                         "SNAPSHOT ");
    pg_conn_quote_literal(&sql, snapshot);
    if (!pg_conn_exec(L->c, sql.data)) {
        buf_term(&sql);
        return fail(L, EXIT_SOURCE_DB);
    }
    for (size_t i = 0; i < L->n && ok; i++) {
        lstream *ls = &L->streams[i];
        if (!ls->need_copy)
            continue;
        bool first_version = ls->version < 0;
        long long old_version = ls->version;
        ls->version = sl_run_new_version();
        if (i > 0 && ls->version <= L->streams[i - 1].version)
            ls->version = L->streams[i - 1].version + 1;
        if (ls->version <= old_version)
            ls->version = old_version + 1; /* a copy again in the same run (initial_copy_recopy) */
        if (ls->need_schema && !lstream_emit_schema(L, ls)) {
            ok = false;
            break;
        }
        record_builder_set_version(&ls->rb, ls->version, NULL);
        log_info("stream \"%s\": initial copy inside the snapshot of the slot",
                 ls->src->tap_stream_id);
        progress_begin(&L->run->progress, ls->src->tap_stream_id, "initial copy",
                       ls->src->table ? ls->src->table->reltuples : -1);
        if (first_version && !tap_emit_activate_version(L->run, &ls->view, ls->version)) {
            ok = false;
            break;
        }
        char now[40];
        timefmt_now_rfc3339(now, sizeof(now));
        record_builder_set_version(&ls->rb, ls->version, now);
        ls->tail_time[0] = '\0';
        long long rows = 0;
        if (sync_parallel_wanted(L->run, &ls->view, NULL)) {
            /* snapshot_workers: connections sharing the slot's snapshot read it in ranges */
            ok = sync_parallel_copy_in(L->run, L->c, &ls->view, ls->version, &rows);
        } else {
            buf_reset(&sql);
            buf_append_lit(&sql, "COPY (SELECT ");
            tap_select_list(&sql, &ls->view);
            buf_append_lit(&sql, " FROM ");
            tap_quoted_table(&sql, &ls->view);
            bool have_where = false;
            tap_append_where(&sql, ls->src, &have_where); /* custom_where_clauses */
            buf_append_lit(&sql, ") TO STDOUT");
            ok = tap_copy_rows(L->run, L->c, sql.data, &ls->view, &ls->rb, NULL, NULL, &rows);
        }
        tap_log_counters(L->run, ls->src->tap_stream_id);
        progress_end(&L->run->progress, ok, "copy_duration");
        if (!ok)
            break;
        if (!tap_emit_activate_version(L->run, &ls->view, ls->version)) {
            ok = false;
            break;
        }
        ls->lsn = consistent_point;
        ls->need_copy = false;
        ls->records += rows;
        cJSON *bm = state_bookmark(L->run->state, ls->src->tap_stream_id);
        if (bm) {
            state_bm_set_int(bm, "lsn", (long long)ls->lsn);
            state_bm_set_int(bm, "version", ls->version);
            state_bm_remove(bm, "xmin");
        }
        ok = tap_emit_state(L->run);
    }
    if (!pg_conn_exec(L->c, ok ? "COMMIT" : "ROLLBACK") && ok)
        ok = fail(L, EXIT_SOURCE_DB);
    buf_term(&sql);
    return ok;
}

/*
 * initial_copy_in_temporary_slot: copy the streams that need it inside the snapshot
 * of a TEMPORARY slot (the main slot exists and streams what follows); the
 * slot is dropped with its connection after the copies.
 */
bool initial_copy_in_temporary_slot(sl_run *L)
{
    pg_conn *tmp = sl_run_repl_connect(L);
    if (!tmp)
        return false;
    char name[LOGICAL_NAME_MAX];
    snprintf(name, sizeof(name), "%.40s_tmp_%ld", L->slot, (long)getpid());
    logical_slot_created created;
    bool ok =
        logical_slot_create(tmp, name, "pgoutput", true, false, &tap_stop_requested, &created);
    if (!ok)
        fail(L, created.interrupted ? EXIT_INTERRUPTED : EXIT_SOURCE_DB);
    else
        ok = initial_copy_streams(L, created.snapshot, created.consistent_point);
    pg_conn_destroy(tmp); /* drops the temporary slot */
    return ok;
}

/*
 * initial_copy_recopy: after the stream, copy again each stream a TRUNCATE
 * emptied only in part (truncate_flush), as a new table version inside the
 * snapshot of a temporary slot: its bookmark becomes that slot's consistent
 * point, so the next run applies exactly the transactions the copy does not
 * see. The STATE written at the end of the stream has no lsn for these
 * streams: a run interrupted before the copy ends leaves them to the next
 * run's copy.
 */
bool initial_copy_recopy(sl_run *L)
{
    size_t n = 0;
    for (size_t i = 0; i < L->n; i++) {
        lstream *ls = &L->streams[i];
        if (!ls->recopy)
            continue;
        ls->recopy = false;
        ls->need_copy = true;
        ls->input_lsn = 0;
        n++;
    }
    if (!n)
        return true;
    log_info("LOG_BASED: copying again %zu stream(s) that a TRUNCATE emptied in part", n);
    if (!logical_slot_check_capacity(L->c, 1))
        return fail(L, EXIT_SOURCE_DB);
    return initial_copy_in_temporary_slot(L);
}
