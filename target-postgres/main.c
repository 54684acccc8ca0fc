/*
 * target-postgres: Singer messages on stdin -> PostgreSQL, STATE values on stdout.
 *
 * This file holds the arguments, the read loop and the final flush; the rest is the target's
 * library: messages.c handles each line (parsed once with jscan, a RECORD appended to its
 * stream's batch as COPY text), scheduler.c hands batches to the flush pool and takes them
 * back, after which the newest STATE whose records are all committed is written. It keeps
 * reading while batches load. Only this file calls exit() (returns from main).
 */
#include "exit_codes.h"
#include "log.h"
#include "metrics.h"
#include "messages.h"
#include "scheduler.h"
#include "singer.h"
#include "target.h"
#include "timefmt.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* SIGINT / SIGTERM: stop reading, load what was read, write its STATE, exit 130. The handler
   is reset by its first run, so a second signal ends the process at once (open transactions
   roll back on the server; no STATE is written for them). */
static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

/* ------------------------------------------------------------------ the loop */

static bool line_buffered(const singer_reader *r)
{
    return r->eof || (r->in.len > r->pos && memchr(r->in.data + r->pos, '\n', r->in.len - r->pos));
}

/* run: the read loop, then the final flush. Returns whether a signal stopped it. */
static bool run(target *t)
{
    t->stop = &stop_signal;
    bool interrupted = false;
    long long since_check = 0;
    while (!t->failed) {
        if (stop_signal) {
            size_t pending = 0;
            for (size_t i = 0; i < t->reg.n; i++)
                pending += t->reg.streams[i]->cur->rows;
            log_info("stopping on signal %d after line %lld: loading the %zu pending rows, then "
                     "writing their STATE (a second signal stops at once)",
                     (int)stop_signal, t->line_no, pending);
            interrupted = true;
            break;
        }
        while (flush_pool_done_count(t->pool) > 0 && !t->failed)
            scheduler_take_done(t, false);
        if (t->failed)
            break;
        if (!line_buffered(&t->in)) {
            struct pollfd fds[2] = {{t->in.fd, POLLIN, 0},
                                    {flush_pool_wake_fd(t->pool), POLLIN, 0}};
            int timeout = -1;
            if (t->cfg.batch_wait_limit_seconds > 0)
                timeout = 100;
            else if (metrics_interval() > 0)
                timeout = 1000; /* the periodic points also while the input is idle */
            int pr = poll(fds, 2, timeout);
            if (pr < 0 && errno != EINTR) {
                log_error("poll: %m");
                target_fail(t, EXIT_INTERNAL);
                break;
            }
            if (pr <= 0 || !(fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
                scheduler_check_age(t);
                tmetrics_tick(&t->metrics, &t->reg);
                continue;
            }
        }
        const char *line;
        size_t len;
        singer_reader_status s = singer_reader_next(&t->in, &line, &len);
        if (s == LR_EOF)
            break;
        t->line_no = t->in.line_no;
        if (s == LR_TOO_LONG) {
            target_bad_input(t, NULL, "the line is longer than max_line_bytes (%zu bytes)",
                             t->cfg.max_line_bytes);
            break;
        }
        if (s == LR_ERROR) {
            target_fail(t, EXIT_BAD_INPUT);
            break;
        }
        messages_handle_line(t, line, len);
        if (++since_check >= 1024) {
            since_check = 0;
            scheduler_check_age(t);
            tmetrics_tick(&t->metrics, &t->reg);
        }
    }
    if (!t->failed) {
        scheduler_flush_all(t);
        scheduler_wait_all(t);
        /* the STATE of the records does not wait for tables without records */
        scheduler_emit_states(t);
        scheduler_sync_tables(t);
        scheduler_wait_all(t);
        scheduler_emit_states(t);
    }
    /* after a failure: loads not started are dropped, running ones finish (committed data
       stays; no STATE is written after a failure) */
    if (t->failed)
        flush_pool_stop_new(t->pool);
    scheduler_wait_all(t);
    return interrupted;
}

/* ------------------------------------------------------------------ CLI */

static void usage(FILE *f)
{
    fprintf(f, "usage: target-postgres --config CONFIG [--config CONFIG ...] [--input FILE]\n"
               "                       [--log-level LEVEL] < singer-messages\n"
               "       target-postgres --about [--format json|markdown]\n"
               "       target-postgres --version | --help\n"
               "Loads Singer messages from stdin (or --input FILE) into PostgreSQL; writes each\n"
               "committed STATE value to stdout. Logs go to stderr. Several --config files are\n"
               "merged in order (a later key wins); --config ENV reads the settings from\n"
               "TARGET_POSTGRES_<SETTING> environment variables.\n");
}

static int about(const char *format)
{
    buf b = BUF_INIT;
    if (format && strcmp(format, "markdown") == 0) {
        buf_appendf(&b,
                    "# target-postgres\n\nVersion %s. A Singer target for PostgreSQL "
                    "(pipelinewise-target-postgres compatible).\n\n"
                    "Capabilities: about, activate-version, batch, hard-delete, soft-delete, "
                    "schema-flattening, target-schema, validate-records\n\n## Settings\n\n",
                    PROJECT_VERSION);
        config_settings_markdown(&b, tconfig_keys, tconfig_nkeys);
    } else if (!format || strcmp(format, "json") == 0) {
        buf_appendf(&b,
                    "{\"name\":\"target-postgres\",\"description\":\"Singer target for PostgreSQL "
                    "(pipelinewise-target-postgres compatible)\",\"version\":\"%s\","
                    "\"capabilities\":[\"about\",\"activate-version\",\"batch\",\"hard-delete\","
                    "\"soft-delete\",\"schema-flattening\",\"target-schema\",\"validate-records\"],"
                    "\"settings\":",
                    PROJECT_VERSION);
        config_settings_schema(&b, tconfig_keys, tconfig_nkeys);
        buf_append_lit(&b, "}\n");
    } else {
        log_error("--format must be json or markdown");
        return EXIT_BAD_ARGS;
    }
    bool ok = buf_ok(&b) && fwrite(b.data, 1, b.len, stdout) == b.len && fflush(stdout) == 0;
    buf_term(&b);
    return ok ? EXIT_OK : EXIT_OUTPUT;
}

int main(int argc, char **argv)
{
    log_init("target-postgres");
    config_sources config = {0};
    const char *format = NULL, *input = NULL;
    bool want_about = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if ((strcmp(a, "--config") == 0 || strcmp(a, "-c") == 0) && i + 1 < argc) {
            if (!config_sources_add(&config, argv[++i]))
                return EXIT_BAD_ARGS;
        } else if (strncmp(a, "--config=", 9) == 0) {
            if (!config_sources_add(&config, a + 9))
                return EXIT_BAD_ARGS;
        } else if (strcmp(a, "--input") == 0 && i + 1 < argc) {
            input = argv[++i];
        } else if (strncmp(a, "--input=", 8) == 0) {
            input = a + 8;
        } else if (strcmp(a, "--about") == 0) {
            want_about = true;
        } else if (strcmp(a, "--format") == 0 && i + 1 < argc) {
            format = argv[++i];
        } else if (strncmp(a, "--format=", 9) == 0) {
            format = a + 9;
        } else if (strcmp(a, "--log-level") == 0 && i + 1 < argc) {
            if (!log_set_level_name(argv[++i])) {
                log_error("unknown log level \"%s\"", argv[i]);
                return EXIT_BAD_ARGS;
            }
        } else if (strcmp(a, "--version") == 0) {
            printf("target-postgres %s\n", PROJECT_VERSION);
            return EXIT_OK;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return EXIT_OK;
        } else {
            log_error("unknown argument \"%s\" (see --help)", a);
            return EXIT_BAD_ARGS;
        }
    }
    if (want_about)
        return about(format);
    if (config.n == 0) {
        log_error("missing --config (see --help)");
        return EXIT_BAD_ARGS;
    }
    if (input) {
        /* the Singer SDK's --input FILE: the messages from a file instead of stdin */
        int fd = open(input, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            log_error("--input \"%s\": %s", input, strerror(errno));
            return EXIT_BAD_ARGS;
        }
        if (dup2(fd, STDIN_FILENO) < 0) {
            log_error("--input \"%s\": %s", input, strerror(errno));
            close(fd);
            return EXIT_BAD_ARGS;
        }
        close(fd);
    }
    target t;
    int code = target_init(&t, &config);
    if (code != EXIT_OK) {
        target_term(&t);
        return code;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND; /* no SA_RESTART: poll() returns at once */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    double t0 = timefmt_monotonic();
    bool interrupted = run(&t);
    long long rows = 0;
    for (size_t i = 0; i < t.reg.n; i++)
        rows += t.reg.streams[i]->rows_total;
    for (size_t i = 0; i < t.reg.n; i++)
        stream_warn_unknown(t.reg.streams[i]);
    code = t.exit_code;
    if (!code && !singer_writer_flush(&t.out))
        code = EXIT_OUTPUT;
    if (!code && interrupted) {
        log_info("stopped by a signal: loaded %lld rows from %lld lines in %.3f s; the last "
                 "STATE written covers them",
                 rows, t.line_no, timefmt_monotonic() - t0);
        code = EXIT_INTERRUPTED;
    } else if (!code) {
        log_info("loaded %lld rows from %lld lines in %.3f s", rows, t.line_no,
                 timefmt_monotonic() - t0);
    } else {
        log_error("stopped: no STATE was written after the failure (exit code %d)", code);
    }
    tmetrics_summary(&t.metrics, &t.reg);
    log_info("batches held at most %zu bytes (max_batch_memory_bytes %lld)", t.mem_peak,
             t.cfg.max_batch_memory_bytes);
    target_term(&t);
    return code;
}
