/*
 * A small test harness: each test file defines a suite, a list of named
 * functions; tests/main.c runs one suite (ctest registers each) and checks
 * every allocation made through mnlp's allocator was freed.
 */
#ifndef MNLP_TEST_H
#define MNLP_TEST_H

#include "mnlp.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef struct test_case {
    const char *name;
    void (*fn)(void);
} test_case;

typedef struct test_suite {
    const char *name;
    const test_case *tests;
    int n_tests;
} test_suite;

#define TEST_SUITE(sname, ...)                                                    \
    static const test_case sname##_cases[] = {__VA_ARGS__};                       \
    const test_suite suite_##sname = {#sname, sname##_cases,                      \
                                      (int)(sizeof sname##_cases / sizeof sname##_cases[0])}
#define T(fn) {#fn, fn}

void test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int test_failures(void);

#define CHECK(cond)                                                                \
    do {                                                                           \
        if (!(cond))                                                               \
            test_fail(__FILE__, __LINE__, "%s", #cond);                            \
    } while (0)

#define CHECK_INT(a, b)                                                            \
    do {                                                                           \
        long long a_ = (long long)(a), b_ = (long long)(b);                        \
        if (a_ != b_)                                                              \
            test_fail(__FILE__, __LINE__, "%s == %lld, expected %lld", #a, a_, b_); \
    } while (0)

#define CHECK_STR(a, b)                                                            \
    do {                                                                           \
        const char *a_ = (a), *b_ = (b);                                           \
        if (!a_ || !b_ || strcmp(a_, b_) != 0)                                     \
            test_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", #a,      \
                      a_ ? a_ : "(null)", b_ ? b_ : "(null)");                     \
    } while (0)

/* The call returns status st and, on failure, a message containing needle. */
#define CHECK_ERR(call, st, needle)                                                \
    do {                                                                           \
        mnlp_status s_ = (call);                                                   \
        if (s_ != (st))                                                            \
            test_fail(__FILE__, __LINE__, "%s returned %d (%s), expected %d", #call, \
                      (int)s_, mnlp_last_error(), (int)(st));                      \
        else if (!strstr(mnlp_last_error(), (needle)))                             \
            test_fail(__FILE__, __LINE__, "%s: message \"%s\" lacks \"%s\"", #call, \
                      mnlp_last_error(), (needle));                                \
    } while (0)

#define CHECK_OK(call)                                                             \
    do {                                                                           \
        mnlp_status s_ = (call);                                                   \
        if (s_ != MNLP_OK)                                                         \
            test_fail(__FILE__, __LINE__, "%s failed: %s", #call, mnlp_last_error()); \
    } while (0)

/* A fresh empty directory for this test (under $TMPDIR); removed at exit. */
const char *test_tmpdir(void);

/* Write n bytes to dir/name (creating folders on the way); returns the path
 * in a static buffer that the next call reuses. */
const char *test_write(const char *dir, const char *name, const void *data, size_t n);

/* The repository root (MNLP_SOURCE_DIR), for fixtures. */
const char *test_source_dir(void);

/* Where the tokenizer fixture archives are unpacked (MNLP_TOKENIZER_FIXTURES). */
const char *test_tokenizer_fixtures(void);

/* One JSON document per line of a file into docs (free each with mn_json_free);
 * returns the count (<= max). */
struct mn_json_doc;
int test_read_jsonl(const char *path, struct mn_json_doc **docs, int max);

/* Deterministic pseudo-random numbers for test inputs. */
uint64_t test_rand(uint64_t *state);
float test_randf(uint64_t *state); /* uniform in [-1, 1) */

#endif
