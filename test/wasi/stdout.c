/* fd_write to stdout with several iovecs, then through stdio; fd_write to a
 * closed/unknown fd is EBADF; stdout's fdstat is sane. */
#include <string.h>
#include <wasi/api.h>
#include "guest_check.h"

int main(void) {
    const char *p1 = "fd_write: ", *p2 = "two iovecs\n";
    __wasi_ciovec_t iov[3] = {{(const uint8_t *)p1, strlen(p1)}, {(const uint8_t *)"", 0},
                              {(const uint8_t *)p2, strlen(p2)}};
    __wasi_size_t n = 0;
    CHECK_ERRNO(__wasi_fd_write(1, iov, 3, &n), 0);
    CHECK(n == strlen(p1) + strlen(p2));
    CHECK_ERRNO(__wasi_fd_write(1234, iov, 1, &n), __WASI_ERRNO_BADF);
    __wasi_fdstat_t st;
    CHECK_ERRNO(__wasi_fd_fdstat_get(1, &st), 0);
    CHECK(st.fs_rights_base & __WASI_RIGHTS_FD_WRITE);
    printf("printf: %d %s\n", 42, "ok");
    fflush(stdout);
    fprintf(stderr, "to stderr\n");
    return 0;
}
