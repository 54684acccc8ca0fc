#include "tap_retry.h"

#include "exit_codes.h"
#include "json_util.h"
#include "log.h"
#include "sync_full_table.h"
#include "sync_incremental.h"

#include <time.h>

/* a wait that a stop request cuts short */
static void backoff(int seconds)
{
    for (int i = 0; i < seconds * 10 && !tap_stop_requested; i++) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

/* the failure was the loss of the source connection, and syncing again is safe */
static bool retryable(const tap_run *run, const pg_conn *c, const tap_stream *s)
{
    return run->fail_code == EXIT_SOURCE_DB && PQstatus(c->conn) == CONNECTION_BAD &&
           !tap_stop_requested && singer_writer_ok(run->w) && s->npk > 0 && !s->is_view;
}

long long tap_retry_attempts(const tap_run *run)
{
    return json_util_int(run->cfg->root, "reconnect_attempts", 3);
}

int tap_retry_wait(int attempt)
{
    return attempt >= 5 ? 30 : 1 << (attempt - 1);
}

void tap_retry_sleep(int seconds)
{
    backoff(seconds);
}

bool tap_retry_reconnect(const tap_run *run, pg_conn *c, const char *stream, const char *what,
                         int *attempt)
{
    long long max = tap_retry_attempts(run);
    while (*attempt < max && !tap_stop_requested) {
        (*attempt)++;
        int wait = tap_retry_wait(*attempt);
        log_warn("stream \"%s\": lost %s; reconnecting in %d s (attempt %d of %lld, "
                 "reconnect_attempts)",
                 stream, what, wait, *attempt, max);
        backoff(wait);
        if (tap_stop_requested)
            break;
        bool transient = false;
        if (pg_conn_reconnect(c, &transient)) {
            if (pg_conn_exec(c, TAP_SESSION_SETTINGS))
                return true;
        } else if (!transient) {
            return false; /* the failure stays the first one */
        }
    }
    return false;
}

/* sync(run, c, s) until it succeeds or its failure is not a lost connection (see the header) */
static bool retry_stream(tap_run *run, pg_conn *c, tap_stream *s,
                         bool (*sync)(tap_run *, pg_conn *, tap_stream *), const char *resume)
{
    long long max = tap_retry_attempts(run);
    int attempt = 0;
    for (;;) {
        if (sync(run, c, s))
            return true;
        if (!retryable(run, c, s) || attempt >= max)
            return false;
        if (!tap_retry_reconnect(run, c, s->tap_stream_id, "the connection to the source",
                                 &attempt))
            return false;
        log_info("stream \"%s\": reconnected; syncing again from the last STATE written (%s)",
                 s->tap_stream_id, resume);
        run->fail_code = 0;
    }
}

bool tap_retry_full_table(tap_run *run, pg_conn *c, tap_stream *s)
{
    return retry_stream(run, c, s, sync_full_table_run, "after its last key, same table version");
}

bool tap_retry_incremental(tap_run *run, pg_conn *c, tap_stream *s)
{
    return retry_stream(run, c, s, sync_incremental_run,
                        "rows with the replication key >= its replication_key_value, in key order");
}
