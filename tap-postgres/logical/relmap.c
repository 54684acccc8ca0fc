#include "relmap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the hash of "schema\x1ftable", from its two parts */
static uint32_t relkey_hash(const char *schema, const char *table)
{
    uint64_t h = hash_fnv1a64(HASH_FNV1A64_BASIS, schema, strlen(schema));
    h = hash_fnv1a64(h, "\x1f", 1);
    return hash_fold64(hash_fnv1a64(h, table, strlen(table)));
}

static bool relkey_eq(const char *key, const char *schema, const char *table)
{
    size_t ls = strlen(schema);
    return strncmp(key, schema, ls) == 0 && key[ls] == '\x1f' && strcmp(key + ls + 1, table) == 0;
}

static relmap_entry *find(const relmap *m, uint32_t h, const char *schema, const char *table)
{
    size_t pos = HASH_INDEX_START;
    uint32_t item;
    while (hash_index_next(&m->ix, h, &pos, &item))
        if (relkey_eq(m->entries[item].key, schema, table))
            return &m->entries[item];
    return NULL;
}

relmap_entry *relmap_find(const relmap *m, const char *schema, const char *table)
{
    return find(m, relkey_hash(schema, table), schema, table);
}

bool relmap_put(relmap *m, const char *schema, const char *table, size_t first, int count)
{
    uint32_t h = relkey_hash(schema, table);
    relmap_entry *e = find(m, h, schema, table);
    if (e) {
        e->first = first;
        e->count = count;
        return true;
    }
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 32;
        relmap_entry *grown = realloc(m->entries, cap * sizeof(*grown));
        if (!grown)
            return false;
        m->entries = grown;
        m->cap = cap;
    }
    size_t ls = strlen(schema), lt = strlen(table);
    char *key = malloc(ls + lt + 2);
    if (!key)
        return false;
    memcpy(key, schema, ls);
    key[ls] = '\x1f';
    memcpy(key + ls + 1, table, lt + 1);
    if (!hash_index_add(&m->ix, h, (uint32_t)m->n)) {
        free(key);
        return false;
    }
    e = &m->entries[m->n++];
    e->key = key;
    e->first = first;
    e->count = count;
    e->relkind = '\0';
    e->inherited = false;
    return true;
}

void relmap_term(relmap *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->entries[i].key);
    free(m->entries);
    hash_index_term(&m->ix);
    memset(m, 0, sizeof(*m));
}

void relmap_key_schema(const char *key, char *out, size_t n)
{
    snprintf(out, n, "%.*s", (int)strcspn(key, "\x1f"), key);
}
