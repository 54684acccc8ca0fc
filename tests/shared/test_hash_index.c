#include "hash_index.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char names[1000][16];

/* the index of name among the first n names, through the index; -1 when absent */
static long find(const hash_index *ix, const char *name)
{
    uint32_t h = hash_fnv1a32(name, strlen(name)), item;
    size_t pos = HASH_INDEX_START;
    while (hash_index_next(ix, h, &pos, &item))
        if (strcmp(names[item], name) == 0)
            return (long)item;
    return -1;
}

START_TEST(add_find_grow)
{
    hash_index ix;
    hash_index_init(&ix);
    ck_assert_int_eq(find(&ix, "x"), -1); /* empty: nothing allocated, nothing found */
    for (int i = 0; i < 1000; i++) {
        snprintf(names[i], sizeof(names[i]), "name-%d", i);
        ck_assert_int_eq(find(&ix, names[i]), -1);
        ck_assert(hash_index_add(&ix, hash_fnv1a32(names[i], strlen(names[i])), (uint32_t)i));
        ck_assert_uint_ge(ix.cap, 2 * ix.count); /* at most half full */
    }
    for (int i = 999; i >= 0; i--)
        ck_assert_int_eq(find(&ix, names[i]), i);
    ck_assert_int_eq(find(&ix, "name-1000"), -1);
    hash_index_term(&ix);
    ck_assert_ptr_null(ix.slots);
    hash_index_term(NULL);
}
END_TEST

START_TEST(same_hash_and_replace)
{
    /* items under one hash are all visited, in the order they were added */
    hash_index ix = HASH_INDEX_INIT;
    ck_assert(hash_index_reserve(&ix, 3));
    size_t cap = ix.cap;
    for (uint32_t i = 0; i < 3; i++)
        ck_assert(hash_index_add(&ix, 42, i));
    ck_assert(hash_index_add(&ix, 42 + (uint32_t)cap, 7)); /* same slot, other hash */
    ck_assert_uint_eq(ix.cap, cap);                        /* reserved: no growth */
    uint32_t item, seen[4];
    size_t pos = HASH_INDEX_START, n = 0;
    while (hash_index_next(&ix, 42, &pos, &item))
        seen[n++] = item;
    ck_assert_uint_eq(n, 3);
    ck_assert(seen[0] == 0 && seen[1] == 1 && seen[2] == 2);
    pos = HASH_INDEX_START;
    ck_assert(hash_index_next(&ix, 42, &pos, &item));
    hash_index_replace(&ix, pos, 9);
    pos = HASH_INDEX_START;
    ck_assert(hash_index_next(&ix, 42, &pos, &item));
    ck_assert_uint_eq(item, 9);
    pos = HASH_INDEX_START;
    ck_assert(hash_index_next(&ix, 42 + (uint32_t)cap, &pos, &item));
    ck_assert_uint_eq(item, 7);
    hash_index_term(&ix);
}
END_TEST

START_TEST(fnv)
{
    ck_assert_uint_eq(hash_fnv1a32("", 0), 2166136261u);
    ck_assert_uint_eq(hash_fnv1a32("a", 1), 0xe40c292cu);
    ck_assert_uint_eq(hash_fnv1a32("foobar", 6), 0xbf9cf968u);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hash_index");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, add_find_grow);
    tcase_add_test(tc, same_hash_and_replace);
    tcase_add_test(tc, fnv);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
