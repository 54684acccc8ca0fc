/*
 * log: leveled logging to stderr only. stdout belongs to the Singer stream.
 *
 * The level comes from LOG_LEVEL (debug, info, warning, error, critical) or
 * --log-level; LOG_FORMAT=json writes one JSON object per line instead of text.
 */
#ifndef SINGER_LOG_H
#define SINGER_LOG_H

#include <stdbool.h>
#include <stddef.h>

typedef enum log_level {
    LOG_DEBUG = 0,
    LOG_INFO = 1,
    LOG_WARN = 2,
    LOG_ERROR = 3,
    LOG_FATAL = 4,
} log_level;

/* log_init: set the program name and read LOG_LEVEL / LOG_FORMAT from the environment. */
void log_init(const char *program);
/* log_set_level_name: set the level from its name; false for an unknown name. */
bool log_set_level_name(const char *name);
void log_set_level(log_level level);
log_level log_get_level(void);
bool log_enabled(log_level level);

void log_write(log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * log_write_fields: one JSON object line on stderr, {"time": ..., "level": ..., "program": ...,
 * then fields (len bytes of JSON members, without braces)}. For metrics_format json.
 */
void log_write_fields(log_level level, const char *fields, size_t len);
/*
 * log_set_live_hooks: erase is called before and redraw after every line written to stderr,
 * so a live progress line (metrics, progress) stays below the log; NULL for none. The hooks
 * write to stderr themselves and must not log.
 */
void log_set_live_hooks(void (*erase)(void), void (*redraw)(void));

#define log_debug(...)                                                                             \
    do {                                                                                           \
        if (log_enabled(LOG_DEBUG))                                                                \
            log_write(LOG_DEBUG, __VA_ARGS__);                                                     \
    } while (0)
#define log_info(...) log_write(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_write(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_write(LOG_ERROR, __VA_ARGS__)
#define log_fatal(...) log_write(LOG_FATAL, __VA_ARGS__)

#endif
