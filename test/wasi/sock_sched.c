/* sched_yield succeeds; the sock_* calls on stdio that is not a socket
 * (the runner gives /dev/null and files) are ENOTSOCK, on a bad fd EBADF,
 * on a preopened directory ENOTSOCK. */
#include <wasi/api.h>
#include "guest_check.h"

int main(void) {
    CHECK_ERRNO(__wasi_sched_yield(), 0);
    char buf[4];
    __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf};
    __wasi_ciovec_t ciov = {(const uint8_t *)buf, sizeof buf};
    __wasi_size_t n;
    __wasi_roflags_t of;
    __wasi_fd_t fd;
    for (__wasi_fd_t f = 0; f <= 3; f++) {  /* stdin, stdout, stderr, the preopen */
        CHECK_ERRNO(__wasi_sock_recv(f, &iov, 1, 0, &n, &of), __WASI_ERRNO_NOTSOCK);
        CHECK_ERRNO(__wasi_sock_send(f, &ciov, 1, 0, &n), __WASI_ERRNO_NOTSOCK);
        CHECK_ERRNO(__wasi_sock_shutdown(f, __WASI_SDFLAGS_WR), __WASI_ERRNO_NOTSOCK);
        CHECK_ERRNO(__wasi_sock_accept(f, 0, &fd), __WASI_ERRNO_NOTSOCK);
    }
    CHECK_ERRNO(__wasi_sock_recv(77, &iov, 1, 0, &n, &of), __WASI_ERRNO_BADF);
    CHECK_ERRNO(__wasi_sock_send(77, &ciov, 1, 0, &n), __WASI_ERRNO_BADF);
    CHECK_ERRNO(__wasi_sock_shutdown(77, __WASI_SDFLAGS_WR), __WASI_ERRNO_BADF);
    CHECK_ERRNO(__wasi_sock_accept(77, 0, &fd), __WASI_ERRNO_BADF);
    printf("sock_sched ok\n");
    return 0;
}
