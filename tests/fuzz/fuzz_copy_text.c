/*
 * fuzz_copy_text: the tap's FULL_TABLE row path without a database: rows of COPY ... TO
 * STDOUT text (one per input line, each with its '\n', in a copy of its exact size) split by
 * copy_text_split, then every field converted by the typemap into a RECORD with record_builder, as
 * tap_sync.c does. The first input byte picks the column types (column i gets
 * types[(byte + i) % N]) and two options (dates_as_string, special_numbers_as_strings).
 *
 * Check: typemap_value never fails and writes a JSON value, so the record is one valid JSON
 * object, except when a json/jsonb column (whose text is passed through as it is) holds
 * text that is not JSON, which PostgreSQL never prints.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "copy_text.h"
#include "fuzz_util.h"
#include "json_util.h"
#include "record_builder.h"
#include "typemap.h"

typedef struct col_type {
    const char *typname;
    char typtype;
    bool is_array;
    int typmod;
} col_type;

static const col_type types[] = {
    {"int4", 'b', false, -1},        {"numeric", 'b', false, -1}, {"text", 'b', false, -1},
    {"timestamptz", 'b', false, -1}, {"int8", 'b', false, -1},    {"float8", 'b', false, -1},
    {"bool", 'b', false, -1},        {"date", 'b', false, -1},    {"timestamp", 'b', false, -1},
    {"time", 'b', false, -1},        {"timetz", 'b', false, -1},  {"bit", 'b', false, 1},
    {"hstore", 'b', false, -1},      {"json", 'b', false, -1},    {"jsonb", 'b', false, -1},
    {"int4", 'b', true, -1},         {"text", 'b', true, -1},     {"numeric", 'b', true, -1},
    {"timestamptz", 'b', true, -1},  {"bool", 'b', true, -1},     {"date", 'b', true, -1},
    {"box", 'b', true, -1},          {"hstore", 'b', true, -1},   {"json", 'b', true, -1},
    {"float4", 'b', true, -1},       {"time", 'b', true, -1},     {"mood", 'e', false, -1},
    {"int4range", 'r', false, -1},   {"int2", 'b', false, -1},    {"bytea", 'b', false, -1},
    {"interval", 'b', false, -1},    {"bit", 'b', true, 1},       {"float4", 'b', false, -1},
    {"uuid", 'b', false, -1},
};
#define NTYPES (sizeof(types) / sizeof(types[0]))
#define MAXCOLS 64

static bool is_json_kind(typemap_kind k)
{
    return k == TM_JSON || k == TM_JSON_OBJ;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_log_init();
    if (size < 1)
        return 0;
    unsigned pick = data[0];
    typemap_options opts = {.dates_as_string = (pick & 0x80) != 0,
                            .json_as_object = (pick & 0x40) != 0};
    typemap_set_options(&opts);
    typemap_ctx tm;
    typemap_ctx_init(&tm);
    tm.special_numbers_as_strings = (pick & 0x20) != 0;
    copy_text_decoder ct;
    copy_text_init(&ct);
    buf out = BUF_INIT;
    typemap_type resolved[MAXCOLS];
    const typemap_type *tptr[MAXCOLS];
    char namebuf[MAXCOLS][8];
    const char *names[MAXCOLS];
    bool has_json[MAXCOLS];
    for (size_t i = 0; i < MAXCOLS; i++) {
        const col_type *c = &types[(pick + i) % NTYPES];
        typemap_resolve(&resolved[i], c->typname, c->typtype, c->is_array, c->typmod);
        tptr[i] = &resolved[i];
        snprintf(namebuf[i], sizeof(namebuf[i]), "c%zu", i);
        names[i] = namebuf[i];
        has_json[i] = is_json_kind(resolved[i].kind) || is_json_kind(resolved[i].elem_kind);
    }
    record_builder rb;
    memset(&rb, 0, sizeof(rb));
    if (!record_builder_init(&rb, &tm, "public-t", names, tptr, MAXCOLS))
        goto done;
    record_builder_set_version(&rb, 1, "2026-01-01T00:00:00.000000Z");

    size_t pos = 1;
    while (pos < size) {
        const uint8_t *nl = memchr(data + pos, '\n', size - pos);
        size_t len = nl ? (size_t)(nl - (data + pos)) + 1 : size - pos;
        char *row = fuzz_dup_exact(data + pos, len);
        pos += len;
        bool ok = copy_text_split(&ct, row, len);
        if (ok && ct.n <= MAXCOLS) {
            buf_reset(&out);
            record_builder_begin(&rb, &out);
            bool json_col = false;
            for (size_t i = 0; i < ct.n; i++) {
                if (ct.fields[i].null) {
                    record_builder_null(&rb, i);
                } else {
                    record_builder_value(&rb, i, ct.fields[i].p, ct.fields[i].len);
                    json_col |= has_json[i];
                }
            }
            record_builder_end(&rb);
            FUZZ_CHECK(buf_ok(&out), "out of memory");
            if (!json_col) {
                size_t off = 0;
                cJSON *rec = json_util_parse(out.data, out.len, &off);
                FUZZ_CHECK(rec != NULL, "the record is not JSON at byte %zu: %s", off, out.data);
                cJSON_Delete(rec);
            }
        }
        free(row);
    }
done:
    record_builder_term(&rb);
    buf_term(&out);
    copy_text_term(&ct);
    typemap_ctx_term(&tm);
    return 0;
}
