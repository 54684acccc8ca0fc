#include "wipe.h"

#include <stdlib.h>
#include <string.h>

void wipe_bytes(void *p, size_t n)
{
    if (p && n)
        explicit_bzero(p, n);
}

void wipe_buf_term(buf *b)
{
    wipe_bytes(b->data, b->cap);
    buf_term(b);
}

static void wipe_tree(cJSON *node)
{
    for (; node; node = node->next) {
        if (node->valuestring)
            wipe_bytes(node->valuestring, strlen(node->valuestring));
        wipe_tree(node->child);
    }
}

void wipe_json_delete(cJSON *root)
{
    if (root) {
        wipe_tree(root);
        cJSON_Delete(root);
    }
}

void wipe_free_string(char *s)
{
    if (!s)
        return;
    wipe_bytes(s, strlen(s));
    free(s);
}
