#include "metrics.h"

#include "json_util.h"
#include "json_writer.h"
#include "log.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* the parsed settings: written once by metrics_configure, read-only afterwards */
static double g_interval = 10.0;
static metrics_format g_format = METRICS_SINGER;
static bool g_live = false;

bool metrics_configure(const cJSON *root, const char *what, bool with_progress)
{
    double interval = 10.0;
    const cJSON *v =
        root ? cJSON_GetObjectItemCaseSensitive(root, "metrics_interval_seconds") : NULL;
    if (v && !cJSON_IsNull(v)) {
        bool ok = cJSON_IsNumber(v);
        if (ok) {
            interval = v->valuedouble;
        } else if (cJSON_IsString(v)) {
            char *end = NULL;
            interval = strtod(v->valuestring, &end);
            ok = end != v->valuestring && *end == '\0';
        }
        if (!ok || !(interval >= 0) || interval > 86400) {
            log_error("%s: key \"metrics_interval_seconds\" must be a number of seconds from 0 "
                      "to 86400",
                      what);
            return false;
        }
    }
    metrics_format format = METRICS_SINGER;
    const char *f = root ? json_util_string(root, "metrics_format", NULL) : NULL;
    if (f && strcasecmp(f, "json") == 0) {
        format = METRICS_JSON;
    } else if (f && strcasecmp(f, "singer") != 0) {
        log_error("%s: key \"metrics_format\" must be \"singer\" or \"json\", got \"%.40s\"", what,
                  f);
        return false;
    }
    const char *p = root && with_progress ? json_util_string(root, "progress", NULL) : NULL;
    bool live;
    if (!with_progress) {
        live = false;
    } else if (!p || strcasecmp(p, "auto") == 0) {
        live = isatty(STDERR_FILENO) == 1;
    } else if (strcasecmp(p, "on") == 0) {
        live = true;
    } else if (strcasecmp(p, "off") == 0) {
        live = false;
    } else {
        log_error("%s: key \"progress\" must be \"auto\", \"on\" or \"off\", got \"%.40s\"", what,
                  p);
        return false;
    }
    metrics_set(interval, format, live);
    return true;
}

void metrics_set(double interval, metrics_format format, bool live)
{
    g_interval = interval;
    g_format = format;
    g_live = live;
}

double metrics_interval(void)
{
    return g_interval;
}

bool metrics_live(void)
{
    return g_live;
}

void metrics_point_begin(metrics_point *p, const char *type, const char *metric)
{
    buf_init(&p->b);
    p->ntags = 0;
    p->have_value = false;
    /* the SDK's key order and json.dumps' separators */
    buf_append_lit(&p->b, "\"type\": ");
    json_writer_string(&p->b, type, strlen(type));
    buf_append_lit(&p->b, ", \"metric\": ");
    json_writer_string(&p->b, metric, strlen(metric));
    buf_append_lit(&p->b, ", \"value\": ");
}

void metrics_point_int(metrics_point *p, long long v)
{
    json_writer_int(&p->b, v);
    p->have_value = true;
}

void metrics_point_double(metrics_point *p, double v, int decimals)
{
    if (!isfinite(v))
        buf_append_lit(&p->b, "null");
    else
        buf_appendf(&p->b, "%.*f", decimals, v);
    p->have_value = true;
}

void metrics_point_text(metrics_point *p, const char *v)
{
    if (v)
        json_writer_string(&p->b, v, strlen(v));
    else
        buf_append_lit(&p->b, "null");
    p->have_value = true;
}

static void tag_key(metrics_point *p, const char *key)
{
    if (!p->have_value) {
        buf_append_lit(&p->b, "null");
        p->have_value = true;
    }
    buf_appends(&p->b, p->ntags++ ? ", " : ", \"tags\": {");
    json_writer_string(&p->b, key, strlen(key));
    buf_append_lit(&p->b, ": ");
}

void metrics_point_tag(metrics_point *p, const char *key, const char *value)
{
    tag_key(p, key);
    json_writer_string(&p->b, value, strlen(value));
}

void metrics_point_tag_int(metrics_point *p, const char *key, long long v)
{
    tag_key(p, key);
    json_writer_int(&p->b, v);
}

void metrics_point_emit(metrics_point *p)
{
    if (!p->have_value)
        buf_append_lit(&p->b, "null");
    buf_appends(&p->b, p->ntags ? "}" : ", \"tags\": {}");
    if (buf_ok(&p->b) && log_enabled(LOG_INFO)) {
        if (g_format == METRICS_JSON)
            log_write_fields(LOG_INFO, p->b.data, p->b.len);
        else
            log_write(LOG_INFO, "METRIC: {%.*s}", (int)p->b.len, p->b.data);
    }
    buf_term(&p->b);
}

void metrics_counter(const char *metric, long long value, const char *stream)
{
    metrics_point p;
    metrics_point_begin(&p, "counter", metric);
    metrics_point_int(&p, value);
    if (stream)
        metrics_point_tag(&p, "stream", stream);
    metrics_point_emit(&p);
}

void metrics_timer(const char *metric, double seconds, const char *stream)
{
    metrics_point p;
    metrics_point_begin(&p, "timer", metric);
    metrics_point_double(&p, seconds, 3);
    if (stream)
        metrics_point_tag(&p, "stream", stream);
    /* the SDK's Timer adds its status */
    metrics_point_tag(&p, "status", "succeeded");
    metrics_point_emit(&p);
}

void metrics_gauge(const char *metric, double value, int decimals, const char *stream)
{
    metrics_point p;
    metrics_point_begin(&p, "gauge", metric);
    metrics_point_double(&p, value, decimals);
    if (stream)
        metrics_point_tag(&p, "stream", stream);
    metrics_point_emit(&p);
}
