/*
 * state_feedback: the tap follows the file the target's stdout is appended to
 * (state_feedback_file: `tap ... | target ... >> states.jsonl`), so that a
 * continuous run can confirm to the slot what the target has committed while
 * it runs (README "Running continuously").
 *
 * Only whole lines count: a last line without its newline (the target is
 * writing it, or died while writing it) waits for its end. The file may not
 * exist yet (it is looked for again at every poll), may be truncated (read
 * again from its start) or rotated (renamed and made again: the old file is
 * read to its end, then the new one from its start). A file that exists at
 * the start is followed from after its last whole line: what it held before
 * is what the run's --state already says. A line is a Singer STATE message
 * or the bare state value the target writes; anything else is skipped.
 *
 * The position a line proves is the smallest lsn bookmark of the run's
 * streams in it (every one must have one, or the line proves nothing). The
 * caller confirms at most that, and never more than its own output reached.
 */
#ifndef TAP_LOGICAL_STATE_FEEDBACK_H
#define TAP_LOGICAL_STATE_FEEDBACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"

typedef struct state_feedback {
    char *path; /* malloc'ed */
    int fd;     /* -1 while the file is not open */
    dev_t dev;  /* the open file's identity (a rotation makes a new one) */
    ino_t ino;
    off_t offset; /* bytes of the open file read */
    buf partial;  /* owned: the last line read without its newline */
    long long lines;
    bool told_missing; /* the file's absence was logged */
} state_feedback;

/* state_feedback_init: follow path (copied), from after its last whole line when it exists.
   False after logging (out of memory, or a path that cannot be read). */
bool state_feedback_init(state_feedback *f, const char *path);
/* state_feedback_term: close and free; accepts a zeroed or terminated f. */
void state_feedback_term(state_feedback *f);
/*
 * state_feedback_poll: read the whole lines added since the last poll; *out becomes the
 * highest position one of them proves for the streams ids[0..n) (unchanged when none
 * proves one). Returns true when *out moved. Read errors are logged (once per cause) and
 * retried at the next poll.
 */
bool state_feedback_poll(state_feedback *f, const char *const *ids, size_t n, uint64_t *out);
/*
 * state_feedback_line_lsn: the smallest lsn bookmark of streams ids[0..n) in one state line
 * (a STATE message or a bare state value; len bytes, no newline). False when the line is not
 * a state or a stream has no lsn in it.
 */
bool state_feedback_line_lsn(const char *line, size_t len, const char *const *ids, size_t n,
                             uint64_t *out);

#endif
