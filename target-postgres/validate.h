/*
 * validate: JSON Schema validation of RECORD messages (the target's validate_records).
 *
 * A stream's schema is compiled once (validate_create) into a small immutable tree; checking a
 * record (validate_check) walks that tree and the record's cJSON tree side by side, with no
 * allocation and no keyword lookups. A validator is never modified after creation, so several
 * threads may check records against the same validator at once.
 *
 * Neither function logs: they return false and put a one-line message in err, and the caller
 * (who knows the line number and stream) logs it once.
 *
 * Supported keywords (anything else is ignored, as JSON Schema says of unknown keywords):
 *   type             a name or an array of names: null boolean object array number integer
 *                    string; an unknown name is an invalid schema. integer means a whole number
 *                    (1.0 is an integer).
 *   properties, required, additionalProperties (false, true or a schema; the check is turned off
 *                    when patternProperties is present, which is not supported). A property
 *                    that the schema does not name is accepted unless additionalProperties says
 *                    otherwise. The draft-3 boolean "required" inside a property is ignored.
 *   items            a schema (every element) or an array of schemas (by position; further
 *                    elements are not checked); minItems, maxItems.
 *   minLength, maxLength   in Unicode code points, not bytes.
 *   format           date-time, date, time (others are ignored):
 *                    date       YYYY-MM-DD, a real calendar day (leap years included)
 *                    date-time  RFC 3339: date "T" time, seconds required, any fraction, offset
 *                               required ("Z" or +HH:MM / -HH:MM); "t" and "z" accepted
 *                    time       HH:MM:SS[.fraction] with an optional offset (Z, +HH, +HH:MM,
 *                               +HH:MM:SS): taps write PostgreSQL time and timetz this way.
 *                               24:00:00 (a valid PostgreSQL time) is accepted.
 *                    Times and offsets are read by conv.c (conv_parse_time, conv_parse_zone),
 *                    as the target loads them: offsets up to 15:59:59, 24:00:00 only exactly,
 *                    "." before a fraction; what passes the format check loads.
 *                    Seconds may be 60 (leap second). The year has 4 digits, or up to 6 and a
 *                    leading "-" or "+": the tap writes PostgreSQL's years beyond 9999 and BC
 *                    years so (astronomical: -0043 is 44 BC). A date or date-time may end in
 *                    PostgreSQL's " BC" after an unsigned year.
 *   minimum, maximum, exclusiveMinimum, exclusiveMaximum (draft-4 boolean form modifying
 *                    minimum/maximum, and the numeric form of draft 6+), multipleOf (> 0).
 *   enum, const      deep JSON equality (numbers compared as doubles).
 *   anyOf, allOf, oneOf, not.
 *   true / false as whole schemas (draft 6+).
 * A supported keyword given twice in one schema object makes the schema invalid; a property
 * named twice in "properties" takes the later definition.
 * Not supported (ignored): $ref and definitions, patternProperties, pattern, dependencies,
 * if/then/else, uniqueItems, contains, propertyNames, min/maxProperties, other formats.
 *
 * Precision of numbers. cJSON keeps every number as a double, so the decimal text of the record
 * is gone after parsing. Bounds compare doubles, which is exact for the doubles themselves; two
 * different decimals that round to the same double (beyond 2^53, or more than 15 significant
 * digits) compare equal. multipleOf never divides in floating point: the value and the divisor
 * are turned into exact decimals (the shortest decimal text that reads back as the same double,
 * printed with 15, 16 or 17 significant digits) and the check is done on those digits with
 * integer arithmetic. For every JSON number written with at most 15 significant digits that
 * decimal is exactly the number's text (C's DBL_DIG guarantee), so multipleOf 0.01 accepts
 * 12.34 and rejects 12.345 exactly; numeric(12,2) values have at most 12 digits. With 16 or
 * more significant digits the check applies to the value as cJSON rounded it.
 * To be exact beyond that, give validate_check_numtext a lookup that returns the number's
 * original JSON text: bounds, integer and multipleOf then work on that text (up to
 * VALIDATE_MAX_DIGITS significant digits; longer texts fall back to the double).
 */
#ifndef TARGET_VALIDATE_H
#define TARGET_VALIDATE_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "decimal.h"

/* significant digits kept when a number's original text is known (see validate_numtext_fn) */
#define VALIDATE_MAX_DIGITS DECIMAL_MAX_DIGITS

typedef struct validator validator;

/*
 * validate_numtext_fn: return the original JSON text of the number node num (not
 * NUL-terminated; its length in *len) or NULL when it is not known. The text must be valid
 * JSON number text; it is only read during the call to validate_check_numtext.
 */
typedef const char *(*validate_numtext_fn)(void *ctx, const cJSON *num, size_t *len);

/*
 * validate_create: compile a stream's JSON Schema. The schema is borrowed: nothing of it is
 * kept after the call (enum and const values are copied). Returns the validator, which the
 * caller frees with validate_destroy, or NULL with a message in err (naming the schema location,
 * e.g. "schema properties.age.type: unknown type \"int\"") when the schema is invalid or out of
 * memory. err may be NULL when errlen is 0.
 */
validator *validate_create(const cJSON *schema, char *err, size_t errlen);

/* validate_destroy: free a validator; NULL does nothing. */
void validate_destroy(validator *v);

/*
 * validate_check: true when record conforms to the schema. Otherwise false and a message in err
 * naming the property path ("address.zip", "tags[3]", "(root)" for the record itself) and the
 * broken rule, e.g. "address.zip: longer than maxLength 5 (7 characters)". Both pointers are
 * borrowed; nothing is allocated.
 */
bool validate_check(const validator *v, const cJSON *record, char *err, size_t errlen);

/*
 * validate_check_numtext: validate_check, with numtext (may be NULL) called for a number node
 * whose exact value matters (integer type, bounds, multipleOf); ctx is passed through.
 */
bool validate_check_numtext(const validator *v, const cJSON *record, validate_numtext_fn numtext,
                            void *ctx, char *err, size_t errlen);

#endif
