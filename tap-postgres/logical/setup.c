#include "setup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chunked_copy.h"
#include "exit_codes.h"
#include "heartbeat.h"
#include "identity.h"
#include "initial_copy.h"
#include "json_util.h"
#include "log.h"
#include "lsn.h"
#include "lstream.h"
#include "relations.h"
#include "repl_stream.h"
#include "state.h"

#define XLOG_SHORT_PHD 24            /* SizeOfXLogShortPHD: the header of every WAL page */
#define XLOG_LONG_PHD 40             /* SizeOfXLogLongPHD: the header of a segment's first page */
#define SLOT_RELEASE_WAIT_SECONDS 10 /* for the walsender of a run that just ended */

/* the bookmark holds the token recopy_streams gives the stream now */
static bool recopy_in_progress(const sl_run *L, const char *id, const cJSON *bm)
{
    const char *token = tap_config_recopy_token(L->run->cfg, id);
    const cJSON *had = cJSON_GetObjectItemCaseSensitive(bm, STATE_RECOPY_TOKEN);
    return token && cJSON_IsString(had) && strcmp(had->valuestring, token) == 0;
}

static bool read_bookmarks(sl_run *L)
{
    for (size_t i = 0; i < L->n; i++) {
        lstream *ls = &L->streams[i];
        const char *id = ls->src->tap_stream_id;
        state_adopt_sdk_lsn(L->run->state, id); /* a MeltanoLabs bookmark becomes an lsn */
        const cJSON *lsn = state_get(L->run->state, id, "lsn");
        ls->need_copy = !lsn || !lsn_from_bookmark(lsn, &ls->lsn);
        if (lsn && ls->need_copy)
            log_warn("stream \"%s\": the lsn bookmark of the state is not an LSN: the table "
                     "is copied again",
                     id);
        /*
         * pipelinewise writes "xmin" during the initial copy of a LOG_BASED
         * stream and sets it to null when the copy is done: an lsn with an
         * xmin means the copy was interrupted, and the rows it did not reach
         * are not in the target.
         */
        const cJSON *xmin = state_get(L->run->state, id, "xmin");
        if (!ls->need_copy && xmin && !cJSON_IsNull(xmin)) {
            log_warn("stream \"%s\": the state says its initial copy was interrupted (an xmin "
                     "bookmark next to the lsn): the table is copied again as a new table version",
                     id);
            ls->need_copy = true;
        }
        /* what the target committed: the input state's bookmark, when it is still ours */
        uint64_t in;
        const cJSON *in_lsn = state_lsn_value(L->run->input_state, id);
        if (!ls->need_copy && in_lsn && lsn_from_bookmark(in_lsn, &in) && in == ls->lsn)
            ls->input_lsn = in;
        long long v;
        const cJSON *bm = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(L->run->state, "bookmarks"), id);
        ls->version = state_bm_get_int(bm, "version", &v) && v > 0 ? v : -1;
        /*
         * recopy_streams: copied again as a new table version (in chunks when it has a primary
         * key: chunked_copy_read drops a chunked copy in progress of an older request), the
         * other streams going on from their bookmarks. The token goes into the bookmark now,
         * so the STATE that first lacks the old position holds it: a run stopped later goes
         * on with this copy (its chunks) and does not start another.
         */
        cJSON *obm = state_bookmark(L->run->state, id);
        if (tap_recopy_begin(L->run, ls->src, obm)) {
            ls->need_copy = true;
            ls->recopy_asked = true;
            ls->input_lsn = 0;
            state_bm_remove(obm, "lsn");
            state_bm_remove(obm, "xmin");
        } else if (ls->need_copy && recopy_in_progress(L, id, obm)) {
            /*
             * The token is there but no position: the run that began this re-copy stopped
             * before it was done (a stream without a key is copied in one snapshot, the STATE
             * after an earlier stream's copy already held its token). It is still asked for,
             * so snapshot_mode never (below) does not turn it into a stream from now.
             */
            log_info("stream \"%s\": its re-copy (recopy_streams token \"%.100s\") was "
                     "interrupted: copied again from the start as a new table version",
                     id, tap_config_recopy_token(L->run->cfg, id));
            ls->recopy_asked = true;
        }
    }
    return true;
}

/*
 * check_via_root: with publish_via_partition_root = true the server sends a
 * partition's changes under the name of its topmost published ancestor
 * only: a partition selected together with an ancestor would get none of
 * them and go stale. Refused (exit 3) with the fix.
 */
static bool check_via_root(sl_run *L)
{
    if (pg_conn_server_version(L->c) < 130000)
        return true;
    const char *params[1] = {L->publication};
    PGresult *res =
        pg_conn_query(L->c, "SELECT pubviaroot FROM pg_publication WHERE pubname = $1", 1, params);
    if (!res)
        return fail(L, EXIT_SOURCE_DB);
    bool via_root = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    bool refused = false;
    for (size_t i = 0; via_root && i < L->n; i++) {
        const tap_stream *src = L->streams[i].src;
        const relmap_entry *e = relmap_find(&L->names, src->schema_name, src->table_name);
        if (!e || e->inherited)
            continue;
        for (int k = 0; k < e->count; k++) {
            const relmap_target *t = &L->targets[e->first + (size_t)k];
            if (t->own)
                continue;
            log_error("publication \"%s\" has publish_via_partition_root = true: the changes of "
                      "partition \"%s\".\"%s\" reach the slot under the name of its root only, "
                      "so stream \"%s\" (selected with stream \"%s\" of an ancestor) would get "
                      "none of them; the owner can run ALTER PUBLICATION \"%s\" SET "
                      "(publish_via_partition_root = false); or select only one of the two",
                      L->publication, src->schema_name, src->table_name, src->tap_stream_id,
                      L->streams[t->stream].src->tap_stream_id, L->publication);
            refused = true;
            break;
        }
    }
    return refused ? fail(L, EXIT_BAD_CONFIG) : true;
}

/*
 * ensure_publication: the publication publishes every stream's table and
 * every inheritance child below one (partitions come with their partitioned
 * table). A table that was not published before this run never had its
 * changes in the slot: each stream that reads its rows and has a bookmark is
 * copied again (a child created since the last run, a publication dropped
 * and made again).
 */
static bool ensure_publication(sl_run *L)
{
    size_t cap = L->n + L->names.n;
    logical_slot_table *tables = calloc(cap ? cap : 1, sizeof(*tables));
    size_t *entry = calloc(cap ? cap : 1, sizeof(*entry)); /* relmap entry of tables[n..] */
    bool *added = calloc(cap ? cap : 1, sizeof(*added));
    char *schemas = calloc(cap ? cap : 1, 256);
    bool ok = tables && entry && added && schemas;
    if (!ok) {
        log_error("out of memory");
        fail(L, EXIT_INTERNAL);
        goto done;
    }
    size_t n = 0;
    for (size_t i = 0; i < L->n; i++, n++) {
        tables[n].schema = L->streams[i].src->schema_name;
        tables[n].table = L->streams[i].src->table_name;
    }
    for (size_t i = 0; i < L->names.n; i++) {
        const relmap_entry *e = &L->names.entries[i];
        if (e->relkind != 'r' || !e->inherited)
            continue;
        bool own = false;
        for (int k = 0; k < e->count && !own; k++)
            own = L->targets[e->first + (size_t)k].own;
        if (own || !e->count)
            continue;
        relmap_key_schema(e->key, schemas + n * 256, 256);
        tables[n].schema = schemas + n * 256;
        tables[n].table = e->key + strcspn(e->key, "\x1f") + 1;
        entry[n++] = i;
    }
    if (!logical_slot_publication_ensure(L->c, L->publication, tables, (int)n, added)) {
        ok = fail(L, EXIT_SOURCE_DB);
        goto done;
    }
    if (!(ok = check_via_root(L)))
        goto done;
    for (size_t t = 0; t < n; t++) {
        if (!added[t])
            continue;
        const relmap_entry *e = t < L->n ? relmap_find(&L->names, tables[t].schema, tables[t].table)
                                         : &L->names.entries[entry[t]];
        for (int k = 0; e && k < e->count; k++) {
            lstream *ls = &L->streams[L->targets[e->first + (size_t)k].stream];
            if (ls->need_copy)
                continue;
            log_warn("stream \"%s\": table \"%s\".\"%s\" was not in publication \"%s\" "
                     "(created or made a child since the last run?): its changes until now never "
                     "reached the slot, so the stream is copied again as a new table version",
                     ls->src->tap_stream_id, tables[t].schema, tables[t].table, L->publication);
            ls->need_copy = true;
            ls->input_lsn = 0;
            cJSON *bm = state_bookmark(L->run->state, ls->src->tap_stream_id);
            if (bm) {
                state_bm_remove(bm, "lsn");
                state_bm_remove(bm, "xmin");
            }
        }
    }
done:
    free(tables);
    free(entry);
    free(added);
    free(schemas);
    return ok;
}

/*
 * missing_slot_why: why the state's bookmarks find no slot, into why (n bytes). A server
 * that is no standby and is on a timeline after the first was promoted (a former
 * standby, or a recovery that ended): the slot most likely lived on the old primary and
 * was not synced to this server, which only happens to a failover slot (failover_slot,
 * PostgreSQL 17+) on a standby with sync_replication_slots = on. The timeline comes from
 * IDENTIFY_SYSTEM on the replication connection (made now; the new slot needs it anyway),
 * which needs no privilege beyond REPLICATION, unlike pg_control_checkpoint(). False after
 * logging.
 */
static bool missing_slot_why(sl_run *L, char *why, size_t n)
{
    int timeline = 0;
    if (!L->standby) {
        if (!L->repl && !(L->repl = sl_run_repl_connect(L)))
            return false;
        repl_stream_identity id;
        if (!repl_stream_identify(L->repl, &id))
            return fail(L, EXIT_SOURCE_DB);
        timeline = id.timeline;
    }
    if (timeline > 1)
        snprintf(why, n,
                 "replication slot \"%s\" does not exist on this server, which was promoted "
                 "(timeline %d): the slot was not synced to it before the promotion (only a "
                 "slot made with failover_slot, on PostgreSQL 17 or later, is synchronized to a "
                 "standby with sync_replication_slots = on)",
                 L->slot, timeline);
    else
        snprintf(why, n, "replication slot \"%s\" does not exist (dropped?)", L->slot);
    return true;
}

bool setup_run(sl_run *L, setup_positions *out)
{
    tap_run *run = L->run;
    const tap_config *cfg = run->cfg;
    if (!logical_slot_names(cfg->root, L->slot, L->publication))
        return fail(L, EXIT_BAD_CONFIG);
    /* no slot named: a state of MeltanoLabs tap-postgres means its default slot, which holds
       the changes since that state (see state.h) */
    bool sdk_slot = false;
    for (size_t i = 0; !cfg->slot_name && !sdk_slot && i < L->n; i++)
        sdk_slot = state_is_sdk_lsn(run->state, L->streams[i].src->tap_stream_id);
    if (sdk_slot) {
        snprintf(L->slot, sizeof(L->slot), "%s", STATE_SDK_SLOT);
        log_info("using replication slot \"%s\", MeltanoLabs tap-postgres's default: the state "
                 "holds its LOG_BASED bookmarks (replication_key _sdc_lsn)",
                 L->slot);
    }
    const char *wanted = cfg->logical_decoding_plugin ? cfg->logical_decoding_plugin : "pgoutput";
    if (!logical_slot_plugin_known(wanted)) {
        log_error("config key logical_decoding_plugin: \"%s\" is not wal2json or pgoutput", wanted);
        return fail(L, EXIT_BAD_CONFIG);
    }
    if (!(L->c = tap_connect(run, false)))
        return false;

    PGresult *res = pg_conn_query(L->c, "SELECT pg_is_in_recovery(), current_database()", 0, NULL);
    if (!res)
        return fail(L, EXIT_SOURCE_DB);
    L->standby = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    char dbname[128];
    snprintf(dbname, sizeof(dbname), "%s", PQgetvalue(res, 0, 1));
    PQclear(res);
    if (L->standby && pg_conn_server_version(L->c) < 160000) {
        log_error("the source is a standby: logical decoding on a standby needs PostgreSQL 16 or "
                  "later (this is %d); point LOG_BASED at the primary",
                  pg_conn_server_version(L->c) / 10000);
        return fail(L, EXIT_SOURCE_DB);
    }
    if (L->standby)
        log_info("the source is a standby (in recovery): positions are its replay positions");
    if (!heartbeat_check(L))
        return false;
    if (cfg->failover_slot && (L->standby || pg_conn_server_version(L->c) < 170000)) {
        if (L->standby)
            log_error("failover_slot: the source is a standby, where a failover slot cannot be "
                      "made (the primary's failover slots are synchronized to a standby with "
                      "sync_replication_slots): remove failover_slot");
        else
            log_error("failover_slot: failover slots need PostgreSQL 17 or later (this is %d): "
                      "remove failover_slot",
                      pg_conn_server_version(L->c) / 10000);
        return fail(L, EXIT_BAD_CONFIG);
    }

    logical_slot_info info;
    if (!logical_slot_lookup(L->c, L->slot, &info))
        return fail(L, EXIT_SOURCE_DB);
    const char *tap_id = json_util_string(cfg->root, "tap_id", NULL);
    if (!info.exists && tap_id && *tap_id && !cfg->slot_name && !sdk_slot) {
        /*
         * pipelinewise looks for its older slot name first, the one without
         * tap_id, and uses it when it exists: so do we, or a slot that still
         * holds WAL would be left behind and the tables copied again.
         */
        const char *db = json_util_string(cfg->root, "dbname", NULL);
        char legacy[LOGICAL_NAME_MAX];
        logical_slot_info old;
        if (logical_slot_default_name(db ? db : json_util_string(cfg->root, "database", ""), NULL,
                                      legacy) &&
            logical_slot_lookup(L->c, legacy, &old) && old.exists && old.logical &&
            strcmp(old.database, dbname) == 0) {
            log_info("using replication slot \"%s\", pipelinewise's name without tap_id, which "
                     "exists (as pipelinewise does)",
                     legacy);
            snprintf(L->slot, sizeof(L->slot), "%s", legacy);
            info = old;
        }
    }
    /* a run killed a moment ago: its walsender lets the slot go once it notices */
    if (!logical_slot_await_release(L->c, L->slot, &info, SLOT_RELEASE_WAIT_SECONDS,
                                    &tap_stop_requested))
        return fail(L, EXIT_SOURCE_DB);
    if (tap_stop_requested && info.exists && info.active) {
        /* a signal in the wait: the stop asked for, not a slot in use */
        log_error("interrupted while waiting for replication slot \"%s\" (in use by pid %d)",
                  L->slot, info.active_pid);
        return fail(L, EXIT_INTERRUPTED);
    }
    if (info.exists && strcmp(info.wal_status, "lost") == 0 && !info.active &&
        cfg->lost_position_fail) {
        bool any = false;
        for (size_t i = 0; i < L->n; i++) {
            const char *id = L->streams[i].src->tap_stream_id;
            if (L->streams[i].src->snapshot_mode == TAP_SNAPSHOT_INITIAL_ONLY ||
                !state_get(run->state, id, "lsn"))
                continue;
            log_error("stream \"%s\": its lsn bookmark cannot be honoured: replication slot "
                      "\"%s\" was invalidated by the server (wal_status = lost), and "
                      "on_lost_position is fail (the slot is left as it is; drop it, and set "
                      "on_lost_position to recopy or remove the stream's bookmark, to copy the "
                      "table again)",
                      id, L->slot);
            any = true;
        }
        if (any)
            return fail(L, EXIT_SOURCE_DB);
    }
    if (info.exists && strcmp(info.wal_status, "lost") == 0 && !info.active) {
        /*
         * max_slot_wal_keep_size made the server invalidate the slot: it can
         * never be read again, and keeping it would fail every run. It is
         * replaced, and the streams are copied again (below).
         */
        log_warn("replication slot \"%s\" was invalidated by the server (wal_status = lost: it "
                 "held more WAL than max_slot_wal_keep_size allows): it is dropped and created "
                 "again, and the LOG_BASED tables are copied again",
                 L->slot);
        if (!logical_slot_drop(L->c, L->slot))
            return fail(L, EXIT_SOURCE_DB);
        info.exists = false;
    } else if (info.exists && strcmp(info.wal_status, "unreserved") == 0) {
        log_warn("replication slot \"%s\" holds more WAL than max_slot_wal_keep_size allows "
                 "(wal_status = unreserved): the server may invalidate it at the next "
                 "checkpoint, and the tables would then be copied again; run the tap more often",
                 L->slot);
    }
    L->slot_exists = info.exists;
    if (info.exists && cfg->failover_slot && !info.failover) {
        /* an existing slot made before failover_slot was set */
        if (!(L->repl = sl_run_repl_connect(L)))
            return false;
        if (!logical_slot_set_failover(L->repl, L->slot))
            return fail(L, EXIT_SOURCE_DB);
    }
    if (info.exists) {
        if (!logical_slot_usable(&info, L->slot, dbname))
            return fail(L, EXIT_SOURCE_DB);
        snprintf(L->plugin, sizeof(L->plugin), "%s", info.plugin);
        if (strcmp(info.plugin, wanted) != 0 && cfg->logical_decoding_plugin)
            log_info("slot \"%s\" uses %s and keeps it (logical_decoding_plugin = %s applies to "
                     "new slots)",
                     L->slot, info.plugin, wanted);
    } else {
        snprintf(L->plugin, sizeof(L->plugin), "%s", wanted);
    }
    if (!logical_slot_check_server(L->c, L->plugin))
        return fail(L, EXIT_SOURCE_DB);

    if (!read_bookmarks(L) || !relations_build_map(L) || !identity_check_descendants(L) ||
        !chunked_copy_read(L))
        return false;
    /* snapshot_mode initial_only: a bookmark only says the copy was made */
    for (size_t i = 0; i < L->n; i++) {
        lstream *ls = &L->streams[i];
        if (ls->src->snapshot_mode == TAP_SNAPSHOT_INITIAL_ONLY && !ls->need_copy)
            ls->copy_only = true;
    }
    bool lost = false;
    char missing[512] = "";
    for (size_t i = 0; i < L->n; i++) {
        lstream *ls = &L->streams[i];
        if (ls->need_copy || ls->copy_only)
            continue;
        char why[512];
        if (!info.exists) {
            if (!missing[0] && !missing_slot_why(L, missing, sizeof(missing)))
                return false;
            snprintf(why, sizeof(why), "%s", missing);
        } else if (ls->lsn < info.confirmed_flush_lsn) {
            /*
             * The slot no longer holds the transactions between the two
             * positions (an older state file, a stream selected again
             * after a pause, another consumer of the slot): streaming
             * from the bookmark would silently skip them.
             */
            char a[LSN_TEXT_MAX], b[LSN_TEXT_MAX];
            lsn_format(ls->lsn, a);
            lsn_format(info.confirmed_flush_lsn, b);
            snprintf(why, sizeof(why),
                     "the state's lsn %s is behind the slot's confirmed position %s (an older "
                     "state file, or the stream was not selected for a while): the changes in "
                     "between are gone from the slot",
                     a, b);
        } else {
            continue;
        }
        if (cfg->lost_position_fail) {
            log_error("stream \"%s\": its lsn bookmark cannot be honoured on slot \"%s\": %s; "
                      "on_lost_position is fail (set it to recopy, or remove the stream's "
                      "bookmark, to copy the table again)",
                      ls->src->tap_stream_id, L->slot, why);
            lost = true;
        } else if (ls->src->snapshot_mode == TAP_SNAPSHOT_NEVER) {
            log_warn("stream \"%s\": its lsn bookmark cannot be honoured because %s: with "
                     "snapshot_mode never it is not copied but streams from now on (the changes "
                     "in between are not in the target)",
                     ls->src->tap_stream_id, why);
            ls->need_copy = true; /* from now, below */
        } else if (!info.exists) {
            log_warn("stream \"%s\": its lsn bookmark cannot be honoured because %s: the table "
                     "is copied again as a new table version",
                     ls->src->tap_stream_id, why);
            ls->need_copy = true;
        } else {
            log_warn("stream \"%s\": %s, so the table is copied again as a new table version",
                     ls->src->tap_stream_id, why);
            ls->need_copy = true;
        }
    }
    if (lost)
        return fail(L, EXIT_SOURCE_DB);
    /*
     * A stream to be copied has no usable bookmark: drop the old one from the
     * output state now, so that no STATE written before its copy is complete
     * (e.g. after another stream's copy, then an interruption) still carries
     * it and makes the next run skip the copy.
     */
    for (size_t i = 0; i < L->n; i++) {
        lstream *ls = &L->streams[i];
        if (!ls->need_copy)
            continue;
        ls->input_lsn = 0;
        cJSON *bm = state_bookmark(L->run->state, ls->src->tap_stream_id);
        if (bm) {
            state_bm_remove(bm, "lsn");
            state_bm_remove(bm, "xmin");
        }
    }

    /* check, before changing anything, that the slots we need can be created */
    size_t ncopy = 0;
    for (size_t i = 0; i < L->n; i++)
        ncopy += L->streams[i].need_copy;
    if ((!info.exists || ncopy) && !logical_slot_check_capacity(L->c, 1))
        return fail(L, EXIT_SOURCE_DB);

    /* snapshot_mode initial_only: copied (now or before), then no changes */
    bool streaming = false;
    for (size_t i = 0; i < L->n; i++) {
        lstream *ls = &L->streams[i];
        if (ls->src->snapshot_mode == TAP_SNAPSHOT_INITIAL_ONLY)
            ls->copy_only = true;
        else
            streaming = true;
    }
    if (strcmp(L->plugin, "pgoutput") == 0) {
        /* no stream to read: no publication needed (the copies only need a snapshot) */
        if (streaming && (!ensure_publication(L) || !chunked_copy_publish(L)))
            return false;
        size_t now = 0;
        for (size_t i = 0; i < L->n; i++)
            now += L->streams[i].need_copy;
        if (info.exists && !ncopy && now && !logical_slot_check_capacity(L->c, 1))
            return fail(L, EXIT_SOURCE_DB);
        ncopy = now;
        L->pgo = decode_pgoutput_create();
    } else {
        L->w2j = decode_wal2json_create();
    }
    if (!L->pgo && !L->w2j)
        return fail(L, EXIT_INTERNAL);
    if (!identity_check(L) || !identity_warn_generated(L))
        return false;

    /* snapshot_mode never: a stream without a usable bookmark is not copied; it streams from
       now (its bookmark is set below) */
    for (size_t i = 0; i < L->n; i++) {
        lstream *ls = &L->streams[i];
        if (!ls->need_copy || ls->src->snapshot_mode != TAP_SNAPSHOT_NEVER || ls->recopy_asked)
            continue;
        ls->need_copy = false;
        ls->from_now = true;
        ncopy--;
        log_info("stream \"%s\": snapshot_mode never: not copied; its changes from now on are "
                 "streamed",
                 ls->src->tap_stream_id);
    }

    /* SCHEMA of every stream first (pipelinewise sends them at the start) */
    for (size_t i = 0; i < L->n; i++) {
        lstream *ls = &L->streams[i];
        if (!ls->need_copy && ls->version < 0) {
            ls->version = sl_run_new_version();
            record_builder_set_version(&ls->rb, ls->version, NULL);
        }
        if (!lstream_emit_schema(L, ls))
            return false;
    }
    /* the streams with a primary key are copied in chunks during the stream (chunked_copy.h) */
    if (!chunked_copy_start(L))
        return false;
    ncopy = 0;
    for (size_t i = 0; i < L->n; i++)
        ncopy += L->streams[i].need_copy;
    uint64_t slot_point = info.confirmed_flush_lsn;

    uint64_t now_lsn = 0; /* the bookmark of the streams that stream from now */
    if (!info.exists && streaming) {
        /* the slot itself exports the snapshot of the copies (on the replication connection
           made for missing_slot_why, if it was) */
        if (!L->repl && !(L->repl = sl_run_repl_connect(L)))
            return false;
        logical_slot_created created;
        if (!logical_slot_create(L->repl, L->slot, L->plugin, false, cfg->failover_slot,
                                 &tap_stop_requested, &created))
            return fail(L, created.interrupted ? EXIT_INTERRUPTED : EXIT_SOURCE_DB);
        slot_point = created.consistent_point;
        if (ncopy && !initial_copy_streams(L, created.snapshot, created.consistent_point))
            return false;
        now_lsn = created.consistent_point;
    } else if (ncopy && !initial_copy_in_temporary_slot(L)) {
        /* (with no stream to read, the main slot is never made: it would pin WAL for ever) */
        return false;
    }
    chunked_copy_positions(L, slot_point);
    if (tap_stop_requested) {
        log_error("interrupted after the initial copy");
        return fail(L, EXIT_INTERRUPTED);
    }
    out->stream = streaming;
    if (!streaming) {
        log_info("LOG_BASED: every stream is snapshot_mode initial_only: copied, nothing is "
                 "streamed");
        return true;
    }
    bool any_now = false;
    for (size_t i = 0; i < L->n; i++)
        any_now |= L->streams[i].from_now;
    if (any_now && !now_lsn) {
        res = pg_conn_query(L->c,
                            L->standby ? "SELECT pg_last_wal_replay_lsn()"
                                       : "SELECT pg_current_wal_insert_lsn()",
                            0, NULL);
        if (!res)
            return fail(L, EXIT_SOURCE_DB);
        bool parsed = !PQgetisnull(res, 0, 0) && lsn_parse(PQgetvalue(res, 0, 0), &now_lsn);
        PQclear(res);
        if (!parsed) {
            log_error("could not read the server's WAL position");
            return fail(L, EXIT_SOURCE_DB);
        }
    }
    if (any_now) {
        for (size_t i = 0; i < L->n; i++) {
            lstream *ls = &L->streams[i];
            if (ls->from_now)
                ls->lsn = now_lsn;
        }
        /* the bookmarks of the streams from now, at once: a run stopped later does not
           lose the changes after them */
        if (!sl_run_emit_state(L))
            return false;
    }

    /* where to start, what to confirm, where to stop */
    uint64_t start = UINT64_MAX, confirm = UINT64_MAX;
    for (size_t i = 0; i < L->n; i++) {
        lstream *ls = &L->streams[i];
        if (ls->copy_only)
            continue; /* its bookmark only says it was copied */
        if (ls->lsn < start)
            start = ls->lsn;
        if (ls->input_lsn && ls->input_lsn < confirm)
            confirm = ls->input_lsn;
    }
    if (confirm == UINT64_MAX || !info.exists)
        confirm = 0;
    /*
     * Never past a stream's start: a copy in chunks begun in this run on the existing slot
     * (a stream added, one asked for again by recopy_streams) starts at the slot's confirmed
     * position, behind the others' bookmarks. Confirming those would leave its bookmark in the
     * next STATEs behind the slot, and the run after an interruption would find its position
     * lost (and copy it once more, or fail) instead of resuming its chunks.
     */
    for (size_t i = 0; confirm && i < L->n; i++) {
        const lstream *ls = &L->streams[i];
        if (!ls->copy_only && ls->lsn < confirm)
            confirm = ls->lsn;
    }
    if (!L->repl && !(L->repl = sl_run_repl_connect(L)))
        return false;
    repl_stream_identity id;
    if (!repl_stream_identify(L->repl, &id))
        return fail(L, EXIT_SOURCE_DB);
    /*
     * break_at_end_lsn stops at the server's WAL position seen now: the insert
     * position, which holds every commit so far even when it is not flushed
     * yet (synchronous_commit = off); a standby's replay position.
     */
    uint64_t end_lsn = id.xlogpos;
    res = pg_conn_query(L->c,
                        L->standby ? "SELECT pg_last_wal_replay_lsn(), 0, 0"
                                   : "SELECT pg_current_wal_insert_lsn(), "
                                     "current_setting('wal_block_size')::bigint, "
                                     "(SELECT setting::bigint FROM pg_settings "
                                     "WHERE name = 'wal_segment_size')",
                        0, NULL);
    if (!res)
        return fail(L, EXIT_SOURCE_DB);
    if (!PQgetisnull(res, 0, 0) && lsn_parse(PQgetvalue(res, 0, 0), &end_lsn)) {
        /*
         * The insert position is where the next record goes: right after the
         * page header when the last record filled its page. Decoding reports
         * the end of the last record, before that header.
         */
        uint64_t page = strtoull(PQgetvalue(res, 0, 1), NULL, 10);
        uint64_t seg = PQgetisnull(res, 0, 2) ? 0 : strtoull(PQgetvalue(res, 0, 2), NULL, 10);
        if (seg && end_lsn % seg == XLOG_LONG_PHD)
            end_lsn -= XLOG_LONG_PHD;
        else if (page && end_lsn % page == XLOG_SHORT_PHD)
            end_lsn -= XLOG_SHORT_PHD;
    }
    PQclear(res);
    char a[LSN_TEXT_MAX], b[LSN_TEXT_MAX], e[LSN_TEXT_MAX];
    lsn_format(start, a);
    lsn_format(confirm, b);
    lsn_format(end_lsn, e);
    log_info("LOG_BASED: %zu stream(s) on slot \"%s\" (%s) from %s, confirming %s, server at %s",
             L->n, L->slot, L->plugin, a, b, e);
    out->start = start;
    out->confirm = confirm;
    out->end = end_lsn;
    return true;
}
