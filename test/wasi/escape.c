/* The escape-attempt suite, for every path_* function (run with
 * --dir /sandbox:<dir>, laid out by run_guest.sh: escape -> ../secret,
 * abs -> /etc/passwd, file, sub/). The guest adds its own links: up -> ..,
 * up2 -> sub/../up, dangling -> nowhere, loop1 <-> loop2. Every escape is
 * ENOTCAPABLE, whatever the operation and wherever the escape sits in the
 * path; dangling links are ENOENT and loops ELOOP. */
#include <string.h>
#include <wasi/api.h>
#define GUEST_FIND_PREOPEN
#include "guest_check.h"

static __wasi_fd_t sandbox(void) {
    return find_preopen("/sandbox");
}

static __wasi_fd_t D;

/* Each path_* function on `p` (as its escaping operand) must give `want`. */
static void all_ops(const char *p, __wasi_errno_t want, int follow_ok) {
    const __wasi_lookupflags_t F = __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW;
    __wasi_fd_t fd;
    __wasi_filestat_t st;
    uint8_t buf[64];
    __wasi_size_t n;
    fprintf(stderr, "escaping through %s\n", p);
    CHECK_ERRNO(__wasi_path_open(D, F, p, 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd), want);
    CHECK_ERRNO(__wasi_path_open(D, F, p, __WASI_OFLAGS_CREAT, __WASI_RIGHTS_FD_WRITE, 0, 0, &fd), want);
    CHECK_ERRNO(__wasi_path_open(D, F, p, __WASI_OFLAGS_DIRECTORY, 0, 0, 0, &fd), want);
    CHECK_ERRNO(__wasi_path_filestat_get(D, F, p, &st), want);
    CHECK_ERRNO(__wasi_path_filestat_set_times(D, F, p, 0, 0, __WASI_FSTFLAGS_ATIM_NOW), want);
    if (!follow_ok) {
        /* The escape is not only in a final symlink: nofollow does not help. */
        CHECK_ERRNO(__wasi_path_open(D, 0, p, 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd), want);
        CHECK_ERRNO(__wasi_path_filestat_get(D, 0, p, &st), want);
        CHECK_ERRNO(__wasi_path_create_directory(D, p), want);
        CHECK_ERRNO(__wasi_path_unlink_file(D, p), want);
        CHECK_ERRNO(__wasi_path_remove_directory(D, p), want);
        CHECK_ERRNO(__wasi_path_readlink(D, p, buf, sizeof buf, &n), want);
        CHECK_ERRNO(__wasi_path_symlink("file", D, p), want);
        CHECK_ERRNO(__wasi_path_rename(D, p, D, "renamed"), want);
        CHECK_ERRNO(__wasi_path_rename(D, "file", D, p), want);
        CHECK_ERRNO(__wasi_path_link(D, 0, p, D, "linked"), want);
        CHECK_ERRNO(__wasi_path_link(D, 0, "file", D, p), want);
    }
    CHECK_ERRNO(__wasi_path_link(D, F, p, D, "linked"), want);
}

int main(void) {
    D = sandbox();
    CHECK_ERRNO(__wasi_path_symlink("..", D, "up"), 0);
    /* Absolute link targets cannot even be created (they could only ever
     * point outside); the runner made `abs` for that case. */
    CHECK_ERRNO(__wasi_path_symlink("/etc", D, "absdir"), __WASI_ERRNO_NOTCAPABLE);
    CHECK_ERRNO(__wasi_path_symlink("nowhere", D, "dangling"), 0);
    CHECK_ERRNO(__wasi_path_symlink("loop2", D, "loop1"), 0);
    CHECK_ERRNO(__wasi_path_symlink("loop1", D, "loop2"), 0);
    CHECK_ERRNO(__wasi_path_symlink("sub/../up", D, "up2"), 0);

    const char *escapes[] = {"../secret", "..", "../", "sub/../../secret", "/etc/passwd", "/",
                             "up/secret", "up2/secret", "sub/../up/secret",
                             "escape/x", "abs/x", "./.././secret"};
    for (unsigned i = 0; i < sizeof escapes / sizeof escapes[0]; i++) all_ops(escapes[i], __WASI_ERRNO_NOTCAPABLE, 0);
    /* Final symlinks leading out: refused when followed. */
    all_ops("escape", __WASI_ERRNO_NOTCAPABLE, 1);
    all_ops("abs", __WASI_ERRNO_NOTCAPABLE, 1);
    all_ops("up", __WASI_ERRNO_NOTCAPABLE, 1);
    /* Loops: ELOOP, followed or as an intermediate component. */
    __wasi_fd_t fd;
    __wasi_filestat_t st;
    const __wasi_lookupflags_t F = __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW;
    CHECK_ERRNO(__wasi_path_open(D, F, "loop1", 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd), __WASI_ERRNO_LOOP);
    CHECK_ERRNO(__wasi_path_filestat_get(D, F, "loop2", &st), __WASI_ERRNO_LOOP);
    CHECK_ERRNO(__wasi_path_open(D, 0, "loop1/x", 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd), __WASI_ERRNO_LOOP);
    CHECK_ERRNO(__wasi_path_create_directory(D, "loop1/x"), __WASI_ERRNO_LOOP);
    CHECK_ERRNO(__wasi_path_unlink_file(D, "loop2/x"), __WASI_ERRNO_LOOP);
    /* Without follow, opening a final symlink is ELOOP (O_NOFOLLOW). */
    CHECK_ERRNO(__wasi_path_open(D, 0, "loop1", 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd), __WASI_ERRNO_LOOP);
    /* Dangling: ENOENT when followed; creating through it stays inside. */
    CHECK_ERRNO(__wasi_path_open(D, F, "dangling", 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd), __WASI_ERRNO_NOENT);
    CHECK_ERRNO(__wasi_path_filestat_get(D, F, "dangling", &st), __WASI_ERRNO_NOENT);
    CHECK_ERRNO(__wasi_path_open(D, 0, "dangling/x", 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd), __WASI_ERRNO_NOENT);
    /* The links themselves (nofollow) can be inspected and removed. */
    CHECK_ERRNO(__wasi_path_filestat_get(D, 0, "up", &st), 0);
    CHECK(st.filetype == __WASI_FILETYPE_SYMBOLIC_LINK);
    uint8_t buf[16];
    __wasi_size_t n;
    CHECK_ERRNO(__wasi_path_readlink(D, "up", buf, sizeof buf, &n), 0);
    CHECK(n == 2 && memcmp(buf, "..", 2) == 0);
    const char *mine[] = {"up", "dangling", "loop1", "loop2", "up2"};
    for (unsigned i = 0; i < sizeof mine / sizeof mine[0]; i++) CHECK_ERRNO(__wasi_path_unlink_file(D, mine[i]), 0);
    printf("escape ok\n");
    return 0;
}
