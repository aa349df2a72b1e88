/* guest_wasi.c: the WASI program the embedder examples run (compile with
 * clang --target=wasm32-wasi --sysroot=/usr, then lucetc). It prints its
 * arguments and one environment variable to stdout. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    printf("wasi guest: argc=%d", argc);
    for (int i = 0; i < argc; i++) printf(" [%s]", argv[i]);
    const char *who = getenv("GREETING");
    printf("\nwasi guest: GREETING=%s\n", who ? who : "(unset)");
    return 0;
}
