#include "catalog.h"

#include "json_util.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

/* the metadata object of breadcrumb [] or ["properties", col] (col NULL for []) */
static const cJSON *find_metadata(const cJSON *entry, const char *col)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(entry, "metadata");
    const cJSON *m;
    cJSON_ArrayForEach(m, list)
    {
        const cJSON *bc = cJSON_GetObjectItemCaseSensitive(m, "breadcrumb");
        if (!cJSON_IsArray(bc))
            continue;
        int n = cJSON_GetArraySize(bc);
        if (!col && n == 0)
            return cJSON_GetObjectItemCaseSensitive(m, "metadata");
        if (col && n == 2) {
            const cJSON *a = cJSON_GetArrayItem(bc, 0), *b = cJSON_GetArrayItem(bc, 1);
            if (cJSON_IsString(a) && strcmp(a->valuestring, "properties") == 0 &&
                cJSON_IsString(b) && strcmp(b->valuestring, col) == 0)
                return cJSON_GetObjectItemCaseSensitive(m, "metadata");
        }
    }
    return NULL;
}

static int cmp_stream(const void *a, const void *b)
{
    return strcmp(((const tap_stream *)a)->tap_stream_id, ((const tap_stream *)b)->tap_stream_id);
}

bool catalog_parse(tap_catalog *out, cJSON *root, const char *what, const tap_config *cfg)
{
    memset(out, 0, sizeof(*out));
    out->root = root;
    const cJSON *streams = cJSON_GetObjectItemCaseSensitive(root, "streams");
    if (!cJSON_IsObject(root) || !cJSON_IsArray(streams)) {
        log_error("%s: expected an object with a \"streams\" array", what);
        return false;
    }
    int total = cJSON_GetArraySize(streams);
    out->streams = calloc(total ? (size_t)total : 1, sizeof(*out->streams));
    if (!out->streams) {
        log_error("out of memory");
        return false;
    }
    int idx = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, streams)
    {
        idx++;
        const char *id = json_util_string(e, "tap_stream_id", NULL);
        if (!cJSON_IsObject(e) || !id || !*id) {
            log_error("%s: stream #%d has no \"tap_stream_id\"", what, idx);
            return false;
        }
        const cJSON *md = find_metadata(e, NULL);
        if (!md || !json_util_is_true(cJSON_GetObjectItemCaseSensitive(md, "selected")))
            continue;
        tap_stream *s = &out->streams[out->n++];
        s->entry = e;
        s->rk_index = -1;
        s->tap_stream_id = id;
        s->table_name = json_util_string(e, "table_name", json_util_string(e, "stream", NULL));
        if (!s->table_name) {
            log_error("%s: stream \"%s\" has no \"table_name\"", what, id);
            return false;
        }
        s->schema_name = json_util_string(md, "schema-name", NULL);
        if (!s->schema_name) {
            log_error("%s: stream \"%s\" has no \"schema-name\" in its metadata", what, id);
            return false;
        }
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(md, "replication-method");
        const char *method = cJSON_IsString(m) ? m->valuestring : NULL;
        if (m && !cJSON_IsNull(m) && !cJSON_IsString(m)) {
            log_error("%s: stream \"%s\": replication-method must be a string", what, id);
            return false;
        }
        /* a Singer SDK catalog (MeltanoLabs) also carries them at the top of the entry */
        if (!method || !*method)
            method = json_util_string(e, "replication_method", NULL);
        if (!method || !*method)
            method = cfg->default_replication_method;
        if (!method) {
            log_error("%s: stream \"%s\" has no replication-method in its metadata and the "
                      "config has no default_replication_method",
                      what, id);
            return false;
        }
        if (!tap_config_method_valid(method)) {
            log_error("%s: stream \"%s\": unknown replication method \"%.60s\" (expected "
                      "FULL_TABLE, INCREMENTAL or LOG_BASED)",
                      what, id, method);
            return false;
        }
        s->method_name = method;
        s->method = strcmp(method, "FULL_TABLE") == 0    ? TAP_FULL_TABLE
                    : strcmp(method, "INCREMENTAL") == 0 ? TAP_INCREMENTAL
                                                         : TAP_LOG_BASED;
        if (s->method == TAP_INCREMENTAL) {
            s->replication_key = json_util_string(md, "replication-key", NULL);
            if (!s->replication_key || !*s->replication_key)
                s->replication_key = json_util_string(e, "replication_key", NULL);
            if (!s->replication_key || !*s->replication_key) {
                log_error("%s: stream \"%s\": INCREMENTAL replication needs a replication-key in "
                          "its metadata",
                          what, id);
                return false;
            }
        }
        s->snapshot_mode = cfg->snapshot_mode;
        const char *sm = json_util_string(md, "snapshot-mode", NULL);
        if (sm && *sm && !tap_config_snapshot_mode(sm, &s->snapshot_mode)) {
            log_error("%s: stream \"%s\": snapshot-mode must be initial, never or initial_only, "
                      "got \"%.60s\"",
                      what, id, sm);
            return false;
        }
        if (sm && *sm && s->method != TAP_LOG_BASED)
            log_warn("%s: stream \"%s\": snapshot-mode applies to LOG_BASED streams only "
                     "(ignored)",
                     what, id);
        /* LOG_BASED: the copy is filtered in its query, the changes by row_filter.h */
        s->where_clauses = tap_config_where_clauses(cfg, id);
        const cJSON *props = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(e, "schema"), "properties");
        if (props && !cJSON_IsObject(props)) {
            log_error("%s: stream \"%s\": schema.properties must be an object", what, id);
            return false;
        }
    }
    for (size_t i = 0; i + 1 < out->n; i++)
        for (size_t j = i + 1; j < out->n; j++)
            if (strcmp(out->streams[i].tap_stream_id, out->streams[j].tap_stream_id) == 0) {
                log_error("%s: stream \"%s\" is listed twice", what, out->streams[i].tap_stream_id);
                return false;
            }
    qsort(out->streams, out->n, sizeof(*out->streams), cmp_stream);
    /* a stream_options key that names no selected stream is most likely a typo */
    const cJSON *so;
    cJSON_ArrayForEach(so, cfg->stream_options)
    {
        bool found = false;
        for (size_t i = 0; i < out->n && !found; i++)
            found = strcmp(out->streams[i].tap_stream_id, so->string) == 0;
        if (!found)
            log_warn("config key stream_options names stream \"%.100s\", which is not a "
                     "selected stream of the catalog (stream ids are \"<schema>-<table>\")",
                     so->string);
    }
    /* a re-copy asked for a stream the run does not sync would silently never happen */
    const cJSON *rc;
    cJSON_ArrayForEach(rc, cfg->recopy_streams)
    {
        bool selected = false, listed = false;
        for (size_t i = 0; i < out->n && !selected; i++)
            selected = strcmp(out->streams[i].tap_stream_id, rc->string) == 0;
        cJSON_ArrayForEach(e, streams)
        {
            const char *id = json_util_string(e, "tap_stream_id", NULL);
            listed = listed || (id && strcmp(id, rc->string) == 0);
        }
        if (selected)
            continue;
        if (listed)
            log_error("config key recopy_streams: stream \"%.100s\" is not selected in the %s "
                      "(select it, or remove it from recopy_streams)",
                      rc->string, what);
        else
            log_error("config key recopy_streams: stream \"%.100s\" is not in the %s (stream "
                      "ids are \"<schema>-<table>\")",
                      rc->string, what);
        return false;
    }
    return true;
}

bool catalog_load(tap_catalog *out, const char *path, const tap_config *cfg)
{
    memset(out, 0, sizeof(*out));
    cJSON *root = json_util_parse_file(path, "catalog");
    if (!root)
        return false;
    char what[512];
    snprintf(what, sizeof(what), "catalog \"%s\"", path);
    return catalog_parse(out, root, what, cfg);
}

/* how the catalog treats a column: 1 synced, 0 not synced, -1 not listed */
static int column_choice(const tap_stream *s, const char *name)
{
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(s->entry, "schema"), "properties");
    const cJSON *md = find_metadata(s->entry, name);
    if (!cJSON_GetObjectItemCaseSensitive(props, name) && !md)
        return -1;
    const char *inclusion = json_util_string(md, "inclusion", NULL);
    if (inclusion && strcmp(inclusion, "automatic") == 0)
        return 1;
    if (inclusion && strcmp(inclusion, "unsupported") == 0)
        return 0;
    const cJSON *sel = cJSON_GetObjectItemCaseSensitive(md, "selected");
    if (sel && !cJSON_IsNull(sel))
        return json_util_is_true(sel) ? 1 : 0;
    return 1;
}

/* name is one of the view's view-key-properties */
static bool is_view_key(const tap_stream *s, const char *name)
{
    if (!s->is_view)
        return false;
    const cJSON *vk =
        cJSON_GetObjectItemCaseSensitive(find_metadata(s->entry, NULL), "view-key-properties");
    const cJSON *k;
    cJSON_ArrayForEach(k, vk)
    {
        if (cJSON_IsString(k) && strcmp(k->valuestring, name) == 0)
            return true;
    }
    return false;
}

static bool bind_stream(tap_stream *s, const discovery_db *db)
{
    const discovery_table *t = discovery_find(db, s->schema_name, s->table_name);
    if (!t) {
        log_error("stream \"%s\": table \"%s\".\"%s\" does not exist in database \"%s\" (or is "
                  "not readable)",
                  s->tap_stream_id, s->schema_name, s->table_name, db->dbname);
        return false;
    }
    s->table = t;
    s->is_view = discovery_is_view(t);
    /* every column the catalog selects must exist and be readable */
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(s->entry, "schema"), "properties");
    const cJSON *p;
    cJSON_ArrayForEach(p, props)
    {
        if (column_choice(s, p->string) != 1)
            continue;
        const discovery_column *c = discovery_column_find(t, p->string);
        if (!c || !c->can_select) {
            log_error("stream \"%s\": column \"%s\" does not exist in \"%s\".\"%s\"%s",
                      s->tap_stream_id, p->string, s->schema_name, s->table_name,
                      c ? " (no SELECT privilege)" : "");
            return false;
        }
    }
    if (s->replication_key) {
        const discovery_column *c = discovery_column_find(t, s->replication_key);
        if (!c || !c->can_select) {
            log_error("stream \"%s\": replication-key \"%s\" is not a column of \"%s\".\"%s\"",
                      s->tap_stream_id, s->replication_key, s->schema_name, s->table_name);
            return false;
        }
    }
    s->columns = calloc(t->ncols ? t->ncols : 1, sizeof(*s->columns));
    s->pk_index = calloc(t->npk ? t->npk : 1, sizeof(*s->pk_index));
    if (!s->columns || !s->pk_index)
        goto oom;
    for (size_t i = 0; i < t->ncols; i++) {
        const discovery_column *c = &t->cols[i];
        if (!c->can_select)
            continue;
        int choice = column_choice(s, c->name);
        bool is_rk = s->replication_key && strcmp(s->replication_key, c->name) == 0;
        /* key columns are always sent: a record without its key cannot be merged */
        if (choice == 0 && !c->is_pk && !is_rk && !is_view_key(s, c->name))
            continue;
        if (choice == -1)
            log_info("stream \"%s\": column \"%s\" is not in the catalog (added since "
                     "discovery?): it is synced",
                     s->tap_stream_id, c->name);
        tap_column *tc = &s->columns[s->ncolumns];
        tc->name = c->name;
        tc->sql_type = c->sql_type;
        tc->cast_type = c->cast_type;
        tc->is_pk = c->is_pk;
        tc->type = c->type;
        if (is_rk)
            s->rk_index = (int)s->ncolumns;
        s->ncolumns++;
    }
    if (s->ncolumns == 0) {
        log_error("stream \"%s\": no column is selected", s->tap_stream_id);
        return false;
    }
    /* key properties: the primary key of a table, view-key-properties of a view */
    if (!s->is_view) {
        s->key_properties = calloc(t->npk ? t->npk : 1, sizeof(*s->key_properties));
        if (!s->key_properties)
            goto oom;
        for (size_t k = 0; k < t->npk; k++) {
            s->key_properties[s->nkeys++] = t->pk[k]->name;
            for (size_t i = 0; i < s->ncolumns; i++)
                if (s->columns[i].name == t->pk[k]->name)
                    s->pk_index[s->npk++] = (int)i;
        }
    } else {
        const cJSON *md = find_metadata(s->entry, NULL);
        const cJSON *vk = cJSON_GetObjectItemCaseSensitive(md, "view-key-properties");
        int n = cJSON_IsArray(vk) ? cJSON_GetArraySize(vk) : 0;
        s->key_properties = calloc(n ? (size_t)n : 1, sizeof(*s->key_properties));
        if (!s->key_properties)
            goto oom;
        const cJSON *k;
        cJSON_ArrayForEach(k, vk)
        {
            const discovery_column *c =
                cJSON_IsString(k) ? discovery_column_find(t, k->valuestring) : NULL;
            if (!c) {
                log_error("stream \"%s\": view-key-properties names \"%s\", which is not a "
                          "column of the view",
                          s->tap_stream_id, cJSON_IsString(k) ? k->valuestring : "?");
                return false;
            }
            s->key_properties[s->nkeys++] = c->name;
        }
    }
    return true;
oom:
    log_error("out of memory");
    return false;
}

bool catalog_bind(tap_catalog *cat, const discovery_db *db)
{
    for (size_t i = 0; i < cat->n; i++)
        if (!bind_stream(&cat->streams[i], db))
            return false;
    return true;
}

void catalog_term(tap_catalog *cat)
{
    if (!cat)
        return;
    for (size_t i = 0; i < cat->n; i++) {
        free(cat->streams[i].columns);
        free(cat->streams[i].key_properties);
        free(cat->streams[i].pk_index);
    }
    free(cat->streams);
    cJSON_Delete(cat->root);
    memset(cat, 0, sizeof(*cat));
}
