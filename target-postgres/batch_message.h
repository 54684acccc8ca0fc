/*
 * batch_message: the Singer SDK's BATCH message, whose records are in files:
 *
 *   {"type": "BATCH", "stream": "s",
 *    "encoding": {"format": "jsonl", "compression": "gzip" | "none" | null},
 *    "manifest": ["file:///path/s-1.json.gz", ...]}
 *
 * Each file holds one record object per line (the body of a RECORD message, as the SDK's
 * JSONLinesBatcher writes them). Each line goes through the RECORD path (the caller's
 * messages_handle_line, on {"type":"RECORD","stream":..,"record":<line>}): the same conversion,
 * validation, batching and memory bound. Files are read with zlib (gzip, or plain files as they
 * are), a chunk at a time: memory holds one line, never a whole file.
 *
 * Errors (bad input, exit 6, naming the stream, the file and its line): a format other than
 * jsonl (parquet), an unknown compression, a URL that is not file://, a file that cannot be
 * opened (all files of a manifest are opened before any is read, so a missing one loads
 * nothing of the message), a read or gzip error, a line longer than max_line_bytes, a record
 * the RECORD path refuses.
 *
 * Ownership: line is borrowed for the call; nothing of it is kept.
 */
#ifndef TARGET_BATCH_MESSAGE_H
#define TARGET_BATCH_MESSAGE_H

#include <stddef.h>

#include "target.h"

/* the RECORD path a line of a file goes through (messages_handle_line) */
typedef void (*batch_message_line_fn)(target *t, const char *line, size_t len);

/* batch_message_handle: load the files of the BATCH message line[0..len), already parsed in
   t->js (its tokens are reused while the files are read), each line wrapped in a RECORD
   message and given to each. A failure is recorded in t. */
void batch_message_handle(target *t, const char *line, size_t len, batch_message_line_fn each);

#endif
