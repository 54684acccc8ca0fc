/*
 * stream_changes: the stream loop of a LOG_BASED run. START_REPLICATION at
 * start, confirm (once, and never more) what the input state proves, then
 * each message decoded and dispatched (BEGIN, COMMIT, row changes, TRUNCATE,
 * RELATION) until the stop rules (stop_rules.h) end the run, with a final
 * STATE.
 */
#ifndef TAP_LOGICAL_STREAM_CHANGES_H
#define TAP_LOGICAL_STREAM_CHANGES_H

#include <stdbool.h>
#include <stdint.h>

#include "sl_run.h"

/* stream_changes: stream from start, confirming confirm, break_at_end_lsn at end_lsn. False
   after logging (fail code set; EXIT_INTERRUPTED after a signal, with the final STATE). */
bool stream_changes(sl_run *L, uint64_t start, uint64_t confirm, uint64_t end_lsn);

#endif
