/* wasi_guest.c: the WASI program examples/capi/wasi.c runs (clang
 * --target=wasm32-wasi --sysroot=/usr, then lucetc). It echoes a line of
 * stdin, prints two environment variables, reads /data/in.txt and tries to
 * write next to it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
    char line[128] = "";
    FILE *f;
    if (fgets(line, sizeof line, stdin)) line[strcspn(line, "\n")] = 0;
    printf("stdin: %s\n", line);
    printf("GREETING=%s FOO=%s HOME=%s\n", getenv("GREETING") ? getenv("GREETING") : "(unset)",
           getenv("FOO") ? getenv("FOO") : "(unset)", getenv("HOME") ? getenv("HOME") : "(unset)");
    f = fopen("/data/in.txt", "r");
    if (f && fgets(line, sizeof line, f)) printf("/data/in.txt: %s", line);
    if (f) fclose(f);
    f = fopen("/data/out.txt", "w");
    printf("writing /data/out.txt: %s\n", f ? "allowed" : strerror(errno));
    fprintf(stderr, "a line on stderr\n");
    return 0;
}
