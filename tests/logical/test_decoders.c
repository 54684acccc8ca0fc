/*
 * Decoders on fixtures captured from a real cluster (tests/logical/fixtures/capture.sh):
 * every message decoded to a stable debug line and compared with a golden file, the
 * same row compared across both plugins, and every truncation of every message
 * rejected without a crash. UPDATE_GOLDEN=1 rewrites the golden files.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "change.h"
#include "decode_pgoutput.h"
#include "decode_wal2json.h"
#include "log.h"

#ifndef FIXTURES_DIR
#error FIXTURES_DIR must be defined
#endif

/* all lines of a file (malloc'ed copies; NULL-terminated array) */
static char **read_lines(const char *name, int *count)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", FIXTURES_DIR, name);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    char **lines = NULL;
    int n = 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0)
            continue;
        lines = realloc(lines, (size_t)(n + 2) * sizeof(*lines));
        lines[n++] = strdup(line);
        lines[n] = NULL;
    }
    free(line);
    fclose(f);
    *count = n;
    return lines;
}

static void free_lines(char **lines)
{
    for (char **p = lines; p && *p; p++)
        free(*p);
    free(lines);
}

static size_t unhex(const char *hex, unsigned char *out)
{
    size_t n = strlen(hex) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        ck_assert(sscanf(hex + 2 * i, "%2x", &v) == 1);
        out[i] = (unsigned char)v;
    }
    return n;
}

static void compare_golden(const char *name, const buf *actual)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", FIXTURES_DIR, name);
    if (getenv("UPDATE_GOLDEN")) {
        FILE *f = fopen(path, "w");
        ck_assert(f != NULL);
        fwrite(actual->data, 1, actual->len, f);
        fclose(f);
        return;
    }
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "missing golden file %s (run with UPDATE_GOLDEN=1)", path);
    buf expected = BUF_INIT;
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
        buf_append(&expected, chunk, got);
    fclose(f);
    /* report the first differing line */
    const char *a = expected.data ? expected.data : "", *b = actual->data ? actual->data : "";
    int line = 1;
    size_t i = 0;
    while (a[i] && a[i] == b[i]) {
        if (a[i] == '\n')
            line++;
        i++;
    }
    ck_assert_msg(a[i] == b[i], "%s differs from the decoder output at line %d", name, line);
    buf_term(&expected);
}

/* decode every pgoutput fixture message into debug lines */
static void decode_pgoutput_all(buf *out)
{
    int n;
    char **lines = read_lines("pgoutput.hex", &n);
    ck_assert_int_gt(n, 10);
    pgoutput_decoder *d = decode_pgoutput_create();
    unsigned char *msg = malloc(1 << 20);
    for (int i = 0; i < n; i++) {
        size_t len = unhex(lines[i], msg);
        change c;
        ck_assert_msg(decode_pgoutput_decode(d, (const char *)msg, len, &c), "message %d", i + 1);
        change_debug_line(out, &c);
        buf_putc(out, '\n');
    }
    free(msg);
    decode_pgoutput_destroy(d);
    free_lines(lines);
}

static void decode_wal2json_all(buf *out)
{
    int n;
    char **lines = read_lines("wal2json.jsonl", &n);
    ck_assert_int_gt(n, 10);
    wal2json_decoder *d = decode_wal2json_create();
    for (int i = 0; i < n; i++) {
        change c;
        ck_assert_msg(decode_wal2json_decode(d, lines[i], strlen(lines[i]), &c), "message %d",
                      i + 1);
        change_debug_line(out, &c);
        buf_putc(out, '\n');
    }
    decode_wal2json_destroy(d);
    free_lines(lines);
}

START_TEST(test_pgoutput_golden)
{
    buf out = BUF_INIT;
    decode_pgoutput_all(&out);
    compare_golden("pgoutput.golden", &out);
    buf_term(&out);
}
END_TEST

START_TEST(test_wal2json_golden)
{
    buf out = BUF_INIT;
    decode_wal2json_all(&out);
    compare_golden("wal2json.golden", &out);
    buf_term(&out);
}
END_TEST

/* the n-th (1-based) change of a kind on a table, decoded into c (buffers kept alive) */
typedef struct found {
    change c;
    char *copy; /* malloc'ed message (wal2json decodes in place) */
    void *decoder;
} found;

static void found_free(found *f, bool pgoutput)
{
    if (pgoutput)
        decode_pgoutput_destroy(f->decoder);
    else
        decode_wal2json_destroy(f->decoder);
    free(f->copy);
}

static bool find_change(bool pgoutput, change_kind kind, const char *table, int nth, found *f)
{
    int n;
    char **lines = read_lines(pgoutput ? "pgoutput.hex" : "wal2json.jsonl", &n);
    f->decoder = pgoutput ? (void *)decode_pgoutput_create() : (void *)decode_wal2json_create();
    f->copy = NULL;
    bool ok = false;
    for (int i = 0; i < n && !ok; i++) {
        free(f->copy);
        f->copy = malloc(strlen(lines[i]) + 1);
        size_t len;
        if (pgoutput) {
            len = unhex(lines[i], (unsigned char *)f->copy);
            ck_assert(decode_pgoutput_decode(f->decoder, f->copy, len, &f->c));
        } else {
            len = strlen(lines[i]);
            memcpy(f->copy, lines[i], len + 1);
            ck_assert(decode_wal2json_decode(f->decoder, f->copy, len, &f->c));
        }
        const char *t = f->c.kind == CHANGE_TRUNCATE ? f->c.relations[0]->table
                        : f->c.rel                   ? f->c.rel->table
                                                     : NULL;
        if (f->c.kind == kind && (!table || (t && strcmp(t, table) == 0)) && --nth == 0)
            ok = true;
    }
    free_lines(lines);
    return ok;
}

static void value_text(const change_tuple *t, const char *col, buf *out)
{
    buf_reset(out);
    const change_value *v = change_find_value(t, col);
    if (!v)
        buf_append_lit(out, "<absent>");
    else if (v->kind == CHANGE_VALUE_NULL)
        buf_append_lit(out, "<null>");
    else if (v->kind == CHANGE_VALUE_UNCHANGED)
        buf_append_lit(out, "<unchanged>");
    else
        buf_append(out, v->text, v->len);
}

START_TEST(test_same_values_both_plugins)
{
    found p, w;
    ck_assert(find_change(true, CHANGE_INSERT, "types", 1, &p));
    ck_assert(find_change(false, CHANGE_INSERT, "types", 1, &w));
    ck_assert_int_eq(p.c.new_tuple.nvalues, w.c.new_tuple.nvalues);
    buf a = BUF_INIT, b = BUF_INIT;
    int compared = 0;
    for (int i = 0; i < p.c.new_tuple.nvalues; i++) {
        const char *col = p.c.new_tuple.columns[i].name;
        value_text(&p.c.new_tuple, col, &a);
        value_text(&w.c.new_tuple, col, &b);
        if (strcmp(col, "c_nan") == 0 || strcmp(col, "c_dbl") == 0) {
            /* wal2json < 2.6 sends NaN and Infinity of number types as null */
            ck_assert_str_eq(b.data, "<null>");
            continue;
        }
        ck_assert_msg(strcmp(a.data, b.data) == 0, "column %s: pgoutput %s, wal2json %s", col,
                      a.data, b.data);
        compared++;
    }
    ck_assert_int_eq(compared, 22);
    /* the text output forms, exactly */
    value_text(&p.c.new_tuple, "c_num", &a);
    ck_assert_str_eq(a.data, "12345678901234567890.123456789");
    value_text(&p.c.new_tuple, "c_bytea", &a);
    ck_assert_str_eq(a.data, "\\x00ff10");
    value_text(&p.c.new_tuple, "c_bool", &a);
    ck_assert_str_eq(a.data, "t");
    value_text(&p.c.new_tuple, "c_text", &a);
    ck_assert_str_eq(a.data, "quote \" backslash \\ newline \n tab \t unicode é 😀");
    value_text(&p.c.new_tuple, "c_tarr", &a);
    ck_assert_str_eq(a.data, "{\"a b\",\"c\\\"d\",NULL}");
    value_text(&p.c.new_tuple, "c_interval", &a);
    ck_assert_str_eq(a.data, "P1Y2M3DT4H5M6.7S");
    value_text(&p.c.new_tuple, "c_nan", &a);
    ck_assert_str_eq(a.data, "NaN");
    buf_term(&a);
    buf_term(&b);
    found_free(&p, true);
    found_free(&w, false);
}
END_TEST

START_TEST(test_commit_positions_agree)
{
    found p, w;
    ck_assert(find_change(true, CHANGE_COMMIT, NULL, 3, &p));
    ck_assert(find_change(false, CHANGE_COMMIT, NULL, 3, &w));
    ck_assert(p.c.commit_lsn == w.c.commit_lsn);
    ck_assert(p.c.end_lsn == w.c.end_lsn);
    ck_assert(p.c.end_lsn > p.c.commit_lsn);
    ck_assert(p.c.commit_time == w.c.commit_time);
    found_free(&p, true);
    found_free(&w, false);
    ck_assert(find_change(true, CHANGE_BEGIN, NULL, 3, &p));
    ck_assert(find_change(false, CHANGE_BEGIN, NULL, 3, &w));
    ck_assert(p.c.commit_lsn == w.c.commit_lsn);
    ck_assert(p.c.xid == w.c.xid);
    found_free(&p, true);
    found_free(&w, false);
}
END_TEST

START_TEST(test_unchanged_toast)
{
    buf a = BUF_INIT;
    found p, w;
    /* first update of toasty: big is unchanged TOAST */
    ck_assert(find_change(true, CHANGE_UPDATE, "toasty", 1, &p));
    value_text(&p.c.new_tuple, "big", &a);
    ck_assert_str_eq(a.data, "<unchanged>");
    ck_assert_int_eq(p.c.old_kind, 0);
    ck_assert(find_change(false, CHANGE_UPDATE, "toasty", 1, &w));
    value_text(&w.c.new_tuple, "big", &a);
    ck_assert_str_eq(a.data, "<absent>");
    value_text(&w.c.new_tuple, "small", &a);
    ck_assert_str_eq(a.data, "2");
    ck_assert_int_eq(w.c.old_kind, 'K');
    found_free(&p, true);
    found_free(&w, false);
    /* second one, under REPLICA IDENTITY FULL: the old row carries big */
    ck_assert(find_change(true, CHANGE_UPDATE, "toasty", 2, &p));
    ck_assert(find_change(false, CHANGE_UPDATE, "toasty", 2, &w));
    ck_assert_int_eq(p.c.old_kind, 'O');
    ck_assert_int_eq(w.c.old_kind, 'O');
    value_text(&p.c.new_tuple, "big", &a);
    ck_assert_str_eq(a.data, "<unchanged>");
    value_text(&p.c.old_tuple, "big", &a);
    ck_assert_int_eq((int)a.len, 3200);
    buf b = BUF_INIT;
    value_text(&w.c.old_tuple, "big", &b);
    ck_assert_str_eq(a.data, b.data);
    buf_term(&a);
    buf_term(&b);
    found_free(&p, true);
    found_free(&w, false);
}
END_TEST

START_TEST(test_key_change)
{
    buf a = BUF_INIT;
    found p, w;
    ck_assert(find_change(true, CHANGE_UPDATE, "types", 2, &p));
    ck_assert_int_eq(p.c.old_kind, 'K');
    value_text(&p.c.old_tuple, "id", &a);
    ck_assert_str_eq(a.data, "2");
    value_text(&p.c.new_tuple, "id", &a);
    ck_assert_str_eq(a.data, "10");
    ck_assert(find_change(false, CHANGE_UPDATE, "types", 2, &w));
    ck_assert_int_eq(w.c.old_kind, 'K');
    value_text(&w.c.old_tuple, "id", &a);
    ck_assert_str_eq(a.data, "2");
    ck_assert_int_eq(w.c.old_tuple.nvalues, 1);
    found_free(&p, true);
    found_free(&w, false);
    /* a delete carries the key */
    ck_assert(find_change(true, CHANGE_DELETE, "types", 1, &p));
    ck_assert_int_eq(p.c.old_kind, 'K');
    value_text(&p.c.old_tuple, "id", &a);
    ck_assert_str_eq(a.data, "10");
    value_text(&p.c.old_tuple, "c_text", &a);
    ck_assert_str_eq(a.data, "<absent>");
    ck_assert_int_eq(p.c.old_tuple.nvalues, 1);
    found_free(&p, true);
    buf_term(&a);
}
END_TEST

START_TEST(test_relation_change_and_truncate)
{
    found p, w;
    /* the first description of types is new; after ALTER TABLE it is changed */
    ck_assert(find_change(true, CHANGE_RELATION, "types", 1, &p));
    ck_assert(p.c.rel->is_new);
    ck_assert(!p.c.rel->changed);
    ck_assert_int_eq(p.c.rel->ncolumns, 24);
    ck_assert(p.c.rel->columns[0].key);
    ck_assert_str_eq(p.c.rel->columns[22].type_name, "public.mood");
    found_free(&p, true);
    int changed_at = 0;
    for (int nth = 2; nth < 6 && !changed_at; nth++) {
        if (!find_change(true, CHANGE_RELATION, "types", nth, &p)) {
            found_free(&p, true);
            break;
        }
        if (p.c.rel->changed) {
            changed_at = nth;
            ck_assert_int_eq(p.c.rel->ncolumns, 25);
            ck_assert_str_eq(p.c.rel->columns[24].name, "c_new");
            ck_assert_int_eq(p.c.rel->columns[9].typmod, 24); /* varchar(20) */
        }
        found_free(&p, true);
    }
    ck_assert_int_gt(changed_at, 0);
    /* one pgoutput TRUNCATE names both tables; wal2json sends one per table */
    ck_assert(find_change(true, CHANGE_TRUNCATE, NULL, 1, &p));
    ck_assert_int_eq(p.c.nrelations, 2);
    ck_assert_str_eq(p.c.relations[0]->table, "types");
    ck_assert_str_eq(p.c.relations[1]->table, "toasty");
    found_free(&p, true);
    ck_assert(find_change(false, CHANGE_TRUNCATE, NULL, 2, &w));
    ck_assert_int_eq(w.c.nrelations, 1);
    ck_assert_str_eq(w.c.relations[0]->table, "toasty");
    found_free(&w, false);
    /* odd names come through */
    ck_assert(find_change(false, CHANGE_DELETE, "t,1.x", 1, &w));
    ck_assert_str_eq(w.c.rel->schema, "Odd Schema");
    ck_assert_int_eq(w.c.old_tuple.nvalues, 2);
    found_free(&w, false);
}
END_TEST

/* every truncation of every message fails cleanly (ASan watches the reads) */
START_TEST(test_pgoutput_truncated)
{
    int n;
    char **lines = read_lines("pgoutput.hex", &n);
    pgoutput_decoder *d = decode_pgoutput_create();
    unsigned char *msg = malloc(1 << 20);
    log_set_level(LOG_FATAL);
    for (int i = 0; i < n; i++) {
        size_t len = unhex(lines[i], msg);
        for (size_t cut = 0; cut < len; cut++) {
            /* a copy of exactly cut bytes, so any over-read is caught */
            char *part = malloc(cut ? cut : 1);
            memcpy(part, msg, cut);
            change c;
            bool ok = decode_pgoutput_decode(d, part, cut, &c);
            ck_assert_msg(!ok, "message %d accepted when cut to %zu of %zu bytes", i + 1, cut, len);
            free(part);
        }
        change c;
        ck_assert(decode_pgoutput_decode(d, (const char *)msg, len, &c));
    }
    log_set_level(LOG_INFO);
    free(msg);
    decode_pgoutput_destroy(d);
    free_lines(lines);
}
END_TEST

START_TEST(test_wal2json_truncated)
{
    int n;
    char **lines = read_lines("wal2json.jsonl", &n);
    wal2json_decoder *d = decode_wal2json_create();
    log_set_level(LOG_FATAL);
    for (int i = 0; i < n; i++) {
        size_t len = strlen(lines[i]);
        size_t step = len > 2000 ? 97 : 1;
        for (size_t cut = 0; cut < len; cut += step) {
            char *part = malloc(cut ? cut : 1);
            memcpy(part, lines[i], cut);
            change c;
            ck_assert_msg(!decode_wal2json_decode(d, part, cut, &c),
                          "message %d accepted cut to %zu", i + 1, cut);
            free(part);
        }
    }
    log_set_level(LOG_INFO);
    decode_wal2json_destroy(d);
    free_lines(lines);
}
END_TEST

static bool w2j(const char *json, change *c, wal2json_decoder *d, char *store)
{
    size_t n = strlen(json);
    ck_assert(n < 1024);
    memcpy(store, json, n + 1);
    return decode_wal2json_decode(d, store, n, c);
}

START_TEST(test_wal2json_edge_cases)
{
    wal2json_decoder *d = decode_wal2json_create();
    change c;
    char store[1024];
    log_set_level(LOG_FATAL);
    /* escapes and surrogate pairs, members in any order, white space */
    ck_assert(
        w2j(" { \"table\" : \"t\", \"schema\":\"s\", \"action\" : \"I\", \"columns\" : [ "
            "{\"value\":\"a\\u00e9\\ud83d\\ude00\\\\\\/\\\"\",\"name\":\"x\",\"typeoid\":25} ,"
            "{\"name\":\"n\",\"value\":-1.5e+10,\"type\":\"numeric\"},"
            "{\"name\":\"b\",\"value\":\"00\",\"type\":\"bytea\"},"
            "{\"name\":\"f\",\"value\":false,\"extra\":{\"deep\":[1,{\"x\":null}]}}"
            "] } ",
            &c, d, store));
    ck_assert_int_eq(c.kind, CHANGE_INSERT);
    ck_assert_str_eq(c.rel->schema, "s");
    ck_assert_int_eq(c.new_tuple.nvalues, 4);
    ck_assert_int_eq((int)c.new_tuple.values[0].len, (int)strlen("aé😀\\/\""));
    ck_assert(memcmp(c.new_tuple.values[0].text, "aé😀\\/\"", c.new_tuple.values[0].len) == 0);
    ck_assert(memcmp(c.new_tuple.values[1].text, "-1.5e+10", 8) == 0);
    ck_assert_int_eq((int)c.new_tuple.values[1].len, 8);
    ck_assert(memcmp(c.new_tuple.values[2].text, "\\x00", 4) == 0);
    ck_assert(memcmp(c.new_tuple.values[3].text, "f", 1) == 0);
    /* malformed */
    ck_assert(
        !w2j("{\"action\":\"I\",\"schema\":\"s\",\"table\":\"t\",\"columns\":[{\"name\":\"x\","
             "\"value\":\"\\ud83d\"}]}",
             &c, d, store));
    ck_assert(!w2j("{\"action\":\"X\"}", &c, d, store));
    ck_assert(!w2j("{\"action\":\"B\"}", &c, d, store)); /* no lsn */
    ck_assert(!w2j("{\"action\":\"D\",\"schema\":\"s\",\"table\":\"t\"}", &c, d, store));
    ck_assert(
        !w2j("{\"action\":\"I\",\"schema\":\"s\",\"table\":\"t\",\"columns\":[]} x", &c, d, store));
    ck_assert(
        !w2j("{\"action\":\"I\",\"schema\":\"s\",\"table\":\"t\",\"columns\":[{\"name\":\"x\","
             "\"value\":\"a\x01\"}]}",
             &c, d, store));
    ck_assert(!w2j("[]", &c, d, store));
    /* a logical message: only its position counts (heartbeats) */
    ck_assert(w2j("{\"action\":\"M\",\"transactional\":false,\"prefix\":\"p\",\"content\":\"c\"}",
                  &c, d, store));
    ck_assert_int_eq(c.kind, CHANGE_MESSAGE);
    /* as wal2json 2.5 sends a non-transactional one (it failed to decode before) */
    ck_assert(w2j("{\"action\":\"M\",\"xid\":null,\"timestamp\":null,\"lsn\":\"0/57E06E60\","
                  "\"transactional\":false,\"prefix\":\"tap-postgres-heartbeat\",\"content\":\"\"}",
                  &c, d, store));
    ck_assert_int_eq(c.kind, CHANGE_MESSAGE);
    ck_assert(
        !w2j("{\"action\":\"I\",\"schema\":null,\"table\":\"t\",\"columns\":[]}", &c, d, store));
    /* a logical message: prefix and content (the chunked copy's watermarks) */
    ck_assert(w2j("{\"action\":\"M\",\"xid\":null,\"timestamp\":null,\"transactional\":false,"
                  "\"prefix\":\"p\",\"content\":\"c\\\"d\"}",
                  &c, d, store));
    ck_assert_int_eq(c.kind, CHANGE_MESSAGE);
    ck_assert_str_eq(c.msg_prefix, "p");
    ck_assert_uint_eq(c.msg_len, 3);
    ck_assert(memcmp(c.msg_content, "c\"d", 3) == 0);
    ck_assert(!c.msg_transactional);
    log_set_level(LOG_INFO);
    decode_wal2json_destroy(d);
}
END_TEST

START_TEST(test_pgoutput_unknown_relation)
{
    pgoutput_decoder *d = decode_pgoutput_create();
    change c;
    /* 'I', relation 16384, 'N', one text column "1" */
    const char msg[] = {'I', 0, 0, 0x40, 0, 'N', 0, 1, 't', 0, 0, 0, 1, '1'};
    log_set_level(LOG_FATAL);
    ck_assert(!decode_pgoutput_decode(d, msg, sizeof(msg), &c));
    const char bad_kind[] = {'Z'};
    ck_assert(!decode_pgoutput_decode(d, bad_kind, 1, &c));
    /* a relation, then the insert decodes; a second, different relation is flagged */
    const char rel[] = {'R', 0,   0,  0x40,       0,          'p',        0,         't',
                        0,   'd', 0,  1,          1,          'a',        0,         0,
                        0,   0,   23, (char)0xff, (char)0xff, (char)0xff, (char)0xff};
    ck_assert(decode_pgoutput_decode(d, rel, sizeof(rel), &c));
    ck_assert_int_eq(c.kind, CHANGE_RELATION);
    ck_assert(c.rel->is_new && !c.rel->changed);
    ck_assert(decode_pgoutput_decode(d, msg, sizeof(msg), &c));
    ck_assert_int_eq(c.kind, CHANGE_INSERT);
    ck_assert_str_eq(c.rel->table, "t");
    ck_assert(decode_pgoutput_decode(d, rel, sizeof(rel), &c));
    ck_assert(!c.rel->is_new && !c.rel->changed);
    char rel2[sizeof(rel)];
    memcpy(rel2, rel, sizeof(rel));
    rel2[18] = 20; /* int8 now */
    ck_assert(decode_pgoutput_decode(d, rel2, sizeof(rel2), &c));
    ck_assert(c.rel->changed);
    /* a tuple with a different column count is refused */
    const char two[] = {'I', 0, 0, 0x40, 0, 'N', 0, 2, 'n', 'n'};
    ck_assert(!decode_pgoutput_decode(d, two, sizeof(two), &c));
    /* a non-transactional logical message: prefix and content (the chunked copy's watermarks);
       cut short it is refused */
    const char m[] = {'M', 0,   0, 0, 0, 0, 0, 0,   0x12, 0x34,
                      'w', 'm', 0, 0, 0, 0, 3, 'a', '\0', 'b'};
    ck_assert(decode_pgoutput_decode(d, m, sizeof(m), &c));
    ck_assert_int_eq(c.kind, CHANGE_MESSAGE);
    ck_assert_str_eq(c.msg_prefix, "wm");
    ck_assert_uint_eq(c.msg_len, 3);
    ck_assert(memcmp(c.msg_content, "a\0b", 3) == 0);
    ck_assert(!c.msg_transactional);
    ck_assert_uint_eq(c.lsn, 0x1234);
    ck_assert(!decode_pgoutput_decode(d, m, sizeof(m) - 1, &c));
    log_set_level(LOG_INFO);
    decode_pgoutput_destroy(d);
}
END_TEST

START_TEST(test_options_and_patterns)
{
    buf b = BUF_INIT;
    decode_wal2json_table_pattern(&b, "Odd Schema", "t,1.x*\\");
    ck_assert_str_eq(b.data, "Odd\\ Schema.t\\,1\\.x\\*\\\\");
    buf_reset(&b);
    decode_wal2json_start_options(&b, "public.a,it's.b", true);
    ck_assert_str_eq(b.data, "(\"format-version\" '2', \"include-xids\" '1', \"include-timestamp\" "
                             "'1', \"include-lsn\" '1', \"include-type-oids\" '1', "
                             "\"include-transaction\" '1', \"numeric-data-types-as-string\" '1', "
                             "\"add-tables\" 'public.a,it''s.b')");
    buf_reset(&b);
    decode_pgoutput_start_options(&b, "my \"pub\"", false);
    ck_assert_str_eq(b.data, "(\"proto_version\" '1', \"publication_names\" '\"my \"\"pub\"\"\"')");
    buf_reset(&b);
    decode_pgoutput_start_options(&b, "p", true);
    ck_assert_str_eq(b.data,
                     "(\"proto_version\" '1', \"publication_names\" '\"p\"', \"messages\" 'true')");
    buf_term(&b);
}
END_TEST

START_TEST(test_time_text)
{
    int64_t us;
    char t[CHANGE_TIME_TEXT_MAX];
    ck_assert(change_parse_time("2026-11-21 17:57:23.705604+05:30", 32, &us));
    change_time_text(us, t);
    ck_assert_str_eq(t, "2026-11-21 12:27:23.705604+00");
    ck_assert(change_parse_time("2000-01-01 00:00:00+00", 22, &us));
    ck_assert(us == CHANGE_PG_EPOCH_US);
    change_time_text(us, t);
    ck_assert_str_eq(t, "2000-01-01 00:00:00+00");
    ck_assert(change_parse_time("1969-12-31 23:59:59.5-01", 24, &us));
    ck_assert(us == 3600 * INT64_C(1000000) - 500000);
    change_time_text(-1, t);
    ck_assert_str_eq(t, "1969-12-31 23:59:59.999999+00");
    ck_assert(!change_parse_time("2026-11-21", 10, &us));
    ck_assert(!change_parse_time("2026-11-21 17:57:23+05:3", 24, &us));
    ck_assert(!change_parse_time("2026-13-21 17:57:23+05", 22, &us));
}
END_TEST

START_TEST(test_arena)
{
    change_arena a;
    change_arena_init(&a);
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 100; i++) {
            char *p = change_arena_alloc(&a, 1000);
            ck_assert(p != NULL);
            ck_assert(((uintptr_t)p & 7) == 0);
            p[999] = 1;
        }
        change_arena_reset(&a);
    }
    /* after a reset the arena holds one chunk large enough for the last message */
    void *first = change_arena_alloc(&a, 100000);
    ck_assert(first != NULL);
    change_arena_term(&a);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("decoders");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_pgoutput_golden);
    tcase_add_test(tc, test_wal2json_golden);
    tcase_add_test(tc, test_same_values_both_plugins);
    tcase_add_test(tc, test_commit_positions_agree);
    tcase_add_test(tc, test_unchanged_toast);
    tcase_add_test(tc, test_key_change);
    tcase_add_test(tc, test_relation_change_and_truncate);
    tcase_add_test(tc, test_pgoutput_truncated);
    tcase_add_test(tc, test_wal2json_truncated);
    tcase_add_test(tc, test_wal2json_edge_cases);
    tcase_add_test(tc, test_pgoutput_unknown_relation);
    tcase_add_test(tc, test_options_and_patterns);
    tcase_add_test(tc, test_time_text);
    tcase_add_test(tc, test_arena);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    log_init("unit_decoders");
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
