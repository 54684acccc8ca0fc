/*
 * fuzz_target_records: the Singer line reader and the target's record-to-COPY path, without
 * a database: the input (after its first byte) is read through singer_reader from a memory
 * file, as the target reads stdin; each line is tokenized with jscan_parse; a SCHEMA builds
 * the stream's table_def with table_def_create; a RECORD is checked with validate_check when the
 * config validates, and converted by stream_add_record into one COPY text row of the
 * stream's batch (value conversion and COPY escaping), as messages.c's handlers do before a flush.
 * The first byte picks the config: validate_records, add_metadata_columns, hard_delete,
 * data_flattening_max_level, the NUL policy, interpret_content_encoding, and a short
 * max_line_bytes.
 *
 * Check: every row stream_add_record appends is one COPY text line that the tap's own
 * COPY text splitter (tap-postgres/copy_text.c) cuts into exactly the table's loaded columns,
 * the sequence and the absent mask.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "buf.h"
#include "copy_text.h"
#include "fuzz_util.h"
#include "jscan.h"
#include "json_util.h"
#include "singer.h"
#include "stream.h"
#include "table_def.h"
#include "tconfig.h"
#include "validate.h"

#define MAX_STREAMS 4

typedef struct harness {
    tconfig cfg;
    conv_ctx cx;
    jscan js;
    copy_text_decoder ct;
    stream *streams[MAX_STREAMS];
    size_t nstreams;
    int64_t seq;
} harness;

static stream *find_stream(harness *h, const char *name, size_t n)
{
    for (size_t i = 0; i < h->nstreams; i++)
        if (h->streams[i]->namelen == n && memcmp(h->streams[i]->name, name, n) == 0)
            return h->streams[i];
    return NULL;
}

static void on_schema(harness *h, const char *line, size_t len)
{
    cJSON *msg = json_util_parse(line, len, NULL);
    const char *name = msg ? json_util_string(msg, "stream", NULL) : NULL;
    char err[1024];
    table_def *d = name ? table_def_create(name, msg, &h->cfg, err, sizeof(err)) : NULL;
    if (!d) {
        if (name)
            log_debug("SCHEMA of \"%s\": %s", name, err);
        cJSON_Delete(msg);
        return;
    }
    stream *st = find_stream(h, name, strlen(name));
    if (!st && h->nstreams < MAX_STREAMS) {
        st = stream_create(name, strlen(name));
        if (st)
            h->streams[h->nstreams++] = st;
    }
    if (st) {
        /* rows of the old shape would load with the old definition: start a new batch */
        batch_reset(st->cur);
        table_def_unref(st->def);
        st->def = d;
        buf cols = BUF_INIT;
        table_def_copy_columns(d, &cols);
        buf_term(&cols);
    } else {
        table_def_unref(d);
    }
    cJSON_Delete(msg);
}

static void on_record(harness *h, const char *line, size_t len, int64_t line_no)
{
    int stok = jscan_find(&h->js, line, 0, "stream");
    if (stok == JSCAN_NOT_FOUND || h->js.toks[stok].type != J_STRING ||
        (h->js.toks[stok].flags & JF_ESCAPED))
        return;
    const jscan_tok *s = &h->js.toks[stok];
    stream *st = find_stream(h, line + s->start, s->end - s->start);
    if (!st || !st->def)
        return;
    int rec = jscan_find(&h->js, line, 0, "record");
    if (rec == JSCAN_NOT_FOUND || h->js.toks[rec].type != J_OBJECT)
        return;
    if (st->def->val) {
        const jscan_tok *r = &h->js.toks[rec];
        cJSON *tree = json_util_parse(line + r->start, r->end - r->start, NULL);
        char err[1024] = "";
        bool ok = tree && validate_check(st->def->val, tree, err, sizeof(err));
        cJSON_Delete(tree);
        if (!ok) {
            log_debug("line %lld: record does not match the schema: %s", (long long)line_no, err);
            return;
        }
    }
    int vtok = jscan_find(&h->js, line, 0, "version");
    int ttok = jscan_find(&h->js, line, 0, "time_extracted");
    char err[1024];
    batch *b = st->cur;
    size_t before = b->data.len, rows = b->rows;
    stream_record_view rv = {line, &h->js, rec, vtok, ttok, line_no, h->seq + 1};
    if (!stream_add_record(st, &h->cx, &rv, err, sizeof(err))) {
        log_debug("line %lld: %s", (long long)line_no, err);
        FUZZ_CHECK(b->rows == rows, "a failed record added a row");
        return;
    }
    h->seq++;
    FUZZ_CHECK(b->rows == rows + 1, "one record, %zu rows", b->rows - rows);
    const char *row = b->data.data + before;
    size_t n = b->data.len - before;
    FUZZ_CHECK(n > 0 && row[n - 1] == '\n' && memchr(row, '\n', n - 1) == NULL,
               "the row is not one line: %.*s", (int)n, row);
    FUZZ_CHECK(copy_text_split(&h->ct, row, n), "the row is not COPY text: %.*s", (int)n, row);
    /* the row: the columns the COPY loads (all but _sdc_batched_at), the sequence, and the
       absent mask (\N, or a '0'/'1' per column) */
    size_t loaded = 0;
    for (size_t c = 0; c < st->def->cs.ncols; c++)
        loaded += st->def->cs.cols[c].meta != META_BATCHED_AT;
    FUZZ_CHECK(h->ct.n == loaded + 2, "%zu fields for %zu columns: %.*s", h->ct.n, loaded, (int)n,
               row);
    const copy_text_field *mask = &h->ct.fields[loaded + 1];
    bool mask_ok = mask->null || mask->len == loaded;
    for (size_t i = 0; mask_ok && !mask->null && i < mask->len; i++)
        mask_ok = mask->p[i] == '0' || mask->p[i] == '1';
    FUZZ_CHECK(mask_ok, "the absent mask: %.*s", (int)n, row);
    if (b->data.len > 1 << 20)
        batch_reset(b);
}

static void on_line(harness *h, const char *line, size_t len, int64_t line_no)
{
    if (len == 0 || !jscan_parse(&h->js, line, len) || h->js.toks[0].type != J_OBJECT)
        return;
    int tt = jscan_find(&h->js, line, 0, "type");
    if (tt == JSCAN_NOT_FOUND || h->js.toks[tt].type != J_STRING)
        return;
    const char *ty = line + h->js.toks[tt].start;
    size_t tn = h->js.toks[tt].end - h->js.toks[tt].start;
    if (tn == 6 && strncasecmp(ty, "RECORD", 6) == 0)
        on_record(h, line, len, line_no);
    else if (tn == 6 && strncasecmp(ty, "SCHEMA", 6) == 0)
        on_schema(h, line, len);
}

static const char *const nul_policies[] = {"error", "replace", "strip", "error"};
static const int levels[] = {0, 1, 2, 10};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_log_init();
    if (size < 1)
        return 0;
    unsigned pick = data[0];
    char text[512];
    snprintf(text, sizeof(text),
             "{\"host\":\"localhost\",\"dbname\":\"d\",\"default_target_schema\":\"tgt\","
             "\"validate_records\":%s,"
             "\"add_metadata_columns\":%s,\"hard_delete\":%s,\"data_flattening_max_level\":%d,"
             "\"nul_character_policy\":\"%s\",\"interpret_content_encoding\":%s,"
             "\"primary_key_required\":false,\"max_line_bytes\":%d}",
             pick & 1 ? "true" : "false", pick & 2 ? "true" : "false", pick & 4 ? "true" : "false",
             levels[(pick >> 3) & 3], nul_policies[(pick >> 5) & 3], pick & 0x80 ? "true" : "false",
             (pick & 0x60) == 0x60 ? 256 : 1 << 20);
    harness h;
    memset(&h, 0, sizeof(h));
    cJSON *root = json_util_parse(text, strlen(text), NULL);
    FUZZ_CHECK(root && tconfig_from_json(&h.cfg, root, "config"), "the harness config: %s", text);
    conv_init(&h.cx, &h.cfg);
    jscan_init(&h.js);
    copy_text_init(&h.ct);

    int fd = memfd_create("fuzz_input", MFD_CLOEXEC);
    FUZZ_CHECK(fd >= 0, "memfd_create");
    size_t off = 1;
    while (off < size) {
        ssize_t w = write(fd, data + off, size - off);
        FUZZ_CHECK(w > 0, "write");
        off += (size_t)w;
    }
    FUZZ_CHECK(lseek(fd, 0, SEEK_SET) == 0, "lseek");
    singer_reader r;
    singer_reader_init(&r, fd, h.cfg.max_line_bytes);
    for (;;) {
        const char *line;
        size_t len;
        singer_reader_status s = singer_reader_next(&r, &line, &len);
        if (s != LR_LINE)
            break;
        FUZZ_CHECK(memchr(line, '\n', len) == NULL, "a line with a newline");
        on_line(&h, line, len, r.line_no);
    }
    singer_reader_term(&r);
    close(fd);

    for (size_t i = 0; i < h.nstreams; i++) {
        stream_warn_unknown(h.streams[i]);
        stream_destroy(h.streams[i]);
    }
    copy_text_term(&h.ct);
    jscan_term(&h.js);
    conv_term(&h.cx);
    tconfig_term(&h.cfg);
    return 0;
}
