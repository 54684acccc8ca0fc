/*
 * decode_pgoutput: pgoutput (proto_version 1) binary messages -> the change model.
 *
 * pgoutput describes each table once per session in a Relation message
 * (again after any change of its columns) and then refers to it by OID. The
 * decoder keeps those descriptions in a relation cache keyed by OID and
 * marks a Relation message that differs from the cached one as `changed`,
 * so the caller can emit a new SCHEMA before the next RECORD.
 *
 * Every integer on the wire is big-endian; every string is NUL-terminated.
 * The layouts are drawn above each parser in decode_pgoutput.c.
 */
#ifndef TAP_DECODE_PGOUTPUT_H
#define TAP_DECODE_PGOUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "change.h"

typedef struct pgoutput_decoder pgoutput_decoder;

/* decode_pgoutput_create: a decoder with an empty relation cache (caller destroys); NULL if OOM. */
pgoutput_decoder *decode_pgoutput_create(void);
/* decode_pgoutput_destroy: free the decoder and its cache; NULL is fine. */
void decode_pgoutput_destroy(pgoutput_decoder *d);

/*
 * decode_pgoutput_decode: decode msg[0..len) into *out. Values borrow from msg;
 * relations and columns from the cache. Both stay valid until the next call
 * (a relation: until the next Relation message for its OID). False on a
 * malformed or unknown message, or a change for a relation never described,
 * after logging one line.
 */
bool decode_pgoutput_decode(pgoutput_decoder *d, const char *msg, size_t len, change *out);

/* decode_pgoutput_relation: the cached description of oid, or NULL. Borrowed. */
const change_relation *decode_pgoutput_relation(const pgoutput_decoder *d, uint32_t oid);

/*
 * decode_pgoutput_start_options: append the option list of START_REPLICATION,
 * ("proto_version" '1', "publication_names" '"pub"'), with "messages" 'true' when messages
 * (logical messages, PostgreSQL 14 and later: heartbeats and the chunked copy's watermarks).
 */
void decode_pgoutput_start_options(buf *out, const char *publication, bool messages);

#endif
