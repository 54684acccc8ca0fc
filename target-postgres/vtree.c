#include "vtree.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void vtree_free_list(vtree_node **list, size_t count)
{
    if (!list)
        return;
    for (size_t i = 0; i < count; i++)
        vtree_free(list[i]);
    free(list);
}

void vtree_free(vtree_node *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->nprops; i++) {
        free(n->props[i].name);
        vtree_free(n->props[i].schema);
    }
    free(n->props);
    hash_index_term(&n->index);
    for (size_t i = 0; i < n->nrequired; i++)
        free(n->required[i]);
    free(n->required);
    free(n->req_prop);
    vtree_free(n->additional_schema);
    vtree_free(n->items);
    vtree_free_list(n->tuple, n->ntuple);
    vtree_free_list(n->any_of, n->n_any);
    vtree_free_list(n->all_of, n->n_all);
    vtree_free_list(n->one_of, n->n_one);
    vtree_free(n->not_schema);
    cJSON_Delete(n->enum_values);
    cJSON_Delete(n->const_value);
    free(n);
}

/* FNV-1a: property names are short */
long vtree_prop_index(const vtree_node *n, const char *name)
{
    uint32_t h = vtree_name_hash(name), i;
    size_t pos = HASH_INDEX_START;
    while (hash_index_next(&n->index, h, &pos, &i))
        if (strcmp(n->props[i].name, name) == 0)
            return (long)i;
    return -1;
}

/* vtree_path_push: append sep (when not at the start) and the formatted part; returns the length to
   restore with vtree_path_pop. A path that does not fit ends in "..." */
size_t vtree_path_push(vtree_path *p, const char *sep, const char *fmt, ...)
{
    size_t mark = p->len;
    if (p->len + 4 >= VTREE_PATH_CAP)
        return mark;
    if (p->len > 0 && sep) {
        size_t sl = strlen(sep);
        if (p->len + sl + 4 < VTREE_PATH_CAP) {
            memcpy(p->text + p->len, sep, sl);
            p->len += sl;
        }
    }
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(p->text + p->len, VTREE_PATH_CAP - p->len, fmt, ap);
    va_end(ap);
    if (w < 0)
        w = 0;
    if ((size_t)w >= VTREE_PATH_CAP - p->len) {
        p->len = VTREE_PATH_CAP - 4;
        memcpy(p->text + p->len, "...", 4);
        p->len += 3;
    } else {
        p->len += (size_t)w;
    }
    return mark;
}

void vtree_path_pop(vtree_path *p, size_t mark)
{
    p->len = mark;
    p->text[mark] = '\0';
}

/*
 * vtree_format_error: "<prefix><path>: <msg>" into out. When it does not fit, the path loses its
 * beginning ("...ss.zip: ...") so that the property that failed and the rule stay readable.
 */
void vtree_format_error(char *out, size_t outlen, const char *prefix, const char *path,
                        const char *msg)
{
    size_t fixed = strlen(prefix) + 2 + strlen(msg) + 1, plen = strlen(path);
    if (fixed + plen > outlen && outlen > fixed + 3 + 8) {
        size_t keep = outlen - fixed - 3;
        const char *tail = path + plen - keep;
        while (*tail && ((unsigned char)*tail & 0xC0) == 0x80)
            tail++;
        snprintf(out, outlen, "%s...%s: %s", prefix, tail, msg);
        return;
    }
    snprintf(out, outlen, "%s%s: %s", prefix, path, msg);
}
