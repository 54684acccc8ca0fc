#include "json_unescape.h"

#include <string.h>

const unsigned char json_unescape_simple[256] = {
    ['"'] = '"',  ['\\'] = '\\', ['/'] = '/',  ['b'] = '\b',
    ['f'] = '\f', ['n'] = '\n',  ['r'] = '\r', ['t'] = '\t',
};

json_unescape_result json_unescape_buf(buf *out, const char *s, size_t n, size_t *fault_at)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        /* a byte loop rather than memchr: strings with escapes are short, their runs shorter */
        const unsigned char *run = p;
        while (p < end && *p != '\\')
            p++;
        if (p > run)
            buf_append(out, run, (size_t)(p - run));
        if (p >= end)
            break;
        if (end - p < 2) {
            if (fault_at)
                *fault_at = (size_t)(p - (const unsigned char *)s);
            return JSON_UNESCAPE_TRUNCATED;
        }
        unsigned cp;
        json_unescape_result r = json_unescape_one(&p, end, &cp);
        if (r != JSON_UNESCAPE_OK) {
            if (fault_at)
                *fault_at = (size_t)(p - (const unsigned char *)s);
            return r;
        }
        json_unescape_put(out, cp);
    }
    return JSON_UNESCAPE_OK;
}
