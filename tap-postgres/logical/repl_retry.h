/*
 * repl_retry: a LOG_BASED stream that survives the loss of its replication connection within
 * the run (the walsender terminated, the server restarted, the network dropped the connection).
 *
 * The stream is started again on a new replication connection from L->processed: every
 * transaction that committed before it has been written whole to stdout in this run (its last
 * record before the position moved), so the server, which decodes again from the slot's
 * restart point, skips them (a transaction whose commit record starts before the START_REPLICATION
 * position is not sent) and the streams' bookmarks filter as in a new run
 * (sl_run_applies). The transaction being read when the connection was lost is sent again from
 * its BEGIN: its records already written are written a second time (at-least-once for that
 * one transaction, as after a killed run: the target merges them by key; a keyless stream gets
 * those rows twice), which is logged. The flushed position reported stays the input state's.
 *
 * Not retried: a stream the server ended (CopyDone), an error on a connection still up (a
 * dropped slot, a protocol error), a connection that froze (read_timeout), a stop request, a
 * failed write to stdout. Up to reconnect_attempts attempts in all (the tap's setting, see
 * tap_retry.h), waiting 1, 2, 4, 8, then 30 s before each, each logged.
 *
 * Ownership: L->repl is replaced (the lost one destroyed); rs is restarted on the new one.
 */
#ifndef TAP_LOGICAL_REPL_RETRY_H
#define TAP_LOGICAL_REPL_RETRY_H

#include <stdbool.h>
#include <stdint.h>

#include "repl_stream.h"
#include "sl_run.h"

/*
 * repl_retry_reconnect: after repl_stream_next returned REPL_ERROR on rs: when the connection
 * was lost, reconnect and START_REPLICATION again with options and status_interval_ms (those of
 * the first start), confirming confirm; *attempts counts the attempts of the run. True when
 * the stream goes on; false (nothing more to do than to fail the run) otherwise.
 */
bool repl_retry_reconnect(sl_run *L, repl_stream *rs, const char *options, int status_interval_ms,
                          uint64_t confirm, int *attempts);

/*
 * repl_retry_metadata_connection: the run's other connection (metadata of relations met in the
 * stream, the walsender probe, the metrics), checked; when it was lost (the server restarted,
 * its backend terminated) it is made again with the session settings. False when it is lost
 * and could not be made again, or froze (given up after read_timeout, logged then).
 */
bool repl_retry_metadata_connection(sl_run *L);

#endif
