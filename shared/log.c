#include "log.h"

#include "buf.h"
#include "json_writer.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

static log_level g_level = LOG_INFO;
static bool g_json = false;
static const char *g_program = "singer";

static void (*g_erase)(void);
static void (*g_redraw)(void);

static const char *level_names[] = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"};

void log_init(const char *program)
{
    g_program = program;
    /* the program's own variable first (TAP_POSTGRES_LOGLEVEL: the Singer SDK's
       <PLUGIN>_LOGLEVEL), then LOGLEVEL (the SDK's), then LOG_LEVEL (ours before) */
    char own[96];
    size_t k = 0;
    for (const char *p = program; *p && k + 10 < sizeof(own); p++)
        own[k++] = *p == '-' ? '_' : (*p >= 'a' && *p <= 'z') ? (char)(*p - 'a' + 'A') : *p;
    memcpy(own + k, "_LOGLEVEL", 10);
    const char *names[] = {own, "LOGLEVEL", "LOG_LEVEL"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *lvl = getenv(names[i]);
        if (lvl && *lvl) {
            log_set_level_name(lvl);
            break;
        }
    }
    const char *fmt = getenv("LOG_FORMAT");
    g_json = fmt && strcasecmp(fmt, "json") == 0;
}

bool log_set_level_name(const char *name)
{
    static const struct {
        const char *name;
        log_level level;
    } names[] = {
        {"debug", LOG_DEBUG}, {"info", LOG_INFO},   {"warning", LOG_WARN},   {"warn", LOG_WARN},
        {"error", LOG_ERROR}, {"fatal", LOG_FATAL}, {"critical", LOG_FATAL},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcasecmp(name, names[i].name) == 0) {
            g_level = names[i].level;
            return true;
        }
    }
    return false;
}

void log_set_level(log_level level)
{
    g_level = level;
}

log_level log_get_level(void)
{
    return g_level;
}

bool log_enabled(log_level level)
{
    return level >= g_level;
}

static void format_now(char *out, size_t n)
{
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(tv.tv_usec / 1000));
}

/* one whole line to stderr, below a live progress line when there is one */
static void put_line(const buf *line)
{
    if (g_erase)
        g_erase();
    fwrite(line->data, 1, line->len, stderr);
    if (g_redraw)
        g_redraw();
}

void log_write(log_level level, const char *fmt, ...)
{
    if (level < g_level)
        return;
    char msg[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    char ts[64];
    format_now(ts, sizeof(ts));

    buf line = BUF_INIT;
    if (g_json) {
        buf_append_lit(&line, "{\"time\":\"");
        buf_appends(&line, ts);
        buf_append_lit(&line, "\",\"level\":\"");
        buf_appends(&line, level_names[level]);
        buf_append_lit(&line, "\",\"program\":");
        json_writer_string(&line, g_program, strlen(g_program));
        buf_append_lit(&line, ",\"message\":");
        json_writer_string(&line, msg, strlen(msg));
        buf_append_lit(&line, "}\n");
    } else {
        buf_appendf(&line, "%s %s %s: %s\n", ts, level_names[level], g_program, msg);
    }
    if (buf_ok(&line))
        put_line(&line);
    buf_term(&line);
}

void log_write_fields(log_level level, const char *fields, size_t len)
{
    if (level < g_level)
        return;
    char ts[64];
    format_now(ts, sizeof(ts));
    buf line = BUF_INIT;
    buf_append_lit(&line, "{\"time\": \"");
    buf_appends(&line, ts);
    buf_append_lit(&line, "\", \"level\": \"");
    buf_appends(&line, level_names[level]);
    buf_append_lit(&line, "\", \"program\": ");
    json_writer_string(&line, g_program, strlen(g_program));
    if (len) {
        buf_append_lit(&line, ", ");
        buf_append(&line, fields, len);
    }
    buf_append_lit(&line, "}\n");
    if (buf_ok(&line))
        put_line(&line);
    buf_term(&line);
}

void log_set_live_hooks(void (*erase)(void), void (*redraw)(void))
{
    g_erase = erase;
    g_redraw = redraw;
}
