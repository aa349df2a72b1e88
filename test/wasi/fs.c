/* Files in a preopened directory (run with --dir .:<empty scratch dir>):
 * create, write, seek, read, pread/pwrite, stat, mkdir, readdir, unlink, rmdir. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "guest_check.h"

/* Creates the empty file `name`. */
static void touch(const char *name) {
    int f = open(name, O_CREAT | O_WRONLY, 0644);
    CHECK(f >= 0);
    CHECK(close(f) == 0);
}

int main(void) {
    int fd = open("data.txt", O_CREAT | O_EXCL | O_RDWR, 0644);
    CHECK(fd >= 0);
    CHECK(write(fd, "0123456789", 10) == 10);
    CHECK(lseek(fd, 0, SEEK_CUR) == 10);
    CHECK(lseek(fd, 3, SEEK_SET) == 3);
    char buf[32] = {0};
    CHECK(read(fd, buf, 4) == 4 && memcmp(buf, "3456", 4) == 0);
    CHECK(lseek(fd, -2, SEEK_END) == 8);
    CHECK(read(fd, buf, sizeof buf) == 2 && memcmp(buf, "89", 2) == 0);
    CHECK(read(fd, buf, sizeof buf) == 0);  /* EOF */
    CHECK(pwrite(fd, "AB", 2, 4) == 2);
    CHECK(pread(fd, buf, 6, 2) == 6 && memcmp(buf, "23AB67", 6) == 0);
    CHECK(lseek(fd, 0, SEEK_CUR) == 10);  /* pread/pwrite do not move it */
    struct stat st;
    CHECK(fstat(fd, &st) == 0 && st.st_size == 10 && S_ISREG(st.st_mode));
    CHECK(fsync(fd) == 0);
    CHECK(close(fd) == 0);
    CHECK(close(fd) == -1 && errno == EBADF);

    CHECK(open("data.txt", O_CREAT | O_EXCL | O_WRONLY, 0644) == -1 && errno == EEXIST);
    CHECK(open("missing.txt", O_RDONLY) == -1 && errno == ENOENT);

    CHECK(mkdir("sub", 0755) == 0);
    CHECK(mkdir("sub", 0755) == -1 && errno == EEXIST);
    for (int i = 0; i < 30; i++) {
        char name[64];
        snprintf(name, sizeof name, "sub/entry-with-a-rather-long-name-%02d", i);
        touch(name);
    }
    CHECK(stat("sub/entry-with-a-rather-long-name-07", &st) == 0 && st.st_size == 0);
    CHECK(rmdir("sub") == -1 && errno == ENOTEMPTY);

    /* readdir sees every entry exactly once (wasi-libc reads in chunks and
     * resumes with cookies). */
    int seen[30] = {0}, dots = 0, total = 0;
    DIR *d = opendir("sub");
    CHECK(d != NULL);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        total++;
        int k;
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            dots++;
        else if (sscanf(de->d_name, "entry-with-a-rather-long-name-%d", &k) == 1 && k >= 0 && k < 30)
            seen[k]++;
        else
            CHECK(!"unexpected directory entry");
    }
    CHECK(closedir(d) == 0);
    for (int i = 0; i < 30; i++) CHECK(seen[i] == 1);
    CHECK(total == 30 + dots);

    for (int i = 0; i < 30; i++) {
        char name[64];
        snprintf(name, sizeof name, "sub/entry-with-a-rather-long-name-%02d", i);
        CHECK(unlink(name) == 0);
    }
    CHECK(unlink("sub") == -1 && (errno == EISDIR || errno == EPERM));
    CHECK(rmdir("sub") == 0);

    /* rm -r's loop: unlink each entry as readdir returns it, in one pass.
     * wasi-libc resumes with the cookie of the last entry it holds; cookies
     * that counted entries skipped live ones once earlier ones were gone
     * (252 of 500 removed). */
    CHECK(mkdir("del", 0755) == 0);
    for (int i = 0; i < 500; i++) {
        char name[64];
        snprintf(name, sizeof name, "del/file-number-%03d", i);
        touch(name);
    }
    d = opendir("del");
    CHECK(d != NULL);
    int removed = 0;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        char name[300];
        snprintf(name, sizeof name, "del/%s", de->d_name);
        CHECK(unlink(name) == 0);
        removed++;
    }
    CHECK(closedir(d) == 0);
    CHECK(removed == 500);
    CHECK(rmdir("del") == 0);
    CHECK(stat("sub", &st) == -1 && errno == ENOENT);
    CHECK(unlink("data.txt") == 0);
    CHECK(access("data.txt", F_OK) == -1 && errno == ENOENT);
    printf("fs ok\n");
    return 0;
}
