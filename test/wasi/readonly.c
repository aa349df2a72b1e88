/* A read-only preopen, attacked by its guest. Run with the directory of
 * run_guest.sh's sandbox/ read-only as /ro and pre/ writable as /rw:
 *   lucet-wasi --dir-ro /ro:<scratch>/sandbox --dir /rw:<scratch>/pre readonly.wasm
 * (or the same through lucet_wasi_ctx_preopen_dir_readonly). Every way to
 * change something under /ro fails (perm for opening to write, notcapable
 * for the rest), for /ro, a directory opened below it and a file opened from
 * it, and fd_fdstat_set_rights cannot take the rights back; reading works,
 * and the same calls on /rw succeed (so the refusals are the preopen's).
 * The preopens are fds 3 (/ro) and 4 (/rw): numbered in the order given. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#define GUEST_FIND_PREOPEN
#include "guest_check.h"

#define W __WASI_RIGHTS_FD_WRITE
#define R __WASI_RIGHTS_FD_READ
#define ALL ((__wasi_rights_t)-1)
#define NOTCAP __WASI_ERRNO_NOTCAPABLE

static __wasi_errno_t open_at(__wasi_fd_t dir, const char *path, __wasi_oflags_t of, __wasi_rights_t base,
                              __wasi_rights_t inh, __wasi_fd_t *out) {
    return __wasi_path_open(dir, 0, path, of, base, inh, 0, out);
}

/* Every mutation of `dir` (the read-only preopen or a directory below it)
 * is refused; rw is a writable directory for the two-directory calls. */
static void attack_dir(__wasi_fd_t dir, __wasi_fd_t rw, const char *file, const char *subdir) {
    __wasi_fd_t fd;
    CHECK_ERRNO(open_at(dir, file, 0, W, 0, &fd), __WASI_ERRNO_PERM);
    CHECK_ERRNO(open_at(dir, file, 0, R | W, 0, &fd), __WASI_ERRNO_PERM);
    CHECK_ERRNO(open_at(dir, file, 0, R | __WASI_RIGHTS_FD_FILESTAT_SET_SIZE, 0, &fd), __WASI_ERRNO_PERM);
    CHECK_ERRNO(open_at(dir, file, 0, ALL, ALL, &fd), __WASI_ERRNO_PERM);
    CHECK_ERRNO(open_at(dir, "new", __WASI_OFLAGS_CREAT, R, 0, &fd), NOTCAP);
    CHECK_ERRNO(open_at(dir, file, __WASI_OFLAGS_TRUNC, R, 0, &fd), NOTCAP);
    CHECK_ERRNO(__wasi_path_unlink_file(dir, file), NOTCAP);
    CHECK_ERRNO(__wasi_path_create_directory(dir, "newdir"), NOTCAP);
    if (subdir) CHECK_ERRNO(__wasi_path_remove_directory(dir, subdir), NOTCAP);
    CHECK_ERRNO(__wasi_path_rename(dir, file, rw, "moved"), NOTCAP);
    CHECK_ERRNO(__wasi_path_rename(rw, "victim", dir, "planted"), NOTCAP);
    CHECK_ERRNO(__wasi_path_link(dir, 0, file, rw, "hardlink"), NOTCAP);
    CHECK_ERRNO(__wasi_path_link(rw, 0, "victim", dir, "planted"), NOTCAP);
    CHECK_ERRNO(__wasi_path_symlink(file, dir, "symlink"), NOTCAP);
    CHECK_ERRNO(__wasi_path_filestat_set_times(dir, 0, file, 0, 0, __WASI_FSTFLAGS_MTIM_NOW), NOTCAP);
    CHECK_ERRNO(__wasi_fd_filestat_set_times(dir, 0, 0, __WASI_FSTFLAGS_MTIM_NOW), NOTCAP);
    /* Rights only go down. */
    CHECK_ERRNO(__wasi_fd_fdstat_set_rights(dir, ALL, ALL), NOTCAP);
    __wasi_fdstat_t st;
    CHECK_ERRNO(__wasi_fd_fdstat_get(dir, &st), 0);
    CHECK((st.fs_rights_base & __WASI_RIGHTS_PATH_CREATE_FILE) == 0);
    CHECK((st.fs_rights_inheriting & (W | __WASI_RIGHTS_PATH_UNLINK_FILE)) == 0);
    CHECK(st.fs_rights_base & __WASI_RIGHTS_PATH_OPEN);
}

int main(void) {
    __wasi_fd_t ro = find_preopen("/ro"), rw = find_preopen("/rw"), fd, sub;
    char buf[16] = {0};

    /* Preopens are numbered in the order given, --dir-ro or --dir alike
     * (both runners give /ro first). */
    CHECK(ro == 3 && rw == 4);
    /* Control: the writable preopen allows what is refused below. */
    CHECK_ERRNO(open_at(rw, "victim", __WASI_OFLAGS_CREAT, R | W, 0, &fd), 0);
    CHECK_ERRNO(__wasi_fd_close(fd), 0);

    attack_dir(ro, rw, "file", "sub");
    /* A directory opened below it, asking for every right, gets none of
     * the write ones either. */
    CHECK_ERRNO(open_at(ro, "sub", __WASI_OFLAGS_DIRECTORY, ALL, ALL, &sub), __WASI_ERRNO_ISDIR);
    CHECK_ERRNO(open_at(ro, "sub", __WASI_OFLAGS_DIRECTORY, ALL & ~W, ALL, &sub), 0);
    attack_dir(sub, rw, "ghost", NULL);  /* (rights are checked before the path) */

    /* A file opened for reading: no way to write it, grow it, touch it. */
    CHECK_ERRNO(open_at(ro, "file", 0, R, 0, &fd), 0);
    __wasi_ciovec_t iov = {(const uint8_t *)"x", 1};
    __wasi_size_t n = 0;
    CHECK_ERRNO(__wasi_fd_write(fd, &iov, 1, &n), NOTCAP);
    CHECK_ERRNO(__wasi_fd_pwrite(fd, &iov, 1, 0, &n), NOTCAP);
    CHECK_ERRNO(__wasi_fd_filestat_set_size(fd, 0), NOTCAP);
    CHECK_ERRNO(__wasi_fd_allocate(fd, 0, 100), NOTCAP);
    CHECK_ERRNO(__wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_MTIM_NOW), NOTCAP);
    CHECK_ERRNO(__wasi_fd_fdstat_set_rights(fd, ALL, 0), NOTCAP);
    CHECK_ERRNO(__wasi_fd_fdstat_set_rights(fd, R | W, 0), NOTCAP);
    CHECK_ERRNO(__wasi_fd_close(fd), 0);

    /* Through wasi-libc, as a program would: reads work, writes fail. */
    FILE *f = fopen("/ro/file", "r");
    CHECK(f && fread(buf, 1, sizeof buf - 1, f) == 6 && strcmp(buf, "inside") == 0);
    fclose(f);
    errno = 0;
    CHECK(fopen("/ro/file", "w") == NULL && errno == ENOTCAPABLE);  /* O_TRUNC: path_filestat_set_size */
    errno = 0;
    /* wasi-libc narrows what it asks for by the directory's inheriting
     * rights (fd_fdstat_get), so its open(O_RDWR) asks for no write right
     * and succeeds; each write then fails. (A raw path_open asking for
     * fd_write gets perm, above.) */
    int wfd = open("/ro/file", O_WRONLY | O_APPEND);
    CHECK(wfd >= 0);
    errno = 0;
    CHECK(write(wfd, "x", 1) < 0 && errno == EBADF);  /* wasi-libc's word for notcapable here, as POSIX's */
    CHECK(ftruncate(wfd, 0) != 0);
    close(wfd);
    CHECK(unlink("/ro/file") != 0 && mkdir("/ro/d", 0777) != 0 && rename("/ro/file", "/rw/stolen") != 0);
    struct stat sb;
    CHECK(stat("/ro/file", &sb) == 0 && sb.st_size == 6);
    /* Nothing changed. */
    f = fopen("/ro/file", "r");
    memset(buf, 0, sizeof buf);
    CHECK(f && fread(buf, 1, sizeof buf - 1, f) == 6 && strcmp(buf, "inside") == 0);
    fclose(f);
    CHECK(access("/ro/new", F_OK) != 0 && access("/ro/newdir", F_OK) != 0 && access("/rw/moved", F_OK) != 0);
    printf("readonly ok\n");
    return 0;
}
