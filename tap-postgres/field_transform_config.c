#include "field_transform_config.h"

#include "buf.h"
#include "json_writer.h"
#include "log.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static bool parse_type(const char *s, field_transform_rule *r)
{
    static const struct {
        const char *name;
        field_transform_type type;
    } fixed[] = {{"SET-NULL", FX_SET_NULL},
                 {"HASH", FX_HASH},
                 {"MASK-DATE", FX_MASK_DATE},
                 {"MASK-NUMBER", FX_MASK_NUMBER},
                 {"MASK-HIDDEN", FX_MASK_HIDDEN}};
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        if (strcmp(s, fixed[i].name) == 0) {
            r->type = fixed[i].type;
            return true;
        }
    static const struct {
        const char *prefix;
        field_transform_type type;
    } counted[] = {{"HASH-SKIP-FIRST-", FX_HASH_SKIP_FIRST},
                   {"MASK-STRING-SKIP-ENDS-", FX_MASK_STRING_SKIP_ENDS}};
    for (size_t i = 0; i < sizeof(counted) / sizeof(counted[0]); i++) {
        size_t pl = strlen(counted[i].prefix);
        /* n is one digit, 1 to 9 (pipelinewise reads the last character only) */
        if (strncmp(s, counted[i].prefix, pl) == 0 && s[pl] >= '1' && s[pl] <= '9' &&
            s[pl + 1] == '\0') {
            r->type = counted[i].type;
            r->n = s[pl] - '0';
            return true;
        }
    }
    return false;
}

/*
 * Python's re syntax as far as POSIX extended (glibc) can say it: \d \D become brackets (\w \W
 * \s \S \b \B are glibc's own), \d \w \s inside brackets become classes, a lazy quantifier
 * loses its '?' (whether a search finds a match does not depend on it). What has no POSIX
 * meaning ((?...) groups, possessive quantifiers, \A \Z and other letter escapes) is refused.
 */
static bool translate_regex(const char *in, buf *out, const char **why)
{
    bool in_br = false, br_first = false;
    for (size_t i = 0; in[i]; i++) {
        char c = in[i], d = in[i + 1];
        if (in_br) {
            if (c == '\\') {
                if (d == 'd')
                    buf_appends(out, "0-9");
                else if (d == 'w')
                    buf_appends(out, "[:alnum:]_");
                else if (d == 's')
                    buf_appends(out, "[:space:]");
                else {
                    *why = "a backslash inside [...] other than \\d \\w \\s";
                    return false;
                }
                i++;
                br_first = false;
                continue;
            }
            if (c == '[' && d == ':') {
                const char *end = strstr(in + i + 2, ":]");
                if (end) {
                    buf_append(out, in + i, (size_t)(end + 2 - (in + i)));
                    i = (size_t)(end + 1 - in);
                    br_first = false;
                    continue;
                }
            }
            if (c == ']' && !br_first)
                in_br = false;
            buf_putc(out, c);
            br_first = false;
            continue;
        }
        if (c == '[') {
            in_br = br_first = true;
            buf_putc(out, '[');
            if (d == '^') {
                buf_putc(out, '^');
                i++;
            }
            continue;
        }
        if (c == '\\') {
            if (!d) {
                *why = "a trailing backslash";
                return false;
            }
            i++;
            switch (d) {
            case 'd':
                buf_appends(out, "[0-9]");
                break;
            case 'D':
                buf_appends(out, "[^0-9]");
                break;
            case 'w':
            case 'W':
            case 's':
            case 'S':
            case 'b':
            case 'B':
                buf_putc(out, '\\');
                buf_putc(out, d);
                break;
            case 'n':
                buf_appends(out, "\n");
                break;
            case 't':
                buf_appends(out, "\t");
                break;
            case 'r':
                buf_appends(out, "\r");
                break;
            default:
                if (isalpha((unsigned char)d)) {
                    *why = "an escape (\\A, \\Z, \\x, \\u ...) POSIX regular expressions do not "
                           "have";
                    return false;
                }
                buf_putc(out, '\\');
                buf_putc(out, d);
                break;
            }
            continue;
        }
        if (c == '(' && d == '?') {
            *why = "a (?...) group (non-capturing, lookaround, flags)";
            return false;
        }
        if ((c == '*' || c == '+' || c == '?' || c == '}') && d == '+') {
            *why = "a possessive quantifier";
            return false;
        }
        buf_putc(out, c);
        if ((c == '*' || c == '+' || c == '?' || c == '}') && d == '?')
            i++; /* lazy: the same matches exist */
    }
    if (in_br) {
        *why = "an unterminated [";
        return false;
    }
    return true;
}

static bool parse_cond(field_transform_cond *out, const cJSON *c, const char *what, size_t ti,
                       size_t ci)
{
    if (!cJSON_IsObject(c)) {
        log_error("%s: key \"transformations\": entry %zu: when[%zu] must be an object", what, ti,
                  ci);
        return false;
    }
    const cJSON *col = NULL, *eq = NULL, *rx = NULL;
    const cJSON *k;
    cJSON_ArrayForEach(k, c)
    {
        if (strcmp(k->string, "column") == 0)
            col = k;
        else if (strcmp(k->string, "equals") == 0)
            eq = k;
        else if (strcmp(k->string, "regex_match") == 0)
            rx = k;
        else {
            log_error("%s: key \"transformations\": entry %zu: when[%zu]: %s \"%.60s\"%s", what, ti,
                      ci, strcmp(k->string, "field_path") == 0 ? "key" : "unknown key", k->string,
                      strcmp(k->string, "field_path") == 0
                          ? " (conditions inside JSON columns) is not supported"
                          : " (a condition has column and equals or regex_match)");
            return false;
        }
    }
    if (!cJSON_IsString(col) || !col->valuestring[0]) {
        log_error("%s: key \"transformations\": entry %zu: when[%zu] needs a \"column\" (a "
                  "column name)",
                  what, ti, ci);
        return false;
    }
    out->column = col->valuestring;
    if ((eq != NULL) == (rx != NULL)) {
        log_error("%s: key \"transformations\": entry %zu: when[%zu] (column \"%.60s\") needs "
                  "exactly one of \"equals\" and \"regex_match\"",
                  what, ti, ci, out->column);
        return false;
    }
    if (rx) {
        if (!cJSON_IsString(rx)) {
            log_error("%s: key \"transformations\": entry %zu: when[%zu]: regex_match must be a "
                      "string",
                      what, ti, ci);
            return false;
        }
        buf pat = BUF_INIT;
        const char *why = NULL;
        bool ok = translate_regex(rx->valuestring, &pat, &why);
        buf_putc(&pat, '\0');
        if (!buf_ok(&pat)) {
            buf_term(&pat);
            log_error("out of memory");
            return false;
        }
        if (ok) {
            int rc = regcomp(&out->re, pat.data, REG_EXTENDED | REG_NOSUB);
            if (rc != 0) {
                char msg[160];
                regerror(rc, &out->re, msg, sizeof(msg));
                why = NULL;
                log_error("%s: key \"transformations\": entry %zu: when[%zu]: regex_match "
                          "\"%.80s\" does not compile: %s",
                          what, ti, ci, rx->valuestring, msg);
                buf_term(&pat);
                return false;
            }
            out->is_regex = true;
        }
        buf_term(&pat);
        if (!ok) {
            log_error("%s: key \"transformations\": entry %zu: when[%zu]: regex_match \"%.80s\" "
                      "has %s, which is not supported",
                      what, ti, ci, rx->valuestring, why);
            return false;
        }
        return true;
    }
    if (cJSON_IsObject(eq) || cJSON_IsArray(eq)) {
        log_error("%s: key \"transformations\": entry %zu: when[%zu]: equals must be a string, "
                  "number, boolean or null",
                  what, ti, ci);
        return false;
    }
    if (cJSON_IsNumber(eq)) {
        out->equals_number = true;
        out->equals_num = eq->valuedouble;
        return true;
    }
    buf j = BUF_INIT;
    if (cJSON_IsString(eq))
        json_writer_string(&j, eq->valuestring, strlen(eq->valuestring));
    else if (cJSON_IsTrue(eq))
        buf_appends(&j, "true");
    else if (cJSON_IsFalse(eq))
        buf_appends(&j, "false");
    else
        buf_appends(&j, "null");
    if (!buf_ok(&j)) {
        buf_term(&j);
        log_error("out of memory");
        return false;
    }
    out->equals_len = j.len;
    out->equals_json = buf_detach(&j);
    return out->equals_json != NULL;
}

static bool parse_rule(field_transform_rule *r, const cJSON *e, const char *what, size_t ti)
{
    if (!cJSON_IsObject(e)) {
        log_error("%s: key \"transformations\": entry %zu must be an object", what, ti);
        return false;
    }
    const cJSON *k, *when = NULL;
    const char *type = NULL;
    cJSON_ArrayForEach(k, e)
    {
        const char *name = k->string;
        if (strcmp(name, "tap_stream_name") == 0 || strcmp(name, "field_id") == 0 ||
            strcmp(name, "type") == 0) {
            if (!cJSON_IsString(k) || !k->valuestring[0]) {
                log_error("%s: key \"transformations\": entry %zu: %s must be a non-empty string",
                          what, ti, name);
                return false;
            }
            if (name[0] == 't' && name[1] == 'a')
                r->stream = k->valuestring;
            else if (name[0] == 'f')
                r->field = k->valuestring;
            else
                type = k->valuestring;
        } else if (strcmp(name, "when") == 0) {
            when = k;
        } else if (strcmp(name, "safe_field_id") == 0) {
            /* pipelinewise's quoted name for FastSync: nothing to do here */
        } else if (strcmp(name, "field_paths") == 0 && !cJSON_IsNull(k) &&
                   !(cJSON_IsArray(k) && !k->child)) {
            log_error("%s: key \"transformations\": entry %zu: field_paths (fields inside JSON "
                      "columns) is not supported: transform the whole column",
                      what, ti);
            return false;
        } else if (strcmp(name, "field_paths") != 0) {
            log_error("%s: key \"transformations\": entry %zu: unknown key \"%.60s\" (an entry "
                      "has tap_stream_name, field_id, type and optionally when)",
                      what, ti, name);
            return false;
        }
    }
    if (!r->stream || !r->field || !type) {
        log_error("%s: key \"transformations\": entry %zu needs %s", what, ti,
                  !r->stream  ? "tap_stream_name (the stream id, e.g. \"public-users\")"
                  : !r->field ? "field_id (the column)"
                              : "type");
        return false;
    }
    r->type_name = type;
    if (!parse_type(type, r)) {
        log_error("%s: key \"transformations\": entry %zu (stream \"%.100s\", field \"%.60s\"): "
                  "unknown type \"%.60s\" (SET-NULL, HASH, HASH-SKIP-FIRST-n, MASK-DATE, "
                  "MASK-NUMBER, MASK-HIDDEN, MASK-STRING-SKIP-ENDS-n with n from 1 to 9)",
                  what, ti, r->stream, r->field, type);
        return false;
    }
    if (!when || cJSON_IsNull(when))
        return true;
    if (!cJSON_IsArray(when)) {
        log_error("%s: key \"transformations\": entry %zu: when must be an array of conditions",
                  what, ti);
        return false;
    }
    size_t n = (size_t)cJSON_GetArraySize(when);
    r->conds = calloc(n ? n : 1, sizeof(*r->conds));
    if (!r->conds) {
        log_error("out of memory");
        return false;
    }
    const cJSON *c;
    cJSON_ArrayForEach(c, when)
    {
        if (!parse_cond(&r->conds[r->nconds], c, what, ti, r->nconds))
            return false;
        r->nconds++;
    }
    return true;
}

bool field_transform_config_parse(field_transform_set *out, const cJSON *list, const char *what)
{
    memset(out, 0, sizeof(*out));
    if (!list || cJSON_IsNull(list))
        return true;
    if (!cJSON_IsArray(list)) {
        log_error("%s: key \"transformations\" must be an array of {tap_stream_name, field_id, "
                  "type, when}",
                  what);
        return false;
    }
    size_t n = (size_t)cJSON_GetArraySize(list);
    out->rules = calloc(n ? n : 1, sizeof(*out->rules));
    if (!out->rules) {
        log_error("out of memory");
        return false;
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, list)
    {
        field_transform_rule *r = &out->rules[out->n++];
        if (!parse_rule(r, e, what, out->n - 1))
            return false;
    }
    return true;
}

void field_transform_config_term(field_transform_set *set)
{
    if (!set)
        return;
    for (size_t i = 0; set->rules && i < set->n; i++) {
        field_transform_rule *r = &set->rules[i];
        for (size_t k = 0; k < r->nconds; k++) {
            if (r->conds[k].is_regex)
                regfree(&r->conds[k].re);
            free(r->conds[k].equals_json);
        }
        free(r->conds);
    }
    free(set->rules);
    memset(set, 0, sizeof(*set));
}
