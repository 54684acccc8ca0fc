/*
 * logical_slot: the replication slot and the publication of LOG_BASED streams.
 *
 * Names: slot_name and publication_name from the config, else pipelinewise's
 * rule: "pipelinewise_<dbname>" plus "_<tap_id>" when tap_id is set,
 * lower-cased, every character outside [a-z0-9_] replaced by '_'.
 *
 * Every setup problem gets its own message naming the setting or privilege to
 * change and the SQL to run: wal_level not logical, no REPLICATION privilege,
 * all slots in use, wal2json not allowed by output_plugin_libraries (or not
 * installed), a slot that belongs to another database or is in use, a
 * publication we may not create or extend.
 */
#ifndef TAP_LOGICAL_SLOT_H
#define TAP_LOGICAL_SLOT_H

#include <cjson/cJSON.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "pg_conn.h"

#define LOGICAL_NAME_MAX 64 /* NAMEDATALEN */

/*
 * logical_slot_default_name: pipelinewise's slot name rule applied to dbname and
 * tap_id (NULL or "" for none), into out (LOGICAL_NAME_MAX bytes). False when
 * the result is longer than 63 bytes (logged).
 */
bool logical_slot_default_name(const char *dbname, const char *tap_id, char *out);

/*
 * logical_slot_names: the slot and publication names for a tap config
 * (slot_name / publication_name, else the default rule on dbname|database
 * and tap_id). Each out holds LOGICAL_NAME_MAX bytes. False after logging.
 */
bool logical_slot_names(const cJSON *config, char *slot_out, char *publication_out);

/* logical_slot_plugin_known: true for "wal2json" and "pgoutput". */
bool logical_slot_plugin_known(const char *plugin);

/*
 * logical_slot_check_server: on a normal connection, check what LOG_BASED needs
 * before touching anything: wal_level = logical, the REPLICATION privilege
 * (or superuser), and when plugin is "wal2json" that output_plugin_libraries
 * (on releases that have it) lists it. False after logging the fix.
 */
bool logical_slot_check_server(pg_conn *c, const char *plugin);

typedef struct logical_slot_info {
    bool exists;
    char plugin[64];
    char database[128];
    bool logical;
    bool active;
    int active_pid;
    bool temporary;
    uint64_t restart_lsn;
    uint64_t confirmed_flush_lsn;
    char wal_status[16]; /* reserved, extended, unreserved, lost ("" before PostgreSQL 13) */
    bool failover;       /* created or altered with FAILOVER (PostgreSQL 17+) */
} logical_slot_info;

/* logical_slot_lookup: what pg_replication_slots says about slot. False after logging. */
bool logical_slot_lookup(pg_conn *c, const char *slot, logical_slot_info *out);

/*
 * logical_slot_drop: drop an inactive slot (pg_drop_replication_slot) on a
 * normal connection. False after logging.
 */
bool logical_slot_drop(pg_conn *c, const char *slot);

/*
 * logical_slot_await_release: when the slot in *info exists and is active,
 * look it up again every 200 ms for up to `seconds` (or until *stop), and
 * say once that it waits: the walsender of a run killed a moment ago holds
 * the slot until it notices its client is gone (it may be finishing the
 * slot's creation). Past those seconds a holder that is still creating the
 * slot (a walsender in CREATE_REPLICATION_SLOT, which waits for the
 * transactions running on the server, and notices a client gone only after)
 * is waited for until it is done, saying every 30 s which pids it waits for.
 * *info is the last lookup. False only when a lookup failed (logged); a slot
 * still active is for logical_slot_usable to report.
 */
bool logical_slot_await_release(pg_conn *c, const char *slot, logical_slot_info *info, int seconds,
                                volatile sig_atomic_t *stop);

/*
 * logical_slot_usable: check an existing slot against this tap: a logical
 * slot of this database, with a known plugin, not in use by another process.
 * False after logging what to do.
 */
bool logical_slot_usable(const logical_slot_info *info, const char *slot, const char *dbname);

/*
 * logical_slot_check_capacity: before creating `needed` slots, check that
 * max_replication_slots leaves room. False after logging the fix.
 */
bool logical_slot_check_capacity(pg_conn *c, int needed);

typedef struct logical_slot_created {
    char name[LOGICAL_NAME_MAX];
    uint64_t consistent_point; /* changes that commit at or after it are streamed */
    char snapshot[64];         /* exported snapshot ("" when none) */
    char plugin[64];
    bool interrupted; /* on failure: *stop was set while waiting (the command was cancelled) */
} logical_slot_created;

/*
 * logical_slot_create: CREATE_REPLICATION_SLOT slot [TEMPORARY] LOGICAL plugin
 * EXPORT_SNAPSHOT on a replication connection. The snapshot stays importable
 * (SET TRANSACTION SNAPSHOT) until the next command on this connection. It
 * waits for the transactions running on the server to end (saying so every
 * 30 s); when *stop becomes non-zero meanwhile (a signal), the command is
 * cancelled (no slot is left) and out->interrupted set. stop may be NULL.
 * False after logging the cause and its fix.
 */
bool logical_slot_create(pg_conn *repl, const char *slot, const char *plugin, bool temporary,
                         bool failover, const volatile sig_atomic_t *stop,
                         logical_slot_created *out);

/*
 * logical_slot_set_failover: ALTER_REPLICATION_SLOT slot (FAILOVER true) on a replication
 * connection (PostgreSQL 17+; the slot not in use). False after logging.
 */
bool logical_slot_set_failover(pg_conn *repl, const char *slot);

/*
 * logical_slot_explain_failure: after a failed replication command (slot
 * creation, START_REPLICATION) on c, log the fix for the causes we know
 * (wal2json not allowed or not installed, no free slot, no free WAL
 * sender, missing privilege). Logs nothing for other causes.
 */
void logical_slot_explain_failure(pg_conn *c, const char *plugin);

typedef struct logical_slot_table {
    const char *schema;
    const char *table;
} logical_slot_table;

/*
 * logical_slot_publication_ensure: make publication `pub` publish every table in
 * tables[0..n): create it (FOR TABLE ..., partitions published under their own names) when
 * missing, add the missing tables otherwise. A table without a replica
 * identity is refused before it is added (UPDATE and DELETE on it would fail
 * once it is published). When we may not change the publication the error
 * gives the exact SQL for the owner to run. Warns when the publication does
 * not publish insert, update, delete or truncate. Tables are named without
 * ONLY: an inheritance parent brings its children along (list them too, so
 * that a missing child is found and added). added (n entries, or NULL) tells
 * which tables were not published before this call: their changes until now
 * never reached the slot. False after logging.
 */
bool logical_slot_publication_ensure(pg_conn *c, const char *pub, const logical_slot_table *tables,
                                     int n, bool *added);

/* logical_slot_repl_literal: append s as a literal of the replication command grammar ('' for ').
 */
void logical_slot_repl_literal(buf *out, const char *s);

#endif
