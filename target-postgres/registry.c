#include "registry.h"

#include "naming.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

void registry_init(registry *r)
{
    memset(r, 0, sizeof(*r));
}

void registry_term(registry *r)
{
    for (size_t i = 0; i < r->n; i++)
        stream_destroy(r->streams[i]);
    free(r->streams);
    free(r->index);
    memset(r, 0, sizeof(*r));
}

stream *registry_find(registry *r, const char *name, size_t n)
{
    if (r->last && r->last->namelen == n && memcmp(r->last->name, name, n) == 0)
        return r->last;
    if (!r->icap)
        return NULL;
    size_t h = naming_hash32(name, n) & (r->icap - 1);
    for (;;) {
        int32_t i = r->index[h];
        if (i < 0)
            return NULL;
        stream *st = r->streams[i];
        if (st->namelen == n && memcmp(st->name, name, n) == 0) {
            r->last = st;
            return st;
        }
        h = (h + 1) & (r->icap - 1);
    }
}

static bool reindex(registry *r, size_t cap)
{
    int32_t *idx = malloc(cap * sizeof(int32_t));
    if (!idx)
        return false;
    for (size_t i = 0; i < cap; i++)
        idx[i] = -1;
    for (size_t i = 0; i < r->n; i++) {
        size_t h = naming_hash32(r->streams[i]->name, r->streams[i]->namelen) & (cap - 1);
        while (idx[h] >= 0)
            h = (h + 1) & (cap - 1);
        idx[h] = (int32_t)i;
    }
    free(r->index);
    r->index = idx;
    r->icap = cap;
    return true;
}

stream *registry_add(registry *r, const char *name, size_t n)
{
    assert(name && registry_find(r, name, n) == NULL); /* the caller looked it up first */
    if (r->n == r->cap) {
        size_t ncap = r->cap ? r->cap * 2 : 8;
        stream **v = realloc(r->streams, ncap * sizeof(*v));
        if (!v)
            return NULL;
        r->streams = v;
        r->cap = ncap;
    }
    stream *st = stream_create(name, n);
    if (!st)
        return NULL;
    r->streams[r->n++] = st;
    if (r->n * 2 > r->icap && !reindex(r, r->icap ? r->icap * 2 : 16))
        return NULL;
    if (r->icap && r->n * 2 <= r->icap) {
        size_t h = naming_hash32(name, n) & (r->icap - 1);
        while (r->index[h] >= 0 && r->index[h] != (int32_t)(r->n - 1))
            h = (h + 1) & (r->icap - 1);
        r->index[h] = (int32_t)(r->n - 1);
    }
    return st;
}
