#include "hash_index.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

void hash_index_init(hash_index *ix)
{
    ix->slots = NULL;
    ix->cap = 0;
    ix->count = 0;
}

void hash_index_term(hash_index *ix)
{
    if (!ix)
        return;
    free(ix->slots);
    hash_index_init(ix);
}

void hash_index_clear(hash_index *ix)
{
    if (ix->count)
        memset(ix->slots, 0, ix->cap * sizeof(*ix->slots));
    ix->count = 0;
}

static void put(hash_index_slot *slots, size_t cap, uint32_t hash, uint32_t item1)
{
    size_t i = hash & (cap - 1);
    while (slots[i].item1)
        i = (i + 1) & (cap - 1);
    slots[i].hash = hash;
    slots[i].item1 = item1;
}

bool hash_index_reserve(hash_index *ix, size_t n)
{
    if (n * 2 <= ix->cap)
        return true;
    size_t cap = ix->cap ? ix->cap : 16;
    while (cap < n * 2)
        cap *= 2;
    hash_index_slot *slots = calloc(cap, sizeof(*slots));
    if (!slots)
        return false;
    for (size_t i = 0; i < ix->cap; i++)
        if (ix->slots[i].item1)
            put(slots, cap, ix->slots[i].hash, ix->slots[i].item1);
    free(ix->slots);
    ix->slots = slots;
    ix->cap = cap;
    return true;
}

bool hash_index_add(hash_index *ix, uint32_t hash, uint32_t item)
{
    assert(item < UINT32_MAX);
    if (!hash_index_reserve(ix, ix->count + 1))
        return false;
    put(ix->slots, ix->cap, hash, item + 1);
    ix->count++;
    return true;
}
