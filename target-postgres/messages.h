/*
 * messages: the handlers of Singer messages (RECORD, SCHEMA, STATE, ACTIVATE_VERSION, BATCH)
 * for one input line.
 *
 * A RECORD line is parsed once with jscan and never becomes a cJSON tree unless
 * validate_records asks for one; a SCHEMA line becomes a table definition. Bad input is
 * logged once with its line and stream (target_bad_input).
 *
 * Ownership: the line is borrowed for the call; whatever is kept is copied into the target.
 */
#ifndef TARGET_MESSAGES_H
#define TARGET_MESSAGES_H

#include <stddef.h>

#include "target.h"

/* messages_handle_line: handle the input line line[0..len) (t->line_no set by the caller);
   an empty line is skipped. A failure is recorded in t (target_fail). */
void messages_handle_line(target *t, const char *line, size_t len);

#endif
