/* lsn: PostgreSQL WAL positions ("16/B374D848") as 64-bit integers. */
#ifndef SINGER_LSN_H
#define SINGER_LSN_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#define LSN_TEXT_MAX 20

/* lsn_parse: "X/Y" hex text to an integer; false when malformed. */
bool lsn_parse(const char *text, uint64_t *out);
/* lsn_format: the "X/Y" text of lsn into out (at least LSN_TEXT_MAX bytes). */
void lsn_format(uint64_t lsn, char *out);
/* lsn_from_bookmark: an lsn bookmark as found in a state (a number, a "X/Y" text or a decimal
   text) into *out; false when v is none of these (or 0). */
bool lsn_from_bookmark(const cJSON *v, uint64_t *out);

#endif
