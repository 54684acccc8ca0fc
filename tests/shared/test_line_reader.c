#include "singer.h"

#include <check.h>
#include <stdlib.h>
#include <unistd.h>

static int pipe_with(const char *data, size_t n)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    /* small inputs only: the pipe buffer holds them */
    ck_assert_int_eq(write(fds[1], data, n), (ssize_t)n);
    close(fds[1]);
    return fds[0];
}

START_TEST(lines_and_last_without_newline)
{
    const char in[] = "one\ntwo\r\n\nlast";
    int fd = pipe_with(in, sizeof(in) - 1);
    singer_reader r;
    singer_reader_init(&r, fd, 0);
    const char *line;
    size_t len;
    ck_assert_int_eq(singer_reader_next(&r, &line, &len), LR_LINE);
    ck_assert_str_eq(line, "one");
    ck_assert_int_eq(singer_reader_next(&r, &line, &len), LR_LINE);
    ck_assert_str_eq(line, "two");
    ck_assert_int_eq(singer_reader_next(&r, &line, &len), LR_LINE);
    ck_assert_uint_eq(len, 0);
    ck_assert_int_eq(singer_reader_next(&r, &line, &len), LR_LINE);
    ck_assert_str_eq(line, "last");
    ck_assert_int_eq(r.line_no, 4);
    ck_assert_int_eq(singer_reader_next(&r, &line, &len), LR_EOF);
    singer_reader_term(&r);
    close(fd);
}
END_TEST

START_TEST(too_long)
{
    const char in[] = "short\nthis line is too long\nok\n";
    int fd = pipe_with(in, sizeof(in) - 1);
    singer_reader r;
    singer_reader_init(&r, fd, 10);
    const char *line;
    size_t len;
    ck_assert_int_eq(singer_reader_next(&r, &line, &len), LR_LINE);
    ck_assert_int_eq(singer_reader_next(&r, &line, &len), LR_TOO_LONG);
    ck_assert_int_eq(r.line_no, 2);
    singer_reader_term(&r);
    close(fd);
}
END_TEST

START_TEST(lines_across_reads)
{
    /* a line longer than one read chunk (1 MiB) */
    size_t big = 3 * 1024 * 1024;
    char *data = malloc(big + 8);
    memset(data, 'x', big);
    memcpy(data + big, "\nend\n", 5);
    char path[] = "/tmp/unit_lr_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_eq(write(fd, data, big + 5), (ssize_t)(big + 5));
    lseek(fd, 0, SEEK_SET);
    singer_reader r;
    singer_reader_init(&r, fd, 0);
    const char *line;
    size_t len;
    ck_assert_int_eq(singer_reader_next(&r, &line, &len), LR_LINE);
    ck_assert_uint_eq(len, big);
    ck_assert_int_eq(singer_reader_next(&r, &line, &len), LR_LINE);
    ck_assert_str_eq(line, "end");
    ck_assert_int_eq(singer_reader_next(&r, &line, &len), LR_EOF);
    singer_reader_term(&r);
    close(fd);
    unlink(path);
    free(data);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("singer_reader");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, lines_and_last_without_newline);
    tcase_add_test(tc, too_long);
    tcase_add_test(tc, lines_across_reads);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
