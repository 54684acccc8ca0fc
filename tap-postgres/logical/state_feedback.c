#include "state_feedback.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json_util.h"
#include "log.h"
#include "lsn.h"

#define READ_CHUNK 65536

bool state_feedback_line_lsn(const char *line, size_t len, const char *const *ids, size_t n,
                             uint64_t *out)
{
    if (!n)
        return false;
    cJSON *root = json_util_parse(line, len, NULL);
    if (!root)
        return false;
    const cJSON *value = root;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(root, "type");
    if (cJSON_IsString(type)) {
        value = strcmp(type->valuestring, "STATE") == 0
                    ? cJSON_GetObjectItemCaseSensitive(root, "value")
                    : NULL;
    }
    const cJSON *bms = cJSON_GetObjectItemCaseSensitive(value, "bookmarks");
    bool ok = cJSON_IsObject(bms);
    uint64_t low = UINT64_MAX;
    for (size_t i = 0; ok && i < n; i++) {
        const cJSON *bm = cJSON_GetObjectItemCaseSensitive(bms, ids[i]);
        uint64_t v;
        ok = lsn_from_bookmark(cJSON_GetObjectItemCaseSensitive(bm, "lsn"), &v);
        if (ok && v < low)
            low = v;
    }
    cJSON_Delete(root);
    if (ok)
        *out = low;
    return ok;
}

/* open path (the file to follow now); false when it does not exist or cannot be opened */
static bool open_file(state_feedback *f)
{
    int fd = open(f->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT && !f->told_missing)
            log_warn("state_feedback_file \"%s\": cannot open it: %m (tried again later)", f->path);
        else if (!f->told_missing)
            log_info("state_feedback_file \"%s\" does not exist yet: nothing is confirmed "
                     "from it until it does",
                     f->path);
        f->told_missing = true;
        return false;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return false;
    }
    f->fd = fd;
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    f->offset = 0;
    buf_reset(&f->partial);
    if (f->told_missing)
        log_info("state_feedback_file \"%s\": following it", f->path);
    f->told_missing = false;
    return true;
}

/* the offset just after the last newline of the open file (0 when it has none) */
static off_t after_last_line(int fd, off_t size)
{
    char chunk[4096];
    off_t end = size;
    while (end > 0) {
        off_t from = end > (off_t)sizeof(chunk) ? end - (off_t)sizeof(chunk) : 0;
        ssize_t r = pread(fd, chunk, (size_t)(end - from), from);
        if (r <= 0)
            return size;
        for (ssize_t i = r - 1; i >= 0; i--)
            if (chunk[i] == '\n')
                return from + i + 1;
        end = from;
    }
    return 0;
}

bool state_feedback_init(state_feedback *f, const char *path)
{
    memset(f, 0, sizeof(*f));
    f->fd = -1;
    size_t n = strlen(path);
    f->path = malloc(n + 1);
    if (!f->path) {
        log_error("out of memory");
        return false;
    }
    memcpy(f->path, path, n + 1);
    if (open_file(f)) {
        struct stat st;
        if (fstat(f->fd, &st) == 0 && st.st_size > 0)
            f->offset = after_last_line(f->fd, st.st_size);
        log_info("state_feedback_file \"%s\": confirming to the slot the positions of the states "
                 "the target writes there",
                 path);
    }
    return true;
}

void state_feedback_term(state_feedback *f)
{
    if (!f)
        return;
    if (f->fd >= 0)
        close(f->fd);
    free(f->path);
    buf_term(&f->partial);
    memset(f, 0, sizeof(*f));
    f->fd = -1;
}

/* one whole line: the position it proves, when higher */
static bool take_line(state_feedback *f, const char *line, size_t len, const char *const *ids,
                      size_t n, uint64_t *out)
{
    f->lines++;
    uint64_t v;
    if (!state_feedback_line_lsn(line, len, ids, n, &v)) {
        log_debug("state_feedback_file \"%s\": a line without an lsn for every stream (skipped)",
                  f->path);
        return false;
    }
    if (v <= *out)
        return false;
    *out = v;
    return true;
}

/* read the open file from f->offset to its end, taking each whole line */
static bool drain(state_feedback *f, const char *const *ids, size_t n, uint64_t *out)
{
    bool moved = false;
    char *chunk = malloc(READ_CHUNK);
    if (!chunk) {
        log_error("out of memory");
        return false;
    }
    for (;;) {
        ssize_t r = pread(f->fd, chunk, READ_CHUNK, f->offset);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        f->offset += r;
        const char *p = chunk, *end = chunk + r;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            if (!nl) {
                buf_append(&f->partial, p, (size_t)(end - p));
                break;
            }
            if (f->partial.len) {
                buf_append(&f->partial, p, (size_t)(nl - p));
                if (buf_ok(&f->partial))
                    moved |= take_line(f, f->partial.data, f->partial.len, ids, n, out);
                buf_reset(&f->partial);
            } else {
                moved |= take_line(f, p, (size_t)(nl - p), ids, n, out);
            }
            p = nl + 1;
        }
    }
    free(chunk);
    return moved;
}

bool state_feedback_poll(state_feedback *f, const char *const *ids, size_t n, uint64_t *out)
{
    bool moved = false;
    if (f->fd < 0 && !open_file(f))
        return false;
    struct stat st;
    if (fstat(f->fd, &st) == 0 && st.st_size < f->offset) {
        /* truncated (copytruncate, or made empty): read again from the start */
        log_info("state_feedback_file \"%s\" was truncated: following it from its start", f->path);
        f->offset = 0;
        buf_reset(&f->partial);
    }
    moved |= drain(f, ids, n, out);
    /* rotated (renamed, or removed, and made again): the new file from its start */
    struct stat now;
    bool gone = stat(f->path, &now) != 0;
    if (gone || now.st_dev != f->dev || now.st_ino != f->ino) {
        close(f->fd);
        f->fd = -1;
        buf_reset(&f->partial);
        if (!gone) {
            log_info("state_feedback_file \"%s\" was replaced: following the new file", f->path);
            if (open_file(f))
                moved |= drain(f, ids, n, out);
        }
    }
    return moved;
}
