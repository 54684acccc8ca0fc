/*
 * validate: JSON Schema validation of records (validate_records).
 */
#ifndef TARGET_VALIDATE_H
#define TARGET_VALIDATE_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct validator validator;
/* validator_create: compile a stream's JSON Schema (borrowed, not kept); NULL + message in
   err on an unsupported or invalid schema. Caller destroys. */
validator *validator_create(const cJSON *schema, char *err, size_t errlen);
void validator_destroy(validator *v);
/* validator_check: true when record conforms; otherwise false and a message naming the
   property path and the broken rule in err. */
bool validator_check(const validator *v, const cJSON *record, char *err, size_t errlen);

#endif
