/*
 * decimal: exact decimal numbers of up to DECIMAL_MAX_DIGITS significant digits, for the
 * checks of validate (bounds and multipleOf on a number's own text, not its double).
 *
 * A decimal is a value type (no pointers, nothing to free).
 */
#ifndef TARGET_DECIMAL_H
#define TARGET_DECIMAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DECIMAL_MAX_DIGITS 48

/*
 * A decimal: (-1)^neg * digits * 10^exp, where digits (n of them, '0'..'9') has no leading and
 * no trailing zero; n == 0 is zero. Normalised so, two equal values have equal representations.
 */
typedef struct decimal {
    bool neg;
    int n;
    long exp;
    char d[DECIMAL_MAX_DIGITS];
} decimal;

/* decimal_parse: JSON number text s[0..len) -> out. False when it is not number text or has more
   significant digits / a larger exponent than a decimal holds. */
bool decimal_parse(const char *s, size_t len, decimal *out);
/* decimal_from_double: the shortest decimal (15, 16 or 17 significant digits) that reads back
   as x. False for infinities and NaN. */
bool decimal_from_double(double x, decimal *out);
/* decimal_sign: -1, 0 or 1. */
int decimal_sign(const decimal *a);
/* decimal_cmp: -1, 0, 1 as a <, ==, > b. */
int decimal_cmp(const decimal *a, const decimal *b);
/* decimal_format: a short text of a for messages (plain when short, else scientific) into out. */
void decimal_format(const decimal *a, char *out, size_t outlen);
/* decimal_is_multiple: whether d is a multiple of m_coef * 10^m_exp (m_coef > 0). */
bool decimal_is_multiple(const decimal *d, uint64_t m_coef, long m_exp);

#endif
