/* guest_wasi.c: the WASI program the embedder examples run (compile with
 * clang --target=wasm32-wasi --sysroot=/usr, then lucetc). It prints its
 * arguments and one environment variable to stdout. With COPY=PATH set, it
 * also copies the file PATH (a guest path, under a preopen) to PATH.copy:
 * the language packages' tests check their preopens with it. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    printf("wasi guest: argc=%d", argc);
    for (int i = 0; i < argc; i++) printf(" [%s]", argv[i]);
    const char *who = getenv("GREETING");
    printf("\nwasi guest: GREETING=%s\n", who ? who : "(unset)");
    const char *copy = getenv("COPY");
    if (copy) {
        char out[512], buf[256];
        snprintf(out, sizeof out, "%s.copy", copy);
        FILE *in = fopen(copy, "r"), *o = in ? fopen(out, "w") : NULL;
        if (!in || !o) {
            printf("wasi guest: cannot copy %s\n", copy);
            return 1;
        }
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, in)) > 0) fwrite(buf, 1, n, o);
        fclose(in);
        fclose(o);
    }
    return 0;
}
