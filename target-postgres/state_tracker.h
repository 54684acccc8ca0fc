/*
 * state_tracker: which STATE may be written.
 *
 * Every RECORD (and ACTIVATE_VERSION) gets a sequence number in arrival
 * order. A STATE is remembered with the sequence of the last message before
 * it. Once every message with a sequence below min_uncommitted is committed,
 * the newest remembered STATE whose messages are all committed is written;
 * older ones are dropped (they are covered by it), and a STATE equal to the
 * last one written is not written again.
 */
#ifndef TARGET_STATE_TRACKER_H
#define TARGET_STATE_TRACKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct state_tracker_entry {
    int64_t seq_at; /* sequence of the last record before the STATE, -1 when none */
    char *text;     /* malloc'ed compact JSON of the state value */
    size_t len;
} state_tracker_entry;

typedef struct state_tracker {
    state_tracker_entry *q; /* malloc'ed, oldest first */
    size_t n, cap;
    char *last; /* malloc'ed: the last state written */
    size_t last_len;
    bool has_last;
    char *out; /* malloc'ed: the text handed out by state_tracker_take */
} state_tracker;

void state_tracker_init(state_tracker *t);
void state_tracker_term(state_tracker *t);
/* state_tracker_add: remember a STATE (text copied). false when out of memory. */
bool state_tracker_add(state_tracker *t, int64_t seq_at, const char *text, size_t len);
/*
 * state_tracker_take: the newest STATE whose seq_at < min_uncommitted (INT64_MAX: everything is
 * committed), or NULL when there is none or it equals the last one written. The text
 * stays valid until the next call; the caller writes it.
 */
const char *state_tracker_take(state_tracker *t, int64_t min_uncommitted, size_t *len);
/* state_tracker_pending: number of STATEs waiting. */
size_t state_tracker_pending(const state_tracker *t);

#endif
