#include "copy_text.h"

#include "copy_unescape.h"

#include <stdlib.h>
#include <string.h>

void copy_text_init(copy_text_decoder *d)
{
    d->fields = NULL;
    d->n = 0;
    d->cap = 0;
    buf_init(&d->scratch);
}

void copy_text_term(copy_text_decoder *d)
{
    if (!d)
        return;
    free(d->fields);
    d->fields = NULL;
    d->n = d->cap = 0;
    buf_term(&d->scratch);
}

static bool add_field(copy_text_decoder *d)
{
    if (d->n < d->cap)
        return true;
    size_t cap = d->cap ? d->cap * 2 : 32;
    copy_text_field *f = realloc(d->fields, cap * sizeof(*f));
    if (!f)
        return false;
    d->fields = f;
    d->cap = cap;
    return true;
}

bool copy_text_split(copy_text_decoder *d, const char *row, size_t len)
{
    if (len && row[len - 1] == '\n')
        len--;
    d->n = 0;
    /* un-escaped text is never longer than the row: reserve once, no realloc mid-row */
    buf_reset(&d->scratch);
    if (!buf_reserve(&d->scratch, len))
        return false;
    char *scratch = d->scratch.data;
    size_t used = 0;
    size_t i = 0;
    /* most rows hold no backslash (no NULL, no escape): one scan of the row instead of one per
       field */
    bool escapes = memchr(row, '\\', len) != NULL;
    for (;;) {
        if (!add_field(d))
            return false;
        copy_text_field *f = &d->fields[d->n++];
        size_t start = i;
        /* fast scan to the end of the field, noting a backslash */
        const char *p = row + i;
        const char *end = row + len;
        const char *tab = memchr(p, '\t', (size_t)(end - p));
        size_t flen = (size_t)((tab ? tab : end) - p);
        const char *bs = escapes ? memchr(p, '\\', flen) : NULL;
        if (!bs) {
            f->p = p;
            f->len = flen;
            f->null = false;
            i = start + flen;
        } else if (flen == 2 && p[1] == 'N') {
            f->p = NULL;
            f->len = 0;
            f->null = true;
            i = start + 2;
        } else {
            size_t dlen = 0;
            size_t stop = copy_unescape(row, len, start, scratch + used, &dlen);
            if (stop == (size_t)-1)
                return false;
            f->p = scratch + used;
            f->len = dlen;
            f->null = false;
            used += dlen;
            i = stop;
        }
        if (i >= len)
            break;
        i++; /* the tab */
    }
    d->scratch.len = used;
    return true;
}
