#include "relmap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t relkey_hash(const char *schema, const char *table)
{
    uint64_t h = relmap_fnv(schema, strlen(schema), UINT64_C(14695981039346656037));
    h = relmap_fnv("\x1f", 1, h);
    return relmap_fnv(table, strlen(table), h);
}

static bool relkey_eq(const char *key, const char *schema, const char *table)
{
    size_t ls = strlen(schema);
    return strncmp(key, schema, ls) == 0 && key[ls] == '\x1f' && strcmp(key + ls + 1, table) == 0;
}

relmap_entry *relmap_find(const relmap *m, const char *schema, const char *table)
{
    if (!m->cap)
        return NULL;
    for (size_t i = relkey_hash(schema, table) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (!m->slots[i].key)
            return NULL;
        if (relkey_eq(m->slots[i].key, schema, table))
            return &m->slots[i];
    }
}

bool relmap_put(relmap *m, const char *schema, const char *table, size_t first, int count)
{
    relmap_entry *e = relmap_find(m, schema, table);
    if (e) {
        e->first = first;
        e->count = count;
        return true;
    }
    if ((m->n + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        relmap_entry *fresh = calloc(cap, sizeof(*fresh));
        if (!fresh)
            return false;
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->slots[i].key)
                continue;
            const char *k = m->slots[i].key;
            size_t ls = strcspn(k, "\x1f");
            uint64_t h = relmap_fnv(k, ls, UINT64_C(14695981039346656037));
            h = relmap_fnv("\x1f", 1, h);
            h = relmap_fnv(k + ls + 1, strlen(k + ls + 1), h);
            size_t j = h & (cap - 1);
            while (fresh[j].key)
                j = (j + 1) & (cap - 1);
            fresh[j] = m->slots[i];
        }
        free(m->slots);
        m->slots = fresh;
        m->cap = cap;
    }
    size_t ls = strlen(schema), lt = strlen(table);
    char *key = malloc(ls + lt + 2);
    if (!key)
        return false;
    memcpy(key, schema, ls);
    key[ls] = '\x1f';
    memcpy(key + ls + 1, table, lt + 1);
    size_t i = relkey_hash(schema, table) & (m->cap - 1);
    while (m->slots[i].key)
        i = (i + 1) & (m->cap - 1);
    m->slots[i].key = key;
    m->slots[i].first = first;
    m->slots[i].count = count;
    m->slots[i].relkind = '\0';
    m->slots[i].inherited = false;
    m->n++;
    return true;
}

void relmap_term(relmap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->slots[i].key);
    free(m->slots);
    memset(m, 0, sizeof(*m));
}

void relmap_key_schema(const char *key, char *out, size_t n)
{
    snprintf(out, n, "%.*s", (int)strcspn(key, "\x1f"), key);
}
