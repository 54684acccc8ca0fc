#include "copy.h"

#include "json_unescape.h"
#include "json_writer.h"

#include <string.h>

/* a character COPY text must escape (backslash, tab, newline, CR) appended escaped; false for
   any other character (nothing appended) */
static inline bool copy_special(buf *out, unsigned c)
{
    switch (c) {
    case '\\':
        buf_append_lit(out, "\\\\");
        return true;
    case '\t':
        buf_append_lit(out, "\\t");
        return true;
    case '\n':
        buf_append_lit(out, "\\n");
        return true;
    case '\r':
        buf_append_lit(out, "\\r");
        return true;
    default:
        return false;
    }
}

/* the letter of COPY text's escape for an ASCII character that a JSON escape decoded to (0: the
   character itself); \b and \f are escaped too, as they were in the JSON */
static const char copy_escape_letter[0x60] = {
    ['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't', ['\\'] = '\\',
};

/* the caller has checked the four digits */
static unsigned hex4(const unsigned char *p)
{
    return (unsigned)json_writer_hex4(p);
}

copy_result copy_json_string(buf *out, const char *s, size_t n, bool escaped,
                             const copy_nul_opts *nul)
{
    if (!escaped) {
        /* a JSON string without escapes holds no backslash, tab, newline or CR */
        buf_append(out, s, n);
        return COPY_OK;
    }
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        const unsigned char *run = p;
        while (p < end && *p != '\\')
            p++;
        if (p > run)
            buf_append(out, run, (size_t)(p - run));
        if (p >= end)
            break;
        unsigned cp;
        if (json_unescape_one(&p, end, &cp) != JSON_UNESCAPE_OK)
            return COPY_BAD_UNICODE; /* the scanner let through only surrogate faults */
        if (cp >= sizeof copy_escape_letter) {
            json_unescape_put(out, cp);
        } else if (copy_escape_letter[cp]) {
            char two[2] = {'\\', copy_escape_letter[cp]};
            buf_append(out, two, 2);
        } else if (cp == 0) {
            if (nul->policy == NUL_ERROR)
                return COPY_NUL;
            buf_appends(out, nul->policy == NUL_REPLACE ? nul->copy_repl : "");
        } else {
            buf_putc(out, (char)cp);
        }
    }
    return COPY_OK;
}

copy_result copy_json_raw(buf *out, const char *s, size_t n, const copy_nul_opts *nul)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        const unsigned char *run = p;
        while (p < end && *p != '\\' && *p != '\t' && *p != '\n' && *p != '\r')
            p++;
        if (p > run)
            buf_append(out, run, (size_t)(p - run));
        if (p >= end)
            break;
        if (*p != '\\') {
            copy_special(out, *p); /* tab, newline, CR */
            p++;
        } else {
            /* a JSON escape: keep it, doubling the backslash for COPY */
            if (p + 1 < end && p[1] == 'u' && end - p >= 6 && memcmp(p + 2, "0000", 4) == 0) {
                if (nul->policy == NUL_ERROR)
                    return COPY_NUL;
                if (nul->policy == NUL_REPLACE) {
                    /* the JSON body of the replacement, its backslashes doubled for COPY */
                    for (const char *r = nul->json_repl; *r; r++) {
                        if (*r == '\\')
                            buf_putc(out, '\\');
                        buf_putc(out, *r);
                    }
                }
                p += 6;
                continue;
            }
            if (p + 1 < end && p[1] == 'u' && end - p >= 6) {
                unsigned cp = hex4(p + 2);
                if (cp >= 0xDC00 && cp <= 0xDFFF)
                    return COPY_BAD_UNICODE;
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    if (end - p < 12 || p[6] != '\\' || p[7] != 'u')
                        return COPY_BAD_UNICODE;
                    unsigned lo = hex4(p + 8);
                    if (lo < 0xDC00 || lo > 0xDFFF)
                        return COPY_BAD_UNICODE;
                    /* the pair as it is, both backslashes doubled (the low half must not be
                       seen again on its own) */
                    buf_append_lit(out, "\\\\");
                    buf_append(out, p + 1, 5);
                    buf_append_lit(out, "\\\\");
                    buf_append(out, p + 7, 5);
                    p += 12;
                    continue;
                }
            }
            buf_append_lit(out, "\\\\");
            p++;
            if (p < end) {
                if (*p == '\\')
                    buf_append_lit(out, "\\\\");
                else
                    buf_putc(out, (char)*p);
                p++;
            }
        }
    }
    return COPY_OK;
}

void copy_text(buf *out, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        const unsigned char *run = p;
        while (p < end && *p != '\\' && *p != '\t' && *p != '\n' && *p != '\r')
            p++;
        if (p > run)
            buf_append(out, run, (size_t)(p - run));
        if (p >= end)
            break;
        copy_special(out, *p);
        p++;
    }
}
