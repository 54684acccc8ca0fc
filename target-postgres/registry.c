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
    hash_index_term(&r->index);
    memset(r, 0, sizeof(*r));
}

stream *registry_find(registry *r, const char *name, size_t n)
{
    if (r->last && r->last->namelen == n && memcmp(r->last->name, name, n) == 0)
        return r->last;
    uint32_t h = naming_hash32(name, n), i;
    size_t pos = HASH_INDEX_START;
    while (hash_index_next(&r->index, h, &pos, &i)) {
        stream *st = r->streams[i];
        if (st->namelen == n && memcmp(st->name, name, n) == 0) {
            r->last = st;
            return st;
        }
    }
    return NULL;
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
    if (!hash_index_reserve(&r->index, r->n + 1))
        return NULL;
    stream *st = stream_create(name, n);
    if (!st)
        return NULL;
    r->streams[r->n] = st;
    hash_index_add(&r->index, naming_hash32(name, n), (uint32_t)r->n); /* reserved: cannot fail */
    r->n++;
    return st;
}
