#include "validate.h"

#include "vtree.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 100

/* ------------------------------------------------------------------------------------------ */
/* compiling                                                                                   */
/* ------------------------------------------------------------------------------------------ */

typedef struct cctx {
    vtree_path path;
    char *err;
    size_t errlen;
    int depth;
} cctx;

static bool cfail(cctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool cfail(cctx *c, const char *fmt, ...)
{
    if (!c->err || c->errlen == 0)
        return false;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (c->path.len > 0)
        vtree_format_error(c->err, c->errlen, "schema ", c->path.text, msg);
    else
        snprintf(c->err, c->errlen, "schema: %s", msg);
    return false;
}

static bool compile(cctx *c, const cJSON *s, vtree_node **out);

/* compile_at: compile the subschema s found under the path part fmt */
static bool compile_sub(cctx *c, const cJSON *s, vtree_node **out, const char *part)
{
    size_t mark = vtree_path_push(&c->path, ".", "%s", part);
    bool ok = compile(c, s, out);
    vtree_path_pop(&c->path, mark);
    return ok;
}

static bool is_schema(const cJSON *s)
{
    return cJSON_IsObject(s) || cJSON_IsBool(s);
}

static bool compile_list(cctx *c, const cJSON *arr, const char *kw, vtree_node ***out,
                         size_t *count)
{
    size_t mark = vtree_path_push(&c->path, ".", "%s", kw);
    bool ok = false;
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0) {
        cfail(c, "must be a non-empty array of schemas");
        goto done;
    }
    size_t n = (size_t)cJSON_GetArraySize(arr);
    vtree_node **list = calloc(n, sizeof(*list));
    if (!list) {
        cfail(c, "out of memory");
        goto done;
    }
    *out = list;
    size_t i = 0;
    for (const cJSON *e = arr->child; e && i < n; e = e->next, i++) {
        size_t m2 = vtree_path_push(&c->path, NULL, "[%zu]", i);
        bool sub_ok = compile(c, e, &list[i]);
        vtree_path_pop(&c->path, m2);
        *count = i + 1;
        if (!sub_ok)
            goto done;
    }
    ok = true;
done:
    vtree_path_pop(&c->path, mark);
    return ok;
}

/* a JSON number that is a non-negative integer, for the length and count keywords */
static bool get_count(cctx *c, const cJSON *v, const char *kw, size_t *out)
{
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0) || floor(v->valuedouble) != v->valuedouble) {
        size_t mark = vtree_path_push(&c->path, ".", "%s", kw);
        cfail(c, "must be a non-negative integer");
        vtree_path_pop(&c->path, mark);
        return false;
    }
    *out = v->valuedouble >= (double)SIZE_MAX ? SIZE_MAX : (size_t)v->valuedouble;
    return true;
}

static bool get_bound(cctx *c, const cJSON *v, const char *kw, vtree_bound *b, bool excl)
{
    if (!cJSON_IsNumber(v) || !decimal_from_double(v->valuedouble, &b->d)) {
        size_t mark = vtree_path_push(&c->path, ".", "%s", kw);
        cfail(c, "must be a finite number");
        vtree_path_pop(&c->path, mark);
        return false;
    }
    b->set = true;
    b->excl = excl;
    b->x = v->valuedouble;
    return true;
}

static bool compile_type(cctx *c, const cJSON *t, vtree_node *n)
{
    size_t mark = vtree_path_push(&c->path, ".", "type");
    bool ok = false;
    const cJSON *one = t;
    if (cJSON_IsArray(t)) {
        if (!t->child) {
            cfail(c, "must not be an empty array");
            goto done;
        }
        one = t->child;
    }
    for (; one; one = one->next) {
        if (!cJSON_IsString(one)) {
            cfail(c, "must be a type name or an array of type names");
            goto done;
        }
        unsigned bit = 0;
        for (size_t i = 0; i < N_TYPE_NAMES; i++)
            if (strcmp(one->valuestring, type_names[i].name) == 0)
                bit = type_names[i].bit;
        if (!bit) {
            char shown[48];
            snprintf(shown, sizeof(shown), "%s", one->valuestring);
            cfail(c, "unknown type \"%s\"", shown);
            goto done;
        }
        n->types |= bit;
        if (t == one) /* a single name */
            break;
    }
    ok = true;
done:
    vtree_path_pop(&c->path, mark);
    return ok;
}

static bool compile_properties(cctx *c, const cJSON *props, vtree_node *n)
{
    size_t mark = vtree_path_push(&c->path, ".", "properties");
    bool ok = false;
    if (!cJSON_IsObject(props)) {
        cfail(c, "must be an object");
        goto done;
    }
    size_t count = (size_t)cJSON_GetArraySize(props);
    if (count == 0) {
        ok = true;
        goto done;
    }
    if (count > UINT32_MAX / 4) {
        cfail(c, "too many properties");
        goto done;
    }
    n->props = calloc(count, sizeof(*n->props));
    if (!n->props || !hash_index_reserve(&n->index, count)) {
        cfail(c, "out of memory");
        goto done;
    }
    for (const cJSON *p = props->child; p && n->nprops < count; p = p->next) {
        vtree_prop *vp = &n->props[n->nprops];
        vp->req_bit = -1;
        vp->name = strdup(p->string ? p->string : "");
        if (!vp->name) {
            cfail(c, "out of memory");
            goto done;
        }
        n->nprops++;
        size_t m2 = vtree_path_push(&c->path, ".", "%s", vp->name);
        bool sub_ok = compile(c, p, &vp->schema);
        vtree_path_pop(&c->path, m2);
        if (!sub_ok)
            goto done;
        /* a name given twice: the later definition wins, as in a JSON object read by most
           parsers */
        uint32_t h = vtree_name_hash(vp->name), prev;
        size_t pos = HASH_INDEX_START;
        bool again = false;
        while (!again && hash_index_next(&n->index, h, &pos, &prev))
            again = strcmp(n->props[prev].name, vp->name) == 0;
        if (again)
            hash_index_replace(&n->index, pos, (uint32_t)(n->nprops - 1));
        else
            hash_index_add(&n->index, h, (uint32_t)(n->nprops - 1)); /* reserved */
    }
    ok = true;
done:
    vtree_path_pop(&c->path, mark);
    return ok;
}

static bool compile_required(cctx *c, const cJSON *req, vtree_node *n)
{
    if (cJSON_IsBool(req))
        return true; /* draft 3: "required": true inside the property; not supported */
    size_t mark = vtree_path_push(&c->path, ".", "required");
    bool ok = false;
    if (!cJSON_IsArray(req)) {
        cfail(c, "must be an array of property names");
        goto done;
    }
    size_t count = (size_t)cJSON_GetArraySize(req);
    if (count == 0) {
        ok = true;
        goto done;
    }
    n->required = calloc(count, sizeof(*n->required));
    n->req_prop = calloc(count, sizeof(*n->req_prop));
    if (!n->required || !n->req_prop) {
        cfail(c, "out of memory");
        goto done;
    }
    for (const cJSON *r = req->child; r && n->nrequired < count; r = r->next) {
        if (!cJSON_IsString(r)) {
            cfail(c, "must be an array of property names");
            goto done;
        }
        n->required[n->nrequired] = strdup(r->valuestring);
        if (!n->required[n->nrequired]) {
            cfail(c, "out of memory");
            goto done;
        }
        n->nrequired++;
    }
    ok = true;
done:
    vtree_path_pop(&c->path, mark);
    return ok;
}

/* link required names to properties: up to 64 of them are tracked with a bit mask while
   checking, the others are looked up in the record */
static void link_required(vtree_node *n)
{
    int bits = 0;
    for (size_t i = 0; i < n->nrequired; i++) {
        long pi = vtree_prop_index(n, n->required[i]);
        n->req_prop[i] = -1;
        if (pi < 0)
            continue;
        if (n->props[pi].req_bit < 0 && bits < 64)
            n->props[pi].req_bit = bits++;
        if (n->props[pi].req_bit >= 0)
            n->req_prop[i] = pi;
    }
}

static bool compile_multiple(cctx *c, const cJSON *v, vtree_node *n)
{
    decimal d;
    size_t mark = vtree_path_push(&c->path, ".", "multipleOf");
    bool ok = false;
    if (!cJSON_IsNumber(v) || !(v->valuedouble > 0) || !decimal_from_double(v->valuedouble, &d)) {
        cfail(c, "must be a number greater than 0");
        goto done;
    }
    n->has_multiple = true;
    n->multiple = v->valuedouble;
    n->mult_coef = 0;
    for (int i = 0; i < d.n; i++) /* at most 17 digits: fits */
        n->mult_coef = n->mult_coef * 10 + (uint64_t)(d.d[i] - '0');
    n->mult_exp = d.exp;
    n->mult_int = 0;
    n->pow10_k = 0;
    if (n->mult_coef == 1 && n->mult_exp < 0 && n->mult_exp >= -22) {
        n->pow10_k = 1;
        for (long i = 0; i < -n->mult_exp; i++)
            n->pow10_k *= 10; /* exact: 10^k = 2^k * 5^k and 5^22 < 2^53 */
    }
    if (floor(v->valuedouble) == v->valuedouble && v->valuedouble < 9007199254740992.0)
        n->mult_int = (long long)v->valuedouble;
    ok = true;
done:
    vtree_path_pop(&c->path, mark);
    return ok;
}

static bool copy_value(cctx *c, const cJSON *v, const char *kw, cJSON **out)
{
    if (strcmp(kw, "enum") == 0 && !cJSON_IsArray(v)) {
        size_t mark = vtree_path_push(&c->path, ".", "enum");
        cfail(c, "must be an array");
        vtree_path_pop(&c->path, mark);
        return false;
    }
    cJSON_Delete(*out);
    *out = cJSON_Duplicate(v, true);
    if (!*out)
        return cfail(c, "out of memory");
    return true;
}

/* the keywords compiled below; each may appear once in a schema object */
static const char *const known_keywords[] = {
    "type",
    "properties",
    "required",
    "additionalProperties",
    "patternProperties",
    "items",
    "minItems",
    "maxItems",
    "minLength",
    "maxLength",
    "format",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "anyOf",
    "allOf",
    "oneOf",
    "not",
    "enum",
    "const",
};

/* a known keyword that an earlier member of the same schema object already gave */
static bool repeated_keyword(const cJSON *s, const cJSON *k)
{
    bool known = false;
    for (size_t i = 0; i < sizeof(known_keywords) / sizeof(known_keywords[0]) && !known; i++)
        known = strcmp(k->string, known_keywords[i]) == 0;
    if (!known)
        return false;
    for (const cJSON *p = s->child; p && p != k; p = p->next)
        if (p->string && strcmp(p->string, k->string) == 0)
            return true;
    return false;
}

static bool compile(cctx *c, const cJSON *s, vtree_node **out)
{
    *out = NULL;
    if (!is_schema(s))
        return cfail(c, "a schema must be an object (or true / false)");
    if (c->depth >= MAX_DEPTH)
        return cfail(c, "nested more than %d levels deep", MAX_DEPTH);
    vtree_node *n = calloc(1, sizeof(*n));
    if (!n)
        return cfail(c, "out of memory");
    *out = n;
    if (cJSON_IsBool(s)) {
        n->never = cJSON_IsFalse(s);
        n->trivial = !n->never;
        return true;
    }
    c->depth++;
    bool ok = false;
    const cJSON *excl_min_bool = NULL, *excl_max_bool = NULL;
    const cJSON *additional = NULL;
    bool pattern_props = false;

    for (const cJSON *k = s->child; k; k = k->next) {
        const char *kw = k->string ? k->string : "";
        bool r = true;
        if (k->string && repeated_keyword(s, k)) {
            size_t mark = vtree_path_push(&c->path, ".", "%s", kw);
            cfail(c, "given twice");
            vtree_path_pop(&c->path, mark);
            goto done;
        }
        if (strcmp(kw, "type") == 0) {
            r = compile_type(c, k, n);
        } else if (strcmp(kw, "properties") == 0) {
            r = compile_properties(c, k, n);
        } else if (strcmp(kw, "required") == 0) {
            r = compile_required(c, k, n);
        } else if (strcmp(kw, "additionalProperties") == 0) {
            additional = k;
        } else if (strcmp(kw, "patternProperties") == 0) {
            pattern_props = true;
        } else if (strcmp(kw, "items") == 0) {
            if (cJSON_IsArray(k)) {
                r = compile_list(c, k, "items", &n->tuple, &n->ntuple);
            } else {
                r = compile_sub(c, k, &n->items, "items");
            }
        } else if (strcmp(kw, "minItems") == 0) {
            r = n->has_min_items = get_count(c, k, kw, &n->min_items);
        } else if (strcmp(kw, "maxItems") == 0) {
            r = n->has_max_items = get_count(c, k, kw, &n->max_items);
        } else if (strcmp(kw, "minLength") == 0) {
            r = n->has_min_len = get_count(c, k, kw, &n->min_len);
        } else if (strcmp(kw, "maxLength") == 0) {
            r = n->has_max_len = get_count(c, k, kw, &n->max_len);
        } else if (strcmp(kw, "format") == 0) {
            if (!cJSON_IsString(k)) {
                size_t mark = vtree_path_push(&c->path, ".", "format");
                r = cfail(c, "must be a string");
                vtree_path_pop(&c->path, mark);
            } else if (strcmp(k->valuestring, "date-time") == 0) {
                n->format = F_DATE_TIME;
            } else if (strcmp(k->valuestring, "date") == 0) {
                n->format = F_DATE;
            } else if (strcmp(k->valuestring, "time") == 0) {
                n->format = F_TIME;
            }
        } else if (strcmp(kw, "minimum") == 0) {
            r = get_bound(c, k, kw, &n->lo[0], false);
        } else if (strcmp(kw, "maximum") == 0) {
            r = get_bound(c, k, kw, &n->hi[0], false);
        } else if (strcmp(kw, "exclusiveMinimum") == 0) {
            if (cJSON_IsBool(k))
                excl_min_bool = k;
            else
                r = get_bound(c, k, kw, &n->lo[1], true);
        } else if (strcmp(kw, "exclusiveMaximum") == 0) {
            if (cJSON_IsBool(k))
                excl_max_bool = k;
            else
                r = get_bound(c, k, kw, &n->hi[1], true);
        } else if (strcmp(kw, "multipleOf") == 0) {
            r = compile_multiple(c, k, n);
        } else if (strcmp(kw, "anyOf") == 0) {
            r = compile_list(c, k, kw, &n->any_of, &n->n_any);
        } else if (strcmp(kw, "allOf") == 0) {
            r = compile_list(c, k, kw, &n->all_of, &n->n_all);
        } else if (strcmp(kw, "oneOf") == 0) {
            r = compile_list(c, k, kw, &n->one_of, &n->n_one);
        } else if (strcmp(kw, "not") == 0) {
            r = compile_sub(c, k, &n->not_schema, "not");
        } else if (strcmp(kw, "enum") == 0) {
            r = copy_value(c, k, kw, &n->enum_values);
        } else if (strcmp(kw, "const") == 0) {
            r = copy_value(c, k, kw, &n->const_value);
        }
        if (!r)
            goto done;
    }

    if (excl_min_bool && cJSON_IsTrue(excl_min_bool))
        n->lo[0].excl = true;
    if (excl_max_bool && cJSON_IsTrue(excl_max_bool))
        n->hi[0].excl = true;
    if (additional && !pattern_props) {
        if (cJSON_IsFalse(additional)) {
            n->additional = ADD_NONE;
        } else if (cJSON_IsObject(additional)) {
            if (!compile_sub(c, additional, &n->additional_schema, "additionalProperties"))
                goto done;
            n->additional = n->additional_schema->trivial ? ADD_ANY : ADD_SCHEMA;
        } else if (!cJSON_IsTrue(additional)) {
            size_t mark = vtree_path_push(&c->path, ".", "additionalProperties");
            cfail(c, "must be true, false or a schema");
            vtree_path_pop(&c->path, mark);
            goto done;
        }
    }
    link_required(n);
    n->trivial = n->types == 0 && n->format == F_NONE && !n->has_min_len && !n->has_max_len &&
                 !n->lo[0].set && !n->lo[1].set && !n->hi[0].set && !n->hi[1].set &&
                 !n->has_multiple && n->nprops == 0 && n->nrequired == 0 &&
                 n->additional == ADD_ANY && !n->items && n->ntuple == 0 && !n->has_min_items &&
                 !n->has_max_items && n->n_any == 0 && n->n_all == 0 && n->n_one == 0 &&
                 !n->not_schema && !n->enum_values && !n->const_value;
    ok = true;
done:
    c->depth--;
    return ok;
}

validator *validate_create(const cJSON *schema, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    cctx c;
    memset(&c, 0, sizeof(c));
    c.err = err;
    c.errlen = errlen;
    if (!schema) {
        cfail(&c, "no schema given");
        return NULL;
    }
    validator *v = calloc(1, sizeof(*v));
    if (!v) {
        cfail(&c, "out of memory");
        return NULL;
    }
    if (!compile(&c, schema, &v->root)) {
        validate_destroy(v);
        return NULL;
    }
    return v;
}

void validate_destroy(validator *v)
{
    if (!v)
        return;
    vtree_free(v->root);
    free(v);
}
