#include "sl_run.h"

#include <stdlib.h>

#include "exit_codes.h"
#include "log.h"
#include "row_filter.h"
#include "state.h"
#include "timefmt.h"

long long sl_run_new_version(void)
{
    return timefmt_now_ms();
}

static void set_bookmarks(sl_run *L)
{
    uint64_t low = UINT64_MAX;
    for (size_t i = 0; i < L->n; i++) {
        lstream *ls = &L->streams[i];
        if (L->processed > ls->lsn && !ls->copy_only)
            ls->lsn = L->processed;
        if (!ls->recopy && !ls->copy_only && ls->lsn < low)
            low = ls->lsn;
        cJSON *bm = state_bookmark(L->run->state, ls->src->tap_stream_id);
        if (!bm)
            continue;
        if (ls->recopy)
            state_bm_remove(bm, "lsn"); /* the next run copies it again */
        else
            state_bm_set_int(bm, "lsn", (long long)ls->lsn);
        state_bm_set_int(bm, "version", ls->version);
    }
    L->state_lsn = low == UINT64_MAX ? 0 : low;
    L->state_processed = L->processed;
}

bool sl_run_emit_state(sl_run *L)
{
    set_bookmarks(L);
    L->changes_since_state = 0;
    return tap_emit_state(L->run);
}

/* a replication connection with the session settings the value texts rely on */
pg_conn *sl_run_repl_connect(sl_run *L)
{
    pg_conn_options o = {0};
    o.application_name = "tap-postgres";
    o.attempts = 3;
    o.replication = true;
    o.password = L->run->cfg->password;
    pg_conn *r = pg_conn_connect(L->run->cfg->root, &o);
    if (!r) {
        fail(L, EXIT_SOURCE_DB);
        return NULL;
    }
    buf sql = BUF_INIT;
    buf_appendf(&sql, TAP_SESSION_SETTINGS "; SET wal_sender_timeout = %lld",
                L->run->cfg->wal_sender_timeout > 0 ? L->run->cfg->wal_sender_timeout : 0LL);
    bool ok = pg_conn_exec(r, sql.data);
    buf_term(&sql);
    if (!ok) {
        logical_slot_explain_failure(r, L->plugin);
        pg_conn_destroy(r);
        fail(L, EXIT_SOURCE_DB);
        return NULL;
    }
    return r;
}

void sl_run_term(sl_run *L)
{
    for (size_t i = 0; i < L->n; i++) {
        lstream *ls = &L->streams[i];
        if (ls->rb_ready)
            record_builder_term(&ls->rb);
        for (size_t k = 0; k < ls->ncols; k++)
            free(ls->cols[k].owned_name);
        free(ls->cols);
        free(ls->synced);
        free(ls->vals);
        row_filter_destroy(ls->filter);
        free(ls->fnames);
        free(ls->ftypes);
        free(ls->fvals);
    }
    free(L->streams);
    if (L->feedback_on)
        state_feedback_term(&L->feedback);
    free(L->ids);
    free(L->trunc);
    buf_term(&L->trunc_names);
    relmap_term(&L->names);
    free(L->targets);
    for (size_t i = 0; i < L->ndbs; i++)
        discovery_term(&L->dbs[i]);
    free(L->dbs);
    decode_wal2json_destroy(L->w2j);
    decode_pgoutput_destroy(L->pgo);
    pg_conn_destroy(L->repl);
    pg_conn_destroy(L->c);
    buf_term(&L->scratch);
}
