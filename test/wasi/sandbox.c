/* The preopen is a sandbox (run with --dir /sandbox:<dir>, where the runner
 * put `escape -> ../secret`, `abs -> /etc/passwd` and `inside -> file`):
 * `..` beyond it, absolute paths and symlinks leading out are all refused with
 * ENOTCAPABLE, whatever the operation; what stays inside works. */
#include <string.h>
#include <wasi/api.h>
#define GUEST_FIND_PREOPEN
#include "guest_check.h"

static __wasi_fd_t preopen(void) {
    return find_preopen("/sandbox");
}

static __wasi_errno_t open_rd(__wasi_fd_t dir, const char *path, __wasi_lookupflags_t lf, __wasi_fd_t *out) {
    return __wasi_path_open(dir, lf, path, 0, __WASI_RIGHTS_FD_READ, 0, 0, out);
}

int main(void) {
    __wasi_fd_t dir = preopen(), fd;
    const __wasi_lookupflags_t F = __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW;
    const char *escapes[] = {"../secret", "..", "sub/../../secret", "/etc/passwd", "escape", "abs",
                             "sub/../escape", "./../x"};
    for (unsigned i = 0; i < sizeof escapes / sizeof escapes[0]; i++) {
        fprintf(stderr, "trying %s\n", escapes[i]);
        CHECK_ERRNO(open_rd(dir, escapes[i], F, &fd), __WASI_ERRNO_NOTCAPABLE);
    }
    CHECK_ERRNO(__wasi_path_open(dir, F, "escape", __WASI_OFLAGS_CREAT, __WASI_RIGHTS_FD_WRITE, 0, 0, &fd),
                __WASI_ERRNO_NOTCAPABLE);
    CHECK_ERRNO(__wasi_path_create_directory(dir, "../newdir"), __WASI_ERRNO_NOTCAPABLE);
    CHECK_ERRNO(__wasi_path_create_directory(dir, "/tmp/newdir"), __WASI_ERRNO_NOTCAPABLE);
    CHECK_ERRNO(__wasi_path_unlink_file(dir, "../secret"), __WASI_ERRNO_NOTCAPABLE);
    CHECK_ERRNO(__wasi_path_remove_directory(dir, ".."), __WASI_ERRNO_NOTCAPABLE);
    __wasi_filestat_t st;
    CHECK_ERRNO(__wasi_path_filestat_get(dir, F, "escape", &st), __WASI_ERRNO_NOTCAPABLE);
    CHECK_ERRNO(__wasi_path_filestat_get(dir, F, "../secret", &st), __WASI_ERRNO_NOTCAPABLE);
    /* Without following, the link itself may be inspected... */
    CHECK_ERRNO(__wasi_path_filestat_get(dir, 0, "escape", &st), 0);
    CHECK(st.filetype == __WASI_FILETYPE_SYMBOLIC_LINK);
    /* ...but not opened. */
    CHECK_ERRNO(open_rd(dir, "escape", 0, &fd), __WASI_ERRNO_LOOP);

    /* Inside the sandbox: fine. */
    CHECK_ERRNO(open_rd(dir, "inside", F, &fd), 0);
    char buf[16] = {0};
    __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf - 1};
    __wasi_size_t n;
    CHECK_ERRNO(__wasi_fd_read(fd, &iov, 1, &n), 0);
    CHECK(n == 6 && memcmp(buf, "inside", 6) == 0);
    CHECK_ERRNO(__wasi_fd_close(fd), 0);
    CHECK_ERRNO(open_rd(dir, "sub/../file", F, &fd), 0);
    CHECK_ERRNO(__wasi_fd_close(fd), 0);
    /* A bad guest pointer is EFAULT, not a crash. */
    CHECK_ERRNO(__wasi_fd_read(0, (const __wasi_iovec_t *)0xfffffff0, 1, &n), __WASI_ERRNO_FAULT);
    printf("sandbox ok\n");
    return 0;
}
