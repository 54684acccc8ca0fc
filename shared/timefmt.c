#include "timefmt.h"

#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

/* Howard Hinnant's civil calendar algorithms */
int64_t timefmt_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void timefmt_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t yy = (int64_t)yoe + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

static bool digits(const char *s, size_t n, size_t at, size_t count, int64_t *out)
{
    if (at + count > n)
        return false;
    int64_t v = 0;
    for (size_t i = 0; i < count; i++) {
        char c = s[at + i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *out = v;
    return true;
}

static bool check_infinity(buf *out, const char *s, size_t n, int *special)
{
    if (n == 8 && memcmp(s, "infinity", 8) == 0) {
        *special = TIMEFMT_POS_INF;
        buf_append_lit(out, TIMEFMT_POS_INFINITY);
        return true;
    }
    if (n == 9 && memcmp(s, "-infinity", 9) == 0) {
        *special = TIMEFMT_NEG_INF;
        buf_append_lit(out, TIMEFMT_NEG_INFINITY);
        return true;
    }
    return false;
}

/* RFC 3339 has four-digit years: a year outside 1-9999 is written as the nearer end of that
   range (true), counted by the caller through *special */
static bool clamp_year(buf *out, int64_t y, int *special)
{
    if (y > 9999) {
        *special = TIMEFMT_CLAMPED_HIGH;
        buf_append_lit(out, TIMEFMT_POS_INFINITY);
        return true;
    }
    if (y < 1) {
        *special = TIMEFMT_CLAMPED_LOW;
        buf_append_lit(out, TIMEFMT_NEG_INFINITY);
        return true;
    }
    return false;
}

/* parse "YYYY-MM-DD" (4+ digit year) at s; returns chars consumed or 0 */
static size_t parse_date(const char *s, size_t n, int64_t *y, int64_t *m, int64_t *d)
{
    size_t i = 0;
    int64_t year = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9' && i < 9)
        year = year * 10 + (s[i++] - '0');
    if (i < 4 || i >= n || s[i] != '-')
        return 0;
    i++;
    if (!digits(s, n, i, 2, m) || i + 2 >= n || s[i + 2] != '-')
        return 0;
    i += 3;
    if (!digits(s, n, i, 2, d))
        return 0;
    i += 2;
    if (*m < 1 || *m > 12 || *d < 1 || *d > 31)
        return 0;
    *y = year;
    return i;
}

/* a year of 1-9999 (clamp_year has ruled out the others) */
static void put_year(buf *out, int64_t y)
{
    char t[4] = {(char)('0' + y / 1000), (char)('0' + y / 100 % 10), (char)('0' + y / 10 % 10),
                 (char)('0' + y % 10)};
    buf_append(out, t, 4);
}

static void put2(buf *out, int64_t v)
{
    char t[2] = {(char)('0' + v / 10), (char)('0' + v % 10)};
    buf_append(out, t, 2);
}

bool timefmt_date(buf *out, const char *s, size_t n, int *special)
{
    *special = TIMEFMT_FINITE;
    if (check_infinity(out, s, n, special))
        return true;
    int64_t y, m, d;
    size_t i = parse_date(s, n, &y, &m, &d);
    if (!i)
        return false;
    bool bc = false;
    if (i < n) {
        if (n - i == 3 && memcmp(s + i, " BC", 3) == 0)
            bc = true;
        else
            return false;
    }
    if (bc)
        y = 1 - y; /* ISO 8601 astronomical year: 1 BC = 0000 */
    if (clamp_year(out, y, special))
        return true;
    put_year(out, y);
    buf_putc(out, '-');
    put2(out, m);
    buf_putc(out, '-');
    put2(out, d);
    buf_append_lit(out, "T00:00:00+00:00");
    return true;
}

bool timefmt_timestamp(buf *out, const char *s, size_t n, int *special)
{
    *special = TIMEFMT_FINITE;
    if (check_infinity(out, s, n, special))
        return true;
    int64_t y, mo, d, hh, mi, ss;
    size_t i = parse_date(s, n, &y, &mo, &d);
    if (!i || i >= n || (s[i] != ' ' && s[i] != 'T'))
        return false;
    i++;
    if (!digits(s, n, i, 2, &hh) || i + 2 >= n || s[i + 2] != ':' || !digits(s, n, i + 3, 2, &mi) ||
        i + 5 >= n || s[i + 5] != ':' || !digits(s, n, i + 6, 2, &ss))
        return false;
    i += 8;
    int64_t micros = 0;
    if (i < n && s[i] == '.') {
        i++;
        int64_t scale = 100000;
        size_t start = i;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            if (scale > 0) {
                micros += (s[i] - '0') * scale;
                scale /= 10;
            }
            i++;
        }
        if (i == start)
            return false;
    }
    int64_t offset_s = 0;
    if (i < n && (s[i] == '+' || s[i] == '-')) {
        int sign = s[i] == '-' ? -1 : 1;
        i++;
        int64_t oh, om = 0, os = 0;
        if (!digits(s, n, i, 2, &oh))
            return false;
        i += 2;
        if (i < n && s[i] == ':') {
            if (!digits(s, n, i + 1, 2, &om))
                return false;
            i += 3;
            if (i < n && s[i] == ':') {
                if (!digits(s, n, i + 1, 2, &os))
                    return false;
                i += 3;
            }
        }
        offset_s = sign * (oh * 3600 + om * 60 + os);
    } else if (i < n && s[i] == 'Z') {
        i++;
    }
    bool bc = false;
    if (i < n) {
        if (n - i == 3 && memcmp(s + i, " BC", 3) == 0)
            bc = true;
        else
            return false;
    }
    if (bc)
        y = 1 - y;
    if (hh > 24 || mi > 59 || ss > 60)
        return false;
    if (offset_s != 0) {
        int64_t days = timefmt_days_from_civil(y, (unsigned)mo, (unsigned)d);
        int64_t secs = days * 86400 + hh * 3600 + mi * 60 + ss - offset_s;
        int64_t day = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
        int64_t rem = secs - day * 86400;
        unsigned um, ud;
        timefmt_civil_from_days(day, &y, &um, &ud);
        mo = um;
        d = ud;
        hh = rem / 3600;
        mi = rem % 3600 / 60;
        ss = rem % 60;
    }
    if (clamp_year(out, y, special))
        return true;
    put_year(out, y);
    buf_putc(out, '-');
    put2(out, mo);
    buf_putc(out, '-');
    put2(out, d);
    buf_putc(out, 'T');
    put2(out, hh);
    buf_putc(out, ':');
    put2(out, mi);
    buf_putc(out, ':');
    put2(out, ss);
    if (micros) {
        char frac[24];
        snprintf(frac, sizeof(frac), ".%06lld", (long long)micros);
        buf_appends(out, frac);
    }
    buf_append_lit(out, "+00:00");
    return true;
}

void timefmt_now_rfc3339(char *out, size_t n)
{
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)tv.tv_usec);
}

int64_t timefmt_now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

double timefmt_monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
