/*
 * timefmt: PostgreSQL date/time text (DateStyle=ISO) to RFC 3339, and clocks.
 */
#ifndef SINGER_TIMEFMT_H
#define SINGER_TIMEFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define TIMEFMT_POS_INFINITY "9999-12-31T23:59:59.999999+00:00"
#define TIMEFMT_NEG_INFINITY "0001-01-01T00:00:00+00:00"

/*
 * What timefmt_timestamp and timefmt_date report in *special: a finite value
 * written as it is, an infinity, or a value outside the years 0001-9999 (in
 * UTC) that RFC 3339 cannot write, clamped to the nearer end of that range
 * (the same texts as the infinities).
 */
enum {
    TIMEFMT_FINITE = 0,
    TIMEFMT_POS_INF = 1,      /* "infinity" -> TIMEFMT_POS_INFINITY */
    TIMEFMT_NEG_INF = -1,     /* "-infinity" -> TIMEFMT_NEG_INFINITY */
    TIMEFMT_CLAMPED_HIGH = 2, /* after 9999-12-31 (UTC) -> TIMEFMT_POS_INFINITY */
    TIMEFMT_CLAMPED_LOW = -2, /* before 0001-01-01 (UTC, BC dates) -> TIMEFMT_NEG_INFINITY */
};

/*
 * timefmt_timestamp: append the RFC 3339 UTC form of a timestamp or
 * timestamptz in ISO text ("2024-05-01 10:11:12.5+02", "... BC",
 * "infinity"). A value without an offset is taken as UTC. The fraction is
 * written with 6 digits when it is not zero (as Python's isoformat does).
 * *special is set to one of the TIMEFMT_ values above: never is a year
 * outside 0001-9999 written. False when the text is not a timestamp
 * (nothing appended).
 */
bool timefmt_timestamp(buf *out, const char *s, size_t n, int *special);
/* timefmt_date: "2024-05-01" -> "2024-05-01T00:00:00+00:00"; infinities and clamping as above. */
bool timefmt_date(buf *out, const char *s, size_t n, int *special);

/* timefmt_now_rfc3339: the current UTC time "2024-05-01T10:11:12.123456Z" (out >= 40 bytes). */
void timefmt_now_rfc3339(char *out, size_t n);
/* timefmt_now_ms: milliseconds since the epoch. */
int64_t timefmt_now_ms(void);
/* timefmt_monotonic: seconds on a monotonic clock. */
double timefmt_monotonic(void);

/* timefmt_days_from_civil: days since 1970-01-01 of a proleptic Gregorian date. */
int64_t timefmt_days_from_civil(int64_t y, unsigned m, unsigned d);
/* timefmt_civil_from_days: the inverse. */
void timefmt_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

#endif
