#include "validate.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* exact decimals                                                                              */
/* ------------------------------------------------------------------------------------------ */

/*
 * A decimal: (-1)^neg * digits * 10^exp, where digits (n of them, '0'..'9') has no leading and
 * no trailing zero; n == 0 is zero. Normalised so, two equal values have equal representations.
 */
typedef struct dec {
    bool neg;
    int n;
    long exp;
    char d[VALIDATOR_MAX_DIGITS];
} dec;

/* exponents beyond this are refused (the value then falls back to its double) */
#define DEC_MAX_EXP 1000000L

/*
 * dec_parse: JSON number text s[0..len) -> out. False when it is not number text or has more
 * significant digits / a larger exponent than a dec holds.
 */
static bool dec_parse(const char *s, size_t len, dec *out)
{
    size_t i = 0;
    out->neg = false;
    if (i < len && s[i] == '-') {
        out->neg = true;
        i++;
    }
    size_t int_start = i;
    while (i < len && s[i] >= '0' && s[i] <= '9')
        i++;
    size_t ni = i - int_start;
    if (ni == 0)
        return false;
    size_t frac_start = i, nf = 0;
    if (i < len && s[i] == '.') {
        frac_start = ++i;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++;
        nf = i - frac_start;
        if (nf == 0)
            return false;
    }
    long e = 0;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            eneg = s[i++] == '-';
        size_t es = i;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (e > DEC_MAX_EXP)
                return false;
            e = e * 10 + (s[i] - '0');
            i++;
        }
        if (i == es)
            return false;
        if (eneg)
            e = -e;
    }
    if (i != len)
        return false;
    /* the digits, integer part then fraction, seen as one sequence of ni + nf */
    size_t total = ni + nf, first = total, last = 0;
    for (size_t k = 0; k < total; k++) {
        char c = k < ni ? s[int_start + k] : s[frac_start + (k - ni)];
        if (c != '0') {
            if (first == total)
                first = k;
            last = k;
        }
    }
    if (first == total) {
        out->n = 0;
        out->exp = 0;
        out->neg = false;
        return true;
    }
    if (last - first + 1 > VALIDATOR_MAX_DIGITS || total > (size_t)DEC_MAX_EXP)
        return false;
    out->n = (int)(last - first + 1);
    for (size_t k = first; k <= last; k++)
        out->d[k - first] = k < ni ? s[int_start + k] : s[frac_start + (k - ni)];
    out->exp = e - (long)nf + (long)(total - 1 - last);
    return true;
}

/*
 * dec_from_double: the shortest decimal (15, 16 or 17 significant digits) that reads back as
 * x. For a double parsed from text of at most 15 significant digits this is exactly that text's
 * value. False for infinities and NaN.
 */
static bool dec_from_double(double x, dec *out)
{
    if (!isfinite(x))
        return false;
    if (x == 0) {
        out->neg = false;
        out->n = 0;
        out->exp = 0;
        return true;
    }
    char text[40];
    for (int prec = 15; prec <= 17; prec++) {
        int w = snprintf(text, sizeof(text), "%.*e", prec - 1, x);
        if (w <= 0 || (size_t)w >= sizeof(text))
            return false;
        if (prec < 17 && strtod(text, NULL) != x)
            continue;
        /* the locale may print a decimal comma; dec_parse wants JSON text */
        for (char *p = text; *p; p++)
            if (*p == ',')
                *p = '.';
        return dec_parse(text, (size_t)w, out);
    }
    return false;
}

static int dec_sign(const dec *a)
{
    return a->n == 0 ? 0 : (a->neg ? -1 : 1);
}

/* dec_cmp: -1, 0, 1 as a <, ==, > b */
static int dec_cmp(const dec *a, const dec *b)
{
    int sa = dec_sign(a), sb = dec_sign(b);
    if (sa != sb)
        return sa < sb ? -1 : 1;
    if (sa == 0)
        return 0;
    /* magnitudes: first the position of the leading digit, then the digits */
    int mag = 0;
    long ea = a->n + a->exp, eb = b->n + b->exp;
    if (ea != eb) {
        mag = ea < eb ? -1 : 1;
    } else {
        int m = a->n < b->n ? a->n : b->n;
        int c = memcmp(a->d, b->d, (size_t)m);
        if (c != 0)
            mag = c < 0 ? -1 : 1;
        else if (a->n != b->n)
            mag = a->n < b->n ? -1 : 1; /* the longer one has more non-zero digits */
    }
    return sa > 0 ? mag : -mag;
}

/* dec_format: a short text of a for messages: plain when short, else scientific */
static void dec_format(const dec *a, char *out, size_t outlen)
{
    char t[VALIDATOR_MAX_DIGITS + 40];
    size_t k = 0;
    int n = a->n;
    long e = a->exp;
    if (n == 0) {
        t[k++] = '0';
    } else {
        if (a->neg)
            t[k++] = '-';
        if (e >= 0 && n + e <= 21) { /* 12300 */
            memcpy(t + k, a->d, (size_t)n);
            k += (size_t)n;
            for (long i = 0; i < e; i++)
                t[k++] = '0';
        } else if (e < 0 && -e < n) { /* 12.3 */
            size_t ip = (size_t)(n + e);
            memcpy(t + k, a->d, ip);
            k += ip;
            t[k++] = '.';
            memcpy(t + k, a->d + ip, (size_t)n - ip);
            k += (size_t)n - ip;
        } else if (e < 0 && -e - n <= 6) { /* 0.00123 */
            t[k++] = '0';
            t[k++] = '.';
            for (long i = 0; i < -e - n; i++)
                t[k++] = '0';
            memcpy(t + k, a->d, (size_t)n);
            k += (size_t)n;
        } else { /* 1.23e+40 */
            t[k++] = a->d[0];
            if (n > 1) {
                t[k++] = '.';
                memcpy(t + k, a->d + 1, (size_t)n - 1);
                k += (size_t)n - 1;
            }
            int w = snprintf(t + k, sizeof(t) - k, "e%+ld", e + n - 1);
            k += w > 0 ? (size_t)w : 0;
        }
    }
    t[k < sizeof(t) ? k : sizeof(t) - 1] = '\0';
    snprintf(out, outlen, "%s", t);
}

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
typedef struct vbound {
    bool set;
    bool excl;
    double x;
    dec d;
} vbound;

typedef struct vnode vnode;

typedef struct vprop {
    char *name;    /* malloc'ed */
    vnode *schema; /* owned */
    int req_bit;   /* bit in the required mask while checking, or -1 */
} vprop;

struct vnode {
    bool never;     /* the schema false: no value matches */
    bool trivial;   /* no constraint at all: every value matches (checking is skipped) */
    unsigned types; /* T_* mask; 0 = any type */
    int format;     /* F_* */

    bool has_min_len, has_max_len;
    size_t min_len, max_len;

    /* [0]: minimum / maximum (exclusive with the draft-4 boolean), [1]: the numeric
       exclusiveMinimum / exclusiveMaximum of draft 6+ */
    vbound lo[2], hi[2];
    bool has_multiple;
    double multiple;
    uint64_t mult_coef; /* multipleOf = mult_coef * 10^mult_exp exactly (as dec_from_double) */
    long mult_exp;
    long long mult_int; /* multipleOf as an integer when it is one below 2^53, else 0 */
    double pow10_k;     /* 10^k when multipleOf is 10^-k, 1 <= k <= 22, else 0 */

    vprop *props; /* malloc'ed array of nprops */
    size_t nprops;
    uint32_t *slots; /* open addressing hash of props: index + 1, 0 = empty; nslots a power of 2 */
    size_t nslots;
    char **required; /* malloc'ed array of malloc'ed names */
    size_t nrequired;
    long *req_prop; /* for each required name: its index in props, or -1 */
    int additional; /* ADD_* */
    vnode *additional_schema;

    vnode *items;  /* every element, when not a tuple */
    vnode **tuple; /* items as an array of schemas */
    size_t ntuple;
    bool has_min_items, has_max_items;
    size_t min_items, max_items;

    vnode **any_of, **all_of, **one_of;
    size_t n_any, n_all, n_one;
    vnode *not_schema;

    cJSON *enum_values; /* owned copy */
    cJSON *const_value; /* owned copy */
};

struct validator {
    vnode *root;
};

static void node_free(vnode *n);

static void node_list_free(vnode **list, size_t count)
{
    if (!list)
        return;
    for (size_t i = 0; i < count; i++)
        node_free(list[i]);
    free(list);
}

static void node_free(vnode *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->nprops; i++) {
        free(n->props[i].name);
        node_free(n->props[i].schema);
    }
    free(n->props);
    free(n->slots);
    for (size_t i = 0; i < n->nrequired; i++)
        free(n->required[i]);
    free(n->required);
    free(n->req_prop);
    node_free(n->additional_schema);
    node_free(n->items);
    node_list_free(n->tuple, n->ntuple);
    node_list_free(n->any_of, n->n_any);
    node_list_free(n->all_of, n->n_all);
    node_list_free(n->one_of, n->n_one);
    node_free(n->not_schema);
    cJSON_Delete(n->enum_values);
    cJSON_Delete(n->const_value);
    free(n);
}

/* FNV-1a: property names are short */
static uint32_t name_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

static long prop_index(const vnode *n, const char *name)
{
    if (n->nslots == 0)
        return -1;
    size_t mask = n->nslots - 1;
    for (size_t i = name_hash(name) & mask;; i = (i + 1) & mask) {
        uint32_t s = n->slots[i];
        if (s == 0)
            return -1;
        if (strcmp(n->props[s - 1].name, name) == 0)
            return (long)(s - 1);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* compiling                                                                                   */
/* ------------------------------------------------------------------------------------------ */

#define PATH_CAP 1024
#define MAX_DEPTH 100

/* a path of names ("properties.address.maxLength"), built in place while descending */
typedef struct vpath {
    char text[PATH_CAP];
    size_t len;
} vpath;

/* path_push: append sep (when not at the start) and the formatted part; returns the length to
   restore with path_pop. A path that does not fit ends in "..." */
static size_t path_push(vpath *p, const char *sep, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static size_t path_push(vpath *p, const char *sep, const char *fmt, ...)
{
    size_t mark = p->len;
    if (p->len + 4 >= PATH_CAP)
        return mark;
    if (p->len > 0 && sep) {
        size_t sl = strlen(sep);
        if (p->len + sl + 4 < PATH_CAP) {
            memcpy(p->text + p->len, sep, sl);
            p->len += sl;
        }
    }
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(p->text + p->len, PATH_CAP - p->len, fmt, ap);
    va_end(ap);
    if (w < 0)
        w = 0;
    if ((size_t)w >= PATH_CAP - p->len) {
        p->len = PATH_CAP - 4;
        memcpy(p->text + p->len, "...", 4);
        p->len += 3;
    } else {
        p->len += (size_t)w;
    }
    return mark;
}

static void path_pop(vpath *p, size_t mark)
{
    p->len = mark;
    p->text[mark] = '\0';
}

/*
 * format_error: "<prefix><path>: <msg>" into out. When it does not fit, the path loses its
 * beginning ("...ss.zip: ...") so that the property that failed and the rule stay readable.
 */
static void format_error(char *out, size_t outlen, const char *prefix, const char *path,
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

typedef struct cctx {
    vpath path;
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
        format_error(c->err, c->errlen, "schema ", c->path.text, msg);
    else
        snprintf(c->err, c->errlen, "schema: %s", msg);
    return false;
}

static bool compile(cctx *c, const cJSON *s, vnode **out);

/* compile_at: compile the subschema s found under the path part fmt */
static bool compile_sub(cctx *c, const cJSON *s, vnode **out, const char *part)
{
    size_t mark = path_push(&c->path, ".", "%s", part);
    bool ok = compile(c, s, out);
    path_pop(&c->path, mark);
    return ok;
}

static bool is_schema(const cJSON *s)
{
    return cJSON_IsObject(s) || cJSON_IsBool(s);
}

static bool compile_list(cctx *c, const cJSON *arr, const char *kw, vnode ***out, size_t *count)
{
    size_t mark = path_push(&c->path, ".", "%s", kw);
    bool ok = false;
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0) {
        cfail(c, "must be a non-empty array of schemas");
        goto done;
    }
    size_t n = (size_t)cJSON_GetArraySize(arr);
    vnode **list = calloc(n, sizeof(*list));
    if (!list) {
        cfail(c, "out of memory");
        goto done;
    }
    *out = list;
    size_t i = 0;
    for (const cJSON *e = arr->child; e && i < n; e = e->next, i++) {
        size_t m2 = path_push(&c->path, NULL, "[%zu]", i);
        bool sub_ok = compile(c, e, &list[i]);
        path_pop(&c->path, m2);
        *count = i + 1;
        if (!sub_ok)
            goto done;
    }
    ok = true;
done:
    path_pop(&c->path, mark);
    return ok;
}

/* a JSON number that is a non-negative integer, for the length and count keywords */
static bool get_count(cctx *c, const cJSON *v, const char *kw, size_t *out)
{
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0) || floor(v->valuedouble) != v->valuedouble) {
        size_t mark = path_push(&c->path, ".", "%s", kw);
        cfail(c, "must be a non-negative integer");
        path_pop(&c->path, mark);
        return false;
    }
    *out = v->valuedouble >= (double)SIZE_MAX ? SIZE_MAX : (size_t)v->valuedouble;
    return true;
}

static bool get_bound(cctx *c, const cJSON *v, const char *kw, vbound *b, bool excl)
{
    if (!cJSON_IsNumber(v) || !dec_from_double(v->valuedouble, &b->d)) {
        size_t mark = path_push(&c->path, ".", "%s", kw);
        cfail(c, "must be a finite number");
        path_pop(&c->path, mark);
        return false;
    }
    b->set = true;
    b->excl = excl;
    b->x = v->valuedouble;
    return true;
}

static bool compile_type(cctx *c, const cJSON *t, vnode *n)
{
    size_t mark = path_push(&c->path, ".", "type");
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
    path_pop(&c->path, mark);
    return ok;
}

static bool compile_properties(cctx *c, const cJSON *props, vnode *n)
{
    size_t mark = path_push(&c->path, ".", "properties");
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
    n->nslots = 4;
    while (n->nslots < 2 * count)
        n->nslots *= 2;
    n->slots = calloc(n->nslots, sizeof(*n->slots));
    if (!n->props || !n->slots) {
        cfail(c, "out of memory");
        goto done;
    }
    for (const cJSON *p = props->child; p && n->nprops < count; p = p->next) {
        vprop *vp = &n->props[n->nprops];
        vp->req_bit = -1;
        vp->name = strdup(p->string ? p->string : "");
        if (!vp->name) {
            cfail(c, "out of memory");
            goto done;
        }
        n->nprops++;
        size_t m2 = path_push(&c->path, ".", "%s", vp->name);
        bool sub_ok = compile(c, p, &vp->schema);
        path_pop(&c->path, m2);
        if (!sub_ok)
            goto done;
        /* a name given twice: the later definition wins, as in a JSON object read by most
           parsers */
        size_t mask = n->nslots - 1, i = name_hash(vp->name) & mask;
        while (n->slots[i] != 0 && strcmp(n->props[n->slots[i] - 1].name, vp->name) != 0)
            i = (i + 1) & mask;
        n->slots[i] = (uint32_t)n->nprops;
    }
    ok = true;
done:
    path_pop(&c->path, mark);
    return ok;
}

static bool compile_required(cctx *c, const cJSON *req, vnode *n)
{
    if (cJSON_IsBool(req))
        return true; /* draft 3: "required": true inside the property; not supported */
    size_t mark = path_push(&c->path, ".", "required");
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
    path_pop(&c->path, mark);
    return ok;
}

/* link required names to properties: up to 64 of them are tracked with a bit mask while
   checking, the others are looked up in the record */
static void link_required(vnode *n)
{
    int bits = 0;
    for (size_t i = 0; i < n->nrequired; i++) {
        long pi = prop_index(n, n->required[i]);
        n->req_prop[i] = -1;
        if (pi < 0)
            continue;
        if (n->props[pi].req_bit < 0 && bits < 64)
            n->props[pi].req_bit = bits++;
        if (n->props[pi].req_bit >= 0)
            n->req_prop[i] = pi;
    }
}

static bool compile_multiple(cctx *c, const cJSON *v, vnode *n)
{
    dec d;
    size_t mark = path_push(&c->path, ".", "multipleOf");
    bool ok = false;
    if (!cJSON_IsNumber(v) || !(v->valuedouble > 0) || !dec_from_double(v->valuedouble, &d)) {
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
    path_pop(&c->path, mark);
    return ok;
}

static bool copy_value(cctx *c, const cJSON *v, const char *kw, cJSON **out)
{
    if (strcmp(kw, "enum") == 0 && !cJSON_IsArray(v)) {
        size_t mark = path_push(&c->path, ".", "enum");
        cfail(c, "must be an array");
        path_pop(&c->path, mark);
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

static bool compile(cctx *c, const cJSON *s, vnode **out)
{
    *out = NULL;
    if (!is_schema(s))
        return cfail(c, "a schema must be an object (or true / false)");
    if (c->depth >= MAX_DEPTH)
        return cfail(c, "nested more than %d levels deep", MAX_DEPTH);
    vnode *n = calloc(1, sizeof(*n));
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
            size_t mark = path_push(&c->path, ".", "%s", kw);
            cfail(c, "given twice");
            path_pop(&c->path, mark);
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
                size_t mark = path_push(&c->path, ".", "format");
                r = cfail(c, "must be a string");
                path_pop(&c->path, mark);
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
            size_t mark = path_push(&c->path, ".", "additionalProperties");
            cfail(c, "must be true, false or a schema");
            path_pop(&c->path, mark);
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

validator *validator_create(const cJSON *schema, char *err, size_t errlen)
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
        validator_destroy(v);
        return NULL;
    }
    return v;
}

void validator_destroy(validator *v)
{
    if (!v)
        return;
    node_free(v->root);
    free(v);
}

/* ------------------------------------------------------------------------------------------ */
/* formats                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/* exactly n digits at *p, advanced past them */
static bool read_digits(const char **p, const char *end, int n, int *out)
{
    int v = 0;
    const char *s = *p;
    if (end - s < n)
        return false;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *p = s + n;
    *out = v;
    return true;
}

static bool read_char(const char **p, const char *end, char c)
{
    if (*p < end && **p == c) {
        (*p)++;
        return true;
    }
    return false;
}

static bool leap_year(long y)
{
    return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

/* full-date: YYYY-MM-DD; the year may have up to 6 digits and a sign (ISO 8601 expanded years,
   astronomical: -0043 is 44 BC), as the target loads them */
static bool read_date(const char **p, const char *end)
{
    bool neg = read_char(p, end, '-');
    if (!neg)
        read_char(p, end, '+');
    long year = 0;
    int nd = 0;
    while (*p < end && **p >= '0' && **p <= '9' && nd < 7) {
        year = year * 10 + (**p - '0');
        (*p)++;
        nd++;
    }
    if (nd < 4 || nd > 6)
        return false;
    if (neg)
        year = -year;
    int month, day;
    if (!read_char(p, end, '-') || !read_digits(p, end, 2, &month) || !read_char(p, end, '-') ||
        !read_digits(p, end, 2, &day))
        return false;
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12 || day < 1 || day > mdays[month - 1])
        return false;
    if (month == 2 && day == 29 && !leap_year(year))
        return false;
    return true;
}

/*
 * time: HH:MM:SS[.frac] then an optional offset. strict (date-time): the offset is Z or +HH:MM;
 * a date-time without an offset is accepted (and loaded as UTC) because taps that users run
 * today emit such values and pipelinewise accepts them. Otherwise (format time) it is optional and may be +HH, +HH:MM or +HH:MM:SS, and
 * 24:00:00 is accepted, as PostgreSQL writes time and timetz.
 */
static bool read_time(const char **p, const char *end, bool strict)
{
    int h, m, s;
    if (!read_digits(p, end, 2, &h) || !read_char(p, end, ':') || !read_digits(p, end, 2, &m) ||
        !read_char(p, end, ':') || !read_digits(p, end, 2, &s))
        return false;
    bool frac_zero = true;
    if (read_char(p, end, '.')) {
        const char *fs = *p;
        while (*p < end && **p >= '0' && **p <= '9') {
            if (**p != '0')
                frac_zero = false;
            (*p)++;
        }
        if (*p == fs)
            return false;
    }
    bool midnight_24 = !strict && h == 24 && m == 0 && s == 0 && frac_zero;
    if ((h > 23 && !midnight_24) || m > 59 || s > 60)
        return false;
    if (*p == end)
        return true;
    if (**p == 'Z' || **p == 'z') {
        (*p)++;
        return true;
    }
    if (**p != '+' && **p != '-')
        return false;
    (*p)++;
    int oh, om = 0, os = 0;
    if (!read_digits(p, end, 2, &oh))
        return false;
    if (strict) {
        if (!read_char(p, end, ':') || !read_digits(p, end, 2, &om))
            return false;
    } else if (read_char(p, end, ':')) {
        if (!read_digits(p, end, 2, &om))
            return false;
        if (read_char(p, end, ':') && !read_digits(p, end, 2, &os))
            return false;
    }
    return oh <= 23 && om <= 59 && os <= 59;
}

/* PostgreSQL's " BC" after a date or date-time with an unsigned year, as the target loads it */
static bool at_end_or_bc(const char *s, const char *p, const char *end)
{
    return p == end || (end - p == 3 && memcmp(p, " BC", 3) == 0 && s[0] != '-' && s[0] != '+');
}

static bool format_ok(int format, const char *s, size_t len)
{
    const char *p = s, *end = s + len;
    switch (format) {
    case F_DATE:
        return read_date(&p, end) && at_end_or_bc(s, p, end);
    case F_TIME:
        return read_time(&p, end, false) && p == end;
    case F_DATE_TIME:
        if (!read_date(&p, end))
            return false;
        if (!read_char(&p, end, 'T') && !read_char(&p, end, 't') && !read_char(&p, end, ' '))
            return false;
        return read_time(&p, end, true) && at_end_or_bc(s, p, end);
    default:
        return true;
    }
}

static const char *format_name(int format)
{
    switch (format) {
    case F_DATE:
        return "date";
    case F_TIME:
        return "time";
    default:
        return "date-time";
    }
}

/* ------------------------------------------------------------------------------------------ */
/* checking                                                                                    */
/* ------------------------------------------------------------------------------------------ */

/* one step of the path to the value being checked: a property name or an array index */
typedef struct vseg {
    const char *key; /* borrowed from the record or the schema; NULL for an index */
    size_t index;
} vseg;

#define SEG_CAP 128

typedef struct vctx {
    /* the path, kept as borrowed steps and only printed when a check fails */
    vseg seg[SEG_CAP];
    size_t depth; /* may exceed SEG_CAP: the steps beyond are not kept */
    char *err;    /* NULL while an error is not wanted (probing oneOf / not) */
    size_t errlen;
    validator_numtext_fn numtext;
    void *numtext_ctx;
} vctx;

static void seg_push_key(vctx *c, const char *key)
{
    if (c->depth < SEG_CAP)
        c->seg[c->depth] = (vseg){key, 0};
    c->depth++;
}

static void seg_push_index(vctx *c, size_t index)
{
    if (c->depth < SEG_CAP)
        c->seg[c->depth] = (vseg){NULL, index};
    c->depth++;
}

static void seg_pop(vctx *c)
{
    c->depth--;
}

/* print the path ("address.zip", "tags[3]", "(root)") into p */
static void seg_print(const vctx *c, vpath *p)
{
    p->len = 0;
    p->text[0] = '\0';
    if (c->depth == 0) {
        path_push(p, NULL, "(root)");
        return;
    }
    for (size_t i = 0; i < c->depth && i < SEG_CAP; i++) {
        if (c->seg[i].key)
            path_push(p, ".", "%s", c->seg[i].key);
        else
            path_push(p, NULL, "[%zu]", c->seg[i].index);
    }
    if (c->depth > SEG_CAP)
        path_push(p, ".", "...");
}

/* a number seen by the checks: its double, and its exact decimal when the text is known */
typedef struct numv {
    double x;
    bool has_dec;
    dec d;
} numv;

static void num_load(const vctx *c, const cJSON *v, numv *out)
{
    out->x = v->valuedouble;
    out->has_dec = false;
    if (c->numtext) {
        size_t len = 0;
        const char *t = c->numtext(c->numtext_ctx, v, &len);
        if (t && dec_parse(t, len, &out->d))
            out->has_dec = true;
    }
}

static void num_text(const numv *nv, char *out, size_t outlen)
{
    dec d;
    if (nv->has_dec)
        dec_format(&nv->d, out, outlen);
    else if (dec_from_double(nv->x, &d))
        dec_format(&d, out, outlen);
    else
        snprintf(out, outlen, "%g", nv->x);
}

/* quote_string: "s" for messages: at most 40 bytes of s, cut on a character boundary,
   control characters shown as '?' so that the message stays on one line */
static void quote_string(const char *s, char *out, size_t outlen)
{
    char t[48];
    size_t len = strlen(s), show = len;
    if (show > 40) {
        show = 40;
        while (show > 0 && ((unsigned char)s[show] & 0xC0) == 0x80)
            show--;
    }
    for (size_t i = 0; i < show; i++)
        t[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
    t[show] = '\0';
    snprintf(out, outlen, "\"%s\"%s", t, show < len ? "..." : "");
}

/* a short description of a value for messages: type and, for scalars, the value itself */
static void describe(const cJSON *v, char *out, size_t outlen)
{
    if (cJSON_IsNull(v)) {
        snprintf(out, outlen, "null");
    } else if (cJSON_IsBool(v)) {
        snprintf(out, outlen, "boolean %s", cJSON_IsTrue(v) ? "true" : "false");
    } else if (cJSON_IsNumber(v)) {
        numv nv = {v->valuedouble, false, {0}};
        char t[48];
        num_text(&nv, t, sizeof(t));
        snprintf(out, outlen, "number %s", t);
    } else if (cJSON_IsString(v)) {
        char q[64];
        quote_string(v->valuestring, q, sizeof(q));
        snprintf(out, outlen, "string %s", q);
    } else if (cJSON_IsArray(v)) {
        snprintf(out, outlen, "array");
    } else if (cJSON_IsObject(v)) {
        snprintf(out, outlen, "object");
    } else {
        snprintf(out, outlen, "unsupported value");
    }
}

static void describe_types(unsigned types, char *out, size_t outlen)
{
    size_t len = 0;
    out[0] = '\0';
    /* in a fixed, readable order, null last */
    static const unsigned order[] = {T_STRING, T_INTEGER, T_NUMBER, T_BOOLEAN,
                                     T_OBJECT, T_ARRAY,   T_NULL};
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        if (!(types & order[i]))
            continue;
        const char *name = "";
        for (size_t j = 0; j < N_TYPE_NAMES; j++)
            if (type_names[j].bit == order[i])
                name = type_names[j].name;
        int w = snprintf(out + len, outlen - len, "%s%s", len ? " or " : "", name);
        if (w < 0 || (size_t)w >= outlen - len)
            return;
        len += (size_t)w;
    }
}

static bool fail(vctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(vctx *c, const char *fmt, ...)
{
    if (!c->err || c->errlen == 0)
        return false;
    char msg[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    vpath path;
    seg_print(c, &path);
    format_error(c->err, c->errlen, "", path.text, msg);
    return false;
}

static bool is_whole(const cJSON *v, const vctx *c)
{
    if (c->numtext) {
        numv nv;
        num_load(c, v, &nv);
        if (nv.has_dec)
            return nv.d.n == 0 || nv.d.exp >= 0;
    }
    return isfinite(v->valuedouble) && floor(v->valuedouble) == v->valuedouble;
}

static bool type_ok(const vnode *n, const cJSON *v, const vctx *c)
{
    unsigned t = n->types;
    switch (v->type & 0xFF) {
    case cJSON_NULL:
        return t & T_NULL;
    case cJSON_True:
    case cJSON_False:
        return t & T_BOOLEAN;
    case cJSON_Object:
        return t & T_OBJECT;
    case cJSON_Array:
        return t & T_ARRAY;
    case cJSON_String:
        return t & T_STRING;
    case cJSON_Number:
        return (t & T_NUMBER) || ((t & T_INTEGER) && is_whole(v, c));
    default:
        return false;
    }
}

static bool json_equal(const cJSON *a, const cJSON *b)
{
    if ((a->type & 0xFF) != (b->type & 0xFF))
        return false;
    switch (a->type & 0xFF) {
    case cJSON_Number:
        return a->valuedouble == b->valuedouble;
    case cJSON_String:
        return strcmp(a->valuestring, b->valuestring) == 0;
    case cJSON_Array: {
        const cJSON *x = a->child, *y = b->child;
        for (; x && y; x = x->next, y = y->next)
            if (!json_equal(x, y))
                return false;
        return !x && !y;
    }
    case cJSON_Object: {
        int na = 0, nb = 0;
        for (const cJSON *x = a->child; x; x = x->next, na++) {
            const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, x->string);
            if (!y || !json_equal(x, y))
                return false;
        }
        for (const cJSON *y = b->child; y; y = y->next)
            nb++;
        return na == nb;
    }
    default:
        return true; /* null, true, false */
    }
}

static int num_cmp_bound(const numv *nv, const vbound *b)
{
    if (nv->has_dec)
        return dec_cmp(&nv->d, &b->d);
    return nv->x < b->x ? -1 : (nv->x > b->x ? 1 : 0);
}

/* value = V * 10^ev is a multiple of m = M * 10^em (V, M integers, V without trailing zeros) */
static bool dec_is_multiple(const dec *d, uint64_t m_coef, long m_exp)
{
    if (d->n == 0)
        return true;
    /* ev < em: the quotient is V / (M * 10^k) with k > 0, and V does not end in 0 */
    if (d->exp < m_exp)
        return false;
    uint64_t r = 0;
    for (int i = 0; i < d->n; i++) /* r < M < 10^17, so r * 10 + 9 fits */
        r = (r * 10 + (uint64_t)(d->d[i] - '0')) % m_coef;
    /* times 10^k: once k exceeds the exponents of 2 and 5 in M (< 57), more zeros change
       nothing */
    long k = d->exp - m_exp;
    if (k > 60)
        k = 60;
    for (long i = 0; i < k && r != 0; i++)
        r = (r * 10) % m_coef;
    return r == 0;
}

static bool multiple_ok(const vnode *n, const numv *nv)
{
    if (nv->has_dec)
        return dec_is_multiple(&nv->d, n->mult_coef, n->mult_exp);
    double x = nv->x;
    if (!isfinite(x))
        return false;
    /* below 2^53 an integral double is the exact value of its text */
    if (n->mult_int > 0 && floor(x) == x && fabs(x) < 9007199254740992.0)
        return ((long long)x % n->mult_int) == 0;
    /*
     * multipleOf 10^-k (numeric(p,k) columns) without printing: x is a multiple exactly when
     * some integer r with |r| < 10^14 makes r / 10^k read back as x. 10^k (k <= 22) is an exact
     * double and r / 10^k is correctly rounded, so this is the test "the decimal r * 10^-k reads
     * back as x"; such a decimal has at most 14 digits, so it is the one dec_from_double finds,
     * and the answer is the same as the general path below. When no such r exists although
     * |x * 10^k| < 10^14, no decimal of at most 14 digits and k decimals reads as x (x * 10^k
     * would be within 0.25 of it), so again the same answer.
     */
    if (n->pow10_k > 0) {
        double y = x * n->pow10_k;
        if (fabs(y) < 1e14) {
            double r = nearbyint(y);
            return r / n->pow10_k == x;
        }
    }
    dec d;
    if (!dec_from_double(x, &d))
        return false;
    return dec_is_multiple(&d, n->mult_coef, n->mult_exp);
}

static bool check(const vnode *n, const cJSON *v, vctx *c);

static bool check_number(const vnode *n, const cJSON *v, vctx *c)
{
    if (!n->lo[0].set && !n->lo[1].set && !n->hi[0].set && !n->hi[1].set && !n->has_multiple)
        return true;
    numv nv;
    num_load(c, v, &nv);
    char a[48], b[48];
    for (int i = 0; i < 2; i++) {
        const vbound *lo = &n->lo[i];
        if (lo->set) {
            int cmp = num_cmp_bound(&nv, lo);
            if (cmp < 0 || (cmp == 0 && lo->excl)) {
                num_text(&nv, a, sizeof(a));
                dec_format(&lo->d, b, sizeof(b));
                return fail(c, "%s is %s %s %s", a, lo->excl ? "not greater than" : "less than",
                            i == 0 ? "minimum" : "exclusiveMinimum", b);
            }
        }
        const vbound *hi = &n->hi[i];
        if (hi->set) {
            int cmp = num_cmp_bound(&nv, hi);
            if (cmp > 0 || (cmp == 0 && hi->excl)) {
                num_text(&nv, a, sizeof(a));
                dec_format(&hi->d, b, sizeof(b));
                return fail(c, "%s is %s %s %s", a, hi->excl ? "not less than" : "greater than",
                            i == 0 ? "maximum" : "exclusiveMaximum", b);
            }
        }
    }
    if (n->has_multiple && !multiple_ok(n, &nv)) {
        dec m;
        num_text(&nv, a, sizeof(a));
        dec_from_double(n->multiple, &m);
        dec_format(&m, b, sizeof(b));
        return fail(c, "%s is not a multiple of %s (multipleOf)", a, b);
    }
    return true;
}

static bool check_string(const vnode *n, const cJSON *v, vctx *c)
{
    const char *s = v->valuestring;
    size_t bytes = strlen(s);
    if (n->has_min_len || n->has_max_len) {
        /* code points <= bytes: decide without counting when the byte length settles it */
        bool need = (n->has_max_len && bytes > n->max_len) || (n->has_min_len && n->min_len > 0);
        if (need) {
            size_t cps = 0;
            for (size_t i = 0; i < bytes; i++)
                cps += ((unsigned char)s[i] & 0xC0) != 0x80;
            if (n->has_max_len && cps > n->max_len)
                return fail(c, "longer than maxLength %zu (%zu characters)", n->max_len, cps);
            if (n->has_min_len && cps < n->min_len)
                return fail(c, "shorter than minLength %zu (%zu characters)", n->min_len, cps);
        }
    }
    if (n->format != F_NONE && !format_ok(n->format, s, bytes)) {
        char q[64];
        quote_string(s, q, sizeof(q));
        return fail(c, "%s is not a valid %s", q, format_name(n->format));
    }
    return true;
}

static bool check_object(const vnode *n, const cJSON *obj, vctx *c)
{
    if (n->nprops == 0 && n->nrequired == 0 && n->additional == ADD_ANY)
        return true;
    uint64_t seen = 0;
    for (const cJSON *m = obj->child; m; m = m->next) {
        const char *key = m->string ? m->string : "";
        long pi = prop_index(n, key);
        const vnode *sub = NULL;
        if (pi >= 0) {
            const vprop *p = &n->props[pi];
            if (p->req_bit >= 0)
                seen |= (uint64_t)1 << p->req_bit;
            sub = p->schema;
        } else if (n->additional == ADD_NONE) {
            seg_push_key(c, key);
            fail(c, "property is not allowed (additionalProperties is false)");
            seg_pop(c);
            return false;
        } else if (n->additional == ADD_SCHEMA) {
            sub = n->additional_schema;
        }
        if (sub && !sub->trivial) {
            seg_push_key(c, key);
            bool ok = check(sub, m, c);
            seg_pop(c);
            if (!ok)
                return false;
        }
    }
    for (size_t i = 0; i < n->nrequired; i++) {
        long pi = n->req_prop[i];
        bool present = pi >= 0 ? (seen >> n->props[pi].req_bit) & 1
                               : cJSON_GetObjectItemCaseSensitive(obj, n->required[i]) != NULL;
        if (!present) {
            seg_push_key(c, n->required[i]);
            fail(c, "required property is missing");
            seg_pop(c);
            return false;
        }
    }
    return true;
}

static bool check_array(const vnode *n, const cJSON *arr, vctx *c)
{
    if (n->has_min_items || n->has_max_items) {
        size_t count = 0;
        for (const cJSON *e = arr->child; e; e = e->next)
            count++;
        if (n->has_min_items && count < n->min_items)
            return fail(c, "fewer than minItems %zu (%zu items)", n->min_items, count);
        if (n->has_max_items && count > n->max_items)
            return fail(c, "more than maxItems %zu (%zu items)", n->max_items, count);
    }
    if ((!n->items || n->items->trivial) && n->ntuple == 0)
        return true;
    size_t i = 0;
    for (const cJSON *e = arr->child; e; e = e->next, i++) {
        const vnode *sub = n->ntuple ? (i < n->ntuple ? n->tuple[i] : NULL) : n->items;
        if (!sub || sub->trivial)
            continue;
        seg_push_index(c, i);
        bool ok = check(sub, e, c);
        seg_pop(c);
        if (!ok)
            return false;
    }
    return true;
}

/* check with errors sent to out (NULL: dropped) */
static bool probe(const vnode *n, const cJSON *v, vctx *c, char *out, size_t outlen)
{
    char *saved = c->err;
    size_t saved_len = c->errlen;
    c->err = out;
    c->errlen = outlen;
    if (out && outlen)
        out[0] = '\0';
    bool ok = check(n, v, c);
    c->err = saved;
    c->errlen = saved_len;
    return ok;
}

/* would n's type keyword let v through (so its error says more than "wrong type") */
static bool type_admits(const vnode *n, const cJSON *v)
{
    if (n->never)
        return false;
    if (n->types == 0)
        return true;
    switch (v->type & 0xFF) {
    case cJSON_NULL:
        return n->types & T_NULL;
    case cJSON_True:
    case cJSON_False:
        return n->types & T_BOOLEAN;
    case cJSON_Object:
        return n->types & T_OBJECT;
    case cJSON_Array:
        return n->types & T_ARRAY;
    case cJSON_String:
        return n->types & T_STRING;
    case cJSON_Number:
        return n->types & (T_NUMBER | T_INTEGER); /* "expected integer, got 1.5" says more */
    default:
        return false;
    }
}

static bool check_alternatives(const vnode *n, const cJSON *v, vctx *c)
{
    for (size_t i = 0; i < n->n_all; i++)
        if (!check(n->all_of[i], v, c))
            return false;
    if (n->n_any > 0) {
        char first[256] = "", best[256] = "";
        bool have_best = false;
        for (size_t i = 0; i < n->n_any; i++) {
            const vnode *alt = n->any_of[i];
            bool want = c->err != NULL;
            bool admits = want && !have_best && type_admits(alt, v);
            char *out = !want ? NULL : (admits ? best : (i == 0 ? first : NULL));
            if (probe(alt, v, c, out, out ? sizeof(first) : 0))
                return true;
            if (admits)
                have_best = true;
        }
        return fail(c, "matches none of the %zu anyOf alternatives (%s)", n->n_any,
                    have_best ? best : first);
    }
    if (n->n_one > 0) {
        size_t matched = 0;
        char first[256] = "";
        for (size_t i = 0; i < n->n_one && matched < 2; i++)
            if (probe(n->one_of[i], v, c, i == 0 && c->err ? first : NULL,
                      i == 0 ? sizeof(first) : 0))
                matched++;
        if (matched == 0)
            return fail(c, "matches none of the %zu oneOf alternatives (%s)", n->n_one, first);
        if (matched > 1)
            return fail(c, "matches more than one oneOf alternative");
    }
    if (n->not_schema && probe(n->not_schema, v, c, NULL, 0))
        return fail(c, "matches the schema under \"not\"");
    return true;
}

static bool check(const vnode *n, const cJSON *v, vctx *c)
{
    if (n->trivial)
        return true;
    char d[96], t[96];
    if (n->never) {
        describe(v, d, sizeof(d));
        return fail(c, "%s is not allowed (schema false)", d);
    }
    if (n->types && !type_ok(n, v, c)) {
        describe_types(n->types, t, sizeof(t));
        if (cJSON_IsNull(v))
            return fail(c, "null is not allowed (expected %s)", t);
        if (cJSON_IsNumber(v)) { /* with the exact text when it is known */
            numv nv;
            num_load(c, v, &nv);
            char x[48];
            num_text(&nv, x, sizeof(x));
            snprintf(d, sizeof(d), "number %s", x);
        } else {
            describe(v, d, sizeof(d));
        }
        return fail(c, "expected %s, got %s", t, d);
    }
    if (n->enum_values) {
        bool found = false;
        for (const cJSON *e = n->enum_values->child; e && !found; e = e->next)
            found = json_equal(e, v);
        if (!found) {
            describe(v, d, sizeof(d));
            return fail(c, "%s is not one of the enum values", d);
        }
    }
    if (n->const_value && !json_equal(n->const_value, v)) {
        describe(v, d, sizeof(d));
        return fail(c, "%s is not the const value", d);
    }
    bool ok = true;
    switch (v->type & 0xFF) {
    case cJSON_Number:
        ok = check_number(n, v, c);
        break;
    case cJSON_String:
        ok = check_string(n, v, c);
        break;
    case cJSON_Object:
        ok = check_object(n, v, c);
        break;
    case cJSON_Array:
        ok = check_array(n, v, c);
        break;
    default:
        break;
    }
    if (!ok)
        return false;
    if (n->n_all || n->n_any || n->n_one || n->not_schema)
        return check_alternatives(n, v, c);
    return true;
}

bool validator_check_numtext(const validator *v, const cJSON *record, validator_numtext_fn numtext,
                             void *ctx, char *err, size_t errlen)
{
    vctx c;
    c.depth = 0;
    c.err = errlen ? err : NULL;
    c.errlen = errlen;
    c.numtext = numtext;
    c.numtext_ctx = ctx;
    if (c.err)
        c.err[0] = '\0';
    if (!record)
        return fail(&c, "no record");
    return check(v->root, record, &c);
}

bool validator_check(const validator *v, const cJSON *record, char *err, size_t errlen)
{
    return validator_check_numtext(v, record, NULL, NULL, err, errlen);
}
