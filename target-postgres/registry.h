/*
 * registry: the streams of a run by name (an open-addressing index, with the last stream
 * looked up remembered: consecutive RECORDs are usually of one stream).
 *
 * Ownership: the registry owns its streams (registry_term destroys them); a stream pointer it
 * returns is borrowed and stays valid until registry_term (streams are never removed).
 */
#ifndef TARGET_REGISTRY_H
#define TARGET_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "hash_index.h"
#include "stream.h"

typedef struct registry {
    stream **streams; /* malloc'ed, owned: in order of arrival */
    size_t n, cap;
    hash_index index; /* the streams by name (indices into streams) */
    stream *last;     /* borrowed: the last stream found */
} registry;

/* registry_init: an empty registry (nothing allocated). */
void registry_init(registry *r);
/* registry_term: destroy every stream and the index. */
void registry_term(registry *r);
/* registry_find: the stream named name[0..n) (borrowed) or NULL. */
stream *registry_find(registry *r, const char *name, size_t n);
/* registry_add: a new stream named name[0..n) (not looked up first; borrowed), or NULL when
   out of memory (nothing logged). */
stream *registry_add(registry *r, const char *name, size_t n);

#endif
