#include "timefmt.h"

#include <check.h>
#include <stdlib.h>

static const char *ts(const char *in, int *inf)
{
    static buf b = BUF_INIT;
    buf_reset(&b);
    if (!timefmt_timestamp(&b, in, strlen(in), inf))
        return "(invalid)";
    return b.data;
}

static const char *dt(const char *in, int *inf)
{
    static buf b = BUF_INIT;
    buf_reset(&b);
    if (!timefmt_date(&b, in, strlen(in), inf))
        return "(invalid)";
    return b.data;
}

START_TEST(timestamps)
{
    int inf = 9;
    ck_assert_str_eq(ts("2024-05-01 10:11:12", &inf), "2024-05-01T10:11:12+00:00");
    ck_assert_int_eq(inf, 0);
    ck_assert_str_eq(ts("2024-05-01 10:11:12.5", &inf), "2024-05-01T10:11:12.500000+00:00");
    ck_assert_str_eq(ts("2024-05-01 10:11:12.123456+00", &inf), "2024-05-01T10:11:12.123456+00:00");
    ck_assert_str_eq(ts("2024-05-01 01:30:00+02", &inf), "2024-04-30T23:30:00+00:00");
    ck_assert_str_eq(ts("2024-12-31 23:30:00-05:30", &inf), "2025-01-01T05:00:00+00:00");
    ck_assert_str_eq(ts("2024-02-29 00:00:00+00:00:30", &inf), "2024-02-28T23:59:30+00:00");
    ck_assert_str_eq(ts("9999-12-31 23:59:59.999999+00", &inf), TIMEFMT_POS_INFINITY);
    ck_assert_int_eq(inf, TIMEFMT_FINITE);
    ck_assert_str_eq(ts("0001-01-01 00:00:00+00", &inf), "0001-01-01T00:00:00+00:00");
    ck_assert_int_eq(inf, TIMEFMT_FINITE);
    ck_assert_str_eq(ts("infinity", &inf), TIMEFMT_POS_INFINITY);
    ck_assert_int_eq(inf, 1);
    ck_assert_str_eq(ts("-infinity", &inf), TIMEFMT_NEG_INFINITY);
    ck_assert_int_eq(inf, -1);
    ck_assert_str_eq(ts("garbage", &inf), "(invalid)");
    ck_assert_str_eq(ts("2024-05-01", &inf), "(invalid)");
}
END_TEST

/* RFC 3339 has years 0001-9999 only: the others are clamped, also when UTC moves them out */
START_TEST(years_out_of_range)
{
    int inf = 9;
    ck_assert_str_eq(ts("0044-03-15 12:00:00+00 BC", &inf), TIMEFMT_NEG_INFINITY);
    ck_assert_int_eq(inf, TIMEFMT_CLAMPED_LOW);
    ck_assert_str_eq(ts("10000-01-01 00:00:00+00", &inf), TIMEFMT_POS_INFINITY);
    ck_assert_int_eq(inf, TIMEFMT_CLAMPED_HIGH);
    ck_assert_str_eq(ts("10000-09-01 20:10:56", &inf), TIMEFMT_POS_INFINITY);
    ck_assert_int_eq(inf, TIMEFMT_CLAMPED_HIGH);
    ck_assert_str_eq(ts("294276-12-31 23:59:59.999999+00", &inf), TIMEFMT_POS_INFINITY);
    ck_assert_int_eq(inf, TIMEFMT_CLAMPED_HIGH);
    ck_assert_str_eq(ts("9999-12-31 23:59:59.999999-03", &inf), TIMEFMT_POS_INFINITY);
    ck_assert_int_eq(inf, TIMEFMT_CLAMPED_HIGH);
    ck_assert_str_eq(ts("0001-01-01 00:00:00.000123+04", &inf), TIMEFMT_NEG_INFINITY);
    ck_assert_int_eq(inf, TIMEFMT_CLAMPED_LOW);
    ck_assert_str_eq(ts("0001-01-01 03:00:00+04", &inf), TIMEFMT_NEG_INFINITY);
    ck_assert_str_eq(ts("0001-01-01 04:00:00+04", &inf), "0001-01-01T00:00:00+00:00");
    ck_assert_int_eq(inf, TIMEFMT_FINITE);
    ck_assert_str_eq(ts("9999-12-31 22:00:00-01", &inf), "9999-12-31T23:00:00+00:00");
    ck_assert_int_eq(inf, TIMEFMT_FINITE);
    ck_assert_str_eq(dt("4713-04-03 BC", &inf), TIMEFMT_NEG_INFINITY);
    ck_assert_int_eq(inf, TIMEFMT_CLAMPED_LOW);
    ck_assert_str_eq(dt("0001-01-01 BC", &inf), TIMEFMT_NEG_INFINITY);
    ck_assert_int_eq(inf, TIMEFMT_CLAMPED_LOW);
    ck_assert_str_eq(dt("5874897-12-31", &inf), TIMEFMT_POS_INFINITY);
    ck_assert_int_eq(inf, TIMEFMT_CLAMPED_HIGH);
    ck_assert_str_eq(dt("9999-12-31", &inf), "9999-12-31T00:00:00+00:00");
    ck_assert_str_eq(dt("0001-01-01", &inf), "0001-01-01T00:00:00+00:00");
    ck_assert_int_eq(inf, TIMEFMT_FINITE);
}
END_TEST

START_TEST(dates)
{
    int inf = 9;
    ck_assert_str_eq(dt("2024-05-01", &inf), "2024-05-01T00:00:00+00:00");
    ck_assert_int_eq(inf, 0);
    ck_assert_str_eq(dt("infinity", &inf), TIMEFMT_POS_INFINITY);
    ck_assert_str_eq(dt("-infinity", &inf), TIMEFMT_NEG_INFINITY);
    ck_assert_str_eq(dt("2024-13-01", &inf), "(invalid)");
}
END_TEST

START_TEST(civil_roundtrip)
{
    for (int64_t day = -800000; day < 800000; day += 997) {
        int64_t y;
        unsigned m, d;
        timefmt_civil_from_days(day, &y, &m, &d);
        ck_assert_int_eq(timefmt_days_from_civil(y, m, d), day);
    }
    ck_assert_int_eq(timefmt_days_from_civil(1970, 1, 1), 0);
    ck_assert_int_eq(timefmt_days_from_civil(2000, 3, 1), 11017);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("timefmt");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, timestamps);
    tcase_add_test(tc, dates);
    tcase_add_test(tc, years_out_of_range);
    tcase_add_test(tc, civil_roundtrip);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
