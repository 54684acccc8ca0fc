#include "batch_message.h"

#include "json_writer.h"
#include "log.h"
#include "scheduler.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define BM_CHUNK (64 * 1024)

/* the text of string token tok (unescaped) as a malloc'ed string; NULL when not a string */
static char *tok_strdup(const target *t, const char *line, int tok)
{
    if (tok == JSCAN_NOT_FOUND || t->js.toks[tok].type != J_STRING ||
        (t->js.toks[tok].flags & JF_BAD_UTF8))
        return NULL;
    const jscan_tok *k = &t->js.toks[tok];
    buf b = BUF_INIT;
    bool ok = jscan_unescape(&b, line + k->start, k->end - k->start);
    buf_putc(&b, '\0');
    if (!ok || !buf_ok(&b) || memchr(b.data, '\0', b.len - 1)) {
        buf_term(&b);
        return NULL;
    }
    return buf_detach(&b);
}

/* the local path of a file:// URL (file:///abs, file://localhost/abs, file://relative), or
   NULL for another scheme */
static const char *url_path(const char *url)
{
    if (strncmp(url, "file://", 7) != 0)
        return NULL;
    const char *p = url + 7;
    if (strncmp(p, "localhost/", 10) == 0)
        p += 9;
    return p;
}

typedef struct bm_files {
    char **urls; /* malloc'ed array of malloc'ed strings */
    gzFile *fh;  /* opened before any is read */
    size_t n;
} bm_files;

static void files_term(bm_files *f)
{
    for (size_t i = 0; i < f->n; i++) {
        if (f->fh && f->fh[i])
            gzclose(f->fh[i]);
        free(f->urls[i]);
    }
    free(f->urls);
    free(f->fh);
}

/* one line of a file: through the RECORD path; false after a failure (recorded in t) */
static bool record_line(target *t, batch_message_line_fn each, buf *wrap, size_t head,
                        const char *s, size_t n)
{
    while (n && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    size_t lead = 0;
    while (lead < n && (s[lead] == ' ' || s[lead] == '\t'))
        lead++;
    if (lead == n)
        return true; /* a blank line */
    wrap->len = head;
    buf_append(wrap, s + lead, n - lead);
    buf_putc(wrap, '}');
    if (!buf_ok(wrap)) {
        target_oom(t);
        return false;
    }
    each(t, wrap->data, wrap->len);
    return !t->failed;
}

/* read file i a chunk at a time, each line a record; false after a failure */
static bool read_file(target *t, batch_message_line_fn each, gzFile fh, buf *wrap, size_t head,
                      const char *sname)
{
    char *chunk = malloc(BM_CHUNK);
    buf part = BUF_INIT; /* a line that spans chunks */
    bool ok = chunk != NULL;
    if (!ok)
        target_oom(t);
    long long since_check = 0;
    while (ok) {
        int got = gzread(fh, chunk, BM_CHUNK);
        if (got < 0) {
            int zerr = 0;
            const char *msg = gzerror(fh, &zerr);
            target_bad_input(t, sname, "cannot read the file: %s",
                             zerr == Z_ERRNO ? strerror(errno) : msg);
            ok = false;
            break;
        }
        if (got == 0) {
            /* a truncated gzip stream ends without a -1 from gzread: only gzerror tells */
            int zerr = Z_OK;
            const char *msg = gzerror(fh, &zerr);
            if (zerr != Z_OK) {
                t->batch_line++;
                target_bad_input(t, sname, "cannot read the file: %s",
                                 zerr == Z_ERRNO ? strerror(errno) : msg);
                ok = false;
            }
            break;
        }
        size_t pos = 0, len = (size_t)got;
        while (ok && pos < len) {
            const char *nl = memchr(chunk + pos, '\n', len - pos);
            size_t seg = nl ? (size_t)(nl - (chunk + pos)) : len - pos;
            if (part.len + seg > t->cfg.max_line_bytes) {
                t->batch_line++; /* the line being read */
                target_bad_input(t, sname, "the line is longer than max_line_bytes (%zu bytes)",
                                 t->cfg.max_line_bytes);
                ok = false;
                break;
            }
            if (!nl) {
                buf_append(&part, chunk + pos, seg);
                if (!buf_ok(&part)) {
                    target_oom(t);
                    ok = false;
                }
                break;
            }
            t->batch_line++;
            if (part.len) {
                buf_append(&part, chunk + pos, seg);
                ok = buf_ok(&part) ? record_line(t, each, wrap, head, part.data, part.len)
                                   : (target_oom(t), false);
                buf_reset(&part);
            } else {
                ok = record_line(t, each, wrap, head, chunk + pos, seg);
            }
            pos += seg + 1;
            /* a file can hold millions of records: let finished flushes go and STATE out */
            if (ok && ++since_check >= 1024) {
                since_check = 0;
                while (flush_pool_done_count(t->pool) > 0 && !t->failed)
                    scheduler_take_done(t, false);
                scheduler_check_age(t);
                ok = !t->failed;
            }
            if (ok && t->stop && *t->stop) {
                /* the records read so far load; no STATE after this message can claim the
                   rest (the next lines are not read) */
                log_info("stream \"%s\": stopping inside the BATCH file \"%s\" after its line "
                         "%lld",
                         sname, t->batch_file, t->batch_line);
                goto done;
            }
        }
    }
    if (ok && part.len) { /* the last line without '\n' */
        t->batch_line++;
        ok = record_line(t, each, wrap, head, part.data, part.len);
    }
done:
    buf_term(&part);
    free(chunk);
    return ok;
}

void batch_message_handle(target *t, const char *line, size_t len, batch_message_line_fn each)
{
    (void)len;
    bm_files f = {0};
    buf wrap = BUF_INIT;
    char *sname = tok_strdup(t, line, jscan_find(&t->js, line, 0, "stream"));
    char *format = NULL, *compression = NULL;
    if (!sname) {
        target_bad_input(t, NULL, "BATCH message without a string \"stream\"");
        goto done;
    }
    stream *st = registry_find(&t->reg, sname, strlen(sname));
    if (!st || !st->def) {
        target_bad_input(t, sname, "BATCH before its SCHEMA");
        goto done;
    }
    int enc = jscan_find(&t->js, line, 0, "encoding");
    if (enc == JSCAN_NOT_FOUND || t->js.toks[enc].type != J_OBJECT) {
        target_bad_input(t, sname, "BATCH message without an \"encoding\" object");
        goto done;
    }
    format = tok_strdup(t, line, jscan_find(&t->js, line, enc, "format"));
    int ctok = jscan_find(&t->js, line, enc, "compression");
    if (ctok >= 0 && t->js.toks[ctok].type != J_NULL) {
        compression = tok_strdup(t, line, ctok);
        if (!compression) {
            target_bad_input(t, sname, "BATCH encoding: \"compression\" is not a string");
            goto done;
        }
    }
    if (!format || strcmp(format, "jsonl") != 0) {
        target_bad_input(t, sname,
                         "BATCH encoding format \"%.40s\" is not supported (only jsonl; set the "
                         "tap's batch_config encoding format to jsonl)",
                         format ? format : "(none)");
        goto done;
    }
    if (compression && strcmp(compression, "gzip") != 0 && strcmp(compression, "none") != 0) {
        target_bad_input(t, sname,
                         "BATCH encoding compression \"%.40s\" is not supported (gzip or none)",
                         compression);
        goto done;
    }
    int man = jscan_find(&t->js, line, 0, "manifest");
    if (man == JSCAN_NOT_FOUND || t->js.toks[man].type != J_ARRAY) {
        target_bad_input(t, sname, "BATCH message without a \"manifest\" array");
        goto done;
    }
    size_t n = t->js.toks[man].size;
    f.urls = calloc(n ? n : 1, sizeof(*f.urls));
    f.fh = calloc(n ? n : 1, sizeof(*f.fh));
    if (!f.urls || !f.fh) {
        target_oom(t);
        goto done;
    }
    /* the manifest's URLs are copied out: the tokens are reused by the records' lines */
    uint32_t k = (uint32_t)man + 1;
    for (size_t i = 0; i < n; i++) {
        f.urls[i] = tok_strdup(t, line, (int)k);
        f.n = i + 1;
        if (!f.urls[i]) {
            target_bad_input(t, sname, "BATCH manifest: item %zu is not a string", i + 1);
            goto done;
        }
        k = t->js.toks[k].next;
    }
    /* every file is opened before any is read: a missing one loads nothing of this message */
    for (size_t i = 0; i < f.n; i++) {
        const char *path = url_path(f.urls[i]);
        if (!path) {
            const char *colon = strchr(f.urls[i], ':');
            target_bad_input(t, sname,
                             "BATCH manifest: \"%.200s\" is not a file:// URL (%.*s storage is "
                             "not supported; only local files are read)",
                             f.urls[i], colon ? (int)(colon - f.urls[i]) : 0,
                             colon ? f.urls[i] : "");
            goto done;
        }
        errno = 0;
        f.fh[i] = gzopen(path, "rb");
        if (!f.fh[i]) {
            target_bad_input(t, sname, "BATCH manifest: cannot open \"%.200s\": %s", path,
                             errno ? strerror(errno) : "out of memory");
            goto done;
        }
        gzbuffer(f.fh[i], BM_CHUNK);
    }
    /* the RECORD line every record becomes: {"type":"RECORD","stream":<name>,"record":<line>} */
    buf_append_lit(&wrap, "{\"type\":\"RECORD\",\"stream\":");
    json_writer_string(&wrap, sname, strlen(sname));
    buf_append_lit(&wrap, ",\"record\":");
    if (!buf_ok(&wrap)) {
        target_oom(t);
        goto done;
    }
    size_t head = wrap.len;
    long long before = t->seq;
    for (size_t i = 0; i < f.n && !t->failed; i++) {
        t->batch_file = url_path(f.urls[i]);
        t->batch_head = head;
        t->batch_line = 0;
        bool ok = read_file(t, each, f.fh[i], &wrap, head, sname);
        gzclose(f.fh[i]);
        f.fh[i] = NULL;
        if (!ok || (t->stop && *t->stop))
            break;
    }
    if (!t->failed)
        log_debug("stream \"%s\": BATCH of %zu files, %lld records", sname, f.n,
                  (long long)(t->seq - before));
done:
    t->batch_file = NULL;
    t->batch_line = 0;
    t->batch_head = 0;
    files_term(&f);
    buf_term(&wrap);
    free(sname);
    free(format);
    free(compression);
}
