/* The fd_* calls that other guests reach only through libc, or not at all,
 * called directly (run with --dir .:<empty dir>): pwrite/pread/tell,
 * sync/datasync, advise/allocate, set_size/set_times, set_flags/set_rights
 * (rights only shrink), readdir, environ sizes, clock_res_get; undefined
 * lookupflags bits (INVAL, like undefined oflags). */
#include <string.h>
#include <wasi/api.h>
#include "guest_check.h"

int main(void) {
    __wasi_fd_t fd;
    __wasi_size_t n;
    CHECK_ERRNO(__wasi_path_open(3, 0, "m", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, ~0ull, ~0ull, 0, &fd), 0);
    __wasi_ciovec_t c = {(const uint8_t *)"abcdef", 6};
    CHECK_ERRNO(__wasi_fd_pwrite(fd, &c, 1, 2, &n), 0);
    CHECK(n == 6);
    __wasi_filesize_t pos;
    CHECK_ERRNO(__wasi_fd_tell(fd, &pos), 0);
    CHECK(pos == 0);  /* pwrite does not move the offset */
    char buf[16] = {0};
    __wasi_iovec_t v = {(uint8_t *)buf, 3};
    CHECK_ERRNO(__wasi_fd_pread(fd, &v, 1, 4, &n), 0);
    CHECK(n == 3 && memcmp(buf, "cde", 3) == 0);
    CHECK_ERRNO(__wasi_fd_sync(fd), 0);
    CHECK_ERRNO(__wasi_fd_datasync(fd), 0);
    CHECK_ERRNO(__wasi_fd_advise(fd, 0, 8, __WASI_ADVICE_SEQUENTIAL), 0);
    CHECK_ERRNO(__wasi_fd_advise(fd, 0, 8, 9), __WASI_ERRNO_INVAL);
    CHECK_ERRNO(__wasi_fd_allocate(fd, 0, 100), 0);
    __wasi_filestat_t st;
    CHECK_ERRNO(__wasi_fd_filestat_get(fd, &st), 0);
    CHECK(st.size == 100);
    CHECK_ERRNO(__wasi_fd_filestat_set_size(fd, 4), 0);
    CHECK_ERRNO(__wasi_fd_filestat_set_times(fd, 1000000000ull, 2000000000ull,
                                             __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM), 0);
    CHECK_ERRNO(__wasi_fd_filestat_get(fd, &st), 0);
    CHECK(st.size == 4 && st.atim == 1000000000ull && st.mtim == 2000000000ull);
    CHECK_ERRNO(__wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW),
                __WASI_ERRNO_INVAL);
    /* Flags: append on, seen in fdstat. */
    CHECK_ERRNO(__wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_APPEND), 0);
    __wasi_fdstat_t fs;
    CHECK_ERRNO(__wasi_fd_fdstat_get(fd, &fs), 0);
    CHECK(fs.fs_flags & __WASI_FDFLAGS_APPEND);
    /* Rights shrink, never grow. */
    __wasi_rights_t keep = __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_FILESTAT_GET;
    CHECK_ERRNO(__wasi_fd_fdstat_set_rights(fd, keep, 0), 0);
    CHECK_ERRNO(__wasi_fd_fdstat_get(fd, &fs), 0);
    CHECK(fs.fs_rights_base == keep);
    CHECK_ERRNO(__wasi_fd_fdstat_set_rights(fd, keep | __WASI_RIGHTS_FD_WRITE, 0), __WASI_ERRNO_NOTCAPABLE);
    CHECK_ERRNO(__wasi_fd_write(fd, &c, 1, &n), __WASI_ERRNO_NOTCAPABLE);
    CHECK_ERRNO(__wasi_fd_tell(fd, &pos), __WASI_ERRNO_NOTCAPABLE);
    CHECK_ERRNO(__wasi_fd_close(fd), 0);
    CHECK_ERRNO(__wasi_fd_close(fd), __WASI_ERRNO_BADF);
    /* readdir on the preopen lists "m". */
    uint8_t dbuf[512];
    CHECK_ERRNO(__wasi_fd_readdir(3, dbuf, sizeof dbuf, 0, &n), 0);
    int found = 0;
    for (__wasi_size_t off = 0; off + sizeof(__wasi_dirent_t) <= n;) {
        __wasi_dirent_t d;
        memcpy(&d, dbuf + off, sizeof d);
        off += sizeof d;
        if (d.d_namlen == 1 && off < n && dbuf[off] == 'm') found = d.d_type == __WASI_FILETYPE_REGULAR_FILE;
        off += d.d_namlen;
    }
    CHECK(found);
    /* Environment sizes agree with what the runner passed (--env only). */
    __wasi_size_t count, size;
    CHECK_ERRNO(__wasi_environ_sizes_get(&count, &size), 0);
    CHECK(count >= 1 && size >= sizeof "FD_MISC=1");
    __wasi_timestamp_t res;
    CHECK_ERRNO(__wasi_clock_res_get(__WASI_CLOCKID_MONOTONIC, &res), 0);
    CHECK(res > 0 && res <= 1000000000ull);
    CHECK_ERRNO(__wasi_clock_res_get(17, &res), __WASI_ERRNO_INVAL);
    /* Undefined lookupflags bits: INVAL, and nothing is done. */
    CHECK_ERRNO(__wasi_path_open(3, 0xfffffffeu, "m", 0, ~0ull, ~0ull, 0, &fd), __WASI_ERRNO_INVAL);
    CHECK_ERRNO(__wasi_path_open(3, 0x80000001u, "m2", __WASI_OFLAGS_CREAT, ~0ull, ~0ull, 0, &fd), __WASI_ERRNO_INVAL);
    CHECK_ERRNO(__wasi_path_filestat_get(3, 2, "m", &st), __WASI_ERRNO_INVAL);
    CHECK_ERRNO(__wasi_path_filestat_set_times(3, 0x80000000u, "m", 0, 0, __WASI_FSTFLAGS_MTIM), __WASI_ERRNO_INVAL);
    CHECK_ERRNO(__wasi_path_link(3, 0xfffffffeu, "m", 3, "m3"), __WASI_ERRNO_INVAL);
    CHECK_ERRNO(__wasi_path_filestat_get(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "m", &st), 0);
    CHECK(st.size == 4 && st.mtim == 2000000000ull);
    CHECK_ERRNO(__wasi_path_filestat_get(3, 0, "m2", &st), __WASI_ERRNO_NOENT);
    CHECK_ERRNO(__wasi_path_filestat_get(3, 0, "m3", &st), __WASI_ERRNO_NOENT);
    printf("fd_misc ok\n");
    return 0;
}
