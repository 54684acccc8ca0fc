#include "change.h"

#include <inttypes.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_writer.h"
#include "lsn.h"
#include "timefmt.h"

void change_reset(change *c)
{
    memset(c, 0, sizeof(*c));
    c->kind = CHANGE_NONE;
    c->commit_time = CHANGE_TIME_UNKNOWN;
}

const char *change_kind_name(change_kind k)
{
    switch (k) {
    case CHANGE_BEGIN:
        return "begin";
    case CHANGE_COMMIT:
        return "commit";
    case CHANGE_INSERT:
        return "insert";
    case CHANGE_UPDATE:
        return "update";
    case CHANGE_DELETE:
        return "delete";
    case CHANGE_TRUNCATE:
        return "truncate";
    case CHANGE_RELATION:
        return "relation";
    case CHANGE_MESSAGE:
        return "message";
    case CHANGE_SKIP:
        return "skip";
    case CHANGE_NONE:
        break;
    }
    return "none";
}

const change_value *change_find_value(const change_tuple *t, const char *name)
{
    for (int i = 0; i < t->nvalues; i++)
        if (strcmp(t->columns[i].name, name) == 0)
            return &t->values[i];
    return NULL;
}

size_t change_time_text(int64_t unix_us, char *out)
{
    int64_t secs = unix_us >= 0 ? unix_us / 1000000 : -((-unix_us + 999999) / 1000000);
    int64_t us = unix_us - secs * 1000000;
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    int64_t rem = secs - days * 86400;
    int64_t y;
    unsigned m, d;
    timefmt_civil_from_days(days, &y, &m, &d);
    int n;
    if (us)
        n = snprintf(out, CHANGE_TIME_TEXT_MAX, "%04" PRId64 "-%02u-%02u %02d:%02d:%02d.%06d+00", y,
                     m, d, (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60), (int)us);
    else
        n = snprintf(out, CHANGE_TIME_TEXT_MAX, "%04" PRId64 "-%02u-%02u %02d:%02d:%02d+00", y, m,
                     d, (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
    return n > 0 && n < CHANGE_TIME_TEXT_MAX ? (size_t)n : 0;
}

static bool take_digits(const char *s, size_t n, size_t *i, size_t count, int64_t *out)
{
    if (*i + count > n)
        return false;
    int64_t v = 0;
    for (size_t k = 0; k < count; k++) {
        char c = s[*i + k];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *i += count;
    *out = v;
    return true;
}

static bool take_char(const char *s, size_t n, size_t *i, char c)
{
    if (*i >= n || s[*i] != c)
        return false;
    (*i)++;
    return true;
}

bool change_parse_time(const char *s, size_t n, int64_t *unix_us)
{
    size_t i = 0;
    int64_t y = 0, mo = 0, d = 0, hh = 0, mi = 0, ss = 0, frac = 0;
    if (!take_digits(s, n, &i, 4, &y) || !take_char(s, n, &i, '-') ||
        !take_digits(s, n, &i, 2, &mo) || !take_char(s, n, &i, '-') ||
        !take_digits(s, n, &i, 2, &d) || i >= n || (s[i] != ' ' && s[i] != 'T'))
        return false;
    i++;
    if (!take_digits(s, n, &i, 2, &hh) || !take_char(s, n, &i, ':') ||
        !take_digits(s, n, &i, 2, &mi) || !take_char(s, n, &i, ':') ||
        !take_digits(s, n, &i, 2, &ss))
        return false;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || hh > 24 || mi > 59 || ss > 60)
        return false;
    if (i < n && s[i] == '.') {
        i++;
        int64_t scale = 100000;
        size_t start = i;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            frac += (s[i] - '0') * scale;
            scale /= 10;
            i++;
        }
        if (i == start)
            return false;
    }
    int64_t offset = 0;
    if (i < n && (s[i] == '+' || s[i] == '-')) {
        int64_t sign = s[i] == '-' ? -1 : 1, oh, om = 0, os = 0;
        i++;
        if (!take_digits(s, n, &i, 2, &oh))
            return false;
        if (i < n && s[i] == ':') {
            i++;
            if (!take_digits(s, n, &i, 2, &om))
                return false;
            if (i < n && s[i] == ':') {
                i++;
                if (!take_digits(s, n, &i, 2, &os))
                    return false;
            }
        }
        offset = sign * (oh * 3600 + om * 60 + os);
    } else if (i < n && s[i] == 'Z') {
        i++;
    }
    if (i != n)
        return false;
    int64_t days = timefmt_days_from_civil(y, (unsigned)mo, (unsigned)d);
    int64_t secs = days * 86400 + hh * 3600 + mi * 60 + ss - offset;
    *unix_us = secs * 1000000 + frac;
    return true;
}

static void debug_column(buf *out, const change_column *col)
{
    buf_appends(out, col->name);
    buf_putc(out, '(');
    if (col->type_name)
        buf_appends(out, col->type_name);
    else
        buf_appendf(out, "oid %" PRIu32, col->type_oid);
    if (col->typmod >= 0)
        buf_appendf(out, " mod %" PRId32, col->typmod);
    if (col->key)
        buf_append_lit(out, " key");
    buf_putc(out, ')');
}

static void debug_tuple(buf *out, const change_tuple *t)
{
    for (int i = 0; i < t->nvalues; i++) {
        buf_putc(out, ' ');
        buf_appends(out, t->columns[i].name);
        buf_putc(out, '=');
        const change_value *v = &t->values[i];
        if (v->kind == CHANGE_VALUE_NULL)
            buf_append_lit(out, "null");
        else if (v->kind == CHANGE_VALUE_UNCHANGED)
            buf_append_lit(out, "<unchanged-toast>");
        else
            json_writer_string(out, v->text, v->len);
    }
}

static void debug_rel_name(buf *out, const change_relation *rel)
{
    buf_appends(out, rel->schema ? rel->schema : "?");
    buf_putc(out, '.');
    buf_appends(out, rel->table ? rel->table : "?");
}

void change_debug_line(buf *out, const change *c)
{
    char a[LSN_TEXT_MAX], b[LSN_TEXT_MAX], t[CHANGE_TIME_TEXT_MAX];
    buf_putc(out, c->kind ? (char)c->kind : '0');
    switch (c->kind) {
    case CHANGE_BEGIN:
    case CHANGE_COMMIT:
        lsn_format(c->commit_lsn, a);
        lsn_format(c->end_lsn, b);
        if (c->commit_time == CHANGE_TIME_UNKNOWN)
            snprintf(t, sizeof(t), "unknown");
        else
            change_time_text(c->commit_time, t);
        buf_appendf(out, " xid=%" PRIu32 " commit_lsn=%s end_lsn=%s time=%s", c->xid, a, b, t);
        break;
    case CHANGE_INSERT:
    case CHANGE_UPDATE:
    case CHANGE_DELETE:
        buf_putc(out, ' ');
        debug_rel_name(out, c->rel);
        if (c->new_tuple.nvalues) {
            buf_append_lit(out, " new:");
            debug_tuple(out, &c->new_tuple);
        }
        if (c->old_kind) {
            buf_appendf(out, " old(%c):", c->old_kind);
            debug_tuple(out, &c->old_tuple);
        }
        break;
    case CHANGE_TRUNCATE:
        for (int i = 0; i < c->nrelations; i++) {
            buf_putc(out, i ? ',' : ' ');
            debug_rel_name(out, c->relations[i]);
        }
        buf_appendf(out, " flags=%u", (unsigned)c->truncate_flags);
        break;
    case CHANGE_MESSAGE:
        buf_appendf(out,
                    " %s prefix=", c->msg_transactional ? "transactional" : "non-transactional");
        json_writer_string(out, c->msg_prefix ? c->msg_prefix : "",
                           c->msg_prefix ? strlen(c->msg_prefix) : 0);
        buf_append_lit(out, " content=");
        json_writer_string(out, c->msg_content ? c->msg_content : "", c->msg_len);
        break;
    case CHANGE_RELATION:
        buf_appendf(out, " oid=%" PRIu32 " ", c->rel->oid);
        debug_rel_name(out, c->rel);
        buf_appendf(out,
                    " identity=%c%s%s:", c->rel->replica_identity ? c->rel->replica_identity : '?',
                    c->rel->is_new ? " new" : "", c->rel->changed ? " changed" : "");
        for (int i = 0; i < c->rel->ncolumns; i++) {
            buf_putc(out, ' ');
            debug_column(out, &c->rel->columns[i]);
        }
        break;
    default:
        break;
    }
    if ((c->kind == CHANGE_INSERT || c->kind == CHANGE_UPDATE || c->kind == CHANGE_DELETE) &&
        c->new_tuple.nvalues + c->old_tuple.nvalues > 0) {
        /* the column types, once, from whichever tuple has the most columns */
        const change_tuple *tt =
            c->new_tuple.nvalues >= c->old_tuple.nvalues ? &c->new_tuple : &c->old_tuple;
        buf_append_lit(out, " types:");
        for (int i = 0; i < tt->nvalues; i++) {
            buf_putc(out, ' ');
            debug_column(out, &tt->columns[i]);
        }
    }
}

/* ---- arena ---- */

struct change_arena_chunk {
    change_arena_chunk *next;
    size_t size; /* usable bytes after the header */
    size_t used;
    max_align_t data[]; /* aligned storage */
};

void change_arena_init(change_arena *a)
{
    a->head = NULL;
    a->used_total = 0;
}

void change_arena_term(change_arena *a)
{
    change_arena_chunk *c = a->head;
    while (c) {
        change_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
    a->used_total = 0;
}

static change_arena_chunk *new_chunk(size_t size)
{
    change_arena_chunk *c = malloc(sizeof(*c) + size);
    if (!c)
        return NULL;
    c->next = NULL;
    c->size = size;
    c->used = 0;
    return c;
}

void change_arena_reset(change_arena *a)
{
    if (a->head && a->head->next) {
        /* several chunks: replace them with one that holds what the last message needed */
        size_t want = a->used_total + a->used_total / 4;
        change_arena_term(a);
        a->head = new_chunk(want < 4096 ? 4096 : want);
    } else if (a->head) {
        a->head->used = 0;
    }
    a->used_total = 0;
}

void *change_arena_alloc(change_arena *a, size_t n)
{
    const size_t align = alignof(max_align_t);
    n = (n + align - 1) & ~(align - 1);
    if (n == 0)
        n = align;
    change_arena_chunk *c = a->head;
    if (!c || c->size - c->used < n) {
        size_t size = c ? c->size * 2 : 4096;
        if (size < n)
            size = n;
        change_arena_chunk *fresh = new_chunk(size);
        if (!fresh)
            return NULL;
        fresh->next = c;
        a->head = c = fresh;
    }
    void *p = (char *)c->data + c->used;
    c->used += n;
    a->used_total += n;
    memset(p, 0, n);
    return p;
}
