#include "decimal.h"

#include "conv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* exact decimals                                                                              */
/* ------------------------------------------------------------------------------------------ */

/* exponents beyond this are refused (the value then falls back to its double) */
#define DECIMAL_MAX_EXP 1000000L

/*
 * decimal_parse: JSON number text s[0..len) -> out. False when it is not number text or has more
 * significant digits / a larger exponent than a decimal holds.
 */
bool decimal_parse(const char *s, size_t len, decimal *out)
{
    conv_number num;
    conv_scan_number(s, len, &num);
    if (num.sign == '+' || num.nint == 0 || (num.dot && num.nfrac == 0) ||
        (num.exp && num.nexp == 0) || num.end != len)
        return false;
    out->neg = num.sign == '-';
    long e = 0;
    for (size_t k = num.exp_start; k < num.exp_start + num.nexp; k++) {
        if (e > DECIMAL_MAX_EXP)
            return false;
        e = e * 10 + (s[k] - '0');
    }
    if (num.exp_sign == '-')
        e = -e;
    size_t int_start = num.int_start, ni = num.nint, frac_start = num.frac_start, nf = num.nfrac;
    /* the digits, integer part then fraction, seen as one sequence of ni + nf */
    size_t total = ni + nf, first = total, last = 0;
    for (size_t k = 0; k < total; k++) {
        char c = k < ni ? s[int_start + k] : s[frac_start + (k - ni)];
        if (c != '0') {
            if (first == total)
                first = k;
            last = k;
        }
    }
    if (first == total) {
        out->n = 0;
        out->exp = 0;
        out->neg = false;
        return true;
    }
    if (last - first + 1 > DECIMAL_MAX_DIGITS || total > (size_t)DECIMAL_MAX_EXP)
        return false;
    out->n = (int)(last - first + 1);
    for (size_t k = first; k <= last; k++)
        out->d[k - first] = k < ni ? s[int_start + k] : s[frac_start + (k - ni)];
    out->exp = e - (long)nf + (long)(total - 1 - last);
    return true;
}

/*
 * decimal_from_double: the shortest decimal (15, 16 or 17 significant digits) that reads back as
 * x. For a double parsed from text of at most 15 significant digits this is exactly that text's
 * value. False for infinities and NaN.
 */
bool decimal_from_double(double x, decimal *out)
{
    if (!isfinite(x))
        return false;
    if (x == 0) {
        out->neg = false;
        out->n = 0;
        out->exp = 0;
        return true;
    }
    char text[40];
    for (int prec = 15; prec <= 17; prec++) {
        int w = snprintf(text, sizeof(text), "%.*e", prec - 1, x);
        if (w <= 0 || (size_t)w >= sizeof(text))
            return false;
        if (prec < 17 && strtod(text, NULL) != x)
            continue;
        /* the locale may print a decimal comma; decimal_parse wants JSON text */
        for (char *p = text; *p; p++)
            if (*p == ',')
                *p = '.';
        return decimal_parse(text, (size_t)w, out);
    }
    return false;
}

int decimal_sign(const decimal *a)
{
    return a->n == 0 ? 0 : (a->neg ? -1 : 1);
}

/* decimal_cmp: -1, 0, 1 as a <, ==, > b */
int decimal_cmp(const decimal *a, const decimal *b)
{
    int sa = decimal_sign(a), sb = decimal_sign(b);
    if (sa != sb)
        return sa < sb ? -1 : 1;
    if (sa == 0)
        return 0;
    /* magnitudes: first the position of the leading digit, then the digits */
    int mag = 0;
    long ea = a->n + a->exp, eb = b->n + b->exp;
    if (ea != eb) {
        mag = ea < eb ? -1 : 1;
    } else {
        int m = a->n < b->n ? a->n : b->n;
        int c = memcmp(a->d, b->d, (size_t)m);
        if (c != 0)
            mag = c < 0 ? -1 : 1;
        else if (a->n != b->n)
            mag = a->n < b->n ? -1 : 1; /* the longer one has more non-zero digits */
    }
    return sa > 0 ? mag : -mag;
}

/* decimal_format: a short text of a for messages: plain when short, else scientific */
void decimal_format(const decimal *a, char *out, size_t outlen)
{
    char t[DECIMAL_MAX_DIGITS + 40];
    size_t k = 0;
    int n = a->n;
    long e = a->exp;
    if (n == 0) {
        t[k++] = '0';
    } else {
        if (a->neg)
            t[k++] = '-';
        if (e >= 0 && n + e <= 21) { /* 12300 */
            memcpy(t + k, a->d, (size_t)n);
            k += (size_t)n;
            for (long i = 0; i < e; i++)
                t[k++] = '0';
        } else if (e < 0 && -e < n) { /* 12.3 */
            size_t ip = (size_t)(n + e);
            memcpy(t + k, a->d, ip);
            k += ip;
            t[k++] = '.';
            memcpy(t + k, a->d + ip, (size_t)n - ip);
            k += (size_t)n - ip;
        } else if (e < 0 && -e - n <= 6) { /* 0.00123 */
            t[k++] = '0';
            t[k++] = '.';
            for (long i = 0; i < -e - n; i++)
                t[k++] = '0';
            memcpy(t + k, a->d, (size_t)n);
            k += (size_t)n;
        } else { /* 1.23e+40 */
            t[k++] = a->d[0];
            if (n > 1) {
                t[k++] = '.';
                memcpy(t + k, a->d + 1, (size_t)n - 1);
                k += (size_t)n - 1;
            }
            int w = snprintf(t + k, sizeof(t) - k, "e%+ld", e + n - 1);
            k += w > 0 ? (size_t)w : 0;
        }
    }
    t[k < sizeof(t) ? k : sizeof(t) - 1] = '\0';
    snprintf(out, outlen, "%s", t);
}

/* value = V * 10^ev is a multiple of m = M * 10^em (V, M integers, V without trailing zeros) */
bool decimal_is_multiple(const decimal *d, uint64_t m_coef, long m_exp)
{
    if (d->n == 0)
        return true;
    /* ev < em: the quotient is V / (M * 10^k) with k > 0, and V does not end in 0 */
    if (d->exp < m_exp)
        return false;
    uint64_t r = 0;
    for (int i = 0; i < d->n; i++) /* r < M < 10^17, so r * 10 + 9 fits */
        r = (r * 10 + (uint64_t)(d->d[i] - '0')) % m_coef;
    /* times 10^k: once k exceeds the exponents of 2 and 5 in M (< 57), more zeros change
       nothing */
    long k = d->exp - m_exp;
    if (k > 60)
        k = 60;
    for (long i = 0; i < k && r != 0; i++)
        r = (r * 10) % m_coef;
    return r == 0;
}
