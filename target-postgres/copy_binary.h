/*
 * copy_binary: a batch's COPY text rows re-encoded as COPY's binary format, for the direct
 * COPY (direct_load.c). The server then calls each type's receive function, which for dates,
 * times, numbers and booleans is much cheaper than parsing their text: on the bench table the
 * server's COPY FROM takes 1.8 s in binary against 2.5 s in text (PERF.md).
 *
 * Exactness first: a field is encoded only when its text is in a form whose value is certain
 * (an integer in range, a decimal, a date-time with at most six fraction digits in years
 * 0001-9999, ...) and equal to what the type's input function makes of it; anything else
 * (BC dates, infinity, NaN, a time zone name, a type not listed) makes copy_binary_field
 * return false, and the caller sends that batch and the rest of the stream's as text.
 * The session's TimeZone is UTC (flush_pool.c), so a date-time without an offset is UTC.
 *
 * Ownership: nothing is kept; the encoders append to the caller's buffer.
 */
#ifndef TARGET_COPY_BINARY_H
#define TARGET_COPY_BINARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

typedef enum bin_type {
    BIN_NONE = 0, /* a type without an encoder here: the batch goes as text */
    BIN_INT2,
    BIN_INT4,
    BIN_INT8,
    BIN_NUMERIC,
    BIN_FLOAT8,
    BIN_BOOL,
    BIN_TEXT, /* text, varchar, char: the bytes */
    BIN_TIMESTAMPTZ,
    BIN_DATE,
    BIN_JSONB,
    BIN_JSON,
    BIN_UUID,
    BIN_BYTEA,
    BIN_VARBIT, /* the merge's _tgt_absent mask: '0' and '1' */
} bin_type;

/* copy_binary_type: the encoder of a column of SQL type sql (format_type's text, or the type
   text the target created the column with: "bigint", "numeric(12,2)", "character varying(64)",
   "timestamp(3) with time zone"); BIN_NONE for any other type (domains, arrays, time, ...). */
bin_type copy_binary_type(const char *sql);

/* copy_binary_header / copy_binary_trailer: the start and the end of the COPY data. */
void copy_binary_header(buf *out);
void copy_binary_trailer(buf *out);

/* copy_binary_row_start: a row of nfields fields. */
void copy_binary_row_start(buf *out, int nfields);

/* copy_binary_field: the COPY text field s[0..n) (escaped as COPY text; "\N" is NULL) of a column
   of type t, appended as a binary field. false (out unchanged) when the text is not in a form
   this encoder takes. */
bool copy_binary_field(buf *out, bin_type t, const char *s, size_t n);

/* copy_binary_row: the COPY text row [p, end) (tab-separated fields, no newline) as a binary row
   of its nfields fields of types bin[0 .. nfields), then the field tail[0 .. tail_len) already
   encoded (NULL: none) counted in the row's field count. false (out unchanged) when the row
   does not have nfields fields or a field is refused. */
bool copy_binary_row(buf *out, const unsigned char *bin, size_t nfields, const char *p,
                     const char *end, const char *tail, size_t tail_len);

#endif
