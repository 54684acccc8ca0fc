/*
 * identity: the replica identities of the streams' tables and of the
 * partitions and children whose rows they read, checked at the start: a
 * warning where changes are lost for a table of its own, a refusal (exit 3)
 * where a descendant's changes could not reach an ancestor's stream.
 */
#ifndef TAP_LOGICAL_IDENTITY_H
#define TAP_LOGICAL_IDENTITY_H

#include <stdbool.h>

#include "sl_run.h"

/* identity_check: warn about the streams' own tables (see identity.c). False after logging
   (fail code set). */
bool identity_check(sl_run *L);
/* identity_warn_generated: a warning per stream and synced generated column whose values the
   plugin does not carry in changes (see identity.c). False after logging a query failure. */
bool identity_warn_generated(sl_run *L);
/* identity_check_descendants: refuse descendants whose identity does not carry the stream's
   key (see identity.c). False after logging (fail code set). */
bool identity_check_descendants(sl_run *L);

#endif
