#include "truncate.h"

#include <stdlib.h>
#include <string.h>

#include "exit_codes.h"
#include "log.h"
#include "lstream.h"
#include "relations.h"
#include "timefmt.h"

/* collect_truncate: remember that relation rel of the TRUNCATE is one of stream si's */
static bool collect_truncate(sl_run *L, int si, bool own, const change_relation *rel)
{
    if (L->ntrunc == L->cap_trunc) {
        size_t cap = L->cap_trunc ? L->cap_trunc * 2 : 8;
        trunc_rel *grown = realloc(L->trunc, cap * sizeof(*grown));
        if (!grown) {
            log_error("out of memory");
            return fail(L, EXIT_INTERNAL);
        }
        L->trunc = grown;
        L->cap_trunc = cap;
    }
    trunc_rel *t = &L->trunc[L->ntrunc++];
    t->stream = si;
    t->own = own;
    t->name = L->trunc_names.len;
    buf_append(&L->trunc_names, rel->schema, strlen(rel->schema) + 1);
    buf_append(&L->trunc_names, rel->table, strlen(rel->table) + 1);
    if (!buf_ok(&L->trunc_names)) {
        log_error("out of memory");
        return fail(L, EXIT_INTERNAL);
    }
    return true;
}

/* truncate_collect: collect the relations of a TRUNCATE (acted upon by truncate_flush) */
bool truncate_collect(sl_run *L, const change *c)
{
    for (int i = 0; i < c->nrelations; i++) {
        const change_relation *rel = c->relations[i];
        size_t first;
        int count;
        if (!relations_resolve(L, rel->schema, rel->table, &first, &count))
            return false;
        for (int k = 0; k < count; k++) {
            relmap_target tg = L->targets[first + (size_t)k];
            if (!collect_truncate(L, tg.stream, tg.own, rel))
                return false;
        }
    }
    return true;
}

/* was relation schema.table of stream si among the collected TRUNCATE relations? */
static bool truncated(const sl_run *L, int si, const char *schema, const char *table)
{
    for (size_t k = 0; k < L->ntrunc; k++) {
        const char *n = L->trunc_names.data + L->trunc[k].name;
        if (L->trunc[k].stream == si && strcmp(n, schema) == 0 &&
            strcmp(n + strlen(n) + 1, table) == 0)
            return true;
    }
    return false;
}

/*
 * whole_table_truncated: did the collected TRUNCATE empty every table that
 * holds rows of stream si (its own table unless partitioned, and every
 * partition or inheritance child below it)? -1 after a failed query
 * (logged). A TRUNCATE of a partitioned table arrives as its partitions with
 * pgoutput (publish_via_partition_root false), and TRUNCATE ONLY of an
 * inheritance parent leaves its children's rows.
 */
static int whole_table_truncated(sl_run *L, int si)
{
    PGresult *res = relations_descendants(L, (size_t)si, 1);
    if (!res)
        return -1;
    int all = 1;
    for (int r = 0; r < PQntuples(res) && all; r++)
        if (PQgetvalue(res, r, 3)[0] == 'r')
            all = truncated(L, si, PQgetvalue(res, r, 1), PQgetvalue(res, r, 2));
    PQclear(res);
    return all;
}

/*
 * truncate_flush: act upon the collected TRUNCATE, once per stream. Every
 * table holding the stream's rows emptied: a new table version and
 * ACTIVATE_VERSION (the target drops the older rows). Only part of them (a
 * partition, an inheritance child, TRUNCATE ONLY of a parent): the target
 * cannot be told which rows went, so the stream takes no more changes and is
 * copied again at the end of the run as a new table version (its lsn
 * bookmark is left out of the STATE until then).
 */
bool truncate_flush(sl_run *L)
{
    bool ok = true;
    for (size_t k = 0; k < L->ntrunc && ok; k++) {
        int si = L->trunc[k].stream;
        bool seen = false, own = false;
        for (size_t j = 0; j < L->ntrunc; j++) {
            if (L->trunc[j].stream != si)
                continue;
            if (j < k)
                seen = true;
            own = own || L->trunc[j].own;
        }
        lstream *ls = &L->streams[si];
        if (seen || !sl_run_applies(L, ls))
            continue;
        bool partitioned = ls->src->table && ls->src->table->relkind == 'p';
        bool whole;
        if (partitioned && own)
            whole = true; /* the partitioned table itself: all of it */
        else if (!ls->has_descendants)
            whole = own;
        else if (!partitioned && !own)
            whole = false; /* the stream's own table keeps its rows */
        else {
            int w = whole_table_truncated(L, si);
            if (w < 0) {
                ok = false;
                break;
            }
            whole = w == 1;
        }
        if (!whole) {
            const char *n = L->trunc_names.data + L->trunc[k].name;
            log_warn("stream \"%s\": TRUNCATE of \"%s\".\"%s\"%s empties only part of the "
                     "stream's rows: the stream takes no more changes and is copied again at "
                     "the end of the run (as a new table version)",
                     ls->src->tap_stream_id, n, n + strlen(n) + 1,
                     L->trunc[k].own ? " alone (ONLY)" : "");
            ls->recopy = true;
            L->changes_since_state++;
            continue;
        }
        /* a new table version: ACTIVATE_VERSION makes the target drop the older rows */
        long long v = timefmt_now_ms();
        if (v <= ls->version)
            v = ls->version + 1;
        ls->version = v;
        ls->tail_time[0] = '\0';
        log_info("stream \"%s\": TRUNCATE, new table version %lld", ls->src->tap_stream_id, v);
        if (ls->need_schema && !lstream_emit_schema(L, ls)) {
            ok = false;
            break;
        }
        if (!tap_emit_activate_version(L->run, &ls->view, v)) {
            ok = false;
            break;
        }
        L->changes_since_state++;
    }
    L->ntrunc = 0;
    buf_reset(&L->trunc_names);
    return ok;
}
