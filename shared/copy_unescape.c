#include "copy_unescape.h"

#include "json_writer.h"

size_t copy_unescape(const char *s, size_t n, size_t i, char *dst, size_t *dlen)
{
    size_t o = 0;
    while (i < n && s[i] != '\t') {
        char c = s[i];
        if (c != '\\') {
            dst[o++] = c;
            i++;
            continue;
        }
        if (i + 1 >= n)
            return (size_t)-1;
        c = s[i + 1];
        i += 2;
        switch (c) {
        case 't':
            dst[o++] = '\t';
            break;
        case 'n':
            dst[o++] = '\n';
            break;
        case 'r':
            dst[o++] = '\r';
            break;
        case 'b':
            dst[o++] = '\b';
            break;
        case 'f':
            dst[o++] = '\f';
            break;
        case 'v':
            dst[o++] = '\v';
            break;
        case 'x': {
            int v = i < n ? json_writer_hex_value((unsigned char)s[i]) : -1;
            if (v < 0) {
                dst[o++] = 'x'; /* as COPY FROM: \x not followed by a hex digit is x */
                break;
            }
            i++;
            int v2 = i < n ? json_writer_hex_value((unsigned char)s[i]) : -1;
            if (v2 >= 0) {
                v = v * 16 + v2;
                i++;
            }
            dst[o++] = (char)v;
            break;
        }
        case '0':
        case '1':
        case '2':
        case '3':
        case '4':
        case '5':
        case '6':
        case '7': {
            int v = c - '0';
            for (int k = 0; k < 2 && i < n && s[i] >= '0' && s[i] <= '7'; k++)
                v = v * 8 + (s[i++] - '0');
            dst[o++] = (char)(v & 0xff);
            break;
        }
        default:
            dst[o++] = c; /* \\ and any other escaped character */
            break;
        }
    }
    *dlen = o;
    return i;
}
