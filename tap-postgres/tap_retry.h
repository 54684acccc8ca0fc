/*
 * tap_retry: a FULL_TABLE or INCREMENTAL stream that survives a lost source connection within the
 * run.
 *
 * When the copy fails because the connection was lost (the server restarted, our backend was
 * terminated, the network dropped or froze: the connection is CONNECTION_BAD and the failure
 * is the source's), the same connection is made again (up to reconnect_attempts times, waiting
 * 1, 2, 4 ... up to 30 s before each, every attempt logged) and the stream synced again from
 * the bookmark of the last STATE written, as the next run would: FULL_TABLE after its
 * last_pk_fetched, in the same table version; INCREMENTAL the rows whose replication key is >=
 * its replication_key_value, in key order (the rows sharing that value are sent again). Rows
 * written after that STATE are sent again; the target merges them by key. So only streams with a
 * primary key are retried (without one, rows would be appended twice); views neither.
 * Authentication or config errors are not retried, nor anything after a stop request or a failed
 * write to stdout.
 */
#ifndef TAP_TAP_RETRY_H
#define TAP_TAP_RETRY_H

#include <stdbool.h>

#include "catalog.h"
#include "pg_conn.h"
#include "tap.h"

/*
 * tap_retry_full_table: sft_sync(run, c, s), retried as above; c (borrowed) is reconnected in
 * place. False after logging, with run->fail_code set, when the stream could not be synced.
 */
bool tap_retry_full_table(tap_run *run, pg_conn *c, tap_stream *s);
/* tap_retry_incremental: the same for sync_incremental_run */
bool tap_retry_incremental(tap_run *run, pg_conn *c, tap_stream *s);

/*
 * tap_retry_reconnect: after c was lost, make it again (with the session settings): attempts
 * counted in *attempt up to reconnect_attempts, each logged as `stream "<stream>": lost <what>;
 * reconnecting in N s (attempt K of M, reconnect_attempts)` and waited for. False when no attempt
 * succeeded, a failure was not transient, or a stop was requested.
 */
bool tap_retry_reconnect(const tap_run *run, pg_conn *c, const char *stream, const char *what,
                         int *attempt);
/* tap_retry_attempts: the reconnect_attempts setting (default 3) */
long long tap_retry_attempts(const tap_run *run);
/* tap_retry_wait: the seconds to wait before reconnect attempt n (1, 2, 4, 8, then 30) */
int tap_retry_wait(int attempt);
/* tap_retry_sleep: wait that long, cut short by a stop request */
void tap_retry_sleep(int seconds);

#endif
