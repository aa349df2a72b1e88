/* guest_check.h: tiny assertion helper for the WASI guest tests. A failed
 * CHECK prints the condition and line on stderr and exits 1, so the test
 * runner sees a non-zero status (the expected output is checked as well). */
#ifndef GUEST_CHECK_H
#define GUEST_CHECK_H
#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                              \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            exit(1);                                                             \
        }                                                                        \
    } while (0)

#define CHECK_ERRNO(expr, want)                                                       \
    do {                                                                              \
        int got_ = (int)(expr);                                                       \
        if (got_ != (int)(want)) {                                                    \
            fprintf(stderr, "%s:%d: %s returned errno %d, expected %d\n", __FILE__, __LINE__, \
                    #expr, got_, (int)(want));                                        \
            exit(1);                                                                  \
        }                                                                             \
    } while (0)
#endif
