/* state_feedback: following the target's state output (whole lines only, a file that appears
   later, truncation, rotation) and the position a state line proves. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "state_feedback.h"

static const char *const ids[] = {"public-a", "public-b"};
static char path[256];

static void put(const char *mode, const char *text)
{
    FILE *f = fopen(path, mode);
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static void setup(void)
{
    snprintf(path, sizeof(path), "/tmp/unit_state_feedback_%ld.jsonl", (long)getpid());
    unlink(path);
    log_set_level(LOG_FATAL);
}

static void teardown(void)
{
    unlink(path);
    char rotated[300];
    snprintf(rotated, sizeof(rotated), "%s.1", path);
    unlink(rotated);
}

#define LINE(a, b)                                                                                 \
    "{\"bookmarks\":{\"public-a\":{\"lsn\":" #a ",\"version\":1},\"public-b\":{\"lsn\":" #b        \
    "}},\"currently_syncing\":null}\n"

START_TEST(test_line_lsn)
{
    uint64_t v = 0;
    const char *bare = "{\"bookmarks\":{\"public-a\":{\"lsn\":300},\"public-b\":{\"lsn\":200}}}";
    ck_assert(state_feedback_line_lsn(bare, strlen(bare), ids, 2, &v));
    ck_assert_uint_eq(v, 200);
    const char *msg = "{\"type\":\"STATE\",\"value\":{\"bookmarks\":{\"public-a\":{\"lsn\":\"0/"
                      "10\"},\"public-b\":{\"lsn\":\"17\"}}}}";
    ck_assert(state_feedback_line_lsn(msg, strlen(msg), ids, 2, &v));
    ck_assert_uint_eq(v, 16);
    /* a stream without an lsn (being copied again): the line proves nothing */
    const char *gap = "{\"bookmarks\":{\"public-a\":{\"lsn\":300},\"public-b\":{\"version\":2}}}";
    ck_assert(!state_feedback_line_lsn(gap, strlen(gap), ids, 2, &v));
    const char *rec = "{\"type\":\"RECORD\",\"stream\":\"public-a\",\"record\":{}}";
    ck_assert(!state_feedback_line_lsn(rec, strlen(rec), ids, 2, &v));
    ck_assert(!state_feedback_line_lsn("{\"bookm", 7, ids, 2, &v));
    ck_assert(!state_feedback_line_lsn(bare, strlen(bare) - 1, ids, 2, &v)); /* cut short */
}
END_TEST

START_TEST(test_follow)
{
    state_feedback f;
    uint64_t pos = 0;
    /* missing at the start: nothing, then the file appears and is read from its start */
    ck_assert(state_feedback_init(&f, path));
    ck_assert(!state_feedback_poll(&f, ids, 2, &pos));
    put("w", LINE(100, 90));
    ck_assert(state_feedback_poll(&f, ids, 2, &pos));
    ck_assert_uint_eq(pos, 90);
    /* a last line without its newline waits for it */
    put("a", "{\"bookmarks\":{\"public-a\":{\"lsn\":500},");
    ck_assert(!state_feedback_poll(&f, ids, 2, &pos));
    ck_assert_uint_eq(pos, 90);
    put("a", "\"public-b\":{\"lsn\":400}}}\n" LINE(600, 450));
    ck_assert(state_feedback_poll(&f, ids, 2, &pos));
    ck_assert_uint_eq(pos, 450);
    /* a lower position is not a move */
    put("a", LINE(10, 10));
    ck_assert(!state_feedback_poll(&f, ids, 2, &pos));
    ck_assert_uint_eq(pos, 450);
    /* truncated: read again from the start */
    put("w", LINE(700, 700));
    ck_assert(state_feedback_poll(&f, ids, 2, &pos));
    ck_assert_uint_eq(pos, 700);
    /* rotated: the old file read to its end, then the new one */
    put("a", LINE(800, 800));
    char rotated[300];
    snprintf(rotated, sizeof(rotated), "%s.1", path);
    ck_assert_int_eq(rename(path, rotated), 0);
    put("w", LINE(900, 850));
    ck_assert(state_feedback_poll(&f, ids, 2, &pos));
    ck_assert_uint_eq(pos, 850);
    /* removed: nothing until it comes back */
    unlink(path);
    ck_assert(!state_feedback_poll(&f, ids, 2, &pos));
    put("w", LINE(1000, 1000));
    ck_assert(state_feedback_poll(&f, ids, 2, &pos));
    ck_assert_uint_eq(pos, 1000);
    state_feedback_term(&f);
}
END_TEST

START_TEST(test_existing_file)
{
    /* a file that exists at the start is followed from after its last whole line */
    put("w", LINE(100, 100) LINE(200, 200) "{\"bookmarks\":{\"public-a\":{\"lsn\":300},");
    state_feedback f;
    uint64_t pos = 0;
    ck_assert(state_feedback_init(&f, path));
    ck_assert(!state_feedback_poll(&f, ids, 2, &pos));
    put("a", "\"public-b\":{\"lsn\":300}}}\n");
    ck_assert(state_feedback_poll(&f, ids, 2, &pos));
    ck_assert_uint_eq(pos, 300);
    state_feedback_term(&f);
    state_feedback_term(&f); /* terminated twice: nothing */
}
END_TEST

int main(void)
{
    log_init("unit_state_feedback");
    Suite *s = suite_create("state_feedback");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_line_lsn);
    tcase_add_test(tc, test_follow);
    tcase_add_test(tc, test_existing_file);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
