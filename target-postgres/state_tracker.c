#include "state_tracker.h"

#include <stdlib.h>
#include <string.h>

void state_tracker_init(state_tracker *t)
{
    memset(t, 0, sizeof(*t));
}

void state_tracker_term(state_tracker *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->q[i].text);
    free(t->q);
    free(t->last);
    free(t->out);
    memset(t, 0, sizeof(*t));
}

bool state_tracker_add(state_tracker *t, int64_t seq_at, const char *text, size_t len)
{
    char *copy = malloc(len + 1);
    if (!copy)
        return false;
    memcpy(copy, text, len);
    copy[len] = '\0';
    /* no record in between: the newer state replaces the older one */
    if (t->n > 0 && t->q[t->n - 1].seq_at == seq_at) {
        free(t->q[t->n - 1].text);
        t->q[t->n - 1].text = copy;
        t->q[t->n - 1].len = len;
        return true;
    }
    if (t->n == t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 16;
        state_tracker_entry *q = realloc(t->q, ncap * sizeof(*q));
        if (!q) {
            free(copy);
            return false;
        }
        t->q = q;
        t->cap = ncap;
    }
    t->q[t->n].seq_at = seq_at;
    t->q[t->n].text = copy;
    t->q[t->n].len = len;
    t->n++;
    return true;
}

const char *state_tracker_take(state_tracker *t, int64_t min_uncommitted, size_t *len)
{
    size_t k = 0;
    while (k < t->n && t->q[k].seq_at < min_uncommitted)
        k++;
    if (k == 0)
        return NULL;
    state_tracker_entry e = t->q[k - 1];
    for (size_t i = 0; i + 1 < k; i++)
        free(t->q[i].text);
    memmove(t->q, t->q + k, (t->n - k) * sizeof(*t->q));
    t->n -= k;
    free(t->out);
    t->out = NULL;
    if (t->has_last && t->last_len == e.len && memcmp(t->last, e.text, e.len) == 0) {
        free(e.text);
        return NULL;
    }
    char *copy = malloc(e.len + 1);
    if (!copy) {
        free(e.text);
        return NULL;
    }
    memcpy(copy, e.text, e.len + 1);
    free(t->last);
    t->last = copy;
    t->last_len = e.len;
    t->has_last = true;
    t->out = e.text;
    *len = e.len;
    return t->out;
}

size_t state_tracker_pending(const state_tracker *t)
{
    return t->n;
}
