#include "typemap.h"

#include "json_writer.h"
#include "timefmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * The one table. typname is pg_type.typname of a base type; sql is how people
 * spell it (docs only). Types not listed here -- and every range, multirange
 * and composite -- are strings of their text form; enums are strings.
 */
typedef struct tm_entry {
    const char *typname;
    const char *sql;
    typemap_kind kind;
    typemap_family family;
    const char *note;
} tm_entry;

static const tm_entry tm_table[] = {
    {"int2", "smallint", TM_INTEGER, TMF_INTEGER, "minimum/maximum of 16 bits"},
    {"int4", "integer", TM_INTEGER, TMF_INTEGER, "minimum/maximum of 32 bits"},
    {"int8", "bigint", TM_INTEGER, TMF_INTEGER, "minimum/maximum of 64 bits; exact"},
    {"numeric", "numeric(p,s)", TM_NUMERIC, TMF_NUMBER,
     "exact text; multipleOf 1e-s, exclusive bounds 1e(p-s); NaN/Infinity -> null"},
    {"float4", "real", TM_FLOAT, TMF_NUMBER, "shortest exact text; NaN/Infinity -> null"},
    {"float8", "double precision", TM_FLOAT, TMF_NUMBER,
     "shortest exact text; NaN/Infinity -> null"},
    {"bool", "boolean", TM_BOOL, TMF_BOOLEAN, ""},
    {"bit", "bit(n)", TM_BIT1, TMF_BOOLEAN, "bit(1) is a boolean; bit(n>1) a string of 0/1"},
    {"json", "json", TM_JSON, TMF_OBJECT, "the JSON itself (on one line), scalars too"},
    {"jsonb", "jsonb", TM_JSON, TMF_OBJECT, "the JSON itself, scalars too"},
    {"hstore", "hstore", TM_HSTORE, TMF_OBJECT, "an object of strings (NULL values kept)"},
    {"date", "date", TM_DATE, TMF_TIMESTAMP,
     "YYYY-MM-DDT00:00:00+00:00; years outside 0001-9999 clamped"},
    {"timestamp", "timestamp", TM_TIMESTAMP, TMF_TIMESTAMP,
     "RFC 3339, taken as UTC, 6-digit fraction when not zero; years outside 0001-9999 clamped"},
    {"timestamptz", "timestamptz", TM_TIMESTAMP, TMF_TIMESTAMP,
     "RFC 3339 in UTC, 6-digit fraction when not zero; years outside 0001-9999 clamped"},
    {"time", "time", TM_TIME, TMF_TIME, "HH:MM:SS[.ffffff]; 24:00:00 -> 23:59:59.999999"},
    {"timetz", "timetz", TM_TIME, TMF_TIME,
     "HH:MM:SS[.ffffff]+HH:MM (fraction kept); 24:00:00 -> 23:59:59.999999"},
    {"text", "text", TM_STRING, TMF_STRING, ""},
    {"varchar", "varchar(n)", TM_STRING, TMF_STRING, "maxLength n"},
    {"bpchar", "char(n)", TM_STRING, TMF_STRING, "maxLength n, blank-padded"},
    {"char", "\"char\"", TM_STRING, TMF_STRING, ""},
    {"name", "name", TM_STRING, TMF_STRING, ""},
    {"citext", "citext", TM_STRING, TMF_STRING, "(extension)"},
    {"uuid", "uuid", TM_STRING, TMF_STRING, ""},
    {"inet", "inet", TM_STRING, TMF_STRING, ""},
    {"cidr", "cidr", TM_STRING, TMF_STRING, ""},
    {"macaddr", "macaddr", TM_STRING, TMF_STRING, ""},
    {"macaddr8", "macaddr8", TM_STRING, TMF_STRING, ""},
    {"money", "money", TM_STRING, TMF_STRING, "text form (depends on lc_monetary)"},
    {"interval", "interval", TM_STRING, TMF_STRING, "ISO 8601, e.g. P1Y2M3DT4H5M6S"},
    {"bytea", "bytea", TM_STRING, TMF_STRING, "hex, e.g. \\\\x0102"},
    {"varbit", "bit varying(n)", TM_STRING, TMF_STRING, "string of 0/1"},
    {"xml", "xml", TM_STRING, TMF_STRING, ""},
    {"tsvector", "tsvector", TM_STRING, TMF_STRING, ""},
    {"tsquery", "tsquery", TM_STRING, TMF_STRING, ""},
    {"point", "point", TM_STRING, TMF_STRING, "text form (x,y)"},
    {"line", "line", TM_STRING, TMF_STRING, ""},
    {"lseg", "lseg", TM_STRING, TMF_STRING, ""},
    {"box", "box", TM_STRING, TMF_STRING, "text form (arrays of box use ';' between elements)"},
    {"path", "path", TM_STRING, TMF_STRING, ""},
    {"polygon", "polygon", TM_STRING, TMF_STRING, ""},
    {"circle", "circle", TM_STRING, TMF_STRING, ""},
    {"oid", "oid", TM_STRING, TMF_STRING, "and the reg* types"},
    {"xid", "xid", TM_STRING, TMF_STRING, ""},
    {"pg_lsn", "pg_lsn", TM_STRING, TMF_STRING, ""},
    {"pg_snapshot", "pg_snapshot", TM_STRING, TMF_STRING, ""},
};

#define TM_TABLE_LEN (sizeof(tm_table) / sizeof(tm_table[0]))

/* the config's mapping settings: set once at start (typemap_set_options), read-only afterwards */
static typemap_options tm_opts;

void typemap_set_options(const typemap_options *o)
{
    tm_opts = *o;
}

static const tm_entry *find_entry(const char *typname)
{
    for (size_t i = 0; i < TM_TABLE_LEN; i++)
        if (strcmp(tm_table[i].typname, typname) == 0)
            return &tm_table[i];
    return NULL;
}

void typemap_resolve(typemap_type *out, const char *typname, char typtype, bool is_array,
                     int typmod)
{
    memset(out, 0, sizeof(*out));
    out->typmod = typmod;
    out->delim = ',';
    out->typname = NULL;
    typemap_kind kind = TM_STRING;
    typemap_family family = TMF_STRING;
    const tm_entry *e = (typtype == 'b' || typtype == 0) ? find_entry(typname) : NULL;
    if (e) {
        kind = e->kind;
        family = e->family;
        out->typname = e->typname;
        if (kind == TM_BIT1 && typmod > 1) {
            kind = TM_STRING; /* bit(n) with n > 1 */
            family = TMF_STRING;
        }
        if (strcmp(typname, "box") == 0)
            out->delim = ';';
    }
    if (tm_opts.dates_as_string && (kind == TM_DATE || kind == TM_TIMESTAMP)) {
        /* MeltanoLabs' dates_as_string: PostgreSQL's text, typed as a plain string; a scalar
           keeps its kind (an INCREMENTAL key at infinity is still recognised) */
        family = TMF_STRING;
        if (is_array)
            kind = TM_STRING;
        else
            out->pg_text = true;
    }
    if (tm_opts.json_as_object && kind == TM_JSON)
        kind = TM_JSON_OBJ;
    out->family = family;
    if (is_array) {
        out->kind = TM_ARRAY;
        out->elem_kind = kind;
    } else {
        out->kind = kind;
        out->elem_kind = kind;
    }
}

void typemap_set_oid(typemap_type *t, unsigned int oid)
{
    t->pg_number = oid > 0 && oid < 16384 &&
                   (t->kind == TM_INTEGER || t->kind == TM_NUMERIC || t->kind == TM_FLOAT);
}

/* ---- schemas ---- */

/* the JSON Schema types of any JSON value (json, jsonb) */
#define JSON_ANY_TYPES "\"object\",\"array\",\"string\",\"number\",\"boolean\""

static const char *family_json_type(typemap_family f)
{
    switch (f) {
    case TMF_INTEGER:
        return "integer";
    case TMF_NUMBER:
        return "number";
    case TMF_BOOLEAN:
        return "boolean";
    case TMF_OBJECT:
        return "object";
    case TMF_STRING:
    case TMF_TIMESTAMP:
    case TMF_TIME:
        return "string";
    }
    return "string";
}

static const char *family_array_name(typemap_family f)
{
    switch (f) {
    case TMF_INTEGER:
        return "integer";
    case TMF_NUMBER:
        return "number";
    case TMF_BOOLEAN:
        return "boolean";
    case TMF_OBJECT:
        return "object";
    case TMF_TIMESTAMP:
        return "timestamp";
    case TMF_STRING:
    case TMF_TIME:
        return "string";
    }
    return "string";
}

/* the precision and scale of a numeric(p,s) typmod */
static void numeric_typmod(int typmod, int *precision, int *scale)
{
    int tm = typmod - 4;
    *precision = (tm >> 16) & 0xffff;
    *scale = tm & 0x7ff;
    if (*scale & 0x400)
        *scale -= 0x800; /* negative scales (PostgreSQL 15) */
}

/* the members after "type" of numeric(p,s): multipleOf 1e-s, exclusive bounds 1e(p-s) */
static void put_numeric_bounds(buf *out, int typmod)
{
    int precision, scale;
    numeric_typmod(typmod, &precision, &scale);
    int digits = precision - scale;
    buf_appendf(out, ",\"exclusiveMaximum\":true,\"maximum\":1e%d", digits);
    if (scale > 0)
        buf_appendf(out, ",\"multipleOf\":1e-%d", scale);
    else if (scale == 0)
        buf_append_lit(out, ",\"multipleOf\":1");
    else
        buf_appendf(out, ",\"multipleOf\":1e%d", -scale);
    buf_appendf(out, ",\"exclusiveMinimum\":true,\"minimum\":-1e%d", digits);
}

/* numeric(p,s)[] has a definition of its own, as in pipelinewise */
static bool is_decimal_array(const typemap_type *t)
{
    return t->kind == TM_ARRAY && t->elem_kind == TM_NUMERIC && t->typmod >= 4;
}

/* the definition an array's items refer to (without "#/definitions/") */
static void put_array_definition_name(buf *out, const typemap_type *t)
{
    if (is_decimal_array(t)) {
        int precision, scale;
        numeric_typmod(t->typmod, &precision, &scale);
        buf_appendf(out, "sdc_recursive_decimal_%d_%d_array", precision, scale);
    } else {
        /* json[] elements may be any JSON value */
        buf_appendf(out, "sdc_recursive_%s_array",
                    t->elem_kind == TM_JSON ? "json" : family_array_name(t->family));
    }
}

static void put_type_list(buf *out, bool nullable, const char *a, const char *b)
{
    buf_append_lit(out, "\"type\":[");
    if (nullable)
        buf_append_lit(out, "\"null\",");
    buf_appendf(out, "\"%s\"", a);
    if (b)
        buf_appendf(out, ",\"%s\"", b);
    buf_putc(out, ']');
}

void typemap_schema(buf *out, const typemap_type *t, bool nullable)
{
    buf_putc(out, '{');
    if (t->kind == TM_ARRAY) {
        put_type_list(out, true, "array", NULL);
        buf_append_lit(out, ",\"items\":{\"$ref\":\"#/definitions/");
        put_array_definition_name(out, t);
        buf_append_lit(out, "\"}}");
        return;
    }
    const char *name = t->typname ? t->typname : "";
    switch (t->family) {
    case TMF_INTEGER:
        put_type_list(out, nullable, "integer", NULL);
        if (strcmp(name, "int2") == 0)
            buf_append_lit(out, ",\"minimum\":-32768,\"maximum\":32767");
        else if (strcmp(name, "int4") == 0)
            buf_append_lit(out, ",\"minimum\":-2147483648,\"maximum\":2147483647");
        else
            buf_append_lit(out,
                           ",\"minimum\":-9223372036854775808,\"maximum\":9223372036854775807");
        break;
    case TMF_NUMBER:
        put_type_list(out, nullable, "number", NULL);
        if (t->kind == TM_NUMERIC && t->typmod >= 4)
            put_numeric_bounds(out, t->typmod);
        break;
    case TMF_BOOLEAN:
        put_type_list(out, nullable, "boolean", NULL);
        break;
    case TMF_TIMESTAMP:
        put_type_list(out, nullable, "string", NULL);
        buf_append_lit(out, ",\"format\":\"date-time\"");
        break;
    case TMF_TIME:
        put_type_list(out, nullable, "string", NULL);
        buf_append_lit(out, ",\"format\":\"time\"");
        /* format time holds an offset (RFC 3339), so targets may make it timetz; the Singer
           SDK's type hint keeps a time column a time column (timetz needs no hint) */
        if (strcmp(name, "time") == 0)
            buf_append_lit(out, ",\"x-sql-datatype\":\"time\"");
        break;
    case TMF_OBJECT:
        if (t->kind == TM_HSTORE) {
            put_type_list(out, nullable, "object", NULL);
            buf_append_lit(out, ",\"properties\":{}");
        } else if (t->kind == TM_JSON_OBJ) {
            put_type_list(out, nullable, "object", NULL);
        } else {
            /* json holds any JSON value, scalars too; object and array first make a jsonb
               column in pipelinewise's and the Singer SDK's targets, and in ours */
            buf_appends(out, nullable ? "\"type\":[\"null\"," : "\"type\":[");
            buf_append_lit(out, JSON_ANY_TYPES "]");
        }
        break;
    case TMF_STRING:
        put_type_list(out, nullable, "string", NULL);
        if ((strcmp(name, "varchar") == 0 || strcmp(name, "bpchar") == 0) && t->typmod > 4)
            buf_appendf(out, ",\"maxLength\":%d", t->typmod - 4);
        break;
    }
    buf_putc(out, '}');
}

void typemap_schema_inline(buf *out, const typemap_type *t, bool nullable)
{
    if (t->kind != TM_ARRAY) {
        typemap_schema(out, t, nullable);
        return;
    }
    buf_putc(out, '{');
    put_type_list(out, true, "array", NULL);
    buf_append_lit(out, ",\"items\":{");
    if (t->elem_kind == TM_JSON) {
        buf_append_lit(out, "\"type\":[\"null\"," JSON_ANY_TYPES "]");
    } else {
        /* the members of the definition typemap_array_definitions would name, without its
           self-reference */
        buf_appendf(out, "\"type\":[\"null\",\"%s\",\"array\"]", family_json_type(t->family));
        if (t->family == TMF_TIMESTAMP)
            buf_append_lit(out, ",\"format\":\"date-time\"");
        if (is_decimal_array(t))
            put_numeric_bounds(out, t->typmod);
    }
    buf_append_lit(out, "}}");
}

void typemap_array_definitions(buf *out)
{
    static const typemap_family fams[] = {TMF_INTEGER, TMF_NUMBER,    TMF_STRING,
                                          TMF_BOOLEAN, TMF_TIMESTAMP, TMF_OBJECT};
    for (size_t i = 0; i < sizeof(fams) / sizeof(fams[0]); i++) {
        const char *n = family_array_name(fams[i]);
        if (i)
            buf_putc(out, ',');
        buf_appendf(out, "\"sdc_recursive_%s_array\":{\"type\":[\"null\",\"%s\",\"array\"],", n,
                    family_json_type(fams[i]));
        if (fams[i] == TMF_TIMESTAMP)
            buf_append_lit(out, "\"format\":\"date-time\",");
        buf_appendf(out, "\"items\":{\"$ref\":\"#/definitions/sdc_recursive_%s_array\"}}", n);
    }
    /* not pipelinewise's: json[] elements may be scalars too */
    buf_append_lit(out, ",\"sdc_recursive_json_array\":{\"type\":[\"null\"," JSON_ANY_TYPES
                        "],\"items\":{\"$ref\":\"#/definitions/sdc_recursive_json_array\"}}");
}

bool typemap_column_definition(buf *out, const typemap_type *t)
{
    if (!is_decimal_array(t))
        return false;
    buf_append_lit(out, ",\"");
    put_array_definition_name(out, t);
    buf_append_lit(out, "\":{\"type\":[\"null\",\"number\",\"array\"]");
    put_numeric_bounds(out, t->typmod);
    buf_append_lit(out, ",\"items\":{\"$ref\":\"#/definitions/");
    put_array_definition_name(out, t);
    buf_append_lit(out, "\"}}");
    return true;
}

bool typemap_same_definition(const typemap_type *a, const typemap_type *b)
{
    return is_decimal_array(a) && is_decimal_array(b) && a->typmod == b->typmod;
}

const char *typemap_kind_name(typemap_kind kind)
{
    switch (kind) {
    case TM_STRING:
        return "string";
    case TM_INTEGER:
        return "integer";
    case TM_NUMERIC:
        return "numeric";
    case TM_FLOAT:
        return "float";
    case TM_BOOL:
        return "boolean";
    case TM_BIT1:
        return "bit";
    case TM_JSON:
        return "json";
    case TM_HSTORE:
        return "hstore";
    case TM_DATE:
        return "date";
    case TM_TIMESTAMP:
        return "timestamp";
    case TM_ARRAY:
        return "array";
    case TM_TIME:
        return "time";
    case TM_JSON_OBJ:
        return "json object";
    }
    return "?";
}

void typemap_table_markdown(buf *out)
{
    buf_append_lit(out, "| PostgreSQL | JSON Schema | value |\n|---|---|---|\n");
    for (size_t i = 0; i < TM_TABLE_LEN; i++) {
        const tm_entry *e = &tm_table[i];
        const char *js = family_json_type(e->family);
        const char *fmt = e->family == TMF_TIMESTAMP ? ", format date-time"
                          : e->family == TMF_TIME    ? ", format time"
                                                     : "";
        if (e->kind == TM_JSON)
            js = "any JSON value";
        buf_appendf(out, "| %s | %s%s | %s |\n", e->sql, js, fmt, e->note);
    }
    buf_append_lit(out, "| enum, range, multirange, other types | string | the text form |\n");
    buf_append_lit(out, "| domain | as its base type | |\n");
    buf_append_lit(out, "| T[] (any dimensions) | array of T | nested arrays, NULL elements kept, "
                        "split on T's typdelim; lower bounds dropped |\n");
}
