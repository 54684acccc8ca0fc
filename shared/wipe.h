/*
 * wipe: zeroing memory that held a secret or a credential before it is freed.
 *
 * Nothing here allocates; each function releases what it is given (a buf's data, a cJSON
 * tree) after wiping it, and accepts NULL.
 */
#ifndef SINGER_WIPE_H
#define SINGER_WIPE_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "buf.h"

/* wipe_bytes: zero p[0..n) in a way the compiler may not drop. p may be NULL when n is 0. */
void wipe_bytes(void *p, size_t n);

/* wipe_buf_term: zero the whole capacity of b, then buf_term it. */
void wipe_buf_term(buf *b);

/* wipe_json_delete: zero every string value of the tree (keys are names), then cJSON_Delete. */
void wipe_json_delete(cJSON *root);

/* wipe_free_string: zero a NUL-terminated malloc'ed string and free it. */
void wipe_free_string(char *s);

#endif
