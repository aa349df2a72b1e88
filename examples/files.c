/* files.c: reads and writes files in a preopened directory.
 *   lucet-wasi --dir /some/host/dir::. files.so [NAME]   (or the seed form --dir .:/some/host/dir)
 * creates NAME (default "lucet-example.txt") in the preopened ".", writes two
 * lines, appends a third, reads the file back and prints it, lists the
 * directory entry, then removes the file. Exits non-zero, with a message, at
 * the first failure. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(const char *what, const char *path) {
    fprintf(stderr, "files: %s %s: %s\n", what, path, strerror(errno));
    return 1;
}

int main(int argc, char **argv) {
    const char *name = argc > 1 ? argv[1] : "lucet-example.txt";

    FILE *f = fopen(name, "w");
    if (!f) return fail("cannot create", name);
    fprintf(f, "first line\nsecond line\n");
    if (fclose(f) != 0) return fail("cannot write", name);

    f = fopen(name, "a");
    if (!f) return fail("cannot reopen", name);
    fprintf(f, "third line (appended)\n");
    if (fclose(f) != 0) return fail("cannot append to", name);

    struct stat st;
    if (stat(name, &st) != 0) return fail("cannot stat", name);
    printf("%s: %lld bytes\n", name, (long long)st.st_size);

    f = fopen(name, "r");
    if (!f) return fail("cannot open", name);
    char line[256];
    while (fgets(line, sizeof line, f)) printf("> %s", line);
    fclose(f);

    DIR *d = opendir(".");
    if (!d) return fail("cannot list", ".");
    int found = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, name) == 0) found = 1;
    closedir(d);
    printf("listed: %s\n", found ? "yes" : "no");

    if (unlink(name) != 0) return fail("cannot remove", name);
    printf("removed: %s\n", access(name, F_OK) != 0 && errno == ENOENT ? "yes" : "no");
    return found ? 0 : 1;
}
