/*
 * hash_index: the one open-addressing hash table of the tree. It maps a key's hash to the
 * indices of items that the caller keeps in an array of its own (streams, properties, object
 * members); the caller compares keys, so a table needs no key type and no callback.
 *
 *     uint32_t h = hash_fnv1a32(name, n), item;
 *     size_t pos = HASH_INDEX_START;
 *     while (hash_index_next(&ix, h, &pos, &item))
 *         if (key_of(item) equals name) return item;
 *     ... not found: add the item, then hash_index_add(&ix, h, index_of_new_item)
 *
 * Slots keep the full hash, so probing compares 32 bits before the caller's key, and growing
 * rehashes without asking the caller. Linear probing, at most half full, no removal (the
 * tables here only grow, or are emptied whole with hash_index_clear and filled again).
 *
 * The hashes of the tree are here too, one copy each: FNV-1a in 32 and 64 bits, and
 * hash_fold64 (a 64-bit hash or integer -> the 32 bits an index takes).
 *
 * Ownership: a hash_index owns its slots (malloc'ed); hash_index_term frees them. Items are
 * the caller's indices (below UINT32_MAX); nothing of the keys is kept.
 */
#ifndef SINGER_HASH_INDEX_H
#define SINGER_HASH_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* hash_fnv1a32: FNV-1a (32 bits) of s[0..n) */
static inline uint32_t hash_fnv1a32(const void *s, size_t n)
{
    const unsigned char *p = s;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

#define HASH_FNV1A64_BASIS UINT64_C(14695981039346656037)

/* hash_fnv1a64: FNV-1a (64 bits) of s[0..n), continuing from h (HASH_FNV1A64_BASIS to start),
   so that a key of several parts is hashed part by part */
static inline uint64_t hash_fnv1a64(uint64_t h, const void *s, size_t n)
{
    const unsigned char *p = s;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= UINT64_C(1099511628211);
    }
    return h;
}

/* hash_fold64: the 32 bits of a 64-bit hash (or an integer key) an index takes: the halves
   xor-ed, then the high half of a Fibonacci multiplication (consecutive integers spread) */
static inline uint32_t hash_fold64(uint64_t x)
{
    x ^= x >> 32;
    return (uint32_t)((x * UINT64_C(0x9E3779B97F4A7C15)) >> 32);
}

typedef struct hash_index_slot {
    uint32_t hash;
    uint32_t item1; /* the item + 1; 0 = empty */
} hash_index_slot;

typedef struct hash_index {
    hash_index_slot *slots; /* malloc'ed, cap entries; NULL while empty */
    size_t cap;             /* 0 or a power of two, at least twice count */
    size_t count;
} hash_index;

#define HASH_INDEX_INIT                                                                            \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }
/* the first pos of a lookup */
#define HASH_INDEX_START ((size_t)-1)

/* hash_index_init / hash_index_term: an empty index; term frees the slots (and empties it) */
void hash_index_init(hash_index *ix);
void hash_index_term(hash_index *ix);
/* hash_index_clear: no items, the slots kept for the next fill (a table reused per batch) */
void hash_index_clear(hash_index *ix);

/*
 * hash_index_add: add item under hash (the caller checked it is not there yet), growing the
 * table when it would be more than half full. False when out of memory (the index is then
 * unchanged).
 */
bool hash_index_add(hash_index *ix, uint32_t hash, uint32_t item);

/*
 * hash_index_reserve: room for n items in all without growing again (at most half full).
 * False when out of memory (the index is then unchanged).
 */
bool hash_index_reserve(hash_index *ix, size_t n);

/*
 * hash_index_next: the next item stored under hash, for a lookup that starts with pos
 * HASH_INDEX_START; false when there is no other (the key is absent). Items under other
 * hashes that share a slot run are skipped here.
 */
static inline bool hash_index_next(const hash_index *ix, uint32_t hash, size_t *pos, uint32_t *item)
{
    if (!ix->cap)
        return false;
    size_t mask = ix->cap - 1;
    size_t i = *pos == HASH_INDEX_START ? (hash & mask) : ((*pos + 1) & mask);
    for (;; i = (i + 1) & mask) {
        const hash_index_slot *s = &ix->slots[i];
        if (!s->item1)
            return false;
        if (s->hash == hash) {
            *pos = i;
            *item = s->item1 - 1;
            return true;
        }
    }
}

/* hash_index_replace: the item at pos (found by hash_index_next) becomes item (the key stays) */
static inline void hash_index_replace(hash_index *ix, size_t pos, uint32_t item)
{
    ix->slots[pos].item1 = item + 1;
}

#endif
