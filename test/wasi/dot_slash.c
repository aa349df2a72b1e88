/* Trailing slashes and final "." components, compared against Linux
 * (differential test): "f/." must not name the file f, and calls that act on
 * a directory entry (unlink, rmdir, rename, mkdir, link, symlink) must not
 * follow a symlink just because the path ends in '/'. Before the fix,
 * rmdir("ld/") removed the directory ld points to, unlink("f/.") removed f,
 * rename("ld/", x) moved the target directory and mkdir("dangling/") created
 * the link's target. Run with --dir .:<empty dir>. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "guest_check.h"

#define FAILS_WITH(expr, err) CHECK((expr) == -1 && errno == (err))

int main(void) {
    struct stat st;
    int fd = open("f", O_CREAT | O_WRONLY, 0644);
    CHECK(fd >= 0 && close(fd) == 0);
    CHECK(mkdir("d", 0755) == 0);
    CHECK(symlink("d", "ld") == 0 && symlink("f", "lf") == 0 && symlink("nowhere", "dang") == 0);

    /* "f/." requires f to be a directory. */
    FAILS_WITH(open("f/.", O_RDONLY), ENOTDIR);
    FAILS_WITH(stat("f/.", &st), ENOTDIR);
    FAILS_WITH(stat("lf/.", &st), ENOTDIR);
    CHECK(stat("d/.", &st) == 0 && S_ISDIR(st.st_mode));
    CHECK(stat("ld/.", &st) == 0 && S_ISDIR(st.st_mode));
    FAILS_WITH(mkdir("f/.", 0755), ENOTDIR);
    FAILS_WITH(mkdir("d/.", 0755), EEXIST);
    FAILS_WITH(unlink("f/."), ENOTDIR);
    FAILS_WITH(rmdir("f/."), ENOTDIR);
    FAILS_WITH(rmdir("d/."), EINVAL);
    FAILS_WITH(rename("d/.", "x"), EBUSY);

    /* O_CREAT with a trailing slash: EISDIR, as Linux (not the kernel's
     * EINVAL for O_CREAT | O_DIRECTORY). */
    FAILS_WITH(open("f/", O_RDONLY | O_CREAT, 0644), EISDIR);
    FAILS_WITH(open("nf/", O_RDONLY | O_CREAT, 0644), EISDIR);
    FAILS_WITH(open("d/", O_RDONLY | O_CREAT, 0644), EISDIR);

    /* open and stat still follow "link/". */
    fd = open("ld/", O_RDONLY);
    CHECK(fd >= 0 && close(fd) == 0);
    FAILS_WITH(open("lf/", O_RDONLY), ENOTDIR);
    CHECK(lstat("ld/", &st) == 0 && S_ISDIR(st.st_mode));

    /* Entry calls act on the link itself. */
    FAILS_WITH(mkdir("dang/", 0755), EEXIST);
    FAILS_WITH(mkdir("ld/", 0755), EEXIST);
    FAILS_WITH(unlink("ld/"), ENOTDIR);
    FAILS_WITH(unlink("f/"), ENOTDIR);
    FAILS_WITH(unlink("d/"), EISDIR);
    FAILS_WITH(rmdir("ld/"), ENOTDIR);
    FAILS_WITH(rmdir("lf/"), ENOTDIR);
    FAILS_WITH(rename("ld/", "x1"), ENOTDIR);
    FAILS_WITH(rename("lf/", "x2"), ENOTDIR);
    FAILS_WITH(rename("d", "ld/"), ENOTDIR);
    FAILS_WITH(symlink("d", "dang/"), EEXIST);
    FAILS_WITH(link("f", "dang/"), EEXIST);
    FAILS_WITH(symlink("d", "new/"), ENOENT);

    /* Nothing moved: d and f are intact, the dangling link still dangles. */
    CHECK(lstat("d", &st) == 0 && S_ISDIR(st.st_mode));
    CHECK(lstat("f", &st) == 0 && S_ISREG(st.st_mode));
    CHECK(lstat("ld", &st) == 0 && S_ISLNK(st.st_mode));
    FAILS_WITH(lstat("nowhere", &st), ENOENT);
    FAILS_WITH(lstat("x1", &st), ENOENT);

    /* The normal cases still work. */
    CHECK(rename("d/", "nd/") == 0 && rename("nd", "d") == 0);
    CHECK(rmdir("d/") == 0);
    CHECK(unlink("ld") == 0 && unlink("lf") == 0 && unlink("dang") == 0 && unlink("f") == 0);
    puts("dot_slash ok");
    return 0;
}
