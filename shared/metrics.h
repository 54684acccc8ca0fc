/*
 * metrics: Singer-style METRIC lines on stderr, shared by both programs, and the settings
 * that say how often and in which shape they go out.
 *
 * A point is written as the Singer SDK writes it (singer_sdk/metrics.py: Point.to_json through
 * logger.info("METRIC: %s")), json.dumps' separators included, so tools that parse SDK taps
 * parse ours:
 *
 *   <time> INFO tap-postgres: METRIC: {"type": "counter", "metric": "record_count",
 *       "value": 12, "tags": {"stream": "public-t"}}
 *
 * (one line). With metrics_format "json" a point is one JSON object per line instead:
 *   {"time": "...", "level": "INFO", "program": "tap-postgres", "type": "counter", ...}
 *
 * The SDK's types are "counter" and "timer"; levels that go up and down (lag, age) are written
 * with type "gauge". Points are written at INFO: LOG_LEVEL=warning silences them.
 *
 * Settings (both programs, METRICS_CONFIG_KEYS): metrics_interval_seconds (default 10; 0: no
 * periodic points, the summary and per-stream points stay), metrics_format ("singer" or
 * "json"); the tap's progress (METRICS_PROGRESS_KEY: "auto": a live line when stderr is a
 * terminal, "off", "on"). They are global, set once at start by metrics_configure (read-only
 * afterwards).
 *
 * Ownership: a metrics_point holds its own buffer, freed by metrics_point_emit (or
 * metrics_point_discard); strings passed in are copied.
 */
#ifndef SINGER_METRICS_H
#define SINGER_METRICS_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "buf.h"

/* METRICS_CONFIG_KEYS: the settings of both programs' key tables; METRICS_PROGRESS_KEY: the
   tap's (the target draws no live line) */
/* clang-format off */
#define METRICS_CONFIG_KEYS                                                                        \
    {"metrics_interval_seconds", CFG_NUMBER, false, "10", false,                                   \
     "seconds between periodic METRIC lines (progress, CDC lag, target commits); 0: none "         \
     "(the summary at the end stays)"},                                                            \
        {"metrics_format", CFG_STRING, false, "singer", false,                                     \
         "singer: METRIC log lines as the Singer SDK writes them; json: one JSON object per "      \
         "point"}
#define METRICS_PROGRESS_KEY                                                                       \
    {"progress", CFG_STRING, false, "auto", false,                                                 \
     "auto: a live progress line redrawn in place when stderr is a terminal (METRIC lines "        \
     "otherwise); on; off (METRIC lines only)"}
/* clang-format on */

typedef enum metrics_format {
    METRICS_SINGER = 0,
    METRICS_JSON = 1,
} metrics_format;

/*
 * metrics_configure: read metrics_interval_seconds, metrics_format and (with_progress: the
 * tap) progress from root (a validated config; NULL: defaults). The live line is on when
 * progress is "on", or "auto" and stderr is a terminal; never without with_progress. False
 * after logging a line naming the key (what: the config's name).
 */
bool metrics_configure(const cJSON *root, const char *what, bool with_progress);
/* metrics_interval: seconds between periodic points, 0 for none. */
double metrics_interval(void);
/* metrics_live: whether the live progress line is drawn (instead of periodic points). */
bool metrics_live(void);
/* metrics_set: set the settings directly (tests). */
void metrics_set(double interval, metrics_format format, bool live);

typedef struct metrics_point {
    buf b; /* owned */
    int ntags;
    bool have_value;
} metrics_point;

/* metrics_point_begin: start a point of type ("counter", "timer", "gauge") and metric name.
   Then exactly one value, then tags, then emit. */
void metrics_point_begin(metrics_point *p, const char *type, const char *metric);
void metrics_point_int(metrics_point *p, long long v);
/* metrics_point_double: a number with decimals digits after the point (NaN/inf: null) */
void metrics_point_double(metrics_point *p, double v, int decimals);
/* metrics_point_text: a string value (e.g. "lost"), NULL for null */
void metrics_point_text(metrics_point *p, const char *v);
void metrics_point_tag(metrics_point *p, const char *key, const char *value);
void metrics_point_tag_int(metrics_point *p, const char *key, long long v);
/* metrics_point_emit: write the point (INFO) and free its buffer. */
void metrics_point_emit(metrics_point *p);

/* metrics_counter / metrics_timer / metrics_gauge: one point with an optional stream tag. */
void metrics_counter(const char *metric, long long value, const char *stream);
void metrics_timer(const char *metric, double seconds, const char *stream);
void metrics_gauge(const char *metric, double value, int decimals, const char *stream);

#endif
