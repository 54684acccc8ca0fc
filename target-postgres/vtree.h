/*
 * vtree: the compiled form of a JSON Schema, shared by validate.c (which builds it) and
 * validate_check.c (which walks it), with the helpers both use (property lookup, the path in
 * messages). Internal to the validator: other modules use validate.h.
 *
 * Ownership: a vtree_node owns its children, names and copied values (vtree_free frees them all);
 * it is immutable once compiled.
 */
#ifndef TARGET_VTREE_H
#define TARGET_VTREE_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decimal.h"
#include "hash_index.h"

#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* the compiled tree                                                                           */
/* ------------------------------------------------------------------------------------------ */

enum {
    T_NULL = 1 << 0,
    T_BOOLEAN = 1 << 1,
    T_OBJECT = 1 << 2,
    T_ARRAY = 1 << 3,
    T_NUMBER = 1 << 4,
    T_STRING = 1 << 5,
    T_INTEGER = 1 << 6,
};

static const struct {
    const char *name;
    unsigned bit;
} type_names[] = {
    {"null", T_NULL},     {"boolean", T_BOOLEAN}, {"object", T_OBJECT},   {"array", T_ARRAY},
    {"number", T_NUMBER}, {"string", T_STRING},   {"integer", T_INTEGER},
};
#define N_TYPE_NAMES (sizeof(type_names) / sizeof(type_names[0]))

enum { F_NONE, F_DATE_TIME, F_DATE, F_TIME };
enum { ADD_ANY, ADD_NONE, ADD_SCHEMA };

/* a bound on numbers: x (and its exact decimal d), exclusive or not */
typedef struct vtree_bound {
    bool set;
    bool excl;
    double x;
    decimal d;
} vtree_bound;

typedef struct vtree_node vtree_node;

typedef struct vtree_prop {
    char *name;         /* malloc'ed */
    vtree_node *schema; /* owned */
    int req_bit;        /* bit in the required mask while checking, or -1 */
} vtree_prop;

struct vtree_node {
    bool never;     /* the schema false: no value matches */
    bool trivial;   /* no constraint at all: every value matches (checking is skipped) */
    unsigned types; /* T_* mask; 0 = any type */
    int format;     /* F_* */

    bool has_min_len, has_max_len;
    size_t min_len, max_len;

    /* [0]: minimum / maximum (exclusive with the draft-4 boolean), [1]: the numeric
       exclusiveMinimum / exclusiveMaximum of draft 6+ */
    vtree_bound lo[2], hi[2];
    bool has_multiple;
    double multiple;
    uint64_t mult_coef; /* multipleOf = mult_coef * 10^mult_exp exactly (as decimal_from_double) */
    long mult_exp;
    long long mult_int; /* multipleOf as an integer when it is one below 2^53, else 0 */
    double pow10_k;     /* 10^k when multipleOf is 10^-k, 1 <= k <= 22, else 0 */

    vtree_prop *props; /* malloc'ed array of nprops */
    size_t nprops;
    hash_index index; /* props by name (indices into props; a name given twice: the later) */
    char **required;  /* malloc'ed array of malloc'ed names */
    size_t nrequired;
    long *req_prop; /* for each required name: its index in props, or -1 */
    int additional; /* ADD_* */
    vtree_node *additional_schema;

    vtree_node *items;  /* every element, when not a tuple */
    vtree_node **tuple; /* items as an array of schemas */
    size_t ntuple;
    bool has_min_items, has_max_items;
    size_t min_items, max_items;

    vtree_node **any_of, **all_of, **one_of;
    size_t n_any, n_all, n_one;
    vtree_node *not_schema;

    cJSON *enum_values; /* owned copy */
    cJSON *const_value; /* owned copy */
};

/* the validator of validate.h (declared there; this module does not include it) */
struct validator {
    vtree_node *root;
};

#define VTREE_PATH_CAP 1024

/* a path of names ("properties.address.maxLength"), built in place while descending */
typedef struct vtree_path {
    char text[VTREE_PATH_CAP];
    size_t len;
} vtree_path;

/* vtree_free: free a node and everything below it; NULL does nothing. */
void vtree_free(vtree_node *n);
/* vtree_free_list: free count nodes of list and the list; NULL does nothing. */
void vtree_free_list(vtree_node **list, size_t count);
/* vtree_name_hash: the hash of a property name in a node's index (FNV-1a of its bytes). */
static inline uint32_t vtree_name_hash(const char *s)
{
    return hash_fnv1a32(s, strlen(s));
}
/* vtree_prop_index: the index in n->props of property name, or -1. */
long vtree_prop_index(const vtree_node *n, const char *name);
/* vtree_path_push: append sep (when not at the start) and the formatted part to p; returns the
   length to restore with vtree_path_pop. A path that does not fit ends in "..." */
size_t vtree_path_push(vtree_path *p, const char *sep, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* vtree_path_pop: back to the length mark. */
void vtree_path_pop(vtree_path *p, size_t mark);
/* vtree_format_error: "<prefix><path>: <msg>" into out; a path that does not fit loses its
   beginning ("...ss.zip: ...") so that the property and the rule stay readable. */
void vtree_format_error(char *out, size_t outlen, const char *prefix, const char *path,
                        const char *msg);

#endif
