#include "flatten.h"

#include "hash_index.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct tmpcols {
    tcolumn *cols;
    size_t n, cap;
} tmpcols;

/* format time is RFC 3339's full-time, whose offset is part of the value: time with time zone
   keeps it (a time without one is read in the session's TimeZone, UTC, as a date-time is) */
static const char *kind_sql[] = {
    "text",
    "smallint",
    "integer",
    "bigint",
    "numeric",
    "boolean",
    "timestamp with time zone",
    "date",
    "time with time zone",
    "jsonb",
    "bytea",
};

const char *flatten_kind_sql(col_kind k)
{
    return kind_sql[k];
}

const char *flatten_col_sql(const tcolumn *c)
{
    return c->sql[0] ? c->sql : kind_sql[c->kind];
}

/* ---------------------------------------------------------------- x-sql-datatype */

enum { MOD_NONE, MOD_LENGTH, MOD_NUMERIC, MOD_PRECISION };

typedef struct hint_type {
    const char *name;    /* as the hint may spell it: lower case, single spaces */
    const char *sql;     /* what goes into the DDL, as format_type writes it: "base|rest" puts
                            the modifiers after base ("timestamp(3) with time zone") */
    const char *typname; /* pg_type.typname */
    col_kind kind;       /* the value checks that apply */
    uint8_t mods;        /* the type modifiers it takes */
} hint_type;

/* the built-in types a hint may name; a name not here is an error (not SQL text of the
   producer's choosing). Types PostgreSQL parses itself get CK_TEXT: the value's text as is. */
static const hint_type hint_types[] = {
    {"smallint", "smallint", "int2", CK_SMALLINT, MOD_NONE},
    {"int2", "smallint", "int2", CK_SMALLINT, MOD_NONE},
    {"integer", "integer", "int4", CK_INTEGER, MOD_NONE},
    {"int", "integer", "int4", CK_INTEGER, MOD_NONE},
    {"int4", "integer", "int4", CK_INTEGER, MOD_NONE},
    {"bigint", "bigint", "int8", CK_BIGINT, MOD_NONE},
    {"int8", "bigint", "int8", CK_BIGINT, MOD_NONE},
    {"numeric", "numeric", "numeric", CK_NUMERIC, MOD_NUMERIC},
    {"decimal", "numeric", "numeric", CK_NUMERIC, MOD_NUMERIC},
    {"real", "real", "float4", CK_TEXT, MOD_NONE},
    {"float4", "real", "float4", CK_TEXT, MOD_NONE},
    {"double precision", "double precision", "float8", CK_TEXT, MOD_NONE},
    {"float8", "double precision", "float8", CK_TEXT, MOD_NONE},
    {"float", "double precision", "float8", CK_TEXT, MOD_NONE},
    {"boolean", "boolean", "bool", CK_BOOL, MOD_NONE},
    {"bool", "boolean", "bool", CK_BOOL, MOD_NONE},
    {"text", "text", "text", CK_TEXT, MOD_NONE},
    {"varchar", "varchar", "varchar", CK_TEXT, MOD_LENGTH},
    {"character varying", "varchar", "varchar", CK_TEXT, MOD_LENGTH},
    {"char", "char", "bpchar", CK_TEXT, MOD_LENGTH},
    {"character", "char", "bpchar", CK_TEXT, MOD_LENGTH},
    {"bpchar", "bpchar", "bpchar", CK_TEXT, MOD_LENGTH},
    {"date", "date", "date", CK_DATE, MOD_NONE},
    {"time", "time|without time zone", "time", CK_TIME, MOD_PRECISION},
    {"time without time zone", "time|without time zone", "time", CK_TIME, MOD_PRECISION},
    {"timetz", "time|with time zone", "timetz", CK_TIME, MOD_PRECISION},
    {"time with time zone", "time|with time zone", "timetz", CK_TIME, MOD_PRECISION},
    {"timestamp", "timestamp|without time zone", "timestamp", CK_TIMESTAMPTZ, MOD_PRECISION},
    {"timestamp without time zone", "timestamp|without time zone", "timestamp", CK_TIMESTAMPTZ,
     MOD_PRECISION},
    {"timestamptz", "timestamp|with time zone", "timestamptz", CK_TIMESTAMPTZ, MOD_PRECISION},
    {"timestamp with time zone", "timestamp|with time zone", "timestamptz", CK_TIMESTAMPTZ,
     MOD_PRECISION},
    {"interval", "interval", "interval", CK_TEXT, MOD_PRECISION},
    {"json", "json", "json", CK_JSONB, MOD_NONE},
    {"jsonb", "jsonb", "jsonb", CK_JSONB, MOD_NONE},
    {"uuid", "uuid", "uuid", CK_TEXT, MOD_NONE},
    {"bytea", "bytea", "bytea", CK_TEXT, MOD_NONE},
    {"inet", "inet", "inet", CK_TEXT, MOD_NONE},
    {"cidr", "cidr", "cidr", CK_TEXT, MOD_NONE},
    {"macaddr", "macaddr", "macaddr", CK_TEXT, MOD_NONE},
    {"macaddr8", "macaddr8", "macaddr8", CK_TEXT, MOD_NONE},
    {"money", "money", "money", CK_TEXT, MOD_NONE},
    {"xml", "xml", "xml", CK_TEXT, MOD_NONE},
    {"bit", "bit", "bit", CK_TEXT, MOD_LENGTH},
    {"varbit", "varbit", "varbit", CK_TEXT, MOD_LENGTH},
    {"bit varying", "varbit", "varbit", CK_TEXT, MOD_LENGTH},
    {"tsvector", "tsvector", "tsvector", CK_TEXT, MOD_NONE},
    {"tsquery", "tsquery", "tsquery", CK_TEXT, MOD_NONE},
    {"oid", "oid", "oid", CK_TEXT, MOD_NONE},
    {"point", "point", "point", CK_TEXT, MOD_NONE},
    {"line", "line", "line", CK_TEXT, MOD_NONE},
    {"lseg", "lseg", "lseg", CK_TEXT, MOD_NONE},
    {"box", "box", "box", CK_TEXT, MOD_NONE},
    {"path", "path", "path", CK_TEXT, MOD_NONE},
    {"polygon", "polygon", "polygon", CK_TEXT, MOD_NONE},
    {"circle", "circle", "circle", CK_TEXT, MOD_NONE},
    {"int4range", "int4range", "int4range", CK_TEXT, MOD_NONE},
    {"int8range", "int8range", "int8range", CK_TEXT, MOD_NONE},
    {"numrange", "numrange", "numrange", CK_TEXT, MOD_NONE},
    {"daterange", "daterange", "daterange", CK_TEXT, MOD_NONE},
    {"tsrange", "tsrange", "tsrange", CK_TEXT, MOD_NONE},
    {"tstzrange", "tstzrange", "tstzrange", CK_TEXT, MOD_NONE},
};

/* the hint as shown in a message: cut, control characters blanked */
static void shown_hint(const char *hint, char *out, size_t outlen)
{
    size_t n = strlen(hint);
    if (n + 1 <= outlen)
        memcpy(out, hint, n + 1);
    else
        snprintf(out, outlen, "%.*s...", (int)(outlen - 4), hint);
    for (char *p = out; *p; p++)
        if ((unsigned char)*p < 0x20)
            *p = ' ';
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool flatten_sql_hint(const char *hint, col_kind *kind, char *sql, char *typname, char *err,
                      size_t errlen)
{
    /* words (the name) and at most one "(n[,m])" among them: "timestamp(3) with time zone" */
    char name[40];
    size_t nl = 0;
    long mods[2];
    int nmods = 0;
    bool ok = true, had_mods = false, space = false;
    const char *p = hint;
    while (ok && *p && *p != '[') {
        char c = *p;
        if (is_space(c)) {
            space = true;
            p++;
            continue;
        }
        if (c == '(') {
            if (had_mods || nl == 0) {
                ok = false;
                break;
            }
            had_mods = true;
            p++;
            for (;;) {
                while (is_space(*p))
                    p++;
                if (*p < '0' || *p > '9' || nmods == 2) {
                    ok = false;
                    break;
                }
                long v = 0;
                while (*p >= '0' && *p <= '9' && v <= 100000000)
                    v = v * 10 + (*p++ - '0');
                mods[nmods++] = v;
                while (is_space(*p))
                    p++;
                if (*p == ',') {
                    p++;
                    continue;
                }
                if (*p != ')')
                    ok = false;
                else
                    p++;
                break;
            }
            space = true;
            continue;
        }
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_') ||
            nl + 2 >= sizeof(name)) {
            ok = false;
            break;
        }
        if (space && nl)
            name[nl++] = ' ';
        space = false;
        name[nl++] = c;
        p++;
    }
    name[nl] = '\0';
    ok = ok && nl > 0;
    char shown[64];
    shown_hint(hint, shown, sizeof(shown));
    if (ok && *p == '[') {
        snprintf(err, errlen, "x-sql-datatype \"%s\": array types are not supported", shown);
        return false;
    }
    const hint_type *h = NULL;
    for (size_t i = 0; ok && !h && i < sizeof(hint_types) / sizeof(hint_types[0]); i++)
        if (strcmp(hint_types[i].name, name) == 0)
            h = &hint_types[i];
    if (!ok || *p || !h) {
        snprintf(err, errlen,
                 "x-sql-datatype \"%s\" is not a PostgreSQL built-in type name this target "
                 "knows (e.g. smallint, varchar(20), numeric(12,2), uuid, timestamp)",
                 shown);
        return false;
    }
    bool mods_ok;
    switch (h->mods) {
    case MOD_LENGTH:
        mods_ok = nmods <= 1 && (nmods == 0 || (mods[0] >= 1 && mods[0] <= 10485760));
        break;
    case MOD_NUMERIC:
        mods_ok =
            nmods == 0 || (mods[0] >= 1 && mods[0] <= 1000 && (nmods == 1 || mods[1] <= mods[0]));
        break;
    case MOD_PRECISION:
        mods_ok = nmods <= 1 && (nmods == 0 || mods[0] <= 6);
        break;
    default:
        mods_ok = nmods == 0;
        break;
    }
    const char *bar = strchr(h->sql, '|');
    int bl = bar ? (int)(bar - h->sql) : (int)strlen(h->sql);
    const char *rest = bar ? bar + 1 : "";
    if (!mods_ok) {
        snprintf(err, errlen, "x-sql-datatype \"%s\": invalid type modifier for %.*s", shown, bl,
                 h->sql);
        return false;
    }
    if (nmods == 2)
        snprintf(sql, 40, "%.*s(%ld,%ld)%s%s", bl, h->sql, mods[0], mods[1], *rest ? " " : "",
                 rest);
    else if (nmods == 1)
        snprintf(sql, 40, "%.*s(%ld)%s%s", bl, h->sql, mods[0], *rest ? " " : "", rest);
    else
        snprintf(sql, 40, "%.*s%s%s", bl, h->sql, *rest ? " " : "", rest);
    snprintf(typname, 12, "%s", h->typname);
    *kind = h->kind;
    return true;
}

enum {
    T_NULL = 1,
    T_STRING = 2,
    T_INTEGER = 4,
    T_NUMBER = 8,
    T_BOOLEAN = 16,
    T_OBJECT = 32,
    T_ARRAY = 64,
    T_ANY = 128
};

static unsigned type_bit(const char *s)
{
    if (strcmp(s, "null") == 0)
        return T_NULL;
    if (strcmp(s, "string") == 0)
        return T_STRING;
    if (strcmp(s, "integer") == 0)
        return T_INTEGER;
    if (strcmp(s, "number") == 0)
        return T_NUMBER;
    if (strcmp(s, "boolean") == 0)
        return T_BOOLEAN;
    if (strcmp(s, "object") == 0)
        return T_OBJECT;
    if (strcmp(s, "array") == 0)
        return T_ARRAY;
    return T_ANY;
}

/* the types of a property, following anyOf/oneOf; *fmt: the first format seen;
 *bounds: the integer bounds (min, max) when given */
static unsigned prop_types(const cJSON *prop, const char **fmt, double *min, double *max, int depth)
{
    if (!cJSON_IsObject(prop) || depth > 8)
        return T_ANY;
    unsigned t = 0;
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(prop, "format");
    if (cJSON_IsString(f) && !*fmt)
        *fmt = f->valuestring;
    const cJSON *mn = cJSON_GetObjectItemCaseSensitive(prop, "minimum");
    const cJSON *mx = cJSON_GetObjectItemCaseSensitive(prop, "maximum");
    if (cJSON_IsNumber(mn))
        *min = mn->valuedouble;
    if (cJSON_IsNumber(mx))
        *max = mx->valuedouble;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(prop, "type");
    if (cJSON_IsString(type)) {
        t |= type_bit(type->valuestring);
    } else if (cJSON_IsArray(type)) {
        const cJSON *e;
        cJSON_ArrayForEach(e, type)
        {
            if (cJSON_IsString(e))
                t |= type_bit(e->valuestring);
        }
    }
    static const char *const combos[] = {"anyOf", "oneOf"};
    for (int i = 0; i < 2; i++) {
        const cJSON *any = cJSON_GetObjectItemCaseSensitive(prop, combos[i]);
        if (cJSON_IsArray(any)) {
            const cJSON *e;
            cJSON_ArrayForEach(e, any)
            {
                t |= prop_types(e, fmt, min, max, depth + 1);
            }
        }
    }
    if (t == 0)
        t = T_ANY;
    return t;
}

/* the first string member key of prop, or of its anyOf/oneOf members */
static const cJSON *find_member(const cJSON *prop, const char *key, int depth)
{
    if (!cJSON_IsObject(prop) || depth > 8)
        return NULL;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(prop, key);
    if (v)
        return v;
    static const char *const combos[] = {"anyOf", "oneOf"};
    for (int i = 0; i < 2; i++) {
        const cJSON *any = cJSON_GetObjectItemCaseSensitive(prop, combos[i]);
        const cJSON *e;
        if (cJSON_IsArray(any)) {
            cJSON_ArrayForEach(e, any)
            {
                if ((v = find_member(e, key, depth + 1)) != NULL)
                    return v;
            }
        }
    }
    return NULL;
}

/* the column kind and, with an x-sql-datatype hint, its type into c; false with err */
static bool column_type(tcolumn *c, const cJSON *prop, bool content_encoding, char *err,
                        size_t errlen)
{
    c->kind = flatten_kind(prop);
    if (content_encoding && c->kind == CK_TEXT) {
        /* MeltanoLabs: a plain string (no format, one type) with contentEncoding base16 */
        const char *fmt = NULL;
        double min = NAN, max = NAN;
        unsigned t = prop_types(prop, &fmt, &min, &max, 0) & ~(unsigned)T_NULL;
        const cJSON *enc = find_member(prop, "contentEncoding", 0);
        if (t == T_STRING && cJSON_IsString(enc) && strcmp(enc->valuestring, "base16") == 0)
            c->kind = CK_BYTEA;
    }
    const cJSON *hint = find_member(prop, "x-sql-datatype", 0);
    if (!hint)
        return true;
    if (!cJSON_IsString(hint)) {
        snprintf(err, errlen, "property \"%s\": x-sql-datatype must be a string", c->path);
        return false;
    }
    col_kind k;
    char e[200];
    if (!flatten_sql_hint(hint->valuestring, &k, c->sql, c->hint_typname, e, sizeof(e))) {
        snprintf(err, errlen, "property \"%s\": %s", c->path, e);
        return false;
    }
    /* a bytea hint on base16 text still decodes the hex */
    if (!(c->kind == CK_BYTEA && strcmp(c->hint_typname, "bytea") == 0))
        c->kind = k;
    return true;
}

col_kind flatten_kind(const cJSON *prop)
{
    const char *fmt = NULL;
    double min = NAN, max = NAN;
    unsigned t = prop_types(prop, &fmt, &min, &max, 0) & ~(unsigned)T_NULL;
    if (t == 0 || (t & T_ANY))
        return CK_JSONB;
    if (t & (T_OBJECT | T_ARRAY))
        return CK_JSONB;
    if (t == T_STRING) {
        if (fmt && strcmp(fmt, "date-time") == 0)
            return CK_TIMESTAMPTZ;
        if (fmt && strcmp(fmt, "date") == 0)
            return CK_DATE;
        if (fmt && strcmp(fmt, "time") == 0)
            return CK_TIME;
        return CK_TEXT;
    }
    if (t == T_INTEGER) {
        if (isnan(min) || isnan(max))
            return CK_BIGINT;
        if (min >= -32768.0 && max <= 32767.0)
            return CK_SMALLINT;
        if (min >= -2147483648.0 && max <= 2147483647.0)
            return CK_INTEGER;
        if (min >= -9223372036854775808.0 && max <= 9223372036854775808.0)
            return CK_BIGINT;
        return CK_NUMERIC;
    }
    if ((t & ~(unsigned)(T_INTEGER | T_NUMBER)) == 0)
        return CK_NUMERIC;
    if (t == T_BOOLEAN)
        return CK_BOOL;
    return CK_TEXT;
}

static bool is_flattenable(const cJSON *prop)
{
    const char *fmt = NULL;
    double min = NAN, max = NAN;
    unsigned t = prop_types(prop, &fmt, &min, &max, 0) & ~(unsigned)T_NULL;
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(prop, "properties");
    return t == T_OBJECT && cJSON_IsObject(props) && props->child;
}

static bool add_col(tmpcols *tc, const char *name, size_t namelen, const char *path, col_kind kind,
                    uint8_t meta, char *err, size_t errlen)
{
    char final[NAMING_MAX + 1];
    naming_column(name, namelen, final);
    for (size_t i = 0; i < tc->n; i++) {
        if (strcmp(tc->cols[i].name, final) == 0) {
            snprintf(err, errlen, "properties \"%s\" and \"%s\" both become column \"%s\"",
                     tc->cols[i].path, path, final);
            return false;
        }
    }
    if (tc->n == tc->cap) {
        size_t ncap = tc->cap ? tc->cap * 2 : 16;
        tcolumn *c = realloc(tc->cols, ncap * sizeof(*c));
        if (!c) {
            snprintf(err, errlen, "out of memory");
            return false;
        }
        tc->cols = c;
        tc->cap = ncap;
    }
    tcolumn *c = &tc->cols[tc->n];
    memset(c, 0, sizeof(*c));
    memcpy(c->name, final, sizeof(final));
    c->path = strdup(path);
    if (!c->path) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    c->kind = kind;
    c->meta = meta;
    c->absent_is_null = strcmp(final, "_sdc_deleted_at") == 0;
    tc->n++;
    return true;
}

static uint32_t key_hash(const char *k, size_t n)
{
    return naming_hash32(k, n);
}

static bool node_index(prop_node *node)
{
    if (!hash_index_reserve(&node->index, node->n < 4 ? 4 : node->n))
        return false;
    for (size_t i = 0; i < node->n; i++)
        hash_index_add(&node->index, key_hash(node->children[i].key, node->children[i].keylen),
                       (uint32_t)i); /* reserved: cannot fail */
    return true;
}

bool flatten_lookup(const prop_node *node, const char *key, size_t n, size_t hint, size_t *idx)
{
    if (hint < node->n && node->children[hint].keylen == n &&
        memcmp(node->children[hint].key, key, n) == 0) {
        *idx = hint;
        return true;
    }
    uint32_t h = key_hash(key, n), i;
    size_t pos = HASH_INDEX_START;
    while (hash_index_next(&node->index, h, &pos, &i)) {
        if (node->children[i].keylen == n && memcmp(node->children[i].key, key, n) == 0) {
            *idx = i;
            return true;
        }
    }
    return false;
}

static void node_free(prop_node *node)
{
    for (size_t i = 0; i < node->n; i++) {
        free(node->children[i].key);
        if (node->children[i].sub) {
            node_free(node->children[i].sub);
            free(node->children[i].sub);
        }
    }
    free(node->children);
    hash_index_term(&node->index);
    memset(node, 0, sizeof(*node));
}

static bool build(tmpcols *tc, prop_node *node, const cJSON *props, const char *prefix,
                  const char *pathprefix, int level, int max_level, bool content_encoding,
                  char *err, size_t errlen)
{
    size_t count = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, props) count++;
    node->children = calloc(count ? count : 1, sizeof(prop_child));
    if (!node->children) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    cJSON_ArrayForEach(p, props)
    {
        prop_child *ch = &node->children[node->n++];
        size_t klen = strlen(p->string);
        ch->key = strdup(p->string);
        ch->keylen = klen;
        ch->col = -1;
        if (!ch->key) {
            snprintf(err, errlen, "out of memory");
            return false;
        }
        char name[2048], path[2048];
        int nl = snprintf(name, sizeof(name), "%s%s%s", prefix, *prefix ? "__" : "", p->string);
        int pl =
            snprintf(path, sizeof(path), "%s%s%s", pathprefix, *pathprefix ? "." : "", p->string);
        if (nl < 0 || (size_t)nl >= sizeof(name) || pl < 0 || (size_t)pl >= sizeof(path)) {
            snprintf(err, errlen, "property path too long (over %zu bytes): %.80s...",
                     sizeof(path) - 1, path);
            return false;
        }
        if (level < max_level && is_flattenable(p)) {
            ch->sub = calloc(1, sizeof(prop_node));
            if (!ch->sub) {
                snprintf(err, errlen, "out of memory");
                return false;
            }
            if (!build(tc, ch->sub, cJSON_GetObjectItemCaseSensitive(p, "properties"), name, path,
                       level + 1, max_level, content_encoding, err, errlen))
                return false;
        } else {
            ch->col = (int)tc->n;
            if (!add_col(tc, name, strlen(name), path, CK_TEXT, META_NONE, err, errlen) ||
                !column_type(&tc->cols[tc->n - 1], p, content_encoding, err, errlen))
                return false;
        }
    }
    if (!node_index(node)) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    return true;
}

bool flatten_schema(column_set *out, const cJSON *schema, const cJSON *key_properties,
                    int max_level, bool metadata, bool content_encoding, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    tmpcols tc = {0};
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(schema, "properties");
    if (!cJSON_IsObject(props) || !props->child) {
        snprintf(err, errlen, "the schema has no properties");
        return false;
    }
    bool ok = build(&tc, &out->root, props, "", "", 0, max_level, content_encoding, err, errlen);
    if (ok && metadata) {
        static const struct {
            const char *name;
            uint8_t meta;
            col_kind kind;
        } md[] = {
            {"_sdc_extracted_at", META_EXTRACTED_AT, CK_TIMESTAMPTZ},
            {"_sdc_received_at", META_RECEIVED_AT, CK_TIMESTAMPTZ},
            {"_sdc_batched_at", META_BATCHED_AT, CK_TIMESTAMPTZ},
            {"_sdc_deleted_at", META_DELETED_AT, CK_TIMESTAMPTZ},
            {"_sdc_sequence", META_SEQUENCE, CK_BIGINT},
            {"_sdc_table_version", META_TABLE_VERSION, CK_BIGINT},
        };
        for (size_t i = 0; ok && i < sizeof(md) / sizeof(md[0]); i++) {
            size_t j;
            for (j = 0; j < tc.n; j++)
                if (strcmp(tc.cols[j].name, md[i].name) == 0)
                    break;
            if (j < tc.n) {
                /* the schema has it already (LOG_BASED streams carry _sdc_deleted_at): the
                   record's value is used, the type is ours */
                tc.cols[j].sql[0] = tc.cols[j].hint_typname[0] = '\0';
                if (md[i].meta == META_DELETED_AT) {
                    tc.cols[j].kind = CK_TIMESTAMPTZ;
                    tc.cols[j].meta = META_DELETED_AT;
                } else {
                    tc.cols[j].kind = md[i].kind;
                    tc.cols[j].meta = md[i].meta;
                }
                continue;
            }
            ok = add_col(&tc, md[i].name, strlen(md[i].name), md[i].name, md[i].kind, md[i].meta,
                         err, errlen);
        }
    }
    out->cols = tc.cols;
    out->ncols = tc.n;
    if (!ok) {
        flatten_free(out);
        return false;
    }
    size_t nk = cJSON_IsArray(key_properties) ? (size_t)cJSON_GetArraySize(key_properties) : 0;
    out->keys = calloc(nk ? nk : 1, sizeof(int));
    if (!out->keys) {
        snprintf(err, errlen, "out of memory");
        flatten_free(out);
        return false;
    }
    const cJSON *k;
    if (nk) {
        cJSON_ArrayForEach(k, key_properties)
        {
            if (!cJSON_IsString(k)) {
                snprintf(err, errlen, "key_properties must be strings");
                flatten_free(out);
                return false;
            }
            size_t idx;
            int col = flatten_lookup(&out->root, k->valuestring, strlen(k->valuestring), 0, &idx)
                          ? out->root.children[idx].col
                          : -1;
            if (col < 0) {
                /* a flattened key may be named by its column name */
                char final[NAMING_MAX + 1];
                naming_column(k->valuestring, strlen(k->valuestring), final);
                for (size_t j = 0; j < out->ncols; j++)
                    if (strcmp(out->cols[j].name, final) == 0)
                        col = (int)j;
            }
            if (col < 0) {
                snprintf(err, errlen, "key property \"%s\" is not in the schema properties",
                         k->valuestring);
                flatten_free(out);
                return false;
            }
            for (size_t j = 0; j < out->nkeys; j++) {
                if (out->keys[j] == col) {
                    snprintf(err, errlen, "key property \"%s\" is listed twice", k->valuestring);
                    flatten_free(out);
                    return false;
                }
            }
            out->keys[out->nkeys++] = col;
            out->cols[col].is_key = true;
            if (out->cols[col].kind == CK_JSONB) {
                /* a jsonb key cannot be compared by its text; keep it as text */
                out->cols[col].kind = CK_TEXT;
                out->cols[col].sql[0] = out->cols[col].hint_typname[0] = '\0';
            }
        }
    }
    uint64_t h = HASH_FNV1A64_BASIS;
    for (size_t i = 0; i < out->ncols; i++) {
        h = hash_fnv1a64(h, out->cols[i].name, strlen(out->cols[i].name) + 1);
        h = hash_fnv1a64(h, &out->cols[i].kind, sizeof(out->cols[i].kind));
        h = hash_fnv1a64(h, out->cols[i].sql, strlen(out->cols[i].sql) + 1);
        h = hash_fnv1a64(h, &out->cols[i].meta, sizeof(out->cols[i].meta));
    }
    h = hash_fnv1a64(h, "|", 1);
    for (size_t i = 0; i < out->nkeys; i++)
        h = hash_fnv1a64(h, &out->keys[i], sizeof(int));
    out->fingerprint = h;
    return true;
}

void flatten_free(column_set *cs)
{
    if (!cs)
        return;
    for (size_t i = 0; i < cs->ncols; i++)
        free(cs->cols[i].path);
    free(cs->cols);
    free(cs->keys);
    node_free(&cs->root);
    memset(cs, 0, sizeof(*cs));
}
