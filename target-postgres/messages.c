#include "messages.h"

#include "batch_message.h"
#include "json_util.h"
#include "log.h"
#include "scheduler.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* the string token's text (decoded when escaped) into t->tmp; NULL on a bad string */
static const char *tok_string(target *t, const char *line, int tok, size_t *len)
{
    const jscan_tok *k = &t->js.toks[tok];
    if (k->type != J_STRING || (k->flags & JF_BAD_UTF8))
        return NULL;
    buf_reset(&t->tmp);
    if (!jscan_unescape(&t->tmp, line + k->start, k->end - k->start))
        return NULL;
    buf_putc(&t->tmp, '\0');
    if (!buf_ok(&t->tmp))
        return NULL;
    *len = t->tmp.len - 1;
    return t->tmp.data;
}

/* the stream of a message; NULL after bad_input. *early (when not NULL): the stream has no
   SCHEMA yet, which is accepted (NULL returned without an error, *early set) */
static stream *record_stream(target *t, const char *line, int stok, const char *what, bool *early)
{
    if (stok == JSCAN_NOT_FOUND) {
        target_bad_input(t, NULL, "%s message without \"stream\"", what);
        return NULL;
    }
    const jscan_tok *k = &t->js.toks[stok];
    if (k->type == J_STRING && !(k->flags & (JF_ESCAPED | JF_BAD_UTF8))) {
        stream *st = registry_find(&t->reg, line + k->start, k->end - k->start);
        if (st && st->def)
            return st;
    }
    size_t n;
    const char *name = tok_string(t, line, stok, &n);
    if (!name) {
        target_bad_input(t, NULL, "%s message: \"stream\" is not a valid string", what);
        return NULL;
    }
    stream *st = registry_find(&t->reg, name, n);
    if ((!st || !st->def) && early) {
        *early = true;
        return NULL;
    }
    if (!st || !st->def) {
        target_bad_input(t, name, "%s before its SCHEMA", what);
        return NULL;
    }
    return st;
}

static void handle_record(target *t, const char *line, size_t len)
{
    int stok = jscan_find(&t->js, line, 0, "stream");
    stream *st = record_stream(t, line, stok, "RECORD", NULL);
    if (!st)
        return;
    int rec = jscan_find(&t->js, line, 0, "record");
    if (rec == JSCAN_NOT_FOUND || t->js.toks[rec].type != J_OBJECT) {
        target_bad_input(t, st->name,
                         t->batch_file ? "the line is not a JSON object"
                                       : "RECORD without a \"record\" object");
        return;
    }
    if (t->batch_file && t->js.toks[rec].end != len - 1) {
        /* a BATCH file's line became {...,"record":<line>}: the line is one object, no more */
        target_bad_input(t, st->name, "the line holds more than one JSON object");
        return;
    }
    if (st->def->val) {
        const jscan_tok *r = &t->js.toks[rec];
        size_t off = 0;
        cJSON *tree = json_util_parse(line + r->start, r->end - r->start, &off);
        char err[1024] = "";
        if (!tree) /* jscan read it: cJSON refuses lone surrogates (and nothing else we know) */
            snprintf(err, sizeof(err),
                     "it cannot be read at byte %zu (a \\u escape of a lone UTF-16 surrogate?)",
                     r->start + off);
        bool ok = tree && validate_check(st->def->val, tree, err, sizeof(err));
        cJSON_Delete(tree);
        if (!ok) {
            target_bad_input(t, st->name, "record does not match the schema: %s", err);
            return;
        }
    }
    int vtok = jscan_find(&t->js, line, 0, "version");
    int ttok = jscan_find(&t->js, line, 0, "time_extracted");
    char err[1024];
    int64_t seq = t->seq + 1;
    /* a COPY row is at most twice its JSON (backslashes doubled in jsonb) plus metadata */
    size_t rowmax = 2 * len + st->def->cs.ncols + 512;
    if (!scheduler_reserve(t, st, rowmax))
        return;
    size_t before = batch_mem(st->cur);
    stream_record_view rv = {line, &t->js, rec, vtok, ttok, t->line_no, seq};
    bool added = stream_add_record(st, &t->cx, &rv, err, sizeof(err));
    scheduler_mem_add(t, before, batch_mem(st->cur));
    if (!added) {
        target_bad_input(t, st->name, "%s", err);
        return;
    }
    t->seq = seq;
    if (scheduler_batch_due(&t->cfg, st))
        scheduler_flush_stream(t, st);
}

/*
 * Two streams that land on one table (schema_mapping of two source schemas to one target
 * schema, "a-t" and "b-t") must not flush at the same time: concurrent ADD COLUMN or CREATE
 * TABLE fail, and a merge that keeps absent values would overwrite the other's commit. From
 * now on their flushes lock the table; batches already loading without the lock finish first.
 */
static void mark_shared(target *t, stream *st)
{
    for (size_t i = 0; i < t->reg.n && !t->failed; i++) {
        stream *o = t->reg.streams[i];
        if (o == st || !o->def || strcmp(o->def->qname, st->def->qname) != 0)
            continue;
        if (t->cfg.load_method == LOAD_OVERWRITE) {
            /* each stream's first batch would delete the other's rows */
            target_bad_input(
                t, st->name,
                "load_method overwrite: streams \"%s\" and \"%s\" load the same table %s, "
                "which overwrite cannot do (each would delete the other's rows)",
                o->name, st->name, st->def->qname);
            return;
        }
        if (!o->shared_table)
            log_info("streams \"%s\" and \"%s\" load the same table %s: their flushes take turns",
                     o->name, st->name, st->def->qname);
        while (!t->failed && o->ninflight > 0)
            scheduler_take_done(t, true);
        o->shared_table = true;
        st->shared_table = true;
        if (!o->shared_with)
            o->shared_with = st;
        if (!st->shared_with)
            st->shared_with = o;
    }
}

/* a member name anywhere in the message that cJSON would read differently from the RECORDs'
   names (cut at a NUL) or that no column name can hold (not UTF-8); NULL when none */
static const char *bad_member_name(const jscan *js)
{
    for (uint32_t k = 0; k < js->n; k++) {
        if (js->toks[k].type != J_OBJECT)
            continue;
        uint32_t i = k + 1;
        for (uint32_t m = 0; m < js->toks[k].size; m++) {
            if (js->toks[i].flags & JF_NUL)
                return "holds a NUL character (\\u0000)";
            if (js->toks[i].flags & JF_BAD_UTF8)
                return "is not valid UTF-8";
            i = js->toks[i + 1].next;
        }
    }
    return NULL;
}

static void handle_schema(target *t, const char *line, size_t len)
{
    /* the stream name as the RECORDs' names are read (cJSON would cut it at a NUL, and it
       refuses a lone surrogate without saying why) */
    int stok = jscan_find(&t->js, line, 0, "stream");
    if (stok != JSCAN_NOT_FOUND) {
        size_t sn;
        const char *sname = tok_string(t, line, stok, &sn);
        if (!sname) {
            target_bad_input(t, NULL, "SCHEMA message: \"stream\" is not a valid string");
            return;
        }
        if (memchr(sname, '\0', sn)) {
            target_bad_input(t, NULL, "SCHEMA message: \"stream\" holds a NUL character (\\u0000)");
            return;
        }
        const char *why = bad_member_name(&t->js);
        if (why) {
            target_bad_input(t, sname, "SCHEMA: a property name %s", why);
            return;
        }
    }
    size_t off = 0;
    cJSON *msg = json_util_parse(line, len, &off);
    if (!msg) {
        target_bad_input(t, NULL, "malformed JSON at byte %zu", off);
        return;
    }
    const char *name = json_util_string(msg, "stream", NULL);
    if (!name) {
        target_bad_input(t, NULL, "SCHEMA message without \"stream\"");
        cJSON_Delete(msg);
        return;
    }
    char err[1024];
    table_def *d = table_def_create(name, msg, &t->cfg, err, sizeof(err));
    if (!d) {
        target_bad_input(t, name, "%s", err);
        cJSON_Delete(msg);
        return;
    }
    stream *st = registry_find(&t->reg, name, strlen(name));
    if (!st)
        st = registry_add(&t->reg, name, strlen(name));
    if (!st) {
        target_oom(t);
        table_def_unref(d);
        cJSON_Delete(msg);
        return;
    }
    if (st->def && st->def->cs.fingerprint != d->cs.fingerprint && st->cur->rows > 0) {
        /* rows of the old shape load with the old definition */
        log_info("stream \"%s\": schema changed; flushing %zu pending rows first", st->name,
                 st->cur->rows);
        scheduler_load(t, st);
        if (!t->cfg.async_flush)
            scheduler_wait_all(t);
    }
    bool first = st->def == NULL;
    table_def_unref(st->def);
    st->def = d;
    log_debug("stream \"%s\": %zu columns -> %s", st->name, d->cs.ncols, d->qname);
    if (first)
        mark_shared(t, st); /* a stream's table never changes: its first SCHEMA decides */
    cJSON_Delete(msg);
}

/* compact JSON text (whitespace outside strings removed) of s[0..n) into out */
static void compact_json(buf *out, const char *s, size_t n)
{
    bool in_str = false, esc = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_str) {
            buf_putc(out, c);
            if (esc)
                esc = false;
            else if (c == '\\')
                esc = true;
            else if (c == '"')
                in_str = false;
        } else if (c == '"') {
            in_str = true;
            buf_putc(out, c);
        } else if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
            buf_putc(out, c);
        }
    }
}

static void handle_state(target *t, const char *line)
{
    int v = jscan_find(&t->js, line, 0, "value");
    if (v == JSCAN_NOT_FOUND) {
        target_bad_input(t, NULL, "STATE message without \"value\"");
        return;
    }
    const jscan_tok *k = &t->js.toks[v];
    size_t start = k->start, end = k->end;
    if (k->type == J_STRING) {
        start--;
        end++;
    }
    buf_reset(&t->tmp);
    compact_json(&t->tmp, line + start, end - start);
    if (!buf_ok(&t->tmp) ||
        !state_tracker_add(&t->states, t->seq, t->tmp.data ? t->tmp.data : "", t->tmp.len)) {
        target_oom(t);
        return;
    }
    scheduler_emit_states(t);
}

static bool has_version_column(const table_def *d)
{
    for (size_t i = 0; i < d->cs.ncols; i++)
        if (d->cs.cols[i].meta == META_TABLE_VERSION)
            return true;
    return false;
}

/*
 * ACTIVATE_VERSION before the stream's SCHEMA (pipelinewise ignores ACTIVATE_VERSION, so such
 * inputs exist): with metadata columns and activate_version, it applies to the table of an
 * earlier run, in its turn among the stream's flushes (see early_activation in loader.c); else
 * it is ignored as after a SCHEMA.
 */
static void activate_early(target *t, const char *line, int stok, long long version)
{
    size_t n;
    const char *name = tok_string(t, line, stok, &n);
    if (!name) {
        target_bad_input(t, NULL, "ACTIVATE_VERSION message: \"stream\" is not a valid string");
        return;
    }
    if (!t->cfg.activate_version || !t->cfg.add_metadata_columns) {
        if (!t->warned_activate)
            log_info("ACTIVATE_VERSION ignored (%s)",
                     !t->cfg.activate_version ? "activate_version is false"
                                              : "needs add_metadata_columns or hard_delete");
        t->warned_activate = true;
        return;
    }
    char err[1024];
    table_def *stub = table_def_create_stub(name, &t->cfg, err, sizeof(err));
    if (!stub) {
        target_bad_input(t, name, "%s", err);
        return;
    }
    for (size_t i = 0; i < t->reg.n; i++) {
        const stream *o = t->reg.streams[i];
        if (o->def && strcmp(o->def->qname, stub->qname) == 0 &&
            !(o->namelen == n && memcmp(o->name, name, n) == 0)) {
            log_warn(
                "ACTIVATE_VERSION of stream \"%s\" ignored: streams \"%s\" and \"%s\" load the "
                "same table %s, whose rows do not say which stream they came from",
                name, name, o->name, stub->qname);
            table_def_unref(stub);
            return;
        }
    }
    stream *st = registry_find(&t->reg, name, n);
    if (!st)
        st = registry_add(&t->reg, name, n);
    if (!st) {
        target_oom(t);
        table_def_unref(stub);
        return;
    }
    scheduler_activation act = {version, ++t->seq};
    scheduler_submit(t, st, stub, &act, false);
    table_def_unref(stub);
    if (!t->cfg.async_flush)
        scheduler_wait_all(t);
}

static void handle_activate(target *t, const char *line)
{
    int stok = jscan_find(&t->js, line, 0, "stream");
    bool early = false;
    stream *st = record_stream(t, line, stok, "ACTIVATE_VERSION", &early);
    if (!st && !early)
        return;
    size_t namelen = 0;
    const char *sname = st ? st->name : tok_string(t, line, stok, &namelen);
    int vt = jscan_find(&t->js, line, 0, "version");
    if (vt == JSCAN_NOT_FOUND || t->js.toks[vt].type != J_NUMBER ||
        !(t->js.toks[vt].flags & JF_INTEGER)) {
        target_bad_input(t, sname, "ACTIVATE_VERSION without an integer \"version\"");
        return;
    }
    char tmp[32];
    size_t n = t->js.toks[vt].end - t->js.toks[vt].start;
    snprintf(tmp, sizeof(tmp), "%.*s", (int)(n < 31 ? n : 31), line + t->js.toks[vt].start);
    errno = 0;
    char *endp = NULL;
    long long version = strtoll(tmp, &endp, 10);
    if (errno || !endp || *endp) {
        target_bad_input(t, sname, "ACTIVATE_VERSION: version %s is out of range", tmp);
        return;
    }
    if (!st) {
        activate_early(t, line, stok, version);
        return;
    }
    if (!t->cfg.activate_version || !has_version_column(st->def)) {
        if (!t->warned_activate)
            log_info("ACTIVATE_VERSION ignored (%s)", !t->cfg.activate_version
                                                          ? "activate_version is false"
                                                          : "needs add_metadata_columns, "
                                                            "add_record_metadata or hard_delete");
        t->warned_activate = true;
        return;
    }
    if (st->shared_table) {
        /* its DELETE / UPDATE of older versions would take the other stream's rows too */
        if (!st->warned_activate)
            log_warn(
                "ACTIVATE_VERSION of stream \"%s\" ignored: streams \"%s\" and \"%s\" load the "
                "same table %s, whose rows do not say which stream they came from (said once)",
                st->name, st->name, st->shared_with->name, st->def->qname);
        st->warned_activate = true;
        return;
    }
    scheduler_activation act = {version, ++t->seq};
    scheduler_submit(t, st, st->def, &act, false);
    if (!t->cfg.async_flush)
        scheduler_wait_all(t);
}

/* the first member name of the message's top level that an earlier member has too, or -1:
   tools disagree on which one counts (jscan_find reads the first, Python's json the last).
   Compared as raw bytes, among the first 64 members (messages have a handful). */
static int repeated_member(const jscan *js, const char *line)
{
    const jscan_tok *toks = js->toks;
    uint32_t keys[64];
    uint32_t n = toks[0].size < 64 ? toks[0].size : 64;
    uint32_t i = 1;
    for (uint32_t m = 0; m < n; m++) {
        const jscan_tok *k = &toks[i];
        for (uint32_t p = 0; p < m; p++) {
            const jscan_tok *o = &toks[keys[p]];
            if (o->end - o->start == k->end - k->start &&
                memcmp(line + o->start, line + k->start, k->end - k->start) == 0)
                return (int)i;
        }
        keys[m] = i;
        i = toks[i + 1].next;
    }
    return -1;
}

void messages_handle_line(target *t, const char *line, size_t len)
{
    if (len == 0)
        return;
    if (!jscan_parse(&t->js, line, len)) {
        /* a BATCH file's line is parsed inside its RECORD line: the offset is the file line's */
        size_t off = t->js.err_offset;
        if (t->batch_file && off >= t->batch_head)
            off -= t->batch_head;
        target_bad_input(t, NULL, "malformed JSON at byte %zu: %s", off,
                         t->js.err ? t->js.err : "syntax error");
        return;
    }
    if (t->js.toks[0].type != J_OBJECT) {
        target_bad_input(t, NULL, "a message must be a JSON object");
        return;
    }
    int dup = repeated_member(&t->js, line);
    if (dup >= 0) {
        const jscan_tok *d = &t->js.toks[dup];
        size_t dn = d->end - d->start;
        target_bad_input(t, NULL, "the message has the key \"%.*s\" twice",
                         (int)(dn > 40 ? 40 : dn), line + d->start);
        return;
    }
    int tt = jscan_find(&t->js, line, 0, "type");
    if (tt == JSCAN_NOT_FOUND || t->js.toks[tt].type != J_STRING) {
        target_bad_input(t, NULL, "message without a string \"type\"");
        return;
    }
    const jscan_tok *k = &t->js.toks[tt];
    const char *ty = line + k->start;
    size_t tn = k->end - k->start;
    if (tn == 6 && strncasecmp(ty, "RECORD", 6) == 0)
        handle_record(t, line, len);
    else if (tn == 5 && strncasecmp(ty, "STATE", 5) == 0)
        handle_state(t, line);
    else if (tn == 6 && strncasecmp(ty, "SCHEMA", 6) == 0)
        handle_schema(t, line, len);
    else if (tn == 16 && strncasecmp(ty, "ACTIVATE_VERSION", 16) == 0)
        handle_activate(t, line);
    else if (tn == 5 && strncasecmp(ty, "BATCH", 5) == 0)
        batch_message_handle(t, line, len,
                             messages_handle_line); /* its records in files, each through RECORD */
    else /* as pipelinewise and the Singer SDK: what it carries would be lost */
        target_bad_input(t, NULL, "unknown message type \"%.*s\"", (int)(tn > 40 ? 40 : tn), ty);
}
