#include "snapshot_ranges.h"

#include "state.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void snapshot_ranges_free(snapshot_range *r, size_t n, size_t npk)
{
    for (size_t i = 0; r && i < n; i++) {
        free(r[i].lo);
        free(r[i].hi);
        if (r[i].resume)
            for (size_t k = 0; k < npk; k++)
                free(r[i].resume[k]);
        free(r[i].resume);
        cJSON_Delete(r[i].last_pk);
    }
    free(r);
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static bool is_int_type(const char *t)
{
    return strcmp(t, "smallint") == 0 || strcmp(t, "integer") == 0 || strcmp(t, "bigint") == 0;
}

/* ranges from cut points: (NULL, c0), [c0, c1), ..., [c_last, NULL) */
static snapshot_range *ranges_from_cuts(char **cuts, size_t ncuts, size_t *n)
{
    snapshot_range *r = calloc(ncuts + 1, sizeof(*r));
    if (!r)
        return NULL;
    bool ok = true;
    for (size_t i = 0; i <= ncuts; i++) {
        r[i].lo = i ? dup_or_null(cuts[i - 1]) : NULL;
        r[i].hi = i < ncuts ? dup_or_null(cuts[i]) : NULL;
        ok = ok && (i == 0 || r[i].lo) && (i == ncuts || r[i].hi);
    }
    *n = ncuts + 1;
    if (!ok) {
        snapshot_ranges_free(r, *n, 0);
        return NULL;
    }
    return r;
}

/* split a single integer key's [min, max] into about want ranges */
static snapshot_range *int_ranges(const char *smin, const char *smax, size_t want, size_t *n)
{
    long long lo = strtoll(smin, NULL, 10), hi = strtoll(smax, NULL, 10);
    __int128 span = (__int128)hi - lo + 1;
    if (span < (__int128)want)
        want = (size_t)span;
    char **cuts = calloc(want ? want : 1, sizeof(char *));
    if (!cuts)
        return NULL;
    size_t nc = 0;
    bool ok = true;
    for (size_t i = 1; i < want && ok; i++) {
        long long b = (long long)(lo + span * (__int128)i / (__int128)want);
        char tmp[32];
        snprintf(tmp, sizeof(tmp), "%lld", b);
        cuts[nc] = strdup(tmp);
        ok = cuts[nc++] != NULL;
    }
    snapshot_range *r = ok ? ranges_from_cuts(cuts, nc, n) : NULL;
    for (size_t i = 0; i < nc; i++)
        free(cuts[i]);
    free(cuts);
    return r;
}

snapshot_range *snapshot_ranges_plan(pg_conn *c, const tap_stream *s, size_t want,
                                     snapshot_range_kind *kind, size_t *n, const char **how)
{
    buf sql = BUF_INIT;
    PGresult *res = NULL;
    snapshot_range *r = NULL;
    *n = 0;
    if (s->npk == 0) {
        *kind = SNAPSHOT_RANGE_CTID;
        buf qn = BUF_INIT;
        tap_quoted_table(&qn, s);
        const char *p1[1] = {qn.data};
        /* a partitioned table has no blocks of its own: one range */
        res = buf_ok(&qn) ? pg_conn_query(c,
                                          "SELECT CASE WHEN c.relkind IN ('r', 'm') THEN "
                                          "pg_relation_size(c.oid) / "
                                          "current_setting('block_size')::bigint ELSE 0 END "
                                          "FROM pg_class c WHERE c.oid = $1::regclass",
                                          1, p1)
                          : NULL;
        buf_term(&qn);
        if (!res)
            goto done;
        long long blocks = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        *how = "ctid blocks";
        if (blocks <= 1) {
            r = ranges_from_cuts(NULL, 0, n);
            goto done;
        }
        r = int_ranges("0", PQgetvalue(res, 0, 0), want, n);
        /* int_ranges splits [0, blocks]: the cut points are block numbers */
        goto done;
    }
    *kind = SNAPSHOT_RANGE_KEY;
    const tap_column *k0 = &s->columns[s->pk_index[0]];
    if (s->npk == 1 && is_int_type(k0->sql_type)) {
        buf_append_lit(&sql, "SELECT min(");
        pg_conn_quote_ident(&sql, k0->name);
        buf_append_lit(&sql, ")::text, max(");
        pg_conn_quote_ident(&sql, k0->name);
        buf_append_lit(&sql, ")::text FROM ");
        tap_quoted_table(&sql, s);
        res = buf_ok(&sql) ? pg_conn_query(c, sql.data, 0, NULL) : NULL;
        if (!res)
            goto done;
        *how = "the key's min and max";
        if (PQgetisnull(res, 0, 0))
            r = ranges_from_cuts(NULL, 0, n);
        else
            r = int_ranges(PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), want, n);
        goto done;
    }
    /* other keys: the values ANALYZE saw of the first key column (histogram bounds and most
       common values), distinct, in the column's own order */
    buf_append_lit(&sql, "SELECT u.x::text FROM (SELECT DISTINCT x FROM unnest((SELECT "
                         "coalesce(histogram_bounds::text::");
    buf_appends(&sql, k0->cast_type);
    buf_append_lit(&sql, "[], '{}') || coalesce(most_common_vals::text::");
    buf_appends(&sql, k0->cast_type);
    buf_append_lit(&sql, "[], '{}') FROM pg_stats WHERE schemaname = $1 AND tablename = $2 AND "
                         "attname = $3 ORDER BY inherited DESC LIMIT 1)) AS d(x)) u ORDER BY "
                         "u.x");
    const char *p3[3] = {s->schema_name, s->table_name, k0->name};
    res = buf_ok(&sql) ? pg_conn_query(c, sql.data, 3, p3) : NULL;
    if (!res)
        goto done;
    int nb = PQntuples(res);
    *how = nb ? "the statistics of the first key column" : "no statistics (ANALYZE): one range";
    char **cuts = calloc(want ? want : 1, sizeof(char *));
    if (!cuts)
        goto done;
    size_t nc = 0;
    bool ok = true;
    for (size_t i = 1; nb > 1 && i < want && ok; i++) {
        const char *v = PQgetvalue(res, (int)((size_t)nb * i / want), 0);
        if (nc && strcmp(cuts[nc - 1], v) == 0)
            continue;
        cuts[nc] = strdup(v);
        ok = cuts[nc++] != NULL;
    }
    if (ok)
        r = ranges_from_cuts(cuts, nc, n);
    for (size_t i = 0; i < nc; i++)
        free(cuts[i]);
    free(cuts);
done:
    PQclear(res);
    buf_term(&sql);
    return r;
}

snapshot_range *snapshot_ranges_from_state(const cJSON *bm, const tap_stream *s, size_t *n)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(bm, SNAPSHOT_RANGES_KEY);
    *n = 0;
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0 || s->npk == 0)
        return NULL;
    size_t cnt = (size_t)cJSON_GetArraySize(arr);
    snapshot_range *r = calloc(cnt, sizeof(*r));
    if (!r)
        return NULL;
    size_t i = 0;
    const cJSON *e;
    bool ok = true;
    cJSON_ArrayForEach(e, arr)
    {
        const cJSON *lo = cJSON_GetObjectItemCaseSensitive(e, "lo");
        const cJSON *hi = cJSON_GetObjectItemCaseSensitive(e, "hi");
        const cJSON *pk = cJSON_GetObjectItemCaseSensitive(e, "last_pk_fetched");
        const cJSON *done = cJSON_GetObjectItemCaseSensitive(e, "done");
        if (!cJSON_IsObject(e) || !(cJSON_IsNull(lo) || cJSON_IsString(lo)) ||
            !(cJSON_IsNull(hi) || cJSON_IsString(hi)) || (i == 0) != cJSON_IsNull(lo) ||
            (i + 1 == cnt) != cJSON_IsNull(hi)) {
            ok = false;
            break;
        }
        r[i].lo = cJSON_IsString(lo) ? strdup(lo->valuestring) : NULL;
        r[i].hi = cJSON_IsString(hi) ? strdup(hi->valuestring) : NULL;
        r[i].done = r[i].from_state = cJSON_IsTrue(done);
        if (cJSON_IsObject(pk)) {
            r[i].last_pk = cJSON_Duplicate(pk, true);
            r[i].resume = calloc(s->npk, sizeof(char *));
            if (!r[i].resume || !r[i].last_pk) {
                ok = false;
                break;
            }
            for (size_t k = 0; k < s->npk && ok; k++) {
                const cJSON *v =
                    cJSON_GetObjectItemCaseSensitive(pk, s->columns[s->pk_index[k]].name);
                char tmp[40];
                const char *t =
                    cJSON_IsString(v) || cJSON_IsNumber(v) ? state_bm_value_text(v, tmp, 40) : NULL;
                r[i].resume[k] = t ? strdup(t) : NULL;
                ok = r[i].resume[k] != NULL;
            }
        }
        i++;
        if (!ok)
            break;
    }
    *n = cnt;
    if (!ok) {
        snapshot_ranges_free(r, cnt, s->npk);
        *n = 0;
        return NULL;
    }
    return r;
}

void snapshot_ranges_to_bookmark(cJSON *bm, const snapshot_range *ranges, size_t n)
{
    cJSON *arr = cJSON_CreateArray();
    if (!arr)
        return;
    for (size_t i = 0; i < n; i++) {
        const snapshot_range *r = &ranges[i];
        cJSON *o = cJSON_CreateObject();
        if (!o)
            break;
        cJSON_AddItemToObject(o, "lo", r->lo ? cJSON_CreateString(r->lo) : cJSON_CreateNull());
        cJSON_AddItemToObject(o, "hi", r->hi ? cJSON_CreateString(r->hi) : cJSON_CreateNull());
        if (r->last_pk)
            cJSON_AddItemToObject(o, "last_pk_fetched", cJSON_Duplicate(r->last_pk, true));
        cJSON_AddBoolToObject(o, "done", r->done);
        cJSON_AddItemToArray(arr, o);
    }
    state_bm_set_item(bm, SNAPSHOT_RANGES_KEY, arr);
    size_t first_open = 0;
    while (first_open < n && ranges[first_open].done)
        first_open++;
    const cJSON *safe = NULL;
    for (size_t i = first_open < n ? first_open + 1 : n; i-- > 0 && !safe;)
        safe = ranges[i].last_pk;
    if (safe)
        state_bm_set_item(bm, "last_pk_fetched", cJSON_Duplicate(safe, true));
    else
        state_bm_remove(bm, "last_pk_fetched");
}

static void and_where(buf *sql, bool *have_where)
{
    buf_appends(sql, *have_where ? " AND " : " WHERE ");
    *have_where = true;
}

bool snapshot_ranges_sql(const tap_stream *s, snapshot_range_kind kind, const snapshot_range *r,
                         buf *set, buf *sql, const char **params, int *np)
{
    const tap_column *k0 = s->npk ? &s->columns[s->pk_index[0]] : NULL;
    *np = 0;
    buf_append_lit(set, "SELECT 1");
    buf_append_lit(sql, "COPY (SELECT ");
    tap_select_list(sql, s);
    buf_append_lit(sql, " FROM ");
    tap_quoted_table(sql, s);
    bool have_where = false;
    if (kind == SNAPSHOT_RANGE_CTID) {
        /* block numbers of our own: no user value reaches the SQL text */
        if (r->lo) {
            and_where(sql, &have_where);
            buf_appendf(sql, "ctid >= '(%lld,0)'::tid", strtoll(r->lo, NULL, 10));
        }
        if (r->hi) {
            and_where(sql, &have_where);
            buf_appendf(sql, "ctid < '(%lld,0)'::tid", strtoll(r->hi, NULL, 10));
        }
    } else {
        const char *ends[2] = {r->lo, r->hi};
        for (int e = 0; e < 2; e++) {
            if (!ends[e])
                continue;
            params[*np] = ends[e];
            buf_appendf(set, ", set_config('tap_postgres.%s', $%d, true)", e ? "hi" : "lo", ++*np);
            and_where(sql, &have_where);
            pg_conn_quote_ident(sql, k0->name);
            buf_appendf(sql, " %s current_setting('tap_postgres.%s')::%s",
                        e ? "<" : ">=", e ? "hi" : "lo", k0->cast_type);
        }
        if (r->resume) {
            and_where(sql, &have_where);
            buf_putc(sql, '(');
            for (size_t k = 0; k < s->npk; k++) {
                if (k)
                    buf_putc(sql, ',');
                pg_conn_quote_ident(sql, s->columns[s->pk_index[k]].name);
            }
            buf_append_lit(sql, ") > (");
            for (size_t k = 0; k < s->npk; k++) {
                params[*np] = r->resume[k];
                buf_appendf(set, ", set_config('tap_postgres.pk%zu', $%d, true)", k, ++*np);
                buf_appendf(sql, "%scurrent_setting('tap_postgres.pk%zu')::%s", k ? "," : "", k,
                            s->columns[s->pk_index[k]].cast_type);
            }
            buf_putc(sql, ')');
        }
    }
    tap_append_where(sql, s, &have_where);
    if (s->npk) {
        buf_append_lit(sql, " ORDER BY ");
        for (size_t k = 0; k < s->npk; k++) {
            if (k)
                buf_putc(sql, ',');
            pg_conn_quote_ident(sql, s->columns[s->pk_index[k]].name);
        }
    }
    buf_append_lit(sql, ") TO STDOUT");
    return buf_ok(set) && buf_ok(sql);
}
