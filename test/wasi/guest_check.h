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

#ifdef GUEST_FIND_PREOPEN
#include <string.h>
#include <wasi/api.h>
/* The fd of the preopened directory the guest sees as `want`. */
static __wasi_fd_t find_preopen(const char *want) {
    for (__wasi_fd_t fd = 3; fd < 64; fd++) {
        __wasi_prestat_t ps;
        if (__wasi_fd_prestat_get(fd, &ps) != 0) continue;
        char name[64] = {0};
        CHECK(ps.u.dir.pr_name_len < sizeof name);
        CHECK_ERRNO(__wasi_fd_prestat_dir_name(fd, (uint8_t *)name, ps.u.dir.pr_name_len), 0);
        if (strcmp(name, want) == 0) return fd;
    }
    fprintf(stderr, "no %s preopen\n", want);
    exit(1);
}
#endif
#endif
