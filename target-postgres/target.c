#include "target.h"

#include "exit_codes.h"
#include "log.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int target_init(target *t, const config_sources *config)
{
    memset(t, 0, sizeof(*t));
    state_tracker_init(&t->states);
    singer_writer_init(&t->out, STDOUT_FILENO, 0);
    jscan_init(&t->js);
    buf_init(&t->tmp);
    registry_init(&t->reg);
    bool loaded = tconfig_load(&t->cfg, config);
    conv_init(&t->cx, &t->cfg);
    singer_reader_init(&t->in, STDIN_FILENO, loaded ? t->cfg.max_line_bytes : 1024);
    if (!loaded)
        return EXIT_BAD_CONFIG;
    tmetrics_init(&t->metrics);
    int workers = t->cfg.parallelism > 0 ? t->cfg.parallelism : t->cfg.max_parallelism;
    if (workers > t->cfg.max_parallelism)
        workers = t->cfg.max_parallelism;
    t->pool = flush_pool_create(&t->cfg, workers);
    return t->pool ? EXIT_OK : EXIT_TARGET_DB;
}

void target_term(target *t)
{
    flush_pool_destroy(t->pool);
    t->pool = NULL;
    registry_term(&t->reg);
    state_tracker_term(&t->states);
    singer_writer_term(&t->out);
    conv_term(&t->cx);
    jscan_term(&t->js);
    singer_reader_term(&t->in);
    buf_term(&t->tmp);
    tconfig_term(&t->cfg);
}

void target_fail(target *t, int code)
{
    assert(code != EXIT_OK);
    t->failed = true;
    if (!t->exit_code)
        t->exit_code = code;
}

void target_oom(target *t)
{
    log_error("out of memory");
    target_fail(t, EXIT_INTERNAL);
}

void target_bad_input(target *t, const char *sname, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    char where[512];
    if (t->batch_file && t->batch_line)
        snprintf(where, sizeof(where), "line %lld: BATCH file \"%.300s\" line %lld", t->line_no,
                 t->batch_file, t->batch_line);
    else if (t->batch_file)
        snprintf(where, sizeof(where), "line %lld: BATCH file \"%.300s\"", t->line_no,
                 t->batch_file);
    else
        snprintf(where, sizeof(where), "line %lld", t->line_no);
    if (sname)
        log_error("%s: stream \"%s\": %s", where, sname, msg);
    else
        log_error("%s: %s", where, msg);
    target_fail(t, EXIT_BAD_INPUT);
}
