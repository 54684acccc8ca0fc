#include "json_unescape.h"

#include <string.h>

json_unescape_result json_unescape_buf(buf *out, const char *s, size_t n, size_t *fault_at)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        const unsigned char *bs = memchr(p, '\\', (size_t)(end - p));
        if (!bs) {
            buf_append(out, p, (size_t)(end - p));
            break;
        }
        if (bs > p)
            buf_append(out, p, (size_t)(bs - p));
        p = bs;
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
