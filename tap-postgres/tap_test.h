/*
 * tap_test: the Singer SDK's `--test`: a connection test that reads one record of each stream.
 *
 * For each stream of cat (in its order): the SCHEMA message, then (unless schema_only) one
 * record read with COPY (SELECT <columns> FROM <table> [WHERE <custom_where_clauses>] LIMIT 1)
 * in a READ ONLY transaction, written as a RECORD. No STATE and no ACTIVATE_VERSION: a
 * one-record read is no bookmark to continue from, and an ACTIVATE_VERSION after one record
 * would make a target drop the rest of the table. The state is not read or changed.
 */
#ifndef TAP_TAP_TEST_H
#define TAP_TAP_TEST_H

#include <stdbool.h>

#include "tap.h"

/*
 * tap_test_run: the test over c (borrowed, idle) for the streams of cat (borrowed, bound).
 * False after logging the failing stream and what failed (fail code set: EXIT_SOURCE_DB when
 * a read fails, EXIT_OUTPUT when stdout is closed).
 */
bool tap_test_run(tap_run *run, pg_conn *c, const tap_catalog *cat, bool schema_only);

/*
 * tap_test_select_all: mark every stream of a discovered catalog (root, borrowed and modified)
 * selected, with replication-method FULL_TABLE where it has none: what `--test` without
 * --catalog tests, as the SDK tests every stream it discovers. False when out of memory.
 */
bool tap_test_select_all(cJSON *root);

#endif
