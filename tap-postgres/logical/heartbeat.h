/*
 * heartbeat: with heartbeat_seconds, the tap writes to the source every so often, so that
 * the server's WAL position moves, and with it the positions the stream reports, its STATE
 * and what state_feedback_file confirms, also on a database where nothing is written at all
 * (README "Running continuously": Heartbeats). By default a logical message
 * (pg_logical_emit_message, prefix "tap-postgres-heartbeat", non-transactional), which the
 * stream receives (pgoutput's "messages" option, PostgreSQL 14+; wal2json sends messages);
 * with heartbeat_action_query, that statement (a write to a table the user names, like
 * Debezium's heartbeat.action.query). Run on the run's normal connection (sl_run.c).
 */
#ifndef TAP_LOGICAL_HEARTBEAT_H
#define TAP_LOGICAL_HEARTBEAT_H

#include <stdbool.h>

#include "sl_run.h"

#define HEARTBEAT_PREFIX "tap-postgres-heartbeat"

/* heartbeat_check: refuse heartbeats a run cannot write (a standby is read-only). False after
   logging (fail code set). */
bool heartbeat_check(const sl_run *L);
/* heartbeat_tick: the heartbeat when due at now (the first at once). False after logging
   naming the setting and the privilege (fail code set). */
bool heartbeat_tick(sl_run *L, double now);

#endif
