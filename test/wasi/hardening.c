/* The guest side of the WASI host-hardening tests (run_hardening.sh and
 * host_hardening.c drive it); argv[1] picks the behaviour:
 *   paths            path length limits and linear resolution (--dir .:<empty dir>)
 *   isdir            a directory opened with fd_write rights is ISDIR (--dir .:<empty dir>)
 *   fifo_read NAME   blocking path_open of a FIFO for reading, then reads it to stdout
 *   fifo_write NAME  blocking path_open of a FIFO for writing, then writes "fifo data\n"
 *   fifo_nonblock NAME  nonblocking opens: reader at once, writer without reader NXIO
 *   epipe            writes to stdout until it fails: must be PIPE
 *   bigwrite         one 1 MiB fd_write to stdout (a pipe nobody reads: the
 *                    driver's --timeout must stop it), then "bigwrite done"
 *   nonblock_stdin   sets nonblock on stdin (an empty pipe): a read is AGAIN
 *   openloop N       opens files until it fails: must fail with NFILE after N opens
 * Each prints "<mode> ok" (stderr for epipe) and exits 0, or fails a CHECK. */
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>
#include "guest_check.h"

#define DIRFD 3

static char *repeat(const char *unit, size_t times, const char *tail) {
    size_t u = strlen(unit), t = strlen(tail);
    char *p = malloc(u * times + t + 1);
    CHECK(p);
    for (size_t i = 0; i < times; i++) memcpy(p + i * u, unit, u);
    memcpy(p + u * times, tail, t + 1);
    return p;
}

/* Every path-taking call refuses a path of n >= 4096 bytes with NAMETOOLONG. */
static void all_refuse(const char *p) {
    __wasi_filestat_t st;
    __wasi_fd_t fd;
    __wasi_size_t used;
    char buf[8];
    const int TOOLONG = __WASI_ERRNO_NAMETOOLONG;
    CHECK_ERRNO(__wasi_path_filestat_get(DIRFD, 0, p, &st), TOOLONG);
    CHECK_ERRNO(__wasi_path_filestat_get(DIRFD, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, p, &st), TOOLONG);
    CHECK_ERRNO(__wasi_path_open(DIRFD, 0, p, 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd), TOOLONG);
    CHECK_ERRNO(__wasi_path_create_directory(DIRFD, p), TOOLONG);
    CHECK_ERRNO(__wasi_path_unlink_file(DIRFD, p), TOOLONG);
    CHECK_ERRNO(__wasi_path_remove_directory(DIRFD, p), TOOLONG);
    CHECK_ERRNO(__wasi_path_rename(DIRFD, p, DIRFD, "x"), TOOLONG);
    CHECK_ERRNO(__wasi_path_rename(DIRFD, "f", DIRFD, p), TOOLONG);
    CHECK_ERRNO(__wasi_path_link(DIRFD, 0, p, DIRFD, "x"), TOOLONG);
    CHECK_ERRNO(__wasi_path_link(DIRFD, 0, "f", DIRFD, p), TOOLONG);
    CHECK_ERRNO(__wasi_path_symlink(p, DIRFD, "x"), TOOLONG);
    CHECK_ERRNO(__wasi_path_symlink("f", DIRFD, p), TOOLONG);
    CHECK_ERRNO(__wasi_path_readlink(DIRFD, p, (uint8_t *)buf, sizeof buf, &used), TOOLONG);
    CHECK_ERRNO(__wasi_path_filestat_set_times(DIRFD, 0, p, 0, 0, 0), TOOLONG);
}

/* The path `unit` x times + tail, of `len` bytes: refused everywhere when
 * it is 4096 bytes or more, else it names a file of type `want`. */
static void check_path(const char *unit, size_t times, const char *tail, size_t len, int want) {
    char *p = repeat(unit, times, tail);
    CHECK(strlen(p) == len);
    if (len >= 4096) {
        all_refuse(p);
    } else {
        __wasi_filestat_t st;
        CHECK_ERRNO(__wasi_path_filestat_get(DIRFD, 0, p, &st), 0);
        CHECK(st.filetype == want);
    }
    free(p);
}

static int paths(void) {
    __wasi_fd_t fd;
    CHECK_ERRNO(__wasi_path_open(DIRFD, 0, "f", __WASI_OFLAGS_CREAT, __WASI_RIGHTS_FD_WRITE, 0, 0, &fd), 0);
    CHECK_ERRNO(__wasi_fd_close(fd), 0);
    CHECK_ERRNO(__wasi_path_create_directory(DIRFD, "a"), 0);
    /* 64 MiB of "./" (naming the preopen itself), and 64 MiB of "a/../". */
    char *huge = repeat("./", 32u << 20, "");
    all_refuse(huge);
    free(huge);
    huge = repeat("a/../", (64u << 20) / 5, "");
    all_refuse(huge);
    free(huge);
    /* The boundary: 4095 bytes resolve, 4096 do not (PATH_MAX counts the NUL);
     * many components within the limit resolve. */
    check_path("./", 2047, ".", 4095, __WASI_FILETYPE_DIRECTORY);
    check_path("./", 2047, "f", 4095, __WASI_FILETYPE_REGULAR_FILE);
    check_path("./", 2048, "", 4096, 0);
    check_path("./", 2047, "ff", 4096, 0);
    check_path("a/../", 818, "f", 4091, __WASI_FILETYPE_REGULAR_FILE);
    check_path("a/../", 819, "", 4095, __WASI_FILETYPE_DIRECTORY);
    return 0;
}

static int isdir(void) {
    const __wasi_rights_t RW = __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE;
    __wasi_fd_t fd;
    CHECK_ERRNO(__wasi_path_create_directory(DIRFD, "sub"), 0);
    CHECK_ERRNO(__wasi_path_open(DIRFD, 0, ".", __WASI_OFLAGS_DIRECTORY, RW, 0, 0, &fd), __WASI_ERRNO_ISDIR);
    CHECK_ERRNO(__wasi_path_open(DIRFD, 0, ".", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_WRITE, 0, 0, &fd),
                __WASI_ERRNO_ISDIR);
    CHECK_ERRNO(__wasi_path_open(DIRFD, 0, ".", 0, RW, 0, 0, &fd), __WASI_ERRNO_ISDIR);
    CHECK_ERRNO(__wasi_path_open(DIRFD, 0, "sub", __WASI_OFLAGS_DIRECTORY, RW, 0, 0, &fd), __WASI_ERRNO_ISDIR);
    CHECK_ERRNO(__wasi_path_open(DIRFD, 0, "sub/", 0, __WASI_RIGHTS_FD_WRITE, 0, 0, &fd), __WASI_ERRNO_ISDIR);
    /* Read-only (or no) rights still open it. */
    CHECK_ERRNO(__wasi_path_open(DIRFD, 0, ".", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READ, 0, 0, &fd), 0);
    CHECK_ERRNO(__wasi_fd_close(fd), 0);
    CHECK_ERRNO(__wasi_path_open(DIRFD, 0, "sub", __WASI_OFLAGS_DIRECTORY, 0, 0, 0, &fd), 0);
    CHECK_ERRNO(__wasi_fd_close(fd), 0);
    return 0;
}

static int fifo(const char *name, int write) {
    __wasi_fd_t fd;
    __wasi_rights_t r = write ? __WASI_RIGHTS_FD_WRITE : __WASI_RIGHTS_FD_READ;
    CHECK_ERRNO(__wasi_path_open(DIRFD, 0, name, 0, r, 0, 0, &fd), 0);
    /* The guest's fd is blocking: fdstat says so. */
    __wasi_fdstat_t fs;
    CHECK_ERRNO(__wasi_fd_fdstat_get(fd, &fs), 0);
    CHECK(!(fs.fs_flags & __WASI_FDFLAGS_NONBLOCK));
    __wasi_size_t n;
    if (write) {
        __wasi_ciovec_t c = {(const uint8_t *)"fifo data\n", 10};
        CHECK_ERRNO(__wasi_fd_write(fd, &c, 1, &n), 0);
        CHECK(n == 10);
    } else {
        char buf[64];
        __wasi_iovec_t v = {(uint8_t *)buf, sizeof buf};
        /* Blocking reads until the writer closes (EOF). */
        for (;;) {
            CHECK_ERRNO(__wasi_fd_read(fd, &v, 1, &n), 0);
            if (n == 0) break;
            __wasi_ciovec_t c = {(const uint8_t *)buf, n};
            __wasi_size_t w;
            CHECK_ERRNO(__wasi_fd_write(1, &c, 1, &w), 0);
        }
    }
    CHECK_ERRNO(__wasi_fd_close(fd), 0);
    return 0;
}

static int fifo_nonblock(const char *name) {
    __wasi_fd_t rfd, wfd;
    __wasi_fdstat_t fs;
    const __wasi_fdflags_t NB = __WASI_FDFLAGS_NONBLOCK;
    /* As open(2) with O_NONBLOCK: no reader, no writer end; a reader opens at once. */
    CHECK_ERRNO(__wasi_path_open(DIRFD, 0, name, 0, __WASI_RIGHTS_FD_WRITE, 0, NB, &wfd), __WASI_ERRNO_NXIO);
    CHECK_ERRNO(__wasi_path_open(DIRFD, 0, name, 0, __WASI_RIGHTS_FD_READ, 0, NB, &rfd), 0);
    CHECK_ERRNO(__wasi_fd_fdstat_get(rfd, &fs), 0);
    CHECK(fs.fs_flags & NB);
    /* Now there is a reader: a blocking open for writing succeeds at once. */
    CHECK_ERRNO(__wasi_path_open(DIRFD, 0, name, 0, __WASI_RIGHTS_FD_WRITE, 0, 0, &wfd), 0);
    char buf[8];
    __wasi_iovec_t v = {(uint8_t *)buf, sizeof buf};
    __wasi_size_t n;
    CHECK_ERRNO(__wasi_fd_read(rfd, &v, 1, &n), __WASI_ERRNO_AGAIN);
    __wasi_ciovec_t c = {(const uint8_t *)"x", 1};
    CHECK_ERRNO(__wasi_fd_write(wfd, &c, 1, &n), 0);
    CHECK_ERRNO(__wasi_fd_read(rfd, &v, 1, &n), 0);
    CHECK(n == 1 && buf[0] == 'x');
    CHECK_ERRNO(__wasi_fd_close(wfd), 0);
    CHECK_ERRNO(__wasi_fd_close(rfd), 0);
    return 0;
}

static int epipe(void) {
    static char block[65536];
    memset(block, 'x', sizeof block);
    __wasi_ciovec_t c = {(const uint8_t *)block, sizeof block};
    __wasi_size_t n;
    __wasi_errno_t e;
    /* The reader is gone (or goes soon): some writes may fill the pipe first. */
    for (int i = 0; i < 100000; i++)
        if ((e = __wasi_fd_write(1, &c, 1, &n)) != 0) break;
    CHECK_ERRNO(e, __WASI_ERRNO_PIPE);
    const char *msg = "epipe ok\n";
    __wasi_ciovec_t m = {(const uint8_t *)msg, strlen(msg)};
    CHECK_ERRNO(__wasi_fd_write(2, &m, 1, &n), 0);
    return 0;
}

static int bigwrite(void) {
    static char block[1 << 20];
    memset(block, 'x', sizeof block);
    __wasi_ciovec_t c = {(const uint8_t *)block, sizeof block};
    __wasi_size_t n;
    CHECK_ERRNO(__wasi_fd_write(1, &c, 1, &n), 0);
    const char *msg = "bigwrite done\n";
    __wasi_ciovec_t m = {(const uint8_t *)msg, strlen(msg)};
    CHECK_ERRNO(__wasi_fd_write(2, &m, 1, &n), 0);
    return 0;
}

static int nonblock_stdin(void) {
    __wasi_fdstat_t fs;
    CHECK_ERRNO(__wasi_fd_fdstat_get(0, &fs), 0);
    CHECK(!(fs.fs_flags & __WASI_FDFLAGS_NONBLOCK));
    CHECK_ERRNO(__wasi_fd_fdstat_set_flags(0, __WASI_FDFLAGS_NONBLOCK), 0);
    CHECK_ERRNO(__wasi_fd_fdstat_get(0, &fs), 0);
    CHECK(fs.fs_flags & __WASI_FDFLAGS_NONBLOCK);
    char buf[8];
    __wasi_iovec_t v = {(uint8_t *)buf, sizeof buf};
    __wasi_size_t n;
    CHECK_ERRNO(__wasi_fd_read(0, &v, 1, &n), __WASI_ERRNO_AGAIN);
    /* Polling still works on it, and says nothing is there. */
    __wasi_subscription_t s[2] = {0};
    s[0].u.tag = __WASI_EVENTTYPE_FD_READ;
    s[0].u.u.fd_read.file_descriptor = 0;
    s[1].userdata = 1;
    s[1].u.tag = __WASI_EVENTTYPE_CLOCK;
    s[1].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    s[1].u.u.clock.timeout = 1000000;
    __wasi_event_t ev[2];
    CHECK_ERRNO(__wasi_poll_oneoff(s, ev, 2, &n), 0);
    CHECK(n == 1 && ev[0].userdata == 1);
    printf("nonblock_stdin ok\n");
    return 0;
}

static int openloop(long want) {
    __wasi_fd_t fd;
    long opened = 0;
    __wasi_errno_t e;
    CHECK_ERRNO(__wasi_path_open(DIRFD, 0, "f", __WASI_OFLAGS_CREAT, __WASI_RIGHTS_FD_READ, 0, 0, &fd), 0);
    opened++;
    while ((e = __wasi_path_open(DIRFD, 0, "f", 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd)) == 0) opened++;
    if (e != __WASI_ERRNO_NFILE || opened != want) {
        fprintf(stderr, "openloop: errno %d after %ld opens, expected %d after %ld\n", e, opened,
                __WASI_ERRNO_NFILE, want);
        return 1;
    }
    /* Closing one makes room for one. */
    CHECK_ERRNO(__wasi_fd_close(fd - 1), 0);
    CHECK_ERRNO(__wasi_path_open(DIRFD, 0, "f", 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd), 0);
    CHECK_ERRNO(__wasi_path_open(DIRFD, 0, "f", 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd), __WASI_ERRNO_NFILE);
    printf("openloop ok\n");
    return 0;
}

int main(int argc, char **argv) {
    CHECK(argc >= 2);
    const char *m = argv[1];
    int r;
    if (!strcmp(m, "paths")) r = paths();
    else if (!strcmp(m, "isdir")) r = isdir();
    else if (!strcmp(m, "fifo_read") && argc == 3) return fifo(argv[2], 0);
    else if (!strcmp(m, "fifo_write") && argc == 3) return fifo(argv[2], 1);
    else if (!strcmp(m, "fifo_nonblock") && argc == 3) r = fifo_nonblock(argv[2]);
    else if (!strcmp(m, "epipe")) return epipe();
    else if (!strcmp(m, "bigwrite")) return bigwrite();
    else if (!strcmp(m, "nonblock_stdin")) return nonblock_stdin();
    else if (!strcmp(m, "openloop") && argc == 3) return openloop(atol(argv[2]));
    else {
        fprintf(stderr, "unknown mode %s\n", m);
        return 2;
    }
    if (r == 0) printf("%s ok\n", m);
    return r;
}
