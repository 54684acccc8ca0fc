#include "lsn.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

bool lsn_parse(const char *text, uint64_t *out)
{
    if (!text || !*text)
        return false;
    char *end = NULL;
    errno = 0;
    unsigned long hi = strtoul(text, &end, 16);
    if (errno || end == text || *end != '/' || hi > 0xFFFFFFFFUL)
        return false;
    const char *lo_text = end + 1;
    unsigned long lo = strtoul(lo_text, &end, 16);
    if (errno || end == lo_text || *end != '\0' || lo > 0xFFFFFFFFUL)
        return false;
    *out = ((uint64_t)hi << 32) | (uint64_t)lo;
    return true;
}

void lsn_format(uint64_t lsn, char *out)
{
    snprintf(out, LSN_TEXT_MAX, "%" PRIX32 "/%" PRIX32, (uint32_t)(lsn >> 32), (uint32_t)lsn);
}

bool lsn_from_bookmark(const cJSON *v, uint64_t *out)
{
    if (cJSON_IsNumber(v) && v->valuedouble >= 1 && v->valuedouble < 9.0e15) {
        *out = (uint64_t)v->valuedouble;
        return true;
    }
    if (!cJSON_IsString(v))
        return false;
    if (lsn_parse(v->valuestring, out) && *out)
        return true;
    char *end = NULL;
    errno = 0;
    unsigned long long u = strtoull(v->valuestring, &end, 10);
    if (errno || !end || *end || !u)
        return false;
    *out = u;
    return true;
}
