#include "hash_index.h"

#include <check.h>
#include <stdbool.h>
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

START_TEST(clear_and_reuse)
{
    /* cleared: nothing found, the slots kept, the next fill finds only its own items */
    hash_index ix = HASH_INDEX_INIT;
    hash_index_clear(&ix); /* empty and never allocated: fine */
    ck_assert_ptr_null(ix.slots);
    for (int i = 0; i < 100; i++) {
        snprintf(names[i], sizeof(names[i]), "name-%d", i);
        ck_assert(hash_index_add(&ix, hash_fnv1a32(names[i], strlen(names[i])), (uint32_t)i));
    }
    hash_index_slot *slots = ix.slots;
    size_t cap = ix.cap;
    hash_index_clear(&ix);
    ck_assert_uint_eq(ix.count, 0);
    ck_assert_ptr_eq(ix.slots, slots);
    ck_assert_uint_eq(ix.cap, cap);
    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(find(&ix, names[i]), -1);
    for (int i = 50; i < 100; i++)
        ck_assert(hash_index_add(&ix, hash_fnv1a32(names[i], strlen(names[i])), (uint32_t)i));
    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(find(&ix, names[i]), i < 50 ? -1 : i);
    ck_assert_ptr_eq(ix.slots, slots); /* no growth: the reused slots were enough */
    hash_index_term(&ix);
}
END_TEST

START_TEST(fnv)
{
    ck_assert_uint_eq(hash_fnv1a32("", 0), 2166136261u);
    ck_assert_uint_eq(hash_fnv1a32("a", 1), 0xe40c292cu);
    ck_assert_uint_eq(hash_fnv1a32("foobar", 6), 0xbf9cf968u);
    /* the published FNV-1a 64 test vectors; a key hashed in parts is the same as whole */
    ck_assert(hash_fnv1a64(HASH_FNV1A64_BASIS, "", 0) == UINT64_C(0xcbf29ce484222325));
    ck_assert(hash_fnv1a64(HASH_FNV1A64_BASIS, "a", 1) == UINT64_C(0xaf63dc4c8601ec8c));
    ck_assert(hash_fnv1a64(HASH_FNV1A64_BASIS, "foobar", 6) == UINT64_C(0x85944171f73967e8));
    ck_assert(hash_fnv1a64(hash_fnv1a64(HASH_FNV1A64_BASIS, "foo", 3), "bar", 3) ==
              UINT64_C(0x85944171f73967e8));
}
END_TEST

START_TEST(fold64)
{
    /* consecutive integers (oids) land in distinct slots of a small table, and both halves of a
       64-bit hash count */
    bool seen[64] = {false};
    size_t distinct = 0;
    for (uint64_t x = 1000; x < 1032; x++) {
        uint32_t s = hash_fold64(x) & 63;
        distinct += !seen[s];
        seen[s] = true;
    }
    ck_assert_uint_ge(distinct, 24);
    ck_assert_uint_ne(hash_fold64(UINT64_C(1) << 40), hash_fold64(UINT64_C(2) << 40));
    ck_assert_uint_ne(hash_fold64(1), hash_fold64(2));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hash_index");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, add_find_grow);
    tcase_add_test(tc, same_hash_and_replace);
    tcase_add_test(tc, clear_and_reuse);
    tcase_add_test(tc, fnv);
    tcase_add_test(tc, fold64);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
