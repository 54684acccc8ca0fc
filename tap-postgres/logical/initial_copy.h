/*
 * initial_copy: the copy of the streams without a usable lsn bookmark,
 * inside the snapshot a slot exports when it is created (the run's slot, or
 * a TEMPORARY one when that exists), and the copy again at the end of the run
 * of the streams a TRUNCATE emptied in part.
 */
#ifndef TAP_LOGICAL_INITIAL_COPY_H
#define TAP_LOGICAL_INITIAL_COPY_H

#include <stdbool.h>
#include <stdint.h>

#include "sl_run.h"

/* initial_copy_streams: copy the streams that need it inside snapshot; their bookmark becomes
   consistent_point. False after logging (fail code set). */
bool initial_copy_streams(sl_run *L, const char *snapshot, uint64_t consistent_point);
/* initial_copy_in_temporary_slot: the same inside the snapshot of a TEMPORARY slot. False
   after logging (fail code set). */
bool initial_copy_in_temporary_slot(sl_run *L);
/* initial_copy_recopy: after the stream, copy again the streams marked recopy. False after
   logging (fail code set). */
bool initial_copy_recopy(sl_run *L);

#endif
