/*
 * fuzz_catalog_state: one JSON document read as the tap's catalog and as its state, as
 * catalog_load and state_load do after parsing the file. The catalog goes through
 * catalog_parse and, when it parses, catalog_bind against a hand-made database (table
 * public.t: id int4 primary key, a text, b timestamptz, n numeric; view public.v: x int8,
 * y date). The state goes through state_check and, when it passes, through what the sync
 * asks of it per stream (the LSN and replication key value, the method change, the
 * MeltanoLabs bookmark adoption) and state_write.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog.h"
#include "fuzz_util.h"
#include "json_util.h"
#include "lsn.h"
#include "singer.h"
#include "state.h"

static discovery_column cols[6];
static discovery_table tables[2];
static const discovery_column *pk[1];
static const discovery_table *by_name[2];
static discovery_db db;

static void make_db(void)
{
    static const struct {
        const char *name, *sql_type, *typname;
    } spec[6] = {
        {"id", "integer", "int4"},
        {"a", "text", "text"},
        {"b", "timestamp with time zone", "timestamptz"},
        {"n", "numeric", "numeric"},
        {"x", "bigint", "int8"},
        {"y", "date", "date"},
    };
    memset(cols, 0, sizeof(cols));
    for (int i = 0; i < 6; i++) {
        cols[i].name = spec[i].name;
        cols[i].sql_type = spec[i].sql_type;
        cols[i].cast_type = spec[i].sql_type;
        cols[i].attnum = i < 4 ? i + 1 : i - 3;
        cols[i].can_select = true;
        typemap_resolve(&cols[i].type, spec[i].typname, 'b', false, -1);
    }
    cols[0].is_pk = true;
    cols[0].not_null = true;
    pk[0] = &cols[0];
    memset(tables, 0, sizeof(tables));
    tables[0] = (discovery_table){.oid = 16400,
                                  .schema = "public",
                                  .name = "t",
                                  .relkind = 'r',
                                  .cols = cols,
                                  .ncols = 4,
                                  .pk = pk,
                                  .npk = 1};
    tables[1] = (discovery_table){.oid = 16401,
                                  .schema = "public",
                                  .name = "v",
                                  .relkind = 'v',
                                  .cols = cols + 4,
                                  .ncols = 2};
    by_name[0] = &tables[0];
    by_name[1] = &tables[1];
    memset(&db, 0, sizeof(db));
    db.dbname = "d";
    db.tables = tables;
    db.ntables = 2;
    db.by_name = by_name;
    db.cols = cols;
    db.ncols = 6;
}

static void fuzz_catalog(const cJSON *doc, size_t size)
{
    cJSON *root = cJSON_Duplicate(doc, true);
    if (!root)
        return;
    tap_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.itersize = 20000;
    cfg.limit = -1;
    cfg.max_record_count = -1;
    cfg.default_replication_method = size % 2 ? "LOG_BASED" : NULL;
    tap_catalog cat;
    if (catalog_parse(&cat, root, "catalog", &cfg))
        (void)catalog_bind(&cat, &db);
    catalog_term(&cat);
}

#define MAX_STREAMS 16

static void fuzz_state(const cJSON *doc)
{
    if (!state_check(doc, "state"))
        return;
    cJSON *st = cJSON_Duplicate(doc, true);
    if (!st)
        return;
    (void)state_currently_syncing(st);
    /* the stream ids first: the calls below may replace a bookmark */
    char *ids[MAX_STREAMS];
    int n = 0;
    const cJSON *bm;
    cJSON_ArrayForEach(bm, cJSON_GetObjectItemCaseSensitive(st, "bookmarks"))
    {
        if (n < MAX_STREAMS && bm->string)
            ids[n++] = strdup(bm->string);
    }
    for (int i = 0; i < n; i++) {
        const char *id = ids[i];
        if (!id)
            continue;
        char tmp[64];
        const cJSON *v = state_lsn_value(st, id);
        uint64_t lsn;
        if (cJSON_IsString(v))
            (void)lsn_parse(v->valuestring, &lsn);
        (void)state_bm_value_text(v, tmp, sizeof(tmp));
        (void)state_bm_value_text(state_get(st, id, "replication_key_value"), tmp, sizeof(tmp));
        const cJSON *pkf = state_get(st, id, "last_pk_fetched");
        const cJSON *m;
        cJSON_ArrayForEach(m, pkf)
        {
            (void)state_bm_value_text(m, tmp, sizeof(tmp));
        }
        long long version;
        cJSON *b = state_bookmark(st, id);
        if (b)
            (void)state_bm_get_int(b, "version", &version);
        (void)state_is_sdk_lsn(st, id);
        (void)state_adopt_sdk_lsn(st, id);
        state_prepare_stream(st, id, i % 2 ? "INCREMENTAL" : "LOG_BASED", "b");
        state_set_currently_syncing(st, id);
    }
    for (int i = 0; i < n; i++)
        free(ids[i]);
    static int devnull = -2;
    if (devnull == -2)
        devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (devnull >= 0) {
        singer_writer w;
        singer_writer_init(&w, devnull, 0);
        size_t bytes = 0;
        (void)state_write(st, &w, &bytes);
        (void)singer_writer_term(&w);
    }
    cJSON_Delete(st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_log_init();
    static bool db_made;
    if (!db_made) {
        make_db();
        db_made = true;
    }
    cJSON *doc = json_util_parse((const char *)data, size, NULL);
    if (!doc)
        return 0;
    fuzz_catalog(doc, size);
    fuzz_state(doc);
    cJSON_Delete(doc);
    return 0;
}
