/* rename, link, symlink, readlink, ftruncate, utimensat, renumber and sleep
 * (poll_oneoff) through wasi-libc, in a preopened scratch directory
 * (run with --dir .:<empty dir>). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>
#include "guest_check.h"

int main(void) {
    int fd = open("a.txt", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    CHECK(fd >= 0 && write(fd, "hello world", 11) == 11);
    CHECK(ftruncate(fd, 5) == 0);
    struct stat st;
    CHECK(fstat(fd, &st) == 0 && st.st_size == 5);
    CHECK(close(fd) == 0);

    CHECK(rename("a.txt", "b.txt") == 0);
    CHECK(access("a.txt", F_OK) == -1 && errno == ENOENT);
    CHECK(link("b.txt", "c.txt") == 0);
    CHECK(stat("c.txt", &st) == 0 && st.st_nlink == 2);
    CHECK(symlink("b.txt", "l") == 0);
    char buf[64];
    ssize_t n = readlink("l", buf, sizeof buf);
    CHECK(n == 5 && memcmp(buf, "b.txt", 5) == 0);
    CHECK(lstat("l", &st) == 0 && S_ISLNK(st.st_mode));
    CHECK(stat("l", &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 5);
    CHECK(symlink("/etc/passwd", "abs") == -1);  /* refused: could only lead outside */

    struct timespec ts[2] = {{1000000000, 0}, {1000000001, 500}};
    CHECK(utimensat(AT_FDCWD, "b.txt", ts, 0) == 0);
    CHECK(stat("b.txt", &st) == 0 && st.st_mtim.tv_sec == 1000000001 && st.st_mtim.tv_nsec == 500);

    /* fd_renumber: the second descriptor takes the first's number. */
    int f1 = open("b.txt", O_RDONLY), f2 = open("c.txt", O_RDONLY);
    CHECK(f1 >= 0 && f2 >= 0);
    CHECK_ERRNO(__wasi_fd_renumber(f2, f1), 0);
    CHECK(close(f2) == -1 && errno == EBADF);
    CHECK(read(f1, buf, 5) == 5 && memcmp(buf, "hello", 5) == 0);
    CHECK(close(f1) == 0);

    /* sleep: poll_oneoff with a clock subscription. */
    struct timespec t0, t1, d = {0, 30 * 1000 * 1000};
    CHECK(clock_gettime(CLOCK_MONOTONIC, &t0) == 0);
    CHECK(nanosleep(&d, NULL) == 0);
    CHECK(clock_gettime(CLOCK_MONOTONIC, &t1) == 0);
    long long ns = (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
    CHECK(ns >= 30 * 1000 * 1000);

    CHECK(unlink("l") == 0 && unlink("b.txt") == 0 && unlink("c.txt") == 0);
    printf("fs_links ok\n");
    return 0;
}
