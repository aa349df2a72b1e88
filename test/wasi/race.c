/* Rename race (run by run_race.sh with --dir /sandbox:<dir>): while a host
 * process keeps swapping sandbox/d between a real directory and a symlink to
 * ../outside, open d/target in a loop. Opens may fail (ENOENT, ENOTCAPABLE:
 * the name is the escaping link, or mid-swap: NOTDIR, LOOP), but one that succeeds must
 * read "inside", never the outside file's "outside". */
#include <string.h>
#include <wasi/api.h>
#include "guest_check.h"

int main(void) {
    __wasi_fd_t D = 3, fd;
    __wasi_prestat_t ps;
    CHECK_ERRNO(__wasi_fd_prestat_get(D, &ps), 0);
    unsigned ok = 0, refused = 0;
    /* At least 20000 opens, and on until both outcomes have been seen: on a
     * loaded machine the swapper can sleep through a whole short run. */
    for (int i = 0; i < 20000 || ((ok == 0 || refused == 0) && i < 5000000); i++) {
        const char *p = (i & 1) ? "d/target" : "d/../d/target";
        __wasi_errno_t e = __wasi_path_open(D, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, p, 0, __WASI_RIGHTS_FD_READ, 0,
                                            0, &fd);
        if (e != 0) {
            /* Mid-swap, a component can be seen as a symlink and then be a
             * directory again when read (NOTDIR/LOOP): refused, not escaped. */
            if (!(e == __WASI_ERRNO_NOENT || e == __WASI_ERRNO_NOTCAPABLE || e == __WASI_ERRNO_NOTDIR ||
                  e == __WASI_ERRNO_LOOP)) {
                fprintf(stderr, "iteration %d: unexpected errno %d\n", i, e);
                CHECK(!"unexpected errno");
            }
            refused++;
            continue;
        }
        char buf[16] = {0};
        __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf - 1};
        __wasi_size_t n;
        CHECK_ERRNO(__wasi_fd_read(fd, &iov, 1, &n), 0);
        if (!(n == 6 && memcmp(buf, "inside", 6) == 0)) {
            fprintf(stderr, "iteration %d opened a file reading '%s'\n", i, buf);
            CHECK(!"escaped the sandbox");
        }
        CHECK_ERRNO(__wasi_fd_close(fd), 0);
        ok++;
    }
    fprintf(stderr, "opened %u, refused %u\n", ok, refused);
    /* Both outcomes must have happened, or the race was not exercised. */
    CHECK(ok > 0 && refused > 0);
    printf("race ok\n");
    return 0;
}
