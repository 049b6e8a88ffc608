/*
 * unit_check - the failure counter and checks that the unit tests share.
 *
 * CHECK(cond, fmt, ...) counts a failure and prints "FAIL file:line: "
 * and the message on stdout when cond is false; fail(name, fmt, ...)
 * counts one and prints "FAIL name: " and the message on stderr. A test's
 * main() returns non-zero when failures is not 0.
 *
 * Does not: stop at the first failure, or say how a test reports its
 * result: each main() keeps its own summary line. Checks only one test
 * needs (test_config's EXPECT, test_corr_scenarios' runner) stay in it.
 * Include it once, from the test's .c file: it defines static state.
 */
#ifndef ALERTDESK_UNIT_CHECK_H
#define ALERTDESK_UNIT_CHECK_H

#include <stdarg.h>
#include <stdio.h>

static int failures;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            failures++;                                                                            \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                                            \
            printf(__VA_ARGS__);                                                                   \
            printf("\n");                                                                          \
        }                                                                                          \
    } while (0)

static inline void fail(const char *name, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static inline void fail(const char *name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "FAIL %s: ", name);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    failures++;
}

#endif
