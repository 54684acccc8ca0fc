/*
 * setup: everything before the stream of a LOG_BASED run: the slot and
 * publication names, the server checks, the slot looked up (or replaced when
 * invalidated), the bookmarks read, the relation map built, the replica
 * identities checked, the publication ensured (pgoutput), SCHEMA of every
 * stream, the initial copies; and the positions the stream starts at,
 * confirms and ends at.
 */
#ifndef TAP_LOGICAL_SETUP_H
#define TAP_LOGICAL_SETUP_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "sl_run.h"

typedef struct setup_positions {
    uint64_t start;   /* START_REPLICATION here: the smallest bookmark */
    uint64_t confirm; /* confirmed to the slot: the input state's smallest lsn (0: nothing) */
    uint64_t end;     /* break_at_end_lsn's end: the server's insert position at the start */
    bool stream;      /* false: every stream is initial_only (copied; nothing to stream) */
} setup_positions;

/* setup_run: set up L's run (its streams initialised) and fill *out. False after logging
   (fail code set). */
bool setup_run(sl_run *L, setup_positions *out);

#endif
