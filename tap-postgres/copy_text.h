/*
 * copy_text: split a row of COPY ... TO STDOUT (text format) into fields.
 *
 * A row is fields separated by tabs, ending with a newline. A field is \N
 * (NULL) or text with backslash escapes: \t \n \r \b \f \v \\, octal \ooo
 * (one to three digits) and \xhh (one or two hex digits); a backslash before
 * any other character stands for that character.
 *
 * Fields without a backslash point straight into the row (no copy); escaped
 * fields are un-escaped into the decoder's scratch buffer, which is reused
 * row after row: nothing is allocated per value once the buffers have grown.
 * The field pointers stay valid until the next copy_text_split call (and as long as
 * the row itself).
 */
#ifndef TAP_COPY_TEXT_H
#define TAP_COPY_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

typedef struct copy_text_field {
    const char *p; /* borrowed: into the row or the scratch buffer; NULL for a NULL field */
    size_t len;
    bool null;
} copy_text_field;

typedef struct copy_text_decoder {
    copy_text_field *fields; /* malloc'ed array of cap entries */
    size_t n;                /* fields of the last row */
    size_t cap;
    buf scratch; /* owned: un-escaped field bytes */
} copy_text_decoder;

/* copy_text_init / copy_text_term: set up and free a decoder (term accepts NULL). */
void copy_text_init(copy_text_decoder *d);
void copy_text_term(copy_text_decoder *d);

/*
 * copy_text_split: split row[0..len) (a trailing '\n' is allowed) into d->fields.
 * Returns false when the row is malformed (a trailing lone backslash) or on
 * out of memory; d->n is then undefined.
 */
bool copy_text_split(copy_text_decoder *d, const char *row, size_t len);

#endif
