/* The target's run state and batch scheduling: what became testable when main.c moved into
   the library (target.c, scheduler.c, registry.c). No database: the decisions are pure. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "direct_load.h"
#include "exit_codes.h"
#include "log.h"
#include "registry.h"
#include "scheduler.h"
#include "target.h"
#include "tconfig.h"

START_TEST(first_failure_wins)
{
    static const struct {
        int first, second, want;
    } cases[] = {
        {EXIT_BAD_INPUT, EXIT_TARGET_DB, EXIT_BAD_INPUT},
        {EXIT_TARGET_DB, EXIT_BAD_INPUT, EXIT_TARGET_DB},
        {EXIT_OUTPUT, EXIT_INTERNAL, EXIT_OUTPUT},
        {EXIT_INTERNAL, EXIT_TARGET_DB, EXIT_INTERNAL},
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        target t;
        memset(&t, 0, sizeof(t));
        ck_assert(!t.failed);
        target_fail(&t, cases[k].first);
        ck_assert(t.failed);
        ck_assert_int_eq(t.exit_code, cases[k].first);
        target_fail(&t, cases[k].second);
        ck_assert(t.failed);
        ck_assert_int_eq(t.exit_code, cases[k].want);
    }
}
END_TEST

START_TEST(bad_input_and_oom_keep_the_first_code)
{
    target t;
    memset(&t, 0, sizeof(t));
    t.line_no = 3;
    target_bad_input(&t, "s", "a %s", "test");
    ck_assert_int_eq(t.exit_code, EXIT_BAD_INPUT);
    target_oom(&t); /* before target_fail, out of memory after bad input overwrote the code */
    ck_assert_int_eq(t.exit_code, EXIT_BAD_INPUT);

    memset(&t, 0, sizeof(t));
    target_oom(&t);
    ck_assert_int_eq(t.exit_code, EXIT_INTERNAL);
    target_bad_input(&t, NULL, "later");
    ck_assert_int_eq(t.exit_code, EXIT_INTERNAL);
}
END_TEST

static stream *make_stream(registry *r, const char *name, size_t bytes, size_t rows)
{
    stream *st = registry_add(r, name, strlen(name));
    ck_assert_ptr_nonnull(st);
    for (size_t i = 0; i < bytes; i++)
        buf_putc(&st->cur->data, 'x');
    ck_assert(buf_ok(&st->cur->data));
    st->cur->rows = rows;
    return st;
}

START_TEST(registry_finds_what_it_added)
{
    registry r;
    registry_init(&r);
    char name[32];
    for (int i = 0; i < 100; i++) {
        int n = snprintf(name, sizeof(name), "stream-%d", i);
        ck_assert_ptr_null(registry_find(&r, name, (size_t)n));
        ck_assert_ptr_nonnull(registry_add(&r, name, (size_t)n));
    }
    ck_assert_uint_eq(r.n, 100);
    ck_assert_uint_ge(r.index.cap, 200); /* at most half full */
    for (int i = 99; i >= 0; i--) {
        int n = snprintf(name, sizeof(name), "stream-%d", i);
        stream *st = registry_find(&r, name, (size_t)n);
        ck_assert_ptr_nonnull(st);
        ck_assert_str_eq(st->name, name);
        ck_assert_ptr_eq(r.last, st);
    }
    ck_assert_ptr_null(registry_find(&r, "stream-1", 7)); /* a prefix is another name */
    registry_term(&r);
}
END_TEST

START_TEST(must_wait_for_ddl_and_two_in_flight)
{
    registry r;
    registry_init(&r);
    stream *st = make_stream(&r, "s", 0, 0);
    table_def d;
    memset(&d, 0, sizeof(d));
    d.cs.fingerprint = 42;
    static const struct {
        int ninflight;
        uint64_t synced;
        bool wait;
    } cases[] = {
        {0, 0, false}, /* nothing in flight: go, even when the table needs DDL */
        {0, 42, false},
        {1, 42, false}, /* one in flight, table synced: the second copies while the first merges */
        {1, 41, true},  /* one in flight, DDL to do: they would race */
        {1, 0, true},
        {2, 42, true}, /* never three */
        {2, 41, true},
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        st->ninflight = cases[k].ninflight;
        st->synced_fp = cases[k].synced;
        ck_assert_msg(scheduler_must_wait(st, &d) == cases[k].wait, "case %zu", k);
    }
    st->ninflight = 0;
    registry_term(&r);
}
END_TEST

START_TEST(batch_due_when_full_or_early_while_nothing_loads)
{
    registry r;
    registry_init(&r);
    stream *st = make_stream(&r, "s", 0, 0);
    table_def d;
    memset(&d, 0, sizeof(d));
    d.cs.fingerprint = 42;
    st->def = &d;
    st->synced_fp = 42;
    tconfig c;
    memset(&c, 0, sizeof(c));
    c.batch_size_rows = 100;
    c.batch_size_bytes = 1 << 20;
    c.early_flush_rows = 10;
    c.async_flush = true;
    static const struct {
        size_t rows;
        int ninflight;
        uint64_t synced;
        long long early;
        bool async;
        bool due;
    } cases[] = {
        {9, 0, 42, 10, true, false},  /* below early_flush_rows */
        {10, 0, 42, 10, true, true},  /* nothing loading: early */
        {10, 1, 42, 10, true, true},  /* one loading, table synced: it copies while that merges */
        {10, 1, 41, 10, true, false}, /* one loading with DDL to do: it would wait */
        {10, 2, 42, 10, true, false}, /* two loading: it would wait */
        {99, 2, 42, 10, true, false},  {100, 2, 42, 10, true, true}, /* full: always */
        {10, 0, 42, 0, true, false},   /* early_flush_rows 0: only full batches */
        {10, 0, 42, 10, false, false}, /* async_flush false: only full batches */
        {100, 0, 42, 0, false, true},
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        st->cur->rows = cases[k].rows;
        st->ninflight = cases[k].ninflight;
        st->synced_fp = cases[k].synced;
        c.early_flush_rows = cases[k].early;
        c.async_flush = cases[k].async;
        ck_assert_msg(scheduler_batch_due(&c, st) == cases[k].due, "case %zu", k);
    }
    /* copied straight into an empty table: the first batch early, the later ones full */
    st->cur->rows = 10;
    st->ninflight = 0;
    st->synced_fp = 42;
    c.early_flush_rows = 10;
    c.async_flush = true;
    st->direct = DIRECT_TRY;
    ck_assert(scheduler_batch_due(&c, st));
    st->batches = 1;
    ck_assert(!scheduler_batch_due(&c, st));
    st->direct = DIRECT_NO; /* merging: early again */
    ck_assert(scheduler_batch_due(&c, st));
    st->batches = 0;
    st->cur->rows = 5;
    c.early_flush_rows = 0;
    for (size_t bytes = 0; bytes < 1024; bytes++)
        buf_putc(&st->cur->data, 'x');
    c.batch_size_bytes = 1024; /* full by bytes */
    ck_assert(scheduler_batch_due(&c, st));
    st->cur->rows = 0;
    st->def = NULL;
    registry_term(&r);
}
END_TEST

START_TEST(spare_kept_unless_memory_is_short)
{
    registry r;
    registry_init(&r);
    stream *st = make_stream(&r, "s", 0, 0);
    batch_destroy(st->spare);
    st->spare = NULL;
    static const struct {
        size_t mem;
        long long bound;
        bool keep;
    } cases[] = {
        {0, 1 << 20, true},
        {(1 << 20) / 2, 1 << 20, true}, /* half the bound: still kept */
        {(1 << 20) / 2 + 1, 1 << 20, false},
        {1 << 20, 1 << 20, false},
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++)
        ck_assert_msg(scheduler_keep_spare(st, cases[k].mem, cases[k].bound) == cases[k].keep,
                      "case %zu", k);
    st->spare = batch_create(); /* one spare is enough */
    ck_assert(!scheduler_keep_spare(st, 0, 1 << 20));
    registry_term(&r);
}
END_TEST

START_TEST(plan_early_loads_the_largest_until_half_is_pending)
{
    registry r;
    registry_init(&r);
    stream *small = make_stream(&r, "small", 1000, 10);
    stream *big = make_stream(&r, "big", 100000, 100);
    stream *mid = make_stream(&r, "mid", 30000, 30);
    stream *empty = make_stream(&r, "empty", 0, 0);
    size_t ms = batch_mem(small->cur), mb = batch_mem(big->cur), mm = batch_mem(mid->cur);
    ck_assert(mb > mm && mm > ms);
    size_t total = ms + mb + mm;
    stream *order[4];

    /* half the limit above everything pending: nothing to load */
    ck_assert_uint_eq(scheduler_plan_early(r.streams, r.n, 2 * total, order), 0);
    /* the largest alone brings it under half the limit */
    ck_assert_uint_eq(scheduler_plan_early(r.streams, r.n, 2 * (total - mb), order), 1);
    ck_assert_ptr_eq(order[0], big);
    /* just under: the next largest too */
    ck_assert_uint_eq(scheduler_plan_early(r.streams, r.n, 2 * (total - mb) - 2, order), 2);
    ck_assert_ptr_eq(order[0], big);
    ck_assert_ptr_eq(order[1], mid);
    /* a limit of 0: every stream with rows, never the empty one */
    ck_assert_uint_eq(scheduler_plan_early(r.streams, r.n, 0, order), 3);
    ck_assert_ptr_eq(order[2], small);
    ck_assert_ptr_eq(order[3], empty);
    registry_term(&r);
}
END_TEST

START_TEST(min_uncommitted_over_pending_and_in_flight)
{
    registry r;
    registry_init(&r);
    stream *a = make_stream(&r, "a", 0, 0);
    stream *b = make_stream(&r, "b", 0, 0);
    ck_assert(scheduler_min_uncommitted(r.streams, r.n) == INT64_MAX);
    a->cur->first_seq = 9;
    ck_assert(scheduler_min_uncommitted(r.streams, r.n) == 9);
    b->ninflight = 2;
    b->inflight_seq[0] = 5;
    b->inflight_seq[1] = 7;
    ck_assert(scheduler_min_uncommitted(r.streams, r.n) == 5);
    b->inflight_seq[0] = -1; /* an ACTIVATE_VERSION-only job of an empty batch: no record */
    ck_assert(scheduler_min_uncommitted(r.streams, r.n) == 7);
    b->ninflight = 0;
    registry_term(&r);
}
END_TEST

START_TEST(batch_key_set_finds_repeated_keys)
{
    batch *b = batch_create();
    ck_assert_ptr_nonnull(b);
    /* many distinct hashes (0 and ones sharing 32 bits among them): no duplicate; the memory
       growth announced before each key covers what it took */
    for (uint64_t i = 0; i < 5000; i++) {
        size_t before = batch_mem(b), grow = batch_mem_growth(b, 0);
        ck_assert(batch_note_key(b, i % 2 ? i : i << 32, NULL, 0));
        ck_assert_uint_le(batch_mem(b) - before, grow);
    }
    ck_assert(!b->has_dups);
    ck_assert(batch_note_key(b, UINT64_C(4998) << 32, NULL, 0));
    ck_assert(b->has_dups);
    /* reset: the set is empty again, its memory kept */
    size_t mem = batch_mem(b);
    batch_reset(b);
    ck_assert(!b->has_dups);
    ck_assert(batch_note_key(b, UINT64_C(4998) << 32, NULL, 0));
    ck_assert(batch_note_key(b, 7, NULL, 0));
    ck_assert(!b->has_dups);
    ck_assert_uint_eq(batch_mem(b), mem);
    ck_assert(batch_note_key(b, 7, NULL, 0));
    ck_assert(b->has_dups);
    batch_destroy(b);
    batch_destroy(NULL);
}
END_TEST

/* a key of one column whose texts ascend needs no key set; the set is built where they stop */
static bool note_text(batch *b, const char *key)
{
    size_t n = strlen(key);
    return batch_note_key(b, hash_fnv1a64(HASH_FNV1A64_BASIS, key, n + 1), key, n);
}

START_TEST(batch_ascending_keys_skip_the_key_set)
{
    batch *b = batch_create();
    ck_assert_ptr_nonnull(b);
    char key[32];
    for (int i = 1; i <= 3000; i++) { /* "9" then "10": longer comes after */
        snprintf(key, sizeof(key), "%d", i);
        size_t before = batch_mem(b), grow = batch_mem_growth(b, 0);
        ck_assert(note_text(b, key));
        ck_assert_uint_le(batch_mem(b) - before, grow);
    }
    ck_assert(!b->has_dups);
    ck_assert_uint_eq(b->keyset.count, 0); /* not built */
    /* the run breaks on a key seen before: the set of all 3000 is built (its memory announced)
       and finds it */
    size_t before = batch_mem(b), grow = batch_mem_growth(b, 0);
    ck_assert(note_text(b, "1500"));
    ck_assert_uint_le(batch_mem(b) - before, grow);
    ck_assert(b->has_dups);
    ck_assert_uint_eq(b->keyset.count, 3000);

    /* a new batch: a break on a new key, then a repeat of a key from the ascending run */
    batch_reset(b);
    ck_assert(note_text(b, "b") && note_text(b, "c") && note_text(b, "a"));
    ck_assert(!b->has_dups);
    ck_assert(note_text(b, "c"));
    ck_assert(b->has_dups);
    /* equal texts are never "after": the second of two equal keys is found */
    batch_reset(b);
    ck_assert(note_text(b, "42") && note_text(b, "42"));
    ck_assert(b->has_dups);
    /* keys of several columns (no text) go through the set from the first */
    batch_reset(b);
    ck_assert(batch_note_key(b, 1, NULL, 0) && batch_note_key(b, 2, NULL, 0));
    ck_assert_uint_eq(b->keyset.count, 2);
    ck_assert(!b->has_dups);
    batch_destroy(b);
}
END_TEST

START_TEST(canonical_integers)
{
    long long v = 1;
    ck_assert(direct_load_canonical_int("0", 1, &v) && v == 0);
    ck_assert(direct_load_canonical_int("-42", 3, &v) && v == -42);
    ck_assert(direct_load_canonical_int("123456789012345678", 18, &v) && v == 123456789012345678LL);
    const char *no[] = {"", "-", "-0", "007", "1.0", "1e3", "+1", " 1", "1234567890123456789"};
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        ck_assert_msg(!direct_load_canonical_int(no[i], strlen(no[i]), &v), "%s", no[i]);
}
END_TEST

/* a batch of rows (id, name, _sdc_deleted_at; then _tgt_seq and _tgt_absent) and which of them
   direct_load_split copies straight */
static void add_row(batch *b, const char *row, bool fresh)
{
    buf_appends(&b->data, row);
    buf_putc(&b->data, '\n');
    ck_assert(batch_row_done(b, (int64_t)b->rows + 1, (int64_t)b->rows, fresh));
}

START_TEST(split_rows_key_by_key)
{
    tcolumn cols[3];
    memset(cols, 0, sizeof(cols));
    snprintf(cols[0].name, sizeof(cols[0].name), "id");
    cols[0].is_key = true;
    snprintf(cols[1].name, sizeof(cols[1].name), "name");
    snprintf(cols[2].name, sizeof(cols[2].name), "_sdc_deleted_at");
    int keys[1] = {0};
    table_def d;
    memset(&d, 0, sizeof(d));
    d.cs.cols = cols;
    d.cs.ncols = 3;
    d.cs.keys = keys;
    d.cs.nkeys = 1;
    d.deleted_col = 2;
    batch *b = batch_create();
    ck_assert_ptr_nonnull(b);
    add_row(b, "5\ta\t\\N\t1\t\\N", true);        /* new, repeated below: skipped */
    add_row(b, "5\tb\t\\N\t2\t\\N", false);       /* its last row: copied */
    add_row(b, "6\tc\t2024-01-01\t3\t\\N", true); /* a delete: merged */
    add_row(b, "7\td\t\\N\t4\t01", true);         /* a property absent: merged */
    add_row(b, "8\te\t\\N\t5\t\\N", false);       /* a key of an earlier batch: merged */
    add_row(b, "9\tf\t\\N\t6\t\\N", true);        /* copied */
    add_row(b, "7\tg\t\\N\t7\t\\N", false);       /* merged with 7's first row */
    char side[7];
    ck_assert_int_eq(direct_load_split(&d, b, 2, NULL, side), 2);
    const char want[7] = {DIRECT_SIDE_SKIP,  DIRECT_SIDE_COPY, DIRECT_SIDE_MERGE, DIRECT_SIDE_MERGE,
                          DIRECT_SIDE_MERGE, DIRECT_SIDE_COPY, DIRECT_SIDE_MERGE};
    for (int i = 0; i < 7; i++)
        ck_assert_msg(side[i] == want[i], "row %d: side %d, want %d", i, side[i], want[i]);
    /* without hard_delete a delete is a row as any: 6 is copied */
    ck_assert_int_eq(direct_load_split(&d, b, -1, NULL, side), 3);
    ck_assert_int_eq(side[2], DIRECT_SIDE_COPY);
    /* a key not written the canonical way: the whole batch merged */
    add_row(b, "010\th\t\\N\t8\t\\N", true);
    char side2[8];
    ck_assert_int_eq(direct_load_split(&d, b, 2, NULL, side2), 0);
    for (int i = 0; i < 8; i++)
        ck_assert_int_eq(side2[i], DIRECT_SIDE_MERGE);
    batch_destroy(b);
}
END_TEST

/* "" is a setting left empty: the default (config_get_bool / config_get_int), as before */
START_TEST(config_empty_string_is_the_default)
{
    cJSON *root = cJSON_Parse("{\"host\":\"h\",\"dbname\":\"d\",\"default_target_schema\":\"s\","
                              "\"async_flush\":\"\",\"primary_key_required\":\"\","
                              "\"flush_all_streams\":\"\",\"hard_delete\":\"\"}");
    ck_assert_ptr_nonnull(root);
    tconfig c;
    ck_assert(tconfig_from_json(&c, root, "config"));
    ck_assert(c.async_flush);
    ck_assert(c.primary_key_required);
    ck_assert(!c.flush_all_streams);
    ck_assert(!c.hard_delete);
    ck_assert_int_eq(c.batch_size_rows, 100000);
    tconfig_term(&c);
}
END_TEST

int main(void)
{
    log_init("unit_target");
    Suite *s = suite_create("target");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, first_failure_wins);
    tcase_add_test(tc, bad_input_and_oom_keep_the_first_code);
    tcase_add_test(tc, registry_finds_what_it_added);
    tcase_add_test(tc, must_wait_for_ddl_and_two_in_flight);
    tcase_add_test(tc, batch_due_when_full_or_early_while_nothing_loads);
    tcase_add_test(tc, spare_kept_unless_memory_is_short);
    tcase_add_test(tc, plan_early_loads_the_largest_until_half_is_pending);
    tcase_add_test(tc, min_uncommitted_over_pending_and_in_flight);
    tcase_add_test(tc, batch_key_set_finds_repeated_keys);
    tcase_add_test(tc, batch_ascending_keys_skip_the_key_set);
    tcase_add_test(tc, canonical_integers);
    tcase_add_test(tc, split_rows_key_by_key);
    tcase_add_test(tc, config_empty_string_is_the_default);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
