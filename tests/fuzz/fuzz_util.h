/*
 * fuzz_util: what the harnesses share. Logging stays on, at debug level (the error and debug
 * lines format the offending input, which is worth running; tests/fuzz.sh closes the
 * fuzzer's stderr): FUZZ_LOG=<level name> changes it. FUZZ_CHECK: a harness's own check of
 * an output aborts, so that libFuzzer and the replay see it as a crash.
 */
#ifndef FUZZ_UTIL_H
#define FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* fuzz_log_init: once per process, the log level from FUZZ_LOG (a level name), else debug */
static inline void fuzz_log_init(void)
{
    static int done;
    if (done)
        return;
    done = 1;
    const char *lvl = getenv("FUZZ_LOG");
    if (!lvl || !log_set_level_name(lvl))
        log_set_level(LOG_DEBUG);
}

/* fuzz_dup: a malloc'ed copy of data[0..n) with a NUL after it (the caller frees) */
static inline char *fuzz_dup(const uint8_t *data, size_t n)
{
    char *p = malloc(n + 1);
    if (!p)
        abort();
    if (n)
        memcpy(p, data, n);
    p[n] = '\0';
    return p;
}

/* fuzz_dup_exact: a malloc'ed copy of exactly n bytes (no NUL: reads past it are caught) */
static inline char *fuzz_dup_exact(const uint8_t *data, size_t n)
{
    char *p = malloc(n ? n : 1);
    if (!p)
        abort();
    if (n)
        memcpy(p, data, n);
    return p;
}

/* FUZZ_CHECK: an output property the code promises; a violation aborts with a message */
#define FUZZ_CHECK(cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz check failed: %s: ", #cond);                                     \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif
