/*
 * target_gen: the benchmark input of target-postgres. Writes N Singer RECORD
 * lines (with the SCHEMA first) to FILE.jsonl and the same rows as CSV to
 * FILE.csv, with the column mix of ../shared/bench/bench_table.sql.
 *   target_gen N PREFIX
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static void hex(char *out, uint64_t seed, int n)
{
    static const char d[] = "0123456789abcdef";
    for (int i = 0; i < n; i += 16) {
        uint64_t h = mix(seed + (uint64_t)i * 7919);
        for (int k = 0; k < 16 && i + k < n; k++)
            out[i + k] = d[(h >> (k * 4)) & 15];
    }
    out[n] = '\0';
}

static void civil(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yy + (*m <= 2));
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: target_gen N PREFIX\n");
        return 2;
    }
    long long n = strtoll(argv[1], NULL, 10);
    char path[4096];
    snprintf(path, sizeof(path), "%s.jsonl", argv[2]);
    FILE *js = fopen(path, "w");
    snprintf(path, sizeof(path), "%s.csv", argv[2]);
    FILE *csv = fopen(path, "w");
    if (!js || !csv) {
        perror("target_gen");
        return 1;
    }
    static char jbuf[1 << 20], cbuf[1 << 20];
    setvbuf(js, jbuf, _IOFBF, sizeof(jbuf));
    setvbuf(csv, cbuf, _IOFBF, sizeof(cbuf));
    fputs("{\"type\":\"SCHEMA\",\"stream\":\"public-bench\",\"schema\":{\"type\":\"object\","
          "\"properties\":{\"id\":{\"type\":\"integer\",\"minimum\":-9223372036854775808,"
          "\"maximum\":9223372036854775807},"
          "\"c_int\":{\"type\":[\"null\",\"integer\"],\"minimum\":-2147483648,\"maximum\":"
          "2147483647},"
          "\"c_numeric\":{\"type\":[\"null\",\"number\"],\"multipleOf\":0.01,"
          "\"exclusiveMaximum\":true,\"maximum\":10000000000,\"exclusiveMinimum\":true,"
          "\"minimum\":-10000000000},"
          "\"c_text\":{\"type\":[\"null\",\"string\"]},"
          "\"c_varchar\":{\"type\":[\"null\",\"string\"],\"maxLength\":64},"
          "\"c_bool\":{\"type\":[\"null\",\"boolean\"]},"
          "\"c_ts\":{\"type\":[\"null\",\"string\"],\"format\":\"date-time\"},"
          "\"c_date\":{\"type\":[\"null\",\"string\"],\"format\":\"date-time\"},"
          "\"c_json\":{\"type\":[\"null\",\"object\",\"array\"]},"
          "\"c_uuid\":{\"type\":[\"null\",\"string\"]},"
          "\"c_double\":{\"type\":[\"null\",\"number\"]},"
          "\"c_nullable\":{\"type\":[\"null\",\"string\"]}}},"
          "\"key_properties\":[\"id\"],\"bookmark_properties\":[]}\n",
          js);
    const int64_t ts0 = 1577836800; /* 2020-01-01 */
    const int64_t d0 = 10957;       /* 2000-01-01 in days */
    for (long long i = 1; i <= n; i++) {
        long long c_int = (i * 7919) % 2000000 - 1000000;
        long long num = (i * 104729) % 100000000;
        char text[41], note[33], uu[33];
        hex(text, (uint64_t)i, 40);
        hex(note, (uint64_t)i * 31 + 7, 32);
        hex(uu, (uint64_t)i * 131 + 3, 32);
        int64_t ts = ts0 + i * 37;
        int y, m, d;
        civil(ts / 86400, &y, &m, &d);
        int hh = (int)(ts % 86400 / 3600), mi = (int)(ts % 3600 / 60), ss = (int)(ts % 60);
        int dy, dm, dd;
        civil(d0 + i % 9000, &dy, &dm, &dd);
        double dbl = (double)i * 0.000123456789;
        int isnull = (mix((uint64_t)i) & 1023) < 307;
        char tsbuf[40], dbuf[40], ubuf[40], dblbuf[40];
        snprintf(tsbuf, sizeof(tsbuf), "%04d-%02d-%02dT%02d:%02d:%02d+00:00", y, m, d, hh, mi, ss);
        snprintf(dbuf, sizeof(dbuf), "%04d-%02d-%02dT00:00:00+00:00", dy, dm, dd);
        snprintf(ubuf, sizeof(ubuf), "%.8s-%.4s-%.4s-%.4s-%.12s", uu, uu + 8, uu + 12, uu + 16,
                 uu + 20);
        snprintf(dblbuf, sizeof(dblbuf), "%.17g", dbl);
        const char *tf = (i % 3 == 0) ? "true" : "false";
        fprintf(js,
                "{\"type\":\"RECORD\",\"stream\":\"public-bench\",\"record\":{\"id\":%lld,"
                "\"c_int\":%lld,\"c_numeric\":%lld.%02lld,\"c_text\":\"%s\",\"c_varchar\":"
                "\"user_%lld@example.com\",\"c_bool\":%s,\"c_ts\":\"%s\",\"c_date\":\"%s\","
                "\"c_json\":{\"k\":%lld,\"ok\":%s,\"tag\":\"tag%lld\"},\"c_uuid\":\"%s\","
                "\"c_double\":%s,\"c_nullable\":",
                i, c_int, num / 100, num % 100, text, i % 50000, tf, tsbuf, dbuf, i % 100,
                (i % 2 == 0) ? "true" : "false", i % 17, ubuf, dblbuf);
        if (isnull)
            fputs("null", js);
        else
            fprintf(js, "\"note %s\"", note);
        fputs("},\"version\":1714558272123,\"time_extracted\":\"2024-05-01T10:11:12.123456Z\"}\n",
              js);
        fprintf(csv,
                "%lld,%lld,%lld.%02lld,%s,user_%lld@example.com,%s,%s,%s,\"{\"\"k\"\": %lld, "
                "\"\"ok\"\": %s, \"\"tag\"\": \"\"tag%lld\"\"}\",%s,%s,",
                i, c_int, num / 100, num % 100, text, i % 50000, tf, tsbuf, dbuf, i % 100,
                (i % 2 == 0) ? "true" : "false", i % 17, ubuf, dblbuf);
        if (!isnull)
            fprintf(csv, "note %s", note);
        fputc('\n', csv);
    }
    if (fclose(js) != 0 || fclose(csv) != 0) {
        perror("target_gen");
        return 1;
    }
    return 0;
}
