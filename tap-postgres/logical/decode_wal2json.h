/*
 * decode_wal2json: wal2json format-version 2 messages -> the change model.
 *
 * With format-version 2 wal2json sends one JSON object per message:
 *
 *   {"action":"B","xid":726,"timestamp":"2026-11-21 12:24:40.651877+00",
 *    "lsn":"0/1947A60","nextlsn":"0/1947A90"}                   begin
 *   {"action":"I"|"U"|"D","xid":..,"timestamp":..,"lsn":"0/1947920",
 *    "schema":"public","table":"t1",
 *    "columns":[{"name":"id","type":"integer","typeoid":23,"value":1},..],
 *    "identity":[{"name":"id","type":"integer","typeoid":23,"value":1}]}
 *   {"action":"T","xid":..,"timestamp":..,"lsn":..,"schema":..,"table":..}
 *   {"action":"C",...same members as B...}                       commit
 *   {"action":"M",...}                                           logical message
 *
 * "columns" holds the new row (I, U) without unchanged TOAST columns;
 * "identity" the old key (U, D), or the whole old row under REPLICA
 * IDENTITY FULL. "lsn" of B and C is the commit record's position and
 * "nextlsn" the end of that record.
 *
 * The message is scanned once, by hand, not through cJSON: values must keep
 * their exact text (a numeric is sent as a bare JSON number) and no tree is
 * built per change. Strings are un-escaped IN PLACE in the caller's buffer
 * (an un-escaped string is never longer than its escaped form), so values
 * point into the message. wal2json's own renderings are undone so that every
 * value is the type's text output form again: true/false -> t/f, bytea gets
 * its "\x" prefix back. NaN and +-Infinity of number types arrive as null
 * unless the plugin supports numeric-data-types-as-string (wal2json >= 2.6).
 */
#ifndef TAP_DECODE_WAL2JSON_H
#define TAP_DECODE_WAL2JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "change.h"

typedef struct wal2json_decoder wal2json_decoder;

/* decode_wal2json_create: a decoder (caller destroys); NULL when out of memory (logged). */
wal2json_decoder *decode_wal2json_create(void);
/* decode_wal2json_destroy: free the decoder; NULL is fine. */
void decode_wal2json_destroy(wal2json_decoder *d);

/*
 * decode_wal2json_decode: decode msg[0..len) into *out. The buffer is rewritten in
 * place and *out borrows from it and from the decoder until the next call.
 * False on a malformed message, after logging one line naming the byte
 * offset and a short excerpt.
 */
bool decode_wal2json_decode(wal2json_decoder *d, char *msg, size_t len, change *out);

/*
 * decode_wal2json_table_pattern: append schema.table in wal2json's add-tables syntax
 * (a backslash before '.', ',', '*', '\\' and white space).
 */
void decode_wal2json_table_pattern(buf *out, const char *schema, const char *table);

/*
 * decode_wal2json_start_options: append the option list of START_REPLICATION for
 * wal2json, e.g. ("format-version" '2', "include-xids" '1', ...,
 * "add-tables" 'public.t1,public.t2'). add_tables is the comma-separated
 * list built with decode_wal2json_table_pattern (NULL or "" for every table);
 * numeric_as_string asks for numeric-data-types-as-string (wal2json >= 2.6).
 */
void decode_wal2json_start_options(buf *out, const char *add_tables, bool numeric_as_string);

#endif
