/* capture.h: run a step with stderr redirected, for asserting on log lines (unit tests). */
#ifndef TEST_CAPTURE_H
#define TEST_CAPTURE_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char captured[8192];
static int capture_fd = -1, capture_saved = -1;
static char capture_path[64];

static void capture_begin(void)
{
    snprintf(capture_path, sizeof(capture_path), "/tmp/unit_tap_XXXXXX");
    capture_fd = mkstemp(capture_path);
    ck_assert_int_ge(capture_fd, 0);
    fflush(stderr);
    capture_saved = dup(2);
    dup2(capture_fd, 2);
}

static const char *capture_end(void)
{
    fflush(stderr);
    dup2(capture_saved, 2);
    close(capture_saved);
    lseek(capture_fd, 0, SEEK_SET);
    ssize_t n = read(capture_fd, captured, sizeof(captured) - 1);
    captured[n > 0 ? n : 0] = '\0';
    close(capture_fd);
    unlink(capture_path);
    return captured;
}

#endif
