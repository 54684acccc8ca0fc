#include "validate.h"

#include "conv.h"
#include "vtree.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* formats                                                                                     */
/* ------------------------------------------------------------------------------------------ */

static bool read_char(const char **p, const char *end, char c)
{
    if (*p < end && **p == c) {
        (*p)++;
        return true;
    }
    return false;
}

/* full-date: YYYY-MM-DD; the year may have up to 6 digits and a sign (ISO 8601 expanded years,
   astronomical: -0043 is 44 BC), as the target loads them (conv's date syntax and calendar) */
static bool read_date(const char **p, const char *end)
{
    size_t i = 0;
    conv_date d;
    if (!conv_scan_date(*p, (size_t)(end - *p), &i, &d))
        return false;
    *p += i;
    return conv_date_valid(d.sign == '-' ? -d.year : d.year, d.month, d.day);
}

/*
 * time: conv's time of day and zone (what the target loads: 24:00:00 exactly, zones up to
 * 15:59:59), in the shapes the formats allow on top. Seconds are required. strict (date-time,
 * RFC 3339): no 24:00:00, and the offset is Z or +HH:MM; a date-time without an offset is
 * accepted (and loaded as UTC) because taps that users run today emit such values and
 * pipelinewise accepts them. Otherwise (format time) the offset is optional and may be +HH,
 * +HH:MM or +HH:MM:SS, as PostgreSQL writes time and timetz.
 */
static bool read_time(const char **p, const char *end, bool strict)
{
    const char *s = *p;
    size_t n = (size_t)(end - s), i = 0;
    if (!conv_parse_time(s, n, &i) || i < 8 || (strict && s[0] == '2' && s[1] == '4'))
        return false; /* i < 8: no seconds */
    if (i < n && s[i] != 'Z' && s[i] != 'z' && s[i] != '+' && s[i] != '-') {
        *p = s + i; /* something else follows: the caller decides */
        return true;
    }
    if (i == n) {
        *p = end;
        return true;
    }
    size_t z = i;
    int offset;
    if (!conv_parse_zone(s, n, &i, &offset))
        return false;
    size_t zl = i - z;
    bool shape = zl == 1 || (zl == 6 && s[z + 3] == ':') ||
                 (!strict && (zl == 3 || (zl == 9 && s[z + 3] == ':' && s[z + 6] == ':')));
    if (!shape)
        return false;
    *p = s + i;
    return true;
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
    validate_numtext_fn numtext;
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
static void seg_print(const vctx *c, vtree_path *p)
{
    p->len = 0;
    p->text[0] = '\0';
    if (c->depth == 0) {
        vtree_path_push(p, NULL, "(root)");
        return;
    }
    for (size_t i = 0; i < c->depth && i < SEG_CAP; i++) {
        if (c->seg[i].key)
            vtree_path_push(p, ".", "%s", c->seg[i].key);
        else
            vtree_path_push(p, NULL, "[%zu]", c->seg[i].index);
    }
    if (c->depth > SEG_CAP)
        vtree_path_push(p, ".", "...");
}

/* a number seen by the checks: its double, and its exact decimal when the text is known */
typedef struct numv {
    double x;
    bool has_dec;
    decimal d;
} numv;

static void num_load(const vctx *c, const cJSON *v, numv *out)
{
    out->x = v->valuedouble;
    out->has_dec = false;
    if (c->numtext) {
        size_t len = 0;
        const char *t = c->numtext(c->numtext_ctx, v, &len);
        if (t && decimal_parse(t, len, &out->d))
            out->has_dec = true;
    }
}

static void num_text(const numv *nv, char *out, size_t outlen)
{
    decimal d;
    if (nv->has_dec)
        decimal_format(&nv->d, out, outlen);
    else if (decimal_from_double(nv->x, &d))
        decimal_format(&d, out, outlen);
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
    vtree_path path;
    seg_print(c, &path);
    vtree_format_error(c->err, c->errlen, "", path.text, msg);
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

static bool type_ok(const vtree_node *n, const cJSON *v, const vctx *c)
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

static int num_cmp_bound(const numv *nv, const vtree_bound *b)
{
    if (nv->has_dec)
        return decimal_cmp(&nv->d, &b->d);
    return nv->x < b->x ? -1 : (nv->x > b->x ? 1 : 0);
}

static bool multiple_ok(const vtree_node *n, const numv *nv)
{
    if (nv->has_dec)
        return decimal_is_multiple(&nv->d, n->mult_coef, n->mult_exp);
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
     * back as x"; such a decimal has at most 14 digits, so it is the one decimal_from_double finds,
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
    decimal d;
    if (!decimal_from_double(x, &d))
        return false;
    return decimal_is_multiple(&d, n->mult_coef, n->mult_exp);
}

static bool check(const vtree_node *n, const cJSON *v, vctx *c);

static bool check_number(const vtree_node *n, const cJSON *v, vctx *c)
{
    if (!n->lo[0].set && !n->lo[1].set && !n->hi[0].set && !n->hi[1].set && !n->has_multiple)
        return true;
    numv nv;
    num_load(c, v, &nv);
    char a[48], b[48];
    for (int i = 0; i < 2; i++) {
        const vtree_bound *lo = &n->lo[i];
        if (lo->set) {
            int cmp = num_cmp_bound(&nv, lo);
            if (cmp < 0 || (cmp == 0 && lo->excl)) {
                num_text(&nv, a, sizeof(a));
                decimal_format(&lo->d, b, sizeof(b));
                return fail(c, "%s is %s %s %s", a, lo->excl ? "not greater than" : "less than",
                            i == 0 ? "minimum" : "exclusiveMinimum", b);
            }
        }
        const vtree_bound *hi = &n->hi[i];
        if (hi->set) {
            int cmp = num_cmp_bound(&nv, hi);
            if (cmp > 0 || (cmp == 0 && hi->excl)) {
                num_text(&nv, a, sizeof(a));
                decimal_format(&hi->d, b, sizeof(b));
                return fail(c, "%s is %s %s %s", a, hi->excl ? "not less than" : "greater than",
                            i == 0 ? "maximum" : "exclusiveMaximum", b);
            }
        }
    }
    if (n->has_multiple && !multiple_ok(n, &nv)) {
        decimal m;
        num_text(&nv, a, sizeof(a));
        decimal_from_double(n->multiple, &m);
        decimal_format(&m, b, sizeof(b));
        return fail(c, "%s is not a multiple of %s (multipleOf)", a, b);
    }
    return true;
}

static bool check_string(const vtree_node *n, const cJSON *v, vctx *c)
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

static bool check_object(const vtree_node *n, const cJSON *obj, vctx *c)
{
    if (n->nprops == 0 && n->nrequired == 0 && n->additional == ADD_ANY)
        return true;
    uint64_t seen = 0;
    for (const cJSON *m = obj->child; m; m = m->next) {
        const char *key = m->string ? m->string : "";
        long pi = vtree_prop_index(n, key);
        const vtree_node *sub = NULL;
        if (pi >= 0) {
            const vtree_prop *p = &n->props[pi];
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

static bool check_array(const vtree_node *n, const cJSON *arr, vctx *c)
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
        const vtree_node *sub = n->ntuple ? (i < n->ntuple ? n->tuple[i] : NULL) : n->items;
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
static bool probe(const vtree_node *n, const cJSON *v, vctx *c, char *out, size_t outlen)
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
static bool type_admits(const vtree_node *n, const cJSON *v)
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

static bool check_alternatives(const vtree_node *n, const cJSON *v, vctx *c)
{
    for (size_t i = 0; i < n->n_all; i++)
        if (!check(n->all_of[i], v, c))
            return false;
    if (n->n_any > 0) {
        char first[256] = "", best[256] = "";
        bool have_best = false;
        for (size_t i = 0; i < n->n_any; i++) {
            const vtree_node *alt = n->any_of[i];
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

static bool check(const vtree_node *n, const cJSON *v, vctx *c)
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

bool validate_check_numtext(const validator *v, const cJSON *record, validate_numtext_fn numtext,
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

bool validate_check(const validator *v, const cJSON *record, char *err, size_t errlen)
{
    return validate_check_numtext(v, record, NULL, NULL, err, errlen);
}
