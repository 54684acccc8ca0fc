/*
 * tap_sync: tap_sync_run, which syncs the selected streams of a catalog in
 * pipelinewise's order with the replication method of each (sync_full_table,
 * sync_incremental, sync_logical).
 */
#ifndef TAP_TAP_SYNC_H
#define TAP_TAP_SYNC_H

#include <stdbool.h>

#include "catalog.h"
#include "pg_conn.h"
#include "tap.h"

/*
 * tap_sync_run: sync the selected streams of cat (already bound to the
 * database). FULL_TABLE and INCREMENTAL streams one after the other (the
 * state's currently_syncing first, then by tap_stream_id; parallel_streams of them at once
 * through stream_pool when it is above 1), then every
 * LOG_BASED stream in one pass (sync_logical_run). False after logging;
 * run->fail_code says why.
 */
bool tap_sync_run(tap_run *run, pg_conn *c, tap_catalog *cat);

#endif
