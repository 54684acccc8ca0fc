#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "state_tracker.h"

static void add(state_tracker *t, int64_t at, const char *s)
{
    ck_assert(state_tracker_add(t, at, s, strlen(s)));
}

static const char *take(state_tracker *t, int64_t min)
{
    size_t len;
    return state_tracker_take(t, min, &len);
}

START_TEST(nothing_before_commit)
{
    state_tracker t;
    state_tracker_init(&t);
    add(&t, 3, "{\"a\":3}");
    ck_assert_ptr_null(take(&t, 1)); /* record 1 not committed */
    ck_assert_ptr_null(take(&t, 3)); /* record 3 not committed */
    ck_assert_str_eq(take(&t, 4), "{\"a\":3}");
    ck_assert_ptr_null(take(&t, INT64_MAX));
    state_tracker_term(&t);
}
END_TEST

START_TEST(newest_committed_wins)
{
    state_tracker t;
    state_tracker_init(&t);
    add(&t, 2, "s2");
    add(&t, 5, "s5");
    add(&t, 9, "s9");
    ck_assert_str_eq(take(&t, 7), "s5"); /* s2 covered by s5; s9 waits */
    ck_assert_uint_eq(state_tracker_pending(&t), 1);
    ck_assert_str_eq(take(&t, INT64_MAX), "s9");
    state_tracker_term(&t);
}
END_TEST

START_TEST(never_twice_in_a_row)
{
    state_tracker t;
    state_tracker_init(&t);
    add(&t, 0, "same");
    ck_assert_str_eq(take(&t, 1), "same");
    add(&t, 4, "same");
    ck_assert_ptr_null(take(&t, 10));
    add(&t, 6, "other");
    ck_assert_str_eq(take(&t, 10), "other");
    add(&t, 7, "same");
    ck_assert_str_eq(take(&t, 10), "same");
    state_tracker_term(&t);
}
END_TEST

START_TEST(states_without_records_in_between)
{
    state_tracker t;
    state_tracker_init(&t);
    add(&t, 3, "first");
    add(&t, 3, "second"); /* no record in between: replaces */
    ck_assert_uint_eq(state_tracker_pending(&t), 1);
    ck_assert_str_eq(take(&t, 4), "second");
    state_tracker_term(&t);
}
END_TEST

START_TEST(interleaved_two_streams)
{
    /* records a1(1) a2(2) S1 b1(3) S2 a3(4) S3; stream a's batch {1,2,4} commits after b's
       batch {3}: after b commits min uncommitted is 1 -> nothing; after a: everything */
    state_tracker t;
    state_tracker_init(&t);
    add(&t, 2, "S1");
    add(&t, 3, "S2");
    add(&t, 4, "S3");
    ck_assert_ptr_null(take(&t, 1));
    ck_assert_str_eq(take(&t, INT64_MAX), "S3");
    /* the other order: a's {1,2} commits first (min becomes 3): S1 only */
    add(&t, 6, "T1");
    add(&t, 7, "T2");
    ck_assert_str_eq(take(&t, 7), "T1");
    ck_assert_str_eq(take(&t, 8), "T2");
    state_tracker_term(&t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("state_tracker");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, nothing_before_commit);
    tcase_add_test(tc, newest_committed_wins);
    tcase_add_test(tc, never_twice_in_a_row);
    tcase_add_test(tc, states_without_records_in_between);
    tcase_add_test(tc, interleaved_two_streams);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
