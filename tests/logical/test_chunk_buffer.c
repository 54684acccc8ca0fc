/* chunk_buffer and chunk_bookmark: a chunk's rows, the keys a change takes out, the last key,
   and the bookmark's chunked_copy member written and read back. */
#include <check.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#include "chunk_bookmark.h"
#include "chunk_buffer.h"
#include "log.h"
#include "state.h"

/* a one-row result with fields (a, b, id): b NULL when b is NULL */
static PGresult *row(const char *a, const char *b, const char *id, int nfields)
{
    PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
    PGresAttDesc att[3];
    memset(att, 0, sizeof(att));
    att[0].name = (char *)"a";
    att[1].name = (char *)"b";
    att[2].name = (char *)"id";
    for (int i = 0; i < 3; i++)
        att[i].format = 0;
    ck_assert(PQsetResultAttrs(res, nfields, att));
    const char *v[3] = {a, b, id};
    for (int i = 0; i < nfields; i++)
        ck_assert(PQsetvalue(res, 0, i, (char *)v[i], v[i] ? (int)strlen(v[i]) : -1));
    return res;
}

static bool add(chunk_buffer *cb, const char *a, const char *b, const char *id, int nfields)
{
    PGresult *res = row(a, b, id, nfields);
    bool ok = chunk_buffer_add_row(cb, res);
    PQclear(res);
    return ok;
}

/* a change's tuple (columns id and a) */
static change_tuple tuple(const char *id, change_value *vals, change_column *cols)
{
    cols[0].name = "a";
    cols[1].name = "id";
    vals[0] = (change_value){"x", 1, CHANGE_VALUE_TEXT};
    vals[1] = (change_value){id, id ? strlen(id) : 0, id ? CHANGE_VALUE_TEXT : CHANGE_VALUE_NULL};
    return (change_tuple){2, cols, vals};
}

static const char *const key_names[] = {"id"};

START_TEST(rows_keys_and_takes)
{
    chunk_buffer cb;
    chunk_buffer_init(&cb);
    ck_assert(chunk_buffer_alloc(&cb, 3));
    for (int round = 0; round < 2; round++) { /* the second: the buffer reused for a new chunk */
        chunk_buffer_reset(&cb, 2, 1);
        ck_assert(add(&cb, "1a", "1b", "1", 3));
        ck_assert(!add(&cb, "xa", "xb", "x", 2)); /* wrong field count: nothing added */
        ck_assert(add(&cb, "2a", NULL, "2", 3));
        ck_assert(add(&cb, "3a", "3b", "30", 3));
        ck_assert(!add(&cb, "4a", "4b", "4", 3)); /* full */
        ck_assert_uint_eq(cb.nrows, 3);
        ck_assert(buf_ok(&cb.rows));
        ck_assert(chunk_buffer_index(&cb));
        ck_assert_uint_eq(cb.ngone, 0);

        change_value vals[2];
        change_column cols[2];
        memset(cols, 0, sizeof(cols));
        change_tuple t = tuple("2", vals, cols);
        chunk_buffer_take_key(&cb, key_names, &t);
        chunk_buffer_take_key(&cb, key_names, &t); /* twice: counted once */
        ck_assert_uint_eq(cb.ngone, 1);
        ck_assert(cb.gone[1] && !cb.gone[0] && !cb.gone[2]);
        t = tuple("3", vals, cols); /* a prefix of "30" is another key */
        chunk_buffer_take_key(&cb, key_names, &t);
        t = tuple(NULL, vals, cols); /* no key value: nothing */
        chunk_buffer_take_key(&cb, key_names, &t);
        change_tuple none = {0, NULL, NULL};
        chunk_buffer_take_key(&cb, key_names, &none);
        ck_assert_uint_eq(cb.ngone, 1);
        /* the live row of a key: none once taken out, none for another key */
        ck_assert_int_eq(chunk_buffer_live_row(&cb, key_names, &none), -1);
        t = tuple("2", vals, cols);
        ck_assert_int_eq(chunk_buffer_live_row(&cb, key_names, &t), -1);
        t = tuple("1", vals, cols);
        ck_assert_int_eq(chunk_buffer_live_row(&cb, key_names, &t), 0);
        t = tuple("30", vals, cols);
        ck_assert_int_eq(chunk_buffer_live_row(&cb, key_names, &t), 2);
        t = tuple("3", vals, cols);
        ck_assert_int_eq(chunk_buffer_live_row(&cb, key_names, &t), -1);
        ck_assert_uint_eq(cb.ngone, 1);

        /* the last key, encoded as a bookmark's "after" is */
        buf last = BUF_INIT, want = BUF_INIT;
        ck_assert(chunk_buffer_last_key(&cb, &last));
        chunk_buffer_put_field(&want, "30", 2, false);
        ck_assert_uint_eq(last.len, want.len);
        ck_assert(memcmp(last.data, want.data, want.len) == 0);
        const char *p = last.data;
        uint32_t n;
        const char *text = chunk_buffer_next_field(&p, &n);
        ck_assert_uint_eq(n, 2);
        ck_assert(memcmp(text, "30", 2) == 0);
        ck_assert_ptr_eq(p, last.data + last.len);
        buf_term(&last);
        buf_term(&want);

        chunk_buffer_take_all(&cb);
        ck_assert_uint_eq(cb.ngone, 3);
    }
    chunk_buffer_reset(&cb, 2, 1);
    buf out = BUF_INIT;
    ck_assert(!chunk_buffer_last_key(&cb, &out)); /* no row */
    buf_term(&out);
    chunk_buffer_term(&cb);
}
END_TEST

START_TEST(bookmark_round_trip)
{
    const char *keys[] = {"region", "n"};
    tap_stream s;
    memset(&s, 0, sizeof(s));
    s.tap_stream_id = "public-pairs";
    s.key_properties = keys;
    s.nkeys = 2;
    cJSON *state = cJSON_CreateObject();

    buf after = BUF_INIT, got = BUF_INIT;
    chunk_buffer_put_field(&after, "north", 5, false);
    chunk_buffer_put_field(&after, "", 0, false);
    chunk_bookmark_write(state, &s, &after, 42);
    const cJSON *m = chunk_bookmark_get(state, s.tap_stream_id);
    ck_assert_ptr_nonnull(m);
    bool have = false;
    long long rows = 0;
    const char *why = NULL;
    ck_assert(chunk_bookmark_parse(m, &s, &got, &have, &rows, &why));
    ck_assert(have);
    ck_assert_int_eq(rows, 42);
    ck_assert_uint_eq(got.len, after.len);
    ck_assert(memcmp(got.data, after.data, after.len) == 0);

    /* no chunk done yet: "after" null */
    chunk_bookmark_write(state, &s, NULL, 0);
    buf_reset(&got);
    ck_assert(chunk_bookmark_parse(chunk_bookmark_get(state, s.tap_stream_id), &s, &got, &have,
                                   &rows, &why));
    ck_assert(!have);
    ck_assert_uint_eq(got.len, 0);

    /* another key: cannot be resumed */
    const char *other[] = {"region", "m"};
    tap_stream t = s;
    t.key_properties = other;
    ck_assert(!chunk_bookmark_parse(chunk_bookmark_get(state, s.tap_stream_id), &t, &got, &have,
                                    &rows, &why));
    ck_assert_str_eq(why, "the key properties changed");

    chunk_bookmark_remove(state, s.tap_stream_id);
    ck_assert_ptr_null(chunk_bookmark_get(state, s.tap_stream_id));
    buf_term(&after);
    buf_term(&got);
    cJSON_Delete(state);
}
END_TEST

int main(void)
{
    log_set_level(LOG_FATAL);
    Suite *su = suite_create("chunk_buffer");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, rows_keys_and_takes);
    tcase_add_test(tc, bookmark_round_trip);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
